"""What pages and commands use: import, history/restore, and the current data per type.

`current(typ)` returns the validated rows of the current version of a file type: the latest
import (or a restored one) from the store, otherwise the embedded default from
`data/activity/default/`, otherwise an empty frame with the right columns. `info(typ)` says which
of these it is; `notice()` is the sentence a page shows when data are synthetic or incomplete.
"""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import ValrummetError
from ..paths import data_dir
from . import store
from .default_2023 import LABEL as DEFAULT_LABEL
from .schemas import SCHEMAS, resolve_type
from .validate import ActivityValidationError, ValidationReport, empty_frame, validate  # noqa: F401 (re-exported)

ORIGIN_STANDARD = "standard"  # embedded default (from the 2023 evaluation report)
ORIGIN_UPLOAD = "uppladdad"  # a user's file
ORIGIN_SYNTHETIC = "syntetisk"  # generated demo data
ORIGIN_LABELS = {
    ORIGIN_STANDARD: DEFAULT_LABEL,
    ORIGIN_UPLOAD: "uppladdad fil",
    ORIGIN_SYNTHETIC: "syntetiska demodata – påhittade siffror, inte verkliga",
}
SYNTHETIC_NOTICE = ("Syntetiska demodata: aktivitetssiffrorna på den här sidan är påhittade (för test och "
                    "utbildning) och säger ingenting om den verkliga valrörelsen.")


def default_dir() -> Path:
    return data_dir() / "activity" / "default"


@dataclass(frozen=True)
class DatasetInfo:
    typ: str
    label: str  # e.g. "Dörrknackning"
    origin: str  # standard | uppladdad | syntetisk
    origin_label: str  # Swedish, fit to show under a chart
    version: str | None  # None for the embedded default
    imported_at: str | None
    source_name: str | None
    rows: int


@dataclass(frozen=True)
class ImportResult:
    report: ValidationReport
    version: str
    previous: str  # the version that was current before (or 'standard')

    @property
    def typ(self) -> str:
        return self.report.typ


# --- import, history, restore --------------------------------------------------------------------

def import_file(source, typ: str | None = None, *, name: str | None = None, origin: str = ORIGIN_UPLOAD,
                user: str | None = None, campaign: tuple[dt.date, dt.date] | None = None) -> ImportResult:
    """Validate and, only if there is no error at all, store as the new current version.

    Raises `ActivityValidationError` (with the full report) and stores nothing otherwise.
    """
    if origin not in ORIGIN_LABELS or origin == ORIGIN_STANDARD:
        raise ValueError(f"bad origin {origin!r}")
    report = validate(source, typ, name=name, campaign=campaign)
    if not report.ok:
        raise ActivityValidationError(report)
    meta = {
        "origin": origin, "source_name": report.source_name, "sha256": report.sha256,
        "header_row": report.header_row, "format": report.fmt, "encoding": report.encoding,
        "delimiter": report.delimiter, "sheet": report.sheet, "user": user,
        "warnings": [w.text() for w in report.warnings][:100],
    }
    version = store.save_version(report.typ, report.frame, meta)
    return ImportResult(report, version, store.version_meta(report.typ, version)["previous"])


def restore(typ: str, version: str) -> None:
    """Make a stored version (or 'standard', the embedded default) current again."""
    store.restore(resolve_type(typ).key, version)


def reset(typ: str) -> None:
    """Go back to the embedded default (the stored versions are kept)."""
    store.restore(resolve_type(typ).key, store.STANDARD)


def history(typ: str) -> pd.DataFrame:
    """Every version of a type, newest first, plus the embedded default; `aktuell` marks the current."""
    key = resolve_type(typ).key
    cur = store.pointer(key)
    rows = [
        {"version": m["version"], "importerad": m["imported_at"], "ursprung": m["origin"],
         "fil": m.get("source_name"), "rader": m["rows"], "aktuell": m["version"] == cur}
        for m in reversed(store.versions(key))
    ]
    rows.append({"version": store.STANDARD, "importerad": None, "ursprung": ORIGIN_STANDARD,
                 "fil": None, "rader": len(_default(key)), "aktuell": cur == store.STANDARD})
    return pd.DataFrame(rows, columns=["version", "importerad", "ursprung", "fil", "rader", "aktuell"])


# --- reading the current data ------------------------------------------------------------------------

@functools.lru_cache(maxsize=64)
def _read_version(path: str) -> pd.DataFrame:
    return pd.read_parquet(path)  # versions never change once written, so the path is a safe key


def _default(typ: str) -> pd.DataFrame:
    path = (default_dir() / f"{typ}.csv").resolve()
    if not path.exists():
        return empty_frame(SCHEMAS[typ])
    from .reference import _stamp

    return _read_default(str(path), path.stat().st_mtime_ns, _stamp(data_dir()))


