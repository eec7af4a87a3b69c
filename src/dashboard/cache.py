"""Process-wide result caches: `st.cache_resource` with a plain dictionary in front.

`st.cache_resource` hashes every argument on every hit (100–300 µs a call through its
signature inspection and typed hashing; a page rerun makes a dozen such calls). The front
dictionary answers a repeated call by tuple hashing in well under a microsecond. A miss still
goes through Streamlit's cache, which computes a value once when many sessions ask for it at
the same moment, so a crowd never computes the same result twice.

A value in the front is the very object Streamlit's cache holds: read-only, never copied.
It is stored compacted (`compact`): a pandas frame built by several steps keeps, under
copy-on-write, weak references to the steps in its blocks' reference lists, and blocks split
by column; a fresh deep copy has one reference per block and one block per type. Reads of a
cached frame add such references again; `sweep()` drops the dead ones.
`st.cache_resource.clear()` (and `queries.clear_caches()`, which calls it) empties the fronts
too: each front notices that Streamlit replaced its table of caches.
"""
from __future__ import annotations

import functools
import threading
import weakref
from typing import Any, Callable, Iterator

import streamlit as st
from streamlit.runtime.caching import cache_resource_api

def _generation() -> object:
    # Streamlit's clear_all() swaps in a new dict; its identity tells a front to start over.
    return cache_resource_api._resource_caches._function_caches


def compact(value: Any) -> Any:
    """`value` as it is kept in a cache: DataFrames and Series as fresh consolidated deep
    copies (no copy-on-write references to the intermediate frames that built them), inside
    dicts, lists and tuples too; anything else as it is."""
    import pandas as pd

    if isinstance(value, (pd.DataFrame, pd.Series)):
        return value.copy(deep=True)
    if type(value) is dict:
        return {k: compact(v) for k, v in value.items()}
    if type(value) in (list, tuple):
        return type(value)(compact(v) for v in value)
    return value


_FRONTS: list[dict] = []  # every front dictionary, for sweep()


def _frames(value: Any) -> Iterator[Any]:
    import pandas as pd

    if isinstance(value, (pd.DataFrame, pd.Series)):
        yield value
    elif type(value) is dict:
        for v in value.values():
            yield from _frames(v)
    elif type(value) in (list, tuple):
        for v in value:
            yield from _frames(v)


def sweep() -> int:
    """Drop the dead weak references in the cached frames' blocks and axes; returns how many lists it pruned.

    Copy-on-write records every frame derived from a cached one (each column read, filter or
    assign on a page run) as a weak reference in the cached frame's blocks, and pandas prunes
    such a list only when it passes 500 entries: after the launcher's warm-up ~150 000 dead
    ones (~13 MB) sat in the caches. `has_reference()` prunes a block's list; where pandas'
    internals differ, nothing is swept and only the memory is lost."""
    n = 0
    for front in list(_FRONTS):
        for value in list(front.values()):  # a copy: page runs may add entries meanwhile
            for frame in _frames(value):
                axes = (frame.index, frame.columns) if frame.ndim == 2 else (frame.index,)
                try:
                    for refs in [b.refs for b in frame._mgr.blocks] + [a._references for a in axes]:
                        if refs is not None:
                            refs.has_reference()
                            n += 1
                except AttributeError:
                    return n
    return n


def resource(max_entries: int | None = None, key: Callable[..., Any] | None = None):
    """Decorator: `st.cache_resource(show_spinner=False, max_entries=...)` behind a front
    dictionary keyed by the call's arguments, or by `key(*args, **kwargs)` when arguments
    that Streamlit skips (a leading underscore) are unhashable. Calls whose arguments are
    unhashable go straight to Streamlit's cache."""

    def decorate(func):
        @functools.wraps(func)
        def compacted(*args, **kwargs):
            return compact(func(*args, **kwargs))

        inner = st.cache_resource(show_spinner=False, max_entries=max_entries)(compacted)
        front: dict = {}
        _FRONTS.append(front)
        lock = threading.Lock()
        state = {"generation": _generation()}

        @functools.wraps(func)
        def call(*args, **kwargs):
            k = key(*args, **kwargs) if key else (args, tuple(kwargs.items()))
            generation = _generation()
            if state["generation"] is not generation:
                with lock:
                    front.clear()
                    state["generation"] = generation
            try:
                return front[k]
            except KeyError:
                pass
            except TypeError:  # unhashable arguments: Streamlit hashes them its own way
                return inner(*args, **kwargs)
            value = inner(*args, **kwargs)
            with lock:
                if state["generation"] is not generation:
                    return value  # cleared while this value was computed: do not keep it
                if max_entries and len(front) >= max_entries:
                    # Oldest first; Streamlit's cache behind it still holds recent values.
                    front.pop(next(iter(front)))
                front[k] = value
            return value

        def clear() -> None:
            with lock:
                front.clear()
            inner.clear()

        call.clear = clear
        call.front_size = lambda: len(front)
        return call

    return decorate


class ByIdentity:
    """Values derived from objects that a cache holds (the same object on every rerun), found
    by the object's identity, so a rerun neither hashes nor copies it. An entry goes when its
    object is collected, so a new object at a reused address never finds a stale value."""

    def __init__(self):
        self._entries: dict[tuple[int, Any], tuple[weakref.ref, Any]] = {}
        self._lock = threading.Lock()

    def get(self, obj, extra, make: Callable[[], Any]):
        """The value for (`obj`, `extra`), made by `make()` the first time."""
        key = (id(obj), extra)
        hit = self._entries.get(key)
        if hit is not None and hit[0]() is obj:
            return hit[1]
        value = make()

        def forget(ref, key=key):
            with self._lock:
                entry = self._entries.get(key)
                if entry is not None and entry[0] is ref:
                    del self._entries[key]

        with self._lock:
            self._entries[key] = (weakref.ref(obj, forget), value)
        return value

    def __len__(self) -> int:
        return len(self._entries)
