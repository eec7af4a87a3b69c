# Sourced by scripts/run.sh and scripts/test.sh: sets PY to the interpreter to install into and
# run with (scripts/python_env.py decides; it creates .venv/ when it has to).
base=${PYTHON:-python3}
if ! command -v "$base" >/dev/null 2>&1; then
  echo "fel: hittar inte $base; installera Python 3.11 (Debian/Ubuntu: apt-get install python3 python3-venv) eller ange PYTHON=/sökväg/till/python3" >&2
  exit 1
fi
PY=$("$base" scripts/python_env.py)
