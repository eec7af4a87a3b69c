"""Fill the per-process caches before viewers arrive (run by `python -m dashboard serve`).

When a link is shared at a meeting, hundreds of viewers open it within half a minute and
pick parties, elections and municipalities all over the lists. Every choice nobody has made
before costs its viewer – and, since one process runs one script at a time under the GIL,
everyone waiting behind it – the work of computing it: seat margins take ~2 s per party and
election (dozens of seat allocations per council), a page's frames 50–120 ms. That work depends
only on the data, so the launcher does it once at start, in the background, in the order a
meeting is likely to need it: the district's own party first, then parties by how many councils
they stand in and their votes. The same cached functions the pages call are used, so a warm entry is exactly
what a page would have computed (charts through `dashboard.figures`, tables through the column
lists in `dashboard.ui`, as the pages get them).
"""
from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable

DONE = "valrummet: förvärmning klar"  # logged when the warm-up ends (bench/load waits for it)


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _seat_jobs() -> list[tuple[str, int, str]]:
    """(election, year, party) for every party standing in the county's councils in the latest
    year with seats: own party first, then by the number of councils it stands in and votes."""
    from . import db
    from .seat_queries import councils_for
    from .state import COUNTY, DEFAULT_PARTY

    jobs = []
    years = db.sql("SELECT election, max(year) AS year FROM seats_official GROUP BY election")
    for election, year in years.itertuples(index=False):
        councils = [c for a, c in councils_for(election, int(year)).items()
                    if (a == COUNTY if election == "region" else c.county_code == COUNTY)]
        stands: dict[str, int] = {}
        votes: dict[str, int] = {}
        for c in councils:
            for party, n in c.votes.items():
                stands[party] = stands.get(party, 0) + 1
                votes[party] = votes.get(party, 0) + n
        order = sorted(stands, key=lambda p: (p != DEFAULT_PARTY, -stands[p], -votes[p], p))
        jobs += [(election, int(year), party) for party in order]
    return jobs


def _view_jobs() -> list[tuple[str, Callable[[], object]]]:
    """The pages' cached frames, charts and tables for the default period: per party the
    overview, the comparison of the default municipalities (share and change) and the hand-out;
    per election the municipality map and table; per municipality and election the voting
    districts (own party)."""
    from . import figures, handout, ui
    from . import queries as q
    from .state import DEFAULT_KOMMUN, DEFAULT_PARTY, DISTRICT_DEFAULT_ELECTION, ELECTIONS, default_pair

    a, b = default_pair(q.year_pairs())
    parties = list(q.parties("alla", a, b)["party"])
    parties.sort(key=lambda p: p != DEFAULT_PARTY)  # stable: otherwise the data's order (big first)
    chosen = tuple(q.default_comparison())
    jobs: list[tuple[str, Callable[[], object]]] = []
    for election in ELECTIONS:
        jobs.append(("kommuner", lambda e=election: q.kommuner_extras(e, a, b, DEFAULT_PARTY)))
        jobs.append(("noter", lambda e=election: q.notes_for(e, a, b)))
    def kommuner(e: str) -> None:
        figures.kommuner_map(e, a, b, DEFAULT_PARTY, None)
        df = q.kommuner_view(e, a, b, DEFAULT_PARTY)
        ui.prepare_table(df, ui.kommuner_cols(a, b, df))

    def oversikt(p: str) -> None:
        figures.overview_direction(a, b, p)
        figures.overview_map(a, b, p)
        ui.prepare_table(q.overview_view(a, b, p)["counts"], ui.direction_cols())

    def jamfor(p: str, metric: str) -> None:
        figures.compare_chart(chosen, a, b, p, True, metric)
        df = q.compare_view(chosen, a, b, p, True)
        ui.prepare_table(df, ui.compare_cols(a, b, df))

    def valdistrikt(e: str, k: str) -> None:
        facts = q.district_facts(e, a, b, k, DEFAULT_PARTY)
        figures.district_map(e, a, b, k, DEFAULT_PARTY, "andel")
        ui.prepare_table(q.districts_view(e, a, b, k, DEFAULT_PARTY), ui.district_cols(a, b, facts))

    for election in ELECTIONS:
        jobs.append(("kommuner", lambda e=election: kommuner(e)))
    for party in parties:
        jobs.append(("översikt", lambda p=party: oversikt(p)))
        # The page's default (share) and the change: the two a meeting looks at.
        for metric in ("andel", "forandring"):
            jobs.append(("jämför", lambda p=party, m=metric: jamfor(p, m)))
        jobs.append(("utskrift", lambda p=party: handout.sheet(DEFAULT_KOMMUN, a, b, p)))
    # The page's default election first; then the others, which a viewer arriving from the
    # region or kommun view of another page brings along (the election choice is shared).
    for election in sorted(ELECTIONS, key=lambda e: e != DISTRICT_DEFAULT_ELECTION):
        for kommunkod in q.municipalities()["kommunkod"]:
            jobs.append(("valdistrikt", lambda e=election, k=kommunkod: valdistrikt(e, k)))
    return jobs


def run() -> None:
    """Warm seat margins, then the pages' frames; never raises (the pages report problems)."""
    t0 = time.monotonic()
    margins = views = 0
    try:
        from . import db
        from .errors import ValrummetError

        db.connect()
        for election, year, party in _seat_jobs():
            try:
                db.execute("seat_margins", {"election": election, "year": year, "party": party})
                margins += 1
            except ValrummetError:
                pass  # e.g. a party without seat data; the page says so when asked
        for _name, job in _view_jobs():
            try:
                job()
                views += 1
            except ValrummetError:
                pass
    except Exception as exc:  # a warm-up must never stop the server
        _log(f"valrummet: förvärmning misslyckades: {exc}")
    # What is loaded now (modules, the warehouse, the warm caches) stays for the process's life:
    # move it out of the garbage collector's generations, so the full collections that page
    # runs trigger no longer walk it every time.
    gc.collect()
    gc.freeze()
    _log(f"{DONE}: mandatmarginaler för {margins} parti och val, {views} vyer på {time.monotonic() - t0:.0f} s")
