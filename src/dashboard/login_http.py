"""The launcher's login routes (issue 18): the login cookie, and Swedish pages for OIDC errors.

`install()` (dashboard.serve, before the server starts) puts them into Streamlit's Starlette
app, like the calendar's .ics routes (dashboard.calendar.http):

* `POST {base}/_valrummet/inloggning` sets or deletes the login cookie
  (dashboard.login_sessions). A websocket cannot set cookies, so a page run that logged in (or
  out) hands the browser a one-time token (`render_pending`), and the browser posts it here.
  The route answers only a same-origin request (its Origin's host is the Host) that carries the
  header `X-Valrummet: 1` (which a cross-site form cannot send, and a cross-site script cannot
  without a CORS preflight that is never allowed), with a token that has not been used, is at
  most a minute old, and belongs to a websocket session that is still connected to this
  process. The cookie is HttpOnly, SameSite=Lax, and on https `__Host-` prefixed and Secure.
* Streamlit's OIDC routes (`/auth/login`, `/oauth2callback`) answer a failure with a bare
  English "Internal Server Error" (a missing package) or "Authentication error" (the provider
  unreachable), or send the viewer back to the start page without a word (a refused or failed
  callback). Wrapped here, the viewer gets a short Swedish page with a way back, and a
  successful login lands on the login page, which says who is logged in (or that the account
  is not allowed). Under plain `streamlit run` neither exists: logins last for the tab, and
  OIDC errors are Streamlit's own.
"""
from __future__ import annotations

import functools
import html
import inspect
import logging
import threading
from typing import Any
from urllib.parse import urlsplit

import streamlit as st

from . import login_sessions as ls

_LOG = logging.getLogger(__name__)
ROUTE = "_valrummet/inloggning"
HEADER = "x-valrummet"
_PENDING_KEY = "_valrummet_cookie_action"  # session_state: {"token": grant token}
_state: dict[str, Any] = {"installed": False}
_lock = threading.Lock()


def installed() -> bool:
    """True when this process serves the routes (the launcher installed them)."""
    return _state["installed"]


def _base() -> str:
    from streamlit import config

    base = "/" + (config.get_option("server.baseUrlPath") or "").strip("/")
    return "" if base == "/" else base


# --- the policy (read on each use: cheap; a changed secrets.toml applies) ---------------------


@functools.lru_cache(maxsize=8)
def _policy(days: float, secret: str, streamlit_secret: str) -> ls.Policy:
    return ls.load_policy(days, secret, streamlit_secret or None)


def policy(days: float, secret: str) -> ls.Policy:
    """The cookie policy for these settings (dashboard.auth.Settings); off when the routes are
    not installed in this process."""
    if not installed():
        return ls.Policy(0.0, None, "plain `streamlit run`: no login route, logins last for the browser tab")
    from streamlit import config

    streamlit_secret = ""
    if config.is_manually_set("server.cookieSecret"):
        streamlit_secret = str(config.get_option("server.cookieSecret") or "")
    return _policy(days, secret, streamlit_secret)


# --- the script side: hand the browser its token ---------------------------------------------


def request_cookie(action: str, session_id: str, cookie: str = "", max_age: int = 0, session_token: str = "") -> None:
    """Ask this session's browser to set (`login`, the cookie naming `session_token`) or
    delete (`logout`) the cookie on its next render."""
    if installed() and session_id:
        token = ls.GRANTS.issue(action, session_id, cookie, max_age, session_token)
        st.session_state[_PENDING_KEY] = {"token": token}


@functools.cache
def _sync_component():
    """The tiny component that posts the token (made on first use: importing this module, as the
    launcher does before the server starts, registers nothing)."""
    return st.components.v2.component(
        "valrummet_inloggningskaka",
        html='<span class="vr-login-sync" hidden></span>',
        js=_SYNC_JS,
    )


_SYNC_JS = """
export default function (component) {
  const { data } = component
  if (!data || !data.token || window.__vrLoginToken === data.token) return
  window.__vrLoginToken = data.token
  fetch(data.url, {
    method: "POST", credentials: "same-origin", cache: "no-store",
    headers: { "X-Valrummet": "1", "Content-Type": "text/plain" }, body: data.token,
  }).catch(() => {})
}
"""


def render_pending() -> None:
    """Called by app.py each run: when this session has a cookie to set or delete, render the
    tiny component that posts the token (once)."""
    pending = st.session_state.pop(_PENDING_KEY, None)
    if pending and installed():
        _sync_component()(data={"url": f"{_base()}/{ROUTE}", "token": pending["token"]}, key="vr_login_sync",
                          width="content")


