"""Reading raw files with checks: every problem names the file and what was expected."""
from __future__ import annotations

import functools
import hashlib
import json
import unicodedata
import re
from pathlib import Path

import pandas as pd

from ..errors import SourceFileError


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def require_file(path: Path) -> Path:
    if not path.is_file():
        raise SourceFileError(path, "filen saknas (se shared/data/raw/PROVENANCE.md för var den kommer ifrån)")
    return path


def require_columns(path: Path, df: pd.DataFrame, columns: list[str]) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise SourceFileError(
            path,
            f"kolumnerna {', '.join(repr(c) for c in missing)} saknas "
            f"(hittade: {', '.join(map(str, df.columns[:30]))})",
        )


def read_excel(path: Path, sheet: str | int, columns: list[str]) -> pd.DataFrame:
    """Read one sheet as text (codes keep their leading zeros) and check its columns."""
    require_file(path)
    df = _read_excel_cached(str(path), sheet, path.stat().st_mtime_ns).copy()
    require_columns(path, df, columns)
    return df


@functools.lru_cache(maxsize=8)
def _read_excel_cached(p: str, sheet, mtime: int) -> pd.DataFrame:
    path = Path(p)
    try:
        df = pd.read_excel(path, sheet_name=sheet, dtype=str, engine="openpyxl")
    except ValueError as exc:
        raise SourceFileError(path, f"bladet '{sheet}' kunde inte läsas ({exc})") from exc
    except Exception as exc:  # zipfile.BadZipFile, openpyxl errors: the file is damaged
        raise SourceFileError(path, f"filen är inte en läsbar Excel-fil ({type(exc).__name__}: {exc})") from exc
    return df


def read_csv(path: Path, columns: list[str], **kwargs) -> pd.DataFrame:
    require_file(path)
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], **kwargs)
    except Exception as exc:
        raise SourceFileError(path, f"filen är inte en läsbar CSV-fil ({type(exc).__name__}: {exc})") from exc
    require_columns(path, df, columns)
    return df


def read_json(path: Path) -> object:
    require_file(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SourceFileError(path, f"filen är inte giltig JSON ({exc})") from exc


def to_int(path: Path, df: pd.DataFrame, column: str, allow_missing: bool = False) -> pd.Series:
    """Parse a count column; name the first bad row if any value is not a whole number."""
    s = df[column]
    num = pd.to_numeric(s, errors="coerce")
    bad = num.isna() & s.notna() if allow_missing else num.isna()
    bad |= num.notna() & (num % 1 != 0)
    if bad.any():
        row = int(bad.idxmax())
        raise SourceFileError(
            path,
            f"kolumnen '{column}' ska innehålla heltal, rad {row + 2} har '{s.iloc[row]}'",
        )
    return num.astype("Int64")


def slug(text: str) -> str:
    """Slug like the seat tables' keys: å/ä→a, ö→o, other non-alphanumerics → '-'."""
    t = unicodedata.normalize("NFKD", text.lower())
    t = "".join(ch for ch in t if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", "-", t).strip("-")
