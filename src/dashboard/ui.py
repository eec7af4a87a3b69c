"""Shared page chrome: the "Kopiera länk" control (and the page script of dashboard.swedish), tables with downloads, metric
cards with a signed change, notes, charts with alt text, and the small print.

Pages call these so every page looks and behaves the same; no numbers are computed here
beyond formatting.
"""
from __future__ import annotations

import io
import json
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from . import cache, fmt, render_memo, swedish
from .spreadsheet import XLSX_OPTIONS, safe_frame

render_memo.install()

ABOUT_PAGE = "pages/om_data.py"

# The look of st.button (secondary) for the small components' own buttons: 14 px text, a
# 16 px Material icon 8 px before it, 40 px high. The icon is generated content with empty alt
# text, so it is neither a word on the page nor read aloud.
BUTTON_CSS = """
.vr-btn {
  display: inline-flex; align-items: center; justify-content: center; gap: 0.5rem;
  min-height: 2.5rem; padding: 0.25rem 0.75rem; margin: 0; cursor: pointer;
  font-family: inherit; font-size: 0.875rem; font-weight: 400; line-height: 1.6;
  color: var(--st-text-color); background: var(--st-background-color);
  border: 1px solid var(--st-border-color); border-radius: var(--st-button-radius);
}
.vr-btn:hover, .vr-btn:focus-visible { border-color: var(--st-primary-color); color: var(--st-primary-color); }
.vr-btn::before {
  content: var(--vr-icon) / ""; font-family: "Material Symbols Rounded"; font-size: 1rem; line-height: 1;
  font-weight: 400; font-style: normal; -webkit-font-smoothing: antialiased;
}
"""

# One tiny CCv2 component in the chrome of every page: copies the current address, which the
# bound widgets keep up to date, to the clipboard, and runs the page script (dashboard.swedish:
# lang="sv", Streamlit's English in Swedish, the side menu closed after a pick).
_COPY_LINK = st.components.v2.component(
    "valrummet_kopiera_lank",
    html="""
<div class="vr-copy">
  <button type="button" class="vr-btn" aria-describedby="vr-msg">Kopiera länk</button>
  <span class="vr-msg" id="vr-msg" role="status" aria-live="polite"></span>
</div>
""",
    css=BUTTON_CSS + """
.vr-copy { display: flex; align-items: center; gap: 0.5rem; flex-wrap: wrap; }
.vr-btn { --vr-icon: "link"; }
.vr-msg { font-size: 0.875rem; color: var(--st-text-color); }
.vr-msg:empty { display: none; }
""",
    js=swedish.PAGE_JS + """
export default function (component) {
  const { parentElement } = component
  valrummetPage()
  const btn = parentElement.querySelector(".vr-btn")
  const msg = parentElement.querySelector(".vr-msg")
  if (!btn) return
  btn.onclick = async () => {
    const url = window.location.href
    try {
      await navigator.clipboard.writeText(url)
      msg.textContent = "Länken är kopierad."
    } catch (err) {
      // No clipboard API outside https/localhost: let the user copy by hand.
      window.prompt("Kopiera länken:", url)
      msg.textContent = ""
    }
  }
}
""",
)


