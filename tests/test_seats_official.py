"""Seat engine against the official 2022 seats, and seat margins on the real data.

Reads the warehouse (data/*.parquet) through dashboard.db.
"""
from __future__ import annotations

import subprocess
import sys
from io import StringIO

import pandas as pd
import pytest

from dashboard import db, seat_queries as Q, seats as S

REGION_STOCKHOLM_2022 = {"S": 50, "M": 31, "V": 18, "SD": 16, "KD": 10, "C": 9, "L": 9, "MP": 6}
MULTI_CONSTITUENCY_01 = {"0136": 2, "0160": 2, "0180": 6, "0182": 2}
RIKSDAG_8 = {"M", "C", "L", "KD", "MP", "S", "V", "SD"}


def _council_inputs(election: str, area: str):
    """Votes, constituency votes and eligible voters straight from the warehouse."""
    level, c_level, code_col = (
        ("municipality", "kommunvalkrets", "kommunvalkrets_code") if election == "kommun"
        else ("region", "rf_valkrets", "rf_valkrets_code")
    )
    p = {"e": election, "a": area}
    valid = int(db.sql(
        "SELECT valid_votes FROM area_totals WHERE election=$e AND year=2022 AND level=$l AND area_code=$a",
        {**p, "l": level}).iloc[0, 0])
    cons = db.sql(
        f"""SELECT v.area_code, v.party, v.votes_min AS votes FROM area_votes v
            JOIN area_totals t USING (election, year, level, area_code)
            WHERE v.election=$e AND v.year=2022 AND v.level=$l
              AND ({'t.kommunkod' if election == 'kommun' else 'substr(t.area_code, 1, 2)'}) = $a
              AND v.party <> 'ÖVR'""",
        {**p, "l": c_level})
    eligible = db.sql(
        f"""SELECT {code_col} AS c, sum(eligible) AS n FROM area_totals
            WHERE election=$e AND year=2022 AND level='district' AND {code_col} IS NOT NULL
            GROUP BY 1""", {"e": election})
    cv: dict[str, dict[str, int]] = {}
    for r in cons.itertuples():
        cv.setdefault(r.area_code, {})[r.party] = int(r.votes)
    votes = S.sum_constituencies(cv)
    cv = {c: {q: pv.get(q, 0) for q in votes} for c, pv in cv.items()}
    el = {r.c: int(r.n) for r in eligible.itertuples() if r.c in cv}
    return votes, cv, el, valid - sum(votes.values())


def _official(election: str, area: str) -> dict[str, int]:
    df = db.sql("SELECT party, seats FROM seats_official WHERE election=$e AND year=2022 AND area_code=$a",
                {"e": election, "a": area})
    return {r.party: int(r.seats) for r in df.itertuples() if r.seats > 0}


def test_region_stockholm_2022_exactly():
    assert _official("region", "01") == REGION_STOCKHOLM_2022
    votes, cv, el, other = _council_inputs("region", "01")
    assert len(cv) == 12 and "ÖVR" not in votes and len(votes) > 8  # every party itemised
    a = S.allocate(votes, 149, election="region", constituency_votes=cv, eligible=el, other_votes=other)
    assert {p: s for p, s in a.seats.items() if s} == REGION_STOCKHOLM_2022
    assert a.threshold_pct == 3
    assert sum(a.fixed_per_constituency.values()) == 134 and a.n_adjustment == 15
    per_c = a.constituency_seats()
    assert sum(sum(s.values()) for s in per_c.values()) == 149
    for party, n in REGION_STOCKHOLM_2022.items():
        assert sum(per_c[c].get(party, 0) for c in per_c) == n


def test_all_26_municipalities_of_stockholm_county_with_local_parties():
    kommuner = db.sql("""SELECT area_code FROM area_totals WHERE election='kommun' AND year=2022
                         AND level='municipality' AND county_code='01' ORDER BY 1""").area_code.tolist()
    assert len(kommuner) == 26
    local_seats = 0
    for k in kommuner:
        official = _official("kommun", k)
        votes, cv, el, other = _council_inputs("kommun", k)
        kw = dict(constituency_votes=cv, eligible=el) if len(cv) > 1 else {}
        assert len(cv) == MULTI_CONSTITUENCY_01.get(k, 1), k
        a = S.allocate(votes, sum(official.values()), election="kommun", other_votes=other, **kw)
        assert {p: s for p, s in a.seats.items() if s} == official, k
        assert a.threshold_pct == (3 if k in MULTI_CONSTITUENCY_01 else 2)
        local_seats += sum(s for p, s in official.items() if p not in RIKSDAG_8)
    # Local parties hold seats in the county (Nackalistan, Lidingöpartiet, Väsbys Bästa …).
    assert local_seats >= 15


def test_validation_counts_2022():
    checks = Q.validate_official(2022)
    kommun = [c for c in checks if c.election == "kommun"]
    region = [c for c in checks if c.election == "region"]
    # 26 in Stockholm County (every party) + 137 elsewhere where no other party won a seat.
    assert len(kommun) == 163 and all(c.matched for c in kommun)
    assert sum(c.scope == "alla partier" for c in kommun) == 26
    # Region Stockholm (every party) + 11 regions where no other party won a seat.
    assert len(region) == 12 and all(c.matched for c in region)
    assert [c.area for c in region if c.scope == "alla partier"] == ["01"]
    # One council was decided by lot in 2022: Vårgårda, KD and L equal for the last seat
    # (KD 1 023/11 = L 279/3 = 93). The engine reports the tie; L won the lot.
    assert [(c.area, c.area_name) for c in checks if c.by_lot] == [("1442", "Vårgårda")]
    assert Q.councils_for("kommun", 2022)["1442"].lot == ("KD",)
    assert Q.validation_summary(2022).startswith(
        "Seat engine vs official 2022 seats: 175/175 councils match (kommun 163/163, region 12/12;")


