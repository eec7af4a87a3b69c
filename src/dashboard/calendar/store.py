"""Bookings in the database: people, requests, decisions with history, queries, subscriptions.

Every change is one transaction that also writes a history row and bumps the store's revision
(`db.bump_revision`), so nothing is overwritten without a trace and every process's caches see
the change. Decisions name the version of the event the decider saw: when two people decide on
the same request at once, exactly one update matches that version; the other attempt is kept in
the history as refused ("avvisad") and its author gets a Swedish message saying who decided what.

Functions take an `Actor` (name, coordinator or not) and check what that actor may do here, not
only in the page. Times in and out are naive UTC (`model.to_utc` / `model.local` convert).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa

from ..errors import ValrummetError
from . import db
from . import model as M
from .db import event_people as EP
from .db import events as E
from .db import history as H
from .db import imports as IM
from .db import people as P
from .db import subscriptions as S

SAVED = "sparad"
REFUSED = "avvisad"
MAX_TITLE = 300
MAX_TEXT = 2000


class CalendarError(ValrummetError):
    """Something the user asked for cannot be done; the message says why, in Swedish."""


class NotAllowed(CalendarError):
    """The actor may not do this (e.g. a member deciding on a request)."""


@dataclass(frozen=True)
class Decision:
    ok: bool
    message: str  # Swedish, for the person who decided
    event_id: int
    status: str
    version: int


def now() -> dt.datetime:
    """The current time as the store keeps it: naive UTC."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def new_uid() -> str:
    return f"{uuid.uuid4()}@valrummet"


def _require_coordinator(actor: M.Actor, what: str) -> None:
    if not actor.coordinator:
        raise NotAllowed(f"Bara en koordinator kan {what}.")


def _log(conn: sa.Connection, event_id: int, actor: M.Actor, action: str, outcome: str, *,
         from_status: str | None, to_status: str | None, version_seen: int | None,
         message: str | None = None, details: dict | None = None) -> None:
    conn.execute(H.insert().values(
        event_id=event_id, at=now(), actor=actor.name, action=action, outcome=outcome,
        from_status=from_status, to_status=to_status, version_seen=version_seen,
        message=message or None, details=json.dumps(details, ensure_ascii=False, default=str) if details else None,
    ))


# --- people ------------------------------------------------------------------------------------


def name_key(name: str) -> str:
    return re.sub(r"\s+", " ", name.strip()).casefold()


def add_person(name: str, kind: str, actor: M.Actor, eng: sa.Engine | None = None) -> int:
    """A candidate or speaker the calendar can book; names are unique (case ignored)."""
    _require_coordinator(actor, "lägga till personer")
    name = re.sub(r"\s+", " ", (name or "").strip())
    if not name:
        raise CalendarError("Skriv personens namn.")
    if len(name) > 200:
        raise CalendarError("Namnet är för långt (högst 200 tecken).")
    if kind not in M.PERSON_KINDS:
        raise CalendarError(f"Okänd roll '{kind}'. Tillåtna: {', '.join(M.PERSON_KINDS.values())}.")
    with db.write(eng) as conn:
        if conn.execute(sa.select(P.c.id).where(P.c.name_key == name_key(name))).first():
            raise CalendarError(f"{name} finns redan bland personerna.")
        pid = conn.execute(P.insert().values(name=name, name_key=name_key(name), kind=kind, active=True,
                                             created_at=now(), created_by=actor.name).returning(P.c.id)).scalar_one()
        db.bump_revision(conn)
    return int(pid)


def set_person_active(person_id: int, active: bool, actor: M.Actor, eng: sa.Engine | None = None) -> None:
    """Hide a person from new bookings (their history stays) or bring them back."""
    _require_coordinator(actor, "ändra personer")
    with db.write(eng) as conn:
        conn.execute(P.update().where(P.c.id == person_id).values(active=bool(active)))
        db.bump_revision(conn)


