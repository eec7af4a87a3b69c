"""AppTest runs of every page: the default URL and deep links with non-default parameters.

Expected numbers are official results (SCB/Valmyndigheten) formatted the Swedish way, e.g.
V in Stockholms kommun, riksdagsvalet 2022: 71 171 / 606 754 = 11,73 %.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


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


# --- Översikt ------------------------------------------------------------------------------


def test_oversikt_default():
    at = run_page("pages/oversikt.py")
    m = metrics(at)
    # riksdag 2022, valkrets 01 = Stockholms kommun: 71 171 / 606 754; 2018: 80 217 / 611 206
    assert m["Riksdagsval – Stockholms kommun"] == ("11,73 %", "−1,39 p.e. (2018 → 2022)")
    # valkrets 02 = the county without Stockholm city: 51 623 / 822 512
    assert m["Riksdagsval – Stockholms län"] == ("6,28 %", "−0,65 p.e. (2018 → 2022)")
    assert m["Regionval – Region Stockholm"] == ("11,58 %", "+1,01 p.e. (2018 → 2022)")
    body = texts(at)
    assert "**Järfälla**: riksdag +0,38 p.e., region +1,29 p.e., kommun +1,88 p.e." in body
    assert "**Österåker**: riksdag −1,26 p.e., region −0,03 p.e., kommun −0,40 p.e." in body
    counts = at.dataframe[0].value
    assert counts.set_index("Val").loc["Riksdagsval", "Ned (antal kommuner)"] == 23
    assert counts.set_index("Val").loc["Kommunval", "Upp (antal kommuner)"] == 23


def test_oversikt_2026_in_every_election():
    at = run_page("pages/oversikt.py", period="2022-2026")
    m = metrics(at)
    # 2026 riksdag, valkrets 01: 85 059 / 652 543 = 13,035 %
    assert m["Riksdagsval – Stockholms kommun"] == ("13,04 %", "+1,31 p.e. (2022 → 2026)")
    # valkrets 02: 71 843 / 887 078 = 8,10 %
    assert m["Riksdagsval – Stockholms län"][0] == "8,10 %"
    # Region Stockholm 2026 (final, the 12 constituencies): 184 237 / 1 553 723 = 11,86 %
    assert m["Regionval – Region Stockholm"] == ("11,86 %", "+0,28 p.e. (2022 → 2026)")
    assert m["Kommunval – alla 26 kommuner"][0] != "uppgift saknas"
    assert "finns inte i data" not in texts(at)


def test_oversikt_other_party():
    at = run_page("pages/oversikt.py", parti="Moderaterna")
    # M, riksdag 2022, Stockholms kommun: 115 706 / 606 754
    assert metrics(at)["Riksdagsval – Stockholms kommun"][0] == "19,07 %"
    assert "Moderaternas andel" in texts(at)


# --- Kommuner ------------------------------------------------------------------------------


def test_kommuner_default_is_kommunval_2018_2022():
    at = run_page("pages/kommuner.py")
    m = metrics(at)
    assert m["Kommuner som ökade"][0] == "23 av 26"
    assert m["Hela länet, kommunval 2022"][0] == "10,45 %"
    body = texts(at)
    # Stockholm city, kommunval 2022: 94 115 V votes
    assert "1. Stockholm: 15,37 %" in body
    assert "1. Österåker: −0,40 p.e." in body
    table = at.dataframe[0].value.set_index("Kommun")
    assert table.loc["Stockholm", "Röster 2022 (antal)"] == 94115
    # no electorate for kommunval 2018: missing, never 0
    assert table["Valdeltagande 2018 (%)"].isna().all()
    assert "antal röstberättigade saknas" in body
    marked = at.selectbox(key="kommun")
    assert marked.index == 0 and marked.options[:2] == ["Ingen", "Botkyrka"] and len(marked.options) == 27


def test_kommuner_deep_link_riksdag():
    at = run_page("pages/kommuner.py", val="Riksdagsval")
    assert at.segmented_control(key="val").value == "riksdag"
    m = metrics(at)
    assert m["Kommuner som ökade"][0] == "3 av 26"
    assert m["Hela länet, riksdagsval 2022"][0] == "8,59 %"
    assert "1. Stockholm: 11,73 %" in texts(at)
    table = at.dataframe[0].value.set_index("Kommun")
    assert table.loc["Stockholm", "Röster 2022 (antal)"] == 71171


def test_kommuner_deep_link_region_2026_and_marked_kommun():
    at = run_page("pages/kommuner.py", val="Regionval", period="2022-2026", kommun="Botkyrka")
    assert at.selectbox(key="kommun").value == "0127"
    # the region election per municipality is election-night (preliminary) outside Stockholm city
    assert "Regionval 2026 är preliminärt räknat." in texts(at)
    m = metrics(at)
    assert m["Hela länet, regionval 2026"] == ("11,86 %", "+0,28 p.e. (2022 → 2026)")
    assert "Uppgift saknas" not in m
    assert "**Vald kommun: Botkyrka**" in texts(at)
    links = {p.value for p in at.get("page_link")}
    assert "Valdistrikten i Botkyrka" in links


def test_kommuner_local_party():
    at = run_page("pages/kommuner.py", parti="Nackalistan")
    table = at.dataframe[0].value.set_index("Kommun")
    # Nackalistan, kommunval 2022 in Nacka: 7 567 votes (PROVENANCE §12)
    assert table.loc["Nacka", "Röster 2022 (antal)"] == 7567
    assert "1. Nacka:" in texts(at)


# --- Jämför --------------------------------------------------------------------------------


def test_jamfor_default_four_largest():
    at = run_page("pages/jamfor.py")
    assert at.multiselect(key="kommuner").value == ["0180", "0126", "0182", "0181"]
    table = at.dataframe[0].value
    assert len(table) == 15  # 4 municipalities + the county, three elections
    row = table[(table["Kommun"] == "Stockholm") & (table["Val"] == "Riksdagsval")].iloc[0]
    assert round(row["Andel 2022 (%)"], 2) == 11.73


def test_jamfor_deep_link_change_without_county():
    at = run_page(
        "pages/jamfor.py", kommuner=["Botkyrka", "Sundbyberg"], jmf="Förändring", lanet="false"
    )
    assert at.multiselect(key="kommuner").value == ["0127", "0183"]
    assert at.toggle(key="lanet").value is False
    table = at.dataframe[0].value
    assert set(table["Kommun"]) == {"Botkyrka", "Sundbyberg"}
    spec = plotly_specs(at)[0]
    riksdag = spec["data"][0]
    assert riksdag["y"] == ["Botkyrka", "Sundbyberg"]
    assert riksdag["text"] == ["+0,48 p.e.", "−0,13 p.e."]


def test_jamfor_deep_link_2026_turnout():
    at = run_page("pages/jamfor.py", kommuner=["Stockholm", "Solna"], period="2022-2026", jmf="Valdeltagande")
    spec = plotly_specs(at)[0]
    riksdag = spec["data"][0]
    # 2026 riksdag per municipality: Stockholm 657 346 / 765 741 = 85,84 %, Solna 53 716 / 63 042 = 85,21 %
    assert riksdag["text"][:2] == ["85,84 %", "85,21 %"]
    assert "finns bara per riksdagsvalkrets" not in texts(at)


# --- Valdistrikt ---------------------------------------------------------------------------


def test_valdistrikt_default_stockholm_kommunval():
    at = run_page("pages/valdistrikt.py")
    assert at.selectbox(key="kommun").value == "0180"
    body = texts(at)
    assert "Det finns inga resultat per valdistrikt för 2018" in body
    table = at.dataframe[0].value
    # 1 378 geographic districts in the county, of which 586 + 12 rows (incl. collection) in 0180
    assert len(table) == 598
    first = table.set_index("Kod").loc["01800101"]
    assert round(first["Andel 2022 (%)"], 2) == 13.08


def test_valdistrikt_deep_link_comparison():
    at = run_page("pages/valdistrikt.py", kommun="Upplands Väsby", val="Riksdagsval", visa="Förändring")
    body = texts(at)
    assert "25 av 28 valdistrikt 2022 fanns med samma kod 2018 och jämförs" in body
    table = at.dataframe[0].value.set_index("Kod")
    assert round(table.loc["01140101", "Förändring 2018–2022 (p.e.)"], 2) == -2.71
    assert "ändrades med +50 %" in table.loc["01140120", "Jämförelse"]
    assert "samma namn hade 2018 koden 01140205" in table.loc["01140231", "Jämförelse"]


def test_valdistrikt_redrawn_and_2026():
    at = run_page("pages/valdistrikt.py", kommun="Botkyrka", val="Riksdagsval", visa="Förändring")
    body = texts(at)
    assert "Inget av de 51 valdistrikten 2022 har samma kod som 2018" in body
    assert "Förändring kan inte visas för de här åren" in body

    # 2026 riksdag districts (preliminary), compared where the 2022 code exists; no 2026 map
    at = run_page("pages/valdistrikt.py", kommun="Solna", val="Riksdagsval", period="2022-2026")
    body = texts(at)
    assert "45 av 46 valdistrikt 2026 fanns med samma kod 2022 och jämförs" in body
    assert "Riksdagsval 2026 är preliminärt räknat." in body


# --- Om data -------------------------------------------------------------------------------


def test_om_data():
    at = run_page("pages/om_data.py")
    body = texts(at)
    assert re.search(r"Data byggdes \*\*\d{4}-\d{2}-\d{2}", body)
    assert "länet utom Stockholms stad" in body
    coverage = at.dataframe[0].value
    row = coverage[(coverage["Val"] == "Riksdagsval") & (coverage["År"] == 2026) & (coverage["Nivå"] == "Kommun")]
    assert int(row["Antal områden"].iloc[0]) == 26
