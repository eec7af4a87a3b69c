"""The 2026 election from raw/found_2026 (build/found_2026.py): the sums each file implies, the
levels and count statuses the warehouse holds, and the checks against independent copies.

Tests named test_raw_* read ../shared (skipped only where it is absent, as in test_build.py); the
others read the committed data/ like test_warehouse.py.
"""
from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from dashboard.build import found_2026 as F
from dashboard.build.sources import sha256

from .conftest import first

RD8 = ["S", "M", "SD", "C", "V", "KD", "L", "MP"]


def one(q, sql, **p):
    return first(q(sql, p), q(sql, p).columns[0])


def totals(q, election, level, year=2026):
    return q("SELECT * FROM area_totals WHERE election=$e AND year=$y AND level=$l ORDER BY area_code",
             {"e": election, "y": year, "l": level})


def votes_of(q, election, level, year=2026):
    """{area_code: {party: votes}} for one election, year and level."""
    df = q("SELECT area_code, party, votes FROM area_votes WHERE election=$e AND year=$y AND level=$l",
           {"e": election, "y": year, "l": level})
    out: dict[str, dict[str, int]] = {}
    for r in df.itertuples():
        if pd.notna(r.votes):  # range counts (a few tiny parties in 2022) have no single value
            out.setdefault(r.area_code, {})[r.party] = int(r.votes)
    return out


def add(parts):
    total: dict[str, int] = {}
    for p in parts:
        for k, v in p.items():
            total[k] = total.get(k, 0) + v
    return total


@pytest.fixture(scope="module")
def raw(need_shared):
    return need_shared[0] / F.FOLDER


# ---------------------------------------------------------------------------- the files themselves

def test_raw_files_are_the_ones_the_provenance_describes(raw):
    """Each file's SHA-256 is the one in PROVENANCE_found_2026.md, and the repository commits
    written in code (for the files without metadata) are the ones the provenance names."""
    text = (raw / "PROVENANCE_found_2026.md").read_text(encoding="utf-8")
    table = dict(re.findall(r"^\| \d+ \| (\S+) \| [\d ]+ \| ([0-9a-f]{64}) \|$", text, flags=re.M))
    used = {f for s in F.SOURCES.values() for f in s["files"]} | {F.KF_PRELIM}
    assert used <= set(table)
    for name in used:
        assert sha256(raw / name) == table[name], name
    for info in F.SOURCES.values():
        if "commit" in info:
            assert info["commit"] in text and info["repository"] in text


def test_raw_riksdag_copies_agree(raw, need_shared):
    """kisabaka (municipalities, 01, 02, Sweden) and Bippen/PoliSim (29 constituencies) are two
    copies of the same final count: identical wherever both give a figure."""
    doc = json.loads((raw / F.RD_FINAL).read_text(encoding="utf-8"))
    parties = [p["abbr"] for p in doc["parties"]]
    bip = pd.read_csv(need_shared[0] / "bippen_polisim_riksdag2026_valkrets" / "valkrets_votes_2026.csv",
                      sep=";", comment="#")
    bip = bip.set_index("valkrets")

    def kis(area):
        return {**dict(zip(parties, area["votes"])), "valid": area["valid"], "eligible": area["electorate"],
                "cast": area["total"]}

    cols = ["valid", "eligible", "cast", *RD8]
    for name, area in (("Stockholms kommun", doc["valkretsar"]["01"]), ("Stockholms län", doc["valkretsar"]["02"])):
        k = kis(area)
        assert {c: int(bip.loc[name, c]) for c in cols} == {c: k[c] for c in cols}, name
    k = kis(doc["riket"])
    assert {c: int(bip[c].sum()) for c in cols} == {c: k[c] for c in cols}
    # every area: parties = valid, valid + invalid = total; the 25 municipalities = constituency 02
    areas = [doc["riket"], *doc["valkretsar"].values(), *doc["kommuner"].values()]
    for a in areas:
        assert sum(a["votes"]) == a["valid"] and a["valid"] + a["invalid"] == a["total"]
    for field in ("valid", "invalid", "total", "electorate"):
        assert sum(m[field] for m in doc["kommuner"].values()) == doc["valkretsar"]["02"][field]


