"""AppTest runs of every page: the default URL (2022 → 2026) and deep links with non-default
parameters, old links with ?period=2018-2022 included.

Expected numbers are either official results formatted the Swedish way (V in Stockholms kommun,
kommunvalet 2026: 95 823 / 659 238 = 14,54 %; riksdagsvalet 2022: 71 171 / 606 754 = 11,73 %) or
computed here from the Parquet files in data/ (votes / valid votes of one row), so a 2026 figure
on a page is checked against the file it comes from.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import db, fmt, state

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
DATA = ROOT / "data"


def run_page(page: str, **params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.switch_page(page)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [i.value for i in at.info] + [w.value for w in at.warning]
    return "\n".join(parts)


def plotly_specs(at: AppTest) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def table_with(at: AppTest, column: str) -> pd.DataFrame:
    """The first table on the page with this column header."""
    return next(df.value for df in at.dataframe if column in df.value.columns)


# --- expectations from the files ----------------------------------------------------------------


@lru_cache(maxsize=1)
def _parquet() -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.read_parquet(DATA / "area_totals.parquet"), pd.read_parquet(DATA / "area_votes.parquet")


def row(election: str, year: int, level: str, code: str, party: str = "V") -> dict:
    """votes, valid, share (%) and count_status of one area, read from data/*.parquet."""
    totals, votes = _parquet()
    t = totals[(totals.election == election) & (totals.year == year) & (totals.level == level)
               & (totals.area_code == code)].iloc[0]
    v = votes[(votes.election == election) & (votes.year == year) & (votes.level == level)
              & (votes.area_code == code) & (votes.party == party)]
    n = int(v["votes"].iloc[0]) if len(v) else None
    share = 100 * n / int(t.valid_votes) if n is not None else None
    return {"votes": n, "valid": int(t.valid_votes), "share": share, "count_status": t.count_status,
            "name": t.area_name}


def share_txt(election: str, year: int, level: str, code: str, party: str = "V") -> str:
    return fmt.pct(row(election, year, level, code, party)["share"])


def change_txt(election: str, a: int, b: int, level: str, code: str, party: str = "V") -> str:
    return fmt.pp(row(election, b, level, code, party)["share"] - row(election, a, level, code, party)["share"])


def municipality_changes(election: str, a: int, b: int, party: str = "V") -> pd.DataFrame:
    """share_from/to, change and count status per municipality, from the Parquet files."""
    totals, _ = _parquet()
    codes = sorted(totals[(totals.level == "municipality") & (totals.county_code == "01")].area_code.unique())
    out = []
    for code in codes:
        f, t = row(election, a, "municipality", code, party), row(election, b, "municipality", code, party)
        out.append({"kommunkod": code, "kommun": t["name"], "share_to": t["share"],
                    "change": t["share"] - f["share"], "prel": "preliminary" in (f["count_status"], t["count_status"])})
    return pd.DataFrame(out)


# --- Översikt ------------------------------------------------------------------------------


AREAS = {
    "county": f"Riksdagsval – {state.COUNTY_FULL}",
    "city": f"Riksdagsval – {state.VALKRETS_CITY_SHORT}",
    "rest": f"Riksdagsval – {state.VALKRETS_REST_SHORT}",
    "region": f"Regionval – {state.REGION_FULL}",
    "kommun": f"Kommunval – {state.KOMMUN_SUM}",
}


def test_oversikt_default_is_2022_to_2026():
    at = run_page("pages/oversikt.py")
    assert at.segmented_control(key="period").value == "2022-2026"
    m = metrics(at)
    # 2026 riksdag, valkrets 01: 85 059 / 652 543 = 13,035 %; 2022: 71 171 / 606 754
    assert m[AREAS["city"]] == ("13,04 %", "+1,31 p.e. (2022 → 2026)")
    assert m[AREAS["rest"]] == (share_txt("riksdag", 2026, "riksdag_valkrets", "02"),
                                change_txt("riksdag", 2022, 2026, "riksdag_valkrets", "02") + " (2022 → 2026)")
    assert m[AREAS["county"]][0] == share_txt("riksdag", 2026, "county", "01")
    # Region Stockholm 2026 (final, the 12 constituencies): 184 237 / 1 553 723 = 11,86 %
    assert m[AREAS["region"]] == ("11,86 %", "+0,28 p.e. (2022 → 2026)")
    assert m[AREAS["kommun"]][0] == share_txt("kommun", 2026, "county", "01")
    assert "finns inte i data" not in texts(at)

    # How many municipalities went up, per election, and how many of them rest on election night.
    counts = table_with(at, "Upp (antal kommuner)").set_index("Val")
    for election, label in state.ELECTION_LABEL.items():
        ch = municipality_changes(election, 2022, 2026)
        assert counts.loc[label, "Upp (antal kommuner)"] == int((ch.change > 0).sum())
        assert counts.loc[label, "Ned (antal kommuner)"] == int((ch.change < 0).sum())
        assert counts.loc[label, "Varav preliminärt räknade, valnatten (antal kommuner)"] == int(ch.prel.sum())
    n_prel = int(municipality_changes("region", 2022, 2026).prel.sum())
    assert n_prel == 25  # every municipality but Stockholm city: election night
    spec = next(s for s in plotly_specs(at) if s["data"][0].get("orientation") == "h")
    assert f"Regionval ({n_prel} av 26 preliminärt)" in spec["data"][0]["y"]
    body = texts(at)
    assert "Regionvalet 2026 i 25 av 26 kommuner (alla utom Stockholm)." in body  # beside the counts

    # Gained in all three elections: every such municipality listed, its region figure marked.
    all_changes = {e: municipality_changes(e, 2022, 2026).set_index("kommun") for e in state.ELECTIONS}
    up_all = [k for k in all_changes["kommun"].index if all(all_changes[e].loc[k, "change"] > 0 for e in state.ELECTIONS)]
    assert up_all and "Stockholm" not in up_all
    for kommun in up_all:
        region = all_changes["region"].loc[kommun, "change"]
        assert f"region {fmt.pp(region)} (preliminärt)" in body, kommun


def test_oversikt_rankings_per_election():
    at = run_page("pages/oversikt.py")
    body = texts(at)
    # Kommunval 2026 (final): the highest share is Stockholm, 95 823 / 659 238
    assert "**Högst andel**: 1. Stockholm 14,54 %" in body
    region = municipality_changes("region", 2022, 2026).sort_values("change", ascending=False)
    top = region.iloc[0]
    # how many of the three in a region list rest on election night, and which
    assert re.search(r"\*\*Störst ökning\*\* – \d av 3 preliminärt \(valnatten\): 1\. "
                     + re.escape(f"{top.kommun} {fmt.pp(top.change)} (preliminärt)"), body)
    gained = region[region.change > 0]
    assert f"**Ökade** ({len(gained)} kommuner): " + ", ".join(gained.kommun) in body


def test_oversikt_old_link_2018_2022():
    at = run_page("pages/oversikt.py", period="2018-2022")
    m = metrics(at)
    # riksdag 2022, valkrets 01 = Stockholms kommun: 71 171 / 606 754; 2018: 80 217 / 611 206
    assert m[AREAS["city"]] == ("11,73 %", "−1,39 p.e. (2018 → 2022)")
    # valkrets 02 = the county without Stockholm city: 51 623 / 822 512
    assert m[AREAS["rest"]] == ("6,28 %", "−0,65 p.e. (2018 → 2022)")
    assert m[AREAS["county"]][0] == "8,59 %"
    assert m[AREAS["region"]] == ("11,58 %", "+1,01 p.e. (2018 → 2022)")
    body = texts(at)
    assert "**Järfälla**: riksdag +0,38 p.e., region +1,29 p.e., kommun +1,88 p.e." in body
    assert "**Österåker**: riksdag −1,26 p.e., region −0,03 p.e., kommun −0,40 p.e." in body
    assert "preliminärt" not in body.replace("Preliminärt", "")  # 2018 and 2022 are final
    counts = table_with(at, "Upp (antal kommuner)").set_index("Val")
    assert counts.loc["Riksdagsval", "Ned (antal kommuner)"] == 23
    assert counts.loc["Kommunval", "Upp (antal kommuner)"] == 23


def test_oversikt_other_party():
    at = run_page("pages/oversikt.py", parti="Moderaterna")
    assert metrics(at)[AREAS["city"]][0] == share_txt("riksdag", 2026, "riksdag_valkrets", "01", "M")
    assert "Moderaternas andel" in texts(at)


def test_areas_have_unambiguous_names():
    """"Stockholms län" alone meant the county on one page (8,59 %) and the constituency without
    Stockholm city on another (6,28 %): each now has its own name, on every page."""
    overview = metrics(run_page("pages/oversikt.py", period="2018-2022"))
    assert overview[f"Riksdagsval – {state.COUNTY_FULL}"][0] == "8,59 %"
    assert overview[AREAS["rest"]][0] == "6,28 %"
    assert not [label for label in overview if label.endswith("Stockholms län")]
    # the full names are in the cards' help and on the other pages
    helps = {m.label: m.help for m in run_page("pages/oversikt.py").metric}
    assert helps[AREAS["rest"]].startswith(state.VALKRETS_REST) and helps[AREAS["city"]].startswith(state.VALKRETS_CITY)
    at = run_page("pages/jamfor.py", period="2018-2022", kommuner=["Botkyrka", "Solna"])
    table = table_with(at, "Val")
    ref = table[(table["Kommun"] == state.COUNTY_REFERENCE) & (table["Val"] == "Riksdagsval")].iloc[0]
    assert round(ref["Andel 2022 (%)"], 2) == 8.59
    assert state.COUNTY_REFERENCE in plotly_specs(at)[0]["data"][0]["y"]
    assert set(table["Kommun"]) == {"Botkyrka", "Solna", state.COUNTY_REFERENCE}
    kommuner = metrics(run_page("pages/kommuner.py", val="Riksdagsval", period="2018-2022"))
    assert kommuner[f"{state.COUNTY_FULL}, riksdagsval 2022"][0] == "8,59 %"
    assert "utan Stockholms stad" in state.VALKRETS_REST and "hela länet" in state.COUNTY_FULL


# --- Kommuner ------------------------------------------------------------------------------


def test_kommuner_default_is_kommunval_2022_2026():
    at = run_page("pages/kommuner.py")
    ch = municipality_changes("kommun", 2022, 2026)
    m = metrics(at)
    assert m["Kommuner som ökade"][0] == f"{int((ch.change > 0).sum())} av 26"
    assert m[f"{state.COUNTY_FULL}, kommunval 2026"][0] == share_txt("kommun", 2026, "county", "01")
    assert "Preliminärt räknade (valnatten)" not in m  # the kommun election 2026 is final
    table = at.dataframe[0].value.set_index("Kommun")
    assert table.loc["Stockholm", "Röster 2026 (antal)"] == 95_823
    for kommun in ("Botkyrka", "Sigtuna", "Vaxholm"):  # outside Stockholm city
        code = ch.set_index("kommun").loc[kommun, "kommunkod"]
        assert table.loc[kommun, "Röster 2026 (antal)"] == row("kommun", 2026, "municipality", code)["votes"]
        assert table.loc[kommun, "Andel 2026 (%)"] == pytest.approx(ch.set_index("kommun").loc[kommun, "share_to"])
    assert "Räkning 2026" not in table.columns
    # the 2026 seats beside the change (V in Stockholm: 15 of 101, official)
    assert table.loc["Stockholm", "Mandat 2026 (antal)"] == 15
    body = texts(at)
    assert "1. Stockholm: 14,54 %" in body
    top = ch.sort_values("change", ascending=False).iloc[0]
    assert f"1. {top.kommun}: {fmt.pp(top.change)}" in body
    marked = at.selectbox(key="kommun")
    assert marked.index == 0 and marked.options[:2] == ["Ingen", "Botkyrka"] and len(marked.options) == 27


def test_kommuner_link_to_valdistrikt_keeps_the_election():
    at = run_page("pages/kommuner.py", kommun="Botkyrka")  # kommunval: this page's default
    link = next(p for p in at.get("page_link") if p.value == "Valdistrikten i Botkyrka")
    assert "val=Kommunval" in link.proto.query_string and "kommun=Botkyrka" in link.proto.query_string


def test_kommuner_old_link_2018_2022():
    at = run_page("pages/kommuner.py", period="2018-2022")
    m = metrics(at)
    assert m["Kommuner som ökade"][0] == "23 av 26"
    assert m[f"{state.COUNTY_FULL}, kommunval 2022"][0] == "10,45 %"
    body = texts(at)
    # Stockholm city, kommunval 2022: 94 115 V votes
    assert "1. Stockholm: 15,37 %" in body
    assert "1. Österåker: −0,40 p.e." in body
    table = at.dataframe[0].value.set_index("Kommun")
    assert table.loc["Stockholm", "Röster 2022 (antal)"] == 94115
    # no electorate for kommunval 2018: missing, never 0
    assert table["Valdeltagande 2018 (%)"].isna().all()
    assert "antal röstberättigade saknas" in body


def test_kommuner_deep_link_riksdag():
    at = run_page("pages/kommuner.py", val="Riksdagsval")
    assert at.segmented_control(key="val").value == "riksdag"
    ch = municipality_changes("riksdag", 2022, 2026)
    m = metrics(at)
    assert m["Kommuner som ökade"][0] == f"{int((ch.change > 0).sum())} av 26"
    assert m[f"{state.COUNTY_FULL}, riksdagsval 2026"][0] == share_txt("riksdag", 2026, "county", "01")
    table = at.dataframe[0].value.set_index("Kommun")
    assert table.loc["Stockholm", "Röster 2026 (antal)"] == 85_059  # = riksdagsvalkrets 01
    assert table.loc["Solna", "Röster 2026 (antal)"] == row("riksdag", 2026, "municipality", "0184")["votes"]


def test_kommuner_region_2026_says_what_is_preliminary_and_marked_kommun():
    at = run_page("pages/kommuner.py", val="Regionval", kommun="Botkyrka")
    assert at.selectbox(key="kommun").value == "0127"
    m = metrics(at)
    # the whole region is final: 184 237 / 1 553 723
    assert m[f"{state.COUNTY_FULL}, regionval 2026"] == ("11,86 %", "+0,28 p.e. (2022 → 2026)")
    # ... the municipalities outside Stockholm city only as counted on election night
    assert m["Preliminärt räknade (valnatten)"][0] == "25 av 26"
    body = texts(at)
    assert "Regionval 2026: 25 av 26 kommuner är preliminärt räknade (valnatten)" in body
    assert "Regionvalet 2026 i 25 av 26 kommuner (alla utom Stockholm)." in body
    assert re.search(r"\*\*Störst ökning\*\* – \d av 5 preliminärt \(valnatten\)", body)
    table = at.dataframe[0].value.set_index("Kommun")
    assert table.loc["Botkyrka", "Räkning 2026"] == "preliminär (valnatten)"
    assert table.loc["Stockholm", "Räkning 2026"] == "slutlig"
    assert table.loc["Botkyrka", "Andel 2026 (%)"] == pytest.approx(row("region", 2026, "municipality", "0127")["share"])
    assert "**Vald kommun: Botkyrka**" in body
    assert "Valdistrikten i Botkyrka" in {p.value for p in at.get("page_link")}


def test_kommuner_local_party():
    at = run_page("pages/kommuner.py", parti="Nackalistan")
    table = at.dataframe[0].value.set_index("Kommun")
    # Nackalistan, kommunval 2022 in Nacka: 7 567 votes (PROVENANCE §12)
    assert table.loc["Nacka", "Röster 2022 (antal)"] == 7567
    assert table.loc["Nacka", "Röster 2026 (antal)"] == row("kommun", 2026, "municipality", "0182", "NL")["votes"]
    assert "1. Nacka:" in texts(at)


# --- Jämför --------------------------------------------------------------------------------


def test_jamfor_default_four_largest_2026():
    at = run_page("pages/jamfor.py")
    assert at.multiselect(key="kommuner").value == ["0180", "0126", "0182", "0181"]
    table = at.dataframe[0].value
    assert len(table) == 15  # 4 municipalities + the county, three elections
    get = table.set_index(["Kommun", "Val"])
    assert round(get.loc[("Stockholm", "Riksdagsval"), "Andel 2026 (%)"], 2) == 13.04
    assert get.loc[("Huddinge", "Kommunval"), "Andel 2026 (%)"] == pytest.approx(
        row("kommun", 2026, "municipality", "0126")["share"])
    assert get.loc[("Södertälje", "Regionval"), "Räkning 2026"] == "preliminär (valnatten)"
    assert get.loc[("Stockholm", "Regionval"), "Räkning 2026"] == "slutlig"
    assert "Regionvalet 2026 i 3 av 4 kommuner (alla utom Stockholm)." in texts(at)
    # the region panel marks the municipalities counted on election night beside their names
    riksdag, region = plotly_specs(at)[0]["data"][:2]
    assert region["y"][:4] == ["Stockholm", "Huddinge (prel.)", "Nacka (prel.)", "Södertälje (prel.)"]
    assert riksdag["y"][:4] == ["Stockholm", "Huddinge", "Nacka", "Södertälje"]
    assert region["text"][3] == fmt.pct(row("region", 2026, "municipality", "0181")["share"])


def test_jamfor_old_link_change_without_county():
    at = run_page(
        "pages/jamfor.py", kommuner=["Botkyrka", "Sundbyberg"], jmf="Förändring", lanet="false", period="2018-2022"
    )
    assert at.multiselect(key="kommuner").value == ["0127", "0183"]
    assert at.toggle(key="lanet").value is False
    table = at.dataframe[0].value
    assert set(table["Kommun"]) == {"Botkyrka", "Sundbyberg"}
    riksdag = plotly_specs(at)[0]["data"][0]
    assert riksdag["y"] == ["Botkyrka", "Sundbyberg"]
    assert riksdag["text"] == ["+0,48 p.e.", "−0,13 p.e."]
    # the chart's caption describes no reference bar that is not there (issue 18)
    captions = " ".join(c.value for c in at.caption)
    assert "Förändring 2018 → 2022 (p.e.) per kommun, ett diagram per val. Värdet står vid varje stapel." in captions
    assert "streckade stapeln" not in captions and "referens" not in captions
    at = run_page("pages/jamfor.py", kommuner=["Botkyrka", "Sundbyberg"], jmf="Förändring", period="2018-2022")
    assert f"{state.COUNTY_FULL} är den mörka streckade stapeln märkt ”referens”." in " ".join(c.value for c in at.caption)


def test_jamfor_deep_link_2026_turnout():
    at = run_page("pages/jamfor.py", kommuner=["Stockholm", "Solna"], jmf="Valdeltagande")
    riksdag = plotly_specs(at)[0]["data"][0]
    # 2026 riksdag per municipality: Stockholm 657 346 / 765 741 = 85,84 %, Solna 53 716 / 63 042 = 85,21 %
    assert riksdag["text"][:2] == ["85,84 %", "85,21 %"]
    assert "finns bara per riksdagsvalkrets" not in texts(at)


# --- Valdistrikt ---------------------------------------------------------------------------


@lru_cache(maxsize=1)
def geometry_codes() -> frozenset[str]:
    geo = json.loads((DATA / "geo" / "valdistrikt_01_2022.geojson").read_text(encoding="utf-8"))
    return frozenset(f["properties"]["district_code"] for f in geo["features"])


def districts(year: int, kommunkod: str) -> pd.DataFrame:
    totals, _ = _parquet()
    return totals[(totals.election == "riksdag") & (totals.year == year) & (totals.level == "district")
                  & (totals.kommunkod == kommunkod) & ~totals.is_collection]


def test_valdistrikt_default_has_data_riksdag_2022_2026():
    at = run_page("pages/valdistrikt.py")
    assert at.selectbox(key="kommun").value == "0180"
    assert at.segmented_control(key="val").value == "riksdag"
    assert at.segmented_control(key="period").value == "2022-2026"
    body = texts(at)
    assert "Riksdagsvalet 2026 per valdistrikt är valnattens preliminära räkning" in body
    with pytest.raises(KeyError):  # nothing to offer: this view has district results both years
        at.get_by_key("valdistrikt_narmast")
    d26, d22 = districts(2026, "0180"), districts(2022, "0180")
    same = set(d26.area_code) & set(d22.area_code)
    assert f"{len(same)} av {len(d26)} valdistrikt 2026 fanns med samma kod 2022 och jämförs" in body
    table = at.dataframe[0].value.set_index("Kod")
    # 2026 columns are marked preliminary (downloads carry the header); no turnout for 2026
    first = d26.sort_values("area_code").iloc[0].area_code
    assert table.loc[first, "Andel 2026, preliminärt (%)"] == pytest.approx(
        row("riksdag", 2026, "district", first)["share"])
    assert "Valdeltagande 2026, preliminärt (%)" not in table.columns
    assert table["Andel 2026, preliminärt (%)"].notna().sum() == len(d26)


def test_valdistrikt_matched_unmatched_and_renamed_sundbyberg():
    at = run_page("pages/valdistrikt.py", kommun="Sundbyberg")
    d26, d22 = districts(2026, "0183"), districts(2022, "0183")
    same = set(d26.area_code) & set(d22.area_code)
    new, gone = set(d26.area_code) - same, set(d22.area_code) - same
    with_numbers = {c for c in same if pd.notna(d26.set_index("area_code").loc[c, "valid_votes"])}
    renamed = {c for c in same if d26.set_index("area_code").loc[c, "area_name"].casefold()
               != d22.set_index("area_code").loc[c, "area_name"].casefold()}
    m = metrics(at)
    assert m["Jämförs (samma kod båda åren)"][0] == f"{len(with_numbers)} av {len(d26)}"
    assert m["Ny kod 2026 (jämförs inte)"][0] == str(len(new))
    assert m["Fanns bara 2022"][0] == str(len(gone))
    assert m["Samma kod, nytt namn"][0] == str(len(renamed))
    table = at.dataframe[0].value.set_index("Kod")
    # same code, new name: compared, but flagged (boundaries may have changed)
    assert table.loc["01830101", "Valdistrikt"] == "Lilla Alby Östra"
    assert "hette distriktet ”Lilla Alby 1”" in table.loc["01830101", "Jämförelse"]
    assert pd.notna(table.loc["01830101", "Förändring 2022–2026 (p.e.)"])
    # the result the source gives twice: counted once, both districts say so
    body = texts(at)
    assert "01830129" in body and "saknar egna siffror" in body
    assert pd.isna(table.loc["01830129", "Andel 2026, preliminärt (%)"])
    assert "samma siffror" in table.loc["01830127", "Anmärkning"]
    assert table.loc["01830129", "Jämförelse"] == "ingen jämförelse – se anmärkningen"


def test_valdistrikt_2026_on_the_2022_map_and_how_many_are_not_drawn():
    at = run_page("pages/valdistrikt.py", kommun="Täby")
    d26 = districts(2026, "0160")
    drawn = set(d26.area_code) & geometry_codes()
    not_drawn = set(d26.area_code) - geometry_codes()
    assert not_drawn  # Täby was redistricted
    body = texts(at)
    assert f"{len(not_drawn)} av {len(d26)} valdistrikt 2026 har en kod som inte finns på kartan" in body
    assert "kartan har 2022 års gränser" in body
    spec = plotly_specs(at)[0]
    assert {loc for trace in spec["data"] for loc in trace.get("locations", [])} == drawn
    table = at.dataframe[0].value
    assert not_drawn <= set(table["Kod"])  # listed even though they cannot be drawn


def test_valdistrikt_offers_the_nearest_choice_with_data():
    at = run_page("pages/valdistrikt.py", val="Kommunval", kommun="Solna")
    offer = at.get_by_key("valdistrikt_narmast")
    text = " ".join(m.value for m in offer.markdown)
    assert "Kommunvalet 2026 finns inte per valdistrikt" in text and "riksdagsvalet 2022 → 2026" in text
    # the districts of 2022 are shown meanwhile, without a column of "uppgift saknas" for 2026
    table = at.dataframe[0].value
    assert "Andel 2022 (%)" in table.columns and not [c for c in table.columns if "2026" in c]
    at.button(key="valdistrikt_byt").click().run()
    assert at.segmented_control(key="val").value == "riksdag"
    assert at.segmented_control(key="period").value == "2022-2026"
    assert "Andel 2026, preliminärt (%)" in at.dataframe[0].value.columns
    with pytest.raises(KeyError):
        at.get_by_key("valdistrikt_narmast")

    # The old first view (kommunval 2018 → 2022): no 2018 districts; offer the riksdag election.
    at = run_page("pages/valdistrikt.py", val="Kommunval", period="2018-2022")
    text = " ".join(m.value for m in at.get_by_key("valdistrikt_narmast").markdown)
    assert "Kommunvalet 2018 finns inte per valdistrikt" in text and "riksdagsvalet 2018 → 2022" in text
    table = at.dataframe[0].value
    assert not [c for c in table.columns if "2018" in c]  # no page of "uppgift saknas"
    first = table.set_index("Kod").loc["01800101"]
    assert round(first["Andel 2022 (%)"], 2) == 13.08


def test_valdistrikt_old_link_comparison():
    at = run_page("pages/valdistrikt.py", kommun="Upplands Väsby", val="Riksdagsval", visa="Förändring",
                  period="2018-2022")
    body = texts(at)
    assert "25 av 28 valdistrikt 2022 fanns med samma kod 2018 och jämförs" in body
    table = at.dataframe[0].value.set_index("Kod")
    assert round(table.loc["01140101", "Förändring 2018–2022 (p.e.)"], 2) == -2.71
    assert "ändrades med +50 %" in table.loc["01140120", "Jämförelse"]
    assert "samma namn hade 2018 koden 01140205" in table.loc["01140231", "Jämförelse"]


def test_valdistrikt_redrawn_2018_2022():
    at = run_page("pages/valdistrikt.py", kommun="Botkyrka", val="Riksdagsval", visa="Förändring",
                  period="2018-2022")
    body = texts(at)
    assert "Inget av de 51 valdistrikten 2022 har samma kod som 2018" in body
    assert "Förändring kan inte visas för de här åren" in body


def test_valdistrikt_turnout_2026_falls_back_to_share():
    at = run_page("pages/valdistrikt.py", kommun="Solna", visa="Valdeltagande")
    assert "Valdeltagande kan inte visas för 2026" in texts(at)
    assert plotly_specs(at)[0]["data"][-1]["colorbar"]["title"]["text"] == "Andel 2026 (%)"


# --- Utskrift and meeting mode ---------------------------------------------------------------


def test_utskrift_default_2026_with_preliminary_region_and_2026_seats():
    at = run_page("pages/utskrift.py", kommun="Botkyrka")
    assert [t.value for t in at.title] == ["Botkyrka: Vänsterpartiet 2022 → 2026"]
    # shown with a row per measure, a column per election, figures with no-break spaces
    table = at.table[0].value.T.replace("\u00a0", " ", regex=True)
    assert table.loc["Kommunval", "Andel 2026"] == share_txt("kommun", 2026, "municipality", "0127")
    assert table.loc["Riksdagsval", "Andel 2026"] == share_txt("riksdag", 2026, "municipality", "0127")
    # Botkyrka's region figures are election night: the row says so, and so does its rank
    assert table.loc["Regionval (prel.)", "Andel 2026"] == share_txt("region", 2026, "municipality", "0127")
    assert table.loc["Regionval (prel.)", "Hela länet 2026"] == "11,86 %"  # the region itself is final
    assert table.loc["Regionval (prel.)", "Plats i länet (förändring)"].endswith("(prel.)")
    body = texts(at)
    assert "(prel.) = valnattens preliminära räkning (i regionvalet 25 av 26 kommuner)" in body
    # Stockholm city's own region figure is final, but its rank is among 25 preliminary ones
    sthlm = run_page("pages/utskrift.py", kommun="Stockholm").table[0].value.T.replace("\u00a0", " ", regex=True)
    assert "Regionval" in sthlm.index and sthlm.loc["Regionval", "Plats i länet (förändring)"].endswith("(prel.)")
    seats = db.execute("seat_margins", {"election": "kommun", "year": 2026, "party": "V"}).set_index("area").loc["0127"]
    assert (f"Kommunfullmäktige 2026: **{seats['seats']} av {seats['council_size']} mandat**. "
            f"{fmt.integer(seats['votes_to_next_seat'])} röster till ett mandat till; sista mandatet vanns med "
            f"{fmt.integer(seats['margin_on_last_seat'])} rösters marginal.") in body
    assert "underlag inför valet 2030" in body


def test_meeting_screens_default_2026():
    at = run_page("pages/oversikt.py", mote="1")
    values = [m.value for m in at.markdown]
    assert values[:2] == ["Vänsterpartiet · Regionvalet 2026 · Region Stockholm (hela länet)", "11,86 %"]
    at = run_page("pages/oversikt.py", mote="1", skarm="2")  # the region election per municipality
    values = [m.value for m in at.markdown]
    assert values[1].startswith("Upp i") and "Preliminärt, valnatten" in values[3] and "25 av 26 kommuner" in values[3]
    at = run_page("pages/kommuner.py", mote="1", kommun="Botkyrka", skarm="2")
    seats = db.execute("seat_margins", {"election": "kommun", "year": 2026, "party": "V"}).set_index("area").loc["0127"]
    values = [m.value for m in at.markdown]
    assert values[:2] == ["Vänsterpartiet · Botkyrka · kommunfullmäktige 2026",
                          f"{seats['seats']} av {seats['council_size']} mandat"]


# --- Om data -------------------------------------------------------------------------------


def test_om_data():
    at = run_page("pages/om_data.py")
    body = texts(at)
    assert re.search(r"Data byggdes \*\*\d{4}-\d{2}-\d{2}", body)
    assert "länet utom Stockholms stad" in body
    coverage = table_with(at, "Antal områden")
    row26 = coverage[(coverage["Val"] == "Riksdagsval") & (coverage["År"] == 2026) & (coverage["Nivå"] == "Kommun")]
    assert int(row26["Antal områden"].iloc[0]) == 26
    region = coverage[(coverage["Val"] == "Regionval") & (coverage["År"] == 2026) & (coverage["Nivå"] == "Kommun")]
    assert int(region["Varav preliminärt räknade (antal områden)"].iloc[0]) == 25


def test_om_data_names_each_2026_source_with_commit_count_and_replacement():
    at = run_page("pages/om_data.py")
    copies = table_with(at, "Commit")
    info = json.loads((DATA / "build_info.json").read_text(encoding="utf-8"))
    origin = {s["id"]: s for s in info["sources"] if s.get("origin_commit")}
    assert set(copies["Källa"]) == set(origin)
    for r in copies.itertuples():
        assert r[copies.columns.get_loc("Commit") + 1] == origin[r.Källa]["origin_commit"]
    status = copies.set_index("Källa")["Räkning"]
    assert status["willrydh_kfrf2026_preliminar"] == "preliminär (valnatten)"
    assert status["rykatkin_kfrf2026_slutlig"] == "slutlig"
    body = texts(at)
    assert "De ersätts av Valmyndighetens egna resultatfiler när de importeras" in body
    assert "Kontroller:" in body  # each source's checks, from data/SOURCES.md
    assert "slutliga resultat" not in body
    notes = table_with(at, "Anmärkning")
    assert {"01830127", "01830129"} <= set(notes["Kod"])
