"""The build step: reproducible from ../shared, and safe on bad input."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard.build.pipeline import build
from dashboard.errors import SourceFileError
from dashboard.paths import REPO_ROOT, data_dir

BUILD_OUTPUTS = ["area_totals.parquet", "area_votes.parquet", "elections.parquet", "population.parquet",
                 "seats_official.parquet", "parties.parquet", "councils.parquet", "area_notes.parquet",
                 "turnout.parquet", "seat_margins.parquet", "SOURCES.md",
                 "geo/kommuner.geojson", "geo/valdistrikt_01_2022.geojson", "geo/lan.geojson",
                 "geo/valdistrikt_01_2022_centres.parquet"]


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def rebuilt(need_shared, tmp_path_factory):
    raw, derived = need_shared
    out = tmp_path_factory.mktemp("rebuilt")
    info = build(raw, derived, out)
    return out, info


def test_rebuild_reproduces_committed_data(rebuilt):
    out, info = rebuilt
    for name in BUILD_OUTPUTS:
        assert (out / name).read_bytes() == (data_dir() / name).read_bytes(), f"{name} differs from a fresh build"
    committed = json.loads((data_dir() / "build_info.json").read_text())
    assert committed["sources"] == info["sources"]
    assert committed["rows"] == info["rows"]


def test_static_geometry_is_a_copy_of_data():
    """Maps fetch geometry from static/geo (served once by URL); it must equal data/geo."""
    for f in sorted((data_dir() / "geo").glob("*.geojson")):
        assert (REPO_ROOT / "static" / "geo" / f.name).read_bytes() == f.read_bytes(), f.name


def test_committed_data_is_small():
    size = sum(p.stat().st_size for p in data_dir().rglob("*") if p.is_file() and "store" not in p.parts)
    assert size < 15 * 1024 * 1024


def _raw_copy(tmp_path: Path, raw: Path, break_folder: str) -> Path:
    """A raw tree of symlinks, with one folder copied so it can be damaged."""
    copy = tmp_path / "raw"
    copy.mkdir()
    for entry in raw.iterdir():
        if entry.name == break_folder:
            shutil.copytree(entry, copy / entry.name)
        else:
            (copy / entry.name).symlink_to(entry)
    return copy


def _seeded_out(tmp_path: Path) -> Path:
    out = tmp_path / "data"
    shutil.copytree(data_dir(), out, ignore=shutil.ignore_patterns("activity", "imported"))
    return out


def test_missing_raw_file_names_it_and_leaves_data_untouched(need_shared, tmp_path):
    raw, derived = need_shared
    broken = _raw_copy(tmp_path, raw, "scb_valresultat_2022_valdistrikt")
    (broken / "scb_valresultat_2022_valdistrikt" / "re_tab3_2022.xlsx").unlink()
    out = _seeded_out(tmp_path)
    before = digest(out)
    with pytest.raises(SourceFileError) as err:
        build(broken, derived, out)
    assert "re_tab3_2022.xlsx" in str(err.value) and "saknas" in str(err.value)
    assert digest(out) == before


def test_truncated_excel_file_is_refused(need_shared, tmp_path):
    raw, derived = need_shared
    broken = _raw_copy(tmp_path, raw, "scb_valresultat_2022_valdistrikt")
    f = broken / "scb_valresultat_2022_valdistrikt" / "ri_tab4_2022.xlsx"
    f.write_bytes(f.read_bytes()[:5000])
    out = _seeded_out(tmp_path)
    before = digest(out)
    with pytest.raises(SourceFileError) as err:
        build(broken, derived, out)
    assert "ri_tab4_2022.xlsx" in str(err.value) and "Excel" in str(err.value)
    assert digest(out) == before


def test_wrong_columns_via_cli_exit_1_and_data_untouched(need_shared, tmp_path):
    raw, derived = need_shared
    broken = _raw_copy(tmp_path, raw, "bippen_polisim_riksdag2026_valkrets")
    f = broken / "bippen_polisim_riksdag2026_valkrets" / "valkrets_votes_2026.csv"
    f.write_text(f.read_text(encoding="utf-8").replace(";valid;", ";giltiga;"), encoding="utf-8")
    out = _seeded_out(tmp_path)
    before = digest(out)
    proc = subprocess.run(
        [sys.executable, "-m", "dashboard", "build", "--raw", str(broken), "--derived", str(derived), "--out", str(out)],
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=300,
        env=dict(os.environ, PYTHONPATH=str(REPO_ROOT / "src")),
    )
    assert proc.returncode == 1
    assert "valkrets_votes_2026.csv" in proc.stderr and "'valid'" in proc.stderr
    assert digest(out) == before


def test_broken_2026_district_file_names_row_and_column(need_shared, tmp_path):
    raw, derived = need_shared
    broken = _raw_copy(tmp_path, raw, "found_2026")
    f = broken / "found_2026" / "valdistrikt_RD2026_preliminar__Calcetinletal_elecciones-suecia__stockholms_lan.csv"
    lines = f.read_text(encoding="utf-8").splitlines()
    cells = lines[3].split(",")
    cells[7] = "19x"  # column V of the third district
    lines[3] = ",".join(cells)
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = _seeded_out(tmp_path)
    before = digest(out)
    with pytest.raises(SourceFileError) as err:
        build(broken, derived, out)
    msg = str(err.value)
    assert f.name in msg and "rad 4, kolumn 'V'" in msg and "'19x'" in msg
    assert digest(out) == before


def test_2026_kommun_file_whose_votes_do_not_sum_is_refused(need_shared, tmp_path):
    raw, derived = need_shared
    broken = _raw_copy(tmp_path, raw, "found_2026")
    f = broken / "found_2026" / "muni_structure_2026__OliverRykatkin_H-H__KF_RF2026_slutlig__stockholms_lan_EXCERPT.json"
    doc = json.loads(f.read_text(encoding="utf-8"))
    doc["KF"]["0180"]["valkretsar"][2]["votes"]["V"] += 1
    f.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    out = _seeded_out(tmp_path)
    before = digest(out)
    with pytest.raises(SourceFileError) as err:
        build(broken, derived, out)
    assert f.name in str(err.value) and "KF.0180.valkretsar[2]: partiernas röster summerar till" in str(err.value)
    assert digest(out) == before
