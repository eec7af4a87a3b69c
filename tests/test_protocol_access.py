"""Access and robustness at the protocol level, against `python -m dashboard serve`.

A real server (production launcher, built-in login configured) on a free loopback port, driven
over Streamlit's websocket protocol with the protobuf classes Streamlit ships
(shared/docs/load-testing.md): an anonymous session must not receive any internal page's name,
its internal URLs show the login instead, the launcher's settings reach the client, and 100
`clear_cache` messages from one client must not slow the pages of other sessions.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.NewSession_pb2 import Config

from bench.load.server import free_port
from bench.load.stack import stop, wait_healthy
from dashboard.page_registry import INTERNAL_PAGES

REPO = Path(__file__).resolve().parents[1]
PUBLIC_TITLES = {"Översikt", "Kommuner", "Jämför", "Valdistrikt", "Kalender", "Om data", "Utskrift", "Logga in"}
TIMEOUT = 90.0
# A fixed test password; its hash is made at start-up and given to the server in the environment.
PASSWORD = "rätt häftig lösenfras 2026"


_LOGS: dict[str, Path] = {}  # base URL -> the server's log


def wait_warm(base: str, timeout: float = 900) -> None:
    """Until the server's background warm-up has finished: it fills caches as it goes."""
    from dashboard.warm import DONE

    deadline = time.monotonic() + timeout
    while DONE not in _LOGS[base].read_text(encoding="utf-8", errors="replace"):
        assert time.monotonic() < deadline, f"the warm-up did not finish in {timeout:.0f} s"
        time.sleep(1)


@contextmanager
def serve(tmp: Path, env: dict[str, str] | None = None, args: list[str] = ()):
    """`python -m dashboard serve` on a free port; yields the base URL; always stopped."""
    port = free_port()
    log = tmp / f"serve-{port}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dashboard", "serve", "--port", str(port), *args],
            cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        )
    base = f"http://127.0.0.1:{port}"
    _LOGS[base] = log
    try:
        wait_healthy(base, proc, log)
        yield base
    finally:
        stop(proc)


# --- a minimal protocol client --------------------------------------------------------------


@dataclass
class Run:
    """What one page run sent to the client."""

    raw: list[bytes] = field(default_factory=list)
    msgs: list[ForwardMsg] = field(default_factory=list)
    ms: float = 0.0

    def of(self, kind: str) -> list[ForwardMsg]:
        return [m for m in self.msgs if m.WhichOneof("type") == kind]

    @property
    def pages(self) -> dict[str, str]:
        """url path -> title from the latest navigation (or new_session) message."""
        pages = {}
        for m in self.msgs:
            kind = m.WhichOneof("type")
            if kind in ("new_session", "navigation"):
                app_pages = getattr(m, kind).app_pages
                if app_pages:
                    pages = {p.url_pathname: p.page_name for p in app_pages}
        return pages

    def elements(self) -> list:
        return [m.delta.new_element for m in self.msgs
                if m.WhichOneof("type") == "delta" and m.delta.WhichOneof("type") == "new_element"]

    def texts(self) -> list[str]:
        out = []
        for el in self.elements():
            kind = el.WhichOneof("type")
            if kind in ("heading", "markdown", "alert", "text"):
                out.append(getattr(el, kind).body)
        return out

    def exceptions(self) -> list[str]:
        return [f"{el.exception.type}: {el.exception.message}" for el in self.elements()
                if el.WhichOneof("type") == "exception"]


