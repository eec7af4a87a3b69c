"""Import of existing calendars (CSV, XLSX, .ics): bad rows give row-level Swedish errors and
nothing is stored; good files are stored in one go, and a known uid updates its event."""
from __future__ import annotations

import io

import pandas as pd
import pytest

from dashboard.activity.reference import load_reference
from dashboard.calendar import db, store
from dashboard.calendar import importer as I
from dashboard.calendar import model as M
from dashboard.calendar.config import load_rules
from tests.calendar_support import COORD, MEMBER, store_url, visit  # noqa: F401

HEADER = "titel;typ;start;slut;kommun;personer;status;synlighet;anledning"
NO_ASSOCIATIONS = pd.DataFrame(columns=["förening_id", "förening", "kommunkod"])


@pytest.fixture
def ctx(store_url):
    anna = store.add_person("Anna Andersson", "kandidat", COORD)
    bo = store.add_person("Bo Berg", "talare", COORD)
    # Anna is already booked in Botkyrka on 12 May 18–20
    store.create(visit("Medlemsmöte i Alby", "2026-05-12", "18:00", "20:00", people=[anna], status=M.CONFIRMED), COORD)
    assert bo
    return I.Context(load_reference(), store.people(), NO_ASSOCIATIONS, load_rules())


def csv(*lines: str) -> bytes:
    return ("\ufeff" + "\r\n".join([HEADER, *lines]) + "\r\n").encode("utf-8")


def xlsx(rows: list[list]) -> bytes:
    buf = io.BytesIO()
    pd.DataFrame(rows, columns=HEADER.split(";")).to_excel(buf, index=False)
    return buf.getvalue()


def snapshot():
    return db.revision(), store.counts()


BAD_ROWS = [
    # row 2: fine
    "Besök i Fittja;besök;2026-05-20 18:00;2026-05-20 20:00;Botkyrka;Anna Andersson;;;",
    # row 3: overlaps Anna's booking in the calendar (Botkyrka 18–20)
    "Torgmöte;besök;2026-05-12 19:00;2026-05-12 20:30;Botkyrka;Anna Andersson;;;",
    # row 4: unknown person
    "Besök i Solna;besök;2026-05-21 18:00;2026-05-21 19:00;Solna;Kalle Anka;;;",
    # row 5: end before start
    "Ringstuga;ringstuga;2026-05-22 18:00;2026-05-22 17:00;Huddinge;;;;",
    # row 6: bad date
    "Valfest;stor aktivitet;2026-13-45 12:00;2026-05-23 16:00;Nacka;;;;",
    # row 7: overlaps row 2 of the same file, in another municipality (within the travel buffer)
    "Möte i Huddinge;möte;2026-05-20 20:30;2026-05-20 21:30;Huddinge;Anna Andersson;;;",
]


def expected_errors(col: dict[str, str]) -> list[tuple[int, str, str]]:
    return [
        (3, col["personer"], "Anna Andersson är redan uppbokad samtidigt i kalendern (« Medlemsmöte i Alby» ".replace("« ", "«")
         + "tis 12 maj 18:00–20:00 i Botkyrka)"),
        (4, col["personer"], "'Kalle Anka' finns inte bland personerna i kalendern – lägg till personen under Personer först"),
        (5, col["slut"], "'2026-05-22 17:00' är före eller samtidigt som start (2026-05-22 18:00)"),
        (6, col["start"], "'2026-13-45 12:00' är ingen tidpunkt (skriv ÅÅÅÅ-MM-DD TT:MM)"),
        (7, col["personer"], "Anna Andersson hinner inte mellan: bara 30 min till rad 2 («Besök i Fittja» ons 20 maj "
         "18:00–20:00 i Botkyrka)"),
    ]


def as_tuples(report) -> list[tuple]:
    return [(i.row, i.column, i.message) for i in report.errors]


def test_csv_with_bad_rows_gives_row_errors_and_stores_nothing(ctx):
    before = snapshot()
    with pytest.raises(I.CalendarImportError) as exc:
        I.import_file(csv(*BAD_ROWS), ctx, COORD, name="kalender.csv")
    report = exc.value.report
    assert as_tuples(report) == expected_errors({c: c for c in I.NAMES})
    assert report.summary() == "kalender.csv: 5 fel – ingenting sparas."
    assert report.error_lines()[0].startswith("kalender.csv: rad 3, kolumn 'personer': Anna Andersson")
    assert snapshot() == before


