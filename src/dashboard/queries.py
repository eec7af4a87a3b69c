"""Cached query functions for the pages: named queries in, DataFrames out.

Everything here is `cache.resource` (`st.cache_resource` with a dictionary in front): a hit
returns the same object without copying (`st.cache_data` pickles on every hit). Callers must therefore treat results as read-only;
chart builders and tables work on copies. Small derivations that several pages share
(direction counts, coverage notes) are pure functions below the cached wrappers, so they can
be tested without Streamlit.
"""
from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import pandas as pd
import streamlit as st

from . import cache, db
from .paths import REPO_ROOT, data_dir
from . import fmt
from .state import COUNTY, COUNTY_NAME, ELECTION_LABEL, ELECTIONS

_MAX = 256  # result sets are small (at most ~600 district rows); bound the caches anyway


@cache.resource()
def connection():
    """Load data/ into DuckDB once per process (db.connect keeps it; this warms it)."""
    return db.connect()


def _run(name: str, **params: Any) -> pd.DataFrame:
    connection()
    return db.execute(name, params)


@cache.resource(max_entries=_MAX)
def run(name: str, **params: Any) -> pd.DataFrame:
    """Any named query, cached by name and parameters. Read-only result."""
    return _run(name, **params)


def has_query(name: str) -> bool:
    return name in db.queries()


# --- reference lists ----------------------------------------------------------------------


@cache.resource()
def municipalities(county: str = COUNTY) -> pd.DataFrame:
    """kommunkod, kommun, population of the county's municipalities (Swedish order)."""
    return _run("county_municipalities", county=county)


@cache.resource()
def coverage(county: str = COUNTY) -> pd.DataFrame:
    """election, year, level, count_status, n_areas, n_with_valid, n_with_eligible."""
    return _run("data_coverage", county=county)


def year_pairs_from(cov: pd.DataFrame) -> list[tuple[int, int]]:
    """Every (earlier, later) pair of election years in the data, latest pairs last:
    [(2018, 2022), (2018, 2026), (2022, 2026)] — any imported election against any later one."""
    years = sorted({int(y) for y in cov["year"]})
    return sorted(((a, b) for i, a in enumerate(years) for b in years[i + 1:]), key=lambda p: (p[1], p[0]))


@cache.resource()
def year_pairs(county: str = COUNTY) -> list[tuple[int, int]]:
    return year_pairs_from(coverage(county))


def party_labels(df: pd.DataFrame) -> pd.DataFrame:
    """Add `label`: the party's name (unique; the code is added where names repeat).

    Names go into the URL (?parti=Moderaterna), so they must be unique.
    """
    out = df.copy()
    names = out["name"].fillna(out["party"]).astype(str)
    dup = names.duplicated(keep=False)
    out["label"] = names.where(~dup, names + " (" + out["party"].astype(str) + ")")
    return out


@cache.resource(max_entries=_MAX)
def parties(election: str, from_year: int, to_year: int, county: str = COUNTY) -> pd.DataFrame:
    """Parties in the data for the election ('alla' = any of the three) and years."""
    return party_labels(
        _run("party_options", election=election, from_year=from_year, to_year=to_year, county=county)
    )


@cache.resource()
def party_names() -> dict[str, str]:
    df = db.sql("SELECT party, coalesce(name, party) AS name FROM parties")
    return dict(zip(df["party"], df["name"]))


def party_name(code: str) -> str:
    return party_names().get(code, code)


# --- results -------------------------------------------------------------------------------


@cache.resource(max_entries=_MAX)
def municipality_change(election: str, from_year: int, to_year: int, party: str, county: str = COUNTY) -> pd.DataFrame:
    """The lead's `municipality_change` (one row per municipality of the county)."""
    return _run(
        "municipality_change", election=election, from_year=from_year, to_year=to_year, party=party, county=county
    )


@cache.resource(max_entries=_MAX)
def municipality_change_all(from_year: int, to_year: int, party: str, county: str = COUNTY) -> pd.DataFrame:
    """`municipality_change` for all three elections, stacked with an `election` column."""
    frames = [
        municipality_change(e, from_year, to_year, party, county).assign(election=e) for e in ELECTIONS
    ]
    return pd.concat(frames, ignore_index=True)


