"""Changing an activity file from a page (issue 19: cabins placed on the field map).

An edit is the whole table of a type with one change made: it is written out in the template's
format, checked by the same validator as an uploaded file, and stored as a new version through
the same store (`store.save_version`), so history, restore and "nothing lost" hold as for
imports. `base_version` is the version the editor saw: if someone else has saved since, nothing
is written and `EditConflict` says who saved what and when.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from ..errors import ValrummetError
from . import store
from .api import ORIGIN_SYNTHETIC, ORIGIN_UPLOAD, ImportResult, _default, _read_version, info
from .schemas import SCHEMAS, resolve_type
from .templates import csv_bytes
from .validate import ActivityValidationError, validate

EDIT_SOURCE = "fältkartan"  # the "file" name an edit is stored under (history shows it)


class EditConflict(ValrummetError):
    """The edit was based on an older version; nothing was stored."""

    def __init__(self, typ: str, base: str, now: str, meta: dict | None):
        self.typ, self.base, self.now, self.meta = typ, base, now, meta or {}
        who = self.meta.get("user") or "någon annan"
        when = str(self.meta.get("imported_at", ""))[:16].replace("T", " ")
        what = self.meta.get("edit") or self.meta.get("source_name") or "en ny version"
        super().__init__(
            f"{SCHEMAS[typ].label}: {who} sparade {what} {when} medan du arbetade, så din ändring "
            "sparades inte (den hade skrivit över den ändringen). Sidan visar nu den nya versionen – "
            "gör om din ändring om den fortfarande behövs."
        )


def _cell(value, kind: str) -> str:
    if value is None or pd.isna(value):
        return ""
    if kind == "bool":
        return "ja" if bool(value) else "nej"
    if kind == "date":
        return pd.Timestamp(value).date().isoformat()
    if kind in ("int", "valar"):
        return str(int(value))
    if kind in ("float", "lat", "lon"):
        return repr(float(value))
    return str(value)


def frame_csv(typ: str, frame: pd.DataFrame) -> bytes:
    """The validated rows of `typ` as a CSV in the template's format (what an upload would be)."""
    schema = SCHEMAS[resolve_type(typ).key]
    rows = []
    for rec in frame.to_dict("records"):
        row = []
        for c in schema.columns:
            # the municipality by its code: names are matched loosely, codes exactly
            value = rec.get("kommunkod") if c.kind == "kommun" else rec.get(c.name)
            row.append(_cell(value, c.kind))
        rows.append(row)
    return csv_bytes(schema.names, rows)


def save_edit(typ: str, frame: pd.DataFrame, *, base_version: str, user: str | None, description: str,
              today: dt.date | None = None) -> ImportResult:
    """Validate the edited table and store it as the new current version of `typ`.

    Raises `ActivityValidationError` (the validator's report, nothing stored) or
    `EditConflict` (the current version is no longer `base_version`, nothing stored).
    """
    key = resolve_type(typ).key
    report = validate(frame_csv(key, frame), key, name=EDIT_SOURCE, today=today)
    if not report.ok:
        raise ActivityValidationError(report)
    base_origin = info(key).origin if store.pointer(key) == base_version else None
    meta = {
        "origin": ORIGIN_SYNTHETIC if base_origin == ORIGIN_SYNTHETIC else ORIGIN_UPLOAD,
        "source_name": f"{EDIT_SOURCE}: {description}", "sha256": report.sha256, "header_row": 1,
        "format": "csv", "encoding": "utf-8-sig", "delimiter": ";", "sheet": None, "user": user,
        "edit": description, "base": base_version,
        "warnings": [w.text() for w in report.warnings][:100],
    }
    try:
        version = store.save_version(key, report.frame, meta, expect=base_version)
    except store.VersionConflict as exc:
        now_meta = store.version_meta(key, exc.current) if exc.current != store.STANDARD else None
        raise EditConflict(key, base_version, exc.current, now_meta) from None
    return ImportResult(report, version, base_version)


def rows_now(typ: str) -> tuple[pd.DataFrame, str]:
    """(current rows, their version id) – what an editor starts from."""
    key = resolve_type(typ).key
    version = store.pointer(key)  # read once: the rows below are exactly this version's
    if version == store.STANDARD:
        return _default(key).copy(), version
    return _read_version(str(store.version_path(key, version))).copy(), version