def test_raw_willrydh_2022_comparison_equals_scb_2022(raw, q):
    """The preliminary files carry Valmyndigheten's own 2022 comparison: it must equal the SCB
    2022 district table summed per municipality (an independent check of both)."""
    scb = totals(q, "kommun", "municipality", 2022).set_index("area_code")
    scb_v = votes_of(q, "kommun", "municipality", 2022)
    kod = {"0001": "M", "0002": "S", "0003": "L", "0004": "C", "0005": "V", "0055": "MP", "0068": "KD", "0110": "SD"}
    doc = json.loads((raw / F.KF_PRELIM).read_text(encoding="utf-8"))
    assert len(doc["areas"]) == 26
    for a in doc["areas"]:
        prev, code = a["prev"], a["code"]
        assert (prev["valid"], prev["totalVotes"], prev["eligible"]) == (
            scb.loc[code, "valid_votes"], scb.loc[code, "votes_cast"], scb.loc[code, "eligible"]), code
        for p in prev["parties"]:
            if p[0] in kod:
                assert p[1] == scb_v[code][kod[p[0]]], (code, kod[p[0]])
    rf = json.loads((raw / F.RF_PRELIM).read_text(encoding="utf-8"))
    r22 = totals(q, "region", "municipality", 2022).set_index("area_code")
    for k in rf["kommuner"]:
        assert k["prev"]["valid"] == r22.loc[k["code"], "valid_votes"], k["code"]


def test_raw_final_kommun_votes_are_at_least_the_preliminary(raw, q):
    """Every party's final KF votes ≥ its election-night votes, except AFS in Stockholm
    (651 final vs 668 preliminary, PROVENANCE_found_2026.md (d)). Parties are matched by
    abbreviation, or by name where the two files abbreviate differently."""
    final = json.loads((raw / F.KFRF_FINAL).read_text(encoding="utf-8"))
    names = final["_meta"]["party_names"]
    by_name = {v.casefold(): k for k, v in names.items()}
    party_names = dict(q("SELECT party, name FROM parties").values.tolist())
    prelim = json.loads((raw / F.KF_PRELIM).read_text(encoding="utf-8"))
    lower = []
    for a in prelim["areas"]:
        fin = add(vk["votes"] for vk in final["KF"][a["code"]]["valkretsar"])
        valid = sum(vk["valid_votes"] for vk in final["KF"][a["code"]]["valkretsar"])
        assert 343 <= valid - a["valid"] <= 46_227, a["code"]
        for _, abbr, n, _seats in a["parties"]:
            key = abbr if abbr in fin else by_name.get(str(party_names.get(abbr, "")).casefold())
            assert key in fin, (a["code"], abbr)
            if fin[key] < n:
                lower.append((a["code"], abbr, fin[key], n))
    assert lower == [("0180", "AFS", 651, 668)]


def test_raw_region_preliminary_municipalities_sum_to_the_region(raw):
    doc = json.loads((raw / F.RF_PRELIM).read_text(encoding="utf-8"))
    region = doc["region"]
    for field in ("valid", "invalid", "totalVotes", "eligible", "other"):
        assert sum(k[field] for k in doc["kommuner"]) == region[field], field
    for k in doc["kommuner"]:
        assert sum(p[2] for p in k["parties"]) + k["other"] == k["valid"]


def test_raw_long_csv_copies_equal_the_json(raw):
    """The long CSVs are the same numbers as the JSON files the build reads."""
    final = json.loads((raw / F.KFRF_FINAL).read_text(encoding="utf-8"))
    csv = pd.read_csv(raw / F.KFRF_FINAL.replace("_EXCERPT.json", "_long.csv"), dtype={"area_code": str,
                                                                                        "valkrets_code": str})
    for r in csv.itertuples():
        vk = next(v for v in final[r.election][r.area_code]["valkretsar"] if v["kod"] == r.valkrets_code)
        assert vk["votes"][r.party] == r.votes and vk["valid_votes"] == r.valkrets_valid_votes
    assert len(csv) == sum(len(v["votes"]) for e in ("KF", "RF") for a in final[e].values()
                           for v in a["valkretsar"])


# ---------------------------------------------------------------------------- riksdag 2026

