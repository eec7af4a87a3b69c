"""The field map's numbers (issue 19): distances, reach, coverage, gaps and the knock measures on a
hand-computed geometry; on the real data for one municipality against an independent
computation (shapely distances, plain sums); the district centres of the build step; the pydeck
spec (geometry by URL, no outside requests); and cabin edits through the versioned store."""
from __future__ import annotations

import json
import sys
import threading
import urllib.parse
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import Point, shape

from dashboard import db, deck, field
from dashboard.activity import api, edit, store
from dashboard.build.centroids import CENTRES_FILE, build_centres
from dashboard.paths import REPO_ROOT, raw_dir

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "activity"))
from acttest import make_data_dir  # noqa: E402

X0, Y0 = 674_000.0, 6_580_000.0  # central Stockholm in SWEREF 99 TM
TO_WGS84 = Transformer.from_crs("EPSG:3006", "EPSG:4326", always_xy=True)
TO_SWEREF = Transformer.from_crs("EPSG:4326", "EPSG:3006", always_xy=True)


# --- a hand-computed example ------------------------------------------------------------------------
#
# Four district centres on a line, A–C in municipality 0114, D in 0115:
#   A (0 m), B (900 m), C (1 500 m), D (5 000 m east of X0); eligible 100, 200, 300, 400.
# Cabin K1 stands on A; cabin K2 at (3 000, 4 000): D's nearest (√(2 000² + 4 000²) = 4 472 m).


def centres() -> pd.DataFrame:
    xs = [X0, X0 + 900, X0 + 1500, X0 + 5000]
    lon, lat = TO_WGS84.transform(xs, [Y0] * 4)
    return pd.DataFrame({
        "district_code": ["01140001", "01140002", "01140003", "01150001"], "district_name": list("ABCD"),
        "kommunkod": ["0114", "0114", "0114", "0115"], "x": xs, "y": [Y0] * 4, "lon": lon, "lat": lat,
        "place_lon": lon, "place_lat": lat, "area_km2": 1.0,
    })


def results() -> pd.DataFrame:
    return pd.DataFrame({
        "district_code": ["01140001", "01140002", "01140003", "01150001", "01149800"],  # + a collection row
        "eligible": [100, 200, 300, 400, 0],
        "share_to": [10.0, 20.0, 30.0, 5.0, 12.0], "share_from": [12.0, 15.0, np.nan, 9.0, np.nan],
        "change_pp": [-2.0, 5.0, np.nan, -4.0, np.nan], "comparable": [True, True, False, True, False],
        "turnout_to": [80.0, 50.0, 60.0, 90.0, np.nan], "valid_to": [78, 98, 176, 356, 50],
        "votes_to": [8, 20, 53, 18, 6],
    })


def cabin(x, y, kommunkod="0114", name="K") -> dict:
    lon, lat = TO_WGS84.transform(x, y) if x is not None else (np.nan, np.nan)
    return {"namn": name, "kommunkod": kommunkod, "kommun": kommunkod, "typ": "valstuga", "lat": lat, "lon": lon,
            "pass": pd.NA, "öppnar": pd.NaT}


def cabins(*rows) -> pd.DataFrame:
    return pd.DataFrame(list(rows) or [cabin(X0, Y0, name="K1"), cabin(X0 + 3000, Y0 + 4000, name="K2")])


DOORS = pd.DataFrame({"valdistrikt": pd.array(["01140002", "01140002", None], dtype="string"),
                      "dörrar": pd.array([30, 12, 500], dtype="Int64")})


def frame(radius=1000, weights=None, cab=None) -> pd.DataFrame:
    return field.district_frame(centres(), results(), results(), cabins() if cab is None else cab, DOORS, radius,
                                weights)


