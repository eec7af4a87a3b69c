"""Render a cached table's Styler once, not on every rerun (issue 8).

`st.dataframe(styler)` turns the Styler into protobuf on every run: it formats every cell to
text, builds a second frame of display strings and serialises it to Arrow. For the
municipality table (26 rows × 12 columns) that was ~14 ms of each ~16 ms call, while the result
depends only on the Styler, which `ui.table` already keeps for as long as its data is cached.

`install()` wraps two Streamlit functions so that a Styler marked with `freeze(styler)` is
turned into protobuf once: `marshall_styler` keeps the styler part of the message it produced
the first time and copies it into later messages, and the Arrow serialisation of the Styler's
data (~3 ms per table) is kept as bytes for as long as that frame lives. Likewise a cached
chart is kept as its JSON and a small stub dict registered with `freeze_json`: `st.plotly_chart`
calls `plotly.io.to_json` on the stub every run and gets that JSON back. Column config and selection state
are still built on each run by Streamlit, and anything not frozen is rendered as before. tests/test_render_memo.py checks that the memoised message is identical to
Streamlit's own.
"""
from __future__ import annotations

import logging
import threading
import weakref

_LOG = logging.getLogger(__name__)
_FROZEN = "_valrummet_frozen"
_SNAPSHOT = "_valrummet_styler_proto"
_lock = threading.Lock()


# id(frame) -> (weak reference to the frame, its Arrow bytes once made); an entry goes with its frame
_FRAMES: dict[int, tuple[weakref.ref, bytes | None]] = {}


def freeze(styler) -> None:
    """Promise that `styler` and its data will not change: their rendering may be reused."""
    setattr(styler, _FROZEN, True)
    data = styler.data
    key = id(data)

    def forget(ref, key=key):
        with _lock:
            entry = _FRAMES.get(key)
            if entry is not None and entry[0] is ref:
                del _FRAMES[key]

    with _lock:
        _FRAMES[key] = (weakref.ref(data, forget), None)


# id(stub dict) -> (the stub, the JSON it stands for); entries live as long as their cached chart
_SPECS: dict[int, tuple[dict, str]] = {}
# How st.plotly_chart serialises a figure: plotly.io.to_json(figure, validate=False)
STREAMLIT_JSON_ARGS = ((), (("validate", False),))


def freeze_json(stub: dict, text: str) -> bool:
    """Let the small dict `stub` stand for a figure whose JSON, as st.plotly_chart makes it, is
    `text`; serialising `stub` any other way parses `text` back into the full spec first. The
    full spec's dict (~10× its JSON in memory) need not be kept. False when the memo cannot be
    installed: then the caller must hand out the full spec. `forget_spec(stub)` ends it."""
    if not install():
        return False
    import plotly.io

    if not getattr(plotly.io.to_json, "_valrummet_memo", False):
        return False
    with _lock:
        _SPECS[id(stub)] = (stub, text)
    return True


def forget_spec(stub: dict) -> None:
    """End `freeze_json(stub, ...)` (when its cached chart goes)."""
    with _lock:
        _SPECS.pop(id(stub), None)


def prerender(styler) -> None:
    """Make a frozen Styler's protobuf and its data's Arrow bytes now (before a viewer asks)."""
    if not getattr(styler, _FROZEN, False) or not install():
        return
    from streamlit import dataframe_util
    from streamlit.elements import arrow as st_arrow
    from streamlit.proto.ArrowData_pb2 import ArrowData

    st_arrow.marshall_styler(ArrowData(), styler, "vr")
    dataframe_util.convert_pandas_df_to_arrow_bytes(styler.data)


def _frozen_bytes(df) -> tuple[weakref.ref, bytes | None] | None:
    entry = _FRAMES.get(id(df))
    return entry if entry is not None and entry[0]() is df else None


def install() -> bool:
    """Wrap Streamlit's Styler marshalling (once per process). False if Streamlit lacks it."""
    try:
        from streamlit.elements import arrow as st_arrow
    except ImportError:
        return False
    original = getattr(st_arrow, "marshall_styler", None)
    if original is None:
        _LOG.warning("streamlit.elements.arrow has no marshall_styler: tables are rendered per run")
        return False
    if getattr(original, "_valrummet_memo", False):
        return True
    with _lock:
        original = st_arrow.marshall_styler
        if getattr(original, "_valrummet_memo", False):
            return True

        def marshall_styler(proto, styler, default_uuid):
            snapshot = getattr(styler, _SNAPSHOT, None)
            if snapshot is not None:
                proto.styler.CopyFrom(snapshot)
                return
            original(proto, styler, default_uuid)
            if getattr(styler, _FROZEN, False):
                snapshot = type(proto.styler)()
                snapshot.CopyFrom(proto.styler)
                setattr(styler, _SNAPSHOT, snapshot)

        marshall_styler._valrummet_memo = True
        marshall_styler.__wrapped__ = original
        st_arrow.marshall_styler = marshall_styler
        _install_arrow_bytes()
        _install_plotly_json()
    return True


def _install_plotly_json() -> None:
    import plotly.io

    original = getattr(plotly.io, "to_json", None)
    if original is None or getattr(original, "_valrummet_memo", False):
        return

    def to_json(fig, *args, **kwargs):
        entry = _SPECS.get(id(fig))
        if entry is None or entry[0] is not fig:
            return original(fig, *args, **kwargs)
        if (args, tuple(sorted(kwargs.items()))) == STREAMLIT_JSON_ARGS:
            return entry[1]
        # Other arguments: serialise the full spec the stub stands for.
        import json

        return original(json.loads(entry[1]), *args, **kwargs)

    to_json._valrummet_memo = True
    to_json.__wrapped__ = original
    plotly.io.to_json = to_json


def _install_arrow_bytes() -> None:
    from streamlit import dataframe_util

    original = getattr(dataframe_util, "convert_pandas_df_to_arrow_bytes", None)
    if original is None or getattr(original, "_valrummet_memo", False):
        return

    def convert_pandas_df_to_arrow_bytes(df, *args, **kwargs):
        entry = None if args or kwargs else _frozen_bytes(df)
        if entry is None:
            return original(df, *args, **kwargs)
        ref, data = entry
        if data is None:
            data = original(df)
            with _lock:
                if _FRAMES.get(id(df)) is entry:
                    _FRAMES[id(df)] = (ref, data)
        return data

    convert_pandas_df_to_arrow_bytes._valrummet_memo = True
    convert_pandas_df_to_arrow_bytes.__wrapped__ = original
    dataframe_util.convert_pandas_df_to_arrow_bytes = convert_pandas_df_to_arrow_bytes
