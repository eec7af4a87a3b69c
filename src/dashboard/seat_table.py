"""Seats and seat margins of every party in every council, computed with the data.

The rows of the `seat_margins` query depend only on the data and the engine's code, so they
are computed where the data changes, never while a viewer waits: `python -m dashboard build`
and `import-results` write them to `data/seat_margins.parquet`, and every database file
(`db_file`) carries them as the table `seat_margins`, with `seat_margin_pairs` beside it (one
row per election and year: the digest of its inputs and, where the data cannot be allocated,
the error the query reports instead).

Each election and year has a digest of everything its rows are computed from: its rows of
`area_totals` and `area_votes` after imports took precedence, its `councils` rows, the official
seats of that election up to that year, the parties that appear in them, and the code of the
engine. Building a
database file takes the stored rows of every pair whose digest matches and computes the
others (in the build's child process), so stale rows are never served and an import
recomputes only the elections it changed. tests/test_seat_table.py checks that the committed
file is current.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ELECTIONS = ("kommun", "region")
FILE = "seat_margins.parquet"
META_KEY = b"valrummet.seat_pairs"

SCHEMA = pa.schema([
    ("election", pa.string()), ("year", pa.int64()), ("county_code", pa.string()),
    ("area", pa.string()), ("area_name", pa.string()), ("party", pa.string()),
    ("seats", pa.int64()), ("official_seats", pa.int64()), ("votes", pa.int64()),
    ("share_pct", pa.float64()), ("precision", pa.string()),
    ("votes_to_next_seat", pa.int64()), ("margin_on_last_seat", pa.int64()),
    ("council_size", pa.int64()), ("council_size_year", pa.int64()),
    ("threshold_pct", pa.int64()), ("constituencies", pa.int64()),
    ("tie", pa.bool_()), ("complete", pa.bool_()), ("count_status", pa.string()),
])

# Per election and year, a checksum of its input rows (DuckDB's hash of each row, summed, and
# the row count) in the merged tables of the database being built: its results, councils,
# official seats up to that year, and the parties that appear in them.
_INPUTS_SQL = """
WITH pairs AS (SELECT DISTINCT election, year FROM area_totals WHERE election IN ('kommun', 'region')),
t AS (SELECT election, year, sum(hash(a)::HUGEINT) AS h, count(*) AS n FROM area_totals a GROUP BY ALL),
v AS (SELECT election, year, sum(hash(a)::HUGEINT) AS h, count(*) AS n FROM area_votes a GROUP BY ALL),
c AS (SELECT election, year, sum(hash(a)::HUGEINT) AS h, count(*) AS n FROM councils a GROUP BY ALL),
s AS (SELECT p.election, p.year, sum(hash(a)::HUGEINT) AS h, count(*) AS n
      FROM pairs p JOIN seats_official a ON a.election = p.election AND a.year <= p.year GROUP BY ALL),
used AS (SELECT DISTINCT election, year, party FROM area_votes WHERE election IN ('kommun', 'region')
         UNION SELECT p.election, p.year, a.party FROM pairs p
               JOIN seats_official a ON a.election = p.election AND a.year <= p.year),
pa AS (SELECT u.election, u.year, sum(hash(a)::HUGEINT) AS h, count(*) AS n
       FROM used u JOIN parties a USING (party) GROUP BY ALL)
SELECT p.election, p.year,
       concat_ws(';', coalesce(t.h, 0), coalesce(t.n, 0), coalesce(v.h, 0), coalesce(v.n, 0),
                 coalesce(c.h, 0), coalesce(c.n, 0), coalesce(s.h, 0), coalesce(s.n, 0),
                 coalesce(pa.h, 0), coalesce(pa.n, 0)) AS inputs
