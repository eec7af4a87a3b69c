"""Logins that last (issue 18): the signed cookie, the server-side session store, the one-time
grants of the cookie route, and how dashboard.auth turns a cookie back into a login – and
refuses it when it is forged, signed with an old key, revoked, expired, or names a user whose
password changed or who was removed. The browser test (tests/browser/test_login.py) covers the
same against a real server."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import auth
from dashboard import login_sessions as ls
from dashboard.login_http import same_origin

SECRET = "k3Jq9vXr2LmN8pQs4TtWz6YbC1dEfGhI0aKoPuRy"  # made up, 40 characters
DAY = 86400.0
SRC = Path(__file__).resolve().parents[1] / "src"


class Clock:
    def __init__(self, t: float = 1_000_000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


# --- the cookie value and the policy ------------------------------------------------------------


def test_signed_value_round_trip_and_refusals():
    key = ls.load_policy(14, SECRET).key
    token = ls.new_token()
    value = ls.sign(key, token)
    assert value.startswith("v1.") and ls.unsign(key, value) == token
    other = ls.new_token()
    forged = value.replace(token, other)  # someone else's token under this signature
    assert ls.unsign(key, forged) is None
    assert ls.unsign(key, value[:-2] + ("AA" if value[-2:] != "AA" else "BB")) is None
    for junk in (None, "", "v1", "v1..", "v2." + value[3:], value + ".x", "x" * 500):
        assert ls.unsign(key, junk) is None
    # Rotating login_secret: every cookie signed with the old key is refused.
    rotated = ls.load_policy(14, SECRET[::-1]).key
    assert rotated != key and ls.unsign(rotated, value) is None


def test_policy_needs_a_long_random_secret():
    on = ls.load_policy(14, SECRET)
    assert on.enabled and on.seconds == 14 * DAY
    for bad in ("", "kort", "BYT-TILL-ETT-LÅNGT-SLUMPVÄRDE-SOM-ÄR-LÅNGT-NOG", "KLISTRA-IN-" + "x" * 40):
        off = ls.load_policy(14, bad)
        assert not off.enabled and off.key is None and "browser tab" in off.reason
    assert not ls.load_policy(0, SECRET).enabled  # 0 days: the tab only
    assert ls.load_policy(10_000, SECRET).seconds == ls.MAX_DAYS * DAY
    # Without a login_secret, Streamlit's cookie secret (when the operator set one) is the source;
    # the derived key is not the secret itself.
    fallback = ls.load_policy(14, "", streamlit_secret=SECRET)
    assert fallback.enabled and fallback.key == on.key and fallback.key != SECRET.encode()


# --- the store -----------------------------------------------------------------------------------


def test_store_lifecycle(tmp_path):
    clock = Clock()
    store = ls.Store(tmp_path / "s.sqlite", clock=clock)
    token, expires = store.create("anna", "Anna", "fp1", 2 * DAY)
    assert expires == clock.t + 2 * DAY
    assert store.lookup(token) == ls.Session("anna", "Anna", "fp1", clock.t, expires)
    assert store.lookup(ls.new_token()) is None
    clock.t += 2 * DAY + 1
    assert store.lookup(token) is None  # expired
    token2, _ = store.create("anna", "Anna", "fp1", DAY)
    assert store.revoke(token2) and store.lookup(token2) is None
    assert not store.revoke(token2)  # already revoked
    a, _ = store.create("anna", "Anna", "fp1", DAY)
    b, _ = store.create("anna", "Anna", "fp1", DAY)
    c, _ = store.create("bo", "Bo", "fp2", DAY)
    assert store.revoke_account("anna") == 2
    assert store.lookup(a) is None and store.lookup(b) is None and store.lookup(c) is not None
    # Only digests are stored: the file holds no cookie.
    raw = (tmp_path / "s.sqlite").read_bytes() + (tmp_path / "s.sqlite-wal").read_bytes()
    assert c.encode() not in raw
    # Sessions ended more than a day ago are forgotten at the next login.
    clock.t += 3 * DAY
    store.create("bo", "Bo", "fp2", DAY)
    with sqlite3.connect(tmp_path / "s.sqlite") as con:
        assert con.execute("SELECT count(*) FROM login_session").fetchone()[0] == 1


def test_processes_sharing_the_file_agree_on_a_logout(tmp_path):
    path = tmp_path / "s.sqlite"
    store = ls.Store(path)
    token, _ = store.create("anna", "Anna", "fp", DAY)
    assert store.lookup(token) is not None
    # A fresh interpreter, not multiprocessing: spawn re-runs whatever __main__ is, and after an
    # AppTest in the same pytest process that is app.py.
    code = "import sys; from pathlib import Path; from dashboard import login_sessions as ls; ls.Store(Path(sys.argv[1])).revoke(sys.argv[2])"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-c", code, str(path), token], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert store.lookup(token) is None


def test_store_path_is_beside_the_throttle(monkeypatch, tmp_path):
    monkeypatch.delenv("VALRUMMET_LOGIN_SESSIONS", raising=False)
    monkeypatch.setenv("VALRUMMET_LOGIN_THROTTLE", str(tmp_path / "x" / "throttle.sqlite"))
    assert ls.store_path() == tmp_path / "x" / "login-sessions.sqlite"
    monkeypatch.setenv("VALRUMMET_LOGIN_SESSIONS", str(tmp_path / "own.sqlite"))
    assert ls.store_path() == tmp_path / "own.sqlite"


# --- the route's grants and origin check ------------------------------------------------------------


def test_grants_are_one_time_and_short_lived():
    clock = Clock(100.0)
    grants = ls.Grants(clock=clock)
    token = grants.issue("login", "sess-1", "v1.a.b", 3600)
    grant = grants.redeem(token)
    assert grant.action == "login" and grant.session_id == "sess-1" and grant.cookie == "v1.a.b"
    assert grants.redeem(token) is None  # used
    token = grants.issue("logout", "sess-1")
    clock.t += ls.GRANT_SECONDS + 1
    assert grants.redeem(token) is None  # too old
    assert grants.redeem("") is None and grants.redeem("x" * 1000) is None


@pytest.mark.parametrize("origin, host, ok", [
    ("http://127.0.0.1:8501", "127.0.0.1:8501", True),
    ("https://valrummet.example.se", "valrummet.example.se", True),
    ("https://valrummet.example.se:8443", "valrummet.example.se", True),  # nginx's $host has no port
    ("https://angripare.example", "valrummet.example.se", False),
    ("https://valrummet.example.se.angripare.example", "valrummet.example.se", False),
    ("null", "valrummet.example.se", False),  # a sandboxed frame or a file
    (None, "valrummet.example.se", False),
    ("javascript://valrummet.example.se", "valrummet.example.se", False),
])
def test_same_origin(origin, host, ok):
    assert same_origin(origin, host) is ok


# --- dashboard.auth: a cookie back into a login ----------------------------------------------------


PASSWORD = "en lång och hemlig lösenfras"


def _viewer():
    import streamlit as st

    from dashboard import auth as a

    st.text(a.current_user() or "utloggad")


@pytest.fixture
def cookie_env(monkeypatch, tmp_path):
    """A store, an enabled policy and the cookie a browser would send, without a server."""
    for key in ("VALRUMMET_REQUIRE_LOGIN", "VALRUMMET_PASSWORD_HASH", "VALRUMMET_USERS"):
        monkeypatch.delenv(key, raising=False)
    hashed = auth.hash_password(PASSWORD)
    monkeypatch.setenv("VALRUMMET_USERS", f"Anna:{hashed} bo:{hashed}")
    clock = Clock()
    store = ls.Store(tmp_path / "s.sqlite", clock=clock)
    policy = ls.load_policy(14, SECRET)
    monkeypatch.setattr(ls, "shared_store", lambda: store)
    monkeypatch.setattr(auth, "cookie_policy", lambda conf=None: policy)
    sent = {"cookie": None}
    monkeypatch.setattr(auth, "_cookie_value", lambda: sent["cookie"])

    class Env:
        pass

    env = Env()
    env.monkeypatch, env.store, env.clock, env.policy, env.sent, env.hash = (
        monkeypatch, store, clock, policy, sent, hashed)

    def login(account: str = "anna", display: str = "Anna") -> str:
        conf = auth.settings()
        token, _ = store.create(account, display, auth.credential_of(conf, account), policy.seconds)
        sent["cookie"] = ls.sign(policy.key, token)
        return token

    env.login = login
    return env


def viewer() -> AppTest:
    at = AppTest.from_function(_viewer, default_timeout=30)
    at.run()
    assert not at.exception
    return at


def shown(at: AppTest) -> str:
    return at.text[0].value


def test_a_cookie_logs_a_new_session_in_until_it_is_revoked(cookie_env):
    token = cookie_env.login()
    at = viewer()
    assert shown(at) == "Anna"
    entry = at.session_state["_valrummet_user"]
    assert entry["account"] == "anna" and entry["sid"] == token
    # Logout in another tab revokes the session: this one is logged out at its next run.
    cookie_env.store.revoke(token)
    at.run()
    assert shown(at) == "utloggad"
    # …and a new session with the same cookie is refused.
    assert shown(viewer()) == "utloggad"


def test_refused_cookies(cookie_env):
    cookie_env.login()
    assert shown(viewer()) == "Anna"
    # Expired.
    cookie_env.clock.t += 15 * DAY
    assert shown(viewer()) == "utloggad"
    # Signed with another key (login_secret rotated).
    cookie_env.clock.t -= 15 * DAY
    cookie_env.monkeypatch.setattr(auth, "cookie_policy", lambda conf=None: ls.load_policy(14, SECRET[::-1]))
    assert shown(viewer()) == "utloggad"
    cookie_env.monkeypatch.setattr(auth, "cookie_policy", lambda conf=None: cookie_env.policy)
    assert shown(viewer()) == "Anna"
    # Forged: a made-up token with no valid signature.
    cookie_env.sent["cookie"] = ls.sign(b"x" * 32, ls.new_token())
    assert shown(viewer()) == "utloggad"
    # Logins per tab (no secret, or plain `streamlit run`): the cookie is not even read.
    cookie_env.login()
    cookie_env.monkeypatch.setattr(auth, "cookie_policy", lambda conf=None: ls.Policy(0.0, None, "off"))
    assert shown(viewer()) == "utloggad"


def test_changed_password_or_removed_user_ends_the_login(cookie_env):
    token = cookie_env.login("bo", "bo")
    at = viewer()
    assert shown(at) == "bo"
    # bo's password is changed in the configuration: the open session ends at its next run, and
    # the login session is revoked, so the cookie is refused even if the old hash came back.
    other = auth.hash_password("ett helt annat lösenord")
    cookie_env.monkeypatch.setenv("VALRUMMET_USERS", f"Anna:{cookie_env.hash} bo:{other}")
    at.run()
    assert shown(at) == "utloggad"
    assert cookie_env.store.lookup(token) is None
    assert shown(viewer()) == "utloggad"
    # Anna is taken out of the configuration.
    cookie_env.monkeypatch.setenv("VALRUMMET_USERS", f"Anna:{cookie_env.hash} bo:{other}")
    cookie_env.login("anna", "Anna")
    at = viewer()
    assert shown(at) == "Anna"
    cookie_env.monkeypatch.setenv("VALRUMMET_USERS", f"bo:{other}")
    at.run()
    assert shown(at) == "utloggad"
    assert shown(viewer()) == "utloggad"


def test_a_per_tab_login_also_ends_when_the_password_changes(cookie_env):
    """Without a cookie (logins per tab) the session still checks the hash it logged in with."""
    cookie_env.monkeypatch.setattr(auth, "cookie_policy", lambda conf=None: ls.Policy(0.0, None, "off"))

    def script():
        import streamlit as st

        from dashboard import auth as a

        if "done" not in st.session_state:
            st.session_state.done = True
            a.log_in("bo", "bo")
        st.text(a.current_user() or "utloggad")

    at = AppTest.from_function(script, default_timeout=30)
    at.run()
    assert shown(at) == "bo" and "sid" not in at.session_state["_valrummet_user"]
    cookie_env.monkeypatch.setenv("VALRUMMET_USERS", f"Anna:{cookie_env.hash}")
    at.run()
    assert shown(at) == "utloggad"


def test_logout_everywhere_ends_every_login_of_the_account(cookie_env):
    on_phone = cookie_env.login("bo", "bo")
    other_user = cookie_env.login("anna", "Anna")
    here = cookie_env.login("bo", "bo")  # this browser's cookie

    def script():
        import streamlit as st

        from dashboard import auth as a

        st.text(a.current_user() or "utloggad")
        st.button("alla", on_click=a.logout_everywhere)

    at = AppTest.from_function(script, default_timeout=30)
    at.run()
    assert shown(at) == "bo"
    at.button[0].click().run()
    assert shown(at) == "utloggad"
    assert cookie_env.store.lookup(here) is None and cookie_env.store.lookup(on_phone) is None
    assert cookie_env.store.lookup(other_user) is not None  # someone else's login is untouched


def test_browser_groups(tmp_path):
    store = ls.Store(tmp_path / "s.sqlite")
    first, _ = store.create("anna", "Anna", "fp", DAY)
    second, _ = store.create("anna", "Anna", "fp", DAY)  # a tab opened before the first login
    elsewhere, _ = store.create("anna", "Anna", "fp", DAY)  # another browser
    assert store.adopt(second, first)
    assert not store.adopt(second, ls.new_token())  # nothing live to join
    assert store.revoke_browser(second) == 2
    assert store.lookup(first) is None and store.lookup(second) is None
    assert store.lookup(elsewhere) is not None


# --- the cookie route in front of a Starlette app (the https case the loopback browser test cannot show) ---


@pytest.fixture
def route(monkeypatch, tmp_path):
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from dashboard import login_http

    store = ls.Store(tmp_path / "s.sqlite")
    policy = ls.load_policy(14, SECRET)
    monkeypatch.setattr(ls, "shared_store", lambda: store)
    monkeypatch.setattr(auth, "cookie_policy", lambda conf=None: policy)
    alive = {"sess-1"}
    monkeypatch.setattr(login_http, "_session_alive", lambda session_id: session_id in alive)
    client = TestClient(Starlette(routes=login_http.routes("")), base_url="https://valrummet.example.se")

    def grant(action="login", session="sess-1"):
        token, _ = store.create("anna", "Anna", "fp", policy.seconds)
        value = ls.sign(policy.key, token) if action == "login" else ""
        return token, value, ls.GRANTS.issue(action, session, value, int(policy.seconds), token)

    def post(body, origin="https://valrummet.example.se", cookies=None):
        client.cookies.clear()
        for k, v in (cookies or {}).items():
            client.cookies.set(k, v)
        return client.post(f"/{login_http.ROUTE}", content=body, headers={"X-Valrummet": "1", "Origin": origin})

    yield store, policy, grant, post, alive


def test_route_sets_a_host_only_secure_cookie_on_https(route):
    store, policy, grant, post, _ = route
    token, value, code = grant()
    r = post(code)
    assert r.status_code == 204 and r.headers["cache-control"] == "no-store"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith(ls.SECURE_COOKIE + "="))
    attrs = {a.strip().split("=")[0].lower() for a in cookie.split(";")[1:]}
    assert {"httponly", "secure", "max-age", "path"} <= attrs and "domain" not in attrs
    assert "samesite=lax" in cookie.lower() and "path=/" in cookie.lower()
    assert cookie.split(";")[0] == f"{ls.SECURE_COOKIE}={value}"
    assert post(code).status_code == 403  # used


def test_route_refuses_a_grant_of_a_closed_session(route):
    _, _, grant, post, alive = route
    _, _, code = grant(session="sess-2")  # its websocket has gone
    assert post(code).status_code == 403


def test_route_groups_a_second_login_of_the_browser_and_logout_ends_both(route):
    store, policy, grant, post, _ = route
    first, first_value, code = grant()
    assert post(code).status_code == 204
    # A tab opened before that login logs in on its own: its cookie request carries the first cookie.
    second, _, code = grant()
    assert post(code, cookies={ls.SECURE_COOKIE: first_value}).status_code == 204
    # Logout in the first tab (in the page: revoke_browser of its own session) ends the second too.
    assert store.revoke_browser(first) == 2 and store.lookup(second) is None
    # The logout route deletes the cookie.
    third, third_value, _ = grant()
    _, _, code = grant("logout")
    r = post(code, cookies={ls.SECURE_COOKIE: third_value})
    assert r.status_code == 204 and store.lookup(third) is None  # the cookie's session ends too
    deleted = [c for c in r.headers.get_list("set-cookie") if c.startswith(ls.SECURE_COOKIE + "=")]
    assert deleted and ("max-age=0" in deleted[0].lower() or "expires=thu, 01 jan 1970" in deleted[0].lower())
