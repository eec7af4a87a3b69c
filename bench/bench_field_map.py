"""The field map (issue 19): server time per rerun for one viewer, and where the geometry goes.

    python bench/bench_field_map.py                 # writes the section "Field map" of RESULTS.md
    python bench/bench_field_map.py --runs 5 --changes 2 --no-write   # a smoke run

1. Protocol (bench/load/protocol.py, as scenario (a) of bench.load): the production launcher
   `python -m dashboard serve` with a password and its own data folder holding the synthetic
   demo set (54 cabins with positions, 312 door-knocking rows, 31 associations), warmed. One
   viewer logs in over the protocol, opens each field-map view by deep link and reruns it
   `--runs` times: p50 / p95 / max ms per rerun (server time, issue 8's one-viewer targets
   p50 ≤ 25 ms and p95 ≤ 60 ms), server CPU per rerun, KB per rerun. Then it changes the
   colour measure and the radius `--changes` times: KB per change, and how many messages carry
   district geometry (a deck.gl spec with coordinates in it): none should.
2. Browser (Playwright, Debian Chromium), on the same server: one browser opens the map, changes
   measure and radius, reloads, and opens a second tab; Chrome's own network events (CDP) count
   the fetches of the district GeoJSON and the bytes that came over the wire for each step.

Every server runs on a free 127.0.0.1 port and is stopped afterwards; nothing leaves the machine.
"""
from __future__ import annotations

import argparse
import asyncio
import math
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from streamlit.proto.BackMsg_pb2 import BackMsg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "src"))

from bench.load.protocol import PageView, Viewer  # noqa: E402
from bench.load.scenarios import percentile  # noqa: E402
from bench.load.server import AppServer, Sampler  # noqa: E402

PASSWORD = "bänkens lösenord"
GEOJSON = "valdistrikt_01_2022.geojson"
# (label, url path, deep link, selectors to change: URL key -> options cycled through)
VIEWS = [
    ("Valstugor, hela länet", "valstugor", "", {"farg": None, "radie": None}),
    ("Valstugor, Sundbyberg + valt distrikt", "valstugor",
     "kommun=Sundbyberg&distrikt=Hallonbergen+1+%2801830114%29&radie=2+km", {"farg": None}),
    ("Aktiviteter, valdistrikt (var knacka)", "aktiviteter", "vy=Valdistrikt&val=Riksdagsval", {"farg": None}),
]
TIMEOUT = 120.0


@dataclass
class FieldViewer(Viewer):
    """A viewer that can log in (the login form's widgets) and sees deck.gl specs."""

    inputs: dict[str, str] = field(default_factory=dict)  # label -> widget id
    buttons: dict[str, str] = field(default_factory=dict)
    deck_sizes: list[int] = field(default_factory=list)
    deck_with_geometry: int = 0

    def _inspect(self, el, view: PageView) -> None:
        super()._inspect(el, view)
        kind = el.WhichOneof("type")
        if kind == "text_input":
            self.inputs[el.text_input.label] = el.text_input.id
        elif kind == "button":
            self.buttons[el.button.label] = el.button.id
        elif kind == "deck_gl_json_chart":
            spec = el.deck_gl_json_chart.json
            self.deck_sizes.append(len(spec))
            if '"coordinates"' in spec:
                self.deck_with_geometry += 1

    async def login(self, page: str, query: str) -> PageView:
        """Open `page` (shows the login), submit the password; the same page then opens."""
        first = await self.open(page, query)
        if "Lösenord" not in self.inputs:
            raise RuntimeError(f"no login form on /{page}: {first.failure or 'unexpected page'}")
        msg = BackMsg()
        pw = msg.rerun_script.widget_states.widgets.add()
        pw.id, pw.string_value = self.inputs["Lösenord"], PASSWORD
        go = msg.rerun_script.widget_states.widgets.add()
        go.id, go.trigger_value = self.buttons["Logga in"], True
        return await self._run(page, "login", page_hash=self.page_hash, widget_msg=msg)


def ms(values: list[float]) -> str:
    return " / ".join(f"{percentile(values, q):.1f}" for q in (50, 95, 100))


