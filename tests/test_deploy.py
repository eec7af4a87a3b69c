"""Deployment: deploy/nginx/valrummet.conf in front of two app processes, on loopback.

bench/load/stack.py (shared with the load benchmark's scenario (d)) starts deploy/run-backends.sh
(two `python -m dashboard serve` processes on free ports) and Debian's nginx with the repository's
site config (ports swapped for free ones), a temporary prefix, in the foreground, never as a
system service. Checked through the proxy: the health endpoint,
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
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest

from bench.load.stack import NGINX, ProxyStack
from dashboard import serve
from tests.test_protocol_access import Client, run_async

REPO = Path(__file__).resolve().parents[1]


def nginx_or_fail() -> str:
    if not Path(NGINX).exists():
        if os.environ.get("CI"):
            pytest.fail("nginx saknas: scripts/test.sh installerar Debians paket nginx")
        pytest.skip("nginx is not installed (apt-get install nginx; scripts/test.sh does it as root)")
    return NGINX


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """(proxy base URL, backend ports, access log) with two backends and nginx running."""
    nginx_or_fail()
    with ProxyStack(workdir=tmp_path_factory.mktemp("deploy")) as s:
        yield s.url, s.ports, s.access_log
    assert s.backends.poll() is not None and s.proxy.poll() is not None


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
                "VALRUMMET_TILE_URL", "VALRUMMET_TILE_ATTRIBUTION", "STREAMLIT_SERVER_COOKIE_SECRET"):
        assert env in doc, f"docs/deploy.md does not mention {env}"


def test_launcher_switches_nagle_off_on_accepted_connections():
    """Streamlit binds its socket with protocol 0, so asyncio would leave Nagle on and every
    page's last frame would wait ~40 ms for a delayed ACK; the launcher re-wraps the socket."""
    import socket

    from streamlit.web.server.starlette import starlette_server

    assert serve.enable_tcp_nodelay()
    assert serve.enable_tcp_nodelay()  # idempotent
    listener = starlette_server._bind_socket("127.0.0.1", 0, 8)
    assert listener.proto == socket.IPPROTO_TCP and not listener.getblocking()
    port = listener.getsockname()[1]
    seen: list[int] = []

    class Probe(asyncio.Protocol):
        def connection_made(self, transport):
            sock = transport.get_extra_info("socket")
            seen.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    async def go():
        server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
        async with server:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            for _ in range(100):
                if seen:
                    break
                await asyncio.sleep(0.02)
            writer.close()

    run_async(go())
    assert seen and seen[0] != 0


def test_send_pause_is_short_only_while_the_server_is_quiet():
    """A quiet server sends a page's last message ~2 ms sooner; a crowd keeps Streamlit's 5 ms
    batching, because every send cycle visits every connected session."""
    from streamlit.runtime import runtime as rt

    default = rt.MESSAGE_FLUSH_INTERVAL_SECS
    assert default == 0.005
    assert serve.flush_interval(1, default) == serve.QUIET_FLUSH_S == 0.001
    assert serve.flush_interval(serve.QUIET_SESSIONS, default) == 0.001
    assert serve.flush_interval(serve.QUIET_SESSIONS + 1, default) == default
    assert serve.flush_interval(300, default) == default
    # The send loop reads the module global on every cycle, so changing it takes effect; a
    # Streamlit that stops doing so fails here instead of silently ignoring the setting.
    assert "MESSAGE_FLUSH_INTERVAL_SECS" in rt.Runtime._loop_coroutine.__code__.co_names


class _Transport:
    """Records what reaches the socket."""

    def __init__(self) -> None:
        self.sends: list[list[bytes]] = []
        self.closed = self.aborted = False

    def writelines(self, chunks) -> None:
        self.sends.append(list(chunks))

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True

    def is_closing(self) -> bool:
        return self.closed or self.aborted

    def get_extra_info(self, name, default=None):
        return f"info:{name}"


