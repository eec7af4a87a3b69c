"""Logins that last: a signed cookie naming a server-side login session (issue 18).

A built-in login (dashboard.auth) lives in the websocket session of one browser tab. With the
production launcher it also becomes a *login session*: a row in a small SQLite file that the
app processes of a host share (next to the login slow-down's, dashboard.login_throttle), and a
cookie in the browser that names it. Each new tab or reload sends the cookie with its websocket
request, and `lookup()` turns it back into the login; logout revokes the row, so every tab and
every process stops accepting it at its next run.

Sessions made in one browser form a group (`browser`): a tab that logs in while the browser
already holds a live cookie (a tab opened before the first login) joins that cookie's group
when the route sets the new cookie (`adopt`), and logout revokes the whole group, so no tab
of that browser stays logged in.

The cookie value is `v1.<secret>.<mac>`: 32 random bytes, and an HMAC-SHA256 of them with a key
derived from the configured `login_secret` (`Policy`). The store keeps only the SHA-256 of the
secret, so a copy of the file is no set of cookies; a forged or old-key value is refused
before the store is asked; rotating `login_secret` ends every cookie. A row also remembers a
fingerprint of the password hash the login was checked against: a changed password, or a
user taken out of the configuration, ends that user's sessions.

The cookie itself is set by a route of the launcher (dashboard.login_http), since a websocket
cannot set cookies; under plain `streamlit run` logins stay per tab.
"""
from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import logging
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

_LOG = logging.getLogger(__name__)

COOKIE = "valrummet_login"
SECURE_COOKIE = "__Host-valrummet_login"  # on https: Secure, Path=/, no Domain (no subdomain can set it)
DEFAULT_DAYS = 14.0
MAX_DAYS = 366.0
MIN_SECRET_CHARS = 32
_VERSION = "v1"
_KEY_LABEL = b"valrummet login cookie v1"
_PLACEHOLDER_MARKS = ("byt", "klistra", "change", "replace", "your-", "xxx", "secret-here")


def looks_like_placeholder(value: str) -> bool:
    """True for the example files' fill-in values ("BYT-…", "KLISTRA-IN-…") and the like."""
    text = (value or "").strip().lower()
    return not text or any(text.startswith(m) or f"-{m}" in text for m in _PLACEHOLDER_MARKS) or "<" in text


@dataclass(frozen=True)
class Policy:
    """Whether logins outlast the tab, for how long, and the cookie key (None = per tab only)."""

    seconds: float
    key: bytes | None
    reason: str = ""  # why logins are per tab (English, for the log)

    @property
    def enabled(self) -> bool:
        return self.key is not None and self.seconds > 0


def load_policy(days: float, secret: str, streamlit_secret: str | None = None) -> Policy:
    """The policy for a login lifetime of `days` (0 = the tab only) and `secret` (the
    `login_secret` setting). Without its own secret the key comes from Streamlit's
    `server.cookieSecret` when the operator set one (`streamlit_secret`). A missing, short or
    example secret turns the cookie off (logins per tab) and says why."""
    if days <= 0:
        return Policy(0.0, None, "VALRUMMET_LOGIN_DAYS / login_days is 0: logins last for the browser tab")
    days = min(days, MAX_DAYS)
    secret = (secret or "").strip()
    source = "VALRUMMET_LOGIN_SECRET / login_secret"
    if not secret and streamlit_secret:
        secret, source = streamlit_secret.strip(), "server.cookieSecret (STREAMLIT_SERVER_COOKIE_SECRET)"
    if not secret:
        return Policy(0.0, None, "no VALRUMMET_LOGIN_SECRET (or login_secret, or STREAMLIT_SERVER_COOKIE_SECRET) "
                                 "is set: logins last for the browser tab")
    if looks_like_placeholder(secret) or len(secret) < MIN_SECRET_CHARS:
        return Policy(0.0, None, f"{source} is an example value or shorter than {MIN_SECRET_CHARS} characters: "
                                 "logins last for the browser tab until a long random secret is set")
    key = hmac.new(secret.encode(), _KEY_LABEL, hashlib.sha256).digest()
    return Policy(days * 86400.0, key)