class Client:
    """One browser tab: a websocket session."""

    def __init__(self, base: str):
        self.ws_url = base.replace("http://", "ws://", 1) + "/_stcore/stream"
        self.origin = base
        self.ws = None

    async def __aenter__(self) -> "Client":
        self.ws = await asyncio.wait_for(websockets.connect(
            self.ws_url, subprotocols=["streamlit"], origin=self.origin, max_size=None,
            compression=None, ping_interval=None, open_timeout=TIMEOUT), TIMEOUT)
        return self

    async def __aexit__(self, *exc) -> None:
        await self.ws.close()

    async def send(self, msg: BackMsg) -> None:
        await self.ws.send(msg.SerializeToString())

    async def run(self, page_name: str = "", query: str = "", page_hash: str = "") -> Run:
        msg = BackMsg()
        msg.rerun_script.query_string = query
        msg.rerun_script.page_name = page_name
        msg.rerun_script.page_script_hash = page_hash
        t0 = time.monotonic()
        await self.send(msg)
        run = Run()
        await asyncio.wait_for(self._read(run), TIMEOUT)
        run.ms = (time.monotonic() - t0) * 1000
        return run

    async def _read(self, run: Run) -> None:
        while True:
            raw = await self.ws.recv()
            fm = ForwardMsg()
            fm.ParseFromString(raw)
            run.raw.append(raw)
            run.msgs.append(fm)
            if fm.WhichOneof("type") == "script_finished":
                if fm.script_finished == ForwardMsg.ScriptFinishedStatus.FINISHED_EARLY_FOR_RERUN:
                    continue
                return


def run_async(coro):
    """asyncio.run in a worker thread: in a full test run Playwright's sync API keeps an event
    loop running in the main thread, where asyncio.run refuses to start."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def open_page(base: str, page_name: str = "", query: str = "", page_hash: str = "") -> Run:
    async def go() -> Run:
        async with Client(base) as c:
            return await c.run(page_name, query, page_hash)

    return run_async(go())


def internal_names() -> list[str]:
    return [s.title for s in INTERNAL_PAGES] + [s.url_path for s in INTERNAL_PAGES] + ["pages/internal"]


def assert_no_internal_name(run: Run, allow_url: str = "") -> None:
    """No internal title, url path or file name in any message of the run."""
    blob = b"".join(run.raw)
    for name in internal_names():
        if name == allow_url:
            continue
        assert name.encode() not in blob, f"'{name}' reached an anonymous client"


# --- the server under test ----------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from dashboard.auth import hash_password

    tmp = tmp_path_factory.mktemp("serve")
    with serve(tmp, env={"VALRUMMET_PASSWORD_HASH": hash_password(PASSWORD)}) as base:
        yield base


def test_health_endpoint(server):
    with urllib.request.urlopen(f"{server}/_stcore/health", timeout=10) as r:
        assert r.status == 200
        assert r.read().decode().strip() == "ok"


def test_first_anonymous_session_gets_public_pages_only(server):
    # The module's first session: a fresh server, before any session ran app.py's navigation.
    run = open_page(server)
    assert not run.exceptions(), run.exceptions()
    assert set(run.pages.values()) == PUBLIC_TITLES
    assert "Hur gick det i Storstockholm?" in run.texts()
    assert_no_internal_name(run)
    # The launcher's production settings, as the client receives them.
    config = run.of("new_session")[0].new_session.config
    assert config.toolbar_mode == Config.ToolbarMode.VIEWER
    assert config.gather_usage_stats is False
    assert config.allow_run_on_save is False
    assert config.show_error_links == Config.ShowErrorLinks.SHOW_ERROR_LINKS_FALSE


def test_oversikt_by_name_opens_the_overview(server):
    # "/" is the overview; /oversikt (typed, or an older link) must open it too, in a fresh
    # session. It once crashed: the login page claimed the default page's reserved path.
    run = open_page(server, page_name="oversikt", query="parti=Moderaterna")
    assert not run.exceptions(), run.exceptions()
    assert not run.of("page_not_found")
    assert "Hur gick det i Storstockholm?" in run.texts()
    assert any("Moderaterna" in t for t in run.texts())
    assert set(run.pages.values()) == PUBLIC_TITLES


@pytest.mark.parametrize("spec", INTERNAL_PAGES, ids=lambda s: s.url_path)
def test_internal_url_shows_the_login_instead(server, spec):
    run = open_page(server, page_name=spec.url_path)
    assert not run.exceptions(), run.exceptions()
    titles = set(run.pages.values())
    assert titles == PUBLIC_TITLES, titles
    # The login page stands in under the requested path; the page's own content never runs.
    assert run.pages[spec.url_path] == "Logga in"
    texts = run.texts()
    assert "Logga in" in texts
    assert "Sidan du öppnade finns inte, eller så kräver den inloggning." in texts
    assert_no_internal_name(run, allow_url=spec.url_path)


def test_made_up_url_looks_the_same_as_an_internal_one(server):
    # No way to tell an internal page from a typo: both get the login page.
    run = open_page(server, page_name="hemlig_sida")
    assert run.pages["hemlig_sida"] == "Logga in"
    assert "Sidan du öppnade finns inte, eller så kräver den inloggning." in run.texts()


def test_internal_page_hash_does_not_open_it(server):
    from streamlit.util import calc_hash

    spec = INTERNAL_PAGES[0]
    run = open_page(server, page_hash=calc_hash(spec.url_path))
    assert set(run.pages.values()) == PUBLIC_TITLES
    assert run.pages[spec.url_path] == "Logga in"
    assert "Logga in" in run.texts()
    assert_no_internal_name(run, allow_url=spec.url_path)


def cache_misses(base: str) -> dict[str, int]:
    """Misses per cached function, from the server's /_stcore/metrics (OpenMetrics text)."""
    with urllib.request.urlopen(f"{base}/_stcore/metrics", timeout=10) as r:
        text = r.read().decode()
    out = {}
    for m in re.finditer(r'cache_lookups_total\{cache="([^"]+)",cache_type="[^"]+",result="miss"\} (\d+)', text):
        out[m.group(1)] = int(m.group(2))
    return out


