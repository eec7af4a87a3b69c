"""What the production launcher does so that anonymous clients cannot exhaust the server (issue 16).

`install()` runs in the server process before Streamlit starts (dashboard.serve):

* **File descriptors.** The soft limit on open files is raised to the hard limit
  (`raise_fd_limit`; systemd's default soft limit is 1024), each session's script event loop is
  one shared loop instead of an epoll descriptor and a socket pair per session
  (`share_script_event_loop`), so a session costs one descriptor (its socket), and the log says
  when open descriptors pass 80 % of the limit (`watch_fds`).
* **Per client** (`ClientGuard`, an ASGI middleware in front of Streamlit's): the viewer's
  address (dashboard.clients) is worked out once per connection and handed to the session; at
  most `MAX_SESSIONS_PER_CLIENT` websocket sessions per client address and `MAX_SESSIONS` per
  process (refused with 429/503 before the session exists); uploads only as
  dashboard.upload_guard allows, checked before the body is read.
* **Inbound messages** are bounded before they are read, and uvicorn does not rewrite the
  client's address from proxy headers on its own (`tune_uvicorn`).
* **Bad input is not an error**: widget states with ids that are no widget's are dropped
  (`drop_unknown_widget_ids`; they ended in "Uncaught app execution" with a full traceback each
  time), and repeated log records are rate-limited (`limit_log_floods`).
* **The app's own log lines** (logins, refusals) reach the console at INFO (`log_to_console`).
"""
from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from . import clients, upload_guard

_LOG = logging.getLogger(__name__)

DEFAULT_MAX_SESSIONS_PER_CLIENT = 600  # a meeting of 300 phones behind one Wi-Fi address, twice over
DEFAULT_MAX_SESSIONS = 4000  # per process; every shipped way of running it allows >= 8192 descriptors
INBOUND_MESSAGE_OPTION = "server.maxWidgetStateSize"  # MB; the launcher sets 1
FD_WARN_SHARE = 0.8


def _int_env(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, "") or default))
    except ValueError:
        _LOG.warning("%s=%r är inte ett heltal; använder %d", name, os.environ.get(name), default)
        return default


@dataclass(frozen=True)
class Limits:
    sessions_per_client: int
    sessions: int
    uploads: upload_guard.Limits

    @classmethod
    def from_env(cls) -> "Limits":
        return cls(_int_env("VALRUMMET_MAX_SESSIONS_PER_CLIENT", DEFAULT_MAX_SESSIONS_PER_CLIENT),
                   _int_env("VALRUMMET_MAX_SESSIONS", DEFAULT_MAX_SESSIONS),
                   upload_guard.Limits.from_env())


def _replace_once(owner, name: str, make: Callable) -> bool:
    """Replace `owner.name` by `make(original)`, once per process (a second call finds the mark).
    False when `owner` has no such attribute (another Streamlit: leave it alone)."""
    original = getattr(owner, name, None)
    if original is None:
        return False
    if getattr(original, "_valrummet_hardened", False):
        return True
    replacement = make(original)
    replacement._valrummet_hardened = True
    setattr(owner, name, replacement)
    return True


# --- file descriptors -------------------------------------------------------------------------


