"""Query time of the named queries, all of Sweden loaded.

Baselines in the same run: the same result aggregated from voting-district rows at query time
(what a view-only warehouse would do), and pandas re-reading the Parquet file on every call
(what a page without the query layer would do).

Run: python bench/bench_queries.py [--runs 200]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import timeit, write_section  # noqa: E402

from dashboard import db  # noqa: E402
from dashboard.paths import data_dir  # noqa: E402

P = {"election": "kommun", "from_year": 2018, "to_year": 2022, "party": "V", "county": "01"}
P_RD = dict(P, election="riksdag")

DISTRICT_SQL = """
WITH d AS (
  SELECT t.year, t.kommunkod, sum(t.valid_votes) valid, sum(v.votes) votes
  FROM area_totals t JOIN area_votes v USING (election, year, level, area_code)
  WHERE t.election = $election AND t.level = 'district' AND v.party = $party
    AND t.county_code = $county AND t.year IN ($from_year, $to_year)
  GROUP BY ALL)
SELECT f.kommunkod, 100.0*f.votes/f.valid share_from, 100.0*t.votes/t.valid share_to,
       100.0*t.votes/t.valid - 100.0*f.votes/f.valid change_pp
FROM d f JOIN d t ON f.kommunkod = t.kommunkod AND f.year = $from_year AND t.year = $to_year
ORDER BY 1"""


def pandas_reread():
    v = pd.read_parquet(data_dir() / "area_votes.parquet")
    t = pd.read_parquet(data_dir() / "area_totals.parquet")
    v = v[(v.election == "riksdag") & (v.level == "municipality") & (v.party == "V") & v.area_code.str.startswith("01")]
    t = t[(t.election == "riksdag") & (t.level == "municipality")]
    m = v.merge(t, on=["election", "year", "level", "area_code"])
    w = m.pivot(index="area_code", columns="year", values="share_pct")
    return w[2022] - w[2018]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=200)
    args = ap.parse_args()
    db.connect()
    rows = db.sql("SELECT (SELECT count(*) FROM area_totals) t, (SELECT count(*) FROM area_votes) v")
    cases = [
        ("municipality_change (kommun, V, 01)", lambda: db.execute("municipality_change", P)),
        ("municipality_change (riksdag, V, 01)", lambda: db.execute("municipality_change", P_RD)),
        ("area_change (riksdag, valkrets:02)", lambda: db.execute(
            "area_change", {"election": "riksdag", "from_year": 2018, "to_year": 2022, "party": "V", "area": "valkrets:02"})),
        ("district_results (kommun 2022, 0180)", lambda: db.execute(
            "district_results", {"election": "kommun", "year": 2022, "kommunkod": "0180", "party": "V"})),
        ("baseline: same change aggregated from districts at query time", lambda: db.sql(DISTRICT_SQL, P_RD)),
    ]
    slow = [("baseline: pandas re-reads Parquet on every call", pandas_reread)]
    lines = [f"All of Sweden loaded: {rows.t.iloc[0]:,} area rows, {rows.v.iloc[0]:,} party rows.", "",
             "| query | median ms | p95 ms | runs |", "|---|---:|---:|---:|"]
    results = {}
    for name, fn in cases:
        r = timeit(fn, args.runs)
        results[name] = r
        lines.append(f"| {name} | {r['median_ms']:.2f} | {r['p95_ms']:.2f} | {r['runs']} |")
    for name, fn in slow:
        r = timeit(fn, max(10, args.runs // 20), warmup=1)
        results[name] = r
        lines.append(f"| {name} | {r['median_ms']:.2f} | {r['p95_ms']:.2f} | {r['runs']} |")
    ours = results["municipality_change (riksdag, V, 01)"]["median_ms"]
    base = results["baseline: same change aggregated from districts at query time"]["median_ms"]
    reread = results["baseline: pandas re-reads Parquet on every call"]["median_ms"]
    target = results["municipality_change (kommun, V, 01)"]["median_ms"]
    lines += ["", f"Target: `municipality_change` median under 10 ms — **{'met' if target < 10 else 'NOT met'}** "
              f"({target:.2f} ms). Ratios: district aggregation at query time is {base / ours:.1f}× slower, "
              f"re-reading Parquet {reread / ours:.0f}× slower than the named query."]
    body = "\n".join(lines)
    print(body)
    write_section("Query layer (bench/bench_queries.py)", body)


if __name__ == "__main__":
    main()
