"""The DuckDB file behind the query layer: built once per state of `data/`, opened read-only.

Why a file and not an in-memory database: DuckDB keeps a file's blocks compressed and reads
them on demand into a buffer pool it may evict, so a server process holds a few MB of warehouse
instead of ~160 MB of uncompressed in-memory tables (bench/RESULTS.md, "Load"). The file is
built by a child process because the allocations of a build (parquet reads, the model joins)
stay in the address space of the process that made them: building in the server itself costs
~40 MB of RSS for the life of the process.

The file is named after a fingerprint of everything that shapes it (the base parquet files,
the imported elections, the model SQL, this code and DuckDB's version), so an import or a new
build gives a new file, and a file is never changed once written (two app processes open the
same file read-only; a build writes a temporary file and renames it into place).
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import duckdb

from .errors import QueryError
from .paths import SQL_DIR

# Tables loaded from `data/` at build time: parquet file stem -> required or not.
TABLES = {
    "area_totals": True,
    "area_votes": True,
    "parties": True,
    "elections": True,
    "population": True,
    "seats_official": True,
    # written by the build since the 2026 data (docs/data-model.md)
    "councils": True,
    "area_notes": True,
    "turnout": True,
}

CACHE_ENV = "VALRUMMET_DB_CACHE"
# A ceiling for the buffer pool and query memory of one process; the warehouse file itself is
# ~15 MB compressed, so this only bounds a runaway query.
MEMORY_LIMIT = "256MB"


def cache_dir() -> Path:
    """Where built database files live (`$VALRUMMET_DB_CACHE`, else the system temp folder)."""
    return Path(os.environ.get(CACHE_ENV) or Path(tempfile.gettempdir()) / "valrummet-db")


def _models() -> list[Path]:
    # Staging and mart models (dbt-style) run in file-name order: stg_* first, then the
    # zz_mart_* files that read them.
    return sorted((SQL_DIR / "models").glob("*.sql"))


def _stat(h, path: Path) -> None:
    st = path.stat()
    h.update(f"{path.name}:{st.st_size}:{st.st_mtime_ns};".encode())


def fingerprint(directory: Path) -> str:
    """A short hash of every input of the built file; changes when any of them changes."""
    from .vm_import import imported_tables, store

    h = hashlib.sha256(f"duckdb {duckdb.__version__};".encode())
    for code in (Path(__file__), Path(store.__file__), *_models()):
        h.update(code.read_bytes())
    for table in TABLES:
        path = directory / f"{table}.parquet"
        if path.exists():
            _stat(h, path)
    for paths in imported_tables(directory).values():
        for path in paths:
            h.update(str(path.parent.name).encode())
            _stat(h, path)
    return h.hexdigest()[:20]


def _prefix(directory: Path) -> str:
    return hashlib.sha256(str(directory).encode()).hexdigest()[:12]


def path_for(directory: Path) -> Path:
    """The database file for the current state of `directory`."""
    return cache_dir() / f"{_prefix(directory)}-{fingerprint(directory)}.duckdb"


def build(directory: Path, out: Path) -> None:
    """Load `directory`'s parquet files and imported elections, run the models, write `out`.

    Runs in the child process (`python -m dashboard.db_file DIR OUT`)."""
    from .vm_import import attach_imported

    tmp = out.with_name(f"{out.stem}.{os.getpid()}-{threading.get_ident()}.tmp")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        # Tables, not views over the files: a parquet file replaced by an import can never
        # change what a running query reads.
        for table in TABLES:
            path = directory / f"{table}.parquet"
            if path.exists():
                con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_parquet(?)", [str(path)])
        # Imported official files take over from the built rows area by area (final beats
        # preliminary, an official file beats a third-party copy): vm_import.store.PRECEDENCE_SQL.
        attach_imported(con, directory)
        for model in _models():
            con.execute(model.read_text(encoding="utf-8"))
        con.execute("CHECKPOINT")
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    os.replace(tmp, out)


def ensure(directory: Path) -> Path:
    """The built file for `directory`, building it first (in a child process) if needed."""
    for table, required in TABLES.items():
        path = directory / f"{table}.parquet"
        if required and not path.exists():
            raise QueryError(f"Datafilen {path} saknas. Kör 'python -m dashboard build' först.")
    out = path_for(directory)
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    src = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (src, os.environ.get("PYTHONPATH")) if p)}
    done = subprocess.run([sys.executable, "-m", "dashboard.db_file", str(directory), str(out)],
                          capture_output=True, text=True, env=env)
    if done.returncode != 0 or not out.exists():
        reason = (done.stderr.strip().splitlines() or ["okänt fel"])[-1]
        raise QueryError(f"Databasen kunde inte byggas från {directory}: {reason}")
    # Files of earlier states of the same folder; a process that still has one open keeps
    # reading it (the name goes, the file stays until it is closed).
    for old in out.parent.glob(f"{_prefix(directory)}-*.duckdb"):
        if old != out:
            old.unlink(missing_ok=True)
    return out


def open_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to a built file; share it and take a `cursor()` per thread."""
    return duckdb.connect(str(path), read_only=True, config={"memory_limit": MEMORY_LIMIT})


def main(argv: list[str]) -> int:
    directory, out = Path(argv[0]), Path(argv[1])
    try:
        build(directory, out)
    except Exception as exc:  # reported by the parent as a QueryError
        print(str(exc) or type(exc).__name__, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
