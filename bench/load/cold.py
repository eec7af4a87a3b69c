"""Cold starts (issue 17): a crowd that arrives the moment a fresh server answers, and the first
view after a start.

Every run starts a server process with an empty database cache folder (its own temporary
folder, removed afterwards), so nothing prepared by an earlier process helps:

- **k** – cold crowd: `--viewers` viewers arriving evenly over `--spread` seconds, the first in
  the moment `/_stcore/health` first answers (polled every 20 ms from the process start). No
  warming viewer. The same journey as (b). Afterwards the production launcher's warm-up is
  given time to finish (`--warm-wait`), and its log line (CPU time, steps, pauses, the longest
  delay it caused a viewer) is reported.
- **f** – first view: `--starts` cold starts; in each, one viewer opens the default page by its
  deep link as soon as health answers. Reported: seconds from the process start to health,
  and the first view's time (median and max over the starts).

Launchers: *tuned* = `python -m dashboard serve` (the production launcher); *readme* = README
command 1, `bash scripts/run.sh` without its install step (it starts the production launcher);
*config* = `python -m streamlit run app.py` with the repo config (on request). `--base PATH` adds
the same for another checkout (e.g. `git worktree add /tmp/base <commit>`), run with
`PYTHONPATH=PATH/src` from PATH: its own app, pages and data – the baseline in the same run (an
older checkout's README command 1 was `streamlit run app.py` after the install: `readme_kind`).
"""
from __future__ import annotations

import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from .plan import plan_for
from .protocol import PageView, Viewer, discover
from .scenarios import Result, crowd, percentile
from .server import REPO, Sampler, free_port

SECTION = "Load: cold start (bench/load, scenarios k and f)"
HEALTH_POLL_S = 0.02
# Targets (issue 17).
COLD_FIRST_P95_MS = 250
FIRST_VIEW_MS = 1000
HEALTH_S = 3.0
WARM_DELAY_MS = 50


SKIP_INSTALL = "VALRUMMET_SKIP_INSTALL"  # scripts/run.sh starts without its install step


@dataclass(frozen=True)
class Launcher:
    name: str  # tuned | readme | config, and base-… of each
    kind: str  # serve: the production launcher; readme: scripts/run.sh; streamlit: `streamlit run app.py`
    repo: Path = REPO
    env: dict = field(default_factory=dict)

    def command(self, port: int) -> list[str]:
        if self.kind == "serve":
            return [sys.executable, "-m", "dashboard", "serve", "--address", "127.0.0.1", "--port", str(port)]
        if self.kind == "readme":
            return ["bash", "scripts/run.sh", "--address", "127.0.0.1", "--port", str(port)]
        return [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                "--server.address", "127.0.0.1", "--server.port", str(port),
                "--browser.gatherUsageStats", "false"]


def readme_kind(repo: Path) -> str:
    """How to start `repo`'s README command 1 without its install step: its scripts/run.sh when
    that can skip the install, else what older ones ran after it, `streamlit run app.py` (an
    older run.sh would reinstall that checkout into this interpreter)."""
    script = repo / "scripts" / "run.sh"
    return "readme" if script.is_file() and SKIP_INSTALL in script.read_text(encoding="utf-8") else "streamlit"


def launchers(base: Path | None, names: tuple[str, ...] = ("tuned", "readme")) -> list[Launcher]:
    def make(name: str, repo: Path, env: dict) -> Launcher:
        kind = {"tuned": "serve", "readme": readme_kind(repo), "config": "streamlit"}[name]
        if kind == "readme":  # this interpreter, no install: only the server's start is measured
            env = {**env, SKIP_INSTALL: "1", "PYTHON": sys.executable}
        return Launcher(name if repo == REPO else f"base-{name}", kind, repo, env)

    out = [make(n, REPO, {}) for n in ("tuned", "readme", "config") if n in names]
    if base is not None:
        out += [make(n, base, {"PYTHONPATH": str(base / "src")}) for n in ("tuned", "readme", "config") if n in names]
    return out


