"""Templates (CSV and XLSX) and the schema documentation, both generated from `schemas.py`."""
from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from ..spreadsheet import XLSX_OPTIONS, safe_text
from .schemas import DERIVED, KINDS, SCHEMAS, Column, Schema, resolve_type

# Fixed document date: regenerating the templates gives byte-identical files.
_DOC_DATE = dt.datetime(2026, 1, 1)


def _schema(typ: str) -> Schema:
    return resolve_type(typ)


def csv_bytes(header: list[str], rows: list[list[str]] = ()) -> bytes:
    """Semicolon CSV in UTF-8 with BOM and CRLF: what Swedish Excel writes and opens correctly."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow([safe_text(c) for c in header])
    w.writerows([safe_text(c) for c in row] for row in rows)
    return "\ufeff".encode() + buf.getvalue().encode("utf-8")


def template_csv(typ: str) -> bytes:
    """The CSV template of a file type: the header row only."""
    return csv_bytes(_schema(typ).names)


def _kind_text(c: Column) -> str:
    if c.kind == "choice":
        return "ett eller flera av: " + ", ".join(c.choices)
    text = KINDS[c.kind]
    if c.max is not None:
        text += ", högst " + f"{int(c.max):,}".replace(",", " ")
    return text


def _need_text(c: Column) -> str:
    if c.nonnull:
        return "ja, varje rad"
    if c.required:
        return "kolumnen ja"
    return "nej"


def template_xlsx(typ: str) -> bytes:
    """The XLSX template: a data sheet with the header row, and a sheet describing each column."""
    import xlsxwriter

    schema = _schema(typ)
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, **XLSX_OPTIONS})
    wb.set_properties({"title": f"Valrummet – mall: {schema.label}", "created": _DOC_DATE, "author": "Valrummet"})
    head = wb.add_format({"bold": True, "bg_color": "#F2D7D5", "border": 1})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    ws = wb.add_worksheet(schema.label[:31])
    ws.freeze_panes(1, 0)
    for i, c in enumerate(schema.columns):
        ws.write_string(0, i, c.name, head)
        ws.set_column(i, i, max(12, len(c.name) + 4))
        ws.write_comment(0, i, f"{c.description}\nFormat: {_kind_text(c)}.")
        if c.kind == "bool":
            ws.data_validation(1, i, 10_000, i, {"validate": "list", "source": ["ja", "nej"], "ignore_blank": True})
        elif c.kind == "choice" and len(c.choices) > 1:
            ws.data_validation(1, i, 10_000, i, {"validate": "any", "input_message": ", ".join(c.choices)})
    info = wb.add_worksheet("Instruktioner")
    info.set_column(0, 0, 24)
    info.set_column(1, 2, 30)
    info.set_column(3, 3, 80)
    info.write_string(0, 0, schema.label, head)
    info.write_string(1, 0, schema.description, wrap)
    for j, title in enumerate(["Kolumn", "Måste fyllas i", "Format", "Beskrivning"]):
        info.write_string(3, j, title, head)
    for r, c in enumerate(schema.columns, start=4):
        for j, text in enumerate([c.name, _need_text(c), _kind_text(c), c.description]):
            info.write_string(r, j, text, wrap)
    info.write_string(len(schema.columns) + 5, 0, "Fyll i bladet med data och spara som .xlsx eller CSV (UTF-8, semikolon). "
                      "Titelrader ovanför rubrikraden går bra. Kontrollera med: python -m dashboard validate FIL", wrap)
    wb.close()
    return buf.getvalue()


def write_templates(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for typ in SCHEMAS:
        for suffix, data in ((".csv", template_csv(typ)), (".xlsx", template_xlsx(typ))):
            path = directory / f"{typ}{suffix}"
            path.write_bytes(data)
            written.append(path)
    return written


def schema_markdown() -> str:
    """The per-type column tables of `data/activity/README.md`."""
    out = []
    for s in SCHEMAS.values():
        out.append(f"### `{s.key}` — {s.label}\n")
        out.append(f"{s.description}\n")
        out.append(f"Mall: `templates/{s.key}.csv`, `templates/{s.key}.xlsx`. "
                   f"Andra namn för `--type`: {', '.join(f'`{a}`' for a in s.aliases) or '–'}.\n")
        out.append("| kolumn | måste fyllas i | format | beskrivning | andra rubriker som godtas |")
        out.append("|---|---|---|---|---|")
        for c in s.columns:
            aliases = ", ".join(f"`{a}`" for a in c.aliases) or ""
            out.append(f"| `{c.name}` | {_need_text(c)} | {_kind_text(c)} | {c.description} | {aliases} |")
        rules = []
        if s.unique:
            rules.append("dubblett = två rader med samma " + ", ".join(f"`{c}`" for c in s.unique))
        else:
            rules.append("dubblett = två rader med samma värden i alla kolumner")
        if s.at_least_one:
            rules.append("minst en av " + ", ".join(f"`{c}`" for c in s.at_least_one) + " måste vara ifylld")
        for a, b in s.not_more_than:
            rules.append(f"`{a}` får inte vara större än `{b}`")
        for a, b in s.together:
            rules.append(f"`{a}` och `{b}` fylls i båda eller ingen av dem")
        for a, b in s.ordered_dates:
            rules.append(f"`{b}` får inte vara före `{a}`")
        out.append("\nRegler: " + "; ".join(rules) + ".\n")
    out.append("### Kolumner som läggs till vid import\n")
    out.append("| kolumn | betydelse |\n|---|---|")
    for k, v in DERIVED.items():
        out.append(f"| `{k}` | {v} |")
    out.append("| `kommun` | ersätts av kommunens officiella namn |")
    out.append("| `valår` | fylls i från datumet när det är tomt |")
    return "\n".join(out) + "\n"
