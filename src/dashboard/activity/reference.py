"""Reference data the validator checks against, read from the warehouse under `data/`.

- municipalities: `population.parquet` (all 290, names of the latest year);
- voting districts of the county: `area_totals.parquet` district rows (every election year in
  the warehouse) and `geo/valdistrikt_01_2022.geojson`; with neither only the code format and
  the municipality prefix are checked;
- the county outline: `geo/lan.geojson`, or the union of the county's municipalities in
  `geo/kommuner.geojson`. Points are tested in SWEREF 99 TM with a tolerance of
  `TOLERANCE_M` metres, because the outlines are simplified.
"""
from __future__ import annotations

import difflib
import functools
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ValrummetError
from ..paths import data_dir

COUNTY_CODE = "01"
COUNTY_NAME = "Stockholms län"
TOLERANCE_M = 500.0



@functools.lru_cache(maxsize=1)
def _to_sweref():
    # pyproj and shapely (~19 MB with PROJ's context) are imported when a file is checked, not
    # when the module is: the public calendar imports the activity package and never checks.
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:4326", "EPSG:3006", always_xy=True)


def name_key(text: str) -> str:
    """Municipality spelling → lookup key ('Upplands-Väsby ' → 'upplands väsby')."""
    s = unicodedata.normalize("NFKC", text).casefold().replace("\u00a0", " ")
    s = re.sub(r"[-_–—.]+", " ", s)
    return re.sub(r"\s+", " ", s).strip()


def ascii_key(text: str) -> str:
    s = unicodedata.normalize("NFKD", name_key(text))
    return "".join(ch for ch in s if not unicodedata.combining(ch))


