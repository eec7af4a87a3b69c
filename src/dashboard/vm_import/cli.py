"""`python -m dashboard import-results PATH...` – import Valmyndigheten's result zips."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import ValrummetError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="SÖKVÄG",
                        help="zip-filer, en mapp med zip-filer eller index.md5 (med zip-filerna "
                             "bredvid)")
    parser.add_argument("--data-dir", type=Path, default=None, metavar="MAPP",
                        help="datamappen (standard: data/ eller VALRUMMET_DATA_DIR)")
    parser.add_argument("--dry-run", action="store_true",
                        help="kontrollera filerna utan att spara något")


def run(args) -> int:
    from .importer import import_files

    try:
        summary = import_files(args.paths, args.data_dir, dry_run=args.dry_run, prepare=True)
    except ValrummetError as exc:
        print(f"fel: {exc}", file=sys.stderr)
        return 1
    print(summary.message())
    return 0
