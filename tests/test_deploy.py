"""Deployment: deploy/nginx/valrummet.conf in front of two app processes, on loopback.

bench/load/stack.py (shared with the load benchmark's scenario (d)) starts deploy/run-backends.sh
(two `python -m dashboard serve` processes on free ports) and Debian's nginx with the repository's
site config (ports swapped for free ones), a temporary prefix, in the foreground, never as a
system service. Checked through the proxy: the health endpoint,
gzip, sticky sessions (same cookie → same backend; new visitors spread over both), a real
websocket session rendering a page, and the limits per client address (issue 16): a meeting
of 300 behind one address is served, one address opening sessions without end is held back,
uploads are rate-limited, and the app believes nginx's X-Real-IP and nobody else's. Everything is stopped afterwards. Also: static checks of
the Dockerfile, the secrets example and that docs/deploy.md documents every launcher option.
"""
from __future__ import annotations

import asyncio
import gzip
import http.client
import os
import platform
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


PASSWORD = "rätt häftig lösenfras 2026"
BACKENDS_LOG: dict[str, Path] = {}  # proxy URL -> the app processes' log


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """(proxy base URL, backend ports, access log) with two backends and nginx running; the
    built-in login is configured (a shared password)."""
    from dashboard.auth import hash_password

    nginx_or_fail()
    work = tmp_path_factory.mktemp("deploy")
    env = {"VALRUMMET_PASSWORD_HASH": hash_password(PASSWORD),
           "VALRUMMET_LOGIN_THROTTLE": str(work / "login-throttle.sqlite")}
    with ProxyStack(workdir=work, env=env) as s:
        BACKENDS_LOG[s.url] = work / "backends.log"
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


# --- limits per client address through the proxy (issue 16) ---------------------------------------


async def _sessions(base: str, n: int, address: str) -> tuple[list, list[int]]:
    """Open `n` websockets at once from `address` through the proxy: (open ones, refusal statuses)."""
    import websockets

    async def one():
        try:
            return await websockets.connect(
                base.replace("http://", "ws://") + "/_stcore/stream", subprotocols=["streamlit"], origin=base,
                compression=None, ping_interval=None, open_timeout=60, local_addr=(address, 0))
        except websockets.InvalidStatus as exc:
            return exc.response.status_code

    got = await asyncio.gather(*(one() for _ in range(n)))
    return [g for g in got if not isinstance(g, int)], [g for g in got if isinstance(g, int)]


def test_a_meeting_behind_one_address_is_served(stack):
    """300 phones on one Wi-Fi address open the link in the same moment: every one gets its
    session (the limits leave a room twice that), and their pages render."""
    base, _, _ = stack

    async def go():
        opened, refused = await _sessions(base, 300, "127.0.0.1")
        try:
            pages = []
            for _ in range(10):  # a few of the room's viewers open a page, each in its own session
                async with Client(base) as c:
                    pages.append(await c.run("kommuner", "val=Riksdagsval"))
            return len(opened), refused, pages
        finally:
            await asyncio.gather(*(w.close() for w in opened))

    opened, refused, pages = run_async(go())
    assert (opened, refused) == (300, [])
    for run in pages:
        assert not run.exceptions(), run.exceptions()
        assert "Hur gick det i kommunerna?" in run.texts()


def test_one_address_opening_sessions_without_end_is_held_back(stack):
    """700 new sessions at once from one address: nginx lets the burst of 600 through and
    refuses the rest with 429, while a viewer from another address is served."""
    base, _, _ = stack

    async def go():
        t0 = time.monotonic()
        opened, refused = await _sessions(base, 700, "127.0.0.5")
        seconds = time.monotonic() - t0
        try:
            async with Client(base, local_addr="127.0.0.6") as viewer:
                page = await viewer.run()
            return len(opened), refused, page, seconds
        finally:
            await asyncio.gather(*(w.close() for w in opened))

    opened, refused, page, seconds = run_async(go())
    # The burst, plus 10 a second for as long as the 700 took to arrive; the rest refused.
    assert 600 <= opened <= 601 + 10 * seconds and set(refused) <= {429}, (opened, set(refused), seconds)
    assert refused or seconds >= 9
    assert "Hur gick det i Storstockholm?" in page.texts()


def test_uploads_through_the_proxy_are_rate_limited_and_refused_to_anonymous_sessions(stack):
    from tests.test_protocol_access import put_file

    base, _, _ = stack
    t0 = time.monotonic()
    statuses = [put_file(base, "/_stcore/upload_file/ingen-session/fil", "a.zip", b"x" * 1000,
                         local_addr="127.0.0.9") for _ in range(40)]
    seconds = time.monotonic() - t0
    # nginx passes a burst of 30 and then 1 a second; the app refuses each (no such session).
    assert set(statuses) == {403, 429}, statuses
    assert statuses.count(403) <= 31 + seconds, (statuses, seconds)


