"""Run the load scenarios against the app, tuned beside Streamlit's default settings.

    python -m bench.load                      # all scenarios, 300 viewers, writes bench/RESULTS.md
    python -m bench.load --scenarios a,b --viewers 100 --spread 10   # a reduced run

See bench/README.md. Every server is started on a free 127.0.0.1 port and stopped afterwards.
"""
from __future__ import annotations

import argparse
import json
import shlex
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict
from functools import partial
from pathlib import Path

from . import report
from .scenarios import Result, crowd, memory_growth, run_scenario, single_viewer, soak, warm_up
from dashboard.warm import DONE as WARM_DONE

from .server import REPO, AppServer, default_flags, variant_flags, variant_launcher

OUT = REPO / "bench" / "out"
SECTION = "Load: Streamlit protocol (bench/load)"
# A soak run on its own (`--scenarios s`, ~12 min) writes its own section, so it does not
# replace the crowd results measured in a separate run.
SOAK_SECTION = "Load: memory soak (bench/load, scenario s)"
COLD = ("k", "f")  # cold starts (bench/load/cold.py): their own section


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n")[0])
    ap.add_argument("--scenarios", default="a,b,c,d,p,e,k,f",
                    help="comma-separated subset of a,b,c,d,p,e,s,k,f (default all but s; p = (b) through the proxy "
                         "with two processes; s = the memory soak, tuned only; k = cold crowd, f = first view "
                         "after a cold start: bench/load/cold.py)")
    ap.add_argument("--variants", default="tuned,default",
                    help="server variants, side by side: tuned (repo config), default (Streamlit defaults), "
                         "or names given with --variant")
    ap.add_argument("--variant", action="append", default=[], metavar='NAME="--flag value ..."',
                    help="an extra variant: the repo config plus these streamlit flags (to try a proposal)")
    ap.add_argument("--runs", type=int, default=50, help="(a): reruns per page")
    ap.add_argument("--viewers", type=int, default=300, help="(b)–(d): simulated viewers")
    ap.add_argument("--spread", type=float, default=30.0, help="(b)/(p): arrival window in seconds")
    ap.add_argument("--burst", type=float, default=1.0, help="(c)/(d): arrival window in seconds")
    ap.add_argument("--soak-minutes", type=float, default=10.0, help="(s): soak length in minutes")
    ap.add_argument("--soak-rate", type=float, default=1.0, help="(s): viewers arriving per second during the soak")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds before a page view counts as failed")
    ap.add_argument("--proxy-url", help="(d): ws:// or http:// address of the proxy in front of two app processes")
    ap.add_argument("--proxy-pid", type=int, action="append", default=[],
                    help="(d): pid of an app process behind the proxy (repeat), for CPU/memory sampling")
    ap.add_argument("--profile", metavar="SCENARIO",
                    help="record the tuned server with py-spy during this scenario (e.g. b); "
                         "writes bench/out/profile_<scenario>.txt")
    ap.add_argument("--starts", type=int, default=5, help="(f): cold starts per server")
    ap.add_argument("--base", metavar="PATH",
                    help="(k)/(f): also run the launchers on this checkout (e.g. a git worktree of an earlier "
                         "commit) as the baseline, with PYTHONPATH=PATH/src")
    ap.add_argument("--cold-launchers", default="tuned,readme",
                    help="(k)/(f): which launchers: tuned (python -m dashboard serve), readme (README command 1: "
                         "bash scripts/run.sh, no install), config (streamlit run app.py)")
    ap.add_argument("--warm-wait", type=float, default=300.0,
                    help="(k): seconds to wait after the crowd for the launcher's warm-up log line")
    ap.add_argument("--no-write", action="store_true", help="print the results, do not touch bench/RESULTS.md")
    return ap.parse_args(argv)


def data_note() -> str:
    """What "all of Sweden's voting districts loaded" means for our data (scenario e)."""
    import duckdb

    from dashboard.paths import data_dir

    path = data_dir() / "area_totals.parquet"
    if not path.exists():
        return f"(e) not run: {path} missing"
    row = duckdb.sql(
        "SELECT count(*) FILTER (level = 'district'), count(DISTINCT county_code) FILTER (level = 'district'), "
        f"count(*) FROM read_parquet('{path.as_posix()}')"
    ).fetchall()[0]
    def num(x: int) -> str:
        return f"{x:,}".replace(",", " ")

    return (f"The warehouse under data/ already holds every voting district in the country "
            f"({num(row[0])} district rows over {row[1]} counties, {num(row[2])} area rows in all), and the "
            "database file every app process queries (dashboard.db_file) is built from all of it. Every "
            "scenario above therefore ran with all of Sweden loaded; (e) is not a separate run.")