def test_riksdag_municipalities_sum_to_constituencies_and_county(q):
    m = totals(q, "riksdag", "municipality").set_index("area_code")
    assert len(m) == 26 and set(m.count_status) == {"final"} and set(m.source) == {F.SRC_RD}
    mv = votes_of(q, "riksdag", "municipality")
    kv = votes_of(q, "riksdag", "riksdag_valkrets")
    k = totals(q, "riksdag", "riksdag_valkrets").set_index("area_code")
    outside = [c for c in m.index if c != "0180"]
    assert add(mv[c] for c in outside) == kv["02"]
    assert mv["0180"] == kv["01"]
    for col in ("valid_votes", "votes_cast", "eligible"):
        assert m.loc[outside, col].sum() == k.loc["02", col]
        assert m[col].sum() == one(q, f"SELECT {col} FROM area_totals WHERE election='riksdag' AND year=2026 "
                                      "AND level='county' AND area_code='01'")
    assert add(mv.values()) == votes_of(q, "riksdag", "county")["01"]
    # the small parties are itemised (kisabaka) down to each municipality
    assert {"AfS", "KrVP", "PP", "ÖrP", "ÖVR"} <= set(mv["0127"])
    assert mv["0180"]["V"] == 85_059 and m.loc["0180", "valid_votes"] == 652_543


def test_riksdag_turnout_equals_the_valdeltagande_file(q):
    t = q("SELECT * FROM turnout WHERE election='riksdag' AND year=2026 AND level='municipality'")
    m = totals(q, "riksdag", "municipality").set_index("area_code")
    assert len(t) == 26
    for r in t.itertuples():
        assert (r.eligible, r.votes_cast) == (m.loc[r.area_code, "eligible"], m.loc[r.area_code, "votes_cast"])


def test_riksdag_districts_are_preliminary_and_never_summed_into_final_rows(q):
    d = totals(q, "riksdag", "district")
    assert len(d) == 1426
    assert set(d.count_status) == {"preliminary"} and set(d.source) == {F.SRC_DISTRICTS}
    assert not d.is_collection.any() and d.eligible.isna().all() and d.votes_cast.isna().all()
    assert set(d.riksdag_valkrets_code[d.kommunkod == "0180"]) == {"01"}
    assert set(d.riksdag_valkrets_code[d.kommunkod != "0180"]) == {"02"}
    # per municipality the preliminary ordinary districts are 88–98 % (rounded) of the final
    # count, which adds the collection districts and late early votes: nothing was summed into it
    m = totals(q, "riksdag", "municipality").set_index("area_code")
    pct = (100 * d.groupby("kommunkod").valid_votes.sum() / m.valid_votes).round()
    assert len(pct) == 26 and pct.between(88, 98).all(), pct.describe()


def test_sundbyberg_duplicate_is_counted_once(q):
    """01830127 and 01830129 carry the same numbers in the source: one result reported twice.
    The numbers stay on 01830127 only; 01830129 keeps its row without numbers; both carry a note."""
    d = totals(q, "riksdag", "district").set_index("area_code")
    assert d.loc["01830127", "valid_votes"] == 840 and pd.isna(d.loc["01830129", "valid_votes"])
    v = votes_of(q, "riksdag", "district")
    assert v["01830127"]["V"] == 193 and "01830129" not in v
    notes = q("SELECT area_code, kind FROM area_notes WHERE election='riksdag' AND year=2026 AND level='district' "
              "ORDER BY area_code")
    assert notes.values.tolist() == [["01830127", "duplicate_in_source"], ["01830129", "duplicate_in_source"]]
    sbg = d[d.kommunkod == "0183"]
    assert (sbg.valid_votes == 840).sum() == 1
    # the query the Valdistrikt page reads shows the note beside the district
    from dashboard import db
    r = db.execute("district_results", {"election": "riksdag", "year": 2026, "kommunkod": "0183", "party": "V"})
    r = r.set_index("district_code")
    assert "räknas en gång" in r.loc["01830129", "note"] and pd.isna(r.loc["01830129", "votes"])
    assert (r.count_status == "preliminary").all()


# ---------------------------------------------------------------------------- kommun 2026

def test_stockholm_kommun_v_2026(q):
    """The acceptance figure: V in Stockholm's kommun election 2026 is 95 823 of 659 238."""
    assert one(q, "SELECT votes FROM area_votes WHERE election='kommun' AND year=2026 AND level='municipality' "
                  "AND area_code='0180' AND party='V'") == 95_823
    assert one(q, "SELECT valid_votes FROM area_totals WHERE election='kommun' AND year=2026 "
                  "AND level='municipality' AND area_code='0180'") == 659_238


