"""The seat table (dashboard.seat_table): seats and margins computed with the data, stored in
data/seat_margins.parquet, carried by every database file, and what the seat_margins query
reads. Stored rows are reused per election and year only while their input digest matches."""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from dashboard import db, db_file, seat_queries, seat_table
from dashboard.errors import QueryError
from dashboard.paths import data_dir

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "vm"))
import make_fixtures as fx  # noqa: E402

PAIRS = {("kommun", 2018), ("kommun", 2022), ("kommun", 2026), ("region", 2018), ("region", 2022),
         ("region", 2026)}


@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    """The committed data/ (no activity, no imports) with its own database cache."""
    monkeypatch.setenv(db_file.CACHE_ENV, str(tmp_path / "cache"))
    d = tmp_path / "data"
    shutil.copytree(data_dir(), d, ignore=shutil.ignore_patterns("imported", "activity", "geo"))
    yield d
    db.reset_connections()


def _stored(directory: Path) -> dict[tuple[str, int], dict]:
    return seat_table.read(directory)[1]


def _tamper(directory: Path, pair: tuple[str, int], *, digest: str | None = None) -> None:
    """Set votes_to_next_seat of the pair's rows to -1 in the stored file (and its digest)."""
    path = directory / seat_table.FILE
    table = pq.read_table(path)
    meta = json.loads(table.schema.metadata[seat_table.META_KEY])
    rows = table.replace_schema_metadata(None).to_pylist()
    for r in rows:
        if (r["election"], r["year"]) == pair and r["votes_to_next_seat"] is not None:
            r["votes_to_next_seat"] = -1
    for m in meta:
        if (m["election"], m["year"]) == pair and digest is not None:
            m["digest"] = digest
    out = seat_table.to_arrow(rows).replace_schema_metadata({seat_table.META_KEY: json.dumps(meta).encode()})
    pq.write_table(out, path)


def test_the_committed_table_is_current():
    """data/seat_margins.parquet holds every election and year with the digests of today's
    data and code. If this fails: python -m dashboard build --seats (no raw files needed)."""
    stored = _stored(data_dir())
    assert set(stored) == PAIRS
    con = db.connect()
    assert seat_table.is_current(data_dir(), con), "kör: python -m dashboard build --seats"
    assert all(v["error"] is None for v in stored.values())


def test_the_query_reads_the_table_and_computes_nothing(monkeypatch):
    def no_engine(*args, **kwargs):
        raise AssertionError("the seat_margins query ran the seat engine")

    monkeypatch.setattr(seat_queries, "council_rows", no_engine)
    monkeypatch.setattr(seat_queries.S, "margins", no_engine)
    monkeypatch.setattr(seat_queries.S, "allocate", no_engine)
    df = db.execute("seat_margins", {"election": "kommun", "year": 2026, "party": "V"})
    assert len(df) == 26 and list(df.columns) == seat_queries.COLUMNS
    # Stockholm city 2026: as many seats for V as officially (the engine reproduces them)
    sthlm = df[df.area == "0180"].iloc[0]
    assert sthlm.seats == sthlm.official_seats and sthlm.council_size == 101


def test_stored_rows_are_reused_only_where_their_digest_matches(data_copy):
    stale = ("kommun", 2026)
    _tamper(data_copy, ("kommun", 2022))  # digest kept: the stored (tampered) rows are served
    _tamper(data_copy, stale, digest="inaktuell")  # digest changed: recomputed
    out = data_copy.parent / "built.duckdb"
    assert db_file.build(data_copy, out) == [stale]
    con = db_file.open_read_only(out, lock=False)
    try:
        n = dict(con.execute("SELECT year, count(*) FILTER (votes_to_next_seat = -1) FROM seat_margins "
                             "WHERE election = 'kommun' GROUP BY year").fetchall())
        assert n[2022] > 0 and n[2026] == 0
        assert not seat_table.is_current(data_copy, con)
    finally:
        con.close()


def test_a_missing_table_is_computed_when_the_database_is_built(data_copy):
    (data_copy / seat_table.FILE).unlink()
    out = data_copy.parent / "built.duckdb"
    assert set(db_file.build(data_copy, out)) == PAIRS
    con = db_file.open_read_only(out, lock=False)
    try:
        # the same rows as the committed table
        stored = seat_table.read(data_dir())[0]
        built = con.sql("SELECT * FROM seat_margins ORDER BY election, year, area, party").to_arrow_table()
        assert built.cast(seat_table.SCHEMA).equals(stored)
    finally:
        con.close()


def test_an_election_that_cannot_be_allocated_reports_its_error(data_copy, monkeypatch):
    real = seat_queries.load_councils

    def broken(election, year, directory=None, con=None):
        if (election, year) == ("region", 2026):
            raise QueryError("Röstberättigade saknas för valkrets 0101 i Region Stockholm.")
        return real(election, year, directory, con)

    monkeypatch.setattr(seat_queries, "load_councils", broken)
    (data_copy / seat_table.FILE).unlink()
    out = data_copy.parent / "built.duckdb"
    db_file.build(data_copy, out)  # in this process, where load_councils is broken
    con = db_file.open_read_only(out, lock=False)
    seat_table.write(data_copy, con)
    con.close()
    monkeypatch.setattr(seat_queries, "load_councils", real)
    assert _stored(data_copy)[("region", 2026)]["error"].startswith("Röstberättigade saknas")
    with pytest.raises(QueryError, match="Röstberättigade saknas för valkrets 0101"):
        db.execute("seat_margins", {"election": "region", "year": 2026, "party": "V"}, directory=data_copy)
    assert len(db.execute("seat_margins", {"election": "region", "year": 2022, "party": "V"},
                          directory=data_copy)) == 1


def test_import_results_recomputes_the_imported_election_and_prepares_the_database(data_copy, tmp_path):
    from dashboard.vm_import import import_files

    before = _stored(data_copy)
    import_files([fx.kommun_final().write(tmp_path)], data_copy, prepare=True)
    after = _stored(data_copy)
    assert set(after) == PAIRS
    changed = {k for k in PAIRS if after[k]["digest"] != before[k]["digest"]}
    assert changed == {("kommun", 2026)}  # Upplands Väsby's official file: only KF 2026 changed
    # The database file of the new state is ready, and the stored table is its table.
    path = db_file.path_for(data_copy)
    assert path.exists()
    con = db.connect(data_copy)
    assert seat_table.is_current(data_copy, con)
    rows, error = seat_table.compute(con, "kommun", 2026)
    assert error is None
    vasby = [r for r in rows if r["area"] == "0114" and r["party"] == "V"]
    df = db.execute("seat_margins", {"election": "kommun", "year": 2026, "party": "V"}, directory=data_copy)
    row = df[df.area == "0114"].iloc[0]
    assert (row.votes, row.seats, row.votes_to_next_seat) == (vasby[0]["votes"], vasby[0]["seats"],
                                                            vasby[0]["votes_to_next_seat"])


def test_refresh_is_idempotent(data_copy):
    before = (data_copy / seat_table.FILE).read_bytes()
    assert seat_table.refresh(data_copy) is False
    assert (data_copy / seat_table.FILE).read_bytes() == before