def people(eng: sa.Engine | None = None, include_inactive: bool = True) -> pd.DataFrame:
    """id, name, kind, active: everyone the calendar knows, by name."""
    q = sa.select(P.c.id, P.c.name, P.c.kind, P.c.active).order_by(P.c.name_key)
    if not include_inactive:
        q = q.where(P.c.active.is_(True))
    with db.read(eng) as conn:
        rows = conn.execute(q).all()
    return pd.DataFrame(rows, columns=["id", "name", "kind", "active"]).astype(
        {"id": "int64", "name": object, "kind": object, "active": bool})


# --- creating events ---------------------------------------------------------------------------------


def check_input(inp: M.EventInput) -> None:
    """What every new event must satisfy (forms and imports check more, with row numbers)."""
    title = (inp.title or "").strip()
    if not title:
        raise CalendarError("Skriv en rubrik.")
    if len(title) > MAX_TITLE:
        raise CalendarError(f"Rubriken är för lång (högst {MAX_TITLE} tecken).")
    if inp.kind not in M.TYPES:
        raise CalendarError(f"Okänd typ '{inp.kind}'.")
    if inp.status not in M.STATUSES:
        raise CalendarError(f"Okänd status '{inp.status}'.")
    if inp.visibility not in M.VISIBILITY:
        raise CalendarError(f"Okänd synlighet '{inp.visibility}'.")
    if not re.fullmatch(r"\d{4}", inp.kommunkod or ""):
        raise CalendarError("Välj en kommun.")
    if inp.valdistrikt and not (re.fullmatch(r"\d{8}", inp.valdistrikt) and inp.valdistrikt[:4] == inp.kommunkod):
        raise CalendarError(f"Valdistriktet {inp.valdistrikt} ligger inte i den valda kommunen.")
    if M.to_utc(inp.end) <= M.to_utc(inp.start):
        raise CalendarError("Sluttiden måste vara efter starttiden.")
    for text in (inp.description, inp.place, inp.message):
        if text and len(text) > MAX_TEXT:
            raise CalendarError(f"En text är för lång (högst {MAX_TEXT} tecken).")


def _check_people(conn: sa.Connection, ids: Sequence[int]) -> list[int]:
    ids = list(dict.fromkeys(int(i) for i in ids))
    if not ids:
        return ids
    found = {r.id: r.active for r in conn.execute(sa.select(P.c.id, P.c.active).where(P.c.id.in_(ids)))}
    missing = [i for i in ids if i not in found]
    if missing:
        raise CalendarError("En vald person finns inte längre i kalendern.")
    return ids


def _event_values(inp: M.EventInput, *, status: str, requested_by: str, decided_by: str | None,
                  source: str, when: dt.datetime, import_id: int | None = None) -> dict:
    return dict(
        uid=inp.uid or new_uid(), title=inp.title.strip(), kind=inp.kind, status=status,
        starts_at=M.to_utc(inp.start), ends_at=M.to_utc(inp.end), kommunkod=inp.kommunkod,
        forening=inp.forening or None, valdistrikt=inp.valdistrikt or None, place=(inp.place or "").strip() or None,
        description=(inp.description or "").strip() or None, visibility=inp.visibility,
        requested_by=requested_by, decided_by=decided_by, decided_at=when if decided_by else None,
        message=(inp.message or "").strip() or None, version=1, created_at=when, updated_at=when,
        source=source, import_id=import_id,
    )


def _insert(conn: sa.Connection, values: dict, person_ids: Sequence[int]) -> int:
    event_id = int(conn.execute(E.insert().values(**values).returning(E.c.id)).scalar_one())
    if person_ids:
        conn.execute(EP.insert(), [{"event_id": event_id, "person_id": p} for p in person_ids])
    return event_id


def request(inp: M.EventInput, actor: M.Actor, eng: sa.Engine | None = None) -> int:
    """A member asks for a visit (or another event): saved as "begärd", waiting for a decision."""
    inp.status = M.REQUESTED
    check_input(inp)
    when = now()
    with db.write(eng) as conn:
        ids = _check_people(conn, inp.person_ids)
        values = _event_values(inp, status=M.REQUESTED, requested_by=actor.name, decided_by=None,
                               source="forfragan", when=when)
        event_id = _insert(conn, values, ids)
        _log(conn, event_id, actor, "begärd", SAVED, from_status=None, to_status=M.REQUESTED, version_seen=None,
             message=values["description"])
        db.bump_revision(conn)
    return event_id


