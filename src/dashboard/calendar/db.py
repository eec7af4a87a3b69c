"""The calendar's database: SQLite (WAL) embedded by default, PostgreSQL when configured.

* `VALRUMMET_DATABASE_URL` (e.g. `postgresql://valrummet@db.example/valrummet`, or any
  SQLAlchemy URL) chooses the database; without it the calendar lives in
  `data/calendar/kalender.sqlite3` (follows `VALRUMMET_DATA_DIR`; git-ignored).
* The schema is versioned with Alembic (`migrations/`); `engine()` brings a database up to
  `SCHEMA_HEAD` once per process, under a lock (an advisory lock on PostgreSQL, SQLite's write
  lock), so several processes starting together migrate once.
* Writes run in `write()`: on SQLite a `BEGIN IMMEDIATE` transaction (takes the write lock at
  once, so two writers queue instead of failing on a stale snapshot); on PostgreSQL an ordinary
  READ COMMITTED transaction, where decisions are guarded by the events' version column.
* Every write bumps `calendar_state.revision`: the pages' caches are keyed by it, so every
  process (and every machine) sees a change at its next page run.
"""
from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event as sa_event

from ..errors import ValrummetError
from ..paths import data_dir

SCHEMA_HEAD = "0001"  # the newest migration in migrations/versions (tests check they agree)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_ADVISORY_KEY = 20_2026_0001  # pg_advisory_xact_lock key of the calendar's migrations

metadata = sa.MetaData()

people = sa.Table(
    "people", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("name_key", sa.String(200), nullable=False),  # casefolded, for lookups
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.UniqueConstraint("name_key", name="uq_people_name_key"),
)

