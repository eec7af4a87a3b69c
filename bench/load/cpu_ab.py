"""Server CPU per page view, two servers side by side: `python -m bench.load.cpu_ab`.

Two production servers (`python -m dashboard serve`) start at once, each warmed; then batches of
viewer journeys (deep link, two pages, a selector change: the crowd journey of bench/load) run
one viewer at a time, alternating between the servers, and each batch's server CPU (psutil,
user + system) is divided by its page views. Alternating batches put both servers through the
same moments of a noisy machine, so the ratio of the medians is what to read.

The servers differ only by environment: another checkout's code (the launcher then runs that
checkout's app, pages and data), or an installed package hidden from one of them:

    git worktree add /tmp/base <commit>
    python -m bench.load.cpu_ab --a-env PYTHONPATH=/tmp/base/src --a-name "<commit>" --b-name HEAD
    python -m bench.load.cpu_ab --a-hide uvloop --a-hide httptools --a-name "asyncio, h11" --b-name "uvloop, httptools"

Writes the section "Load: CPU per view, A/B (bench/load/cpu_ab.py)" of bench/RESULTS.md (one
comparison; a new run replaces it) unless --no-write.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import tempfile
import time
from pathlib import Path

import psutil

from .protocol import Viewer, discover
from .scenarios import _journey, warm_up
from .server import REPO, AppServer

SECTION = "Load: CPU per view, A/B (bench/load/cpu_ab.py)"


def _env(pairs: list[str]) -> dict[str, str]:
    env = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"--a-env/--b-env vill ha NAMN=VÄRDE, fick {pair!r}")
        env[key] = value
    return env


def _hiding(folder: Path, modules: list[str], env: dict[str, str]) -> dict[str, str]:
    """`env` with a PYTHONPATH entry in front whose stand-ins make `modules` fail to import, as
    if they were not installed (Streamlit and uvicorn then fall back to asyncio and h11)."""
    for name in modules:
        (folder / name).mkdir(parents=True)
        (folder / name / "__init__.py").write_text(
            f"raise ModuleNotFoundError('hidden by bench.load.cpu_ab', name={name!r})\n", encoding="utf-8")
    path = os.pathsep.join(p for p in (str(folder), env.get("PYTHONPATH") or os.environ.get("PYTHONPATH")) if p)
    return {**env, "PYTHONPATH": path}


def _cpu_s(pid: int) -> float:
    t = psutil.Process(pid).cpu_times()
    return t.user + t.system


async def _batch(server: AppServer, pages: list[str], first: int, n: int, timeout: float) -> tuple[float, float, int]:
    """n journeys one after another; (server CPU s, wall s, page views)."""
    cpu0, t0, views = _cpu_s(server.pid), time.perf_counter(), 0
    for i in range(first, first + n):
        v = Viewer(server.ws_url, timeout=timeout)
        try:
            done = await _journey(v, pages, i)
        finally:
            await v.close()
        failed = [w for w in done if w.failure]
        if failed:
            raise RuntimeError(f"{server.ws_url}: {failed[0].page} ({failed[0].step}) failed: {failed[0].failure}")
        views += len(done)
    return _cpu_s(server.pid) - cpu0, time.perf_counter() - t0, views


async def compare(servers: list[AppServer], batches: int, per_batch: int, timeout: float) -> list[list[tuple]]:
    pages = list((await discover(servers[0].ws_url))[0])
    for s in servers:
        await warm_up(s.ws_url, pages, timeout)
    out: list[list[tuple]] = [[] for _ in servers]
    for b in range(batches + 1):  # batch 0 is unmeasured: first journeys on a fresh server
        for k, s in enumerate(servers):
            result = await _batch(s, pages, b * per_batch, per_batch, timeout)
            if b:
                out[k].append(result)
    return out


def describe(pairs: list[str], hidden: list[str]) -> str:
    parts = [f"`{p}`" for p in pairs] + ([f"hidden: {', '.join(hidden)}"] if hidden else [])
    return ", ".join(parts) or "as installed"


def report(names: list[str], envs: list[str], results: list[list[tuple]], batches: int, per_batch: int) -> str:
    rows = ["| server | environment | CPU ms per view, median (batches) | wall ms per view, median |",
            "|---|---|---:|---:|"]
    med = []
    for name, env, res in zip(names, envs, results):
        cpu = [c * 1000 / v for c, _, v in res]
        wall = [w * 1000 / v for _, w, v in res]
        med.append(statistics.median(cpu))
        rows.append(f"| {name} | {env} | {med[-1]:.1f} ({', '.join(f'{x:.1f}' for x in cpu)}) | "
                    f"{statistics.median(wall):.1f} |")
    ratio = med[1] / med[0] if med[0] else float("nan")
    return "\n".join([
        f"{batches} batches of {per_batch} journeys per server (deep link, two pages, a selector change), "
        "one viewer at a time, batches alternating between the servers after one unmeasured batch each.",
        "",
        *rows,
        "",
        f"B ÷ A, server CPU per view: **{ratio:.2f}** ({(ratio - 1) * 100:+.0f} %).",
    ])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.load.cpu_ab", description=__doc__.split("\n")[0])
    ap.add_argument("--a-env", action="append", default=[], metavar="NAME=VALUE", help="environment of server A")
    ap.add_argument("--b-env", action="append", default=[], metavar="NAME=VALUE", help="environment of server B")
    ap.add_argument("--a-hide", action="append", default=[], metavar="MODULE",
                    help="make this installed module unimportable for server A (e.g. uvloop)")
    ap.add_argument("--b-hide", action="append", default=[], metavar="MODULE")
    ap.add_argument("--a-name", default="A")
    ap.add_argument("--b-name", default="B")
    ap.add_argument("--batches", type=int, default=4)
    ap.add_argument("--journeys", type=int, default=30, help="journeys per batch")
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    envs = [_env(args.a_env), _env(args.b_env)]
    names = [args.a_name, args.b_name]
    from dashboard.warm import DONE

    with tempfile.TemporaryDirectory(prefix="valrummet-ab-") as tmp, contextlib.ExitStack() as stack:
        for k, hidden in enumerate((args.a_hide, args.b_hide)):
            if hidden:
                envs[k] = _hiding(Path(tmp) / f"hide_{k}", hidden, envs[k])
        servers = [stack.enter_context(AppServer(launcher="serve", env=env, repo=REPO, wait_for_log=DONE,
                                                 log_path=Path(tmp) / f"server_{k}.log"))
                   for k, env in enumerate(envs)]
        results = asyncio.run(compare(servers, args.batches, args.journeys, args.timeout))
    body = report(names, [describe(args.a_env, args.a_hide), describe(args.b_env, args.b_hide)], results,
                  args.batches, args.journeys)
    print(body)
    if not args.no_write:
        from bench._results import write_section

        write_section(SECTION, body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
