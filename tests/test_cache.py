"""dashboard.cache: the front dictionary answers repeated calls with the cached object, and
forgets everything when Streamlit's resource cache is cleared."""
from __future__ import annotations

import pytest
import streamlit as st

from dashboard import cache, db, queries

calls: list[tuple] = []


@cache.resource(max_entries=3)
def _frame(election: str, year: int, parties=()) -> dict:
    calls.append((election, year))
    return {"election": election, "year": year, "parties": list(parties)}


@cache.resource(key=lambda name, _build: name)
def _built(name: str, _build) -> str:
    calls.append((name,))
    return _build(name)


def setup_function():
    st.cache_resource.clear()
    calls.clear()


def test_a_repeated_call_returns_the_same_object_computed_once():
    first = _frame("kommun", 2022)
    assert _frame("kommun", 2022) is first
    assert _frame("region", 2022) is not first
    assert calls == [("kommun", 2022), ("region", 2022)]


def test_clearing_streamlits_cache_clears_the_front():
    first = _frame("kommun", 2022)
    st.cache_resource.clear()
    again = _frame("kommun", 2022)
    assert again is not first and again == first
    assert calls == [("kommun", 2022), ("kommun", 2022)]
    _frame.clear()
    _frame("kommun", 2022)
    assert len(calls) == 3


def test_unhashable_arguments_still_use_streamlits_cache():
    a = _frame("kommun", 2022, ["V", "S"])
    b = _frame("kommun", 2022, ["V", "S"])
    assert a is b and a["parties"] == ["V", "S"]
    assert calls == [("kommun", 2022)]


def test_the_front_is_bounded():
    for year in (2010, 2014, 2018, 2022, 2026):
        _frame("riksdag", year)
    assert _frame.front_size() == 3
    assert _frame("riksdag", 2026) is _frame("riksdag", 2026)


def test_a_key_function_ignores_arguments_streamlit_skips():
    assert _built("karta", str.upper) == "KARTA"
    # another builder under the same key: the cached figure is the one for that key
    assert _built("karta", str.lower) == "KARTA"
    assert calls == [("karta",)]


def test_query_results_are_shared_objects_until_cleared():
    a = queries.kommuner_view("kommun", 2018, 2022, "V")
    assert queries.kommuner_view("kommun", 2018, 2022, "V") is a
    # Upplands Väsby, kommun 2022: the cached share is V's votes over the valid votes
    votes = db.sql("SELECT v.votes * 100.0 / t.valid_votes AS pct FROM area_votes v JOIN area_totals t "
                   "USING (election, year, level, area_code) WHERE election='kommun' AND year=2022 "
                   "AND level='municipality' AND area_code='0114' AND party='V'")["pct"].iloc[0]
    assert a.loc[a["kommunkod"] == "0114", "share_to"].iloc[0] == pytest.approx(votes)
    queries.clear_caches()
    assert queries.kommuner_view("kommun", 2018, 2022, "V") is not a


def test_by_identity_finds_the_same_object_and_forgets_collected_ones():
    import gc

    import pandas as pd

    from dashboard.cache import ByIdentity

    memo, made = ByIdentity(), []
    frame = pd.DataFrame({"a": [1, 2]})
    first = memo.get(frame, "x", lambda: made.append(1) or "värde")
    assert memo.get(frame, "x", lambda: made.append(1) or "annat") == first == "värde" and made == [1]
    equal_but_new = frame.copy()  # equal content, another object: made again (no hashing)
    assert memo.get(equal_but_new, "x", lambda: "nytt") == "nytt" and len(memo) == 2
    del frame, equal_but_new
    gc.collect()
    assert len(memo) == 0  # entries go with their objects


def test_cached_frames_are_kept_compact_without_references_to_what_built_them():
    """A frame built in steps shares blocks, and copy-on-write references to them, with every
    intermediate frame; the cache keeps a consolidated copy that holds only its own."""
    import pandas as pd

    @cache.resource()
    def _built_in_steps(n: int) -> dict:
        df = pd.DataFrame({"a": range(n)})
        for i in range(20):
            df = df.assign(**{f"c{i}": df["a"] * i})
        return {"frame": df, "parts": [df[["a"]], 3]}

    kept = _built_in_steps(26)
    frame = kept["frame"]
    assert frame.shape == (26, 21) and frame["c3"].tolist() == [3 * i for i in range(26)]
    assert frame._mgr.nblocks == 1  # 21 int64 columns in one block, not 21 blocks
    assert not frame._mgr.blocks[0].refs.has_reference()  # nothing else shares its values
    assert kept["parts"][1] == 3 and kept["parts"][0]["a"].tolist() == list(range(26))
    assert _built_in_steps(26) is kept


def test_sweep_drops_the_dead_references_that_reads_leave_in_cached_frames():
    import gc

    import pandas as pd

    @cache.resource()
    def _table(n: int) -> pd.DataFrame:
        return pd.DataFrame({"a": range(n), "b": [float(i) for i in range(n)]})

    df = _table(26)
    for _ in range(200):  # what page runs do with a cached frame: read columns, filter
        df[df["a"] > 3]["b"].sum()
    gc.collect()
    refs = [b.refs for b in df._mgr.blocks] + [df.index._references]
    assert sum(len(r.referenced_blocks) for r in refs) > 200  # dead ones kept by pandas
    assert cache.sweep() >= len(refs)
    assert all(len(r.referenced_blocks) == 1 for r in refs[:-1])  # each block's own only
    assert _table(26) is df and df["b"].sum() == sum(range(26))
