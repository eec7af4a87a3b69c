"""The field map in a real browser (issue 19): it renders with no request leaving the server, a
logged-in organiser clicks a voting district and places a cabin there, and after a reload and in
a fresh browser the cabin is there and the coverage changed as computed here, independently.

The server is `python -m dashboard serve` with a password and its own data folder (the
synthetic demo set, so every cabin has a position); the store it writes is a temporary folder.
"""
from __future__ import annotations

import math
import re
import time

import numpy as np
import pandas as pd
import pytest
import shapely
from playwright.sync_api import Page, expect
from pyproj import Transformer

from dashboard import activity, db, field, fmt
from dashboard import activity_analysis as aa
from dashboard import field_ui as fu
from dashboard.auth import hash_password
from tests.test_internal_pages import make_data_dir
from tests.test_protocol_access import serve

pytestmark = pytest.mark.browser

TIMEOUT = 90_000
PASSWORD = "fältkartans testlösenord"
KOMMUN = "0183"  # Sundbyberg
TO_SWEREF = Transformer.from_crs("EPSG:4326", "EPSG:3006", always_xy=True)


@pytest.fixture(scope="module")
def field_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("field")
    data = make_data_dir(tmp)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VALRUMMET_DATA_DIR", str(data))
        from dashboard.activity import demo

        demo.load_demo()
        with serve(tmp, env={"VALRUMMET_PASSWORD_HASH": hash_password(PASSWORD), "VALRUMMET_DATA_DIR": str(data)}) as base:
            yield base, data


def wait_ready(page: Page) -> None:
    page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']", timeout=TIMEOUT)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=TIMEOUT)
    expect(page.locator("[data-testid='stException']")).to_have_count(0)


def open_logged_in(page: Page, url: str) -> None:
    """The login lasts for the tab's session: every new load asks again, then opens the same URL."""
    page.goto(url)
    expect(page.get_by_label("Lösenord")).to_be_visible(timeout=TIMEOUT)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("heading", name="Var står valstugorna – och var saknas de?")).to_be_visible(timeout=TIMEOUT)
    wait_ready(page)


def metric(page: Page, label: str) -> str:
    box = page.locator("[data-testid='stMetric']").filter(has_text=label).first
    return box.locator("[data-testid='stMetricValue']").inner_text().strip()


def watch_outside(page: Page, outside: list[str]) -> None:
    page.on("request", lambda r: outside.append(r.url)
            if not r.url.startswith(("http://127.0.0.1", "data:", "blob:")) else None)


def expected_coverage(radius: float = 1000) -> float:
    """Share (%) of the county's kommun-2022 electorate in districts whose centre is within
    `radius` of a cabin, from the stored cabin file: shapely distances, plain sums."""
    cabins = aa.for_campaign(activity.cabins(), 2022)
    x, y = TO_SWEREF.transform(cabins["lon"].to_numpy(), cabins["lat"].to_numpy())
    points = shapely.points(x, y)
    c = field.load_centres()
    centres = shapely.points(c["x"].to_numpy(), c["y"].to_numpy())
    nearest = shapely.distance(centres[:, None], points[None, :]).min(axis=1)
    elig = db.sql("SELECT area_code AS district_code, eligible FROM area_totals WHERE election = 'kommun' "
                  "AND year = 2022 AND level = 'district' AND county_code = '01' AND NOT is_collection")
    e = c[["district_code"]].assign(m=nearest).merge(elig, on="district_code", how="left")
    e = e[pd.to_numeric(e["eligible"], errors="coerce") > 0]
    return float(e.loc[e["m"] <= radius, "eligible"].sum() / e["eligible"].sum() * 100)


def pick_target() -> pd.Series:
    """A Sundbyberg district whose centre is more than 1 km from every cabin (so a cabin there
    changes the coverage) and whose placing point is clear of the cabin markers."""
    cabins = aa.for_campaign(activity.cabins(), 2022)
    cx, cy = TO_SWEREF.transform(cabins["lon"].to_numpy(), cabins["lat"].to_numpy())
    c = field.load_centres()
    here = c[c["kommunkod"] == KOMMUN].copy()
    px, py = TO_SWEREF.transform(here["place_lon"].to_numpy(), here["place_lat"].to_numpy())
    here["centre_m"] = field.distance_matrix(here["x"], here["y"], cx, cy).min(axis=1)
    here["marker_m"] = field.distance_matrix(px, py, cx, cy).min(axis=1)
    ok = here[(here["centre_m"] > 1100) & (here["marker_m"] > 400)]
    assert len(ok), "no district in Sundbyberg is far enough from the demo cabins"
    return ok.sort_values("area_km2", ascending=False).iloc[0]


