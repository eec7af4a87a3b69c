"""What the calendar pages read, cached per store revision.

Every page run asks the database for its revision (one indexed read); frames are cached under
(database, revision, view), so a booking made in any process or on any machine shows on the
next run everywhere, and reruns of an unchanged calendar cost no query beyond that one. The
priority units come from issue 5's scorecard (or the district's own list) and are cached per
activity-data state.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from .. import activity, cache
from ..errors import ValrummetError
from .. import queries as q
from . import conflicts, db, store
from . import model as M
from .config import Rules, load_rules


def rules() -> Rules:
    return load_rules()


def revision() -> tuple[str, int]:
    """(database URL, revision): the key of everything read below. A database that cannot be
    reached is said in Swedish (app.py shows a ValrummetError as a plain message)."""
    import sqlalchemy.exc

    url = db.database_url()
    try:
        return url, db.revision(db.engine(url))
    except sqlalchemy.exc.SQLAlchemyError as exc:
        raise ValrummetError(f"Kalenderns databas ({db.describe(url)}) svarar inte: "
                             f"{type(getattr(exc, 'orig', None) or exc).__name__}. Försök igen om en stund.") from None


def actor() -> M.Actor:
    """The logged-in viewer as the store sees them (coordinator or not)."""
    from .. import auth

    return M.Actor(auth.current_user() or "", coordinator=auth.has_role(auth.COORDINATOR))


def month_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    first = day.replace(day=1)
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    return first, nxt


def week_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=7)


def _utc_range(first: dt.date, after: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return M.local_day_bounds(first)[0], M.local_day_bounds(after)[0]


@cache.resource(max_entries=192)
def events(key: tuple[str, int], first: dt.date, after: dt.date, person_id: int | None, kommunkod: str | None,
           forening: str | None, kind: str | None, statuses: tuple[str, ...] | None,
           brief: bool = False) -> pd.DataFrame:
    """Events overlapping the Swedish days [first, after), filtered (read-only, shared);
    `brief`: only what a month grid needs (store.brief_events)."""
    lo, hi = _utc_range(first, after)
    read = store.brief_events if brief else store.events
    return read(lo, hi, person_id=person_id, kommunkod=kommunkod, forening=forening, kind=kind, statuses=statuses,
                eng=db.engine(key[0]))


@cache.resource(max_entries=64)
def public_events(key: tuple[str, int], first: dt.date, after: dt.date, kommunkod: str | None,
                  kind: str | None) -> pd.DataFrame:
    lo, hi = _utc_range(first, after)
    return store.public_events(lo, hi, kommunkod=kommunkod, kind=kind, eng=db.engine(key[0]))


@cache.resource(max_entries=64)
def month_html(key: tuple[str, int], first: dt.date, today: dt.date, filters: tuple, public: bool) -> str:
    """The month grid's HTML for a filter (person_id, kommunkod, forening, kind)."""
    from . import views

    after = month_bounds(first)[1]
    lead = dt.timedelta(days=7)  # the grid shows the neighbouring months' days of its weeks
    if public:
        ev = public_events(key, first - lead, after + lead, filters[1], filters[3])
    else:
        ev = brief_events(key, first - lead, after + lead, *filters, M.ACTIVE)
    return views.month_html(first, ev, today=today, public=public)


def brief_events(key: tuple[str, int], first: dt.date, after: dt.date, *filters) -> pd.DataFrame:
    """events(…, brief=True)."""
    return events(key, first, after, *filters, brief=True)


@cache.resource(max_entries=64)
def count(key: tuple[str, int], statuses: tuple[str, ...], requested_by: str | None = None) -> int:
    return store.count_events(statuses=statuses, requested_by=requested_by, eng=db.engine(key[0]))


@cache.resource(max_entries=256)
def history(key: tuple[str, int], event_id: int) -> pd.DataFrame:
    from . import views

    return views.history_table(store.event_history(event_id, eng=db.engine(key[0])))


@cache.resource(max_entries=32)
def list_table(key: tuple[str, int], first: dt.date, after: dt.date, filters: tuple,
               statuses: tuple[str, ...] | None) -> pd.DataFrame:
    """The list view's table (views.table), the same object on every rerun: ui.table then
    renders it once."""
    from . import views

    return views.table(events(key, first, after, *filters, statuses), public=False, kommun_names=kommun_names(),
                       association_names=association_names())