def credential_fingerprint(encoded_hash: str | None) -> str:
    """A short digest of the password hash a login was checked against ("" for none)."""
    if not encoded_hash:
        return ""
    return hashlib.sha256(encoded_hash.encode()).hexdigest()[:32]


# --- the cookie value -------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _mac(key: bytes, token: str) -> str:
    return _b64(hmac.new(key, f"{_VERSION}.{token}".encode(), hashlib.sha256).digest())


def new_token() -> str:
    return _b64(secrets.token_bytes(32))


def sign(key: bytes, token: str) -> str:
    """The cookie value for a session token."""
    return f"{_VERSION}.{token}.{_mac(key, token)}"


def unsign(key: bytes, value: str | None) -> str | None:
    """The session token of a cookie value, or None when it is malformed or signed with another key."""
    if not value or len(value) > 200:
        return None
    parts = value.split(".")
    if len(parts) != 3 or parts[0] != _VERSION or not parts[1]:
        return None
    if not hmac.compare_digest(parts[2], _mac(key, parts[1])):
        return None
    return parts[1]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- the store --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Session:
    account: str  # lower-case user name, "" for the shared password
    display: str  # the name as shown
    credential: str  # credential_fingerprint of the hash at login
    created: float
    expires: float


class Store:
    """Login sessions in a SQLite file (WAL), shared by the processes of a host.

    One connection per process behind a lock: every page run of a cookie login reads one row,
    which takes microseconds; writes (login, logout) are rare."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.clock = clock
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._con = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
        with contextlib.suppress(OSError):
            os.chmod(path, 0o600)  # the digests are no cookies, but nobody else needs to read them
        self._con.execute("PRAGMA journal_mode=WAL")
        self._con.execute(
            "CREATE TABLE IF NOT EXISTS login_session (id TEXT PRIMARY KEY, account TEXT NOT NULL, "
            "display TEXT NOT NULL, credential TEXT NOT NULL, created REAL NOT NULL, expires REAL NOT NULL, "
            "revoked REAL, browser TEXT NOT NULL)")
        self._con.execute("CREATE INDEX IF NOT EXISTS login_session_account ON login_session (account)")
        self._con.execute("CREATE INDEX IF NOT EXISTS login_session_browser ON login_session (browser)")

    def create(self, account: str, display: str, credential: str, seconds: float) -> tuple[str, float]:
        """A new session; returns (token, expires). Also forgets sessions ended a day ago."""
        token = new_token()
        now = self.clock()
        with self._lock:
            self._con.execute("DELETE FROM login_session WHERE expires < ? OR revoked < ?", (now - 86400, now - 86400))
            self._con.execute("INSERT INTO login_session VALUES (?, ?, ?, ?, ?, ?, NULL, ?)",
                              (_digest(token), account, display, credential, now, now + seconds,
                               secrets.token_hex(16)))
        return token, now + seconds

    def adopt(self, token: str, previous: str) -> bool:
        """Put session `token` in the browser group of `previous` (the live session the same
        browser's cookie named until now). False when `previous` is not live."""
        with self._lock:
            cur = self._con.execute(
                "UPDATE login_session SET browser = (SELECT browser FROM login_session WHERE id = ? "
                "AND revoked IS NULL AND expires > ?) WHERE id = ? AND EXISTS (SELECT 1 FROM login_session "
                "WHERE id = ? AND revoked IS NULL AND expires > ?)",
                (_digest(previous), self.clock(), _digest(token), _digest(previous), self.clock()))
        return cur.rowcount > 0

    def revoke_browser(self, token: str) -> int:
        """Logout: end `token`'s session and every other live one of its browser group."""
        with self._lock:
            now = self.clock()
            cur = self._con.execute(
                "UPDATE login_session SET revoked = ? WHERE revoked IS NULL AND (id = ? OR browser = "
                "(SELECT browser FROM login_session WHERE id = ?))", (now, _digest(token), _digest(token)))
        return cur.rowcount

    def lookup(self, token: str) -> Session | None:
        """The live session of `token`; None when unknown, revoked or expired."""
        with self._lock:
            row = self._con.execute(
                "SELECT account, display, credential, created, expires FROM login_session "
                "WHERE id = ? AND revoked IS NULL AND expires > ?", (_digest(token), self.clock())).fetchone()
        return Session(*row) if row else None

    def revoke(self, token: str) -> bool:
        with self._lock:
            cur = self._con.execute("UPDATE login_session SET revoked = ? WHERE id = ? AND revoked IS NULL",
                                    (self.clock(), _digest(token)))
        return cur.rowcount > 0

    def revoke_account(self, account: str) -> int:
        """End every session of one user (all devices); returns how many were live."""
        with self._lock:
            now = self.clock()
            cur = self._con.execute("UPDATE login_session SET revoked = ? WHERE account = ? AND revoked IS NULL "
                                    "AND expires > ?", (now, account, now))
        return cur.rowcount


def store_path() -> Path:
    """VALRUMMET_LOGIN_SESSIONS, else login-sessions.sqlite beside the login slow-down's file."""
    chosen = os.environ.get("VALRUMMET_LOGIN_SESSIONS", "").strip()
    if chosen:
        return Path(chosen)
    from .login_throttle import _throttle_path

    throttle = _throttle_path()
    if throttle is not None:
        return throttle.with_name("login-sessions.sqlite")
    from .db_file import cache_dir

    return cache_dir() / "login-sessions.sqlite"


_STORE: Store | None = None
_STORE_FAILED = False
_STORE_LOCK = threading.Lock()


def shared_store() -> Store | None:
    """The host's store (opened on first use); None when it cannot be opened (logins per tab)."""
    global _STORE, _STORE_FAILED
    with _STORE_LOCK:
        if _STORE is None and not _STORE_FAILED:
            try:
                _STORE = Store(store_path())
            except (OSError, sqlite3.Error) as exc:
                _STORE_FAILED = True
                _LOG.error("login sessions cannot be stored (%s): logins last for the browser tab", exc)
        return _STORE


# --- one-time grants for the cookie route ------------------------------------------------------

GRANT_SECONDS = 60.0


@dataclass(frozen=True)
class Grant:
    action: str  # "login" (set the cookie) or "logout" (delete it)
    session_id: str  # the websocket session it was issued to
    cookie: str  # login: the cookie value to set
    token: str  # login: the session token the cookie names
    max_age: int  # login: the cookie's lifetime in seconds
    expires: float  # monotonic


class Grants:
    """Tokens the cookie route accepts once, for a minute, from the session they were issued to.

    A websocket session that logs in (or out) gets one; its page hands it to the browser, which
    posts it to the route; the route sets (or deletes) the cookie. Kept in the process: with
    several processes the proxy's sticky sessions send the browser's request to the process of
    its websocket (a request that reaches another process is refused, and the login stays per
    tab)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._grants: dict[str, Grant] = {}

    def issue(self, action: str, session_id: str, cookie: str = "", max_age: int = 0,
              session_token: str = "") -> str:
        token = new_token()
        now = self.clock()
        with self._lock:
            for k in [k for k, g in self._grants.items() if g.expires <= now]:
                del self._grants[k]
            if len(self._grants) > 10_000:  # bounded under a flood of logins
                self._grants.clear()
            self._grants[_digest(token)] = Grant(action, session_id, cookie, session_token, max_age,
                                                 now + GRANT_SECONDS)
        return token

    def redeem(self, token: str) -> Grant | None:
        """The grant of `token`, removed (a second use finds nothing); None when unknown or expired."""
        if not token or len(token) > 100:
            return None
        with self._lock:
            grant = self._grants.pop(_digest(token), None)
        if grant is None or grant.expires <= self.clock():
            return None
        return grant


GRANTS = Grants()
