"""The calendar store on SQLite and on PostgreSQL (a throwaway cluster on loopback): schema
migrations, requests and decisions with history, permissions, the two-process race on one
request, subscriptions and the public query."""
from __future__ import annotations

import datetime as dt
import json
import multiprocessing as mp
import threading

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from dashboard.calendar import db, store
from dashboard.calendar import model as M
from tests.calendar_support import COORD, COORD2, MEMBER, at, store_url, visit  # noqa: F401


def test_schema_head_matches_the_migrations():
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(db.MIGRATIONS))
    assert ScriptDirectory.from_config(cfg).get_current_head() == db.SCHEMA_HEAD


def test_migrated_schema_equals_the_code(store_url):
    eng = db.engine(store_url)
    with eng.connect() as conn:
        assert db.current_schema(conn) == db.SCHEMA_HEAD
        assert compare_metadata(MigrationContext.configure(conn), db.metadata) == []
    if eng.dialect.name == "sqlite":
        with eng.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    # a second engine (another process would do the same) finds the schema and changes nothing
    db.ensure_schema(sa.create_engine(store_url))
    assert db.revision(eng) == 0


def test_request_then_decisions_keep_every_step(store_url):
    anna = store.add_person("Anna Andersson", "kandidat", COORD)
    eid = store.request(visit("Besök i Alby", "2026-05-12", "18:00", "20:00", people=[anna],
                              description="Medlemsmöte om hyror"), MEMBER)
    ev = store.event(eid)
    assert ev["status"] == M.REQUESTED and ev["requested_by"] == "Mia Medlem" and ev["version"] == 1
    assert ev["people"] == ("Anna Andersson",)
    assert ev["starts_at"] == dt.datetime(2026, 5, 12, 16, 0)  # 18:00 CEST stored as UTC

    d = store.decide(eid, "propose", COORD, 1, message="Anna kan en timme senare",
                     start=at("2026-05-12", "19:00"), end=at("2026-05-12", "21:00"))
    assert d.ok and d.status == M.PROPOSED and d.version == 2
    d = store.decide(eid, "accept", MEMBER, 2)
    assert d.ok and d.status == M.CONFIRMED
    ev = store.event(eid)
    assert ev["starts_at"] == dt.datetime(2026, 5, 12, 17, 0) and ev["decided_by"] == "Kim Koordinator"
    assert ev["message"] == "Anna kan en timme senare"

    hist = store.event_history(eid)
    assert hist["action"].tolist() == ["begärd", "ny tid föreslagen", "den nya tiden godtogs"]
    assert hist["actor"].tolist() == ["Mia Medlem", "Kim Koordinator", "Mia Medlem"]
    assert hist["outcome"].tolist() == ["sparad"] * 3
    moved = json.loads(hist["details"].iloc[1])
    assert moved["before"][0].startswith("2026-05-12 16:00") and moved["after"][0].startswith("2026-05-12 17:00")


def test_members_cannot_decide_and_reasons_are_required(store_url):
    eid = store.request(visit("Besök", "2026-05-12", "18:00", "20:00"), MEMBER)
    with pytest.raises(store.NotAllowed, match="Bara en koordinator"):
        store.decide(eid, "confirm", MEMBER, 1)
    with pytest.raises(store.NotAllowed, match="Bara den som frågade"):
        store.decide(eid, "withdraw", M.Actor("Någon Annan"), 1)
    with pytest.raises(store.CalendarError, match="anledning"):
        store.decide(eid, "decline", COORD, 1, message="  ")
    with pytest.raises(store.NotAllowed):
        store.add_person("Bo", "talare", MEMBER)
    with pytest.raises(store.NotAllowed):
        store.create_subscription("person", "1", "x", MEMBER)
    # nothing of that changed the event
    assert store.event(eid)["version"] == 1 and len(store.event_history(eid)) == 1
    d = store.decide(eid, "decline", COORD, 1, message="Ingen talare ledig den veckan")
    assert d.ok and store.event(eid)["status"] == M.DECLINED
    # a closed event cannot be confirmed; the attempt is refused and kept
    d = store.decide(eid, "confirm", COORD, 2)
    assert not d.ok and "avböjd" in d.message
    assert store.event_history(eid)["outcome"].tolist() == ["sparad", "sparad", "avvisad"]


def test_stale_version_is_refused_with_who_decided(store_url):
    eid = store.request(visit("Besök", "2026-05-12", "18:00", "20:00"), MEMBER)
    assert store.decide(eid, "confirm", COORD, 1).ok
    d = store.decide(eid, "decline", COORD2, 1, message="För många besök där")
    assert not d.ok and d.status == M.CONFIRMED
    assert "hann ändras" in d.message and "bekräftad av Kim Koordinator" in d.message
    assert "sparades inte" in d.message
    assert store.event(eid)["status"] == M.CONFIRMED


