"""The calendar's views as pure functions: a month grid and a week (HTML), and list tables.

Everything a user typed (titles, places, names) is HTML-escaped here. The HTML carries its own
small stylesheet scoped to `.vr-kal`: the grid shows titles on wide screens and only the number
of bookings per day on a phone (390 px), where the week and list views carry the details.
Status is written in words, never shown by colour alone.
"""
from __future__ import annotations

import calendar as _cal
import datetime as dt
import html
from collections.abc import Mapping

import pandas as pd

from . import model as M

_STYLE = """<style>
.vr-kal { font-size: 0.9rem; }
.vr-kal table { width: 100%; border-collapse: collapse; table-layout: fixed; }
.vr-kal th { font-weight: 600; padding: 0.25rem; text-align: left; border-bottom: 1px solid rgba(128,128,128,.4); }
.vr-kal td { vertical-align: top; height: 5.5rem; padding: 0.25rem; border: 1px solid rgba(128,128,128,.25);
  overflow: hidden; }
.vr-kal td.vr-ute { opacity: 0.45; }
.vr-kal td.vr-idag { outline: 2px solid #c8102e; outline-offset: -2px; }
.vr-kal .vr-nr { font-weight: 600; }
.vr-kal .vr-antal { font-size: 0.8rem; }
.vr-kal .vr-antal b { font-weight: 400; }
.vr-kal .vr-st { display: none; }
.vr-kal ul { list-style: none; margin: 0.15rem 0 0; padding: 0; }
.vr-kal li { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; font-size: 0.8rem; line-height: 1.3; }
.vr-kal li.vr-vantar { font-style: italic; }
.vr-kal .vr-vecka { display: grid; grid-template-columns: 1fr; gap: 0.5rem; }
.vr-kal .vr-vdag { border-top: 1px solid rgba(128,128,128,.4); padding-top: 0.25rem; }
.vr-kal .vr-vdag h4 { font-size: 0.95rem; margin: 0 0 0.25rem; padding: 0; }
.vr-kal .vr-vdag li { white-space: normal; margin-bottom: 0.35rem; font-size: 0.85rem; }
.vr-kal .vr-sma { opacity: 0.8; }
@media (max-width: 700px) {
  .vr-kal td { height: 3.2rem; padding: 0.15rem; }
  .vr-kal ul.vr-titlar, .vr-kal .vr-fler, .vr-kal .vr-ord { display: none; }
  .vr-kal .vr-st { display: inline; }
  .vr-kal .vr-antal b { font-weight: 600; }
  .vr-kal abbr { text-decoration: none; }
}
@media (min-width: 1000px) { .vr-kal .vr-vecka { grid-template-columns: repeat(7, minmax(0, 1fr)); } }
</style>"""


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def localize(events: pd.DataFrame) -> pd.DataFrame:
    """`start`/`end` columns in Swedish time (from the stored naive UTC)."""
    out = events.copy()
    for src, dst in (("starts_at", "start"), ("ends_at", "end")):
        out[dst] = pd.to_datetime(out[src]).dt.tz_localize("UTC").dt.tz_convert(M.TZ) if len(out) else \
            pd.Series(dtype="datetime64[us, Europe/Stockholm]")
    return out


def by_day(events: pd.DataFrame, first: dt.date, after: dt.date) -> dict[dt.date, list]:
    """Events per Swedish day in [first, after); an event over midnight is on each of its days."""
    days: dict[dt.date, list] = {}
    for r in localize(events).itertuples(index=False):
        d, last = r.start.date(), (r.end - dt.timedelta(microseconds=1)).date()
        d = max(d, first)
        while d <= last and d < after:
            days.setdefault(d, []).append(r)
            d += dt.timedelta(days=1)
    return days


def _status_word(status: str) -> str:
    return "" if status in M.BOOKED else f" ({M.STATUSES[status]})"


def _day_items(events: pd.DataFrame, first: dt.date, after: dt.date) -> dict[dt.date, list[tuple[str, str, str]]]:
    """(time "HH:MM" or "" on later days, title, status) per Swedish day in [first, after), in
    start order. Vectorised: a month of a busy season has ~900 events and this runs when the
    store changes."""
    if events.empty:
        return {}
    s = pd.DatetimeIndex(events["starts_at"]).tz_localize("UTC").tz_convert(M.TZ)
    e = pd.DatetimeIndex(events["ends_at"]).tz_localize("UTC").tz_convert(M.TZ) - pd.Timedelta(microseconds=1)
    out: dict[dt.date, list[tuple[str, str, str]]] = {}
    one = dt.timedelta(days=1)
    for sd, ed, h, m, title, status in zip(s.date, e.date, s.hour, s.minute, events["title"], events["status"]):
        when = f"{h:02d}:{m:02d}"
        if sd == ed and first <= sd < after:  # the common case: within one day
            out.setdefault(sd, []).append((when, title, status))
            continue
        d = max(sd, first)
        while d <= ed and d < after:
            out.setdefault(d, []).append((when if d == sd else "", title, status))
            d += one
    return out