# --- the route --------------------------------------------------------------------------------


def _text(status: int, body: str):
    from starlette.responses import PlainTextResponse

    return PlainTextResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def same_origin(origin: str | None, host: str | None) -> bool:
    """The request comes from a page of this server: its Origin's host name is the Host's
    (ports aside: a proxy's `$host` drops the port, and ports do not separate cookies anyway)."""
    if not origin or not host or origin == "null":
        return False
    try:
        parts = urlsplit(origin)
        mine = urlsplit(f"//{host}")
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and parts.hostname == mine.hostname


def _session_alive(session_id: str) -> bool:
    try:
        from streamlit.runtime import Runtime

        return Runtime.exists() and Runtime.instance().is_active_session(session_id)
    except Exception:  # noqa: BLE001 - no runtime: no session to bind to
        return False


async def _read_small(request, limit: int = 256) -> bytes | None:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return body


def _current_cookie_token(request, secure: bool) -> str | None:
    """The session token of the login cookie the browser sends with this request (signature
    checked), e.g. the one a tab opened before the first login did not have. On https only the
    `__Host-` cookie counts: a plain one may have been set by another subdomain."""
    value = request.cookies.get(ls.SECURE_COOKIE) if secure else request.cookies.get(ls.COOKIE)
    if not value:
        return None
    try:
        from . import auth

        policy = auth.cookie_policy()
    except Exception:  # noqa: BLE001 - a broken setting: nothing to link
        return None
    return ls.unsign(policy.key, value) if policy.enabled else None


def _group_browser_sessions(grant: ls.Grant, previous: str | None) -> None:
    """A login joins the browser's current group; a logout ends the group (every tab)."""
    store = ls.shared_store()
    if store is None or not previous:
        return
    if grant.action == "login":
        if previous != grant.token:
            store.adopt(grant.token, previous)
    else:
        store.revoke_browser(previous)


async def cookie_endpoint(request):
    if request.headers.get(HEADER) != "1" or not same_origin(request.headers.get("origin"),
                                                             request.headers.get("host")):
        return _text(403, "Nekad.")
    body = await _read_small(request)
    grant = ls.GRANTS.redeem(body.decode("ascii", "replace").strip()) if body is not None else None
    if grant is None or not _session_alive(grant.session_id):
        _LOG.warning("valrummet: inloggningskakan nekades (okänd, använd eller gammal kod)")
        return _text(403, "Nekad.")
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import Response

    secure = request.headers.get("origin", "").startswith("https://")
    await run_in_threadpool(lambda: _group_browser_sessions(grant, _current_cookie_token(request, secure)))
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    path = _base() or "/"
    if grant.action == "login":
        name = ls.SECURE_COOKIE if secure else ls.COOKIE
        response.set_cookie(name, grant.cookie, max_age=grant.max_age, path="/" if secure else path,
                            secure=secure, httponly=True, samesite="lax")
        if secure:
            response.delete_cookie(ls.COOKIE, path=path)
    else:
        response.delete_cookie(ls.COOKIE, path=path)
        if secure:
            response.delete_cookie(ls.SECURE_COOKIE, path="/", secure=True, httponly=True, samesite="lax")
    return response


# --- Streamlit's OIDC routes with Swedish failures ---------------------------------------------


def _page(status: int, title: str, message: str, headers: list[tuple[bytes, bytes]] = ()):
    from starlette.responses import HTMLResponse

    back = f"{_base()}/logga_in"
    body = (
        '<!doctype html><html lang="sv"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} – Valrummet</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;"
        "line-height:1.5;color:#1f1f1f}a{color:#B00020}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(message)}</p>"
        f'<p><a href="{html.escape(back)}">Tillbaka till inloggningen</a></p></body></html>'
    )
    response = HTMLResponse(body, status_code=status, headers={
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})
    for key, value in headers:  # Streamlit's own cookie clean-up, kept
        response.raw_headers.append((key, value))
    return response


UNREACHABLE = ("Inloggningstjänsten svarar inte",
               "Inloggningen kunde inte starta: inloggningstjänsten svarar inte just nu, eller så är den "
               "felinställd på servern. Försök igen om en stund, eller logga in med lösenord om du har ett.")
BROKEN = ("Inloggningen fungerar inte",
          "Inloggningen via organisationens konto fungerar inte på servern just nu. Den som driftar Valrummet ser "
          "orsaken i loggen.")
