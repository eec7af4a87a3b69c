"""Write one benchmark's section into bench/RESULTS.md (date, commit, machine, medians)."""
from __future__ import annotations

import datetime as dt
import os
import platform
import re
import statistics
import subprocess
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, Python {platform.python_version()}"


def commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                             cwd=RESULTS.parent, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src", "pages", "app.py"],
                               capture_output=True, text=True, cwd=RESULTS.parent, timeout=10).stdout.strip()
        return out.stdout.strip() + (" (+ uncommitted changes)" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "?"


def timeit(fn, runs: int, warmup: int = 3) -> dict:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return {"median_ms": statistics.median(samples), "p95_ms": samples[int(0.95 * (len(samples) - 1))],
            "runs": runs}


def write_section(name: str, body: str) -> None:
    """Replace (or add) the section `## name` in RESULTS.md."""
    head = (f"## {name}\n\n_Measured {dt.datetime.now().strftime('%Y-%m-%d %H:%M')}, commit {commit()}, "
            f"{machine()}._\n\n")
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else (
        "# Benchmark results\n\nWritten by the scripts in `bench/` (see `bench/README.md`). "
        "Each section holds its own baseline measured in the same run; compare ratios, not absolute "
        "times, across runs on these noisy machines.\n\n")
    pattern = re.compile(rf"^## {re.escape(name)}\n.*?(?=^## |\Z)", re.S | re.M)
    section = head + body.rstrip() + "\n\n"
    text = pattern.sub(lambda m: section, text) if pattern.search(text) else text + section
    RESULTS.write_text(text, encoding="utf-8")
