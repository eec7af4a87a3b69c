"""Fill the per-process caches in the background, in the gaps between viewers (run by
`python -m dashboard serve`).

When a link is shared at a meeting, hundreds of viewers open it within half a minute and pick
parties, elections and municipalities all over the lists. A choice nobody has made before
costs its viewer – and everyone waiting behind it for the run slot – the work of building its
frames, charts and tables (20–120 ms). What depends only on the data is not done here at all:
seats and margins come with the data (`dashboard.seat_table`), the database file is ready
before the server answers (`serve.prepare_data`). What is left is per process: the pages'
cached frames, charts (`dashboard.figures`) and rendered tables (`dashboard.ui`) for the
default period, built with the same cached functions the pages call, so a warm entry is
exactly what a page would have computed. The first of them, each public page's default view
(`first_view_steps`), the launcher computes before the server answers (`dashboard.startup`).

The warm-up never competes with a viewer (`run_slots`): it runs one small step at a time, each
in the process's run slot, and takes the slot only when no page run holds it or waits for it.
A viewer who arrives during a step waits for that step only; the steps are single cached calls
(the longest and the delay a viewer saw are in the log line). When the warm-up is done it logs
`DONE` with its CPU time, the steps, the pauses and the longest delay it caused a viewer.
"""
from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable, Iterator

DONE = "valrummet: förvärmning klar"  # logged when the warm-up ends (bench/load waits for it)
PAUSED = "valrummet: förvärmningen väntar på sidvisningar"  # logged at its first pause
FREEZE_EVERY = 25  # steps between moving what is built out of the collector's generations
# A step starts only after the run slots have been free this long: in a crowd the next view
# arrives within milliseconds of the last, at a meeting viewers pause for seconds.
QUIET_S = 0.05


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _plan():
    """What the warm-up works with: the default period, the parties (own party first), the
    default comparison, and the step builders shared by `first_view_steps` and `steps`."""
    from . import queries as q
    from .state import DEFAULT_PARTY, default_pair

    a, b = default_pair(q.year_pairs())
    parties = list(q.parties("alla", a, b)["party"])
    parties.sort(key=lambda p: p != DEFAULT_PARTY)  # stable: otherwise the data's order (big first)
    return a, b, parties, tuple(q.default_comparison())


def _kommuner_steps(a: int, b: int, e: str) -> Iterator[tuple[str, Callable[[], object]]]:
    from . import figures, ui
    from . import queries as q
    from .state import DEFAULT_PARTY as p0

    def kommuner_table() -> None:
        df = q.kommuner_view(e, a, b, p0)
        ui.prepare_table(df, ui.kommuner_cols(a, b, df))

    yield "kommuner", lambda: q.kommuner_extras(e, a, b, p0)
    yield "kommuner", lambda: q.notes_for(e, a, b)
    yield "kommuner", lambda: figures.kommuner_map(e, a, b, p0, None)
    yield "kommuner", kommuner_table


def _party_steps(a: int, b: int, p: str, chosen: tuple[str, ...]) -> Iterator[tuple[str, Callable[[], object]]]:
    """One party's overview (with its rankings per election), the comparison of the default
    municipalities (share and change) and the hand-out; rendered tables for the own party only."""
    from . import figures, handout, ui
    from . import queries as q
    from .state import DEFAULT_KOMMUN, DEFAULT_PARTY, ELECTIONS

    # The overview's frame in parts (each a cached call the whole reuses): steps stay short.
    for e in ELECTIONS:
        yield "översikt", lambda e=e: q.municipality_change(e, a, b, p)
    for e, area, *_ in q.OVERVIEW_AREAS:
        yield "översikt", lambda e=e, area=area: q.area_change(e, a, b, p, area)
    yield "översikt", lambda: q.overview_rankings(a, b, p)
    yield "översikt", lambda: q.overview_view(a, b, p)
    yield "översikt", lambda: figures.overview_direction(a, b, p)
    yield "översikt", lambda: figures.overview_map(a, b, p)
    # Rendered tables (Styler and protobuf, ~15 ms each) for the own party only: their cache
    # holds 128 (ui._styled), and 2 x 138 parties pushed out the own party's and the
    # municipality tables warmed before them.
    if p == DEFAULT_PARTY:
        yield "översikt", lambda: ui.prepare_table(q.overview_view(a, b, p)["counts"], ui.direction_cols())
    # The page's default (share) and the change: the two a meeting looks at.
    yield "jämför", lambda: q.compare_view(chosen, a, b, p, True)
    for metric in ("andel", "forandring"):
        yield "jämför", lambda m=metric: figures.compare_chart(chosen, a, b, p, True, m)
    yield "jämför", lambda: q.compare_prel(chosen, a, b, p, True)
    if p == DEFAULT_PARTY:
        def compare_table() -> None:
            df = q.compare_view(chosen, a, b, p, True)
            ui.prepare_table(df, ui.compare_cols(a, b, df))

        yield "jämför", compare_table
    yield "utskrift", lambda: handout.sheet(DEFAULT_KOMMUN, a, b, p)


