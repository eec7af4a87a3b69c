"""The DuckDB file behind the query layer: built once per state of `data/`, opened read-only.

Why a file and not an in-memory database: DuckDB keeps a file's blocks compressed and reads
them on demand into a buffer pool it may evict, so a server process holds a few MB of warehouse
instead of ~160 MB of uncompressed in-memory tables (bench/RESULTS.md, "Load"). The file is
built by a child process because the allocations of a build (parquet reads, the model joins)
stay in the address space of the process that made them: building in the server itself costs
~40 MB of RSS for the life of the process.

The file is named after a fingerprint of everything that shapes it (the base parquet files,
the imported elections, the stored seat table, the model SQL, this code, the seat engine's code
and DuckDB's version), so an import or a new build gives a new file, and a file is never changed
once written (two app processes open the same file read-only; a build writes a temporary file
and renames it into place). The seat margins come with it (`seat_table`): stored rows where
they are current, computed in the build's child process otherwise.

Clean-up: a process holds a shared flock on every file it has open (and touches it when it
opens it). Each `ensure` removes the files of the cache folder that no process holds: at once
the older files of the same data folder, after `STALE_AFTER_S` the files of other data folders
(e.g. tests' temporary copies) and leftovers of failed builds. A file in use is never removed.
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import subprocess
import sys
import tempfile
import threading
import time
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
# Files of another data folder (or a failed build's leftovers) unused this long are removed.
STALE_AFTER_S = 3600.0


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
    from . import seat_table
    from .vm_import import imported_tables, store

    h = hashlib.sha256(f"duckdb {duckdb.__version__};".encode())
    for code in (Path(__file__), Path(store.__file__), *seat_table.code_files(), *_models()):
        h.update(code.read_bytes())
    for table in [*TABLES, seat_table.FILE.removesuffix(".parquet")]:
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


def build(directory: Path, out: Path) -> list[tuple[str, int]]:
    """Load `directory`'s parquet files and imported elections, run the models, add the seat
    tables, write `out`. Returns the (election, year) pairs whose seat margins were computed
    here rather than taken from `directory`'s stored table.

    Runs in the child process (`python -m dashboard.db_file DIR OUT`)."""
    from . import seat_table
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
        computed = seat_table.attach(con, directory)
        con.execute("CHECKPOINT")
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    os.replace(tmp, out)
    return computed


FILE_LINE = "valrummet-db-file: "  # the child's last line names the file it built or found


def _check_inputs(directory: Path) -> None:
    for table, required in TABLES.items():
        path = directory / f"{table}.parquet"
        if required and not path.exists():
            raise QueryError(f"Datafilen {path} saknas. Kör 'python -m dashboard build' först.")


class _Build:
    """A child process that finds or builds the file for one data folder; any thread may wait."""

    def __init__(self, directory: Path, proc: subprocess.Popen) -> None:
        self.directory, self.proc = directory, proc
        self._lock = threading.Lock()
        self._result: tuple[str, str] | None = None  # (stdout, stderr) once finished

    def wait(self) -> Path:
        with self._lock:  # the first waiter reads the pipes; the others wait for it
            if self._result is None:
                self._result = self.proc.communicate()
                with _builds_lock:
                    if _builds.get(self.directory) is self:
                        del _builds[self.directory]
                for line in self._result[0].splitlines():  # what the build had to do (server log)
                    if not line.startswith(FILE_LINE):
                        print(line, file=sys.stderr, flush=True)
        out = next((Path(line[len(FILE_LINE):]) for line in self._result[0].splitlines()
                    if line.startswith(FILE_LINE)), None)
        if self.proc.returncode != 0 or out is None or not out.exists():
            reason = (self._result[1].strip().splitlines() or ["okänt fel"])[-1]
            raise QueryError(f"Databasen kunde inte byggas från {self.directory}: {reason}")
        return out


_builds: dict[Path, _Build] = {}  # data folder -> the child finding or building its file
_builds_lock = threading.Lock()


def _spawn(directory: Path) -> _Build:
    """Start the child for `directory` (caller holds _builds_lock)."""
    src = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH")) if p)}
    proc = subprocess.Popen([sys.executable, "-m", "dashboard.db_file", str(directory)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    build = _builds[directory] = _Build(directory, proc)
    return build


def begin(directory: Path) -> None:
    """Start finding or building `directory`'s file in a child process now, without waiting and
    without computing anything here (the child works out the fingerprint); the next `ensure`
    waits for it. For a process's start-up: the child runs while this one imports."""
    with _builds_lock:
        if directory not in _builds:
            _spawn(directory)


