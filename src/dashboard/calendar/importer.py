"""Import of existing calendars: the CSV/XLSX template and iCalendar `.ics` files.

Every problem is reported at once, in Swedish, with the file, the row (the spreadsheet's row,
or the line of the event's BEGIN:VEVENT) and the column (the template's column, or the iCalendar
property); with any error nothing is stored. A valid file is stored in one transaction
(`store.save_import`): rows with a uid already in the calendar update that event (a new version
with history), the others are added.

Checked per row: title, type, start and end (dates with a time; end after start), municipality
(in Stockholm County), association (in the association file), voting district (in the
municipality), people (known to the calendar), status and visibility, a reason for a declined
or cancelled row; across rows: the same person twice at overlapping times (within the file and
against the calendar, with the travel buffer), duplicates in the file and of events already
stored. Two big activities the same day in one municipality are a warning.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass, field

import pandas as pd

from ..activity.reading import FileReadError, Headers, read_table, source_bytes
from ..activity.schemas import norm_key
from ..activity.templates import csv_bytes
from ..activity.validate import Issue
from ..errors import ValrummetError
from . import conflicts, store
from . import model as M
from .config import Rules

MAX_ROWS = 20_000


@dataclass(frozen=True)
class ImportColumn:
    name: str
    description: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    ics: str = ""  # the iCalendar property the value comes from


COLUMNS: tuple[ImportColumn, ...] = (
    ImportColumn("titel", "Rubrik, t.ex. ”Besök av Anna Andersson i Alby”.", True, ("rubrik", "summary", "händelse"),
                 "SUMMARY"),
    ImportColumn("typ", "En av: " + ", ".join(M.TYPE_SHORT.values()) + ".", True, ("kategori", "categories"),
                 "CATEGORIES"),
    ImportColumn("start", "Start, ÅÅÅÅ-MM-DD TT:MM (svensk tid).", True, ("från", "starttid", "dtstart", "börjar"),
                 "DTSTART"),
    ImportColumn("slut", "Slut, ÅÅÅÅ-MM-DD TT:MM, efter start.", True, ("till", "sluttid", "dtend", "slutar"), "DTEND"),
    ImportColumn("kommun", "Kommunen i Stockholms län: namn eller kod.", True, ("kommunkod", "kommunnamn"),
                 "LOCATION"),
    ImportColumn("förening", "Partiföreningens id eller namn (som i föreningsfilen). Tomt = kommunen.", False,
                 ("partiförening", "forening_id"), "X-VALRUMMET-FORENING"),
    ImportColumn("valdistrikt", "Valdistriktets kod, 8 siffror. Tomt = okänt.", False, (), "X-VALRUMMET-VALDISTRIKT"),
    ImportColumn("plats", "Lokal eller adress (fritext).", False, ("lokal", "adress", "location"), "LOCATION"),
    ImportColumn("personer", "Kandidater och talare, åtskilda av komma; namnen som under Personer.", False,
                 ("person", "talare", "kandidater", "kandidat"), "ATTENDEE"),
    ImportColumn("status", "begärd, ny tid föreslagen, bekräftad, genomförd, avböjd eller inställd. "
                 "Tomt = bekräftad.", False, (), "STATUS"),
    ImportColumn("synlighet", "intern eller offentlig. Tomt = intern.", False, ("offentlig",), "CLASS"),
    ImportColumn("beskrivning", "Varför och vad (fritext, visas bara internt).", False, ("syfte", "varför"),
                 "DESCRIPTION"),
    ImportColumn("anledning", "Anledningen när status är avböjd eller inställd.", False, ("skäl", "orsak"), ""),
    ImportColumn("uid", "Händelsens id. Tomt = ny händelse; ett känt id uppdaterar händelsen.", False, ("id",), "UID"),
)
NAMES = [c.name for c in COLUMNS]
_LOOKUP = {norm_key(s): c.name for c in COLUMNS for s in (c.name, *c.aliases)}
HEADERS = Headers(frozenset(_LOOKUP), examples="'titel', 'start', 'slut', 'kommun'",
                  templates="mallen på sidan Bokningar (Importera)")


@dataclass
class ImportReport:
    source_name: str
    fmt: str = ""
    rows: int = 0
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    inputs: list[M.EventInput] = field(default_factory=list)  # only when there are no errors
    sha256: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.inputs)

    def summary(self) -> str:
        if self.ok:
            return f"{self.source_name}: giltig – {self.rows} händelser."
        return f"{self.source_name}: {len(self.errors)} fel – ingenting sparas."

    def error_lines(self) -> list[str]:
        return [f"{self.source_name}: {i.text()}" for i in self.errors]


class CalendarImportError(ValrummetError):
    def __init__(self, report: ImportReport):
        self.report = report
        super().__init__("\n".join([report.summary(), *report.error_lines()]))


@dataclass(frozen=True)
class ImportResult:
    report: ImportReport
    import_id: int
    added: int
    updated: int


@dataclass(frozen=True)
class Context:
    """What rows are checked against (the page or test builds it)."""

    reference: object  # activity.reference.Reference
    people: pd.DataFrame  # store.people()
    associations: pd.DataFrame  # activity.associations()
    rules: Rules
    default_kind: str | None = None  # for rows (e.g. .ics events) without a type
    default_kommun: str | None = None  # for rows whose place names no municipality


# --- templates ----------------------------------------------------------------------------------------


def template_csv() -> bytes:
    return csv_bytes(NAMES)


def template_xlsx() -> bytes:
    """The XLSX template: a data sheet with the header row and a sheet describing the columns."""
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    wb.set_properties({"title": "Valrummet – mall: kalender", "created": dt.datetime(2026, 1, 1),
                       "author": "Valrummet"})
    head = wb.add_format({"bold": True, "bg_color": "#F2D7D5", "border": 1})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    ws = wb.add_worksheet("Kalender")
    ws.freeze_panes(1, 0)
    for i, c in enumerate(COLUMNS):
        ws.write_string(0, i, c.name, head)
        ws.set_column(i, i, 18 if c.name in ("start", "slut") else max(12, len(c.name) + 4))
        ws.write_comment(0, i, c.description)
    info = wb.add_worksheet("Instruktioner")
    info.set_column(0, 0, 16)
    info.set_column(1, 2, 14)
    info.set_column(2, 2, 90)
    for j, title in enumerate(["Kolumn", "Måste fyllas i", "Beskrivning"]):
        info.write_string(0, j, title, head)
    for r, c in enumerate(COLUMNS, start=1):
        for j, text in enumerate([c.name, "ja" if c.required else "nej", c.description]):
            info.write_string(r, j, text, wrap)
    info.write_string(len(COLUMNS) + 2, 0, "En rad per händelse. Tider i svensk tid. Spara som .xlsx eller CSV "
                      "(UTF-8, semikolon). Kalendrar från andra program går att läsa in som .ics.", wrap)
    wb.close()
    return buf.getvalue()


# --- reading ------------------------------------------------------------------------------------------


def _rows_from_table(content: bytes, name: str) -> tuple[str, list[tuple[int, dict[str, str]]], list[Issue],
                                                         list[Issue]]:
    """(format, [(row, cells)], errors, warnings) of a CSV or XLSX file."""
    raw = read_table(content, name, HEADERS)
    errors: list[Issue] = []
    warnings: list[Issue] = []
    positions: dict[str, int] = {}
    for pos, header in enumerate(raw.headers):
        if not str(header).strip():
            continue
        col = _LOOKUP.get(norm_key(header))
        if col is None:
            warnings.append(Issue(None, str(header), "okänd kolumn, läses inte"))
        elif col in positions:
            errors.append(Issue(None, col, "finns två gånger"))
        else:
            positions[col] = pos
    errors += [Issue(None, c.name, "kolumnen saknas – den är obligatorisk") for c in COLUMNS
               if c.required and c.name not in positions]
    rows = []
    for line, values in raw.data.iterrows():
        cells = {c: str(values[p]).strip() for c, p in positions.items()}
        if any(cells.values()):
            rows.append((int(line), cells))
    return raw.fmt, rows, errors, warnings


def _ics_rows(content: bytes) -> tuple[list[tuple[int, dict[str, str]]], list[Issue]]:
    from .ics import read_ics

    out, errors = [], []
    for r in read_ics(content):
        out.append((r.line, r.cells))
        errors += [Issue(r.line, prop, msg) for prop, msg in r.problems]
    return out, errors


# --- checking -----------------------------------------------------------------------------------------

_DT_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H.%M",
               "%d/%m/%Y %H:%M", "%d.%m.%Y %H:%M", "%d.%m.%Y %H.%M", "%Y/%m/%d %H:%M")


def parse_when(text: str) -> tuple[dt.datetime | None, str | None]:
    """Swedish local time from a cell: (aware datetime, None) or (None, problem)."""
    t = re.sub(r"\s+", " ", text.strip())
    for f in _DT_FORMATS:
        try:
            return dt.datetime.strptime(t, f).replace(tzinfo=M.TZ), None
        except ValueError:
            continue
    for f in ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y"):
        try:
            dt.datetime.strptime(t, f)
            return None, f"'{text}' saknar klockslag (skriv ÅÅÅÅ-MM-DD TT:MM)"
        except ValueError:
            continue
    return None, f"'{text}' är ingen tidpunkt (skriv ÅÅÅÅ-MM-DD TT:MM)"


def _choice(text: str, options: dict[str, str], extra: dict[str, str] | None = None) -> str | None:
    key = norm_key(text)
    table = {norm_key(k): k for k in options} | {norm_key(v): k for k, v in options.items()}
    table |= {norm_key(k): v for k, v in (extra or {}).items()}
    return table.get(key)


_KIND_EXTRA = {norm_key(v): k for k, v in M.TYPE_SHORT.items()} | {"besök": M.VISIT, "talare": M.VISIT,
                                                                   "kandidatbesök": M.VISIT, "valstugepass": "valstuga",
                                                                   "ringpass": "ringstuga", "telefonbank": "ringstuga"}


def _kind(text: str) -> str | None:
    return _choice(text, M.TYPES, _KIND_EXTRA)


def _split_names(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"[,;\n]|\boch\b", text) if p.strip()]


class _Checker:
    def __init__(self, ctx: Context, ics: bool):
        self.ctx, self.ics = ctx, ics
        self.errors: list[Issue] = []
        self.warnings: list[Issue] = []
        people = ctx.people
        self.people = {store.name_key(n): (int(i), bool(a), n) for i, n, a in
                       zip(people["id"], people["name"], people["active"])}
        assoc = ctx.associations
        self.assoc_ids = dict(zip(assoc["förening_id"].astype(str), assoc["kommunkod"].astype(str))) if len(assoc) else {}
        self.assoc_names = ({str(n).casefold(): str(i) for i, n in zip(assoc["förening_id"], assoc["förening"])}
                            if len(assoc) else {})
        self.col = {c.name: (c.ics or c.name) if ics else c.name for c in COLUMNS}

    def err(self, row: int, col: str | None, msg: str) -> None:
        self.errors.append(Issue(row, self.col.get(col, col) if col else None, msg))

    def kommun(self, row: int, cells: dict[str, str]) -> str | None:
        text = cells.get("kommun", "")
        if text:
            code, problem = self.ctx.reference.lookup(text)
            if problem:
                self.err(row, "kommun", problem)
            return code
        if self.ics and cells.get("plats"):
            for part in reversed([p for p in re.split(r"[,\n]", cells["plats"]) if p.strip()]):
                code, problem = self.ctx.reference.lookup(part)
                if code:
                    return code
        if self.ctx.default_kommun:
            return self.ctx.default_kommun
        if self.ics:
            self.err(row, "kommun", f"platsen '{cells.get('plats', '')}' anger ingen kommun i Stockholms län – "
                     "skriv kommunens namn sist i platsen eller välj en kommun för händelser utan kommun")
        else:
            self.err(row, "kommun", "värde saknas")
        return None

    def row(self, line: int, cells: dict[str, str]) -> M.EventInput | None:
        before = len(self.errors)
        title = cells.get("titel", "")
        if not title:
            self.err(line, "titel", "värde saknas")
        elif len(title) > store.MAX_TITLE:
            self.err(line, "titel", f"texten är för lång (högst {store.MAX_TITLE} tecken)")
        kind = None
        if cells.get("typ"):
            kind = _kind(cells["typ"].split(",")[0])
            if kind is None:
                self.err(line, "typ", f"'{cells['typ']}' är ingen känd typ (tillåtna: "
                         + ", ".join(M.TYPE_SHORT.values()) + ")")
        elif self.ctx.default_kind:
            kind = self.ctx.default_kind
        else:
            self.err(line, "typ", "värde saknas")
        start = end = None
        for col in ("start", "slut"):
            text = cells.get(col, "")
            if not text:
                if not any(i.row == line and i.column == self.col[col] for i in self.errors):
                    self.err(line, col, "värde saknas")
                continue
            when, problem = parse_when(text)
            if problem:
                self.err(line, col, problem)
            elif col == "start":
                start = when
            else:
                end = when
        if start and end and end <= start:
            self.err(line, "slut", f"'{cells['slut']}' är före eller samtidigt som start ({cells['start']})")
        kommunkod = self.kommun(line, cells)
        forening = None
        if cells.get("förening"):
            text = cells["förening"]
            if not self.assoc_ids:
                self.err(line, "förening", f"'{text}': ingen föreningsfil är inläst – lämna kolumnen tom eller ladda "
                         "upp föreningsfilen på sidan Importera")
            else:
                forening = text if text in self.assoc_ids else self.assoc_names.get(text.casefold())
                if forening is None:
                    self.err(line, "förening", f"'{text}' är ingen förening i föreningsfilen")
                elif kommunkod and self.assoc_ids[forening] != kommunkod:
                    self.err(line, "förening", f"'{text}' hör till en annan kommun än {cells.get('kommun') or kommunkod}")
        district = cells.get("valdistrikt", "").replace(" ", "") or None
        if district:
            district = district.zfill(8) if re.fullmatch(r"\d{7}", district) else district
            codes = self.ctx.reference.district_codes
            if not re.fullmatch(r"\d{8}", district):
                self.err(line, "valdistrikt", f"'{cells['valdistrikt']}' är ingen valdistriktskod (8 siffror)")
            elif kommunkod and district[:4] != kommunkod:
                self.err(line, "valdistrikt", f"'{district}' ligger inte i kommunen")
            elif codes and district not in codes:
                self.err(line, "valdistrikt", f"'{district}' är inget känt valdistrikt i Stockholms län")
        person_ids = []
        for name in _split_names(cells.get("personer", "")):
            hit = self.people.get(store.name_key(name))
            if hit is None:
                self.err(line, "personer", f"'{name}' finns inte bland personerna i kalendern – lägg till personen "
                         "under Personer först")
            elif not hit[1]:
                self.err(line, "personer", f"'{name}' är inte längre aktiv i kalendern")
            else:
                person_ids.append(hit[0])
        status = M.CONFIRMED
        if cells.get("status"):
            status = _choice(cells["status"], M.STATUSES)
            if status is None:
                self.err(line, "status", f"'{cells['status']}' är ingen status (tillåtna: "
                         + ", ".join(M.STATUSES.values()) + ")")
        visibility = M.INTERNAL
        if cells.get("synlighet"):
            visibility = _choice(cells["synlighet"], M.VISIBILITY, {"ja": M.PUBLIC, "nej": M.INTERNAL,
                                                                    "public": M.PUBLIC, "private": M.INTERNAL})
            if visibility is None:
                self.err(line, "synlighet", f"'{cells['synlighet']}' ska vara intern eller offentlig")
        reason = cells.get("anledning", "")
        if status in (M.DECLINED, M.CANCELLED) and not reason and not self.ics:
            self.err(line, "anledning", f"värde saknas (status {M.STATUSES[status]} kräver en anledning)")
        for col in ("plats", "beskrivning", "anledning"):
            if len(cells.get(col, "")) > store.MAX_TEXT:
                self.err(line, col, f"texten är för lång (högst {store.MAX_TEXT} tecken)")
        uid = cells.get("uid") or None
        if uid and len(uid) > 255:
            self.err(line, "uid", "för långt (högst 255 tecken)")
        if len(self.errors) > before or None in (start, end, kind, kommunkod):
            return None
        place = cells.get("plats") or None
        return M.EventInput(title=title, kind=kind, start=start, end=end, kommunkod=kommunkod, forening=forening,
                            valdistrikt=district, place=place, description=cells.get("beskrivning") or None,
                            visibility=visibility, person_ids=person_ids, status=status,
                            message=reason or None, uid=uid)


def _cross_checks(checker: _Checker, rows: list[tuple[int, M.EventInput]], eng) -> None:
    """Duplicates and the same person twice, within the file and against the calendar."""
    ctx = checker.ctx
    seen_uid: dict[str, int] = {}
    seen_key: dict[tuple, int] = {}
    for line, inp in rows:
        if inp.uid:
            if inp.uid in seen_uid:
                checker.err(line, "uid", f"samma uid som rad {seen_uid[inp.uid]}")
            seen_uid.setdefault(inp.uid, line)
        key = (inp.title.strip().casefold(), M.to_utc(inp.start), inp.kommunkod)
        if key in seen_key:
            checker.err(line, None, f"dubblett av rad {seen_key[key]} (samma rubrik, start och kommun)")
        seen_key.setdefault(key, line)
    if not rows:
        return
    known = store.find_uids([inp.uid for _, inp in rows if inp.uid], eng=eng)
    lo = min(M.to_utc(inp.start) for _, inp in rows) - dt.timedelta(days=1)
    hi = max(M.to_utc(inp.end) for _, inp in rows) + dt.timedelta(days=1)
    stored = store.events(lo, hi, eng=eng)
    updated_ids = {known[inp.uid][0] for _, inp in rows if inp.uid in known}
    stored = stored[~stored["id"].isin(updated_ids)]
    stored_keys = {(t.strip().casefold(), s.to_pydatetime(), k): i for t, s, k, i in
                   zip(stored["title"], stored["starts_at"], stored["kommunkod"], stored["id"])}
    for line, inp in rows:
        if not (inp.uid and inp.uid in known):
            key = (inp.title.strip().casefold(), M.to_utc(inp.start), inp.kommunkod)
            if key in stored_keys:
                checker.err(line, None, "finns redan i kalendern (samma rubrik, start och kommun) – ta bort raden "
                            "eller ange händelsens uid för att uppdatera den")
    kommun_names = ctx.reference.name_of
    person_names = {int(i): n for i, n in zip(ctx.people["id"], ctx.people["name"])}
    intervals = [("fil", line, inp.title, M.to_utc(inp.start), M.to_utc(inp.end), inp.kommunkod, p)
                 for line, inp in rows if inp.status in M.ACTIVE for p in inp.person_ids]
    intervals += [("kalender", int(r.id), r.title, r.starts_at.to_pydatetime(), r.ends_at.to_pydatetime(),
                   r.kommunkod, int(p)) for r in stored.itertuples(index=False) if r.status in M.ACTIVE
                  for p in r.person_ids]
    frame = pd.DataFrame(intervals, columns=["source", "ref", "title", "start", "end", "kommunkod", "person_id"])
    for a, b, pid, gap in conflicts.overlapping_pairs(frame, ctx.rules):
        if a.source == "kalender" and b.source == "kalender":
            continue  # not this file's business
        if b.source != "fil" or (a.source == "fil" and a.ref > b.ref):
            a, b = b, a  # the error goes on the file's (later) row and names the other
        where = (f"rad {a.ref}" if a.source == "fil" else "i kalendern") + (
            f" («{a.title}» {M.time_span_text(a.start, a.end)} i {kommun_names.get(a.kommunkod, a.kommunkod)})")
        who = person_names.get(int(pid), "?")
        if gap is None:
            checker.err(b.ref, "personer", f"{who} är redan uppbokad samtidigt {where}")
        else:
            checker.err(b.ref, "personer", f"{who} hinner inte mellan: bara {gap} min till {where}")
    big = [(line, inp) for line, inp in rows if inp.kind == M.BIG and inp.status in M.ACTIVE]
    by_day: dict[tuple, int] = {}
    for line, inp in big:
        key = (M.local(M.to_utc(inp.start)).date(), inp.kommunkod)
        if key in by_day:
            checker.warnings.append(Issue(line, checker.col["start"], f"två stora aktiviteter samma dag i "
                                          f"{kommun_names.get(inp.kommunkod, inp.kommunkod)} (rad {by_day[key]})"))
        by_day.setdefault(key, line)


def validate(source, ctx: Context, *, name: str | None = None, eng=None) -> ImportReport:
    """Check a CSV, XLSX or .ics file without storing anything."""
    content, default_name = source_bytes(source)
    name = name or default_name
    report = ImportReport(name, sha256=hashlib.sha256(content).hexdigest())
    is_ics = name.lower().endswith((".ics", ".ical", ".ifb")) or content.lstrip(b"\xef\xbb\xbf").lstrip()[:15].upper() \
        == b"BEGIN:VCALENDAR"
    try:
        if is_ics:
            from .ics import IcsReadError

            report.fmt = "ics"
            try:
                rows, errors = _ics_rows(content)
            except IcsReadError as exc:
                report.errors.append(Issue(None, None, exc.problem))
                return report
        else:
            report.fmt, rows, errors, report.warnings = _rows_from_table(content, name)
    except FileReadError as exc:
        report.errors.append(Issue(None, None, exc.problem))
        return report
    report.rows = len(rows)
    report.errors += errors
    if not rows:
        report.errors.append(Issue(None, None, "filen har inga händelser"))
        return report
    if len(rows) > MAX_ROWS:
        report.errors.append(Issue(None, None, f"filen har {len(rows)} händelser; högst {MAX_ROWS} per import"))
        return report
    checker = _Checker(ctx, is_ics)
    checker.errors = report.errors
    parsed = []
    for line, cells in rows:
        inp = checker.row(line, cells)
        if inp is not None:
            parsed.append((line, inp))
    _cross_checks(checker, parsed, eng)
    report.errors = sorted(checker.errors, key=lambda i: (i.row is not None, i.row or 0))
    report.warnings += checker.warnings
    if not report.errors:
        report.inputs = [inp for _, inp in parsed]
    return report


def import_file(source, ctx: Context, actor: M.Actor, *, name: str | None = None, eng=None) -> ImportResult:
    """Validate and, only without any error, store; raises CalendarImportError otherwise."""
    if not actor.coordinator:
        raise store.NotAllowed("Bara en koordinator kan importera kalendrar.")
    report = validate(source, ctx, name=name, eng=eng)
    if not report.ok:
        raise CalendarImportError(report)
    import_id, added, updated = store.save_import(report.inputs, file_name=report.source_name, sha256=report.sha256,
                                                  fmt=report.fmt, actor=actor, eng=eng)
    return ImportResult(report, import_id, added, updated)
