"""Pure pydeck builders: the field map (issue 19).

Works with no internet: `map_provider=None` and pydeck's default map style (Streamlit's
placeholder, which draws no base map; an explicit `map_style=None` makes Streamlit fetch a
CARTO style). A base map is drawn only when a tile URL is configured (`VALRUMMET_TILE_URL`,
docs/deploy.md): a MapLibre style with that one raster source, as a data: URL in the spec, which
Streamlit draws under the layers.

The district geometry is not in the chart: the layers load the static GeoJSON by URL, so the
browser fetches it once and caches it, and a rerun sends only the colours. deck.gl's
`colorCategories` (registered by Streamlit) maps each feature's `district_code` to its colour,
which travels as two short lists (codes, colours). Outlines are a second, non-pickable layer on
the same URL: picking a stroked layer cost ~0.7 s per click in software WebGL, longer than a
click may take.
"""
from __future__ import annotations

import json
import urllib.parse
from collections.abc import Sequence

import pandas as pd
import pydeck as pdk

WHITE = [255, 255, 255, 255]
KOMMUN_LINE = [60, 60, 60, 255]
CABIN_FILL = [255, 176, 0, 255]  # the cabin colour of the older plotly map (#ffb000)
CABIN_SELECTED = [176, 0, 32, 255]  # the app's primary red
CABIN_LINE = [17, 17, 17, 255]
CATCHMENT_FILL = [255, 176, 0, 45]
CATCHMENT_LINE = [120, 80, 0, 200]

# One template for every pickable layer (Streamlit's tooltip is per chart): the districts'
# GeoJSON properties and the cabins' records both carry these two keys.
TOOLTIP = {
    "html": "<b>{district_name}</b><br/>{district_code}",
    "style": {"backgroundColor": "#ffffff", "color": "#111111", "fontSize": "13px",
              "border": "1px solid #999999", "padding": "6px"},
}
DISTRICT_LAYER = "valdistrikt"
CABIN_LAYER = "valstugor"


class RenderedDeck:
    """A finished deck as the JSON `st.pydeck_chart` sends (pydeck's pretty-printed JSON,
    compacted), built once per selection and reused by every rerun. Duck-types the parts of
    `pydeck.Deck` Streamlit reads: `to_json()`, `_tooltip`, `layers`, `mapbox_key`."""

    layers: list = []
    mapbox_key = None

    def __init__(self, deck: pdk.Deck, tooltip: dict, map_style: dict | None = None):
        spec = json.loads(deck.to_json())
        if map_style is not None:
            # Streamlit takes the style as a string (it calls .includes on it); MapLibre fetches a
            # data: URL like any other, so the style travels inside the spec.
            spec["mapStyle"] = "data:application/json," + urllib.parse.quote(
                json.dumps(map_style, separators=(",", ":")), safe="")
        self._json = json.dumps(spec, ensure_ascii=False, separators=(",", ":"))
        self._tooltip = tooltip

    def to_json(self) -> str:
        return self._json

    def spec(self) -> dict:
        return json.loads(self._json)


def _categories(attr: str, values: dict, others) -> dict:
    """deck.gl's colorCategories: value of feature property `attr` -> value; `others` for the rest."""
    return {"@@function": "colorCategories", "attr": attr, "domain": list(values), "colors": list(values.values()),
            "othersColor": others, "nullColor": others}


