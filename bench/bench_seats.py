"""Seat engine: validation against the official seats, and the cost of seat margins.

The margins are computed with the data (dashboard.seat_table), so the cases are: computing the
whole table (every council, party, election and year), the query reading it, and one party's
margins in Stockholm County computed directly. Baseline in the same run: allocating one council
once, and the same party's margins by the search over full reruns that the engine used before
(tests/test_seats_fast.py holds that reference).

Run: python bench/bench_seats.py
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _results import timeit, write_section  # noqa: E402

from dashboard import db, seat_queries, seat_table  # noqa: E402
from tests.test_seats_fast import reference_margin, reference_next  # noqa: E402


def main() -> None:
    summaries = [seat_queries.validation_summary(year) for year in (2022, 2026)]
    con = db.connect()
    pairs = list(seat_table.pair_digests(con))

    def whole_table():
        for election, year in pairs:
            seat_table.compute(con, election, year)

    n_rows = con.execute("SELECT count(*) FROM seat_margins").fetchone()[0]
    table = timeit(whole_table, runs=3, warmup=0)
    query = timeit(lambda: db.execute("seat_margins", {"election": "kommun", "year": 2026, "party": "V"}), runs=50)
    councils = [c for c in seat_queries.councils_for("kommun", 2026).values() if c.county_code == "01"]

    def margins(fast: bool):
        for c in councils:
            kw = c.kwargs()
            if fast:
                seat_queries.council_rows(c)
            else:
                reference_next(c.votes, c.council_size, "V", lot=c.lot, **kw)
                reference_margin(c.votes, c.council_size, "V", lot=c.lot, **kw)

    # council_rows computes every party of the council; the reference only V.
    fast = timeit(lambda: margins(True), runs=5, warmup=1)
    slow = timeit(lambda: margins(False), runs=3, warmup=0)
    alloc = timeit(seat_queries.councils_for("kommun", 2026)["0180"].allocate, runs=50)
    body = "\n".join([
        *summaries,
        "",
        "| case | median ms | p95 ms | runs |", "|---|---:|---:|---:|",
        f"| seat table, computed: every council, party, election and year ({n_rows} rows, {len(pairs)} elections × years) "
        f"| {table['median_ms']:.0f} | {table['p95_ms']:.0f} | {table['runs']} |",
        f"| seat_margins query (kommun 2026, V, 26 councils): reads the table | {query['median_ms']:.2f} | {query['p95_ms']:.2f} | {query['runs']} |",
        f"| every party's seats and margins in the 26 councils of Stockholm County 2026 (`council_rows`) "
        f"| {fast['median_ms']:.0f} | {fast['p95_ms']:.0f} | {fast['runs']} |",
        f"| baseline: V's margins alone in the same councils by the search over full reruns (the engine before issue 17) "
        f"| {slow['median_ms']:.0f} | {slow['p95_ms']:.0f} | {slow['runs']} |",
        f"| baseline: one allocation of Stockholm's council (101 seats, 6 constituencies, adjustment seats) "
        f"| {alloc['median_ms']:.2f} | {alloc['p95_ms']:.2f} | {alloc['runs']} |",
    ])
    print(body)
    write_section("Seat engine (bench/bench_seats.py)", body)


if __name__ == "__main__":
    main()
