"""Shared helpers of the calendar tests: a fresh store per test on SQLite or PostgreSQL."""
from __future__ import annotations

import datetime as dt
import itertools

import pytest

from dashboard.calendar import db
from dashboard.calendar import model as M

COORD = M.Actor("Kim Koordinator", coordinator=True)
COORD2 = M.Actor("Sam Samordnare", coordinator=True)
MEMBER = M.Actor("Mia Medlem")
_names = itertools.count()


def at(day: str, hhmm: str) -> dt.datetime:
    """An aware Swedish time: at("2026-05-12", "18:00")."""
    return dt.datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=M.TZ)


def visit(title: str, day: str, start: str, end: str, kommunkod: str = "0127", people=(), **kw) -> M.EventInput:
    return M.EventInput(title=title, kind=kw.pop("kind", M.VISIT), start=at(day, start), end=at(day, end),
                        kommunkod=kommunkod, person_ids=list(people), **kw)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path, monkeypatch):
    """A fresh, migrated calendar database (SQLite file or a PostgreSQL database), selected for
    the whole process through VALRUMMET_DATABASE_URL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'kalender.sqlite3'}"
    else:
        from tests import pgcluster

        base = request.getfixturevalue("postgres_base")
        url = pgcluster.create_database(base, f"kal_{next(_names)}_{request.node.name[:20].lower()}"
                                        .replace("[", "_").replace("]", "_").replace("-", "_"))
    monkeypatch.setenv("VALRUMMET_DATABASE_URL", url)
    db.engine(url)
    yield url
    db.dispose_all()
