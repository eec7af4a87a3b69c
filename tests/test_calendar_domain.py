"""The booking calendar's rules, as pure functions: the same person twice (with the travel
buffer between municipalities), visits beyond the limit while priority units have none, two big
activities the same day in one municipality, coverage of priority units, the rules file and
Swedish time."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pandas as pd
import pytest

from dashboard.calendar import conflicts as C
from dashboard.calendar import model as M
from dashboard.calendar.config import load_rules
from dashboard.errors import ValrummetError

RULES = replace(load_rules(), buffer_between_min=60, buffer_same_min=0, max_visits_per_unit=2, weeks=6)
KOMMUN = {"0127": "Botkyrka", "0180": "Stockholm", "0183": "Sundbyberg", "0126": "Huddinge"}
PEOPLE = {1: "Anna Andersson", 2: "Bo Berg"}


def utc(day: str, hhmm: str) -> dt.datetime:
    return M.to_utc(dt.datetime.fromisoformat(f"{day}T{hhmm}"))


def events(*rows) -> pd.DataFrame:
    """Rows (id, title, day, start, end, kommunkod, person_ids, kind, status) as store.events returns them."""
    out = []
    for i, title, day, s, e, k, people, kind, status in rows:
        out.append({"id": i, "title": title, "starts_at": utc(day, s), "ends_at": utc(day, e), "kommunkod": k,
                    "person_ids": tuple(people), "kind": kind, "status": status, "forening": None})
    return pd.DataFrame(out).astype({"starts_at": "datetime64[us]", "ends_at": "datetime64[us]"})


BOOKED = events(
    (10, "Torgmöte", "2026-05-12", "12:00", "13:00", "0127", [1], M.VISIT, M.CONFIRMED),
    (11, "Valfest", "2026-05-12", "15:00", "18:00", "0127", [], M.BIG, M.CONFIRMED),
    (12, "Gammal förfrågan", "2026-05-12", "12:00", "13:00", "0127", [1], M.VISIT, M.DECLINED),
)


def clashes(day, s, e, kommun, people, kind=M.VISIT, rules=RULES, others=BOOKED):
    return C.person_clashes(utc(day, s), utc(day, e), kommun, people, others, rules, PEOPLE, KOMMUN) + \
        C.big_activity_clashes(utc(day, s), kind, kommun, others, KOMMUN)


def test_overlap_of_the_same_person_names_the_other_booking():
    out = clashes("2026-05-12", "12:30", "14:00", "0127", [1, 2])
    assert [c.kind for c in out] == ["person"]
    assert out[0].other_id == 10
    assert out[0].text == ("Anna Andersson är redan uppbokad samtidigt: «Torgmöte» tis 12 maj 12:00–13:00 i Botkyrka "
                           "(bekräftad).")


def test_declined_and_other_people_do_not_clash():
    assert clashes("2026-05-12", "12:30", "14:00", "0127", [2]) == []
    only_declined = BOOKED[BOOKED["id"] == 12]
    assert clashes("2026-05-12", "12:30", "14:00", "0127", [1], others=only_declined) == []


def test_travel_buffer_between_municipalities():
    # 13:30 in Sundbyberg: 30 min after Botkyrka ends, the buffer between municipalities is 60
    out = clashes("2026-05-12", "13:30", "14:30", "0183", [1])
    assert len(out) == 1 and "hinner inte mellan" in out[0].text
    assert "bara 30 min ifrån – restiden mellan kommuner är satt till 60 min" in out[0].text
    # the same time in the same municipality is fine (buffer 0 there) …
    assert clashes("2026-05-12", "13:30", "14:30", "0127", [1]) == []
    # … and in Sundbyberg with a 30-minute buffer, or from 14:00 with 60
    assert clashes("2026-05-12", "13:30", "14:30", "0183", [1], rules=RULES.with_buffer(30)) == []
    assert clashes("2026-05-12", "14:00", "15:00", "0183", [1]) == []
    # before the other event counts too: ending 11:30 in Huddinge, 30 min before Botkyrka starts
    out = clashes("2026-05-12", "10:00", "11:30", "0126", [1])
    assert len(out) == 1 and "bara 30 min ifrån" in out[0].text
    # a buffer within the municipality applies when set
    strict = replace(RULES, buffer_same_min=45)
    assert "marginalen inom samma kommun är satt till 45 min" in clashes(
        "2026-05-12", "13:30", "14:30", "0127", [1], rules=strict)[0].text


def test_two_big_activities_same_day_same_municipality():
    out = clashes("2026-05-12", "19:00", "22:00", "0127", [], kind=M.BIG)
    assert [c.kind for c in out] == ["stor_aktivitet"]
    assert out[0].text == "Två stora aktiviteter samma dag i Botkyrka: «Valfest» tis 12 maj 15:00–18:00 (bekräftad)."
    assert clashes("2026-05-12", "19:00", "22:00", "0180", [], kind=M.BIG) == []  # another municipality
    assert clashes("2026-05-13", "10:00", "12:00", "0127", [], kind=M.BIG) == []  # another day
    assert clashes("2026-05-12", "19:00", "22:00", "0127", [], kind="mote") == []  # not a big activity


def test_swedish_day_not_utc_day():
    # 00:30 on 13 May in Sweden is 22:30 UTC on 12 May: not the same day as the party on the 12th
    late = events((20, "Nattfest", "2026-05-13", "00:30", "02:00", "0127", [], M.BIG, M.CONFIRMED))
    assert C.big_activity_clashes(utc("2026-05-12", "15:00"), M.BIG, "0127", late, KOMMUN) == []
    assert len(C.big_activity_clashes(utc("2026-05-13", "15:00"), M.BIG, "0127", late, KOMMUN)) == 1


ASSOC = pd.DataFrame({"förening_id": ["alby", "fittja", "sthlm-s", "sthlm-n", "sbg"],
                      "förening": ["V Alby", "V Fittja", "V Söder", "V Norr", "V Sundbyberg"],
                      "kommunkod": ["0127", "0127", "0180", "0180", "0183"]})
MUNIS = pd.DataFrame({"kommunkod": list(KOMMUN), "kommun": list(KOMMUN.values())})


def visits(*rows) -> pd.DataFrame:
    return pd.DataFrame([{"id": i, "starts_at": utc(day, "18:00"), "kommunkod": k, "forening": f}
                         for i, day, k, f in rows]).astype({"starts_at": "datetime64[us]"})


def test_units_are_associations_or_municipalities():
    by_assoc = C.units_from(ASSOC, MUNIS)
    assert by_assoc.by_association
    assert by_assoc.of("0127", "fittja") == "fittja"
    assert by_assoc.of("0183", None) == "sbg"  # the municipality's only association
    assert by_assoc.of("0180", None) is None  # Stockholm has several: not one association's visit
    by_kommun = C.units_from(ASSOC.iloc[0:0], MUNIS)
    assert not by_kommun.by_association and by_kommun.of("0180", None) == "0180"


def test_limit_per_association_while_priority_associations_have_none():
    units = C.units_from(ASSOC, MUNIS)
    prio = C.PrioritySet(("fittja", "sthlm-n", "sbg"), "testlistan")
    past = visits((1, "2026-05-01", "0127", "alby"), (2, "2026-05-05", "0127", "alby"),
                  (3, "2026-05-06", "0183", None))  # Sundbyberg's only association had one
    out = C.limit_warning(utc("2026-05-12", "18:00"), M.VISIT, "0127", "alby", past, RULES, units, prio)
    assert [c.kind for c in out] == ["grans"]
    assert out[0].text == ("V Alby får 3 besök på 6 veckor (gränsen är 2) medan 2 prioriterade föreningar inte har "
                           "haft något: V Fittja, V Norr.")
    # within the limit, or when every priority unit has had a visit: no warning
    assert C.limit_warning(utc("2026-05-12", "18:00"), M.VISIT, "0127", "alby", past.iloc[1:], RULES, units, prio) == []
    covered = pd.concat([past, visits((4, "2026-05-07", "0127", "fittja"), (5, "2026-05-08", "0180", "sthlm-n"))])
    assert C.limit_warning(utc("2026-05-12", "18:00"), M.VISIT, "0127", "alby", covered, RULES, units, prio) == []
    # only visits count
    assert C.limit_warning(utc("2026-05-12", "18:00"), "mote", "0127", "alby", past, RULES, units, prio) == []
    # re-checking a stored visit does not count it twice
    assert C.limit_warning(utc("2026-05-05", "18:00"), M.VISIT, "0127", "alby", past, RULES, units, prio,
                           exclude_id=2) == []


def test_limit_window_is_the_weeks_up_to_the_visit():
    first, last = C.window(dt.date(2026, 5, 12), 6)  # 42 days: 1 April to 12 May, both included
    assert M.local(first).date() == dt.date(2026, 4, 1) and M.local(last).date() == dt.date(2026, 5, 13)
    assert last - first == dt.timedelta(days=42)
    first, last = C.window(dt.date(2026, 4, 5), 6)  # the change to summer time (29 March) is inside
    assert last - first == dt.timedelta(days=42, hours=-1)


def test_coverage_of_priority_units():
    units = C.units_from(ASSOC, MUNIS)
    prio = C.PrioritySet(("fittja", "sthlm-n", "sbg"), "testlistan")
    v = visits((1, "2026-03-01", "0127", "fittja"),  # too long ago for 6 weeks up to 12 May
               (2, "2026-05-06", "0183", None), (3, "2026-05-10", "0183", "sbg"),
               (4, "2026-06-01", "0127", "fittja"))  # booked after the day
    cov = C.coverage(prio, v, units, dt.date(2026, 5, 12), 6).set_index("unit_id")
    assert cov.loc["sbg", "visits"] == 2 and cov.loc["sbg", "last_visit"] == dt.date(2026, 5, 10)
    assert cov.loc["fittja", "visits"] == 0 and cov.loc["fittja", "next_visit"] == dt.date(2026, 6, 1)
    assert cov.loc["sthlm-n", "without"] and cov.loc["sthlm-n", "next_visit"] is None
    assert list(cov.index[:2]) == ["fittja", "sthlm-n"]  # those without a visit first


def test_priority_from_the_district_list_and_from_the_scorecard():
    units = C.units_from(ASSOC, MUNIS)
    listed = pd.DataFrame({"kommunkod": ["0127", "0180", "0183"], "förening": [None, "V Norr", None],
                           "valår": pd.array([2026, 2026, 2022], dtype="Int64")})
    p = C.priority_from_list(listed, units)
    assert p.units == ("alby", "fittja", "sthlm-n") and "valår 2026" in p.source
    card = pd.DataFrame({"unit_id": ["sbg", "alby", "fittja"], "rank": pd.array([2, 1, pd.NA], dtype="Int64")})
    p = C.priority_from_card(card, 2, units, "standardvikter")
    assert p.units == ("alby", "sbg") and p.source.startswith("de 2 högst rankade")


def test_overlapping_pairs_within_a_file():
    frame = pd.DataFrame([
        ("fil", 2, "A", utc("2026-05-12", "10:00"), utc("2026-05-12", "11:00"), "0127", 1),
        ("fil", 3, "B", utc("2026-05-12", "10:30"), utc("2026-05-12", "12:00"), "0127", 1),
        ("fil", 4, "C", utc("2026-05-12", "12:30"), utc("2026-05-12", "13:00"), "0180", 1),
        ("fil", 5, "D", utc("2026-05-12", "10:30"), utc("2026-05-12", "12:00"), "0127", 2),
    ], columns=["source", "ref", "title", "start", "end", "kommunkod", "person_id"])
    pairs = [(a.ref, b.ref, pid, gap) for a, b, pid, gap in C.overlapping_pairs(frame, RULES)]
    assert pairs == [(2, 3, 1, None), (3, 4, 1, 30)]


def test_rules_file_is_checked(tmp_path):
    r = load_rules()
    assert r.buffer_between_min >= 0 and r.weeks >= 1
    bad = tmp_path / "kalender.toml"
    bad.write_text('version = "x"\n[travel]\nbetween_municipalities_min = -5\nsame_municipality_min = 0\n'
                   '[visits]\nmax_per_unit = 2\nweeks = 6\ntop_of_scorecard = 8\n', encoding="utf-8")
    with pytest.raises(ValrummetError, match=r"\[travel\] between_municipalities_min ska vara ett heltal"):
        load_rules(bad)


def test_swedish_time_helpers():
    assert M.to_utc(dt.datetime(2026, 1, 10, 12, 0)) == dt.datetime(2026, 1, 10, 11, 0)  # CET
    assert M.to_utc(dt.datetime(2026, 7, 10, 12, 0)) == dt.datetime(2026, 7, 10, 10, 0)  # CEST
    start, end = M.local_day_bounds(dt.date(2026, 10, 25))  # back to winter time: 25 hours
    assert end - start == dt.timedelta(hours=25)
    assert M.time_span_text(dt.datetime(2026, 5, 12, 16, 0), dt.datetime(2026, 5, 13, 8, 0)) == \
        "tis 12 maj 18:00–ons 13 maj 10:00"


def test_views_escape_what_users_typed():
    from dashboard.calendar import views

    hostile = events((30, '<img src=x onerror=alert(1)> & "citat"', "2026-05-12", "10:00", "11:00", "0127", [1],
                      M.VISIT, M.CONFIRMED))
    hostile = hostile.assign(place=["<b>plats</b>"], people=[("<i>Anna</i>",)], visibility=[M.PUBLIC])
    month = views.month_html(dt.date(2026, 5, 1), hostile, today=dt.date(2026, 5, 12))
    week = views.week_html(dt.date(2026, 5, 11), hostile, public=False, kommun_names=KOMMUN)
    for html in (month, week):
        assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt; &amp; &quot;citat&quot;" in html
    assert "<b>plats" not in week and "&lt;i&gt;Anna&lt;/i&gt;" in week
    assert "1 bokning" in month and "10:00 &lt;img" in month
