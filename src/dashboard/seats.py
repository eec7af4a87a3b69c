"""Seat allocation for Swedish municipal and regional councils, and seat margins.

Pure functions (no Streamlit, no data access). The rules are those of the Elections Act,
vallagen (2005:837), chapter 14, as amended by SFS 2014:1384 and applied from the 2018
election on (sources and their exact wording: docs/seats.md):

* 14 kap. 3 §: seats go to parties by the modified odd-number method (jämkade
  uddatalsmetoden): a party's comparison number is its votes / 1,2 while it has no seat,
  then votes / 3, / 5, / 7 … The largest comparison number takes the next seat.
* 14 kap. 6 §: thresholds for kommunfullmäktige: 2 % of the votes in a municipality that
  is one constituency, 3 % in one divided into two or more. Regionfullmäktige: 3 % of the
  votes in the whole region (val.se, "Spärrar mot små partier"). "Minst": a party exactly
  at the threshold takes part. The base is every valid vote in the council area,
  including votes for parties that cannot win a seat. The threshold applies to all seats.
* Councils with several constituencies (every region with more than one, the larger
  municipalities that keep them): 9/10 of the seats are fixed constituency seats, the rest
  (1/10 rounded up) adjustment seats, utjämningsmandat (val.se "Valkretsar"). The county
  administrative board distributes the fixed seats among the constituencies before the
  election by eligible voters, whole quotas first, then the largest remainders (val.se
  "Fördelning av valkretsmandat"; counts of 1 March of the election year).
* Fixed seats: 14 kap. 3 § in each constituency among the parties above the threshold.
  14 kap. 4 a–4 c §§ (återföring, from 2018): a party with more fixed seats than its
  proportional number for the whole council (all seats by 3 § on the whole-area votes)
  returns the excess – the seat it won with the lowest comparison number first – and the
  returned seat goes to the party next in turn in that constituency among those still
  below their proportional number. Adjustment seats then bring every party to exactly its
  whole-area number; a party's adjustment seats are placed where its comparison number with
  the plain odd-number method (votes / 1, 3, 5 … by its seats in the constituency) is largest.
* 14 kap. 2 §: equal numbers are decided by lot (lottning). This module is deterministic
  instead: ties go to the party with more votes in the whole council, then by party code
  (constituencies: more eligible voters, then code); every tie that decides a seat is
  reported in `Allocation.ties`, so a reader knows where the real result was a lottery.
  `unlucky` names parties that lose ties (a known lottery outcome, or the margins below).

Consequence: because of återföring, a party's *total* depends only on the whole-council
votes, never on how they split among constituencies. The constituency stage decides where
seats land, not how many each party gets (tested on random councils).

Seat margins (`votes_to_next_seat`, `margin_on_last_seat`) are defined by the full
allocation with changed votes for one party, all other parties' votes unchanged (so the
valid-vote total, and with it every threshold, moves too; `seats_with`). A tie that would
decide the party's seat counts against it: the margins are what the party needs to be *sure*,
not to reach a lottery. They are computed from the whole-council totals in integers
(`margins`), which gives the same numbers as searching over full reruns without doing them.
"""
from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable, Mapping, Sequence

FIRST_DIVISOR = Fraction(6, 5)  # 14 kap. 3 § vallagen (1,4 before 2018)
ELECTIONS = ("kommun", "region")


@dataclass(frozen=True)
class Tie:
    """Equal comparison numbers for more claimants than seats left: a lottery in reality."""

    stage: str  # "mandat" (whole council), "fasta" (fixed seats in a constituency),
    #             "valkretsar" (fixed seats among constituencies), "återföring", "utjämning"
    where: str  # constituency code, or "" for the whole council
    contenders: tuple[str, ...]
    winners: tuple[str, ...]


