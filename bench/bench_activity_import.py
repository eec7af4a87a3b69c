"""Benchmark: validate and store a 100 000-row door-knocking file (issue 4: target under 5 s).

Generates a synthetic file (semicolon CSV, UTF-8 with BOM, and the same as XLSX; every row a real
county voting district), then times `import_file` (read + validate + atomic store) into a
throw-away store whose warehouse files are links to the real `data/`. Baseline in the same run:
pandas only parsing the same CSV (no checks, nothing stored), so the cost of validation and
storage shows as a ratio. Writes its section of bench/RESULTS.md.

    python bench/bench_activity_import.py [--rows 100000] [--runs 5]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "bench"))

WAREHOUSE_FILES = ["population.parquet", "area_totals.parquet", "geo"]


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args()
    warehouse = REPO / "data"
    missing = [f for f in WAREHOUSE_FILES[:1] + ["geo"] if not (warehouse / f).exists()]
    if missing:
        print(f"saknas i {warehouse}: {', '.join(missing)} – kör 'python -m dashboard build' först", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="bench-activity-") as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        for f in WAREHOUSE_FILES:
            if (warehouse / f).exists():
                (data / f).symlink_to(warehouse / f)
        os.environ["VALRUMMET_DATA_DIR"] = str(data)
        from dashboard.activity import api
        from dashboard.activity.demo import frame_bytes, generate_door_knocking
        from dashboard.activity.reference import load_reference

        import io

        import pandas as pd
        from _results import write_section

        frame = generate_door_knocking(args.rows, seed=7)
        load_reference()  # warehouse read once, as in a running app
        lines = ["| case | median s | min s | max s | runs |", "|---|---:|---:|---:|---:|"]
        medians = {}
        for fmt in ("csv", "xlsx"):
            content = frame_bytes(frame, fmt)
            times = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                result = api.import_file(content, "dorrknackning", name=f"bench.{fmt}")
                times.append(time.perf_counter() - t0)
                assert result.report.rows == args.rows, result.report.rows
            medians[fmt] = statistics.median(times)
            lines.append(f"| validate + store {args.rows:,} rows, {fmt.upper()} ({len(content) / 1e6:.1f} MB) | "
                         f"{medians[fmt]:.2f} | {min(times):.2f} | {max(times):.2f} | {args.runs} |")
            if fmt == "csv":
                times = []
                for _ in range(args.runs):
                    t0 = time.perf_counter()
                    pd.read_csv(io.BytesIO(content), sep=";", dtype=str, encoding="utf-8-sig")
                    times.append(time.perf_counter() - t0)
                medians["parse"] = statistics.median(times)
                lines.append(f"| baseline: pandas parses the same CSV only | {medians['parse']:.2f} | "
                             f"{min(times):.2f} | {max(times):.2f} | {args.runs} |")
    worst = max(medians["csv"], medians["xlsx"])
    lines += ["", f"Target: 100 000 rows validated and stored in under 5 s — **{'met' if worst < 5 else 'NOT met'}** "
              f"(CSV {medians['csv']:.2f} s, XLSX {medians['xlsx']:.2f} s). Validation + atomic storage costs "
              f"{medians['csv'] / medians['parse']:.1f}× a bare CSV parse."]
    body = "\n".join(lines)
    print(body)
    write_section("Activity import (bench/bench_activity_import.py)", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
