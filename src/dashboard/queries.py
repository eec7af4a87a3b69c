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
from .state import (
    COUNTY, COUNTY_FULL, COUNTY_REFERENCE, ELECTION_DEFINITE, ELECTION_LABEL, ELECTIONS, KOMMUN_SUM,
    REGION_FULL, VALKRETS_CITY, VALKRETS_CITY_SHORT, VALKRETS_REST, VALKRETS_REST_SHORT,
)

# Result sets are small (at most ~600 district rows); bound the caches anyway, above what the
# warm-up fills per function (municipality_change: 138 parties x 3 elections for 2022→2026).
_MAX = 512


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


# Not cached: only overview_view (cached) reads it, and a cached copy per party cost ~90 KB
# (12 MB for 2022→2026's 138 parties; issue 8's memory target).
def municipality_change_all(from_year: int, to_year: int, party: str, county: str = COUNTY) -> pd.DataFrame:
    """`municipality_change` for all three elections, stacked with an `election` column."""
    frames = [
        municipality_change(e, from_year, to_year, party, county).assign(election=e) for e in ELECTIONS
    ]
    return pd.concat(frames, ignore_index=True)


# The overview's five areas per party (690 for 2022→2026), each a one-row frame.
AREA_CACHE = 2 * _MAX


@cache.resource(max_entries=AREA_CACHE)
def area_change(election: str, from_year: int, to_year: int, party: str, area: str) -> pd.DataFrame:
    return _run("area_change", election=election, from_year=from_year, to_year=to_year, party=party, area=area)


# The areas the overview reports, and what each one covers. Riksdag figures for the
# constituency "Stockholms län" are the county *without* Stockholm city; every area has one
# unambiguous name (state.COUNTY_FULL, VALKRETS_REST …), used on every page.
OVERVIEW_AREAS = (
    ("riksdag", "county:01", f"Riksdagsval – {COUNTY_FULL}", COUNTY_FULL,
     "Hela Stockholms län: båda riksdagsvalkretsarna (Stockholms kommun och resten av länet) tillsammans."),
    ("riksdag", "valkrets:01", f"Riksdagsval – {VALKRETS_CITY_SHORT}", VALKRETS_CITY,
     f"{VALKRETS_CITY}: riksdagsvalkrets 01 = Stockholms kommun."),
    ("riksdag", "valkrets:02", f"Riksdagsval – {VALKRETS_REST_SHORT}", VALKRETS_REST,
     f"{VALKRETS_REST}: riksdagsvalkrets 02, som heter Stockholms län men är länet utom Stockholms stad."),
    ("region", "region:01", f"Regionval – {REGION_FULL}", REGION_FULL,
     "Regionfullmäktige i Region Stockholm: hela länet."),
    ("kommun", "county:01", f"Kommunval – {KOMMUN_SUM}", KOMMUN_SUM, "Summan av kommunvalen i länets 26 kommuner."),
)


# Not cached, as municipality_change_all: its parts (area_change) are.
def overview_areas(from_year: int, to_year: int, party: str) -> pd.DataFrame:
    """One row per overview area: election, area, title (a card's label), name (the area's full
    name), covers + area_change columns."""
    rows = []
    for election, area, title, name, covers in OVERVIEW_AREAS:
        df = area_change(election, from_year, to_year, party, area)
        row = df.iloc[0].to_dict() if len(df) else {}
        row.update(election=election, area=area, title=title, name=name, covers=covers)
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


# --- count status: which figures rest on a preliminary count --------------------------------------

# Every preliminary figure in the data is an election-night count (region 2026 per municipality
# outside Stockholm city, riksdag 2026 per voting district); pages say so next to the figure.
PRELIMINARY = "preliminärt, valnatten"
COUNT_TEXT = {"final": "slutlig", "preliminary": "preliminär (valnatten)"}


def preliminary_mask(df: pd.DataFrame, side: str | None = None) -> pd.Series:
    """True for rows whose figure of `side` ('from'/'to') rests on a preliminary count; with
    side None, either year's (a change rests on both). Frames without count status: all False."""
    sides = (side,) if side else ("from", "to")
    out = pd.Series(False, index=df.index)
    for s in sides:
        col = f"count_status_{s}"
        if col in df:
            out |= df[col].astype("object").eq("preliminary").fillna(False).astype(bool)
    return out


def md_name(name: Any) -> str:
    """A name from the data inside Markdown: as plain text (fmt.md_text, issue 16)."""
    return fmt.md_text(name)


