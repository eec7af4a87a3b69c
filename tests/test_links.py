"""Links read the forgiving way (issue 18): party codes and common names, municipality codes and
names with or without "kommun", periods with any dash; the address is rewritten to the label the
page shows, and a value that means nothing is dropped with one Swedish line saying so."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import queries as q
from dashboard import state
from tests.test_pages import run_page
S_LABEL = "Arbetarepartiet-Socialdemokraterna"  # the name in data/parties.parquet, and the URL's label


# --- pure: folding and alias tables --------------------------------------------------------------


def test_fold_ignores_case_diacritics_and_separators():
    assert state.fold("Vänsterpartiet") == state.fold("VANSTERPARTIET") == "vansterpartiet"
    assert state.fold("Upplands-Bro") == state.fold("upplands_bro") == state.fold(" Upplands  Bro ")
    assert state.fold("Upplands Väsby") != state.fold("Upplands-Bro")


@pytest.mark.parametrize("raw, code", [
    ("S", "S"), ("s", "S"), ("Socialdemokraterna", "S"), ("socialdemokraterna", "S"), (S_LABEL, "S"),
    ("V", "V"), ("Vänsterpartiet", "V"), ("vansterpartiet", "V"), ("M", "M"), ("Moderaterna", "M"),
    ("SD", "SD"), ("sd", "SD"), ("Sverigedemokraterna", "SD"), ("Liberalerna", "L"), ("folkpartiet", "L"),
    ("Miljöpartiet", "MP"), ("miljopartiet de grona", "MP"), ("KD", "KD"), ("Centerpartiet", "C"),
])
def test_party_codes_and_common_names(raw, code):
    assert state.resolve_party(raw) == code


@pytest.mark.parametrize("raw", ["xyz", "", "Socialisterna 2000", "QQ ZZ"])
def test_unknown_party_is_none(raw):
    assert state.resolve_party(raw) is None


def test_an_ambiguous_alias_is_not_read():
    table = state.party_aliases({"AB": "Alfa", "ab2": "alfa", "C": "Cepartiet"})
    assert "alfa" not in table  # two parties fold to it
    assert table["cepartiet"] == "C" and table["ab"] == "AB"


@pytest.mark.parametrize("raw, code", [
    ("0127", "0127"), ("127", "0127"), ("Botkyrka", "0127"), ("botkyrka kommun", "0127"),
    ("Danderyds kommun", "0162"), ("Stockholms stad", "0180"), ("stockholm", "0180"), ("Täby", "0160"),
    ("taby", "0160"), ("upplands-vasby", "0114"), ("Upplands Bro", "0139"), ("Södertälje kommun", "0181"),
])
def test_municipality_codes_and_names(raw, code):
    assert state.resolve(raw, state.kommun_alias_table(q.municipalities())) == code


@pytest.mark.parametrize("raw, pair", [
    ("2022-2026", (2022, 2026)), ("2022–2026", (2022, 2026)), ("2022_2026", (2022, 2026)),
    ("2022 → 2026", (2022, 2026)), ("2018-2022", (2018, 2022)), ("2014-2018", None), ("senaste", None),
])
def test_periods_with_any_dash(raw, pair):
    assert state.resolve_period(raw, q.year_pairs()) == pair


def test_elections_by_code_label_and_definite_form():
    for raw in ("riksdag", "Riksdagsval", "RIKSDAGSVALET"):
        assert state.resolve(raw, state.ELECTION_ALIASES) == "riksdag"
    assert state.resolve("presidentval", state.ELECTION_ALIASES) is None


def test_a_notice_repeats_a_hostile_value_as_plain_text():
    line = state.not_understood("parti", "[klicka](http://example.com/x) " + "a" * 80, "Vänsterpartiet")
    assert "\\[klicka\\](http\\://" in line  # escaped: neither a link nor a bare address
    assert "…" in line and len(line) < 160  # a long value is cut
    assert line.endswith("– sidan visar Vänsterpartiet.")


# --- AppTest: deep links ------------------------------------------------------------------------------


run = run_page  # an AppTest of app.py on `page` with these query parameters


def notices(at: AppTest) -> str:
    return "\n".join(i.value for i in at.info if "i länken" in i.value or "Länken" in i.value)


def qp(at: AppTest, key: str) -> list[str]:
    """The address's values for `key` after the run."""
    value = at.query_params[key]
    return list(value) if isinstance(value, (list, tuple)) else [value]


