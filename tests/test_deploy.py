"""Deployment: deploy/nginx/valrummet.conf in front of two app processes, on loopback.

deploy/run-backends.sh starts two `python -m dashboard serve` processes on free ports; Debian's
nginx runs the repository's site config (ports swapped for free ones) with a temporary prefix,
in the foreground, never as a system service. Checked through the proxy: the health endpoint,
gzip, sticky sessions (same cookie → same backend; new visitors spread over both), and a real
websocket session rendering a page. Everything is stopped afterwards. Also: static checks of
the Dockerfile, the secrets example and that docs/deploy.md documents every launcher option.
"""
from __future__ import annotations

import asyncio
import gzip
import http.client
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest

from dashboard import serve
from tests.test_protocol_access import Client, free_port, run_async, stop, wait_healthy

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "deploy" / "nginx" / "valrummet.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def nginx_or_fail() -> str:
    if not Path(NGINX).exists():
        if os.environ.get("CI"):
            pytest.fail("nginx saknas: scripts/test.sh installerar Debians paket nginx")
        pytest.skip("nginx is not installed (apt-get install nginx; scripts/test.sh does it as root)")
    return NGINX


def site_for_test(text: str, listen: int, backends: tuple[int, int], log: Path) -> str:
    """The repository's site config with loopback ports and a log file of the test."""
    for old in ("listen 80;", "listen [::]:80;", "127.0.0.1:8501", "127.0.0.1:8502",
                "/var/log/nginx/valrummet.access.log"):
        assert old in text, f"{SITE} changed: '{old}' not found"
    text = text.replace("listen [::]:80;", "")
    text = text.replace("listen 80;", f"listen 127.0.0.1:{listen};")
    text = text.replace("127.0.0.1:8501", f"127.0.0.1:{backends[0]}")
    text = text.replace("127.0.0.1:8502", f"127.0.0.1:{backends[1]}")
    return text.replace("/var/log/nginx/valrummet.access.log", str(log))