def preliminary_suffix(flag: Any) -> str:
    """" (preliminärt)" after a figure that rests on a preliminary count."""
    return " (preliminärt)" if bool(flag) else ""


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " och " + names[-1]


def preliminary_note(df: pd.DataFrame, election: str, from_year: int, to_year: int) -> str:
    """One sentence on which municipalities of a `municipality_change` frame rest on a
    preliminary count, per year, e.g. "Preliminärt, valnatten: regionvalet 2026 i 25 av 26
    kommuner (alla utom Stockholm)."; "" when every figure is final."""
    parts = []
    for side, year in (("from", from_year), ("to", to_year)):
        mask = preliminary_mask(df, side)
        n, total = int(mask.sum()), len(df)
        if not n:
            continue
        names = ""
        if "kommun" in df and n < total:
            if total - n <= 3:
                names = f" (alla utom {_names([md_name(k) for k in df.loc[~mask, 'kommun']])})"
            elif n <= 3:
                names = f" ({_names([md_name(k) for k in df.loc[mask, 'kommun']])})"
        parts.append(f"{ELECTION_DEFINITE[election]} {year} i {n} av {total} kommuner{names}")
    return f"{PRELIMINARY.capitalize()}: " + "; ".join(parts) + "." if parts else ""


def direction_counts(all_changes: pd.DataFrame) -> pd.DataFrame:
    """Per election: how many municipalities went up, down, stayed, or lack a figure, and how
    many of the changes rest on a preliminary count (`preliminärt`)."""
    d = all_changes.assign(direction=all_changes["change_pp"].map(direction))
    counts = d.pivot_table(index="election", columns="direction", values="kommunkod", aggfunc="count", fill_value=0)
    counts = counts.reindex(index=list(ELECTIONS), columns=["upp", "ned", "oförändrad", "saknas"], fill_value=0)
    prel = d[preliminary_mask(d) & d["change_pp"].notna()].groupby("election")["kommunkod"].count()
    counts["preliminärt"] = prel.reindex(counts.index, fill_value=0).astype(int)
    counts.insert(0, "val", [ELECTION_LABEL[e] for e in counts.index])
    return counts.reset_index()


def consistent_movers(all_changes: pd.DataFrame) -> pd.DataFrame:
    """Per municipality: change in each election and whether it rose/fell in all three.

    Columns kommunkod, kommun, change_riksdag, change_region, change_kommun, prel_<election>
    (the change rests on a preliminary count), pattern ('upp i alla tre' | 'ned i alla tre' |
    'blandat' | 'uppgift saknas').
    """
    changes = all_changes.assign(_prel=preliminary_mask(all_changes))
    wide = changes.pivot(index=["kommunkod", "kommun"], columns="election", values="change_pp")
    wide = wide.reindex(columns=list(ELECTIONS)).astype("float64")
    wide.columns = [f"change_{e}" for e in wide.columns]
    prel = changes.pivot(index=["kommunkod", "kommun"], columns="election", values="_prel")
    prel = prel.reindex(columns=list(ELECTIONS)).fillna(False).astype(bool)
    prel.columns = [f"prel_{e}" for e in prel.columns]
    wide = wide.join(prel).reset_index()
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
                    f"{label} {year} finns bara per riksdagsvalkrets: {VALKRETS_CITY} (valkrets 01) och "
                    f"{VALKRETS_REST} (valkrets 02), alltså länet utom Stockholms stad. Per kommun finns bara "
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
            notes.append(_preliminary_coverage(cov, election, year, level, sub))
    return notes


_LEVEL_UNITS = {"municipality": ("kommun", "kommuner"), "district": ("valdistrikt", "valdistrikt")}


def _preliminary_coverage(cov: pd.DataFrame, election: str, year: int, level: str, sub: pd.Series) -> str:
    """"Regionval 2026: 25 av 26 kommuner är preliminärt räknade (valnatten) …" – how much of
    the level rests on a preliminary count, and that the whole county is final if it is."""
    label = ELECTION_LABEL[election]
    one, many = _LEVEL_UNITS.get(level, (LEVEL_LABEL.get(level, level).lower(), LEVEL_LABEL.get(level, level).lower()))
    n = int(sub["n_areas"])
    n_prel = int(sub.get("n_preliminary", n) if pd.notna(sub.get("n_preliminary", n)) else n)
    if n_prel < n:
        text = f"{label} {year}: {n_prel} av {n} {many} är preliminärt räknade (valnatten); övriga är slutligt räknade."
    else:
        text = f"{label} {year} per {one} är preliminärt räknat (valnatten)."
    whole = cov[(cov["election"] == election) & (cov["year"] == year) & cov["level"].isin(["county", "region"])]
    if len(whole) and (whole["count_status"] == "final").all():
        text += " Hela länet är slutligt räknat."
    return text


