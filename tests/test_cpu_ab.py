"""The A/B tool's pieces that decide what is compared (bench/load/cpu_ab.py); its timing runs
are by hand only."""
from __future__ import annotations

import subprocess
import sys

import pytest

from bench.load import cpu_ab


def test_a_hidden_module_cannot_be_imported_by_that_server(tmp_path):
    env = cpu_ab._hiding(tmp_path / "hide", ["uvloop", "httptools"], {})
    code = ("import importlib\n"
            "for name in ('uvloop', 'httptools'):\n"
            "    try:\n"
            "        importlib.import_module(name)\n"
            "    except ModuleNotFoundError as exc:\n"
            "        print(name, 'hidden', exc.name)\n"
            "import json; print('json still there')\n")
    out = subprocess.run([sys.executable, "-c", code], env={**__import__("os").environ, **env},
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == ["uvloop hidden uvloop", "httptools hidden httptools", "json still there"]


def test_environment_pairs_and_report():
    assert cpu_ab._env(["PYTHONPATH=/tmp/x", "A=b=c"]) == {"PYTHONPATH": "/tmp/x", "A": "b=c"}
    with pytest.raises(SystemExit, match="NAMN=VÄRDE"):
        cpu_ab._env(["PYTHONPATH"])
    # (server CPU s, wall s, page views) per batch: A 20 ms per view, B 15 ms per view.
    a = [(0.80, 1.0, 40), (0.84, 1.0, 42)]
    b = [(0.60, 0.8, 40), (0.63, 0.8, 42)]
    text = cpu_ab.report(["A", "B"], [cpu_ab.describe([], ["uvloop"]), cpu_ab.describe(["X=1"], [])],
                         [a, b], 2, 10)
    assert "| A | hidden: uvloop | 20.0 (20.0, 20.0) | 24.4 |" in text
    assert "| B | `X=1` | 15.0 (15.0, 15.0) | 19.5 |" in text
    assert "B ÷ A, server CPU per view: **0.75** (-25 %)." in text