@dataclass(frozen=True)
class Allocation:
    """The result for one council."""

    seats: dict[str, int]  # total per party (every party given, 0 included)
    participating: tuple[str, ...]  # parties at or above the threshold
    threshold_pct: int
    valid_votes: int
    council_size: int
    ties: tuple[Tie, ...] = ()
    # Multi-constituency councils only (empty otherwise):
    fixed_per_constituency: dict[str, int] = field(default_factory=dict)
    fixed: dict[str, dict[str, int]] = field(default_factory=dict)  # constituency -> party -> seats
    adjustment: dict[str, dict[str, int]] = field(default_factory=dict)
    returned: tuple[tuple[str, str, str], ...] = ()  # (constituency, from party, to party)

    @property
    def n_adjustment(self) -> int:
        return self.council_size - sum(self.fixed_per_constituency.values()) if self.fixed_per_constituency else 0

    def constituency_seats(self) -> dict[str, dict[str, int]]:
        """Fixed + adjustment seats per constituency and party."""
        out: dict[str, dict[str, int]] = {}
        for c, parties in self.fixed.items():
            adj = self.adjustment.get(c, {})
            out[c] = {p: parties.get(p, 0) + adj.get(p, 0) for p in set(parties) | set(adj)}
        return out


def threshold_pct(election: str, n_constituencies: int) -> int:
    """14 kap. 6 §: region 3 %; municipality 2 % (one constituency) or 3 % (several)."""
    if election == "region":
        return 3
    if election == "kommun":
        return 2 if n_constituencies <= 1 else 3
    raise ValueError(f"unknown election {election!r} (expected one of {ELECTIONS})")


def n_fixed_seats(council_size: int, n_constituencies: int) -> int:
    """Fixed constituency seats: all of them in one constituency, else 9/10 (adjustment 1/10 rounded up)."""
    if n_constituencies <= 1:
        return council_size
    return council_size - math.ceil(council_size / 10)


def _unlucky(unlucky: str | Sequence[str] | None) -> tuple[str, ...]:
    if unlucky is None:
        return ()
    return (unlucky,) if isinstance(unlucky, str) else tuple(unlucky)


def _tie_rank(keys: Mapping[str, int], unlucky: str | Sequence[str] | None = None) -> dict[str, int]:
    # Deterministic stand-in for the lot: larger key (votes) first, then code. Parties in
    # `unlucky` lose every tie, the last named the most unlucky.
    losers = {p: i for i, p in enumerate(_unlucky(unlucky))}
    ordered = sorted(keys, key=lambda p: (losers.get(p, -1), -keys[p], p))
    return {p: i for i, p in enumerate(ordered)}


def _divisor_modified(n: int) -> Fraction:
    return FIRST_DIVISOR if n == 0 else Fraction(2 * n + 1)


def _divisor_plain(n: int) -> Fraction:
    return Fraction(2 * n + 1)


def highest_averages(
    votes: Mapping[str, int],
    seats: int,
    *,
    rank: Mapping[str, int] | None = None,
    initial: Mapping[str, int] | None = None,
    divisor: Callable[[int], Fraction] = _divisor_modified,
    stage: str = "mandat",
    where: str = "",
) -> tuple[dict[str, int], list[Tie]]:
    """Give `seats` more seats by comparison numbers votes / divisor(seats held).

    `initial` seats are already held (they set the first divisor). `rank` orders claimants
    with equal comparison numbers (lower first); a tie is reported only when it decides who
    gets a seat, i.e. more equal claimants than seats left.
    """
    result = {p: int((initial or {}).get(p, 0)) for p in votes}
    ties: list[Tie] = []
    if seats <= 0 or not votes:
        return result, ties
    rank = rank if rank is not None else _tie_rank(votes)
    heap = [(-(Fraction(v) / divisor(result[p])), rank[p], p) for p, v in votes.items()]
    heapq.heapify(heap)
    left = seats
    while left > 0:
        top = heapq.heappop(heap)
        group = [top]
        while heap and heap[0][0] == top[0]:
            group.append(heapq.heappop(heap))
        winners = group[:left]
        if len(group) > left:
            ties.append(Tie(stage, where, tuple(g[2] for g in group), tuple(g[2] for g in winners)))
        for _, r, p in winners:
            result[p] += 1
            heapq.heappush(heap, (-(Fraction(votes[p]) / divisor(result[p])), r, p))
        for g in group[left:]:
            heapq.heappush(heap, g)
        left -= len(winners)
    return result, ties