def ensure_entrypoint() -> None:
    """Make sure the page runs inside app.py (call first in every page file).

    Because the pages live in `pages/`, Streamlit starts in its legacy multipage mode: until
    some session has run app.py's `st.navigation`, a deep link such as /kommuner on a fresh
    server runs the page file alone, without app.py's routing and chrome. Switch the server to
    `st.navigation` routing and rerun; the rerun goes through app.py and opens the same page.
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a future Streamlit without the legacy mode
        return
    if getattr(PagesManager, "uses_pages_directory", False):
        PagesManager.uses_pages_directory = False
        st.rerun()


def copy_link() -> None:
    """The "Kopiera länk" button (also runs the page script: dashboard.swedish)."""
    _COPY_LINK(key="kopiera_lank", width="content")


# --- tables --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Col:
    """A table column: source name, header with unit, kind (pct, pp, int, text).

    `short`: the header shown on screen when the full one (kept in downloads and in the column's
    tooltip) is too wide for a phone; `width` (px) and `pinned` override `column_config`'s choice.
    """

    name: str
    header: str
    kind: str = "text"
    short: str | None = None
    width: int | None = None
    pinned: bool = False


# Phone width (390 px) leaves 358 px of table, 33 of them for the row marker of a clickable
# table. The first column (the row's name, pinned) and the second (the key figure) must fit in
# the rest without scrolling sideways: at most NAME_WIDTH and KEY_WIDTH wide (issue 18). A
# longer name is cut on screen; it is whole in the downloads, in fullscreen and when widened.
NAME_WIDTH = 140
KEY_WIDTH = 180


def _natural_width(values: pd.Series, header: str, kind: str) -> int:
    """About the width (px) the table would give a column on its own: Source Sans at 14 px."""
    lengths = values.head(500).astype("string").str.len().dropna() if kind == "text" else None
    if lengths is not None and len(lengths):
        longest = int(lengths.max())
    else:
        longest = 12  # "−12,34 p.e.", "437 050", "uppgift saknas" is the widest
    return round(7.2 * max(longest, len(header))) + 30


def column_config(shown: pd.DataFrame, cols: Sequence) -> dict:
    """st.dataframe's column_config for `cols` (ui.Col or internal_ui.Col, in `shown`'s order):
    the first column pinned, the first two no wider than NAME_WIDTH and KEY_WIDTH, short
    headers where given (the full header as the tooltip)."""
    config = {}
    for i, c in enumerate(cols):
        header = shown.columns[i]
        width = getattr(c, "width", None)
        if width is None and i < 2:
            cap = NAME_WIDTH if i == 0 else KEY_WIDTH
            short = getattr(c, "short", None)
            if _natural_width(shown[header], short or header, c.kind) > cap:
                width = cap
        pinned = i == 0 or getattr(c, "pinned", False)
        short = getattr(c, "short", None)
        if width is not None or pinned or short:
            config[header] = st.column_config.Column(
                label=short, help=header if short else None, width=width, pinned=pinned or None
            )
    return config


CHANGE_SHORT = "Förändring (p.e.)"  # the change column's header on screen (the period is in its tooltip)


def change_col(a: int, b: int, **kw) -> Col:
    return Col("change_pp", f"Förändring {a}–{b} (p.e.)", "pp", short=CHANGE_SHORT, **kw)


def change_cols(a: int, b: int) -> list[Col]:
    """The columns every change table shares, the change first (the key figure, beside the
    row's name on a phone): change, shares, votes and turnout for a → b."""
    return [
        change_col(a, b),
        Col("share_from", f"Andel {a} (%)", "pct"),
        Col("share_to", f"Andel {b} (%)", "pct"),
        Col("votes_from", f"Röster {a} (antal)", "int"),
        Col("votes_to", f"Röster {b} (antal)", "int"),
        Col("turnout_from", f"Valdeltagande {a} (%)", "pct"),
        Col("turnout_to", f"Valdeltagande {b} (%)", "pct"),
    ]


def seat_cols(b: int) -> list[Col]:
    """Seat margins (issue 5) beside the change, where the seat engine has them."""
    return [
        Col("seats", f"Mandat {b} (antal)", "int"),
        Col("votes_to_next_seat", "Röster till nästa mandat (antal)", "int"),
        Col("margin_on_last_seat", "Marginal för sista mandatet (röster)", "int"),
    ]


def direction_cols() -> list[Col]:
    """Översikt: municipalities up / down / unchanged / missing per election."""
    return [
        Col("val", "Val"),
        Col("upp", "Upp (antal kommuner)", "int", short="Upp (antal)"),
        Col("ned", "Ned (antal kommuner)", "int", short="Ned (antal)"),
        Col("oförändrad", "Oförändrad (antal kommuner)", "int", short="Oförändrad (antal)"),
        Col("saknas", "Uppgift saknas (antal kommuner)", "int", short="Saknas (antal)"),
        Col("preliminärt", "Varav preliminärt räknade, valnatten (antal kommuner)", "int",
            short="Varav preliminärt (antal)"),
    ]


def count_cols(df: pd.DataFrame | None, a: int, b: int) -> list[Col]:
    """"Räkning {year}" (slutlig / preliminär (valnatten)) for each year in which some row of
    `df` rests on a preliminary count; none when every figure is final."""
    if df is None:
        return []
    cols = []
    for side, year in (("from", a), ("to", b)):
        status = df.get(f"count_status_{side}")
        if status is not None and status.astype("object").eq("preliminary").any():
            cols.append(Col(f"count_{side}_txt", f"Räkning {year}"))
    return cols


def kommuner_cols(a: int, b: int, df: pd.DataFrame | None = None) -> list[Col]:
    """Kommuner: one row per municipality, seat margins and council size beside the change, and
    the count status where some figure of `df` is preliminary."""
    return [Col("kommun", "Kommun"), *change_cols(a, b), *count_cols(df, a, b), *seat_cols(b),
            Col("council_size", "Fullmäktige (mandat)", "int")]


def compare_cols(a: int, b: int, df: pd.DataFrame | None = None) -> list[Col]:
    """Jämför: the chosen municipalities in each election, seat margins beside the change
    (kommun per municipality, region for the county row), count status as in kommuner_cols."""
    # Municipality and election name the row (both pinned), the change beside them: 120 + 95 + 140
    # px fit a phone's 358 px.
    return [Col("kommun", "Kommun", width=120), Col("val", "Val", width=95, pinned=True),
            change_col(a, b, width=140), *change_cols(a, b)[1:], *count_cols(df, a, b), *seat_cols(b)]


def district_cols(a: int, b: int, facts: dict | None = None) -> list[Col]:
    """Valdistrikt: one row per voting district. With `district_facts`: only the columns that
    can hold a figure – one year's when no change can be shown, no turnout for a year without
    an electorate – and a preliminary year marked in its headers (so downloads carry it too)."""
    # The district's name first (pinned), the key figure beside it, the code last.
    if facts is None:
        return [Col("district_name", "Valdistrikt"), *change_cols(a, b), Col("comparison_txt", "Jämförelse"),
                Col("district_code", "Kod")]
    flags = facts["columns"]

    def mark(side: str, year: int) -> str:
        return f"{year}, preliminärt" if flags[f"prel_{side}"] else str(year)

    def has(col: str) -> bool:
        return flags.get(col, False)

    ya, yb = mark("from", a), mark("to", b)
    cols = [Col("district_name", "Valdistrikt")]
    if facts["compare"]:
        cols += [
            change_col(a, b),
            Col("share_from", f"Andel {ya} (%)", "pct"),
            Col("share_to", f"Andel {yb} (%)", "pct"),
            Col("votes_from", f"Röster {ya} (antal)", "int"),
            Col("votes_to", f"Röster {yb} (antal)", "int"),
        ]
        cols += [c for c in (Col("turnout_from", f"Valdeltagande {ya} (%)", "pct"),
                             Col("turnout_to", f"Valdeltagande {yb} (%)", "pct")) if has(c.name)]
        cols.append(Col("comparison_txt", "Jämförelse"))
    else:
        side = facts["side"]
        year = ya if side == "from" else yb
        cols += [Col(f"share_{side}", f"Andel {year} (%)", "pct"), Col(f"votes_{side}", f"Röster {year} (antal)", "int")]
        if has(f"turnout_{side}"):
            cols.append(Col(f"turnout_{side}", f"Valdeltagande {year} (%)", "pct"))
    if has("note"):
        cols.append(Col("note", "Anmärkning"))
    return [*cols, Col("district_code", "Kod")]


def _display_frame(df: pd.DataFrame, cols: Sequence[Col]) -> pd.DataFrame:
    present = [c for c in cols if c.name in df.columns]
    out = df[[c.name for c in present]].copy()
    out.columns = [c.header for c in present]
    return out


def to_csv(df: pd.DataFrame) -> bytes:
    """CSV as Swedish Excel opens it: semicolons, decimal comma, UTF-8 with BOM; text that a
    spreadsheet could run as a formula is made plain text (dashboard.spreadsheet)."""
    return safe_frame(df).to_csv(sep=";", decimal=",", index=False).encode("utf-8-sig")


def to_excel(df: pd.DataFrame, cols: Sequence[Col], note: str = "") -> bytes:
    """An .xlsx with number formats per column kind and a sheet with source/definitions."""
    kinds = {c.header: c.kind for c in cols}
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="xlsxwriter", engine_kwargs={"options": XLSX_OPTIONS}) as xl:
        df.to_excel(xl, sheet_name="Data", index=False)
        book, sheet = xl.book, xl.sheets["Data"]
        formats = {
            "pct": book.add_format({"num_format": "0.00"}),
            "pp": book.add_format({"num_format": "+0.00;-0.00;0.00"}),
            "int": book.add_format({"num_format": "#,##0"}),
        }
        for i, header in enumerate(df.columns):
            width = max(12, min(40, len(str(header)) + 2))
            sheet.set_column(i, i, width, formats.get(kinds.get(header, "text")))
        sheet.freeze_panes(1, 0)
        if note:
            info = book.add_worksheet("Om tabellen")
            for r, line in enumerate(note.splitlines()):
                info.write(r, 0, line)
            info.set_column(0, 0, 120)
    return buf.getvalue()


