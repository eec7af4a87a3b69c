"""A synthetic booking season, for the benchmark and for trying the pages – never real data.

People are called "Testkandidat 01" …, titles say "(syntetisk)", and the events are spread over
a campaign's months in the county's municipalities with a fixed seed, so a run is repeatable.

    python -m dashboard.calendar.demo --events 5000 --year 2030
"""
from __future__ import annotations

import argparse
import datetime as dt
import random

from . import db, store
from . import model as M

DEMO = M.Actor("Syntetisk demo", coordinator=True)
_KINDS = [(M.VISIT, 0.35), ("valstuga", 0.2), ("dorrknackning", 0.15), ("ringstuga", 0.1), (M.BIG, 0.05),
          ("mote", 0.15)]
# Before the reference day most bookings are done; after it most are confirmed and some wait.
_PAST = [(M.DONE, 0.80), (M.DECLINED, 0.12), (M.CANCELLED, 0.08)]
_FUTURE = [(M.CONFIRMED, 0.78), (M.REQUESTED, 0.10), (M.PROPOSED, 0.02), (M.DECLINED, 0.06), (M.CANCELLED, 0.04)]


def _pick(rng: random.Random, weighted):
    return rng.choices([k for k, _ in weighted], [w for _, w in weighted])[0]


def season(n_events: int, year: int, kommuner: list[str], *, n_people: int = 60, seed: int = 20,
           today: dt.date | None = None, eng=None) -> tuple[int, int]:
    """Add `n_people` test people and `n_events` events from February to election day of `year`
    (in one transaction per 1 000 events): done, declined or cancelled before `today`, mostly
    confirmed with some requests waiting after it. Returns (people, events) added."""
    today = today or dt.date.today()
    rng = random.Random(seed)
    existing = store.people(eng)
    have = set(existing["name"])
    ids = [int(i) for i in existing["id"]]
    for i in range(1, n_people + 1):
        name = f"Testkandidat {i:02d}" if i % 3 else f"Testtalare {i:02d}"
        if name not in have:
            ids.append(store.add_person(name, "kandidat" if i % 3 else "talare", DEMO, eng=eng))
    first = dt.date(year, 2, 1)
    days = (dt.date(year, 9, 13) - first).days
    batch: list[M.EventInput] = []
    added = 0
    for n in range(n_events):
        kind = _pick(rng, _KINDS)
        day = first + dt.timedelta(days=rng.randrange(days))
        hour = rng.choice([10, 12, 14, 17, 18, 19])
        start = dt.datetime.combine(day, dt.time(hour, rng.choice([0, 30])), tzinfo=M.TZ)
        end = start + dt.timedelta(minutes=rng.choice([60, 90, 120, 180]))
        status = _pick(rng, _PAST if day < today else _FUTURE)
        who = rng.sample(ids, k=1 if kind == M.VISIT else rng.choice([0, 0, 1, 2])) if ids else []
        kommun = rng.choice(kommuner)
        batch.append(M.EventInput(
            title=f"{M.TYPE_SHORT[kind]} {n + 1} (syntetisk)", kind=kind, start=start, end=end, kommunkod=kommun,
            place=None, visibility=M.PUBLIC if rng.random() < 0.3 else M.INTERNAL, person_ids=who, status=status,
            message="syntetisk" if status in (M.DECLINED, M.CANCELLED) else None))
        if len(batch) == 1000 or n == n_events - 1:
            store.save_import(batch, file_name="syntetisk säsong", sha256="0" * 64, fmt="demo", actor=DEMO, eng=eng)
            added += len(batch)
            batch = []
    return n_people, added


def main(argv: list[str] | None = None) -> int:
    from .. import queries as q

    p = argparse.ArgumentParser(description="Lägg in en syntetisk bokningssäsong (för test och demo).")
    p.add_argument("--events", type=int, default=500)
    p.add_argument("--year", type=int, default=dt.date.today().year + 1)
    args = p.parse_args(argv)
    kommuner = list(q.municipalities()["kommunkod"])
    people, events = season(args.events, args.year, kommuner)
    print(f"{db.describe()}: {events} syntetiska händelser och {people} testpersoner inlagda.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
