"""Page state that lives in the URL.

Every selector is a widget bound to a query parameter (`bind="query-params"`), so a copied link
reproduces the view. The parameter carries the option's *label* (that is how Streamlit binds),
so labels are chosen to read well in a URL: `?val=Regionval&period=2022-2026&parti=Moderaterna`.
Keys shared by several pages (val, period, parti, kommun) carry a choice over when the user
switches page.
"""
from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import pandas as pd
import streamlit as st

COUNTY = "01"
COUNTY_NAME = "Stockholms län"
# Every area is named for what it covers. "Stockholms län" alone meant the whole county on one
# page and the riksdag constituency without Stockholm city on another (issue 18): these names
# are the only ones pages, charts, tables, downloads and the hand-out use.
COUNTY_FULL = "Stockholms län (hela länet)"
VALKRETS_CITY = "Riksdagsvalkretsen Stockholms kommun (= Stockholms stad)"
VALKRETS_REST = "Riksdagsvalkretsen Stockholms län (utan Stockholms stad)"
REGION_FULL = "Region Stockholm (hela länet)"
KOMMUN_SUM = "alla 26 kommuner (hela länet)"
COUNTY_REFERENCE = f"{COUNTY_FULL} – referens"  # the county's bar/row beside municipalities
# Short forms where a label is cut at phone width (metric cards), still unambiguous.
VALKRETS_CITY_SHORT = "Stockholms stad (valkrets 01)"
VALKRETS_REST_SHORT = "länet utan Stockholms stad"
ELECTIONS = ("riksdag", "region", "kommun")
ELECTION_LABEL = {"riksdag": "Riksdagsval", "region": "Regionval", "kommun": "Kommunval"}
# "i riksdagsvalet 2022"
ELECTION_DEFINITE = {"riksdag": "riksdagsvalet", "region": "regionvalet", "kommun": "kommunvalet"}

DEFAULT_ELECTION = "kommun"
# The latest election against the one before: the leadership is evaluating 2026 (issue 15).
# 2018 → 2022 stays one click away; a link with ?period=2018-2022 reproduces its view.
DEFAULT_PERIOD = (2022, 2026)
# Valdistrikt opens on the only election with district results for both default years.
DISTRICT_DEFAULT_ELECTION = "riksdag"
DEFAULT_PARTY = "V"
DEFAULT_KOMMUN = "0180"
NO_KOMMUN = ""  # the "Ingen" choice of an optional municipality selector


class Key:
    """URL parameter names (Swedish, short; they are part of every shared link)."""

    ELECTION = "val"
    PERIOD = "period"
    PARTY = "parti"
    KOMMUN = "kommun"
    KOMMUNER = "kommuner"
    COUNTY_REF = "lanet"
    COMPARE_METRIC = "jmf"
    DISTRICT_METRIC = "visa"
    SORT = "sortera"


SHARED_KEYS = (Key.ELECTION, Key.PERIOD, Key.PARTY, Key.KOMMUN, Key.KOMMUNER)


def period_label(pair: Sequence[int]) -> str:
    """(2018, 2022) -> "2018-2022" (a plain hyphen keeps the URL readable)."""
    return f"{pair[0]}-{pair[1]}"


def parse_period(label: str) -> tuple[int, int]:
    a, b = label.split("-")
    return int(a), int(b)


def period_text(pair: Sequence[int]) -> str:
    """For prose: "2018 → 2022"."""
    return f"{pair[0]} → {pair[1]}"


def election_selector(
    options: Iterable[str] = ELECTIONS, default: str = DEFAULT_ELECTION, key: str = Key.ELECTION
) -> str:
    """Riksdag / region / kommun as a segmented control bound to `?val=`."""
    options = list(options)
    value = st.segmented_control(
        "Val",
        options,
        default=default if default in options else options[0],
        required=True,
        format_func=ELECTION_LABEL.get,
        key=key,
        bind="query-params",
        help="Vilket av de tre valen siffrorna gäller.",
    )
    return value or default


def default_pair(pairs: Sequence[tuple[int, int]], preferred: tuple[int, int] | None = None) -> tuple[int, int]:
    """The pair a view opens on: `preferred` (else DEFAULT_PERIOD) when the data has it, else
    the latest pair."""
    pairs = [tuple(p) for p in pairs]
    for pair in (preferred, DEFAULT_PERIOD):
        if pair is not None and tuple(pair) in pairs:
            return tuple(pair)
    return pairs[-1] if pairs else DEFAULT_PERIOD


def period_selector(
    pairs: Sequence[tuple[int, int]], key: str = Key.PERIOD, default: tuple[int, int] | None = None
) -> tuple[int, int]:
    """The year pair (from, to) among those the data has, bound to `?period=`. `default`
    overrides DEFAULT_PERIOD for a page whose data starts elsewhere (activity of a campaign)."""
    labels = [period_label(p) for p in pairs] or [period_label(DEFAULT_PERIOD)]
    default = period_label(default_pair(pairs, default)) if pairs else labels[0]
    value = st.segmented_control(
        "Jämför år",
        labels,
        default=default,
        required=True,
        key=key,
        bind="query-params",
        help="Förändringen räknas från det första till det andra valåret.",
    )
    return parse_period(value or default)