async def protocol_part(base_ws: str, sampler: Sampler, runs: int, changes: int) -> tuple[list[str], dict]:
    rows, worst = [], {"p50": 0.0, "p95": 0.0, "geometry": 0, "deck_kb": 0.0}
    for label, page, query, selectors in VIEWS:
        v = FieldViewer(base_ws, timeout=TIMEOUT)
        try:
            opened = await v.login(page, query)
            if opened.failure or page not in v.pages:
                raise RuntimeError(f"{label}: login failed ({opened.failure or 'page not registered'})")
            await v.navigate(page, query, step="rerun")  # the first run after login fills the caches
            cpu0 = sampler.cpu_seconds()
            reruns = [await v.navigate(page, query, step="rerun") for _ in range(runs)]
            cpu_ms = (sampler.cpu_seconds() - cpu0) * 1000 / max(1, runs)
            failed = [r.failure for r in reruns if not r.ok]
            if failed:
                raise RuntimeError(f"{label}: {failed[0]}")
            times = [r.ms for r in reruns]
            change_views = []
            for i in range(changes):
                for key in selectors:
                    view = await v.change(key, lambda opts, i=i: opts[i % len(opts)])
                    if view is not None:
                        if not view.ok:
                            raise RuntimeError(f"{label}: changing ?{key}= failed: {view.failure}")
                        change_views.append(view)
            kb_rerun = sum(r.bytes for r in reruns) / max(1, len(reruns)) / 1024
            kb_change = (sum(c.bytes for c in change_views) / len(change_views) / 1024) if change_views else math.nan
            rows.append(f"| {label} | {ms(times)} | {cpu_ms:.1f} | {kb_rerun:.1f} | "
                        f"{kb_change:.1f} ({len(change_views)}) | {max(v.deck_sizes) / 1024:.0f} | "
                        f"{v.deck_with_geometry} |")
            worst["p50"] = max(worst["p50"], percentile(times, 50))
            worst["p95"] = max(worst["p95"], percentile(times, 95))
            worst["geometry"] += v.deck_with_geometry
            worst["deck_kb"] = max(worst["deck_kb"], max(v.deck_sizes) / 1024)
        finally:
            await v.close()
    return rows, worst