def test_validation_in_swedish(store_url):
    with pytest.raises(store.CalendarError, match="Sluttiden måste vara efter starttiden"):
        store.request(visit("Besök", "2026-05-12", "20:00", "18:00"), MEMBER)
    with pytest.raises(store.CalendarError, match="Skriv en rubrik"):
        store.request(visit(" ", "2026-05-12", "18:00", "20:00"), MEMBER)
    with pytest.raises(store.CalendarError, match="inte i den valda kommunen"):
        store.request(visit("Besök", "2026-05-12", "18:00", "20:00", valdistrikt="01800001"), MEMBER)
    store.add_person("Anna Andersson", "kandidat", COORD)
    with pytest.raises(store.CalendarError, match="finns redan"):
        store.add_person("  anna  andersson ", "talare", COORD)
    assert store.counts() == {}


def test_history_survives_a_race_in_the_database(store_url):
    """Deterministic version of the race: another transaction updates the row and holds it;
    our decision reads the old version, waits, and then finds nothing to update."""
    eid = store.request(visit("Besök", "2026-05-12", "18:00", "20:00"), MEMBER)
    eng = db.engine(store_url)
    result = {}
    with db.write(eng) as conn:
        conn.execute(db.events.update().where(db.events.c.id == eid)
                     .values(status=M.CONFIRMED, version=2, decided_by="Sam Samordnare"))
        worker = threading.Thread(target=lambda: result.update(d=store.decide(eid, "decline", COORD, 1,
                                                                               message="nej")))
        worker.start()
        worker.join(0.5)  # it is waiting for our lock (SQLite: the write lock; PostgreSQL: the row)
        assert worker.is_alive()
    worker.join(30)
    d = result["d"]
    assert not d.ok and "bekräftad av Sam Samordnare" in d.message
    assert store.event_history(eid)["outcome"].tolist() == ["sparad", "avvisad"]


def _decide_in_process(url: str, event_ids: list[int], action: str, actor_name: str, barrier, out) -> None:
    """One server process: decide on each request the moment the other process does."""
    import os

    os.environ["VALRUMMET_DATABASE_URL"] = url
    from dashboard.calendar import db as cdb
    from dashboard.calendar import store as cstore
    from dashboard.calendar.model import Actor

    cdb.engine(url)  # connect and check the schema before the first start signal
    for event_id in event_ids:
        barrier.wait(timeout=60)
        d = cstore.decide(event_id, action, Actor(actor_name, coordinator=True), 1,
                          message="Krockar med valstugan" if action == "decline" else "")
        out.put((event_id, actor_name, d.ok, d.message, d.status))


def test_two_processes_decide_the_same_request_at_once(store_url):
    """Acceptance: two server processes confirm and decline the same request at the same moment
    → exactly one decision wins, the other gets a clear message, the history has both."""
    ctx = mp.get_context("spawn")
    eids = [store.request(visit(f"Besök {n}", "2026-05-12", "18:00", "20:00"), MEMBER) for n in range(3)]
    barrier, out = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_decide_in_process, args=(store_url, eids, action, who, barrier, out))
             for action, who in (("confirm", "Kim Koordinator"), ("decline", "Sam Samordnare"))]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in range(2 * len(eids))]
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    for eid in eids:
        mine = [r[1:] for r in results if r[0] == eid]
        winners = [r for r in mine if r[1]]
        losers = [r for r in mine if not r[1]]
        assert len(winners) == 1 and len(losers) == 1, mine
        winner, loser = winners[0], losers[0]
        assert "hann ändras" in loser[2] and f"av {winner[0]}" in loser[2] and "sparades inte" in loser[2]
        ev = store.event(eid)
        assert ev["status"] == winner[3] and ev["version"] == 2 and ev["decided_by"] == winner[0]
        decisions = store.event_history(eid).iloc[1:]
        assert sorted(zip(decisions["actor"], decisions["outcome"])) == sorted(
            [(winner[0], "sparad"), (loser[0], "avvisad")])
        assert set(decisions["version_seen"]) == {1}


