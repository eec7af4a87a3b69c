"""The login slow-down: exponential waits after wrong passwords, per key, in tiers (issue 7, 16).

Used by dashboard.auth.check_password: a browser tab (session) and a user name at a client
address are keys of their own tiers. The state lives in a small SQLite file that the app
processes of a host share, so parallel guesses on several run slots or processes are counted
before they are checked.
"""
from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

_LOG = logging.getLogger(__name__)


class _MemoryStore:
    """Throttle state in this process: key -> (failures, locked until, last failure)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state: dict[str, tuple[int, float, float]] = {}

    @contextlib.contextmanager
    def transaction(self):
        with self._lock:
            yield self._state


class _SqliteStore:
    """Throttle state in a small SQLite file, shared by the app processes of one host (the
    processes behind nginx): one transaction checks and records an attempt for all of them."""

    def __init__(self, path: Path) -> None:
        import sqlite3

        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.closing(sqlite3.connect(path, timeout=10)) as con:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("CREATE TABLE IF NOT EXISTS throttle (key TEXT PRIMARY KEY, failures INTEGER, "
                        "until REAL, last REAL)")
            con.commit()

    @contextlib.contextmanager
    def transaction(self):
        import sqlite3

        con = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            con.execute("BEGIN IMMEDIATE")  # the write lock first: check and record are one step
            view = _SqliteView(con)
            yield view
            view.flush()
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            con.close()


class _SqliteView:
    """The dict-like view of the throttle table that `Throttle` works on inside a transaction."""

    def __init__(self, con) -> None:
        self.con = con
        self.changed: dict[str, tuple[int, float, float] | None] = {}

    def get(self, key, default=None):
        if key in self.changed:
            return self.changed[key] if self.changed[key] is not None else default
        row = self.con.execute("SELECT failures, until, last FROM throttle WHERE key = ?", (key,)).fetchone()
        return tuple(row) if row else default

    def __setitem__(self, key, value) -> None:
        self.changed[key] = value

    def pop(self, key, default=None):
        old = self.get(key, default)
        self.changed[key] = None
        return old

    def __len__(self) -> int:
        return int(self.con.execute("SELECT count(*) FROM throttle").fetchone()[0])

    def prune(self, before: float, now: float) -> None:
        self.con.execute("DELETE FROM throttle WHERE last < ? AND until <= ?", (before, now))

    def flush(self) -> None:
        for key, value in self.changed.items():
            if value is None:
                self.con.execute("DELETE FROM throttle WHERE key = ?", (key,))
            else:
                self.con.execute("INSERT OR REPLACE INTO throttle VALUES (?, ?, ?, ?)", (key, *value))


@dataclass(frozen=True)
class Tier:
    """How many failures a key gets free before each further one doubles the wait."""

    name: str
    free: int


class Throttle:
    """Exponential wait after failed logins, per key, checked and recorded in one step.

    Keys come in tiers (`check_password`): the browser tab (session) and the user name together
    with the client address. In each tier the first `free` failures cost nothing; after that each
    failure doubles the wait, from `base` seconds up to `cap`. `attempt()` refuses while any key
    waits and otherwise counts the attempt as a failure at once, so parallel guesses (several run
    slots or processes) cannot all pass the check before one is recorded; a success then forgets
    the keys. Idle keys are forgotten after `forget` seconds.

    State lives in this process (`path=None`) or in a SQLite file shared by the processes of a
    host (`path`).
    """

    def __init__(self, free: int = 3, base: float = 2.0, cap: float = 300.0, forget: float = 3600.0,
                 clock: Callable[[], float] = time.time, path: Path | None = None):
        self.free, self.base, self.cap, self.forget, self.clock = free, base, cap, forget, clock
        self._store = _SqliteStore(path) if path is not None else _MemoryStore()

    def _delay(self, failures: int, free: int) -> float:
        return 0.0 if failures <= free else min(self.cap, self.base * 2 ** (failures - free - 1))

    def wait(self, key: str) -> float:
        """Seconds before `key` may try again (0 = now)."""
        with self._store.transaction() as state:
            _, until, _ = state.get(key, (0, 0.0, 0.0))
        return max(0.0, until - self.clock())

    def attempt(self, keys: dict[str, int]) -> tuple[float, float]:
        """Check and record one attempt for `keys` (key -> free failures of its tier).

        Returns (wait, delay): wait > 0 means refused now (nothing recorded); else the attempt is
        recorded as a failure, and delay is the wait that failure imposes if it stands."""
        now = self.clock()
        with self._store.transaction() as state:
            self._prune(state, now)
            current = {k: state.get(k, (0, 0.0, 0.0)) for k in keys}
            wait = max((until - now for _, until, _ in current.values()), default=0.0)
            if wait > 0:
                return wait, 0.0
            delay = 0.0
            for key, free in keys.items():
                failures = current[key][0] + 1
                d = self._delay(failures, free)
                state[key] = (failures, now + d, now)
                delay = max(delay, d)
        return 0.0, delay

    def failed(self, key: str) -> float:
        """Record a failure of `key` (with this throttle's `free`); returns the wait it imposes."""
        now = self.clock()
        with self._store.transaction() as state:
            failures = state.get(key, (0, 0.0, 0.0))[0] + 1
            d = self._delay(failures, self.free)
            state[key] = (failures, now + d, now)
        return d

    def succeeded(self, *keys: str) -> None:
        with self._store.transaction() as state:
            for key in keys:
                state.pop(key, None)

    def _prune(self, state, now: float) -> None:
        if len(state) > 10_000:  # bound memory under a flood of names
            if isinstance(state, _SqliteView):
                state.prune(now - self.forget, now)
                return
            for k, (_, until, last) in list(state.items()):
                if now - last > self.forget and until <= now:
                    del state[k]


# Per browser tab: three wrong guesses free, then 2 s, 4 s … 5 min. Per user name and client
# address: twenty free, so the wrong guesses of a few people in a room behind one Wi-Fi address
# do not lock out everyone else's right password; a guesser who opens tab after tab still
# meets the doubling wait after twenty.
SESSION_TIER = Tier("session", 3)
ADDRESS_TIER = Tier("address", 20)


def _throttle_path() -> Path | None:
    """VALRUMMET_LOGIN_THROTTLE: a file (shared by the processes that name it), "process" (kept
    in each process), or unset: login-throttle.sqlite in the database cache folder, which the
    processes of a host share (dashboard.db_file)."""
    chosen = os.environ.get("VALRUMMET_LOGIN_THROTTLE", "").strip()
    if chosen.lower() == "process":
        return None
    if chosen:
        return Path(chosen)
    from .db_file import cache_dir

    return cache_dir() / "login-throttle.sqlite"


def _make_throttle() -> Throttle:
    try:
        return Throttle(path=_throttle_path())
    except Exception as exc:  # an unwritable folder: keep the slow-down in this process
        _LOG.warning("login slow-down kept per process (%s)", exc)
        return Throttle()


_THROTTLE: Throttle | None = None
_THROTTLE_LOCK = threading.Lock()


def shared_throttle() -> Throttle:
    """The shared throttle (made on first use, so importing auth touches no file)."""
    global _THROTTLE
    with _THROTTLE_LOCK:
        if _THROTTLE is None:
            _THROTTLE = _make_throttle()
        return _THROTTLE


