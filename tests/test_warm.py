"""The production launcher's warm-up (dashboard.warm): what it computes, in which order, that it
fills the same caches the pages read, that nothing depending only on the data is in it, and
that it gives way to page runs."""
from __future__ import annotations

import gc
import threading
import time

from dashboard import figures, run_slots, seat_queries, state, ui, warm
from dashboard import queries as q
from dashboard.errors import QueryError
from dashboard.state import DEFAULT_PARTY


def _period() -> tuple[int, int]:
    """The period the warm-up uses: the pages' default (2022 → 2026 with the data)."""
    return state.default_pair(q.year_pairs())


def _first_of_each_kind() -> dict:
    found = {}
    for kind, step in warm.steps():
        found.setdefault(kind, step)
    return found


def test_steps_cover_every_party_and_municipality_own_party_first():
    kinds = [kind for kind, _ in warm.steps()]
    n_parties = len(q.parties("alla", *_period()))
    assert _period() == state.DEFAULT_PERIOD
    assert kinds[:2] == ["sidor", "sidor"]  # the source line and the missing-data notes
    # per party: three municipality results, the five areas, the rankings per election, the
    # frame, two charts, a table (the direction table for the own party only)
    assert kinds.count("översikt") == (3 + len(q.OVERVIEW_AREAS) + 4) * n_parties + 1
    # the frame, share and change charts, the note; the table for the own party only
    assert kinds.count("jämför") == 4 * n_parties + 1
    assert kinds.count("utskrift") == n_parties
    # per election: the nearest choice, the notes, the source; then facts, frame, map and table
    # of every municipality, where both years have districts (riksdag only, for 2022→2026)
    with_districts = [e for e in state.ELECTIONS if q.district_alternative(e, *_period()) is None]
    assert with_districts == ["riksdag"]
    assert kinds.count("valdistrikt") == 3 * 3 + 4 * 26 * len(with_districts)
    assert kinds.count("kommuner") == 4 * 3


def test_what_the_warm_up_fills_fits_in_the_caches():
    """A warm-up larger than a cache pushes out its own first entries: the own party's charts
    and tables, built first because a meeting looks at them first."""
    kinds = [kind for kind, _ in warm.steps()]
    n_parties = len(q.parties("alla", *_period()))
    districts = kinds.count("valdistrikt") - 9
    charts = 4 * n_parties + 3 + districts // 4  # overview direction and map, two comparisons; maps
    tables = 2 + 3 + districts // 4  # the own party's two, Kommuner's per election, the districts'
    assert charts <= ui.FIGURE_CACHE
    assert tables <= ui.TABLE_CACHE
    assert 3 * n_parties <= q._MAX  # municipality_change per party and election
    assert len(q.OVERVIEW_AREAS) * n_parties <= q.AREA_CACHE  # area_change per party and area


def test_valdistrikt_opens_on_its_default_election_first(monkeypatch):
    """Valdistrikt opens on riksdag (the only election with districts both default years): the
    warm-up fills that view, for every municipality, before the other elections'."""
    seen: list[tuple[str, str]] = []

    def record(what):
        return lambda e, *args: seen.append((what, e))

    monkeypatch.setattr(q, "district_alternative", record("alternative"))
    monkeypatch.setattr(q, "districts_view", record("districts"))
    monkeypatch.setattr(q, "district_facts", record("facts"))
    monkeypatch.setattr(figures, "district_map", record("map"))
    monkeypatch.setattr(ui, "prepare_table", lambda *args: None)
    monkeypatch.setattr(ui, "district_cols", lambda *args: None)
    for kind, step in warm.steps():
        if kind == "valdistrikt":
            step()
    elections = [e for _, e in seen]
    order = [e for i, e in enumerate(elections) if i == 0 or elections[i - 1] != e]
    assert order == [state.DISTRICT_DEFAULT_ELECTION, "region", "kommun"]
    assert sum(1 for what, e in seen if what == "map" and e == "riksdag") == 26


