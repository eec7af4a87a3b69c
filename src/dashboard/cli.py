"""Command-line interface: `python -m dashboard COMMAND ...`.

Exit codes: 0 ok, 1 bad input data (message names file, row, column), 2 bad usage
(unknown query, missing or bad parameter).
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import sys

from .errors import QueryError, ValrummetError

# Subcommands implemented in other modules: name -> (module, help). Each module has
# `add_arguments(parser)` and `run(args) -> int`.
_SUBCOMMANDS = {
    "build": ("dashboard.build.cli", "bygg data/ från de officiella filerna"),
    "import-activity": ("dashboard.activity.cli_import", "importera en aktivitetsfil"),
    "validate": ("dashboard.activity.cli_validate", "kontrollera en aktivitetsfil utan att spara"),
    "import-results": ("dashboard.vm_import.cli", "importera Valmyndighetens resultatfiler"),
    "serve": ("dashboard.serve", "starta servern med produktionsinställningar"),
}


# argparse's own words (the help's "usage:", "options", its error messages) in Swedish. argparse
# looks each up through gettext as `argparse._` / `argparse.ngettext` when it builds a parser and
# when it parses, so `_swedish()` swaps them for the time main() does both.
_SV = {
    "usage: ": "användning: ",
    "options": "flaggor",
    "positional arguments": "argument",
    "subcommands": "kommandon",
    "show this help message and exit": "visa den här hjälpen och avsluta",
    "%(prog)s: error: %(message)s\n": "%(prog)s: fel: %(message)s\n",
    "ambiguous option: %(option)s could match %(matches)s": "tvetydig flagga: %(option)s kan vara %(matches)s",
    "argument %(argument_name)s: %(message)s": "argumentet %(argument_name)s: %(message)s",
    "expected at least one argument": "väntade minst ett värde",
    "expected at most one argument": "väntade högst ett värde",
    "expected one argument": "väntade ett värde",
    "ignored explicit argument %r": "flaggan tar inget värde: %r",
    "invalid %(type)s value: %(value)r": "ogiltigt värde: %(value)r",
    "invalid choice: %(value)r (choose from %(choices)s)": "ogiltigt val: %(value)r (välj bland %(choices)s)",
    "not allowed with argument %s": "går inte ihop med %s",
    "one of the arguments %s is required": "ett av argumenten %s krävs",
    "the following arguments are required: %s": "dessa argument saknas: %s",
    "unexpected option string: %s": "oväntad flagga: %s",
    "unrecognized arguments: %s": "okända argument: %s",
    "unknown parser %(parser_name)r (choices: %(choices)s)":
        "okänt kommando %(parser_name)r (välj bland %(choices)s)",
    "can't open '%(filename)s': %(error)s": "kan inte öppna '%(filename)s': %(error)s",
}
_SV_PLURAL = {"expected %s argument": ("väntade %s värde", "väntade %s värden")}
_SV_TYPES = {"int": "ett heltal", "float": "ett tal"}


def _sv(message: str) -> str:
    return _SV.get(message, message)


def _sv_n(singular: str, plural: str, n: int) -> str:
    one, many = _SV_PLURAL.get(singular, (singular, plural))
    return one if n == 1 else many


@contextlib.contextmanager
def _swedish():
    saved = argparse._, argparse.ngettext
    argparse._, argparse.ngettext = _sv, _sv_n
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit code 2
        self.exit(2, f"{self.prog}: fel: {message}\n")

    def _get_value(self, action, arg_string):
        try:
            return super()._get_value(action, arg_string)
        except argparse.ArgumentError as exc:
            kind = _SV_TYPES.get(getattr(action.type, "__name__", ""))
            if kind and exc.message == _sv("invalid %(type)s value: %(value)r") % {"value": arg_string}:
                raise argparse.ArgumentError(action, f"ogiltigt värde: {arg_string!r} (ska vara {kind})") from None
            raise


def _query_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", nargs="?", metavar="NAMN", help="frågans namn (utelämna för att lista)")
    p.add_argument("--param", action="append", default=[], metavar="NAMN=VÄRDE",
                   help="en parameter till frågan (upprepa för flera)")
    p.add_argument("--format", choices=["csv", "json", "table"], default="csv",
                   help="utdataformat (standard csv)")


def _run_query(args) -> int:
    from . import db

    if not args.name:
        for name, spec in sorted(db.queries().items()):
            print(f"{name}: {spec.description}\n    {spec.usage()}")
        return 0
    params = {}
    for item in args.param:
        if "=" not in item:
            raise QueryError(f"Parametern '{item}' ska skrivas key=value.")
        key, value = item.split("=", 1)
        params[key.strip()] = value
    df = db.execute(args.name, params)
    if args.format == "json":
        sys.stdout.write(df.to_json(orient="records", force_ascii=False, indent=1) + "\n")
    elif args.format == "table":
        sys.stdout.write(df.to_string(index=False) + "\n")
    else:
        from .spreadsheet import safe_frame

        safe_frame(df).to_csv(sys.stdout, index=False)  # names from imported files: no formulas
    note = preliminary_note(df)
    if note:  # stderr: the output itself stays machine-readable; its count_status columns say the same
        print(note, file=sys.stderr)
    return 0


def preliminary_note(df) -> str:
    """"Obs: 25 av 26 rader vilar på preliminära siffror (preliminärt, valnatten): count_status_to
    = preliminary." for a result whose count-status columns hold preliminary rows; else ""."""
    cols = [c for c in df.columns if str(c).startswith("count_status")]
    if not cols or not len(df):
        return ""
    prel = df[cols].astype("object").eq("preliminary")
    n = int(prel.any(axis=1).sum())
    if not n:
        return ""
    which = ", ".join(f"{c} = preliminary" for c in cols if prel[c].any())
    return f"Obs: {n} av {len(df)} rader vilar på preliminära siffror (preliminärt, valnatten): {which}."


