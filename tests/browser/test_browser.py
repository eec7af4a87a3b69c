"""Browser tests: deep links, URL-bound selectors, links read the forgiving way, "Kopiera länk",
offline maps. (Every page at phone and desktop width, with screenshots: test_phone.py.)"""
from __future__ import annotations

import time
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest
from playwright.sync_api import Page, expect

from dashboard import fmt, state

DATA = Path(__file__).resolve().parents[2] / "data"


pytestmark = pytest.mark.browser

TIMEOUT = 90_000  # ms; the first page on a cold server loads data and builds caches


def wait_ready(page: Page) -> None:
    """Wait until the script run has finished and nothing is stale."""
    page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']", timeout=TIMEOUT)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=TIMEOUT)
    expect(page.locator("[data-testid='stException']")).to_have_count(0)


def radio(page: Page, group: str, option: str):
    return page.get_by_role("radiogroup", name=group).get_by_role("radio", name=option, exact=True)


def href(page: Page) -> str:
    # Streamlit updates the address with history.replaceState; page.url can lag behind it.
    return page.evaluate("location.href")


def wait_for_param(page: Page, fragment: str) -> None:
    page.wait_for_function("(s) => location.href.includes(s)", arg=fragment, timeout=TIMEOUT)


def chart_texts(page: Page) -> list[str]:
    return [t.text_content() for t in page.locator(".stPlotlyChart svg text").all()]


REGION_PRELIMINARY = "Regionval 2026: 25 av 26 kommuner är preliminärt räknade (valnatten)"


@lru_cache(maxsize=1)
def _parquet():
    return pd.read_parquet(DATA / "area_totals.parquet"), pd.read_parquet(DATA / "area_votes.parquet")


def share(election: str, year: int, level: str, code: str, party: str = "V") -> float:
    """A party's share (%) of one area, read from data/*.parquet (what the page must show)."""
    totals, votes = _parquet()
    t = totals[(totals.election == election) & (totals.year == year) & (totals.level == level) & (totals.area_code == code)]
    v = votes[(votes.election == election) & (votes.year == year) & (votes.level == level) & (votes.area_code == code)
              & (votes.party == party)]
    return 100 * int(v["votes"].iloc[0]) / int(t["valid_votes"].iloc[0])


def external_requests(page: Page) -> list[str]:
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url) if not r.url.startswith(("http://127.0.0.1", "data:", "blob:")) else None)
    return urls


def test_kommuner_deep_link_change_and_reopen(server, new_browser):
    page = new_browser().new_page()
    outside = external_requests(page)
    # an old link (2018 → 2022) reproduces its view
    page.goto(f"{server}/kommuner?val=Riksdagsval&kommun=Botkyrka&period=2018-2022")
    expect(page.get_by_text("Vald kommun: Botkyrka")).to_be_visible(timeout=TIMEOUT)
    wait_ready(page)
    expect(radio(page, "Val", "Riksdagsval")).to_have_attribute("aria-checked", "true")
    # V, riksdagsvalet 2022, Stockholm city: 71 171 / 606 754
    expect(page.get_by_text("Stockholm: 11,73 %")).to_be_visible()
    # The chrome's component sets lang once its module has loaded, which can be after the run ends.
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.locator(".stPlotlyChart .maplibregl-map, .stPlotlyChart canvas").first).to_be_visible()

    radio(page, "Val", "Regionval").click()
    wait_for_param(page, "val=Regionval")
    expect(page.get_by_text("Stockholm: 16,41 %")).to_be_visible(timeout=TIMEOUT)
    wait_ready(page)
    params = parse_qs(urlsplit(href(page)).query)
    assert params["val"] == ["Regionval"] and params["kommun"] == ["Botkyrka"] and params["period"] == ["2018-2022"]
    assert outside == []  # maps and fonts need no internet

    fresh = new_browser().new_page()
    fresh.goto(href(page))
    expect(fresh.get_by_text("Stockholm: 16,41 %")).to_be_visible(timeout=TIMEOUT)
    wait_ready(fresh)
    expect(radio(fresh, "Val", "Regionval")).to_have_attribute("aria-checked", "true")
    expect(fresh.get_by_text("Vald kommun: Botkyrka")).to_be_visible()
    assert urlsplit(fresh.url).path == "/kommuner"