def test_kommun_constituencies_sum_to_municipalities_and_county(q):
    kv = totals(q, "kommun", "kommunvalkrets")
    assert len(kv) == 34 and set(kv.count_status) == {"final"}
    assert kv.groupby("kommunkod").size().loc[["0136", "0160", "0180", "0182"]].tolist() == [2, 2, 6, 2]
    kvv = votes_of(q, "kommun", "kommunvalkrets")
    m = totals(q, "kommun", "municipality").set_index("area_code")
    mv = votes_of(q, "kommun", "municipality")
    assert len(m) == 26 and set(m.count_status) == {"final"}
    for kommun, g in kv.groupby("kommunkod"):
        assert g.valid_votes.sum() == m.loc[kommun, "valid_votes"]
        assert add(kvv[c] for c in g.area_code) == mv[kommun], kommun
    county = totals(q, "kommun", "county").iloc[0]
    assert add(mv.values()) == votes_of(q, "kommun", "county")["01"]
    for col in ("valid_votes", "votes_cast", "eligible"):
        assert m[col].sum() == county[col]
    # eligible and votes cast from the final valdeltagande file: the same count, so ballots cast
    # exceed valid votes by the invalid ones, 0.5–2 % (Stockholm 0.95 %, as in 2022)
    invalid = 1 - m.valid_votes / m.votes_cast
    assert invalid.between(0.005, 0.02).all()
    assert round(100 * invalid["0180"], 2) == 0.95
    t = q("SELECT area_code, eligible, votes_cast FROM turnout WHERE election='kommun' AND year=2026").set_index("area_code")
    assert (t.eligible == m.eligible.loc[t.index]).all() and (t.votes_cast == m.votes_cast.loc[t.index]).all()


def test_kommun_local_parties_keep_their_2022_codes(q):
    """Local parties are matched to their 2022 code by name (PartyCodes.match)."""
    def code(kommun, name):
        return one(q, "SELECT v.party FROM area_votes v JOIN parties p USING (party) WHERE v.election='kommun' "
                      "AND v.year=$y AND v.level='municipality' AND v.area_code=$k AND p.name=$n",
                   y=2022, k=kommun, n=name)
    for kommun, name in (("0114", "Väsbys Bästa"), ("0182", "Nackalistan"), ("0127", "Tullingepartiet")):
        c = code(kommun, name)
        assert one(q, "SELECT count(*) FROM area_votes WHERE election='kommun' AND year=2026 AND level='municipality' "
                      "AND area_code=$k AND party=$p", k=kommun, p=c) == 1, (kommun, name)
    # 'LIDINGÖPARTIET' (2026) is 2022's 'Lidingöpartiet'; 'Mälaröpartiet' (Ö) is not assumed to be 'Öpartiet'
    assert one(q, "SELECT count(*) FROM area_votes WHERE year=2026 AND area_code='0186' AND party='LP'") >= 1
    assert one(q, "SELECT count(*) FROM area_votes WHERE year=2026 AND party='Ö'") == 0
    names = q("SELECT party, name FROM parties").set_index("party").name
    assert names["Mälaröpartiet"] == "Mälaröpartiet"
    # no two parties of 2026 have codes that differ only in case
    used = q("SELECT DISTINCT party FROM area_votes WHERE year=2026").party
    assert not used.str.casefold().duplicated().any()


# ---------------------------------------------------------------------------- region 2026

def test_region_constituencies_sum_to_region_and_county(q):
    rv = totals(q, "region", "rf_valkrets")
    assert len(rv) == 12 and set(rv.count_status) == {"final"}
    rvv = votes_of(q, "region", "rf_valkrets")
    region = totals(q, "region", "region").iloc[0]
    assert rv.valid_votes.sum() == region.valid_votes == 1_553_723
    assert add(rvv.values()) == votes_of(q, "region", "region")["01"] == votes_of(q, "region", "county")["01"]
    assert votes_of(q, "region", "region")["01"]["V"] == 184_237
    # ten parties itemised; the rest of each constituency's valid votes is ÖVR
    assert all(len(v) == 11 and v["ÖVR"] >= 0 for v in rvv.values())
    t = q("SELECT * FROM turnout WHERE election='region' AND level='region'").iloc[0]
    assert (region.eligible, region.votes_cast) == (t.eligible, t.votes_cast)


