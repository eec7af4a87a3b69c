"""The priority scorecard: the versioned criteria file, scores, met criteria, reasons, the
comparison with the district's own list, and the seat inputs on the real 2022 data."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dashboard import db
from dashboard import priority as P
from dashboard.errors import ValrummetError

TWO = """
version = "test-1"
peer_count = 1
[[criterion]]
key = "mandat"
label = "Nära ett mandat till"
measure = "votes_to_next_seat_pct"
direction = "lower"
weight = 2
meets = "<= 0.5"
[[criterion]]
key = "forandring"
label = "Ökade senast"
measure = "change_pp"
direction = "higher"
weight = 1
meets = "> 0"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kriterier.toml"
    path.write_text(text, encoding="utf-8")
    return path


def units() -> pd.DataFrame:
    """Three municipalities: U1 1,0 % to the next seat and +1,0 p.e.; U2 0,2 % and −0,5; U3 no seat
    figure and +2,0."""
    return pd.DataFrame({
        "unit_id": ["0114", "0115", "0117"], "unit": ["U1", "U2", "U3"], "kommunkod": ["0114", "0115", "0117"],
        "scope": "kommunen", "seats": [3, 1, pd.NA], "votes_to_next_seat": [100, 20, pd.NA],
        "margin_on_last_seat": [50, 5, pd.NA], "council_eligible": [10_000, 10_000, 10_000],
        "eligible": [10_000, 10_000, 10_000], "change_pp": [1.0, -0.5, 2.0], "share_kommun": [5.0, 6.0, 7.0],
        "peer_share": [np.nan] * 3, "peer_names": [""] * 3, "rentals_per_1000": [np.nan] * 3,
        "activists": [pd.NA] * 3, "cabins": [pd.NA] * 3,
    })


# --- the criteria file -------------------------------------------------------------------------------


def test_shipped_criteria_file():
    c = P.load_criteria()
    assert c.path.name == "priority_criteria.toml" and c.version
    assert [i.key for i in c.items] == ["mandat", "forsvar", "forandring", "potential", "hyresratter", "aktivister",
                                        "valstugor"]
    assert {i.measure for i in c.items} <= set(P.MEASURES)
    assert all(0 <= i.weight <= P.MAX_WEIGHT for i in c.items)
    mandat = c.items[0]
    assert (mandat.param, mandat.op, mandat.threshold, mandat.threshold_text()) == ("w_mandat", "<=", 0.5, "≤ 0,50 %")
    assert (mandat.meets(0.5), mandat.meets(0.51), mandat.meets(None)) == (True, False, None)


@pytest.mark.parametrize("change, message", [
    (('measure = "votes_to_next_seat_pct"', 'measure = "antal_affischer"'), "okänt mått 'antal_affischer'"),
    (('meets = "<= 0.5"', 'meets = "ungefär 0.5"'), "'meets' ska vara t.ex."),
    (('weight = 2', 'weight = 11'), "'weight' ska vara ett tal från 0 till 10"),
    (('direction = "lower"', 'direction = "down"'), "'direction' ska vara"),
    (('key = "forandring"', 'key = "mandat"'), "'key' ska vara unik"),
])
def test_bad_criteria_file_says_where(tmp_path, change, message):
    path = write(tmp_path, TWO.replace(*change, 1))
    with pytest.raises(ValrummetError) as err:
        P.load_criteria(path)
    assert message in str(err.value)
    assert str(path) in str(err.value)


def test_criteria_file_missing_field(tmp_path):
    with pytest.raises(ValrummetError, match="fältet 'version' saknas"):
        P.load_criteria(write(tmp_path, TWO.replace('version = "test-1"', "")))


# --- scores --------------------------------------------------------------------------------------------


