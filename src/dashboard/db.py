"""The query layer: DuckDB in memory over `data/`, one named query per SQL file.

Each file in `sql/` starts with a header that declares the query and its parameters:

    -- name: municipality_change
    -- description: Share and change per municipality for one election and year pair.
    -- param election: choice(riksdag, region, kommun)
    -- param from_year: int
    -- param party: text
    -- param county: text(^[0-9]{2}$) = 01

Parameters are validated against that header and passed to DuckDB as named parameters
(`$election`); SQL is never built from strings. Queries computed in Python (e.g. seat
margins, which need the seat engine) register with `register_python_query` and share the same
validation, CLI and caching.

The database is a read-only DuckDB file built from `data/` once per state of its files
(`db_file`). DuckDB connections must not be shared between Streamlit's session threads, so it is
one cached connection and every call runs on its own `cursor()`.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import duckdb
import pandas as pd

from . import db_file
from .errors import QueryError
from .paths import SQL_DIR, data_dir

_PARAM_RE = re.compile(r"^--\s*param\s+(\w+)\s*:\s*(\w+)(?:\((.*?)\))?\s*(?:=\s*(.+))?$")


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # int | text | choice
    arg: str | None = None  # choices for `choice`, regex for `text`
    default: str | None = None

    def describe(self) -> str:
        if self.kind == "choice":
            return f"{self.name}=" + "|".join(self.choices)
        if self.kind == "int":
            return f"{self.name}=<heltal>"
        return f"{self.name}=<text>"

    @property
    def choices(self) -> list[str]:
        return [c.strip() for c in (self.arg or "").split(",") if c.strip()]

    def convert(self, query: str, raw: Any) -> Any:
        if raw is None:
            if self.default is None:
                raise QueryError(
                    f"Frågan '{query}' saknar parametern '{self.name}' (ange {self.describe()})."
                )
            raw = self.default
        text = str(raw).strip()
        if self.kind == "int":
            if not re.fullmatch(r"-?\d+", text):
                raise QueryError(
                    f"Parametern '{self.name}' i '{query}' ska vara ett heltal, fick '{text}'."
                )
            return int(text)
        if self.kind == "choice":
            if text not in self.choices:
                raise QueryError(
                    f"Parametern '{self.name}' i '{query}' kan vara "
                    f"{', '.join(self.choices)} – fick '{text}'."
                )
            return text
        if self.arg and not re.fullmatch(self.arg, text):
            raise QueryError(
                f"Parametern '{self.name}' i '{query}' har fel form: '{text}' "
                f"(förväntat mönster {self.arg})."
            )
        return text


@dataclass(frozen=True)
class QuerySpec:
    name: str
    description: str
    params: tuple[Param, ...]
    sql: str | None = None
    func: Callable[..., pd.DataFrame] | None = field(default=None, compare=False)

    def usage(self) -> str:
        return " ".join(f"--param {p.describe()}" for p in self.params)

    def bind(self, params: dict[str, Any]) -> dict[str, Any]:
        known = {p.name for p in self.params}
        unknown = sorted(set(params) - known)
        if unknown:
            raise QueryError(
                f"Okänd parameter {', '.join(unknown)} för '{self.name}'. "
                f"Tillåtna: {', '.join(sorted(known)) or 'inga'}."
            )
        return {p.name: p.convert(self.name, params.get(p.name)) for p in self.params}


def parse_sql_file(path: Path) -> QuerySpec:
    """Read a query file's header (name, description, params) and body."""
    text = path.read_text(encoding="utf-8")
    name, description, params = path.stem, "", []
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        if m := re.match(r"^--\s*name\s*:\s*(\w+)", line):
            name = m.group(1)
        elif m := re.match(r"^--\s*description\s*:\s*(.+)$", line):
            description = m.group(1).strip()
        elif m := _PARAM_RE.match(line.strip()):
            params.append(Param(m.group(1), m.group(2), m.group(3), m.group(4)))
    if name != path.stem:
        raise ValueError(f"{path}: the query name '{name}' must equal the file name")
    return QuerySpec(name=name, description=description, params=tuple(params), sql=text)


_SQL_QUERIES: dict[str, QuerySpec] = {
    p.stem: parse_sql_file(p) for p in sorted(SQL_DIR.glob("*.sql"))
}
_PY_QUERIES: dict[str, QuerySpec] = {}


def register_python_query(
    name: str, description: str, params: list[Param], func: Callable[..., pd.DataFrame]
) -> None:
    """Register a query computed in Python; `func(**params)` returns a DataFrame (and takes
    `directory=` when `execute` is given one)."""
    _PY_QUERIES[name] = QuerySpec(name, description, tuple(params), None, func)


def _load_python_queries() -> None:
    # Imported lazily: these modules import this one.
    import importlib

    for module in ("dashboard.seat_queries",):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


def queries() -> dict[str, QuerySpec]:
    """Every named query, SQL and Python."""
    _load_python_queries()
    return {**_SQL_QUERIES, **_PY_QUERIES}


def get_spec(name: str) -> QuerySpec:
    specs = queries()
    if name not in specs:
        raise QueryError(f"Okänd fråga '{name}'. Tillgängliga: {', '.join(sorted(specs))}.")
    return specs[name]


_lock = threading.Lock()
_connections: dict[str, duckdb.DuckDBPyConnection] = {}


def connect(directory: Path | None = None) -> duckdb.DuckDBPyConnection:
    """The shared read-only database for `directory` (default `data/`), opened once."""
    directory = Path(directory or data_dir()).resolve()
    key = str(directory)
    with _lock:
        con = _connections.get(key)
        if con is None:
            con = _load(directory)
            _connections[key] = con
        return con


def reset_connections() -> None:
    """Forget loaded databases (after a build or an import changed `data/`)."""
    with _lock:
        for con in _connections.values():
            con.close()
        _connections.clear()
        db_file.release()


def _load(directory: Path) -> duckdb.DuckDBPyConnection:
    for _ in range(3):
        try:
            return db_file.open_read_only(db_file.ensure(directory))
        except FileNotFoundError:  # another process's clean-up removed it just now: build it again
            continue
    return db_file.open_read_only(db_file.ensure(directory))


def execute(name: str, params: dict[str, Any] | None = None, directory: Path | None = None) -> pd.DataFrame:
    """Run the named query with validated parameters; return a DataFrame."""
    spec = get_spec(name)
    bound = spec.bind(dict(params or {}))
    if spec.func is not None:
        return spec.func(**bound) if directory is None else spec.func(**bound, directory=directory)
    cur = connect(directory).cursor()
    try:
        return cur.execute(spec.sql, bound).df()
    finally:
        cur.close()


def sql(query: str, params: dict[str, Any] | list | None = None, directory: Path | None = None) -> pd.DataFrame:
    """Run ad-hoc SQL on the loaded database (for tests and build checks, not for pages)."""
    cur = connect(directory).cursor()
    try:
        return cur.execute(query, params or {}).df()
    finally:
        cur.close()
