"""`python -m dashboard validate` and `import-activity` (issue 4): exit codes and Swedish output."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dashboard import cli
from dashboard.activity import api

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "activity"))
from acttest import csv_bytes, make_data_dir  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures" / "activity"


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch) -> Path:
    d = make_data_dir(tmp_path)
    monkeypatch.setenv("VALRUMMET_DATA_DIR", str(d))
    return d


def run(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_validate_good_and_bad_files(capsys, tmp_path, data_dir):
    good = FIXTURES / "dorrknackning_titelrader.csv"
    code, out, err = run(capsys, "validate", str(good))
    assert (code, err) == (0, "")
    assert out == "dorrknackning_titelrader.csv: giltig – 4 rader dörrknackning (rubrikraden är rad 3).\n"

    bad = FIXTURES / "dorrknackning_fel.csv"
    code, out, err = run(capsys, "validate", str(bad))
    assert code == 1
    assert err.splitlines() == [
        "dorrknackning_fel.csv: rad 3, kolumn 'dörrar': '-3' är negativt",
        "dorrknackning_fel.csv: rad 4, kolumn 'kommun': 'Upplands Vasbyy' är ingen känd kommun – menade du 'Upplands Väsby'?",
        "dorrknackning_fel.csv: rad 5, kolumn 'datum': '2023-03-01' ligger utanför valrörelsen "
        "(från 1 januari valåret till valdagen; närmast: 2026-01-01–2026-09-13)",
        "dorrknackning_fel.csv: rad 6: dubblett av rad 2",
        "dorrknackning_fel.csv: 4 fel – ingenting sparas (dörrknackning, rubrikraden är rad 1).",
    ]
    assert not (data_dir / "activity" / "store").exists()


def test_validate_with_type_and_campaign(capsys):
    code, out, _ = run(capsys, "validate", str(FIXTURES / "dorrknackning_titelrader.csv"), "--type", "dörrknackning",
                       "--kampanj", "2022-09-01", "2022-09-11")
    assert code == 1
    code, _, err = run(capsys, "validate", str(FIXTURES / "dorrknackning_titelrader.csv"), "--type", "tidningar")
    assert code == 1 and "kolumn 'Dörrar': okänd kolumn för tidningar" in err


def test_bad_usage_exits_2(capsys, tmp_path):
    with pytest.raises(SystemExit) as exc:
        cli.main(["validate", "x.csv", "--type", "okänd"])
    assert exc.value.code == 2
    assert "Okänd filtyp 'okänd'" in capsys.readouterr().err
    code, _, err = run(capsys, "import-activity", "--restore", "valstugor", "finnsinte")
    assert code == 2 and "Versionen 'finnsinte' av valstugor finns inte" in err
    code, _, err = run(capsys, "validate", str(tmp_path / "saknas.csv"))
    assert (code, err) == (1, f"fel: {tmp_path / 'saknas.csv'}: filen finns inte.\n")


def test_import_history_restore(capsys, data_dir):
    good = FIXTURES / "dorrknackning_titelrader.csv"
    code, out, _ = run(capsys, "import-activity", str(good), "--user", "anna")
    assert code == 0
    first = api.info("dorrknackning").version
    assert out.splitlines() == [
        "dorrknackning_titelrader.csv: giltig – 4 rader dörrknackning (rubrikraden är rad 3).",
        f"Sparad som dorrknackning, version {first}. Den tidigare versionen finns kvar; ångra med: "
        "python -m dashboard import-activity --restore dorrknackning standard",
    ]
    code, out, err = run(capsys, "import-activity", str(FIXTURES / "dorrknackning_fel.csv"))
    assert code == 1 and "4 fel – ingenting sparas" in err
    assert api.info("dorrknackning").version == first

    other = data_dir.parent / "andra.csv"
    other.write_bytes(csv_bytes([["datum", "kommun", "dörrar"], ["2022-09-01", "Nacka", "80"]]))
    code, out, _ = run(capsys, "import-activity", str(other))
    second = api.info("dorrknackning").version
    assert code == 0 and f"--restore dorrknackning {first}" in out

    code, out, _ = run(capsys, "import-activity", "--list-history", "dörrknackning")
    lines = out.splitlines()
    assert lines[0] == "dorrknackning (Dörrknackning):"
    assert lines[1].startswith(f" * {second}") and lines[1].endswith("1 rader  andra.csv")
    assert lines[2].startswith(f"   {first}") and lines[2].endswith("4 rader  dorrknackning_titelrader.csv")
    assert lines[3].startswith("   standard") and "inbyggd" in lines[3] and lines[3].rstrip().endswith("2 rader")

    code, out, _ = run(capsys, "import-activity", "--restore", "dorrknackning", first)
    assert (code, out) == (0, f"dorrknackning: version {first} är nu aktuell.\n")
    assert api.door_knocking()["dörrar"].tolist() == [120, 80, 15, 40]


def test_import_detects_type_and_reads_xlsx(capsys):
    code, out, _ = run(capsys, "import-activity", str(FIXTURES / "valstugor.xlsx"))
    assert code == 0, out
    assert out.startswith("valstugor.xlsx: giltig – 2 rader valstugor (rubrikraden är rad 2).")
    df = api.cabins()
    assert df["kommun"].tolist() == ["Sundbyberg", "Järfälla"]
    assert df["prioriterat_område"].tolist() == [True, False]
    assert df["pass"].tolist() == [12, 4]


def test_demo_and_status(capsys):
    code, out, _ = run(capsys, "import-activity", "--demo", "--seed", "3")
    assert code == 0 and out.splitlines()[-1].startswith("Syntetiska demodata är laddade.")
    assert api.is_synthetic()
    code, out, _ = run(capsys, "import-activity", "--status")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 8 and all("syntetiska demodata" in line for line in lines)
