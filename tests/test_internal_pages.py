"""AppTest runs of the internal pages (pages/internal/*.py), each with the embedded default
(the 2023 evaluation facts) and with the full synthetic demo set, plus deep links.

The pages are registered only after login (dashboard.auth), so they are run as files here.
Activity data live in a temporary VALRUMMET_DATA_DIR whose warehouse files link to the real
data/; nothing is written into the repository's data/activity/store.
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard import activity, db, field, fmt
from dashboard import activity_analysis as aa
from dashboard.activity import demo, edit
from dashboard.page_registry import INTERNAL_PAGES
from dashboard.paths import REPO_ROOT

WAREHOUSE = REPO_ROOT / "data"
sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "vm"))
import make_fixtures as vm_fx  # noqa: E402


def make_data_dir(root: Path) -> Path:
    """A data dir whose warehouse files link to the real data/ and whose activity store is empty."""
    assert (WAREHOUSE / "area_totals.parquet").exists(), "run 'python -m dashboard build' first"
    data = root / "data"
    (data / "activity").mkdir(parents=True)
    for p in WAREHOUSE.iterdir():
        if p.name not in ("activity", "imported") and not p.name.startswith("."):
            (data / p.name).symlink_to(p)
    (data / "activity" / "default").symlink_to(WAREHOUSE / "activity" / "default")
    return data


def tree_hash(path: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(path.rglob("*")):
        h.update(str(p.relative_to(path)).encode())
        if p.is_file() and not p.is_symlink():
            h.update(p.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module", autouse=True)
def _forget_caches():
    """The pages cache query results per process; drop them so other test modules (and the
    import test's temporary warehouse) never see each other's results."""
    yield
    from dashboard import queries

    queries.clear_caches()
    st.cache_data.clear()


@pytest.fixture(scope="module")
def standard_dir(tmp_path_factory) -> Path:
    return make_data_dir(tmp_path_factory.mktemp("standard"))


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    d = make_data_dir(tmp_path_factory.mktemp("demo"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VALRUMMET_DATA_DIR", str(d))
        demo.load_demo()
    return d


@pytest.fixture
def standard(standard_dir, monkeypatch) -> Path:
    monkeypatch.setenv("VALRUMMET_DATA_DIR", str(standard_dir))
    return standard_dir


@pytest.fixture
def synthetic(demo_dir, monkeypatch) -> Path:
    monkeypatch.setenv("VALRUMMET_DATA_DIR", str(demo_dir))
    return demo_dir


@pytest.fixture
def fresh(tmp_path, monkeypatch) -> Path:
    d = make_data_dir(tmp_path)
    monkeypatch.setenv("VALRUMMET_DATA_DIR", str(d))
    yield d
    db.reset_connections()


def page_file(name: str) -> str:
    return str(REPO_ROOT / "pages" / "internal" / f"{name}.py")


def run(name: str, **params) -> AppTest:
    at = AppTest.from_file(page_file(name), default_timeout=180)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [a.value for a in [*at.info, *at.warning, *at.error, *at.success]]
    return "\n".join(parts)


def table(at: AppTest, key: str) -> pd.DataFrame:
    return at.get_by_key(f"{key}_box").dataframe[0].value


def eligible_2022() -> pd.Series:
    m = db.execute("municipality_change", {"election": "kommun", "from_year": 2018, "to_year": 2022, "party": "V"})
    return m.set_index("kommun")["eligible_to"]


def test_registry_lists_exactly_these_pages():
    files = {Path(p.path).name for p in INTERNAL_PAGES}
    assert files == {p.name for p in (REPO_ROOT / "pages" / "internal").glob("*.py")}
    assert files == {"tidningar.py", "valstugor.py", "aktiviteter.py", "prioriteringar.py", "bokningar.py",
                     "importera.py"}


# --- Tidningar ------------------------------------------------------------------------------------


def test_tidningar_default(standard):
    at = run("tidningar")
    m = metrics(at)
    assert m["Kommuner med tidningsuppgift"] == "9 av 26"
    assert m["Kommuner i beräkningen (n)"] == "9"
    assert m["Räknade exemplar 2022"] == "uppgift saknas"  # the evaluation gives ratios, not counts
    t = table(at, "tidningar_tabell").set_index("Kommun")
    assert t.loc["Vallentuna", "Exemplar per röstberättigad 2022"] == 3.12
    assert t.loc["Södertälje", "Exemplar per röstberättigad 2022"] == 1.10
    assert pd.isna(t.loc["Stockholm", "Exemplar per röstberättigad 2022"])  # missing, not 0
    assert t.loc["Vallentuna", "Underlag"] == "uppgiven kvot"
    assert t.loc["Vallentuna", "Ungefärligt"] == "nej" and pd.isna(t.loc["Stockholm", "Ungefärligt"])
    # the r and n shown are those of the nine municipalities against the kommun change 2018 → 2022
    fit = aa.fit_line(t["Exemplar per röstberättigad 2022"], t["Förändring 2018–2022 (p.e.)"])
    assert fit.n == 9
    assert m["Samband (r)"] == fmt.number(fit.r, 2) == "0,06"
    body = texts(at)
    assert "1. Vallentuna: 3,12" in body and "5. Sundbyberg: 1,51" in body
    assert "Samband, inte bevis" in body
    assert "från valutvärderingen 2023 — ofullständig" in body
    assert "nästan 600 000 exemplar totalt i distriktet" in body


def test_tidningar_deep_link_region(standard):
    at = run("tidningar", val="Regionval")
    assert at.segmented_control(key="val").value == "region"
    t = table(at, "tidningar_tabell").set_index("Kommun")
    region = db.execute("municipality_change", {"election": "region", "from_year": 2018, "to_year": 2022,
                                                "party": "V"}).set_index("kommun")
    assert t.loc["Botkyrka", "Förändring 2018–2022 (p.e.)"] == pytest.approx(region.loc["Botkyrka", "change_pp"])
    fit = aa.fit_line(t["Exemplar per röstberättigad 2022"], t["Förändring 2018–2022 (p.e.)"])
    assert metrics(at)["Samband (r)"] == fmt.number(fit.r, 2)
    assert "i regionvalet 2018 → 2022" in texts(at)


def test_tidningar_synthetic(synthetic):
    at = run("tidningar", val="Riksdagsval")
    body = texts(at)
    assert "Syntetiska demodata" in body
    m = metrics(at)
    assert m["Kommuner med tidningsuppgift"] == "26 av 26"
    news = activity.newspapers()
    copies = news["utdelade"].fillna(news["tryckta"])
    sthlm = int(copies[news["kommunkod"] == "0180"].sum())  # six demo associations in Stockholm
    t = table(at, "tidningar_tabell").set_index("Kommun")
    assert t.loc["Stockholm", "Exemplar (antal)"] == sthlm
    assert t.loc["Stockholm", "Exemplar per röstberättigad 2022"] == pytest.approx(sthlm / eligible_2022()["Stockholm"])
    assert m["Räknade exemplar 2022"] == fmt.integer(copies.sum())


# --- Valstugor ------------------------------------------------------------------------------------


def deck_spec(at: AppTest) -> dict:
    charts = at.get("deck_gl_json_chart")
    assert len(charts) == 1
    return json.loads(charts[0].proto.json)


def layer(spec: dict, layer_id: str) -> dict:
    return next(x for x in spec["layers"] if x["id"] == layer_id)


def place_label(code: str) -> str:
    c = field.load_centres().set_index("district_code")
    return f"{c.loc[code, 'district_name']} ({code})"


def test_valstugor_default_says_what_cannot_be_shown(standard):
    at = run("valstugor")
    m = metrics(at)
    assert m["Valstugor i data (2022)"] == "6"
    assert m["Med känd position"] == "0 av 6"
    assert m["Röstberättigade inom 1 km"] == "uppgift saknas"
    assert m["Luckor (inom 1 km)"] == "uppgift saknas"
    body = texts(at)
    assert "Ingen av de 6 valstugorna i data har position" in body
    assert "Luckorna kan inte räknas ut utan stugornas positioner." in body
    assert "ett tjugotal valstugor i distriktet" in body
    assert "Kommunval 2018 finns inte per valdistrikt i data." in body
    cov = table(at, "valstugor_tackning").set_index("Kommun")
    assert cov["Valstugor (antal)"].dropna().to_dict() == {"Järfälla": 1, "Sundbyberg": 3, "Upplands-Bro": 2}
    assert pd.isna(cov.loc["Botkyrka", "Valstugor (antal)"])
    assert cov["Röstberättigade inom 1 km (%)"].isna().all()
    assert cov.loc["Sundbyberg", "Valstugor per 10 000 röstberättigade"] == pytest.approx(
        3 / eligible_2022()["Sundbyberg"] * 10_000)
    with pytest.raises(KeyError):
        at.get_by_key("valstugor_luckor_box")
    # the map: geometry by URL, no cabins to draw, every district coloured by the 2022 share
    spec = deck_spec(at)
    assert layer(spec, "valdistrikt")["data"] == "app/static/geo/valdistrikt_01_2022.geojson"
    assert {x["id"] for x in spec["layers"]} == {"valdistrikt", "distriktsgranser", "kommungranser"}
    assert len(layer(spec, "valdistrikt")["getFillColor"]["domain"]) == 1378
    assert len(table(at, "valstugor_distrikt")) == 1378  # everything on the map is also in a table
    assert "Logga in för att placera valstugor." in body  # this test's session has not logged in


def test_valstugor_synthetic_deep_link(synthetic):
    code = "01830114"  # Hallonbergen 1, Sundbyberg
    cabins = aa.for_campaign(activity.cabins(), 2022).reset_index(drop=True)
    first = cabins.iloc[0]
    cabin_label = f"{first['namn']} ({first['kommun']})"
    at = run("valstugor", val="Regionval", farg="Förändring", radie="2 km", lucka="Stor ökning",
             distrikt=place_label(code), stuga=cabin_label, kommun="Sundbyberg")
    assert at.selectbox(key="farg").value == "forandring"
    assert at.segmented_control(key="radie").value == "2000"
    assert at.segmented_control(key="lucka").value == "okning"
    assert at.selectbox(key="distrikt").value == code
    n = len(cabins)
    m = metrics(at)
    assert m["Med känd position"] == f"{n} av {n}"
    assert m["Bemannade pass"] == fmt.integer(cabins["pass"].sum())
    # the page's numbers are those of dashboard.field on the same inputs
    res = db.execute("county_district_change", {"election": "region", "from_year": 2018, "to_year": 2022, "party": "V"})
    kommun_d = db.execute("county_district_change", {"election": "kommun", "from_year": 2022, "to_year": 2022,
                                                     "party": "V"})
    d = field.district_frame(field.load_centres(), res, kommun_d, cabins,
                             aa.for_campaign(activity.door_knocking(), 2022), 2000)
    county = field.coverage_by(d, d[["district_code"]].assign(unit_id="01")).iloc[0]
    assert m["Röstberättigade inom 2 km"] == fmt.pct(county["near_pct"], 1)
    gaps, limits = field.gaps(d, "okning")
    shown = table(at, "valstugor_luckor")
    assert len(shown) == len(gaps) > 0 and m["Luckor (inom 2 km)"] == fmt.integer(len(gaps))
    assert (shown["Avstånd till närmaste valstuga (km)"] > 2).all()
    assert (shown["Förändring 2018–2022 (p.e.)"] >= limits["change"]).all()
    assert shown["Plats i länet"].tolist() == list(range(1, len(gaps) + 1))
    assert f"ökning minst {fmt.pp(limits['change'])}" in texts(at)
    assert "Syntetiska demodata" in texts(at)
    cov = table(at, "valstugor_tackning")
    assert cov["Röstberättigade inom 2 km (%)"].notna().all()
    units = table(at, "valstugor_foreningar")
    assert len(units) == len(activity.associations())  # one row per association of the demo file
    # the selected district's card, and the map: its outline, the chosen cabin red, the 2 km circles
    assert "Hallonbergen 1" in at.get_by_key("falt_distrikt").markdown[0].value
    spec = deck_spec(at)
    outline = layer(spec, "distriktsgranser")
    widths = dict(zip(outline["getLineWidth"]["domain"], outline["getLineWidth"]["colors"]))
    assert widths[code] == 4.0
    marks = layer(spec, "valstugor")["data"]
    assert sum(x["colour"] == [176, 0, 32, 255] for x in marks) == 1 and len(marks) == n
    assert layer(spec, "upptagning")["getRadius"] == 2000
    # zoomed to Sundbyberg
    assert 59.3 < spec["initialViewState"]["latitude"] < 59.45 and spec["initialViewState"]["zoom"] > 10
    assert str(synthetic) not in json.dumps(spec)  # no server path reaches the browser


def logged_in(at: AppTest, name: str = "anna") -> AppTest:
    at.session_state["_valrummet_user"] = {"name": name, "method": "lösenord"}
    return at


def test_valstugor_place_cabin_then_conflict(fresh):
    code = "01830114"
    at = AppTest.from_file(page_file("valstugor"), default_timeout=180)
    at.query_params["distrikt"] = place_label(code)
    logged_in(at).run()
    assert not at.exception
    at.text_input(key=f"falt_namn_{code}").input("Stugan vid torget")
    next(b for b in at.button if b.label == "Placera valstugan här").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("Sparat: ny valstuga ”Stugan vid torget”" in s.value for s in at.success), texts(at)
    rows = activity.cabins()
    new = rows[rows["namn"] == "Stugan vid torget"].iloc[0]
    place = field.load_centres().set_index("district_code").loc[code]
    assert (new["kommunkod"], new["valår"], new["område"]) == ("0183", 2022, "Hallonbergen 1")
    assert (new["lat"], new["lon"]) == pytest.approx((place["place_lat"], place["place_lon"]))
    info = activity.info("valstugor")
    assert info.origin_label == "ändrad i fältkartan" and info.source_name.startswith("fältkartan: ny valstuga")
    m = metrics(at)
    assert m["Valstugor i data (2022)"] == "7" and m["Med känd position"] == "1 av 7"
    assert at.selectbox(key="stuga").value == "0183|Stugan vid torget|"
    # a second organiser saves while this form is open: this save must not overwrite theirs
    other, version = edit.rows_now("valstugor")
    other.loc[0, ["lat", "lon"]] = [59.3956, 17.9599]
    edit.save_edit("valstugor", other, base_version=version, user="bo", description="flyttade Hallonbergen")
    before = activity.history("valstugor")
    at.text_input(key=f"falt_namn_{code}").input("En stuga till")
    next(b for b in at.button if b.label == "Placera valstugan här").click().run()
    errors = [e.value for e in at.error]
    assert any("bo sparade flyttade Hallonbergen" in e and "sparades inte" in e for e in errors), errors
    assert activity.history("valstugor")["version"].tolist() == before["version"].tolist()
    assert "En stuga till" not in set(activity.cabins()["namn"])
    # bad input: a name that is taken, a point outside the county; nothing is stored
    at.run()
    at.text_input(key=f"falt_namn_{code}").input("Stugan vid torget")
    next(b for b in at.button if b.label == "Placera valstugan här").click().run()
    assert any("Det finns redan en valstuga som heter ”Stugan vid torget”" in e.value for e in at.error)
    at.text_input(key=f"falt_namn_{code}").input("Långt bort")
    at.number_input(key=f"falt_lat_{code}").set_value(57.7)
    next(b for b in at.button if b.label == "Placera valstugan här").click().run()
    assert any("ligger utanför Stockholms län" in e.value for e in at.error)
    assert activity.history("valstugor")["version"].tolist() == before["version"].tolist()


def test_valstugor_names_from_users_are_shown_as_written(fresh):
    """A name with Markdown, HTML or LaTeX in it is stored as written and escaped where the page
    renders Markdown (the map's tooltip escapes HTML itself; tables show plain text)."""
    code, hostile = "01830114", "**Fet** [länk](javascript:alert(1)) <b>x</b> $y$"
    at = AppTest.from_file(page_file("valstugor"), default_timeout=180)
    at.query_params["distrikt"] = place_label(code)
    logged_in(at).run()
    at.text_input(key=f"falt_namn_{code}").input(hostile)
    next(b for b in at.button if b.label == "Placera valstugan här").click().run()
    assert hostile in set(activity.cabins()["namn"])
    message = next(s.value for s in at.success if s.value.startswith("Sparat"))
    # escaped by the one rule for text from files and forms (its cases: tests/test_clients.py)
    assert f"\u201d{fmt.md_text(hostile)}\u201d" in message and "**Fet**" not in message
    card = at.get_by_key("falt_distrikt").markdown[0].value
    assert r"närmaste valstuga: \*\*Fet\*\*" in card and "[länk](" not in card


# --- Aktiviteter -------------------------------------------------------------------------------------


def test_aktiviteter_default(standard):
    at = run("aktiviteter")
    m = metrics(at)
    assert m["Knackade dörrar"] == "1 400"  # Sundbyberg, about 1 400 doors
    assert m["Aktivister"] == "98"  # 66 + 14 + 10 + 8
    assert m["Ringda samtal"] == "uppgift saknas"
    t = table(at, "aktiviteter_tabell").set_index("Kommun")
    assert t.loc["Sundbyberg", "Dörrar (antal)"] == 1400
    assert t.loc["Sundbyberg", "Dörrar per 1000 röstberättigade"] == pytest.approx(
        1400 / eligible_2022()["Sundbyberg"] * 1000)
    assert pd.isna(t.loc["Botkyrka", "Dörrar (antal)"]) and t.loc["Botkyrka", "Dörrknackningstillfällen (antal)"] == 1
    assert t.loc["Järfälla", "Aktivister (antal)"] == 10
    assert pd.isna(t.loc["Nacka", "Aktivister (antal)"])
    body = texts(at)
    assert "Bara 1 av 26 kommuner" in body  # one municipality with doors: no r
    assert "Uppgift saknas för ringstugor" in body


def test_aktiviteter_synthetic_calls(synthetic):
    at = run("aktiviteter", matt="Samtal", val="Riksdagsval")
    assert at.segmented_control(key="matt").value == "samtal"
    m = metrics(at)
    assert m["Ringda samtal"] == fmt.integer(activity.phone_banks()["samtal"].sum())
    assert m["Knackade dörrar"] == fmt.integer(activity.door_knocking()["dörrar"].sum())
    t = table(at, "aktiviteter_tabell")
    fit = aa.fit_line(t["Ringda samtal per 1000 röstberättigade"], t["Förändring 2018–2022 (p.e.)"])
    assert fit.n == 26
    assert m["Samband (r), ringda samtal"] == fmt.number(fit.r, 2)
    assert "Samband, inte bevis" in texts(at) and "Syntetiska demodata" in texts(at)


def test_aktiviteter_district_view_deep_link_with_weights(synthetic):
    code = "01270002"  # Tullinge C, Botkyrka
    at = run("aktiviteter", vy="Valdistrikt", val="Riksdagsval", w_mob="1", w_overt="3", farg="Övertalning",
             distrikt=place_label(code))
    assert at.segmented_control(key="vy").value == "valdistrikt"
    assert at.slider(key="w_mob").value == 1 and at.slider(key="w_overt").value == 3
    assert at.selectbox(key="farg").value == "overtalning"
    res = db.execute("county_district_change", {"election": "riksdag", "from_year": 2018, "to_year": 2022, "party": "V"})
    kommun_d = db.execute("county_district_change", {"election": "kommun", "from_year": 2022, "to_year": 2022,
                                                     "party": "V"})
    doors = aa.for_campaign(activity.door_knocking(), 2022)
    d = field.district_frame(field.load_centres(), res, kommun_d, aa.for_campaign(activity.cabins(), 2022), doors,
                             1000, {"mob": 1, "overt": 3}).sort_values("rank")
    t = table(at, "knack_tabell")
    assert len(t) == 1378
    assert t["Valdistrikt"].head(10).tolist() == d["district_name"].head(10).tolist()
    assert t["Knackpoäng (0–100)"].head(10).tolist() == pytest.approx(d["score"].head(10).tolist())
    assert t["Övertalningspotential (röster)"].notna().sum() > 1000  # riksdag 2018 has district results
    knocked = doors["valdistrikt"].dropna().nunique()
    assert (t["Knackat 2022"] == "ja").sum() == knocked > 0
    m = metrics(at)
    assert m["Knackade valdistrikt (2022)"] == fmt.integer(knocked)
    assert m["Högst poäng"] == d["district_name"].iloc[0]
    spec = deck_spec(at)
    outline = layer(spec, "distriktsgranser")
    assert len(outline["getLineColor"]["domain"]) == knocked + (code not in set(doors["valdistrikt"]))
    fill = layer(spec, "valdistrikt")["getFillColor"]
    assert len(fill["domain"]) == 1378
    assert any(x.value.startswith(f"**{d.set_index('district_code').loc[code, 'district_name']}**")
               for x in at.get_by_key("falt_distrikt").markdown)


# --- Prioriteringar -----------------------------------------------------------------------------------


def test_prioriteringar_2022_per_municipality(standard):
    at = run("prioriteringar", period="2018-2022")  # a link to the 2022 scorecard reproduces it
    assert at.slider(key="w_mandat").value == 3 and at.slider(key="w_aktivister").value == 2
    t = table(at, "prio_tabell").set_index("Kommun")
    assert len(t) == 26
    # V 2022 (seat engine = official seats): seats, votes to one more, margin on the last
    assert t.loc["Vallentuna", ["Mandat 2022 (antal)", "Röster till nästa mandat (antal)",
                                "Marginal för sista mandatet (röster)"]].tolist() == [2, 191, 237]
    assert t.loc["Stockholm", ["Mandat 2022 (antal)", "Röster till nästa mandat (antal)"]].tolist() == [16, 841]
    assert t.loc["Salem", "Marginal för sista mandatet (röster)"] == 0
    assert t.loc["Järfälla", "Hyresrätter per 1000 invånare"] == 120
    assert t.loc["Sundbyberg", "Aktivister (antal)"] == 66
    assert "På distriktets lista" not in t.columns  # no list loaded: no "nej" that nobody said
    assert "Ingen föreningsfil är inläst" in texts(at)
    assert "Distriktets egen lista över prioriterade föreningar är inte inläst" in texts(at)


def test_prioriteringar_deep_link_with_weights(standard):
    zero = {f"w_{k}": "0" for k in ("forsvar", "forandring", "potential", "hyresratter", "aktivister", "valstugor")}
    at = run("prioriteringar", w_mandat="10", enhet="Vallentuna", period="2018-2022", **zero)
    assert at.slider(key="w_mandat").value == 10 and at.slider(key="w_potential").value == 0
    t = table(at, "prio_tabell")
    # only "votes to the next seat per eligible voter" counts: Stockholm 841 / 773 389, then Nykvarn 11 / 8 674
    assert t["Kommun"].head(3).tolist() == ["Stockholm", "Nykvarn", "Danderyd"]
    assert t["Poäng (0–100)"].iloc[0] == 100.0
    assert metrics(at)["Högst rankad"] == "Stockholm"
    assert at.selectbox(key="enhet").value == "0115"
    body = texts(at)
    assert "**Vallentuna**: plats 15" in body
    why = table(at, "prio_motivering").set_index("Kriterium")
    assert why.loc["Nära ett mandat till", "Värde och underlag"] == (
        "191 röster till ett mandat till = 0,74 % av de röstberättigade i kommunen")
    assert why.loc["Nära ett mandat till", "Uppfyller"] == "✗ nej"
    assert why.loc["Nära ett mandat till", "Vikt"] == 10
    assert why.loc["Sista mandatet hänger löst", "Värde och underlag"].startswith("237 röster kan förloras")
    # back to the versioned defaults
    at.button(key="prio_aterstall").click().run()
    assert at.slider(key="w_mandat").value == 3 and at.slider(key="w_potential").value == 2


def test_prioriteringar_synthetic_associations_and_list(synthetic):
    at = run("prioriteringar", saknad_noll="true")
    assert at.toggle(key="saknad_noll").value is True
    m = metrics(at)
    assert m["Enheter i kortet"] == "31 föreningar"
    t = table(at, "prio_tabell")
    assert t["Kommun"].value_counts()["Stockholm"] == 6
    listed = activity.priority_associations()
    on_list = t["På distriktets lista"].eq("ja")
    assert int(on_list.sum()) == len(listed) and set(t["På distriktets lista"]) == {"ja", "nej"}
    n = len(listed)
    disagree = t[t["Avvikelse"].notna()]
    assert m["Avvikelser mot distriktets lista"] == fmt.integer(len(disagree))
    # every disagreement is a listed association outside the top n or a top-n association not listed
    top = t["Plats"] <= n
    assert ((on_list & ~top) | (~on_list & top)).sum() == len(disagree)
    assert "Syntetiska demodata" in texts(at)


# --- Importera ------------------------------------------------------------------------------------------


BAD = "\ufeffdatum;kommun;dörrar;samtal\r\n2022-08-20;Upplands Väsby;-3;1\r\n2022-08-21;Gotham;5;9\r\n"
GOOD = "\ufeffdatum;kommun;dörrar;samtal\r\n2022-08-20;Upplands Väsby;30;10\r\n2022-08-21;0127;5;2\r\n"


def test_importera_default_status_and_templates(standard):
    at = run("importera")
    status = table(at, "aktivitet_status").set_index("Filtyp")
    assert status.loc["Tidningar", "Rader (antal)"] == 9
    assert status.loc["Tidningar", "Ursprung"] == "från valutvärderingen 2023 — ofullständig"
    buttons = [b.proto.label for b in at.get("download_button")]
    assert buttons.count("CSV") >= len(activity.SCHEMAS) and buttons.count("Excel") >= len(activity.SCHEMAS)
    assert at.button(key="aktivitet_spara").disabled  # nothing uploaded yet


def test_importera_activity_errors_store_and_restore(fresh):
    store = fresh / "activity" / "store"
    at = run("importera")
    at.file_uploader(key="aktivitet_fil").upload("dorrar.csv", BAD.encode("utf-8"))
    at.run()
    at.button(key="aktivitet_spara").click().run()
    errors = table(at, "aktivitet_fel")
    # every error at once, in Swedish, with row and column
    assert errors.values.tolist() == [
        [2, "dörrar", "'-3' är negativt"],
        [3, "kommun", errors.iloc[1, 2]],
        [3, "samtal", "'9' är fler än i kolumnen 'dörrar' (5)"],
    ]
    assert errors.iloc[1, 2].startswith("'Gotham' är ingen känd kommun")
    assert "3 fel – ingenting sparas" in texts(at)
    assert not any(store.rglob("*.parquet"))  # nothing stored

    at.file_uploader(key="aktivitet_fil").upload("dorrar_ok.csv", GOOD.encode("utf-8"))
    at.run()
    at.button(key="aktivitet_spara").click().run()
    assert "dorrar_ok.csv: giltig – 2 rader dörrknackning" in texts(at)
    status = table(at, "aktivitet_status").set_index("Filtyp")
    assert status.loc["Dörrknackning", "Ursprung"] == "uppladdad fil"
    assert int(activity.door_knocking()["dörrar"].sum()) == 35

    at.selectbox(key="historik_typ").select("dorrknackning").run()
    hist = table(at, "aktivitet_historik")
    assert hist["Fil"].tolist()[0] == "dorrar_ok.csv" and hist["Aktuell"].tolist() == ["ja", "nej"]
    at.selectbox(key="historik_version").select("standard").run()
    at.button(key="historik_aterstall").click().run()
    assert "Dörrknackning: version standard är nu aktuell." in texts(at)
    assert table(at, "aktivitet_historik")["Aktuell"].tolist() == ["nej", "ja"]
    assert int(activity.door_knocking()["dörrar"].sum()) == 1400  # the embedded default again


def test_importera_results_refused_changes_nothing_then_imports(fresh):
    before = tree_hash(fresh)
    at = run("importera", **{"del": "Valresultat"})
    assert "Inga resultatfiler är importerade." in texts(at)
    name, data = vm_fx.truncated()
    at.file_uploader(key="resultat_filer").upload(name, data)
    at.run()
    at.button(key="resultat_importera").click().run()
    assert "Val_2026_preliminar_0114_KF.zip" in at.error[0].value
    assert "inte en läsbar zip-fil" in at.error[0].value
    assert tree_hash(fresh) == before and not (fresh / "imported").exists()

    fixture = vm_fx.kommun_preliminary()
    content = fixture.to_bytes()
    at = run("importera", **{"del": "Valresultat"})
    at.file_uploader(key="resultat_filer").upload(fixture.name, content)
    at.run()
    at.button(key="resultat_importera").click().run()
    assert "Importerad: Val_2026_preliminar_0114_KF.zip – kommunvalet 2026, område 0114, preliminär räkning" in texts(at)
    hist = table(at, "resultat_historik")
    assert hist[["Fil", "Val", "Område", "Räkning", "Räknade valdistrikt", "I data nu"]].values.tolist() == [
        ["Val_2026_preliminar_0114_KF.zip", "Kommunval", "0114", "preliminär", "3 av 4", "ja"]]
    assert hist["SHA-256"].iloc[0] == hashlib.sha256(content).hexdigest()
    # the warehouse was reloaded: the imported preliminary districts are queryable; the
    # municipality keeps the final third-party count (final beats preliminary)
    got = db.execute("municipality_change", {"election": "kommun", "from_year": 2022, "to_year": 2026, "party": "V"})
    assert got.set_index("kommunkod").loc["0114", "count_status_to"] == "final"
    d = db.execute("district_results", {"election": "kommun", "year": 2026, "kommunkod": "0114", "party": "V"})
    assert set(d.source) == {"vm_resultatfil:Val_2026_preliminar_0114_KF.zip"}
    assert set(d.count_status) == {"preliminary"}


def test_pages_say_what_is_missing_for_2026(standard):
    # The embedded activity is of the 2022 campaign: Tidningar opens on 2018 → 2022 until 2026 data exists.
    assert run("tidningar").segmented_control(key="period").value == "2018-2022"
    at = run("tidningar", period="2022-2026")
    assert metrics(at)["Kommuner med tidningsuppgift"] == "0 av 26"
    body = texts(at)
    assert "Det finns inga tidningsuppgifter för valrörelsen 2026." in body
    assert "Kommunval 2026 finns inte i data." not in body
    # the 2026 seats are in the data: Prioriteringar opens on them, for the 2030 priorities
    at = run("prioriteringar")
    assert at.segmented_control(key="period").value == "2022-2026"
    assert "Mandatberäkningen saknas för kommunvalet 2026" not in texts(at)
    assert "underlag för prioriteringarna inför valet 2030" in texts(at)
    t = table(at, "prio_tabell").set_index("Kommun")
    assert t["Mandat 2026 (antal)"].notna().all()
    assert t.loc["Stockholm", "Mandat 2026 (antal)"] == 15  # V in Stockholm: 15 of 101 (official)
    margins = db.execute("seat_margins", {"election": "kommun", "year": 2026, "party": "V"}).set_index("area_name")
    for kommun in ("Botkyrka", "Vallentuna", "Nacka"):
        assert t.loc[kommun, ["Mandat 2026 (antal)", "Röster till nästa mandat (antal)",
                              "Marginal för sista mandatet (röster)"]].tolist() == margins.loc[
            kommun, ["seats", "votes_to_next_seat", "margin_on_last_seat"]].tolist()
    # the region election per municipality is election night: said beside the card
    at = run("prioriteringar", val="Regionval")
    assert "Regionvalet 2026 i 25 av 26 kommuner (alla utom Stockholm)." in texts(at)