def browser_part(base: str, changes: int) -> list[str]:
    """Network fetches and wire bytes of the district GeoJSON, per step, in one Chromium."""
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("VALRUMMET_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    steps: list[tuple[str, list[dict]]] = []

    def watch(page) -> list[dict]:
        log: list[dict] = []
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        urls: dict[str, str] = {}
        cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
        cdp.on("Network.responseReceived", lambda e: log.append({"id": e["requestId"], "cache": bool(
            e["response"].get("fromDiskCache") or e["response"].get("fromMemoryCache"))})
            if GEOJSON in e["response"]["url"] else None)
        cdp.on("Network.requestServedFromCache", lambda e: log.append({"id": e["requestId"], "cache": True})
               if GEOJSON in urls.get(e["requestId"], "") else None)
        cdp.on("Network.loadingFinished", lambda e: log.append({"id": e["requestId"], "bytes": e["encodedDataLength"]})
               if GEOJSON in urls.get(e["requestId"], "") else None)
        return log

    def ready(page) -> None:
        page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=TIMEOUT * 1000)

    def login(page, url: str) -> None:
        page.goto(url)
        page.get_by_label("Lösenord").fill(PASSWORD)
        page.get_by_role("button", name="Logga in").click()
        page.locator("[data-testid='stDeckGlJsonChart'] canvas").first.wait_for(timeout=TIMEOUT * 1000)
        ready(page)
        time.sleep(3)  # deck.gl fetches the layers' data once the chart is mounted

    with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        ctx = p.chromium.launch_persistent_context(profile, executable_path=chromium, headless=True,
                                                   args=["--no-sandbox", "--disable-gpu"],
                                                   viewport={"width": 1280, "height": 900})
        try:
            page = ctx.new_page()
            log = watch(page)
            login(page, f"{base}/valstugor")
            steps.append(("first visit (empty cache)", list(log)))
            log.clear()
            for i in range(changes):
                page.get_by_role("combobox", name="Färga efter").click()
                page.get_by_role("option", name=["Förändring", "Valdeltagande", "Mobilisering", "Andel"][i % 4]).click()
                ready(page)
                page.locator(".st-key-radie").get_by_text(["2 km", "500 m", "1 km"][i % 3], exact=True).click()
                ready(page)
            time.sleep(2)
            steps.append((f"{2 * changes} selector changes (reruns)", list(log)))
            log.clear()
            page.reload()
            login(page, page.url)
            steps.append(("reload of the tab", list(log)))
            other = ctx.new_page()
            log2 = watch(other)
            login(other, f"{base}/valstugor")
            steps.append(("a second tab, same browser", list(log2)))
        finally:
            ctx.close()

    rows = []
    for name, log in steps:
        ids = {e["id"] for e in log}
        net = sum(e.get("bytes", 0) for e in log)
        cached = {e["id"] for e in log if e.get("cache")}
        rows.append(f"| {name} | {len(ids)} | {len(ids - cached)} | {net / 1024:.0f} |")
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=50, help="reruns per view")
    ap.add_argument("--changes", type=int, default=6, help="rounds of selector changes per view")
    ap.add_argument("--no-browser", action="store_true", help="skip the Playwright part")
    ap.add_argument("--no-write", action="store_true", help="print only, do not touch bench/RESULTS.md")
    args = ap.parse_args(argv)

    from dashboard.auth import hash_password
    from dashboard.warm import DONE
    from tests.test_internal_pages import make_data_dir

    tmp = Path(tempfile.mkdtemp(prefix="bench-field-"))
    data = make_data_dir(tmp)
    os.environ["VALRUMMET_DATA_DIR"] = str(data)
    from dashboard.activity import demo

    demo.load_demo()
    env = {"VALRUMMET_PASSWORD_HASH": hash_password(PASSWORD), "VALRUMMET_DATA_DIR": str(data)}
    with AppServer(launcher="serve", env=env, log_path=tmp / "serve.log", wait_for_log=DONE) as srv:
        sampler = Sampler([srv.pid]).start()
        try:
            rows, worst = asyncio.run(protocol_part(srv.ws_url, sampler, args.runs, args.changes))
        finally:
            sampler.stop()
        browser_rows = [] if args.no_browser else browser_part(srv.url, max(1, args.changes // 2))
    shutil.rmtree(tmp, ignore_errors=True)

    met = worst["p50"] <= 25 and worst["p95"] <= 60
    lines = [
        f"One viewer, logged in, {args.runs} reruns per view after a first run (server time over the protocol, "
        "ms p50 / p95 / max); then the colour measure and the radius changed in turn. Synthetic demo data "
        "(54 cabins with positions).",
        "",
        "| view | rerun ms p50 / p95 / max | server CPU ms per rerun | KB per rerun | KB per change (changes) | "
        "deck spec KB (largest) | messages with district geometry |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
        f"Target (issue 8, one viewer): p50 ≤ 25 ms, p95 ≤ 60 ms per rerun — **{'met' if met else 'not met'}** "
        f"(slowest p50 {worst['p50']:.1f} ms, p95 {worst['p95']:.1f} ms). District geometry in the messages: "
        f"{worst['geometry']} (the layers load `static/geo/{GEOJSON}` by URL; a spec carries only the colours, "
        f"at most {worst['deck_kb']:.0f} KB).",
    ]
    if browser_rows:
        lines += [
            "",
            f"Browser (Chromium, one profile): fetches of `{GEOJSON}` per step (both district layers share one), "
            "counted from Chrome's network events, and the bytes that came over the wire (compressed; "
            "0 = from the browser's cache).",
            "",
            "| step | fetches | from the network | KB over the wire |",
            "|---|---:|---:|---:|",
            *browser_rows,
        ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        sys.path.insert(0, str(REPO / "bench"))
        from _results import write_section

        write_section("Field map (bench/bench_field_map.py)", text)
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