CANCELLED = ("Inloggningen avbröts",
             "Inloggningen avbröts hos inloggningstjänsten, så du är inte inloggad. Försök igen om du vill "
             "logga in.")
FAILED = ("Inloggningen blev inte av",
          "Inloggningen kunde inte slutföras: inloggningstjänsten svarade inte som väntat, eller så var länken "
          "gammal. Försök igen.")


def _identity_cookie_set(response) -> bool:
    """Whether Streamlit's callback response logs the viewer in (sets its identity cookie)."""
    from streamlit.web.server.starlette.starlette_server_config import USER_COOKIE_NAME

    for key, value in response.raw_headers:
        if key.lower() == b"set-cookie":
            text = value.decode("latin-1")
            if text.startswith(f"{USER_COOKIE_NAME}=") and "max-age=0" not in text.lower():
                return True
    return False


def _cookie_headers(response) -> list[tuple[bytes, bytes]]:
    return [(k, v) for k, v in getattr(response, "raw_headers", []) if k.lower() == b"set-cookie"]


def guard_oidc_login(endpoint):
    """Streamlit's /auth/login with Swedish pages for its failures."""

    async def login(request):
        try:
            response = await endpoint(request)
        except Exception:  # noqa: BLE001 - e.g. a missing package: say it in Swedish, details in the log
            _LOG.exception("valrummet: OIDC-inloggningen kunde inte starta")
            return _page(503, *BROKEN)
        if response.status_code >= 400:
            _LOG.warning("valrummet: OIDC-inloggningen kunde inte starta (svar %s): inloggningstjänsten svarar "
                         "inte eller är felinställd", response.status_code)
            return _page(503, *UNREACHABLE, headers=_cookie_headers(response))
        return response

    return login


def guard_oidc_callback(endpoint):
    """Streamlit's /oauth2callback: a login lands on the login page; a failure says so in Swedish."""

    async def callback(request):
        try:
            response = await endpoint(request)
        except Exception:  # noqa: BLE001
            _LOG.exception("valrummet: OIDC-återkopplingen misslyckades")
            return _page(503, *BROKEN)
        if response.status_code in (301, 302, 303, 307, 308) and _identity_cookie_set(response):
            response.headers["location"] = f"{_base()}/logga_in"
            return response
        what = CANCELLED if request.query_params.get("error") else FAILED
        return _page(400, *what, headers=_cookie_headers(response))

    return callback


def _guard_auth_routes(routes: list, base: str) -> list:
    from starlette.routing import Route

    wrappers = {f"{base}/auth/login": guard_oidc_login, f"{base}/oauth2callback": guard_oidc_callback}
    out = []
    for route in routes:
        wrap = wrappers.get(getattr(route, "path", None))
        endpoint = getattr(route, "endpoint", None)
        if wrap and isinstance(route, Route) and inspect.iscoroutinefunction(endpoint):
            route = Route(route.path, wrap(endpoint), methods=["GET"], name=route.name)
        out.append(route)
    return out


def routes(base: str) -> list:
    from starlette.routing import Route

    return [Route(f"{base}/{ROUTE}", cookie_endpoint, methods=["POST"])]


def _log_policy() -> None:
    """One line at start: how long a built-in login lasts here, and why when only for the tab."""
    try:
        from . import auth

        conf = auth.settings()
        if not conf.password_login:
            return
        pol = auth.cookie_policy()
    except Exception as exc:  # noqa: BLE001 - a broken setting is reported by the login page and auth
        _LOG.warning("valrummet: inloggningens varaktighet kunde inte läsas: %s", exc)
        return
    if pol.enabled:
        _LOG.info("valrummet: en inloggning gäller i %.4g dagar (kaka), sessioner i %s",
                  pol.seconds / 86400, ls.store_path())
    else:
        _LOG.warning("valrummet: en inloggning gäller bara webbläsarfliken: %s", pol.reason)


def install() -> bool:
    """Add the cookie route and guard Streamlit's OIDC routes (once per process)."""
    with _lock:
        if _state["installed"]:
            return True
        try:
            from streamlit import config
            from streamlit.web.server.starlette import starlette_app
        except ImportError:
            return False
        original = getattr(starlette_app, "create_streamlit_routes", None)
        if original is None:
            return False

        def create_streamlit_routes(runtime):
            base = "/" + (config.get_option("server.baseUrlPath") or "").strip("/")
            base = "" if base == "/" else base
            _log_policy()
            return [*routes(base), *_guard_auth_routes(original(runtime), base)]

        starlette_app.create_streamlit_routes = create_streamlit_routes
        _state["installed"] = True
        return True