@cache.resource(max_entries=_MAX)
def notes_for(election: str, from_year: int, to_year: int, level: str = "municipality",
              county: str = COUNTY) -> tuple[str, ...]:
    """`coverage_notes` for the loaded data, computed once per choice (pages call this on
    every rerun; filtering the coverage frame each time cost ~10 ms)."""
    return tuple(coverage_notes(coverage(county), election, from_year, to_year, level))


# Source ids (data/SOURCES.md) by who published the numbers; the rest are third-party copies of
# Valmyndigheten's results (2026, until Valmyndigheten's own files are imported).
_PUBLISHERS = (("vm_resultatfil", "Valmyndighetens resultatfiler (importerade)"), ("scb_", "SCB"),
               ("valmyndigheten_", "Valmyndigheten"))
_DERIVED_SHARES = "party_votes_stockholm"  # kommunval 2018: counts recovered from official shares
RESULT_LEVELS = ("municipality", "county", "region", "riksdag_valkrets", "rf_valkrets", "kommunvalkrets")


def _publisher(source: str) -> str:
    first = source.split("+")[0]
    for prefix, name in _PUBLISHERS:
        if first.startswith(prefix):
            return name
    return "kopior av Valmyndighetens resultat (tredje part)"


def preliminary_parts(cov: pd.DataFrame) -> list[str]:
    """The preliminary parts of coverage rows, e.g. ["regionvalet per kommun (25 av 26
    kommuner)", "riksdagsvalet per valdistrikt"]."""
    parts = []
    for row in cov[cov["count_status"] == "preliminary"].itertuples():
        one, many = _LEVEL_UNITS.get(row.level, (LEVEL_LABEL.get(row.level, row.level).lower(),) * 2)
        n_prel = int(getattr(row, "n_preliminary", row.n_areas))
        share = f" ({n_prel} av {int(row.n_areas)} {many})" if n_prel < row.n_areas else ""
        parts.append(f"{ELECTION_DEFINITE[row.election]} per {one}{share}")
    return parts


def source_text_from(cov: pd.DataFrame, years: tuple[int, ...], levels: tuple[str, ...] = RESULT_LEVELS,
                     elections: tuple[str, ...] = ELECTIONS) -> str:
    """Who published the results of `years` at `levels` and how far each was counted, e.g.
    "2022: SCB, slutligt; 2026: kopior av Valmyndighetens resultat (tredje part), slutligt utom
    regionvalet per kommun (25 av 26 kommuner), som är preliminärt (valnatten)"."""
    return "; ".join(source_lines_from(cov, years, levels, elections))


def source_lines_from(cov: pd.DataFrame, years: tuple[int, ...], levels: tuple[str, ...] = RESULT_LEVELS,
                      elections: tuple[str, ...] = ELECTIONS) -> list[str]:
    """`source_text_from` as one line per year."""
    parts = []
    for year in years:
        sub = cov[(cov["year"] == year) & cov["level"].isin(levels) & cov["election"].isin(elections)]
        if sub.empty:
            continue
        pubs: list[str] = []
        derived = []
        for row in sub.itertuples():
            for source in str(getattr(row, "sources", "") or "").split(","):
                if not source:
                    continue
                if source == _DERIVED_SHARES:
                    derived.append(row.election)
                elif _publisher(source) not in pubs:
                    pubs.append(_publisher(source))
        prel = preliminary_parts(sub)
        all_prel = bool((sub["count_status"] == "preliminary").all()) and int(
            sub.get("n_preliminary", sub["n_areas"]).sum()) == int(sub["n_areas"].sum())
        text = f"{year}: {', '.join(pubs) or 'se Om data'}, "
        if all_prel:
            text += "preliminärt (valnatten)"
        else:
            text += "slutligt" + (f" utom {_names(prel)}, som är preliminärt (valnatten)" if prel else "")
        if derived:
            text += "; " + _names(sorted({ELECTION_DEFINITE[e] for e in derived})) + " härlett ur officiella andelar"
        parts.append(text)
    return parts


@cache.resource(max_entries=_MAX)
def source_lines(years: tuple[int, ...], levels: tuple[str, ...] = RESULT_LEVELS) -> list[str]:
    """`source_lines_from` for the loaded data (Om data)."""
    return source_lines_from(coverage(), tuple(years), tuple(levels))