def test_distance_matrix_and_nearest_agree_with_shapely():
    px, py = [X0, X0 + 900, X0 + 5000], [Y0, Y0, Y0]
    qx, qy = [X0 + 100, X0 + 3000], [Y0, Y0 + 4000]
    m = field.distance_matrix(px, py, qx, qy)
    expect = [[Point(a, b).distance(Point(c, d)) for c, d in zip(qx, qy)] for a, b in zip(px, py)]
    assert m == pytest.approx(np.array(expect))
    dist, idx = field.nearest(np.array(px), np.array(py), np.array(qx), np.array(qy))
    assert dist.tolist() == pytest.approx([100.0, 800.0, np.hypot(2000, 4000)])
    assert idx.tolist() == [0, 0, 1]
    none_d, none_i = field.nearest(np.array(px), np.array(py), np.array([]), np.array([]))
    assert np.isinf(none_d).all() and (none_i == -1).all()


def test_reach_and_coverage_per_radius():
    d = frame(1000).set_index("district_code")
    assert d["cabin_m"].tolist() == pytest.approx([0.0, 900.0, 1500.0, np.hypot(2000, 4000)], abs=0.01)
    assert d["cabin_name"].tolist() == ["K1", "K1", "K1", "K2"]
    assert d["near"].tolist() == [True, True, False, False]
    assert "01149800" not in d.index  # collection rows have no place on the map
    per_kommun = lambda r: field.coverage_by(  # noqa: E731
        frame(r), centres()[["district_code", "kommunkod"]].rename(columns={"kommunkod": "unit_id"})).set_index("unit_id")
    c500, c1000, c2000 = per_kommun(500), per_kommun(1000), per_kommun(2000)
    assert c500.loc["0114", "near_pct"] == pytest.approx(100 / 600 * 100)  # A only
    assert c1000.loc["0114", "near_pct"] == pytest.approx(50.0)  # A and B: 300 of 600
    assert c1000.loc["0114", ["eligible", "eligible_near", "districts", "districts_near"]].tolist() == [600, 300, 3, 2]
    assert c2000.loc["0114", "near_pct"] == pytest.approx(100.0)
    assert c2000.loc["0115", "near_pct"] == 0.0  # D is 4,5 km from K2: known to be far, so 0 (not missing)
    county = field.coverage_by(frame(2000), centres()[["district_code"]].assign(unit_id="01")).iloc[0]
    assert county["near_pct"] == pytest.approx(60.0)  # 600 of 1 000


def test_without_positions_nothing_is_known():
    d = frame(1000, cab=cabins(cabin(None, None)))
    assert d["cabin_m"].isna().all() and d["near"].isna().all()
    cov = field.coverage_by(d, centres()[["district_code"]].assign(unit_id="01"))
    assert pd.isna(cov["near_pct"].iloc[0]) and pd.isna(cov["eligible_near"].iloc[0])
    gaps, _ = field.gaps(d)
    assert gaps.empty  # no gap can be claimed without knowing where the cabins stood


def test_knock_measures_and_score_hand_computed():
    d = frame().set_index("district_code")
    # mobilisation = share × eligible × (1 − turnout): A 0,1·100·0,2; B 0,2·200·0,5; C 0,3·300·0,4; D 0,05·400·0,1
    assert d["mobilisation"].tolist() == pytest.approx([2.0, 20.0, 36.0, 2.0])
    # persuasion = max(0, before − now) × valid: A 2 % of 78; B grew: 0; C not comparable; D 4 % of 356
    assert d.loc["01140001", "persuasion"] == pytest.approx(1.56)
    assert d.loc["01140002", "persuasion"] == 0.0
    assert pd.isna(d.loc["01140003", "persuasion"])
    assert d.loc["01150001", "persuasion"] == pytest.approx(14.24)
    # places (0 … 1): mobilisation A ¹/₆, B ⁴/₆, C 1, D ¹/₆ (A, D tie); persuasion B 0, A ½, D 1, and C,
    # which cannot be compared, the middle place ½; score = (2·mob + 1·pers) / 3
    assert d["score"].tolist() == pytest.approx([(2 / 6 + 0.5) / 3 * 100, (8 / 6) / 3 * 100, 2.5 / 3 * 100,
                                                 (2 / 6 + 1) / 3 * 100])
    assert d["rank"].tolist() == [4, 2, 1, 3]  # C first; B and D tie, B comes first in the file
    only_persuasion = frame(weights={"mob": 0, "overt": 1}).set_index("district_code")
    assert only_persuasion["score"].tolist()[:2] == pytest.approx([50.0, 0.0])
    assert only_persuasion.loc["01150001", "score"] == 100.0
    # C has no value for the one measure that counts: no score, no place
    assert pd.isna(only_persuasion.loc["01140003", "score"]) and pd.isna(only_persuasion.loc["01140003", "rank"])
    assert only_persuasion["rank"].dropna().tolist() == [2, 3, 1]
    # a measure no district has (no results for the earlier year) counts for none of them
    no_change = field.knock_score(d.assign(persuasion=np.nan).reset_index(), {"mob": 2, "overt": 1})
    assert no_change["score"].tolist() == pytest.approx([100 / 6, 400 / 6, 100.0, 100 / 6])
    # door knocking: rows naming a district count there; the row without one is not on the map
    assert d.loc["01140002", "doors"] == 42 and d["knocked"].tolist() == [False, True, False, False]
    assert field.unplaced_doors(DOORS) == 1