MAIN_CONF = """
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log info;
{user}
events {{ worker_connections 512; }}
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


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """(proxy base URL, backend ports, access log) with two backends and nginx running."""
    nginx = nginx_or_fail()
    tmp = tmp_path_factory.mktemp("deploy")
    ports = (free_port(), free_port())
    listen = free_port()
    log = tmp / "backends.log"
    with open(log, "wb") as out:
        backends = subprocess.Popen(
            ["bash", str(REPO / "deploy" / "run-backends.sh")],
            cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "VALRUMMET_PORTS": f"{ports[0]} {ports[1]}", "PYTHONUNBUFFERED": "1",
                 "PYTHON": sys.executable},
        )
    proxy = None
    try:
        for p in ports:
            wait_healthy(f"http://127.0.0.1:{p}", backends, log)
        access = tmp / "access.log"
        (tmp / "valrummet.conf").write_text(site_for_test(SITE.read_text(), listen, ports, access))
        # As root nginx would hand the workers to "nobody"; keep them as the test's user.
        user = "user root;" if os.geteuid() == 0 else ""
        (tmp / "nginx.conf").write_text(MAIN_CONF.format(prefix=tmp, user=user))
        check = subprocess.run([nginx, "-t", "-p", str(tmp), "-c", str(tmp / "nginx.conf")],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        proxy = subprocess.Popen([nginx, "-p", str(tmp), "-c", str(tmp / "nginx.conf")],
                                 stdout=subprocess.DEVNULL, stderr=open(tmp / "nginx.stderr", "wb"),
                                 start_new_session=True)
        base = f"http://127.0.0.1:{listen}"
        wait_healthy(base, proxy, tmp / "error.log", timeout=20)
        yield base, ports, access
    finally:
        if proxy is not None:
            stop(proxy)
        stop(backends)
        assert backends.poll() is not None and (proxy is None or proxy.poll() is not None)


def get(url: str, headers: dict[str, str] | None = None):
    """(status, headers with every Set-Cookie joined by a new line, body)."""
    req = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(req, timeout=20) as r:
        hdrs = dict(r.headers)
        hdrs["Set-Cookie"] = "\n".join(r.headers.get_all("Set-Cookie") or [])
        return r.status, hdrs, r.read()


def test_health_through_the_proxy_sets_the_sticky_cookie(stack):
    base, _, _ = stack
    status, headers, body = get(f"{base}/_stcore/health")
    assert (status, body.decode().strip()) == (200, "ok")
    assert re.search(r"^valrummet_backend=[0-9a-f]{32}; Path=/; HttpOnly; SameSite=Lax$", headers["Set-Cookie"], re.M)
    # A visitor who has the cookie is not given a new one.
    _, again, _ = get(f"{base}/_stcore/health", {"Cookie": "valrummet_backend=abc"})
    assert "valrummet_backend" not in again["Set-Cookie"]


def test_static_files_are_gzipped(stack):
    base, _, _ = stack
    _, _, html = get(f"{base}/")
    script = re.search(rb'src="\.?/?(static/js/[^"]+\.js)"', html)
    assert script, html[:500]
    status, headers, body = get(f"{base}/{script.group(1).decode()}", {"Accept-Encoding": "gzip"})
    assert status == 200 and headers.get("Content-Encoding") == "gzip"
    assert len(gzip.decompress(body)) > 2 * len(body)


def upstreams(access: Path) -> dict[str, set[str]]:
    """sticky id -> backends that served it, from the access log."""
    time.sleep(0.5)  # nginx writes the log line after the response
    seen: dict[str, set[str]] = {}
    for line in access.read_text().splitlines():
        m = re.search(r"upstream=(\S+) sticky=(\S+)", line)
        if m:
            seen.setdefault(m.group(2), set()).add(m.group(1))
    return seen


def test_sticky_sessions_and_spread(stack):
    base, ports, access = stack
    cookies = [f"test{i:02d}" for i in range(20)]
    for c in cookies:
        for _ in range(3):
            get(f"{base}/_stcore/health", {"Cookie": f"valrummet_backend={c}"})
    seen = upstreams(access)
    for c in cookies:
        assert len(seen[c]) == 1, (c, seen[c])  # every visitor stays on one process
    used = set().union(*(seen[c] for c in cookies))
    assert used == {f"127.0.0.1:{p}" for p in ports}  # and visitors are spread over both


def test_websocket_session_renders_a_page_through_the_proxy(stack):
    base, ports, access = stack

    async def go():
        async with Client(base) as c:
            return await c.run("kommuner", "val=Regionval&kommun=Botkyrka")

    run = run_async(go())
    assert not run.exceptions(), run.exceptions()
    assert "Hur gick det i kommunerna?" in run.texts()
    assert "Kommuner" in run.pages.values()
    upgrades = [line for line in access.read_text().splitlines() if "/_stcore/stream" in line]
    assert upgrades and " 101 " in upgrades[-1]


def test_metrics_are_not_served_to_the_outside(stack):
    base, _, _ = stack
    status, _, body = get(f"{base}/_stcore/metrics")
    assert status == 200 and b"active_sessions" in body  # from the server itself: allowed
    # From another address (127.0.0.2 is local on Linux, but not the allowed 127.0.0.1): refused.
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10, source_address=("127.0.0.2", 0))
    try:
        conn.request("GET", "/_stcore/metrics")
        denied = conn.getresponse()
        denied.read()
        assert denied.status == 403
        conn.request("GET", "/_stcore/health")
        assert conn.getresponse().read() == b"ok"
    finally:
        conn.close()


# --- static checks -------------------------------------------------------------------------------


def test_dockerfile_runs_the_launcher():
    text = (REPO / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11", text, re.M)
    assert "requirements.txt" in text and "pip install" in text
    assert "deploy/run-backends.sh" in text
    assert "HEALTHCHECK" in text and "/_stcore/health" in text
    assert re.search(r"^USER (?!root)\w+", text, re.M)  # not as root
    for path in re.findall(r"^COPY (?:--\S+ )*(\S+) ", text, re.M):
        assert (REPO / path).exists(), f"Dockerfile copies {path}, which does not exist"


def test_secrets_example_parses_and_holds_no_secret():
    text = (REPO / ".streamlit" / "secrets.toml.example").read_text()
    data = tomllib.loads(text)
    assert set(data) >= {"valrummet", "auth"}
    assert "$argon2" not in text  # no real hash, only a placeholder
    assert data["auth"]["cookie_secret"].startswith("BYT-")
    assert not (REPO / ".streamlit" / "secrets.toml").exists() or ".streamlit/secrets.toml" in (
        REPO / ".gitignore").read_text()


def test_every_launcher_option_is_documented():
    doc = (REPO / "docs" / "deploy.md").read_text()
    for key, _, _ in serve.PRODUCTION_OPTIONS:
        assert f"`{key}`" in doc, f"docs/deploy.md does not mention {key}"
    import argparse

    p = argparse.ArgumentParser()
    serve.add_arguments(p)
    for action in p._actions:
        for flag in action.option_strings:
            if flag.startswith("--") and flag != "--help":
                assert f"`{flag}" in doc, f"docs/deploy.md does not mention {flag}"
    for env in ("VALRUMMET_PORT", "VALRUMMET_ADDRESS", "VALRUMMET_ALLOWED_HOSTS", "VALRUMMET_ALLOWED_ORIGINS",
                "VALRUMMET_BASE_URL_PATH", "VALRUMMET_MAX_UPLOAD_MB", "VALRUMMET_REQUIRE_LOGIN",
                "VALRUMMET_PASSWORD_HASH", "VALRUMMET_USERS", "VALRUMMET_ALLOWED_EMAILS",
                "VALRUMMET_ALLOWED_DOMAINS", "VALRUMMET_ALLOW_ANY_ACCOUNT", "VALRUMMET_ALLOW_CLEAR_CACHE",
                "STREAMLIT_SERVER_COOKIE_SECRET"):
        assert env in doc, f"docs/deploy.md does not mention {env}"