def test_scorecard_hand_computed(tmp_path):
    crit = P.load_criteria(write(tmp_path, TWO))
    card = P.scorecard(units(), crit).set_index("unit")
    # mandat (lower is better, U3 unknown): U2 1, U1 0; change (higher is better): U3 1, U1 0,5, U2 0
    assert card.loc["U1", "score_mandat"] == 0.0 and card.loc["U2", "score_mandat"] == 1.0
    assert math.isnan(card.loc["U3", "score_mandat"])
    assert card[["score_forandring"]].loc[["U1", "U2", "U3"]].squeeze().tolist() == [0.5, 0.0, 1.0]
    # totals: weighted means over the criteria with a value
    assert card.loc["U1", "total"] == pytest.approx((2 * 0 + 1 * 0.5) / 3 * 100)
    assert card.loc["U2", "total"] == pytest.approx(2 / 3 * 100)
    assert card.loc["U3", "total"] == pytest.approx(100.0)
    assert card["rank"].loc[["U3", "U2", "U1"]].tolist() == [1, 2, 3]
    # met criteria and why
    assert (card.loc["U1", "meets_mandat"], card.loc["U1", "meets_forandring"]) == (False, True)
    assert (card.loc["U2", "meets_mandat"], card.loc["U2", "meets_forandring"]) == (True, False)
    assert pd.isna(card.loc["U3", "meets_mandat"])
    assert card["n_meets"].loc[["U1", "U2", "U3"]].tolist() == [1, 1, 1]
    assert card["n_known"].loc[["U1", "U2", "U3"]].tolist() == [2, 2, 1]
    assert card.loc["U2", "meets_text"] == "Nära ett mandat till"
    assert card.loc["U2", "why_mandat"] == "20 röster till ett mandat till = 0,20 % av de röstberättigade i kommunen"
    assert card.loc["U1", "reasons"].splitlines()[0] == (
        "✗ Nära ett mandat till: 100 röster till ett mandat till = 1,00 % av de röstberättigade i kommunen "
        "(gräns ≤ 0,50 %)")
    assert card.loc["U3", "reasons"].splitlines()[0].startswith("– Nära ett mandat till: uppgift saknas")


def test_scorecard_weights_and_missing_as_zero(tmp_path):
    crit = P.load_criteria(write(tmp_path, TWO))
    only_change = P.scorecard(units(), crit, {"mandat": 0}).set_index("unit")["total"]
    assert only_change.loc[["U1", "U2", "U3"]].tolist() == pytest.approx([50.0, 0.0, 100.0])
    strict = P.scorecard(units(), crit, missing_as_zero=True)
    assert strict["unit"].tolist() == ["U2", "U3", "U1"]
    assert strict.set_index("unit").loc["U3", "total"] == pytest.approx(100 / 3)
    nothing = P.scorecard(units(), crit, {"mandat": 0, "forandring": 0})
    assert nothing["total"].isna().all() and nothing["rank"].isna().all()


def test_compare_with_district_list(tmp_path):
    card = P.scorecard(units(), P.load_criteria(write(tmp_path, TWO)))
    listed = pd.DataFrame({"kommunkod": ["0115"], "förening": pd.array([pd.NA], dtype="string")})
    out, n = P.compare_with_list(card, listed, by_association=False)
    out = out.set_index("unit")
    assert n == 1
    assert out["on_list"].tolist() == [False, True, False]  # ranked U3, U2, U1
    assert out.loc["U3", "disagreement"] == "beräknad plats 1 (bland de 1 högsta), men inte på distriktets lista"
    assert out.loc["U2", "disagreement"] == "på distriktets lista, men beräknad plats 2"
    assert pd.isna(out.loc["U1", "disagreement"])
    empty, n0 = P.compare_with_list(card, listed.iloc[0:0], by_association=False)
    assert n0 == 0 and empty["disagreement"].isna().all()


def test_peers_by_population():
    k = pd.DataFrame({"kommunkod": ["A", "B", "C", "D"], "kommun": ["Aby", "Bby", "Cby", "Dby"],
                      "population": [1000, 1100, 5000, 100_000]})
    p = P.peers(k, pd.Series({"A": 10.0, "B": 20.0, "C": 30.0, "D": 40.0}), 1).set_index("kommunkod")
    assert p.loc["A", "peer_names"] == "Bby" and p.loc["A", "peer_share"] == 20.0
    assert p.loc["D", "peer_names"] == "Cby" and p.loc["D", "peer_share"] == 30.0
    two = P.peers(k, pd.Series({"A": 10.0, "B": 20.0, "C": np.nan, "D": 40.0}), 2).set_index("kommunkod")
    assert two.loc["C", "peer_share"] == pytest.approx(15.0)  # C's own share unknown, its peers still count


