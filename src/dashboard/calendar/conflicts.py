"""Conflicts shown before a booking is confirmed, and the coverage of priority associations.

Pure functions: the store supplies the nearby events and visits, the page the rules
(`config.Rules`), the units and the priority set. Every conflict is a Swedish sentence that
names what it clashes with, so the coordinator can decide without looking elsewhere.

* **Same person twice:** another active event (requested, proposed, confirmed or done) with one
  of the same people overlaps, or leaves less than the travel buffer between them (the buffer
  between municipalities, or the one within a municipality).
* **Visit limit:** a visit would give its unit more than `max_visits_per_unit` booked visits
  within the `weeks` weeks up to the visit's day, while some priority unit has none in those weeks.
* **Two big activities** the same Swedish calendar day in the same municipality.

A *unit* is a party association when an association file is loaded, else a municipality (as on
the priority scorecard). A visit booked on a municipality without an association counts for the
municipality's association when it has exactly one.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from . import model as M
from .config import Rules


@dataclass(frozen=True)
class Conflict:
    kind: str  # "person" | "grans" | "stor_aktivitet"
    text: str
    other_id: int | None = None


@dataclass(frozen=True)
class Units:
    """The units visits are counted for."""

    by_association: bool
    names: Mapping[str, str]  # unit id -> name
    kommun_of: Mapping[str, str]  # unit id -> kommunkod
    single: Mapping[str, str] = field(default_factory=dict)  # kommunkod -> its only association

    def of(self, kommunkod: str, forening: str | None) -> str | None:
        """The unit a visit to (kommunkod, forening) counts for, or None."""
        if not self.by_association:
            return kommunkod
        if forening and forening in self.names:
            return forening
        return self.single.get(kommunkod)

    def label(self, unit: str) -> str:
        return self.names.get(unit, unit)


def units_from(associations: pd.DataFrame, kommuner: pd.DataFrame) -> Units:
    """Associations (förening_id, förening, kommunkod) when any are loaded, else municipalities
    (kommunkod, kommun)."""
    if len(associations):
        ids = associations["förening_id"].astype(str)
        per_kommun = associations.groupby("kommunkod")["förening_id"].agg(list)
        single = {k: str(v[0]) for k, v in per_kommun.items() if len(v) == 1}
        return Units(True, dict(zip(ids, associations["förening"].astype(str))),
                     dict(zip(ids, associations["kommunkod"].astype(str))), single)
    codes = kommuner["kommunkod"].astype(str)
    return Units(False, dict(zip(codes, kommuner["kommun"].astype(str))), dict(zip(codes, codes)))


@dataclass(frozen=True)
class PrioritySet:
    units: tuple[str, ...]  # unit ids
    source: str  # where the list comes from, in Swedish


def priority_from_list(listed: pd.DataFrame, units: Units) -> PrioritySet:
    """The district's own list (kommunkod, förening, valår): a row naming an association is that
    association; a row without one is every unit of its municipality."""
    year = None
    if len(listed) and "valår" in listed and listed["valår"].notna().any():
        year = int(listed["valår"].max())
        listed = listed[listed["valår"].isna() | listed["valår"].eq(year)]
    chosen: list[str] = []
    by_name = {v.casefold(): k for k, v in units.names.items()}
    for r in listed.itertuples(index=False):
        named = getattr(r, "förening", None)
        if units.by_association and isinstance(named, str) and named.strip():
            key = named.strip()
            unit = key if key in units.names else by_name.get(key.casefold())
            if unit:
                chosen.append(unit)
            continue
        chosen += [u for u, k in units.kommun_of.items() if k == r.kommunkod]
    when = f", valår {year}" if year else ""
    return PrioritySet(tuple(dict.fromkeys(chosen)), f"distriktets lista över prioriterade föreningar{when}")


def priority_from_card(card: pd.DataFrame, top: int, units: Units, what: str) -> PrioritySet:
    """The `top` highest ranked units of the priority scorecard (unit_id, rank)."""
    ranked = card[card["rank"].notna()].sort_values("rank").head(top)
    chosen = [str(u) for u in ranked["unit_id"] if str(u) in units.names]
    return PrioritySet(tuple(chosen), f"de {top} högst rankade i prioriteringskortet ({what})")


# --- checks --------------------------------------------------------------------------------------------


def _quote(row) -> str:
    return f"«{row.title}» {M.time_span_text(row.starts_at, row.ends_at)}"


def _minutes(delta: dt.timedelta) -> int:
    return int(round(delta.total_seconds() / 60))


def person_clashes(start: dt.datetime, end: dt.datetime, kommunkod: str, person_ids: Sequence[int],
                   others: pd.DataFrame, rules: Rules, person_names: Mapping[int, str],
                   kommun_names: Mapping[str, str], exclude_id: int | None = None) -> list[Conflict]:
    """The same person in two events that overlap or leave too little time to travel."""
    out: list[Conflict] = []
    mine = {int(p) for p in person_ids}
    if not mine or others.empty:
        return out
    for r in others.itertuples(index=False):
        if exclude_id is not None and r.id == exclude_id or r.status not in M.ACTIVE:
            continue
        shared = sorted(mine & {int(p) for p in r.person_ids}, key=lambda p: person_names.get(p, ""))
        if not shared:
            continue
        other_start, other_end = r.starts_at.to_pydatetime(), r.ends_at.to_pydatetime()
        same_place = r.kommunkod == kommunkod
        gap_needed = dt.timedelta(minutes=rules.buffer_same_min if same_place else rules.buffer_between_min)
        who = " och ".join(person_names.get(p, "?") for p in shared)
        where = kommun_names.get(r.kommunkod, r.kommunkod)
        status = M.STATUSES[r.status]
        if other_start < end and other_end > start:
            out.append(Conflict("person", f"{who} är redan uppbokad samtidigt: {_quote(r)} i {where} ({status}).",
                                int(r.id)))
        elif other_start < end + gap_needed and other_end > start - gap_needed:
            gap = start - other_end if other_end <= start else other_start - end
            rule = ("restiden mellan kommuner är satt till" if not same_place else
                    "marginalen inom samma kommun är satt till")
            out.append(Conflict(
                "person",
                f"{who} hinner inte mellan: {_quote(r)} i {where} ({status}) ligger bara {_minutes(gap)} min ifrån – "
                f"{rule} {_minutes(gap_needed)} min.", int(r.id)))
    return out


def big_activity_clashes(start: dt.datetime, kind: str, kommunkod: str, others: pd.DataFrame,
                         kommun_names: Mapping[str, str], exclude_id: int | None = None) -> list[Conflict]:
    """Two big activities on the same Swedish day in the same municipality."""
    if kind != M.BIG or others.empty:
        return []
    day = M.local(start).date()
    out = []
    for r in others.itertuples(index=False):
        if (exclude_id is not None and r.id == exclude_id) or r.kind != M.BIG or r.kommunkod != kommunkod \
                or r.status not in M.ACTIVE:
            continue
        if M.local(r.starts_at.to_pydatetime()).date() <= day <= M.local(r.ends_at.to_pydatetime()).date():
            out.append(Conflict(
                "stor_aktivitet",
                f"Två stora aktiviteter samma dag i {kommun_names.get(kommunkod, kommunkod)}: {_quote(r)} "
                f"({M.STATUSES[r.status]}).", int(r.id)))
    return out


def overlapping_pairs(frame: pd.DataFrame, rules: Rules) -> list[tuple]:
    """Pairs of rows of the same person that overlap or leave less than the travel buffer.

    `frame`: one row per (event, person) with start, end (naive UTC), kommunkod, person_id.
    Returns (a, b, person_id, gap in minutes, or None for an overlap), a starting first."""
    out: list[tuple] = []
    if frame.empty:
        return out
    widest = dt.timedelta(minutes=max(rules.buffer_between_min, rules.buffer_same_min))
    for pid, group in frame.groupby("person_id", sort=False):
        if len(group) < 2:
            continue
        items = list(group.sort_values("start", kind="stable").itertuples(index=False))
        reach = max(it.end - it.start for it in items) + widest
        for i, b in enumerate(items):
            for j in range(i - 1, -1, -1):
                a = items[j]
                if a.start < b.start - reach:
                    break  # starts so early that it ends (plus the buffer) before b starts
                need = dt.timedelta(minutes=rules.buffer_same_min if a.kommunkod == b.kommunkod
                                    else rules.buffer_between_min)
                if a.start < b.end and a.end > b.start:
                    out.append((a, b, pid, None))
                elif a.start < b.end + need and a.end > b.start - need:
                    gap = b.start - a.end if a.end <= b.start else a.start - b.end
                    out.append((a, b, pid, _minutes(gap)))
    return out


def window(day: dt.date, weeks: int) -> tuple[dt.datetime, dt.datetime]:
    """[first day, day] of the `weeks` weeks ending on `day`, in naive UTC."""
    first, _ = M.local_day_bounds(day - dt.timedelta(days=7 * weeks - 1))
    _, last = M.local_day_bounds(day)
    return first, last


def visits_per_unit(visits: pd.DataFrame, units: Units) -> dict[str, int]:
    """Number of visits per unit (units without a visit are absent)."""
    out: dict[str, int] = {}
    for k, f in zip(visits["kommunkod"], visits["forening"]):
        unit = units.of(k, f if isinstance(f, str) else None)
        if unit is not None:
            out[unit] = out.get(unit, 0) + 1
    return out


def limit_warning(start: dt.datetime, kind: str, kommunkod: str, forening: str | None, visits: pd.DataFrame,
                  rules: Rules, units: Units, priority: PrioritySet, exclude_id: int | None = None) -> list[Conflict]:
    """A visit beyond the limit for its unit while priority units have had none.

    `visits`: booked visits in `window(day, rules.weeks)` of the visit's day (store.visits)."""
    if kind != M.VISIT:
        return []
    unit = units.of(kommunkod, forening)
    if unit is None:
        return []
    others = visits[visits["id"] != exclude_id] if exclude_id is not None else visits
    per_unit = visits_per_unit(others, units)
    count = per_unit.get(unit, 0) + 1
    if count <= rules.max_visits_per_unit:
        return []
    without = [u for u in priority.units if u != unit and not per_unit.get(u)]
    if not without:
        return []
    names = ", ".join(units.label(u) for u in without[:8]) + (f" och {len(without) - 8} till" if len(without) > 8 else "")
    unit_word = "prioriterade föreningar" if units.by_association else "prioriterade kommuner"
    return [Conflict(
        "grans",
        f"{units.label(unit)} får {count} besök på {rules.weeks} veckor (gränsen är {rules.max_visits_per_unit}) "
        f"medan {len(without)} {unit_word} inte har haft något: {names}.")]


