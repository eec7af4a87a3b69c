"""Shared fixtures. Tests read the committed data/ (what the app reads at run time)."""
from __future__ import annotations

import os

import pytest

from dashboard import db
from dashboard.paths import derived_dir, raw_dir


def shared_available() -> bool:
    return raw_dir().is_dir() and derived_dir().is_dir()


@pytest.fixture(scope="session")
def need_shared():
    """Tests that rebuild from ../shared: skipped only where it is absent, never in CI."""
    if not shared_available():
        if os.environ.get("CI"):
            pytest.fail(f"CI needs the raw files at {raw_dir()} and {derived_dir()}")
        pytest.skip(f"../shared is not beside this checkout ({raw_dir()})")
    return raw_dir(), derived_dir()


@pytest.fixture(scope="session")
def q():
    """Run ad-hoc SQL on the loaded warehouse."""
    return db.sql


def first(df, column):
    assert len(df) == 1, df
    return df[column].iloc[0]


@pytest.fixture(scope="session")
def postgres_base():
    """A throwaway PostgreSQL cluster on loopback for the whole session (tests/pgcluster.py);
    yields a URL base to append a database name to. Skipped where PostgreSQL is not installed,
    never in CI (scripts/test.sh installs Debian's package)."""
    from tests import pgcluster

    if pgcluster.bindir() is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs PostgreSQL (Debian's package postgresql; scripts/test.sh installs it)")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    with pgcluster.cluster() as base:
        yield base
