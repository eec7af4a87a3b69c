"""A clearly synthetic, complete activity data set for load tests, training and page tests.

Every file type, every municipality of the county, from a seeded random generator: the same seed
gives the same files. Names say "Demo", every row's `anteckning` says SYNTETISK DEMODATA, and
`load_demo()` stores the files with origin `syntetisk`, so every page can say so.

    python -m dashboard.activity.demo --out DIR [--format csv|xlsx] [--seed N] [--valår 2022]
    python -m dashboard.activity.demo --load [--seed N]      # same as import-activity --demo
    python -m dashboard.activity.demo --rows 100000 --out DIR   # one large door-knocking file
"""
from __future__ import annotations

import argparse
import datetime as dt
import functools
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import shape

from ..paths import data_dir
from ..spreadsheet import XLSX_OPTIONS
from .reference import COUNTY_CODE, load_reference
from .schemas import SCHEMAS
from .templates import csv_bytes
from .validate import election_day

MARK = "SYNTETISK DEMODATA"
DEFAULT_SEED = 2022


def _areas() -> tuple[pd.DataFrame, dict[str, list[tuple[str, shapely.Geometry]]]]:
    """County municipalities with population, and their voting districts (code, WGS84 geometry)."""
    from .reference import _stamp

    return _areas_cached(_stamp(data_dir()))


@functools.lru_cache(maxsize=2)
def _areas_cached(stamp: tuple) -> tuple[pd.DataFrame, dict[str, list[tuple[str, shapely.Geometry]]]]:
    ref = load_reference()
    pop = pd.read_parquet(data_dir() / "population.parquet", columns=["kommunkod", "year", "population"])
    pop = pop.sort_values("year").groupby("kommunkod").last()["population"]
    kommuner = ref.county_kommuner.copy()
    kommuner["population"] = kommuner["kommunkod"].map(pop).astype("float64")
    geoms: dict[str, list] = {k: [] for k in kommuner["kommunkod"]}
    dist_path = data_dir() / "geo" / "valdistrikt_01_2022.geojson"
    kom_path = data_dir() / "geo" / "kommuner.geojson"
    if dist_path.exists():
        for f in json.loads(dist_path.read_text(encoding="utf-8"))["features"]:
            p = f["properties"]
            if p["kommunkod"] in geoms:
                geoms[p["kommunkod"]].append((p["district_code"], shape(f["geometry"])))
    elif kom_path.exists():
        for f in json.loads(kom_path.read_text(encoding="utf-8"))["features"]:
            p = f["properties"]
            if str(p.get("county_code")) == COUNTY_CODE and p["kommunkod"] in geoms:
                geoms[p["kommunkod"]].append(("", shape(f["geometry"])))
    for k in geoms:
        geoms[k].sort(key=lambda t: t[0])
    return kommuner, geoms


def _point_in(rng: np.random.Generator, geom: shapely.Geometry) -> tuple[float, float]:
    minx, miny, maxx, maxy = geom.bounds
    while True:
        x = rng.uniform(minx, maxx, 64)
        y = rng.uniform(miny, maxy, 64)
        inside = shapely.contains_xy(geom, x, y)
        if inside.any():
            i = int(np.argmax(inside))
            return round(float(y[i]), 5), round(float(x[i]), 5)


def _dec(x: float, digits: int = 1) -> str:
    return f"{x:.{digits}f}".replace(".", ",")


def _days(rng, valar: int, start_month: int, n: int) -> list[dt.date]:
    end = election_day(valar)
    start = dt.date(valar, start_month, 1)
    offs = rng.integers(0, (end - start).days + 1, n)
    return [start + dt.timedelta(days=int(o)) for o in offs]


