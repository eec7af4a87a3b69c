"""Seat engine: hand-checked small examples (no data files needed)."""
from __future__ import annotations

import random

import pytest

from dashboard import seats as S


# --- the modified odd-number method (14 kap. 3 §) -------------------------------------

def test_modified_odd_number_textbook_example():
    # Comparison numbers by hand: A 24657/1,2 = 20547,5, B 15260, C 9980, D 9020, E 6780,8.
    # Seats 1-4: A, B, C, D; seat 5: A's 24657/3 = 8219 beats E's 6780,8.
    a = S.allocate({"A": 24657, "B": 18312, "C": 11976, "D": 10824, "E": 8137}, 5, election="kommun")
    assert a.seats == {"A": 2, "B": 1, "C": 1, "D": 1, "E": 0}
    assert a.ties == ()
    assert a.threshold_pct == 2 and a.valid_votes == 73906


def test_first_divisor_is_1_2_not_1_4():
    # 3 seats. A 1000: 833,3 then 333,3 then 200. B 250: 250/1,2 = 208,3 > 200 -> B gets seat 3.
    # (With the pre-2018 divisor 1,4 B would have 178,6 < 200 and A would take all three.)
    assert S.allocate({"A": 1000, "B": 250}, 3, election="region").seats == {"A": 2, "B": 1}
    # B 239: 199,2 < 200 -> A.
    assert S.allocate({"A": 1000, "B": 239}, 3, election="region").seats == {"A": 3, "B": 0}


def test_tie_is_reported_and_decided_deterministically():
    # B 240: 240/1,2 = 200 = A's 1000/5 for the third seat - a lottery by 14 kap. 2 §.
    a = S.allocate({"A": 1000, "B": 240}, 3, election="region")
    assert a.seats == {"A": 3, "B": 0}  # stand-in for the lot: more votes first
    assert a.ties == (S.Tie("mandat", "", ("A", "B"), ("A",)),)
    # The other lawful outcome, when A loses every tie:
    assert S.allocate({"A": 1000, "B": 240}, 3, election="region", unlucky="A").seats == {"A": 2, "B": 1}


def test_equal_numbers_with_enough_seats_are_no_tie():
    # A and B both 600/1,2 = 500 for seat 1 and both get a seat: nothing is left to chance.
    a = S.allocate({"A": 600, "B": 600}, 2, election="region")
    assert a.seats == {"A": 1, "B": 1} and a.ties == ()


# --- thresholds (14 kap. 6 §) ----------------------------------------------------------

def test_kommun_threshold_two_percent_inclusive():
    # 101 seats. X exactly 2 % of 10 000 takes part: 200/1,2 = 166,7 and 200/3 = 66,7 both beat
    # A's 100th number 9800/199 = 49,2, while 200/5 = 40 does not beat A's 99th (49,7).
    a = S.allocate({"A": 9800, "X": 200}, 101, election="kommun", other_votes=0)
    assert a.participating == ("A", "X") and a.seats == {"A": 99, "X": 2}
    # One vote fewer: 199 < 2 % of 9 999 = 199,98 -> no seat at all.
    b = S.allocate({"A": 9800, "X": 199}, 101, election="kommun")
    assert b.participating == ("A",) and b.seats == {"A": 101, "X": 0}


def test_threshold_base_includes_votes_of_non_parties():
    # X has 200 of 10 000 valid votes = 2 %, but ÖVR-style votes raise the base: 200 of
    # 10 001 is below 2 %.
    assert S.allocate({"A": 9800, "X": 200}, 31, election="kommun", other_votes=0).seats["X"] == 1
    assert S.allocate({"A": 9800, "X": 200}, 31, election="kommun", other_votes=1).seats["X"] == 0


def test_three_percent_for_regions_and_divided_municipalities():
    assert S.threshold_pct("region", 1) == 3
    assert S.threshold_pct("region", 12) == 3
    assert S.threshold_pct("kommun", 1) == 2
    assert S.threshold_pct("kommun", 2) == 3
    # 2,5 % wins a seat in an undivided municipality of 41 (250/1,2 = 208,3 beats A's 41st
    # number 9750/81 = 120,4; 250/3 = 83,3 does not beat A's 40th, 123,4), nothing in a region.
    votes = {"A": 9750, "X": 250}
    assert S.allocate(votes, 41, election="kommun").seats == {"A": 40, "X": 1}
    assert S.allocate(votes, 41, election="region").seats == {"A": 41, "X": 0}
    with pytest.raises(ValueError):
        S.threshold_pct("riksdag", 1)


# --- constituencies: fixed seats, återföring, adjustment seats --------------------------

def test_fixed_and_adjustment_seat_numbers():
    assert S.n_fixed_seats(61, 1) == 61
    assert S.n_fixed_seats(61, 2) == 54  # 7 adjustment seats (6,1 rounded up)
    assert S.n_fixed_seats(101, 6) == 90
    assert S.n_fixed_seats(149, 12) == 134  # Region Stockholm: 15 adjustment seats
    assert S.n_fixed_seats(10, 2) == 9


