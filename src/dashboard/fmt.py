"""Swedish number formatting for everything shown on screen.

Shares `11,73 %`, changes `+1,67 p.e.` / `−0,40 p.e.` (real minus sign), counts `437 050`.
Missing values are "uppgift saknas", never 0. Plain spaces are used as thousands separator so
text searches (tests, screen readers, copy-paste) find what they expect.
"""
from __future__ import annotations

import math
import re
from typing import Any

import pandas as pd

MISSING = "uppgift saknas"
MINUS = "\u2212"  # typographic minus, as Swedish typesetting uses
PLOTLY_SEPARATORS = ", "  # plotly layout.separators: decimal comma, space for thousands


def is_missing(value: Any) -> bool:
    """True for None, NaN, pandas NA/NaT."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def number(value: Any, decimals: int = 2, sign: bool = False) -> str:
    """`1234.5` -> `1 234,50`; with `sign`, `+1,67` / `−0,40` / `0,00`."""
    if is_missing(value):
        return MISSING
    x = float(value)
    if math.isinf(x):
        return MISSING
    text = f"{abs(x):,.{decimals}f}".replace(",", " ").replace(".", ",")
    rounded_zero = round(abs(x), decimals) == 0
    if x < 0 and not rounded_zero:
        return MINUS + text
    if sign and x > 0 and not rounded_zero:
        return "+" + text
    return text


def pct(value: Any, decimals: int = 2) -> str:
    """A share in percent: `11,73 %`."""
    text = number(value, decimals)
    return text if text == MISSING else f"{text} %"


def pp(value: Any, decimals: int = 2) -> str:
    """A change in percentage points with sign: `+1,67 p.e.`."""
    text = number(value, decimals, sign=True)
    return text if text == MISSING else f"{text} p.e."


def pct_range(value: Any, low: Any = None, high: Any = None, decimals: int = 2) -> str:
    """A share, or its bounds when the count is only known within ±1: `0,01–0,02 %`."""
    if not is_missing(value):
        return pct(value, decimals)
    if is_missing(low) or is_missing(high):
        return MISSING
    lo, hi = number(low, decimals), number(high, decimals)
    return f"{lo} %" if lo == hi else f"{lo}–{hi} %"


def integer(value: Any) -> str:
    """A count with thousands separated by a space: `437 050`."""
    if is_missing(value):
        return MISSING
    return number(round(float(value)), 0)


def count_range(low: Any, high: Any) -> str:
    """Votes known only within bounds: `1 888–1 889`; equal bounds print once."""
    if is_missing(low) or is_missing(high):
        return MISSING
    if int(low) == int(high):
        return integer(low)
    return f"{integer(low)}–{integer(high)}"


def styler(df: pd.DataFrame, pct_cols=(), pp_cols=(), int_cols=()) -> "pd.io.formats.style.Styler":
    """Swedish display formats for a table while the cells stay numeric (so sorting works).

    Columns not named keep pandas' default text; missing cells read "uppgift saknas".
    """
    formats: dict[str, Any] = {}
    formats.update({c: pct for c in pct_cols if c in df.columns})
    formats.update({c: pp for c in pp_cols if c in df.columns})
    formats.update({c: integer for c in int_cols if c in df.columns})
    return df.style.format(formats, na_rep=MISSING).hide(axis="index")


_KINDS = {"pct": pct, "pp": pp, "int": integer}


def with_text(df: pd.DataFrame, **kinds: str) -> pd.DataFrame:
    """A copy of `df` with a `<col>_txt` column of Swedish text per `col=kind` (pct, pp, int)."""
    out = df.copy()
    for col, kind in kinds.items():
        func = _KINDS[kind]
        out[f"{col}_txt"] = [func(v) for v in out[col]] if col in out.columns else MISSING
    return out


# Characters that start Markdown or Streamlit markup anywhere in a line: emphasis, code, links and
# images, HTML and autolinks, tables, strike-through, LaTeX, directives (`:red[…]`). A backslash
# before ASCII punctuation is a literal in CommonMark. What only matters in some places is escaped
# only there, so ordinary names and file names keep their text: `_` between letters (never
# emphasis there), `:` and `.` where they would make a link (`http://`, `www.`) or an icon
# (`:material/…:`), and a list marker at the start.
_MD_ALWAYS = set("\\`*{}[]<>#|~$!")
_MD_PLACES = re.compile(r"(?<![0-9A-Za-zÀ-ÿ])_|_(?![0-9A-Za-zÀ-ÿ])|:(?=//)|:(?=[\w-]+/)|(?<=\bwww)\.",
                        re.IGNORECASE)
_MD_LINE_START = re.compile(r"^(\s*|\s*\d+)([-+]|(?<=\d)[.)])")


def md_text(value: Any) -> str:
    """Text from data or a file, made safe inside Markdown: shown exactly as written, never
    bold, a link or an image fetched from someone's server (issue 16). Line breaks become spaces.
    Use for every name that can come from an uploaded or imported file (associations, cabins,
    file names, area and party names) before it goes into st.markdown, an alert, a caption, a
    title, a label or a metric.
    """
    if value is None:
        return ""
    text = " ".join(str(value).replace("\r", " ").split("\n"))
    text = "".join("\\" + ch if ch in _MD_ALWAYS else ch for ch in text)
    text = _MD_PLACES.sub(lambda m: "\\" + m.group(0), text)
    return _MD_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text, count=1)
