"""One simulated viewer speaking Streamlit's websocket protocol (streamlit 1.67).

A viewer is one browser tab: one websocket, one server session. `run()` sends a `rerun_script`
BackMsg and reads ForwardMsgs until `script_finished`, recording what a browser would see:
wall time (server time on loopback), bytes received, and failures. A page whose script raised
still "finishes successfully", so `exception` elements (and `st.error` alerts) count as failures.

Like the browser, a viewer keeps the cacheable messages it received and sends their hashes with
the next rerun (the server then sends a short `ref_hash` instead); entries unused for
`max_cached_age` runs are dropped (the server's `global.maxCachedMessageAge`). A first visit
sends no hashes – the worst case.
"""
from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

import websockets
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

FINISHED = ForwardMsg.ScriptFinishedStatus
# Widget types whose value a viewer can change, and the WidgetState field each uses.
WIDGET_VALUE = {
    "selectbox": "string_value",
    "button_group": "string_array_value",
    "multiselect": "string_array_value",
}


@dataclass
class Widget:
    id: str
    kind: str  # an Element type, e.g. "selectbox"
    options: list[str]
    query_param_key: str
    current: list[str] = field(default_factory=list)  # the value(s) shown now


@dataclass
class PageView:
    """One page run as the viewer saw it."""

    page: str  # url path, e.g. "kommuner"
    step: str  # "deeplink" | "nav" | "change" | "rerun"
    ms: float = 0.0
    bytes: int = 0
    messages: int = 0
    ref_hits: int = 0  # messages answered from the viewer's cache
    map_bytes: int = 0  # bytes of received chart messages that embed GeoJSON
    maps_by_url: int = 0  # map charts whose GeoJSON is a URL (fetched once by the browser)
    failure: str = ""  # "" = ok; else exception / error alert / timeout / connection error
    started: float = 0.0  # time.monotonic() when sent
    digest: str = ""  # hash of the elements shown, in order: differs when the content differs

    @property
    def ok(self) -> bool:
        return not self.failure