def test_gaps_strong_or_growing_and_far_ranked_by_votes():
    # top quarter: share ≥ 22,5 % (C); change ≥ 1,5 p.e. (B)
    gaps, limits = field.gaps(frame(1000))
    assert limits == {"share": pytest.approx(22.5), "change": pytest.approx(1.5)}
    assert gaps["district_name"].tolist() == ["C"]  # B is growing but 900 m from K1
    gaps500, _ = field.gaps(frame(500))
    assert gaps500["district_name"].tolist() == ["C", "B"]  # 53 and 20 party votes
    assert gaps500["reason"].tolist() == ["hög andel", "stor ökning"]
    assert gaps500["gap_rank"].tolist() == [1, 2]
    assert gaps500["cabin_km"].tolist() == pytest.approx([1.5, 0.9])
    assert field.gaps(frame(500), by="andel")[0]["district_name"].tolist() == ["C"]
    assert field.gaps(frame(500), by="okning")[0]["district_name"].tolist() == ["B"]


def test_units_from_associations():
    kommuner = pd.DataFrame({"kommunkod": ["0114", "0115"], "kommun": ["Väsby", "Vallentuna"]})
    assoc = pd.DataFrame({"förening_id": ["F1", "F2"], "förening": ["Norr", "Söder"], "kommunkod": ["0114", "0114"],
                          "valdistrikt": pd.array(["01140001 01140002", None], dtype="string")})
    u = field.units(assoc, centres(), kommuner)
    got = u.groupby("unit")["district_code"].apply(list).to_dict()
    assert got == {"Norr": ["01140001", "01140002"], "Söder": ["01140003"], "Vallentuna": ["01150001"]}
    assert set(u.loc[u["unit"] == "Söder", "scope"]) == {"kommunens övriga valdistrikt"}
    cov = field.coverage_by(frame(1000), u).set_index("unit_id")
    assert cov.loc["F1", "near_pct"] == 100.0 and cov.loc["F2", "near_pct"] == 0.0
    # two associations without districts in one municipality: their areas are unknown
    both = assoc.assign(valdistrikt=pd.array([None, None], dtype="string"))
    assert set(field.units(both, centres(), kommuner)["unit"]) == {"Vallentuna"}
    # no association file: the municipalities
    none = field.units(assoc.iloc[0:0], centres(), kommuner)
    assert none.groupby("unit_id").size().to_dict() == {"0114": 3, "0115": 1}


def test_electorate_year_needs_the_maps_districts():
    assert field.electorate_year({2018: 0.97, 2022: 1.0}, 2022) == 2022
    assert field.electorate_year({2018: 0.97, 2022: 1.0}, 2026) == 2022  # no 2026 districts yet
    # an election-night import of one municipality, or redrawn districts, is not the electorate
    assert field.electorate_year({2022: 1.0, 2026: 0.03}, 2026) == 2022
    assert field.electorate_year({2022: 0.5}, 2022) is None
    share = field.electorate_match(centres(), results().assign(eligible=[100, 0, 300, None, 0]))
    assert share == 0.5  # A and C of the four


