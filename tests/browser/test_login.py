"""Logins in a real browser against the production launcher (issue 18), on the server of
conftest.py's `auth_server`:

* a built-in login lasts: reloads and new tabs of the same browser stay logged in, another
  browser does not; logout ends it in every tab at its next run, and the old cookie replayed in
  a fresh browser is refused; the cookie route refuses what a cross-site page or a replay sends;
* OIDC works end to end against a real provider on loopback (oidc-provider-mock): an account
  on the allow-list comes back logged in, one off the list is refused in Swedish, a cancelled
  login and an unreachable provider get Swedish pages instead of English errors.
"""
from __future__ import annotations

import time
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from dashboard import login_sessions as ls
from dashboard.login_http import ROUTE
from tests.login_support import LOGIN_PASSWORD, OIDC_USERS

pytestmark = pytest.mark.browser

TIMEOUT = 90_000
INTERNAL_HEADING = "Hänger tidningarna ihop med förändringen?"


def wait_ready(page: Page) -> None:
    page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']", timeout=TIMEOUT)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=TIMEOUT)
    expect(page.locator("[data-testid='stException']")).to_have_count(0)


def header(page: Page) -> str:
    return " ".join(t.strip() for t in page.locator("header").all_inner_texts())


def login_cookie(ctx: BrowserContext, timeout: float = 30) -> dict | None:
    """The login cookie once the browser has it (the page posts its token after the login run)."""
    deadline = time.monotonic() + timeout
    while True:
        found = [c for c in ctx.cookies() if c["name"] in (ls.COOKIE, ls.SECURE_COOKIE)]
        if found or time.monotonic() > deadline:
            return found[0] if found else None
        time.sleep(0.2)


