"""Where imported elections live, and how they are replaced and read.

    data/imported/<election>_<year>/area_totals.parquet
                                    area_votes.parquet
                                    parties.parquet     (parties not in data/parties.parquet)
                                    elections.parquet   (one row, for data/elections.parquet)
                                    manifest.json       (the files behind the rows)
    data/imported/.history/<election>_<year>/<timestamp>/   (each replaced version)

An election folder is written completely in a temporary folder and then renamed into place
while holding an exclusive flock on the data folder itself (so a refused import creates
nothing, not even a lock file). Readers take a shared lock while they read.
"""
from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import ValrummetError

IMPORTED = "imported"
HISTORY = ".history"
MANIFEST = "manifest.json"
_DIR_RE = re.compile(r"^(riksdag|region|kommun)_([0-9]{4})$")

AREA_TOTALS = pa.schema([
    ("election", pa.string()), ("year", pa.int16()), ("level", pa.string()),
    ("area_code", pa.string()), ("area_name", pa.string()), ("county_code", pa.string()),
    ("kommunkod", pa.string()), ("riksdag_valkrets_code", pa.string()),
    ("rf_valkrets_code", pa.string()), ("kommunvalkrets_code", pa.string()),
    ("is_collection", pa.bool_()), ("eligible", pa.int64()), ("votes_cast", pa.int64()),
    ("valid_votes", pa.int64()), ("count_status", pa.string()), ("source", pa.string()),
])
AREA_VOTES = pa.schema([
    ("election", pa.string()), ("year", pa.int16()), ("level", pa.string()),
    ("area_code", pa.string()), ("party", pa.string()), ("votes", pa.int64()),
    ("votes_min", pa.int64()), ("votes_max", pa.int64()), ("share_pct", pa.float64()),
    ("precision", pa.string()), ("source", pa.string()),
])
PARTIES = pa.schema([("party", pa.string()), ("name", pa.string()), ("colour", pa.string()),
                     ("kind", pa.string())])
ELECTIONS = pa.schema([("election", pa.string()), ("year", pa.int16()),
                       ("count_status", pa.string()), ("levels", pa.string()),
                       ("source", pa.string())])
SCHEMAS = {"area_totals": AREA_TOTALS, "area_votes": AREA_VOTES, "parties": PARTIES,
           "elections": ELECTIONS}


LOCK_TIMEOUT = 60.0  # seconds to wait for another import to finish


class ImportLockError(ValrummetError):
    pass


def imported_root(data_dir: Path) -> Path:
    return Path(data_dir) / IMPORTED


def election_dir(data_dir: Path, election: str, year: int) -> Path:
    return imported_root(data_dir) / f"{election}_{year}"


def election_dirs(data_dir: Path) -> list[Path]:
    """Current imported election folders (those with a manifest), sorted."""
    root = imported_root(data_dir)
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir()
                  if p.is_dir() and _DIR_RE.match(p.name) and (p / MANIFEST).is_file())


def imported_tables(data_dir: Path) -> dict[str, list[Path]]:
    """Parquet files of the imported elections, per table (area_totals, area_votes, parties,
    elections). attach_imported merges them with the base rows area by area (PRECEDENCE_SQL)."""
    out: dict[str, list[Path]] = {name: [] for name in SCHEMAS}
    for folder in election_dirs(data_dir):
        for name in SCHEMAS:
            if (folder / f"{name}.parquet").is_file():
                out[name].append(folder / f"{name}.parquet")
    return out


@contextmanager
def locked(data_dir: Path, *, shared: bool = False, timeout: float | None = None):
    """flock on the data folder (no lock file: a refused import must create nothing)."""
    fd = os.open(str(data_dir), os.O_RDONLY)
    try:
        mode = (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB
        deadline = time.monotonic() + (LOCK_TIMEOUT if timeout is None else timeout)
        while True:
            try:
                fcntl.flock(fd, mode)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES) or time.monotonic() > deadline:
                    raise ImportLockError(
                        f"Datamappen {data_dir} är låst av en annan import; försök igen om en "
                        "stund.") from exc
                time.sleep(0.1)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def read_manifest(folder: Path) -> dict | None:
    path = folder / MANIFEST
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def read_table(folder: Path, name: str) -> pa.Table:
    path = folder / f"{name}.parquet"
    if not path.is_file():
        return SCHEMAS[name].empty_table()
    return pq.read_table(path, schema=SCHEMAS[name])


