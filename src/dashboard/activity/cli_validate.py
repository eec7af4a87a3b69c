"""`python -m dashboard validate FILE [--type TYP]`: check an activity file, store nothing.

Exit 0 when the file is valid, 1 with every error (Swedish, per row and column) otherwise.
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from ..errors import ValrummetError
from .schemas import SCHEMAS, resolve_type


def type_arg(value: str) -> str:
    try:
        return resolve_type(value).key
    except ValrummetError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def date_arg(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' är inget datum (skriv ÅÅÅÅ-MM-DD)") from None


def add_file_options(parser) -> None:
    parser.add_argument("--type", dest="typ", type=type_arg, metavar="TYP",
                        help=f"filtyp: {', '.join(SCHEMAS)} (utelämna för att gissa från kolumnerna)")
    parser.add_argument("--kampanj", nargs=2, type=date_arg, metavar=("FRÅN", "TILL"),
                        help="godkända datum (standard: 1 januari valåret till valdagen)")


def add_arguments(parser) -> None:
    parser.add_argument("file", type=Path, metavar="FIL", help="CSV- eller XLSX-fil")
    add_file_options(parser)


def print_report(report, out=None, err=None) -> None:
    out, err = out or sys.stdout, err or sys.stderr
    for line in report.warning_lines():
        print(line, file=err)
    if report.ok:
        print(report.summary(), file=out)
    else:
        for line in report.error_lines():
            print(line, file=err)
        print(report.summary(), file=err)


def run(args) -> int:
    from .validate import validate

    report = validate(args.file, args.typ, campaign=tuple(args.kampanj) if args.kampanj else None)
    print_report(report)
    return 0 if report.ok else 1
