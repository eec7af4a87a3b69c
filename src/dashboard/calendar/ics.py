"""iCalendar (RFC 5545) files through the `icalendar` library: export and reading for import.

Export: one VEVENT per event with the event's stored UID and its version as SEQUENCE, so a
calendar program that downloads or subscribes again updates the event instead of adding a copy.
Times are written in Europe/Stockholm with its VTIMEZONE. Three audiences:

* `public` – the open calendar: title, type, time, municipality and place only;
* `internal` – a person's or an association's calendar: also the people, the status, who asked
  and the description (only behind a login or a secret subscription URL).

Valrummet's own fields travel as X-VALRUMMET-* properties, so an exported file imports back
without losing the municipality, type or people.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from . import model as M

PRODID = "-//Vänsterpartiet Storstockholm//Valrummet bokningskalender//SV"
ICAL_STATUS = {M.REQUESTED: "TENTATIVE", M.PROPOSED: "TENTATIVE", M.CONFIRMED: "CONFIRMED",
               M.DONE: "CONFIRMED", M.DECLINED: "CANCELLED", M.CANCELLED: "CANCELLED"}
FROM_ICAL_STATUS = {"TENTATIVE": M.REQUESTED, "CONFIRMED": M.CONFIRMED, "CANCELLED": M.CANCELLED}


def _aware(value) -> dt.datetime:
    """A frame's naive-UTC timestamp as an aware Swedish datetime."""
    return M.local(pd.Timestamp(value).to_pydatetime())


def calendar_bytes(events: pd.DataFrame, name: str, *, public: bool, kommun_names: Mapping[str, str],
                   association_names: Mapping[str, str] | None = None) -> bytes:
    """The events as an .ics file. `events` comes from store.events (internal) or
    store.public_events (public); with `public` only the public fields are written."""
    from icalendar import Calendar, Event

    association_names = association_names or {}
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Europe/Stockholm")
    for r in events.itertuples(index=False):
        ev = Event()
        ev.add("uid", r.uid)
        stamp = pd.Timestamp(r.updated_at).to_pydatetime().replace(tzinfo=dt.timezone.utc)
        ev.add("dtstamp", stamp)
        ev.add("last-modified", stamp)
        ev.add("sequence", int(r.version))
        ev.add("dtstart", _aware(r.starts_at))
        ev.add("dtend", _aware(r.ends_at))
        ev.add("summary", r.title)
        kommun = kommun_names.get(r.kommunkod, r.kommunkod)
        forening = association_names.get(r.forening, r.forening) if isinstance(r.forening, str) else None
        ev.add("location", ", ".join(p for p in (r.place if isinstance(r.place, str) else None, forening, kommun) if p))
        ev.add("categories", [M.TYPE_SHORT[r.kind]])
        ev.add("status", ICAL_STATUS[r.status])
        ev.add("class", "PUBLIC" if public else "PRIVATE")
        ev.add("x-valrummet-typ", r.kind)
        ev.add("x-valrummet-kommun", r.kommunkod)
        if forening:
            ev.add("x-valrummet-forening", r.forening)
        if not public:
            people = list(r.people)
            lines = [f"Typ: {M.TYPES[r.kind]}", f"Status: {M.STATUSES[r.status]}"]
            if people:
                lines.append("Personer: " + ", ".join(people))
                ev.add("x-valrummet-personer", ", ".join(people))
            lines.append(f"Förfrågan av: {r.requested_by}")
            if isinstance(r.description, str) and r.description:
                lines.append("")
                lines.append(r.description)
            if isinstance(r.message, str) and r.message:
                lines.append(f"Meddelande: {r.message}")
            ev.add("description", "\n".join(lines))
            ev.add("x-valrummet-synlighet", r.visibility)
            if isinstance(r.valdistrikt, str) and r.valdistrikt:
                ev.add("x-valrummet-valdistrikt", r.valdistrikt)
        cal.add_component(ev)
    cal.add_missing_timezones()
    return cal.to_ical()


def file_name(label: str) -> str:
    """A safe file name for a download: "kalender_anna_andersson.ics"."""
    slug = re.sub(r"[^a-z0-9]+", "_", label.casefold().translate(str.maketrans("åäöé", "aaoe"))).strip("_")
    return f"kalender_{slug or 'valrummet'}.ics"


