"""`python -m dashboard import-activity ...`: import, list history, restore, load demo data.

    import-activity FIL [--type TYP]          validate; store only if there is no error at all
    import-activity --list-history [TYP]      every stored version (* = current)
    import-activity --restore TYP VERSION     make an earlier version current ('standard' = the
                                              embedded default from the 2023 evaluation)
    import-activity --demo [--seed N]         load the synthetic demo set (marked as synthetic)
    import-activity --status                  what is loaded for each type

Exit 0 on success, 1 on invalid data (every error printed), 2 on bad usage.
"""
from __future__ import annotations

import sys
from pathlib import Path

from ..errors import ValrummetError
from .cli_validate import add_file_options, print_report, type_arg
from .schemas import SCHEMAS


def add_arguments(parser) -> None:
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("file", nargs="?", type=Path, metavar="FIL", help="CSV- eller XLSX-fil att importera")
    action.add_argument("--list-history", nargs="?", const="alla", metavar="TYP",
                        help="visa sparade versioner (en typ eller alla)")
    action.add_argument("--restore", nargs=2, metavar=("TYP", "VERSION"),
                        help="gör en tidigare version aktuell ('standard' = inbyggda data)")
    action.add_argument("--demo", action="store_true", help="ladda syntetiska demodata för alla filtyper")
    action.add_argument("--status", action="store_true", help="visa vad som är laddat per filtyp")
    add_file_options(parser)
    parser.add_argument("--seed", type=int, default=None, metavar="FRÖ", help="slumpfrö för --demo")
    parser.add_argument("--user", default=None, metavar="NAMN", help="namn som sparas med importen")


def _history(typ_arg: str) -> int:
    from . import api

    types = list(SCHEMAS) if typ_arg == "alla" else [type_arg(typ_arg)]
    for typ in types:
        print(f"{typ} ({SCHEMAS[typ].label}):")
        for r in api.history(typ).to_dict("records"):
            mark = "*" if r["aktuell"] else " "
            when = r["importerad"] if isinstance(r["importerad"], str) else "inbyggd"
            fil = r["fil"] if isinstance(r["fil"], str) else ""
            print(f" {mark} {r['version']:<28} {when:<25} {r['ursprung']:<10} {r['rader']:>7} rader  {fil}")
    return 0


def _status() -> int:
    from . import api

    for typ in SCHEMAS:
        i = api.info(typ)
        extra = f", version {i.version} ({i.imported_at}, {i.source_name})" if i.version else ""
        print(f"{typ:<14} {i.origin_label} – {i.rows} rader{extra}")
    return 0


def run(args) -> int:
    from . import api

    if args.list_history:
        return _history(args.list_history)
    if args.status:
        return _status()
    if args.restore:
        typ = type_arg(args.restore[0])
        try:
            api.restore(typ, args.restore[1])
        except ValrummetError as exc:
            print(f"fel: {exc}", file=sys.stderr)
            return 2
        print(f"{typ}: version {args.restore[1]} är nu aktuell.")
        return 0
    if args.demo:
        from .demo import DEFAULT_SEED, load_demo

        for typ, version in load_demo(args.seed if args.seed is not None else DEFAULT_SEED, user=args.user).items():
            print(f"{typ}: syntetisk version {version}")
        print("Syntetiska demodata är laddade. Återställ en typ med --restore TYP standard.")
        return 0
    campaign = tuple(args.kampanj) if args.kampanj else None
    try:
        result = api.import_file(args.file, args.typ, campaign=campaign, user=args.user)
    except api.ActivityValidationError as exc:
        print_report(exc.report)
        return 1
    report = result.report
    for line in report.warning_lines():
        print(line, file=sys.stderr)
    print(report.summary())
    print(f"Sparad som {report.typ}, version {result.version}. Den tidigare versionen finns kvar; "
          f"ångra med: python -m dashboard import-activity --restore {report.typ} {result.previous}")
    return 0