def largest_remainder(weights: Mapping[str, int], seats: int) -> tuple[dict[str, int], list[Tie]]:
    """Whole quotas first, then the largest remainders (fixed seats among constituencies)."""
    total = sum(weights.values())
    if total <= 0:
        raise ValueError("largest_remainder: the weights (eligible voters) sum to zero")
    result = {k: w * seats // total for k, w in weights.items()}
    remainders = {k: w * seats % total for k, w in weights.items()}
    left = seats - sum(result.values())
    order = sorted(weights, key=lambda k: (-remainders[k], -weights[k], k))
    ties: list[Tie] = []
    if left > 0:
        cut = remainders[order[left - 1]]
        if left < len(order) and remainders[order[left]] == cut:
            tied = tuple(k for k in order if remainders[k] == cut)
            winners = tuple(k for k in order[:left] if remainders[k] == cut)
            ties.append(Tie("valkretsar", "", tied, winners))
    for k in order[:left]:
        result[k] += 1
    return result, ties


def _check_votes(votes: Mapping[str, int], what: str) -> None:
    for p, v in votes.items():
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            raise ValueError(f"{what}: votes for {p!r} must be a non-negative integer, got {v!r}")


def allocate(
    votes: Mapping[str, int],
    council_size: int,
    *,
    election: str,
    constituency_votes: Mapping[str, Mapping[str, int]] | None = None,
    fixed_seats: Mapping[str, int] | None = None,
    eligible: Mapping[str, int] | None = None,
    other_votes: int = 0,
    unlucky: str | Sequence[str] | None = None,
) -> Allocation:
    """Allocate a council's seats.

    votes: whole-council votes of every party that can win seats. other_votes: valid votes
    that belong to no such party (e.g. SCB's ÖVR bucket); they count for the threshold only.
    constituency_votes: votes per constituency (two or more constituencies: the full
    fixed/adjustment procedure; they must add up to `votes`). fixed_seats per constituency,
    or eligible voters per constituency to distribute them. unlucky: a party, or parties,
    that lose every tie (the margin functions; a known outcome of a real lottery).
    """
    _check_votes(votes, "allocate")
    if council_size <= 0:
        raise ValueError(f"council_size must be positive, got {council_size}")
    if other_votes < 0:
        raise ValueError(f"other_votes must be non-negative, got {other_votes}")
    n_const = len(constituency_votes) if constituency_votes else 1
    pct = threshold_pct(election, n_const)
    valid = sum(votes.values()) + other_votes
    participating = tuple(p for p, v in votes.items() if v > 0 and v * 100 >= pct * valid)
    rank = _tie_rank(votes, unlucky)
    entitled, ties = highest_averages({p: votes[p] for p in participating}, council_size, rank=rank)
    seats = {p: entitled.get(p, 0) for p in votes}
    if n_const == 1:
        return Allocation(seats, participating, pct, valid, council_size, tuple(ties))

    cv = {c: dict(pv) for c, pv in constituency_votes.items()}
    for c, pv in cv.items():
        _check_votes(pv, f"allocate, constituency {c}")
        unknown = set(pv) - set(votes)
        if unknown:
            raise ValueError(f"constituency {c} has parties missing from the council votes: {sorted(unknown)}")
    for p, v in votes.items():
        s = sum(pv.get(p, 0) for pv in cv.values())
        if s != v:
            raise ValueError(f"party {p!r}: constituency votes sum to {s}, council votes are {v}")
    n_fixed = n_fixed_seats(council_size, n_const)
    if fixed_seats is None:
        if eligible is None:
            raise ValueError("several constituencies need fixed_seats or eligible voters per constituency")
        fixed_per_c, t = largest_remainder({c: int(eligible[c]) for c in cv}, n_fixed)
        ties += t
    else:
        fixed_per_c = {c: int(fixed_seats[c]) for c in cv}
        if sum(fixed_per_c.values()) != n_fixed:
            raise ValueError(
                f"fixed seats sum to {sum(fixed_per_c.values())}, expected {n_fixed} of {council_size}"
            )

    # Fixed seats in each constituency (14 kap. 3 §), among the parties above the threshold.
    fixed: dict[str, dict[str, int]] = {}
    for c in sorted(cv):
        pv = {p: cv[c].get(p, 0) for p in participating}
        fixed[c], t = highest_averages(pv, fixed_per_c[c], rank=rank, stage="fasta", where=c)
        ties += t

    # Återföring (14 kap. 4 a–4 c §§): excess fixed seats go back, the seat won with the
    # lowest comparison number first, to the party next in turn in that constituency.
    returned: list[tuple[str, str, str]] = []

    def total_fixed(p: str) -> int:
        return sum(fixed[c][p] for c in fixed)

    while True:
        over = [p for p in participating if total_fixed(p) > entitled[p]]
        if not over:
            break
        candidates = [
            (Fraction(cv[c].get(p, 0)) / _divisor_modified(fixed[c][p] - 1), rank[p], c, p)
            for p in over
            for c in sorted(fixed)
            if fixed[c][p] > 0
        ]
        lowest = min(candidates)
        same = [x for x in candidates if x[0] == lowest[0]]
        _, _, c, p = lowest
        if len(same) > 1:
            ties.append(Tie("återföring", c, tuple(f"{x[3]}@{x[2]}" for x in same), (f"{p}@{c}",)))
        fixed[c][p] -= 1
        open_parties = {q: cv[c].get(q, 0) for q in participating if q != p and total_fixed(q) < entitled[q]}
        got, t = highest_averages(
            open_parties, 1, rank=rank, initial={q: fixed[c][q] for q in open_parties},
            stage="återföring", where=c,
        )
        ties += t
        to = next(q for q in open_parties if got[q] > fixed[c][q])
        fixed[c][to] += 1
        returned.append((c, p, to))

    # Adjustment seats: each party gets the rest of its whole-council entitlement, placed
    # where its plain odd-number comparison number is largest.
    adjustment: dict[str, dict[str, int]] = {c: {p: 0 for p in participating} for c in fixed}
    c_rank = _tie_rank({c: int((eligible or fixed_per_c)[c]) for c in fixed})
    for p in participating:
        need = entitled[p] - total_fixed(p)
        if need <= 0:
            continue
        placed, t = highest_averages(
            {c: cv[c].get(p, 0) for c in fixed}, need, rank=c_rank,
            initial={c: fixed[c][p] for c in fixed}, divisor=_divisor_plain,
            stage="utjämning", where=p,
        )
        ties += t
        for c in fixed:
            adjustment[c][p] = placed[c] - fixed[c][p]
    return Allocation(
        seats, participating, pct, valid, council_size, tuple(ties),
        fixed_per_c, fixed, adjustment, tuple(returned),
    )


# --- margins -------------------------------------------------------------------------


def _with_change(
    votes: Mapping[str, int],
    constituency_votes: Mapping[str, Mapping[str, int]] | None,
    party: str,
    delta: int,
) -> tuple[dict[str, int], dict[str, dict[str, int]] | None]:
    """Votes with `delta` more (or fewer) for `party`.

    Gains are cast in the constituency where the party has most votes; losses are taken
    from there first, then from the next largest. (Totals do not depend on the choice –
    see the module docstring – but the allocation is rerun in full all the same.)
    """
    new_votes = dict(votes)
    new_votes[party] = votes.get(party, 0) + delta
    if not constituency_votes or len(constituency_votes) <= 1:
        return new_votes, ({c: dict(pv) for c, pv in constituency_votes.items()} if constituency_votes else None)
    cv = {c: dict(pv) for c, pv in constituency_votes.items()}
    order = sorted(cv, key=lambda c: (-cv[c].get(party, 0), c))
    if delta >= 0:
        cv[order[0]][party] = cv[order[0]].get(party, 0) + delta
    else:
        left = -delta
        for c in order:
            take = min(left, cv[c].get(party, 0))
            cv[c][party] = cv[c].get(party, 0) - take
            left -= take
            if not left:
                break
    return new_votes, cv


def seats_with(
    votes: Mapping[str, int],
    council_size: int,
    party: str,
    delta: int = 0,
    *,
    lot: Sequence[str] = (),
    **kwargs,
) -> int:
    """The party's total when it has `delta` more votes; ties go against it.

    lot: parties known to have lost a real lottery (they lose ties after `party`'s own).
    """
    v, cv = _with_change(votes, kwargs.pop("constituency_votes", None), party, delta)
    unlucky = (*(q for q in lot if q != party), party)
    return allocate(v, council_size, constituency_votes=cv, unlucky=unlucky, **kwargs).seats.get(party, 0)


# The margins need only the party's *total* for other vote counts, and a total is the
# whole-council allocation (module docstring), so the searches below never rerun the
# constituency stage. With the party losing every tie (`seats_with`), its total for v votes is
# fixed by counting the other parties' comparison numbers, in integers:
#   seat k+1 (k = 0, 1, …) is the party's iff fewer than size − k comparison numbers of the
#   other participating parties are >= v / divisor(k)   (equal ones come first: it loses ties)
# and the least v that gives s seats follows from the (size − s + 1)-th largest of those numbers.
# Each answer is checked against the counting function, which mirrors `highest_averages`
# (tests/test_seats_fast.py compares both with the full reruns on random councils).


def _divisor_parts(k: int) -> tuple[int, int]:
    """_divisor_modified(k) as (numerator, denominator)."""
    return (6, 5) if k == 0 else (2 * k + 1, 1)


def _numbers_at_least(rivals: Sequence[int], v: int, k: int, limit: int) -> int:
    """How many comparison numbers of `rivals` (votes; /1,2, /3, /5 …) are >= v / divisor(k),
    counted until `limit` is reached."""
    dn, dd = _divisor_parts(k)
    s = v * dd  # the bar is s / dn
    n = 0
    for q in rivals:
        r = q * dn
        if 5 * r < 6 * s:  # q / 1,2 is below the bar: so are all its other numbers
            continue
        n += 1
        if r >= 3 * s:  # q / (2j + 1) >= bar for j = 1 … (r/s − 1) / 2
            n += (r - s) // (2 * s)
        if n >= limit:
            break
    return n


@dataclass(frozen=True)
class _Field:
    """One party against the others' fixed votes: what the totals for other counts need."""

    others: tuple[int, ...]  # the other parties' votes
    rest: int  # valid votes that are not the party's (others + other_votes)
    size: int
    pct: int

    def participates(self, v: int) -> bool:
        return v > 0 and 100 * v >= self.pct * (self.rest + v)

    def rivals(self, v: int) -> list[int]:
        """The other parties at or above the threshold when the party has v votes."""
        valid = self.rest + v
        return [q for q in self.others if q > 0 and 100 * q >= self.pct * valid]

    def total(self, v: int) -> int:
        """The party's total with v votes when it loses every tie (= `seats_with`)."""
        if not self.participates(v):
            return 0
        rivals = self.rivals(v)
        lo, hi = 0, self.size  # seat k+1 is won for every k < lo, lost for every k >= hi
        while lo < hi:
            k = (lo + hi) // 2
            if _numbers_at_least(rivals, v, k, self.size - k) < self.size - k:
                lo = k + 1
            else:
                hi = k
        return lo

    def least_votes(self, s: int) -> int:
        """The least vote count that surely gives the party `s` seats (1 <= s <= size)."""
        found = self._least_votes_direct(s)
        if self.total(found) >= s and (found == 0 or self.total(found - 1) < s):
            return found
        # Not expected (the tests compare both); the search below relies only on `total`
        # growing with v, as the bisection of the full reruns did.
        lo, hi = 0, self._all_seats_from()
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self.total(mid) >= s:
                hi = mid
            else:
                lo = mid
        return hi

    def _all_seats_from(self) -> int:
        """A vote count at which every other party is below the threshold and the party above it."""
        v = max(1, -(-self.pct * self.rest // (100 - self.pct)))
        for q in self.others:
            v = max(v, self._last_in(q) + 1)
        return v

    def _last_in(self, q: int) -> int:
        """The party's largest vote count at which a rival with q votes still passes the
        threshold (negative: never)."""
        return (100 * q - self.pct * self.rest) // self.pct if q > 0 else -1

    def _least_votes_direct(self, s: int) -> int:
        k = s - 1
        threshold = max(1, -(-self.pct * self.rest // (100 - self.pct)))
        # Rivals drop below the threshold as the party's votes (and the valid total) grow: go
        # through the stretches of v with the same rivals, lowest first.
        drops = sorted({self._last_in(q) + 1 for q in self.others if self._last_in(q) >= 0})
        starts = [0, *drops]
        for i, a in enumerate(starts):
            end = starts[i + 1] if i + 1 < len(starts) else None
            rivals = [q for q in self.others if self._last_in(q) >= a]
            need = max(a, threshold, self._beats(rivals, k))
            if end is None or need < end:
                return need
        raise AssertionError("unreachable: the last stretch has no end")

    def _beats(self, rivals: list[int], k: int) -> int:
        """Least v whose number v / divisor(k) leaves fewer than size − k numbers of `rivals`
        at or above it (i.e. is above the (size − k)-th largest of them)."""
        if not rivals:
            return 1
        need = self.size - k
        dn, dd = _divisor_parts(k)
        lo = 0  # too few votes (no votes win nothing)
        hi = -(-5 * max(rivals) * dn // (6 * dd)) + 1  # above every rival's largest number, q / 1,2
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if _numbers_at_least(rivals, mid, k, need) < need:
                hi = mid
            else:
                lo = mid
        return hi


def _field(votes: Mapping[str, int], council_size: int, party: str, pct: int, other_votes: int) -> _Field:
    others = tuple(v for p, v in votes.items() if p != party)
    return _Field(others, sum(others) + other_votes, council_size, pct)


def margins(
    votes: Mapping[str, int],
    council_size: int,
    party: str,
    current: int,
    *,
    threshold: int,
    other_votes: int = 0,
) -> tuple[int | None, int | None]:
    """(votes_to_next_seat, margin_on_last_seat) for a party that holds `current` seats in
    the allocation (with its lot order); `threshold` in per cent (`threshold_pct`)."""
    f = _field(votes, council_size, party, threshold, other_votes)
    v0 = votes.get(party, 0)
    nxt = None if current >= council_size else f.least_votes(current + 1) - v0
    if current == 0:
        return nxt, None
    keep = f.least_votes(current)
    return nxt, (v0 - keep if keep <= v0 else 0)


def _current(votes, council_size, party, lot, kw) -> int:
    return allocate(votes, council_size, unlucky=lot, **kw).seats.get(party, 0)


def votes_to_next_seat(
    votes: Mapping[str, int],
    council_size: int,
    party: str,
    *,
    election: str,
    constituency_votes: Mapping[str, Mapping[str, int]] | None = None,
    fixed_seats: Mapping[str, int] | None = None,
    eligible: Mapping[str, int] | None = None,
    other_votes: int = 0,
    lot: Sequence[str] = (),
) -> int | None:
    """Smallest number of extra votes, all others unchanged, that surely gives one seat more.

    At least one: crossing the threshold can bring several at once. None when the party
    already holds every seat. The seat count is that of `allocate`
    with the default tie order (or `lot`: parties known to have lost a real lottery); the
    answer is the least x with seats_with(…, x) > seats.
    """
    kw = dict(election=election, constituency_votes=constituency_votes, fixed_seats=fixed_seats,
              eligible=eligible, other_votes=other_votes)
    if party not in votes:
        votes = {**votes, party: 0}
    current = _current(votes, council_size, party, lot, kw)
    pct = threshold_pct(election, len(constituency_votes) if constituency_votes else 1)
    return margins(votes, council_size, party, current, threshold=pct, other_votes=other_votes)[0]


def margin_on_last_seat(
    votes: Mapping[str, int],
    council_size: int,
    party: str,
    *,
    election: str,
    constituency_votes: Mapping[str, Mapping[str, int]] | None = None,
    fixed_seats: Mapping[str, int] | None = None,
    eligible: Mapping[str, int] | None = None,
    other_votes: int = 0,
    lot: Sequence[str] = (),
) -> int | None:
    """Largest number of votes the party can lose, all others unchanged, and surely keep its seats.

    One vote more loses at least one seat (below the threshold, all of them). None when it
    has no seat. 0 when it holds its last seat only by the tie order (a lottery). The answer
    is the largest y with seats_with(…, −y) >= seats.
    """
    kw = dict(election=election, constituency_votes=constituency_votes, fixed_seats=fixed_seats,
              eligible=eligible, other_votes=other_votes)
    current = _current(votes, council_size, party, lot, kw)
    pct = threshold_pct(election, len(constituency_votes) if constituency_votes else 1)
    return margins(votes, council_size, party, current, threshold=pct, other_votes=other_votes)[1]


def sum_constituencies(constituency_votes: Mapping[str, Mapping[str, int]]) -> dict[str, int]:
    """Council votes as the sum over constituencies."""
    total: dict[str, int] = {}
    for pv in constituency_votes.values():
        for p, v in pv.items():
            total[p] = total.get(p, 0) + v
    return total