def test_largest_remainder_for_fixed_seats():
    # Quotas 0,9 / 2,25 / 5,85 -> 0, 2, 5 (7 seats) then remainders ,9 and ,85 take the rest.
    seats, ties = S.largest_remainder({"a": 1000, "b": 2500, "c": 6500}, 9)
    assert seats == {"a": 1, "b": 2, "c": 6} and ties == []
    seats, ties = S.largest_remainder({"a": 1, "b": 1}, 1)
    assert seats == {"a": 1, "b": 0}
    assert ties == [S.Tie("valkretsar", "", ("a", "b"), ("a",))]


def _overhang_example(**kw):
    # Council of 10 in two constituencies: 1 adjustment seat, 9 fixed (X 5, Y 4 by eligible).
    cv = {"X": {"A": 600, "B": 0, "C": 400}, "Y": {"A": 0, "B": 500, "C": 20}}
    votes = {"A": 600, "B": 500, "C": 420}
    return S.allocate(votes, 10, election="kommun", constituency_votes=cv,
                      eligible={"X": 5000, "Y": 4000}, **kw)


def test_overhang_is_returned_and_adjustment_seat_placed():
    # Whole council (10 seats): A 500, 200, 120, 85,7 | B 416,7, 166,7, 100 | C 350, 140, 84
    # -> A 4, B 3, C 3 (B's next 71,4 and A's 66,7 are below C's 84).
    # Fixed in X (5): A 500, C 333,3, A 200, C 133,3, A 120 -> A 3, C 2.
    # Fixed in Y (4): B 416,7, 166,7, 100, 71,4 (C only 16,7) -> B 4: one more than B's 3.
    # Återföring: B's seat won at 71,4 goes back; in Y the next in turn among parties below
    # their share is C (20/1,2 = 16,7; A has no votes there).
    # A still lacks one seat: the adjustment seat, placed in X (600/7 = 85,7 > 0 in Y).
    a = _overhang_example()
    assert a.seats == {"A": 4, "B": 3, "C": 3}
    assert a.fixed_per_constituency == {"X": 5, "Y": 4}
    assert a.fixed == {"X": {"A": 3, "B": 0, "C": 2}, "Y": {"A": 0, "B": 3, "C": 1}}
    assert a.returned == (("Y", "B", "C"),)
    assert a.adjustment == {"X": {"A": 1, "B": 0, "C": 0}, "Y": {"A": 0, "B": 0, "C": 0}}
    assert a.constituency_seats() == {"X": {"A": 4, "B": 0, "C": 2}, "Y": {"A": 0, "B": 3, "C": 1}}
    assert a.n_adjustment == 1 and a.threshold_pct == 3


def test_constituency_votes_must_add_up():
    with pytest.raises(ValueError, match="constituency votes sum"):
        S.allocate({"A": 601, "B": 500}, 10, election="kommun",
                   constituency_votes={"X": {"A": 600, "B": 0}, "Y": {"A": 0, "B": 500}},
                   eligible={"X": 1, "Y": 1})