@dataclass
class Viewer:
    base_ws: str  # ws://127.0.0.1:PORT
    timeout: float = 60.0
    use_msg_cache: bool = True
    max_cached_age: int = 2
    ws: object = None
    pages: dict[str, str] = field(default_factory=dict)  # url path -> page_script_hash
    titles: dict[str, str] = field(default_factory=dict)  # url path -> page title
    default_page: str = ""
    page_hash: str = ""
    query_string: str = ""
    widgets: dict[str, Widget] = field(default_factory=dict)  # by query_param_key
    _cache: dict[str, tuple[ForwardMsg, int]] = field(default_factory=dict)  # hash -> (msg, last run)
    _runs: int = 0
    _sent: dict[str, object] = field(default_factory=dict)  # widget id -> WidgetState this viewer set

    async def connect(self) -> None:
        origin = self.base_ws.replace("ws://", "http://", 1)
        self.ws = await asyncio.wait_for(
            websockets.connect(
                f"{self.base_ws}/_stcore/stream",
                subprotocols=["streamlit"],
                origin=origin,
                max_size=None,
                compression=None,
                open_timeout=self.timeout,
                ping_interval=None,
            ),
            self.timeout,
        )

    async def close(self) -> None:
        if self.ws is not None:
            try:
                await asyncio.wait_for(self.ws.close(), 5)
            except (asyncio.TimeoutError, OSError, websockets.WebSocketException):
                pass
            self.ws = None

    # --- page runs ------------------------------------------------------------------------

    async def open(self, page: str, query: str = "", step: str = "deeplink") -> PageView:
        """Open `page` (url path, "" = default page) by deep link, as a browser loading the URL:
        a new session (and an empty message cache); the path goes as page_name, no page hash."""
        await self.close()
        self._cache.clear()
        self._sent.clear()
        self.query_string = query
        return await self._run(page, step, page_name=page)

    async def navigate(self, page: str, query: str = "", step: str = "nav") -> PageView:
        """Switch page inside the session (the navigation menu): by page_script_hash."""
        self.query_string = query
        return await self._run(page, step, page_hash=self.pages.get(page, ""))

    async def change(self, key: str, choose=None, step: str = "change") -> PageView | None:
        """Change the widget bound to URL parameter `key` on the current page.

        `choose(options)` picks the new option among those not shown now (default: the first).
        Key "*" means the page's first selector with a choice; None if the page has none.
        """
        page = self._current_page()
        if key == "*":
            key = next((k for k, w in self.widgets.items() if len(w.options) > 1), "")
            if not key:
                return None
        w = self.widgets.get(key)
        others = [o for o in w.options if o not in w.current] if w else []
        if not others:
            return PageView(page, step, failure=f"no widget with another option bound to ?{key}= on "
                                                f"{page or 'default page'}")
        pick = choose(others) if choose else others[0]
        msg = BackMsg()
        # Like the browser, send the values this viewer set earlier on widgets still shown.
        for wid, old in self._sent.items():
            if wid != w.id and any(x.id == wid for x in self.widgets.values()):
                msg.rerun_script.widget_states.widgets.add().CopyFrom(old)
        state = msg.rerun_script.widget_states.widgets.add()
        state.id = w.id
        value_field = WIDGET_VALUE[w.kind]
        if value_field == "string_value":
            state.string_value = pick
        else:
            getattr(state, value_field).data.append(pick)
        self._sent[w.id] = state
        # The browser writes a bound widget's new value into the address it sends.
        params = [(k, v) for k, v in parse_qsl(self.query_string, keep_blank_values=True) if k != key]
        self.query_string = urlencode(params + [(key, pick)])
        return await self._run(page, step, page_hash=self.page_hash, widget_msg=msg)

    def _current_page(self) -> str:
        for path, h in self.pages.items():
            if h == self.page_hash:
                return path
        return ""

    async def _run(self, page: str, step: str, page_name: str = "", page_hash: str = "",
                   widget_msg: BackMsg | None = None) -> PageView:
        view = PageView(page, step)
        msg = widget_msg or BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query_string
        cs.page_script_hash = page_hash
        cs.page_name = page_name if not page_hash else ""
        if self.use_msg_cache:
            cs.cached_message_hashes.extend(self._cache)
        self._runs += 1
        self.widgets = {}
        view.started = time.monotonic()
        try:
            if self.ws is None:
                await self.connect()
            await self.ws.send(msg.SerializeToString())
            await asyncio.wait_for(self._read_until_finished(view), self.timeout)
        except asyncio.TimeoutError:
            view.failure = view.failure or f"timeout after {self.timeout:g} s"
        except (OSError, websockets.WebSocketException) as exc:
            view.failure = view.failure or f"connection: {type(exc).__name__}: {exc}"[:200]
        view.ms = (time.monotonic() - view.started) * 1000
        self._evict()
        return view

    async def _read_until_finished(self, view: PageView) -> None:
        digest = hashlib.blake2b(digest_size=8)
        while True:
            raw = await self.ws.recv()
            view.bytes += len(raw)
            view.messages += 1
            fm = ForwardMsg()
            fm.ParseFromString(raw)
            kind = fm.WhichOneof("type")
            if kind == "ref_hash":
                view.ref_hits += 1
                cached = self._cache.get(fm.ref_hash)
                if cached is None:
                    view.failure = view.failure or "server referenced a message the viewer never had"
                    continue
                self._cache[fm.ref_hash] = (cached[0], self._runs)
                fm = cached[0]
                kind = fm.WhichOneof("type")
            else:
                if self.use_msg_cache and fm.metadata.cacheable and fm.hash:
                    self._cache[fm.hash] = (fm, self._runs)
                if kind == "delta" and fm.delta.new_element.WhichOneof("type") == "plotly_chart":
                    spec = fm.delta.new_element.plotly_chart.spec
                    if '"geojson":{' in spec or '"geojson": {' in spec:
                        view.map_bytes += len(raw)
                    elif '"geojson":"' in spec or '"geojson": "' in spec:
                        view.maps_by_url += 1
            if kind == "new_session":
                self._read_pages(fm.new_session.app_pages)
                if fm.new_session.page_script_hash:
                    self.page_hash = fm.new_session.page_script_hash
            elif kind == "navigation":
                self._read_pages(fm.navigation.app_pages)
                if fm.navigation.page_script_hash:
                    self.page_hash = fm.navigation.page_script_hash
            elif kind == "page_info_changed":
                self.query_string = fm.page_info_changed.query_string
            elif kind == "page_not_found":
                view.failure = view.failure or f"page not found: {fm.page_not_found.page_name}"
            elif kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                digest.update(fm.hash.encode())
                self._inspect(fm.delta.new_element, view)
            elif kind == "script_finished":
                status = fm.script_finished
                if status == FINISHED.FINISHED_EARLY_FOR_RERUN:
                    continue  # a callback asked for another run; the browser waits for it
                if status == FINISHED.FINISHED_WITH_COMPILE_ERROR:
                    view.failure = view.failure or "compile error"
                view.digest = digest.hexdigest()
                return

    def _inspect(self, el, view: PageView) -> None:
        kind = el.WhichOneof("type")
        if kind == "exception":
            view.failure = view.failure or f"exception: {el.exception.type}: {el.exception.message}"[:300]
        elif kind == "alert" and el.alert.format == Alert.ERROR:
            view.failure = view.failure or f"error shown: {el.alert.body}"[:300]
        elif kind in WIDGET_VALUE:
            w = getattr(el, kind)
            if w.query_param_key:
                options = [o.content if kind == "button_group" else o for o in w.options]
                if w.set_value:  # the server put a value (e.g. from the URL) into the widget
                    current = [w.raw_value] if kind == "selectbox" else list(w.raw_values)
                elif w.id in self._sent:  # the value this viewer chose (the server does not echo it)
                    sent = self._sent[w.id]
                    current = [sent.string_value] if kind == "selectbox" else list(
                        getattr(sent, WIDGET_VALUE[kind]).data)
                else:
                    idx = [w.default] if kind == "selectbox" and w.HasField("default") else (
                        [] if kind == "selectbox" else list(w.default))
                    current = [options[i] for i in idx if 0 <= i < len(options)]
                self.widgets[w.query_param_key] = Widget(w.id, kind, options, w.query_param_key, current)

    def _read_pages(self, app_pages) -> None:
        if not app_pages:
            return
        self.pages = {p.url_pathname: p.page_script_hash for p in app_pages}
        self.titles = {p.url_pathname: p.page_name for p in app_pages}
        for p in app_pages:
            if p.is_default:
                self.default_page = p.url_pathname

    def _evict(self) -> None:
        if self.max_cached_age > 0:
            old = [h for h, (_, run) in self._cache.items() if self._runs - run >= self.max_cached_age]
            for h in old:
                del self._cache[h]


async def discover(base_ws: str, timeout: float = 60.0) -> tuple[dict[str, str], dict[str, str]]:
    """(url path -> page hash, url path -> title) from the navigation message of one
    default-page run. The default page's url path is ""."""
    v = Viewer(base_ws, timeout=timeout)
    try:
        view = await v.open("")
        if view.failure:
            raise RuntimeError(f"default page failed: {view.failure}")
        return dict(v.pages), dict(v.titles)
    finally:
        await v.close()