def _chosen(argv: list[str]) -> str | None:
    """The subcommand named on the command line (its first word that is not an option), if any."""
    first = next((a for a in argv if not a.startswith("-")), None)
    return first if first in _SUBCOMMANDS else None


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    with _swedish():
        parser, modules = _parser(argv)
        chosen = modules.get(_chosen(argv))
        # A command that passes options on (serve: Streamlit's) parses its own way.
        args = chosen.known_args(parser, argv) if hasattr(chosen, "known_args") else parser.parse_args(argv)
    try:
        if args.command == "query":
            return _run_query(args)
        return modules[args.command].run(args)
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    except QueryError as exc:
        print(f"fel: {exc}", file=sys.stderr)
        return 2
    except ValrummetError as exc:
        print(f"fel: {exc}", file=sys.stderr)
        return 1


def _parser(argv: list[str]) -> tuple[argparse.ArgumentParser, dict]:
    """The parser (Valrummet's commands; only the chosen one's module imported) and the modules."""
    parser = _Parser(prog="python -m dashboard", description="Valrummet: valanalys för V Storstockholm")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="KOMMANDO")
    qp = sub.add_parser("query", help="kör en namngiven fråga")
    _query_args(qp)
    # Only the chosen command's module is imported: the server process must not carry the
    # importers' dependencies (shapely, pyproj, jsonschema: ~20 MB per process).
    chosen = _chosen(argv)
    modules = {}
    for name, (module, help_text) in _SUBCOMMANDS.items():
        if name != chosen:
            sub.add_parser(name, help=help_text)
            continue
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name and module.startswith(exc.name):
                parser.error(f"kommandot {name} finns inte i den här installationen ({module} saknas)")
            raise
        sp = sub.add_parser(name, help=help_text)
        mod.add_arguments(sp)
        modules[name] = mod
    return parser, modules