def test_jamfor_deep_link_change_and_reopen(server, new_browser):
    page = new_browser().new_page()
    page.goto(f"{server}/jamfor?kommuner=Botkyrka&kommuner=Sundbyberg&jmf=F%C3%B6r%C3%A4ndring&period=2018-2022")
    tags = page.locator("[data-testid='stMultiSelectTagsContainer'] [data-tag] span[title]")
    expect(tags).to_have_text(["Botkyrka", "Sundbyberg"], timeout=TIMEOUT)
    wait_ready(page)
    expect(radio(page, "Visa", "Förändring")).to_have_attribute("aria-checked", "true")
    # Botkyrka, riksdagsvalet: 10,33 % 2022 against 9,85 % 2018
    page.wait_for_function("() => document.querySelectorAll('.stPlotlyChart svg text').length > 10", timeout=TIMEOUT)
    texts = chart_texts(page)
    assert "+0,48 p.e." in texts and "−0,13 p.e." in texts and state.COUNTY_REFERENCE in texts

    radio(page, "Jämför år", "2022-2026").click()  # the default: it leaves the address
    page.wait_for_function("() => !location.href.includes('period=')", timeout=TIMEOUT)
    # 2026 exists for every municipality; the region election per municipality is election night
    expect(page.get_by_text(REGION_PRELIMINARY)).to_be_visible(timeout=TIMEOUT)
    wait_ready(page)
    params = parse_qs(urlsplit(href(page)).query)
    assert params["kommuner"] == ["Botkyrka", "Sundbyberg"] and params["jmf"] == ["Förändring"]

    fresh = new_browser(width=390).new_page()
    fresh.goto(href(page))
    tags = fresh.locator("[data-testid='stMultiSelectTagsContainer'] [data-tag] span[title]")
    expect(tags).to_have_text(["Botkyrka", "Sundbyberg"], timeout=TIMEOUT)
    wait_ready(fresh)
    expect(radio(fresh, "Jämför år", "2022-2026")).to_have_attribute("aria-checked", "true")
    expect(fresh.get_by_text(REGION_PRELIMINARY)).to_be_visible()


