"""Seat engine: validation against the official 2022 seats, and the cost of seat margins.

Baseline in the same run: allocating one council once (the unit every margin search repeats),
so the margin computation shows as a multiple of plain allocations.

Run: python bench/bench_seats.py
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import timeit, write_section  # noqa: E402

from dashboard import seat_queries  # noqa: E402


def main() -> None:
    t = time.perf_counter()
    summary = seat_queries.validation_summary()
    validate_s = time.perf_counter() - t

    def cold_margins():
        seat_queries._cache.clear()
        seat_queries._key_locks.clear()
        seat_queries.seat_margins(election="kommun", year=2022, party="V", county="01")

    margins = timeit(cold_margins, runs=5, warmup=1)
    warm = timeit(lambda: seat_queries.seat_margins(election="kommun", year=2022, party="V", county="01"), runs=50)
    council = seat_queries.councils_for("kommun", 2022)["0180"]
    alloc = timeit(council.allocate, runs=50)
    body = "\n".join([
        summary,
        f"Full validation run: {validate_s:.1f} s.",
        "",
        "| case | median ms | p95 ms | runs |", "|---|---:|---:|---:|",
        f"| seat_margins kommun 2022, V, 26 councils, cold (councils loaded, margins searched) | {margins['median_ms']:.0f} | {margins['p95_ms']:.0f} | {margins['runs']} |",
        f"| seat_margins, cached in-process | {warm['median_ms']:.2f} | {warm['p95_ms']:.2f} | {warm['runs']} |",
        f"| baseline: one allocation of Stockholm's council (101 seats, 6 constituencies, adjustment seats) | {alloc['median_ms']:.2f} | {alloc['p95_ms']:.2f} | {alloc['runs']} |",
    ])
    print(body)
    write_section("Seat engine (bench/bench_seats.py)", body)


if __name__ == "__main__":
    main()
