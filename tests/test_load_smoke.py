"""Smoke version of the load benchmark (bench/load): the real app under a few simulated viewers.

`streamlit run app.py` on a free 127.0.0.1 port; three viewers at once open every page by its
deep link and change a selector there; between them they also reach every page by the menu.
Every page view must finish without an exception element, an `st.error`, a page-not-found, a
timeout or a connection error. The same crowd on a cold production server (empty database
cache, viewers from the first health answer) checks that its warm-up gives way to them. No
timing assertions.
"""
from __future__ import annotations

import asyncio
import concurrent.futures

import pytest

from bench.load.plan import pick, plan_for
from bench.load.protocol import Viewer, discover
from bench.load.server import AppServer

pytestmark = pytest.mark.slow

PUBLIC_PAGES = {"Översikt", "Kommuner", "Jämför", "Valdistrikt", "Om data"}
VIEWERS = 3
def run_async(coro):
    """asyncio.run in a fresh thread: Playwright's sync API (browser tests in the same session)
    keeps an event loop running in the main thread, where asyncio.run would refuse."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


TIMEOUT = 60.0  # per page view; a cold first run imports pandas, plotly and loads the warehouse


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    log = tmp_path_factory.mktemp("load_smoke") / "streamlit.log"
    srv = AppServer(log_path=log, start_timeout=90)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()
    assert srv.proc.poll() is not None, "the streamlit server is still running"


async def _viewer(base_ws: str, pages: list[str], i: int) -> list:
    views = []
    v = Viewer(base_ws, timeout=TIMEOUT)
    try:
        for page in pages:
            plan = plan_for(page)
            views.append(await v.open(page, plan.query()))
            if plan.change:
                before = views[-1]
                changed = await v.change(plan.change, pick(i))
                if changed is None:  # a page added later, without a selector
                    continue
                if changed.ok and changed.digest == before.digest:
                    changed.failure = f"changing ?{plan.change}= left the page unchanged"
                views.append(changed)
            k = pages.index(page)
            if k % VIEWERS == i:  # between them, the viewers reach every page by the menu once
                views.append(await v.navigate(pages[(k + 1) % len(pages)]))
    finally:
        await v.close()
    return views


async def _crowd(base_ws: str):
    pages, titles = await discover(base_ws, TIMEOUT)
    results = await asyncio.wait_for(
        asyncio.gather(*(_viewer(base_ws, list(pages), i) for i in range(VIEWERS))),
        TIMEOUT * 20,
    )
    return pages, titles, [v for r in results for v in r]


def test_every_page_serves_a_few_viewers_without_failures(server):
    pages, titles, views = run_async(_crowd(server.ws_url))

    assert PUBLIC_PAGES <= set(titles.values())
    # Every page was opened by deep link by every viewer and reached once by the menu.
    assert all([v.page for v in views if v.step == "deeplink"].count(p) == VIEWERS for p in pages)
    assert {v.page for v in views if v.step == "nav"} == set(pages)
    # Every viewer changed a selector on each page the plan gives one (at least the four
    # pages with choices: Översikt, Kommuner, Jämför, Valdistrikt).
    planned = [p for p in pages if plan_for(p).change not in (None, "*")]
    assert len(planned) >= 4
    changed = [v.page for v in views if v.step == "change"]
    assert all(changed.count(p) == VIEWERS for p in planned)
    failures = [f"{titles.get(v.page, v.page)} ({v.step}): {v.failure}" for v in views if not v.ok]
    assert failures == []
    assert all(v.bytes > 0 and v.digest for v in views)


def test_a_cold_production_server_serves_at_once_and_its_warm_up_gives_way(tmp_path):
    """`python -m dashboard serve` with an empty database cache folder: viewers arrive the
    moment health answers and every view succeeds; the database and every public page's
    default view were ready before health answered (nothing built at the first query), and the
    warm-up paused for the page runs instead of running beside them (its log says so)."""
    from dashboard.startup import FIRST_VIEWS, READY
    from dashboard.warm import PAUSED

    log = tmp_path / "serve.log"
    srv = AppServer(launcher="serve", log_path=log, start_timeout=180,
                    env={"VALRUMMET_DB_CACHE": str(tmp_path / "cache"), "PYTHONUNBUFFERED": "1"})
    srv.start()  # returns the moment /_stcore/health answers
    try:
        before_health = log.read_text(encoding="utf-8", errors="replace")
        ready_before_health = READY in before_health and FIRST_VIEWS in before_health
        pages, titles, views = run_async(_crowd(srv.ws_url))
    finally:
        srv.stop()
    text = log.read_text(encoding="utf-8", errors="replace")
    failures = [f"{titles.get(v.page, v.page)} ({v.step}): {v.failure}" for v in views if not v.ok]
    assert failures == []
    assert PUBLIC_PAGES <= set(titles.values())
    assert ready_before_health and "databasen öppen" in text, text[-2000:]
    assert PAUSED in text, text[-2000:]
    assert list((tmp_path / "cache").glob("*.duckdb")), "the database file was built in the cache folder"


TOY_APP = '''
import streamlit as st

def ok():
    st.selectbox("Färg", ["röd", "blå"], key="farg", bind="query-params")
    st.write("Vald färg:", st.session_state.get("farg"))

def broken():
    raise ValueError("trasig sida")

def shown_error():
    st.error("Data saknas")

st.navigation([
    st.Page(ok, title="Bra", url_path="bra", default=True),
    st.Page(broken, title="Trasig", url_path="trasig"),
    st.Page(shown_error, title="Fel", url_path="fel"),
]).run()
'''


def test_client_counts_a_raising_page_as_failed_although_it_finished(tmp_path):
    """The protocol says "finished successfully" for a page whose script raised; the client must not."""
    (tmp_path / "app.py").write_text(TOY_APP, encoding="utf-8")

    async def visit(base_ws):
        v = Viewer(base_ws, timeout=TIMEOUT)
        try:
            good = await v.open("", "farg=röd")  # the default page lives at "/"
            changed = await v.change("farg")
            raised = await v.navigate("trasig")
            error = await v.open("fel")
            missing = await v.open("finns-inte")
        finally:
            await v.close()
        return good, changed, raised, error, missing

    with AppServer(repo=tmp_path, log_path=tmp_path / "streamlit.log") as srv:
        good, changed, raised, error, missing = run_async(visit(srv.ws_url))

    assert good.failure == ""
    assert changed.failure == "" and changed.digest != good.digest
    assert raised.failure == "exception: ValueError: trasig sida"
    assert error.failure == "error shown: Data saknas"
    assert missing.failure == "page not found: "


def test_a_soak_run_alone_reports_only_the_soak_target():
    from bench.load import report
    from bench.load.scenarios import Result

    table = report.targets({("s", "tuned"): Result("s", "tuned")}, {"soak": "+10 MB", "soak_ok": "yes"})
    assert "| no growth > 50 MB over a 10-minute soak | +10 MB | – | **met** |" in table
    assert "(d)" not in table  # the crowd scenarios have their own section