@dataclass
class Reference:
    kommuner: pd.DataFrame  # kommunkod, kommun, county_code — all municipalities
    districts: pd.DataFrame  # district_code, kommunkod — county voting districts (may be empty)
    county_geom: shapely.Geometry | None  # SWEREF 99 TM, buffered by TOLERANCE_M
    kommun_geoms: dict[str, shapely.Geometry]  # county municipalities, SWEREF 99 TM, buffered
    sources: list[str]
    _names: dict[str, str] = field(default_factory=dict, repr=False)
    _ascii: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self):
        for code, name in zip(self.kommuner["kommunkod"], self.kommuner["kommun"]):
            self._names[name_key(name)] = code
            self._ascii.setdefault(ascii_key(name), code)
        self.name_of = dict(zip(self.kommuner["kommunkod"], self.kommuner["kommun"]))
        self.county_of = dict(zip(self.kommuner["kommunkod"], self.kommuner["county_code"]))
        self.district_codes = frozenset(self.districts["district_code"])

    @property
    def county_kommuner(self) -> pd.DataFrame:
        return self.kommuner[self.kommuner["county_code"] == COUNTY_CODE].reset_index(drop=True)

    def lookup(self, raw: str) -> tuple[str | None, str | None]:
        """One municipality cell → (kommunkod, None) or (None, Swedish problem)."""
        text = raw.strip()
        m = re.fullmatch(r"(\d{1,4})(?:\.0)?(?:\s+\D.*)?", text)  # "114" (Excel ate the zero), "0114 Upplands Väsby"
        if m:
            code = m.group(1).zfill(4)
            if code not in self.name_of:
                return None, f"'{raw}' är ingen kommunkod"
        else:
            key = name_key(text)
            key = re.sub(r"\s+(kommun|stad)$", "", key)
            code = (
                self._names.get(key)
                or (self._names.get(key[:-1]) if key.endswith("s") else None)  # genitive: "Stockholms stad"
                or self._ascii.get(ascii_key(key))
            )
            if code is None:
                return None, f"'{raw}' är ingen känd kommun{self._suggest(key)}"
        if self.county_of[code] != COUNTY_CODE:
            which = code if name_key(self.name_of[code]) == name_key(text) else f"{self.name_of[code]}, {code}"
            return None, f"'{raw}' ({which}) ligger inte i {COUNTY_NAME}"
        return code, None

    def _suggest(self, key: str) -> str:
        county = self.county_kommuner
        for pool in (county, self.kommuner):
            names = {name_key(n): n for n in pool["kommun"]}
            close = difflib.get_close_matches(key, list(names), n=1, cutoff=0.6)
            if close:
                return f" – menade du '{names[close[0]]}'?"
        return ""

    def in_county(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        if self.county_geom is None:
            raise ValrummetError(
                "Länets gräns saknas (data/geo/lan.geojson eller data/geo/kommuner.geojson). "
                "Kör 'python -m dashboard build' först."
            )
        import shapely

        x, y = _to_sweref().transform(lon, lat)
        return shapely.contains_xy(self.county_geom, x, y)

    def in_kommun(self, code: str, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        geom = self.kommun_geoms.get(code)
        if geom is None:
            return np.ones(len(lat), dtype=bool)
        import shapely

        x, y = _to_sweref().transform(lon, lat)
        return shapely.contains_xy(geom, x, y)


_FILES = ["population.parquet", "area_totals.parquet", "geo/lan.geojson", "geo/kommuner.geojson",
          "geo/valdistrikt_01_2022.geojson"]


def _stamp(directory: Path) -> tuple:
    """Identity of the warehouse files (real path after links, size, mtime): the cache key."""
    out = []
    for f in _FILES:
        p = (directory / f).resolve()
        st = p.stat() if p.exists() else None
        out.append((str(p), st.st_size if st else None, st.st_mtime_ns if st else None))
    return tuple(out)


def load_reference(directory: Path | None = None) -> Reference:
    """The reference for `directory` (default `data/`), re-read when a warehouse file changes."""
    directory = Path(directory or data_dir())
    stamp = _stamp(directory)
    return _load(stamp)


@functools.lru_cache(maxsize=4)
def _load(stamp: tuple) -> Reference:
    import shapely
    from shapely.geometry import shape

    paths = {f: Path(s[0]) for f, s in zip(_FILES, stamp)}
    pop_path = paths["population.parquet"]
    if not pop_path.exists():
        raise ValrummetError(
            f"Kommunregistret {pop_path} saknas, så kommunerna kan inte kontrolleras. "
            "Kör 'python -m dashboard build' först."
        )
    pop = pd.read_parquet(pop_path, columns=["kommunkod", "kommun", "county_code", "year"])
    latest = pop.sort_values("year").groupby("kommunkod", as_index=False).last()
    kommuner = latest[["kommunkod", "kommun", "county_code"]].astype(str).sort_values("kommunkod")
    sources = [str(pop_path)]

    districts = [pd.DataFrame({"district_code": pd.Series(dtype=str)})]
    totals_path = paths["area_totals.parquet"]
    if totals_path.exists():
        t = pd.read_parquet(totals_path, columns=["level", "area_code", "county_code", "is_collection"])
        t = t[(t["level"] == "district") & (t["county_code"] == COUNTY_CODE) & ~t["is_collection"].astype(bool)]
        districts.append(pd.DataFrame({"district_code": t["area_code"].astype(str)}))
        sources.append(str(totals_path))
    dist_geo = paths["geo/valdistrikt_01_2022.geojson"]
    if dist_geo.exists():
        feats = json.loads(dist_geo.read_text(encoding="utf-8"))["features"]
        districts.append(pd.DataFrame({"district_code": [str(f["properties"]["district_code"]) for f in feats]}))
        sources.append(str(dist_geo))
    dist = pd.concat(districts).drop_duplicates().reset_index(drop=True)
    dist["kommunkod"] = dist["district_code"].str[:4]

    county_geom, kommun_geoms = None, {}
    kommun_path = paths["geo/kommuner.geojson"]
    if kommun_path.exists():
        feats = json.loads(kommun_path.read_text(encoding="utf-8"))["features"]
        for f in feats:
            if str(f["properties"].get("county_code")) == COUNTY_CODE:
                kommun_geoms[str(f["properties"]["kommunkod"])] = _sweref_buffered(shape(f["geometry"]))
        sources.append(str(kommun_path))
    lan_path = paths["geo/lan.geojson"]
    if lan_path.exists():
        feats = json.loads(lan_path.read_text(encoding="utf-8"))["features"]
        parts = [shape(f["geometry"]) for f in feats if str(f["properties"].get("county_code")) == COUNTY_CODE]
        if parts:
            county_geom = _sweref_buffered(shapely.union_all(parts))
            sources.append(str(lan_path))
    if county_geom is None and kommun_geoms:
        county_geom = shapely.union_all(list(kommun_geoms.values()))
    if county_geom is not None:
        shapely.prepare(county_geom)
    for g in kommun_geoms.values():
        shapely.prepare(g)
    return Reference(kommuner.reset_index(drop=True), dist, county_geom, kommun_geoms, sources)


def _sweref_buffered(geom: shapely.Geometry) -> shapely.Geometry:
    import shapely

    def fn(xy: np.ndarray) -> np.ndarray:
        x, y = _to_sweref().transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, fn).buffer(TOLERANCE_M)