def test_vargarda_tie_is_exact():
    c = Q.councils_for("kommun", 2022)["1442"]
    assert c.votes["KD"] * 3 == c.votes["L"] * 11
    ties = S.allocate(c.votes, c.council_size, election="kommun", other_votes=c.other_votes).ties
    assert ties == (S.Tie("mandat", "", ("KD", "L"), ("KD",)),)


def _check_margins(c: Q.Council, party: str) -> tuple[int | None, int | None]:
    kw = c.kwargs()
    base = c.allocate().seats.get(party, 0)
    nxt = S.votes_to_next_seat(c.votes, c.council_size, party, lot=c.lot, **kw)
    margin = S.margin_on_last_seat(c.votes, c.council_size, party, lot=c.lot, **kw)
    if nxt is not None:
        # At least one more: crossing the threshold can bring two seats at once (V in Täby).
        assert S.seats_with(c.votes, c.council_size, party, nxt, lot=c.lot, **kw) > base
        assert S.seats_with(c.votes, c.council_size, party, nxt - 1, lot=c.lot, **kw) == base
    if margin is not None:
        assert S.seats_with(c.votes, c.council_size, party, -margin, lot=c.lot, **kw) == base
        assert S.seats_with(c.votes, c.council_size, party, -margin - 1, lot=c.lot, **kw) < base
    return nxt, margin


def test_margins_apply_for_v_in_every_municipality_of_the_county():
    councils = [c for c in Q.councils_for("kommun", 2022).values() if c.county_code == "01"]
    assert len(councils) == 26
    for c in councils:
        nxt, margin = _check_margins(c, "V")
        assert nxt is not None and (margin is None) == (c.official.get("V", 0) == 0)


def test_margins_apply_for_every_party_in_region_stockholm():
    c = Q.councils_for("region", 2022)["01"]
    assert c.n_constituencies == 12
    for party in REGION_STOCKHOLM_2022:
        _check_margins(c, party)


def test_margins_apply_in_stockholm_city_for_every_seat_winner():
    c = Q.councils_for("kommun", 2022)["0180"]
    assert c.n_constituencies == 6 and c.council_size == 101
    for party, seats in c.official.items():
        if seats:
            _check_margins(c, party)


def test_seat_margins_query_v_stockholm_county():
    df = db.execute("seat_margins", {"election": "kommun", "year": "2022", "party": "V", "county": "01"})
    for col in ("area", "area_name", "seats", "votes", "votes_to_next_seat", "margin_on_last_seat", "council_size"):
        assert col in df.columns
    assert len(df) == 26 and df.area.is_unique
    assert (df.seats == df.official_seats).all()
    assert df.complete.all() and not df.tie.any()
    assert int(df.seats.sum()) == 103
    salem = df.set_index("area").loc["0128"]
    # Salem: V 477 votes, 2 seats. 477/3 = 159,0 beats SD's 1 112/7 = 158,9 for the last seat;
    # with 476 (158,7) SD takes it. So V cannot lose a single vote.
    assert (salem.votes, salem.seats, salem.margin_on_last_seat, salem.council_size) == (477, 2, 0, 31)
    stockholm = df.set_index("area").loc["0180"]
    assert (stockholm.seats, stockholm.constituencies, stockholm.threshold_pct) == (16, 6, 3)
    assert pd.isna(df.set_index("area").loc["0162"].margin_on_last_seat)  # Danderyd: no V seat
    # Täby (two constituencies, 3 %): V 1 037 of 48 003. 1 037 + x >= 3 % of (48 003 + x)
    # needs x >= 415,6, so 416 – and passing the threshold brings two seats at once.
    taby = df.set_index("area").loc["0160"]
    assert (taby.votes, taby.seats, taby.votes_to_next_seat, taby.threshold_pct) == (1037, 0, 416, 3)
    c = Q.councils_for("kommun", 2022)["0160"]
    assert c.valid_votes == 48003
    assert S.seats_with(c.votes, 61, "V", 416, **c.kwargs()) == 2


def test_seat_margins_query_region_and_errors():
    df = db.execute("seat_margins", {"election": "region", "year": "2022", "party": "V"})
    assert df[["area", "seats", "council_size"]].values.tolist() == [["01", 18, 149]]
    with pytest.raises(Q.QueryError, match="ÖVR är en samlingspost"):
        db.execute("seat_margins", {"election": "kommun", "year": "2022", "party": "ÖVR"})
    with pytest.raises(Q.QueryError, match="Antalet mandat är okänt"):
        db.execute("seat_margins", {"election": "kommun", "year": "2018", "party": "V"})
    with pytest.raises(Q.QueryError, match="kan vara kommun, region"):
        db.execute("seat_margins", {"election": "riksdag", "year": "2022", "party": "V"})


def test_incomplete_councils_give_no_margins():
    # Ale (1440): FRAMTID I ALE won seats but is inside ÖVR in the SCB table.
    df = db.execute("seat_margins", {"election": "kommun", "year": "2022", "party": "V", "county": "14"})
    ale = df.set_index("area").loc["1440"]
    assert not ale.complete and pd.isna(ale.votes_to_next_seat) and ale.seats == ale.official_seats


def test_cli():
    out = subprocess.run(
        [sys.executable, "-m", "dashboard", "query", "seat_margins", "--param", "election=kommun",
         "--param", "year=2022", "--param", "party=V", "--param", "county=01"],
        capture_output=True, text=True, check=True,
    ).stdout
    df = pd.read_csv(StringIO(out), dtype={"area": str})
    assert len(df) == 26 and df.loc[df.area == "0128", "margin_on_last_seat"].item() == 0