def month_html(first: dt.date, events: pd.DataFrame, *, today: dt.date, public: bool = False,
               max_titles: int = 3) -> str:
    """A month grid (Monday first) with the number of events per day and the first titles."""
    weeks = _cal.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    after = (first + dt.timedelta(days=32)).replace(day=1)
    days = _day_items(events, weeks[0][0], weeks[-1][-1] + dt.timedelta(days=1))
    head = "".join(f'<th scope="col"><abbr title="{full}">{short}</abbr></th>'
                   for full, short in zip(M.WEEKDAYS, M.WEEKDAYS_SHORT))
    rows = []
    for week in weeks:
        cells = []
        for d in week:
            todays = days.get(d, [])
            cls = ["vr-dag"] + (["vr-ute"] if not first <= d < after else []) + (["vr-idag"] if d == today else [])
            label = f"{d.day} {M.MONTHS[d.month - 1]}"
            parts = [f'<div class="vr-nr" aria-label="{_e(label)}">{d.day}</div>']
            if todays:
                n = len(todays)
                word = "evenemang" if public else ("bokning" if n == 1 else "bokningar")
                parts.append(f'<div class="vr-antal" aria-label="{n} {word}"><b>{n}</b>'
                             f'<span class="vr-ord"> {word}</span><span class="vr-st"> st</span></div>')
                items = []
                for when, title, status in todays[:max_titles]:
                    pending = "" if public else _status_word(status)
                    klass = ' class="vr-vantar"' if pending else ""
                    items.append(f"<li{klass}>{_e((when + ' ' if when else '') + title + pending)}</li>")
                parts.append(f'<ul class="vr-titlar">{"".join(items)}</ul>')
                if n > max_titles:
                    parts.append(f'<div class="vr-fler">+{n - max_titles} till</div>')
            cells.append(f'<td class="{" ".join(cls)}">{"".join(parts)}</td>')
        rows.append(f"<tr>{''.join(cells)}</tr>")
    caption = f"{M.MONTHS[first.month - 1].capitalize()} {first.year}"
    return (f'<div class="vr-kal">{_STYLE}<table aria-label="{_e(caption)}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def week_html(monday: dt.date, events: pd.DataFrame, *, public: bool, kommun_names: Mapping[str, str],
              association_names: Mapping[str, str] | None = None) -> str:
    """Seven days, each with its events: time, title, place, people and status."""
    association_names = association_names or {}
    days = by_day(events, monday, monday + dt.timedelta(days=7))
    sections = []
    for i in range(7):
        d = monday + dt.timedelta(days=i)
        items = []
        for r in days.get(d, []):
            span = M.time_span_text(r.start, r.end).split(" ", 3)[-1] if r.start.date() == r.end.date() else \
                M.time_span_text(r.start, r.end)
            where = [kommun_names.get(r.kommunkod, r.kommunkod)]
            if isinstance(r.forening, str):
                where.insert(0, association_names.get(r.forening, r.forening))
            if isinstance(r.place, str) and r.place:
                where.insert(0, r.place)
            details = [", ".join(where), M.TYPE_SHORT[r.kind]]
            if not public:
                if r.people:
                    details.append(", ".join(r.people))
                details.append(M.STATUSES[r.status])
            klass = ' class="vr-vantar"' if not public and r.status in M.PENDING else ""
            items.append(f"<li{klass}><b>{_e(span)}</b> {_e(r.title)}<br>"
                         f'<span class="vr-sma">{_e(" · ".join(details))}</span></li>')
        body = f"<ul>{''.join(items)}</ul>" if items else '<p class="vr-sma">Inget bokat.</p>'
        sections.append(f'<section class="vr-vdag"><h4>{M.WEEKDAYS[d.weekday()]} {d.day} '
                        f"{M.MONTHS[d.month - 1]}</h4>{body}</section>")
    return f'<div class="vr-kal">{_STYLE}<div class="vr-vecka">{"".join(sections)}</div></div>'


def table(events: pd.DataFrame, *, public: bool, kommun_names: Mapping[str, str],
          association_names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """One row per event for a list table (text columns; start sorts as text)."""
    association_names = association_names or {}
    ev = localize(events)
    out = pd.DataFrame({
        "id": ev["id"],
        "start": [f"{s:%Y-%m-%d %H:%M}" for s in ev["start"]],
        "slut": [f"{e:%H:%M}" if e.date() == s.date() else f"{e:%Y-%m-%d %H:%M}" for s, e in zip(ev["start"], ev["end"])],
        "dag": [f"{M.WEEKDAYS_SHORT[s.weekday()]} {s.day} {M.MONTHS_SHORT[s.month - 1]}" for s in ev["start"]],
        "titel": ev["title"],
        "typ": [M.TYPE_SHORT[k] for k in ev["kind"]],
        "kommun": [kommun_names.get(k, k) for k in ev["kommunkod"]],
        "forening": [association_names.get(f, f) if isinstance(f, str) else None for f in ev["forening"]],
        "plats": ev["place"],
    })
    if not public:
        out["personer"] = [", ".join(p) for p in ev["people"]]
        out["status"] = [M.STATUSES[s] for s in ev["status"]]
        out["synlighet"] = [M.VISIBILITY[v] for v in ev["visibility"]]
        out["fragat_av"] = ev["requested_by"]
        out["meddelande"] = ev["message"]
    return out


def history_table(history: pd.DataFrame) -> pd.DataFrame:
    """An event's history for a table: when, who, what, saved or refused, message."""
    if history.empty:
        return pd.DataFrame(columns=["tid", "vem", "vad", "utfall", "meddelande"])
    when = pd.to_datetime(history["at"]).dt.tz_localize("UTC").dt.tz_convert(M.TZ)
    return pd.DataFrame({
        "tid": [f"{t:%Y-%m-%d %H:%M:%S}" for t in when],
        "vem": history["actor"],
        "vad": history["action"],
        "utfall": history["outcome"],
        "meddelande": history["message"],
    })
