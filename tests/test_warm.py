"""The production launcher's warm-up (dashboard.warm): what it computes, in which order, and
that it fills the same caches the pages read."""
from __future__ import annotations

import gc

from dashboard import figures, state, ui, warm
from dashboard import queries as q

A, B = state.DEFAULT_PERIOD  # the warm-up follows the pages' default period

BIG = {"V", "S", "M", "SD", "C", "KD", "L", "MP"}


def test_seat_margins_are_warmed_own_party_first_then_by_reach():
    jobs = warm._seat_jobs()
    by_election: dict[str, list[str]] = {}
    for election, year, party in jobs:
        assert year == 2026  # the latest year with official seats
        by_election.setdefault(election, []).append(party)
    assert set(by_election) == {"kommun", "region"}
    for election, parties in by_election.items():
        assert parties[0] == "V"
        assert len(parties) == len(set(parties))
        # The riksdag parties stand in every council: they come before any local party.
        assert set(parties[:8]) == BIG, (election, parties[:10])
    # Every party standing in one of the 26 municipal councils, local parties included.
    assert len(by_election["kommun"]) > 60


def test_view_jobs_cover_every_party_and_municipality():
    jobs = warm._view_jobs()
    names = [name for name, _ in jobs]
    n_parties = len(q.parties("alla", A, B))
    assert names.count("översikt") == names.count("utskrift") == n_parties
    assert names.count("jämför") == 2 * n_parties  # share and change
    assert names.count("valdistrikt") == 26 * 3  # every municipality, every election
    assert names.count("kommuner") == 2 * 3  # a frame and a map per election


def test_a_warm_job_fills_the_caches_the_page_reads(monkeypatch):
    jobs = dict((name, job) for name, job in reversed(warm._view_jobs()))  # the first job per name
    jobs["översikt"]()
    jobs["jämför"]()

    def no_build(*args, **kwargs):
        raise AssertionError("built again: the warm-up did not fill this cache")

    # The page's calls find the charts without building them...
    monkeypatch.setattr(figures.maps, "category_map", no_build)
    monkeypatch.setattr(figures.charts, "direction_bars", no_build)
    monkeypatch.setattr(figures.charts, "small_multiples", no_build)
    figures.overview_map(A, B, "V")
    figures.overview_direction(A, B, "V")
    figures.compare_chart(tuple(q.default_comparison()), A, B, "V", True, "andel")
    # ...and the tables already rendered, for the very frame the page will pass.
    counts = q.overview_view(A, B, "V")["counts"]
    _, styler, _ = ui._table_parts(counts, ui.direction_cols())
    assert getattr(styler, "_valrummet_styler_proto", None) is not None


def test_run_logs_when_done_and_freezes_the_heap(monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(warm, "_seat_jobs", lambda: [("kommun", 2022, "V"), ("kommun", 2022, "Finns inte")])
    monkeypatch.setattr(warm, "_view_jobs", lambda: [("x", lambda: calls.append(1))])
    try:
        warm.run()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    err = capsys.readouterr().err
    # The unknown party is skipped (the page would say so), the rest is counted.
    assert f"{warm.DONE}: mandatmarginaler för 1 parti och val, 1 vyer" in err
    assert calls == [1]