def test_association_inputs_from_districts():
    municipal = pd.DataFrame({
        "kommunkod": ["0180", "0114"], "kommun": ["Stockholm", "Upplands Väsby"], "population": [1, 1],
        "eligible": [1000, 500], "council_eligible": [1000, 500], "share_to": [20.0, 8.0], "change_pp": [1.0, 0.5],
        "share_kommun": [20.0, 8.0], "scope": "kommunen", "seats": [16, 4], "votes_to_next_seat": [841, 279],
        "margin_on_last_seat": [5008, 281], "peer_share": [8.0, 6.0], "peer_names": ["x", "y"],
        "rentals_per_1000": [np.nan, np.nan], "activists": [30, 7], "cabins": [3, 1], "unit_id": ["0180", "0114"],
        "unit": ["Stockholm", "Upplands Väsby"],
    })
    assoc = pd.DataFrame({"förening_id": ["S1", "S2", "UV"], "förening": ["Söder", "Norr", "Väsby"],
                          "kommunkod": ["0180", "0180", "0114"],
                          "valdistrikt": pd.array(["01800001 01800002", pd.NA, pd.NA], dtype="string")})
    districts = pd.DataFrame({
        "district_code": ["01800001", "01800002", "01800003"], "eligible": [300, 200, 500],
        "votes_to": [60, 10, 100], "valid_to": [200, 100, 400], "votes_from": [50, 10, 90],
        "valid_from": [200, 100, 400], "comparable": [True, False, True],
    })
    activists = pd.DataFrame({"kommunkod": ["0180", "0114"], "förening": pd.array(["s1", pd.NA], dtype="string"),
                              "aktiva": pd.array([12, 7], dtype="Int64")})
    cabins = pd.DataFrame({"kommunkod": ["0180", "0180", "0114"]})
    cabin_district = pd.Series(["01800001", "01800003", None])
    out = P.association_inputs(assoc, municipal, activists, cabins, districts, cabin_district).set_index("unit_id")
    s1 = out.loc["S1"]
    assert s1["eligible"] == 500 and s1["share_to"] == pytest.approx(70 / 300 * 100)
    # change only over the comparable district 01800001: 60/200 − 50/200
    assert s1["change_pp"] == pytest.approx(5.0)
    assert s1["scope"] == "föreningens 2 valdistrikt"
    assert s1["activists"] == 12 and s1["cabins"] == 1
    assert s1["votes_to_next_seat"] == 841 and s1["council_eligible"] == 1000  # the council is the municipality's
    # S2 lists no districts and shares Stockholm with S1: nothing of its own is known
    s2 = out.loc["S2"]
    assert pd.isna(s2["eligible"]) and pd.isna(s2["change_pp"]) and pd.isna(s2["activists"])
    assert s2["scope"] == "ingen uppgift för föreningens område"
    # the only association of its municipality takes the municipality's figures
    uv = out.loc["UV"]
    assert (uv["eligible"], uv["change_pp"], uv["activists"], uv["cabins"]) == (500, 0.5, 7, 1)


# --- the seat inputs on the real 2022 data ----------------------------------------------------------------


def test_municipal_inputs_with_official_seats():
    k = db.execute("county_municipalities", {})
    m = db.execute("municipality_change", {"election": "kommun", "from_year": 2018, "to_year": 2022, "party": "V"})
    seats = db.execute("seat_margins", {"election": "kommun", "year": 2022, "party": "V"})
    empty = pd.DataFrame({"kommunkod": pd.Series(dtype="string"), "hyresrätter_per_1000": pd.Series(dtype="float64"),
                          "aktiva": pd.Series(dtype="Int64")})
    inputs = P.municipal_inputs(k, m, m[["kommunkod", "eligible_to"]].rename(columns={"eligible_to": "eligible"}),
                                seats, empty, empty, empty, peer_count=5)
    card = P.scorecard(inputs, P.load_criteria()).set_index("unit")
    v = card.loc["Vallentuna"]
    # V in Vallentuna 2022: 2 seats, 191 votes to a third, 237 votes of margin; 25 925 eligible
    assert (v["seats"], v["votes_to_next_seat"], v["margin_on_last_seat"]) == (2, 191, 237)
    assert v["value_mandat"] == pytest.approx(191 / 25925 * 100)
    assert v["why_mandat"] == "191 röster till ett mandat till = 0,74 % av de röstberättigade i kommunen"
    # Salem: the last seat hangs on one vote (477 / 3 against SD's 1 112 / 7)
    assert card.loc["Salem", "margin_on_last_seat"] == 0 and card.loc["Salem", "meets_forsvar"]
    # Danderyd has no seat: nothing to defend, 45 votes to the first
    assert card.loc["Danderyd", "why_forsvar"] == "inga mandat att försvara"
    assert pd.isna(card.loc["Danderyd", "meets_forsvar"])
    assert card.loc["Stockholm", "seats"] == 16 and card.loc["Stockholm", "votes_to_next_seat"] == 841
    assert len(card) == 26 and card["n_known"].min() >= 3
