"""The database file behind the query layer (dashboard.db_file): built once per state of data/,
rebuilt when an input changes, read-only, and clear in Swedish when it cannot be built."""
from __future__ import annotations

import os
import shutil

import duckdb
import pytest

from dashboard import db, db_file
from dashboard.errors import QueryError
from dashboard.paths import data_dir


@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    """A copy of the committed base tables, with its own database cache."""
    monkeypatch.setenv(db_file.CACHE_ENV, str(tmp_path / "cache"))
    d = tmp_path / "data"
    d.mkdir()
    for table in db_file.TABLES:
        shutil.copy2(data_dir() / f"{table}.parquet", d / f"{table}.parquet")
    yield d
    db.reset_connections()


def test_built_file_holds_the_official_totals_and_is_reused(data_copy):
    path = db_file.ensure(data_copy)
    assert path.parent == data_copy.parent / "cache"
    con = db_file.open_read_only(path)
    try:
        # riksdag 2022, all of Sweden: official valid votes and V's votes (Valmyndigheten)
        assert con.execute(
            "SELECT valid_votes FROM area_totals WHERE election='riksdag' AND year=2022 "
            "AND level='country'").fetchone() == (6_477_970,)
        assert con.execute(
            "SELECT votes FROM area_votes WHERE election='riksdag' AND year=2022 "
            "AND level='country' AND party='V'").fetchone() == (437_050,)
        # the models ran at build time
        assert con.execute("SELECT count(DISTINCT kommunkod) FROM mart_municipality_change "
                           "WHERE county_code='01'").fetchone() == (26,)
    finally:
        con.close()
    built = path.stat().st_mtime_ns
    assert db_file.ensure(data_copy) == path
    assert path.stat().st_mtime_ns == built  # not built again


def test_a_changed_input_gives_a_new_file_and_the_old_one_goes(data_copy):
    old = db_file.ensure(data_copy)
    population = data_copy / "population.parquet"
    st = population.stat()
    os.utime(population, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    new = db_file.ensure(data_copy)
    assert new != old
    assert new.exists() and not old.exists()
    assert sorted(p.name for p in new.parent.iterdir()) == [new.name]


def test_the_connection_is_read_only(data_copy):
    con = db.connect(data_copy)
    with pytest.raises(duckdb.Error, match="read-only"):
        con.cursor().execute("DELETE FROM area_votes")
    assert db.sql("SELECT count(*) AS n FROM parties", directory=data_copy)["n"].iloc[0] > 0


def test_a_missing_table_is_named_in_swedish(data_copy):
    (data_copy / "area_votes.parquet").unlink()
    with pytest.raises(QueryError, match=r"Datafilen .*area_votes\.parquet saknas"):
        db_file.ensure(data_copy)


def test_a_broken_file_fails_the_build_clearly_and_leaves_nothing(data_copy):
    (data_copy / "population.parquet").write_bytes(b"inte en parquet-fil")
    with pytest.raises(QueryError, match=r"Databasen kunde inte byggas från .*data: .+"):
        db_file.ensure(data_copy)
    cache = data_copy.parent / "cache"
    assert not cache.exists() or list(cache.iterdir()) == []