def test_party_code_opens_the_party_and_the_link_shows_its_label():
    at = run("pages/oversikt.py", parti="S")
    assert at.selectbox(key=state.Key.PARTY).value == "S"
    assert qp(at, state.Key.PARTY) == [S_LABEL]
    assert any(f"{S_LABEL}s andel" in c.value for c in at.caption)
    assert notices(at) == ""  # understood: nothing to say


def test_names_codes_and_dashes_are_rewritten_to_the_labels_shown():
    at = run("pages/kommuner.py", parti="socialdemokraterna", kommun="0127", val="riksdag", period="2018_2022")
    assert at.selectbox(key=state.Key.PARTY).value == "S"
    assert at.selectbox(key=state.Key.KOMMUN).value == "0127"
    assert at.segmented_control(key=state.Key.ELECTION).value == "riksdag"
    assert at.segmented_control(key=state.Key.PERIOD).value == "2018-2022"
    assert qp(at, state.Key.PARTY) == [S_LABEL]
    assert qp(at, state.Key.KOMMUN) == ["Botkyrka"]
    assert qp(at, state.Key.ELECTION) == ["Riksdagsval"]
    assert qp(at, state.Key.PERIOD) == ["2018-2022"]
    assert notices(at) == ""


def test_bad_values_are_dropped_with_one_line_each():
    at = run("pages/kommuner.py", parti="xyz", kommun="Gotham", period="1999-2003", val="presidentval")
    text = notices(at)
    assert "”xyz” i länken (`parti=`) känns inte igen – sidan visar Vänsterpartiet." in text
    assert "”Gotham” i länken (`kommun=`) känns inte igen – sidan visar ingen kommun." in text
    assert "”1999\\-2003” i länken (`period=`) finns inte i data – sidan visar 2022 → 2026." in text
    assert "”presidentval” i länken (`val=`) känns inte igen – sidan visar Kommunval." in text
    for key in ("parti", "kommun", "period", "val"):
        assert key not in at.query_params  # the address says what is shown: the defaults
    assert at.selectbox(key=state.Key.PARTY).value == "V"


def test_a_known_party_missing_from_the_choice_says_so():
    # Lidingöpartiet stands in the kommun election only
    at = run("pages/kommuner.py", val="Riksdagsval", parti="Lidingöpartiet")
    assert ("”Lidingöpartiet” i länken (`parti=`) finns inte för det val och de år som visas – sidan visar "
            "Vänsterpartiet.") in notices(at)
    assert at.selectbox(key=state.Key.PARTY).value == "V"


def test_jamfor_reads_each_municipality_and_drops_the_unknown():
    at = run("pages/jamfor.py", kommuner=["0127", "solna", "Nope"], jmf="förändring")
    assert at.multiselect(key=state.Key.KOMMUNER).value == ["0127", "0184"]
    assert qp(at, state.Key.KOMMUNER) == ["Botkyrka", "Solna"]
    assert at.segmented_control(key=state.Key.COMPARE_METRIC).value == "forandring"
    assert qp(at, state.Key.COMPARE_METRIC) == ["Förändring"]
    assert "”Nope” i länken (`kommuner=`) känns inte igen – sidan visar Botkyrka, Solna." in notices(at)


def test_meeting_mode_reads_links_the_same_way_and_clamps_the_screen():
    at = run("pages/kommuner.py", mote="1", kommun="botkyrka kommun", parti="v", skarm="99")
    n = int(at.caption[-1].value.split(" av ")[1]) if at.caption else None
    assert qp(at, state.Key.KOMMUN) == ["Botkyrka"]
    assert qp(at, state.Key.PARTY) == ["Vänsterpartiet"]
    assert qp(at, "skarm") == [str(n)]
    assert f"”99” i länken (`skarm=`) finns inte – sidan visar skärm {n} av {n}." in notices(at)
    assert [m.value for m in at.markdown][0] == "Vänsterpartiet · Botkyrka · kommunfullmäktige 2026"


def test_a_switch_reads_ja_and_nej():
    at = run("pages/jamfor.py", lanet="nej")
    assert at.toggle(key=state.Key.COUNTY_REF).value is False and qp(at, state.Key.COUNTY_REF) == ["false"]
    at = run("pages/jamfor.py", lanet="kanske")
    assert at.toggle(key=state.Key.COUNTY_REF).value is True
    assert "”kanske” i länken (`lanet=`) känns inte igen – sidan visar ”Länet som referens” på." in notices(at)


def test_a_canonical_link_is_left_alone():
    at = run("pages/kommuner.py", parti="Moderaterna", kommun="Botkyrka", val="Regionval")
    assert notices(at) == ""
    assert qp(at, state.Key.PARTY) == ["Moderaterna"]
    assert qp(at, state.Key.KOMMUN) == ["Botkyrka"]
