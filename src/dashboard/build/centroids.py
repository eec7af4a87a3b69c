"""Voting-district centres for the field map (issue 19), computed once at build time.

``geo/valdistrikt_01_2022_centres.parquet``, one row per 2022 voting district of Stockholm
County, sorted by code:

| column | meaning |
|---|---|
| ``district_code``, ``district_name``, ``kommunkod`` | as in ``valdistrikt_01_2022.geojson`` |
| ``x``, ``y`` | centroid in SWEREF 99 TM (EPSG:3006), metres: distances are measured here |
| ``lon``, ``lat`` | the same centroid in WGS84 |
| ``place_lon``, ``place_lat`` | a point inside the district (the centroid when it lies inside, |
| | otherwise shapely's ``point_on_surface``): where a cabin placed "in the district" goes |
| ``area_km2`` | area in km² (SWEREF 99 TM) |

The centres come from Valmyndigheten's polygons after the same cleaning as the map file
(sliver gaps merged) but before simplification, so they do not move when the map is simplified
more or less. Coordinates are rounded to 0.1 m and 1e-6° (≈ 0.1 m), so a rebuild is
byte-identical.

``python -m dashboard.build.centroids`` writes the table from the raw file alone (the full build
writes it too, from ``dashboard.build.geo``).
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

CENTRES_FILE = "valdistrikt_01_2022_centres.parquet"
COLUMNS = ["district_code", "district_name", "kommunkod", "x", "y", "lon", "lat", "place_lon", "place_lat",
           "area_km2"]

_TO_WGS84 = Transformer.from_crs("EPSG:3006", "EPSG:4326", always_xy=True)


def district_centres(codes: list[str], names: list[str], geoms: np.ndarray) -> pd.DataFrame:
    """The centres table from polygons in SWEREF 99 TM (same order as `codes`)."""
    geoms = np.asarray(geoms, dtype=object)
    cent = shapely.centroid(geoms)
    inside = shapely.contains_xy(geoms, shapely.get_x(cent), shapely.get_y(cent))
    place = np.where(inside, cent, shapely.point_on_surface(geoms))
    x, y = shapely.get_x(cent), shapely.get_y(cent)
    lon, lat = _TO_WGS84.transform(x, y)
    plon, plat = _TO_WGS84.transform(shapely.get_x(place), shapely.get_y(place))
    df = pd.DataFrame({
        "district_code": pd.array(codes, dtype="string"),
        "district_name": pd.array(names, dtype="string"),
        "kommunkod": pd.array([c[:4] for c in codes], dtype="string"),
        "x": np.round(x, 1),
        "y": np.round(y, 1),
        "lon": np.round(lon, 6),
        "lat": np.round(lat, 6),
        "place_lon": np.round(plon, 6),
        "place_lat": np.round(plat, 6),
        "area_km2": np.round(shapely.area(geoms) / 1e6, 4),
    })
    return df.sort_values("district_code").reset_index(drop=True)[COLUMNS]


def write_centres(frame: pd.DataFrame, geo_dir: Path) -> Path:
    """Write the table atomically to `geo_dir/CENTRES_FILE`."""
    geo_dir.mkdir(parents=True, exist_ok=True)
    path = geo_dir / CENTRES_FILE
    tmp = path.with_name(path.name + ".tmp")
    frame.to_parquet(tmp, index=False, compression="zstd")
    os.replace(tmp, path)
    return path


def build_centres(raw_dir: Path, out_dir: Path) -> Path:
    """Read the raw district file, clean it as the map build does, write the centres."""
    from .geo import DISTRICTS_PATH, GAP_WIDTH_M, _read_districts

    codes, names, geoms = _read_districts(Path(raw_dir) / DISTRICTS_PATH)
    geoms = shapely.coverage_clean(geoms, gap_width=GAP_WIDTH_M)
    return write_centres(district_centres(codes, names, geoms), Path(out_dir) / "geo")


def main(argv: list[str] | None = None) -> int:
    from ..paths import data_dir, raw_dir

    p = argparse.ArgumentParser(description="Skriv valdistriktens mittpunkter (data/geo) från rådatafilen.")
    p.add_argument("--raw", type=Path, default=raw_dir(), help="mappen med rådata (../shared/data/raw)")
    p.add_argument("--out", type=Path, default=data_dir(), help="datamappen (data/)")
    args = p.parse_args(argv)
    print(build_centres(args.raw, args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