@cache.resource(max_entries=_MAX)
def area_change(election: str, from_year: int, to_year: int, party: str, area: str) -> pd.DataFrame:
    return _run("area_change", election=election, from_year=from_year, to_year=to_year, party=party, area=area)


# The areas the overview reports, and what each one covers. Riksdag figures for
# "Stockholms län" are the constituency *without* Stockholm city; say so every time.
OVERVIEW_AREAS = (
    ("riksdag", "county:01", "Riksdagsval – hela länet", "Stockholms län i sin helhet (båda riksdagsvalkretsarna)."),
    ("riksdag", "valkrets:01", "Riksdagsval – Stockholms kommun", "Riksdagsvalkrets 01 = Stockholms kommun."),
    (
        "riksdag",
        "valkrets:02",
        "Riksdagsval – Stockholms län",
        "Riksdagsvalkretsen Stockholms län = länet utom Stockholms stad.",
    ),
    ("region", "region:01", "Regionval – Region Stockholm", "Regionfullmäktige i Region Stockholm: hela länet."),
    ("kommun", "county:01", "Kommunval – alla 26 kommuner", "Summan av kommunvalen i länets 26 kommuner."),
)


@cache.resource(max_entries=_MAX)
def overview_areas(from_year: int, to_year: int, party: str) -> pd.DataFrame:
    """One row per overview area: election, area, title, covers + area_change columns."""
    rows = []
    for election, area, title, covers in OVERVIEW_AREAS:
        df = area_change(election, from_year, to_year, party, area)
        row = df.iloc[0].to_dict() if len(df) else {}
        row.update(election=election, area=area, title=title, covers=covers)
        rows.append(row)
    return pd.DataFrame(rows)


def direction(change: Any) -> str:
    """'upp' / 'ned' / 'oförändrad' / 'saknas' for one change in p.e."""
    if change is None or pd.isna(change):
        return "saknas"
    if change > 0:
        return "upp"
    if change < 0:
        return "ned"
    return "oförändrad"


def direction_counts(all_changes: pd.DataFrame) -> pd.DataFrame:
    """Per election: how many municipalities went up, down, stayed, or lack a figure."""
    d = all_changes.assign(direction=all_changes["change_pp"].map(direction))
    counts = d.pivot_table(index="election", columns="direction", values="kommunkod", aggfunc="count", fill_value=0)
    counts = counts.reindex(index=list(ELECTIONS), columns=["upp", "ned", "oförändrad", "saknas"], fill_value=0)
    counts.insert(0, "val", [ELECTION_LABEL[e] for e in counts.index])
    return counts.reset_index()


def consistent_movers(all_changes: pd.DataFrame) -> pd.DataFrame:
    """Per municipality: change in each election and whether it rose/fell in all three.

    Columns kommunkod, kommun, change_riksdag, change_region, change_kommun, pattern
    ('upp i alla tre' | 'ned i alla tre' | 'blandat' | 'uppgift saknas').
    """
    wide = all_changes.pivot(index=["kommunkod", "kommun"], columns="election", values="change_pp")
    wide = wide.reindex(columns=list(ELECTIONS)).astype("float64")
    wide.columns = [f"change_{e}" for e in wide.columns]
    wide = wide.reset_index()
    cols = [f"change_{e}" for e in ELECTIONS]
    vals = wide[cols]
    pattern = pd.Series("blandat", index=wide.index)
    pattern[(vals > 0).all(axis=1)] = "upp i alla tre"
    pattern[(vals < 0).all(axis=1)] = "ned i alla tre"
    pattern[vals.isna().any(axis=1)] = "uppgift saknas"
    wide["pattern"] = pattern
    return wide


@cache.resource(max_entries=_MAX)
def district_change(election: str, from_year: int, to_year: int, kommunkod: str, party: str) -> pd.DataFrame:
    return _run(
        "district_change", election=election, from_year=from_year, to_year=to_year, kommunkod=kommunkod, party=party
    )


@cache.resource(max_entries=_MAX)
def seat_margins(election: str, year: int, party: str, county: str = COUNTY) -> pd.DataFrame | None:
    """Seat margins from the seat engine when it is installed, else None (issue 5)."""
    if election not in ("kommun", "region") or not has_query("seat_margins"):
        return None
    try:
        return _run("seat_margins", election=election, year=year, party=party, county=county)
    except Exception:  # the engine is optional; a failure must not take the page down
        return None


# --- coverage notes --------------------------------------------------------------------------