def coverage(priority: PrioritySet, visits: pd.DataFrame, units: Units, day: dt.date, weeks: int) -> pd.DataFrame:
    """One row per priority unit: visits in the `weeks` weeks up to `day`, the latest of them
    and the next booked visit after `day`.

    Columns unit_id, unit, kommunkod, visits, last_visit, next_visit (Swedish dates or None),
    without (no visit in the window). `visits` must cover the window and what follows."""
    w0, w1 = window(day, weeks)
    per_unit: dict[str, list[dt.datetime]] = {}
    if len(visits):  # one pass in plain Python: a season has thousands of visits, a few units
        starts = pd.DatetimeIndex(visits["starts_at"]).to_pydatetime()
        for start, k, f in zip(starts, visits["kommunkod"], visits["forening"]):
            unit = units.of(k, f if isinstance(f, str) else None)
            if unit is not None:
                per_unit.setdefault(unit, []).append(start)
    rows = []
    for u in priority.units:
        starts = per_unit.get(u, [])
        inside = [t for t in starts if w0 <= t < w1]
        later = [t for t in starts if t >= w1]
        rows.append({
            "unit_id": u, "unit": units.label(u), "kommunkod": units.kommun_of.get(u), "visits": len(inside),
            "last_visit": M.local(max(inside)).date() if inside else None,
            "next_visit": M.local(min(later)).date() if later else None,
        })
    out = pd.DataFrame(rows, columns=["unit_id", "unit", "kommunkod", "visits", "last_visit", "next_visit"])
    out["without"] = out["visits"].eq(0)
    return out.sort_values(["without", "visits", "unit"], ascending=[False, True, True]).reset_index(drop=True)


@dataclass(frozen=True)
class Candidate:
    """The event being checked (times naive UTC); `id` when it is already stored."""

    start: dt.datetime
    end: dt.datetime
    kind: str
    kommunkod: str
    forening: str | None = None
    person_ids: tuple[int, ...] = ()
    id: int | None = None


def check(c: Candidate, others: pd.DataFrame, visits: pd.DataFrame, rules: Rules, units: Units,
          priority: PrioritySet, person_names: Mapping[int, str], kommun_names: Mapping[str, str]) -> list[Conflict]:
    """Every conflict of `c`: `others` from store.conflict_candidates, `visits` from
    store.visits over window(day of c, rules.weeks)."""
    return [
        *person_clashes(c.start, c.end, c.kommunkod, c.person_ids, others, rules, person_names, kommun_names, c.id),
        *big_activity_clashes(c.start, c.kind, c.kommunkod, others, kommun_names, c.id),
        *limit_warning(c.start, c.kind, c.kommunkod, c.forening, visits, rules, units, priority, c.id),
    ]