def test_the_client_address_is_the_proxys_x_real_ip_and_nobody_elses(stack):
    """Through nginx the app sees the viewer's own address (the X-Real-IP nginx sets); straight
    to an app process, a forged X-Real-IP is ignored (only 127.0.0.1/::1 are proxies)."""
    base, ports, _ = stack

    async def attempt(url: str, address: str, headers: dict[str, str] | None = None) -> None:
        async with Client(url, local_addr=address, headers=headers) as c:
            await c.run("logga_in")
            await c.login("inte lösenordet")

    run_async(attempt(base, "127.0.0.7", {"X-Real-IP": "10.1.1.1", "X-Forwarded-For": "10.1.1.2"}))
    run_async(attempt(f"http://127.0.0.1:{ports[0]}", "127.0.0.8", {"X-Real-IP": "10.1.1.3"}))
    log = BACKENDS_LOG[base].read_text(encoding="utf-8", errors="replace")
    assert "login failed: name='' from 127.0.0.7" in log  # nginx's X-Real-IP, not the client's forgery
    assert "login failed: name='' from 127.0.0.8" in log
    assert "10.1.1." not in log


# --- static checks -------------------------------------------------------------------------------


def test_every_shipped_way_of_running_it_allows_thousands_of_descriptors():
    """The launcher raises its soft limit to the hard one; systemd and Docker set a hard limit
    that leaves room for thousands of sessions, and name nginx as the trusted proxy."""
    unit = (REPO / "deploy" / "systemd" / "valrummet@.service").read_text()
    assert int(re.search(r"^LimitNOFILE=(\d+)$", unit, re.M).group(1)) >= 8192
    assert re.search(r"^Environment=VALRUMMET_TRUSTED_PROXIES=127\.0\.0\.1,::1$", unit, re.M)
    docker = (REPO / "Dockerfile").read_text()
    assert "--ulimit nofile=65536:65536" in docker and "VALRUMMET_TRUSTED_PROXIES" in docker
    doc = (REPO / "docs" / "deploy.md").read_text()
    assert "--ulimit nofile=65536:65536" in doc and "LimitNOFILE=65536" in doc
    assert 'VALRUMMET_TRUSTED_PROXIES=${VALRUMMET_TRUSTED_PROXIES-"127.0.0.1,::1"}' in (
        REPO / "deploy" / "run-backends.sh").read_text()


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
    assert set(data) == {"valrummet"}  # copied as it is: no [auth], so no login button that cannot work
    assert "$argon2" not in text  # no real hash, only a placeholder
    assert not (REPO / ".streamlit" / "secrets.toml").exists() or ".streamlit/secrets.toml" in (
        REPO / ".gitignore").read_text()
    from dashboard import auth

    conf = auth.load_settings({}, data)  # copied as it is: valid, and nothing to log in with
    assert not conf.any_login and not conf.require_login


def test_secrets_example_uncommented_puts_each_setting_in_its_section():
    """Uncommenting the example's lines as written: the OIDC allow-list and the login cookie's
    settings land in [valrummet] (not in [valrummet.users], where they would be read as password
    hashes), and the fill-in values are recognised as such: no OIDC button, no cookie."""
    from dashboard import auth
    from dashboard import login_sessions as ls

    text = (REPO / ".streamlit" / "secrets.toml.example").read_text()
    uncommented = re.sub(r"^# ((?:\[[a-z.]+\])|(?:[a-z_]+ = .*))$", r"\1", text, flags=re.M)
    data = tomllib.loads(uncommented)
    sec = data["valrummet"]
    assert {"allowed_emails", "allowed_domains", "allow_any_account", "login_days", "login_secret",
            "password_hash"} <= set(sec)
    assert set(sec["users"]) == {"anna"} and set(sec["roles"]) == {"coordinator"}
    assert {"redirect_uri", "cookie_secret", "google"} <= set(data["auth"])
    del sec["users"], sec["password_hash"]  # the hash placeholders are refused, naming the setting
    conf = auth.load_settings({}, data)
    assert conf.oidc_providers == ()
    assert not ls.load_policy(conf.login_days, conf.login_secret).enabled


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
                "STREAMLIT_SERVER_COOKIE_SECRET", "VALRUMMET_TRUSTED_PROXIES", "VALRUMMET_MAX_SESSIONS_PER_CLIENT",
                "VALRUMMET_MAX_SESSIONS", "VALRUMMET_UPLOAD_SESSION_MB", "VALRUMMET_UPLOAD_PROCESS_MB",
                "VALRUMMET_LOGIN_THROTTLE", "VALRUMMET_TILE_URL", "VALRUMMET_TILE_ATTRIBUTION"):
        assert env in doc, f"docs/deploy.md does not mention {env}"