def levels(cov: pd.DataFrame, election: str, year: int) -> set[str]:
    sub = cov[(cov["election"] == election) & (cov["year"] == year)]
    return set(sub["level"])


def coverage_notes(cov: pd.DataFrame, election: str, from_year: int, to_year: int, level: str = "municipality") -> list[str]:
    """Swedish sentences on what the data lacks for this election, year pair and level."""
    notes = []
    label = ELECTION_LABEL[election]
    full = cov.loc[cov["level"] == level, "n_areas"].max()
    for year in (from_year, to_year):
        present = levels(cov, election, year)
        if not present:
            notes.append(f"{label} {year} finns inte i data.")
            continue
        here = cov[(cov["election"] == election) & (cov["year"] == year) & (cov["level"] == level)]
        # Fewer municipalities than elsewhere = only part of the county (riksdag 2026: Stockholm).
        partial = level == "municipality" and len(here) and here["n_areas"].iloc[0] < full
        if level not in present or partial:
            if level == "municipality" and election == "riksdag" and "riksdag_valkrets" in present:
                notes.append(
                    f"{label} {year} finns bara per riksdagsvalkrets: Stockholms kommun (valkrets 01) och "
                    "Stockholms län = länet utom Stockholms stad (valkrets 02). Per kommun finns bara "
                    f"Stockholm (= valkrets 01); övriga kommuner saknar {year}-siffror."
                )
                continue
            if level not in present:
                what = {"municipality": "per kommun", "district": "per valdistrikt"}.get(level, f"på nivån {level}")
                notes.append(f"{label} {year} finns inte {what} i data.")
                continue
            # Only some municipalities imported so far (e.g. election night files).
            notes.append(
                f"{label} {year} finns bara för {int(here['n_areas'].iloc[0])} av {int(full)} kommuner i data; "
                "övriga visas som \"uppgift saknas\"."
            )
        sub = cov[(cov["election"] == election) & (cov["year"] == year) & (cov["level"] == level)].iloc[0]
        if sub["n_with_valid"] == 0:
            notes.append(
                f"{label} {year}: bara andelar finns, inga röstantal – röster och valdeltagande visas som "
                "\"uppgift saknas\"."
            )
        elif sub["n_with_eligible"] == 0:
            notes.append(
                f"{label} {year}: antal röstberättigade saknas, så valdeltagandet visas som \"uppgift saknas\"."
            )
        if sub["count_status"] == "preliminary":
            notes.append(f"{label} {year} är preliminärt räknat.")
    return notes


@cache.resource(max_entries=_MAX)
def notes_for(election: str, from_year: int, to_year: int, level: str = "municipality",
              county: str = COUNTY) -> tuple[str, ...]:
    """`coverage_notes` for the loaded data, computed once per choice (pages call this on
    every rerun; filtering the coverage frame each time cost ~10 ms)."""
    return tuple(coverage_notes(coverage(county), election, from_year, to_year, level))


def missing_notes(from_year: int, to_year: int) -> list[str]:
    """The notes saying that an election or year is absent, over all three elections."""
    return [n for e in ELECTIONS for n in notes_for(e, from_year, to_year) if "finns" in n]


# --- geometry --------------------------------------------------------------------------------


def _read_geojson(name: str) -> dict:
    path = data_dir() / "geo" / name
    if not path.exists():
        from .errors import QueryError

        raise QueryError(f"Kartfilen {path} saknas. Kör 'python -m dashboard build' först.")
    return json.loads(path.read_text(encoding="utf-8"))


def _bounds(features: list[dict]) -> tuple[float, float, float, float]:
    """(west, south, east, north) of the features."""
    xs: list[float] = []
    ys: list[float] = []

    def walk(coords):
        if coords and isinstance(coords[0], (int, float)):
            xs.append(coords[0])
            ys.append(coords[1])
        else:
            for c in coords:
                walk(c)

    for f in features:
        walk(f["geometry"]["coordinates"])
    return (min(xs), min(ys), max(xs), max(ys)) if xs else (17.0, 58.7, 19.6, 60.3)


@cache.resource()
def kommun_geo(county: str = COUNTY) -> dict:
    """The county's municipalities as a FeatureCollection (id = kommunkod) with `bbox`."""
    raw = _read_geojson("kommuner.geojson")
    feats = [
        {**f, "id": f["properties"]["kommunkod"]}
        for f in raw["features"]
        if f["properties"].get("county_code") == county
    ]
    return {"type": "FeatureCollection", "features": feats, "bbox": list(_bounds(feats))}


