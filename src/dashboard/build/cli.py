"""`python -m dashboard build`: rebuild data/ from shared/data/raw (re-runnable)."""
from __future__ import annotations

from pathlib import Path

from ..paths import REPO_ROOT, data_dir, derived_dir, raw_dir


def add_arguments(parser) -> None:
    parser.add_argument("--raw", type=Path, default=None, metavar="MAPP",
                        help="mappen med råfiler (standard ../shared/data/raw)")
    parser.add_argument("--derived", type=Path, default=None, metavar="MAPP",
                        help="mappen med härledda röstetal för Stockholms län")
    parser.add_argument("--out", type=Path, default=None, metavar="MAPP", help="målmapp (standard data/)")
    parser.add_argument("--seats", action="store_true",
                        help="räkna bara om mandattabellen (seat_margins.parquet) ur målmappens data; "
                             "behöver inga råfiler")


def run(args) -> int:
    if args.seats:
        from ..seat_table import FILE, refresh

        out = args.out or data_dir()
        print(f"{out / FILE}: {'omräknad' if refresh(out) else 'redan aktuell'}")
        return 0
    from .pipeline import build

    # The app's static folder only follows the app's own data/, not a custom --out.
    static = None if args.out else REPO_ROOT / "static"
    info = build(args.raw or raw_dir(), args.derived or derived_dir(), args.out or data_dir(), static)
    for name, n in info["rows"].items():
        print(f"{name}: {n} rader")
    print(f"Byggt {info['built_at']}")
    return 0
