"""Map geometry built from the official boundary files (dashboard.build.geo)."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
import shapely
from shapely.geometry import Point, shape

from dashboard.build.geo import DISTRICTS_PATH, KOMMUNER_PATH, build_geo
from dashboard.errors import SourceFileError
from dashboard.paths import REPO_ROOT, raw_dir

RAW = raw_dir()
# Skipped only where ../shared is absent, never in CI (there, a missing RAW fails the tests).
pytestmark = pytest.mark.skipif(not RAW.is_dir() and not os.environ.get("CI"),
                                reason=f"raw data {RAW} absent (only the build needs it)")

GEO_FILES = ("kommuner.geojson", "valdistrikt_01_2022.geojson", "lan.geojson")
COUNTY_01 = [
    "0114", "0115", "0117", "0120", "0123", "0125", "0126", "0127", "0128", "0136", "0138", "0139", "0140",
    "0160", "0162", "0163", "0180", "0181", "0182", "0183", "0184", "0186", "0187", "0188", "0191", "0192",
]
CITY_HALL = Point(18.054, 59.327)  # Stockholms stadshus


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("geo_a")
    sources = build_geo(RAW, out)
    return out, sources


def _features(out: Path, name: str) -> list[dict]:
    return json.loads((out / "geo" / name).read_text(encoding="utf-8"))["features"]


def _shapes(features):
    return [shape(f["geometry"]) for f in features]


def test_kommuner(built):
    feats = _features(built[0], "kommuner.geojson")
    assert len(feats) == 290
    props = [f["properties"] for f in feats]
    assert all(set(p) == {"kommunkod", "kommun", "county_code"} for p in props)
    codes = [p["kommunkod"] for p in props]
    assert codes == sorted(set(codes))
    assert all(len(c) == 4 and c.isdigit() and p["county_code"] == c[:2] for c, p in zip(codes, props))
    assert sorted(c for c in codes if c.startswith("01")) == COUNTY_01
    by_code = {p["kommunkod"]: p["kommun"] for p in props}
    assert (by_code["0180"], by_code["0114"], by_code["1480"], by_code["2580"]) == (
        "Stockholm", "Upplands Väsby", "Göteborg", "Luleå")
    assert len({p["county_code"] for p in props}) == 21


def test_districts(built):
    feats = _features(built[0], "valdistrikt_01_2022.geojson")
    assert len(feats) == 1378
    props = [f["properties"] for f in feats]
    assert all(set(p) == {"district_code", "district_name", "kommunkod"} for p in props)
    codes = [p["district_code"] for p in props]
    assert codes == sorted(set(codes))
    assert all(len(c) == 8 and c.isdigit() and p["kommunkod"] == c[:4] and p["district_name"]
               for c, p in zip(codes, props))
    assert sorted({p["kommunkod"] for p in props}) == COUNTY_01
    assert {p["district_code"]: p["district_name"] for p in props}["01140101"] == "Övra Runby"


@pytest.mark.parametrize("name", GEO_FILES)
def test_geometries_valid_and_in_sweden(built, name):
    feats = _features(built[0], name)
    geoms = _shapes(feats)
    assert all(g.geom_type in ("Polygon", "MultiPolygon") for g in geoms)
    assert shapely.is_valid(geoms).all()
    assert not shapely.is_empty(geoms).any()
    lon_min, lat_min, lon_max, lat_max = shapely.total_bounds(geoms)
    assert 10.9 < lon_min and lon_max < 24.2 and 55.3 < lat_min and lat_max < 69.1
    # Rounded to 5 decimals (about 1 m).
    coords = shapely.get_coordinates(geoms)
    assert (abs(coords * 1e5 - (coords * 1e5).round()) < 1e-6).all()


def test_sizes(built):
    sizes = {n: (built[0] / "geo" / n).stat().st_size for n in GEO_FILES}
    assert sizes["kommuner.geojson"] < 1_000_000
    assert sizes["valdistrikt_01_2022.geojson"] < 1_500_000
    assert sizes["lan.geojson"] < 100_000


def test_city_hall_in_stockholm(built):
    kommuner = _features(built[0], "kommuner.geojson")
    hits = [f["properties"]["kommunkod"] for f in kommuner if shape(f["geometry"]).contains(CITY_HALL)]
    assert hits == ["0180"]
    districts = _features(built[0], "valdistrikt_01_2022.geojson")
    hits = [f["properties"]["kommunkod"] for f in districts if shape(f["geometry"]).contains(CITY_HALL)]
    assert hits == ["0180"]
    lan = _features(built[0], "lan.geojson")
    assert [f["properties"] for f in lan] == [{"county_code": "01"}]
    assert shape(lan[0]["geometry"]).contains(CITY_HALL)


def test_districts_tile_their_municipalities(built):
    """Each county municipality is exactly the union of its districts; districts do not overlap."""
    kommuner = {f["properties"]["kommunkod"]: shape(f["geometry"]) for f in _features(built[0], "kommuner.geojson")}
    districts = _features(built[0], "valdistrikt_01_2022.geojson")
    for k in COUNTY_01:
        parts = [shape(f["geometry"]) for f in districts if f["properties"]["kommunkod"] == k]
        union = shapely.union_all(parts)
        assert union.symmetric_difference(kommuner[k]).area < 1e-6 * kommuner[k].area
        assert abs(sum(p.area for p in parts) - union.area) < 1e-4 * union.area
    # No municipality outside the county overlaps it: before clipping the okfse neighbours overlapped by
    # 0.35–2.6 km² each; what is left are rounding slivers narrower than the ~1 m output grid.
    county = shapely.union_all([kommuner[k] for k in COUNTY_01])
    touching = [k for k, g in kommuner.items() if not k.startswith("01") and g.intersects(county)]
    assert touching == ["0305", "0330", "0380", "0381", "0382", "0461", "0486", "0488"]
    for k in touching:
        assert kommuner[k].intersection(county).buffer(-1e-5).is_empty, k


def test_county_shapes_line_up_with_okfse(built):
    """The district-based county municipalities agree with the coarse okfse ones (the other source)."""
    src = json.loads((RAW / KOMMUNER_PATH).read_text(encoding="utf-8"))["features"]
    okfse = {f["properties"]["id"]: shape(f["geometry"]) for f in src}
    ours = {f["properties"]["kommunkod"]: shape(f["geometry"]) for f in _features(built[0], "kommuner.geojson")}
    iou = {k: ours[k].intersection(okfse[k]).area / ours[k].union(okfse[k]).area for k in COUNTY_01}
    # Värmdö is lowest (0.54): its districts include the outer archipelago, okfse only part of it.
    assert min(iou.values()) > 0.5
    assert sorted(iou.values())[len(iou) // 2] > 0.9
    # Outside the county the okfse shapes are kept (clipped only at the county border).
    for k in ("1480", "0380", "2580"):
        assert ours[k].symmetric_difference(okfse[k]).area < 0.01 * okfse[k].area


def test_sources(built):
    sources = built[1]
    assert [s["path"] for s in sources] == [KOMMUNER_PATH, DISTRICTS_PATH]
    for s in sources:
        assert set(s) == {"id", "path", "sha256", "origin", "licence"}
        assert s["sha256"] == hashlib.sha256((RAW / s["path"]).read_bytes()).hexdigest()
    assert "Feel free to reuse" in sources[0]["licence"]


def test_deterministic(built, tmp_path):
    build_geo(RAW, tmp_path)
    for name in GEO_FILES:
        assert (tmp_path / "geo" / name).read_bytes() == (built[0] / "geo" / name).read_bytes(), name


def test_committed_data_matches_rebuild(built):
    committed = REPO_ROOT / "data" / "geo"
    for name in GEO_FILES:
        assert (committed / name).is_file(), f"{committed / name} saknas: kör `python -m dashboard build`"
        assert (committed / name).read_bytes() == (built[0] / "geo" / name).read_bytes(), name


def _raw_copy(tmp_path: Path) -> Path:
    """A raw dir with symlinks to the real sources, so one file can be replaced."""
    raw = tmp_path / "raw"
    for rel in (KOMMUNER_PATH, DISTRICTS_PATH):
        (raw / rel).parent.mkdir(parents=True, exist_ok=True)
        (raw / rel).symlink_to(RAW / rel)
    return raw


def test_truncated_file_raises_and_leaves_output_untouched(built, tmp_path):
    raw = _raw_copy(tmp_path)
    target = raw / DISTRICTS_PATH
    data = (RAW / DISTRICTS_PATH).read_bytes()
    target.unlink()
    target.write_bytes(data[: len(data) // 2])
    out = tmp_path / "out"
    shutil.copytree(built[0] / "geo", out / "geo")
    with pytest.raises(SourceFileError) as exc:
        build_geo(raw, out)
    assert exc.value.path == str(target)
    assert "ogiltig JSON" in str(exc.value) and "1378 valdistrikt" in str(exc.value)
    for name in GEO_FILES:
        assert (out / "geo" / name).read_bytes() == (built[0] / "geo" / name).read_bytes()


def test_missing_file_raises(tmp_path):
    raw = _raw_copy(tmp_path)
    (raw / KOMMUNER_PATH).unlink()
    with pytest.raises(SourceFileError) as exc:
        build_geo(raw, tmp_path / "out")
    assert exc.value.path == str(raw / KOMMUNER_PATH)
    assert "saknas" in str(exc.value)
    assert not (tmp_path / "out").exists()


def test_wrong_coordinate_system_raises(tmp_path):
    """Districts already in lon/lat (not SWEREF 99 TM) are rejected, naming the first feature."""
    raw = _raw_copy(tmp_path)
    target = raw / DISTRICTS_PATH
    src = json.loads((RAW / DISTRICTS_PATH).read_text(encoding="utf-8"))
    src["features"][0]["geometry"] = {"type": "Polygon", "coordinates": [[[18, 59], [18.1, 59], [18, 59.1], [18, 59]]]}
    target.unlink()
    target.write_text(json.dumps(src), encoding="utf-8")
    with pytest.raises(SourceFileError) as exc:
        build_geo(raw, tmp_path / "out")
    assert "objekt nr 1 (01250905)" in str(exc.value) and "utanför Sverige" in str(exc.value)
