"""The booking calendar's acceptance in a real browser, against `python -m dashboard serve`:

a member requests a visit; a coordinator sees the conflict with the person's existing booking,
proposes another time and confirms it; the member sees the status; the person's .ics (the
download, and the secret subscription URL served by the launcher) contains the event; an
anonymous visitor sees only the public events, on the page and in the public .ics.
"""
from __future__ import annotations

import datetime as dt
import re
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import Page, expect

from dashboard.auth import hash_password
from dashboard.calendar import db, store
from dashboard.calendar import model as M
from dashboard.page_registry import INTERNAL_PAGES
from tests.calendar_support import COORD, visit
from tests.test_protocol_access import serve

pytestmark = pytest.mark.browser

TIMEOUT = 90_000
PASSWORD = "kalenderns långa testlösenord"
_day = dt.date.today() + dt.timedelta(days=42)
_day += dt.timedelta(days=(1 - _day.weekday()) % 7)  # a Tuesday six weeks ahead
DAY = _day.isoformat()
REQUEST = "Besök av Anna i Fittja"


@pytest.fixture(scope="module")
def cal_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("kalender")
    url = f"sqlite:///{tmp / 'kalender.sqlite3'}"
    eng = db.engine(url)
    anna = store.add_person("Anna Andersson", "kandidat", COORD, eng=eng)
    bo = store.add_person("Bo Berg", "talare", COORD, eng=eng)
    store.create(visit("Torgmöte i Alby", DAY, "12:00", "13:00", people=[anna], visibility=M.PUBLIC,
                       status=M.CONFIRMED, place="Alby torg"), COORD, eng=eng)
    store.create(visit("Hemligt styrelsemöte", DAY, "18:00", "20:00", kommunkod="0184", people=[bo], kind="mote",
                       status=M.CONFIRMED), COORD, eng=eng)
    digest = hash_password(PASSWORD)
    env = {"VALRUMMET_USERS": f"mia:{digest} kim:{digest}", "VALRUMMET_COORDINATORS": "kim",
           "VALRUMMET_DATABASE_URL": url}
    with serve(tmp, env=env) as base:
        yield base
    db.dispose_all()


def wait_ready(page: Page) -> None:
    page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']", timeout=TIMEOUT)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=TIMEOUT)
    expect(page.locator("[data-testid='stException']")).to_have_count(0)


