"""Imported fixtures in a temporary copy of the real data/: the named queries show the imported
2026 files next to the official 2022 data, and the precedence rule (store.PRECEDENCE_SQL) picks,
area by area, between an imported official file and the build's third-party 2026 copies."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pandas as pd
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
    # 2022 from SCB (official). 2026: the imported file is preliminary, the build's third-party
    # copy is final – final beats preliminary, so the preliminary import does not show.
    assert (vasby.votes_from, vasby.valid_from, vasby.count_status_from) == (2078, 26698, "final")
    assert (vasby.votes_to, vasby.valid_to, vasby.count_status_to) == (2758, 29159, "final")
    assert vasby.source_to == "rykatkin_kfrf2026_slutlig+ordnaswe_valdeltagande_2026"
    assert vasby.change_pp == pytest.approx(2758 / 29159 * 100 - 2078 / 26698 * 100, abs=1e-9)

    rd = db.execute("municipality_change", {"election": "riksdag", "from_year": 2022,
                                            "to_year": 2026, "party": "V"}, directory=warehouse)
    rd = rd.set_index("kommunkod")
    sthlm = rd.loc["0180"]
    assert round(sthlm.share_from, 2) == 11.73  # official riksdag 2022, Stockholm
    # the imported final RD file (official) beats the final third-party copy for its areas …
    assert (sthlm.votes_to, sthlm.valid_to, sthlm.count_status_to) == (269, 2015, "final")
    assert sthlm.source_to == "vm_resultatfil:Val_2026_slutlig_00_RD.zip"
    # … and the municipalities it does not hold keep the third-party rows
    botkyrka = rd.loc["0127"]
    assert (botkyrka.votes_to, botkyrka.valid_to, botkyrka.source_to) == (7338, 48889, "kisabaka_rd2026_slutlig")


def test_import_replaces_build_rows_area_by_area(warehouse):
    got = db.sql("SELECT level, source, count(*) AS n FROM area_totals WHERE election = 'riksdag' "
                 "AND year = 2026 AND county_code = '01' GROUP BY ALL ORDER BY ALL", directory=warehouse)
    imported = "vm_resultatfil:Val_2026_slutlig_00_RD.zip"
    base = pd.read_parquet(real_data_dir() / "area_totals.parquet")
    third_party_districts = ((base.election == "riksdag") & (base.year == 2026) & (base.level == "district")
                             & ~base.kommunkod.isin(["0180", "0114"])).sum()
    assert got.values.tolist() == [
        ["county", imported, 1],
        # districts are replaced per municipality: Stockholm's and Väsby's all come from the
        # import (with their collection districts), the other 24 municipalities' from the copy
        ["district", "calcetinletal_rd2026_valdistrikt", third_party_districts],
        ["district", imported, 6],
        ["municipality", "kisabaka_rd2026_slutlig", 24],
        ["municipality", imported, 2],
        ["riksdag_valkrets", imported, 2],
    ]
    # the 27 other constituencies and the other counties stay third-party
    rest = db.sql("SELECT DISTINCT source FROM area_totals WHERE election = 'riksdag' AND year = 2026 "
                  "AND level = 'riksdag_valkrets' AND area_code NOT IN ('01', '02')", directory=warehouse)
    assert rest.source.tolist() == ["bippen_rd2026_valkrets"]


def test_attach_imported_on_the_real_warehouse(warehouse, monkeypatch):
    """The proposed db.py hook: elections and parties are merged too."""
    monkeypatch.setattr(db, "_load_imported", attach_imported, raising=False)
    db.reset_connections()
    try:
        el = db.sql("SELECT election, year, count_status, source FROM elections "
                    "WHERE year = 2026 ORDER BY ALL", directory=warehouse)
        kf = "rykatkin_kfrf2026_slutlig,rykatkin_kfrf2026_slutlig+ordnaswe_valdeltagande_2026"
        assert el.values.tolist() == [
            ["kommun", 2026, "final", kf],
            # the preliminary KF import lost wherever a final row exists; only its district
            # rows stay, since no final kommun district result exists for Väsby
            ["kommun", 2026, "preliminary", "vm_resultatfil:Val_2026_preliminar_0114_KF.zip"],
            # the RF file covers the region: its constituencies replace all 12 of the copy
            ["region", 2026, "final", "vm_resultatfil:Val_2026_slutlig_01_RF.zip,vm_resultatfil:summa"],
            ["region", 2026, "preliminary", "willrydh_kfrf2026_preliminar"],
            ["riksdag", 2026, "final", "bippen_rd2026_valkrets,kisabaka_rd2026_slutlig,"
             "vm_resultatfil:Val_2026_slutlig_00_RD.zip"],
            ["riksdag", 2026, "preliminary", "calcetinletal_rd2026_valdistrikt"]]
        parties = db.sql("SELECT party, count(*) AS n FROM parties WHERE party IN "
                         "('P1999', 'VB') GROUP BY party ORDER BY party", directory=warehouse)
        assert parties.values.tolist() == [["P1999", 1], ["VB", 1]]
        county = db.sql("SELECT valid_votes, source FROM area_totals WHERE election = 'region' "
                        "AND year = 2026 AND level = 'county'", directory=warehouse)
        # Region Stockholm is one of the 20 regions: only its county is summed, not Sweden
        assert county.values.tolist() == [[3002, "vm_resultatfil:summa"]]
        # the region file holds Stockholm and Botkyrka: their region rows are official now,
        # the other 24 municipalities keep the preliminary third-party rows
        m = db.sql("SELECT source, count_status, count(*) AS n FROM area_totals WHERE election = 'region' "
                   "AND year = 2026 AND level = 'municipality' GROUP BY ALL ORDER BY ALL", directory=warehouse)
        assert m.values.tolist() == [["vm_resultatfil:Val_2026_slutlig_01_RF.zip", "final", 2],
                                     ["willrydh_kfrf2026_preliminar", "preliminary", 24]]
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
        at.query_params["val"] = "Regionval"
        at.query_params["period"] = "2022-2026"
        at.run()
        assert not at.exception, [e.message for e in at.exception]
        ranked = next(df for df in (el.value for el in at.dataframe) if "Andel 2026 (%)" in df.columns)
        rows = ranked.set_index("Kommun")
        # Botkyrka from the imported final RF file (official beats the preliminary copy)
        assert rows.loc["Botkyrka", "Andel 2026 (%)"] == pytest.approx(110 / 972 * 100)
        # Upplands Väsby: no official file, so the third-party election-night figure
        assert rows.loc["Upplands Väsby", "Andel 2026 (%)"] == pytest.approx(2960 / 26808 * 100)
        notes = "\n".join(i.value for i in at.info)
        assert "preliminärt" in notes
    finally:
        fresh()


@pytest.fixture(scope="module")
def warehouse_final_kf(tmp_path_factory) -> Path:
    """The real data/ with one official final KF file imported (Upplands Väsby)."""
    root = tmp_path_factory.mktemp("real_kf")
    d = root / "data"
    shutil.copytree(real_data_dir(), d, ignore=shutil.ignore_patterns("imported", "activity"))
    zips = root / "zips"
    zips.mkdir()
    import_files([fx.kommun_final().write(zips)], d)
    yield d
    db.reset_connections()


def test_official_final_file_beats_the_copy_for_its_municipality_only(warehouse_final_kf):
    rows = db.sql("SELECT level, area_code, kommunkod, source, count_status FROM area_totals "
                  "WHERE election = 'kommun' AND year = 2026", directory=warehouse_final_kf)
    official = "vm_resultatfil:Val_2026_slutlig_0114_KF.zip"
    vasby = rows[rows.kommunkod == "0114"]
    # Väsby: every row (municipality, its kommunvalkrets, the districts) from the official file
    assert set(vasby.source) == {official} and set(vasby.count_status) == {"final"}
    assert sorted(vasby.level.unique()) == ["district", "kommunvalkrets", "municipality"]
    # the other 25 municipalities (and their 33 constituencies) keep the third-party rows
    others = rows[(rows.kommunkod != "0114") & rows.kommunkod.notna()]
    assert others[others.level == "municipality"].area_code.nunique() == 25
    assert set(others.source) == {"rykatkin_kfrf2026_slutlig", "rykatkin_kfrf2026_slutlig+ordnaswe_valdeltagande_2026"}
    assert len(others[others.level == "kommunvalkrets"]) == 33
    df = db.execute("municipality_change", {"election": "kommun", "from_year": 2022, "to_year": 2026,
                                            "party": "V"}, directory=warehouse_final_kf).set_index("kommunkod")
    assert (df.loc["0114", "votes_to"], df.loc["0114", "source_to"]) == (85 + 66 + 70 + 6, official)
    assert (df.loc["0180", "votes_to"], df.loc["0180", "valid_to"]) == (95_823, 659_238)
    # the county row is not a sum over the import: it stays the copy's own final total
    county = db.sql("SELECT source FROM area_totals WHERE election = 'kommun' AND year = 2026 "
                    "AND level = 'county'", directory=warehouse_final_kf)
    assert county.source.tolist() == ["rykatkin_kfrf2026_slutlig+ordnaswe_valdeltagande_2026"]