def create(inp: M.EventInput, actor: M.Actor, eng: sa.Engine | None = None) -> int:
    """A coordinator books directly (a big activity, a cabin shift …), by default confirmed."""
    _require_coordinator(actor, "boka direkt")
    check_input(inp)
    when = now()
    with db.write(eng) as conn:
        ids = _check_people(conn, inp.person_ids)
        decided = None if inp.status == M.REQUESTED else actor.name
        values = _event_values(inp, status=inp.status, requested_by=actor.name, decided_by=decided,
                               source="koordinator", when=when)
        event_id = _insert(conn, values, ids)
        _log(conn, event_id, actor, "skapad", SAVED, from_status=None, to_status=inp.status, version_seen=None)
        db.bump_revision(conn)
    return event_id


# --- decisions ------------------------------------------------------------------------------------------


def _when_text(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    t = M.local(value)
    return f"{t.day} {M.MONTHS_SHORT[t.month - 1]} kl. {t:%H:%M}"


def _changed_text(row, action: M.Action) -> str:
    who = f" av {row.decided_by}" if row.decided_by else ""
    when = f" ({_when_text(row.updated_at)})" if row.updated_at else ""
    return (f"Händelsen hann ändras innan ditt beslut sparades: den är nu {M.STATUSES[row.status]}{who}{when}. "
            f"Ditt beslut ({action.label.lower()}) sparades inte – se det nya läget och besluta igen om det behövs.")


def decide(event_id: int, action_key: str, actor: M.Actor, expected_version: int, *, message: str = "",
           start: dt.datetime | None = None, end: dt.datetime | None = None, visibility: str | None = None,
           eng: sa.Engine | None = None) -> Decision:
    """Confirm, propose another time, decline, cancel, mark as done; or, for the one who asked,
    accept a proposed time or withdraw. `expected_version` is the version the actor saw.

    Returns a refused Decision (kept in the history) when the event changed meanwhile or the
    step is not possible from its status; raises NotAllowed / CalendarError for bad input.
    """
    action = M.ACTIONS.get(action_key)
    if action is None:
        raise CalendarError(f"Okänt beslut '{action_key}'.")
    message = (message or "").strip()
    if len(message) > MAX_TEXT:
        raise CalendarError(f"Meddelandet är för långt (högst {MAX_TEXT} tecken).")
    if action.needs_message and not message:
        raise CalendarError("Skriv en kort anledning – den visas för den som frågade.")
    if visibility is not None and visibility not in M.VISIBILITY:
        raise CalendarError(f"Okänd synlighet '{visibility}'.")
    new_times = None
    if action.needs_time:
        if start is None or end is None:
            raise CalendarError("Ange den nya tiden (start och slut).")
        new_times = (M.to_utc(start), M.to_utc(end))
        if new_times[1] <= new_times[0]:
            raise CalendarError("Sluttiden måste vara efter starttiden.")
    when = now()
    with db.write(eng) as conn:
        row = conn.execute(sa.select(E).where(E.c.id == event_id)).first()
        if row is None:
            raise CalendarError("Händelsen finns inte.")
        if not M.allowed(action, actor, row.requested_by):
            raise NotAllowed("Bara en koordinator kan besluta om förfrågningar." if action.coordinator
                             else "Bara den som frågade kan göra det.")
        problem = None
        if row.version != expected_version:
            problem = _changed_text(row, action)
        elif row.status not in action.from_statuses:
            problem = (f"Det går inte: händelsen är {M.STATUSES[row.status]}. "
                       f"'{action.label}' går bara när den är "
                       + " eller ".join(M.STATUSES[s] for s in action.from_statuses) + ".")
        values: dict = {"status": action.to_status, "version": E.c.version + 1, "updated_at": when}
        if action.coordinator:
            values.update(decided_by=actor.name, decided_at=when)
        if message or action.needs_message:
            values["message"] = message
        elif action.key == "withdraw":
            values["message"] = "Förfrågan drogs tillbaka av den som frågade."
        if new_times:
            values.update(starts_at=new_times[0], ends_at=new_times[1])
        if visibility is not None:
            values["visibility"] = visibility
        details = {"before": [row.starts_at, row.ends_at], "after": list(new_times)} if new_times else {}
        if problem is None:
            res = conn.execute(E.update().where(E.c.id == event_id, E.c.version == expected_version,
                                                E.c.status.in_(action.from_statuses)).values(**values))
            if res.rowcount != 1:  # PostgreSQL: another decision committed between our read and update
                row = conn.execute(sa.select(E).where(E.c.id == event_id)).first()
                problem = _changed_text(row, action)
        if problem is not None:
            _log(conn, event_id, actor, action.done_text, REFUSED, from_status=row.status, to_status=action.to_status,
                 version_seen=expected_version, message=message,
                 details={**details, "refused": problem, "status_now": row.status, "version_now": row.version})
            db.bump_revision(conn)
            return Decision(False, problem, event_id, row.status, row.version)
        _log(conn, event_id, actor, action.done_text, SAVED, from_status=row.status, to_status=action.to_status,
             version_seen=expected_version, message=message, details=details or None)
        db.bump_revision(conn)
    return Decision(True, f"Sparat: {action.done_text}.", event_id, action.to_status, expected_version + 1)


# --- reading ------------------------------------------------------------------------------------------------

EVENT_COLUMNS = [E.c.id, E.c.uid, E.c.title, E.c.kind, E.c.status, E.c.starts_at, E.c.ends_at, E.c.kommunkod,
                 E.c.forening, E.c.valdistrikt, E.c.place, E.c.description, E.c.visibility, E.c.requested_by,
                 E.c.decided_by, E.c.decided_at, E.c.message, E.c.version, E.c.created_at, E.c.updated_at,
                 E.c.source]
EVENT_NAMES = [c.name for c in EVENT_COLUMNS]
# What anyone may see of a public event: no people, no requester or decider, no messages.
PUBLIC_COLUMNS = [E.c.id, E.c.uid, E.c.title, E.c.kind, E.c.status, E.c.starts_at, E.c.ends_at, E.c.kommunkod,
                  E.c.forening, E.c.place, E.c.version, E.c.updated_at]
PUBLIC_NAMES = [c.name for c in PUBLIC_COLUMNS]


def _conditions(start: dt.datetime | None, end: dt.datetime | None, *, person_id: int | None = None,
                kommunkod: str | None = None, forening: str | None = None, kind: str | None = None,
                statuses: Iterable[str] | None = None, requested_by: str | None = None,
                visibility: str | None = None) -> list:
    conds = []
    if start is not None:
        conds.append(E.c.ends_at > start)
    if end is not None:
        conds.append(E.c.starts_at < end)
    if person_id is not None:
        conds.append(E.c.id.in_(sa.select(EP.c.event_id).where(EP.c.person_id == int(person_id))))
    if kommunkod:
        conds.append(E.c.kommunkod == kommunkod)
    if forening:
        conds.append(E.c.forening == forening)
    if kind:
        conds.append(E.c.kind == kind)
    if statuses is not None:
        conds.append(E.c.status.in_(list(statuses)))
    if requested_by:
        conds.append(sa.func.lower(E.c.requested_by) == requested_by.strip().lower())
    if visibility:
        conds.append(E.c.visibility == visibility)
    return conds


_TIMES = ("starts_at", "ends_at", "decided_at", "created_at", "updated_at", "at", "revoked_at")


def _frame(rows, names: list[str]) -> pd.DataFrame:
    """Rows as a frame, built by column (pandas inspects every row object otherwise)."""
    columns = list(zip(*rows)) if rows else [()] * len(names)  # an empty id column stays object: fine
    data = {}
    for name, values in zip(names, columns):
        if name in _TIMES:  # naive datetimes (None = NaT): DatetimeIndex converts them in C
            data[name] = pd.DatetimeIndex(values).as_unit("us") if values else pd.DatetimeIndex([], dtype="datetime64[us]")
        elif name in ("id", "version") and values and isinstance(values[0], int):
            data[name] = np.array(values, dtype="int64")
        else:
            data[name] = np.array(values, dtype=object)
    return pd.DataFrame(data, columns=names)


def _with_people(conn: sa.Connection, df: pd.DataFrame, event_ids_query) -> pd.DataFrame:
    if len(df) <= 900:  # the ids at hand: cheaper than evaluating the filter again
        event_ids_query = [int(i) for i in df["id"]]
    rows = conn.execute(
        sa.select(EP.c.event_id, P.c.id, P.c.name).join(P, P.c.id == EP.c.person_id)
        .where(EP.c.event_id.in_(event_ids_query)).order_by(EP.c.event_id, P.c.name_key)
    ).all()
    names: dict[int, list[str]] = {}
    ids: dict[int, list[int]] = {}
    for event_id, pid, name in rows:
        names.setdefault(event_id, []).append(name)
        ids.setdefault(event_id, []).append(pid)
    df["people"] = [tuple(names.get(i, ())) for i in df["id"]]
    df["person_ids"] = [tuple(ids.get(i, ())) for i in df["id"]]
    return df


def events(start: dt.datetime | None = None, end: dt.datetime | None = None, *, eng: sa.Engine | None = None,
           limit: int | None = None, offset: int = 0, **filters) -> pd.DataFrame:
    """Events overlapping [start, end) (naive UTC; None = open), filtered, by start; with
    `people` (names) and `person_ids` per event. Filters: person_id, kommunkod, forening,
    kind, statuses, requested_by, visibility. `limit`/`offset`: one page of them."""
    conds = _conditions(start, end, **filters)
    q = sa.select(*EVENT_COLUMNS).where(*conds).order_by(E.c.starts_at, E.c.id)
    if limit is not None:
        q = q.limit(limit).offset(offset)
    with db.read(eng) as conn:
        rows = conn.execute(q).all()
        df = _frame(rows, EVENT_NAMES)
        return _with_people(conn, df, sa.select(E.c.id).where(*conds))


BRIEF_COLUMNS = [E.c.id, E.c.title, E.c.kind, E.c.status, E.c.starts_at, E.c.ends_at, E.c.kommunkod, E.c.forening]
BRIEF_NAMES = [c.name for c in BRIEF_COLUMNS]


def brief_events(start: dt.datetime | None = None, end: dt.datetime | None = None, *,
                 eng: sa.Engine | None = None, **filters) -> pd.DataFrame:
    """What a month grid needs (no people, no texts): a fraction of `events`' cost."""
    conds = _conditions(start, end, **filters)
    with db.read(eng) as conn:
        rows = conn.execute(sa.select(*BRIEF_COLUMNS).where(*conds).order_by(E.c.starts_at, E.c.id)).all()
    return _frame(rows, BRIEF_NAMES)


def count_events(start: dt.datetime | None = None, end: dt.datetime | None = None, *,
                 eng: sa.Engine | None = None, **filters) -> int:
    conds = _conditions(start, end, **filters)
    with db.read(eng) as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(E).where(*conds)).scalar_one())


