"""CSV and XLSX files the app writes open safely in Excel and LibreOffice (issue 16).

A text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return can be taken as a
formula when the file is opened (OWASP, "CSV injection"): `=HYPERLINK(…)` or `+cmd|' /C calc'!A0`
written into an activity file would come back in every download. Following OWASP's guidance,
such a text cell gets a leading apostrophe in CSV files, which the spreadsheet then shows as
text. A text that is just a number (`-2,5`) is left alone, and numeric columns are never touched,
so real numbers stay numbers. In XLSX files text is written as text cells (`XLSX_OPTIONS`), never
as formulas or links, so the text stays exactly as written.
"""
from __future__ import annotations

import re
from typing import Any

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d[\d\u00a0 ]*([.,]\d+)?|[.,]\d+)([eE][+-]?\d+)?\s*%?$")

# xlsxwriter turns strings that look like formulas, links or numbers into those by default.
XLSX_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


def safe_text(value: Any) -> Any:
    """`value` with an apostrophe in front when it is text a spreadsheet could run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.match(value):
        return "'" + value
    return value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of `df` whose text cells (and column names) are safe for a CSV file; numeric
    columns are left as they are."""
    out = df.copy()
    for col in out.columns:
        if not (pd.api.types.is_numeric_dtype(out[col]) or pd.api.types.is_bool_dtype(out[col])
                or pd.api.types.is_datetime64_any_dtype(out[col])):
            out[col] = out[col].astype(object).map(safe_text)
    out.columns = [safe_text(c) for c in out.columns]
    return out
