"""The `seat_margins` query and the check of the seat engine against the official seats.

Reads the warehouse tables (area_totals, area_votes, parties, seats_official) and runs
`dashboard.seats` on them. See docs/seats.md for the definitions.

Inputs per council (election, year):
* votes of every party that can win seats at council level (`municipality` / `region`
  rows); SCB's `ÖVR` bucket (parties.kind = 'bucket') is not a party: its votes count only
  in the valid-vote total behind the threshold;
* for a council with several constituencies, votes per constituency (`kommunvalkrets` /
  `rf_valkrets` rows) and the fixed seats per constituency: as published (`councils` table,
  2026), else distributed by the eligible voters per constituency (sums of the district rows);
* the council size: the official seats of that year, else of the latest earlier year
  (column `council_size_year` says which).

A count known only as a range (precision 'range', a few tiny parties in Stockholm city) is
taken at its lower bound `votes_min`; the votes this leaves unassigned stay in the valid
total. For the party asked about this is the safe side: the votes it needs for one more
seat are then an upper bound and its margin a lower bound. (Those parties are far below
every threshold; V is always exact.)

The query's rows are computed with the data, not per request: `council_rows` gives every
party's row of a council, `dashboard.seat_table` stores them for every council, election and
year (data/seat_margins.parquet and the database file), and `seat_margins` reads that table.

`python -m dashboard.seat_queries` prints the validation summary line for bench/RESULTS.md.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import db, seats as S
from .db import Param
from .errors import QueryError
from .paths import data_dir

COUNCIL_LEVEL = {"kommun": "municipality", "region": "region"}
CONSTITUENCY_LEVEL = {"kommun": "kommunvalkrets", "region": "rf_valkrets"}
CONSTITUENCY_CODE = {"kommun": "kommunvalkrets_code", "region": "rf_valkrets_code"}
ELECTION_SV = {"kommun": "kommunfullmäktigevalet", "region": "regionfullmäktigevalet"}


@dataclass
class Council:
    election: str
    year: int
    area: str
    area_name: str
    county_code: str
    valid_votes: int
    votes: dict[str, int]  # parties that can win seats (range counts at votes_min)
    other_votes: int  # valid votes of no such party (ÖVR bucket, range remainders)
    precision: dict[str, str]
    itemised: bool  # every party itemised (no ÖVR bucket at council level)
    # The allocation can be trusted: every party itemised, or the official seats show that
    # no party hidden in ÖVR won a seat.
    complete: bool = True
    constituency_votes: dict[str, dict[str, int]] | None = None
    eligible: dict[str, int] | None = None
    fixed_seats: dict[str, int] | None = None  # per constituency, as published (else from `eligible`)
    n_constituencies: int = 1
    count_status: str = "final"  # of the council's result row: final / preliminary
    council_size: int | None = None
    council_size_year: int | None = None
    official: dict[str, int] = field(default_factory=dict)  # official seats of this year
    # Parties that lost a real lottery (14 kap. 2 §), found by matching the official seats.
    lot: tuple[str, ...] = ()

    def kwargs(self) -> dict:
        """Keyword arguments for the engine functions."""
        return dict(
            election=self.election,
            constituency_votes=self.constituency_votes,
            fixed_seats=self.fixed_seats,
            eligible=self.eligible,
            other_votes=self.other_votes,
        )

    def allocate(self, unlucky: str | tuple[str, ...] | None = None) -> S.Allocation:
        return S.allocate(self.votes, self.council_size, unlucky=self.lot if unlucky is None else unlucky,
                          **self.kwargs())

    def differences(self, alloc: S.Allocation) -> dict[str, tuple[int, int]]:
        """Party -> (engine, official) where they differ (the parties that can be compared)."""
        parties = set(self.votes) | set(self.official) if self.itemised else set(self.votes)
        return {p: (alloc.seats.get(p, 0), self.official.get(p, 0)) for p in sorted(parties)
                if alloc.seats.get(p, 0) != self.official.get(p, 0)}

    def find_lot(self) -> None:
        """If the official seats are another outcome of a reported tie, remember who lost the lot."""
        if not (self.official and self.complete and self.council_size and self.council_size_year == self.year):
            return
        alloc = self.allocate()
        if not alloc.ties or not self.differences(alloc):
            return
        for t in alloc.ties:
            for p in t.winners:
                if not self.differences(self.allocate(unlucky=(p,))):
                    self.lot = (p,)
                    return


def _sql(con, query: str, params: dict) -> pd.DataFrame:
    # DuckDB refuses named parameters that the query does not use.
    used = {k: v for k, v in params.items() if f"${k}" in query}
    cur = con.cursor()
    try:
        return cur.execute(query, used).df()
    finally:
        cur.close()


def _int(x) -> int | None:
    return None if pd.isna(x) else int(x)


def load_councils(election: str, year: int, directory: Path | None = None, con=None) -> dict[str, Council]:
    """Every council of `election` and `year` in the warehouse (or in the DuckDB connection
    `con`, e.g. a database being built), keyed by area code."""
    if election not in COUNCIL_LEVEL:
        raise QueryError(f"Valet '{election}' har ingen mandatfördelning här (kommun eller region).")
    con = con if con is not None else db.connect(directory)
    p = {"election": election, "year": year, "level": COUNCIL_LEVEL[election]}
    totals = _sql(con, """
        SELECT area_code, area_name, county_code, valid_votes, count_status FROM area_totals
        WHERE election = $election AND year = $year AND level = $level ORDER BY area_code""", p)
    votes = _sql(con, """
        SELECT v.area_code, v.party, v.votes, v.votes_min, v.precision, coalesce(pa.kind, 'other') AS kind
        FROM area_votes v LEFT JOIN parties pa ON pa.party = v.party
        WHERE v.election = $election AND v.year = $year AND v.level = $level""", p)
    pc = {**p, "level": CONSTITUENCY_LEVEL[election]}
    # The council a constituency belongs to: kommunkod for municipalities, LL for regions.
    council_of = "t.kommunkod" if election == "kommun" else "substr(t.area_code, 1, 2)"
    cvotes = _sql(con, f"""
        SELECT {council_of} AS council, v.area_code, v.party, v.votes, v.votes_min,
               coalesce(pa.kind, 'other') AS kind
        FROM area_votes v
        JOIN area_totals t ON t.election = v.election AND t.year = v.year AND t.level = v.level
                           AND t.area_code = v.area_code
        LEFT JOIN parties pa ON pa.party = v.party
        WHERE v.election = $election AND v.year = $year AND v.level = $level""", pc)
    code_col = CONSTITUENCY_CODE[election]
    eligible = _sql(con, f"""
        SELECT {code_col} AS area_code, sum(eligible) AS eligible FROM area_totals
        WHERE election = $election AND year = $year AND level = 'district' AND {code_col} IS NOT NULL
        GROUP BY 1""", p)
    fixed = _sql(con, """
        SELECT area_code, fixed_seats FROM councils
        WHERE election = $election AND year = $year AND level = $level AND fixed_seats IS NOT NULL""", pc)
    sizes = _sql(con, """
        SELECT year, area_code, sum(seats) AS size FROM seats_official
        WHERE election = $election AND year <= $year GROUP BY 1, 2""", p)
    official = _sql(con, """
        SELECT area_code, party, seats FROM seats_official WHERE election = $election AND year = $year""", p)
    kinds = dict(_sql(con, "SELECT party, kind FROM parties", {}).itertuples(index=False))

    eligible_by_c = dict(zip(eligible.area_code, eligible.eligible.astype("int64")))
    fixed_by_c = dict(zip(fixed.area_code, fixed.fixed_seats.astype("int64")))
    size_by_area: dict[str, tuple[int, int]] = {}
    for r in sizes.sort_values("year").itertuples():
        size_by_area[r.area_code] = (int(r.size), int(r.year))  # latest year wins
    official_by_area: dict[str, dict[str, int]] = {}
    for r in official.itertuples():
        official_by_area.setdefault(r.area_code, {})[r.party] = int(r.seats)
    votes_by_area = {a: g for a, g in votes.groupby("area_code")}
    cvotes_by_area = {a: g for a, g in cvotes.groupby("council")}

    councils: dict[str, Council] = {}
    for t in totals.itertuples():
        g = votes_by_area.get(t.area_code)
        valid = _int(t.valid_votes)
        if g is None or valid is None or g["votes_min"].isna().any():
            continue  # share-only results: no counts to allocate
        parties = g[g.kind != "bucket"]
        council = Council(
            election=election, year=year, area=t.area_code, area_name=t.area_name,
            county_code=t.county_code, valid_votes=valid,
            votes={r.party: int(r.votes_min) for r in parties.itertuples()},
            other_votes=0,
            precision=dict(zip(parties.party, parties.precision)),
            itemised=bool((g.kind != "bucket").all()),
            official=official_by_area.get(t.area_code, {}),
            count_status=t.count_status,
        )
        hidden_won = any(s > 0 and kinds.get(q) != "riksdag" for q, s in council.official.items())
        council.complete = council.itemised or bool(council.official) and not hidden_won
        cg = cvotes_by_area.get(t.area_code)
        if cg is not None and cg["area_code"].nunique() > 1:
            cg = cg[cg.kind != "bucket"]
            cv: dict[str, dict[str, int]] = {}
            for r in cg.itertuples():
                cv.setdefault(r.area_code, {})[r.party] = int(r.votes_min)
            summed = S.sum_constituencies(cv)
            for party, v in council.votes.items():
                if council.precision.get(party) == "exact" and summed.get(party, 0) != v:
                    raise QueryError(
                        f"data/area_votes.parquet: {party} har {v} röster i {t.area_name} ({t.area_code}) "
                        f"men {summed.get(party, 0)} summerat över valkretsarna ({CONSTITUENCY_LEVEL[election]})."
                    )
            published = all(c in fixed_by_c for c in cv)
            missing = [c for c in cv if c not in eligible_by_c]
            if missing and not published:
                raise QueryError(
                    f"data/area_totals.parquet: röstberättigade saknas för valkrets {', '.join(missing)} "
                    f"i {t.area_name} (kolumnen {code_col} på distriktsraderna)."
                )
            allp = set(summed) | set(council.votes)
            council.constituency_votes = {c: {q: pv.get(q, 0) for q in allp} for c, pv in cv.items()}
            council.votes = {q: summed.get(q, 0) for q in allp}
            if published:
                council.fixed_seats = {c: int(fixed_by_c[c]) for c in cv}
            else:
                council.eligible = {c: int(eligible_by_c[c]) for c in cv}
            council.n_constituencies = len(cv)
        council.other_votes = valid - sum(council.votes.values())
        if council.other_votes < 0:
            raise QueryError(
                f"data/area_votes.parquet: partiernas röster i {t.area_name} ({t.area_code}) är fler än "
                f"de giltiga rösterna i data/area_totals.parquet ({valid})."
            )
        if t.area_code in size_by_area:
            council.council_size, council.council_size_year = size_by_area[t.area_code]
            council.find_lot()
        councils[t.area_code] = council
    return councils


# --- cache: loaded councils per data folder, election and year (validation, tests) ---

_cache_lock = threading.Lock()
_cache: dict[tuple, object] = {}
_MAX_ENTRIES = 32


def _stamp(directory: Path | None) -> tuple:
    d = Path(directory or data_dir()).resolve()
    files = [d / f"{t}.parquet" for t in ("area_totals", "area_votes", "parties", "seats_official")]
    return (str(d), tuple(f.stat().st_mtime_ns if f.exists() else 0 for f in files))


_key_locks: dict[tuple, threading.Lock] = {}


def _cached(key: tuple, make):
    """Compute once per key, also when many sessions ask at the same moment (a meeting
    opening the link): one computes, the others wait for its result."""
    with _cache_lock:
        if key in _cache:
            return _cache[key]
        lock = _key_locks.setdefault(key, threading.Lock())
    with lock:
        with _cache_lock:
            if key in _cache:
                return _cache[key]
        value = make()
        with _cache_lock:
            # Oldest first out: room for every election and year.
            while len(_cache) >= _MAX_ENTRIES:
                old = next(iter(_cache))
                del _cache[old]
                _key_locks.pop(old, None)
            _cache[key] = value
    return value


def councils_for(election: str, year: int, directory: Path | None = None) -> dict[str, Council]:
    return _cached(("councils", _stamp(directory), election, year), lambda: load_councils(election, year, directory))


# --- seat_margins --------------------------------------------------------------------

COLUMNS = [
    "area", "area_name", "party", "seats", "official_seats", "votes", "share_pct", "precision",
    "votes_to_next_seat", "margin_on_last_seat", "council_size", "council_size_year",
    "threshold_pct", "constituencies", "tie", "complete", "count_status",
]
INT_COLUMNS = ("seats", "votes", "votes_to_next_seat", "margin_on_last_seat", "official_seats",
               "council_size", "council_size_year", "threshold_pct", "constituencies")


def council_rows(c: Council) -> list[dict]:
    """One `seat_margins` row per party that can win seats in the council (`c.votes`).

    A council without a known size gets rows without seats or margins (the query refuses it)."""
    rows = []
    alloc = c.allocate() if c.complete and c.council_size is not None else None
    for party in sorted(c.votes):
        row = {
            "area": c.area, "area_name": c.area_name, "party": party,
            "official_seats": c.official.get(party, 0) if c.official else pd.NA,
            "votes": c.votes[party],
            "share_pct": 100.0 * c.votes[party] / c.valid_votes if c.valid_votes else float("nan"),
            "precision": c.precision.get(party, "exact"),
            "council_size": c.council_size if c.council_size is not None else pd.NA,
            "council_size_year": c.council_size_year if c.council_size_year is not None else pd.NA,
            "constituencies": c.n_constituencies, "complete": c.complete,
            "count_status": c.count_status,
            "threshold_pct": S.threshold_pct(c.election, c.n_constituencies),
            "seats": pd.NA, "votes_to_next_seat": pd.NA, "margin_on_last_seat": pd.NA, "tie": pd.NA,
        }
        if c.council_size is not None and not c.complete:
            # A party hidden in ÖVR won seats: no allocation, only the official seats.
            row["seats"] = row["official_seats"]
        elif alloc is not None:
            seats = alloc.seats.get(party, 0)
            nxt, margin = S.margins(c.votes, c.council_size, party, seats, threshold=alloc.threshold_pct,
                                    other_votes=c.other_votes)
            row.update(
                seats=seats,
                votes_to_next_seat=nxt if nxt is not None else pd.NA,
                margin_on_last_seat=margin if margin is not None else pd.NA,
                # Only whole-council ties change totals; the constituency stage only places seats.
                tie=any(party in t.contenders for t in alloc.ties if t.stage == "mandat"),
            )
        rows.append(row)
    return rows


def typed(rows) -> pd.DataFrame:
    """`seat_margins` rows (dicts, or a frame read back from a table) with the query's columns and types."""
    records = rows.to_dict("records") if isinstance(rows, pd.DataFrame) else rows
    df = pd.DataFrame([{k: (pd.NA if k != "share_pct" and _missing(r[k]) else r[k]) for k in COLUMNS}
                       for r in records], columns=COLUMNS)
    for col in INT_COLUMNS:
        df[col] = df[col].astype("Int64")
    df["share_pct"] = df["share_pct"].astype("float64")
    return df