def public_events(start: dt.datetime | None = None, end: dt.datetime | None = None, *,
                  kommunkod: str | None = None, kind: str | None = None,
                  eng: sa.Engine | None = None) -> pd.DataFrame:
    """The open calendar: public, confirmed or done events, and only their public columns."""
    conds = _conditions(start, end, kommunkod=kommunkod, kind=kind, statuses=M.BOOKED, visibility=M.PUBLIC)
    with db.read(eng) as conn:
        rows = conn.execute(sa.select(*PUBLIC_COLUMNS).where(*conds).order_by(E.c.starts_at, E.c.id)).all()
    return _frame(rows, PUBLIC_NAMES)


def event(event_id: int, eng: sa.Engine | None = None) -> dict | None:
    """One event with its people, or None."""
    with db.read(eng) as conn:
        rows = conn.execute(sa.select(*EVENT_COLUMNS).where(E.c.id == int(event_id))).all()
        if not rows:
            return None
        df = _with_people(conn, _frame(rows, EVENT_NAMES), sa.select(sa.literal(int(event_id))))
    return df.iloc[0].to_dict()


def event_history(event_id: int, eng: sa.Engine | None = None) -> pd.DataFrame:
    """Every change and attempt on an event, oldest first."""
    cols = [H.c.at, H.c.actor, H.c.action, H.c.outcome, H.c.from_status, H.c.to_status, H.c.version_seen,
            H.c.message, H.c.details]
    with db.read(eng) as conn:
        rows = conn.execute(sa.select(*cols).where(H.c.event_id == int(event_id)).order_by(H.c.id)).all()
    return _frame(rows, [c.name for c in cols])


