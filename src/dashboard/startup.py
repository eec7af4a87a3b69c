"""What a server process prepares before its first viewer: the database file, the modules,
and every public page's default view.

A fresh process (a deploy, a restart, a host that slept) has an empty database cache folder
and has imported nothing. Left to the first page, the database file is built at its first
query (a child process, ~1 s of CPU) and pandas, plotly and the pages' modules are imported by
its script: the first viewers waited seconds, and everyone queued behind them.

`prepare()` (the production launcher, before the server answers `/_stcore/health`) builds or
finds the database file in a child process while this one imports what the pages use, pays the
first-use costs of charts and tables with stand-ins (`first_use`) and reads the maps' shapes,
opens the database, and moves what is loaded out of the garbage collector's generations (the
launcher calls `begin()` first thing, so the child starts before Streamlit is even imported).
`first_views()` then computes what each public page's default view needs
(`dashboard.warm.first_view_steps`): a crowd that arrives with the first health answer found
~1.5 s of such first-time work queued before its pages (bench/RESULTS.md, cold start). With
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
    # Kalender (SQLAlchemy), Om data (the import history) and the page icon's emoji table:
    # ~150 ms of the first runs of a fresh process (py-spy).
    "dashboard.calendar.pagedata", "dashboard.calendar.views", "dashboard.calendar.widgets",
    "dashboard.calendar.http", "dashboard.vm_import", "streamlit.emojis",
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


def quiet_direct_run_check() -> None:
    """Skip Streamlit's check for "imported but not run with `streamlit run`": this process is
    a Streamlit server, and the check (once per process, at the first element a page sends)
    walks the whole call stack and reads every frame's source file: ~50 ms of a first viewer's
    page."""
    try:
        from streamlit import delta_generator
    except ImportError:
        return
    if hasattr(delta_generator, "_use_warning_has_been_displayed"):
        delta_generator._use_warning_has_been_displayed = True


def begin(directory: Path | None = None) -> None:
    """Start building the database file (a child process) if it is not built yet, once per
    process; returns at once. The first query waits for that build instead of starting one.
    No thread: this process goes on importing undisturbed (a module imported by two threads at
    once can be seen half-initialised by code that looks it up in sys.modules)."""
    if _begun.is_set():
        return
    _begun.set()
    quiet_direct_run_check()
    from . import db_file
    from .paths import data_dir

    db_file.begin(Path(directory or data_dir()).resolve())


def first_use() -> None:
    """Pay what the first chart and the first table of a process cost beyond their data, with
    tiny stand-ins, while the database is still being built: plotly loads the validators of a
    trace type and of each layout property on first use, pandas' Styler compiles its templates,
    Streamlit's table marshalling loads its parts (~150 ms of a fresh process's first views)."""
    import pandas as pd
    import plotly.graph_objects as go
    import plotly.io
    from plotly.subplots import make_subplots

    from .charts import PLOTLY_SEPARATORS, _base_layout

    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, subplot_titles=("a", "b"), horizontal_spacing=0.05)
    for col in (1, 2):
        fig.add_trace(go.Bar(x=[1.5], y=["a"], orientation="h", text=["1,5"], textposition="outside",
                             marker={"color": ["#000000"], "line": {"color": "#000000", "width": 1}},
                             hovertemplate="%{y}<extra></extra>", cliponaxis=False, showlegend=False), row=1, col=col)
    fig.update_xaxes(title_text="x", range=[0, 2], ticksuffix=" %", zeroline=True)
    fig.update_yaxes(autorange="reversed", automargin=True)
    _base_layout(fig, 300)  # the bar charts' own layout
    fig.update_layout(barmode="stack", legend={"orientation": "h"}, font={"size": 12})
    geo = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"id": "a"},
           "geometry": {"type": "Polygon", "coordinates": [[[18.0, 59.0], [18.1, 59.0], [18.1, 59.1], [18.0, 59.0]]]}}]}
    chart = go.Figure(go.Choroplethmap(
        geojson=geo, featureidkey="properties.id", locations=["a"], z=[1.0], colorscale=[[0, "#fff"], [1, "#000"]],
        zmin=-1, zmax=1, zmid=0, marker={"line": {"color": "#000", "width": 0.8}}, customdata=[["a"]],
        hovertemplate="%{customdata[0]}<extra></extra>", showscale=True, name="a",
        colorbar={"title": {"text": "a", "side": "top"}, "orientation": "h", "y": -0.02, "yanchor": "top",
                  "thickness": 12, "len": 0.9, "ticksuffix": " %"}))
    chart.update_layout(map={"style": "white-bg", "center": {"lat": 59.0, "lon": 18.0}, "zoom": 7},
                        margin={"l": 0, "r": 0, "t": 0, "b": 0}, height=300, separators=PLOTLY_SEPARATORS,
                        showlegend=False, dragmode=False)
    for f in (fig, chart):
        plotly.io.to_json(f.to_dict(), validate=False)
    try:
        from streamlit import dataframe_util
        from streamlit.elements import arrow as st_arrow
        from streamlit.proto.ArrowData_pb2 import ArrowData
    except ImportError:
        return
    df = pd.DataFrame({"kommun": ["a"], "andel": [1.5], "antal": [1]})
    styler = df.style.format({"andel": "{:.1f}"}, na_rep="uppgift saknas").hide(axis="index")
    st_arrow.marshall_styler(ArrowData(), styler, "vr")
    dataframe_util.convert_pandas_df_to_arrow_bytes(df)


def prepare(directory: Path | None = None) -> dict:
    """Database file and modules ready, heap frozen; returns the seconds each took. Never
    raises: a database that cannot be built is reported by the pages, as before."""
    from . import db

    t0 = time.monotonic()
    begin(directory)
    _import_modules()
    t_imports = time.monotonic() - t0
    try:  # while the child process builds the database: what needs no database
        first_use()
        from . import queries as q

        q.kommun_geo()  # the maps' shapes (GeoJSON files in data/geo)
        q.district_geo_codes()
    except Exception as exc:  # only the first viewers' time is lost
        _log(f"valrummet: förberedelse av diagram och tabeller misslyckades: {exc}")
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


FIRST_VIEWS = "valrummet: förstavyer klara"  # logged by first_views()


def first_views(budget_s: float = 1.5) -> dict:
    """Compute what each public page's default view needs (`dashboard.warm.first_view_steps`)
    before the server answers: a crowd that arrives with the first health answer then finds
    the links a meeting shares ready. Stops after `budget_s` (the rest is left to the warm-up);
    never raises. Returns and logs the steps and seconds."""
    from . import warm
    from .errors import ValrummetError

    t0 = time.monotonic()
    done = 0
    try:
        for _, step in warm.first_view_steps():
            if time.monotonic() - t0 > budget_s:
                break
            try:
                step()
            except ValrummetError:
                pass  # a choice without data: the page says so when asked
            done += 1
    except Exception as exc:  # the pages report problems; the start goes on
        _log(f"valrummet: förstavyerna misslyckades: {exc}")
    gc.collect(1)
    gc.freeze()
    took = {"steps": done, "seconds": time.monotonic() - t0}
    _log(f"{FIRST_VIEWS}: {done} steg på {took['seconds']:.2f} s")
    return took