def _missing(x) -> bool:
    return x is None or x is pd.NA or (isinstance(x, float) and x != x)


def seat_margins(election: str, year: int, party: str, county: str, directory: Path | None = None) -> pd.DataFrame:
    """Seats and both margins for one party in every council of a county.

    Read from the table `seat_margins` of the database file, which is computed with the data
    (`dashboard.seat_table`): the same rows `council_rows` gives, never recomputed here."""
    con = db.connect(directory)
    p = {"election": election, "year": year}
    pair = _sql(con, "SELECT error FROM seat_margin_pairs WHERE election = $election AND year = $year", p)
    if len(pair) and isinstance(pair.error.iloc[0], str):
        raise QueryError(pair.error.iloc[0])
    where = "area = $county" if election == "region" else "county_code = $county"
    chosen = _sql(con, f"""
        SELECT * FROM seat_margins WHERE election = $election AND year = $year AND {where}
        ORDER BY area, party""", {**p, "county": county})
    if chosen.empty:
        if _sql(con, "SELECT 1 FROM seat_margins WHERE election = $election AND year = $year LIMIT 1", p).empty:
            raise QueryError(f"Röstsiffror saknas för {ELECTION_SV[election]} {year} i data/area_votes.parquet.")
        raise QueryError(f"Inga röstsiffror för {ELECTION_SV[election]} {year} i län {county}.")
    no_size = list(dict.fromkeys(chosen.loc[chosen.council_size.isna(), "area_name"]))
    if no_size:
        raise QueryError(
            f"Antalet mandat är okänt för {ELECTION_SV[election]} {year} ({', '.join(no_size[:3])} …): "
            f"data/seats_official.parquet har inga mandat för {year} eller tidigare."
        )
    rows = chosen[chosen.party == party]
    if rows.empty:
        known = sorted(set(chosen.party))
        hint = " ÖVR är en samlingspost för övriga partier, inget parti." if party == "ÖVR" else ""
        raise QueryError(
            f"Partiet '{party}' finns inte i {ELECTION_SV[election]} {year} i län {county}.{hint} "
            f"Partier: {', '.join(known[:20])}{' …' if len(known) > 20 else ''}"
        )
    return typed(rows)