def conflict_candidates(start: dt.datetime, end: dt.datetime, *, person_ids: Sequence[int], kommunkod: str,
                        buffer_min: int, exclude_id: int | None = None,
                        eng: sa.Engine | None = None) -> pd.DataFrame:
    """Active events that might clash with [start, end): those sharing a person within the
    travel buffer, and big activities in the same municipality on the same Swedish day."""
    pad = dt.timedelta(minutes=max(0, int(buffer_min)))
    day0, _ = M.local_day_bounds(M.local(start).date())
    _, day1 = M.local_day_bounds(M.local(end).date())
    near = []
    if person_ids:
        near.append(sa.and_(E.c.starts_at < end + pad, E.c.ends_at > start - pad,
                            E.c.id.in_(sa.select(EP.c.event_id).where(EP.c.person_id.in_([int(p) for p in person_ids])))))
    near.append(sa.and_(E.c.kind == M.BIG, E.c.kommunkod == kommunkod, E.c.starts_at < day1, E.c.ends_at > day0))
    conds = [sa.or_(*near), E.c.status.in_(M.ACTIVE)]
    if exclude_id is not None:
        conds.append(E.c.id != int(exclude_id))
    with db.read(eng) as conn:
        rows = conn.execute(sa.select(*BRIEF_COLUMNS).where(*conds).order_by(E.c.starts_at)).all()
        df = _frame(rows, BRIEF_NAMES)
        return _with_people(conn, df, sa.select(E.c.id).where(*conds))


