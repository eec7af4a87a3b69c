"""The booking calendar's vocabulary: event types, statuses, who may move an event where.

Keys are ASCII (they go into the database, URLs and iCalendar X- properties); labels are the
Swedish words the pages show. Times are kept in UTC in the store and shown in Swedish time
(`TZ`); helpers here convert at the edges.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Europe/Stockholm")
UTC = dt.timezone.utc

# --- types ------------------------------------------------------------------------------------

VISIT = "besok"
BIG = "stor_aktivitet"
TYPES: dict[str, str] = {
    VISIT: "Besök av kandidat eller talare",
    "valstuga": "Valstugepass",
    "dorrknackning": "Dörrknackning",
    "ringstuga": "Ringstuga",
    BIG: "Stor aktivitet",
    "mote": "Möte",
}
TYPE_SHORT: dict[str, str] = {
    VISIT: "Besök", "valstuga": "Valstuga", "dorrknackning": "Dörrknackning", "ringstuga": "Ringstuga",
    BIG: "Stor aktivitet", "mote": "Möte",
}

# --- statuses ---------------------------------------------------------------------------------

REQUESTED = "begard"
PROPOSED = "ny_tid"
CONFIRMED = "bekraftad"
DONE = "genomford"
DECLINED = "avbojd"
CANCELLED = "installd"
STATUSES: dict[str, str] = {
    REQUESTED: "begärd",
    PROPOSED: "ny tid föreslagen",
    CONFIRMED: "bekräftad",
    DONE: "genomförd",
    DECLINED: "avböjd",
    CANCELLED: "inställd",
}
PENDING = (REQUESTED, PROPOSED)  # waiting for a decision
ACTIVE = (REQUESTED, PROPOSED, CONFIRMED, DONE)  # hold (or ask for) the time: conflicts count them
BOOKED = (CONFIRMED, DONE)  # what the open calendar and visit counts show
CLOSED = (DONE, DECLINED, CANCELLED)

# --- visibility -------------------------------------------------------------------------------

INTERNAL = "intern"
PUBLIC = "offentlig"
VISIBILITY: dict[str, str] = {INTERNAL: "intern", PUBLIC: "offentlig"}

# --- people -----------------------------------------------------------------------------------

PERSON_KINDS: dict[str, str] = {"kandidat": "kandidat", "talare": "talare", "annan": "annan"}

# --- decisions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    key: str
    label: str  # the button
    done_text: str  # history: what happened
    to_status: str | None  # None = unchanged (e.g. an edit)
    from_statuses: tuple[str, ...]
    coordinator: bool  # only a coordinator may do it
    requester: bool = False  # the person who asked may do it too
    needs_message: bool = False  # a reason is required
    needs_time: bool = False  # a new start and end are required


ACTIONS: dict[str, Action] = {a.key: a for a in (
    Action("confirm", "Bekräfta", "bekräftad", CONFIRMED, (REQUESTED, PROPOSED), coordinator=True),
    Action("propose", "Föreslå annan tid", "ny tid föreslagen", PROPOSED, (REQUESTED, PROPOSED, CONFIRMED),
           coordinator=True, needs_time=True),
    Action("decline", "Avböj", "avböjd", DECLINED, (REQUESTED, PROPOSED), coordinator=True, needs_message=True),
    Action("cancel", "Ställ in", "inställd", CANCELLED, (CONFIRMED,), coordinator=True, needs_message=True),
    Action("done", "Markera som genomförd", "genomförd", DONE, (CONFIRMED,), coordinator=True),
    Action("accept", "Godta den nya tiden", "den nya tiden godtogs", CONFIRMED, (PROPOSED,), coordinator=False,
           requester=True),
    Action("withdraw", "Dra tillbaka förfrågan", "förfrågan drogs tillbaka", CANCELLED, (REQUESTED, PROPOSED),
           coordinator=False, requester=True, needs_message=False),
)}


@dataclass(frozen=True)
class Actor:
    """Who does something: the logged-in name (or e-mail) and whether they coordinate."""

    name: str
    coordinator: bool = False


def allowed(action: Action, actor: Actor, requested_by: str) -> bool:
    """Whether `actor` may take `action` on an event asked for by `requested_by`."""
    if actor.coordinator:
        return True
    return action.requester and same_user(actor.name, requested_by)


def same_user(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and a.strip().casefold() == b.strip().casefold()


# --- an event as entered ----------------------------------------------------------------------


@dataclass
class EventInput:
    """What a form, an import row or a test gives to the store (times are aware datetimes)."""

    title: str
    kind: str
    start: dt.datetime
    end: dt.datetime
    kommunkod: str
    forening: str | None = None
    valdistrikt: str | None = None
    place: str | None = None
    description: str | None = None
    visibility: str = INTERNAL
    person_ids: list[int] = field(default_factory=list)
    status: str = REQUESTED
    message: str | None = None  # the reason for a declined/cancelled import row
    uid: str | None = None


def to_utc(value: dt.datetime) -> dt.datetime:
    """A naive UTC datetime (how the store keeps times) from an aware one, or from a naive one
    meant as Swedish time."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=TZ)
    return value.astimezone(UTC).replace(tzinfo=None)


def local(value: dt.datetime) -> dt.datetime:
    """A stored naive-UTC datetime as an aware Swedish-time one."""
    return value.replace(tzinfo=UTC).astimezone(TZ)


def local_day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The start and end of a Swedish calendar day, in naive UTC (23, 24 or 25 hours long)."""
    start = dt.datetime.combine(day, dt.time(0), tzinfo=TZ)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=TZ)
    return to_utc(start), to_utc(end)


def time_span_text(start: dt.datetime, end: dt.datetime) -> str:
    """"tis 12 maj 18:00–20:00" in Swedish time (aware or naive-UTC input)."""
    s = start if start.tzinfo else local(start)
    e = end if end.tzinfo else local(end)
    head = f"{WEEKDAYS_SHORT[s.weekday()]} {s.day} {MONTHS_SHORT[s.month - 1]} {s:%H:%M}"
    if s.date() == e.date():
        return f"{head}–{e:%H:%M}"
    return f"{head}–{WEEKDAYS_SHORT[e.weekday()]} {e.day} {MONTHS_SHORT[e.month - 1]} {e:%H:%M}"


MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
          "november", "december")
MONTHS_SHORT = ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec")
WEEKDAYS = ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag")
WEEKDAYS_SHORT = ("mån", "tis", "ons", "tors", "fre", "lör", "sön")
