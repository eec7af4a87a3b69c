"""Scenarios: one viewer rerunning each page, and crowds arriving over a time window."""
from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass, field

from .plan import journey, pick, plan_for
from .protocol import PageView, Viewer, discover
from .server import Sample, Sampler


@dataclass
class Result:
    scenario: str
    variant: str
    views: list[PageView] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    sessions: list[tuple[float, float]] = field(default_factory=list)  # (open, close), sampler clock
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0
    wall_s: float = 0.0
    titles: dict[str, str] = field(default_factory=dict)
    page_cpu_ms: dict[str, float] = field(default_factory=dict)  # (a): server CPU per warm rerun
    crowd_start: float | None = None  # sampler clock when the crowd starts (after the warm-up)
    notes: list[str] = field(default_factory=list)

    def failures(self) -> list[PageView]:
        return [v for v in self.views if not v.ok]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); nan for no values."""
    if not values:
        return math.nan
    xs = sorted(values)
    return xs[max(0, math.ceil(q / 100 * len(xs)) - 1)]


async def _change(v: Viewer, key: str, viewer: int) -> PageView | None:
    return await v.change(key, pick(viewer))


async def _journey(v: Viewer, pages: list[str], i: int) -> list[PageView]:
    """Deep link, two pages by the menu, a selector change. After a timeout or a lost
    connection the viewer gives up; the steps it never reached count as failed."""
    first, p1, p2 = journey(pages, i)
    steps = [
        (first, "deeplink", lambda: v.open(first, plan_for(first).query())),
        (p1, "nav", lambda: v.navigate(p1)),
        (p2, "nav", lambda: v.navigate(p2)),
        (p2, "change", lambda: _change(v, plan_for(p2).change or "*", i)),
    ]
    views: list[PageView] = []
    for page, step, run in steps:
        if views and views[-1].failure.startswith(("timeout", "connection", "not reached")):
            views.append(PageView(page, step, failure="not reached: an earlier step timed out or lost the connection"))
            continue
        view = await run()
        if view is not None:  # None: a page without any selector to change
            views.append(view)
    return views


async def warm_up(base_ws: str, pages: list[str], timeout: float) -> list[PageView]:
    """One viewer opens every page by its deep link and changes its selector (unmeasured):
    a meeting link is opened on a server that has been running, not a cold one."""
    views = []
    for i, page in enumerate(pages):
        v = Viewer(base_ws, timeout=timeout)
        try:
            plan = plan_for(page)
            views.append(await v.open(page, plan.query()))
            if plan.change and (view := await _change(v, plan.change, i)) is not None:
                views.append(view)
        finally:
            await v.close()
    return views


async def single_viewer(base_ws: str, pages: list[str], runs: int, timeout: float,
                        cpu_seconds=None, page_cpu_ms: dict | None = None) -> list[PageView]:
    """Scenario (a): per page, one viewer opens the deep link (cold, step "deeplink") and then
    reruns it `runs` times (step "rerun"), one at a time. With `cpu_seconds` (the server's CPU
    clock), the server CPU per warm rerun goes into `page_cpu_ms` – steadier than wall time on a
    busy machine."""
    views = []
    for page in pages:
        v = Viewer(base_ws, timeout=timeout)
        try:
            query = plan_for(page).query()
            views.append(await v.open(page, query))
            cpu0 = cpu_seconds() if cpu_seconds else 0.0
            for _ in range(runs):
                views.append(await v.navigate(page, query, step="rerun"))
            if cpu_seconds and page_cpu_ms is not None and runs:
                page_cpu_ms[page] = (cpu_seconds() - cpu0) * 1000 / runs
        finally:
            await v.close()
    return views


async def crowd(base_ws: str, pages: list[str], n: int, spread_s: float, timeout: float,
                clock0: float, sessions: list[tuple[float, float]]) -> list[PageView]:
    """Scenarios (b)–(d): `n` viewers arriving evenly over `spread_s` seconds. Each opens a page
    by deep link, navigates to two more and changes a selector there, then keeps its tab open
    until every viewer is done (so memory is measured with all sessions open)."""
    views: list[PageView] = []
    done = asyncio.Event()
    remaining = [n]
    start = time.monotonic()

    async def one(i: int) -> None:
        await asyncio.sleep(max(0.0, start + i * spread_s / n - time.monotonic()))
        v = Viewer(base_ws, timeout=timeout)
        opened = time.monotonic() - clock0
        try:
            views.extend(await _journey(v, pages, i))
        finally:
            remaining[0] -= 1
            if remaining[0] == 0:
                done.set()
            try:
                await asyncio.wait_for(done.wait(), timeout * 4 + spread_s)
            except asyncio.TimeoutError:
                pass
            await v.close()
            sessions.append((opened, time.monotonic() - clock0))

    await asyncio.gather(*(one(i) for i in range(n)))
    return views


async def soak(base_ws: str, pages: list[str], minutes: float, rate_per_s: float, timeout: float,
               clock0: float, sessions: list[tuple[float, float]]) -> list[PageView]:
    """A steady trickle for `minutes`: a viewer every 1/rate seconds does the crowd journey and
    leaves (closes its tab). Memory should level off once the server drops disconnected
    sessions (`server.disconnectedSessionTTL`, 120 s by default), not keep growing."""
    views: list[PageView] = []
    n = max(1, int(minutes * 60 * rate_per_s))
    start = time.monotonic()

    async def one(i: int) -> None:
        await asyncio.sleep(max(0.0, start + i / rate_per_s - time.monotonic()))
        v = Viewer(base_ws, timeout=timeout)
        opened = time.monotonic() - clock0
        try:
            views.extend(await _journey(v, pages, i))
        finally:
            await v.close()
            sessions.append((opened, time.monotonic() - clock0))

    await asyncio.gather(*(one(i) for i in range(n)))
    return views


def memory_growth(res: "Result", start: float) -> tuple[float, float]:
    """(RSS MB once the soak has settled, RSS MB at the end): the settled value is the mean over
    the minute after `start` + 150 s (past the 120 s session TTL), the end value the mean of the
    last minute."""
    settled = [s.rss_mb for s in res.samples if start + 150 <= s.t < start + 210]
    end_t = res.samples[-1].t if res.samples else 0
    last = [s.rss_mb for s in res.samples if s.t >= end_t - 60]
    mean = lambda xs: sum(xs) / len(xs) if xs else math.nan  # noqa: E731
    return mean(settled), mean(last)


def run_scenario(name: str, variant: str, base_ws: str, pids: list[int], body, *,
                 settle_s: float = 3.0, timeout: float = 60.0) -> Result:
    """Run `body(base_ws, pages, res, sampler)` (a coroutine factory returning page views) with
    the server's CPU and memory sampled throughout, plus `settle_s` after it (memory once
    viewers leave)."""
    res = Result(name, variant)

    async def main() -> None:
        pages, res.titles = await discover(base_ws, max(timeout, 60.0))  # the first run is cold
        sampler = Sampler(pids).start()
        cpu0, t0 = time.process_time(), time.monotonic()
        try:
            res.views = await body(base_ws, list(pages), res, sampler)
        finally:
            res.wall_s = time.monotonic() - t0
            res.client_cpu_s = time.process_time() - cpu0
            await asyncio.sleep(settle_s)
            res.server_cpu_s = sampler.stop()
            res.samples = sampler.samples

    asyncio.run(main())
    return res