# --- reading an .ics file for import -------------------------------------------------------------------------


@dataclass
class IcsRow:
    """One VEVENT as text cells named like the import template's columns, with where it is."""

    line: int  # the line of its BEGIN:VEVENT in the file
    cells: dict[str, str]
    problems: list[tuple[str, str]] = field(default_factory=list)  # (property, message)


class IcsReadError(Exception):
    def __init__(self, problem: str):
        super().__init__(problem)
        self.problem = problem


def _text(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "cats"):
        return ", ".join(str(c) for c in value.cats)
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    return str(value).strip()


def _when(component, prop: str) -> tuple[str, str | None]:
    """(cell text, problem) for DTSTART/DTEND: Swedish time "ÅÅÅÅ-MM-DD TT:MM"."""
    if prop.upper() not in component:
        return "", None
    try:
        value = component.decoded(prop)
    except Exception:  # noqa: BLE001 - icalendar raises several kinds for broken values
        value = None
    if isinstance(value, dt.datetime):
        v = value.astimezone(M.TZ) if value.tzinfo else value  # floating time = Swedish time
        return v.strftime("%Y-%m-%d %H:%M"), None
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d 00:00"), None
    raw = component.get(prop)
    shown = getattr(raw, "to_ical", lambda: raw)()
    shown = shown.decode() if isinstance(shown, bytes) else str(shown)
    return "", f"'{shown}' är ingen tidpunkt"


def read_ics(content: bytes) -> list[IcsRow]:
    """The VEVENTs of an .ics file as import rows; raises IcsReadError when it is no calendar."""
    from icalendar import Calendar

    text = content.decode("utf-8-sig", errors="replace")
    if "BEGIN:VCALENDAR" not in text.upper():
        raise IcsReadError("filen är ingen iCalendar-fil (ingen BEGIN:VCALENDAR).")
    try:
        cal = Calendar.from_ical(text)
    except (ValueError, IndexError, KeyError) as exc:
        raise IcsReadError(f"filen kan inte läsas som iCalendar: {exc}") from None
    lines = [i + 1 for i, line in enumerate(text.splitlines()) if line.strip().upper() == "BEGIN:VEVENT"]
    rows = []
    for n, ev in enumerate(cal.walk("VEVENT")):
        start, p1 = _when(ev, "dtstart")
        end, p2 = _when(ev, "dtend")
        problems = [(prop, msg) for prop, msg in (("DTSTART", p1), ("DTEND", p2)) if msg]
        if not end and not p2 and start and "DURATION" in ev:
            try:
                begin = dt.datetime.strptime(start, "%Y-%m-%d %H:%M")
                end = (begin + ev.decoded("duration")).strftime("%Y-%m-%d %H:%M")
            except (ValueError, TypeError):
                problems.append(("DURATION", "varaktigheten går inte att läsa"))
        status = _text(ev.get("status")).upper()
        location = _text(ev.get("location"))
        cells = {
            "uid": _text(ev.get("uid")),
            "titel": _text(ev.get("summary")),
            "start": start,
            "slut": end,
            "typ": _text(ev.get("x-valrummet-typ")) or _text(ev.get("categories")),
            "kommun": _text(ev.get("x-valrummet-kommun")),
            "förening": _text(ev.get("x-valrummet-forening")),
            "valdistrikt": _text(ev.get("x-valrummet-valdistrikt")),
            "plats": location,
            "personer": _text(ev.get("x-valrummet-personer")) or ", ".join(
                str(a.params.get("CN", "")) for a in _attendees(ev) if a.params.get("CN")),
            "status": FROM_ICAL_STATUS.get(status, status.lower()) if status else "",
            "synlighet": _text(ev.get("x-valrummet-synlighet")) or (
                M.PUBLIC if _text(ev.get("class")).upper() == "PUBLIC" else ""),
            "beskrivning": "" if ev.get("x-valrummet-typ") else _text(ev.get("description")),
        }
        for prop, message in getattr(ev, "errors", []) or []:
            if prop.upper() not in ("DTSTART", "DTEND"):
                problems.append((prop.upper(), f"går inte att läsa: {message}"))
        rows.append(IcsRow(lines[n] if n < len(lines) else 0, cells, problems))
    return rows


def _attendees(ev) -> list:
    value = ev.get("attendee")
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
