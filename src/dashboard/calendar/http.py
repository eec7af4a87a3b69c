"""Subscribable calendar URLs: a small HTTP route in the production launcher's server.

Streamlit serves pages over its websocket and has no custom HTTP routes in `streamlit run`;
its server is a Starlette app, and `python -m dashboard serve` adds these routes in front of
Streamlit's own (`install()`, called before the server starts):

* `GET {base}/ical/offentlig.ics` – the open calendar: public, confirmed or done events, only
  their public fields (the same as the public page shows);
* `GET {base}/ical/<id>.<secret>.ics` – a person's or an association's calendar, for the secret
  token a coordinator made on the Bokningar page. Only its SHA-256 is stored; it is compared in
  constant time and can be revoked.

Unknown, wrong and revoked tokens get the same 404, so the URLs cannot be enumerated. The
responses are read-only, cached per store revision, and never set cookies. Under plain
`streamlit run` the routes do not exist; the pages' download buttons work everywhere.
"""
from __future__ import annotations

import datetime as dt
import functools
import logging
import threading

from . import model as M

_LOG = logging.getLogger(__name__)
PREFIX = "ical"
PUBLIC_FILE = "offentlig.ics"
PAST_DAYS = 120  # a subscribed calendar shows this far back …
FUTURE_DAYS = 550  # … and this far ahead
_state = {"installed": False}
_lock = threading.Lock()


def installed() -> bool:
    """True when this process serves the routes (the launcher installed them)."""
    return _state["installed"]


def public_path() -> str:
    return f"{PREFIX}/{PUBLIC_FILE}"


def token_path(token: str) -> str:
    return f"{PREFIX}/{token}.ics"


def _window() -> tuple[dt.datetime, dt.datetime]:
    today = dt.datetime.now(M.TZ).date()
    return (M.local_day_bounds(today - dt.timedelta(days=PAST_DAYS))[0],
            M.local_day_bounds(today + dt.timedelta(days=FUTURE_DAYS))[0])


def _kommun_names() -> dict[str, str]:
    from .. import queries as q

    k = q.municipalities()
    return dict(zip(k["kommunkod"], k["kommun"]))


@functools.lru_cache(maxsize=256)
def _feed(url: str, rev: int, day: dt.date, scope: str, target: str, label: str) -> bytes:
    """The .ics bytes of one feed at one store revision (rev and day are only cache keys)."""
    from . import db, ics, store

    lo, hi = _window()
    eng = db.engine(url)
    if scope == "public":
        events = store.public_events(lo, hi, eng=eng)
        return ics.calendar_bytes(events, "Vänsterpartiet Storstockholm – öppen kalender", public=True,
                                  kommun_names=_kommun_names())
    statuses = (*M.ACTIVE, M.CANCELLED)
    if scope == "person":
        events = store.events(lo, hi, person_id=int(target), statuses=statuses, eng=eng)
    else:
        events = store.events(lo, hi, forening=target, statuses=statuses, eng=eng)
    return ics.calendar_bytes(events, f"Valrummet – {label}", public=False, kommun_names=_kommun_names())


def feed_bytes(scope: str, target: str = "", label: str = "") -> bytes:
    """The current feed (scope "public", "person" or "forening")."""
    from . import db

    url = db.database_url()
    return _feed(url, db.revision(db.engine(url)), dt.date.today(), scope, str(target), label)


def _response(body: bytes, name: str, private: bool):
    from starlette.responses import Response

    return Response(body, media_type="text/calendar; charset=utf-8", headers={
        "Content-Disposition": f'inline; filename="{name}"',
        "Cache-Control": ("private, " if private else "public, ") + "max-age=300",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Robots-Tag": "noindex",
    })


def _not_found():
    from starlette.responses import PlainTextResponse

    return PlainTextResponse("Kalendern finns inte.", status_code=404, headers={"Cache-Control": "no-store"})


def _unavailable():
    from starlette.responses import PlainTextResponse

    return PlainTextResponse("Kalendern går inte att läsa just nu.", status_code=503, headers={"Retry-After": "60"})


def public_endpoint(request):
    try:
        return _response(feed_bytes("public"), PUBLIC_FILE, private=False)
    except Exception:  # noqa: BLE001 - a database outage must not show a traceback to anyone
        _LOG.exception("public calendar feed failed")
        return _unavailable()


def token_endpoint(request):
    from . import store

    token = request.path_params.get("token", "")
    try:
        found = store.resolve_token(token)
        if found is None:
            return _not_found()
        scope, target, label = found
        return _response(feed_bytes(scope, target, label), "kalender.ics", private=True)
    except Exception:  # noqa: BLE001
        _LOG.exception("calendar subscription feed failed")
        return _unavailable()


def routes(base_url: str | None) -> list:
    from starlette.routing import Route

    base = "/" + (base_url or "").strip("/")
    base = "" if base == "/" else base
    return [
        Route(f"{base}/{PREFIX}/{PUBLIC_FILE}", public_endpoint, methods=["GET", "HEAD"]),
        Route(f"{base}/{PREFIX}/{{token}}.ics", token_endpoint, methods=["GET", "HEAD"]),
        Route(f"{base}/{PREFIX}/{{rest:path}}", lambda request: _not_found(), methods=["GET", "HEAD"]),
    ]


def install() -> bool:
    """Put the routes in front of Streamlit's own (once per process); True when installed."""
    with _lock:
        if _state["installed"]:
            return True
        try:
            from streamlit import config
            from streamlit.web.server.starlette import starlette_app
        except ImportError:  # another server implementation: downloads still work on the page
            return False
        original = getattr(starlette_app, "create_streamlit_routes", None)
        if original is None:
            return False

        def create_streamlit_routes(runtime):
            return [*routes(config.get_option("server.baseUrlPath")), *original(runtime)]

        starlette_app.create_streamlit_routes = create_streamlit_routes
        _state["installed"] = True
        return True


def absolute(path: str, page_path: str) -> str:
    """The full URL of `path` on the server the viewer uses (scheme, host and base path as the
    browser sees them), from the current page's URL."""
    import streamlit as st

    url = (st.context.url or "").removesuffix("/")
    if page_path and url.endswith("/" + page_path):
        url = url[: -len(page_path) - 1]
    return f"{url}/{path}" if url else f"/{path}"
