"""County and country rows for kommun and region elections, summed over imported files.

A KF zip covers one municipality and an RF zip one region, so `county` and `country` rows are
sums over several files. They are recomputed at every import and only written when every area
the base tables list for that county (or the whole country) has been imported — a partial sum
would look like a county total. The riksdag zip covers the whole country and has its own.
"""
from __future__ import annotations

import pyarrow as pa

from .parse import Unit, _aggregate
from .parties import BUCKET

DERIVED_SOURCE = "vm_resultatfil:summa"


def _units(totals: pa.Table, votes: pa.Table, level: str) -> dict[str, tuple[dict, Unit]]:
    rows = [r for r in totals.to_pylist() if r["level"] == level]
    by_area: dict[str, dict[str, int]] = {}
    for v in votes.to_pylist():
        if v["level"] == level:
            by_area.setdefault(v["area_code"], {})[v["party"]] = v["votes"]
    out = {}
    for r in rows:
        parties = dict(by_area.get(r["area_code"], {}))
        ovr = parties.pop(BUCKET, None)
        out[r["area_code"]] = (r, Unit(cast=r["votes_cast"], valid=r["valid_votes"],
                                       parties=parties, ovr=ovr, eligible=r["eligible"]))
    return out


def _sum(members: list[tuple[dict, Unit]]) -> Unit:
    unit = _aggregate(members)
    eligible = [u.eligible for _, u in members]
    unit.eligible = sum(eligible) if all(e is not None for e in eligible) else None
    return unit


def derived_rows(election: str, year: int, totals: pa.Table, votes: pa.Table,
                 base_areas: dict[str, set[str]], names: dict) -> tuple[list[dict], list[dict]]:
    """Rows for `county` (and `country`) where the imported areas cover the base tables' list.

    `base_areas`: county code -> the area codes (municipalities for kommun, regions for
    region) that the latest base election of the same kind has in that county.
    """
    level = {"kommun": "municipality", "region": "region"}.get(election)
    if level is None or not base_areas:
        return [], []
    units = _units(totals, votes, level)
    groups: list[tuple[str, str, str | None, list]] = []
    for county, codes in sorted(base_areas.items()):
        if codes and codes <= set(units):
            groups.append(("county", county, county, [units[c] for c in sorted(codes)]))
    every = set().union(*base_areas.values())
    if every and every <= set(units):
        groups.append(("country", "SE", None, [units[c] for c in sorted(every)]))
    out_totals, out_votes = [], []
    for lv, code, county, members in groups:
        unit = _sum(members)
        status = ("final" if all(r["count_status"] == "final" for r, _ in members)
                  else "preliminary")
        out_totals.append({
            "election": election, "year": year, "level": lv, "area_code": code,
            "area_name": names.get((lv, code)), "county_code": county, "kommunkod": None,
            "riksdag_valkrets_code": None, "rf_valkrets_code": None,
            "kommunvalkrets_code": None, "is_collection": False, "eligible": unit.eligible,
            "votes_cast": unit.cast, "valid_votes": unit.valid, "count_status": status,
            "source": DERIVED_SOURCE,
        })
        items = list(unit.parties.items()) + ([(BUCKET, unit.ovr)] if unit.ovr is not None
                                              else [])
        for party, n in items:
            out_votes.append({
                "election": election, "year": year, "level": lv, "area_code": code,
                "party": party, "votes": n, "votes_min": n, "votes_max": n,
                "share_pct": n / unit.valid * 100 if unit.valid else None,
                "precision": "exact", "source": DERIVED_SOURCE,
            })
    return out_totals, out_votes
