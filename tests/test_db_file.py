"""The database file behind the query layer (dashboard.db_file): built once per state of data/,
rebuilt when an input changes, read-only, and clear in Swedish when it cannot be built."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import duckdb
import pytest

from dashboard import db, db_file, seat_table
from dashboard.errors import QueryError
from dashboard.paths import data_dir


@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    """A copy of the committed base tables, with its own database cache."""
    monkeypatch.setenv(db_file.CACHE_ENV, str(tmp_path / "cache"))
    d = tmp_path / "data"
    d.mkdir()
    for table in [*db_file.TABLES, seat_table.FILE.removesuffix(".parquet")]:
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


# --- clean-up of the cache folder -------------------------------------------------------

HOLDER = """
import sys
from pathlib import Path
from dashboard import db_file
db_file.hold(Path(sys.argv[1]))
print("held", flush=True)
sys.stdin.readline()
"""


def _touch_old(path, seconds_ago: float) -> None:
    t = time.time() - seconds_ago
    os.utime(path, (t, t))


def test_clean_up_never_removes_a_file_another_process_uses(data_copy, tmp_path):
    """Files of earlier states and of other data folders go once nobody holds them."""
    current = db_file.ensure(data_copy)
    cache = current.parent
    superseded = cache / f"{current.name.split('-', 1)[0]}-0000000000.duckdb"  # an earlier state
    other_old = cache / "aaaaaaaaaaaa-1111111111.duckdb"  # another data folder, unused for long
    other_new = cache / "bbbbbbbbbbbb-2222222222.duckdb"  # another data folder, used just now
    leftover = cache / "cccccccccccc-3333333333.4242-1.tmp"  # a failed build
    in_use = cache / "dddddddddddd-4444444444.duckdb"  # another data folder, old but in use
    for f in (superseded, other_old, other_new, leftover, in_use):
        f.write_bytes(b"x")
    for f in (other_old, leftover, in_use):
        _touch_old(f, db_file.STALE_AFTER_S + 60)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(in_use)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        _touch_old(in_use, db_file.STALE_AFTER_S + 60)  # held, although unused for long
        removed = db_file.clean(current)
        assert sorted(removed) == sorted([superseded, other_old, leftover])
        assert current.exists() and other_new.exists() and in_use.exists()
    finally:
        holder.communicate("\n", timeout=30)
    assert db_file.clean(current) == [in_use]  # its process ended


def test_opening_marks_a_file_used_and_a_removed_file_is_built_again(data_copy):
    path = db_file.ensure(data_copy)
    _touch_old(path, db_file.STALE_AFTER_S + 60)
    db.connect(data_copy)
    assert time.time() - path.stat().st_mtime < 60  # touched: "last used"
    assert str(path) in db_file._held
    db.reset_connections()
    assert str(path) not in db_file._held
    # Another process's clean-up removed the file between ensure() and opening it.
    path.unlink()
    with pytest.raises(FileNotFoundError):
        db_file.hold(path)
    assert db.sql("SELECT count(*) AS n FROM parties", directory=data_copy)["n"].iloc[0] > 0
    assert path.exists()
