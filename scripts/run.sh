#!/usr/bin/env bash
# README command 1: install the app's dependencies and start it on the embedded data with the
# production launcher, `python -m dashboard serve` (http://localhost:8501). It prepares the
# database and every page's default view before it answers, and warms the rest in the gaps
# between viewers: a fresh start serves a crowd as a warm server does (bench/RESULTS.md, cold start).
# Extra arguments go to the launcher: its own flags (`--port 8600`, `--address 0.0.0.0`; see
# `python -m dashboard serve --help`) or Streamlit options (`--server.port 8600`).
# The interpreter: `python3` on PATH (or $PYTHON); scripts/python_env.py picks it, an active
# venv, or the project's .venv/ (made when the interpreter is externally managed, PEP 668).
# VALRUMMET_SKIP_INSTALL=1 starts without the install step (bench/load measures the start).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/python_env.sh
if [ -z "${VALRUMMET_SKIP_INSTALL:-}" ]; then
  "$PY" -m pip install -q --disable-pip-version-check -r requirements.txt
fi
# This checkout's code, whatever an earlier editable install of another checkout points at.
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
exec "$PY" -m dashboard serve "$@"