def test_queries_filter_and_public_view_hides_people(store_url):
    anna = store.add_person("Anna Andersson", "kandidat", COORD)
    bo = store.add_person("Bo Berg", "talare", COORD)
    pub = store.create(visit("Torgmöte i Alby", "2026-05-12", "12:00", "13:00", people=[anna],
                             visibility=M.PUBLIC, status=M.CONFIRMED, description="intern anteckning"), COORD)
    store.create(visit("Styrelsemöte", "2026-05-13", "18:00", "20:00", kommunkod="0180", people=[bo],
                       kind="mote", status=M.CONFIRMED), COORD)
    store.request(visit("Önskat besök", "2026-05-14", "18:00", "20:00", people=[anna], visibility=M.PUBLIC), MEMBER)
    may0, may1 = M.to_utc(at("2026-05-01", "00:00")), M.to_utc(at("2026-06-01", "00:00"))

    everything = store.events(may0, may1)
    assert everything["title"].tolist() == ["Torgmöte i Alby", "Styrelsemöte", "Önskat besök"]
    assert store.events(may0, may1, person_id=anna)["title"].tolist() == ["Torgmöte i Alby", "Önskat besök"]
    assert store.events(may0, may1, kommunkod="0180")["people"].tolist() == [("Bo Berg",)]
    assert store.events(may0, may1, statuses=M.PENDING)["requested_by"].tolist() == ["Mia Medlem"]
    assert store.events(may0, may1, requested_by="MIA MEDLEM")["title"].tolist() == ["Önskat besök"]

    public = store.public_events(may0, may1)
    # only the confirmed public one: not the internal meeting, not the public-to-be request
    assert public["id"].tolist() == [pub]
    assert set(public.columns) == set(store.PUBLIC_NAMES)
    for private in ("people", "person_ids", "description", "requested_by", "decided_by", "message"):
        assert private not in public.columns


def test_subscription_tokens_are_secret_hashed_and_revocable(store_url):
    anna = store.add_person("Anna Andersson", "kandidat", COORD)
    token = store.create_subscription("person", str(anna), "Anna Andersson", COORD)
    sub_id, secret = token.split(".")
    assert store.resolve_token(token) == ("person", str(anna), "Anna Andersson")
    with db.read() as conn:
        stored = conn.execute(sa.select(db.subscriptions)).mappings().one()
    assert secret not in json.dumps({k: str(v) for k, v in stored.items()})  # only its hash
    assert store.resolve_token(f"{sub_id}.{'A' * 43}") is None  # wrong secret
    assert store.resolve_token(f"{'0' * 16}.{secret}") is None  # unknown id
    assert store.resolve_token("../../etc/passwd") is None
    store.revoke_subscription(sub_id, COORD)
    assert store.resolve_token(token) is None
    subs = store.subscriptions()
    assert subs["revoked_by"].tolist() == ["Kim Koordinator"]


def test_revision_counts_every_write(store_url):
    r0 = db.revision()
    anna = store.add_person("Anna Andersson", "kandidat", COORD)
    eid = store.request(visit("Besök", "2026-05-12", "18:00", "20:00", people=[anna]), MEMBER)
    store.decide(eid, "confirm", COORD, 1)
    assert db.revision() == r0 + 3


def test_conflicts_of_many_equal_one_by_one(store_url):
    """The requests view checks a page of requests with two queries; the answers must be those
    of checking each alone: a clash of persons, a big activity, a visit limit."""
    from dashboard.calendar import conflicts as C
    from dashboard.calendar.config import load_rules

    anna = store.add_person("Anna Andersson", "kandidat", COORD)
    bo = store.add_person("Bo Berg", "talare", COORD)
    store.create(visit("Torgmöte", "2026-05-12", "12:00", "13:00", people=[anna], status=M.CONFIRMED), COORD)
    store.create(visit("Fest", "2026-05-20", "12:00", "16:00", kind=M.BIG, status=M.CONFIRMED), COORD)
    for d in ("2026-05-01", "2026-05-05", "2026-05-08"):
        store.create(visit(f"Besök {d}", d, "18:00", "19:00", status=M.CONFIRMED), COORD)
    ids = [store.request(visit("A", "2026-05-12", "12:30", "14:00", people=[anna, bo]), MEMBER),
           store.request(visit("B", "2026-05-20", "18:00", "20:00", kind=M.BIG), MEMBER),
           store.request(visit("C", "2026-05-10", "10:00", "11:00", people=[bo]), MEMBER),
           store.request(visit("D", "2026-09-01", "10:00", "11:00", kommunkod="0180"), MEMBER)]
    rules = load_rules()
    units = C.Units(False, {"0127": "Botkyrka", "0180": "Stockholm"}, {"0127": "0127", "0180": "0180"})
    prio = C.PrioritySet(("0180",), "test")
    names = {anna: "Anna Andersson", bo: "Bo Berg"}
    kommun = {"0127": "Botkyrka", "0180": "Stockholm"}
    evs = store.events(statuses=M.PENDING).set_index("id")
    cands = [C.Candidate(evs.loc[i, "starts_at"].to_pydatetime(), evs.loc[i, "ends_at"].to_pydatetime(),
                         evs.loc[i, "kind"], evs.loc[i, "kommunkod"], None, tuple(evs.loc[i, "person_ids"]), i)
             for i in ids]
    many = store.check_conflicts_many(cands, rules, units, prio, names, kommun)
    one_by_one = [store.check_conflicts(c, rules, units, prio, names, kommun) for c in cands]
    assert many == one_by_one
    assert [sorted(x.kind for x in found) for found in many] == [["grans", "person"], ["stor_aktivitet"], ["grans"], []]
