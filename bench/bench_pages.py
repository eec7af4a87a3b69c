"""Server time per page over Streamlit's own websocket protocol (see shared/docs/load-testing.md).

Starts `streamlit run app.py` on a free loopback port (or uses --url), warms every page once,
then opens each page N times as a first-time visitor (a new session per view, no cached
messages) and reports the median and 90th percentile of the time from sending `rerun_script`
to `script_finished`, the bytes received and the failures (pages that raised count as failed,
not as fast). Output: Markdown table lines.

    python bench/bench_pages.py --runs 15
"""
from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

REPO = Path(__file__).resolve().parents[1]

# (label, url path, query string): default views and one heavy deep link per page.
VIEWS = [
    ("Översikt", "", ""),
    ("Kommuner", "kommuner", ""),
    ("Kommuner, riksdag + markerad kommun", "kommuner", "val=Riksdagsval&kommun=Botkyrka"),
    ("Jämför", "jamfor", ""),
    ("Jämför, 8 kommuner, förändring", "jamfor",
     "kommuner=Botkyrka&kommuner=Huddinge&kommuner=Nacka&kommuner=Solna&kommuner=Sundbyberg"
     "&kommuner=Haninge&kommuner=Tyres%C3%B6&kommuner=J%C3%A4rf%C3%A4lla&jmf=F%C3%B6r%C3%A4ndring"),
    ("Valdistrikt (Stockholm, 598 distrikt)", "valdistrikt", ""),
    ("Valdistrikt, Upplands Väsby, förändring", "valdistrikt",
     "kommun=Upplands+V%C3%A4sby&val=Riksdagsval&visa=F%C3%B6r%C3%A4ndring"),
    ("Om data", "om_data", ""),
]
TIMEOUT = 120.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


BASELINE_APP = 'import streamlit as st\n\nst.write("hej")\n'


def start_server(app_dir: Path = REPO) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    out = REPO / "bench" / "out"  # with the load benchmark's logs (not committed), not the temp folder
    out.mkdir(parents=True, exist_ok=True)
    log = open(out / f"bench_pages_{app_dir.name}_{port}.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=app_dir, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited ({proc.returncode}); see {log.name}")
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return proc, base
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"streamlit not healthy after 90 s; see {log.name}")


async def view(base: str, page: str, query: str) -> tuple[float, int, int]:
    """One first visit: (seconds to script_finished, bytes received, exceptions shown)."""
    ws_url = base.replace("http://", "ws://") + "/_stcore/stream"
    async with websockets.connect(
        ws_url, subprotocols=["streamlit"], max_size=None, compression=None, origin=base,
        open_timeout=TIMEOUT,
    ) as ws:
        msg = BackMsg()
        msg.rerun_script.query_string = query
        msg.rerun_script.page_name = page
        msg.rerun_script.page_script_hash = ""
        started = time.perf_counter()
        await ws.send(msg.SerializeToString())
        received = failures = 0
        while True:
            data = await asyncio.wait_for(ws.recv(), timeout=TIMEOUT)
            received += len(data)
            fm = ForwardMsg()
            fm.ParseFromString(data)
            kind = fm.WhichOneof("type")
            if kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                if fm.delta.new_element.WhichOneof("type") == "exception":
                    failures += 1
            elif kind == "script_finished":
                if fm.script_finished in (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR):
                    if fm.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                        failures += 1
                    return time.perf_counter() - started, received, failures
            elif kind == "page_not_found":
                failures += 1


async def bench(base: str, runs: int, views=VIEWS, header: bool = True) -> list[str]:
    lines = [
        "| Sida | median (ms) | p90 (ms) | KB per visning | fel | körningar |",
        "|---|---:|---:|---:|---:|---:|",
    ] if header else []
    for label, page, query in views:
        await view(base, page, query)  # warm the caches for this view
        times, sizes, failed = [], [], 0
        for _ in range(runs):
            seconds, size, failures = await view(base, page, query)
            times.append(seconds * 1000)
            sizes.append(size)
            failed += failures
        p90 = statistics.quantiles(times, n=10)[-1] if len(times) >= 2 else times[0]
        lines.append(
            f"| {label} | {statistics.median(times):.0f} | {p90:.0f} | "
            f"{statistics.median(sizes) / 1024:.0f} | {failed} | {runs} |"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="visningar per sida (median räknas på dem)")
    parser.add_argument("--url", help="en redan startad server, t.ex. http://127.0.0.1:8501")
    parser.add_argument(
        "--no-baseline", action="store_true",
        help="hoppa över jämförelsen med en minimal app (st.write) på samma maskin",
    )
    args = parser.parse_args()
    lines: list[str] = []
    proc = None
    base = args.url
    if not base:
        proc, base = start_server()
    try:
        lines += asyncio.run(bench(base.rstrip("/"), args.runs))
    finally:
        _stop(proc)
    if not args.no_baseline:
        # The same measurement on a one-line app: Streamlit's own cost per first visit on this
        # machine right now, so the page numbers can be read as ratios.
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "app.py").write_text(BASELINE_APP, encoding="utf-8")
            proc, base = start_server(Path(tmp))
            try:
                lines += asyncio.run(bench(base, args.runs, [("Baslinje: st.write-app", "", "")], header=False))
            finally:
                _stop(proc)
    print("\n".join(lines))
    if not args.url:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from _results import write_section

        write_section(
            "Page server time, first visit (bench/bench_pages.py)",
            "Each view is a new session (no cached messages): time from `rerun_script` to "
            "`script_finished` over the websocket protocol, median of "
            f"{args.runs} views; the baseline is a one-line `st.write` app measured in the same run.\n\n"
            + "\n".join(lines),
        )
    return 0


def _stop(proc: subprocess.Popen | None) -> None:
    if proc is None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=15)


if __name__ == "__main__":
    raise SystemExit(main())
