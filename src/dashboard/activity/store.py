"""The versioned activity store: every accepted file is kept; a pointer says which is current.

Layout under `data/activity/store/` (git-ignored; follows `VALRUMMET_DATA_DIR`):

    .lock                         fcntl lock file, held while anything is written
    <typ>/versions/<id>.parquet   the validated rows of one import (never changed afterwards)
    <typ>/versions/<id>.json      its metadata: origin, time, file name, SHA-256, row count …
    <typ>/current.json            {"version": <id> | "standard", …}; absent = the embedded default
    <typ>/log.jsonl               one line per import or restore

A version is written completely (temp file, fsync, `os.replace`) before the pointer is switched
by another `os.replace`, so a reader sees either the old or the new version, never a mix, and a
crash leaves at most an unused version behind. Writers take an exclusive `flock` on `.lock`
(blocks across processes and across threads, since each write opens its own descriptor).
Versions are never deleted: restoring moves the pointer back.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import threading
import uuid
from pathlib import Path

import pandas as pd

from ..errors import ValrummetError
from ..paths import data_dir
from .schemas import SCHEMAS

STANDARD = "standard"  # pseudo-version: the embedded default shipped in data/activity/default/


def store_dir() -> Path:
    return data_dir() / "activity" / "store"


def _type_dir(typ: str) -> Path:
    if typ not in SCHEMAS:
        raise ValrummetError(f"Okänd filtyp '{typ}'. Tillåtna: {', '.join(SCHEMAS)}.")
    return store_dir() / typ


@contextlib.contextmanager
def locked():
    """Exclusive lock on the store for the duration of a write."""
    root = store_dir()
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _tmp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.{uuid.uuid4().hex[:8]}.tmp")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_name(path)
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    _fsync_dir(path.parent)


def _atomic_write_parquet(path: Path, frame: pd.DataFrame) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_name(path)
    try:
        frame.to_parquet(tmp, index=False)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    _fsync_dir(path.parent)


def _json_bytes(obj) -> bytes:
    return (json.dumps(obj, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def _now() -> dt.datetime:
    return dt.datetime.now().astimezone()


def _new_version_id(versions: Path, now: dt.datetime) -> str:
    base = now.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
    vid, n = base, 1
    while (versions / f"{vid}.json").exists() or (versions / f"{vid}.parquet").exists():
        n += 1
        vid = f"{base}-{n}"
    return vid


def _log(tdir: Path, event: dict) -> None:
    with open(tdir / "log.jsonl", "ab") as fh:
        fh.write((json.dumps(event, ensure_ascii=False) + "\n").encode("utf-8"))
        fh.flush()
        os.fsync(fh.fileno())


class VersionConflict(ValrummetError):
    """An edit was based on a version that is no longer current: someone else saved in between."""

    def __init__(self, typ: str, expected: str, current: str):
        self.typ, self.expected, self.current = typ, expected, current
        super().__init__(
            f"{typ}: ändringen utgick från version '{expected}', men aktuell version är nu '{current}' "
            "(någon annan har sparat under tiden). Ingenting sparades."
        )


def save_version(typ: str, frame: pd.DataFrame, meta: dict, expect: str | None = None) -> str:
    """Store `frame` as a new version of `typ` and make it current; return the version id.

    `expect`: the version the change was based on (an edit of the current rows). When another
    version has become current since, nothing is written and `VersionConflict` is raised; the
    check and the write happen under the same lock, so of two edits of the same version exactly
    one is stored.
    """
    tdir = _type_dir(typ)
    with locked():
        if expect is not None and (now_current := pointer(typ)) != expect:
            raise VersionConflict(typ, expect, now_current)
        versions = tdir / "versions"
        versions.mkdir(parents=True, exist_ok=True)
        now = _now()
        vid = _new_version_id(versions, now)
        meta = {**meta, "version": vid, "type": typ, "imported_at": now.isoformat(timespec="seconds"),
                "rows": int(len(frame)), "previous": pointer(typ)}
        _atomic_write_parquet(versions / f"{vid}.parquet", frame)
        atomic_write_bytes(versions / f"{vid}.json", _json_bytes(meta))
        _set_pointer(tdir, vid, "import", now)
    return vid


def _set_pointer(tdir: Path, version: str, action: str, now: dt.datetime) -> None:
    pointer = {"version": version, "since": now.isoformat(timespec="seconds"), "action": action}
    atomic_write_bytes(tdir / "current.json", _json_bytes(pointer))
    _log(tdir, {"time": pointer["since"], "action": action, "version": version})


def restore(typ: str, version: str) -> None:
    """Make an earlier version (or `standard`, the embedded default) current again."""
    tdir = _type_dir(typ)
    with locked():
        if version != STANDARD and not (tdir / "versions" / f"{version}.parquet").exists():
            known = ", ".join(v["version"] for v in _versions(tdir)) or "inga"
            raise ValrummetError(
                f"Versionen '{version}' av {typ} finns inte. Kända versioner: {known} (och '{STANDARD}')."
            )
        _set_pointer(tdir, version, "restore", _now())


def pointer(typ: str) -> str:
    """The current version id of `typ`, or `standard`."""
    path = _type_dir(typ) / "current.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))["version"]
    except FileNotFoundError:
        return STANDARD


def version_meta(typ: str, version: str) -> dict:
    path = _type_dir(typ) / "versions" / f"{version}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValrummetError(f"Versionen '{version}' av {typ} saknas i {path.parent}.") from None


def version_path(typ: str, version: str) -> Path:
    return _type_dir(typ) / "versions" / f"{version}.parquet"


def _versions(tdir: Path) -> list[dict]:
    out = []
    vdir = tdir / "versions"
    if vdir.exists():
        for meta_path in sorted(vdir.glob("*.json")):
            if (vdir / f"{meta_path.stem}.parquet").exists():
                out.append(json.loads(meta_path.read_text(encoding="utf-8")))
    return out


def versions(typ: str) -> list[dict]:
    """Metadata of every stored version of `typ`, oldest first."""
    return _versions(_type_dir(typ))


def events(typ: str) -> pd.DataFrame:
    """The log of imports and restores of `typ` (time, action, version)."""
    path = _type_dir(typ) / "log.jsonl"
    if not path.exists():
        return pd.DataFrame(columns=["time", "action", "version"])
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return pd.DataFrame(rows, columns=["time", "action", "version"])


def token() -> str:
    """Changes whenever any current pointer changes: a cache key for pages."""
    root = str(store_dir())  # plain strings: pages ask on every run, and pathlib costs ~1 ms here
    parts = []
    for typ in SCHEMAS:
        try:
            st = os.stat(os.path.join(root, typ, "current.json"))
            parts.append(f"{typ}:{st.st_mtime_ns}:{st.st_ino}")
        except FileNotFoundError:
            parts.append(f"{typ}:-")
    return f"{data_dir()}|" + "|".join(parts)