def log_in(page: Page, base: str, user: str, path: str) -> None:
    page.goto(f"{base}/{path}")
    expect(page.get_by_role("heading", name="Logga in")).to_be_visible(timeout=TIMEOUT)
    wait_ready(page)
    page.get_by_label("Namn", exact=True).fill(user)
    page.get_by_label("Lösenord", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    wait_ready(page)


def choose(page: Page, label: str, option: str, within=None) -> None:
    """Pick an option of a selectbox or multiselect by typing it."""
    scope = within or page
    box = scope.get_by_label(label, exact=True)
    box.click()
    box.fill(option)
    page.get_by_role("option", name=option, exact=True).first.click()
    page.keyboard.press("Escape")


def _type_segments(page: Page, scope, label: str, digits: str) -> None:
    """Type into a react-aria date or time field (year-month-day / hour:minute segments): the
    first segment takes focus and each full segment moves to the next."""
    group = scope.get_by_role("group", name=label, exact=True)
    group.get_by_role("spinbutton").first.click()
    page.keyboard.type(digits, delay=30)
    page.keyboard.press("Tab")


def set_time(page: Page, scope, label: str, value: str) -> None:
    _type_segments(page, scope, label, value.replace(":", ""))


def set_date(page: Page, scope, label: str, value: str) -> None:
    _type_segments(page, scope, label, value.replace("-", ""))


def pill(page: Page, name: str):
    """A pills option (the view selectors)."""
    return page.get_by_test_id("stButtonGroup").get_by_text(name, exact=True).first


def assert_fits(page: Page, width: int) -> None:
    """Nothing on the page needs horizontal scrolling of the page itself (a 390 px phone)."""
    wide = page.evaluate("document.querySelector('[data-testid=stMain]').scrollWidth")
    assert wide <= width, f"{page.url}: {wide}px wide at {width}px"


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8")


def test_request_conflict_propose_confirm_ics_and_public_view(cal_server, new_browser, screenshot_dir):
    base = cal_server
    # 1. a member asks for a visit of Anna that overlaps her booking in Alby
    member = new_browser(width=390, height=900).new_page()
    log_in(member, base, "mia", "bokningar?vy=F%C3%B6rfr%C3%A5gningar")
    form = member.get_by_test_id("stForm").first
    form.get_by_label("Rubrik", exact=True).fill(REQUEST)
    choose(member, "Vem (kandidater och talare)", "Anna Andersson", within=form)
    set_date(member, form, "Dag", DAY)
    set_time(member, form, "Från", "12:30")
    set_time(member, form, "Till", "14:00")
    choose(member, "Kommun", "Botkyrka", within=form)
    form.get_by_label("Varför? Syfte, publik, vad ni önskar", exact=True).fill("Öppet möte om hyrorna")
    form.get_by_role("button", name="Skicka förfrågan").click()
    wait_ready(member)
    expect(member.get_by_text(f"Förfrågan «{REQUEST}» är skickad", exact=False)).to_be_visible(timeout=TIMEOUT)
    mine = member.get_by_test_id("stVerticalBlock").filter(has_text=REQUEST).last
    expect(member.get_by_text("begärd").first).to_be_visible()
    member.screenshot(path=str(screenshot_dir / "kalender_forfragan_390.png"), full_page=True)
    assert_fits(member, 390)

    # 2. the coordinator sees the conflict, proposes another time, then confirms
    coord = new_browser(width=1280, height=1000).new_page()
    log_in(coord, base, "kim", "bokningar?vy=F%C3%B6rfr%C3%A5gningar")
    request = coord.locator("[class*='st-key-kal_forfragan_']").filter(has_text=REQUEST)
    expect(request).to_have_count(1, timeout=TIMEOUT)
    expect(request.get_by_text("Anna Andersson är redan uppbokad samtidigt: «Torgmöte i Alby»", exact=False)) \
        .to_be_visible()
    coord.screenshot(path=str(screenshot_dir / "kalender_krock_1280.png"), full_page=True)
    decision = coord.locator(".st-key-kal_beslut_ruta")
    expect(decision.get_by_text(f"Beslut: {REQUEST}", exact=False).first).to_be_visible(timeout=TIMEOUT)
    set_time(coord, decision, "Ny start", "15:00")
    set_time(coord, decision, "Nytt slut", "16:30")
    decision.get_by_label("Meddelande till den som frågade", exact=True).fill("Anna kan efter torgmötet")
    decision.get_by_role("button", name="Föreslå annan tid").click()
    wait_ready(coord)
    expect(coord.get_by_text("Sparat: ny tid föreslagen.", exact=False)).to_be_visible(timeout=TIMEOUT)
    request = coord.locator("[class*='st-key-kal_forfragan_']").filter(has_text=REQUEST)
    expect(request.get_by_text("Inga krockar", exact=False)).to_be_visible()
    coord.locator(".st-key-kal_beslut_ruta").get_by_role("button", name="Bekräfta").click()
    wait_ready(coord)
    expect(coord.get_by_text("Sparat: bekräftad.", exact=False)).to_be_visible(timeout=TIMEOUT)
    expect(coord.locator("[class*='st-key-kal_forfragan_']").filter(has_text=REQUEST)).to_have_count(0)

    # 3. the member sees the status and the message (the same session, another view and back)
    pill(member, "Vecka").click()
    wait_ready(member)
    pill(member, "Förfrågningar").click()
    wait_ready(member)
    mine = member.locator("[class*='st-key-kal_min_']").filter(has_text=REQUEST)
    expect(mine.get_by_text("bekräftad", exact=False)).to_be_visible(timeout=TIMEOUT)
    expect(mine.get_by_text("Anna kan efter torgmötet", exact=False)).to_be_visible()

    # 4. Anna's .ics: the download for her filter, and her secret subscription URL
    pill(member, "Månad").click()
    wait_ready(member)
    choose(member, "Person", "Anna Andersson")
    wait_ready(member)
    expect(member.get_by_role("heading", name="När är Anna Andersson upptagen?")).to_be_visible(timeout=TIMEOUT)
    assert_fits(member, 390)  # the month grid on a phone
    member.screenshot(path=str(screenshot_dir / "kalender_manad_person_390.png"), full_page=True)
    with member.expect_download() as dl:
        member.get_by_role("button", name=re.compile("Kalenderfil \\(\\.ics\\): Anna Andersson")).click()
    text = open(dl.value.path(), encoding="utf-8", newline="").read()
    compact = day_compact = DAY.replace("-", "")
    assert f"SUMMARY:{REQUEST}" in text.replace("\r\n ", "")
    assert f"DTSTART;TZID=Europe/Stockholm:{compact}T150000" in text
    assert "STATUS:CONFIRMED" in text and "Hemligt styrelsemöte" not in text
    uid = re.search(r"UID:(.+)\r\n", text).group(1)

    pill(coord, "Hantera").click()
    wait_ready(coord)
    pill(coord, "Prenumerationer").click()
    wait_ready(coord)
    coord.get_by_role("button", name="Skapa länk").click()
    wait_ready(coord)
    link = coord.get_by_test_id("stCode").first.inner_text().strip()
    assert link.startswith(f"{base}/ical/") and link.endswith(".ics")
    status, feed = fetch(link)
    assert status == 200 and uid in feed and f"{day_compact}T150000" in feed
    status, _ = fetch(link.replace(link.split("/")[-1][:16], "0" * 16))  # another id, same secret
    assert status == 404
    coord.get_by_role("button", name="Återkalla").click()
    wait_ready(coord)
    expect(coord.get_by_text("Länken är återkallad", exact=False)).to_be_visible(timeout=TIMEOUT)
    assert fetch(link)[0] == 404

    # 5. an anonymous visitor: only the public events, no names, on the page and in the feed
    anon = new_browser(width=1280, height=1000).new_page()
    anon.goto(f"{base}/kalender?datum={DAY}")
    expect(anon.get_by_role("heading", name="Vad händer i valrörelsen?")).to_be_visible(timeout=TIMEOUT)
    wait_ready(anon)
    expect(anon.get_by_text("12:00 Torgmöte i Alby").first).to_be_visible(timeout=TIMEOUT)  # the month grid
    pill(anon, "Lista").click()
    wait_ready(anon)
    anon.set_viewport_size({"width": 390, "height": 900})
    expect(anon.get_by_text("Torgmöte i Alby").first).to_be_attached(timeout=TIMEOUT)  # a cell of the table
    assert_fits(anon, 390)
    html = anon.content()
    for hidden in (REQUEST, "Hemligt styrelsemöte", "Anna Andersson", "Bo Berg", "mia", "kim"):
        assert hidden not in html, hidden
    for spec in INTERNAL_PAGES:  # no internal page's name either
        assert spec.title not in html and f"/{spec.url_path}" not in html, spec.title
    anon.screenshot(path=str(screenshot_dir / "kalender_offentlig_390.png"), full_page=True)
    status, public = fetch(f"{base}/ical/offentlig.ics")
    assert status == 200 and "Torgmöte i Alby" in public
    for hidden in (REQUEST, "Hemligt styrelsemöte", "Anna Andersson", "Bo Berg"):
        assert hidden not in public, hidden
    # no internal page for the anonymous visitor, and no way to write
    anon.goto(f"{base}/bokningar")
    expect(anon.get_by_role("heading", name="Logga in")).to_be_visible(timeout=TIMEOUT)
