#!/usr/bin/env bash
# README command 1: install the app's dependencies and start it on the embedded data
# (http://localhost:8501; extra arguments go to `streamlit run`).
# The interpreter: `python3` on PATH (or $PYTHON); scripts/python_env.py picks it, an active
# venv, or the project's .venv/ (made when the interpreter is externally managed, PEP 668).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/python_env.sh
"$PY" -m pip install -q --disable-pip-version-check -r requirements.txt
exec "$PY" -m streamlit run app.py "$@"