@cache.resource()
def _district_geo_all(year: int = 2022, county: str = COUNTY) -> dict:
    return _read_geojson(f"valdistrikt_{county}_{year}.geojson")


@lru_cache(maxsize=1)
def district_geo_years(county: str = COUNTY) -> tuple[int, ...]:
    """Years for which a district geometry file exists."""
    years = []
    for p in (data_dir() / "geo").glob(f"valdistrikt_{county}_*.geojson"):
        try:
            years.append(int(p.stem.rsplit("_", 1)[1]))
        except ValueError:
            continue
    return tuple(sorted(years))


@cache.resource(max_entries=64)
def district_geo(kommunkod: str, year: int = 2022) -> dict:
    """One municipality's voting districts (id = district_code) with `bbox`."""
    raw = _district_geo_all(year)
    feats = [
        {**f, "id": f["properties"]["district_code"]}
        for f in raw["features"]
        if f["properties"].get("kommunkod") == kommunkod
    ]
    return {"type": "FeatureCollection", "features": feats, "bbox": list(_bounds(feats))}


@cache.resource()
def district_bboxes(year: int = 2022, county: str = COUNTY) -> dict[str, list[float]]:
    """Each municipality's voting-district bounds (west, south, east, north) for `year`.

    Maps whose GeoJSON the browser fetches by URL need only these to frame the view; the
    parsed county file (~7 MB of Python objects) is not kept for them.
    """
    by_kommun: dict[str, list[dict]] = {}
    for f in _read_geojson(f"valdistrikt_{county}_{year}.geojson")["features"]:
        by_kommun.setdefault(f["properties"].get("kommunkod"), []).append(f)
    return {k: list(_bounds(feats)) for k, feats in by_kommun.items() if k}


@cache.resource()
def build_info() -> dict:
    """data/build_info.json (when and from what the data was built); {} if absent."""
    path = data_dir() / "build_info.json"
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


@cache.resource()
def data_date() -> str:
    """The build date as Swedish text, or "uppgift saknas" (pages show it twice per run; the
    time-zone conversion is worth keeping)."""
    info = build_info()
    for key in ("built_at", "built", "created_at", "timestamp", "date"):
        value = info.get(key)
        if value:
            ts = pd.Timestamp(value)
            if ts.tzinfo is not None:
                ts = ts.tz_convert("Europe/Stockholm")
            return ts.strftime("%Y-%m-%d %H:%M") if (ts.hour or ts.minute) else ts.strftime("%Y-%m-%d")
    return "uppgift saknas"


def sources_markdown() -> str:
    path = data_dir() / "SOURCES.md"
    return path.read_text(encoding="utf-8") if path.exists() else ""


def static_geo_url(name: str) -> str | None:
    """URL of a GeoJSON served by Streamlit's static file serving, if that is set up.

    With `server.enableStaticServing` and the file under `static/geo/`, maps reference the
    file by URL and the browser fetches it once instead of receiving it in every chart.
    """
    try:
        enabled = bool(st.get_option("server.enableStaticServing"))
    except Exception:
        enabled = False
    if enabled and (REPO_ROOT / "static" / "geo" / name).exists():
        return f"app/static/geo/{name}"
    return None


# --- page-ready frames -------------------------------------------------------------------------


def add_text(df: pd.DataFrame) -> pd.DataFrame:
    """Swedish text columns (`<col>_txt`) for the change columns pages show in hovers and bars.

    Shares known only within ±1 vote show their bounds instead of "uppgift saknas".
    """
    out = fmt.with_text(
        df, change_pp="pp", votes_from="int", votes_to="int", turnout_from="pct", turnout_to="pct"
    )
    for side in ("from", "to"):
        col = f"share_{side}"
        lo, hi = out.get(f"{col}_min"), out.get(f"{col}_max")
        out[f"{col}_txt"] = [
            fmt.pct_range(v, None if lo is None else lo.iloc[i], None if hi is None else hi.iloc[i])
            for i, v in enumerate(out[col])
        ]
    return out