def raise_fd_limit() -> tuple[int, int]:
    """Raise the soft limit on open files to the hard limit; returns (soft, hard) afterwards."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 16)
    if soft == resource.RLIM_INFINITY or soft >= target:
        return soft, hard
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError) as exc:
        _LOG.warning("kunde inte höja gränsen för öppna filer från %d: %s", soft, exc)
        return soft, hard
    return target, hard


def open_fds() -> int | None:
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return None


def fd_warning(used: int, limit: int, share: float = FD_WARN_SHARE) -> str | None:
    """The log line to write when `used` descriptors come close to `limit`, else None."""
    if limit <= 0 or used < share * limit:
        return None
    return (f"valrummet: {used} av {limit} fildeskriptorer används ({used * 100 // limit} %) – "
            "nya anslutningar kan snart nekas. Höj LimitNOFILE (systemd) eller --ulimit nofile (Docker), "
            "eller fördela på fler processer.")


def watch_fds(period_s: float = 5.0, every_s: float = 60.0) -> bool:
    """Log a warning (at most every `every_s`) while open descriptors are above 80 % of the
    soft limit. Returns False where descriptors cannot be counted."""
    import resource

    if open_fds() is None:
        return False

    def watch() -> None:
        last = 0.0
        while True:
            time.sleep(period_s)
            used = open_fds()
            limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
            line = fd_warning(used or 0, limit if limit != resource.RLIM_INFINITY else 0)
            if line and time.monotonic() - last >= every_s:
                last = time.monotonic()
                _LOG.warning(line)

    threading.Thread(target=watch, name="valrummet-fds", daemon=True).start()
    return True


_SHARED_LOOP = None


def share_script_event_loop() -> bool:
    """One never-running event loop for every session's script thread instead of one each.

    Streamlit gives each session its own asyncio loop, installed (not run) in the session's
    script thread so that libraries calling `asyncio.get_event_loop()` find one; each loop holds
    an epoll descriptor and a socket pair, three of a session's four descriptors. Nothing in
    this app drives that loop (no `run_until_complete` in a page), so one shared loop does the
    same job; Streamlit's teardown never closes it. Returns True when installed.
    """
    import asyncio
    import types

    try:
        from streamlit.runtime import app_session
    except ImportError:
        return False
    if getattr(app_session, "_valrummet_shared_loop", False):
        return True
    if not hasattr(app_session, "_close_script_event_loop") or getattr(app_session, "asyncio", None) is not asyncio:
        return False  # another Streamlit: leave its loops alone

    def shared_loop() -> asyncio.AbstractEventLoop:
        global _SHARED_LOOP
        if _SHARED_LOOP is None or _SHARED_LOOP.is_closed():
            _SHARED_LOOP = asyncio.new_event_loop()
        return _SHARED_LOOP

    shim = types.ModuleType("asyncio")  # app_session's view of asyncio: all of it but new_event_loop
    shim.__dict__.update(asyncio.__dict__)
    shim.new_event_loop = shared_loop
    original_close = app_session._close_script_event_loop

    def close(loop) -> None:
        if loop is not _SHARED_LOOP:
            original_close(loop)

    app_session.asyncio = shim
    app_session._close_script_event_loop = close
    app_session._valrummet_shared_loop = True
    return True


# --- inbound messages and bad input -------------------------------------------------------------


def tune_uvicorn() -> bool:
    """Two uvicorn settings Streamlit leaves at uvicorn's defaults:

    * `ws_max_size`: a client's websocket frame larger than server.maxWidgetStateSize is refused
      as soon as its header says so. Streamlit passed server.maxMessageSize (200 MB, which also
      bounds what the server sends), so a frame was read whole before it was refused.
    * `proxy_headers=False`: uvicorn would otherwise take X-Forwarded-For from any loopback
      peer as the client's address; which proxies to believe is `ClientGuard`'s decision
      (VALRUMMET_TRUSTED_PROXIES).

    Returns True when installed."""
    try:
        from streamlit import config
        from streamlit.web.server.starlette import starlette_server as srv
    except ImportError:
        return False

    def make(original):
        def kwargs() -> dict:
            out = dict(original())
            out["ws_max_size"] = int(config.get_option(INBOUND_MESSAGE_OPTION)) * 1024 * 1024
            out["proxy_headers"] = False
            return out

        return kwargs

    return _replace_once(srv, "_get_uvicorn_config_kwargs", make)


def drop_unknown_widget_ids() -> bool:
    """Drop widget states whose id is not a widget id before a rerun uses them.

    Streamlit's own widget ids all start with `$$ID-`; any other id came from a hand-made
    message, and Streamlit ended such a run in "Uncaught app execution" with a full traceback
    in the log each time. Now the run goes on without it and the log gets one short line
    (rate-limited). Returns True when installed."""
    try:
        from streamlit.runtime.app_session import AppSession
        from streamlit.runtime.state.common import is_element_id
    except ImportError:
        return False

    def make(original):
        def handle_backmsg(self, msg) -> None:
            if msg.WhichOneof("type") == "rerun_script":
                states = msg.rerun_script.widget_states.widgets
                bad = [i for i, w in enumerate(states) if not is_element_id(w.id)]
                if bad:
                    for i in reversed(bad):
                        del states[i]
                    _LOG.warning("valrummet: ignorerade %d okända widget-id från session %s", len(bad),
                                 str(getattr(self, "id", "?"))[:8])
            return original(self, msg)

        return handle_backmsg

    return _replace_once(AppSession, "handle_backmsg", make)


class FloodFilter(logging.Filter):
    """Rate-limit log records by where they come from and what they say.

    A record is identified by its logger and message template, and for one with a traceback
    also by the exception type and the line that raised it. The first of each passes whole; then
    at most `per_minute` a minute pass, tracebacks shortened to one line, with a note of how many
    were left out. Records marked `extra={"audit": True}` (logins) always pass.
    """

    def __init__(self, per_minute: int = 6, clock: Callable[[], float] = time.monotonic):
        super().__init__()
        self.per_minute = per_minute
        self.clock = clock
        self._lock = threading.Lock()
        self._seen: dict[tuple, list] = {}  # key -> [window start, passed in window, dropped since]

    def _key(self, record: logging.LogRecord) -> tuple:
        key: tuple = (record.name, str(record.msg))
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            tb = exc.__traceback__
            while tb is not None and tb.tb_next is not None:
                tb = tb.tb_next
            where = (tb.tb_frame.f_code.co_filename, tb.tb_lineno) if tb else ("", 0)
            key += (type(exc).__name__, where)
        return key

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "audit", False):
            return True
        key = self._key(record)
        now = self.clock()
        with self._lock:
            if len(self._seen) > 2000:
                self._seen.clear()
            entry = self._seen.get(key)
            if entry is None:
                self._seen[key] = [now, 0, 0]  # the first is free and whole
                return True
            if now - entry[0] >= 60:
                entry[0], entry[1] = now, 0
            if entry[1] >= self.per_minute:
                entry[2] += 1
                return False
            entry[1] += 1
            dropped, entry[2] = entry[2], 0
        if record.exc_info:
            exc = record.exc_info[1]
            record.msg = f"{record.getMessage()} (igen: {type(exc).__name__}: {str(exc)[:200]})"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        if dropped:
            record.msg = f"{record.getMessage()} [{dropped} liknande rader utelämnade]"
            record.args = None
        return True


# Streamlit's loggers an anonymous client can make write: script errors, back-message errors,
# refused websockets and uploads. The app's own lines (refused logins, ignored clear_cache) go
# through the handler of `log_to_console`.
FLOOD_LOGGERS = (
    "streamlit.error_util",
    "streamlit.runtime.app_session",
    "streamlit.runtime.runtime",
    "streamlit.web.server.starlette.starlette_websocket",
    "streamlit.web.server.starlette.starlette_routes",
)


def limit_log_floods() -> FloodFilter:
    """One FloodFilter on Streamlit's loggers that clients can trigger and on the app's handler."""
    flood = FloodFilter()
    for name in FLOOD_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, FloodFilter) for f in logger.filters):
            logger.addFilter(flood)
    if _HANDLER is not None and not any(isinstance(f, FloodFilter) for f in _HANDLER.filters):
        _HANDLER.addFilter(flood)  # records of dashboard.* pass the parent's handler, not its filters
    return flood


_HANDLER: logging.Handler | None = None


def log_to_console() -> logging.Handler:
    """The app's loggers (`dashboard.*`) write to stderr at INFO in Streamlit's format, so
    logins and refusals are in the log. Without a handler Python's last resort dropped
    everything below WARNING."""
    global _HANDLER
    from streamlit.logger import DEFAULT_LOG_MESSAGE

    logger = logging.getLogger("dashboard")
    if _HANDLER is None:
        _HANDLER = logging.StreamHandler()
        formatter = logging.Formatter(DEFAULT_LOG_MESSAGE)
        formatter.default_msec_format = "%s.%03d"
        _HANDLER.setFormatter(formatter)
        logger.addHandler(_HANDLER)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return _HANDLER


# --- per-client limits: the ASGI middleware ------------------------------------------------------

_STREAM = re.compile(r"/_stcore/stream$")
_UPLOAD = re.compile(r"/_stcore/upload_file/([^/]+)/([^/]+)$")


class ClientGuard:
    """ASGI middleware in front of Streamlit's app: client address, session caps, upload gate."""

    def __init__(self, app, limits: Limits | None = None, trusted=None):
        self.app = app
        self.limits = limits or Limits.from_env()
        self.trusted = clients.trusted_proxies() if trusted is None else trusted
        self.sessions: dict[str, int] = {}  # client key -> open websocket sessions
        self.total = 0
        self._refusals = 0

    def _address(self, scope) -> str:
        peer = (scope.get("client") or (None, None))[0]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers") or ()}
        return clients.client_address(peer, headers, self.trusted)

    async def __call__(self, scope, receive, send) -> None:
        kind = scope.get("type")
        if kind not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        address = self._address(scope)
        name = clients.HEADER.encode()
        headers = [(k, v) for k, v in scope.get("headers") or () if k.lower() != name]
        headers.append((name, address.encode("latin-1", "replace")))
        scope = {**scope, "headers": headers}
        path = scope.get("path", "")
        if kind == "websocket" and _STREAM.search(path):
            return await self._session(scope, receive, send, address)
        if kind == "http" and scope.get("method") == "PUT" and (m := _UPLOAD.search(path)):
            return await self._upload(scope, receive, send, m.group(1), address)
        return await self.app(scope, receive, send)

    async def _session(self, scope, receive, send, address: str) -> None:
        key = clients.client_key(address)
        if self.sessions.get(key, 0) >= self.limits.sessions_per_client:
            return await self._refuse_ws(scope, receive, send, 429, f"för många sessioner från {address} "
                                                           f"(högst {self.limits.sessions_per_client})")
        if self.total >= self.limits.sessions:
            return await self._refuse_ws(scope, receive, send, 503, f"för många sessioner i processen "
                                                           f"(högst {self.limits.sessions})")
        self.sessions[key] = self.sessions.get(key, 0) + 1
        self.total += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.total -= 1
            left = self.sessions.get(key, 1) - 1
            if left > 0:
                self.sessions[key] = left
            else:
                self.sessions.pop(key, None)

    async def _refuse_ws(self, scope, receive, send, status: int, why: str) -> None:
        _LOG.warning("valrummet: nekade websocket: %s", why)
        await receive()  # the websocket.connect event comes first
        if "websocket.http.response" in (scope.get("extensions") or {}):
            await send({"type": "websocket.http.response.start", "status": status,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"retry-after", b"30")]})
            await send({"type": "websocket.http.response.body", "body": "Försök igen om en stund.\n".encode()})
        else:
            await send({"type": "websocket.close", "code": 1013})

    async def _upload(self, scope, receive, send, session_id: str, address: str) -> None:
        length = None
        for k, v in scope.get("headers") or ():
            if k.lower() == b"content-length":
                try:
                    length = int(v)
                except ValueError:
                    length = None
        status, why = upload_guard.check(session_id, length, self.limits.uploads)
        if status:
            _LOG.warning("valrummet: nekade uppladdning (%d) från %s: %s", status, address, why)
            body = {403: "Uppladdning är inte tillåten.", 411: "Storleken saknas.",
                    413: "Filen är för stor."}.get(status, "Nekad.").encode()
            await send({"type": "http.response.start", "status": status,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        try:
            await self.app(scope, receive, send)
        finally:
            upload_guard.done(session_id, length or 0)


def install_client_guard(limits: Limits | None = None) -> bool:
    """Put `ClientGuard` in front of Streamlit's middleware (once per process)."""
    try:
        from starlette.middleware import Middleware
        from streamlit.web.server.starlette import starlette_app
    except ImportError:
        return False

    def make(original):
        return lambda: [Middleware(ClientGuard, limits=limits), *original()]

    installed = _replace_once(starlette_app, "create_streamlit_middleware", make)
    clients.MIDDLEWARE_INSTALLED = clients.MIDDLEWARE_INSTALLED or installed
    return installed


def install() -> dict[str, object]:
    """Everything above, once per server process; returns what was installed (for the log)."""
    log_to_console()
    soft, hard = raise_fd_limit()
    done = {
        "fds": (soft, hard),
        "fd_watch": watch_fds(),
        "shared_loop": share_script_event_loop(),
        "uvicorn": tune_uvicorn(),
        "widgets": drop_unknown_widget_ids(),
        "guard": install_client_guard(),
    }
    limit_log_floods()
    limits = Limits.from_env()
    _LOG.info("valrummet: högst %s öppna filer (hård gräns %s), %d sessioner per klientadress, %d per process",
              soft, hard, limits.sessions_per_client, limits.sessions)
    if soft != -1 and soft < 4096:
        _LOG.warning("valrummet: gränsen för öppna filer är bara %d: det räcker till färre än %d samtidiga "
                     "sessioner. Sätt LimitNOFILE=65536 (systemd) eller --ulimit nofile=65536 (Docker).",
                     soft, soft - 100)
    return done