def test_colour_classes():
    m = field.MEASURES["forandring"]
    colours, legend = field.classify(pd.Series([-2.0, 5.0, np.nan, -4.0]), m, 2018, 2022)
    assert legend.title == "Förändring 2018–2022 (p.e.)"
    assert colours[2] == field.MISSING_RGBA and legend.entries[-1][1] == "uppgift saknas"
    # symmetric around 0 (limit 5): a loss is red-ish (R > B), a gain blue-ish
    assert colours[0][0] > colours[0][2] and colours[1][2] > colours[1][0]
    assert legend.entries[0][1].startswith("\u22125,0") and legend.entries[-2][1].endswith("+5,0 p.e.")
    level, leg = field.classify(pd.Series(range(12), dtype="float64"), field.MEASURES["andel"], 2018, 2022)
    assert len(leg.entries) == field.N_CLASSES and len({tuple(c) for c in level}) == field.N_CLASSES


# --- the real data for one municipality, checked independently --------------------------------------

SUNDBYBERG = "0183"


@pytest.fixture(scope="module")
def sundbyberg():
    c = field.load_centres()
    here = c[c["kommunkod"] == SUNDBYBERG].reset_index(drop=True)
    picks = here.iloc[[0, len(here) // 2, len(here) - 1]]
    cab = pd.DataFrame({"namn": [f"S{i}" for i in range(3)], "kommunkod": SUNDBYBERG, "kommun": "Sundbyberg",
                        "typ": "valstuga", "lat": picks["place_lat"].to_numpy(), "lon": picks["place_lon"].to_numpy(),
                        "pass": pd.NA, "öppnar": pd.NaT})
    res = db.execute("county_district_change", {"election": "kommun", "from_year": 2018, "to_year": 2022,
                                                "party": "V"})
    return c, here, cab, res


@pytest.mark.parametrize("radius", field.RADII_M)
def test_real_coverage_sundbyberg_independent(sundbyberg, radius):
    c, here, cab, res = sundbyberg
    d = field.district_frame(c, res, res, cab, cab.iloc[0:0].assign(valdistrikt=None, dörrar=None), radius)
    cov = field.coverage_by(d, d[["district_code", "kommunkod"]].rename(columns={"kommunkod": "unit_id"}))
    got = cov.set_index("unit_id").loc[SUNDBYBERG]
    # independently: shapely distances from each centre to each cabin, and the electorate straight from area_totals
    cx, cy = TO_SWEREF.transform(cab["lon"].to_numpy(), cab["lat"].to_numpy())
    cabin_points = [Point(x, y) for x, y in zip(cx, cy)]
    elig = db.sql("SELECT area_code, eligible FROM area_totals WHERE election = 'kommun' AND year = 2022 "
                  "AND level = 'district' AND kommunkod = '0183' AND NOT is_collection")
    eligible = dict(zip(elig["area_code"], elig["eligible"]))
    near = total = 0
    for r in here.itertuples():
        e = eligible.get(r.district_code)
        if e is None or not e > 0:
            continue
        total += e
        if min(Point(r.x, r.y).distance(p) for p in cabin_points) <= radius:
            near += e
    assert got["eligible"] == total and got["eligible_near"] == near
    assert got["near_pct"] == pytest.approx(near / total * 100)
    assert 0 < near < total or radius == 2000


def test_real_knock_measures_sundbyberg(sundbyberg):
    c, here, cab, res = sundbyberg
    d = field.district_frame(c, res, res, cab, cab.iloc[0:0].assign(valdistrikt=None, dörrar=None), 1000)
    d = d[d["kommunkod"] == SUNDBYBERG].set_index("district_code")
    raw = db.sql("SELECT t.area_code, t.eligible, t.votes_cast, t.valid_votes, v.votes FROM area_totals t JOIN area_votes v "
                 "USING (election, year, level, area_code) WHERE t.election = 'kommun' AND t.year = 2022 AND "
                 "t.level = 'district' AND t.kommunkod = '0183' AND NOT t.is_collection AND v.party = 'V'")
    for r in raw.itertuples():
        share, turnout = r.votes / r.valid_votes, r.votes_cast / r.eligible
        assert d.loc[r.area_code, "mobilisation"] == pytest.approx(share * r.eligible * (1 - turnout))
    # kommun 2018 has no district results: no persuasion, so the score is mobilisation's place alone
    assert d["persuasion"].isna().all()
    assert (d["score"].rank() == d["mobilisation"].rank()).all()


# --- the centres table (build step) -------------------------------------------------------------------


def test_centres_table_matches_the_map_geometry():
    c = field.load_centres()
    assert len(c) == 1378 and c["district_code"].is_unique and c["district_code"].is_monotonic_increasing
    feats = json.loads((REPO_ROOT / "data" / "geo" / "valdistrikt_01_2022.geojson").read_text(encoding="utf-8"))["features"]
    by_code = c.set_index("district_code")
    worst = 0.0
    for f in feats:
        g = shape(f["geometry"])
        r = by_code.loc[f["properties"]["district_code"]]
        assert r["district_name"] == f["properties"]["district_name"]
        assert g.buffer(1e-4).contains(Point(r["place_lon"], r["place_lat"]))  # a cabin placed here is inside
        gx = shapely.transform(g, lambda xy: np.column_stack(TO_SWEREF.transform(xy[:, 0], xy[:, 1]))).centroid
        worst = max(worst, gx.distance(Point(r["x"], r["y"])))
    assert worst < 25  # the map file is simplified (35 m); the centres come from the unsimplified polygons
    lon, lat = TO_WGS84.transform(c["x"].to_numpy(), c["y"].to_numpy())
    assert np.abs(lon - c["lon"]).max() < 1e-5 and np.abs(lat - c["lat"]).max() < 1e-5


@pytest.mark.skipif(not raw_dir().is_dir(), reason="../shared/data/raw absent (only the build needs it)")
def test_centres_rebuild_reproduces_committed_file(tmp_path):
    path = build_centres(raw_dir(), tmp_path)
    assert path.read_bytes() == (REPO_ROOT / "data" / "geo" / CENTRES_FILE).read_bytes()


# --- the pydeck spec ------------------------------------------------------------------------------------


def spec(**kw) -> dict:
    args = dict(districts_geo="app/static/geo/valdistrikt_01_2022.geojson", kommuner_geo="app/static/geo/kommuner.geojson",
                fill={"01140001": [1, 2, 3, 200], "01140002": [4, 5, 6, 200]}, missing_fill=field.MISSING_RGBA,
                outlines={"01140002": ([17, 17, 17, 255], 4.0)},
                cabins=pd.DataFrame({"lon": [18.0], "lat": [59.3], "district_name": ["K1"],
                                     "district_code": ["valstuga, Väsby"], "selected": [True], "key": ["0114|K1|"]}),
                radius_m=1000, kommuner=["0114"], center={"lon": 18.0, "lat": 59.3}, zoom=9.0, token="t")
    args.update(kw)
    return deck.field_map(**args).spec()


def test_deck_loads_geometry_by_url_and_needs_no_base_map():
    s = spec()
    layers = {layer["id"]: layer for layer in s["layers"]}
    assert layers["valdistrikt"]["data"] == "app/static/geo/valdistrikt_01_2022.geojson"
    assert layers["distriktsgranser"]["data"] == layers["valdistrikt"]["data"]
    assert layers["valdistrikt"]["pickable"] and not layers["distriktsgranser"]["pickable"]
    fill = layers["valdistrikt"]["getFillColor"]
    assert fill["@@function"] == "colorCategories" and fill["attr"] == "district_code"
    assert dict(zip(fill["domain"], fill["colors"])) == {"01140001": [1, 2, 3, 200], "01140002": [4, 5, 6, 200]}
    assert layers["upptagning"]["getRadius"] == 1000 and layers["upptagning"]["radiusUnits"] == "meters"
    assert layers["valstugor"]["data"][0]["colour"] == deck.CABIN_SELECTED
    # no base map: pydeck's placeholder style (Streamlit then draws none) and no provider
    assert s["mapStyle"] == "__MAP_STYLE__" and "mapProvider" not in s
    text = json.dumps(s)
    assert '"coordinates"' not in text and "http" not in text  # no geometry, nothing from outside
    assert len(text) < 3000


def test_deck_base_map_only_with_a_tile_url():
    s = spec(tile_url="https://tiles.example.se/{z}/{x}/{y}.png", tile_attribution="© Exempel")
    prefix = "data:application/json,"
    assert s["mapStyle"].startswith(prefix)  # Streamlit takes a style as a string (a URL)
    style = json.loads(urllib.parse.unquote(s["mapStyle"][len(prefix):]))
    assert style["sources"]["bakgrund"]["tiles"] == ["https://tiles.example.se/{z}/{x}/{y}.png"]
    assert style["sources"]["bakgrund"]["attribution"] == "© Exempel"


# --- editing the cabin file through the store ------------------------------------------------------------


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    d = make_data_dir(tmp_path)
    monkeypatch.setenv("VALRUMMET_DATA_DIR", str(d))
    return d


def test_edit_round_trip_and_history(data_dir):
    rows, version = edit.rows_now("valstugor")
    assert version == store.STANDARD and len(rows) == 6
    # the file written from the validated rows validates to the same rows
    again = api.validate(edit.frame_csv("valstugor", rows), "valstugor")
    assert again.ok
    pd.testing.assert_frame_equal(again.frame.drop(columns="rad"), rows.drop(columns="rad"))
    rows.loc[0, ["lat", "lon"]] = [59.3956, 17.9599]  # Hallonbergen
    res = edit.save_edit("valstugor", rows, base_version=version, user="anna", description="flyttade Hallonbergen")
    info = api.info("valstugor")
    assert (info.version, info.origin_label, info.source_name) == (res.version, "ändrad i fältkartan",
                                                                   "fältkartan: flyttade Hallonbergen")
    assert api.cabins().loc[0, "lat"] == pytest.approx(59.3956)
    assert store.version_meta("valstugor", res.version)["user"] == "anna"
    assert api.history("valstugor")["version"].tolist() == [res.version, "standard"]
    api.restore("valstugor", "standard")  # nothing was lost: the embedded default comes back
    assert api.cabins()["lat"].isna().all()


def test_edit_of_an_older_version_is_refused(data_dir):
    rows, base = edit.rows_now("valstugor")
    first = rows.copy()
    first.loc[0, ["lat", "lon"]] = [59.3956, 17.9599]
    done = edit.save_edit("valstugor", first, base_version=base, user="anna", description="A")
    second = rows.copy()
    second.loc[1, ["lat", "lon"]] = [59.37, 17.97]
    with pytest.raises(edit.EditConflict) as exc:
        edit.save_edit("valstugor", second, base_version=base, user="bo", description="B")
    assert "anna sparade A" in str(exc.value) and "sparades inte" in str(exc.value)
    assert api.info("valstugor").version == done.version and len(store.versions("valstugor")) == 1
    assert pd.isna(api.cabins().loc[1, "lat"])  # B's change is not there, A's is
    assert api.cabins().loc[0, "lat"] == pytest.approx(59.3956)


def test_two_organisers_at_once_exactly_one_wins(data_dir):
    rows, base = edit.rows_now("valstugor")
    outcomes: list[str] = []

    def organiser(i: int) -> None:
        mine = rows.copy()
        mine.loc[i, ["lat", "lon"]] = [59.30 + i / 100, 18.00]
        try:
            edit.save_edit("valstugor", mine, base_version=base, user=f"u{i}", description=f"stuga {i}")
            outcomes.append("saved")
        except edit.EditConflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=organiser, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "conflict", "conflict", "saved"]
    assert len(store.versions("valstugor")) == 1
    assert int(api.cabins()["lat"].notna().sum()) == 1


def test_invalid_edit_stores_nothing(data_dir):
    rows, base = edit.rows_now("valstugor")
    rows.loc[0, ["lat", "lon"]] = [57.7, 11.97]  # Göteborg
    with pytest.raises(api.ActivityValidationError) as exc:
        edit.save_edit("valstugor", rows, base_version=base, user="anna", description="fel")
    assert "ligger utanför Stockholms län" in exc.value.report.error_lines()[0]
    assert not (data_dir / "activity" / "store" / "valstugor" / "versions").exists()