def test_own_party_comes_first():
    calls = []
    real = q.overview_view

    def spy(a, b, party):
        calls.append(party)
        return real(a, b, party)

    q.overview_view = spy
    try:
        for kind, step in warm.steps():
            if kind == "översikt" and len(calls) < 1:
                step()
    finally:
        q.overview_view = real
    assert calls[0] == DEFAULT_PARTY


def test_a_warm_step_fills_the_caches_the_page_reads(monkeypatch):
    for kind, step in warm.steps():
        if kind in ("översikt", "jämför"):
            step()
        if kind == "utskrift":
            break  # the first party's overview and comparison are done

    def no_build(*args, **kwargs):
        raise AssertionError("built again: the warm-up did not fill this cache")

    # The page's calls find the charts without building them...
    monkeypatch.setattr(figures.maps, "category_map", no_build)
    monkeypatch.setattr(figures.charts, "direction_bars", no_build)
    monkeypatch.setattr(figures.charts, "small_multiples", no_build)
    a, b = _period()
    figures.overview_map(a, b, DEFAULT_PARTY)
    figures.overview_direction(a, b, DEFAULT_PARTY)
    figures.compare_chart(tuple(q.default_comparison()), a, b, DEFAULT_PARTY, True, "andel")
    # ...and the tables already rendered, for the very frame the page will pass.
    counts = q.overview_view(a, b, DEFAULT_PARTY)["counts"]
    _, styler, _ = ui._table_parts(counts, ui.direction_cols())
    assert getattr(styler, "_valrummet_styler_proto", None) is not None


def test_nothing_that_depends_only_on_the_data_is_computed(monkeypatch):
    """Seat margins come with the data (dashboard.seat_table): the hand-out step reads them."""

    def no_engine(*args, **kwargs):
        raise AssertionError("the warm-up ran the seat engine")

    monkeypatch.setattr(seat_queries, "load_councils", no_engine)
    monkeypatch.setattr(seat_queries, "council_rows", no_engine)
    monkeypatch.setattr(seat_queries.S, "allocate", no_engine)
    for kind, step in _first_of_each_kind().items():
        step()
    assert "utskrift" in _first_of_each_kind()


def test_run_logs_when_done_and_freezes_the_heap(capsys):
    calls = []

    def steps():
        yield "x", lambda: calls.append(1)
        yield "x", lambda: (_ for _ in ()).throw(QueryError("ingen data"))  # skipped, counted
        yield "x", lambda: calls.append(2)

    try:
        stats = warm.run(run_slots.FairSlots(1), steps)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    err = capsys.readouterr().err
    assert f"{warm.DONE}: 3 steg, CPU " in err
    assert "pausade 0 gånger" in err and "fördröjde 0 sidvisningar" in err
    assert calls == [1, 2] and stats["steps"] == 3 and stats["pauses"] == 0


def test_the_warm_up_gives_way_to_a_page_run():
    """A page run that arrives during a step gets the slot as soon as the step ends, before the
    next step; the warm-up waits until the run is done, and counts the pause and the delay."""
    slots = run_slots.FairSlots(1)
    order: list[str] = []
    in_step, queued = threading.Event(), threading.Event()

    def first_step():
        order.append("step 1")
        in_step.set()
        assert queued.wait(10)

    def steps():
        yield "x", first_step
        yield "x", lambda: order.append("step 2")

    def viewer():
        assert in_step.wait(10)
        slots.acquire()  # waits: the warm-up holds the slot
        order.append("page run")
        time.sleep(0.05)
        slots.release()

    t = threading.Thread(target=viewer)
    t.start()
    result = {}
    w = threading.Thread(target=lambda: result.update(warm.run(slots, steps)))
    w.start()
    deadline = time.monotonic() + 10
    while slots.waiting() == 0:
        assert time.monotonic() < deadline
        time.sleep(0.001)
    queued.set()
    t.join(10)
    w.join(10)
    gc.unfreeze()
    assert order == ["step 1", "page run", "step 2"]
    assert result["pauses"] == 1 and result["paused_s"] >= 0.04
    assert result["viewers_delayed"] == 1 and result["longest_delay_ms"] > 0
    assert slots.free() == 1 and slots.waiting() == 0
