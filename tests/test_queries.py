"""Named queries and the command-line interface on the real data."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from dashboard import db
from dashboard.errors import QueryError
from dashboard.paths import REPO_ROOT

P = {"election": "kommun", "from_year": "2018", "to_year": "2022", "party": "V", "county": "01"}


def test_municipality_change_kommun_v():
    df = db.execute("municipality_change", P)
    assert len(df) == 26
    sthlm = df.set_index("kommunkod").loc["0180"]
    assert sthlm.kommun == "Stockholm"
    assert sthlm.share_to == pytest.approx(94115 / 612296 * 100)
    assert round(sthlm.share_to, 2) == 15.37
    assert sthlm.change_pp == pytest.approx(sthlm.share_to - 80592 / 618278 * 100)
    # kommun 2018 has no electorate in any source: turnout is missing, not 0
    assert df.turnout_from.isna().all() and df.turnout_to.notna().all()


def test_municipality_change_riksdag_v_most_fell():
    df = db.execute("municipality_change", dict(P, election="riksdag"))
    assert round(df.set_index("kommunkod").loc["0180", "share_to"], 2) == 11.73
    # leadership-needs.md: V lost in the riksdag election in most of the 26 municipalities
    assert (df.change_pp < 0).sum() > 13
    region = db.execute("municipality_change", dict(P, election="region"))
    assert (region.change_pp > 0).sum() > 13


def test_municipality_change_2026_has_every_municipality():
    """2022→2026 answers for all 26 municipalities in all three elections, with the count status
    of each figure: final except the region election outside Stockholm city (election night)."""
    for election in ("riksdag", "region", "kommun"):
        df = db.execute("municipality_change", dict(P, election=election, from_year="2022", to_year="2026"))
        assert len(df) == 26 and df.share_to.notna().all() and df.share_from.notna().all(), election
        assert (df.count_status_from == "final").all()
        to = df.set_index("kommunkod").count_status_to
        if election == "region":
            assert to["0180"] == "final" and (to.drop("0180") == "preliminary").all()
        else:
            assert (to == "final").all(), election
    rd = db.execute("municipality_change", dict(P, election="riksdag", from_year="2022", to_year="2026"))
    assert round(rd.set_index("kommunkod").loc["0180", "share_to"], 2) == 13.04


def test_area_change_valkrets_02_excludes_stockholm_city():
    a = db.execute("area_change", {"election": "riksdag", "from_year": 2022, "to_year": 2026, "party": "V", "area": "valkrets:02"})
    assert a.area_name.iloc[0] == "Stockholms län"
    assert a.votes_to.iloc[0] == 71_843 and a.valid_to.iloc[0] == 887_078
    county = db.execute("area_change", {"election": "riksdag", "from_year": 2022, "to_year": 2026, "party": "V", "area": "county:01"})
    city = db.execute("municipality_change", dict(P, election="riksdag", from_year="2022", to_year="2026"))
    city = city.set_index("kommunkod").loc["0180"]
    assert county.valid_from.iloc[0] == a.valid_from.iloc[0] + city.valid_from
    assert county.votes_to.iloc[0] == 71_843 + 85_059


def test_area_change_region_is_the_county_for_region_elections():
    r = db.execute("area_change", {"election": "region", "from_year": 2018, "to_year": 2022, "party": "V", "area": "region:01"})
    assert r.level.iloc[0] == "region" and r.area_name.iloc[0] == "Region Stockholm"
    c = db.execute("area_change", {"election": "region", "from_year": 2018, "to_year": 2022, "party": "V", "area": "county:01"})
    assert r.votes_to.iloc[0] == c.votes_to.iloc[0] == 167_214


def test_district_results_include_collection_rows():
    d = db.execute("district_results", {"election": "riksdag", "year": 2022, "kommunkod": "0114", "party": "V"})
    m = db.execute("municipality_change", dict(P, election="riksdag")).set_index("kommunkod").loc["0114"]
    assert d.votes.sum() == m.votes_to and d.valid_votes.sum() == m.valid_to
    assert d.is_collection.sum() == 1 and d.turnout_pct[d.is_collection].isna().all()


@pytest.mark.parametrize("params,fragment", [
    ({"election": "xyz"}, "kan vara riksdag, region, kommun"),
    ({"election": "kommun", "from_year": "tjugo"}, "heltal"),
    ({"election": "kommun", "from_year": "2018", "to_year": "2022"}, "saknar parametern 'party'"),
    (dict(P, bogus="1"), "Okänd parameter bogus"),
    (dict(P, county="1"), "fel form"),
])
def test_bad_parameters_are_explained(params, fragment):
    with pytest.raises(QueryError, match=fragment):
        db.execute("municipality_change", params)


def cli(*args):
    return subprocess.run([sys.executable, "-m", "dashboard", *args], capture_output=True, text=True,
                          cwd=REPO_ROOT, timeout=120, env=dict(os.environ, PYTHONPATH=str(REPO_ROOT / "src")))


def test_cli_csv_and_json():
    args = ["query", "municipality_change"] + [a for k, v in P.items() for a in ("--param", f"{k}={v}")]
    out = cli(*args, "--format", "csv")
    assert out.returncode == 0, out.stderr
    df = pd.read_csv(io.StringIO(out.stdout), dtype={"kommunkod": str})
    assert {"kommunkod", "kommun", "share_from", "share_to", "change_pp"} <= set(df.columns)
    assert round(df.set_index("kommunkod").loc["0180", "share_to"], 2) == 15.37
    js = json.loads(cli(*args, "--format", "json").stdout)
    assert len(js) == 26 and js[0]["kommunkod"] == "0114"


def test_cli_2022_to_2026_every_municipality_with_count_status():
    """The command line answers for 2026 like for any year, and says what is preliminary."""
    def csv(query, *params):
        out = cli("query", query, *[a for p in params for a in ("--param", p)], "--format", "csv")
        assert out.returncode == 0, out.stderr
        return pd.read_csv(io.StringIO(out.stdout), dtype={"kommunkod": str, "area": str, "area_code": str})

    for election in ("riksdag", "region", "kommun"):
        args = ("from_year=2022", "to_year=2026", "party=V", "county=01")
        df = csv("municipality_change", f"election={election}", *args)
        assert len(df) == 26 and df.share_to.notna().all() and df.count_status_to.notna().all()
        expected = {"preliminary"} if election == "region" else {"final"}
        assert set(df.loc[df.kommunkod != "0180", "count_status_to"]) == expected, election
    # a figure resting on a preliminary count says so: the column, and one line on stderr
    out = cli("query", "municipality_change", "--param", "election=region", "--param", "from_year=2022",
              "--param", "to_year=2026", "--param", "party=V", "--format", "table")
    assert out.returncode == 0 and "count_status_to" in out.stdout.splitlines()[0]
    assert out.stderr.strip() == ("Obs: 25 av 26 rader vilar på preliminära siffror (preliminärt, valnatten): "
                                  "count_status_to = preliminary.")
    out = cli("query", "municipality_change", "--param", "election=kommun", "--param", "from_year=2022",
              "--param", "to_year=2026", "--param", "party=V")
    assert out.returncode == 0 and out.stderr == ""  # all final: nothing to say
    kommun = csv("municipality_change", "election=kommun", "from_year=2022", "to_year=2026", "party=V")
    assert kommun.set_index("kommunkod").loc["0180", "votes_to"] == 95_823
    area = csv("area_change", "election=region", "from_year=2022", "to_year=2026", "party=V", "area=region:01")
    assert (area.votes_to.iloc[0], area.valid_to.iloc[0], area.count_status_to.iloc[0]) == (184_237, 1_553_723, "final")
    seats = csv("seat_margins", "election=kommun", "year=2026", "party=V")
    assert len(seats) == 26 and (seats.seats == seats.official_seats).all()
    assert set(seats.count_status) == {"final"}


def test_cli_usage_errors_exit_2_with_one_line():
    for args in (["query", "no_such_query"],
                 ["query", "municipality_change", "--param", "election=kommun"],
                 ["query", "municipality_change", "--param", "noequals"]):
        out = cli(*args)
        assert out.returncode == 2
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("fel:"), out.stderr
    assert "municipality_change" in cli("query", "no_such_query").stderr


def test_district_bounds_without_the_geometry_match_the_geometry():
    """Maps that fetch their GeoJSON by URL are framed from district_bboxes; the bounds are
    those of each municipality's own districts, for all 26 municipalities."""
    from dashboard import queries as q

    for year in q.district_geo_years():
        boxes = q.district_bboxes(year)
        assert sorted(boxes) == sorted(q.municipalities()["kommunkod"])
        for kommunkod, box in boxes.items():
            assert box == q.district_geo(kommunkod, year)["bbox"]
            west, south, east, north = box
            assert 17.0 < west < east < 20.0 and 58.5 < south < north < 60.5  # Stockholm County