FROM pairs p LEFT JOIN t USING (election, year) LEFT JOIN v USING (election, year)
LEFT JOIN c USING (election, year) LEFT JOIN s USING (election, year) LEFT JOIN pa USING (election, year)
ORDER BY 1, 2
"""


def code_files() -> list[Path]:
    """The code the rows are computed by (part of every digest, and of the database file's name)."""
    here = Path(__file__).resolve().parent
    return [here / "seats.py", here / "seat_queries.py", here / "seat_table.py"]


def pair_digests(con) -> dict[tuple[str, int], str]:
    """(election, year) -> digest of its inputs in the database `con` (tables as built)."""
    code = hashlib.sha256(b"".join(p.read_bytes() for p in code_files())).hexdigest()
    return {(e, int(y)): hashlib.sha256(f"{code};{inputs}".encode()).hexdigest()[:24]
            for e, y, inputs in con.execute(_INPUTS_SQL).fetchall()}


def compute(con, election: str, year: int) -> tuple[list[dict], str | None]:
    """Every council's rows for one election and year, or the error the query should report."""
    from .errors import ValrummetError
    from .seat_queries import ELECTION_SV, council_rows, load_councils

    try:
        councils = load_councils(election, year, con=con)
        rows = [{"election": election, "year": year, "county_code": c.county_code, **row}
                for c in councils.values() for row in council_rows(c)]
    except ValrummetError as exc:
        return [], str(exc)
    except ValueError as exc:  # the engine refused the data (e.g. fixed seats that do not add up)
        return [], f"Mandaten i {ELECTION_SV[election]} {year} kan inte beräknas ur data: {exc}"
    return rows, None


def _missing(x) -> bool:
    import pandas as pd

    return x is None or x is pd.NA or (isinstance(x, float) and x != x and not isinstance(x, bool))


def to_arrow(rows: list[dict]) -> pa.Table:
    """Rows (dicts with pandas' missing values) as a table with SCHEMA."""
    columns = {}
    for f in SCHEMA:
        values = [r.get(f.name) for r in rows]
        if f.name != "share_pct":
            values = [None if _missing(x) else x for x in values]
        columns[f.name] = pa.array(values, type=f.type)
    return pa.table(columns, schema=SCHEMA)


def read(directory: Path) -> tuple[pa.Table, dict[tuple[str, int], dict]]:
    """The stored rows and, per (election, year), {"digest", "error"}; empty when absent."""
    path = Path(directory) / FILE
    if not path.is_file():
        return SCHEMA.empty_table(), {}
    table = pq.ParquetFile(path).read()  # (read_table would import pandas: ~0.3 s in the build)
    meta = json.loads((table.schema.metadata or {}).get(META_KEY, b"[]"))
    pairs = {(m["election"], int(m["year"])): {"digest": m["digest"], "error": m["error"]} for m in meta}
    return table.replace_schema_metadata(None).cast(SCHEMA), pairs


_DUCK = {pa.string(): "VARCHAR", pa.int64(): "BIGINT", pa.float64(): "DOUBLE", pa.bool_(): "BOOLEAN"}


def attach(con, directory: Path) -> list[tuple[str, int]]:
    """Create `seat_margins` and `seat_margin_pairs` in a database being built (its data tables
    complete): the stored rows where their digest matches, computed rows for the other pairs.
    Returns the pairs computed here.

    Stored rows are read by DuckDB itself: a server's database build imports neither pandas
    nor pyarrow's conversions (~0.3 s) unless something must be computed."""
    digests = pair_digests(con)
    path = Path(directory) / FILE
    stored: dict[tuple[str, int], dict] = {}
    if path.is_file():
        meta = con.execute("SELECT value FROM parquet_kv_metadata(?) WHERE key = ?", [str(path), META_KEY]).fetchone()
        stored = {(m["election"], int(m["year"])): m for m in json.loads(meta[0])} if meta else {}
    keep = [k for k, d in digests.items() if stored.get(k, {}).get("digest") == d]
    columns = ", ".join(f"{f.name} {_DUCK[f.type]}" for f in SCHEMA)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _seat_rows ({columns})")
    con.execute("CREATE OR REPLACE TEMP TABLE _seat_keep (election VARCHAR, year BIGINT)")
    try:
        if keep:
            con.executemany("INSERT INTO _seat_keep VALUES (?, ?)", [list(k) for k in keep])
            con.execute("INSERT INTO _seat_rows SELECT * FROM read_parquet(?) SEMI JOIN _seat_keep "
                        "USING (election, year)", [str(path)])
        pairs, computed = [], []
        for (election, year), digest in digests.items():
            if (election, year) in keep:
                error = stored[(election, year)]["error"]
            else:
                rows, error = compute(con, election, year)
                if rows:
                    con.register("_seat_new", to_arrow(rows))
                    con.execute("INSERT INTO _seat_rows SELECT * FROM _seat_new")
                    con.unregister("_seat_new")
                computed.append((election, year))
            pairs.append([election, year, digest, error])
        con.execute("CREATE OR REPLACE TABLE seat_margins AS SELECT * FROM _seat_rows "
                    "ORDER BY election, year, area, party")
        con.execute("CREATE OR REPLACE TABLE seat_margin_pairs "
                    "(election VARCHAR, year BIGINT, digest VARCHAR, error VARCHAR)")
        if pairs:
            con.executemany("INSERT INTO seat_margin_pairs VALUES (?, ?, ?, ?)", pairs)
    finally:
        con.execute("DROP TABLE IF EXISTS _seat_rows")
        con.execute("DROP TABLE IF EXISTS _seat_keep")
    return computed


def is_current(directory: Path, con) -> bool:
    """Whether `directory`'s stored file holds exactly the pairs and digests of database `con`."""
    _, stored = read(directory)
    built = {(e, int(y)): d for e, y, d in con.execute("SELECT election, year, digest FROM seat_margin_pairs").fetchall()}
    return (Path(directory) / FILE).is_file() and {k: v["digest"] for k, v in stored.items()} == built


def write(directory: Path, con) -> Path:
    """Store database `con`'s seat tables as `directory`/seat_margins.parquet (atomically; the
    same rows always give the same bytes)."""
    table = con.sql("SELECT * FROM seat_margins ORDER BY election, year, area, party").to_arrow_table()
    pairs = con.execute("SELECT * FROM seat_margin_pairs ORDER BY election, year").fetchall()
    meta = [{"election": e, "year": int(y), "digest": d, "error": err} for e, y, d, err in pairs]
    table = table.cast(SCHEMA)
    table = table.replace_schema_metadata({META_KEY: json.dumps(meta, ensure_ascii=False, sort_keys=True).encode()})
    path = Path(directory) / FILE
    tmp = path.with_name(f".{FILE}.{os.getpid()}.tmp")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)
    return path


def refresh(directory: Path) -> bool:
    """After a build or an import: make `directory`'s seat table current, and the database file
    of the new state ready in the cache folder (so a server starting later does not build it).
    Returns True when the stored file was (re)written."""
    from . import db_file

    path = db_file.ensure(directory)
    con = db_file.open_read_only(path, lock=False)
    try:
        if is_current(directory, con):
            return False
        write(directory, con)
    finally:
        con.close()
    db_file.ensure(directory)  # the new file changes the fingerprint: the database for this state
    return True