db.register_python_query(
    "seat_margins",
    "Mandat, röster till nästa mandat och marginal på sista mandatet per fullmäktige i ett län.",
    [
        Param("election", "choice", "kommun, region"),
        Param("year", "int"),
        Param("party", "text"),
        Param("county", "text", "^[0-9]{2}$", "01"),
    ],
    seat_margins,
)


# --- validation against the official seats -------------------------------------------


@dataclass(frozen=True)
class Check:
    election: str
    area: str
    area_name: str
    scope: str  # "alla partier" (itemised) or "riksdagspartierna" (ÖVR not a party)
    matched: bool
    by_lot: bool  # matched only with another outcome of a reported tie (lottning)
    differences: dict[str, tuple[int, int]]  # party -> (engine, official)


def validate_official(year: int = 2022, directory: Path | None = None) -> list[Check]:
    """Compare the engine with the official seats in every council where that is possible.

    All parties where every party is itemised (Stockholm County); elsewhere the eight
    riksdag parties in councils where no other party won a seat. Councils where another
    party won a seat but its votes are lumped into ÖVR cannot be checked and are left out.
    """
    checks: list[Check] = []
    for election in ("kommun", "region"):
        for c in councils_for(election, year, directory).values():
            if not c.official or c.council_size is None or c.council_size_year != year or not c.complete:
                continue
            scope = "alla partier" if c.itemised else "riksdagspartierna"
            d = c.differences(c.allocate())
            checks.append(Check(election, c.area, c.area_name, scope, not d, bool(c.lot), d))
    return checks


def validation_summary(year: int = 2022, directory: Path | None = None) -> str:
    """One line for bench/RESULTS.md."""
    checks = validate_official(year, directory)
    parts = []
    for election in ("kommun", "region"):
        cs = [c for c in checks if c.election == election]
        parts.append(f"{election} {sum(c.matched for c in cs)}/{len(cs)}")
    lots = [f"{c.area} {c.area_name}" for c in checks if c.by_lot]
    bad = [f"{c.area} {c.area_name}" for c in checks if not c.matched]
    line = (
        f"Seat engine vs official {year} seats: {sum(c.matched for c in checks)}/{len(checks)} councils "
        f"match ({', '.join(parts)}; Stockholm County with every party incl. local ones, elsewhere "
        f"the 8 riksdag parties where no other party won a seat)"
    )
    if lots:
        line += f"; decided by lot (tie reported): {', '.join(lots)}"
    if bad:
        line += f"; MISMATCH: {', '.join(bad)}"
    return line + "."


if __name__ == "__main__":
    print(validation_summary(2022))
    print(validation_summary(2026))
