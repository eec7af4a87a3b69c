"""Map geometry: municipalities of Sweden, Stockholm County voting districts 2022, county outline.

Outputs (WGS84 lon/lat, RFC 7946 ring order, coordinates rounded to 5 decimals ≈ 1 m,
features sorted by code, one feature per line, no timestamps → byte-identical rebuilds):

- ``geo/kommuner.geojson``: 290 municipalities; ``kommunkod``, ``kommun``, ``county_code``.
- ``geo/valdistrikt_01_2022.geojson``: 1 378 districts; ``district_code``, ``district_name``,
  ``kommunkod``.
- ``geo/lan.geojson``: the outline of county 01 (union of its districts); ``county_code``.
- ``geo/valdistrikt_01_2022_centres.parquet``: each district's centre (``dashboard.build.centroids``).

Source choice for the 26 municipalities of Stockholm County. The brief suggested the oflyt
file (``geo_lan_kommuner_oflyt/Stockholms.geojson``); checked against the official voting
districts it does not line up: it is no finer than okfse (9–194 vertices per municipality,
okfse 7–104) and leaves out most water and archipelago (Värmdö 281 km² vs 2 999 km² for the
union of its districts and 1 639 km² in okfse; intersection-over-union with the districts
0.09–0.94, okfse 0.54–0.99), and its licence is CC BY-NC-SA 4.0. The finest source we have is
the districts themselves (Valmyndigheten's election geography, 115 456 vertices). So:

- districts: ``coverage_clean`` (the source has 44 mis-noded edges and 284 sliver gaps up to
  3 ha; gaps narrower than 50 m are merged into a neighbour), then ``coverage_simplify``
  (Visvalingam–Whyatt, shared edges stay shared, so no gaps or overlaps appear between
  neighbours), then reprojected EPSG:3006 → EPSG:4326;
- county-01 municipalities: the union of their simplified districts, so a district never
  sticks out of its municipality on screen;
- the other 264 municipalities: okfse as is (already simplified to 2 % with mapshaper;
  "feel free to reuse"), clipped where they overlap the county (8 municipalities, 0.35–2.6 km²
  each along the coarser okfse border), so no two municipalities overlap. Between okfse and the
  county there remain small gaps (up to a few hundred metres wide), invisible at country scale.
oflyt is not used and not listed as a source.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import mapping, shape

from ..errors import SourceFileError
from .centroids import district_centres, write_centres
from .sources import require_file, sha256

KOMMUNER_PATH = "geo_kommuner_okfse/swedish_municipalities.geojson"
DISTRICTS_PATH = "valmyndigheten_valdistrikt_geo_2022/VD_01_20220910_Val_20220911.json"
COUNTY = "01"
N_KOMMUNER = 290
N_DISTRICTS = 1378

DECIMALS = 5
GRID = 10.0**-DECIMALS
SIMPLIFY_TOLERANCE_M = 35  # √(area) of the removed triangles, in metres: ~1 MB, inner-city blocks stay recognisable
GAP_WIDTH_M = 50  # every sliver gap in the 2022 district file is narrower than this
WGS84_BOX = (10.0, 55.0, 24.5, 69.5)  # Sweden: 10.96–24.17 °E, 55.34–69.06 °N
SWEREF_BOX = (200_000.0, 6_100_000.0, 1_000_000.0, 7_700_000.0)

_SOURCES = {
    KOMMUNER_PATH: dict(
        id="geo_kommuner_okfse",
        origin="GitHub okfse/sweden-geojson, commit ff67bcb030d7d09032ae5f443d27130f05fdf1e0 (2020); "
        "mapshaper-simplified from an opendatasoft dataset converted from Valmyndigheten's data. "
        "Used for the 264 municipalities outside Stockholm County.",
        licence='No licence file; README: "Feel free to reuse".',
    ),
    DISTRICTS_PATH: dict(
        id="valmyndigheten_valdistrikt_geo_2022",
        origin="Valmyndigheten's election geography 2022 for Stockholm County, via GitHub hemphen/Val2022, "
        "commit 3bcfb1f5e998f22ba39fa77d0acf039603c804bd, member of valdistrikt/valdistrikt-stockholms-lan.zip. "
        "Used for the voting districts, the 26 county municipalities (dissolved) and the county outline.",
        licence="Official data (Valmyndigheten); the repository is MIT-licensed.",
    ),
}


def build_geo(raw_dir: Path, out_dir: Path) -> list[dict]:
    """Read the boundary files under ``raw_dir``, write ``out_dir/geo/*.geojson``, return the sources.

    Everything is read and checked before anything is written.
    """
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    kommuner = _read_kommuner(raw_dir / KOMMUNER_PATH)
    codes, names, geoms = _read_districts(raw_dir / DISTRICTS_PATH)

    county_kommuner = sorted(k for k, (_, lan, _) in kommuner.items() if lan == COUNTY)
    district_kommuner = sorted({c[:4] for c in codes})
    if district_kommuner != county_kommuner:
        raise SourceFileError(
            raw_dir / DISTRICTS_PATH,
            f"valdistrikten ska täcka länets {len(county_kommuner)} kommuner "
            f"({', '.join(county_kommuner)}), hittade {', '.join(district_kommuner)}",
        )

    # Clean and simplify in metres, as one coverage so neighbours keep shared edges.
    geoms = shapely.coverage_clean(geoms, gap_width=GAP_WIDTH_M)
    centres = district_centres(codes, names, geoms)  # before simplifying (the field map, issue 19)
    geoms = shapely.coverage_simplify(geoms, SIMPLIFY_TOLERANCE_M)
    kommunkod = np.array([c[:4] for c in codes])
    county_parts = {k: shapely.coverage_union_all(geoms[kommunkod == k]) for k in county_kommuner}

    district_rows = [
        ({"district_code": c, "district_name": n, "kommunkod": c[:4]}, _finish(g, c))
        for c, n, g in zip(codes, names, _to_wgs84(geoms))
    ]
    county_parts = {k: _finish(_to_wgs84(g), k) for k, g in county_parts.items()}
    # Union and clipping on the output grid, so the rounded shapes neither overlap nor leave slivers.
    county = shapely.union_all(list(county_parts.values()), grid_size=GRID)
    kommun_rows = []
    for k in sorted(kommuner):
        name, lan, g = kommuner[k]
        if lan == COUNTY:
            g = county_parts[k]
        elif g.intersects(county):
            g = shapely.difference(shapely.set_precision(g, GRID), county, grid_size=GRID)
        kommun_rows.append(({"kommunkod": k, "kommun": name, "county_code": lan}, _finish(g, k)))
    lan_rows = [({"county_code": COUNTY}, _finish(county, COUNTY))]

    geo_dir = out_dir / "geo"
    geo_dir.mkdir(parents=True, exist_ok=True)
    for fname, rows in (
        ("kommuner.geojson", kommun_rows),
        ("valdistrikt_01_2022.geojson", sorted(district_rows, key=lambda r: r[0]["district_code"])),
        ("lan.geojson", lan_rows),
    ):
        _write_atomic(geo_dir / fname, _feature_collection(rows))
    write_centres(centres, geo_dir)

    return [
        {"id": s["id"], "path": p, "sha256": sha256(raw_dir / p), "origin": s["origin"], "licence": s["licence"]}
        for p, s in _SOURCES.items()
    ]


# --- reading -----------------------------------------------------------------------------------

def _load_features(path: Path, expected: str) -> list[dict]:
    require_file(path)
    try:
        data = json.loads(path.read_bytes())
    except json.JSONDecodeError as exc:
        raise SourceFileError(
            path, f"ogiltig JSON på rad {exc.lineno}, kolumn {exc.colno} ({exc.msg}); väntade {expected}"
        ) from exc
    except UnicodeDecodeError as exc:
        raise SourceFileError(path, f"filen är inte UTF-8-text; väntade {expected}") from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(
        data.get("features"), list
    ):
        raise SourceFileError(path, f"filen är inte en GeoJSON FeatureCollection; väntade {expected}")
    return data["features"]


def _polygon(path: Path, index: int, code: str, geometry: object, box: tuple) -> shapely.Geometry:
    """Parse one feature's geometry; it must be a non-empty (Multi)Polygon inside ``box``."""
    where = f"objekt nr {index + 1} ({code})"
    try:
        g = shape(geometry)
    except Exception as exc:  # shapely raises several types for malformed coordinate arrays
        raise SourceFileError(path, f"{where}: geometrin kan inte läsas ({exc})") from exc
    if g.geom_type not in ("Polygon", "MultiPolygon") or g.is_empty:
        raise SourceFileError(path, f"{where}: väntade en icke-tom Polygon/MultiPolygon, hittade {g.geom_type}")
    x0, y0, x1, y1 = g.bounds
    if not (box[0] <= x0 and box[1] <= y0 and x1 <= box[2] and y1 <= box[3]):
        raise SourceFileError(
            path, f"{where}: koordinaterna ({x0:.0f}, {y0:.0f})–({x1:.0f}, {y1:.0f}) ligger utanför Sverige "
            f"i väntat koordinatsystem"
        )
    return g if g.is_valid else _polygonal(shapely.make_valid(g))


def _read_kommuner(path: Path) -> dict[str, tuple[str, str, shapely.Geometry]]:
    """okfse municipalities: {kommunkod: (name, county code, geometry in WGS84)}."""
    expected = f"GeoJSON med Sveriges {N_KOMMUNER} kommuner i WGS84 (egenskaperna id, kom_namn, lan_code)"
    out = {}
    for i, f in enumerate(_load_features(path, expected)):
        p = f.get("properties") if isinstance(f, dict) else None
        code, name, lan = (p.get("id"), p.get("kom_namn"), p.get("lan_code")) if isinstance(p, dict) else (None,) * 3
        if not (isinstance(code, str) and len(code) == 4 and code.isdigit() and isinstance(name, str) and name
                and lan == code[:2]):
            raise SourceFileError(
                path, f"objekt nr {i + 1}: väntade id (4 siffror), kom_namn och lan_code (= 2 första siffrorna), "
                f"hittade {p!r}"[:300]
            )
        if code in out:
            raise SourceFileError(path, f"kommunkoden {code} förekommer flera gånger")
        out[code] = (name, lan, _polygon(path, i, code, f.get("geometry"), WGS84_BOX))
    if len(out) != N_KOMMUNER:
        raise SourceFileError(path, f"väntade {N_KOMMUNER} kommuner, hittade {len(out)}")
    return out


def _read_districts(path: Path) -> tuple[list[str], list[str], np.ndarray]:
    """Voting districts 2022 (SWEREF 99 TM, no CRS declared), sorted by code."""
    expected = (f"GeoJSON med Stockholms läns {N_DISTRICTS} valdistrikt 2022 i SWEREF 99 TM "
                f"(egenskaperna Lkfv, Vdnamn)")
    rows = {}
    for i, f in enumerate(_load_features(path, expected)):
        p = f.get("properties") if isinstance(f, dict) else None
        code, name = (p.get("Lkfv"), p.get("Vdnamn")) if isinstance(p, dict) else (None, None)
        if not (isinstance(code, str) and len(code) == 8 and code.isdigit() and code[:2] == COUNTY
                and isinstance(name, str) and name):
            raise SourceFileError(
                path, f"objekt nr {i + 1}: väntade Lkfv (8 siffror, län {COUNTY}) och Vdnamn, hittade {p!r}"[:300]
            )
        if code in rows:
            raise SourceFileError(path, f"valdistriktskoden {code} förekommer flera gånger")
        rows[code] = (name.strip(), _polygon(path, i, code, f.get("geometry"), SWEREF_BOX))
    if len(rows) != N_DISTRICTS:
        raise SourceFileError(path, f"väntade {N_DISTRICTS} valdistrikt, hittade {len(rows)}")
    codes = sorted(rows)
    return codes, [rows[c][0] for c in codes], np.array([rows[c][1] for c in codes], dtype=object)


# --- geometry ----------------------------------------------------------------------------------

_TO_WGS84 = Transformer.from_crs("EPSG:3006", "EPSG:4326", always_xy=True)


def _to_wgs84(geoms):
    def fn(xy: np.ndarray) -> np.ndarray:
        lon, lat = _TO_WGS84.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(geoms, fn)


def _polygonal(g: shapely.Geometry) -> shapely.Geometry:
    """Keep only the polygon parts (make_valid may return lines or points next to them)."""
    if g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _finish(g: shapely.Geometry, code: str) -> shapely.Geometry:
    """Round to the output grid, repair if rounding broke it, orient rings as RFC 7946 asks."""
    r = shapely.set_precision(g, GRID)
    if not r.is_valid or r.geom_type not in ("Polygon", "MultiPolygon"):
        r = _polygonal(shapely.make_valid(r))
    if r.is_empty or not r.is_valid:
        raise RuntimeError(f"geometry for {code} became empty or invalid after rounding")
    return shapely.orient_polygons(r)


# --- writing -----------------------------------------------------------------------------------

def _round(obj):
    if isinstance(obj, float):
        return round(obj, DECIMALS)
    return [_round(o) for o in obj]


def _feature_collection(rows: list[tuple[dict, shapely.Geometry]]) -> bytes:
    lines = []
    for props, geom in rows:
        m = mapping(geom)
        feature = {"type": "Feature", "properties": props,
                   "geometry": {"type": m["type"], "coordinates": _round(m["coordinates"])}}
        lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    return ('{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n").encode("utf-8")


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