def to_table(rows: list[dict], name: str) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=SCHEMAS[name])


def write_folder(folder: Path, tables: dict[str, pa.Table], manifest: dict) -> None:
    """Write a complete election folder (folder must not exist)."""
    folder.mkdir(parents=True)
    for name, table in tables.items():
        if name == "parties" and table.num_rows == 0:
            continue
        pq.write_table(table, folder / f"{name}.parquet")
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n",
                                   encoding="utf-8")


def swap_in(data_dir: Path, prepared: dict[str, Path], stamp: str) -> list[Path]:
    """Move each current election folder to .history and the prepared one into place; undo
    every move if one fails. `prepared` maps folder name -> temporary folder."""
    root = imported_root(data_dir)
    done: list[tuple[Path, Path | None, bool]] = []  # (target, history copy, new in place)
    try:
        for name, tmp in prepared.items():
            target = root / name
            hist = None
            if target.exists():
                hist = root / HISTORY / name / stamp
                hist.parent.mkdir(parents=True, exist_ok=True)
                os.rename(target, hist)
            done.append((target, hist, False))
            os.rename(tmp, target)
            done[-1] = (target, hist, True)
    except OSError:
        for target, hist, placed in reversed(done):
            if placed:
                shutil.rmtree(target)
            if hist is not None:
                os.rename(hist, target)
        raise
    return [hist for _, hist, _ in done if hist is not None]


def _manifests(data_dir: Path):
    """(manifest, is_current) for every current and historical election folder."""
    for folder in election_dirs(data_dir):
        yield read_manifest(folder), True
    hist_root = imported_root(data_dir) / HISTORY
    if hist_root.is_dir():
        for path in sorted(hist_root.glob(f"*/*/{MANIFEST}")):
            yield json.loads(path.read_text(encoding="utf-8")), False


HISTORY_COLUMNS = [
    "imported_at", "election", "year", "file", "area_code", "count_status",
    "rakningstillfalle", "senasteUppdateringstid", "districts_counted", "districts_total",
    "sha256", "area_totals_rows", "area_votes_rows", "current",
]


def import_history(data_dir: Path | None = None) -> "pd.DataFrame":
    """Every imported result file: when, which file and checksum, preliminary/final, the
    rows it gave, and whether its rows are in the warehouse now (`current`). Newest first."""
    from ..paths import data_dir as default_dir

    data_dir = Path(data_dir or default_dir())
    rows: dict[tuple, dict] = {}
    for manifest, current in _manifests(data_dir):
        for entry in manifest["files"]:
            key = (entry["election"], entry["year"], entry["file"], entry["sha256"],
                   entry["imported_at"])
            row = rows.setdefault(key, {
                "imported_at": entry["imported_at"], "election": entry["election"],
                "year": entry["year"], "file": entry["file"], "area_code": entry["area_code"],
                "count_status": entry["count_status"],
                "rakningstillfalle": entry["rakningstillfalle"],
                "senasteUppdateringstid": entry["senasteUppdateringstid"],
                "districts_counted": entry["districts_counted"],
                "districts_total": entry["districts_total"], "sha256": entry["sha256"],
                "area_totals_rows": entry["rows"]["area_totals"],
                "area_votes_rows": entry["rows"]["area_votes"], "current": False,
            })
            row["current"] = row["current"] or current
    import pandas as pd  # only here: a server's database build reads the store without pandas

    df = pd.DataFrame(list(rows.values()), columns=HISTORY_COLUMNS)
    return df.sort_values(["imported_at", "election", "file"], ascending=[False, True, True],
                          ignore_index=True)