TABLE_CACHE = 128  # rendered tables kept per process (a Styler with its protobuf each)


@st.cache_resource(show_spinner=False, max_entries=TABLE_CACHE)
def _styled(shown: pd.DataFrame, pct_cols: tuple, pp_cols: tuple, int_cols: tuple):
    """The table's Styler, rendered once per content and reused on every rerun.

    With `render_memo` installed (the normal case) the Styler's protobuf is made on its first
    use and copied afterwards. Otherwise pandas' rendering is kept on the Styler, since
    Streamlit calls `_compute()` and `_translate()` on every run (~8 ms per 100 cells); if
    pandas' internals differ, the plain Styler is used (correct, only slower).
    """
    styler = fmt.styler(shown, pct_cols=pct_cols, pp_cols=pp_cols, int_cols=int_cols)
    styler.set_uuid("vr")
    if render_memo.install():
        # Not pre-translated here: the translated cells (a dict per cell) would stay in memory
        # next to the protobuf, which is all later runs need.
        render_memo.freeze(styler)
        return styler
    try:
        styler._compute()
        rendered = styler._translate(False, False)
    except Exception:
        return fmt.styler(shown, pct_cols=pct_cols, pp_cols=pp_cols, int_cols=int_cols)
    styler._compute = lambda: styler
    styler._translate = lambda *args, **kwargs: rendered
    return styler