def test_clear_cache_from_one_client_does_not_slow_the_others(server):
    """100 clear_cache messages (in 5 batches), each batch followed by another session's first
    visit; compared with first visits measured the same way without the messages."""
    query = "val=Riksdagsval"

    async def first_visit() -> Run:
        async with Client(server) as c:
            run = await c.run("kommuner", query)
        assert not run.exceptions(), run.exceptions()
        assert "Hur gick det i kommunerna?" in run.texts()
        return run

    async def baseline_visits() -> list[float]:
        await first_visit()  # warm the caches
        return [(await first_visit()).ms for _ in range(5)]

    async def visits_after_clear_cache() -> list[float]:
        after = []
        async with Client(server) as attacker:
            await attacker.run()
            for _ in range(5):
                msg = BackMsg()
                msg.clear_cache = True
                for _ in range(20):
                    await attacker.send(msg)
                # The server handles one client's messages in order: once this run has
                # finished, the 20 messages before it have been handled.
                await attacker.run()
                after.append((await first_visit()).ms)
        return after

    wait_warm(server)  # else the warm-up's own misses land between the two counts
    baseline = run_async(baseline_visits())
    misses = cache_misses(server)
    after = run_async(visits_after_clear_cache())
    # Nothing was computed again: the geometry, the query results and the figures all survived.
    again = cache_misses(server)
    for cache in ("dashboard.queries.kommun_geo", "dashboard.queries.kommuner_view",
                  "dashboard.queries.municipalities", "dashboard.ui._figure"):
        assert again[cache] == misses[cache] >= 1, (cache, misses.get(cache), again.get(cache))
    # And the pages came as fast as before (generous: first visits on a shared machine are noisy).
    assert statistics.median(after) < 2.5 * statistics.median(baseline), (baseline, after)


def test_cache_clear_keeps_the_warehouse():
    """Even a real clear (e.g. the developer menu with the guard off) keeps the DuckDB warehouse:
    it is a module-level connection in dashboard.db, not a Streamlit cache."""
    import streamlit as st

    from dashboard import db
    from dashboard import queries as q

    con = q.connection()
    st.cache_resource.clear()
    st.cache_data.clear()
    assert db.connect() is con
    assert int(db.sql("SELECT count(*) AS n FROM parties")["n"].iloc[0]) > 8
