"""A real `streamlit run app.py` server on a free loopback port, and Debian's Chromium.

The server starts once per session and is stopped afterwards; every browser context gets a
fresh profile directory, so "open the link in a new browser" means exactly that.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from tests.login_support import LOGIN_PASSWORD, OIDC_USERS

REPO = Path(__file__).resolve().parents[2]
# Debian's package (never a downloaded browser); scripts/test.sh may point elsewhere.
CHROMIUM = os.environ.get("VALRUMMET_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = REPO / "screenshots"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="package")
def server(tmp_path_factory):
    """Base URL of a running app; the process is killed when the session ends. Its log goes to
    pytest's temporary folder (pytest keeps the last few runs' and removes older ones)."""
    port = _free_port()
    log = open(tmp_path_factory.mktemp("server") / "streamlit.log", "wb")
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "streamlit", "run", "app.py",
            "--server.headless", "true",
            "--server.port", str(port),
            "--server.address", "127.0.0.1",
            "--browser.gatherUsageStats", "false",
        ],
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {proc.returncode}; log: {log.name}")
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                    if r.read().decode().strip() == "ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not become healthy in 90 s; log: {log.name}")
            time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
        log.close()


@pytest.fixture(scope="package")
def playwright():
    # Package scope: Playwright's sync API keeps an event loop running in the main thread while
    # it lives; ending it with the browser tests lets later tests use asyncio.run.
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} saknas: installera Debian-paketet chromium (apt-get install chromium)")
    with sync_playwright() as p:
        yield p


@pytest.fixture
def new_browser(playwright, tmp_path):
    """Factory: a fresh Chromium with its own empty profile (a new browser, as a colleague's)."""
    contexts = []

    def make(width: int = 1280, height: int = 900, permissions: list[str] | None = None):
        profile = tempfile.mkdtemp(dir=tmp_path, prefix="profile-")
        ctx = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": width, "height": height},
            permissions=permissions or [],
        )
        contexts.append(ctx)
        return ctx

    yield make
    for ctx in contexts:
        ctx.close()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS


# --- the login server: built-in password, a lasting login, and OIDC against a real provider -----



@pytest.fixture(scope="package")
def oidc_provider():
    """A real OpenID Connect provider on loopback (oidc-provider-mock: discovery, JWKS, an
    authorisation page, a token endpoint; RS256-signed id tokens), in a thread of this process.
    Its authorisation page offers the users of OIDC_USERS as one-click logins."""
    import threading

    import werkzeug.serving
    from oidc_provider_mock import User, app

    users = [User(sub=sub, claims={"email": email, "email_verified": True, "name": sub})
             for sub, email in OIDC_USERS.items()]
    provider = app(require_nonce=True, user_claims=users)
    server = werkzeug.serving.make_server("127.0.0.1", 0, provider, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)


@pytest.fixture(scope="package")
def auth_server(tmp_path_factory, oidc_provider):
    """`python -m dashboard serve` with the shared password (its argon2 hash in the environment),
    logins that last (VALRUMMET_LOGIN_SECRET; the session store in a temp folder), and two OIDC
    providers in a secrets file: "lokal" (the provider above; anna@example.se allowed) and
    "nere" (a port nobody listens on: the provider is unreachable). Started once for the
    browser tests of logins (test_access.py, test_login.py)."""
    import secrets

    from dashboard.auth import hash_password
    from tests.test_protocol_access import serve

    tmp = tmp_path_factory.mktemp("login-server")
    port, closed = _free_port(), _free_port()
    secrets_file = tmp / "secrets.toml"
    secrets_file.write_text(f"""
[valrummet]
allowed_emails = ["{OIDC_USERS['anna']}"]

[auth]
redirect_uri = "http://127.0.0.1:{port}/oauth2callback"
cookie_secret = "{secrets.token_hex(32)}"

[auth.lokal]
client_id = "valrummet-test"
client_secret = "{secrets.token_hex(16)}"
server_metadata_url = "{oidc_provider}/.well-known/openid-configuration"

[auth.nere]
client_id = "valrummet-test"
client_secret = "{secrets.token_hex(16)}"
server_metadata_url = "http://127.0.0.1:{closed}/.well-known/openid-configuration"
""", encoding="utf-8")
    env = {
        "VALRUMMET_PASSWORD_HASH": hash_password(LOGIN_PASSWORD),
        "VALRUMMET_LOGIN_SECRET": secrets.token_urlsafe(48),
        "VALRUMMET_LOGIN_SESSIONS": str(tmp / "login-sessions.sqlite"),
        "STREAMLIT_SECRETS_FILES": str(secrets_file),
    }
    with serve(tmp, env=env, port=port) as base:
        yield base
