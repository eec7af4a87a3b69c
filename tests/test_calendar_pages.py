"""AppTest runs of the calendar pages: the public Kalender (only confirmed public events, no
names) and the internal Bokningar (views and deep links, a member's request, a coordinator's
decisions with conflicts, coverage, people and import). The store is a temporary SQLite file."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import fmt
from dashboard.calendar import db, store
from dashboard.calendar import model as M
from dashboard.paths import REPO_ROOT
from tests.calendar_support import COORD, at, visit

# Requests can only be made for days to come: the tests' day is six weeks ahead (a weekday).
_day = dt.date.today() + dt.timedelta(days=42)
_day += dt.timedelta(days=(1 - _day.weekday()) % 7)  # a Tuesday
DAY, NEXT = _day.isoformat(), (_day + dt.timedelta(days=1)).isoformat()
MONTH = f"{M.MONTHS[_day.month - 1]} {_day.year}"


@pytest.fixture
def cal(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'kalender.sqlite3'}"
    monkeypatch.setenv("VALRUMMET_DATABASE_URL", url)
    monkeypatch.setenv("VALRUMMET_COORDINATORS", "kim")
    db.engine(url)
    anna = store.add_person("Anna Andersson", "kandidat", COORD)
    bo = store.add_person("Bo Berg", "talare", COORD)
    ids = {
        "torg": store.create(visit("Torgmöte i Alby", DAY, "12:00", "13:00", people=[anna], visibility=M.PUBLIC,
                                   status=M.CONFIRMED, place="Alby torg"), COORD),
        "intern": store.create(visit("Styrelsemöte i Solna", DAY, "18:00", "20:00", kommunkod="0184", people=[bo],
                                     kind="mote", status=M.CONFIRMED), COORD),
        "begard": store.request(visit("Önskat offentligt möte", NEXT, "18:00", "20:00", people=[anna],
                                      visibility=M.PUBLIC), M.Actor("mia")),
    }
    yield {"anna": anna, "bo": bo, **ids}
    db.dispose_all()


def page(path: str, user: str | None = None, **params) -> AppTest:
    t = AppTest.from_file(str(REPO_ROOT / path), default_timeout=120)
    if user:
        t.session_state["_valrummet_user"] = {"name": user, "method": "lösenord"}
    for k, v in params.items():
        t.query_params[k] = v
    t.run()
    assert not t.exception, [e.message for e in t.exception]
    return t


def texts(t: AppTest) -> str:
    parts = [m.value for m in t.markdown] + [c.value for c in t.caption] + [h.value for h in [*t.title, *t.subheader]]
    parts += [a.value for a in [*t.info, *t.warning, *t.error, *t.success]] + [x.value for x in t.text]
    parts += [h.proto.body for h in t.get("html")]
    return plain("\n".join(parts))


def plain(text: str) -> str:
    """Markdown as read: the backslash escapes that keep user text inert removed."""
    return re.sub(r"\\(.)", r"\1", text)


def metrics(t: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in t.metric}


def test_public_calendar_shows_only_confirmed_public_events_without_names(cal):
    t = page("pages/kalender.py", datum=DAY)
    body = texts(t)
    assert "Torgmöte i Alby" in body
    for hidden in ("Styrelsemöte", "Önskat offentligt möte", "Anna Andersson", "Bo Berg", "mia", "Kim Koordinator"):
        assert hidden not in body
    assert f"1 offentliga evenemang i {MONTH}" in body
    # the list view by deep link, one municipality
    t = page("pages/kalender.py", datum=DAY, vy="Lista", kommun="Botkyrka")
    shown = t.dataframe[0].value
    assert shown["Evenemang"].tolist() == ["Torgmöte i Alby"] and shown["Plats"].tolist() == ["Alby torg"]
    assert list(shown.columns) == ["Start", "Evenemang", "Slut", "Typ", "Kommun", "Plats"]  # the title beside the start
    t = page("pages/kalender.py", datum=DAY, vy="Lista", kommun="Solna")
    assert f"Inga offentliga evenemang i {MONTH}." in texts(t)


def test_member_sees_views_and_deep_links(cal):
    t = page("pages/internal/bokningar.py", user="mia", datum=DAY)
    m = metrics(t)
    assert m["Väntar på beslut"] == "1"  # her own request
    assert m[f"Bokat i {M.MONTHS[_day.month - 1]}"] == "2"
    assert "Vem är bokad när?" in texts(t)
    body = texts(t)
    assert "Torgmöte i Alby" in body and "Styrelsemöte i Solna" in body
    assert "Önskat offentligt möte (begärd)" in body
    # "när är Anna upptagen?": her week, from the link
    t = page("pages/internal/bokningar.py", user="mia", datum=DAY, vy="Vecka", person="Anna Andersson")
    body = texts(t)
    assert "När är Anna Andersson upptagen?" in body
    assert "Torgmöte i Alby" in body and "Önskat offentligt möte" in body and "Styrelsemöte" not in body
    assert t.selectbox(key="person").value == cal["anna"]
    # a member has no coordinator tools
    t = page("pages/internal/bokningar.py", user="mia", vy="Hantera")
    assert "Personer" not in texts(t)  # unknown view for a member: the default instead


def test_member_requests_and_coordinator_decides(cal):
    t = page("pages/internal/bokningar.py", user="mia", vy="Förfrågningar")
    t.text_input(key="nf_titel").input("Besök av Anna i Fittja")
    t.multiselect(key="nf_vem").select(cal["anna"])
    t.date_input(key="nf_dag").set_value(_day)
    t.time_input(key="nf_start").set_value(dt.time(12, 30))
    t.time_input(key="nf_slut").set_value(dt.time(14, 0))
    t.selectbox(key="nf_kommun").select("0127")
    t.text_area(key="nf_varfor").input("Öppet möte om hyrorna")
    t.button(key="nf_skicka").click().run()
    body = texts(t)
    assert "Förfrågan «Besök av Anna i Fittja» är skickad." in body
    assert "Anna Andersson är redan uppbokad samtidigt: «Torgmöte i Alby»" in body  # shown to her too
    req = store.events(requested_by="mia").set_index("title").loc["Besök av Anna i Fittja"]
    assert req["status"] == M.REQUESTED and req["description"] == "Öppet möte om hyrorna"

    # the coordinator sees the conflict, proposes another time, then confirms
    t = page("pages/internal/bokningar.py", user="kim", vy="Förfrågningar")
    eid = int(req["id"])
    box = t.get_by_key(f"kal_forfragan_{eid}")
    assert any("redan uppbokad samtidigt: «Torgmöte i Alby»" in plain(w.value) for w in box.warning)
    t.date_input(key=f"kal_dag_{eid}").set_value(_day)
    t.time_input(key=f"kal_start_{eid}").set_value(dt.time(15, 0))
    t.time_input(key=f"kal_slut_{eid}").set_value(dt.time(16, 30))
    t.text_area(key=f"kal_msg_{eid}").input("Anna kan efter torgmötet")
    t.button(key=f"kal_foresla_{eid}").click().run()
    assert "Sparat: ny tid föreslagen." in texts(t)
    box = t.get_by_key(f"kal_forfragan_{eid}")
    assert not box.warning and "Inga krockar" in plain("\n".join(m.value for m in box.markdown))
    t.button(key=f"kal_bekrafta_{eid}").click().run()
    assert "Sparat: bekräftad." in texts(t)
    ev = store.event(eid)
    assert ev["status"] == M.CONFIRMED and ev["decided_by"] == "kim" and ev["message"] == "Anna kan efter torgmötet"
    assert ev["starts_at"] == M.to_utc(at(DAY, "15:00"))
    # the member sees the status and the message
    t = page("pages/internal/bokningar.py", user="mia", vy="Förfrågningar")
    mine = t.get_by_key(f"kal_min_{eid}")
    assert "bekräftad" in plain("\n".join(m.value for m in mine.markdown))
    assert any("Anna kan efter torgmötet" in x.value for x in mine.text)


def test_a_member_cannot_decide(cal):
    t = page("pages/internal/bokningar.py", user="mia", vy="Förfrågningar")
    with pytest.raises(KeyError):
        t.get_by_key(f"kal_forfragan_{cal['begard']}")  # no decision form for her
    assert "Väntar på beslut (" not in texts(t)


def test_coverage_view_names_priority_units(cal):
    t = page("pages/internal/bokningar.py", user="kim", vy="Täckning", datum=DAY, veckor="4")
    body = texts(t)
    assert "Vilka prioriterade kommuner har inte fått besök?" in body
    assert "de 8 högst rankade i prioriteringskortet" in body
    table = t.dataframe[0].value
    assert len(table) == 8 and "Besök senaste 4 veckorna (antal)" in table.columns
    n_without = int((table["Utan besök"] == "ja").sum())
    assert f"**{n_without} av 8**" in body
    botkyrka = table[table["Kommun"] == "Botkyrka"]
    if len(botkyrka):  # when Botkyrka is a priority unit, the confirmed visit on 12 May counts
        assert botkyrka["Besök senaste 4 veckorna (antal)"].iloc[0] == 1


def test_coordinator_adds_people_and_import_errors_are_shown(cal):
    t = page("pages/internal/bokningar.py", user="kim", vy="Hantera", **{"del": "Personer"})
    t.text_input(key="np_namn").input("Cecilia Ceder")
    t.button(key="np_lagg_till").click().run()
    assert "Cecilia Ceder är tillagd." in texts(t)
    assert "Cecilia Ceder" in set(store.people()["name"])

    t = page("pages/internal/bokningar.py", user="kim", vy="Hantera", **{"del": "Importera"})
    bad = ("\ufefftitel;typ;start;slut;kommun;personer\r\n"
           "Möte;möte;2026-05-20 18:00;2026-05-20 17:00;Botkyrka;\r\n"
           "Besök;besök;2026-05-21 18:00;2026-05-21 19:00;Gotham;Kalle Anka\r\n").encode()
    before = store.counts()
    t.file_uploader(key="kal_fil").upload("kalender.csv", bad)
    t.run()
    t.button(key="kal_importera").click().run()
    errors = t.dataframe[0].value
    assert errors.values.tolist()[0] == [2, "slut", "'2026-05-20 17:00' är före eller samtidigt som start (2026-05-20 18:00)"]
    assert {tuple(r[:2]) for r in errors.values.tolist()} == {(2, "slut"), (3, "kommun"), (3, "personer")}
    assert "3 fel – ingenting sparas" in texts(t)
    assert store.counts() == before

    t = page("pages/internal/bokningar.py", user="kim", vy="Hantera", **{"del": "Prenumerationer"})
    assert "inte kan svara på prenumerationslänkar" in texts(t)  # plain streamlit: no route


def test_user_text_is_never_markdown(cal):
    store.request(visit("**fet** [länk](http://example.com) :red[röd]", NEXT, "12:00", "13:00"),
                  M.Actor("mia"))
    t = page("pages/internal/bokningar.py", user="kim", vy="Förfrågningar")
    body = "\n".join(m.value for m in t.markdown)
    # escaped by the one rule for text from files and forms (its cases: tests/test_clients.py)
    assert fmt.md_text("**fet** [länk](http://example.com) :red[röd]") in body
    assert "**fet**" not in body and ":red[röd]" not in body