def generate(seed: int = DEFAULT_SEED, valar: int = 2022) -> dict[str, pd.DataFrame]:
    """Template-format frames (text cells, Swedish headers) for every file type."""
    rng = np.random.default_rng(seed)
    kommuner, geoms = _areas()
    out: dict[str, list[dict]] = {k: [] for k in SCHEMAS}
    common = {"anteckning": MARK}
    y = str(valar)

    assoc = []  # (id, name, kommunkod, kommun, districts)
    for k, name in zip(kommuner["kommunkod"], kommuner["kommun"]):
        codes = [c for c, _ in geoms[k] if c]
        if k == "0180" and codes:  # Stockholm city has several associations
            for i, chunk in enumerate(np.array_split(np.array(codes), 6), start=1):
                assoc.append((f"DEMO-{k}-{i}", f"Demoföreningen {name} {i}", k, name, list(chunk)))
        else:
            assoc.append((f"DEMO-{k}", f"Demoföreningen {name}", k, name, []))
    pop = dict(zip(kommuner["kommunkod"], kommuner["population"]))
    per_assoc = {k: sum(1 for a in assoc if a[2] == k) for k in pop}

    for aid, aname, k, name, codes in assoc:
        out["foreningar"].append({"förening_id": aid, "förening": aname, "kommun": k,
                                  "valdistrikt": " ".join(codes), **common})
        printed = int(pop[k] / per_assoc[k] * 0.75 * rng.uniform(0.2, 2.5))
        out["tidningar"].append({
            "kommun": name, "förening": aid, "titel": f"Demotidningen {aname}", "tryckta": str(printed),
            "utdelade": str(int(printed * rng.uniform(0.8, 1.0))),
            "utdelning": str(rng.choice(["post", "medlemmar", "valstugor", "medlemmar, valstugor"])),
            "datum": _days(rng, valar, 8, 1)[0].isoformat(), "valår": y, **common})
        active = int(rng.integers(3, 80))
        out["aktivister"].append({"kommun": k, "förening": aid, "aktiva": str(active),
                                  "medlemmar": str(int(active * rng.uniform(2, 6))), "valår": y, **common})
        if rng.random() < 0.3:
            out["prioriterade"].append({"kommun": k, "förening": aid, "valår": y,
                                        "kriterier": "slumpvis vald (demo)", **common})

    for k, name in zip(kommuner["kommunkod"], kommuner["kommun"]):
        parts = geoms[k]
        n_cabins = 8 if k == "0180" else int(rng.integers(1, 4))
        for i in range(n_cabins):
            lat, lon = _point_in(rng, parts[int(rng.integers(0, len(parts)))][1]) if parts else ("", "")
            opens = _days(rng, valar, 8, 1)[0]
            closes = min(opens + dt.timedelta(days=int(rng.integers(0, 20))), election_day(valar))
            out["valstugor"].append({
                "namn": f"Demostuga {name} {i + 1}", "kommun": name, "typ": str(rng.choice(["valstuga", "mobil"])),
                "lat": _dec(lat, 5) if lat != "" else "", "lon": _dec(lon, 5) if lon != "" else "",
                "prioriterat_område": str(rng.choice(["ja", "nej"])), "öppnar": opens.isoformat(),
                "stänger": closes.isoformat(), "öppettider": "lör–sön 11–15",
                "öppetdagar": str((closes - opens).days + 1), "pass": str(int(rng.integers(2, 40))), "valår": y,
                **common})
        for day in sorted(_days(rng, valar, 5, int(rng.integers(2, 6)))):
            calls = int(rng.integers(50, 600))
            out["ringstugor"].append({"datum": day.isoformat(), "kommun": name, "samtal": str(calls),
                                      "besvarade": str(int(rng.binomial(calls, 0.35))), "valår": y, **common})
        out["hyresratter"].append({"kommun": name, "hyresrätter_per_1000": _dec(rng.uniform(60, 350)),
                                   "år": str(valar - 1), "källa": MARK, **common})
    out["dorrknackning"] = generate_door_knocking(
        int(rng.integers(8, 15)) * len(kommuner), seed=seed + 1, valar=valar, frame=False)
    return {k: pd.DataFrame(rows).reindex(columns=SCHEMAS[k].names, fill_value="").fillna("")
            for k, rows in out.items()}