imports = sa.Table(
    "imports", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("file_name", sa.String(300), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("format", sa.String(10), nullable=False),
    sa.Column("rows", sa.Integer, nullable=False),
)

events = sa.Table(
    "events", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("uid", sa.String(255), nullable=False),  # iCalendar UID, stable across downloads
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("kind", sa.String(30), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("starts_at", sa.DateTime, nullable=False),  # naive UTC
    sa.Column("ends_at", sa.DateTime, nullable=False),
    sa.Column("kommunkod", sa.String(4), nullable=False),
    sa.Column("forening", sa.String(200)),  # association id (foreningar file), or NULL
    sa.Column("valdistrikt", sa.String(8)),
    sa.Column("place", sa.String(300)),
    sa.Column("description", sa.Text),
    sa.Column("visibility", sa.String(10), nullable=False),
    sa.Column("requested_by", sa.String(200), nullable=False),
    sa.Column("decided_by", sa.String(200)),
    sa.Column("decided_at", sa.DateTime),
    sa.Column("message", sa.Text),  # the latest decision's message or reason
    sa.Column("version", sa.Integer, nullable=False),  # optimistic concurrency; also iCal SEQUENCE
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("source", sa.String(20), nullable=False),  # forfragan | koordinator | import
    sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id", name="fk_events_import_id")),
    sa.UniqueConstraint("uid", name="uq_events_uid"),
    sa.CheckConstraint("ends_at > starts_at", name="ck_events_end_after_start"),
)
sa.Index("ix_events_time", events.c.starts_at, events.c.ends_at)
sa.Index("ix_events_kommun_time", events.c.kommunkod, events.c.starts_at)
sa.Index("ix_events_status", events.c.status)
sa.Index("ix_events_requested_by", events.c.requested_by)

event_people = sa.Table(
    "event_people", metadata,
    sa.Column("event_id", sa.Integer, sa.ForeignKey("events.id", ondelete="CASCADE", name="fk_event_people_event_id"),
              primary_key=True),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id", name="fk_event_people_person_id"),
              primary_key=True),
)
sa.Index("ix_event_people_person", event_people.c.person_id, event_people.c.event_id)

history = sa.Table(
    "event_history", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("event_id", sa.Integer, sa.ForeignKey("events.id", name="fk_event_history_event_id"), nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("action", sa.String(30), nullable=False),
    sa.Column("outcome", sa.String(10), nullable=False),  # sparad | avvisad
    sa.Column("from_status", sa.String(20)),
    sa.Column("to_status", sa.String(20)),
    sa.Column("version_seen", sa.Integer),
    sa.Column("message", sa.Text),
    sa.Column("details", sa.Text),  # JSON: times before/after, why an attempt was refused
)
sa.Index("ix_event_history_event", history.c.event_id, history.c.id)

subscriptions = sa.Table(
    "subscriptions", metadata,
    sa.Column("id", sa.String(32), primary_key=True),  # public part of the URL token
    sa.Column("scope", sa.String(10), nullable=False),  # person | forening
    sa.Column("target", sa.String(200), nullable=False),  # person id or association id
    sa.Column("token_hash", sa.String(64), nullable=False),  # SHA-256 of the secret part
    sa.Column("label", sa.String(300), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("revoked_at", sa.DateTime),
    sa.Column("revoked_by", sa.String(200)),
)

state = sa.Table(
    "calendar_state", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("revision", sa.BigInteger, nullable=False),
)


# --- which database ------------------------------------------------------------------------------


def sqlite_path() -> Path:
    return data_dir() / "calendar" / "kalender.sqlite3"


def database_url() -> str:
    """The configured URL (VALRUMMET_DATABASE_URL), else the embedded SQLite file."""
    url = (os.environ.get("VALRUMMET_DATABASE_URL") or "").strip()
    if not url:
        return f"sqlite:///{sqlite_path()}"
    if url.startswith(("postgres://", "postgresql://")):  # the driver we pin: psycopg 3
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def describe(url: str | None = None) -> str:
    """The database for people (no password): "SQLite data/calendar/…" or "PostgreSQL db/name"."""
    u = sa.engine.make_url(url or database_url())
    if u.get_backend_name() == "sqlite":
        return f"SQLite ({u.database})"
    return f"PostgreSQL ({u.host or 'unix-uttag'}{':' + str(u.port) if u.port else ''}/{u.database})"


_ENGINES: dict[str, sa.Engine] = {}
_LOCK = threading.Lock()


def engine(url: str | None = None) -> sa.Engine:
    """The process's engine for `url` (default: the configured database), schema up to date."""
    url = url or database_url()
    hit = _ENGINES.get(url)
    if hit is not None:
        return hit
    with _LOCK:
        hit = _ENGINES.get(url)
        if hit is None:
            hit = _make_engine(url)
            ensure_schema(hit)
            _ENGINES[url] = hit
    return hit


def dispose_all() -> None:
    """Close every pooled connection (tests that switch databases; after a fork)."""
    with _LOCK:
        for e in _ENGINES.values():
            e.dispose()
        _ENGINES.clear()


def _make_engine(url: str) -> sa.Engine:
    u = sa.engine.make_url(url)
    if u.get_backend_name() == "sqlite":
        path = Path(u.database or "")
        if not u.database or u.database == ":memory:":
            raise ValrummetError("Kalendern behöver en SQLite-fil, inte en databas i minnet.")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ValrummetError(f"Kalenderns databasmapp {path.parent} kan inte skapas: {exc}.") from None
        eng = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                               pool_size=5, max_overflow=10, pool_pre_ping=False)
        _sqlite_transactions(eng)
        return eng
    if u.get_backend_name() == "postgresql":
        return sa.create_engine(url, pool_size=5, max_overflow=5, pool_pre_ping=True,
                                connect_args={"connect_timeout": 10, "application_name": "valrummet"})
    raise ValrummetError(f"Kalendern stöder SQLite och PostgreSQL, inte {u.get_backend_name()} "
                         "(VALRUMMET_DATABASE_URL).")


def _sqlite_transactions(eng: sa.Engine) -> None:
    """SQLite with real transactions: the driver's own implicit BEGIN is switched off, and each
    SQLAlchemy transaction begins explicitly: IMMEDIATE for writes (the write lock at once, so a
    second writer waits up to the busy timeout instead of failing on an outdated snapshot)."""

    @sa_event.listens_for(eng, "connect")
    def _connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
        cur.execute("PRAGMA synchronous=NORMAL")  # durable at each checkpoint; safe in WAL mode
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @sa_event.listens_for(eng, "begin")
    def _begin(conn):
        immediate = conn.get_execution_options().get("valrummet_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextlib.contextmanager
def write(eng: sa.Engine | None = None):
    """A write transaction (committed on success, rolled back on an exception)."""
    eng = eng or engine()
    with eng.connect() as conn:
        conn = conn.execution_options(valrummet_write=True)
        with conn.begin():
            yield conn


@contextlib.contextmanager
def read(eng: sa.Engine | None = None):
    """A read-only transaction (one consistent snapshot)."""
    eng = eng or engine()
    with eng.connect() as conn:
        with conn.begin():
            yield conn


def bump_revision(conn: sa.Connection) -> None:
    conn.execute(state.update().where(state.c.id == 1).values(revision=state.c.revision + 1))


def revision(eng: sa.Engine | None = None) -> int:
    """The store's change counter: a cache key for everything read from it."""
    with read(eng) as conn:
        return int(conn.execute(sa.select(state.c.revision).where(state.c.id == 1)).scalar_one())


# --- migrations ------------------------------------------------------------------------------------


def current_schema(conn: sa.Connection) -> str | None:
    """The Alembic revision the database is at (None for an empty database)."""
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def ensure_schema(eng: sa.Engine) -> None:
    """Bring the database to SCHEMA_HEAD; a database already there costs one query."""
    with eng.connect() as conn:
        with conn.begin():
            at = current_schema(conn)
    if at == SCHEMA_HEAD:
        return
    upgrade(eng)


def upgrade(eng: sa.Engine, target: str = "head") -> None:
    """Run the migrations under a lock, so processes starting together migrate once."""
    from alembic import command
    from alembic.config import Config

    with write(eng) as conn:
        if eng.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_KEY})
        # SQLite: BEGIN IMMEDIATE (write()) already holds the database's write lock.
        if target == "head" and current_schema(conn) == SCHEMA_HEAD:
            return
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, target)