def ensure(directory: Path) -> Path:
    """The built file for `directory`, building it first (in a child process) if needed."""
    with _builds_lock:
        found = _builds.get(directory)
    if found is None:
        _check_inputs(directory)
        out = path_for(directory)
        if not out.exists():
            with _builds_lock:
                found = _builds.get(directory) or _spawn(directory)
    if found is not None:
        out = found.wait()
    clean(out)
    return out


# --- who uses which file, and clean-up --------------------------------------------------

_held: dict[str, int] = {}  # path -> descriptor holding a shared flock on it
_held_lock = threading.Lock()


def hold(path: Path) -> None:
    """Mark `path` as in use by this process (a shared flock, kept until `release`), and touch
    it. FileNotFoundError when a clean-up removed it meanwhile (then build it again)."""
    key = str(path)
    with _held_lock:
        if key in _held:
            return
        fd = os.open(key, os.O_RDONLY)
        try:
            deadline = time.monotonic() + 5.0
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                    break
                except OSError as exc:  # a clean-up holds it for a moment while it removes it
                    if exc.errno not in (errno.EAGAIN, errno.EACCES) or time.monotonic() > deadline:
                        raise
                    time.sleep(0.01)
            if os.stat(key).st_ino != os.fstat(fd).st_ino:
                raise FileNotFoundError(errno.ENOENT, "removed while it was opened", key)
        except BaseException:
            os.close(fd)
            raise
        _held[key] = fd
    try:
        os.utime(key)  # "last used": files of other data folders are removed after a while unused
    except OSError:
        pass


def release(path: Path | None = None) -> None:
    """This process no longer uses `path` (every file when None)."""
    with _held_lock:
        for key in [str(path)] if path is not None else list(_held):
            fd = _held.pop(key, None)
            if fd is not None:
                os.close(fd)


def clean(keep: Path, stale_after_s: float = STALE_AFTER_S) -> list[Path]:
    """Remove files of `keep`'s cache folder that no process uses (see the module docstring).
    Returns what was removed."""
    removed = []
    own = keep.name.split("-", 1)[0] + "-"
    now = time.time()
    try:
        entries = list(keep.parent.iterdir())
    except OSError:
        return removed
    for path in entries:
        if path == keep or not path.name.endswith((".duckdb", ".tmp", ".duckdb.wal")):
            continue
        try:
            age = now - path.stat().st_mtime
        except OSError:
            continue
        superseded = path.name.startswith(own) and path.suffix == ".duckdb"
        if not superseded and age < stale_after_s:
            continue
        if str(path) in _held or not _try_remove(path):
            continue
        removed.append(path)
    return removed


def _try_remove(path: Path) -> bool:
    """Remove `path` if no process holds it (an exclusive flock held while removing it)."""
    try:
        fd = os.open(str(path), os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return False  # in use
    try:
        path.unlink()
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def open_read_only(path: Path, lock: bool = True) -> duckdb.DuckDBPyConnection:
    """A read-only connection to a built file; share it and take a `cursor()` per thread.
    `lock`: hold the file as in use until `release` (a connection the app keeps)."""
    if lock:
        hold(path)
    return duckdb.connect(str(path), read_only=True, config={"memory_limit": MEMORY_LIMIT})


def main(argv: list[str]) -> int:
    """`python -m dashboard.db_file DIR`: find or build DIR's file; the last line names it."""
    directory = Path(argv[0])
    try:
        _check_inputs(directory)
        out = path_for(directory)
        if not out.exists():
            out.parent.mkdir(parents=True, exist_ok=True)
            computed = build(directory, out)
            if computed:
                print(f"valrummet: mandattabellen räknades ut vid databasbygget för "
                      f"{', '.join(f'{e} {y}' for e, y in computed)} ({directory / 'seat_margins.parquet'} "
                      "saknas eller gäller andra indata; 'python -m dashboard build --seats' sparar den)")
    except Exception as exc:  # reported by the parent as a QueryError
        print(str(exc) or type(exc).__name__, file=sys.stderr)
        return 1
    print(f"{FILE_LINE}{out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
