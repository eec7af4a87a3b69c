"""Pure chart builders (plotly graph_objects: ~1 ms per figure, where plotly.express takes
20–30 ms). Inputs are frames whose text columns are already formatted in Swedish; every bar
carries its value as text, so colour is never the only signal.
"""
from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .fmt import MISSING, PLOTLY_SEPARATORS

GAIN = "#2166ac"  # RdBu ends, matching the change maps
LOSS = "#b2182b"
NEUTRAL = "#8c8c8c"
BAR = "#4a6fa5"
REFERENCE = "#444444"
UP_DOWN = {"upp": GAIN, "ned": LOSS, "oförändrad": NEUTRAL, "saknas": "#d9d9d9"}


def _base_layout(fig: go.Figure, height: int) -> None:
    fig.update_layout(
        height=height,
        margin={"l": 8, "r": 8, "t": 32, "b": 8},
        separators=PLOTLY_SEPARATORS,
        showlegend=False,
        bargap=0.25,
        dragmode=False,
    )


def _room_for_labels(values) -> list[float]:
    """An x range with space beyond the longest bars for the value printed outside them
    (on a phone the label would otherwise be clipped)."""
    v = pd.to_numeric(pd.Series(list(values)), errors="coerce").dropna()
    lo, hi = (min(0.0, float(v.min())), max(0.0, float(v.max()))) if len(v) else (0.0, 1.0)
    span = (hi - lo) or 1.0
    pad = 0.35 * span
    return [lo - (pad if lo < 0 else 0), hi + (pad if hi > 0 or lo == 0 else 0)]


def ranked_bars(
    df: pd.DataFrame,
    *,
    value_col: str,
    text_col: str,
    name_col: str,
    x_title: str,
    signed: bool = True,
    highlight: str | None = None,
    mark_col: str | None = None,
    mark: str = " (prel.)",
) -> go.Figure:
    """Horizontal bars, largest at the top, value printed at each bar; missing values
    listed at the bottom with "uppgift saknas" instead of a bar. Rows where the boolean
    `mark_col` is true get `mark` after their name (e.g. a preliminary count): beside the
    name, where there is room on a phone, rather than after the value."""
    d = df.assign(_v=pd.to_numeric(df[value_col], errors="coerce"))
    # plotly draws the first category at the bottom: missing rows first, then ascending,
    # so the largest value ends up at the top
    d = pd.concat([d[d["_v"].isna()], d[d["_v"].notna()].sort_values("_v")])
    colours = [
        NEUTRAL if pd.isna(v) else (GAIN if v > 0 else LOSS if v < 0 else NEUTRAL) if signed else BAR
        for v in d["_v"]
    ]
    marked = d[mark_col].fillna(False).astype(bool) if mark_col and mark_col in d else [False] * len(d)
    names = [
        (f"<b>{n}</b>" if highlight is not None and n == highlight else n) + (mark if m else "")
        for n, m in zip(d[name_col], marked)
    ]
    fig = go.Figure(
        go.Bar(
            x=d["_v"].fillna(0),
            y=names,
            orientation="h",
            marker={"color": colours},
            text=d[text_col],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{text}<extra></extra>",
        )
    )
    _base_layout(fig, height=max(260, 22 * len(d) + 60))
    fig.update_xaxes(
        title={"text": x_title}, zeroline=True, zerolinecolor="#444", automargin=True,
        range=_room_for_labels(d["_v"]),
    )
    fig.update_yaxes(automargin=True, tickfont={"size": 12})
    return fig


def small_multiples(
    df: pd.DataFrame,
    *,
    facet_col: str,
    facets: Sequence[tuple[str, str]],
    name_col: str,
    value_col: str,
    text_col: str,
    x_title: str,
    reference_name: str | None = None,
    signed: bool = False,
    mark_col: str | None = None,
    mark: str = " (prel.)",
) -> go.Figure:
    """One panel per facet (e.g. per election), stacked vertically so phones can read it.

    Each panel has one horizontal bar per name in the order of `df`; the reference row
    (the county) is dark grey with a hatch pattern and its name says "referens". A name whose
    row has the boolean `mark_col` true gets `mark` in that panel (a preliminary count).
    """
    fig = make_subplots(
        rows=len(facets), cols=1, shared_xaxes=True, vertical_spacing=0.08,
        subplot_titles=[title for _, title in facets],
    )
    names = list(dict.fromkeys(df[name_col]))
    for i, (facet, _) in enumerate(facets, start=1):
        sub = df[df[facet_col] == facet].set_index(name_col).reindex(names)
        values = pd.to_numeric(sub[value_col], errors="coerce")
        is_ref = [n == reference_name for n in names]
        colours = [
            REFERENCE if ref else (GAIN if v > 0 else LOSS if v < 0 else NEUTRAL) if signed and pd.notna(v) else
            (NEUTRAL if pd.isna(v) else BAR)
            for v, ref in zip(values, is_ref)
        ]
        marked = sub[mark_col].fillna(False).astype(bool) if mark_col and mark_col in sub else [False] * len(names)
        fig.add_trace(
            go.Bar(
                x=values.fillna(0),
                y=[n + (mark if m else "") for n, m in zip(names, marked)],
                orientation="h",
                marker={"color": colours, "pattern": {"shape": ["/" if r else "" for r in is_ref]}},
                text=sub[text_col].fillna(MISSING),
                textposition="outside",
                cliponaxis=False,
                hovertemplate="%{y}: %{text}<extra></extra>",
            ),
            row=i, col=1,
        )
        fig.update_yaxes(autorange="reversed", automargin=True, row=i, col=1)
    _base_layout(fig, height=len(facets) * (28 * len(names) + 70) + 40)
    fig.update_xaxes(
        zeroline=True, zerolinecolor="#444", automargin=True,
        range=_room_for_labels(df.loc[df[facet_col].isin([f for f, _ in facets]), value_col]),
    )
    fig.update_xaxes(title={"text": x_title}, row=len(facets), col=1)
    return fig


def direction_bars(counts: pd.DataFrame) -> go.Figure:
    """Per election, how many municipalities went up / down / stayed / lack figures.

    `counts` has columns val, upp, ned, oförändrad, saknas (one row per election)."""
    fig = go.Figure()
    labels = {"upp": "upp", "ned": "ned", "oförändrad": "oförändrad", "saknas": "uppgift saknas"}
    for col, label in labels.items():
        if col not in counts or not counts[col].any():
            continue
        fig.add_trace(
            go.Bar(
                y=counts["val"],
                x=counts[col],
                orientation="h",
                name=label,
                marker={"color": UP_DOWN[col]},
                text=[f"{n} {label}" if n else "" for n in counts[col]],
                textposition="inside",
                insidetextanchor="middle",
                hovertemplate="%{y}: %{x} kommuner " + label + "<extra></extra>",
            )
        )
    _base_layout(fig, height=200)
    # No legend: every segment says "12 upp" / "14 ned" in words.
    fig.update_layout(barmode="stack")
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(title={"text": "Antal kommuner"})
    return fig