def test_copy_link_copies_the_current_address(server, new_browser):
    ctx = new_browser(permissions=["clipboard-read", "clipboard-write"])
    page = ctx.new_page()
    page.goto(f"{server}/valdistrikt?kommun=Solna&period=2018-2022")
    expect(page.get_by_text("valdistrikt 2022 fanns med samma kod 2018", exact=False)).to_be_visible(timeout=TIMEOUT)
    wait_ready(page)
    page.get_by_role("button", name="Kopiera länk").click()
    expect(page.get_by_text("Länken är kopierad.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == href(page)
    assert parse_qs(urlsplit(href(page)).query) == {"kommun": ["Solna"], "period": ["2018-2022"]}


def test_click_on_map_marks_municipality_in_url(server, new_browser):
    page = new_browser(height=1200).new_page()
    page.goto(f"{server}/kommuner?val=Riksdagsval")
    page.wait_for_selector(".stPlotlyChart canvas", timeout=TIMEOUT)
    wait_ready(page)
    time.sleep(2)  # the map paints after the script has finished
    box = page.locator(".stPlotlyChart").first.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.45
    page.mouse.move(x, y)
    hover = page.locator(".stPlotlyChart .hoverlayer text").first
    expect(hover).to_contain_text("Förändring", timeout=10_000)
    name = hover.locator("tspan").first.text_content()
    page.mouse.click(x, y)
    expect(page.get_by_text(f"Vald kommun: {name}")).to_be_visible(timeout=TIMEOUT)
    wait_for_param(page, "kommun=")
    assert parse_qs(urlsplit(href(page)).query)["kommun"] == [name]
    expect(page.get_by_role("link", name=f"Valdistrikten i {name}")).to_be_visible()


def test_2026_values_outside_stockholm_city_on_every_page(server, new_browser):
    """Each page opens on 2022 → 2026 and shows 2026 figures of municipalities outside Stockholm
    city, computed here from the Parquet files; preliminary figures say so beside them."""
    page = new_browser(height=1400).new_page()
    # Översikt: the kommun election's ranking (final) and the region's (election night)
    page.goto(f"{server}/")
    expect(page.get_by_role("heading", name="Topplistor per val")).to_be_visible(timeout=TIMEOUT)
    wait_ready(page)
    expect(radio(page, "Jämför år", "2022-2026")).to_have_attribute("aria-checked", "true")
    expect(page.get_by_text(f"Botkyrka {fmt.pct(share('riksdag', 2026, 'municipality', '0127'))}").first).to_be_visible()
    page.get_by_role("tab", name="Regionval").click()
    expect(page.get_by_text(f"Botkyrka {fmt.pct(share('region', 2026, 'municipality', '0127'))} (preliminärt)")
           ).to_be_visible(timeout=TIMEOUT)

    # Kommuner (kommunval 2026, final): Sigtuna's share in the top list
    page.goto(f"{server}/kommuner")
    expect(page.get_by_role("heading", name="Topplistor")).to_be_visible(timeout=TIMEOUT)
    wait_ready(page)
    expect(page.get_by_text(f"Sigtuna: {fmt.pp(share('kommun', 2026, 'municipality', '0191') - share('kommun', 2022, 'municipality', '0191'))}")
           .first).to_be_visible()

    # Jämför: Huddinge's kommun share 2026 on the chart
    page.goto(f"{server}/jamfor")
    page.wait_for_function("() => document.querySelectorAll('.stPlotlyChart svg text').length > 10", timeout=TIMEOUT)
    wait_ready(page)
    assert fmt.pct(share("kommun", 2026, "municipality", "0126")) in chart_texts(page)

    # Valdistrikt: Solna's 2026 districts (preliminary), compared with 2022 where the code exists
    page.goto(f"{server}/valdistrikt?kommun=Solna")
    expect(page.get_by_text("valdistrikt 2026 fanns med samma kod 2022", exact=False)).to_be_visible(timeout=TIMEOUT)
    wait_ready(page)
    expect(page.get_by_text("Preliminärt, valnatten").first).to_be_visible()
    expect(page.locator(".stPlotlyChart .maplibregl-map, .stPlotlyChart canvas").first).to_be_visible()

    # Utskrift: Botkyrka 2026, the region figure marked preliminary
    page.goto(f"{server}/utskrift?kommun=Botkyrka")
    expect(page.get_by_role("heading", name="Botkyrka: Vänsterpartiet 2022 → 2026")).to_be_visible(timeout=TIMEOUT)
    wait_ready(page)
    expect(page.get_by_text("Regionval (prel.)")).to_be_visible()
    expect(page.get_by_text(fmt.pct(share("region", 2026, "municipality", "0127")), exact=True).first).to_be_visible()
    expect(page.get_by_text(fmt.pct(share("kommun", 2026, "municipality", "0127")), exact=True).first).to_be_visible()


def test_valdistrikt_offers_the_nearest_choice(server, new_browser):
    page = new_browser().new_page()
    page.goto(f"{server}/valdistrikt?val=Kommunval&kommun=Solna")
    button = page.get_by_role("button", name="Visa riksdagsvalet 2022 → 2026")
    expect(button).to_be_visible(timeout=TIMEOUT)
    wait_ready(page)
    button.click()
    page.wait_for_function("() => !location.href.includes('val=')", timeout=TIMEOUT)
    expect(page.get_by_text("valdistrikt 2026 fanns med samma kod 2022", exact=False)).to_be_visible(timeout=TIMEOUT)
    wait_ready(page)
    expect(radio(page, "Val", "Riksdagsval")).to_have_attribute("aria-checked", "true")
    assert parse_qs(urlsplit(href(page)).query) == {"kommun": ["Solna"]}


def test_a_hand_typed_link_is_rewritten_to_what_is_shown(server, new_browser):
    """?parti=S&kommun=0127&period=2018_2022 opens S in Botkyrka 2018 → 2022, and the address bar
    says so in the labels a copied link carries; an unknown value is dropped with a notice."""
    page = new_browser(width=390, height=844).new_page()
    page.goto(f"{server}/kommuner?parti=S&kommun=0127&period=2018_2022&val=presidentval")
    expect(page.get_by_text("Vald kommun: Botkyrka")).to_be_visible(timeout=TIMEOUT)
    wait_ready(page)
    expect(page.get_by_text("”presidentval” i länken (val=) känns inte igen – sidan visar Kommunval.")).to_be_visible()
    page.wait_for_function("() => location.href.includes('parti=')", timeout=TIMEOUT)
    assert parse_qs(urlsplit(href(page)).query) == {
        "parti": ["Arbetarepartiet-Socialdemokraterna"], "kommun": ["Botkyrka"], "period": ["2018-2022"]}
    expect(radio(page, "Jämför år", "2018-2022")).to_have_attribute("aria-checked", "true")

