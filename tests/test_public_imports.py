"""What a server that only serves the public pages loads: not the geometry libraries (pyproj
with PROJ's context and shapely, ~19 MB per process toward issue 8's 400 MB), which only
checking or analysing activity files needs."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pyproj", "shapely")


def test_public_page_modules_leave_the_geometry_libraries_unloaded():
    code = (
        "import sys\n"
        "from dashboard import startup\n"
        "startup._import_modules()\n"
        "import dashboard.activity, dashboard.calendar.pagedata, dashboard.calendar.views, dashboard.calendar.widgets\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def test_the_check_still_uses_them():
    import numpy as np

    from dashboard.activity.reference import load_reference

    ref = load_reference()
    # Stockholm's city hall is in the county, Gothenburg is not (SWEREF 99 TM with the tolerance).
    assert ref.in_county(np.array([59.3275]), np.array([18.0549])).tolist() == [True]
    assert ref.in_county(np.array([57.7089]), np.array([11.9746])).tolist() == [False]
    assert ref.in_kommun("0180", np.array([59.3275]), np.array([18.0549])).tolist() == [True]
    assert ref.in_kommun("0182", np.array([59.3275]), np.array([18.0549])).tolist() == [False]