def test_lasting_login_settings_are_documented():
    doc = (REPO / "docs" / "deploy.md").read_text()
    for env in ("VALRUMMET_LOGIN_DAYS", "VALRUMMET_LOGIN_SECRET", "VALRUMMET_LOGIN_SESSIONS", "login_days",
                "login_secret", "/_valrummet/inloggning"):
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


def test_the_server_compiles_every_page_script_before_it_answers(monkeypatch):
    """The script cache the server makes as it starts holds app.py and every page already:
    the first viewer of a page does not wait for its compilation."""
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache

    monkeypatch.setattr(ScriptCache, "__init__", ScriptCache.__init__)  # undone after the test
    assert serve.precompile_scripts()
    assert serve.precompile_scripts()  # idempotent
    cache = ScriptCache()
    scripts = [serve.REPO_ROOT / "app.py", *sorted((serve.REPO_ROOT / "pages").glob("*.py"))]
    assert len(scripts) >= 9
    assert set(cache._cache) == {str(p.resolve()) for p in scripts}
    assert cache.get_bytecode(str(scripts[0])) is cache._cache[str(scripts[0].resolve())]


def _serve_args(*argv: str):
    from dashboard import cli

    parser, modules = cli._parser(["serve", *argv])
    return serve.known_args(parser, ["serve", *argv])


def test_the_launcher_passes_streamlit_options_on_after_its_own():
    """README command 1 (scripts/run.sh) is the launcher: Streamlit's own flags still work and
    win over the launcher's, as they did under `streamlit run`."""
    args = _serve_args("--port", "8600", "--server.runOnSave", "true", "--theme.base=light")
    opts = serve.streamlit_options(args)
    assert opts[-2:] == [("server.runOnSave", "true"), ("theme.base", "light")]
    assert ("server.port", "8600") in opts
    cmd = serve.command(_serve_args("--server.port", "9000"))
    assert cmd[-2:] == ["--server.port", "9000"] and "--server.enableXsrfProtection" in cmd


@pytest.mark.parametrize("argv, message", [
    (["--bogus"], "okänt argument: --bogus"),
    (["--server.port"], "--server.port saknar värde"),
    (["extra"], "okänt argument: extra"),
])
def test_the_launcher_refuses_what_is_neither_its_flag_nor_a_streamlit_option(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        _serve_args(*argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_readme_command_1_starts_the_production_launcher():
    """`bash scripts/run.sh` ends in `python -m dashboard serve` with the arguments it was given
    (shown here with --print-command, without the install step)."""
    env = {**os.environ, "VALRUMMET_SKIP_INSTALL": "1", "PYTHON": sys.executable}
    env.pop("PYTHONPATH", None)  # the script puts this checkout's src/ first itself
    done = subprocess.run(["bash", "scripts/run.sh", "--print-command", "--server.port", "9000"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    cmd = done.stdout.split()
    assert cmd[1:4] == ["-m", "streamlit", "run"] and cmd[4] == str(REPO / "app.py")
    for key, value, _ in serve.PRODUCTION_OPTIONS:
        assert f"--{key} {value}" in done.stdout
    assert cmd[-2:] == ["--server.port", "9000"]


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


_ARENAS = r"""
import ctypes, os, sys, threading
sys.path.insert(0, {src!r})
from dashboard import serve
print("set", serve.one_malloc_arena())
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
kept, done = [], threading.Event()
def allocate():
    kept.extend(libc.malloc(4096) for _ in range(50))
threads = [threading.Thread(target=allocate) for _ in range(6)]
for t in threads: t.start()
for t in threads: t.join()
libc.fopen.restype = ctypes.c_void_p
fp = libc.fopen(sys.argv[1].encode(), b"w")
libc.malloc_info(0, ctypes.c_void_p(fp))
libc.fclose(ctypes.c_void_p(fp))
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc arenas (Debian, the CI)")
@pytest.mark.parametrize("operator_set", [False, True])
def test_the_launcher_keeps_threads_in_one_malloc_arena(tmp_path, operator_set):
    """Threads that allocate (Streamlit's script threads) share glibc's main arena under the
    launcher, so a crowd's 300 waiting threads do not each keep memory in their own arena;
    an operator's MALLOC_ARENA_MAX is left alone."""
    out = tmp_path / "malloc_info.xml"
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    if operator_set:
        env["MALLOC_ARENA_MAX"] = "4"
    res = subprocess.run([sys.executable, "-c", _ARENAS.format(src=str(REPO / "src")), str(out)],
                         capture_output=True, text=True, env=env, timeout=60)
    assert res.returncode == 0, res.stderr
    heaps = out.read_text().count("<heap nr=")
    if operator_set:
        assert "set False" in res.stdout and heaps > 1  # glibc follows the operator's 4
    else:
        assert "set True" in res.stdout and heaps == 1
