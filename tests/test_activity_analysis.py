"""Pure functions behind the internal activity pages: r and n, copies per eligible voter,
cabins in districts, on constructed data with hand-computed answers (and the
embedded default, whose newspaper ratios are facts of the 2023 evaluation)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from dashboard import activity
from dashboard import activity_analysis as aa

X0, Y0 = 674_000.0, 6_580_000.0  # central Stockholm in SWEREF 99 TM


def kommuner(*codes: str) -> pd.DataFrame:
    return pd.DataFrame({"kommunkod": list(codes), "kommun": [f"K{c}" for c in codes]})


# --- r, n and the fitted line ---------------------------------------------------------------------


def test_fit_line_hand_computed():
    # dx = -2..2, dy = -1,-2,1,0,2: Σdxdy = 8, Σdx² = Σdy² = 10 → r = 0,8; slope 0,8; intercept 3 − 0,8·3
    fit = aa.fit_line([1, 2, 3, 4, 5], [2, 1, 4, 3, 5])
    assert fit.n == 5
    assert fit.r == pytest.approx(0.8)
    assert fit.slope == pytest.approx(0.8)
    assert fit.intercept == pytest.approx(0.6)
    assert fit.line([0, 10]).tolist() == pytest.approx([0.6, 8.6])


def test_fit_line_drops_missing_pairs_and_needs_three():
    fit = aa.fit_line([1, 2, None, 4, np.nan], [2, 4, 5, 8, 1])
    assert (fit.n, fit.r, fit.slope) == (3, pytest.approx(1.0), pytest.approx(2.0))
    two = aa.fit_line([1, 2, None], [1, 3, 4])
    assert (two.n, two.r, two.slope) == (2, None, None)
    flat = aa.fit_line([1, 1, 1, 1], [1, 2, 3, 4])  # no spread in x: no r
    assert (flat.n, flat.r) == (4, None)
    assert aa.strength_text(two) == "för få kommuner med uppgift för att räkna ett samband"
    assert aa.strength_text(aa.Fit(9, -0.62, -1.0, 0.0)) == "starkt negativt samband"
    assert aa.strength_text(aa.Fit(9, 0.06, 0.1, 0.0)) == "inget tydligt samband"


# --- newspapers -------------------------------------------------------------------------------------


def test_newspapers_counts_ratios_and_missing():
    news = pd.DataFrame({
        "kommunkod": ["0114", "0114", "0115", "0117"],
        "tryckta": pd.array([1000, 600, pd.NA, 500], dtype="Int64"),
        "utdelade": pd.array([800, pd.NA, pd.NA, pd.NA], dtype="Int64"),
        "ex_per_röstberättigad": [np.nan, np.nan, 3.12, np.nan],
        "ungefärligt": pd.array([pd.NA, True, pd.NA, pd.NA], dtype="boolean"),
    })
    eligible = pd.DataFrame({"kommunkod": ["0114", "0115", "0117", "0120"], "eligible": [1400, 2000, 0, 500]})
    out = aa.newspapers_per_voter(news, eligible, kommuner("0114", "0115", "0117", "0120")).set_index("kommunkod")
    # distributed where given (800), else printed (600): 1400 copies / 1400 eligible
    assert out.loc["0114", "copies"] == 1400
    assert out.loc["0114", "per_voter"] == pytest.approx(1.0)
    assert out.loc["0114", "basis"] == "tryckta exemplar + utdelade exemplar"
    assert bool(out.loc["0114", "approx"]) is True
    # a stated ratio is taken as it is, without inventing a count
    assert out.loc["0115", "per_voter"] == pytest.approx(3.12)
    assert pd.isna(out.loc["0115", "copies"])
    assert out.loc["0115", "basis"] == "uppgiven kvot"
    # no electorate: no ratio (never a division by zero), the count stays
    assert pd.isna(out.loc["0117", "per_voter"]) and out.loc["0117", "copies"] == 500
    # no rows at all: missing, not zero
    assert pd.isna(out.loc["0120", "per_voter"]) and pd.isna(out.loc["0120", "copies"])
    assert pd.isna(out.loc["0120", "approx"]) and out.loc["0120", "rows"] == 0


def test_embedded_default_newspaper_ratios(tmp_path, monkeypatch):
    from .test_internal_pages import make_data_dir

    monkeypatch.setenv("VALRUMMET_DATA_DIR", str(make_data_dir(tmp_path)))
    news = aa.for_campaign(activity.newspapers(), 2022)
    codes = ["0115", "0127", "0139", "0114", "0183", "0123", "0186", "0117", "0181", "0180"]
    out = aa.newspapers_per_voter(news, pd.DataFrame({"kommunkod": codes, "eligible": 1000}),
                                  kommuner(*codes)).set_index("kommunkod")["per_voter"]
    # the 2023 evaluation: Vallentuna 3,12 … Södertälje 1,10; Stockholm has no figure
    assert out.round(2).tolist()[:9] == [3.12, 2.29, 2.12, 2.10, 1.51, 1.44, 1.19, 1.18, 1.10]
    assert pd.isna(out["0180"])
    assert aa.for_campaign(activity.newspapers(), 2018).empty


def test_activity_per_kommun_keeps_missing_apart_from_zero():
    doors = pd.DataFrame({"kommunkod": ["0114", "0114", "0115"], "dörrar": pd.array([100, 50, pd.NA], dtype="Int64"),
                          "samtal": pd.array([10, pd.NA, pd.NA], dtype="Int64"),
                          "tillfällen": pd.array([pd.NA, pd.NA, 1], dtype="Int64")})
    calls = pd.DataFrame({"kommunkod": ["0117"], "samtal": pd.array([0], dtype="Int64"),
                          "besvarade": pd.array([0], dtype="Int64")})
    act = pd.DataFrame({"kommunkod": ["0114"], "aktiva": pd.array([6], dtype="Int64"),
                        "medlemmar": pd.array([pd.NA], dtype="Int64")})
    eligible = pd.DataFrame({"kommunkod": ["0114", "0115", "0117"], "eligible": [3000, 2000, 1000]})
    out = aa.activity_per_kommun(doors, calls, act, eligible, kommuner("0114", "0115", "0117")).set_index("kommunkod")
    assert out.loc["0114", "doors"] == 150 and out.loc["0114", "doors_per_1000"] == pytest.approx(50.0)
    assert out.loc["0114", "activists_per_10k"] == pytest.approx(20.0)
    assert pd.isna(out.loc["0115", "doors"]) and out.loc["0115", "door_events"] == 1  # one action, doors unknown
    assert out.loc["0117", "calls"] == 0 and out.loc["0117", "calls_per_1000"] == 0.0  # a reported zero stays zero
    assert pd.isna(out.loc["0117", "doors"]) and pd.isna(out.loc["0117", "activists"])


# --- cabins in districts on a constructed example -----------------------------------------------------------


def square(cx: float, cy: float, half: float = 100.0):
    return shapely.box(cx - half, cy - half, cx + half, cy + half)


def constructed_districts() -> aa.Districts:
    """Four square districts in a row: centroids 0, 900, 1 500 and 5 000 m east of X0."""
    offsets = [0.0, 900.0, 1500.0, 5000.0]
    polys = np.array([square(X0 + o, Y0) for o in offsets], dtype=object)
    frame = pd.DataFrame({
        "district_code": ["01140001", "01140002", "01140003", "01150001"],
        "district_name": ["A", "B", "C", "D"],
        "kommunkod": ["0114", "0114", "0114", "0115"],
        "x": [X0 + o for o in offsets],
        "y": [Y0] * 4,
    })
    return aa.Districts(frame, polys)


def test_point_in_district():
    codes = aa.district_of_points([X0 + 10, X0 + 1500, X0 + 3000], [Y0, Y0 + 50, Y0], constructed_districts())
    assert codes == ["01140001", "01140003", None]