def visits(start: dt.datetime, end: dt.datetime, eng: sa.Engine | None = None) -> pd.DataFrame:
    """Booked visits of candidates and speakers starting in [start, end): id, starts_at,
    kommunkod, forening (for limits and coverage)."""
    cols = [E.c.id, E.c.starts_at, E.c.kommunkod, E.c.forening]
    q = sa.select(*cols).where(E.c.kind == M.VISIT, E.c.status.in_(M.BOOKED), E.c.starts_at >= start,
                               E.c.starts_at < end).order_by(E.c.starts_at)
    with db.read(eng) as conn:
        rows = conn.execute(q).all()
    return _frame(rows, [c.name for c in cols])


def counts(eng: sa.Engine | None = None) -> dict[str, int]:
    """Number of events per status."""
    with db.read(eng) as conn:
        rows = conn.execute(sa.select(E.c.status, sa.func.count()).group_by(E.c.status)).all()
    return {s: int(n) for s, n in rows}


def find_uids(uids: Sequence[str], eng: sa.Engine | None = None) -> dict[str, tuple[int, int]]:
    """uid -> (id, version) for those of `uids` already in the store."""
    out: dict[str, tuple[int, int]] = {}
    uids = [u for u in dict.fromkeys(uids) if u]
    with db.read(eng) as conn:
        for i in range(0, len(uids), 500):
            for uid, eid, ver in conn.execute(sa.select(E.c.uid, E.c.id, E.c.version).where(E.c.uid.in_(uids[i:i + 500]))):
                out[uid] = (int(eid), int(ver))
    return out


# --- import -------------------------------------------------------------------------------------------------


