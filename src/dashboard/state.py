"""Page state that lives in the URL.

Every selector is a widget bound to a query parameter (`bind="query-params"`), so a copied link
reproduces the view. The parameter carries the option's *label* (that is how Streamlit binds),
so labels are chosen to read well in a URL: `?val=Regionval&period=2022-2026&parti=Moderaterna`.
Keys shared by several pages (val, period, parti, kommun) carry a choice over when the user
switches page.

A link typed or shortened by hand is read the forgiving way (issue 18): `?parti=S`,
`?parti=socialdemokraterna`, `?kommun=0127`, `?kommun=Botkyrka kommun`, `?period=2022–2026`
open what they mean, and the address is rewritten to the canonical label before the widget
binds (`from_link`). A value that means nothing here is dropped, and one line above the page
says so and what is shown instead (`url_notices`).
"""
from __future__ import annotations

import re
import threading
import unicodedata
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitAPIException

from . import fmt

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
NO_KOMMUN_LABEL = "Ingen"


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
    default = default if default in options else options[0]
    from_link(key, {c: ELECTION_LABEL[c] for c in options}, lambda raw: resolve(raw, ELECTION_ALIASES),
              ELECTION_LABEL[default], unavailable="kan inte visas här")
    value = st.segmented_control(
        "Val",
        options,
        default=default,
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


def period_code(raw: str) -> str | None:
    """A well-formed year pair as its label (whether or not the data has it)."""
    m = _PERIOD.match(str(raw))
    return f"{m.group(1)}-{m.group(2)}" if m else None


def period_selector(
    pairs: Sequence[tuple[int, int]], key: str = Key.PERIOD, default: tuple[int, int] | None = None
) -> tuple[int, int]:
    """The year pair (from, to) among those the data has, bound to `?period=`. `default`
    overrides DEFAULT_PERIOD for a page whose data starts elsewhere (activity of a campaign)."""
    labels = [period_label(p) for p in pairs] or [period_label(DEFAULT_PERIOD)]
    default = period_label(default_pair(pairs, default)) if pairs else labels[0]
    from_link(key, {label: label for label in labels}, period_code, period_text(parse_period(default)),
              unavailable="finns inte i data")
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
# The labels of each mapping `options` hands out, as a set: is a link's value one of them?
_LABEL_SETS: dict[int, frozenset] = {}


def options(df: pd.DataFrame, code_col: str, label_col: str) -> tuple[tuple[str, ...], Mapping[str, str]]:
    """(codes, code -> label) of a cached frame, read once per frame; both are read-only."""
    key = (id(df), code_col, label_col)
    hit = _OPTIONS.get(key)
    if hit is None or hit[0]() is not df:
        codes = tuple(df[code_col])
        labels = MappingProxyType(dict(zip(codes, df[label_col])))
        _LABEL_SETS[id(labels)] = frozenset(labels.values())

        def forget(_ref, k=key, labels_id=id(labels)) -> None:
            _OPTIONS.pop(k, None)
            _LABEL_SETS.pop(labels_id, None)

        _OPTIONS[key] = hit = (weakref.ref(df, forget), codes, labels)
    return hit[1], hit[2]


# --- links read the forgiving way (issue 18) ------------------------------------------------

# The riksdag parties' everyday names where the name in the data (the URL's label) is longer.
PARTY_COMMON_NAMES = {
    "S": ("Socialdemokraterna", "Socialdemokrat"),
    "L": ("Liberalerna", "Folkpartiet", "FP"),
    "MP": ("Miljöpartiet",),
}
_SEPARATORS = re.compile(r"[\s_\-–—.,]+")
_PERIOD = re.compile(r"^\s*(\d{4})\s*(?:-|–|—|_|→|->|/|\s|till)+\s*(\d{4})\s*$")
_MAX_SHOWN = 40  # characters of a link's value repeated in a notice


def fold(text: str) -> str:
    """A value compared the forgiving way: case, diacritics (ä = a), hyphens, underscores and
    spaces do not matter. "Upplands-Bro" → "upplands bro", "Vänsterpartiet" → "vansterpartiet"."""
    decomposed = unicodedata.normalize("NFKD", str(text).casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SEPARATORS.sub(" ", plain).strip()


def alias_table(aliases: Iterable[tuple[str, str]]) -> dict[str, str]:
    """{folded alias: code} from (alias, code) pairs; an alias that folds to two codes is left
    out (it is ambiguous, so it cannot be read "where unambiguous")."""
    table: dict[str, str] = {}
    ambiguous: set[str] = set()
    for alias, code in aliases:
        key = fold(alias)
        if not key or key in ambiguous:
            continue
        if table.get(key, code) != code:
            ambiguous.add(key)
            del table[key]
        else:
            table[key] = code
    return table


def party_aliases(names: Mapping[str, str]) -> dict[str, str]:
    """Codes (S, V, SD), names in the data, the name without a parenthesis ("Liberalerna
    (tidigare Folkpartiet)" → "Liberalerna") and PARTY_COMMON_NAMES, for every party."""
    pairs = []
    for code, name in names.items():
        pairs += [(code, code), (name, code), (name.split(" (")[0], code), (f"{name} ({code})", code)]
        pairs += [(common, code) for common in PARTY_COMMON_NAMES.get(code, ())]
    return alias_table(pairs)


def kommun_aliases(kommuner: Mapping[str, str]) -> dict[str, str]:
    """Municipality codes (0127, also 127) and names with or without "kommun"/"stad", in the
    genitive too ("Danderyds kommun", "Stockholms stad")."""
    pairs = []
    for code, name in kommuner.items():
        pairs += [(code, code), (code.lstrip("0"), code), (name, code)]
        for suffix in ("kommun", "stad"):
            pairs += [(f"{name} {suffix}", code), (f"{name}s {suffix}", code)]
    return alias_table(pairs)


def resolve(raw: str, aliases: Mapping[str, str]) -> str | None:
    """The code a link's value means, or None."""
    return aliases.get(fold(raw))


def resolve_period(raw: str, pairs: Sequence[tuple[int, int]]) -> tuple[int, int] | None:
    """(2022, 2026) from "2022-2026", "2022–2026", "2022_2026", "2022 → 2026" when the data has it."""
    m = _PERIOD.match(str(raw))
    if not m:
        return None
    pair = (int(m.group(1)), int(m.group(2)))
    return pair if pair in [tuple(p) for p in pairs] else None


ELECTION_ALIASES = alias_table(
    [(code, code) for code in ELECTIONS]
    + [(label, code) for code, label in ELECTION_LABEL.items()]
    + [(word, code) for code, word in ELECTION_DEFINITE.items()]
)


_PARTY_ALIASES: list = [None, {}]  # [the party_names dict they were built from, the aliases]


def resolve_party(raw: str) -> str | None:
    """The party code a link's value means: a code as written (S, SD), else `party_aliases`."""
    from . import queries as q

    return raw if raw in q.party_names() else resolve(raw, all_party_aliases())


def all_party_aliases() -> dict[str, str]:
    """party_aliases of every party in the data, built once per state of the data."""
    from . import queries as q  # queries imports this module

    names = q.party_names()
    built_from, table = _PARTY_ALIASES
    if built_from is not names:
        table = party_aliases(names)
        _PARTY_ALIASES[:] = [names, table]
    return table


_KOMMUN_ALIASES: dict[int, tuple[weakref.ref, dict[str, str]]] = {}


def kommun_alias_table(kommuner: pd.DataFrame) -> dict[str, str]:
    """kommun_aliases of a cached municipalities frame, built once per frame."""
    hit = _KOMMUN_ALIASES.get(id(kommuner))
    if hit is None or hit[0]() is not kommuner:
        _, names = options(kommuner, "kommunkod", "kommun")
        hit = (weakref.ref(kommuner), kommun_aliases(names))
        _KOMMUN_ALIASES[id(kommuner)] = hit
    return hit[1]


# This run's notices about the link (app.py makes the place above the page; `_tell` fills it).
# A notice outlives the one rerun that rewrites the address, and only that.
_PENDING = "_valrummet_lanknotiser"
_RUN = threading.local()


def url_notices() -> None:
    """Called by app.py before the page: the place where this run's link notices go."""
    _RUN.slot = st.empty()
    _RUN.lines = list(st.session_state.pop(_PENDING, ()) if _PENDING in st.session_state else ())
    if _RUN.lines:
        _draw()


def _draw() -> None:
    slot = getattr(_RUN, "slot", None)
    text = "  \n".join(_RUN.lines)
    if slot is None:  # a page run without app.py (legacy routing's first run): in place
        st.info(text, icon=":material/link_off:")
    else:
        slot.info(text, icon=":material/link_off:")


def _tell(line: str) -> None:
    lines = getattr(_RUN, "lines", None)
    if lines is None:
        lines = _RUN.lines = []
    if line not in lines:
        lines.append(line)
        _draw()


def _shown(raw: str) -> str:
    text = str(raw)
    return fmt.md_text(text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN] + "…")


UNKNOWN = "känns inte igen"
UNAVAILABLE = "finns inte för det val och de år som visas"


def not_understood(key: str, raw: str, shown: str, reason: str = UNKNOWN) -> str:
    """The one line that says a link's value was dropped and what the page shows instead:
    "”S2” i länken (`parti=`) känns inte igen – sidan visar Vänsterpartiet." """
    return f"”{_shown(raw)}” i länken (`{key}=`) {reason} – sidan visar {fmt.md_text(shown)}."


def _rewrite(key: str, value: str | list[str]) -> None:
    """Write the canonical value to the address, for the widget about to bind to `key`."""
    try:
        st.query_params[key] = value
    except StreamlitAPIException:
        return  # bound by an earlier run of this session: the widget keeps the value it has
    if not _seed(key, value):
        st.session_state[_PENDING] = list(getattr(_RUN, "lines", ()))
        st.rerun()


def _seed(key: str, value: str | list[str]) -> bool:
    """A bound widget seeds itself from the address its run started with (Streamlit 1.67 keeps
    it in QueryParams._initial_query_params), not from st.query_params: make that the canonical
    value too. False when Streamlit keeps it elsewhere; the caller then runs again, which starts
    from the rewritten address (one more run, and Streamlit's warning that the widget's value
    was set twice)."""
    try:
        from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

        ctx = get_script_run_ctx()
        with ctx.session_state.query_params() as qp:
            initial = qp._initial_query_params
            if not isinstance(initial, dict):
                return False
            initial[key] = list(value) if isinstance(value, list) else [value]
            return True
    except (AttributeError, TypeError):
        return False


def _drop(key: str) -> None:
    try:
        del st.query_params[key]
    except (KeyError, StreamlitAPIException):
        pass  # Streamlit clears a bound widget's invalid value itself


def canonical_in_link(key: str, value: str) -> None:
    """For views without bound widgets (meeting mode): the address shows `value`, the canonical
    spelling of what the link asked for."""
    if st.query_params.get(key) != value:
        try:
            st.query_params[key] = value
        except StreamlitAPIException:
            pass  # bound to a widget of this session: the value there is canonical already


def dropped_from_link(key: str, raw: str, shown: str, reason: str = UNKNOWN) -> None:
    """For views without bound widgets: drop a value that means nothing here, and say so."""
    _drop(key)
    _tell(not_understood(key, raw, shown, reason))


def from_link(
    key: str,
    label_of: Mapping[str, str],
    code_of: Callable[[str], str | None],
    shown: str,
    unavailable: str = UNAVAILABLE,
) -> None:
    """Before the widget bound to `key` (options `label_of`: code -> the label the URL carries):
    a value that is not a label is replaced by the label of the code it means (`code_of`), or
    dropped with a notice saying what is shown instead (`shown`) when it means nothing among
    these options. One lookup when the link is canonical (every run but a hand-typed link's first)."""
    raw = st.query_params.get(key)
    if raw is None or raw in _LABEL_SETS.get(id(label_of), label_of.values()):
        return
    code = code_of(raw)
    if code is not None and code in label_of:
        _rewrite(key, label_of[code])
        return
    _drop(key)
    _tell(not_understood(key, raw, shown, UNKNOWN if code is None else unavailable))


def _not_here(key: str, codes: Iterable[str]) -> None:
    """Forget a shared key's value that another page's selector left and that is no option
    here (Kommuner's "Ingen" as Valdistrikt's municipality): the widget starts from its default
    instead of holding a value it cannot show, which Streamlit would also write to the URL."""
    value = st.session_state.get(key)
    if value is not None and value not in codes:
        del st.session_state[key]


def choice_code(options: Mapping[str, str]) -> Callable[[str], str | None]:
    """`from_link`'s reading of a small set of named options: by value or label, forgivingly."""
    return lambda raw: resolve(raw, alias_table([*((v, v) for v in options), *((lab, v) for v, lab in options.items())]))


def party_selector(parties: pd.DataFrame, key: str = Key.PARTY) -> str:
    """A party among those in the data (columns party, label), bound to `?parti=`."""
    codes, labels = options(parties, "party", "label")
    if not codes:
        codes, labels = (DEFAULT_PARTY,), {DEFAULT_PARTY: DEFAULT_PARTY}
    index = codes.index(DEFAULT_PARTY) if DEFAULT_PARTY in codes else 0
    _not_here(key, codes)
    from_link(key, labels, resolve_party, labels.get(codes[index], codes[index]))
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


def kommun_code(raw: str, kommuner: pd.DataFrame, optional: bool = False) -> str | None:
    if optional and fold(raw) in ("ingen", "inget", "ingen kommun"):
        return NO_KOMMUN
    return resolve(raw, kommun_alias_table(kommuner))


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
    _not_here(key, codes)
    label_of = names if default is not None else {NO_KOMMUN: NO_KOMMUN_LABEL, **names}
    from_link(key, label_of, lambda raw: kommun_code(raw, kommuner, default is None),
              "ingen kommun" if codes[index] == NO_KOMMUN else label_of.get(codes[index], codes[index]))
    value = st.selectbox(
        label,
        codes,
        index=index,
        format_func=lambda c: NO_KOMMUN_LABEL if c == NO_KOMMUN else names.get(c, c),
        key=key,
        bind="query-params",
        help=help,
    )
    return None if value in (None, NO_KOMMUN) else value


def _kommuner_from_link(key: str, kommuner: pd.DataFrame, names: Mapping[str, str], default: list[str],
                        most: int) -> None:
    """`from_link` for the repeated `?kommuner=`: each value read the forgiving way, unknown ones
    dropped with a notice, and at most `most` kept (with a notice)."""
    raw = st.query_params.get_all(key)
    known = names.values()
    if not raw or (len(raw) <= most and all(r in known for r in raw)):
        return
    out: list[str] = []
    unknown: list[str] = []
    for value in raw:
        code = value if value in known else kommun_code(value, kommuner)
        name = value if value in known else names.get(code) if code else None
        if name is None:
            unknown.append(value)
        elif name not in out:
            out.append(name)
    if len(out) > most:
        _tell(f"Länken angav {len(out)} kommuner (`{key}=`); högst {most} kan jämföras – sidan visar de {most} första.")
        out = out[:most]
    for value in unknown:
        _tell(not_understood(key, value, ", ".join(out or default)))
    if out != raw:
        if out:
            _rewrite(key, out)
        else:
            _drop(key)


def kommuner_selector(
    kommuner: pd.DataFrame, default: Sequence[str], key: str = Key.KOMMUNER, max_selections: int = 8
) -> list[str]:
    """2–8 municipalities, bound to `?kommuner=A&kommuner=B`."""
    codes, names = options(kommuner, "kommunkod", "kommun")
    _kommuner_from_link(key, kommuner, names, [names[c] for c in default if c in names], max_selections)
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
    from_link(key, options, choice_code(options), options.get(default, default))
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


_ON_OFF = {"true": "true", "ja": "true", "1": "true", "on": "true", "pa": "true",
           "false": "false", "nej": "false", "0": "false", "off": "false", "av": "false"}


def toggle(label: str, default: bool, key: str, help: str | None = None) -> bool:
    """A switch bound to `?key=true|false` (ja/nej, 1/0, på/av read too)."""
    from_link(key, {"true": "true", "false": "false"}, lambda raw: _ON_OFF.get(fold(raw)),
              f"”{label}” {'på' if default else 'av'}")
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
