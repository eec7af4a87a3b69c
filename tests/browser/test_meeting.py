"""Meeting mode and the hand-out in a real browser: screenshots into screenshots/ (git-ignored),
keyboard stepping, and the one-pager printed to PDF on A4 – one page."""
from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from dashboard import db, fmt


def seats_2026(kommunkod: str) -> dict:
    """V's seats and margins in the municipal council 2026, from the seat engine (= official seats)."""
    return db.execute("seat_margins", {"election": "kommun", "year": 2026, "party": "V"}).set_index("area").loc[kommunkod]

pytestmark = pytest.mark.browser

TIMEOUT = 90_000


def wait_ready(page: Page) -> None:
    page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']", timeout=TIMEOUT)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=TIMEOUT)
    expect(page.locator("[data-testid='stException']")).to_have_count(0)


def pdf_pages(data: bytes) -> int:
    """Page objects in a PDF (Chromium writes them uncompressed): /Type /Page, not /Pages."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))


def test_meeting_mode_big_numbers_and_keys(server, new_browser, screenshot_dir):
    page = new_browser(width=1920, height=1080).new_page()
    page.goto(f"{server}/?mote=1")
    value = page.locator(".st-key-mote_value")
    # Region Stockholm 2026 (final): 184 237 / 1 553 723
    expect(value).to_have_text("11,86 %", timeout=TIMEOUT)
    wait_ready(page)
    # No navigation, no selectors: one message.
    expect(page.locator("header nav")).to_have_count(0)
    expect(page.get_by_role("combobox")).to_have_count(0)
    size = float(value.locator("p").evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
    assert size >= 150, size  # readable from the back of the room on a 1080p screen
    colour = value.locator("p").evaluate("e => getComputedStyle(e).color")
    assert colour == "rgb(0, 0, 0)"
    page.screenshot(path=str(screenshot_dir / "mote_oversikt_1920.png"))

    # A presenter's clicker sends PageDown; the arrow keys work too.
    page.keyboard.press("PageDown")
    page.wait_for_function("() => location.href.includes('skarm=2')", timeout=TIMEOUT)
    expect(page.locator(".st-key-mote_value")).to_have_text(re.compile(r"^Upp i \d+ av 26$"), timeout=TIMEOUT)
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => location.href.includes('skarm=3')", timeout=TIMEOUT)
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("() => location.href.includes('skarm=2')", timeout=TIMEOUT)
    wait_ready(page)
    page.screenshot(path=str(screenshot_dir / "mote_oversikt_skarm2_1920.png"))


def test_meeting_mode_municipality_seats(server, new_browser, screenshot_dir):
    page = new_browser(width=1280, height=720).new_page()
    page.goto(f"{server}/kommuner?mote=1&kommun=Botkyrka&skarm=2")
    s = seats_2026("0127")
    # (a value longer than 14 characters is set a size smaller: .st-key-mote_value_long)
    value = page.locator(".st-key-mote_value, .st-key-mote_value_long")
    expect(value).to_have_text(f"{s['seats']} av {s['council_size']} mandat", timeout=TIMEOUT)
    wait_ready(page)
    expect(page.get_by_text(f"{fmt.integer(s['votes_to_next_seat'])} röster till ett mandat till · marginal på sista "
                            f"mandatet {fmt.integer(s['margin_on_last_seat'])} röster")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "mote_kommun_1280.png"))
    # Out of meeting mode, with the selection kept.
    page.get_by_role("button", name="Avsluta mötesläge").click()
    expect(page.get_by_role("heading", name="Hur gick det i kommunerna?")).to_be_visible(timeout=TIMEOUT)
    wait_ready(page)
    page.wait_for_function("() => !location.href.includes('mote=')", timeout=TIMEOUT)
    assert "kommun=Botkyrka" in page.evaluate("location.href")


def test_handout_prints_on_one_a4_page(server, new_browser, screenshot_dir):
    page = new_browser(width=1280, height=900).new_page()
    page.goto(f"{server}/utskrift?kommun=Botkyrka")
    expect(page.get_by_role("heading", name="Botkyrka: Vänsterpartiet 2022 → 2026")).to_be_visible(timeout=TIMEOUT)
    wait_ready(page)
    time.sleep(1)
    page.screenshot(path=str(screenshot_dir / "utskrift_botkyrka_1280.png"), full_page=True)

    page.emulate_media(media="print")
    # On paper: the selectors, the buttons and the menu are gone; selections and date remain.
    expect(page.locator(".st-key-utskrift_val")).to_be_hidden()
    expect(page.locator(".st-key-utskrift_knappar")).to_be_hidden()
    expect(page.locator("header")).to_be_hidden()
    sheet = page.locator(".st-key-utskrift_ark")
    expect(sheet.get_by_text(re.compile("Urval: kommun Botkyrka · parti Vänsterpartiet · jämförelse 2022 → 2026"))).to_be_visible()
    expect(sheet.get_by_text(re.compile(r"Data byggd \d{4}-\d{2}-\d{2}"))).to_be_visible()
    s = seats_2026("0127")
    expect(sheet.get_by_text(f"{s['seats']} av {s['council_size']} mandat")).to_be_visible()
    expect(sheet.get_by_text("Regionval (prel.)")).to_be_visible()  # the region figure, on paper too
    page.screenshot(path=str(screenshot_dir / "utskrift_botkyrka_print.png"), full_page=True)

    pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    (screenshot_dir / "utskrift_botkyrka.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF")
    assert pdf_pages(pdf) == 1