def save_import(rows: Sequence[M.EventInput], *, file_name: str, sha256: str, fmt: str, actor: M.Actor,
                eng: sa.Engine | None = None) -> tuple[int, int, int]:
    """Store validated import rows in one transaction: new uids are added, known uids updated
    (a new version, with history). Returns (import id, added, updated)."""
    _require_coordinator(actor, "importera kalendrar")
    for inp in rows:
        check_input(inp)
    when = now()
    added = updated = 0
    with db.write(eng) as conn:
        import_id = int(conn.execute(IM.insert().values(at=when, actor=actor.name, file_name=file_name[:300],
                                                        sha256=sha256, format=fmt, rows=len(rows))
                                     .returning(IM.c.id)).scalar_one())
        for inp in rows:
            ids = _check_people(conn, inp.person_ids)
            decided = None if inp.status == M.REQUESTED else actor.name
            values = _event_values(inp, status=inp.status, requested_by=actor.name, decided_by=decided,
                                   source="import", when=when, import_id=import_id)
            known = conn.execute(sa.select(E.c.id, E.c.status, E.c.version).where(E.c.uid == values["uid"])).first() \
                if inp.uid else None
            if known is None:
                event_id = _insert(conn, values, ids)
                _log(conn, event_id, actor, "importerad", SAVED, from_status=None, to_status=inp.status,
                     version_seen=None, details={"fil": file_name})
                added += 1
                continue
            keep = {k: v for k, v in values.items() if k not in ("uid", "requested_by", "created_at", "version")}
            conn.execute(E.update().where(E.c.id == known.id).values(**keep, version=E.c.version + 1))
            conn.execute(EP.delete().where(EP.c.event_id == known.id))
            if ids:
                conn.execute(EP.insert(), [{"event_id": known.id, "person_id": p} for p in ids])
            _log(conn, known.id, actor, "ändrad via import", SAVED, from_status=known.status, to_status=inp.status,
                 version_seen=known.version, details={"fil": file_name})
            updated += 1
        db.bump_revision(conn)
    return import_id, added, updated


# --- subscriptions (secret .ics URLs) -----------------------------------------------------------------------

SCOPES = {"person": "person", "forening": "förening"}
_TOKEN_RE = re.compile(r"^([0-9a-f]{16})\.([A-Za-z0-9_-]{43})$")
_DUMMY_HASH = hashlib.sha256(b"valrummet-ingen-prenumeration").hexdigest()


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def create_subscription(scope: str, target: str, label: str, actor: M.Actor, eng: sa.Engine | None = None) -> str:
    """A new secret token "<id>.<secret>" for a person's or an association's calendar.

    Only the SHA-256 of the secret is stored (the secret has 256 random bits, so a fast hash is
    enough): the token is shown once and cannot be read back, only revoked."""
    _require_coordinator(actor, "skapa prenumerationslänkar")
    if scope not in SCOPES:
        raise CalendarError(f"Okänd sorts prenumeration '{scope}'.")
    sub_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    with db.write(eng) as conn:
        conn.execute(S.insert().values(id=sub_id, scope=scope, target=str(target), token_hash=_digest(secret),
                                       label=label[:300], created_at=now(), created_by=actor.name))
        db.bump_revision(conn)
    return f"{sub_id}.{secret}"


def revoke_subscription(sub_id: str, actor: M.Actor, eng: sa.Engine | None = None) -> None:
    _require_coordinator(actor, "återkalla prenumerationslänkar")
    with db.write(eng) as conn:
        conn.execute(S.update().where(S.c.id == sub_id, S.c.revoked_at.is_(None))
                     .values(revoked_at=now(), revoked_by=actor.name))
        db.bump_revision(conn)


def subscriptions(eng: sa.Engine | None = None) -> pd.DataFrame:
    cols = [S.c.id, S.c.scope, S.c.target, S.c.label, S.c.created_at, S.c.created_by, S.c.revoked_at, S.c.revoked_by]
    with db.read(eng) as conn:
        rows = conn.execute(sa.select(*cols).order_by(S.c.created_at.desc())).all()
    return _frame(rows, [c.name for c in cols])