def screen_point(page: Page, lon: float, lat: float) -> tuple[float, float]:
    """Where (lon, lat) is on the map canvas (web mercator, 512-px tiles, the app's initial view)."""
    center, zoom = fu.view(KOMMUN)
    lon0, lat0, zoom = round(center["lon"], 5), round(center["lat"], 5), round(zoom, 2)

    def merc(lo: float, la: float) -> tuple[float, float]:
        size = 512 * 2**zoom
        return ((lo + 180) / 360 * size,
                (1 - math.log(math.tan(math.pi / 4 + math.radians(la) / 2)) / math.pi) / 2 * size)

    (x0, y0), (x1, y1) = merc(lon0, lat0), merc(lon, lat)
    box = page.locator("[data-testid='stDeckGlJsonChart'] canvas").first.bounding_box()
    return box["x"] + box["width"] / 2 + (x1 - x0), box["y"] + box["height"] / 2 + (y1 - y0)


def test_place_a_cabin_by_clicking_a_district(field_server, new_browser, screenshot_dir, monkeypatch):
    base, data = field_server
    monkeypatch.setenv("VALRUMMET_DATA_DIR", str(data))  # read the server's store from here
    target = pick_target()
    code, name = target["district_code"], target["district_name"]
    before_pct = expected_coverage()
    n_before = len(aa.for_campaign(activity.cabins(), 2022))

    outside: list[str] = []
    page = new_browser(1440, 900).new_page()
    watch_outside(page, outside)
    open_logged_in(page, f"{base}/valstugor?kommun=Sundbyberg")
    chart = page.locator("[data-testid='stDeckGlJsonChart']").first
    chart.scroll_into_view_if_needed()
    expect(chart.locator("canvas").first).to_be_visible(timeout=TIMEOUT)
    assert metric(page, "Röstberättigade inom 1 km") == fmt.pct(before_pct, 1)
    assert metric(page, "Valstugor i data (2022)") == fmt.integer(n_before)
    time.sleep(3)  # the geometry arrives by URL after the chart mounts
    page.screenshot(path=str(screenshot_dir / "faltkarta_1440.png"))

    x, y = screen_point(page, target["place_lon"], target["place_lat"])
    page.mouse.move(x, y)
    expect(page.locator(".deck-tooltip")).to_contain_text(name, timeout=TIMEOUT)  # hovering names the district
    page.mouse.click(x, y)
    card = page.locator(".st-key-falt_distrikt")
    expect(card).to_contain_text(f"{name} (Sundbyberg, valdistrikt {code})", timeout=TIMEOUT)
    wait_ready(page)
    assert f"({code})" in page.evaluate("decodeURIComponent(location.href)").replace("+", " ")
    expect(page.get_by_label("Namn")).to_have_value(f"Valstuga i {name}")
    page.get_by_role("button", name="Placera valstugan här").click()
    expect(page.get_by_text(f"Sparat: ny valstuga ”Valstuga i {name}”")).to_be_visible(timeout=TIMEOUT)
    wait_ready(page)

    # the store has the cabin where the district's placing point is, and the coverage moved as computed
    cabins = aa.for_campaign(activity.cabins(), 2022)
    placed = cabins[cabins["namn"] == f"Valstuga i {name}"]
    assert len(placed) == 1 and len(cabins) == n_before + 1
    assert (placed["lat"].iloc[0], placed["lon"].iloc[0]) == pytest.approx((target["place_lat"], target["place_lon"]))
    after_pct = expected_coverage()
    assert after_pct > before_pct
    assert metric(page, "Röstberättigade inom 1 km") == fmt.pct(after_pct, 1)
    assert metric(page, "Valstugor i data (2022)") == fmt.integer(n_before + 1)
    url = page.evaluate("location.href")
    assert "stuga=" in url
    # the cabin stands on the district's placing point: its distance from the centre, as the card says it
    px, py = TO_SWEREF.transform(target["place_lon"], target["place_lat"])
    km = fmt.number(math.hypot(px - target["x"], py - target["y"]) / 1000, 1)

    def check(p: Page) -> None:
        assert metric(p, "Valstugor i data (2022)") == fmt.integer(n_before + 1)
        assert metric(p, "Med känd position") == f"{n_before + 1} av {n_before + 1}"
        assert metric(p, "Röstberättigade inom 1 km") == fmt.pct(after_pct, 1)
        expect(p.locator(".st-key-falt_distrikt")).to_contain_text(f"närmaste valstuga: Valstuga i {name}, {km} km")
        expect(p.get_by_role("combobox", name="Vald valstuga")).to_have_value(f"Valstuga i {name} (Sundbyberg)")

    page.reload()  # a reload asks for the password again, then shows the same view
    expect(page.get_by_label("Lösenord")).to_be_visible(timeout=TIMEOUT)
    open_logged_in(page, url)
    check(page)

    fresh = new_browser(1440, 900).new_page()  # another browser: nothing cached, nothing in its session
    watch_outside(fresh, outside)
    open_logged_in(fresh, url)
    check(fresh)
    fresh.set_viewport_size({"width": 1440, "height": 5200})  # the whole page (it scrolls inside)
    time.sleep(3)
    fresh.screenshot(path=str(screenshot_dir / "faltkarta_1440_hela.png"))
    assert outside == []  # no map tiles, styles or fonts from outside: the map needs no internet