def test_region_stockholm_city_is_final_the_sum_of_its_six_constituencies(q):
    rvv = votes_of(q, "region", "rf_valkrets")
    m = totals(q, "region", "municipality").set_index("area_code")
    assert m.loc["0180", "count_status"] == "final"
    city = [f"01{i:02d}" for i in range(1, 7)]
    assert votes_of(q, "region", "municipality")["0180"] == add(rvv[c] for c in city)
    # the six constituencies hold exactly Stockholm city's 2022 districts, and no other
    d22 = q("SELECT DISTINCT kommunkod, rf_valkrets_code FROM area_totals WHERE election='region' AND year=2022 "
            "AND level='district' AND county_code='01'")
    assert set(d22[d22.kommunkod == "0180"].rf_valkrets_code) == set(city)
    assert set(d22[d22.rf_valkrets_code.isin(city)].kommunkod) == {"0180"}
    note = one(q, "SELECT kind FROM area_notes WHERE election='region' AND area_code='0180'")
    assert note == "sum_of_constituencies"


def test_region_outside_stockholm_city_is_preliminary(q, need_shared):
    m = totals(q, "region", "municipality").set_index("area_code")
    rest = m.drop("0180")
    assert len(rest) == 25 and set(rest.count_status) == {"preliminary"} and set(rest.source) == {F.SRC_RF_PRELIM}
    # final ≥ preliminary where both exist (Stockholm city)
    doc = json.loads((need_shared[0] / F.FOLDER / F.RF_PRELIM).read_text(encoding="utf-8"))
    city = next(k for k in doc["kommuner"] if k["code"] == "0180")
    assert m.loc["0180", "valid_votes"] >= city["valid"]
    # the final ballots cast per municipality (turnout table) cover the election-night count
    t = q("SELECT area_code, votes_cast FROM turnout WHERE election='region' AND level='municipality'").set_index("area_code")
    assert (rest.votes_cast <= t.votes_cast.loc[rest.index]).all()


# ---------------------------------------------------------------------------- levels and statuses

def test_count_status_of_every_level_is_as_documented(q):
    got = q("SELECT election, level, count_status, count(*) AS n FROM area_totals WHERE year=2026 "
            "AND county_code='01' GROUP BY ALL ORDER BY ALL").values.tolist()
    assert got == [
        ["kommun", "county", "final", 1], ["kommun", "kommunvalkrets", "final", 34],
        ["kommun", "municipality", "final", 26],
        ["region", "county", "final", 1], ["region", "municipality", "final", 1],
        ["region", "municipality", "preliminary", 25], ["region", "region", "final", 1],
        ["region", "rf_valkrets", "final", 12],
        ["riksdag", "county", "final", 1], ["riksdag", "district", "preliminary", 1426],
        ["riksdag", "municipality", "final", 26], ["riksdag", "riksdag_valkrets", "final", 2],
    ]
    el = q("SELECT election, count_status, levels FROM elections WHERE year=2026 ORDER BY ALL").values.tolist()
    assert el == [["kommun", "final", "county,kommunvalkrets,municipality"],
                  ["region", "final", "county,municipality,region,rf_valkrets"],
                  ["region", "preliminary", "municipality"],
                  ["riksdag", "final", "country,county,municipality,riksdag_valkrets"],
                  ["riksdag", "preliminary", "district"]]


def test_every_2026_source_is_described_in_sources_md():
    from dashboard.paths import data_dir

    text = (data_dir() / "SOURCES.md").read_text(encoding="utf-8")
    info = json.loads((data_dir() / "build_info.json").read_text(encoding="utf-8"))
    for sid in F.SOURCES:
        assert f"## {sid}" in text
    found = [s for s in info["sources"] if s["path"].startswith("raw/found_2026/")]
    assert {s["id"] for s in found} == set(F.SOURCES)
    assert all(s["origin_repository"] and re.fullmatch(r"[0-9a-f]{40}", s["origin_commit"]) for s in found)
    assert text.count("Ersätts av Valmyndighetens egna resultatfiler") == len(F.SOURCES)