IDLE_LEAVES = ("Selector.select (selectors.py", "Condition.wait", "time.sleep", "_worker (concurrent/futures/thread.py:81)",
               "PollingPathWatcher._schedule.<locals>.task (streamlit/watcher/polling_path_watcher.py:90)")


def profile_summary(raw: Path, top: int = 30) -> str:
    """Where the server's time goes, from py-spy's collapsed stacks.

    py-spy cannot tell sleeping threads from running ones in this VM, so waits (select, sleeps,
    idle thread pools) are dropped by their leaf frame; the rest is split into script runs
    (ScriptRunner threads) and the event loop (websockets, message queues).
    """
    groups = {"script runs": (Counter(), Counter()), "event loop and other threads": (Counter(), Counter())}
    totals = Counter()
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        n, frames = int(n), stack.split(";")
        if any(x in frames[-1] for x in IDLE_LEAVES):
            totals["idle"] += n
            continue
        g = "script runs" if any("_run_script_thread" in f for f in frames) else "event loop and other threads"
        totals[g] += n
        own, incl = groups[g]
        own[frames[-1]] += n
        for f in set(frames):
            incl[f] += n
    busy = totals["script runs"] + totals["event loop and other threads"]
    lines = [f"py-spy samples: {sum(totals.values())}; busy {busy} (script runs {totals['script runs']}, "
             f"event loop and other threads {totals['event loop and other threads']}); idle {totals['idle']}",
             "Percentages are of busy samples."]
    for g, (own, incl) in groups.items():
        lines += ["", f"== {g}: inclusive", *(f"  {100 * n / busy:5.1f} %  {f}" for f, n in incl.most_common(top * 2)),
                  "", f"== {g}: own time", *(f"  {100 * n / busy:5.1f} %  {f}" for f, n in own.most_common(top))]
    return "\n".join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    extra = {}
    for spec in args.variant:
        name, _, flags = spec.partition("=")
        extra[name.strip()] = shlex.split(flags)
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    OUT.mkdir(parents=True, exist_ok=True)
    results: dict[tuple[str, str], Result] = {}
    notes: dict[str, str] = {}
    t = args.timeout

    bodies = {
        "a": lambda ws, pages, res, sampler: single_viewer(ws, pages, args.runs, t, sampler.cpu_seconds,
                                                           res.page_cpu_ms),
        "b": partial(_crowd, n=args.viewers, spread=args.spread, timeout=t),
        "c": partial(_crowd, n=args.viewers, spread=args.burst, timeout=t),
    }
    if "s" in scenarios:
        bodies["s"] = partial(_soak, minutes=args.soak_minutes, rate=args.soak_rate, timeout=t)
    for sc in [s for s in scenarios if s in bodies]:
        for variant in (variants[:1] if sc == "s" else variants):
            flags = variant_flags(variant, extra)
            launcher = "run" if variant in extra else variant_launcher(variant)
            print(f"[{sc}] {variant}: starting server ({launcher}) {' '.join(flags) or '(repo config)'}", flush=True)
            # The production launcher warms the seat margins in the background; a meeting opens
            # the link on a server that has been running, so wait until that is done.
            wait = WARM_DONE if launcher == "serve" else None
            with AppServer(flags=flags, launcher=launcher, log_path=OUT / f"server_{sc}_{variant}.log",
                           wait_for_log=wait) as srv:
                spy = _start_spy(srv.pid, sc) if args.profile == sc and variant == variants[0] else None
                try:
                    res = run_scenario(sc, variant, srv.ws_url, [srv.pid], bodies[sc], timeout=t)
                finally:
                    _stop_spy(spy, sc)
            results[(sc, variant)] = res
            print("   ", report.summary_line(res), flush=True)

    if ("s", variants[0]) in results:
        r = results[("s", variants[0])]
        settled, end = memory_growth(r, r.crowd_start or 0.0)
        if r.wall_s < 5 * 60:
            notes["soak"] = f"soak too short to judge ({r.wall_s / 60:.1f} min; RSS {settled:.0f} → {end:.0f} MB)"
        else:
            notes["soak"] = (f"{args.soak_minutes:g} min at {args.soak_rate:g} viewers/s, {len(r.failures())} failures: "
                             f"RSS {settled:.0f} MB once settled → {end:.0f} MB at the end ({end - settled:+.0f} MB)")
            notes["soak_ok"] = "yes" if end - settled <= 50 and not r.failures() else "no"
    # Through the deployed stack: (d) = the same-second crowd of (c); (p) = the spread crowd of (b).
    for sc, spread in (("p", args.spread), ("d", args.burst)):
        if sc not in scenarios:
            continue
        crowd_s = partial(_crowd, n=args.viewers, spread=spread, timeout=t)
        if args.proxy_url:
            ws = args.proxy_url.replace("http://", "ws://", 1).replace("https://", "wss://", 1).rstrip("/")
            res = run_scenario(sc, "tuned", ws, args.proxy_pid, crowd_s, timeout=t)
            res.notes.append(f"through {args.proxy_url}")
            results[(sc, "tuned")] = res
            print("   ", report.summary_line(res), flush=True)
            continue
        # The deployed stack on loopback: deploy/run-backends.sh (two app processes) behind
        # nginx with deploy/nginx/valrummet.conf (bench/load/stack.py).
        from .stack import ProxyStack

        print(f"[{sc}] tuned: starting two app processes behind nginx (deploy/)", flush=True)
        try:
            with ProxyStack(wait_for_warm=True) as stack:
                spy = _start_spy(stack.app_pids()[0], sc) if args.profile == sc else None
                try:
                    res = run_scenario(sc, "tuned", stack.ws_url, stack.app_pids(), crowd_s, timeout=t)
                finally:
                    _stop_spy(spy, sc)
            res.notes.append("through nginx (deploy/nginx/valrummet.conf) in front of deploy/run-backends.sh, "
                             "two processes; CPU summed over both, memory per process")
            results[(sc, "tuned")] = res
            print("   ", report.summary_line(res), flush=True)
        except RuntimeError as exc:
            notes[sc] = f"not run: {exc}"
    if "e" in scenarios:
        notes["e"] = data_note()

    sections = []
    if set(scenarios) - set(COLD):
        body = render(args, variants, extra, results, notes)
        print(body)
        sections.append((SOAK_SECTION if set(scenarios) == {"s"} else SECTION, body))
    stamp = time.strftime("%Y%m%d-%H%M%S")
    if set(scenarios) & set(COLD):
        # Cold starts (issue 17): their own section, so a run of them alone keeps the others.
        from . import cold

        crowds, firsts, cold_body = cold.run_all(args, OUT)
        print(cold_body)
        sections.append((cold.SECTION, cold_body))
        results.update({("k", name): r for name, (r, _, _) in crowds.items()})
    (OUT / f"load_{stamp}.json").write_text(json.dumps(
        {f"{k[0]}/{k[1]}": {"views": [asdict(v) for v in r.views], "samples": [asdict(s) for s in r.samples],
                            "server_cpu_s": r.server_cpu_s, "client_cpu_s": r.client_cpu_s, "wall_s": r.wall_s}
         for k, r in results.items()}), encoding="utf-8")
    if not args.no_write:
        sys.path.insert(0, str(REPO / "bench"))
        from _results import write_section

        for section, body in sections:
            write_section(section, body)
            print(f"wrote section '{section}' of bench/RESULTS.md", flush=True)
    return 0


