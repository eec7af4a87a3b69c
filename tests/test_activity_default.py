"""The embedded default, the synthetic demo set, templates, README and the page API (issue 4)."""
from __future__ import annotations

import functools
import sys
from pathlib import Path

import pandas as pd
import pytest

from dashboard.activity import SCHEMAS, api
from dashboard.activity.demo import generate, generate_door_knocking, load_demo
from dashboard.activity.generate import default_files, readme_with_schemas
from dashboard.activity.templates import template_csv, template_xlsx
from dashboard.activity.validate import empty_frame
from dashboard.paths import REPO_ROOT

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "activity"))
from acttest import make_data_dir  # noqa: E402

ACT = REPO_ROOT / "data" / "activity"


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch) -> Path:
    d = make_data_dir(tmp_path)
    monkeypatch.setenv("VALRUMMET_DATA_DIR", str(d))
    return d


# --- the embedded default is exactly the report's facts ----------------------------------------

def test_default_newspapers_are_the_reported_ratios():
    df = api.newspapers()
    got = dict(zip(df["kommun"], df["ex_per_röstberättigad"]))
    assert got == pytest.approx({
        "Vallentuna": 3.12, "Botkyrka": 2.29, "Upplands-Bro": 2.12, "Upplands Väsby": 2.10,
        "Sundbyberg": 1.51, "Järfälla": 1.44, "Lidingö": 1.19, "Österåker": 1.18, "Södertälje": 1.10,
    })
    assert df["kommunkod"].tolist() == ["0115", "0127", "0139", "0114", "0183", "0123", "0186", "0117", "0181"]
    # a ratio, never an invented count
    assert df["tryckta"].isna().all() and df["utdelade"].isna().all()
    assert (df["valår"] == 2022).all()


def test_default_cabins_door_knocking_activists_rentals():
    cab = api.cabins()
    assert cab.groupby("kommun").size().to_dict() == {"Järfälla": 1, "Sundbyberg": 3, "Upplands-Bro": 2}
    assert cab["lat"].isna().all() and cab["lon"].isna().all()  # no positions are given
    assert cab.loc[cab["kommun"] == "Sundbyberg", "prioriterat_område"].tolist() == [True, True, False]
    assert set(cab["område"].dropna()) == {"Hallonbergen", "Bro", "Kungsängen", "Jakobsberg"}

    door = api.door_knocking()
    assert door[["kommun", "område"]].values.tolist() == [["Sundbyberg", "Hallonbergen"], ["Botkyrka", "Alby"]]
    assert door["dörrar"].tolist()[0] == 1400 and pd.isna(door["dörrar"].iloc[1])
    assert door["ungefärligt"].tolist()[0] is True
    assert pd.isna(door["tillfällen"].iloc[0]) and door["tillfällen"].iloc[1] == 1

    act = api.activists()
    assert dict(zip(act["kommun"], act["aktiva"])) == {"Sundbyberg": 66, "Botkyrka": 14, "Järfälla": 10,
                                                       "Upplands-Bro": 8}
    assert act["medlemmar"].isna().all()
    assert act.set_index("kommun")["ungefärligt"].fillna(False).to_dict() == {
        "Sundbyberg": False, "Botkyrka": False, "Järfälla": True, "Upplands-Bro": True}

    rent = api.rentals()
    assert dict(zip(rent["kommun"], rent["hyresrätter_per_1000"])) == {"Järfälla": 120.0, "Lidingö": 142.0}
    assert rent["år"].isna().all()

    # nothing invented for the other types
    for df in (api.associations(), api.phone_banks(), api.priority_associations()):
        assert len(df) == 0

    summary = api.default_summary()
    assert summary[["typ", "värde", "enhet"]].values.tolist() == [
        ["tidningar", 600000.0, "exemplar"], ["tidningar", 70.0, "procent"], ["valstugor", 20.0, "stugor"]]
    assert summary["ungefärligt"].all()


def test_default_is_labelled():
    info = api.info("tidningar")
    assert (info.origin, info.origin_label, info.version) == ("standard", "från valutvärderingen 2023 — ofullständig", None)
    assert api.origin() == "standard" and not api.is_synthetic()
    assert api.notice(["tidningar", "ringstugor"]) == (
        "Aktivitetsdata från valutvärderingen 2023 — ofullständig: tidningar. Kommuner utan uppgift visas "
        "som saknade, inte som noll. Uppgift saknas för ringstugor.")


def test_committed_default_and_templates_match_the_code():
    for name, content in default_files().items():
        assert (ACT / "default" / name).read_bytes() == content, name
    for typ in SCHEMAS:
        assert (ACT / "templates" / f"{typ}.csv").read_bytes() == template_csv(typ)
        assert (ACT / "templates" / f"{typ}.xlsx").read_bytes() == template_xlsx(typ)
    readme = (ACT / "README.md").read_text(encoding="utf-8")
    assert readme_with_schemas(readme) == readme, "run python -m dashboard.activity.generate"
    for schema in SCHEMAS.values():
        for c in schema.columns:
            assert f"| `{c.name}` |" in readme


# --- API shape ---------------------------------------------------------------------------------------

@functools.cache
def _demo(seed: int) -> dict[str, pd.DataFrame]:
    return generate(seed=seed)


def _dtypes(df: pd.DataFrame) -> dict:
    return {c: str(t) for c, t in df.dtypes.items()}


@pytest.mark.parametrize("typ", list(SCHEMAS))
def test_current_has_the_same_columns_and_dtypes_whatever_the_origin(typ):
    expected = _dtypes(empty_frame(SCHEMAS[typ]))
    assert _dtypes(api.current(typ)) == expected  # default (possibly empty)
    df = _demo(5)[typ]
    from dashboard.activity.demo import frame_bytes

    api.import_file(frame_bytes(df), typ, origin="syntetisk")
    assert _dtypes(api.current(typ)) == expected
    assert len(api.current(typ)) == len(df)


# --- the synthetic demo set ---------------------------------------------------------------------------------

def test_demo_set_is_complete_synthetic_and_flagged():
    county = 26
    versions = load_demo(seed=11)
    assert set(versions) == set(SCHEMAS)
    status = api.status()
    assert set(status["origin"]) == {"syntetisk"}
    assert api.is_synthetic() and api.origin() == "syntetisk"
    assert api.notice().startswith("Syntetiska demodata")
    for typ in ("foreningar", "tidningar", "valstugor", "dorrknackning", "ringstugor", "aktivister", "hyresratter"):
        df = api.current(typ)
        assert df["kommunkod"].nunique() == county, typ
        assert (df["anteckning"] == "SYNTETISK DEMODATA").all(), typ
    assert len(api.priority_associations()) > 0
    cab = api.cabins()
    assert cab["lat"].notna().all() and cab["namn"].str.startswith("Demostuga").all()
    assert api.associations()["kommunkod"].value_counts()["0180"] == 6  # several in Stockholm city
    assert len(api.association_districts()) > 0
    # one type back to the default: still synthetic overall, the notice says so everywhere
    api.reset("valstugor")
    assert api.info("valstugor").origin == "standard" and api.is_synthetic()


def test_demo_is_reproducible():
    a, b, c = generate(seed=1), generate(seed=1), generate(seed=2)
    for typ in SCHEMAS:
        pd.testing.assert_frame_equal(a[typ], b[typ])
    assert not a["dorrknackning"].equals(c["dorrknackning"])
    big = generate_door_knocking(5000, seed=3)
    assert len(big) == 5000 and not big.duplicated().any()
