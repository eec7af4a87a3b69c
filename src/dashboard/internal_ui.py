"""Shared pieces of the internal pages (activity, priorities, imports).

What the public helpers (`ui`, `charts`, `maps`) lack: tables with decimal columns, the
activity-data notice, a scatter with a fitted line, the small print without a
hard dependency on the Om data page, and cached loaders of the inputs the pages share.
Figure builders are pure; the rest draws with Streamlit.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from streamlit.errors import StreamlitAPIException

from . import activity, cache, fmt, render_memo, state, ui
from . import activity_analysis as aa
from . import queries as q
from .charts import GAIN, LOSS
from .paths import data_dir
from .state import COUNTY

PARTY = "V"  # the internal pages are about the party's own effort
DISTRICT_GEO_YEAR = 2022


# --- notices ---------------------------------------------------------------------------------


# Both read every type's pointer and version metadata (~20 small files per call); a page asks
# several times per run, so the text is kept per state of the store (activity.token()).
@cache.resource(max_entries=64)
def _notice(types: tuple[str, ...] | None, token: str) -> tuple[str | None, bool]:
    return activity.notice(list(types) if types else None), activity.is_synthetic()


def activity_notice(types: Sequence[str] | None = None) -> None:
    """The sentence every internal page shows about where its activity numbers come from."""
    text, synthetic = _notice(tuple(types) if types else None, activity.token())
    if synthetic:
        st.warning(text, icon=":material/science:", title="Syntetiska demodata")
    elif text:
        st.info(text, icon=":material/info:")


@cache.resource(max_entries=64)
def _origin_caption(types: tuple[str, ...], token: str) -> str:
    parts = []
    for t in types:
        i = activity.info(t)
        when = f", importerad {i.imported_at[:16].replace('T', ' ')}" if i.imported_at else ""
        parts.append(f"{i.label}: {i.origin_label} ({fmt.integer(i.rows)} rader{when})")
    return "; ".join(parts)


def origin_caption(types: Sequence[str]) -> str:
    """"Tidningar: från valutvärderingen 2023 — ofullständig (9 rader)" for each type."""
    return _origin_caption(tuple(types), activity.token())


def small_print(source: str, definition: str, data_date: str) -> None:
    """Source, definition and data date; a link to Om data where the app has that page."""
    st.caption(f"**Källa:** {source}  \n**Definition:** {definition}  \n**Data byggd:** {data_date}")
    try:
        st.page_link(ui.ABOUT_PAGE, label="Om data – källor, definitioner och luckor", icon=":material/info:")
    except StreamlitAPIException:
        pass  # the page file run on its own (tests): no navigation to link into


# --- tables ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Col:
    """A table column: source name, header with unit, kind.

    Kinds: pct (11,73 %), pp (+1,67 p.e.), int (437 050), dec0/dec1/dec2 (3,12), km (1,2),
    yesno (True/False shown as ja/nej), text. `short`, `width`, `pinned` as in ui.Col.
    """

    name: str
    header: str
    kind: str = "text"
    short: str | None = None
    width: int | None = None
    pinned: bool = False


def _formatter(kind: str):
    if kind == "pct":
        return fmt.pct
    if kind == "pp":
        return fmt.pp
    if kind == "int":
        return fmt.integer
    if kind.startswith("dec"):
        d = int(kind[3:])
        return lambda v: fmt.number(v, d)
    if kind == "km":
        return lambda v: fmt.number(v, 1)
    return None


@st.cache_resource(show_spinner=False, max_entries=64)
def _styled(shown: pd.DataFrame, kinds: tuple[tuple[str, str], ...]):
    formats = {h: f for h, k in kinds if (f := _formatter(k)) is not None and h in shown.columns}
    styler = shown.style.format(formats, na_rep=fmt.MISSING).hide(axis="index")
    # Rendered once per content (render_memo), as ui.table does: a fixed uuid keeps the cached
    # rendering valid for every table that shows the same content.
    styler.set_uuid("vr")
    render_memo.freeze(styler)
    return styler


# Tables of frames a cache holds (the same object on every rerun): display frame and Styler per
# (frame, columns), found by identity, as ui.table does.
_PARTS = cache.ByIdentity()


def _parts(df: pd.DataFrame, present: Sequence["Col"]) -> tuple[pd.DataFrame, object, dict]:
    def make() -> tuple[pd.DataFrame, object, dict]:
        shown = display_frame(df, present)
        return shown, _styled(shown, tuple((c.header, c.kind) for c in present)), ui.column_config(shown, present)

    return _PARTS.get(df, tuple(present), make)


def display_frame(df: pd.DataFrame, cols: Sequence[Col]) -> pd.DataFrame:
    present = [c for c in cols if c.name in df.columns]
    out = df[[c.name for c in present]].copy()
    for c in present:
        if c.kind == "yesno":  # text, not a checkbox: a missing value must read "uppgift saknas"
            out[c.name] = pd.array([None if fmt.is_missing(v) else ("ja" if v else "nej") for v in out[c.name]],
                                   dtype="string")
    out.columns = [c.header for c in present]
    return out


def text_frame(df: pd.DataFrame, cols: Sequence[Col]) -> pd.DataFrame:
    """The table as Swedish text (for st.table and print): every cell formatted, missing = "uppgift saknas"."""
    out = display_frame(df, cols)
    for c in [c for c in cols if c.name in df.columns]:
        f = _formatter(c.kind)
        out[c.header] = [fmt.MISSING if fmt.is_missing(v) else (f(v) if f else str(v)) for v in out[c.header]]
    return out


def table(df: pd.DataFrame, cols: Sequence[Col], *, key: str, file_stem: str, alt: str, note: str = "",
          height: int | str = "auto", on_select=None) -> None:
    """A sortable table with Swedish formats ("uppgift saknas" for missing) and CSV + Excel.

    `on_select` (a callback) makes rows clickable (read the row with `ui.selected_row(key)`)."""
    present = [c for c in cols if c.name in df.columns]
    shown, styled, config = _parts(df, present)
    with st.container(key=f"{key}_box"):  # addressable as a unit (tests, CSS-free layout)
        _table(shown, styled, present, config, key=key, file_stem=file_stem, alt=alt, note=note, height=height,
               on_select=on_select)


def _table(shown: pd.DataFrame, styled, present: Sequence[Col], config: dict, *, key: str, file_stem: str, alt: str,
           note: str, height: int | str, on_select=None) -> None:
    ui.dataframe(styled, config, key=key, height=height, alt=alt, on_select=on_select)
    excel_cols = [ui.Col(c.header, c.header, "int" if c.kind == "int" else "pp" if c.kind == "pp" else
                         "pct" if c.kind in ("pct", "dec2") else "text") for c in present]
    with st.container(horizontal=True, gap="small"):
        st.download_button(
            "CSV", data=lambda: ui.to_csv(shown), file_name=f"{file_stem}.csv", mime="text/csv",
            icon=":material/download:", on_click="ignore", key=f"{key}_csv",
            help="Semikolonseparerad, decimalkomma (öppnas direkt i svenskt Excel).",
        )
        st.download_button(
            "Excel", data=lambda: ui.to_excel(shown, excel_cols, note), file_name=f"{file_stem}.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            icon=":material/download:", on_click="ignore", key=f"{key}_xlsx",
        )


# --- figures (pure) ---------------------------------------------------------------------------------


# The scatter's plot area on a 390 px phone (px) and its text: label boxes are laid out at that
# size, the narrowest the chart is drawn, so they are apart on a desktop too.
PHONE_PLOT_PX = (300, 380)
_CHAR_PX, _LINE_PX, _GAP_PX, _MARKER_PX = 6.5, 14, 4, 6


def label_positions(xs: Sequence[float], ys: Sequence[float], names: Sequence[str],
                    x_from_zero: bool = True) -> list[str | None]:
    """Where each point's name goes (a plotly textposition), or None where it would cover
    another name or point or run off the chart (issue 18: "Vallentun" cut at the edge, names on
    top of each other on a phone). The points farthest from the middle are placed first; a
    point left without a name is still in the hover and in the table below."""
    xs, ys = [float(x) for x in xs], [float(y) for y in ys]
    if not xs:
        return []
    x_lo, x_hi = (min(0.0, min(xs)) if x_from_zero else min(xs)), max(xs)
    y_lo, y_hi = min(ys), max(ys)
    # plotly pads an axis by about 5 % each side
    pad_x, pad_y = 0.05 * ((x_hi - x_lo) or 1.0), 0.05 * ((y_hi - y_lo) or 1.0)
    x_lo, x_hi, y_lo, y_hi = x_lo - pad_x, x_hi + pad_x, y_lo - pad_y, y_hi + pad_y
    ux, uy = (x_hi - x_lo) / PHONE_PLOT_PX[0], (y_hi - y_lo) / PHONE_PLOT_PX[1]  # data units per px
    dot = [(x - _MARKER_PX * ux, x + _MARKER_PX * ux, y - _MARKER_PX * uy, y + _MARKER_PX * uy) for x, y in zip(xs, ys)]

    def box(i: int, where: str) -> tuple[float, float, float, float]:
        w, h, g = len(str(names[i])) * _CHAR_PX * ux, _LINE_PX * uy, _GAP_PX
        x, y = xs[i], ys[i]
        vertical, side = where.split()
        if side == "center":
            left = x - w / 2
        elif side == "right":
            left = x + (g if vertical == "middle" else 0) * ux
        else:
            left = x - w - (g if vertical == "middle" else 0) * ux
        bottom = {"top": y + g * uy, "bottom": y - g * uy - h, "middle": y - h / 2}[vertical]
        return left, left + w, bottom, bottom + h

    def overlaps(a, b) -> bool:
        return a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]

    mid_x, mid_y = sum(xs) / len(xs), sum(ys) / len(ys)
    order = sorted(range(len(xs)), key=lambda i: -(((xs[i] - mid_x) / ux) ** 2 + ((ys[i] - mid_y) / uy) ** 2))
    placed: list[tuple[float, float, float, float]] = []
    positions: list[str | None] = [None] * len(xs)
    candidates = ("top center", "bottom center", "top right", "top left", "bottom right", "bottom left",
                  "middle right", "middle left")
    for i in order:
        for where in candidates:
            b = box(i, where)
            if b[0] < x_lo or b[1] > x_hi or b[2] < y_lo - pad_y or b[3] > y_hi + pad_y:
                continue
            if any(overlaps(b, p) for p in placed) or any(overlaps(b, d) for j, d in enumerate(dot) if j != i):
                continue
            positions[i] = where
            placed.append(b)
            break
    return positions


def scatter_fit(
    df: pd.DataFrame,
    *,
    x_col: str,
    y_col: str,
    name_col: str,
    fit: aa.Fit,
    x_title: str,
    y_title: str,
    x_text_col: str,
    y_text_col: str,
    height: int = 440,
) -> go.Figure:
    """Municipalities as labelled points (x = activity, y = change) and the fitted line.

    Rows without both values are left out of the chart (the table lists them as missing).
    """
    d = df.assign(_x=pd.to_numeric(df[x_col], errors="coerce"), _y=pd.to_numeric(df[y_col], errors="coerce"))
    d = d[d["_x"].notna() & d["_y"].notna()]
    colours = [GAIN if y > 0 else LOSS if y < 0 else "#8c8c8c" for y in d["_y"]]
    where = label_positions(d["_x"], d["_y"], d[name_col].astype(str).tolist())
    fig = go.Figure(
        go.Scatter(
            x=d["_x"], y=d["_y"], mode="markers+text",
            text=[str(n) if w else "" for n, w in zip(d[name_col], where)],
            textposition=[w or "top center" for w in where], cliponaxis=False,
            marker={"size": 10, "color": colours, "line": {"color": "#ffffff", "width": 1}},
            customdata=d[[name_col, x_text_col, y_text_col]].astype(str).to_numpy(),
            hovertemplate=f"<b>%{{customdata[0]}}</b><br>{x_title}: %{{customdata[1]}}<br>"
                          f"{y_title}: %{{customdata[2]}}<extra></extra>",
            name="kommuner",
        )
    )
    if fit.slope is not None and len(d):
        xs = np.linspace(float(d["_x"].min()), float(d["_x"].max()), 20)
        fig.add_trace(go.Scatter(
            x=xs, y=fit.line(xs), mode="lines", line={"color": "#444444", "dash": "dash", "width": 2},
            name="anpassad linje", hoverinfo="skip",
        ))
    fig.update_layout(
        height=height, margin={"l": 8, "r": 8, "t": 24, "b": 8}, separators=fmt.PLOTLY_SEPARATORS,
        showlegend=False, dragmode=False,
    )
    fig.update_xaxes(title={"text": x_title}, automargin=True, rangemode="tozero")
    fig.update_yaxes(title={"text": y_title}, automargin=True, zeroline=True, zerolinecolor="#444")
    return fig


# --- inputs the pages share (cached) -----------------------------------------------------------------


@st.cache_resource(show_spinner=False, max_entries=32)
def _campaign_years(types: tuple[str, ...], token: str) -> frozenset[int]:
    years: set[int] = set()
    for t in types:
        df = activity.current(t)
        if "valår" in df.columns:
            years |= {int(y) for y in df["valår"].dropna()}
    return frozenset(years)


def activity_period(types: Sequence[str]) -> tuple[int, int]:
    """The year pair an activity page opens on: the default pair (2022 → 2026) once there is
    activity data of `types` for its campaign, else the latest pair whose later year has some
    (the embedded evaluation is of the 2022 campaign); the default pair when none has."""
    pairs = q.year_pairs()
    years = _campaign_years(tuple(types), activity.token())
    with_data = [p for p in pairs if p[1] in years]
    if state.DEFAULT_PERIOD in with_data or not with_data:
        return state.default_pair(pairs)
    return with_data[-1]


def campaign_frame(name: str, year: int) -> pd.DataFrame:
    """Current rows of an activity type for one campaign (`valår`)."""
    return aa.for_campaign(activity.current(name), year)


def kommun_eligible(to_year: int) -> pd.DataFrame:
    """kommunkod, eligible: eligible voters in the kommun election of `to_year` (NA if absent)."""
    pairs = [p for p in q.year_pairs() if p[1] == to_year]
    if not pairs:
        return q.municipalities()[["kommunkod"]].assign(eligible=pd.NA)
    m = q.municipality_change("kommun", pairs[0][0], to_year, PARTY)
    return m[["kommunkod", "eligible_to"]].rename(columns={"eligible_to": "eligible"})


def district_results(election: str, from_year: int, to_year: int) -> pd.DataFrame:
    return q.run("county_district_change", election=election, from_year=from_year, to_year=to_year,
                 party=PARTY, county=COUNTY)


def districts(year: int = DISTRICT_GEO_YEAR) -> aa.Districts:
    return aa.load_districts(data_dir() / "geo" / f"valdistrikt_{COUNTY}_{year}.geojson")


@dataclass(frozen=True)
class PriorityCard:
    card: pd.DataFrame  # priority.scorecard's frame (shared: copy before changing it)
    seats: pd.DataFrame | None  # the seat margins used (None when the election has no votes)
    by_association: bool  # one row per association (an association file is loaded)


def priority_card(criteria, election: str, a: int, b: int, weights: dict, missing_zero: bool) -> PriorityCard:
    """The priority scorecard (issue 5) for an election and period with the given weights:
    per association when an association file is loaded, else per municipality. Used by
    Prioriteringar and by the booking calendar's coverage of priority associations."""
    from . import priority as P
    from .state import ELECTION_DEFINITE, period_text

    kommuner = q.municipalities()
    change = q.municipality_change(election, a, b, PARTY)
    seats = q.seat_margins(criteria.seat_election, b, PARTY)
    cabins = campaign_frame("valstugor", b)
    activists = campaign_frame("aktivister", b)
    inputs = P.municipal_inputs(kommuner, change, kommun_eligible(b), seats, activity.rentals(), activists, cabins,
                                criteria.peer_count)
    associations = activity.associations()
    by_association = len(associations) > 0
    if by_association:
        pos = aa.positioned(cabins)
        cabin_district = pd.Series(aa.district_of_points(pos["x"], pos["y"], districts()), index=pos.index,
                                   dtype="object").reindex(cabins.index)
        inputs = P.association_inputs(associations, inputs, activists, cabins, district_results(election, a, b),
                                      cabin_district)
    context = {"seat_text": f"kommunfullmäktige {b}",
               "change_text": f"i {ELECTION_DEFINITE[election]} {period_text((a, b))}"}
    card = P.scorecard(inputs, criteria, weights, context=context, missing_as_zero=missing_zero)
    return PriorityCard(card, seats, by_association)


def coverage_notes(election: str, from_year: int, to_year: int) -> list[str]:
    """The public coverage notes minus those about turnout, which these pages do not show."""
    return [n for n in q.notes_for(election, from_year, to_year) if "valdeltagande" not in n]