@functools.lru_cache(maxsize=32)
def _read_default(path: str, mtime: int, stamp: tuple) -> pd.DataFrame:
    typ = Path(path).stem
    report = validate(Path(path), typ)
    if not report.ok:
        raise ValrummetError(
            "Den inbyggda standarddatan är ogiltig – kör 'python -m dashboard.activity.generate':\n"
            + "\n".join(report.error_lines())
        )
    return report.frame


def current(typ: str) -> pd.DataFrame:
    """The current rows of a file type (see the module docstring); a fresh copy."""
    key = resolve_type(typ).key
    version = store.pointer(key)
    if version == store.STANDARD:
        return _default(key).copy()
    return _read_version(str(store.version_path(key, version))).copy()


def info(typ: str) -> DatasetInfo:
    key = resolve_type(typ).key
    schema = SCHEMAS[key]
    version = store.pointer(key)
    if version == store.STANDARD:
        return DatasetInfo(key, schema.label, ORIGIN_STANDARD, ORIGIN_LABELS[ORIGIN_STANDARD], None, None,
                           None, len(_default(key)))
    meta = store.version_meta(key, version)
    label = ORIGIN_LABELS[meta["origin"]]
    if meta.get("edit") and meta["origin"] == ORIGIN_UPLOAD:  # saved from a page (activity.edit)
        label = "ändrad i fältkartan"
    return DatasetInfo(key, schema.label, meta["origin"], label, version,
                       meta["imported_at"], meta.get("source_name"), int(meta["rows"]))


def status() -> pd.DataFrame:
    """One row per file type: origin, version, import time, file, rows."""
    return pd.DataFrame([info(t).__dict__ for t in SCHEMAS])


def origin() -> str:
    """Overall origin of the loaded activity data: 'syntetisk' if any type is synthetic, else
    'standard' or 'uppladdad' when all types agree, else 'blandad'."""
    origins = {info(t).origin for t in SCHEMAS}
    if ORIGIN_SYNTHETIC in origins:
        return ORIGIN_SYNTHETIC
    return origins.pop() if len(origins) == 1 else "blandad"


def is_synthetic() -> bool:
    return origin() == ORIGIN_SYNTHETIC


def notice(types: list[str] | None = None) -> str | None:
    """The sentence a page shows above activity numbers (None when all are the user's own files).

    Synthetic data are announced whichever types a page uses, so every page can call this
    without arguments.
    """
    if is_synthetic():
        return SYNTHETIC_NOTICE
    keys = [resolve_type(t).key for t in types] if types else list(SCHEMAS)
    infos = [info(k) for k in keys]
    some = [i.label.lower() for i in infos if i.origin == ORIGIN_STANDARD and i.rows]
    none = [i.label.lower() for i in infos if i.origin == ORIGIN_STANDARD and not i.rows]
    parts = []
    if some:
        parts.append(f"Aktivitetsdata {DEFAULT_LABEL}: {', '.join(some)}. "
                     "Kommuner utan uppgift visas som saknade, inte som noll.")
    if none:
        parts.append(f"Uppgift saknas för {', '.join(none)}.")
    return " ".join(parts) or None


def token() -> str:
    """Changes whenever the current data of any type changes: use it as a cache key."""
    return store.token()


def default_summary() -> pd.DataFrame:
    """District-wide statements of the 2023 evaluation (no municipality), from sammanfattning.csv."""
    path = default_dir() / "sammanfattning.csv"
    cols = ["typ", "uppgift", "värde", "enhet", "ungefärligt", "formulering"]
    if not path.exists():
        return pd.DataFrame(columns=cols)
    df = pd.read_csv(path, sep=";", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    df["värde"] = pd.to_numeric(df["värde"]).astype("float64")
    df["ungefärligt"] = df["ungefärligt"].eq("ja")
    return df[cols]


# --- one function per type, for pages -------------------------------------------------------------

def associations() -> pd.DataFrame:
    return current("foreningar")


def association_districts() -> pd.DataFrame:
    """Long table förening_id, förening, kommunkod, valdistrikt (one row per covered district)."""
    df = current("foreningar")[["förening_id", "förening", "kommunkod", "valdistrikt"]]
    df = df.assign(valdistrikt=df["valdistrikt"].str.split(" ")).explode("valdistrikt")
    return df[df["valdistrikt"].notna() & df["valdistrikt"].ne("")].reset_index(drop=True).astype(
        {"valdistrikt": "string"})


def newspapers() -> pd.DataFrame:
    return current("tidningar")


def cabins() -> pd.DataFrame:
    return current("valstugor")


def door_knocking() -> pd.DataFrame:
    return current("dorrknackning")


def phone_banks() -> pd.DataFrame:
    return current("ringstugor")


def activists() -> pd.DataFrame:
    return current("aktivister")


def rentals() -> pd.DataFrame:
    return current("hyresratter")


def priority_associations() -> pd.DataFrame:
    return current("prioriterade")