def no_login_cookie(ctx: BrowserContext, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while any(c["name"] in (ls.COOKIE, ls.SECURE_COOKIE) for c in ctx.cookies()):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


# --- a built-in login that lasts -------------------------------------------------------------------


def test_login_lasts_across_reloads_and_tabs_and_ends_everywhere_on_logout(auth_server, new_browser,
                                                                           screenshot_dir):
    ctx = new_browser()
    early = ctx.new_page()  # a tab opened before the login: its session has no cookie
    early.goto(f"{auth_server}/logga_in")
    expect(early.get_by_role("heading", name="Logga in")).to_be_visible(timeout=TIMEOUT)
    wait_ready(early)
    page = ctx.new_page()
    tokens: list[str] = []  # the one-time tokens the page posts to the cookie route
    page.on("request", lambda r: tokens.append(r.post_data) if r.url.endswith(ROUTE) else None)
    page.goto(f"{auth_server}/tidningar")
    expect(page.get_by_role("heading", name="Logga in")).to_be_visible(timeout=TIMEOUT)
    wait_ready(page)
    expect(page.get_by_text("Du förblir inloggad i 14 dagar i den här webbläsaren")).to_be_visible()
    page.get_by_label("Lösenord").fill(LOGIN_PASSWORD)
    page.get_by_role("button", name="Logga in", exact=True).click()
    expect(page.get_by_role("heading", name=INTERNAL_HEADING)).to_be_visible(timeout=TIMEOUT)
    wait_ready(page)

    cookie = login_cookie(ctx)
    assert cookie is not None, "the page did not get its login cookie"
    assert cookie["name"] == ls.COOKIE  # plain http on loopback; on https it is __Host-valrummet_login
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Lax" and cookie["secure"] is False
    assert cookie["path"] == "/"
    assert 13.9 * 86400 < cookie["expires"] - time.time() <= 14 * 86400
    assert page.evaluate("document.cookie").find(ls.COOKIE) == -1  # HttpOnly: no script sees it
    assert len(tokens) == 1

    # The token was for one use: replaying it, even from the page's own origin, is refused.
    same_origin = {"X-Valrummet": "1", "Origin": auth_server, "Content-Type": "text/plain"}
    assert post(f"{auth_server}/{ROUTE}", tokens[0].encode(), same_origin) == 403

    # A reload is a new session: the cookie logs it in.
    page.reload()
    expect(page.get_by_role("heading", name=INTERNAL_HEADING)).to_be_visible(timeout=TIMEOUT)
    wait_ready(page)
    assert "Internt" in header(page)

    # A new tab of the same browser: logged in.
    tab = ctx.new_page()
    tab.goto(f"{auth_server}/tidningar")
    expect(tab.get_by_role("heading", name=INTERNAL_HEADING)).to_be_visible(timeout=TIMEOUT)
    wait_ready(tab)

    # The early tab logs in on its own; it joins this browser's login (its cookie request
    # carries the browser's cookie), so the logout below reaches it too.
    early.get_by_label("Lösenord").fill(LOGIN_PASSWORD)
    early.get_by_role("button", name="Logga in", exact=True).click()
    expect(early.get_by_role("heading", name="Du är inloggad")).to_be_visible(timeout=TIMEOUT)
    wait_ready(early)

    # Another browser: not logged in.
    other = new_browser().new_page()
    other.goto(f"{auth_server}/tidningar")
    expect(other.get_by_role("heading", name="Logga in")).to_be_visible(timeout=TIMEOUT)
    wait_ready(other)
    assert "Internt" not in header(other)

    # Logout in the early tab (its own login, which joined this browser's): back to the login
    # page, and the cookie goes.
    early.get_by_role("button", name="Logga ut", exact=True).first.click()
    expect(early.get_by_role("heading", name="Logga in")).to_be_visible(timeout=TIMEOUT)
    wait_ready(early)
    assert "Internt" not in header(early)
    assert no_login_cookie(ctx), "logout left the cookie in the browser"

    # The other tabs (the first login's, and one that came in with its cookie) are logged out at
    # their next run (here: a click in the menu).
    for other_tab in (page, tab):
        other_tab.get_by_role("link", name="Översikt").click()
        expect(other_tab.get_by_role("heading", name="Hur gick det i Storstockholm?")).to_be_visible(timeout=TIMEOUT)
        wait_ready(other_tab)
        assert "Internt" not in header(other_tab)
    tab.screenshot(path=str(screenshot_dir / "utloggad_i_annan_flik.png"))

    # The old cookie, replayed in a fresh browser, is refused: the session was revoked on the server.
    thief = new_browser()
    thief.add_cookies([{"name": cookie["name"], "value": cookie["value"], "url": auth_server}])
    stolen = thief.new_page()
    stolen.goto(f"{auth_server}/tidningar")
    expect(stolen.get_by_role("heading", name="Logga in")).to_be_visible(timeout=TIMEOUT)
    wait_ready(stolen)
    assert "Internt" not in header(stolen)


def test_cookie_route_refuses_cross_site_and_forged_requests(auth_server):
    url = f"{auth_server}/{ROUTE}"
    token = ls.new_token().encode()
    ok_headers = {"X-Valrummet": "1", "Origin": auth_server, "Content-Type": "text/plain"}
    # Not a grant: refused, like a used or expired one.
    assert post(url, token, ok_headers) == 403
    # A cross-site page (its Origin), a form without the header, and no Origin at all: refused
    # before any token is looked at.
    assert post(url, token, {**ok_headers, "Origin": "https://angripare.example"}) == 403
    assert post(url, token, {"Origin": auth_server, "Content-Type": "application/x-www-form-urlencoded"}) == 403
    assert post(url, token, {"X-Valrummet": "1"}) == 403
    assert post(url, b"x" * 5000, ok_headers) == 403  # a big body is not read whole
    # Only POST: a GET (a link, an image tag) is Streamlit's page as for any unknown path, no cookie.
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.headers.get("Set-Cookie") is None


# --- OIDC against a real provider ------------------------------------------------------------------


def oidc_login(page: Page, base: str, provider_button: str) -> None:
    page.goto(f"{base}/logga_in")
    expect(page.get_by_role("heading", name="Logga in")).to_be_visible(timeout=TIMEOUT)
    wait_ready(page)
    page.get_by_role("button", name=provider_button).click()


def test_oidc_login_with_an_allowed_account(auth_server, oidc_provider, new_browser, screenshot_dir):
    page = new_browser().new_page()
    oidc_login(page, auth_server, "Logga in med Lokal")
    page.wait_for_url(f"{oidc_provider}/**", timeout=TIMEOUT)  # the provider's own page
    page.get_by_role("button", name="anna", exact=True).click()
    # Back on the app, logged in: the login page says who.
    expect(page.get_by_role("heading", name="Du är inloggad")).to_be_visible(timeout=TIMEOUT)
    wait_ready(page)
    expect(page.get_by_text(f"Inloggad som {OIDC_USERS['anna']}")).to_be_visible()
    assert page.evaluate("location.pathname") == "/logga_in"
    assert "Internt" in header(page)
    page.screenshot(path=str(screenshot_dir / "oidc_inloggad.png"))
    page.goto(f"{auth_server}/tidningar")  # a new session: Streamlit's identity cookie carries the login
    expect(page.get_by_role("heading", name=INTERNAL_HEADING)).to_be_visible(timeout=TIMEOUT)


def test_oidc_account_off_the_allow_list_is_refused_in_swedish(auth_server, oidc_provider, new_browser):
    page = new_browser().new_page()
    oidc_login(page, auth_server, "Logga in med Lokal")
    page.wait_for_url(f"{oidc_provider}/**", timeout=TIMEOUT)
    page.get_by_role("button", name="eve", exact=True).click()
    expect(page.get_by_text(f"Kontot {OIDC_USERS['eve']} har inte behörighet till de interna sidorna.")).to_be_visible(
        timeout=TIMEOUT)
    wait_ready(page)
    assert "Internt" not in header(page)
    page.goto(f"{auth_server}/tidningar")
    expect(page.get_by_role("heading", name="Logga in")).to_be_visible(timeout=TIMEOUT)


def test_oidc_cancelled_at_the_provider_says_so_in_swedish(auth_server, oidc_provider, new_browser):
    page = new_browser().new_page()
    oidc_login(page, auth_server, "Logga in med Lokal")
    page.wait_for_url(f"{oidc_provider}/**", timeout=TIMEOUT)
    page.get_by_role("button", name="Deny").click()
    expect(page.get_by_role("heading", name="Inloggningen avbröts")).to_be_visible(timeout=TIMEOUT)
    assert page.evaluate("document.documentElement.lang") == "sv"
    page.get_by_role("link", name="Tillbaka till inloggningen").click()
    expect(page.get_by_role("heading", name="Logga in")).to_be_visible(timeout=TIMEOUT)


def test_oidc_provider_unreachable_gets_a_swedish_page(auth_server, new_browser, screenshot_dir):
    page = new_browser().new_page()
    oidc_login(page, auth_server, "Logga in med Nere")
    expect(page.get_by_role("heading", name="Inloggningstjänsten svarar inte")).to_be_visible(timeout=TIMEOUT)
    body = page.inner_text("body")
    assert "Internal Server Error" not in body and "Authentication error" not in body
    assert page.evaluate("document.documentElement.lang") == "sv"
    page.screenshot(path=str(screenshot_dir / "oidc_nere.png"))
