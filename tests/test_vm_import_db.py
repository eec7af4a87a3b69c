"""Imported fixtures in a temporary copy of the real data/: the named queries show the imported
2026 election next to the official 2022 data."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from dashboard import db
from dashboard.paths import data_dir as real_data_dir
from dashboard.vm_import import attach_imported, import_files, import_history

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "vm"))
import make_fixtures as fx  # noqa: E402
from vmtest import dir_hash  # noqa: E402


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    src = real_data_dir()
    if not (src / "area_totals.parquet").is_file():
        pytest.fail(f"{src} has no built warehouse; run 'python -m dashboard build'")
    root = tmp_path_factory.mktemp("real")
    d = root / "data"
    shutil.copytree(src, d, ignore=shutil.ignore_patterns("imported", "activity"))
    zips = root / "zips"
    zips.mkdir()
    import_files([fx.kommun_preliminary().write(zips), fx.riksdag_final().write(zips),
                  fx.region_final().write(zips)], d)
    yield d
    db.reset_connections()


def test_municipality_change_shows_2026_next_to_2022(warehouse):
    df = db.execute("municipality_change", {"election": "kommun", "from_year": 2022,
                                            "to_year": 2026, "party": "V"}, directory=warehouse)
    vasby = df.set_index("kommunkod").loc["0114"]
    # 2022 from SCB (official), 2026 from the preliminary fixture
    assert (vasby.votes_from, vasby.valid_from, vasby.count_status_from) == (2078, 26698, "final")
    assert (vasby.votes_to, vasby.valid_to, vasby.count_status_to) == (157, 1878, "preliminary")
    assert vasby.source_to == "vm_resultatfil:Val_2026_preliminar_0114_KF.zip"
    assert vasby.change_pp == pytest.approx(157 / 1878 * 100 - 2078 / 26698 * 100, abs=1e-9)
    # Stockholm has no imported kommun file: 2026 stays empty, not zero
    assert df.set_index("kommunkod").loc["0180"].isna()["votes_to"]

    rd = db.execute("municipality_change", {"election": "riksdag", "from_year": 2022,
                                            "to_year": 2026, "party": "V"}, directory=warehouse)
    sthlm = rd.set_index("kommunkod").loc["0180"]
    assert round(sthlm.share_from, 2) == 11.73  # official riksdag 2022, Stockholm
    assert (sthlm.votes_to, sthlm.valid_to, sthlm.count_status_to) == (269, 2015, "final")


def test_import_replaces_build_rows_of_same_election_year(warehouse):
    # the build has riksdag 2026 at constituency level (bippen); the import replaces it
    got = db.sql("SELECT DISTINCT source FROM area_totals WHERE election = 'riksdag' "
                 "AND year = 2026", directory=warehouse)
    assert got.source.tolist() == ["vm_resultatfil:Val_2026_slutlig_00_RD.zip"]


def test_attach_imported_on_the_real_warehouse(warehouse, monkeypatch):
    """The proposed db.py hook: elections and parties are merged too."""
    monkeypatch.setattr(db, "_load_imported", attach_imported, raising=False)
    db.reset_connections()
    try:
        el = db.sql("SELECT election, year, count_status, source FROM elections "
                    "WHERE year = 2026 ORDER BY election", directory=warehouse)
        assert el.values.tolist() == [
            ["kommun", 2026, "preliminary", "vm_resultatfil:Val_2026_preliminar_0114_KF.zip"],
            ["region", 2026, "final", "vm_resultatfil:Val_2026_slutlig_01_RF.zip"],
            ["riksdag", 2026, "final", "vm_resultatfil:Val_2026_slutlig_00_RD.zip"]]
        parties = db.sql("SELECT party, count(*) AS n FROM parties WHERE party IN "
                         "('P1999', 'VB') GROUP BY party ORDER BY party", directory=warehouse)
        assert parties.values.tolist() == [["P1999", 1], ["VB", 1]]
        county = db.sql("SELECT valid_votes, source FROM area_totals WHERE election = 'region' "
                        "AND year = 2026 AND level = 'county'", directory=warehouse)
        # Region Stockholm is one of the 20 regions: only its county is summed, not Sweden
        assert county.values.tolist() == [[3002, "vm_resultatfil:summa"]]
    finally:
        db.reset_connections()


def test_history_and_refusal_on_the_real_warehouse(warehouse, tmp_path):
    hist = import_history(warehouse)
    assert sorted(hist.file) == ["Val_2026_preliminar_0114_KF.zip", "Val_2026_slutlig_00_RD.zip",
                                 "Val_2026_slutlig_01_RF.zip"]
    assert hist.current.all()
    before = dir_hash(warehouse)
    with pytest.raises(Exception, match="okänd fil i zip-filen: 'readme.txt'"):
        import_files([fx.with_unknown_member().write(tmp_path)], warehouse)
    assert dir_hash(warehouse) == before


def test_pages_show_the_imported_election(warehouse, monkeypatch):
    """Om data records the import; Kommuner shows 2022→2026 from it, marked preliminary."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    app = str(Path(__file__).resolve().parents[1] / "app.py")
    monkeypatch.setenv("VALRUMMET_DATA_DIR", str(warehouse))

    def fresh():
        db.reset_connections()
        st.cache_resource.clear()
        st.cache_data.clear()

    fresh()
    try:
        at = AppTest.from_file(app, default_timeout=90)
        at.switch_page("pages/om_data.py")
        at.run()
        assert not at.exception, [e.message for e in at.exception]
        tables = [df for df in (el.value for el in at.dataframe) if {"Fil", "Räkning"} <= set(df.columns)]
        assert tables, "no import table on Om data"
        rows = tables[0].set_index("Fil")
        assert rows.loc["Val_2026_preliminar_0114_KF.zip", "Räkning"] == "preliminär"
        assert rows.loc["Val_2026_slutlig_00_RD.zip", "Räkning"] == "slutlig"

        at = AppTest.from_file(app, default_timeout=90)
        at.switch_page("pages/kommuner.py")
        at.query_params["val"] = "Kommunval"
        at.query_params["period"] = "2022-2026"
        at.run()
        assert not at.exception, [e.message for e in at.exception]
        ranked = next(df for df in (el.value for el in at.dataframe) if "Andel 2026 (%)" in df.columns)
        vasby = ranked.set_index("Kommun").loc["Upplands Väsby"]
        assert vasby["Andel 2026 (%)"] == pytest.approx(157 / 1878 * 100)  # preliminary fixture
        assert vasby["Andel 2022 (%)"] == pytest.approx(2078 / 26698 * 100)  # official 2022
        notes = "\n".join(i.value for i in at.info)
        assert "preliminärt" in notes
    finally:
        fresh()
