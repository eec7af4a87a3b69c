"""The activity store (issue 4): nothing changes on error, atomic replace, history, restore,
concurrent imports from threads and from processes."""
from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest

from dashboard.activity import ActivityValidationError, api, store
from dashboard.activity.reference import load_reference

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "activity"))
from acttest import csv_bytes, hold_lock_in_process, import_in_process, make_data_dir, tree_hash  # noqa: E402

HEAD = ["datum", "kommun", "dörrar", "samtal"]


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch) -> Path:
    d = make_data_dir(tmp_path)
    monkeypatch.setenv("VALRUMMET_DATA_DIR", str(d))
    return d


def door_file(n: int, doors: int = 10, kommun: str = "Solna") -> bytes:
    return csv_bytes([HEAD] + [[f"2022-08-{1 + i % 28:02d}", kommun, str(doors + i), "0"] for i in range(n)])


def store_hash(data_dir: Path) -> dict:
    return tree_hash(data_dir / "activity" / "store")


def test_invalid_file_changes_nothing(data_dir):
    bad = csv_bytes([HEAD, ["2022-08-01", "Solna", "-3", "1"]])
    with pytest.raises(ActivityValidationError) as exc:
        api.import_file(bad, "dorrknackning", name="bad.csv")
    assert exc.value.report.error_lines() == ["bad.csv: rad 2, kolumn 'dörrar': '-3' är negativt"]
    assert not (data_dir / "activity" / "store").exists()  # not even a directory was created

    api.import_file(door_file(3), "dorrknackning", name="good.csv")
    before = store_hash(data_dir)
    current = api.door_knocking()
    for content in (bad, b"", b"PK\x03\x04broken", csv_bytes([["a"], ["1"]])):
        with pytest.raises(ActivityValidationError):
            api.import_file(content, "dorrknackning", name="x.csv")
    assert store_hash(data_dir) == before
    pd.testing.assert_frame_equal(api.door_knocking(), current)


def test_good_file_replaces_previous_and_history_restores(data_dir):
    default = api.door_knocking()
    assert api.info("dorrknackning").origin == "standard"
    assert default["kommun"].tolist() == ["Sundbyberg", "Botkyrka"]

    a = api.import_file(door_file(3), "dorrknackning", name="a.csv", user="test")
    assert a.previous == "standard"
    assert api.door_knocking()["dörrar"].tolist() == [10, 11, 12]
    b = api.import_file(door_file(2, doors=50), "dorrknackning", name="b.csv")
    assert b.previous == a.version
    assert api.door_knocking()["dörrar"].tolist() == [50, 51]
    info = api.info("dorrknackning")
    assert (info.origin, info.version, info.source_name, info.rows) == ("uppladdad", b.version, "b.csv", 2)

    hist = api.history("dorrknackning")
    assert hist["version"].tolist() == [b.version, a.version, "standard"]
    assert hist["aktuell"].tolist() == [True, False, False]
    assert hist["fil"].tolist()[:2] == ["b.csv", "a.csv"]
    assert hist["rader"].tolist() == [2, 3, 2]
    assert all(pd.Timestamp(t).tzinfo is not None for t in hist["importerad"][:2])

    api.restore("dorrknackning", a.version)
    assert api.door_knocking()["dörrar"].tolist() == [10, 11, 12]
    api.restore("dörrknackning", "standard")
    pd.testing.assert_frame_equal(api.door_knocking(), default)
    api.restore("door_knocking", b.version)
    assert api.door_knocking()["dörrar"].tolist() == [50, 51]

    with pytest.raises(Exception, match="Versionen 'nope' av dorrknackning finns inte"):
        api.restore("dorrknackning", "nope")
    events = store.events("dorrknackning")
    assert events["action"].tolist() == ["import", "import", "restore", "restore", "restore"]
    meta = store.version_meta("dorrknackning", a.version)
    assert (meta["origin"], meta["user"], meta["rows"], meta["header_row"]) == ("uppladdad", "test", 3, 1)
    assert len(meta["sha256"]) == 64
    # other types are untouched
    assert api.info("tidningar").origin == "standard"


def test_crash_during_import_leaves_previous_version_current(data_dir, monkeypatch):
    first = api.import_file(door_file(3), "dorrknackning", name="a.csv")
    before = api.door_knocking()

    real = store.atomic_write_bytes

    def crash_on_pointer(path, data):
        if path.name == "current.json":
            raise OSError("disk full (simulated)")
        real(path, data)

    monkeypatch.setattr(store, "atomic_write_bytes", crash_on_pointer)
    with pytest.raises(OSError):
        api.import_file(door_file(2, doors=50), "dorrknackning", name="b.csv")
    monkeypatch.setattr(store, "atomic_write_bytes", real)
    assert store.pointer("dorrknackning") == first.version
    pd.testing.assert_frame_equal(api.door_knocking(), before)
    assert not [p for p in (data_dir / "activity" / "store").rglob("*.tmp")]

    def crash_in_parquet(self, path, *a, **k):
        Path(path).write_bytes(b"PAR1 half written")
        raise OSError("killed (simulated)")

    real_parquet = pd.DataFrame.to_parquet
    monkeypatch.setattr(pd.DataFrame, "to_parquet", crash_in_parquet)
    with pytest.raises(OSError):
        api.import_file(door_file(2, doors=70), "dorrknackning", name="c.csv")
    monkeypatch.setattr(pd.DataFrame, "to_parquet", real_parquet)
    assert store.pointer("dorrknackning") == first.version
    pd.testing.assert_frame_equal(api.door_knocking(), before)
    assert not [p for p in (data_dir / "activity" / "store").rglob("*.tmp")]


