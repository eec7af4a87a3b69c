"""Which sessions may upload files, and how much they may hold in memory (issue 16).

Streamlit takes a PUT to `/_stcore/upload_file/<session>/<file id>` from any session and keeps
the file in memory while the session lives: anonymous sockets could fill the server's memory
50 MB at a time. The launcher's middleware (dashboard.hardening) asks `check()` before it reads
any of the body, and lets an upload through only when

* the session's latest finished run showed a file uploader (`uploader_shown()`, which pages call
  beside `st.file_uploader` and which counts only for a logged-in viewer), and
* the request states its size (Content-Length), and it fits: per session at most
  `SESSION_MB` held (files kept plus uploads on their way), per process `PROCESS_MB`.

Otherwise the answer is 403 (no uploader shown, or not logged in), 411 (no size given) or 413
(too much), and nothing is read. The per-file limit stays Streamlit's `server.maxUploadSize`.
"""
from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass

DEFAULT_SESSION_MB = 100  # a national riksdag zip (~25 MB) and the region and 26 kommun zips beside it
DEFAULT_PROCESS_MB = 250  # a few members importing at once
_MB = 1024 * 1024

_lock = threading.Lock()
_allowed: set[str] = set()  # sessions whose latest finished run showed an uploader
_shown: dict[str, bool] = {}  # session -> its current run showed an uploader so far
_inflight: dict[str, int] = {}  # session -> bytes of uploads being received now


def _mb(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, "") or default))
    except ValueError:
        return default


@dataclass(frozen=True)
class Limits:
    session_bytes: int
    process_bytes: int

    @classmethod
    def from_env(cls) -> "Limits":
        return cls(_mb("VALRUMMET_UPLOAD_SESSION_MB", DEFAULT_SESSION_MB) * _MB,
                   _mb("VALRUMMET_UPLOAD_PROCESS_MB", DEFAULT_PROCESS_MB) * _MB)


def _session_id() -> str | None:
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx()
        return ctx.session_id if ctx else None
    except Exception:
        return None


def uploader_shown() -> None:
    """Call beside `st.file_uploader`: this session may upload while its page shows one."""
    from . import auth

    sid = _session_id()
    if sid is not None and auth.is_logged_in():
        with _lock:
            _shown[sid] = True


@contextlib.contextmanager
def run() -> Iterator[None]:
    """Around a whole script run (app.py): when the run finishes, whether it showed an uploader
    becomes what uploads are checked against. A run stopped for a rerun changes nothing."""
    sid = _session_id()
    if sid is not None:
        with _lock:
            _shown[sid] = False
    try:
        yield
    except Exception:
        _commit(sid)
        raise
    except BaseException:  # Streamlit's stop/rerun: the run did not finish
        with _lock:
            _shown.pop(sid, None)
        raise
    else:
        _commit(sid)


def _commit(sid: str | None) -> None:
    if sid is None:
        return
    with _lock:
        if _shown.pop(sid, False):
            _allowed.add(sid)
        else:
            _allowed.discard(sid)
        if len(_allowed) > 256:
            _forget_closed()


def _forget_closed() -> None:
    try:
        from streamlit.runtime import Runtime

        rt = Runtime.instance()
        for sid in [s for s in _allowed if not rt.is_active_session(s)]:
            _allowed.discard(sid)
    except Exception:
        pass


def allowed(session_id: str) -> bool:
    with _lock:
        return session_id in _allowed


def held_bytes(session_id: str) -> tuple[int, int]:
    """(bytes the session's uploaded files hold, bytes all sessions' files hold) in Streamlit's
    upload manager."""
    try:
        from streamlit.runtime import Runtime

        mgr = Runtime.instance().uploaded_file_mgr
        with mgr._lock:
            files = mgr.file_storage.get(session_id) or {}
            return sum(len(f.data) for f in files.values()), int(mgr._total_bytes)
    except Exception:  # another Streamlit: count only what is on its way
        return 0, 0


def check(session_id: str, length: int | None, limits: Limits) -> tuple[int, str]:
    """(HTTP status, reason): 0 = let the upload through and reserve `length` bytes (give
    them back with `done()`)."""
    if not allowed(session_id):
        return 403, "ingen filuppladdning visas i sessionen"
    if length is None:
        return 411, "storleken saknas (Content-Length)"
    session_held, process_held = held_bytes(session_id)
    with _lock:
        session_total = session_held + _inflight.get(session_id, 0) + length
        process_total = process_held + sum(_inflight.values()) + length
        if session_total > limits.session_bytes:
            return 413, f"sessionen skulle hålla {session_total // _MB} MB (högst {limits.session_bytes // _MB})"
        if process_total > limits.process_bytes:
            return 413, f"processen skulle hålla {process_total // _MB} MB (högst {limits.process_bytes // _MB})"
        _inflight[session_id] = _inflight.get(session_id, 0) + length
    return 0, ""


def done(session_id: str, length: int) -> None:
    with _lock:
        left = _inflight.get(session_id, 0) - length
        if left > 0:
            _inflight[session_id] = left
        else:
            _inflight.pop(session_id, None)