async def _crowd(ws, pages, res, sampler, *, n, spread, timeout):
    await warm_up(ws, pages, max(timeout, 60.0))
    res.crowd_start = time.monotonic() - sampler.t0
    return await crowd(ws, pages, n, spread, timeout, sampler.t0, res.sessions)


async def _soak(ws, pages, res, sampler, *, minutes, rate, timeout):
    await warm_up(ws, pages, max(timeout, 60.0))
    res.crowd_start = time.monotonic() - sampler.t0
    return await soak(ws, pages, minutes, rate, timeout, sampler.t0, res.sessions)


def _start_spy(pid: int, sc: str):
    exe = shutil.which("py-spy")
    if not exe:
        print("py-spy not installed (pip install py-spy); no profile", flush=True)
        return None
    out = OUT / f"profile_{sc}.collapsed"
    return subprocess.Popen([exe, "record", "-p", str(pid), "-r", "50", "--gil", "-f", "raw", "-o", str(out), "--nonblocking"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE), out


def _stop_spy(spy, sc: str) -> None:
    if not spy:
        return
    proc, out = spy
    proc.send_signal(2)  # SIGINT: py-spy writes its output and exits
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    if out.exists():
        (OUT / f"profile_{sc}.txt").write_text(profile_summary(out), encoding="utf-8")
        print(f"profile written to {OUT / f'profile_{sc}.txt'}", flush=True)
    else:
        print(f"py-spy wrote nothing: {err.decode(errors='replace')[-500:]}", flush=True)


def _scope_notes(args) -> list[str]:
    """Say plainly what this run left out or scaled down."""
    ran = {s.strip() for s in args.scenarios.split(",")}
    lines = []
    skipped = [s for s in ("a", "b", "c", "d", "p", "e", "s") if s not in ran]
    if skipped:
        lines.append(f"Not run this time: {', '.join(f'({s})' for s in skipped)}.")
    if args.viewers != 300 or args.spread != 30:
        lines.append(f"Reduced crowd: {args.viewers} viewers over {args.spread:g} s "
                     f"({args.viewers / args.spread:g} arrivals/s; the issue's (b) is 300 over 30 s, 10/s), "
                     "so the memory target at 300 sessions is not measured.")
    return [*lines, ""] if lines else []


def render(args, variants, extra, results, notes) -> str:
    flags = " ".join(default_flags()) or "(none: the repo config sets nothing)"
    out = [
        "Simulated viewers speak Streamlit's websocket protocol on loopback (bench/load/protocol.py); a page "
        "view is timed from sending `rerun_script` to `script_finished` (server time including queueing). A view "
        "fails on an exception element, an `st.error`, a timeout "
        f"({args.timeout:.0f} s) or a connection error. Viewers send no cached-message hashes on their first view "
        "(a first visit); afterwards, like a browser, they send the hashes of the messages they hold.",
        "",
        "Variants, each a fresh server on a free port: **tuned** = the production launcher "
        "`python -m dashboard serve` (its options, the repo's .streamlit/config.toml and its process fixes, "
        "e.g. TCP_NODELAY); **config** = plain `streamlit run app.py` with the repo config only; "
        f"**default** = `streamlit run app.py` with every option the repo config sets put back to Streamlit's "
        f"default (`{flags}`)."
        + "".join(f" **{k}** = `streamlit run` with the repo config plus `{' '.join(v)}`." for k, v in extra.items()),
        "",
        f"Command: `python -m bench.load --scenarios {args.scenarios} --viewers {args.viewers} --spread "
        f"{args.spread:g} --runs {args.runs}`",
        "",
        *_scope_notes(args),
        "### Targets (issue 8)",
        "",
        report.targets(results, notes),
    ]
    if (d := results.get(("d", variants[0]))) and (floor := report.burst_floor(d)):
        out += ["", floor]
    base = variants[1] if len(variants) > 1 else None
    for sc, title in (("a", f"(a) one viewer, each page, {args.runs} reruns"),
                      ("b", f"(b) {args.viewers} viewers arriving evenly over {args.spread:g} s"),
                      ("c", f"(c) {args.viewers} viewers arriving within {args.burst:g} s"),
                      ("p", f"(p) (b) through the proxy, two app processes (the deployment, 2 cores)"),
                      ("d", f"(d) (c) through the proxy, two app processes"),
                      ("s", f"(s) memory soak: {args.soak_rate:g} viewers/s for {args.soak_minutes:g} min")):
        tuned = results.get((sc, variants[0]))
        if sc in ("d", "p") and not tuned:
            if sc in notes or (sc == "d" and any(k[0] != "s" for k in results)):  # not in a soak run
                out += ["", f"### {title}", "", notes.get(sc, "not run")]
            continue
        if not tuned:
            continue
        b = results.get((sc, base)) if base else None
        out += ["", f"### {title}", "", "Times in ms as p50 / p95 / max over successful views.", ""]
        out.append(report.single_table(tuned, b) if sc == "a" else report.crowd_table(tuned, b))
        for r in [x for x in (tuned, b) if x] + [results[(sc, v)] for v in variants[2:] if (sc, v) in results]:
            out += ["", f"Server, {r.variant}: " + report.summary_line(r).split(": ", 1)[1], ""]
            if sc != "a":
                out.append(report.resources(r))
            if r.failures():
                out += ["", "Failures:", report.failure_list(r)]
        for v in variants[2:]:
            if (sc, v) in results:
                out += ["", f"Variant {v}:", "", report.single_table(results[(sc, v)], b) if sc == "a"
                        else report.crowd_table(results[(sc, v)], b)]
    if "e" in notes:
        out += ["", "### (e) all of Sweden's voting districts", "", notes["e"]]
    return "\n".join(out)


if __name__ == "__main__":
    raise SystemExit(main())