def _check_consistent(data_dir: Path, files: dict[str, bytes], n: int) -> None:
    """After concurrent imports: n complete versions, each equal to its own file; the pointer
    names one of them; the log has n imports; no temporary files are left."""
    versions = store.versions("dorrknackning")
    assert len(versions) == n
    assert len({v["version"] for v in versions}) == n
    by_sha = {api.validate(c, "dorrknackning").sha256: c for c in files.values()}
    for meta in versions:
        stored = pd.read_parquet(store.version_path("dorrknackning", meta["version"]))
        expected = api.validate(by_sha[meta["sha256"]], "dorrknackning").frame
        pd.testing.assert_frame_equal(stored, expected)
    assert store.pointer("dorrknackning") in {v["version"] for v in versions}
    log = (data_dir / "activity" / "store" / "dorrknackning" / "log.jsonl").read_text().splitlines()
    assert [json.loads(line)["action"] for line in log] == ["import"] * n
    assert not [p for p in (data_dir / "activity" / "store").rglob("*.tmp")]


def test_concurrent_imports_threads(data_dir):
    files = {f"t{i}.csv": door_file(50 + i, doors=10 * i) for i in range(8)}
    barrier = threading.Barrier(len(files))
    errors = []

    def work(name, content):
        try:
            barrier.wait()
            api.import_file(content, "dorrknackning", name=name)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=item) for item in files.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    _check_consistent(data_dir, files, len(files))


def test_reader_never_sees_a_partial_version(data_dir):
    sizes = {3, 5, 7}
    files = [door_file(n) for n in sorted(sizes)]
    api.import_file(files[0], "dorrknackning")
    seen, stop = [], threading.Event()

    def read():
        while not stop.is_set():
            seen.append(len(api.door_knocking()))

    reader = threading.Thread(target=read)
    reader.start()
    for _ in range(2):
        for content in files:
            api.import_file(content, "dorrknackning")
    stop.set()
    reader.join()
    assert seen and set(seen) <= sizes


def test_concurrent_imports_processes(data_dir, tmp_path):
    ctx = multiprocessing.get_context("fork")
    paths = {}
    for i in range(4):
        p = tmp_path / f"p{i}.csv"
        p.write_bytes(door_file(40 + i, doors=100 * i))
        paths[p.name] = p
    load_reference()  # read once here; the forked children inherit it
    barrier = ctx.Barrier(len(paths))
    procs = [ctx.Process(target=import_in_process, args=((str(data_dir), str(p), barrier),)) for p in paths.values()]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * len(procs)
    _check_consistent(data_dir, {k: v.read_bytes() for k, v in paths.items()}, len(paths))


def test_lock_excludes_other_processes(data_dir, tmp_path):
    ctx = multiprocessing.get_context("fork")
    log = tmp_path / "lock.log"
    barrier = ctx.Barrier(3)
    procs = [ctx.Process(target=hold_lock_in_process, args=((str(data_dir), str(log), barrier),)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0, 0]
    lines = log.read_text().split()
    events = list(zip(lines[0::2], lines[1::2]))
    assert len(events) == 18
    # strictly enter/exit pairs of the same process: never two holders at once
    for i in range(0, len(events), 2):
        assert events[i][0] == "enter" and events[i + 1] == ("exit", events[i][1])


def test_concurrent_cli_imports(data_dir, tmp_path):
    """Three separate `python -m dashboard import-activity` processes at the same time."""
    paths = []
    for i in range(3):
        p = tmp_path / f"cli{i}.csv"
        p.write_bytes(door_file(20 + i, doors=7 * i))
        paths.append(p)
    env = {**__import__("os").environ, "VALRUMMET_DATA_DIR": str(data_dir)}
    procs = [subprocess.Popen([sys.executable, "-m", "dashboard", "import-activity", str(p)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for p in paths]
    outs = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outs
    for (out, _), p, n in zip(outs, paths, (20, 21, 22)):
        assert out.startswith(f"{p.name}: giltig – {n} rader dörrknackning")
    _check_consistent(data_dir, {p.name: p.read_bytes() for p in paths}, 3)


def test_token_changes_on_import_and_restore():
    t0 = api.token()
    res = api.import_file(door_file(2), "dorrknackning")
    t1 = api.token()
    api.restore("dorrknackning", "standard")
    t2 = api.token()
    api.restore("dorrknackning", res.version)
    assert len({t0, t1, t2, api.token()}) == 4