# Tables of frames that the query layer caches (the same object on every rerun): the display
# frame and Styler per (frame, columns), found by identity, so a rerun neither copies the frame
# nor hashes it to find its Styler (~5 ms per table). An entry goes when its frame is collected.
_TABLES: dict[tuple[int, tuple[Col, ...]], tuple[weakref.ref, pd.DataFrame, object, dict]] = {}
_TABLES_LOCK = threading.Lock()


def _table_parts(df: pd.DataFrame, cols: Sequence[Col]) -> tuple[pd.DataFrame, object, dict]:
    key = (id(df), tuple(cols))
    hit = _TABLES.get(key)
    if hit is not None and hit[0]() is df:
        return hit[1], hit[2], hit[3]
    shown = _display_frame(df, cols)
    styled = _styled(
        shown,
        tuple(c.header for c in cols if c.kind == "pct"),
        tuple(c.header for c in cols if c.kind == "pp"),
        tuple(c.header for c in cols if c.kind == "int"),
    )

    def forget(_ref, key=key):
        with _TABLES_LOCK:
            entry = _TABLES.get(key)
            if entry is not None and entry[0] is _ref:
                del _TABLES[key]

    config = column_config(shown, [c for c in cols if c.name in df.columns])
    with _TABLES_LOCK:
        _TABLES[key] = (weakref.ref(df, forget), shown, styled, config)
    return shown, styled, config


