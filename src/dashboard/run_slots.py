"""At most a few script runs at a time in one server process (one by default); the rest wait
their turn, oldest first, with turns shared between client addresses (issue 16).

Streamlit runs every session's script in its own thread. When a link is shared at a meeting,
hundreds of viewers arrive in the same second and as many scripts start at once. The GIL runs
one of them at a time anyway, so the crowd gains nothing from the others being half-done:
under processor sharing every page of the crowd finishes near the end of the crowd's work,
the server's event loop (which sends the messages and accepts the connections) waits for the
GIL behind hundreds of script threads, and each of them holds its page's working memory.
With slots handed out in arrival order, pages finish one after another and the event loop
keeps up. Measured with 300 viewers in one second on one process, app.py's whole run in FIFO
slots against 3 unordered slots around the page alone: p95 over all views 1.00-1.10x its
floor (viewers x server CPU per view) against 1.2-1.4x, i.e. 3.5-6.0 s against 6.6-8.7 s on
this noisy machine; three FIFO slots, or two unordered ones around the whole run, did not help
(1.6-1.7x). Through the proxy with two processes (scenario (d), alternating runs), one slot
beat two: p95 3.7-4.2 s against 4.6-5.5 s, first pages p95 3.2 s against 4.8-6.0 s. With
one script thread the event loop, which accepts the connections and sends every session's
messages, waits for the GIL behind one thread instead of two.

The cap is per process (VALRUMMET_MAX_RUNS, standard 1). A slow run holds the slot: a large
activity import on an internal page (1.4-3.6 s for 100 000 rows) delays the views that arrive
meanwhile on that process; VALRUMMET_MAX_RUNS=2 leaves them room at some cost in a crowd. A
script that is stopped or rerun while it holds a slot gives it back (the slot is a `with`
block, and Streamlit stops scripts by raising in them).

Waiting runs queue per client address (`FairSlots`): one client with hundreds of sockets asking
for pages (200 did delay a normal viewer to p95 5.5 s) gets one run per turn, and every other
client's next run comes after at most one run of each client ahead of it.

Background work (the launcher's warm-up, `dashboard.warm`) uses the same slots at the lowest
priority: `acquire_idle` waits until no page run has held a slot or waited for one for a quiet
moment, so it never runs beside a viewer's page nor in the few milliseconds between one view and
the next in a crowd, and a viewer who arrives meanwhile waits only for the step it is in. The
slots count those delays (`background_stats`).
"""
from __future__ import annotations

import collections
import contextlib
import logging
import os
import threading
import time
from collections.abc import Iterator

DEFAULT_MAX_RUNS = 1
_LOG = logging.getLogger(__name__)


def max_runs(environ: dict[str, str] | None = None) -> int:
    """The cap from VALRUMMET_MAX_RUNS (at least 1), else DEFAULT_MAX_RUNS."""
    raw = (environ if environ is not None else os.environ).get("VALRUMMET_MAX_RUNS", "")
    try:
        return max(1, int(raw)) if raw.strip() else DEFAULT_MAX_RUNS
    except ValueError:
        _LOG.warning("VALRUMMET_MAX_RUNS=%r är inte ett heltal; använder %d", raw, DEFAULT_MAX_RUNS)
        return DEFAULT_MAX_RUNS


class FairSlots:
    """`n` slots, handed out in arrival order within each client and in turns between clients.

    A semaphore lets a newcomer take a slot that was just freed before the threads already
    waiting for it wake up, so in a crowd the latest requests (a viewer's second page) could
    overtake the oldest (another viewer's first). Here a freed slot passes directly to a waiter.

    Waiters are queued per client key (dashboard.clients: the viewer's address): a freed slot
    goes to the oldest waiter of the next client in turn, so one client with hundreds of
    sockets asking for pages gets one run in each turn, not hundreds before everyone else
    (issue 16). With one client – a meeting behind one Wi-Fi address, or every viewer of a
    benchmark – this is the plain oldest-first order.
    """

    def __init__(self, n: int) -> None:
        self._n = n
        self._free = n
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)  # notified when a slot becomes free
        # client key -> its waiters (turn lock, when it queued), oldest first; the dict's
        # order is the turn order
        self._queues: dict[str, collections.deque[tuple[threading.Lock, float]]] = {}
        self._idle_since = time.monotonic()  # when the last page run gave its slot back
        self._delayed = 0  # page runs that waited behind a background step
        self._longest_delay = 0.0

    def acquire(self, key: str = "") -> None:
        with self._lock:
            if self._free > 0 and not self._queues:
                self._free -= 1
                return
            turn = threading.Lock()
            turn.acquire()
            self._queues.setdefault(key, collections.deque()).append((turn, time.monotonic()))
        turn.acquire()  # released by the holder that hands its slot over

    def release(self) -> None:
        with self._lock:
            self._hand_over()
            if self._free == self._n:
                self._idle_since = time.monotonic()  # the last page run ended now

    def _hand_over(self) -> None:
        if self._queues:
            key = next(iter(self._queues))
            queue = self._queues.pop(key)
            turn, _ = queue.popleft()
            if queue:  # the client's next waiter queues again behind the other clients
                self._queues[key] = queue
            turn.release()  # the slot passes on without becoming free
        else:
            self._free += 1
            self._idle.notify_all()

    def acquire_idle(self, quiet_s: float = 0.0) -> float:
        """Take a slot for background work once no run has held a slot or waited for one for
        `quiet_s` seconds (a run that arrives later waits for it like for any holder, in its
        client's turn). Returns the seconds it waited. Give it back with `release_idle`."""
        t0 = time.monotonic()
        with self._lock:
            while True:
                if self._free == self._n and not self._queues:
                    left = self._idle_since + quiet_s - time.monotonic()
                    if left <= 0:
                        break
                    self._idle.wait(left)
                else:
                    self._idle.wait()
            self._free -= 1
        waited = time.monotonic() - t0
        return waited if waited > 0.0005 else 0.0

    def release_idle(self) -> None:
        """Give back a background slot; the runs that queued meanwhile count as delayed by it."""
        with self._lock:
            if self._queues:
                self._delayed += sum(len(q) for q in self._queues.values())
                oldest = min(q[0][1] for q in self._queues.values())
                self._longest_delay = max(self._longest_delay, time.monotonic() - oldest)
            self._hand_over()

    def background_stats(self) -> dict:
        """{"delayed": page runs that waited behind background work, "longest_delay_ms"}."""
        with self._lock:
            return {"delayed": self._delayed, "longest_delay_ms": self._longest_delay * 1000}

    def waiting(self) -> int:
        """How many runs wait for a slot now."""
        with self._lock:
            return sum(len(q) for q in self._queues.values())

    def free(self) -> int:
        """How many slots are free now."""
        with self._lock:
            return self._free


FifoSlots = FairSlots  # the name before issue 16; with one client key it is the same order


_SLOTS = FairSlots(max_runs())


def slots() -> FairSlots:
    """The process's run slots (page runs and background work share them)."""
    return _SLOTS


@contextlib.contextmanager
def slot(key: str = "") -> Iterator[None]:
    """Hold one of the process's run slots for the duration of the block; `key` is the
    client's (dashboard.clients.client_key), so turns are shared fairly between clients."""
    _SLOTS.acquire(key)
    try:
        yield
    finally:
        _SLOTS.release()