@dataclass
class ColdRun:
    """One process from its start: when health answered, and what it logged."""

    launcher: Launcher
    log_path: Path
    port: int = 0
    proc: subprocess.Popen | None = None
    cache: Path | None = None
    t0: float = 0.0
    health_s: float = float("nan")

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self, timeout: float = 300.0) -> "ColdRun":
        self.port = free_port()
        self.cache = Path(tempfile.mkdtemp(prefix="valrummet-cold-"))
        env = {**os.environ, **self.launcher.env, "VALRUMMET_DB_CACHE": str(self.cache), "PYTHONUNBUFFERED": "1"}
        env.pop("VALRUMMET_DATA_DIR", None)  # each checkout reads its own data/
        log = open(self.log_path, "wb")
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(self.launcher.command(self.port), cwd=self.launcher.repo, stdout=log,
                                     stderr=subprocess.STDOUT, env=env, start_new_session=True)
        log.close()
        url = f"http://127.0.0.1:{self.port}/_stcore/health"
        while time.monotonic() - self.t0 < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.launcher.name}: the server exited with {self.proc.returncode} "
                                   f"(log: {self.log_path})")
            try:
                with urllib.request.urlopen(url, timeout=1) as r:
                    if r.status == 200:
                        self.health_s = time.monotonic() - self.t0
                        return self
            except OSError:
                time.sleep(HEALTH_POLL_S)
        self.stop()
        raise RuntimeError(f"{self.launcher.name}: no health answer within {timeout:.0f} s")

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def wait_for_log(self, text: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log_text():
                return True
            if self.proc.poll() is not None:
                return False
            time.sleep(0.5)
        return False

    def stop(self) -> None:
        from .stack import stop

        stop(self.proc)  # its process group, as it was started in its own session
        if self.cache is not None:
            shutil.rmtree(self.cache, ignore_errors=True)

    def __enter__(self) -> "ColdRun":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _pages(launcher: Launcher, out: Path, timeout: float) -> tuple[list[str], dict[str, str]]:
    """The app's pages, from a server of this launcher started beforehand (not measured): the
    crowd must know where to go without a page run on the cold server first."""
    with ColdRun(launcher, out / f"cold_pages_{launcher.name}.log") as run:
        pages, titles = asyncio.run(discover(run.ws_url, timeout))
    return list(pages), titles


@dataclass
class WarmLine:
    """The production launcher's warm-up, from its log line (dashboard.warm)."""

    done: bool = False
    steps: int = 0
    cpu_s: float = float("nan")
    wall_s: float = float("nan")
    pauses: int = 0
    longest_step_ms: float = float("nan")
    delayed: int = 0
    longest_delay_ms: float = float("nan")
    paused_seen: bool = False
    longest_step: str = ""  # which step (kind nr N)

    @classmethod
    def parse(cls, log: str) -> "WarmLine":
        from dashboard.warm import DONE, PAUSED

        line = cls(paused_seen=PAUSED in log)
        m = re.search(re.escape(DONE) + r": (\d+) steg, CPU ([\d.]+) s på (\d+) s; pausade (\d+) gånger .*?"
                      r"längsta steg (\d+) ms \((.*?)\); fördröjde (\d+) sidvisningar, som mest (\d+) ms", log)
        if m:
            line = cls(True, int(m[1]), float(m[2]), float(m[3]), int(m[4]), float(m[5]), int(m[7]), float(m[8]),
                       line.paused_seen, m[6])
        return line


def cold_crowd(launcher: Launcher, pages: list[str], titles: dict, n: int, spread: float, timeout: float,
               warm_wait: float, out: Path) -> tuple[Result, float, WarmLine]:
    """Scenario (k) for one launcher: (result, seconds to health, warm-up line)."""
    res = Result("k", launcher.name, titles=titles)
    with ColdRun(launcher, out / f"server_k_{launcher.name}.log") as run:
        sampler = Sampler([run.proc.pid]).start()

        async def main() -> list[PageView]:
            return await crowd(run.ws_url, pages, n, spread, timeout, sampler.t0, res.sessions)

        cpu0, t0 = time.process_time(), time.monotonic()
        try:
            res.views = asyncio.run(main())
        finally:
            res.wall_s = time.monotonic() - t0
            res.client_cpu_s = time.process_time() - cpu0
            res.server_cpu_s = sampler.stop()
            res.samples = sampler.samples
        if launcher.kind in ("serve", "readme"):  # both run the launcher's warm-up
            run.wait_for_log(_done_text(), warm_wait)
        warm = WarmLine.parse(run.log_text())
    return res, run.health_s, warm


def _done_text() -> str:
    from dashboard.warm import DONE

    return DONE


def first_views(launcher: Launcher, starts: int, timeout: float, out: Path) -> list[tuple[float, PageView]]:
    """Scenario (f) for one launcher: (seconds to health, first view) per cold start."""
    found = []
    for i in range(starts):
        with ColdRun(launcher, out / f"server_f_{launcher.name}_{i}.log") as run:
            async def one() -> PageView:
                v = Viewer(run.ws_url, timeout=timeout)
                try:
                    return await v.open("", plan_for("").query())
                finally:
                    await v.close()

            found.append((run.health_s, asyncio.run(one())))
    return found


# --- report -------------------------------------------------------------------------------

def _ms(x: float) -> str:
    from .report import ms

    return ms(x)


def _s(x: float) -> str:
    return "–" if x != x else f"{x:.2f}"


def crowd_row(name: str, res: Result, health_s: float, warm: WarmLine | None) -> str:
    first = [v for v in res.views if v.step == "deeplink"]
    t = [v.ms for v in first if v.ok]
    every = [v.ms for v in res.views if v.ok]
    fails = sum(not v.ok for v in res.views)
    w = "–"
    if warm is not None and warm.done:
        w = (f"{warm.cpu_s:.1f} s CPU, {warm.steps} steps, {warm.pauses} pauses; longest step "
             f"{_ms(warm.longest_step_ms)} ms ({warm.longest_step}); {warm.delayed} views delayed, at most {_ms(warm.longest_delay_ms)} ms")
    elif warm is not None:
        w = "not finished in the wait" + ("; paused for viewers" if warm.paused_seen else "")
    return (f"| {name} | {_s(health_s)} | {_ms(percentile(t, 50))} / {_ms(percentile(t, 95))} / "
            f"{_ms(max(t) if t else float('nan'))} | {_ms(percentile(every, 95))} | {fails} of {len(res.views)} "
            f"| {res.server_cpu_s:.1f} | {w} |")


def first_row(name: str, runs: list[tuple[float, PageView]]) -> str:
    health = [h for h, _ in runs]
    views = [v.ms for _, v in runs if v.ok]
    fails = sum(not v.ok for _, v in runs)
    med = statistics.median(views) if views else float("nan")
    return (f"| {name} | {len(runs)} | {_s(statistics.median(health))} / {_s(max(health))} | {_ms(med)} / "
            f"{_ms(max(views) if views else float('nan'))} | {fails} |")


def targets(crowds: dict, firsts: dict) -> str:
    rows = ["| target | measured | baseline (same run) | verdict |", "|---|---|---|---|"]

    def verdict(ok: bool | None) -> str:
        return "–" if ok is None else "**met**" if ok else "**not met**"

    labels = {"tuned": "production launcher", "readme": "README command 1 (`bash scripts/run.sh`)"}
    for name in labels:
        if name in crowds:
            res, _, _ = crowds[name]
            t = [v.ms for v in res.views if v.step == "deeplink" and v.ok]
            p95 = percentile(t, 95)
            fails = sum(not v.ok for v in res.views)
            base = crowds.get(f"base-{name}")
            b = "–"
            if base:
                bt = [v.ms for v in base[0].views if v.step == "deeplink" and v.ok]
                b = f"p95 {_ms(percentile(bt, 95))} ms, {sum(not v.ok for v in base[0].views)} failures"
            rows.append(f"| (k) cold crowd, {labels[name]}: first-page p95 ≤ {COLD_FIRST_P95_MS} ms, 0 failures "
                        f"| p95 {_ms(p95)} ms, {fails} failures | {b} | {verdict(p95 <= COLD_FIRST_P95_MS and not fails)} |")
    for name in labels:
        if name in firsts:
            runs = firsts[name]
            views = [v.ms for _, v in runs if v.ok]
            med = statistics.median(views) if views else float("nan")
            health = statistics.median([h for h, _ in runs])
            base = firsts.get(f"base-{name}")
            b = "–"
            if base:
                bv = [v.ms for _, v in base if v.ok]
                b = (f"first view {_ms(statistics.median(bv) if bv else float('nan'))} ms, health "
                     f"{_s(statistics.median([h for h, _ in base]))} s")
            rows.append(f"| (f) {labels[name]}: first view ≤ {FIRST_VIEW_MS} ms (median of {len(runs)} cold starts), "
                        f"health ≤ {HEALTH_S:g} s after the start | first view {_ms(med)} ms, health {_s(health)} s "
                        f"| {b} | {verdict(med <= FIRST_VIEW_MS and health <= HEALTH_S and len(views) == len(runs))} |")
    if "tuned" in crowds:
        warm = crowds["tuned"][2]
        ok = warm.longest_delay_ms <= WARM_DELAY_MS if warm.done else None
        got = (f"{warm.delayed} views waited behind a warm-up step, at most {_ms(warm.longest_delay_ms)} ms; "
               f"warm-up CPU {warm.cpu_s:.1f} s" if warm.done else "warm-up not finished in the wait")
        rows.append(f"| warm-up never delays a view by more than {WARM_DELAY_MS} ms | {got} | – | {verdict(ok)} |")
    return "\n".join(rows)


def render(args, crowds: dict, firsts: dict, base: Path | None) -> str:
    out = [
        "Every server is a fresh process with an empty database cache folder. (k): the crowd's first viewer "
        "arrives the moment `/_stcore/health` first answers (polled every 20 ms), no warming viewer; "
        "(f): one viewer opens the default page by its deep link as soon as health answers, in each of "
        f"`--starts` cold starts. **tuned** = `python -m dashboard serve`; **readme** = README command 1, "
        f"`bash scripts/run.sh` without its install step ({SKIP_INSTALL}=1; it starts `python -m dashboard serve`); "
        "**config** = `streamlit run app.py` with the repo config."
        + (f" **base-…** = the same launchers on the checkout {base} (`PYTHONPATH={base}/src`, its own app and "
           "data); where its run.sh cannot skip the install, base-readme is what that run.sh started after it, "
           "`streamlit run app.py`: the baseline." if base else ""),
        "",
        f"Command: `python -m bench.load --scenarios {args.scenarios} --viewers {args.viewers} --spread "
        f"{args.spread:g} --starts {args.starts}" + (f" --base {base}" if base else "") + "`",
        "",
    ]
    if args.viewers != 300 or args.spread != 30:
        out += [f"Reduced crowd: {args.viewers} viewers over {args.spread:g} s (the issue's is 300 over 30 s).", ""]
    out += ["### Targets (issue 17)", "", targets(crowds, firsts)]
    if crowds:
        out += ["", f"### (k) cold crowd: {args.viewers} viewers over {args.spread:g} s from the first health answer",
                "", "Times in ms as p50 / p95 / max over successful views.", "",
                "| server | health after start (s) | first pages p50 / p95 / max | all views p95 | failures "
                "| server CPU s | warm-up (its log line) |", "|---|---:|---:|---:|---:|---:|---|"]
        out += [crowd_row(name, *crowds[name]) for name in crowds]
        for name, (res, _, _) in crowds.items():
            from .report import failure_list, resources

            out += ["", f"Server {name} (t = 0: its first health answer, when the crowd starts to arrive):", "",
                    resources(res)]
            if res.failures():
                out += ["", "Failures:", failure_list(res)]
    if firsts:
        out += ["", f"### (f) first view after a cold start ({args.starts} starts each)", "",
                "| server | starts | health after start (s), median / max | first view ms, median / max | failures |",
                "|---|---:|---:|---:|---:|"]
        out += [first_row(name, runs) for name, runs in firsts.items()]
    return "\n".join(out)


def run_all(args, out: Path) -> tuple[dict, dict, str]:
    """Run (k) and/or (f) for every launcher; returns (crowds, firsts, markdown)."""
    base = Path(args.base).resolve() if args.base else None
    chosen = {s.strip() for s in args.scenarios.split(",")}
    crowds, firsts = {}, {}
    for launcher in launchers(base, tuple(x.strip() for x in args.cold_launchers.split(","))):
        if "k" in chosen:
            print(f"[k] {launcher.name}: discovering pages, then a cold start", flush=True)
            pages, titles = _pages(launcher, out, args.timeout)
            crowds[launcher.name] = cold_crowd(launcher, pages, titles, args.viewers, args.spread, args.timeout,
                                               args.warm_wait, out)
            print("   ", crowd_row(launcher.name, *crowds[launcher.name]), flush=True)
        if "f" in chosen:
            print(f"[f] {launcher.name}: {args.starts} cold starts", flush=True)
            firsts[launcher.name] = first_views(launcher, args.starts, args.timeout, out)
            print("   ", first_row(launcher.name, firsts[launcher.name]), flush=True)
    return crowds, firsts, render(args, crowds, firsts, base)