# Option lists of the selectors, per (frame, code column, label column). The frames come from
# the query layer's cache (the same object on every rerun); reading 98 parties out of an
# Arrow-backed frame on every run cost ~1 ms per selector. An entry goes with its frame.
# Callers get the shared, read-only objects: a selector's format_func keeps its mapping for the
# life of the session, and per-session copies were ~2.8 MB at 300 sessions (bench, (c)).
_OPTIONS: dict[tuple[int, str, str], tuple[weakref.ref, tuple[str, ...], Mapping[str, str]]] = {}


def options(df: pd.DataFrame, code_col: str, label_col: str) -> tuple[tuple[str, ...], Mapping[str, str]]:
    """(codes, code -> label) of a cached frame, read once per frame; both are read-only."""
    key = (id(df), code_col, label_col)
    hit = _OPTIONS.get(key)
    if hit is None or hit[0]() is not df:
        codes = tuple(df[code_col])
        labels = MappingProxyType(dict(zip(codes, df[label_col])))
        _OPTIONS[key] = hit = (weakref.ref(df, lambda _r, k=key: _OPTIONS.pop(k, None)), codes, labels)
    return hit[1], hit[2]


def party_selector(parties: pd.DataFrame, key: str = Key.PARTY) -> str:
    """A party among those in the data (columns party, label), bound to `?parti=`."""
    codes, labels = options(parties, "party", "label")
    if not codes:
        codes, labels = (DEFAULT_PARTY,), {DEFAULT_PARTY: DEFAULT_PARTY}
    index = codes.index(DEFAULT_PARTY) if DEFAULT_PARTY in codes else 0
    value = st.selectbox(
        "Parti",
        codes,
        index=index,
        format_func=lambda c: labels.get(c, c),
        key=key,
        bind="query-params",
        help="Partierna som finns i data för valet och åren du valt.",
    )
    return value or codes[index]


def kommun_selector(
    kommuner: pd.DataFrame,
    key: str = Key.KOMMUN,
    default: str | None = DEFAULT_KOMMUN,
    label: str = "Kommun",
    help: str | None = None,
) -> str | None:
    """One municipality of the county (columns kommunkod, kommun), bound to `?kommun=`.

    With `default=None` the first option is "Ingen" (returned as None). A real option rather
    than an empty box: Streamlit writes a value set from a click (via session state) to the URL
    at once only when the widget's default is an option.
    """
    codes, names = options(kommuner, "kommunkod", "kommun")
    if default is None:
        codes = (NO_KOMMUN, *codes)
    index = codes.index(default if default is not None else NO_KOMMUN) if (default in codes or default is None) else 0
    value = st.selectbox(
        label,
        codes,
        index=index,
        format_func=lambda c: "Ingen" if c == NO_KOMMUN else names.get(c, c),
        key=key,
        bind="query-params",
        help=help,
    )
    return None if value in (None, NO_KOMMUN) else value


def kommuner_selector(
    kommuner: pd.DataFrame, default: Sequence[str], key: str = Key.KOMMUNER, max_selections: int = 8
) -> list[str]:
    """2–8 municipalities, bound to `?kommuner=A&kommuner=B`."""
    codes, names = options(kommuner, "kommunkod", "kommun")
    chosen = st.multiselect(
        "Kommuner (2–8)",
        codes,
        default=[c for c in default if c in codes],
        format_func=lambda c: names.get(c, c),
        key=key,
        bind="query-params",
        max_selections=max_selections,
        placeholder="Välj kommuner",
    )
    return list(chosen)


def choice_selector(label: str, options: dict[str, str], default: str, key: str, help: str | None = None) -> str:
    """A small set of named views (value -> label) as a bound segmented control."""
    values = list(options)
    value = st.segmented_control(
        label,
        values,
        default=default,
        required=True,
        format_func=options.get,
        key=key,
        bind="query-params",
        help=help,
    )
    return value or default


def toggle(label: str, default: bool, key: str, help: str | None = None) -> bool:
    return st.toggle(label, value=default, key=key, bind="query-params", help=help)


def link_params(keep: Iterable[str] = SHARED_KEYS, **overrides: Any) -> dict[str, Any]:
    """Query parameters for `st.page_link`: the current shared ones, plus overrides.

    An override of None drops the key. Values are URL labels (e.g. kommun=Botkyrka).
    """
    params: dict[str, Any] = {}
    for key in keep:
        if key in st.query_params:
            values = st.query_params.get_all(key)
            params[key] = values if len(values) > 1 or key == Key.KOMMUNER else values[0]
    for key, value in overrides.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return params