def test_xlsx_with_bad_rows_gives_the_same_errors(ctx):
    rows = [line.split(";") for line in BAD_ROWS]
    before = snapshot()
    report = I.validate(xlsx(rows), ctx, name="kalender.xlsx")
    assert report.fmt == "xlsx" and not report.ok
    assert as_tuples(report) == expected_errors({c: c for c in I.NAMES})
    assert snapshot() == before


def ics(*events: str) -> bytes:
    body = "".join(f"BEGIN:VEVENT\r\n{e.strip()}\r\nEND:VEVENT\r\n" for e in events)
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//SV\r\n" + body + "END:VCALENDAR\r\n").encode()


def test_ics_with_bad_events_gives_line_and_property(ctx):
    good = "UID:a1\r\nSUMMARY:Besök i Fittja\r\nCATEGORIES:Besök\r\nDTSTART;TZID=Europe/Stockholm:20260520T180000\r\n" \
           "DTEND;TZID=Europe/Stockholm:20260520T200000\r\nLOCATION:Fittja centrum, Botkyrka\r\n" \
           "ATTENDEE;CN=Anna Andersson:mailto:anna@example.se"
    overlap = "UID:a2\r\nSUMMARY:Torgmöte\r\nCATEGORIES:Besök\r\nDTSTART;TZID=Europe/Stockholm:20260512T190000\r\n" \
              "DTEND;TZID=Europe/Stockholm:20260512T203000\r\nLOCATION:Alby torg, Botkyrka\r\n" \
              "ATTENDEE;CN=Anna Andersson:mailto:anna@example.se"
    unknown = "UID:a3\r\nSUMMARY:Besök\r\nCATEGORIES:Besök\r\nDTSTART:20260521T160000Z\r\nDTEND:20260521T170000Z\r\n" \
              "LOCATION:Solna\r\nATTENDEE;CN=Kalle Anka:mailto:k@example.se"
    backwards = "UID:a4\r\nSUMMARY:Ringstuga\r\nCATEGORIES:Ringstuga\r\nDTSTART:20260522T180000\r\n" \
                "DTEND:20260522T170000\r\nLOCATION:Huddinge"
    bad_date = "UID:a5\r\nSUMMARY:Valfest\r\nCATEGORIES:Stor aktivitet\r\nDTSTART:2026-13-45\r\n" \
               "DTEND:20260523T160000\r\nLOCATION:Nacka"
    no_place = "UID:a6\r\nSUMMARY:Möte\r\nCATEGORIES:Möte\r\nDTSTART:20260524T180000\r\nDTEND:20260524T190000\r\n" \
               "LOCATION:Folkets hus"
    before = snapshot()
    report = I.validate(ics(good, overlap, unknown, backwards, bad_date, no_place), ctx, name="distriktet.ics")
    assert report.fmt == "ics" and not report.ok
    # each event's BEGIN:VEVENT line: 4, 13, 22, 31, 39, 47
    got = as_tuples(report)
    assert got[0][:2] == (13, "ATTENDEE") and "redan uppbokad samtidigt i kalendern" in got[0][2]
    assert got[1] == (22, "ATTENDEE", "'Kalle Anka' finns inte bland personerna i kalendern – lägg till personen "
                      "under Personer först")
    assert got[2] == (31, "DTEND", "'2026-05-22 17:00' är före eller samtidigt som start (2026-05-22 18:00)")
    assert got[3] == (39, "DTSTART", "'2026-13-45' är ingen tidpunkt")
    assert got[4][:2] == (47, "LOCATION") and "platsen 'Folkets hus' anger ingen kommun" in got[4][2]
    assert len(got) == 5
    assert snapshot() == before
    # with a municipality for events without one, and the bad ones removed, it imports
    fixed = I.Context(ctx.reference, ctx.people, ctx.associations, ctx.rules, default_kommun="0180")
    res = I.import_file(ics(good, no_place), fixed, COORD, name="distriktet.ics")
    assert (res.added, res.updated) == (2, 0)
    stored = store.events(statuses=M.ACTIVE)
    assert set(stored["uid"]) >= {"a1", "a6"}
    assert stored.set_index("uid").loc["a6", "kommunkod"] == "0180"
    assert stored.set_index("uid").loc["a1", "people"] == ("Anna Andersson",)