@cache.resource(max_entries=64)
def pending_page(key: tuple[str, int], filters: tuple, page: int, per_page: int) -> tuple[int, pd.DataFrame]:
    """(how many, one page of them): requests waiting for a decision with the page's filters,
    soonest first."""
    person_id, kommunkod, forening, kind = filters
    f = dict(person_id=person_id, kommunkod=kommunkod, forening=forening, kind=kind, statuses=M.PENDING)
    eng = db.engine(key[0])
    return store.count_events(eng=eng, **f), store.events(eng=eng, limit=per_page, offset=(page - 1) * per_page, **f)


@cache.resource(max_entries=64)
def requests_by(key: tuple[str, int], user: str) -> pd.DataFrame:
    df = store.events(requested_by=user, eng=db.engine(key[0]))
    return df.sort_values(["created_at", "id"], ascending=False).reset_index(drop=True)


@cache.resource(max_entries=16)
def people(key: tuple[str, int]) -> pd.DataFrame:
    return store.people(db.engine(key[0]))


def person_names(key: tuple[str, int]) -> dict[int, str]:
    p = people(key)
    return dict(zip(p["id"].astype(int), p["name"]))


def kommun_names() -> dict[str, str]:
    k = q.municipalities()
    return dict(zip(k["kommunkod"], k["kommun"]))


@cache.resource(max_entries=8)
def _units(token: str) -> conflicts.Units:
    return conflicts.units_from(activity.associations(), q.municipalities())


def units() -> conflicts.Units:
    return _units(activity.token())


def association_names() -> dict[str, str]:
    u = units()
    return dict(u.names) if u.by_association else {}


@cache.resource(max_entries=8)
def _priority(token: str, top: int) -> conflicts.PrioritySet:
    u = _units(token)
    listed = activity.priority_associations()
    if len(listed):
        return conflicts.priority_from_list(listed, u)
    from .. import internal_ui as iu
    from .. import priority as P
    from ..state import DEFAULT_ELECTION, DEFAULT_PERIOD, ELECTION_DEFINITE

    criteria = P.load_criteria()
    a, b = DEFAULT_PERIOD
    sc = iu.priority_card(criteria, DEFAULT_ELECTION, a, b, criteria.defaults(), False)
    what = f"{ELECTION_DEFINITE[DEFAULT_ELECTION]} {a}–{b}, kriterieversion {criteria.version}, standardvikter"
    return conflicts.priority_from_card(sc.card, top, u, what)


def priority(top: int) -> conflicts.PrioritySet:
    return _priority(activity.token(), top)


@cache.resource(max_entries=32)
def _coverage(key: tuple[str, int], token: str, day: dt.date, weeks: int, top: int) -> pd.DataFrame:
    first, _ = conflicts.window(day, weeks)
    _, until = M.local_day_bounds(day + dt.timedelta(weeks=26))
    v = store.visits(first, until, eng=db.engine(key[0]))
    return conflicts.coverage(_priority(token, top), v, _units(token), day, weeks)


def coverage(key: tuple[str, int], day: dt.date, weeks: int, top: int) -> pd.DataFrame:
    return _coverage(key, activity.token(), day, weeks, top)


@cache.resource(max_entries=256)
def _conflicts(key: tuple[str, int], token: str, c: conflicts.Candidate, rules_: Rules, top: int) -> tuple:
    return tuple(store.check_conflicts(c, rules_, _units(token), _priority(token, top), person_names(key),
                                       kommun_names(), eng=db.engine(key[0])))


def conflicts_of(key: tuple[str, int], c: conflicts.Candidate, rules_: Rules) -> tuple:
    """Every conflict of `c` (conflicts.Conflict), cached per revision."""
    return _conflicts(key, activity.token(), c, rules_, rules_.top_of_scorecard)


@cache.resource(max_entries=64)
def _conflicts_many(key: tuple[str, int], token: str, cands: tuple, rules_: Rules, top: int) -> tuple:
    return tuple(tuple(found) for found in store.check_conflicts_many(
        list(cands), rules_, _units(token), _priority(token, top), person_names(key), kommun_names(),
        eng=db.engine(key[0])))


def conflicts_of_many(key: tuple[str, int], cands: list[conflicts.Candidate], rules_: Rules) -> tuple:
    """The conflicts of several events at once (two queries in all), cached per revision."""
    return _conflicts_many(key, activity.token(), tuple(cands), rules_, rules_.top_of_scorecard)


def candidate(row) -> conflicts.Candidate:
    """The conflict check's view of a stored event (a row of an events frame)."""
    return conflicts.Candidate(
        start=pd.Timestamp(row["starts_at"]).to_pydatetime(), end=pd.Timestamp(row["ends_at"]).to_pydatetime(),
        kind=row["kind"], kommunkod=row["kommunkod"], forening=row["forening"] if isinstance(row["forening"], str)
        else None, person_ids=tuple(int(p) for p in row["person_ids"]), id=int(row["id"]))