def field_map(
    *,
    districts_geo: str | dict,
    kommuner_geo: str | dict,
    fill: dict[str, list[int]],
    missing_fill: list[int],
    outlines: dict[str, tuple[list[int], float]],
    cabins: pd.DataFrame,
    radius_m: float,
    kommuner: Sequence[str],
    center: dict,
    zoom: float,
    token: str,
    tile_url: str | None = None,
    tile_attribution: str = "",
    height: int = 520,
) -> RenderedDeck:
    """The field map.

    `fill`: district_code -> RGBA; `outlines`: district_code -> (RGBA, width px) for districts
    drawn with a heavier border (door-knocked, selected); `kommuner`: the municipality codes whose
    border is drawn; `cabins`: lon, lat, district_name (the
    cabin's name, for the tooltip), district_code (its description), selected (bool);
    `token` changes whenever the colours or outlines change (deck.gl compares accessor
    functions only through updateTriggers).
    """
    layers = []
    layers.append(pdk.Layer(
        "GeoJsonLayer", id=DISTRICT_LAYER, data=districts_geo, pickable=True, filled=True, stroked=False,
        opacity=0.75 if tile_url else 1.0,
        get_fill_color=_categories("district_code", fill, missing_fill),
        update_triggers={"getFillColor": f"fill-{token}"},
    ))
    line_colour = {c: v[0] for c, v in outlines.items()}
    line_width = {c: v[1] for c, v in outlines.items()}
    layers.append(pdk.Layer(
        "GeoJsonLayer", id="distriktsgranser", data=districts_geo, pickable=False, filled=False, stroked=True,
        line_width_units="'pixels'",
        get_line_color=_categories("district_code", line_colour, WHITE),
        get_line_width=_categories("district_code", line_width, 0.6),
        update_triggers={"getLineColor": f"line-{token}", "getLineWidth": f"width-{token}"},
    ))
    # The file holds all of Sweden's municipalities; only the county's get a border.
    layers.append(pdk.Layer(
        "GeoJsonLayer", id="kommungranser", data=kommuner_geo, pickable=False, filled=False, stroked=True,
        line_width_units="'pixels'", get_line_width=1.6,
        get_line_color=_categories("kommunkod", {k: KOMMUN_LINE for k in kommuner}, [0, 0, 0, 0]),
        update_triggers={"getLineColor": "-".join(kommuner)},
    ))
    records = _cabin_records(cabins)
    if records:
        layers.append(pdk.Layer(
            "ScatterplotLayer", id="upptagning", data=records, pickable=False, filled=True, stroked=True,
            get_position="[lon, lat]", get_radius=float(radius_m), radius_units="'meters'",
            get_fill_color=CATCHMENT_FILL, get_line_color=CATCHMENT_LINE, line_width_min_pixels=1,
        ))
        layers.append(pdk.Layer(
            "ScatterplotLayer", id=CABIN_LAYER, data=records, pickable=True, filled=True, stroked=True,
            get_position="[lon, lat]", get_radius=7, radius_units="'pixels'", line_width_min_pixels=2,
            get_fill_color="colour", get_line_color=CABIN_LINE,
        ))
    deck = pdk.Deck(
        layers=layers,
        map_provider=None,  # and the default map_style: no style, no tiles fetched (see above)
        initial_view_state=pdk.ViewState(latitude=round(center["lat"], 5), longitude=round(center["lon"], 5),
                                         zoom=round(zoom, 2), height=height),
        tooltip=TOOLTIP,
    )
    return RenderedDeck(deck, TOOLTIP, base_style(tile_url, tile_attribution) if tile_url else None)


def base_style(tile_url: str, attribution: str = "") -> dict:
    """A MapLibre style with one raster tile source ({z}/{x}/{y} URL template)."""
    source = {"type": "raster", "tiles": [tile_url], "tileSize": 256}
    if attribution:
        source["attribution"] = attribution
    return {"version": 8, "sources": {"bakgrund": source},
            "layers": [{"id": "bakgrund", "type": "raster", "source": "bakgrund"}]}


def _cabin_records(cabins: pd.DataFrame) -> list[dict]:
    if cabins is None or cabins.empty:
        return []
    out = []
    for r in cabins.itertuples(index=False):
        out.append({
            "lon": round(float(r.lon), 6), "lat": round(float(r.lat), 6),
            "district_name": str(r.district_name), "district_code": str(r.district_code),
            "colour": CABIN_SELECTED if bool(r.selected) else CABIN_FILL,
        })
    return out


def view_for(bbox: Sequence[float], width_px: int = 380, height_px: int = 420) -> tuple[dict, float]:
    """Center and zoom that fit `bbox` (deck.gl and MapLibre share 512-px web-mercator tiles)."""
    from .maps import view

    return view(bbox, width_px, height_px)