# The precedence rule, in one place. A scope is (election, year, level, area); district and
# kommunvalkrets rows are scoped by their municipality and rf_valkrets rows by their region, so
# the parts of one municipality (region) always come from one file. In each scope the rows with
# the highest rank are kept and the others dropped, both in area_totals and area_votes:
#   rank 3  final count, official file imported with `import-results`
#   rank 2  final count, base tables (`python -m dashboard build`: SCB/Valmyndigheten tables,
#           or a third-party copy such as the 2026 found files)
#   rank 1  preliminary count, imported official file
#   rank 0  preliminary count, base tables
# i.e. final beats preliminary, and for the same count an official file beats a copy. A scope
# whose rows mix counts counts as preliminary.
PRECEDENCE_SQL = """
CREATE OR REPLACE TEMP TABLE _candidates AS
SELECT election, year, level, area_code, origin,
       CASE WHEN level IN ('district', 'kommunvalkrets') THEN coalesce(kommunkod, area_code)
            WHEN level = 'rf_valkrets' THEN substr(area_code, 1, 2)
            ELSE area_code END AS scope,
       count_status
FROM (SELECT *, 'base' AS origin FROM area_totals
      UNION ALL BY NAME
      SELECT *, 'imported' AS origin FROM _imported_area_totals);

CREATE OR REPLACE TEMP TABLE _winners AS
SELECT election, year, level, scope, arg_max(origin, rank) AS origin
FROM (SELECT election, year, level, scope, origin,
             2 * coalesce(bool_and(count_status = 'final'), false)::INT
               + CASE WHEN origin = 'imported' THEN 1 ELSE 0 END AS rank
      FROM _candidates GROUP BY election, year, level, scope, origin)
GROUP BY election, year, level, scope;

CREATE OR REPLACE TEMP TABLE _keep AS
SELECT DISTINCT c.election, c.year, c.level, c.area_code, c.origin
FROM _candidates c JOIN _winners w USING (election, year, level, scope, origin);

""" + "".join(f"""
CREATE OR REPLACE TABLE {table} AS
SELECT b.* FROM {table} b SEMI JOIN (SELECT * FROM _keep WHERE origin = 'base') k
  USING (election, year, level, area_code)
UNION ALL BY NAME
SELECT i.* FROM _imported_{table} i SEMI JOIN (SELECT * FROM _keep WHERE origin = 'imported') k
  USING (election, year, level, area_code);
""" for table in ("area_totals", "area_votes")) + """
-- elections: one row per election × year × count status, as the build writes it
CREATE OR REPLACE TABLE elections AS
SELECT election, year, count_status,
       string_agg(DISTINCT level, ',' ORDER BY level) AS levels,
       string_agg(DISTINCT source, ',' ORDER BY source) AS source
FROM area_totals GROUP BY ALL ORDER BY ALL;
"""


def attach_imported(con, data_dir: Path) -> list[tuple[str, int]]:
    """Merge the imported elections into a DuckDB connection that already holds the base
    tables, area by area (PRECEDENCE_SQL above; docs/importing-results.md "Precedence"):
    final beats preliminary, and an imported official file beats the base tables' copy of the
    same election, level and area (districts and kommunvalkretsar: the same municipality;
    regionvalkretsar: the same region). `elections` is recomputed from the merged rows;
    imported parties are added to `parties`. Returns the imported (election, year) pairs."""
    with locked(Path(data_dir), shared=True):
        files = imported_tables(data_dir)
        if not files["area_totals"]:
            return []
        # Read into memory under the lock: an import may move the files afterwards.
        tables = {name: pa.concat_tables([pq.read_table(p, schema=SCHEMAS[name]) for p in paths])
                  if paths else SCHEMAS[name].empty_table() for name, paths in files.items()}
    keys = sorted(set(zip(tables["area_totals"]["election"].to_pylist(),
                          tables["area_totals"]["year"].to_pylist())))
    try:
        for name, table in tables.items():
            con.register(f"_imported_{name}", table)
        con.execute(PRECEDENCE_SQL)
        con.execute(
            "INSERT INTO parties BY NAME SELECT * FROM ("
            " SELECT DISTINCT ON (party) * FROM _imported_parties ORDER BY party) i"
            " WHERE i.party NOT IN (SELECT party FROM parties)")
    finally:
        for name in tables:
            con.unregister(f"_imported_{name}")
        for temp in ("_candidates", "_winners", "_keep"):
            con.execute(f"DROP TABLE IF EXISTS {temp}")
    return keys
