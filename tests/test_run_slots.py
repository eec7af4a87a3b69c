"""The per-process cap on concurrent page runs (dashboard.run_slots)."""
from __future__ import annotations

import threading
import time

import pytest

from dashboard import run_slots


def test_cap_from_the_environment():
    assert run_slots.max_runs({}) == run_slots.DEFAULT_MAX_RUNS == 3
    assert run_slots.max_runs({"VALRUMMET_MAX_RUNS": "5"}) == 5
    assert run_slots.max_runs({"VALRUMMET_MAX_RUNS": "0"}) == 1  # never zero: nothing would run
    assert run_slots.max_runs({"VALRUMMET_MAX_RUNS": " "}) == 3
    assert run_slots.max_runs({"VALRUMMET_MAX_RUNS": "tre"}) == 3


def test_at_most_the_cap_run_at_once_and_every_run_finishes():
    lock = threading.Lock()
    running, peak, done = [0], [0], []

    def page(i: int) -> None:
        with run_slots.slot():
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
            time.sleep(0.02)
            with lock:
                running[0] -= 1
        done.append(i)

    threads = [threading.Thread(target=page, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(done) == list(range(12))
    assert peak[0] == run_slots.max_runs()  # 12 overlapping runs: the cap is reached, never passed


def test_a_stopped_run_gives_its_slot_back():
    """Streamlit stops or reruns a script by raising in it; the slot must come back."""
    class StopRun(BaseException):  # like Streamlit's StopException / RerunException
        pass

    for _ in range(run_slots.max_runs() + 2):
        with pytest.raises(StopRun):
            with run_slots.slot():
                raise StopRun
    acquired = threading.Event()

    def page() -> None:
        with run_slots.slot():
            acquired.set()

    for _ in range(run_slots.max_runs()):
        t = threading.Thread(target=page)
        t.start()
        t.join(5)
    assert acquired.is_set()
    # Every slot is free again: as many holders as the cap get in at once without waiting.
    holders = [run_slots._SLOTS.acquire(timeout=1) for _ in range(run_slots.max_runs())]
    for ok in holders:
        if ok:
            run_slots._SLOTS.release()
    assert all(holders)