@cache.resource(max_entries=_MAX)
def preliminary_in(year: int) -> list[str]:
    """`preliminary_parts` of one year in the loaded data, e.g. ["regionvalet per kommun (25 av 26
    kommuner)", "riksdagsvalet per valdistrikt"]."""
    cov = coverage()
    return preliminary_parts(cov[cov["year"] == year])


@cache.resource(max_entries=_MAX)
def source_text(years: tuple[int, ...], levels: tuple[str, ...] = RESULT_LEVELS,
                elections: tuple[str, ...] = ELECTIONS) -> str:
    """`source_text_from` for the loaded data, once per choice (the pages' small print)."""
    return source_text_from(coverage(), tuple(years), tuple(levels), tuple(elections))


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
def _district_geo_index(year: int = 2022, county: str = COUNTY) -> dict[str, dict]:
    """Per municipality, its voting districts' bounds and codes on the `year` map, read once."""
    by_kommun: dict[str, list[dict]] = {}
    for f in _read_geojson(f"valdistrikt_{county}_{year}.geojson")["features"]:
        by_kommun.setdefault(f["properties"].get("kommunkod"), []).append(f)
    return {
        "bboxes": {k: list(_bounds(feats)) for k, feats in by_kommun.items() if k},
        "codes": {k: frozenset(f["properties"]["district_code"] for f in feats) for k, feats in by_kommun.items() if k},
    }


def district_bboxes(year: int = 2022, county: str = COUNTY) -> dict[str, list[float]]:
    """Each municipality's voting-district bounds (west, south, east, north) for `year`.

    Maps whose GeoJSON the browser fetches by URL need only these to frame the view; the
    parsed county file (~7 MB of Python objects) is not kept for them.
    """
    return _district_geo_index(year, county)["bboxes"]


def district_geo_codes(year: int = 2022, county: str = COUNTY) -> dict[str, frozenset[str]]:
    """Each municipality's district codes that have a shape on the `year` map."""
    return _district_geo_index(year, county)["codes"]


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

    Shares known only within ±1 vote show their bounds instead of "uppgift saknas". The count
    status of each year reads "slutlig" / "preliminär (valnatten)" (`count_from_txt`,
    `count_to_txt`); `prel` marks rows whose change rests on a preliminary count, `prel_to`
    those whose later year's figures do.
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
        status = out.get(f"count_status_{side}")
        out[f"count_{side}_txt"] = (
            [COUNT_TEXT.get(v, fmt.MISSING) if isinstance(v, str) else fmt.MISSING for v in status]
            if status is not None else fmt.MISSING
        )
    out["prel"] = preliminary_mask(out)
    out["prel_to"] = preliminary_mask(out, "to")
    return out


def county_row(election: str, from_year: int, to_year: int, party: str) -> pd.DataFrame:
    """The whole county as one row shaped like `municipality_change` (for reference bars)."""
    df = area_change(election, from_year, to_year, party, f"county:{COUNTY}")
    return df.rename(columns={"area_code": "kommunkod"}).assign(kommun=COUNTY_REFERENCE)


@cache.resource(max_entries=_MAX)
def kommuner_view(election: str, from_year: int, to_year: int, party: str) -> pd.DataFrame:
    """municipality_change + text columns + seat margins (when the seat engine exists),
    ordered by change (largest gain first, missing last)."""
    df = add_text(municipality_change(election, from_year, to_year, party))
    if election == "kommun":
        df = _with_seats(df, election, to_year, party)
    return df.sort_values("change_pp", ascending=False, na_position="last").reset_index(drop=True)


def top_text(lists: dict[str, pd.DataFrame]) -> dict[str, str]:
    """Each top list as numbered Swedish markdown lines ("" when empty); a figure resting on a
    preliminary count says so on its line."""
    return {
        title: "\n".join(
            f"{i}. {md_name(r.kommun)}: {r.text}{preliminary_suffix(r.prel)}"
            for i, r in enumerate(rows.itertuples(), start=1)
        )
        for title, rows in lists.items()
    }


def top_prel_text(lists: dict[str, pd.DataFrame]) -> dict[str, str]:
    """Per top list, "3 av 5 preliminärt (valnatten)" where any line rests on a preliminary count."""
    out = {}
    for title, rows in lists.items():
        n = int(rows["prel"].sum()) if "prel" in rows else 0
        out[title] = f"{n} av {len(rows)} preliminärt (valnatten)" if n else ""
    return out


