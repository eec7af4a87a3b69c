"""The per-process cap on concurrent script runs, handed out oldest first (dashboard.run_slots)."""
from __future__ import annotations

import threading
import time

import pytest

from dashboard import run_slots


def test_cap_from_the_environment():
    assert run_slots.max_runs({}) == run_slots.DEFAULT_MAX_RUNS == 1
    assert run_slots.max_runs({"VALRUMMET_MAX_RUNS": "5"}) == 5
    assert run_slots.max_runs({"VALRUMMET_MAX_RUNS": "0"}) == 1  # never zero: nothing would run
    assert run_slots.max_runs({"VALRUMMET_MAX_RUNS": " "}) == 1
    assert run_slots.max_runs({"VALRUMMET_MAX_RUNS": "tre"}) == 1


@pytest.mark.parametrize("cap", [1, 3])
def test_at_most_the_cap_run_at_once_and_every_run_finishes(cap, monkeypatch):
    monkeypatch.setattr(run_slots, "_SLOTS", run_slots.FifoSlots(cap))
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
    assert peak[0] == cap  # 12 overlapping runs: the cap is reached, never passed
    assert run_slots._SLOTS.free() == cap and run_slots._SLOTS.waiting() == 0


def _wait_until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def test_slots_go_to_the_oldest_waiter_not_to_a_newcomer():
    slots = run_slots.FifoSlots(1)
    slots.acquire()  # the slot is taken
    order: list[str] = []

    def run(name: str) -> None:
        slots.acquire()
        order.append(name)
        slots.release()

    waiters = []
    for name in ("first", "second", "third"):  # queue up one at a time, in this order
        t = threading.Thread(target=run, args=(name,))
        t.start()
        _wait_until(lambda n=len(waiters) + 1: slots.waiting() == n)
        waiters.append(t)
    slots.release()
    # A newcomer arriving just as the slot is handed over waits behind everyone queued.
    late = threading.Thread(target=run, args=("newcomer",))
    late.start()
    for t in [*waiters, late]:
        t.join(5)
    assert order == ["first", "second", "third", "newcomer"]
    assert slots.free() == 1 and slots.waiting() == 0


def test_a_stopped_run_gives_its_slot_back():
    """Streamlit stops or reruns a script by raising in it; the slot must come back."""
    class StopRun(BaseException):  # like Streamlit's StopException / RerunException
        pass

    for _ in range(run_slots.max_runs() + 2):
        with pytest.raises(StopRun):
            with run_slots.slot():
                raise StopRun
    assert run_slots._SLOTS.free() == run_slots.max_runs()
    acquired = threading.Event()

    def page() -> None:
        with run_slots.slot():
            acquired.set()

    t = threading.Thread(target=page)
    t.start()
    t.join(5)
    assert acquired.is_set() and run_slots._SLOTS.free() == run_slots.max_runs()


def test_background_work_waits_for_page_runs_and_never_overtakes_them():
    """acquire_idle (the warm-up) takes a slot only when no run holds one or waits for one; the
    runs that arrive while background work holds the slot get it first, in their clients' turns,
    and count as delayed."""
    slots = run_slots.FairSlots(1)
    slots.acquire()  # a page run
    got = threading.Event()
    t = threading.Thread(target=lambda: (slots.acquire_idle(), got.set()))
    t.start()
    time.sleep(0.05)
    assert not got.is_set()  # a run holds the slot
    slots.release()
    assert got.wait(5)  # idle now: the background work runs
    order: list[str] = []

    def page(client: str, name: str) -> None:
        slots.acquire(client)
        order.append(name)
        slots.release()

    runs = [threading.Thread(target=page, args=args)
            for args in (("127.0.0.2", "run 0"), ("127.0.0.2", "run 1"), ("127.0.0.3", "viewer"))]
    for i, r in enumerate(runs):
        r.start()
        _wait_until(lambda n=i + 1: slots.waiting() == n)
    # Background work asking again waits behind every queued run, whatever the timing.
    again = threading.Event()
    b = threading.Thread(target=lambda: (slots.acquire_idle(), order.append("background"), again.set()))
    b.start()
    time.sleep(0.02)
    slots.release_idle()
    assert again.wait(5)
    for r in [*runs, b]:
        r.join(5)
    assert order == ["run 0", "viewer", "run 1", "background"]
    slots.release_idle()
    stats = slots.background_stats()
    assert stats["delayed"] == 3 and stats["longest_delay_ms"] > 0
    assert slots.free() == 1 and slots.waiting() == 0


def test_background_work_waits_while_any_slot_is_taken():
    """With several slots, background work still never runs beside a page run."""
    slots = run_slots.FairSlots(2)
    slots.acquire()
    got = threading.Event()
    t = threading.Thread(target=lambda: (slots.acquire_idle(), got.set()))
    t.start()
    time.sleep(0.05)
    assert not got.is_set() and slots.free() == 1
    slots.release()
    assert got.wait(5)
    slots.release_idle()
    t.join(5)
    assert slots.free() == 2


def test_background_work_waits_for_a_quiet_moment_after_the_last_page_run():
    """In a crowd the next view arrives within milliseconds of the last: background work waits
    until the slots have been free for `quiet_s`, counted from the end of the last page run
    (not from its own steps)."""
    slots = run_slots.FairSlots(1)
    slots.acquire()
    slots.release()  # a page run just ended
    t0 = time.monotonic()
    slots.acquire_idle(quiet_s=0.2)
    assert time.monotonic() - t0 >= 0.15  # (a lower bound: waiting never ends early)
    ended = slots._idle_since
    slots.release_idle()
    assert slots._idle_since == ended  # its own steps do not restart the quiet moment


def test_turns_are_shared_between_clients():
    """One client with many runs waiting does not go before another client's single run: a
    freed slot goes to the next client in turn (issue 16). Within a client, oldest first."""
    slots = run_slots.FairSlots(1)
    slots.acquire("held")
    order: list[str] = []

    def run(client: str, name: str) -> None:
        slots.acquire(client)
        order.append(name)
        slots.release()

    threads = []
    for i in range(5):  # the flood queues first
        threads.append(threading.Thread(target=run, args=("127.0.0.2", f"flood{i}")))
        threads[-1].start()
        _wait_until(lambda n=i + 1: slots.waiting() == n)
    threads.append(threading.Thread(target=run, args=("127.0.0.3", "viewer")))
    threads[-1].start()
    _wait_until(lambda: slots.waiting() == 6)
    slots.release()
    for t in threads:
        t.join(5)
    assert order == ["flood0", "viewer", "flood1", "flood2", "flood3", "flood4"]
    assert slots.free() == 1 and slots.waiting() == 0

