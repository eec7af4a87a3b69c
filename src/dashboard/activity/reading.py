"""Read an activity file (CSV or XLSX) into a table of strings with spreadsheet row numbers.

Accepted: `.xlsx` (first sheet with a recognisable header row), CSV separated by semicolon,
comma or tab, encoded as UTF-8 (with or without BOM), UTF-16 (Excel's "Unicode text") or
Windows-1252/Latin-1. Title rows above
the header are skipped: the header is the first of the top `HEADER_SCAN` rows with the most known
column names. Every cell is kept as text here; the validator parses it, so a message can quote
exactly what the user wrote.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import ValrummetError
from .schemas import all_header_keys, norm_key

HEADER_SCAN = 30


class FileReadError(ValrummetError):
    """The file cannot be read as a table at all."""

    def __init__(self, name: str, problem: str):
        self.name, self.problem = name, problem
        super().__init__(f"{name}: {problem}")


@dataclass
class RawTable:
    name: str  # file name, for messages
    header_row: int  # 1-based row of the header as the spreadsheet shows it
    headers: list[str]  # header cells as written
    data: pd.DataFrame  # one str column per header position; index = spreadsheet row number
    fmt: str  # "xlsx" or "csv"
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    notes: list[str] = field(default_factory=list)


def source_bytes(source) -> tuple[bytes, str]:
    """(content, file name) from a path, raw bytes or an uploaded file (has .getvalue() and .name)."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            return path.read_bytes(), path.name
        except FileNotFoundError:
            raise FileReadError(str(path), "filen finns inte.") from None
        except IsADirectoryError:
            raise FileReadError(str(path), "är en mapp, inte en fil.") from None
    if isinstance(source, (bytes, bytearray)):
        return bytes(source), "uppladdad fil"
    if hasattr(source, "getvalue"):
        return bytes(source.getvalue()), getattr(source, "name", "uppladdad fil")
    if hasattr(source, "read"):
        return source.read(), getattr(source, "name", "uppladdad fil")
    raise TypeError(f"cannot read {type(source).__name__}")


@dataclass(frozen=True)
class Headers:
    """The column names a header row is recognised by, and the examples an error names."""

    known: frozenset[str]
    examples: str = "'kommun', 'dörrar', 'samtal'"
    templates: str = "data/activity/templates/"


def read_table(content: bytes, name: str, headers: Headers | None = None) -> RawTable:
    """Parse the file content; `name` decides CSV vs XLSX together with the content itself.
    `headers`: another family of files than the activity files (e.g. the booking calendar's)."""
    headers = headers or Headers(frozenset(all_header_keys()))
    lower = name.lower()
    if content[:4] == b"PK\x03\x04" or lower.endswith((".xlsx", ".xlsm")):
        return _read_xlsx(content, name, headers)
    if lower.endswith(".xls") or content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise FileReadError(name, "det gamla Excel-formatet .xls stöds inte. Spara som .xlsx eller .csv.")
    if lower.endswith((".ods", ".numbers")):
        raise FileReadError(name, "formatet stöds inte. Spara som .xlsx eller .csv.")
    return _read_csv(content, name, headers)


def _header_score(rows: list[list[str]], known: frozenset[str]) -> tuple[int | None, int]:
    """(index of the header row, number of known column names in it)."""
    best, best_score = None, 0
    for i, row in enumerate(rows[:HEADER_SCAN]):
        score = sum(1 for cell in row if cell.strip() and norm_key(cell) in known)
        if score > best_score:
            best, best_score = i, score
    return best, best_score


def _header_index(rows: list[list[str]], known: frozenset[str]) -> int | None:
    return _header_score(rows, known)[0]


def _no_header(name: str, headers: Headers) -> FileReadError:
    return FileReadError(
        name, f"hittar ingen rubrikrad med kända kolumnnamn (t.ex. {headers.examples}) "
        f"bland de första {HEADER_SCAN} raderna. Utgå från en mall i {headers.templates}."
    )


# --- CSV ---------------------------------------------------------------------------------------