def _district_steps(a: int, b: int, e: str, kommuner: list[str],
                    with_notes: bool = True) -> Iterator[tuple[str, Callable[[], object]]]:
    """Valdistrikt for one election (own party): the nearest choice, notes and source; then
    frame, facts, map and table per municipality where both years have districts. A choice
    without them shows a pointer to the nearest one that has, and its frames for 26
    municipalities cost ~40 MB per process (the 400 MB target of issue 8) for a view few ask for."""
    from . import figures, ui
    from . import queries as q
    from .state import DEFAULT_PARTY as p0

    def district_table(k: str) -> None:
        ui.prepare_table(q.districts_view(e, a, b, k, p0), ui.district_cols(a, b, q.district_facts(e, a, b, k, p0)))

    if with_notes:
        yield "valdistrikt", lambda: q.district_alternative(e, a, b)
        yield "valdistrikt", lambda: q.notes_for(e, a, b, level="district")
        yield "valdistrikt", lambda: q.source_text((a, b), ("district",), (e,))
    if q.district_alternative(e, a, b) is not None:
        return
    for k in kommuner:
        yield "valdistrikt", lambda k=k: q.districts_view(e, a, b, k, p0)
        yield "valdistrikt", lambda k=k: q.district_facts(e, a, b, k, p0)
        yield "valdistrikt", lambda k=k: figures.district_map(e, a, b, k, p0, "andel")
        yield "valdistrikt", lambda k=k: district_table(k)


def first_view_steps() -> Iterator[tuple[str, Callable[[], object]]]:
    """What each public page's default view needs (the links a meeting opens first: default
    period, election, municipality and comparison, own party): the launcher runs these before
    the server answers (`dashboard.startup.prepare`), so the first viewers compute nothing."""
    from . import queries as q
    from .state import DEFAULT_ELECTION, DEFAULT_KOMMUN, DEFAULT_PARTY, DISTRICT_DEFAULT_ELECTION

    a, b, _, chosen = _plan()
    # What every page's small print and notes read, once per period.
    yield "sidor", lambda: q.source_text((a, b))
    yield "sidor", lambda: q.missing_notes(a, b)
    yield "sidor", q.party_names
    # The party lists of the default elections (the overview's, "alla", is read by _plan).
    for e in dict.fromkeys((DEFAULT_ELECTION, DISTRICT_DEFAULT_ELECTION)):
        yield "sidor", lambda e=e: q.parties(e, a, b)
    yield from _kommuner_steps(a, b, DEFAULT_ELECTION)
    yield from _party_steps(a, b, DEFAULT_PARTY, chosen)
    yield from _district_steps(a, b, DISTRICT_DEFAULT_ELECTION, [DEFAULT_KOMMUN])
    for what in (q.coverage_table, q.build_files, q.copied_sources, q.area_notes_table,
                 q.imported_results):
        yield "om data", what


def steps() -> Iterator[tuple[str, Callable[[], object]]]:
    """(kind, step) in the order a meeting is likely to need them, each one cached call: the
    default views (`first_view_steps`), then Kommuner's other elections, Valdistrikt's default
    election for every municipality (a local association shares its own), every other party's
    overview, comparison and hand-out, and last Valdistrikt's other elections, which a viewer
    arriving from the region or kommun view of another page brings along (the election choice
    is shared)."""
    from . import queries as q
    from .state import DEFAULT_ELECTION, DEFAULT_KOMMUN, DEFAULT_PARTY, DISTRICT_DEFAULT_ELECTION, ELECTIONS

    a, b, parties, chosen = _plan()
    yield from first_view_steps()
    for e in ELECTIONS:
        if e not in (DEFAULT_ELECTION, DISTRICT_DEFAULT_ELECTION):
            yield "sidor", lambda e=e: q.parties(e, a, b)
    for e in ELECTIONS:
        if e != DEFAULT_ELECTION:
            yield from _kommuner_steps(a, b, e)
    others = [k for k in q.municipalities()["kommunkod"] if k != DEFAULT_KOMMUN]
    yield from _district_steps(a, b, DISTRICT_DEFAULT_ELECTION, others, with_notes=False)
    for p in parties:
        if p != DEFAULT_PARTY:
            yield from _party_steps(a, b, p, chosen)
    for e in ELECTIONS:
        if e != DISTRICT_DEFAULT_ELECTION:
            yield from _district_steps(a, b, e, list(q.municipalities()["kommunkod"]))