def prepare_table(df: pd.DataFrame, cols: Sequence[Col]) -> None:
    """Render a table ahead of its first view (dashboard.warm): its Styler, the Styler's
    protobuf and the Arrow bytes, as `table` would on its first run."""
    _, styled, _ = _table_parts(df, cols)
    render_memo.prerender(styled)


def table(
    df: pd.DataFrame,
    cols: Sequence[Col],
    *,
    key: str,
    file_stem: str,
    alt: str,
    note: str = "",
    height: int | str = "auto",
    on_select=None,
):
    """A sortable table with Swedish number formats and CSV + Excel downloads.

    Cells stay numeric (sorting works); a Styler supplies the Swedish display text and
    "uppgift saknas" for missing values. `on_select` (a callback) makes rows clickable.
    """
    shown, styled, config = _table_parts(df, cols)
    with st.container(key=f"{key}_box"):  # addressable as a unit (the browser tests)
        event = dataframe(styled, config, key=key, height=height, alt=alt, on_select=on_select)
    with st.container(horizontal=True, gap="small"):
        st.download_button(
            "CSV",
            data=lambda: to_csv(shown),
            file_name=f"{file_stem}.csv",
            mime="text/csv",
            icon=":material/download:",
            on_click="ignore",
            key=f"{key}_csv",
            help="Semikolonseparerad, decimalkomma (öppnas direkt i svenskt Excel).",
        )
        st.download_button(
            "Excel",
            data=lambda: to_excel(shown, cols, note),
            file_name=f"{file_stem}.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            icon=":material/download:",
            on_click="ignore",
            key=f"{key}_xlsx",
        )
    return event


def dataframe(styled, config: dict, *, key: str, height: int | str, alt: str, on_select=None):
    """st.dataframe as every table shows it: no index, "uppgift saknas" for missing, rows
    clickable when `on_select` is given, and `config` from column_config (the first column
    names the row and stays in view when a phone scrolls sideways; it and the key figure beside
    it fit a phone's width)."""
    return st.dataframe(
        styled,
        hide_index=True,
        key=key,
        height=height,
        alt=alt,
        placeholder=fmt.MISSING,
        column_config=config or None,
        on_select=on_select or "ignore",
        selection_mode="single-row",
    )


def selected_row(key: str) -> int | None:
    """Index of the row picked in the selectable table `key` (read in its callback)."""
    try:
        rows = st.session_state[key].selection.rows
    except (KeyError, AttributeError):
        return None
    return rows[0] if rows else None


# --- metrics, notes, charts ---------------------------------------------------------------


class RenderedFigure(go.Figure):
    """A finished chart kept as the JSON st.plotly_chart sends: ~7 KB for a bar chart, where
    plotly's figure object is ~100 KB and its spec dict ~80 KB. It is an instance of plotly's
    Figure, so Streamlit takes it as one; `to_dict()` gives a stub that render_memo turns
    into the JSON (or, without the memo, the full spec). Nothing else of plotly's figure API
    works on it: build a new figure to change a chart."""

    def __init__(self, spec: dict):  # deliberately not plotly's __init__: no trace objects
        import plotly.io

        text = plotly.io.to_json(spec, validate=False)
        layout = spec.get("layout") or {}
        # st.plotly_chart reads the layout's width/height for width="content"; keep them.
        stub = {"layout": {k: layout[k] for k in ("width", "height") if k in layout}}
        if render_memo.freeze_json(stub, text):
            weakref.finalize(self, render_memo.forget_spec, stub)
        else:
            stub = spec
        object.__setattr__(self, "_stub", stub)
        object.__setattr__(self, "_json", text)

    def to_dict(self) -> dict:
        return self._stub

    def spec(self) -> dict:
        """The full figure spec (parsed from the JSON)."""
        return json.loads(self._json)

    def __repr__(self) -> str:
        return f"RenderedFigure({len(self._json)} bytes of JSON)"


# Room for the charts dashboard.warm builds (~580 with 2022→2026's 138 parties: four per party,
# a map per municipality) and what viewers ask for beyond them. At 512 the warm-up pushed out
# its own first entries: the default party's charts. A cached chart is its JSON, ~6 KB on
# average (3.2 MB for 512), so the bound guards only against a flood of odd choices.
FIGURE_CACHE = 1024