def test_websocket_frames_of_one_burst_leave_in_one_send():
    """Streamlit hands a session's messages to its sender one per event-loop turn and uvicorn
    writes each frame at once: 30-40 sends per page. The launcher's transport sends a burst
    together once a turn passes without a new write."""
    import inspect

    from streamlit.runtime import runtime as rt
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

    # The premise: the send loop yields after every message, and uvicorn writes every frame.
    assert "await asyncio.sleep(0)" in inspect.getsource(rt.Runtime._loop_coroutine)
    assert "self.transport.write(" in inspect.getsource(WebSocketsSansIOProtocol.send)

    async def go():
        loop = asyncio.get_running_loop()
        raw = _Transport()
        t = serve.CoalescingTransport(raw, loop)
        for i in range(5):  # one message per turn, as Streamlit's send loop hands them over
            t.write(b"frame%d" % i)
            await asyncio.sleep(0)
        assert raw.sends == []  # still coming: nothing sent yet
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert raw.sends == [[b"frame0", b"frame1", b"frame2", b"frame3", b"frame4"]]
        t.write(b"later")  # a new burst after a quiet turn is its own send
        for _ in range(3):
            await asyncio.sleep(0)
        assert raw.sends[-1] == [b"later"]
        t.write(b"x" * serve.CoalescingTransport.MAX_PENDING)  # a large burst goes at once
        assert raw.sends[-1] == [b"x" * serve.CoalescingTransport.MAX_PENDING]
        t.write(b"bye")
        t.close()  # pending data leaves before the close
        assert raw.sends[-1] == [b"bye"] and raw.closed
        t2 = serve.CoalescingTransport(raw, loop)
        t2.write(b"lost")
        t2.abort()  # an abort drops it, as the transport itself would
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert raw.aborted and raw.sends[-1] == [b"bye"]
        assert t.get_extra_info("peername") == "info:peername"  # the rest is delegated

    run_async(go())
    original = WebSocketsSansIOProtocol.connection_made
    try:
        assert serve.coalesce_websocket_writes()
        assert serve.coalesce_websocket_writes()  # idempotent
        assert WebSocketsSansIOProtocol.connection_made._valrummet_coalesce
    finally:
        WebSocketsSansIOProtocol.connection_made = original


def test_page_scripts_are_compiled_once_per_process(monkeypatch):
    """Every new session used to clear Streamlit's script cache, so each new viewer recompiled
    app.py and the pages it visited; the launcher keeps the compiled code."""
    import inspect

    from streamlit.runtime import app_session
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache

    # The premise: a new session runs its source-changed handler at once, which clears the cache.
    # A Streamlit that stops doing so fails here, and the fix can go.
    init = inspect.getsource(app_session.AppSession)
    assert "on_config_parsed(\n            self._on_source_file_changed, force_connect=True" in init
    assert "self._script_cache.clear()" in inspect.getsource(app_session.AppSession._on_source_file_changed)

    monkeypatch.setattr(ScriptCache, "clear", ScriptCache.clear)  # undone after the test
    cache = ScriptCache()
    app = str(serve.REPO_ROOT / "app.py")
    first = cache.get_bytecode(app)
    cache.clear()
    assert cache.get_bytecode(app) is not first  # Streamlit's own behaviour: compiled again

    assert serve.keep_script_bytecode()
    assert serve.keep_script_bytecode()  # idempotent
    kept = cache.get_bytecode(app)
    cache.clear()
    assert cache.get_bytecode(app) is kept


def test_theme_options_are_read_once_per_parsed_config(monkeypatch):
    """Every rerun's "new session" message reads six theme sections by walking every config
    option; the launcher memoizes them, and a reparsed config is read afresh."""
    import copy
    import inspect

    from streamlit import config
    from streamlit.runtime import app_session

    # The premise: the theme is read through this module function on every new-session message.
    assert "config.get_options_for_section(section)" in inspect.getsource(app_session._populate_theme_msg)

    original = config.get_options_for_section
    monkeypatch.setattr(config, "get_options_for_section", original)  # undone after the test
    config.get_config_options()
    expected = {s: original(s) for s in ("theme", "theme.sidebar", "theme.light", "server")}
    assert serve.memoize_theme_options()
    assert serve.memoize_theme_options()  # idempotent
    for section, value in expected.items():
        assert config.get_options_for_section(section) == value
    first = config.get_options_for_section("theme")
    first["primaryColor"] = "#000000"  # a caller's copy: the memo is not changed through it
    assert config.get_options_for_section("theme") == expected["theme"]

    # A reparse replaces Streamlit's option table: the memo follows it.
    table = copy.deepcopy(config._config_options)
    table["theme.primaryColor"].set_value("#123456", "test")
    monkeypatch.setattr(config, "_config_options", table)
    assert config.get_options_for_section("theme")["primaryColor"] == "#123456"


def test_the_server_process_does_not_import_the_importers():
    """`python -m dashboard serve` imports only its own command: the activity and result
    importers pull in shapely, pyproj and jsonschema (~20 MB in every server process). The
    server reads imported results (vm_import.store) without loading the result-file parser."""
    code = (
        "import sys\n"
        "from dashboard import cli\n"
        "assert cli.main(['serve', '--print-command']) == 0\n"
        "from dashboard import db_file, queries\n"
        "from dashboard.vm_import import attach_imported, import_history, imported_tables\n"
        "print(sorted(m for m in ('shapely', 'pyproj', 'jsonschema', 'dashboard.activity', "
        "'dashboard.vm_import.parse', 'dashboard.build') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip().splitlines()[-1] == "[]"
    # Every command is still listed and reachable.
    helptext = subprocess.run([sys.executable, "-m", "dashboard", "--help"], capture_output=True, text=True,
                              check=True, cwd=REPO).stdout
    for name in ("query", "build", "import-activity", "validate", "import-results", "serve"):
        assert name in helptext