def _random_council(rng: random.Random):
    n_c = rng.randint(2, 5)
    parties = [f"P{i}" for i in range(rng.randint(2, 8))]
    cv = {f"K{c}": {p: rng.choice([0, rng.randint(0, 300), rng.randint(0, 20000)]) for p in parties}
          for c in range(n_c)}
    size = rng.randint(11, 101)
    eligible = {c: rng.randint(1000, 90000) for c in cv}
    # Other votes at most a tenth of the party votes, so some party passes 3 %.
    return cv, size, eligible, rng.randint(0, sum(map(sum, (v.values() for v in cv.values()))) // 10)


def test_totals_equal_whole_council_allocation_for_random_councils():
    # 14 kap. 4 a-4 c §§ make the totals independent of the constituency split.
    rng = random.Random(2022)
    for _ in range(300):
        cv, size, eligible, other = _random_council(rng)
        votes = S.sum_constituencies(cv)
        if sum(votes.values()) == 0:
            continue
        full = S.allocate(votes, size, election="kommun", constituency_votes=cv, eligible=eligible,
                          other_votes=other)
        whole = S.allocate(votes, size, election="kommun", other_votes=other)
        assert whole.threshold_pct == 2 and full.threshold_pct == 3
        three = S.highest_averages({p: votes[p] for p in full.participating}, size,
                                   rank=S._tie_rank(votes))[0]
        assert {p: full.seats[p] for p in full.participating} == three
        per_c = full.constituency_seats()
        assert sum(sum(s.values()) for s in per_c.values()) == size
        for p in votes:
            assert sum(per_c[c].get(p, 0) for c in per_c) == full.seats[p]
            assert sum(full.fixed[c].get(p, 0) for c in full.fixed) <= full.seats[p]
        for c in cv:
            assert sum(full.fixed[c].values()) == full.fixed_per_constituency[c]


# --- margins ---------------------------------------------------------------------------

def test_votes_to_next_seat_across_a_tie():
    # B 240 ties A for the third seat and loses it by the tie order; 1 vote more wins it.
    votes = {"A": 1000, "B": 240}
    assert S.votes_to_next_seat(votes, 3, "B", election="region") == 1
    assert S.seats_with(votes, 3, "B", 0, election="region") == 0
    assert S.seats_with(votes, 3, "B", 1, election="region") == 1
    # A holds its third seat only by the tie order: margin 0.
    assert S.margin_on_last_seat(votes, 3, "A", election="region") == 0


def test_votes_to_next_seat_through_the_threshold():
    # X 150 of 10 000 (1,5 %). With x more: 150 + x >= 2 % of (10 000 + x) needs x >= 51,02,
    # so 52; then 202/1,2 = 168,3 beats A's 31st number 9850/61 = 161,5.
    votes = {"A": 9850, "X": 150}
    assert S.votes_to_next_seat(votes, 31, "X", election="kommun") == 52
    assert S.seats_with(votes, 31, "X", 51, election="kommun") == 0
    assert S.seats_with(votes, 31, "X", 52, election="kommun") == 1


def test_margin_on_last_seat_hand_example():
    # 3 seats, A 1000, B 300: A 833,3, A 333,3, B 250 -> A 2, B 1. B keeps its seat while
    # B/1,2 > 1000/5 = 200, i.e. B >= 241: it can lose 59 votes, not 60 (240 ties -> lot).
    votes = {"A": 1000, "B": 300}
    assert S.margin_on_last_seat(votes, 3, "B", election="region") == 59
    assert S.seats_with(votes, 3, "B", -59, election="region") == 1
    assert S.seats_with(votes, 3, "B", -60, election="region") == 0
    # A keeps two seats while A/3 > B/3 = 100, i.e. A >= 301: it can lose 699.
    assert S.margin_on_last_seat(votes, 3, "A", election="region") == 699


def test_margin_none_without_seats_and_next_none_with_all():
    assert S.margin_on_last_seat({"A": 100, "B": 1}, 3, "B", election="region") is None
    assert S.votes_to_next_seat({"A": 100}, 3, "A", election="region") is None


def test_margins_with_constituencies_do_not_depend_on_where_votes_go():
    kw = dict(election="kommun", constituency_votes={"X": {"A": 600, "B": 0, "C": 400},
                                                     "Y": {"A": 0, "B": 500, "C": 20}},
              eligible={"X": 5000, "Y": 4000})
    votes = {"A": 600, "B": 500, "C": 420}
    for party in votes:
        nxt = S.votes_to_next_seat(votes, 10, party, **kw)
        margin = S.margin_on_last_seat(votes, 10, party, **kw)
        # Every party is far above both thresholds, so the whole-council answer is the same.
        assert nxt == S.votes_to_next_seat(votes, 10, party, election="kommun")
        assert margin == S.margin_on_last_seat(votes, 10, party, election="kommun")
        base = S.allocate(votes, 10, **kw).seats[party]
        assert S.seats_with(votes, 10, party, nxt, **kw) == base + 1
        assert S.seats_with(votes, 10, party, nxt - 1, **kw) == base
        assert S.seats_with(votes, 10, party, -margin, **kw) == base
        assert S.seats_with(votes, 10, party, -margin - 1, **kw) == base - 1
        # The same number of extra votes cast in the other constituency gives the same total.
        for c in ("X", "Y"):
            cv = {k: dict(v) for k, v in kw["constituency_votes"].items()}
            cv[c][party] += nxt
            v2 = {**votes, party: votes[party] + nxt}
            total = S.allocate(v2, 10, election="kommun", constituency_votes=cv,
                               eligible=kw["eligible"], unlucky=party).seats[party]
            assert total == base + 1


def test_margins_match_a_brute_force_search():
    rng = random.Random(5)
    for _ in range(40):
        votes = {f"P{i}": rng.randint(0, 400) for i in range(rng.randint(2, 5))}
        size = rng.randint(5, 21)
        other = rng.randint(0, 60)
        election = rng.choice(["kommun", "region"])
        if sum(votes.values()) == 0:
            continue
        kw = dict(election=election, other_votes=other)
        for party in votes:
            base = S.allocate(votes, size, **kw).seats[party]
            nxt = S.votes_to_next_seat(votes, size, party, **kw)
            if nxt is not None:
                brute = next(x for x in range(0, 200000) if S.seats_with(votes, size, party, x, **kw) > base)
                assert nxt == brute
            margin = S.margin_on_last_seat(votes, size, party, **kw)
            if margin is None:
                assert base == 0
            elif S.seats_with(votes, size, party, 0, **kw) >= base:
                brute = next(y for y in range(0, votes[party] + 1)
                             if S.seats_with(votes, size, party, -(y + 1), **kw) < base)
                assert margin == brute
