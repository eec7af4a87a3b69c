"""The fast seat margins (seats.margins: whole-council totals counted in integers) against the
definition they replace: a search over full reruns of the allocation (`seats_with`), on random
councils with constituencies, thresholds, tiny vote counts (many ties) and known lotteries."""
from __future__ import annotations

import random

import pytest

from dashboard import seats as S


# --- the reference: the search the margins were computed by before (full reruns) --------

def reference_next(votes, size, party, *, lot=(), **kw):
    if party not in votes:
        votes = {**votes, party: 0}
    current = S.allocate(votes, size, unlucky=lot, **kw).seats[party]
    if current >= size:
        return None

    def gains(x):
        return S.seats_with(votes, size, party, x, lot=lot, **kw) > current

    lo, hi = 0, 1
    while not gains(hi):
        lo, hi = hi, hi * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if gains(mid):
            hi = mid
        else:
            lo = mid
    return hi


def reference_margin(votes, size, party, *, lot=(), **kw):
    v0 = votes.get(party, 0)
    current = S.allocate(votes, size, unlucky=lot, **kw).seats.get(party, 0)
    if current == 0:
        return None

    def keeps(y):
        return S.seats_with(votes, size, party, -y, lot=lot, **kw) >= current

    if not keeps(0):
        return 0
    lo, hi = 0, v0
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if keeps(mid):
            lo = mid
        else:
            hi = mid
    return lo


def random_council(rng: random.Random):
    """Votes, size and engine arguments; half the councils with votes small enough for ties."""
    small = rng.random() < 0.5
    parties = [f"P{i}" for i in range(rng.randint(1, 7))]
    n_c = rng.choice([1, 1, 2, 3, 5])

    def count():
        return rng.choice([0, rng.randint(0, 40) if small else rng.randint(0, 30000)])

    size = rng.randint(1, 61)
    kw = {"election": rng.choice(["kommun", "region"]),
          "other_votes": rng.randint(0, 30 if small else 4000)}
    if n_c == 1:
        votes = {p: count() for p in parties}
    else:
        cv = {f"K{c}": {p: count() for p in parties} for c in range(n_c)}
        votes = S.sum_constituencies(cv)
        size = max(size, n_c * 2)
        kw.update(constituency_votes=cv, eligible={c: rng.randint(1000, 90000) for c in cv})
    lot = tuple(rng.sample(parties, rng.randint(0, min(2, len(parties)))))
    return votes, size, kw, lot


@pytest.mark.parametrize("seed", range(4))
def test_fast_margins_equal_the_search_over_full_reruns(seed):
    rng = random.Random(seed)
    checked = 0
    while checked < 30:
        votes, size, kw, lot = random_council(rng)
        if sum(votes.values()) == 0:
            continue
        for party in [*votes, "NYTT"]:  # a party with no votes at all too
            assert S.votes_to_next_seat(votes, size, party, lot=lot, **kw) == \
                reference_next(votes, size, party, lot=lot, **kw), (votes, size, party, lot, kw)
            assert S.margin_on_last_seat(votes, size, party, lot=lot, **kw) == \
                reference_margin(votes, size, party, lot=lot, **kw), (votes, size, party, lot, kw)
        checked += 1


def test_the_counted_total_equals_a_full_rerun_for_every_change():
    """The integer count behind the margins (`_Field.total`) is `seats_with`, vote by vote,
    through thresholds and ties."""
    rng = random.Random(17)
    for _ in range(60):
        votes, size, kw, lot = random_council(rng)
        if sum(votes.values()) == 0:
            continue
        party = rng.choice(list(votes))
        n_c = len(kw.get("constituency_votes") or {}) or 1
        field = S._field(votes, size, party, S.threshold_pct(kw["election"], n_c), kw["other_votes"])
        v0 = votes[party]
        for delta in sorted({-v0, *(rng.randint(-v0, 3 * v0 + 50) for _ in range(12))}):
            assert field.total(v0 + delta) == S.seats_with(votes, size, party, delta, lot=lot, **kw), \
                (votes, size, party, delta, kw)


def test_a_tie_at_the_answer_counts_against_the_party():
    # B 240 ties A's third number (1000/5 = 200 = 240/1,2): one vote more is needed, and A,
    # which wins that tie only by the tie order, holds its second seat with margin 0.
    votes = {"A": 1000, "B": 240}
    assert S.margins(votes, 3, "B", 0, threshold=3) == (1, None)
    assert S.margins(votes, 3, "A", 3, threshold=3) == (None, 0)