def resolve_token(token: str, eng: sa.Engine | None = None) -> tuple[str, str, str] | None:
    """(scope, target, label) for a valid, unrevoked token; None otherwise.

    Unknown ids, wrong secrets and revoked tokens look the same to the caller, and the secret is
    compared in constant time (against a dummy hash when the id is unknown)."""
    m = _TOKEN_RE.match(token or "")
    if not m:
        return None
    sub_id, secret = m.groups()
    with db.read(eng) as conn:
        row = conn.execute(sa.select(S.c.scope, S.c.target, S.c.label, S.c.token_hash, S.c.revoked_at)
                           .where(S.c.id == sub_id)).first()
    ok = hmac.compare_digest(_digest(secret), row.token_hash if row else _DUMMY_HASH)
    if row is None or not ok or row.revoked_at is not None:
        return None
    return row.scope, row.target, row.label


# --- conflicts of one event against the store -----------------------------------------------------------------


def check_conflicts(c, rules, units, priority, person_names, kommun_names, eng: sa.Engine | None = None) -> list:
    """conflicts.check for candidate `c` (a conflicts.Candidate) with what the store holds."""
    from . import conflicts

    others = conflict_candidates(c.start, c.end, person_ids=c.person_ids, kommunkod=c.kommunkod,
                                 buffer_min=max(rules.buffer_between_min, rules.buffer_same_min),
                                 exclude_id=c.id, eng=eng)
    if c.kind == M.VISIT:
        near = visits(*conflicts.window(M.local(c.start).date(), rules.weeks), eng=eng)
    else:
        near = pd.DataFrame(columns=["id", "starts_at", "kommunkod", "forening"])
    return conflicts.check(c, others, near, rules, units, priority, person_names, kommun_names)


def check_conflicts_many(cands: list, rules, units, priority, person_names, kommun_names,
                         eng: sa.Engine | None = None) -> list[list]:
    """check_conflicts for several candidates with one query for the nearby events and one for
    the visits; the pure checks filter each candidate's share."""
    from . import conflicts

    if not cands:
        return []
    pad = dt.timedelta(minutes=max(rules.buffer_between_min, rules.buffer_same_min))
    lo, hi = min(c.start for c in cands) - pad, max(c.end for c in cands) + pad
    lo = min(lo, M.local_day_bounds(M.local(min(c.start for c in cands)).date())[0])
    hi = max(hi, M.local_day_bounds(M.local(max(c.end for c in cands)).date())[1])
    persons = sorted({p for c in cands for p in c.person_ids})
    near = [sa.and_(E.c.kind == M.BIG, E.c.kommunkod.in_(sorted({c.kommunkod for c in cands})))]
    if persons:
        near.append(E.c.id.in_(sa.select(EP.c.event_id).where(EP.c.person_id.in_(persons))))
    conds = [E.c.starts_at < hi, E.c.ends_at > lo, sa.or_(*near), E.c.status.in_(M.ACTIVE)]
    with db.read(eng) as conn:
        rows = conn.execute(sa.select(*BRIEF_COLUMNS).where(*conds).order_by(E.c.starts_at)).all()
        others = _with_people(conn, _frame(rows, BRIEF_NAMES), sa.select(E.c.id).where(*conds))
    windows = {c: conflicts.window(M.local(c.start).date(), rules.weeks) for c in cands if c.kind == M.VISIT}
    if windows:
        all_visits = visits(min(w[0] for w in windows.values()), max(w[1] for w in windows.values()), eng=eng)
    out = []
    for c in cands:
        if c in windows:
            w0, w1 = windows[c]
            near_visits = all_visits[(all_visits["starts_at"] >= w0) & (all_visits["starts_at"] < w1)]
        else:
            near_visits = all_visits.iloc[0:0] if windows else pd.DataFrame(
                columns=["id", "starts_at", "kommunkod", "forening"])
        out.append(conflicts.check(c, others, near_visits, rules, units, priority, person_names, kommun_names))
    return out