@cache.resource(max_entries=_MAX)
def kommuner_extras(election: str, from_year: int, to_year: int, party: str) -> dict[str, Any]:
    """What Kommuner derives from `kommuner_view` besides the table: the direction counts for
    this election, the four top lists and which figures rest on a preliminary count (pandas
    work of ~40 ms, done once per choice)."""
    df = kommuner_view(election, from_year, to_year, party)
    counts = direction_counts(df.assign(election=election))
    lists = top_lists(df)
    return {
        "counts": counts[counts["election"] == election].iloc[0],
        "top_text": top_text(lists),
        "top_prel": top_prel_text(lists),
        "n_prel": int(df["prel"].sum()),
        "prel_note": preliminary_note(df, election, from_year, to_year),
        "county_prel": bool(preliminary_mask(area_change(election, from_year, to_year, party, f"county:{COUNTY}")).any()),
    }


def top_lists(df: pd.DataFrame, n: int = 5) -> dict[str, pd.DataFrame]:
    """The evaluation group's four lists: best share, most gained, lowest share, most lost.

    Each frame has kommunkod, kommun, text (the value in Swedish) and prel (the value rests on
    a preliminary count); rows without a value are left out, and only gains count as gains and
    only losses as losses.
    """
    df = df.assign(_prel_to=preliminary_mask(df, "to"), _prel=preliminary_mask(df))
    have_share = df[df["share_to"].notna()]
    gained = df[df["change_pp"] > 0]
    lost = df[df["change_pp"] < 0]
    lists = {
        "Högst andel": have_share.nlargest(n, "share_to").assign(text=lambda d: d["share_to_txt"], prel=lambda d: d["_prel_to"]),
        "Störst ökning": gained.nlargest(n, "change_pp").assign(text=lambda d: d["change_pp_txt"], prel=lambda d: d["_prel"]),
        "Lägst andel": have_share.nsmallest(n, "share_to").assign(text=lambda d: d["share_to_txt"], prel=lambda d: d["_prel_to"]),
        "Störst minskning": lost.nsmallest(n, "change_pp").assign(text=lambda d: d["change_pp_txt"], prel=lambda d: d["_prel"]),
    }
    return {k: v[["kommunkod", "kommun", "text", "prel"]].reset_index(drop=True) for k, v in lists.items()}


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
def compare_prel(kommuner: tuple[str, ...], from_year: int, to_year: int, party: str, with_county: bool) -> str:
    """`compare_prel_note` of `compare_view`, once per choice (~2 ms of pandas per rerun otherwise)."""
    return compare_prel_note(compare_view(kommuner, from_year, to_year, party, with_county), from_year, to_year)


def compare_prel_note(df: pd.DataFrame, from_year: int, to_year: int) -> str:
    """Jämför: which of the chosen municipalities' figures rest on a preliminary count, per
    election ("" when none)."""
    parts = []
    for election in ELECTIONS:
        rows = df[(df["election"] == election) & ~df["is_reference"]]
        note = preliminary_note(rows, election, from_year, to_year)
        if note:
            parts.append(note.split(": ", 1)[1].rstrip("."))
    return f"{PRELIMINARY.capitalize()}: " + "; ".join(parts) + "." if parts else ""


def _mover_line(r) -> str:
    return (
        f"**{md_name(r.kommun)}**: riksdag {r.change_riksdag_txt}{preliminary_suffix(r.prel_riksdag)}, "
        f"region {r.change_region_txt}{preliminary_suffix(r.prel_region)}, "
        f"kommun {r.change_kommun_txt}{preliminary_suffix(r.prel_kommun)}"
    )


def _ranking_markdown(lists: dict[str, pd.DataFrame], gained_lost: dict[str, tuple[int, str]]) -> str:
    """One election's top lists and who gained and lost as one block of Markdown lines (one
    element on the page: the overview shows three of them)."""
    prel = top_prel_text(lists)
    lines = []
    for title, rows in lists.items():
        items = " · ".join(
            f"{i}. {md_name(r.kommun)} {r.text}{preliminary_suffix(r.prel)}" for i, r in enumerate(rows.itertuples(), 1)
        ) or ("ingen kommun" if "Stör" in title else fmt.MISSING)
        lines.append(f"**{title}**" + (f" – {prel[title]}" if prel[title] else "") + f": {items}")
    for label, (n, names) in gained_lost.items():
        lines.append(f"**{label}** ({n} kommuner): {names or 'inga'}")
    return "  \n".join(lines)


