"""Importer rules: preliminary vs final, history, inputs (folder, index.md5, uploads), CLI, and
merging imported elections into the query database."""
from __future__ import annotations

import hashlib
import io
import json
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dashboard import cli
from dashboard.vm_import import (ImportRefused, attach_imported, import_files, import_history,
                                 imported_tables)
from dashboard.vm_import.parties import PartyConflict, PartyRegistry

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "vm"))
import make_fixtures as fx  # noqa: E402
from vmtest import dir_hash, row, seed_base, tables, votes  # noqa: E402


@pytest.fixture
def data_dir(tmp_path) -> Path:
    return seed_base(tmp_path / "data")


def write(fixture: fx.Fixture, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return fixture.write(folder)


# -- preliminary and final ----------------------------------------------------------------------
def test_final_replaces_preliminary_and_keeps_history(data_dir, tmp_path):
    import_files([write(fx.kommun_preliminary(), tmp_path / "p")], data_dir)
    summary = import_files([write(fx.kommun_final(), tmp_path / "s")], data_dir)
    assert [e["file"] for e in summary.replaced] == ["Val_2026_preliminar_0114_KF.zip"]

    totals, votes_df, manifest = tables(data_dir, "kommun")
    assert set(totals.count_status) == {"final"}
    assert set(totals.source) == {"vm_resultatfil:Val_2026_slutlig_0114_KF.zip"}
    m = row(totals, "municipality", "0114")
    assert (m.valid_votes, m.votes_cast, m.eligible) == (2658, 2687, 3170)
    assert "ÖVR" not in votes(votes_df, "municipality", "0114")
    assert [e["file"] for e in manifest["files"]] == ["Val_2026_slutlig_0114_KF.zip"]

    # the preliminary version is kept in .history
    [hist] = summary.history
    assert hist.parent == data_dir / "imported" / ".history" / "kommun_2026"
    old = json.loads((hist / "manifest.json").read_text(encoding="utf-8"))
    assert [e["file"] for e in old["files"]] == ["Val_2026_preliminar_0114_KF.zip"]
    assert len(pd.read_parquet(hist / "area_totals.parquet")) == 5

    hist_df = import_history(data_dir)
    assert hist_df[["file", "count_status", "current"]].values.tolist() == [
        ["Val_2026_slutlig_0114_KF.zip", "final", True],
        ["Val_2026_preliminar_0114_KF.zip", "preliminary", False]]
    assert hist_df.sha256.iloc[0] == hashlib.sha256(
        (tmp_path / "s" / "Val_2026_slutlig_0114_KF.zip").read_bytes()).hexdigest()


def test_preliminary_does_not_replace_final(data_dir, tmp_path):
    import_files([write(fx.kommun_final(), tmp_path / "s")], data_dir)
    before = dir_hash(data_dir)
    with pytest.raises(ImportRefused) as exc:
        import_files([write(fx.kommun_preliminary(), tmp_path / "p")], data_dir)
    assert dir_hash(data_dir) == before
    assert ("den slutliga räkningen för kommunvalet 2026, område 0114 är redan importerad "
            "(Val_2026_slutlig_0114_KF.zip) – en preliminär räkning ersätter inte en slutlig"
            ) in str(exc.value)


def test_older_file_refused_and_same_file_skipped(data_dir, tmp_path):
    newer = write(fx.kommun_preliminary("2026-09-16T12:00:00"), tmp_path / "new")
    import_files([newer], data_dir)
    before = dir_hash(data_dir)
    with pytest.raises(ImportRefused) as exc:
        import_files([write(fx.kommun_preliminary("2026-09-14T01:00:00"), tmp_path / "old")],
                     data_dir)
    assert "(uppdaterad 2026-09-14T01:00:00) är äldre än den redan importerade" in str(exc.value)
    summary = import_files([newer], data_dir)
    assert summary.imported == []
    assert summary.skipped == [("Val_2026_preliminar_0114_KF.zip",
                                "redan importerad (samma kontrollsumma)")]
    assert dir_hash(data_dir) == before


def test_incomplete_final(data_dir, tmp_path):
    incomplete = fx.kommun_final()
    rost = incomplete.member("rostfordelning")
    rost["valdistrikt"][2]["rostfordelning"] = None
    rost["antalValdistriktRaknade"] = 3
    before = dir_hash(data_dir)
    with pytest.raises(ImportRefused) as exc:
        import_files([write(incomplete, tmp_path / "s")], data_dir)
    assert dir_hash(data_dir) == before
    assert ("den slutliga räkningen är inte klar (3 av 4 valdistrikt räknade, 1 utan "
            "rostfordelning)") in str(exc.value)
    # with the preliminary file in the same import, the preliminary is used
    summary = import_files([tmp_path / "s" / incomplete.name,
                            write(fx.kommun_preliminary(), tmp_path / "p")], data_dir)
    assert [e["file"] for e in summary.imported] == ["Val_2026_preliminar_0114_KF.zip"]
    assert summary.skipped[0][0] == "Val_2026_slutlig_0114_KF.zip"


def test_both_counts_in_one_import_uses_final(data_dir, tmp_path):
    summary = import_files([write(fx.kommun_preliminary(), tmp_path / "p"),
                            write(fx.kommun_final(), tmp_path / "s")], data_dir)
    assert [e["file"] for e in summary.imported] == ["Val_2026_slutlig_0114_KF.zip"]
    assert summary.skipped == [("Val_2026_preliminar_0114_KF.zip",
                                "den slutliga räkningen för samma område finns i samma import")]


def _vallentuna() -> fx.Fixture:
    """The final 0114 file relabelled as kommun 0115 Vallentuna."""
    other = fx.kommun_final()
    for doc in other.members.values():
        text = json.dumps(doc, ensure_ascii=False).replace("0114", "0115").replace(
            "Upplands Väsby", "Vallentuna")
        doc.clear()
        doc.update(json.loads(text))
    other.name = other.name.replace("0114", "0115")
    return other


def test_other_scopes_are_kept_and_county_is_summed(data_dir, tmp_path):
    """A second kommun file adds to the election; the first kommun's rows stay. With both
    municipalities the base tables list for county 01, county and country rows are summed."""
    import_files([write(fx.kommun_preliminary(), tmp_path / "a")], data_dir)
    import_files([write(_vallentuna(), tmp_path / "b")], data_dir)
    totals, votes_df, manifest = tables(data_dir, "kommun")
    assert [e["area_code"] for e in manifest["files"]] == ["0114", "0115"]
    assert row(totals, "municipality", "0114").valid_votes == 1878
    assert row(totals, "municipality", "0115").area_name == "Vallentuna"
    county = row(totals, "county", "01")
    assert (county.area_name, county.valid_votes, county.eligible, county.count_status,
            county.source) == ("Stockholms län", 1878 + 2658, 2180 + 3170, "preliminary",
                               "vm_resultatfil:summa")
    # Exempelpartiet is itemised in 0115 only while 0114 (preliminary) has 12 other-party votes:
    # its county count is not known exactly, so it goes to ÖVR with them
    assert votes(votes_df, "county", "01") == {
        "M": 414 + 585, "C": 57 + 82, "L": 41 + 59, "KD": 56 + 76, "S": 599 + 860,
        "V": 157 + 227, "MP": 54 + 76, "SD": 369 + 519, "VB": 119 + 159, "ÖVR": 12 + 15}
    assert row(totals, "country", "SE").valid_votes == 1878 + 2658

    import_files([write(fx.kommun_final(), tmp_path / "c")], data_dir)
    totals, votes_df, _ = tables(data_dir, "kommun")
    county = row(totals, "county", "01")
    assert (county.valid_votes, county.count_status) == (2 * 2658, "final")
    assert votes(votes_df, "county", "01")["P1999"] == 2 * 15
    assert "ÖVR" not in votes(votes_df, "county", "01")
    assert (totals.source == "vm_resultatfil:summa").sum() == 2


# -- inputs ----------------------------------------------------------------------------------------
def _mirror(root: Path) -> Path:
    """A downloaded resultatfiler folder: p/ and s/ layout, an OS roll-up and index.md5 that also
    lists files that were not downloaded."""
    files = [write(fx.riksdag_final(), root / "s" / "rd"),
             write(fx.kommun_preliminary(), root / "p" / "kf")]
    os_zip = root / "s" / "kf" / "Val_2026_slutlig_OS_KF.zip"
    os_zip.parent.mkdir(parents=True)
    os_zip.write_bytes(b"PK\x05\x06" + b"\0" * 18)
    lines = [f"{hashlib.md5(p.read_bytes()).hexdigest()}  ./{p.relative_to(root).as_posix()}"
             for p in [*files, os_zip]]
    lines.append("0" * 32 + "  ./s/kf/Val_2026_slutlig_0180_KF.zip")
    (root / "index.md5").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def test_index_md5_with_zips_beside_it(data_dir, tmp_path):
    root = _mirror(tmp_path / "val2026")
    summary = import_files([root / "index.md5"], data_dir)
    assert sorted(e["file"] for e in summary.imported) == [
        "Val_2026_preliminar_0114_KF.zip", "Val_2026_slutlig_00_RD.zip"]
    assert summary.skipped == [
        ("index.md5", "1 av 4 zip-filer i index.md5 finns inte bredvid den"),
        ("Val_2026_slutlig_OS_KF.zip", "överordnad summering (OS) importeras inte – importera "
                                       "kommunernas och regionernas egna filer")]
    assert sorted(p.parent.name for p in imported_tables(data_dir)["area_totals"]) == [
        "kommun_2026", "riksdag_2026"]


def test_index_md5_mismatch_and_empty_index(data_dir, tmp_path):
    root = _mirror(tmp_path / "val2026")
    (root / "p" / "kf" / "Val_2026_preliminar_0114_KF.zip").write_bytes(
        fx.kommun_preliminary("2026-09-15T00:00:00").to_bytes())
    before = dir_hash(data_dir)
    with pytest.raises(ImportRefused) as exc:
        import_files([root / "index.md5"], data_dir)
    assert dir_hash(data_dir) == before
    assert ("Fel i källfilen Val_2026_preliminar_0114_KF.zip: md5-summan stämmer inte med "
            "index.md5") in str(exc.value)

    empty = tmp_path / "tom" / "index.md5"
    empty.parent.mkdir()
    empty.write_text("")
    summary = import_files([empty], data_dir)
    assert summary.imported == [] and "inte publicerat några resultat ännu" in summary.message()
    assert dir_hash(data_dir) == before


def test_folder_of_zips(data_dir, tmp_path):
    folder = tmp_path / "zips"
    write(fx.region_final(), folder)
    write(fx.kommun_final(), folder / "sub")
    summary = import_files(folder, data_dir)
    assert sorted(e["file"] for e in summary.imported) == [
        "Val_2026_slutlig_0114_KF.zip", "Val_2026_slutlig_01_RF.zip"]


def test_uploads_as_bytes_and_file_objects(data_dir):
    class Upload(io.BytesIO):  # like Streamlit's UploadedFile
        name = "Val_2026_slutlig_01_RF.zip"

    k = fx.kommun_preliminary()
    summary = import_files([(k.name, k.to_bytes()), Upload(fx.region_final().to_bytes())],
                           data_dir)
    assert summary.to_frame()[["file", "election", "count_status", "area_totals_rows"]
                              ].values.tolist() == [
        ["Val_2026_preliminar_0114_KF.zip", "kommun", "preliminary", 5],
        ["Val_2026_slutlig_01_RF.zip", "region", "final", 10]]


def test_dry_run_writes_nothing(data_dir, tmp_path):
    before = dir_hash(data_dir)
    summary = import_files([write(fx.region_final(), tmp_path)], data_dir, dry_run=True)
    assert summary.message().startswith("Kontrollerad (inget sparat): Val_2026_slutlig_01_RF.zip")
    assert dir_hash(data_dir) == before


def test_bad_names_and_paths(data_dir, tmp_path):
    renamed = fx.kommun_final()
    renamed.name = "Val_2026_slutlig_0114_KF (1).zip"
    junk = tmp_path / "resultat.json"
    junk.write_text("{}")
    before = dir_hash(data_dir)
    with pytest.raises(ImportRefused) as exc:
        import_files([write(renamed, tmp_path / "r"), junk, tmp_path / "saknas.zip"], data_dir)
    assert dir_hash(data_dir) == before
    assert exc.value.problems == [
        f"Fel i källfilen {junk}: okänd filtyp – ange zip-filer, en mapp med zip-filer eller "
        "index.md5",
        f"Fel i källfilen {tmp_path / 'saknas.zip'}: filen eller mappen finns inte",
        "Fel i källfilen Val_2026_slutlig_0114_KF (1).zip: okänt filnamn, förväntat "
        "Val_<år>_<preliminar|slutlig>_<områdeskod>_<RD|RF|KF>.zip",
    ]


# -- CLI -------------------------------------------------------------------------------------------
def test_cli(data_dir, tmp_path, capsys):
    good = write(fx.region_final(), tmp_path / "ok")
    assert cli.main(["import-results", str(good), "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Importerad: Val_2026_slutlig_01_RF.zip – regionvalet 2026, område 01, "
                          "slutlig räkning (uppdaterad 2026-09-14T10:02:00), 4 valdistrikt, "
                          "10 områdesrader och 90 partirader")
    bad = write(fx.with_unknown_member(), tmp_path / "bad")
    before = dir_hash(data_dir)
    assert cli.main(["import-results", str(bad), "--data-dir", str(data_dir)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("fel: Importen avbröts – ingenting har ändrats.")
    assert "okänd fil i zip-filen: 'readme.txt'" in err
    assert dir_hash(data_dir) == before


def test_cli_honours_valrummet_data_dir(data_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("VALRUMMET_DATA_DIR", str(data_dir))
    assert cli.main(["import-results", str(write(fx.kommun_final(), tmp_path))]) == 0
    assert (data_dir / "imported" / "kommun_2026" / "manifest.json").is_file()


# -- parties -----------------------------------------------------------------------------------
def test_party_codes():
    reg = PartyRegistry.from_rows(
        [{"party": "V", "name": "Vänsterpartiet"}, {"party": "VB", "name": "Väsbys Bästa"}],
        [{"party": "NL", "name": "Nackalistan", "colour": None, "kind": "other"}])
    assert reg.resolve("0005", "V", "Vänsterpartiet", "#AF0000") == "V"
    assert reg.resolve("0003", "L", "Liberalerna", None) == "L"  # by partikod, not name
    assert reg.resolve("1154", "", "väsbys  bästa", None) == "VB"  # by name
    assert reg.resolve("1200", "NL", "Nackalistan", None) == "NL"  # from an earlier import
    assert reg.resolve("1300", "VB", "Vallentunas Bästa", None) == "VB-1300"  # abbr taken
    assert reg.resolve("1301", " ", "Utan Förkortning", "#123456") == "P1301"
    assert reg.resolve("1302", "RP", "Roslagspartiet", None) == "RP"
    assert reg.new == {"VB-1300", "P1301", "RP"}
    assert reg.extra["P1301"] == {"party": "P1301", "name": "Utan Förkortning",
                                  "colour": "#123456", "kind": "other"}
    with pytest.raises(PartyConflict, match="partikod 0005 är V, men partiförkortningen är 'S'"):
        reg.resolve("0005", "S", "Vänsterpartiet", None)


# -- the query database ------------------------------------------------------------------------
def _base_tables(con, rows: list[tuple]) -> None:
    """Base area_totals/area_votes/elections/parties in `con` from
    (election, year, level, area_code, kommunkod, count_status, source, valid, V votes)."""
    from dashboard.vm_import.store import AREA_TOTALS, AREA_VOTES

    t = pd.DataFrame(rows, columns=["election", "year", "level", "area_code", "kommunkod", "count_status",
                                    "source", "valid_votes", "v"])
    totals = t.drop(columns="v").assign(county_code="01")
    for f in AREA_TOTALS:
        if f.name not in totals:
            totals[f.name] = None
    votes_df = t[["election", "year", "level", "area_code", "source", "v"]].rename(columns={"v": "votes"})
    votes_df = votes_df.assign(party="V")
    for f in AREA_VOTES:
        if f.name not in votes_df:
            votes_df[f.name] = None
    con.execute("CREATE TABLE area_totals AS SELECT * REPLACE (year::SMALLINT AS year, "
                "is_collection::BOOLEAN AS is_collection) FROM totals")
    con.execute("CREATE TABLE area_votes AS SELECT * REPLACE (year::SMALLINT AS year) FROM votes_df")
    con.execute("CREATE TABLE elections AS SELECT DISTINCT election, year, count_status FROM area_totals")


def test_precedence_area_by_area(data_dir, tmp_path):
    """store.PRECEDENCE_SQL: per (election, year, level, area) – districts per municipality –
    final beats preliminary, and an imported official file beats the base copy at the same count."""
    import_files([write(fx.kommun_preliminary(), tmp_path / "p"),
                  write(fx.riksdag_final(), tmp_path / "s")], data_dir)
    con = duckdb.connect()
    _base_tables(con, [
        ("kommun", 2022, "municipality", "0114", "0114", "final", "scb", 25000, 10),
        ("kommun", 2026, "municipality", "0114", "0114", "final", "copy", 29159, 2758),
        ("kommun", 2026, "kommunvalkrets", "011400", "0114", "preliminary", "copy", 26000, 2400),
        ("kommun", 2026, "municipality", "0115", "0115", "preliminary", "copy", 21000, 800),
        ("riksdag", 2026, "municipality", "0180", "0180", "final", "copy", 652543, 85059),
        ("riksdag", 2026, "municipality", "0127", "0127", "final", "copy", 48889, 7338),
        ("riksdag", 2026, "district", "01800101", "0180", "preliminary", "copy", 900, 100),
        ("riksdag", 2026, "district", "01800199", "0180", "preliminary", "copy", 800, 90),
        ("riksdag", 2026, "district", "01270101", "0127", "preliminary", "copy", 700, 80),
    ])
    con.execute(f"CREATE TABLE parties AS SELECT * FROM read_parquet('{data_dir}/parties.parquet')")
    assert attach_imported(con, data_dir) == [("kommun", 2026), ("riksdag", 2026)]

    def src(election, level, code):
        return con.execute("SELECT source, count_status FROM area_totals WHERE election = ? AND year = 2026 "
                           "AND level = ? AND area_code = ?", [election, level, code]).fetchall()

    # final copy vs preliminary official: final wins; 2022 is untouched
    assert src("kommun", "municipality", "0114") == [("copy", "final")]
    assert con.execute("SELECT source FROM area_totals WHERE year = 2022").fetchall() == [("scb",)]
    # preliminary copy vs preliminary official: the official file wins
    assert src("kommun", "kommunvalkrets", "011400") == [
        ("vm_resultatfil:Val_2026_preliminar_0114_KF.zip", "preliminary")]
    # final copy vs final official: the official file wins; no import for 0127 and 0115: the copy stays
    assert src("riksdag", "municipality", "0180") == [("vm_resultatfil:Val_2026_slutlig_00_RD.zip", "final")]
    assert src("riksdag", "municipality", "0127") == [("copy", "final")]
    assert src("kommun", "municipality", "0115") == [("copy", "preliminary")]
    # districts are replaced per municipality: none of the copy's Stockholm districts is left
    # (not even 01800199, which the official file does not have), Botkyrka's stay
    d = con.execute("SELECT area_code, source FROM area_totals WHERE level = 'district' "
                    "AND election = 'riksdag' ORDER BY area_code").fetchall()
    assert ("01800199", "copy") not in d and ("01270101", "copy") in d
    assert {s for c, s in d if c.startswith("0180")} == {"vm_resultatfil:Val_2026_slutlig_00_RD.zip"}
    # area_votes follows area_totals row for row
    assert con.execute("SELECT votes FROM area_votes WHERE election = 'kommun' AND year = 2026 "
                       "AND level = 'municipality' AND area_code = '0114' AND party = 'V'").fetchall() == [(2758,)]
    orphans = con.execute("SELECT count(*) FROM area_votes v ANTI JOIN area_totals t "
                          "USING (election, year, level, area_code)").fetchone()[0]
    assert orphans == 0
    # elections: one row per election × year × count status of the merged rows
    assert con.execute("SELECT election, year, count_status FROM elections ORDER BY ALL").fetchall() == [
        ("kommun", 2022, "final"), ("kommun", 2026, "final"), ("kommun", 2026, "preliminary"),
        ("riksdag", 2026, "final"), ("riksdag", 2026, "preliminary")]
    assert con.execute("SELECT name, kind FROM parties WHERE party = 'P1999'").fetchall() == [
        ("Exempelpartiet", "other")]


def test_preliminary_file_with_nothing_counted_is_skipped(data_dir, tmp_path):
    early = fx.kommun_preliminary()
    rost = early.member("rostfordelning")
    for d in rost["valdistrikt"]:
        d["rostfordelning"] = None
        d["totaltAntalRoster"] = None
    rost["antalValdistriktRaknade"] = 0
    early.member("mandatfordelning")["valomrade"]["rostfordelning"] = None
    before = dir_hash(data_dir)
    summary = import_files([write(early, tmp_path)], data_dir)
    assert summary.imported == []
    assert summary.skipped == [("Val_2026_preliminar_0114_KF.zip",
                                "inget valdistrikt är räknat ännu – det finns inget att importera")]
    assert dir_hash(data_dir) == before


def test_2022_file_without_the_2026_fields(data_dir, tmp_path):
    """2022 zips lack valdatum/valklass/test and kommunvalkretsKod; KF uses kretskod."""
    old = fx.kommun_final()
    for doc in old.members.values():
        for key in ("valdatum", "valklass", "tidigareValdatum"):
            doc.pop(key)
        doc["valtillfalle"] = "Val_20220911"
    for d in old.member("rostfordelning")["valdistrikt"]:
        d.pop("kommunvalkretsKod")
        d.pop("kommunvalkretsNamn")
    old.members = {k.replace("Val_2026", "Val_20220911"): v for k, v in old.members.items()}
    old.name = "Val_20220911_slutlig_0114_KF.zip"
    import_files([write(old, tmp_path)], data_dir)
    totals, _, _ = tables(data_dir, "kommun", 2022)
    assert row(totals, "district", "01140101").kommunvalkrets_code == "011400"
    kvk = row(totals, "kommunvalkrets", "011400")
    assert (kvk.area_name, kvk.valid_votes) == ("Upplands Väsby", 2658)
    assert set(totals.count_status) == {"final"}


def test_concurrent_import_waits_then_gives_up(data_dir, tmp_path, monkeypatch):
    from dashboard.vm_import import store

    monkeypatch.setattr(store, "LOCK_TIMEOUT", 0.2)
    path = write(fx.kommun_final(), tmp_path)
    before = dir_hash(data_dir)
    with store.locked(data_dir):
        with pytest.raises(store.ImportLockError, match="är låst av en annan import"):
            import_files([path], data_dir)
    assert dir_hash(data_dir) == before
    assert [e["file"] for e in import_files([path], data_dir).imported] == [path.name]