def generate_door_knocking(n_rows: int, seed: int = DEFAULT_SEED, valar: int = 2022, frame: bool = True):
    """`n_rows` distinct door-knocking rows spread over the county's voting districts."""
    rng = np.random.default_rng(seed)
    kommuner, geoms = _areas()
    ks = list(kommuner["kommunkod"])
    by_kommun = [[c for c, _ in geoms[k] if c] or [""] for k in ks]
    start = dt.date(valar, 5, 1)
    span = (election_day(valar) - start).days + 1
    parts, have = [], 0
    while have < n_rows:
        n = n_rows - have + 16
        kidx = rng.integers(0, len(ks), n)
        if not parts:  # every municipality appears at least once
            kidx[: len(ks)] = np.arange(min(n, len(ks)))
        didx = (rng.random(n) * np.array([len(by_kommun[i]) for i in kidx])).astype(int)
        doors = rng.integers(10, 400, n)
        df = pd.DataFrame({
            "datum": (pd.Timestamp(start) + pd.to_timedelta(rng.integers(0, span, n), unit="D")).strftime("%Y-%m-%d"),
            "kommun": [ks[i] for i in kidx],
            "valdistrikt": [by_kommun[i][j] for i, j in zip(kidx, didx)],
            "dörrar": doors.astype(str),
            "samtal": rng.binomial(doors, 0.3).astype(str),
            "valår": str(valar),
            "anteckning": MARK,
        })
        parts.append(df)
        allrows = pd.concat(parts, ignore_index=True).drop_duplicates()
        parts, have = [allrows], len(allrows)
    df = parts[0].iloc[:n_rows].reset_index(drop=True)
    df = df.reindex(columns=SCHEMAS["dorrknackning"].names, fill_value="")
    return df if frame else df.to_dict("records")


def frame_bytes(df: pd.DataFrame, fmt: str = "csv") -> bytes:
    if fmt == "csv":
        return csv_bytes(list(df.columns), df.astype(str).values.tolist())
    buf = io.BytesIO()
    df.to_excel(buf, index=False, engine="xlsxwriter", engine_kwargs={"options": XLSX_OPTIONS})
    return buf.getvalue()


def write_demo_files(directory: Path, seed: int = DEFAULT_SEED, valar: int = 2022, fmt: str = "csv") -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for typ, df in generate(seed, valar).items():
        path = directory / f"demo_{typ}.{fmt}"
        path.write_bytes(frame_bytes(df, fmt))
        paths.append(path)
    return paths


def load_demo(seed: int = DEFAULT_SEED, valar: int = 2022, user: str | None = None) -> dict[str, str]:
    """Import the synthetic set for every type (origin `syntetisk`); returns type → version id."""
    from .api import ORIGIN_SYNTHETIC, import_file

    versions = {}
    for typ, df in generate(seed, valar).items():
        res = import_file(frame_bytes(df), typ, name=f"demo_{typ}_seed{seed}.csv", origin=ORIGIN_SYNTHETIC, user=user)
        versions[typ] = res.version
    return versions


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m dashboard.activity.demo", description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--valår", dest="valar", type=int, default=2022)
    p.add_argument("--out", type=Path, help="skriv demofilerna hit")
    p.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    p.add_argument("--rows", type=int, help="skriv bara en dörrknackningsfil med så här många rader")
    p.add_argument("--load", action="store_true", help="importera demodatan (märkt syntetisk)")
    args = p.parse_args(argv)
    if args.rows:
        if not args.out:
            p.error("--rows kräver --out")
        args.out.mkdir(parents=True, exist_ok=True)
        path = args.out / f"demo_dorrknackning_{args.rows}.{args.format}"
        path.write_bytes(frame_bytes(generate_door_knocking(args.rows, args.seed, args.valar), args.format))
        print(path)
    elif args.out:
        for path in write_demo_files(args.out, args.seed, args.valar, args.format):
            print(path)
    if args.load:
        for typ, version in load_demo(args.seed, args.valar).items():
            print(f"{typ}: version {version} (syntetisk)")
    if not (args.out or args.load):
        p.error("ange --out DIR och/eller --load")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