def test_exported_ics_imports_back_as_updates(ctx):
    from dashboard.calendar import ics as ICS

    anna = int(ctx.people.set_index("name").loc["Anna Andersson", "id"])
    eid = store.create(visit("Dörrknackning i Hallonbergen", "2026-06-02", "17:00", "19:00", kommunkod="0183",
                             kind="dorrknackning", people=[anna], status=M.CONFIRMED, visibility=M.PUBLIC), COORD)
    data = ICS.calendar_bytes(store.events(), "Test", public=False, kommun_names=ctx.reference.name_of)
    before = store.counts()
    res = I.import_file(data, ctx, COORD, name="export.ics")
    assert (res.added, res.updated) == (0, 2)  # the same uids: updated, not duplicated
    assert store.counts() == before
    ev = store.event(eid)
    assert ev["version"] == 2 and ev["kind"] == "dorrknackning" and ev["visibility"] == M.PUBLIC
    assert ev["people"] == ("Anna Andersson",)
    assert store.event_history(eid)["action"].tolist() == ["skapad", "ändrad via import"]


def test_good_csv_is_stored_with_history(ctx):
    data = csv("Besök i Fittja;Besök;2026-05-20 18:00;2026-05-20 20:00;0127;Anna Andersson, Bo Berg;;offentlig;",
               "Inställt möte;möte;20/05/2026 10:00;20/05/2026 11:00;Upplands Väsby;;inställd;;lokalen stängd",
               "Stor fest;Stor aktivitet;2026-05-20 12:00;2026-05-20 15:00;botkyrka;;;;",
               "Stor fest 2;stor_aktivitet;2026-05-20 16:00;2026-05-20 18:00;Botkyrka;;;;")
    res = I.import_file(data, ctx, COORD, name="kalender.csv")
    assert (res.added, res.updated) == (4, 0)
    assert [(w.row, w.message) for w in res.report.warnings] == [
        (5, "två stora aktiviteter samma dag i Botkyrka (rad 4)")]
    got = store.events(statuses=None).set_index("title")
    assert got.loc["Besök i Fittja", "people"] == ("Anna Andersson", "Bo Berg")
    assert got.loc["Besök i Fittja", "visibility"] == M.PUBLIC and got.loc["Besök i Fittja", "source"] == "import"
    assert got.loc["Inställt möte", "status"] == M.CANCELLED
    assert got.loc["Inställt möte", "message"] == "lokalen stängd" and got.loc["Inställt möte", "kommunkod"] == "0114"
    # the same file again: every row is already there
    with pytest.raises(I.CalendarImportError) as exc:
        I.import_file(data, ctx, COORD, name="kalender.csv")
    assert {i.row for i in exc.value.report.errors} == {2, 3, 4, 5}
    assert "finns redan i kalendern" in exc.value.report.errors[0].message


def test_file_level_problems(ctx):
    r = I.validate(b"namn;antal\r\nx;1\r\n", ctx, name="fel.csv")
    assert not r.ok and "hittar ingen rubrikrad" in r.errors[0].message and "'titel'" in r.errors[0].message
    r = I.validate("\ufefftitel;start;slut\r\nA;2026-05-01 10:00;2026-05-01 11:00\r\n".encode(), ctx, name="x.csv")
    assert [(i.column, i.message) for i in r.errors if i.row is None] == [
        ("typ", "kolumnen saknas – den är obligatorisk"), ("kommun", "kolumnen saknas – den är obligatorisk")]
    r = I.validate(b"BEGIN:VCALENDAR\r\nthis is not\r\n", ctx, name="trasig.ics")
    assert not r.ok and r.errors[0].message.startswith("filen kan inte läsas som iCalendar")
    r = I.validate(csv("Kort;besök;2026-05-20;2026-05-20 20:00;Botkyrka;;;;",
                       "Status;besök;2026-05-21 10:00;2026-05-21 11:00;Botkyrka;;kanske;hemlig;"), ctx, name="y.csv")
    assert as_tuples(r) == [
        (2, "start", "'2026-05-20' saknar klockslag (skriv ÅÅÅÅ-MM-DD TT:MM)"),
        (3, "status", "'kanske' är ingen status (tillåtna: begärd, ny tid föreslagen, bekräftad, genomförd, "
                      "avböjd, inställd)"),
        (3, "synlighet", "'hemlig' ska vara intern eller offentlig"),
    ]
    with pytest.raises(store.NotAllowed):
        I.import_file(csv(BAD_ROWS[0]), ctx, MEMBER, name="x.csv")


def test_templates_have_every_column():
    assert I.template_csv().decode("utf-8-sig").strip() == ";".join(I.NAMES)
    frame = pd.read_excel(io.BytesIO(I.template_xlsx()), sheet_name=None, engine="calamine")
    assert list(frame["Kalender"].columns) == I.NAMES
    assert frame["Instruktioner"]["Kolumn"].tolist()[:len(I.NAMES)] == I.NAMES
