"""The deployed stack on loopback: deploy/run-backends.sh (two `python -m dashboard serve`
processes) behind Debian's nginx running the repository's site config (deploy/nginx/
valrummet.conf) with free ports, a temporary prefix, in the foreground, never as a service.

Used by scenario (d) of the load benchmark and by tests/test_deploy.py, so both exercise the
same configuration that production runs.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from .server import REPO, free_port, wait_for_log_line

SITE = REPO / "deploy" / "nginx" / "valrummet.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

MAIN_CONF = """
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log info;
{user}
worker_rlimit_nofile 8192;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {prefix}/valrummet.conf;
}}
"""


def site_for_loopback(text: str, listen: int, backends: tuple[int, int], log: Path) -> str:
    """The repository's site config with loopback ports and a log file of our own."""
    for old in ("listen 80;", "listen [::]:80;", "127.0.0.1:8501", "127.0.0.1:8502",
                "/var/log/nginx/valrummet.access.log"):
        if old not in text:
            raise ValueError(f"{SITE} changed: '{old}' not found")
    text = text.replace("listen [::]:80;", "")
    text = text.replace("listen 80;", f"listen 127.0.0.1:{listen};")
    text = text.replace("127.0.0.1:8501", f"127.0.0.1:{backends[0]}")
    text = text.replace("127.0.0.1:8502", f"127.0.0.1:{backends[1]}")
    return text.replace("/var/log/nginx/valrummet.access.log", str(log))


def wait_healthy(base: str, proc: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}; log: {log}")
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                if r.read().decode().strip() == "ok":
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{base} did not become healthy in {timeout:.0f} s; log: {log}")
        time.sleep(0.3)


def stop(proc: subprocess.Popen | None) -> None:
    """Stop a process started with start_new_session=True, with its children."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@dataclass
class ProxyStack:
    """Two app processes and nginx on free loopback ports; `with ProxyStack() as s:` starts
    them, waits until each answers, and always stops them."""

    workdir: Path | None = None
    wait_for_warm: bool = False  # also wait until both processes have warmed their caches
    env: dict[str, str] | None = None  # extra environment for the app processes (e.g. a password hash)
    backends: subprocess.Popen | None = None
    proxy: subprocess.Popen | None = None
    ports: tuple[int, int] = (0, 0)
    listen: int = 0
    _tmp: tempfile.TemporaryDirectory | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listen}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.listen}"

    @property
    def access_log(self) -> Path:
        return self.workdir / "access.log"

    def app_pids(self) -> list[int]:
        """The `dashboard serve` processes (children of run-backends.sh)."""
        parent = psutil.Process(self.backends.pid)
        return [c.pid for c in parent.children(recursive=True) if "dashboard" in " ".join(c.cmdline())]

    def start(self) -> "ProxyStack":
        if not Path(NGINX).exists():
            raise RuntimeError("nginx is not installed (apt-get install nginx; scripts/test.sh does it as root)")
        if self.workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="valrummet-stack-")
            self.workdir = Path(self._tmp.name)
        tmp = self.workdir
        self.ports = (free_port(), free_port())
        self.listen = free_port()
        log = tmp / "backends.log"
        with open(log, "wb") as out:
            self.backends = subprocess.Popen(
                ["bash", str(REPO / "deploy" / "run-backends.sh")],
                cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                env={**os.environ, "VALRUMMET_PORTS": f"{self.ports[0]} {self.ports[1]}",
                     "PYTHONUNBUFFERED": "1", "PYTHON": sys.executable, **(self.env or {})},
            )
        try:
            for p in self.ports:
                wait_healthy(f"http://127.0.0.1:{p}", self.backends, log)
            if self.wait_for_warm:
                from dashboard.warm import DONE as WARM_DONE

                wait_for_log_line(log, WARM_DONE, self.backends, time.monotonic() + 300, count=2)
            (tmp / "valrummet.conf").write_text(site_for_loopback(SITE.read_text(), self.listen, self.ports,
                                                                  self.access_log))
            # As root nginx would hand its workers to "nobody"; keep them as this user.
            user = "user root;" if os.geteuid() == 0 else ""
            (tmp / "nginx.conf").write_text(MAIN_CONF.format(prefix=tmp, user=user))
            check = subprocess.run([NGINX, "-t", "-p", str(tmp), "-c", str(tmp / "nginx.conf")],
                                   capture_output=True, text=True)
            if check.returncode != 0:
                raise RuntimeError(f"nginx -t failed: {check.stderr}")
            with open(tmp / "nginx.stderr", "wb") as err:
                self.proxy = subprocess.Popen([NGINX, "-p", str(tmp), "-c", str(tmp / "nginx.conf")],
                                              stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
            wait_healthy(self.url, self.proxy, tmp / "error.log", timeout=20)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        stop(self.proxy)
        stop(self.backends)
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> "ProxyStack":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