def _freeze() -> None:
    # What is loaded now (modules, caches) stays for the process's life: out of the garbage
    # collector's generations, so the full collections that page runs trigger do not walk it
    # every time. The young generations first, so little garbage is frozen with it.
    gc.collect(1)
    gc.freeze()


SWEEP_EVERY_S = 60.0  # between sweeps of the caches' dead references once the warm-up is done


def sweep(slots) -> None:
    """`cache.sweep()` in an idle run slot (~40 ms with every cache full): the dead references
    that page runs leave in the cached frames, ~150 000 (~13 MB) after the warm-up alone."""
    from . import cache

    slots.acquire_idle(QUIET_S)
    try:
        cache.sweep()
    finally:
        slots.release_idle()


def keep_swept(slots=None, every_s: float = SWEEP_EVERY_S) -> None:
    """Sweep the caches every `every_s` seconds, in the gaps between viewers; never returns
    (the launcher's warm-up thread, after `run`)."""
    from . import run_slots

    slots = slots or run_slots.slots()
    while True:
        time.sleep(every_s)
        try:
            sweep(slots)
        except Exception as exc:  # never stop the thread over it; say so once
            _log(f"valrummet: städning av cachar misslyckades: {exc}")
            return


def wait_for_server(timeout_s: float = 120.0) -> None:
    """Return once this process's Streamlit server runs (or after `timeout_s`): the warm-up
    must not slow down the start itself."""
    try:
        from streamlit.runtime import runtime as rt
    except ImportError:
        return
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if rt.Runtime.exists() and rt.Runtime.instance().state not in (rt.RuntimeState.INITIAL,):
            return
        time.sleep(0.05)


def run(slots=None, step_source: Callable[[], Iterator] | None = None, *, after_server_start: bool = False) -> dict:
    """Warm the pages' caches step by step in idle run slots; never raises (the pages report
    problems). Returns the numbers it logs."""
    from . import run_slots
    from .errors import ValrummetError

    if after_server_start:
        wait_for_server()
    slots = slots or run_slots.slots()
    t0, cpu0 = time.monotonic(), time.thread_time()
    stats = {"steps": 0, "pauses": 0, "paused_s": 0.0, "longest_step_ms": 0.0, "longest_step": ""}
    before = slots.background_stats()
    try:
        for kind, step in (step_source or steps)():
            waited = slots.acquire_idle(QUIET_S)
            if waited > QUIET_S * 1.5:  # more than the quiet moment itself: a page run was in the way
                if not stats["pauses"]:
                    _log(PAUSED)
                stats["pauses"] += 1
                stats["paused_s"] += waited
            s0 = time.monotonic()
            try:
                step()
            except ValrummetError:
                pass  # e.g. a choice without data; the page says so when asked
            finally:
                stats["steps"] += 1
                if stats["steps"] % FREEZE_EVERY == 0:
                    _freeze()
                took = (time.monotonic() - s0) * 1000
                if took > stats["longest_step_ms"]:
                    stats["longest_step_ms"], stats["longest_step"] = took, f"{kind} nr {stats['steps']}"
                slots.release_idle()
    except Exception as exc:  # a warm-up must never stop the server
        _log(f"valrummet: förvärmning misslyckades: {exc}")
    try:
        sweep(slots)
    except Exception as exc:  # as above: only the memory is lost
        _log(f"valrummet: städning av cachar misslyckades: {exc}")
    _freeze()
    after = slots.background_stats()
    stats.update(cpu_s=time.thread_time() - cpu0, wall_s=time.monotonic() - t0,
                 viewers_delayed=after["delayed"] - before["delayed"], longest_delay_ms=after["longest_delay_ms"])
    _log(f"{DONE}: {stats['steps']} steg, CPU {stats['cpu_s']:.1f} s på {stats['wall_s']:.0f} s; "
         f"pausade {stats['pauses']} gånger ({stats['paused_s']:.1f} s) för sidvisningar; "
         f"längsta steg {stats['longest_step_ms']:.0f} ms ({stats['longest_step']}); "
         f"fördröjde {stats['viewers_delayed']} sidvisningar, som mest {stats['longest_delay_ms']:.0f} ms")
    return stats
