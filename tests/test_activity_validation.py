"""Validation of activity files (issue 4): every rule, the accepted formats, row numbers."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pandas as pd
import pytest

from dashboard.activity import SCHEMAS, validate
from dashboard.activity.reference import load_reference
from dashboard.activity.templates import template_csv, template_xlsx
from dashboard.activity.validate import campaign_year, election_day

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "activity"))
from acttest import csv_bytes, dec, districts_of, inside_point, make_data_dir, xlsx_bytes  # noqa: E402

DOOR_HEAD = ["datum", "kommun", "valdistrikt", "dörrar", "samtal"]


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch) -> Path:
    d = make_data_dir(tmp_path)
    monkeypatch.setenv("VALRUMMET_DATA_DIR", str(d))
    return d


def check(content: bytes, typ: str | None = "dorrknackning", name: str = "fil.csv", **kw):
    return validate(content, typ, name=name, **kw)


def errors(report) -> list[str]:
    return [i.text() for i in report.errors]


# --- the reference comes from the real warehouse ----------------------------------------------

def test_reference_is_the_warehouse():
    ref = load_reference()
    assert len(ref.kommuner) == 290
    county = ref.county_kommuner
    assert len(county) == 26
    assert dict(zip(county.kommunkod, county.kommun))["0114"] == "Upplands Väsby"
    # 1 378 voting districts in 2022 (geometry); more codes when 2018 districts are in the warehouse
    assert len(ref.district_codes) >= 1378


@pytest.mark.parametrize("spelling, code", [
    ("Upplands Väsby", "0114"), ("upplands-väsby", "0114"), ("0114", "0114"), ("114", "0114"),
    ("UPPLANDS VÄSBY", "0114"), ("Upplands Vasby", "0114"), ("Upplands-Bro", "0139"),
    ("Stockholms stad", "0180"), ("Stockholm", "0180"), ("Järfälla kommun", "0123"), ("Jarfalla", "0123"),
    ("0183 Sundbyberg", "0183"), (" Södertälje ", "0181"),
])
def test_municipality_spellings_accepted(spelling, code):
    r = check(csv_bytes([DOOR_HEAD, ["2022-09-03", spelling, "", "10", "2"]]))
    assert r.ok, errors(r)
    assert r.frame["kommunkod"].tolist() == [code]
    assert r.frame["kommun"].iloc[0] == load_reference().name_of[code]


def test_unknown_municipality_gets_a_suggestion_and_outside_county_is_refused():
    r = check(csv_bytes([DOOR_HEAD,
                         ["2022-09-03", "Upplands Vasbyy", "", "10", "2"],
                         ["2022-09-03", "Uppsala", "", "10", "2"],
                         ["2022-09-03", "9999", "", "10", "2"],
                         ["2022-09-03", "Sundbybergs", "", "10", "2"]]))
    assert errors(r) == [
        "rad 2, kolumn 'kommun': 'Upplands Vasbyy' är ingen känd kommun – menade du 'Upplands Väsby'?",
        "rad 3, kolumn 'kommun': 'Uppsala' (0380) ligger inte i Stockholms län",
        "rad 4, kolumn 'kommun': '9999' är ingen kommunkod",
    ]
    assert r.frame is None


# --- the example of the issue, with a header row offset ------------------------------------------

def test_negative_count_message_with_header_offset():
    rows = [["Dörrknackning i Upplands Väsby"], [""], DOOR_HEAD]  # header on spreadsheet row 3
    rows += [["2022-09-03", "Upplands Väsby", "", "10", "2"]] * 0
    rows += [[f"2022-08-{d:02d}", "Upplands Väsby", "", "10", "2"] for d in range(1, 11)]  # rows 4–13
    rows += [["2022-08-20", "Upplands Väsby", "", "-3", "0"]]  # row 14
    r = check(csv_bytes(rows))
    assert r.header_row == 3
    assert r.error_lines() == ["fil.csv: rad 14, kolumn 'dörrar': '-3' är negativt"]


def test_xlsx_header_offset_row_numbers_and_cell_types():
    code = districts_of("0114")[0]
    rows = [DOOR_HEAD,
            [dt.datetime(2022, 9, 3), 114, int(code), 120, 30],  # Excel ate the zeros; a real date cell
            [None, None, None, None, None],  # an empty row keeps its number
            ["2022-09-04", "Upplands Väsby", None, -3, 1.5]]
    r = check(xlsx_bytes(rows, title_rows=2), name="fil.xlsx")
    assert r.header_row == 3
    assert errors(r) == ["rad 6, kolumn 'dörrar': '-3' är negativt", "rad 6, kolumn 'samtal': '1.5' är inte ett heltal"]
    rows[3] = ["2022-09-04", "Upplands Väsby", None, 3, 1]
    r = check(xlsx_bytes(rows, title_rows=2), name="fil.xlsx")
    assert r.ok, errors(r)
    assert r.frame["rad"].tolist() == [4, 6]
    assert r.frame["kommunkod"].tolist() == ["0114", "0114"]
    assert r.frame["valdistrikt"].tolist()[0] == code
    assert r.frame["datum"].tolist() == [pd.Timestamp("2022-09-03"), pd.Timestamp("2022-09-04")]
    assert r.frame["valår"].tolist() == [2022, 2022]


# --- formats -----------------------------------------------------------------------------------

NEWS_HEAD = ["kommun", "titel", "tryckta", "utdelade", "ex_per_röstberättigad"]


@pytest.mark.parametrize("sep, bom, encoding", [
    (";", True, "utf-8"), (";", False, "utf-8"), (",", False, "utf-8"), ("\t", True, "utf-8"),
    (";", False, "cp1252"), (",", False, "latin-1"),
])
def test_csv_dialects_and_encodings(sep, bom, encoding):
    ratio = '"3,12"' if sep == "," else "3,12"  # a comma CSV quotes the decimal comma
    r = check(csv_bytes([NEWS_HEAD, ["Järfälla", "Vänstern i Järfälla", "12 000", "11 500", ""],
                         ["Österåker", "", "", "", ratio]], sep=sep, bom=bom, encoding=encoding), "tidningar")
    assert r.ok, errors(r)
    assert r.frame["kommunkod"].tolist() == ["0123", "0117"]
    assert r.frame["titel"].iloc[0] == "Vänstern i Järfälla"
    assert r.frame["tryckta"].iloc[0] == 12000
    assert r.frame["ex_per_röstberättigad"].iloc[1] == pytest.approx(3.12)
    assert (r.delimiter, r.encoding is not None) == (sep, True)


def test_headers_are_matched_loosely_and_unknown_columns_warned():
    r = check(csv_bytes([["Datum", "KOMMUN", "Antal dörrar", "Samtal", "Vem"], ["2022-09-01", "Solna", "5", "1", "Anna"]]))
    assert r.ok, errors(r)
    assert [w.text() for w in r.warnings] == ["kolumn 'Vem': okänd kolumn för dörrknackning, läses inte"]
    assert r.frame["dörrar"].tolist() == [5]


def test_unreadable_files():
    assert errors(check(b"", name="tom.csv")) == ["filen är tom."]
    assert "ingen rubrikrad" in errors(check(csv_bytes([["a", "b"], ["1", "2"]])))[0]
    assert "det gamla Excel-formatet .xls" in errors(check(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1xx", name="f.xls"))[0]
    assert "kan inte läsas som en Excel-fil" in errors(check(b"PK\x03\x04broken", name="f.xlsx"))[0]
    assert errors(check(csv_bytes([DOOR_HEAD]))) == ["filen har inga datarader under rubrikraden (rad 1)"]


# --- type detection ------------------------------------------------------------------------------

@pytest.mark.parametrize("typ", list(SCHEMAS))
def test_every_template_is_recognised(typ):
    for content, name in ((template_csv(typ), f"{typ}.csv"), (template_xlsx(typ), f"{typ}.xlsx")):
        r = validate(content, None, name=name)
        assert r.typ == typ
        assert errors(r) == ["filen har inga datarader under rubrikraden (rad 1)"]


def test_ambiguous_or_unknown_columns_need_type():
    r = check(csv_bytes([["kommun", "förening"], ["Solna", "x"]]), None)
    assert r.typ is None and "passar flera filtyper" in errors(r)[0]
    r = check(csv_bytes([["kommun", "samtal"], ["Solna", "3"]]), None)
    assert r.typ is None and "Närmast är dorrknackning, men den saknar 'dörrar'" in errors(r)[0]
    r = check(csv_bytes([["kommun", "samtal"], ["Solna", "3"]]), "dörrknackning")
    assert errors(r) == ["kolumn 'dörrar': kolumnen saknas – den är obligatorisk för dörrknackning"]


# --- one rule at a time ------------------------------------------------------------------------------

def test_types_and_values():
    rows = [["datum", "kommun", "dörrar", "samtal", "tillfällen", "valår", "ungefärligt"],
            ["2022-13-01", "Solna", "abc", "1,5", "2", "2023", "kanske"],
            ["", "", "900000", "", "", "", ""]]
    assert errors(check(csv_bytes(rows))) == [
        "rad 2, kolumn 'datum': '2022-13-01' är inget datum (skriv ÅÅÅÅ-MM-DD)",
        "rad 2, kolumn 'dörrar': 'abc' är inte ett tal",
        "rad 2, kolumn 'samtal': '1,5' är inte ett heltal",
        "rad 2, kolumn 'valår': '2023' är inget valår (val hålls vart fjärde år: … 2018, 2022, 2026 …)",
        "rad 2, kolumn 'ungefärligt': 'kanske' är inte ja eller nej",
        "rad 3, kolumn 'kommun': värde saknas",
        "rad 3, kolumn 'dörrar': '900000' är orimligt stort (högst 500 000)",
    ]


def test_choice_bool_and_number_forms():
    rows = [["kommun", "tryckta", "utdelade", "utdelning", "ungefärligt"],
            ["Solna", "1 000", "900", "Post, medlemmar", "JA"],
            ["Nacka", "2\u00a0000", "0", "fax", "nej"]]
    r = check(csv_bytes(rows), "tidningar")
    assert errors(r) == ["rad 3, kolumn 'utdelning': 'fax' är inget tillåtet värde (tillåtna: post, medlemmar, valstugor, annat)"]
    rows[2][3] = "valstugor"
    r = check(csv_bytes(rows), "tidningar")
    assert r.ok
    assert r.frame["utdelning"].tolist() == ["post, medlemmar", "valstugor"]
    assert r.frame["tryckta"].tolist() == [1000, 2000]
    assert r.frame["ungefärligt"].tolist() == [True, False]


def test_cross_column_rules():
    r = check(csv_bytes([DOOR_HEAD + ["tillfällen"], ["2022-09-03", "Solna", "", "100", "120", ""],
                         ["2022-09-03", "Solna", "", "", "", ""]]))
    assert errors(r) == [
        "rad 2, kolumn 'samtal': '120' är fler än i kolumnen 'dörrar' (100)",
        "rad 3: ingen av kolumnerna 'dörrar', 'samtal', 'tillfällen' är ifylld",
    ]
    r = check(csv_bytes([["datum", "kommun", "samtal", "besvarade"], ["2022-09-03", "Solna", "10", "11"]]), "ringstugor")
    assert errors(r) == ["rad 2, kolumn 'besvarade': '11' är fler än i kolumnen 'samtal' (10)"]
    r = check(csv_bytes([NEWS_HEAD, ["Solna", "", "10", "11", ""], ["Solna", "", "", "", ""]]), "tidningar")
    assert errors(r) == [
        "rad 2, kolumn 'utdelade': '11' är fler än i kolumnen 'tryckta' (10)",
        "rad 3: ingen av kolumnerna 'tryckta', 'utdelade', 'ex_per_röstberättigad' är ifylld",
    ]
    r = check(csv_bytes([["kommun", "aktiva", "medlemmar"], ["Solna", "30", "20"]]), "aktivister")
    assert errors(r) == ["rad 2, kolumn 'aktiva': '30' är fler än i kolumnen 'medlemmar' (20)"]


def test_duplicates():
    row = ["2022-09-03", "Solna", "", "10", "2"]
    r = check(csv_bytes([DOOR_HEAD, row, ["2022-09-04", "Solna", "", "10", "2"], row, ["2022-09-03", "0184", "", "10", "2"]]))
    assert errors(r) == ["rad 4: dubblett av rad 2", "rad 5: dubblett av rad 2"]  # '0184' is Solna too
    r = check(csv_bytes([["förening_id", "förening", "kommun"], ["A", "Solna", "Solna"], ["B", "Nacka", "Nacka"],
                         ["A", "Solna igen", "Solna"]]), "foreningar")
    assert errors(r) == ["rad 4: dubblett av rad 2 (samma 'förening_id')"]
    r = check(csv_bytes([["kommun", "hyresrätter_per_1000"], ["Lidingö", "142"], ["lidingö", "150"]]), "hyresratter")
    assert errors(r) == ["rad 3: dubblett av rad 2 (samma 'kommun', 'år')"]


def test_campaign_dates():
    assert election_day(2022) == dt.date(2022, 9, 11)
    assert election_day(2026) == dt.date(2026, 9, 13)
    assert election_day(2018) == dt.date(2018, 9, 9)
    assert campaign_year(dt.date(2022, 9, 12)) == 2026
    rows = [["datum", "kommun", "dörrar", "valår"],
            ["2022-01-01", "Solna", "1", ""], ["2022-09-11", "Solna", "2", ""],
            ["2021-12-31", "Solna", "3", ""], ["2023-03-01", "Solna", "4", ""],
            ["2022-09-12", "Solna", "5", ""], ["2022-05-01", "Solna", "6", "2026"]]
    r = check(csv_bytes(rows), today=dt.date(2026, 11, 1))
    assert errors(r) == [
        "rad 4, kolumn 'datum': '2021-12-31' ligger utanför valrörelsen (från 1 januari valåret till valdagen; närmast: 2022-01-01–2022-09-11)",
        "rad 5, kolumn 'datum': '2023-03-01' ligger utanför valrörelsen (från 1 januari valåret till valdagen; närmast: 2026-01-01–2026-09-13)",
        "rad 6, kolumn 'datum': '2022-09-12' ligger utanför valrörelsen (från 1 januari valåret till valdagen; närmast: 2026-01-01–2026-09-13)",
        "rad 7, kolumn 'valår': '2026' stämmer inte med datum 2022-05-01 (valrörelsen 2022)",
    ]
    r = check(csv_bytes(rows[:3] + [["2026-06-01", "Solna", "7", ""]]), today=dt.date(2026, 5, 1))
    assert errors(r) == ["rad 4, kolumn 'datum': '2026-06-01' ligger i framtiden"]
    r = check(csv_bytes(rows[:4]), campaign=(dt.date(2021, 12, 1), dt.date(2022, 6, 30)), today=dt.date(2026, 11, 1))
    assert errors(r) == ["rad 3, kolumn 'datum': '2022-09-11' ligger utanför valrörelsen (2021-12-01–2022-06-30)"]
    ok = check(csv_bytes(rows[:3]), today=dt.date(2026, 11, 1))
    assert ok.frame["valår"].tolist() == [2022, 2022]


def test_voting_districts():
    sund, solna = districts_of("0183"), districts_of("0184")
    rows = [DOOR_HEAD, ["2022-09-03", "Sundbyberg", sund[0], "10", "2"],
            ["2022-09-03", "Sundbyberg", solna[0], "10", "2"],
            ["2022-09-03", "Sundbyberg", "01839999", "10", "2"],
            ["2022-09-03", "Sundbyberg", "183", "10", "2"]]
    assert errors(check(csv_bytes(rows))) == [
        f"rad 3, kolumn 'valdistrikt': '{solna[0]}' ligger i Solna, inte i Sundbyberg",
        "rad 4, kolumn 'valdistrikt': '01839999' är inget känt valdistrikt i Stockholms län",
        "rad 5, kolumn 'valdistrikt': '183' är ingen valdistriktskod (8 siffror, LLKKDDDD)",
    ]
    head = ["förening_id", "förening", "kommun", "valdistrikt"]
    r = check(csv_bytes([head, ["S1", "Sundbyberg", "0183", f"{sund[0]}, {sund[1]} {sund[0]}"]]), "foreningar")
    assert r.ok and r.frame["valdistrikt"].tolist() == [f"{sund[0]} {sund[1]}"]
    r = check(csv_bytes([head, ["S1", "Sundbyberg", "0183", f"{sund[0]} {solna[0]}"]]), "foreningar")
    assert errors(r) == [f"rad 2, kolumn 'valdistrikt': '{solna[0]}' ligger i Solna, inte i Sundbyberg"]


def test_coordinates():
    lat, lon = inside_point("0183")
    head = ["namn", "kommun", "lat", "lon", "öppnar", "stänger"]
    rows = [head,
            ["Torget", "Sundbyberg", dec(lat), dec(lon), "2022-08-20", "2022-09-11"],
            ["Göteborg", "Sundbyberg", "57,70", "11,97", "", ""],
            ["Bytt", "Sundbyberg", dec(lon), dec(lat), "", ""],
            ["Halv", "Sundbyberg", dec(lat), "", "2022-09-01", "2022-08-01"]]
    assert errors(check(csv_bytes(rows), "valstugor")) == [
        "rad 3, kolumn 'lat': punkten (57,70; 11,97) ligger utanför Stockholms län",
        f"rad 4, kolumn 'lat': punkten ({dec(lon)}; {dec(lat)}) ligger utanför Stockholms län – har lat och lon bytt plats?",
        "rad 5, kolumn 'lon': värde saknas (kolumnen 'lat' är ifylld)",
        "rad 5, kolumn 'stänger': '2022-08-01' är före 'öppnar' (2022-09-01)",
    ]
    r = check(csv_bytes(rows[:2]), "valstugor")
    assert r.ok and r.frame["lat"].iloc[0] == pytest.approx(lat)
    assert r.frame["valår"].tolist() == [2022]
    # inside the county but in another municipality: accepted with a warning
    other = [head, ["Fel kommun", "Solna", dec(lat), dec(lon), "", ""]]
    r = check(csv_bytes(other), "valstugor")
    assert r.ok and [w.text() for w in r.warnings] == ["rad 2, kolumn 'lat': punkten ligger inte i Solna"]


def test_all_errors_at_once_in_row_order():
    rows = [DOOR_HEAD] + [["2022-09-03", "Solna", "", str(-i), "0"] for i in range(1, 301)]
    r = check(csv_bytes(rows))
    assert len(r.errors) == 300
    assert [i.row for i in r.errors] == list(range(2, 302))
    assert r.summary() == "fil.csv: 300 fel – ingenting sparas (dörrknackning, rubrikraden är rad 1)."


def test_header_problems_and_ragged_rows():
    r = check(csv_bytes([["datum", "kommun", "dörrar", "Kommun"], ["2022-09-01", "Solna", "5", "Nacka"]]))
    assert errors(r) == ["kolumn 'kommun': finns två gånger (kolumn B och D)"]
    r = check(csv_bytes([["datum", "kommun", "dörrar", ""], ["2022-09-01", "Solna", "5", "x"]]))
    assert r.ok and [w.text() for w in r.warnings] == ["kolumn D har ingen rubrik och läses inte"]
    r = check(csv_bytes([["datum", "kommun", "dörrar"], ["2022-09-01", "Solna", "5", "extra"]]))
    assert r.ok and [w.text() for w in r.warnings] == [
        "några rader har fler fält än rubrikraden; fälten utan rubrik läses inte"]
    # a quoted line break inside a cell is one spreadsheet row
    r = check(csv_bytes([["datum", "kommun", "dörrar", "anteckning"], ["2022-09-01", "Solna", "5", '"två\nrader"'],
                         ["2022-09-02", "Solna", "-1", ""]]))
    assert errors(r) == ["rad 3, kolumn 'dörrar': '-1' är negativt"]
