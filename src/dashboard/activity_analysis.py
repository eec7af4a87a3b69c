"""Campaign activity beside the results: the numbers behind the internal pages (issue 4).

Pure functions on DataFrames (no Streamlit): the pages pass in the activity frames
(`dashboard.activity`) and warehouse frames (named queries) and lay out what comes back.

Conventions:
* One row per municipality of the county, always all of them: a municipality without a figure
  keeps its row with NA ("uppgift saknas"), never 0. Sums use `min_count=1` for that reason.
* Activity rows count for the campaign of their `valår`; the pages pass the later year of the
  chosen period (the election the effort was for).
* Rates use the eligible voters of the kommun election of that year (röstberättigade i
  kommunvalet), as the 2023 evaluation did.
* Positions are projected to SWEREF 99 TM (EPSG:3006, metres). Cabin coverage, gaps and the
  door-knocking measures of the field map are in `dashboard.field`.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry import shape

_TO_SWEREF = Transformer.from_crs("EPSG:4326", "EPSG:3006", always_xy=True)


# --- small helpers ----------------------------------------------------------------------------


def for_campaign(df: pd.DataFrame, year: int) -> pd.DataFrame:
    """Rows of one campaign (`valår`); rows without a year are left out (unknown campaign)."""
    if "valår" not in df.columns:
        return df
    return df[df["valår"].eq(year).fillna(False)].copy()


def _sum(s: pd.Series):
    """Sum that stays NA when no value is known (missing is not zero)."""
    return s.sum(min_count=1)


def _per(num: pd.Series, den: pd.Series, scale: float) -> pd.Series:
    num = pd.to_numeric(num, errors="coerce").astype("float64")
    den = pd.to_numeric(den, errors="coerce").astype("float64")
    return (num / den.where(den > 0) * scale).astype("float64")


def per_kommun(df: pd.DataFrame, columns: dict[str, str], kommuner: pd.DataFrame) -> pd.DataFrame:
    """Sum `columns` (source -> target name) per municipality; every municipality of `kommuner`
    gets a row, NA where the file has none."""
    base = kommuner[["kommunkod"]].copy()
    if df.empty:
        for target in columns.values():
            base[target] = pd.array([pd.NA] * len(base), dtype="Float64")
        base["rows"] = 0
        return base
    agg = df.groupby("kommunkod").agg(
        **{target: (source, _sum) for source, target in columns.items()}, rows=("kommunkod", "size")
    ).reset_index()
    out = base.merge(agg, on="kommunkod", how="left")
    out["rows"] = out["rows"].fillna(0).astype("int64")
    return out


# --- association, not proof: r, n and a fitted line -----------------------------------------------


@dataclass(frozen=True)
class Fit:
    """Pearson's r and a least-squares line y = slope·x + intercept over the n complete pairs."""

    n: int
    r: float | None
    slope: float | None
    intercept: float | None

    def line(self, xs) -> np.ndarray | None:
        if self.slope is None:
            return None
        return self.slope * np.asarray(xs, dtype="float64") + self.intercept


def fit_line(x, y) -> Fit:
    """r and the fitted line on the pairs where both values are known (NA pairs are dropped).

    Fewer than three pairs, or no spread in x or y, give no r and no line.
    """
    xs = pd.to_numeric(pd.Series(x), errors="coerce").astype("float64").to_numpy()
    ys = pd.to_numeric(pd.Series(y), errors="coerce").astype("float64").to_numpy()
    ok = np.isfinite(xs) & np.isfinite(ys)
    xs, ys = xs[ok], ys[ok]
    n = int(ok.sum())
    if n < 3 or np.ptp(xs) == 0 or np.ptp(ys) == 0:
        return Fit(n, None, None, None)
    r = float(np.corrcoef(xs, ys)[0, 1])
    slope, intercept = np.polyfit(xs, ys, 1)
    return Fit(n, r, float(slope), float(intercept))


def strength_text(fit: Fit) -> str:
    """A plain Swedish reading of r (conventional bands; says nothing about cause)."""
    if fit.r is None:
        return "för få kommuner med uppgift för att räkna ett samband"
    a = abs(fit.r)
    size = "inget tydligt" if a < 0.1 else "svagt" if a < 0.3 else "måttligt" if a < 0.5 else "starkt"
    if size == "inget tydligt":
        return "inget tydligt samband"
    return f"{size} {'positivt' if fit.r > 0 else 'negativt'} samband"


# --- newspapers --------------------------------------------------------------------------------


