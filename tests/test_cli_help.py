"""`python -m dashboard --help` and its errors in Swedish (issue 18): argparse's own words
("usage:", "options", "invalid choice" …) and the placeholders of every command."""
from __future__ import annotations

import argparse
import re
import subprocess
import sys

import pytest

from dashboard import cli

# argparse's English, and the upper-case placeholders argparse makes from English option names.
ENGLISH = re.compile(r"usage:|options:|positional arguments|show this help|error:|invalid|unrecognized|"
                     r"required|expected|\b(ADDRESS|ALLOWED_HOSTS|ALLOWED_ORIGINS|BASE_URL_PATH|MAX_UPLOAD_MB|"
                     r"TRUSTED_PROXIES|RAW|DERIVED|OUT|SEED|USER|DATA_DIR|KEY|VALUE|COMMAND)\b")


def run(capsys, *argv: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exc:
        cli.main(list(argv))
    out = capsys.readouterr()
    return exc.value.code, out.out + out.err


@pytest.mark.parametrize("command", ["", "query", "build", "import-activity", "validate", "import-results", "serve"])
def test_help_is_swedish(capsys, command):
    code, text = run(capsys, *([command] if command else []), "--help")
    assert code == 0
    assert text.startswith("användning: python -m dashboard") and "flaggor:" in text
    assert "visa den här hjälpen och avsluta" in text
    assert not ENGLISH.search(text), ENGLISH.search(text)


@pytest.mark.parametrize("argv, message", [
    ([], "python -m dashboard: fel: dessa argument saknas: KOMMANDO"),
    (["nej"], "python -m dashboard: fel: argumentet KOMMANDO: ogiltigt val: 'nej' (välj bland 'query', "),
    (["query", "--bogus"], "python -m dashboard: fel: okända argument: --bogus"),
    (["query", "--format", "pdf"], "fel: argumentet --format: ogiltigt val: 'pdf' (välj bland 'csv', 'json', 'table')"),
    (["serve", "--port", "abc"], "python -m dashboard serve: fel: argumentet --port: ogiltigt värde: 'abc' "
                                 "(ska vara ett heltal)"),
    (["serve", "--port"], "fel: argumentet --port: väntade ett värde"),
])
def test_usage_errors_are_swedish_one_line_exit_2(capsys, argv, message):
    code, text = run(capsys, *argv)
    assert code == 2
    assert message in text and len(text.strip().splitlines()) == 1, text


def test_argparse_is_left_as_it_was():
    """The Swedish words are argparse's only while main() builds and parses."""
    before = argparse._
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert argparse._ is before
    assert "usage: " in argparse.ArgumentParser(prog="x").format_usage()


def test_the_real_command():
    out = subprocess.run([sys.executable, "-m", "dashboard", "--help"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("användning: python -m dashboard [-h] KOMMANDO ...")