def test_geometry_is_fetched_once_and_the_page_fits_a_phone(field_server, new_browser, screenshot_dir):
    base, _ = field_server
    fetched: list[str] = []
    outside: list[str] = []
    page = new_browser(390, 844).new_page()
    watch_outside(page, outside)
    page.on("requestfinished", lambda r: fetched.append(r.url) if r.url.endswith(".geojson") else None)
    open_logged_in(page, f"{base}/valstugor")
    expect(page.locator("[data-testid='stDeckGlJsonChart'] canvas").first).to_be_visible(timeout=TIMEOUT)
    # both files, finished (the district file is the larger one: waiting for the municipalities
    # alone raced under load)
    want = [f"{base}/app/static/geo/kommuner.geojson", f"{base}/app/static/geo/valdistrikt_01_2022.geojson"]
    deadline = time.monotonic() + TIMEOUT / 1000
    while not set(want) <= set(fetched) and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    first = sorted(set(fetched))
    assert first == want
    fetched.clear()
    # other colours, another radius: reruns send colours, not shapes
    page.get_by_role("combobox", name="Färga efter").click()
    page.get_by_role("option", name="Förändring").click()
    wait_ready(page)
    page.locator(".st-key-radie").get_by_text("2 km", exact=True).click()
    wait_ready(page)
    time.sleep(2)
    assert fetched == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert re.search(r"farg=F%C3%B6r%C3%A4ndring|farg=Förändring", page.evaluate("location.href"))
    # the page's whole length at phone width (Streamlit scrolls inside the page, so a tall window)
    page.set_viewport_size({"width": 390, "height": 7000})
    time.sleep(2)
    page.screenshot(path=str(screenshot_dir / "faltkarta_390.png"))

    # the gaps of one association, printed: only that part of the page is on the paper
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_text("Utskrift: luckorna för en förening").click()
    sheet = page.locator(".st-key-falt_utskrift")
    expect(sheet.get_by_role("heading")).to_contain_text("Luckor i ", timeout=TIMEOUT)
    wait_ready(page)
    page.emulate_media(media="print")
    visible = page.evaluate("""() => [document.querySelector('h1'), document.querySelector('.st-key-falt_utskrift h3')]
        .map(e => getComputedStyle(e).visibility)""")
    assert visible == ["hidden", "visible"]
    page.screenshot(path=str(screenshot_dir / "faltkarta_luckor_utskrift.png"))
    pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    (screenshot_dir / "faltkarta_luckor_utskrift.pdf").write_bytes(pdf)
    assert len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf)) >= 1
    page.emulate_media(media="screen")
    assert outside == []


@pytest.fixture(scope="module")
def tile_server():
    """A local raster tile server: every tile is the same light-grey PNG; the paths asked for are kept."""
    import http.server
    import io
    import threading

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (256, 256), (235, 235, 228)).save(buf, format="PNG")
    tile, asked = buf.getvalue(), []

    class Tiles(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(tile)))
            self.send_header("Access-Control-Allow-Origin", "*")
            self.end_headers()
            self.wfile.write(tile)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Tiles)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", asked
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_base_map_only_when_a_tile_url_is_configured(field_server, tile_server, tmp_path_factory, new_browser,
                                                     screenshot_dir):
    tiles, asked = tile_server
    _, data = field_server
    tmp = tmp_path_factory.mktemp("tiles")
    env = {"VALRUMMET_PASSWORD_HASH": hash_password(PASSWORD), "VALRUMMET_DATA_DIR": str(data),
           "VALRUMMET_TILE_URL": tiles + "/{z}/{x}/{y}.png", "VALRUMMET_TILE_ATTRIBUTION": "Testkarta"}
    outside: list[str] = []
    with serve(tmp, env=env) as base:
        page = new_browser(1280, 900).new_page()
        watch_outside(page, outside)
        open_logged_in(page, f"{base}/valstugor?kommun=Sundbyberg")
        expect(page.locator("[data-testid='stDeckGlJsonChart'] canvas").first).to_be_visible(timeout=TIMEOUT)
        page.wait_for_function(f"performance.getEntriesByType('resource').some(e => e.name.startsWith('{tiles}/'))",
                               timeout=TIMEOUT)
        expect(page.get_by_text("Testkarta")).to_be_visible(timeout=TIMEOUT)  # the provider's attribution
        page.locator("[data-testid='stDeckGlJsonChart']").first.screenshot(path=str(screenshot_dir / "faltkarta_bakgrund.png"))
    assert asked and all(re.fullmatch(r"/\d+/\d+/\d+\.png", p) for p in asked)
    assert outside == []  # the tiles came from the configured (local) server, nothing else from outside