@cache.resource(max_entries=FIGURE_CACHE, key=lambda key, _build, _args, _kwargs: key)
def _figure(key: tuple, _build, _args: tuple, _kwargs: dict):
    # st.plotly_chart starts with fig.to_dict(), a deep copy of the whole figure (2–5 ms per
    # chart and rerun), then serialises it to JSON. A cached figure is shared and never
    # changed, so both are done once, and only the JSON is kept (RenderedFigure).
    return RenderedFigure(_build(*_args, **_kwargs).to_dict())


def figure(key: tuple, build, *args, **kwargs):
    """`build(*args, **kwargs)`, cached under `key`, which must name every input that shapes
    the figure (page, selections). Building a map copies its GeoJSON (~40 ms); reruns that
    change nothing on the map then reuse the figure."""
    return _figure(key, build, args, kwargs)



def share_metric(label: str, share, change, *, help: str | None = None, period: str = "") -> None:
    """A metric card: share as value, signed change as delta with an arrow (not colour alone)."""
    if fmt.is_missing(change):
        delta, arrow, colour = None, "off", "off"
    else:
        delta = fmt.pp(change) + (f" ({period})" if period else "")
        arrow = "up" if change > 0 else "down" if change < 0 else "off"
        colour = "green" if change > 0 else "red" if change < 0 else "gray"
    st.metric(
        label,
        fmt.pct(share),
        delta,
        delta_color=colour,
        delta_arrow=arrow,
        help=help,
        border=True,
        height="stretch",
    )


PRELIMINARY_BADGE = ":orange-badge[:material/schedule: Preliminärt, valnatten]"


def preliminary(text: str, key: str | None = None) -> None:
    """Next to a figure that rests on a preliminary count: an orange "Preliminärt, valnatten"
    badge and the sentence saying which part is preliminary (nothing when `text` is empty).
    `text` is built by the query layer from numbers and municipality names (markdown-safe)."""
    text = text.removeprefix("Preliminärt, valnatten: ")  # the badge says it
    if text:
        with st.container(key=key):
            st.markdown(f"{PRELIMINARY_BADGE} {text[0].upper()}{text[1:]}")


def top_lists(top_text: dict[str, str], top_prel: dict[str, str]) -> None:
    """The evaluation's four top lists (`queries.top_text`) as cards in a grid, each headed by
    how many of its lines rest on a preliminary count (`queries.top_prel_text`)."""
    with st.grid(2, gap="small", min_column_width=240):
        for title, text in top_text.items():
            with st.container(border=True, height="stretch"):
                prel = top_prel.get(title)
                st.markdown(
                    f"**{title}**" + (f" – {prel}" if prel else "") + "\n\n"
                    + (text or ("Ingen kommun." if "Stör" in title else "Uppgift saknas."))
                )


def notes(messages: Sequence[str]) -> None:
    """What the data lacks for the current choice, said plainly above the numbers."""
    for m in messages:
        st.info(m, icon=":material/info:")


def plotly(fig, *, alt: str, caption: str, key: str | None = None, on_select="ignore"):
    """A plotly chart with alt text, a caption, and plotly's PNG download kept."""
    event = st.plotly_chart(
        fig,
        alt=alt,
        key=key,
        on_select=on_select,
        selection_mode="points",
        config={
            "displaylogo": False,
            "scrollZoom": False,
            "toImageButtonOptions": {"format": "png", "scale": 2},
            "modeBarButtonsToRemove": ["lasso2d", "select2d"],
        },
    )
    st.caption(caption)
    return event


def selected_points(key: str) -> list[dict]:
    """The points clicked on the chart `key` (read in its on_select callback)."""
    try:
        return list(st.session_state[key].selection.points or [])
    except (KeyError, AttributeError):
        return []


def small_print(source: str, definition: str, data_date: str) -> None:
    """Source, definition and data date, with a link to Om data."""
    st.caption(f"**Källa:** {source}  \n**Definition:** {definition}  \n**Data byggd:** {data_date}")
    st.page_link(ABOUT_PAGE, label="Om data – källor, definitioner och luckor", icon=":material/info:")
