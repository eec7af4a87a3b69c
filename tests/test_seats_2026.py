"""The seat engine against the official final 2026 seats (raw/found_2026, muni_structure):
every party in all 26 municipal councils of Stockholm County and in Region Stockholm.

Inputs straight from the warehouse: votes per constituency (`kommunvalkrets` / `rf_valkrets`),
and the council size, threshold and fixed seats per constituency as published (`councils`).
"""
from __future__ import annotations

import pytest

from dashboard import db, seat_queries as Q, seats as S

MULTI_CONSTITUENCY_01 = {"0136": 2, "0160": 2, "0180": 6, "0182": 2}


def _inputs(election: str, area: str):
    level = "municipality" if election == "kommun" else "region"
    c_level = "kommunvalkrets" if election == "kommun" else "rf_valkrets"
    council_of = "t.kommunkod" if election == "kommun" else "substr(t.area_code, 1, 2)"
    valid = int(db.sql("SELECT valid_votes FROM area_totals WHERE election=$e AND year=2026 AND level=$l "
                       "AND area_code=$a", {"e": election, "l": level, "a": area}).iloc[0, 0])
    cons = db.sql(f"""SELECT v.area_code, v.party, v.votes FROM area_votes v
                      JOIN area_totals t USING (election, year, level, area_code)
                      WHERE v.election=$e AND v.year=2026 AND v.level=$l AND {council_of} = $a
                        AND v.party <> 'ÖVR'""", {"e": election, "l": c_level, "a": area})
    rules = db.sql("SELECT * FROM councils WHERE election=$e AND year=2026 AND council_code=$a",
                   {"e": election, "a": area})
    council = rules[rules.level == level].iloc[0]
    fixed = {r.area_code: int(r.fixed_seats) for r in rules[rules.level == c_level].itertuples()}
    cv: dict[str, dict[str, int]] = {}
    for r in cons.itertuples():
        cv.setdefault(r.area_code, {})[r.party] = int(r.votes)
    votes = S.sum_constituencies(cv)
    cv = {c: {p: pv.get(p, 0) for p in votes} for c, pv in cv.items()}
    return votes, cv, fixed, council, valid - sum(votes.values())


def _official(election: str, area: str) -> dict[str, int]:
    df = db.sql("SELECT party, seats FROM seats_official WHERE election=$e AND year=2026 AND area_code=$a",
                {"e": election, "a": area})
    return {r.party: int(r.seats) for r in df.itertuples() if r.seats > 0}


def _councils():
    kommuner = db.sql("SELECT area_code FROM area_totals WHERE election='kommun' AND year=2026 "
                      "AND level='municipality' AND county_code='01' ORDER BY 1").area_code.tolist()
    return [("kommun", k) for k in kommuner] + [("region", "01")]


def test_there_are_official_2026_seats_for_26_councils_and_the_region():
    assert len(_councils()) == 27
    assert _official("kommun", "0180") == {"M": 23, "S": 27, "V": 15, "MP": 11, "C": 8, "SD": 8, "L": 5, "KD": 4}
    assert _official("region", "01") == {"S": 42, "M": 36, "V": 18, "SD": 15, "KD": 11, "MP": 11, "C": 10, "L": 6}


@pytest.mark.parametrize("election,area", _councils())
def test_engine_reproduces_every_partys_2026_seats(election, area):
    """All parties (local ones included), with the published council size, threshold and fixed
    seats per constituency; the seats sum to the council size."""
    votes, cv, fixed, council, other = _inputs(election, area)
    assert len(cv) == (12 if election == "region" else MULTI_CONSTITUENCY_01.get(area, 1))
    size = int(council.council_size)
    assert sum(_official(election, area).values()) == size
    kw = dict(constituency_votes=cv, fixed_seats=fixed) if len(cv) > 1 else {}
    a = S.allocate(votes, size, election=election, other_votes=other, **kw)
    assert {p: n for p, n in a.seats.items() if n} == _official(election, area)
    # the threshold the engine applies is the one the file gives (2 % / 3 %)
    assert a.threshold_pct == council.threshold_pct
    if len(cv) > 1:
        assert a.fixed_per_constituency == fixed and a.n_adjustment == council.adjustment_seats
        assert not a.ties


def test_validation_and_seat_margins_2026():
    checks = Q.validate_official(2026)
    assert len(checks) == 27 and all(c.matched and not c.by_lot for c in checks)
    assert Q.validation_summary(2026).startswith("Seat engine vs official 2026 seats: 27/27 councils match")
    m = db.execute("seat_margins", {"election": "kommun", "year": 2026, "party": "V"}).set_index("area")
    assert len(m) == 26 and (m.seats == m.official_seats).all()
    assert (m.council_size_year == 2026).all() and set(m.count_status) == {"final"}
    sthlm = m.loc["0180"]
    assert (sthlm.seats, sthlm.votes, sthlm.council_size, sthlm.constituencies) == (15, 95_823, 101, 6)
    # margins exist wherever V has seats; none where it has none (Täby, Danderyd)
    assert m.loc[m.seats > 0, "margin_on_last_seat"].notna().all()
    assert m.loc[["0160", "0162"], "seats"].tolist() == [0, 0]
    r = db.execute("seat_margins", {"election": "region", "year": 2026, "party": "V"}).iloc[0]
    assert (r.seats, r.official_seats, r.constituencies, r.count_status) == (18, 18, 12, "final")


def test_published_fixed_seats_are_used_not_recomputed():
    c = Q.councils_for("kommun", 2026)["0180"]
    assert c.fixed_seats == {f"01800{i}": n for i, n in enumerate((16, 14, 15, 15, 15, 15), start=1)}
    assert c.eligible is None  # no 2026 district electorate is needed
    r = Q.councils_for("region", 2026)["01"]
    assert sum(r.fixed_seats.values()) == 134 and r.council_size == 149
