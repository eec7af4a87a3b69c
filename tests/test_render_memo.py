"""Memoised rendering (dashboard.render_memo, ui.table, ui.figure) sends exactly what
Streamlit itself would: the speed-up must never change a table or chart a viewer sees."""
from __future__ import annotations

import gc

import plotly.io as pio
import pytest
from streamlit import dataframe_util
from streamlit.elements import arrow as st_arrow
from streamlit.proto.ArrowData_pb2 import ArrowData

from dashboard import charts, render_memo, ui
from dashboard import queries as q

COLS = [ui.Col("kommun", "Kommun"), *ui.change_cols(2018, 2022), *ui.seat_cols(2022)]


@pytest.fixture(scope="module")
def kommuner():
    return q.kommuner_view("kommun", 2018, 2022, "V")


def _fresh_styler(df):
    """The same table's Styler built without any memo (what Streamlit would render)."""
    shown = ui._display_frame(df, COLS)
    styler = ui.fmt.styler(
        shown,
        pct_cols=tuple(c.header for c in COLS if c.kind == "pct"),
        pp_cols=tuple(c.header for c in COLS if c.kind == "pp"),
        int_cols=tuple(c.header for c in COLS if c.kind == "int"),
    )
    styler.set_uuid("vr")
    return styler


def test_memo_is_installed_by_ui():
    assert render_memo.install()
    assert getattr(st_arrow.marshall_styler, "_valrummet_memo", False)
    assert getattr(dataframe_util.convert_pandas_df_to_arrow_bytes, "_valrummet_memo", False)


def test_table_message_equals_streamlits_own(kommuner):
    shown, styler, _ = ui._table_parts(kommuner, COLS)
    assert list(shown.columns)[:4] == ["Kommun", "Förändring 2018–2022 (p.e.)", "Andel 2018 (%)", "Andel 2022 (%)"]
    expected = ArrowData()
    st_arrow.marshall_styler.__wrapped__(expected, _fresh_styler(kommuner), "x")
    for _ in range(2):  # the first call fills the memo, the second is answered from it
        got = ArrowData()
        st_arrow.marshall_styler(got, styler, "x")
        assert got.SerializeToString() == expected.SerializeToString()
    # Swedish display text really is in the message: Stockholm's 2022 share with a decimal comma.
    row = kommuner[kommuner["kommunkod"] == "0180"].iloc[0]
    assert ui.fmt.pct(row["share_to"]).encode() in expected.styler.display_values
    assert "," in ui.fmt.pct(row["share_to"])


def test_table_data_bytes_equal_and_reused(kommuner):
    shown, styler, _ = ui._table_parts(kommuner, COLS)
    want = dataframe_util.convert_pandas_df_to_arrow_bytes.__wrapped__(styler.data)
    first = dataframe_util.convert_pandas_df_to_arrow_bytes(styler.data)
    second = dataframe_util.convert_pandas_df_to_arrow_bytes(styler.data)
    assert first == want
    assert second is first  # served from the memo
    # Frames that were never frozen are converted as before.
    other = shown.copy()
    assert dataframe_util.convert_pandas_df_to_arrow_bytes(other) == want


def test_table_parts_found_by_identity_and_forgotten_with_the_frame(kommuner):
    df = kommuner.copy()
    a = ui._table_parts(df, COLS)
    assert ui._table_parts(df, COLS)[1] is a[1]
    key = (id(df), tuple(COLS))
    assert key in ui._TABLES
    del df, a
    gc.collect()
    assert key not in ui._TABLES


def test_cached_figure_sends_the_same_spec_as_a_fresh_one():
    counts = q.overview_view(2018, 2022, "V")["counts"]
    fresh = charts.direction_bars(counts)
    cached = ui.figure(("test_render_memo", 2018, 2022, "V"), charts.direction_bars, counts)
    assert cached.to_dict() is cached.to_dict()  # made once
    assert pio.to_json(cached.to_dict(), validate=False) == pio.to_json(fresh.to_dict(), validate=False)
    # 26 municipalities per election, split into up / down / unchanged / missing.
    assert [int(n) for n in counts[["upp", "ned", "oförändrad", "saknas"]].sum(axis=1)] == [26, 26, 26]


def test_cached_figure_json_is_made_once_and_forgotten_with_the_figure():
    import json

    import plotly.io

    counts = q.overview_view(2018, 2022, "V")["counts"]
    fig = ui.figure(("test_render_memo_json", 2018, 2022, "V"), charts.direction_bars, counts)
    assert isinstance(fig, ui.RenderedFigure)
    stub = fig.to_dict()
    first = plotly.io.to_json(stub, validate=False)  # as st.plotly_chart asks for it
    assert plotly.io.to_json(stub, validate=False) is first  # from the memo
    fresh = charts.direction_bars(counts).to_dict()
    assert first == plotly.io.to_json.__wrapped__(fresh, validate=False)
    assert fig.spec() == json.loads(first)
    # Other arguments serialise the full spec the stub stands for; a dict that was never
    # frozen is serialised as before.
    assert plotly.io.to_json(stub, validate=False, pretty=True) == plotly.io.to_json.__wrapped__(
        fresh, validate=False, pretty=True)
    assert plotly.io.to_json(fresh, validate=False) == first
    assert id(stub) in render_memo._SPECS
    del fig, stub
    ui._figure.clear()
    gc.collect()
    assert not any(json.loads(text) == json.loads(first) for _, text in render_memo._SPECS.values())