def county_row(election: str, from_year: int, to_year: int, party: str) -> pd.DataFrame:
    """The whole county as one row shaped like `municipality_change` (for reference bars)."""
    df = area_change(election, from_year, to_year, party, f"county:{COUNTY}")
    return df.rename(columns={"area_code": "kommunkod"}).assign(kommun=f"{COUNTY_NAME} (referens)")


@cache.resource(max_entries=_MAX)
def kommuner_view(election: str, from_year: int, to_year: int, party: str) -> pd.DataFrame:
    """municipality_change + text columns + seat margins (when the seat engine exists),
    ordered by change (largest gain first, missing last)."""
    df = add_text(municipality_change(election, from_year, to_year, party))
    if election == "kommun":
        df = _with_seats(df, election, to_year, party)
    return df.sort_values("change_pp", ascending=False, na_position="last").reset_index(drop=True)


@cache.resource(max_entries=_MAX)
def kommuner_extras(election: str, from_year: int, to_year: int, party: str) -> dict[str, Any]:
    """What Kommuner derives from `kommuner_view` besides the table: the direction counts for
    this election and the four top lists (pandas work of ~40 ms, done once per choice)."""
    df = kommuner_view(election, from_year, to_year, party)
    counts = direction_counts(df.assign(election=election))
    lists = top_lists(df)
    return {
        "counts": counts[counts["election"] == election].iloc[0],
        # each top list as numbered Swedish markdown lines, "" when it is empty
        "top_text": {
            title: "\n".join(f"{i}. {fmt.md_text(r.kommun)}: {r.text}" for i, r in enumerate(rows.itertuples(), start=1))
            for title, rows in lists.items()
        },
    }


def top_lists(df: pd.DataFrame, n: int = 5) -> dict[str, pd.DataFrame]:
    """The evaluation group's four lists: best share, most gained, lowest share, most lost.

    Each frame has kommun and text (the value in Swedish); rows without a value are left out,
    and only gains count as gains and only losses as losses.
    """
    have_share = df[df["share_to"].notna()]
    gained = df[df["change_pp"] > 0]
    lost = df[df["change_pp"] < 0]
    lists = {
        "Högst andel": have_share.nlargest(n, "share_to").assign(text=lambda d: d["share_to_txt"]),
        "Störst ökning": gained.nlargest(n, "change_pp").assign(text=lambda d: d["change_pp_txt"]),
        "Lägst andel": have_share.nsmallest(n, "share_to").assign(text=lambda d: d["share_to_txt"]),
        "Störst minskning": lost.nsmallest(n, "change_pp").assign(text=lambda d: d["change_pp_txt"]),
    }
    return {k: v[["kommunkod", "kommun", "text"]].reset_index(drop=True) for k, v in lists.items()}


SEAT_COLUMNS = ("seats", "votes_to_next_seat", "margin_on_last_seat", "council_size")


def _with_seats(df: pd.DataFrame, election: str, year: int, party: str) -> pd.DataFrame:
    """Seat margins beside the change where the seat engine has them (issue 5): per
    municipality in the kommun election, for the county row (Region Stockholm) in the region one."""
    margins = seat_margins(election, year, party)
    if margins is None or not len(margins) or "area" not in margins:
        return df
    keep = ["area", *[c for c in SEAT_COLUMNS if c in margins]]
    return df.merge(margins[keep].rename(columns={"area": "kommunkod"}), on="kommunkod", how="left")


@cache.resource(max_entries=_MAX)
def compare_view(kommuner: tuple[str, ...], from_year: int, to_year: int, party: str, with_county: bool) -> pd.DataFrame:
    """Chosen municipalities (+ the county) in all three elections, long format, with text."""
    frames = []
    for election in ELECTIONS:
        m = municipality_change(election, from_year, to_year, party)
        m = m.set_index("kommunkod").reindex(list(kommuner)).reset_index()
        m = m[m["kommun"].notna()]
        if with_county:
            m = pd.concat([m, county_row(election, from_year, to_year, party)], ignore_index=True)
        m = _with_seats(m, election, to_year, party)
        frames.append(m.assign(election=election, val=ELECTION_LABEL[election]))
    out = add_text(pd.concat(frames, ignore_index=True))
    out["is_reference"] = out["kommunkod"] == COUNTY
    return out