def newspapers_per_voter(news: pd.DataFrame, eligible: pd.DataFrame, kommuner: pd.DataFrame) -> pd.DataFrame:
    """Copies per eligible voter per municipality.

    `news`: validated newspaper rows of one campaign; `eligible`: kommunkod, eligible (kommun
    election of that year). Counted copies are the distributed ones where given, else the
    printed ones; a stated ratio (`ex_per_röstberättigad`, as in the 2023 evaluation) is taken
    as it is. Columns: kommunkod, copies (counted, NA if only a ratio is known), per_voter,
    basis (what the figure rests on), approx, rows.
    """
    base = kommuner[["kommunkod"]].merge(eligible[["kommunkod", "eligible"]], on="kommunkod", how="left")
    if news.empty:
        out = base.assign(copies=pd.NA, per_voter=np.nan, basis=pd.NA, approx=pd.NA, rows=0)
        return out.astype({"copies": "Int64", "per_voter": "float64", "basis": "string", "approx": "boolean"})
    n = news.copy()
    distributed = pd.to_numeric(n["utdelade"], errors="coerce")
    printed = pd.to_numeric(n["tryckta"], errors="coerce")
    n["_copies"] = distributed.where(distributed.notna(), printed)
    n["_basis"] = np.select(
        [distributed.notna(), printed.notna(), n["ex_per_röstberättigad"].notna()],
        ["utdelade exemplar", "tryckta exemplar", "uppgiven kvot"],
        default="",
    )
    n["_approx"] = n["ungefärligt"].fillna(False).astype(bool)
    g = n.groupby("kommunkod").agg(
        copies=("_copies", _sum),
        ratio=("ex_per_röstberättigad", _sum),
        basis=("_basis", lambda s: " + ".join(sorted({b for b in s if b}))),
        approx=("_approx", "any"),
        rows=("kommunkod", "size"),
    ).reset_index()
    out = base.merge(g, on="kommunkod", how="left")
    from_counts = _per(out["copies"], out["eligible"], 1.0)
    ratio = pd.to_numeric(out["ratio"], errors="coerce").astype("float64")
    out["per_voter"] = from_counts.add(ratio, fill_value=0).where(from_counts.notna() | ratio.notna())
    out["copies"] = pd.to_numeric(out["copies"], errors="coerce").round().astype("Int64")
    out["basis"] = out["basis"].replace("", pd.NA).astype("string")
    out["rows"] = out["rows"].fillna(0).astype("int64")
    out["approx"] = out["approx"].astype("boolean").where(out["rows"] > 0)
    return out[["kommunkod", "eligible", "copies", "per_voter", "basis", "approx", "rows"]]


def beside_change(kommuner: pd.DataFrame, activity: pd.DataFrame, change: pd.DataFrame) -> pd.DataFrame:
    """Every municipality: its name, the activity columns and the party's share and change."""
    keep = [c for c in ("kommunkod", "share_from", "share_to", "change_pp", "count_status_to") if c in change]
    out = kommuner[["kommunkod", "kommun"]].merge(activity, on="kommunkod", how="left")
    return out.merge(change[keep], on="kommunkod", how="left")


# --- door knocking, phone banks, activists ---------------------------------------------------------


def activity_per_kommun(
    doors: pd.DataFrame, calls: pd.DataFrame, activists: pd.DataFrame, eligible: pd.DataFrame, kommuner: pd.DataFrame
) -> pd.DataFrame:
    """Doors, conversations, calls, activists per municipality, and rates per eligible voters."""
    d = per_kommun(doors, {"dörrar": "doors", "samtal": "door_talks", "tillfällen": "door_events"}, kommuner)
    c = per_kommun(calls, {"samtal": "calls", "besvarade": "answered"}, kommuner)
    a = per_kommun(activists, {"aktiva": "activists", "medlemmar": "members"}, kommuner)
    out = (
        kommuner[["kommunkod"]]
        .merge(eligible[["kommunkod", "eligible"]], on="kommunkod", how="left")
        .merge(d.drop(columns="rows"), on="kommunkod")
        .merge(c.drop(columns="rows"), on="kommunkod")
        .merge(a.drop(columns="rows"), on="kommunkod")
    )
    out["doors_per_1000"] = _per(out["doors"], out["eligible"], 1000)
    out["calls_per_1000"] = _per(out["calls"], out["eligible"], 1000)
    out["activists_per_10k"] = _per(out["activists"], out["eligible"], 10_000)
    return out


# --- geometry: districts and cabins ---------------------------------------------------------------


def to_sweref(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 degrees -> SWEREF 99 TM metres."""
    x, y = _TO_SWEREF.transform(np.asarray(lon, dtype="float64"), np.asarray(lat, dtype="float64"))
    return np.asarray(x), np.asarray(y)


def _project(geom):
    return shapely.transform(geom, lambda xy: np.column_stack(to_sweref(xy[:, 0], xy[:, 1])))


@dataclass(frozen=True)
class Districts:
    """Voting-district geometry in SWEREF 99 TM: a frame (district_code, district_name,
    kommunkod, x, y of the centroid) and the polygons in the same order."""

    frame: pd.DataFrame
    polygons: np.ndarray


def districts_from_geojson(geojson: dict) -> Districts:
    feats = geojson["features"]
    polys = np.array([_project(shape(f["geometry"])) for f in feats], dtype=object)
    cent = shapely.centroid(polys)
    frame = pd.DataFrame({
        "district_code": [f["properties"]["district_code"] for f in feats],
        "district_name": [f["properties"].get("district_name") for f in feats],
        "kommunkod": [f["properties"].get("kommunkod") for f in feats],
        "x": shapely.get_x(cent),
        "y": shapely.get_y(cent),
    })
    return Districts(frame, polys)


@functools.lru_cache(maxsize=4)
def _districts_cached(path: str, mtime: int) -> Districts:
    return districts_from_geojson(json.loads(Path(path).read_text(encoding="utf-8")))


def load_districts(path: Path) -> Districts:
    """Districts of a geometry file (cached per file version)."""
    return _districts_cached(str(path), path.stat().st_mtime_ns)


def positioned(cabins: pd.DataFrame) -> pd.DataFrame:
    """Cabins with a position, with x, y in SWEREF 99 TM."""
    have = cabins[cabins["lat"].notna() & cabins["lon"].notna()].copy()
    x, y = to_sweref(have["lon"].to_numpy(), have["lat"].to_numpy())
    return have.assign(x=x, y=y)


def district_of_points(x, y, districts: Districts) -> list[str | None]:
    """The voting district each point lies in (None outside every district)."""
    tree = shapely.STRtree(districts.polygons)
    pts, polys = tree.query(shapely.points(np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64")),
                            predicate="within")
    out: list[str | None] = [None] * len(np.asarray(x))
    codes = districts.frame["district_code"].to_numpy()
    for p, d in zip(pts, polys):
        out[int(p)] = codes[int(d)]
    return out
