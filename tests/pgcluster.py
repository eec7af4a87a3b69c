"""A throwaway PostgreSQL cluster for the tests: Debian's `postgresql` binaries, initdb into a
temporary folder, `pg_ctl start` on a free loopback port with the socket in that folder, and
stopped (and removed) afterwards. Never a system service.

initdb refuses to run as root, so as root the cluster belongs to the `postgres` user (created
by Debian's package) or to `nobody`.
"""
from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def bindir() -> Path | None:
    """The newest installed PostgreSQL's bin folder (Debian: /usr/lib/postgresql/<v>/bin)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    which = shutil.which("initdb")
    return Path(which).resolve().parent if which else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _owner() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("kör som root men varken användaren postgres eller nobody finns")


def _demote(owner: pwd.struct_passwd | None):
    if owner is None:
        return None

    def drop() -> None:
        os.setgid(owner.pw_gid)
        os.setgroups([])
        os.setuid(owner.pw_uid)

    return drop


@contextlib.contextmanager
def cluster():
    """Yields a SQLAlchemy URL base `postgresql+psycopg://postgres@127.0.0.1:PORT/` (add a
    database name); the cluster is stopped and its folder removed on exit."""
    bins = bindir()
    if bins is None:
        raise FileNotFoundError("PostgreSQL saknas (apt-get install postgresql)")
    owner = _owner()
    root = Path(tempfile.mkdtemp(prefix="valrummet-pg-"))
    data, sock, log = root / "data", root / "sock", root / "server.log"
    sock.mkdir()
    if owner is not None:
        for p in (root, sock):
            os.chown(p, owner.pw_uid, owner.pw_gid)
    env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    port = _free_port()
    run = dict(preexec_fn=_demote(owner), env=env, cwd=root, check=True, capture_output=True, timeout=120)
    try:
        subprocess.run([str(bins / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                        "--no-sync"], **run)
        opts = (f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={sock} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50")
        subprocess.run([str(bins / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", opts, "-w", "-t", "60",
                        "start"], **run)
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run([str(bins / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                           preexec_fn=_demote(owner), env=env, cwd=root, capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


def create_database(base_url: str, name: str) -> str:
    """CREATE DATABASE name; returns its URL."""
    import sqlalchemy as sa

    eng = sa.create_engine(base_url + "postgres", isolation_level="AUTOCOMMIT")
    try:
        with eng.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        eng.dispose()
    return base_url + name