@cache.resource(max_entries=_MAX)
def overview_view(from_year: int, to_year: int, party: str) -> dict[str, pd.DataFrame]:
    """Everything the overview shows: areas, direction counts, per-municipality pattern."""
    all_changes = municipality_change_all(from_year, to_year, party)
    movers = consistent_movers(all_changes)
    movers = fmt.with_text(movers, change_riksdag="pp", change_region="pp", change_kommun="pp")
    areas = overview_areas(from_year, to_year, party)
    return {
        "areas": areas,
        # the same rows as plain tuples: the page draws a card per row on every rerun
        "area_cards": list(areas[["title", "share_to", "change_pp", "covers"]].itertuples(index=False, name=None)),
        "counts": direction_counts(all_changes),
        "movers": movers,
        # per pattern, one Swedish line per municipality (the lists beside the map)
        "mover_lines": {
            pattern: [
                f"**{fmt.md_text(r.kommun)}**: riksdag {r.change_riksdag_txt}, region {r.change_region_txt}, "
                f"kommun {r.change_kommun_txt}"
                for r in movers[movers["pattern"] == pattern].itertuples()
            ]
            for pattern in ("upp i alla tre", "ned i alla tre")
        },
    }


# --- voting districts --------------------------------------------------------------------------

ELECTORATE_SHIFT = 0.2  # a same-code district whose electorate changed more than ±20 % is flagged

COMPARISON_TEXT = {
    "same_code": "jämförbar (samma distriktskod båda åren)",
    "new_code": "ny distriktskod – ingen jämförelse",
    "gone": "fanns bara det första året",
    "collection": "uppsamlingsdistrikt – jämförs inte",
    "no_from_data": "inga distriktsresultat det första året",
}


@cache.resource(max_entries=_MAX)
def districts_view(election: str, from_year: int, to_year: int, kommunkod: str, party: str) -> pd.DataFrame:
    """district_change with text columns and a Swedish reason where no comparison is made."""
    df = district_change(election, from_year, to_year, kommunkod, party)
    out = fmt.with_text(
        df,
        share_from="pct", share_to="pct", change_pp="pp", votes_from="int", votes_to="int",
        turnout_from="pct", turnout_to="pct", turnout_change_pp="pp",
    )
    reason = out["comparison"].map(COMPARISON_TEXT).fillna("")
    hint = out["from_code_same_name"].notna()
    reason[hint] = (
        f"ny distriktskod; ett distrikt med samma namn hade {from_year} koden "
        + out.loc[hint, "from_code_same_name"].astype(str)
        + " – gränserna har troligen ändrats, ingen jämförelse"
    )
    # Same code, but a big change in the electorate suggests redrawn boundaries: say so.
    eligible_ratio = pd.to_numeric(out["eligible_to"], errors="coerce") / pd.to_numeric(
        out["eligible_from"], errors="coerce"
    ).where(lambda s: s > 0)
    shifted = (out["comparison"] == "same_code") & ((eligible_ratio - 1).abs() > ELECTORATE_SHIFT)
    reason[shifted] = [
        f"jämförbar, men antalet röstberättigade ändrades med {fmt.number(100 * (r - 1), 0, sign=True)} % "
        "– gränserna kan ha ändrats"
        for r in eligible_ratio[shifted]
    ]
    out["comparison_txt"] = reason
    out["missing_reason"] = "Förändring: " + reason.str.replace("jämförbar (samma distriktskod båda åren)", fmt.MISSING, regex=False)
    return out


def district_display_year(df: pd.DataFrame, from_year: int, to_year: int) -> int | None:
    """The year whose districts the page shows: the later year if it has district results."""
    if bool(df["in_to_year"].any()):
        return to_year
    if bool(df["in_from_year"].any()):
        return from_year
    return None


def district_summary(df: pd.DataFrame, from_year: int, to_year: int) -> str:
    """One sentence on how many districts can be compared, and why the others cannot."""
    geo = df[~df["is_collection"]]
    counts = geo["comparison"].value_counts()
    if counts.get("no_from_data", 0):
        return f"Det finns inga resultat per valdistrikt för {from_year}, så ingen förändring kan visas per distrikt."
    n_to = int(geo["in_to_year"].sum())
    same = int(counts.get("same_code", 0))
    if same == 0:
        return (
            f"Inget av de {n_to} valdistrikten {to_year} har samma kod som {from_year} – distrikten har "
            "ritats om, så ingen förändring per distrikt kan visas."
        )
    parts = [f"{same} av {n_to} valdistrikt {to_year} fanns med samma kod {from_year} och jämförs"]
    if counts.get("new_code", 0):
        parts.append(f"{int(counts['new_code'])} har en ny kod och jämförs inte")
    if counts.get("gone", 0):
        parts.append(f"{int(counts['gone'])} distrikt från {from_year} finns inte längre")
    return "; ".join(parts) + ". Samma kod betyder inte alltid samma gränser."