def _gained_lost(df: pd.DataFrame) -> dict[str, tuple[int, str]]:
    """How many municipalities gained / lost, and their names in order of the change."""
    up = df[df["change_pp"] > 0].sort_values("change_pp", ascending=False)
    down = df[df["change_pp"] < 0].sort_values("change_pp")
    return {"Ökade": (len(up), ", ".join(map(md_name, up["kommun"]))),
            "Minskade": (len(down), ", ".join(map(md_name, down["kommun"])))}


@cache.resource(max_entries=_MAX)
def overview_rankings(from_year: int, to_year: int, party: str) -> dict[str, str]:
    """Per election, the evaluation's top lists and who gained and lost, as Markdown: a cached
    part of overview_view (~28 ms), so that the warm-up's steps stay short."""
    rankings = {}
    for election in ELECTIONS:
        df = add_text(municipality_change(election, from_year, to_year, party))
        lists = top_lists(df, n=3)
        rankings[election] = _ranking_markdown(lists, _gained_lost(df))
    return rankings


@cache.resource(max_entries=_MAX)
def overview_view(from_year: int, to_year: int, party: str) -> dict[str, Any]:
    """Everything the overview shows: areas, direction counts, per-municipality pattern, and per
    election the top lists and who gained and lost (the evaluation report's lists)."""
    all_changes = municipality_change_all(from_year, to_year, party)
    movers = consistent_movers(all_changes)
    movers = fmt.with_text(movers, change_riksdag="pp", change_region="pp", change_kommun="pp")
    for election in ELECTIONS:
        movers[f"change_{election}_hover"] = [
            t + preliminary_suffix(p) for t, p in zip(movers[f"change_{election}_txt"], movers[f"prel_{election}"])
        ]
    areas = overview_areas(from_year, to_year, party)
    counts = direction_counts(all_changes)
    rankings = overview_rankings(from_year, to_year, party)
    prel_areas = preliminary_mask(areas, "to") | preliminary_mask(areas, "from")
    return {
        "areas": areas,
        # the same rows as plain tuples: the page draws a card per row on every rerun
        "area_cards": list(
            zip(areas["title"], areas["share_to"], areas["change_pp"], areas["covers"], prel_areas)
        ),
        "counts": counts,
        "movers": movers,
        # per pattern, one Swedish line per municipality (the lists beside the map)
        "mover_lines": {
            pattern: [_mover_line(r) for r in movers[movers["pattern"] == pattern].itertuples()]
            for pattern in ("upp i alla tre", "ned i alla tre")
        },
        # how many municipalities of each pattern rest on a preliminary count in some election
        "mover_prel": {
            pattern: int(movers.loc[movers["pattern"] == pattern, [f"prel_{e}" for e in ELECTIONS]].any(axis=1).sum())
            for pattern in ("upp i alla tre", "ned i alla tre")
        },
        "prel_notes": [n for n in (preliminary_note(all_changes[all_changes["election"] == e], e, from_year, to_year)
                                   for e in ELECTIONS) if n],
        # per election, the evaluation's top lists (three each) and who gained and lost, as Markdown
        "rankings": rankings,
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


def _same_name(a: Any, b: Any) -> bool:
    return str(a).strip().casefold() == str(b).strip().casefold()


@cache.resource(max_entries=_MAX)
def districts_view(election: str, from_year: int, to_year: int, kommunkod: str, party: str) -> pd.DataFrame:
    """district_change with text columns and a Swedish reason where no comparison is made.

    Same-code districts whose name changed (`renamed`) are still compared but flagged, as are
    those whose electorate moved more than ±20 %: the boundaries may have changed. `note` is a
    caveat on the district from area_notes (e.g. a result the source repeats for two districts).
    """
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
    # Same code, another name (e.g. "Lilla Alby 1" → "Lilla Alby Östra"): compared, but flagged.
    renamed = (out["comparison"] == "same_code") & out["district_name_from"].notna() & pd.Series(
        [not _same_name(a, b) for a, b in zip(out["district_name"], out["district_name_from"])], index=out.index
    )
    reason[renamed] = [
        f"jämförbar (samma kod), men {from_year} hette distriktet ”{old}” – gränserna kan ha ändrats"
        for old in out.loc[renamed, "district_name_from"]
    ]
    out["renamed"] = renamed
    note = out["note_to"].where(out["note_to"].notna(), out["note_from"]) if "note_to" in out else pd.Series(
        None, index=out.index, dtype="object")
    out["note"] = note
    # A same-code district without numbers of its own (Sundbyberg 01830129): the note says why.
    no_numbers = (out["comparison"] == "same_code") & note.notna() & (
        out["valid_to"].isna() | out["valid_from"].isna())
    reason[no_numbers] = "ingen jämförelse – se anmärkningen"
    out["comparison_txt"] = reason
    out["missing_reason"] = "Förändring: " + reason.str.replace("jämförbar (samma distriktskod båda åren)", fmt.MISSING, regex=False)
    out["missing_share_reason"] = note.where(note.notna(), fmt.MISSING).astype(str)
    for side in ("from", "to"):
        status = out.get(f"count_status_{side}")
        out[f"count_{side}_txt"] = (
            [COUNT_TEXT.get(v, fmt.MISSING) if isinstance(v, str) else fmt.MISSING for v in status]
            if status is not None else fmt.MISSING
        )
    return out


def district_display_year(df: pd.DataFrame, from_year: int, to_year: int) -> int | None:
    """The year whose districts the page shows: the later year if it has district results."""
    if bool(df["in_to_year"].any()):
        return to_year
    if bool(df["in_from_year"].any()):
        return from_year
    return None


def district_counts(df: pd.DataFrame) -> dict[str, int]:
    """Matched and unmatched districts (collection rows left out): `same` (the code exists in
    both years), `compared` (of those, with numbers both years), `renamed` (same code, another
    name), `new` (code only in the later year), `gone` (only in the earlier), `to` (districts of
    the later year)."""
    geo = df[~df["is_collection"]]
    same = geo["comparison"] == "same_code"
    have = pd.Series(True, index=geo.index)
    for col in ("valid_from", "valid_to"):
        if col in geo:
            have &= geo[col].notna()
    return {
        "same": int(same.sum()),
        "compared": int((same & have).sum()),
        "renamed": int(geo["renamed"].sum()) if "renamed" in geo else 0,
        "new": int((geo["comparison"] == "new_code").sum()),
        "gone": int((geo["comparison"] == "gone").sum()),
        "to": int(geo["in_to_year"].sum()),
    }


def district_summary(df: pd.DataFrame, from_year: int, to_year: int) -> str:
    """One sentence on how many districts can be compared, and why the others cannot."""
    geo = df[~df["is_collection"]]
    counts = geo["comparison"].value_counts()
    if counts.get("no_from_data", 0):
        return f"Det finns inga resultat per valdistrikt för {from_year}, så ingen förändring kan visas per distrikt."
    c = district_counts(df)
    if c["same"] == 0:
        return (
            f"Inget av de {c['to']} valdistrikten {to_year} har samma kod som {from_year} – distrikten har "
            "ritats om, så ingen förändring per distrikt kan visas."
        )
    first = f"{c['same']} av {c['to']} valdistrikt {to_year} fanns med samma kod {from_year} och jämförs"
    if c["renamed"]:
        first += f" ({c['renamed']} av dem har bytt namn – gränserna kan ha ändrats)"
    parts = [first]
    if c["same"] > c["compared"]:
        parts.append(f"{c['same'] - c['compared']} med samma kod saknar egna siffror (se anmärkningen)")
    if c["new"]:
        parts.append(f"{c['new']} har en ny kod och jämförs inte")
    if c["gone"]:
        parts.append(f"{c['gone']} distrikt från {from_year} finns inte längre")
    return "; ".join(parts) + ". Samma kod betyder inte alltid samma gränser."


def geometry_year(year: int, available: tuple[int, ...]) -> int | None:
    """The district map to draw `year` on: its own, else the latest earlier one, else the
    earliest later one (2026 districts have no map: drawn on 2022's where the code exists)."""
    if not available:
        return None
    if year in available:
        return year
    earlier = [y for y in available if y < year]
    return max(earlier) if earlier else min(available)


@cache.resource(max_entries=_MAX)
def district_facts(election: str, from_year: int, to_year: int, kommunkod: str, party: str) -> dict[str, Any]:
    """What Valdistrikt derives from `districts_view`, once per choice: the year shown, whether
    a change can be shown, the summary sentence and counts, whether the party is itemised, the
    districts of the year shown (`shown`), those of them with a map shape (`mappable`) on the
    map of `geo_year`, how many cannot be drawn (`not_drawn`), whether the year has turnout,
    whether it is a preliminary count, and the districts' caveats (`notes`)."""
    df = districts_view(election, from_year, to_year, kommunkod, party)
    year = district_display_year(df, from_year, to_year)
    side = "to" if year == to_year else "from"
    shown = df[df[f"in_{side}_year"]]
    geo_year = geometry_year(year, district_geo_years()) if year is not None else None
    codes = district_geo_codes(geo_year).get(kommunkod, frozenset()) if geo_year is not None else frozenset()
    places = shown[~shown["is_collection"]]
    drawable = places["district_code"].isin(codes)
    # Collection rows of the earlier year with none in the year shown: a count without them.
    no_collection = year == to_year and bool(df.loc[df["in_from_year"], "is_collection"].any()) and not bool(
        shown["is_collection"].any())
    with_note = shown[shown["note"].notna()] if "note" in shown else shown.iloc[0:0]
    return {
        "year": year,
        "side": side,
        "compare": year == to_year and bool(df["comparison"].eq("same_code").any()),
        "summary": district_summary(df, from_year, to_year) if year == to_year else "",
        "counts": district_counts(df),
        "not_itemised": year is not None and party_not_itemised(df, side),
        "shown": shown,
        "mappable": places[drawable],
        "geo_year": geo_year,
        "not_drawn": int((~drawable).sum()),
        "has_turnout": bool(shown[f"turnout_{side}"].notna().any()),
        "preliminary": bool(preliminary_mask(shown, side).any()),
        # what the table's columns depend on (ui.district_cols), decided once per choice
        "columns": {
            "prel_from": bool(preliminary_mask(shown, "from").any()),
            "prel_to": bool(preliminary_mask(shown, "to").any()),
            **{c: bool(shown[c].notna().any()) for c in ("turnout_from", "turnout_to", "note")},
        },
        "no_collection": no_collection,
        "notes": list(with_note[["district_code", "district_name", "note"]].itertuples(index=False, name=None)),
    }


def has_districts(cov: pd.DataFrame, election: str, year: int) -> bool:
    return "district" in levels(cov, election, year)


def district_alternative_from(cov: pd.DataFrame, pairs: list[tuple[int, int]], election: str, from_year: int,
                              to_year: int) -> tuple[str, int, int] | None:
    """The nearest choice that has results per voting district in both years, when this one
    lacks them in either: the same years in another election (riksdag first), else the same
    election in other years (latest first), else any (latest first); None if this one has them."""
    def both(e: str, a: int, b: int) -> bool:
        return has_districts(cov, e, a) and has_districts(cov, e, b)

    if both(election, from_year, to_year):
        return None
    latest_first = sorted(pairs, key=lambda p: (p[1], p[0]), reverse=True)
    candidates = [(e, from_year, to_year) for e in ELECTIONS if e != election]
    candidates += [(election, a, b) for a, b in latest_first]
    candidates += [(e, a, b) for a, b in latest_first for e in ELECTIONS]
    return next((c for c in candidates if both(*c)), None)


@cache.resource(max_entries=_MAX)
def district_alternative(election: str, from_year: int, to_year: int) -> tuple[str, int, int] | None:
    """`district_alternative_from` for the loaded data."""
    return district_alternative_from(coverage(), year_pairs(), election, from_year, to_year)


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


ORIGIN_COLUMNS = ["id", "origin_repository", "origin_path", "origin_commit", "count_status", "path", "sha256"]


@cache.resource()
def copied_sources() -> pd.DataFrame:
    """The build's sources that are third-party copies (the 2026 files): each file with the
    repository, path and commit it was copied from and its count (slutlig / preliminär), as
    build_info.json records them; `räkning` reads "preliminär (valnatten)" for a preliminary one."""
    files = [f for f in build_info().get("sources", []) if f.get("origin_repository")]
    df = pd.DataFrame(files, columns=ORIGIN_COLUMNS)
    return df.assign(rakning=df["count_status"].replace({"preliminär": "preliminär (valnatten)"}))


def source_section_from(text: str, source_id: str) -> str:
    """The section `## source_id` of SOURCES.md without its heading and file list ("" if absent)."""
    lines, inside = [], False
    for line in text.splitlines():
        if line.startswith("## "):
            inside = line[3:].strip() == source_id
            continue
        if inside:
            if line.startswith("- Filer:"):
                break
            lines.append(line)
    return "\n".join(lines).strip()


@cache.resource()
def source_section(source_id: str) -> str:
    """What SOURCES.md (written by the build) says about one source: origin, count, checks and
    what replaces it."""
    return source_section_from(sources_markdown(), source_id)


@cache.resource()
def area_notes_table() -> pd.DataFrame:
    """The caveats on single areas (data/area_notes.parquet) with Swedish labels, for Om data."""
    df = db.sql("SELECT election, year, level, area_code, note FROM area_notes ORDER BY year, election, level, area_code")
    return df.assign(val=df["election"].map(ELECTION_LABEL), niva=df["level"].map(LEVEL_LABEL).fillna(df["level"]))


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
