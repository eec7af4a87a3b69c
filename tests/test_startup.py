"""What the production launcher does before the server answers (dashboard.startup, issue 17):
the first-use costs of charts and tables paid with stand-ins, Streamlit's direct-run check
skipped, and every public page's default view computed, so the crowd that arrives with the
first health answer runs no query for it."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import db, startup, warm

ROOT = Path(__file__).resolve().parents[1]

# Each public page at its default URL (what a shared link opens first), and a text it shows.
DEFAULT_VIEWS = {
    "pages/oversikt.py": "Vänsterpartiet",
    "pages/kommuner.py": "Kommunval",
    "pages/jamfor.py": "Vänsterpartiet",
    "pages/valdistrikt.py": "Stockholm",
    "pages/om_data.py": "2026",
    "pages/utskrift.py": "Stockholm",
}


@pytest.fixture(scope="module")
def first_views_done():
    return startup.first_views(budget_s=60)


def test_first_views_run_every_step_within_the_budget(first_views_done):
    steps = list(warm.first_view_steps())
    assert first_views_done["steps"] == len(steps) >= 30
    kinds = {kind for kind, _ in steps}
    assert kinds == {"sidor", "kommuner", "översikt", "jämför", "utskrift", "valdistrikt", "om data"}
    # They are where the warm-up starts, so it finds them done.
    assert [k for k, _ in warm.steps()][: len(steps)] == [k for k, _ in steps]


@pytest.mark.parametrize("page, shown", DEFAULT_VIEWS.items())
def test_default_views_need_no_query_after_the_first_views(first_views_done, page, shown, monkeypatch):
    """With the database switched off, each public page's default view still renders in full:
    everything it reads was computed before the server answered."""

    def no_query(*args, **kwargs):
        raise AssertionError(f"a query ran for the default view of {page}: {args[:1]}")

    monkeypatch.setattr(db, "execute", no_query)
    monkeypatch.setattr(db, "sql", no_query)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    text = "\n".join([m.value for m in at.markdown] + [t.value for t in at.title] + [c.value for c in at.caption]
                     + [str(s.value) for s in at.selectbox])
    assert shown in text


def test_first_views_stop_at_their_budget(capsys):
    took = startup.first_views(budget_s=-1)
    assert took["steps"] == 0
    assert f"{startup.FIRST_VIEWS}: 0 steg" in capsys.readouterr().err


def test_the_direct_run_check_is_skipped(monkeypatch):
    """Streamlit's check for "not run with streamlit run" walks the call stack and reads every
    frame's source file (~50 ms of a first view); a server process skips it."""
    from streamlit import delta_generator, env_util

    def no_stack_walk():
        raise AssertionError("the direct-run check walked the stack")

    monkeypatch.setattr(env_util, "is_repl", no_stack_walk)
    monkeypatch.setattr(delta_generator, "_use_warning_has_been_displayed", False)
    startup.quiet_direct_run_check()
    delta_generator._maybe_print_use_warning()
    assert delta_generator._use_warning_has_been_displayed is True


def test_first_use_loads_the_chart_validators_in_a_fresh_process():
    """In a fresh interpreter, first_use() leaves plotly's validators for the maps and bar
    charts loaded and a table marshalled: what the first chart and table of a process cost
    beyond their data is paid before a viewer comes."""
    code = (
        "from dashboard import startup\n"
        "from plotly.validator_cache import ValidatorCache as V\n"
        "assert V._json_cache is None\n"
        "startup.first_use()\n"
        "need = [('choroplethmap', 'geojson'), ('choroplethmap', 'colorbar'), ('bar', 'marker'), ('layout', 'map'),\n"
        "        ('layout', 'separators'), ('layout', 'xaxis')]\n"
        "print(sum(k in V._cache for k in need), len(need))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    loaded, needed = map(int, done.stdout.split())
    assert loaded == needed
