"""What a server process prepares before its first viewer: the database file and the modules.

A fresh process (a deploy, a restart, a host that slept) has an empty database cache folder
and has imported nothing. Left to the first page, the database file is built at its first
query (a child process, ~1 s of CPU) and pandas, plotly and the pages' modules are imported by
its script: the first viewers waited seconds, and everyone queued behind them.

`prepare()` (the production launcher, before the server answers `/_stcore/health`) builds or
finds the database file in a child process while this one imports what the pages use, opens
the database, and moves what is loaded out of the garbage collector's generations (the launcher
calls `begin()` first thing, so the child starts before Streamlit is even imported). With
`streamlit run app.py` nothing runs before the server answers, so app.py calls `begin()` first
thing: the database builds in the child while the first script imports the rest.
"""
from __future__ import annotations

import gc
import sys
import threading
import time
from pathlib import Path

READY = "valrummet: redo"  # logged by prepare() (bench/load measures from process start)

# What the page scripts import (app.py, pages/), and the Streamlit elements they use: a first
# run that imports them costs its viewer ~1 s.
MODULES = (
    "pandas", "pyarrow", "plotly.graph_objects", "plotly.io",
    "dashboard.queries", "dashboard.figures", "dashboard.ui", "dashboard.charts", "dashboard.maps",
    "dashboard.handout", "dashboard.meeting", "dashboard.auth", "dashboard.page_registry",
    "dashboard.render_memo", "dashboard.state", "dashboard.fmt",
    "streamlit.elements.plotly_chart", "streamlit.elements.arrow", "streamlit.elements.widgets.selectbox",
    "streamlit.elements.widgets.multiselect", "streamlit.elements.widgets.radio",
)

_begun = threading.Event()


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _import_modules() -> None:
    import importlib

    for name in MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            pass  # an optional part (e.g. another Streamlit); the page imports what it needs


def begin(directory: Path | None = None) -> None:
    """Start building the database file (a child process) if it is not built yet, once per
    process; returns at once. The first query waits for that build instead of starting one.
    No thread: this process goes on importing undisturbed (a module imported by two threads at
    once can be seen half-initialised by code that looks it up in sys.modules)."""
    if _begun.is_set():
        return
    _begun.set()
    from . import db_file
    from .paths import data_dir

    db_file.begin(Path(directory or data_dir()).resolve())


def prepare(directory: Path | None = None) -> dict:
    """Database file and modules ready, heap frozen; returns the seconds each took. Never
    raises: a database that cannot be built is reported by the pages, as before."""
    from . import db

    t0 = time.monotonic()
    begin(directory)
    _import_modules()
    t_imports = time.monotonic() - t0
    try:
        db.connect(directory)  # waits for the build begun above
        status = "databasen öppen"
    except Exception as exc:
        status = f"databasen fel: {exc}"
    t_db = time.monotonic() - t0
    # Modules and the database connection stay for the process's life.
    gc.collect()
    gc.freeze()
    took = {"imports_s": t_imports, "database_s": t_db, "total_s": time.monotonic() - t0}
    _log(f"{READY} på {took['total_s']:.1f} s ({status}; moduler {t_imports:.1f} s)")
    return took