def _decode(content: bytes) -> tuple[str, str]:
    if content.startswith(b"\xef\xbb\xbf"):
        return content[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    # Excel's "Unicode text" (Text i Unicode) is UTF-16 with a byte order mark, tab separated.
    for bom, codec in ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
                       (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if content.startswith(bom):
            return content[len(bom):].decode(codec, errors="strict"), codec.replace("-le", "").replace("-be", "")
    head = content[:4096]
    if head.count(0) > len(head) // 4:  # text with NUL bytes between the letters: UTF-16 without a BOM
        codec = "utf-16-le" if head[1::2].count(0) > head[0::2].count(0) else "utf-16-be"
        try:
            return content.decode(codec, errors="strict"), "utf-16"
        except UnicodeDecodeError:
            raise UnicodeError("okänd") from None
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:  # bytes cp1252 leaves undefined
        return content.decode("latin-1"), "latin-1"


def _read_csv(content: bytes, name: str, headers: Headers) -> RawTable:
    try:
        text, encoding = _decode(content)
    except UnicodeDecodeError as exc:
        raise FileReadError(name, f"teckenkodningen stämmer inte: filen säger sig vara {exc.encoding.upper()} "
                                  f"men byte {exc.start} är ogiltig ({exc.reason}). Spara filen som CSV "
                                  "UTF-8 eller .xlsx.") from None
    except UnicodeError:
        raise FileReadError(name, "filen har en teckenkodning som inte kan läsas (den innehåller nollbyte "
                                  "men är inte UTF-16). Spara filen som CSV UTF-8 eller .xlsx.") from None
    if not text.strip():
        raise FileReadError(name, "filen är tom.")
    lines = text.splitlines(keepends=True)
    head_lines = lines[:HEADER_SCAN]
    # The delimiter is the one under which a header row with the most known names appears.
    best = None
    for delim in (";", ",", "\t"):
        rows = list(csv.reader(head_lines, delimiter=delim))
        idx, score = _header_score(rows, headers.known)
        if idx is not None and (best is None or score > best[2]):
            best = (delim, rows, score, idx)
    if best is None:
        raise _no_header(name, headers)
    delimiter, head_rows, _, idx = best
    reader = csv.reader(iter(lines), delimiter=delimiter)
    for _ in range(idx):
        next(reader)
    rest = "".join(lines[reader.line_num:])  # from the header record on, even after multi-line fields
    notes = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            df = pd.read_csv(
                io.StringIO(rest), sep=delimiter, header=0, dtype=str,
                keep_default_na=False, na_filter=False, skip_blank_lines=False, engine="c", index_col=False,
            )
        if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):
            notes.append("några rader har fler fält än rubrikraden; fälten utan rubrik läses inte")
    except pd.errors.ParserError as exc:
        raise FileReadError(
            name, f"raderna har olika antal fält och kan inte läsas som en tabell ({exc})."
        ) from None
    headers = [str(h) for h in head_rows[idx]]
    headers += [""] * (df.shape[1] - len(headers))
    df.columns = range(df.shape[1])
    df.index = pd.RangeIndex(idx + 2, idx + 2 + len(df))
    return RawTable(name, idx + 1, headers, df, "csv", encoding=encoding, delimiter=delimiter, notes=notes)


# --- XLSX --------------------------------------------------------------------------------------

def _cell_text(v) -> str:
    if v is None:
        return ""
    if type(v) is str:  # the common case first: this runs once per cell
        return v
    if isinstance(v, bool):
        return "ja" if v else "nej"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time(0) else v.isoformat(sep=" ")
    if isinstance(v, (dt.date, dt.time)):
        return v.isoformat()
    return str(v)


def _read_xlsx(content: bytes, name: str, headers: Headers) -> RawTable:
    # calamine (Rust) reads a 100 000-row sheet many times faster than openpyxl.
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(content))
    except (CalamineError, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileReadError(name, f"kan inte läsas som en Excel-fil (.xlsx): {exc}") from None
    for sheet in wb.sheet_names:
        try:
            rows = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        except (CalamineError, ValueError) as exc:
            raise FileReadError(name, f"bladet '{sheet}' kan inte läsas: {exc}") from None
        head = [[_cell_text(v) for v in row] for row in rows[:HEADER_SCAN]]
        idx = _header_index(head, headers.known)
        if idx is None:
            continue
        headers = head[idx]
        body = [[_cell_text(v) for v in row] for row in rows[idx + 1:]]
        # Drop trailing rows that are empty everywhere (calamine pads to the used range).
        while body and not any(c.strip() for c in body[-1]):
            body.pop()
        width = max([len(headers)] + [len(r) for r in body]) if body else len(headers)
        # Drop trailing columns that are empty everywhere (Excel pads rows).
        while width > 0 and not (headers[width - 1:width] and headers[width - 1].strip()) and all(
            len(r) < width or not r[width - 1].strip() for r in body
        ):
            width -= 1
        headers = (headers + [""] * width)[:width]
        body = [(r + [""] * width)[:width] for r in body]
        df = pd.DataFrame(body, columns=range(width), dtype=object)
        df = df.astype(str) if len(df) else pd.DataFrame({i: pd.Series(dtype=str) for i in range(width)})
        df.index = pd.RangeIndex(idx + 2, idx + 2 + len(df))
        return RawTable(name, idx + 1, headers, df, "xlsx", sheet=sheet)
    raise _no_header(name, headers)
