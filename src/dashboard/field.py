"""The field map (issue 19): cabin coverage, gaps and where to knock doors, per voting district.

Pure functions on DataFrames and numpy arrays (no Streamlit); the pages pass in the named
queries' frames and the activity files. Definitions, as the pages state them:

* **Centre** of a voting district: its centroid in SWEREF 99 TM (EPSG:3006, metres), computed at
  build time (`dashboard.build.centroids`, `data/geo/valdistrikt_01_2022_centres.parquet`).
* **Distance** to a cabin: the straight line from the centre to the cabin, in metres.
* **Within reach** at radius r: the centre is at most r from a cabin with a position.
* **Coverage** of an area: eligible voters of its districts within reach / eligible voters of
  all its districts with a known electorate. Eligible voters are the kommun election's
  (röstberättigade i kommunvalet), the widest electorate, of the district data's year.
* **Gap** (lucka): a district in the county's top quarter by the party's share, or by its change,
  with no cabin within reach; ranked by the party's votes there (most first).
* **Mobilisation potential** = share / 100 × eligible × (1 − turnout / 100): the party's share of
  the district's non-voters, in persons (an estimate: it assumes non-voters lean like voters).
* **Persuasion potential** = max(0, share before − share now) / 100 × valid votes now: the votes
  needed to win back the earlier election's share; 0 where the party grew, missing where the
  district cannot be compared.
* **Knock score** (0–100): the weighted mean of each measure's place among the districts with a
  value (0 = lowest … 1 = highest, as in the priority scorecard); a district without a value for
  a measure gets the middle place (½) for it.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.colors

from . import fmt
from .activity_analysis import positioned
from .build.centroids import CENTRES_FILE
from .paths import data_dir
from .priority import _scores as place_scores

RADII_M = (500, 1000, 2000)
RADIUS_LABEL = {500: "500 m", 1000: "1 km", 2000: "2 km"}
DEFAULT_RADIUS_M = 1000
GAP_QUANTILE = 0.75
KNOCK_WEIGHTS = {"mob": 2, "overt": 1}  # default weights: mobilisation, persuasion
MAX_WEIGHT = 10

# County bounds for placing a cabin by hand (WGS84); the validator then checks the outline.
COUNTY_BOUNDS = (17.2, 58.7, 19.7, 60.3)  # west, south, east, north


# --- district centres (build output) ---------------------------------------------------------------


def centres_path() -> Path:
    return data_dir() / "geo" / CENTRES_FILE


@functools.lru_cache(maxsize=4)
def _centres(path: str, mtime: int) -> pd.DataFrame:
    return pd.read_parquet(path)


def load_centres() -> pd.DataFrame:
    """The centres table (read-only; cached per file version)."""
    path = centres_path()
    if not path.exists():
        from .errors import QueryError

        raise QueryError(f"Valdistriktens mittpunkter ({path}) saknas. Kör 'python -m dashboard build' först.")
    return _centres(str(path), path.stat().st_mtime_ns)


# --- distances (vectorised) ------------------------------------------------------------------------


def distance_matrix(px, py, qx, qy) -> np.ndarray:
    """Euclidean distances (m) between points p (N) and q (M) in a metric projection: N × M."""
    px, py = np.asarray(px, dtype="float64")[:, None], np.asarray(py, dtype="float64")[:, None]
    qx, qy = np.asarray(qx, dtype="float64")[None, :], np.asarray(qy, dtype="float64")[None, :]
    return np.hypot(px - qx, py - qy)


def nearest(px, py, qx, qy) -> tuple[np.ndarray, np.ndarray]:
    """(distance to the nearest q, its index) per p; (inf, -1) when there is no q.

    Chunked so that memory stays bounded however many cabins a file holds."""
    n, m = len(px), len(qx)
    dist, idx = np.full(n, np.inf), np.full(n, -1, dtype="int64")
    if m == 0 or n == 0:
        return dist, idx
    step = max(1, 2_000_000 // m)
    for start in range(0, n, step):
        d = distance_matrix(px[start:start + step], py[start:start + step], qx, qy)
        j = d.argmin(axis=1)
        idx[start:start + step] = j
        dist[start:start + step] = d[np.arange(len(j)), j]
    return dist, idx


# --- the district table --------------------------------------------------------------------------------


def district_frame(centres: pd.DataFrame, results: pd.DataFrame, electorate: pd.DataFrame,
                   cabins: pd.DataFrame, doors: pd.DataFrame, radius_m: float,
                   weights: dict[str, float] | None = None) -> pd.DataFrame:
    """One row per district of the map: results, nearest cabin, reach, knock measures, doors.

    `results`: county_district_change of the chosen election and years (the colours and the
    knock measures); `electorate`: county_district_change of the kommun election whose
    `eligible` counts for coverage; `cabins`: the campaign's cabins; `doors`: the campaign's
    door-knocking rows. Collection rows (no geometry) are not part of the map.
    """
    keep = ["district_code", "eligible", "share_to", "share_from", "change_pp", "comparable", "turnout_to",
            "valid_to", "votes_to"]
    d = centres.merge(results[[c for c in keep if c in results]], on="district_code", how="left")
    d = d.rename(columns={"eligible": "eligible_election"})
    cov = electorate[["district_code", "eligible"]]
    d = d.merge(cov, on="district_code", how="left")
    pos = positioned(cabins)
    dist, idx = nearest(d["x"].to_numpy(), d["y"].to_numpy(), pos["x"].to_numpy(), pos["y"].to_numpy())
    has_cabin = len(pos) > 0
    d["cabin_m"] = np.where(has_cabin, dist, np.nan)
    names = pos["namn"].astype(str).to_numpy()
    d["cabin_name"] = pd.array([names[j] if j >= 0 else None for j in idx], dtype="string")
    near = pd.Series(d["cabin_m"].to_numpy() <= radius_m, index=d.index, dtype="boolean")
    d["near"] = near if has_cabin else pd.Series(pd.NA, index=d.index, dtype="boolean")
    d = add_knock_measures(d)
    d = knock_score(d, weights or KNOCK_WEIGHTS)
    return d.merge(doors_per_district(doors), on="district_code", how="left").assign(
        knocked=lambda f: f["door_rows"].fillna(0).gt(0))


def add_knock_measures(d: pd.DataFrame) -> pd.DataFrame:
    """Mobilisation and persuasion potential per district (see the module docstring)."""
    f = lambda c: pd.to_numeric(d[c], errors="coerce").astype("float64")  # noqa: E731
    share, turnout, eligible = f("share_to"), f("turnout_to"), f("eligible_election")
    out = d.copy()
    out["mobilisation"] = (share / 100 * eligible * (1 - turnout / 100)).where(eligible > 0)
    lost = (f("share_from") - share).clip(lower=0)
    comparable = d["comparable"].fillna(False).astype(bool) if "comparable" in d else False
    out["persuasion"] = (lost / 100 * f("valid_to")).where(comparable)
    return out


def knock_score(d: pd.DataFrame, weights: dict[str, float]) -> pd.DataFrame:
    """`score` (0–100) and `rank` (1 = knock here first) from the two potentials and `weights`
    {"mob": w, "overt": w}.

    A district without a value for a measure that other districts have (persuasion where the
    district cannot be compared) gets the middle place, ½, for it: left out, its score would
    rest on the other measure alone and put such districts first. A measure no district has
    (no district results for the earlier year) is left out for all; a district with no value for
    any weighted measure gets no score."""
    out = d.copy()
    parts = {"mob": place_scores(out["mobilisation"], "higher"), "overt": place_scores(out["persuasion"], "higher")}
    num = pd.Series(0.0, index=out.index)
    den = pd.Series(0.0, index=out.index)
    known = pd.Series(False, index=out.index)  # a district with no value at all gets no score
    for k, s in parts.items():
        w = float(weights.get(k, KNOCK_WEIGHTS[k]))
        if w > 0 and s.notna().any():
            num += s.fillna(0.5) * w
            den += w
            known |= s.notna()
    out["score"] = (num / den.where(den > 0) * 100).where(known).astype("float64")
    order = out["score"].rank(method="first", ascending=False)
    out["rank"] = pd.array(order, dtype="Int64")
    return out


def doors_per_district(doors: pd.DataFrame) -> pd.DataFrame:
    """district_code, doors (NA when rows give none), door_rows: door-knocking rows naming a district."""
    rows = doors[doors["valdistrikt"].notna()] if "valdistrikt" in doors else doors.iloc[0:0]
    if rows.empty:
        return pd.DataFrame({"district_code": pd.Series(dtype="string"), "doors": pd.Series(dtype="Float64"),
                             "door_rows": pd.Series(dtype="int64")})
    g = rows.groupby("valdistrikt").agg(doors=("dörrar", lambda s: s.sum(min_count=1)),
                                        door_rows=("valdistrikt", "size"))
    return g.rename_axis("district_code").reset_index()


def unplaced_doors(doors: pd.DataFrame) -> int:
    """Door-knocking rows that name no district (they cannot be shown on the map)."""
    return int(doors["valdistrikt"].isna().sum()) if "valdistrikt" in doors else len(doors)


# --- areas: municipalities and associations ----------------------------------------------------------


def units(associations: pd.DataFrame, centres: pd.DataFrame, kommuner: pd.DataFrame) -> pd.DataFrame:
    """Which districts each area covers: unit_id, unit, kommunkod, district_code, scope.

    With an association file, an association covers the districts it lists; one that lists
    none covers the rest of its municipality when it is the only such association there (with
    several, their area is unknown: no rows). Municipalities without an association, and every
    municipality when no file is loaded, are units of their own.
    """
    names = dict(zip(kommuner["kommunkod"], kommuner["kommun"]))
    by_kommun = centres.groupby("kommunkod")["district_code"].apply(list).to_dict()
    rows = []
    a = associations if len(associations) else associations.iloc[0:0]
    for k, codes in by_kommun.items():
        here = a[a["kommunkod"] == k]
        if here.empty:
            rows += [(k, names.get(k, k), k, c, "hela kommunen") for c in codes]
            continue
        listed = {r.förening_id: [c for c in str(r.valdistrikt or "").split() if c in set(codes)]
                  for r in here.itertuples() if not fmt.is_missing(r.valdistrikt)}
        taken = {c for cs in listed.values() for c in cs}
        unlisted = [r for r in here.itertuples() if r.förening_id not in listed]
        for r in here.itertuples():
            if r.förening_id in listed:
                rows += [(r.förening_id, r.förening, k, c, "föreningens valdistrikt") for c in listed[r.förening_id]]
            elif len(unlisted) == 1:
                rest = [c for c in codes if c not in taken]
                scope = "hela kommunen" if not taken else "kommunens övriga valdistrikt"
                rows += [(r.förening_id, r.förening, k, c, scope) for c in rest]
    return pd.DataFrame(rows, columns=["unit_id", "unit", "kommunkod", "district_code", "scope"])


def coverage_by(districts: pd.DataFrame, areas: pd.DataFrame) -> pd.DataFrame:
    """Coverage per area: unit_id, eligible (total with a known electorate), eligible_near,
    near_pct, districts, districts_near. `areas`: unit_id, district_code (from `units`, or
    kommunkod as unit_id). near_pct is NA when no cabin has a position."""
    d = areas[["unit_id", "district_code"]].merge(
        districts[["district_code", "eligible", "near"]], on="district_code", how="left")
    e = pd.to_numeric(d["eligible"], errors="coerce").astype("float64")
    known = e > 0
    near = d["near"].astype("boolean")
    d = d.assign(_e=e.where(known), _near=e.where(known & near.fillna(False), 0.0).where(known),
                 _dn=near.fillna(False).astype(int), _unknown=near.isna())
    g = d.groupby("unit_id", sort=False).agg(
        eligible=("_e", lambda s: s.sum(min_count=1)), eligible_near=("_near", lambda s: s.sum(min_count=1)),
        districts=("district_code", "size"), districts_near=("_dn", "sum"), unknown=("_unknown", "all"))
    g["near_pct"] = (g["eligible_near"] / g["eligible"].where(g["eligible"] > 0) * 100).where(~g["unknown"])
    g.loc[g["unknown"], ["eligible_near", "districts_near"]] = np.nan
    return g.drop(columns="unknown").reset_index()


def cabin_counts(cabins: pd.DataFrame, by: pd.Series | None = None) -> pd.DataFrame:
    """Per municipality (or per `by`, aligned with `cabins`): cabins, positioned, shifts."""
    key = cabins["kommunkod"] if by is None else by
    c = cabins.assign(_key=key, _pos=(cabins["lat"].notna() & cabins["lon"].notna()).astype(int), _one=1)
    g = c.groupby("_key").agg(cabins=("_one", "sum"), positioned=("_pos", "sum"),
                              shifts=("pass", lambda s: s.sum(min_count=1)))
    g["unpositioned"] = g["cabins"] - g["positioned"]
    return g.rename_axis("unit_id").reset_index()


def gaps(districts: pd.DataFrame, by: str = "endera", quantile: float = GAP_QUANTILE) -> tuple[pd.DataFrame, dict]:
    """Strong or growing districts with no cabin within reach, ranked by the party's votes.

    `by`: "andel" (share in the county's top quarter), "okning" (change in the top quarter) or
    "endera" (either). Needs `near` (NA when no cabin has a position: then no gaps are known).
    Returns the gaps with `reason` and `gap_rank`, and the thresholds used.
    """
    share = pd.to_numeric(districts["share_to"], errors="coerce")
    change = pd.to_numeric(districts["change_pp"], errors="coerce")
    t_share = float(share.quantile(quantile)) if share.notna().any() else None
    t_change = float(change.quantile(quantile)) if change.notna().any() else None
    high_share = (share >= t_share) if t_share is not None else pd.Series(False, index=districts.index)
    high_change = (change >= t_change) if t_change is not None else pd.Series(False, index=districts.index)
    wanted = {"andel": high_share, "okning": high_change}.get(by, high_share | high_change)
    far = districts["near"].astype("boolean").eq(False).fillna(False)
    pick = wanted & far
    out = districts[pick].copy()
    out["reason"] = np.where(high_share[pick] & high_change[pick], "hög andel och stor ökning",
                             np.where(high_share[pick], "hög andel", "stor ökning"))
    out["cabin_km"] = out["cabin_m"] / 1000
    out = out.sort_values(["votes_to", "share_to"], ascending=False, na_position="last").reset_index(drop=True)
    out["gap_rank"] = pd.array(np.arange(1, len(out) + 1), dtype="Int64")
    return out, {"share": t_share, "change": t_change}


ELECTORATE_MATCH = 0.95  # share of the map's districts an electorate must cover to be used


def electorate_year(matches: dict[int, float], to_year: int) -> int | None:
    """The year whose district electorate counts for coverage: the latest year up to `to_year`
    whose kommun-election districts match at least 95 % of the map's (2022) districts by code
    with a known electorate. `matches`: year -> that share. A year with results for only some
    municipalities (an election-night import) or with redrawn districts is passed over, since
    its coverage would leave out whole areas."""
    years = sorted((y for y, share in matches.items() if y <= to_year and share >= ELECTORATE_MATCH), reverse=True)
    return years[0] if years else None


def electorate_match(centres: pd.DataFrame, electorate: pd.DataFrame) -> float:
    """Share of the map's districts with a known electorate (eligible > 0) in `electorate`."""
    known = electorate.loc[pd.to_numeric(electorate["eligible"], errors="coerce") > 0, "district_code"]
    return float(centres["district_code"].isin(set(known)).mean()) if len(centres) else 0.0


# --- colours -------------------------------------------------------------------------------------------------

MISSING_RGBA = [217, 217, 217, 200]  # maps.MISSING_FILL, "uppgift saknas"


@dataclass(frozen=True)
class Measure:
    label: str  # selector label
    column: str
    title: str  # legend title (with unit; {a} {b} filled in)
    palette: str  # ColorBrewer name in plotly.colors
    kind: str  # pct | pp | int | score
    diverging: bool = False


MEASURES: dict[str, Measure] = {
    "andel": Measure("Andel", "share_to", "Andel {b} (%)", "Blues", "pct"),
    "forandring": Measure("Förändring", "change_pp", "Förändring {a}–{b} (p.e.)", "RdBu", "pp", diverging=True),
    "valdeltagande": Measure("Valdeltagande", "turnout_to", "Valdeltagande {b} (%)", "Purples", "pct"),
    "mobilisering": Measure("Mobilisering", "mobilisation", "Mobiliseringspotential (personer)", "Oranges", "int"),
    "overtalning": Measure("Övertalning", "persuasion", "Övertalningspotential (röster)", "Reds", "int"),
    "knackpoang": Measure("Knackpoäng", "score", "Knackpoäng (0–100)", "Greens", "score"),
}
N_CLASSES = 6


def _rgba(colour: str, alpha: int = 215) -> list[int]:
    r, g, b = plotly.colors.unlabel_rgb(plotly.colors.validate_colors([colour], colortype="rgb")[0])
    return [int(round(r)), int(round(g)), int(round(b)), alpha]


def _text(value: float, kind: str) -> str:
    if kind == "pct":
        return fmt.pct(value, 1)
    if kind == "pp":
        return fmt.pp(value, 1)
    return fmt.integer(value)


@dataclass(frozen=True)
class Legend:
    title: str
    entries: tuple[tuple[tuple[int, ...], str], ...]  # (rgba, "from – to")


def classify(values: pd.Series, measure: Measure, a: int, b: int) -> tuple[list[list[int]], Legend]:
    """A colour per value (grey where missing) and the legend.

    Levels: quantile classes on a sequential ColorBrewer scale. Changes: equal classes on the
    diverging RdBu scale, symmetric around 0 (red = loss, blue = gain)."""
    from .maps import symmetric_limit

    v = pd.to_numeric(values, errors="coerce").astype("float64").to_numpy()
    known = np.isfinite(v)
    title = measure.title.format(a=a, b=b)
    scale = getattr(plotly.colors.sequential if not measure.diverging else plotly.colors.diverging,
                    measure.palette)
    if measure.diverging:
        limit = symmetric_limit(pd.Series(v[known]))
        n = 7
        breaks = np.linspace(-limit, limit, n + 1)
        picks = np.linspace(0, len(scale) - 1, n).round().astype(int)
    else:
        if known.any():
            breaks = np.unique(np.nanquantile(v[known], np.linspace(0, 1, N_CLASSES + 1)))
        else:
            breaks = np.array([0.0, 1.0])
        n = max(1, len(breaks) - 1)
        # skip the palette's near-white end: a light class must still read against the white borders
        picks = np.linspace(2, len(scale) - 1, n).round().astype(int)
    colours = [_rgba(scale[i]) for i in picks]
    cls = np.clip(np.searchsorted(breaks, v, side="right") - 1, 0, n - 1)
    out = [colours[c] if k else MISSING_RGBA for c, k in zip(cls, known)]
    entries = tuple((tuple(colours[i]), f"{_text(breaks[i], measure.kind)} – {_text(breaks[i + 1], measure.kind)}")
                    for i in range(n)) if known.any() else ()
    if (~known).any():
        entries += ((tuple(MISSING_RGBA), fmt.MISSING),)
    return out, Legend(title, entries)
