"""Pure map builders (plotly graph_objects, no tile server: map_style "white-bg").

Every map takes a GeoJSON (a dict, or a URL the browser fetches once) plus a frame with one
row per area and preformatted hover text, and returns a `go.Figure`. Missing values are drawn
grey with "uppgift saknas" in the tooltip, never as 0; the tooltip and the page's table always
carry the numbers, so colour is never the only signal.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .fmt import MISSING, PLOTLY_SEPARATORS

# ColorBrewer RdBu (colour-blind safe): red = loss, blue = gain, white = no change.
DIVERGING = "RdBu"
SEQUENTIAL = "Blues"
TURNOUT = "Purples"
MISSING_FILL = "#d9d9d9"
BORDER = "#ffffff"
SELECTED_LINE = "#111111"


# The narrowest a map is drawn (a 390 px phone less the page's margins), and the height its
# legend or colour bar takes below the map from the figure's height: the zoom fits the whole
# area into what is left, so no map is cut flat at the top and bottom (Norrtälje, issue 18).
MAP_MIN_WIDTH = 358
LEGEND_PX = 44
COLORBAR_PX = 84


def view(bbox: Sequence[float], width_px: int = MAP_MIN_WIDTH, height_px: int = 420) -> tuple[dict, float]:
    """Center and zoom that fit `bbox` (west, south, east, north) into a map of at least
    `width_px` × `height_px` (MapLibre tiles are 512 px wide at zoom 0), with a margin."""
    west, south, east, north = bbox

    def merc(lat: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    lon_span = max(east - west, 1e-4)
    y_span = max(merc(north) - merc(south), 1e-6)
    zoom_x = math.log2(width_px * 360 / (512 * lon_span))
    zoom_y = math.log2(height_px * 2 * math.pi / (512 * y_span))
    mid_y = (merc(north) + merc(south)) / 2
    center_lat = math.degrees(2 * math.atan(math.exp(mid_y)) - math.pi / 2)
    return {"lon": (west + east) / 2, "lat": center_lat}, min(zoom_x, zoom_y) - 0.15


def subset(geojson: dict | str, featureidkey: str, ids) -> dict | str:
    """Only the features with these ids, so each trace carries its own shapes and the
    figure holds every shape once (a URL is passed through: the browser has the file)."""
    if isinstance(geojson, str):
        return geojson
    prop = featureidkey.split(".", 1)[1]
    wanted = set(ids)
    return {
        "type": "FeatureCollection",
        "features": [f for f in geojson["features"] if f["properties"].get(prop) in wanted],
    }


def symmetric_limit(values: pd.Series, minimum: float = 0.5) -> float:
    """A symmetric colour limit around 0: the largest |value|, rounded up to a half point."""
    finite = pd.to_numeric(values, errors="coerce").abs().dropna()
    top = float(finite.max()) if len(finite) else minimum
    return max(minimum, math.ceil(top * 2) / 2)


def _hover(labels: Sequence[str]) -> str:
    """hovertemplate showing customdata[1:] under the bold name in customdata[0]."""
    lines = ["<b>%{customdata[0]}</b>"]
    lines += [f"{label}: %{{customdata[{i + 1}]}}" for i, label in enumerate(labels)]
    return "<br>".join(lines) + "<extra></extra>"


def choropleth(
    geojson: dict | str,
    df: pd.DataFrame,
    *,
    id_col: str,
    featureidkey: str,
    value_col: str,
    name_col: str,
    hover: Sequence[tuple[str, str]],
    bbox: Sequence[float],
    colorbar_title: str,
    diverging: bool = False,
    colorscale: str | None = None,
    tick_suffix: str = "",
    selected: str | None = None,
    missing_reason_col: str | None = None,
    height: int = 460,
) -> go.Figure:
    """A choropleth of `value_col` per area.

    `hover` lists (label, column) pairs whose columns already hold Swedish text. Areas with a
    missing value are drawn grey; their tooltip says "uppgift saknas" (or the text in
    `missing_reason_col`). `selected` outlines one area.
    """
    labels = [label for label, _ in hover]
    text_cols = [col for _, col in hover]
    values = pd.to_numeric(df[value_col], errors="coerce")
    has = values.notna()
    custom = df[[name_col, *text_cols]].astype(str).to_numpy()
    center, zoom = view(bbox, height_px=height - COLORBAR_PX)

    traces = []
    if (~has).any():
        reason = df.loc[~has, missing_reason_col].astype(str) if missing_reason_col else MISSING
        missing_custom = np.column_stack(
            [df.loc[~has, name_col].astype(str).to_numpy(), np.broadcast_to(np.asarray(reason), (int((~has).sum()),))]
        )
        traces.append(
            go.Choroplethmap(
                geojson=subset(geojson, featureidkey, df.loc[~has, id_col]),
                featureidkey=featureidkey,
                locations=df.loc[~has, id_col],
                z=np.zeros(int((~has).sum())),
                colorscale=[[0, MISSING_FILL], [1, MISSING_FILL]],
                showscale=False,
                marker={"line": {"color": BORDER, "width": 0.8}},
                customdata=missing_custom,
                hovertemplate="<b>%{customdata[0]}</b><br>%{customdata[1]}<extra></extra>",
                name=MISSING,
            )
        )
    if has.any():
        if diverging:
            limit = symmetric_limit(values[has])
            scale = {"colorscale": colorscale or DIVERGING, "zmin": -limit, "zmax": limit, "zmid": 0}
        else:
            scale = {"colorscale": colorscale or SEQUENTIAL}
        traces.append(
            go.Choroplethmap(
                geojson=subset(geojson, featureidkey, df.loc[has, id_col]),
                featureidkey=featureidkey,
                locations=df.loc[has, id_col],
                z=values[has],
                **scale,
                marker={"line": {"color": BORDER, "width": 0.8}},
                customdata=custom[has.to_numpy()],
                hovertemplate=_hover(labels),
                colorbar={
                    "title": {"text": colorbar_title, "side": "top"},
                    "orientation": "h",
                    "y": -0.02,
                    "yanchor": "top",
                    "thickness": 12,
                    "len": 0.9,
                    "ticksuffix": tick_suffix,
                },
                name=colorbar_title,
            )
        )
    if selected is not None and (df[id_col] == selected).any():
        traces.append(
            go.Choroplethmap(
                geojson=subset(geojson, featureidkey, [selected]),
                featureidkey=featureidkey,
                locations=[selected],
                z=[0],
                colorscale=[[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]],
                showscale=False,
                marker={"line": {"color": SELECTED_LINE, "width": 3}},
                hoverinfo="skip",
                name="vald",
            )
        )
    fig = go.Figure(traces)
    fig.update_layout(
        map={"style": "white-bg", "center": center, "zoom": zoom},
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        height=height,
        separators=PLOTLY_SEPARATORS,
        showlegend=False,
        dragmode=False,
    )
    return fig


def category_map(
    geojson: dict | str,
    df: pd.DataFrame,
    *,
    id_col: str,
    featureidkey: str,
    category_col: str,
    categories: dict[str, str],
    name_col: str,
    hover: Sequence[tuple[str, str]],
    bbox: Sequence[float],
    height: int = 360,
) -> go.Figure:
    """Areas coloured by a category (category -> colour); the legend names each category."""
    center, zoom = view(bbox, height_px=height - LEGEND_PX)
    labels = [label for label, _ in hover]
    traces = []
    for category, colour in categories.items():
        sub = df[df[category_col] == category]
        if sub.empty:
            continue
        traces.append(
            go.Choroplethmap(
                geojson=subset(geojson, featureidkey, sub[id_col]),
                featureidkey=featureidkey,
                locations=sub[id_col],
                z=np.zeros(len(sub)),
                colorscale=[[0, colour], [1, colour]],
                showscale=False,
                showlegend=True,
                name=f"{category} ({len(sub)})",
                marker={"line": {"color": BORDER, "width": 0.8}},
                customdata=sub[[name_col, *[c for _, c in hover]]].astype(str).to_numpy(),
                hovertemplate=_hover(labels),
            )
        )
    fig = go.Figure(traces)
    fig.update_layout(
        map={"style": "white-bg", "center": center, "zoom": zoom},
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        height=height,
        separators=PLOTLY_SEPARATORS,
        legend={"orientation": "h", "y": -0.02, "yanchor": "top", "x": 0},
        dragmode=False,
    )
    return fig