@cache.resource(max_entries=_MAX)
def district_facts(election: str, from_year: int, to_year: int, kommunkod: str, party: str) -> dict[str, Any]:
    """What Valdistrikt derives from `districts_view`, once per choice: the year shown, whether
    a change can be shown, the summary sentence, whether the party is itemised, and the
    districts of the year shown (`shown`) and those of them with a map shape (`mappable`)."""
    df = districts_view(election, from_year, to_year, kommunkod, party)
    year = district_display_year(df, from_year, to_year)
    side = "to" if year == to_year else "from"
    shown = df[df[f"in_{side}_year"]]
    return {
        "year": year,
        "side": side,
        "compare": year == to_year and bool(df["comparison"].eq("same_code").any()),
        "summary": district_summary(df, from_year, to_year) if year == to_year else "",
        "not_itemised": year is not None and party_not_itemised(df, side),
        "shown": shown,
        "mappable": shown[~shown["is_collection"]],
    }


def default_comparison(n: int = 4) -> list[str]:
    """The Jämför page's default: the county's n most populous municipalities."""
    return list(_default_comparison(n))


@cache.resource()
def _default_comparison(n: int) -> tuple[str, ...]:
    m = municipalities()
    return tuple(m.sort_values("population", ascending=False)["kommunkod"].head(n))


def party_not_itemised(df: pd.DataFrame, side: str) -> bool:
    """True when no district of that year (`side` 'from'/'to') has a share for the party,
    i.e. the source lumps it into "övriga partier" at district level."""
    rows = df[df[f"in_{side}_year"] & ~df["is_collection"]]
    return bool(len(rows)) and bool(rows[f"share_{side}"].isna().all())


LEVEL_LABEL = {
    "country": "Riket",
    "county": "Länet",
    "region": "Regionen",
    "riksdag_valkrets": "Riksdagsvalkrets",
    "rf_valkrets": "Valkrets i regionvalet",
    "kommunvalkrets": "Valkrets i kommunvalet",
    "municipality": "Kommun",
    "district": "Valdistrikt",
}


@cache.resource()
def coverage_table(county: str = COUNTY) -> pd.DataFrame:
    """data_coverage with Swedish labels, for Om data."""
    cov = coverage(county)
    order = list(LEVEL_LABEL)
    out = cov.assign(
        val=cov["election"].map(ELECTION_LABEL),
        niva=cov["level"].map(LEVEL_LABEL).fillna(cov["level"]),
        rakning=cov["count_status"].map({"final": "slutlig", "preliminary": "preliminär"}),
        _order=cov["level"].map({lvl: i for i, lvl in enumerate(order)}),
    )
    return out.sort_values(["year", "election", "_order"]).drop(columns="_order").reset_index(drop=True)


@cache.resource()
def build_files() -> pd.DataFrame:
    """The source files listed in build_info.json (id, path, sha256)."""
    files = build_info().get("sources", [])
    return pd.DataFrame(files, columns=["id", "path", "sha256"])


def imported_results() -> pd.DataFrame:
    """Valmyndigheten result files imported into data/imported (newest first): when, which
    file and checksum, preliminary or final, and whether its rows are in use now."""
    folder = data_dir() / "imported"
    return _imported_results(str(folder), folder.stat().st_mtime_ns if folder.exists() else 0)


@cache.resource()
def _imported_results(folder: str, stamp: int) -> pd.DataFrame:
    # Keyed by the folder's mtime: an import swaps a subfolder in, which changes it.
    from .vm_import import import_history

    df = import_history()
    return df.assign(
        rakning=df["count_status"].map({"final": "slutlig", "preliminary": "preliminär"}),
        val=df["election"].map(ELECTION_LABEL),
        i_bruk=df["current"].map({True: "ja", False: "nej (ersatt)"}),
    )


def clear_caches() -> None:
    """Forget loaded data and every cached result/figure (after a build or import changed data/)."""
    db.reset_connections()
    district_geo_years.cache_clear()
    st.cache_resource.clear()
