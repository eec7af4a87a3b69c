"""Access in a real browser: anonymous viewers see public pages only, an internal page's URL
shows the login, a wrong password is refused in Swedish, a logged-in viewer gets the internal
pages, and logging out removes them again.

The server is `python -m dashboard serve` with a shared password (its argon2 hash in the
environment), started once for this module.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from dashboard.auth import hash_password
from dashboard.page_registry import INTERNAL_PAGES
from tests.test_protocol_access import serve

pytestmark = pytest.mark.browser

TIMEOUT = 90_000
PASSWORD = "ett långt gemensamt lösenord"
PUBLIC = ["Översikt", "Kommuner", "Jämför", "Valdistrikt", "Kalender", "Om data", "Utskrift"]


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("access")
    with serve(tmp, env={"VALRUMMET_PASSWORD_HASH": hash_password(PASSWORD)}) as base:
        yield base


def wait_ready(page: Page) -> None:
    page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']", timeout=TIMEOUT)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=TIMEOUT)
    expect(page.locator("[data-testid='stException']")).to_have_count(0)


def nav_texts(page: Page) -> list[str]:
    """The page links of the top navigation (sections open as menus; their links are in the DOM
    only once opened, so the section headers count too)."""
    return [t.strip() for t in page.locator("header").all_inner_texts()]


def test_anonymous_viewer_sees_public_pages_only(auth_server, new_browser):
    page = new_browser().new_page()
    page.goto(auth_server)
    expect(page.get_by_role("heading", name="Hur gick det i Storstockholm?")).to_be_visible(timeout=TIMEOUT)
    wait_ready(page)
    header = " ".join(nav_texts(page))
    for title in PUBLIC + ["Logga in"]:
        assert title in header, (title, header)
    html = page.content()
    assert "Internt" not in header
    for spec in INTERNAL_PAGES:
        assert spec.title not in html and f"/{spec.url_path}" not in html


@pytest.mark.parametrize("spec", INTERNAL_PAGES[:2], ids=lambda s: s.url_path)
def test_internal_url_shows_the_login(auth_server, new_browser, spec):
    page = new_browser().new_page()
    page.goto(f"{auth_server}/{spec.url_path}")
    expect(page.get_by_role("heading", name="Logga in")).to_be_visible(timeout=TIMEOUT)
    wait_ready(page)
    expect(page.get_by_text("Sidan du öppnade finns inte, eller så kräver den inloggning.")).to_be_visible()
    assert spec.title not in " ".join(nav_texts(page))


def test_wrong_password_then_login_then_logout(auth_server, new_browser, screenshot_dir):
    page = new_browser().new_page()
    page.goto(f"{auth_server}/tidningar")
    expect(page.get_by_role("heading", name="Logga in")).to_be_visible(timeout=TIMEOUT)
    wait_ready(page)

    password = page.get_by_label("Lösenord")
    password.fill("fel lösenord")
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_text("Fel lösenord.")).to_be_visible(timeout=TIMEOUT)
    wait_ready(page)
    assert "Internt" not in " ".join(nav_texts(page))
    page.screenshot(path=str(screenshot_dir / "logga_in_fel.png"))

    password.fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    # The same URL now opens the real page, and the menu has the internal section.
    expect(page.get_by_role("heading", name="Hänger tidningarna ihop med förändringen?")).to_be_visible(timeout=TIMEOUT)
    wait_ready(page)
    assert page.evaluate("location.pathname") == "/tidningar"
    header = " ".join(nav_texts(page))
    assert "Internt" in header and "Logga in" not in header
    page.get_by_text("Internt", exact=True).first.click()
    for spec in INTERNAL_PAGES:
        expect(page.get_by_text(spec.title, exact=True)).to_be_visible(timeout=TIMEOUT)
    page.keyboard.press("Escape")

    # The hand-out, in the same session (a menu click keeps it): with the campaign activity,
    # still one A4 page.
    page.get_by_role("link", name="Utskrift").click()
    expect(page.get_by_role("heading", name="Stockholm: Vänsterpartiet 2022 → 2026")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_role("heading", name="Valrörelsen 2026 i Stockholm (internt)")).to_be_visible(timeout=TIMEOUT)
    wait_ready(page)
    page.emulate_media(media="print")
    page.screenshot(path=str(screenshot_dir / "utskrift_inloggad_print.png"), full_page=True)
    pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    (screenshot_dir / "utskrift_inloggad.pdf").write_bytes(pdf)
    assert len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf)) == 1
    page.emulate_media(media="screen")

    page.get_by_role("button", name="Logga ut").click()
    # Still on the (public) hand-out, now without the internal part.
    expect(page.get_by_role("heading", name="Valrörelsen 2026 i Stockholm (internt)")).to_have_count(0, timeout=TIMEOUT)
    expect(page.get_by_role("heading", name="Stockholm: Vänsterpartiet 2022 → 2026")).to_be_visible(timeout=TIMEOUT)
    wait_ready(page)
    header = " ".join(nav_texts(page))
    assert "Internt" not in header and "Logga in" in header
    html = page.content()
    for spec in INTERNAL_PAGES:
        assert spec.title not in html
