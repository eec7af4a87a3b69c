"""Login in front of the internal pages (issue 7).

Two tiers: the public pages (election results, Om data) are open; the internal pages listed in
`page_registry` (campaign activity, priorities, imports) exist for a session only once its viewer
has logged in. Until then `internal_pages()` returns nothing, so `st.navigation` never registers
them, their names never reach the browser, and their scripts (and data) never run.

Two ways to log in, configured in `.streamlit/secrets.toml` or environment variables (see
`docs/deploy.md` and `.streamlit/secrets.toml.example`; the environment wins):

* OIDC through `st.login` when Streamlit's own `[auth]` section names a provider. Which accounts
  may enter is an allow-list (`allowed_emails`, `allowed_domains`); without one nobody is let in
  unless `allow_any_account = true` (e.g. a provider that only knows the party's own accounts).
* Built-in: a shared password and/or per-person passwords, stored only as argon2 hashes
  (`python -m dashboard serve --hash-password` makes one). Failed attempts slow down
  exponentially per browser tab and per name and client address, server-side, in a file the
  app processes of a host share (dashboard.login_throttle). With the production launcher a
  login lasts `login_days` on that browser, across reloads and tabs, through a signed cookie
  naming a server-side login session (dashboard.login_sessions, dashboard.login_http); logout
  ends it in every tab. Under plain `streamlit run`, or without a `login_secret`, it lasts for
  the browser tab's session. OIDC logins are kept in Streamlit's own signed cookie.

| environment variable | secrets `[valrummet]` | meaning |
|---|---|---|
| `VALRUMMET_REQUIRE_LOGIN` | `require_login` | true: every page needs a login |
| `VALRUMMET_PASSWORD_HASH` | `password_hash` | argon2 hash of the shared password |
| `VALRUMMET_USERS` | `[valrummet.users]` name = hash | per-person hashes (env: `namn:hash` separated by spaces or new lines) |
| `VALRUMMET_ALLOWED_EMAILS` | `allowed_emails` | OIDC accounts let in (env: comma separated) |
| `VALRUMMET_ALLOWED_DOMAINS` | `allowed_domains` | OIDC e-mail domains let in |
| `VALRUMMET_ALLOW_ANY_ACCOUNT` | `allow_any_account` | let in every account the provider accepts |
| `VALRUMMET_LOGIN_DAYS` | `login_days` | how long a built-in login lasts on a browser (default 14; 0 = the tab) |
| `VALRUMMET_LOGIN_SECRET` | `login_secret` | the key the login cookie is signed with (long, random) |

Importing this module also stops clients from emptying the shared caches (`guard_clear_cache`).
"""
from __future__ import annotations

import logging
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from . import login_sessions as ls
from .errors import ValrummetError
from .fmt import md_text
from .login_throttle import ADDRESS_TIER, SESSION_TIER, Throttle, shared_throttle  # noqa: F401
from .page_registry import INTERNAL_PAGES, PageSpec, page
from .paths import REPO_ROOT

_LOG = logging.getLogger(__name__)

SECTION = "valrummet"
LOGIN_PATH = "logga_in"
# session_state: {"name": ..., "method": "lösenord"}; a built-in login also has "account" (the
# lower-case name, "" for the shared password), "credential" (the password hash's fingerprint)
# and, when it lasts beyond the tab, "sid" (its login session's token).
_USER_KEY = "_valrummet_user"
# The session's cookies come with its websocket request and never change: looked at once.
_COOKIE_CHECKED_KEY = "_valrummet_cookie_checked"
SHARED_USER = "gemensamt lösenord"
_OIDC_SEEN_KEY = "_valrummet_oidc_seen"  # the OIDC account already written to the audit log
_TRUE = {"1", "true", "ja", "yes", "on"}

_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters


class AuthConfigError(ValrummetError):
    """A login setting is malformed (the message names the setting)."""


# --- passwords -------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    """An argon2id hash (salted; the encoded string carries salt and parameters)."""
    if not password:
        raise AuthConfigError("Lösenordet är tomt.")
    return _HASHER.hash(password)


def verify_password(encoded: str, password: str) -> bool:
    """True when `password` matches the argon2 hash `encoded`."""
    try:
        return _HASHER.verify(encoded, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# A hash to verify against when the name is unknown, so a wrong name costs as long as a wrong password.
# Made once with `_HASHER.hash(...)` and kept here: hashing it at import cost every process
# ~0.2 s of CPU before it could serve (issue 17). If the hasher's parameters ever differ from
# the ones it records (a new argon2-cffi), it is made afresh, so the cost still matches.
_DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$pxZ2rY+I+DEpctrDUOwa1w$QBwABf5gsDgWy4W0cLMAiAB08Tw5JuvNrRPhwZDAdKg"
if _HASHER.check_needs_rehash(_DUMMY_HASH):
    _DUMMY_HASH = _HASHER.hash("valrummet-ingen-sådan-användare")


def _check_hash(value: Any, where: str) -> str:
    text = str(value or "").strip()
    if not text.startswith("$argon2"):
        raise AuthConfigError(
            f"{where} ska vara en argon2-hash (börjar med $argon2), inte ett lösenord i klartext. "
            "Skapa en med 'python -m dashboard serve --hash-password'."
        )
    try:
        _HASHER.check_needs_rehash(text)  # parses the encoded parameters
    except (InvalidHashError, ValueError) as exc:
        raise AuthConfigError(f"{where} är ingen giltig argon2-hash ({exc}).") from None
    return text


# --- settings --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    require_login: bool = False
    shared_hash: str | None = None
    users: Mapping[str, str] = field(default_factory=dict)  # lower-case name -> hash
    display_names: Mapping[str, str] = field(default_factory=dict)  # lower-case name -> as written
    oidc_providers: tuple[str, ...] = ()  # "" = the single unnamed provider of [auth]
    allowed_emails: frozenset[str] = frozenset()
    allowed_domains: frozenset[str] = frozenset()
    allow_any_account: bool = False
    login_days: float = ls.DEFAULT_DAYS
    login_secret: str = field(default="", repr=False)

    @property
    def password_login(self) -> bool:
        return bool(self.shared_hash or self.users)

    @property
    def oidc_login(self) -> bool:
        return bool(self.oidc_providers)

    @property
    def any_login(self) -> bool:
        return self.password_login or self.oidc_login


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in _TRUE


def _as_set(value: Any) -> frozenset[str]:
    if value is None:
        return frozenset()
    items = re.split(r"[,\s]+", value) if isinstance(value, str) else list(value)
    return frozenset(str(i).strip().lower().lstrip("@") for i in items if str(i).strip())


def _as_days(value: Any, where: str) -> float:
    try:
        days = float(str(value).strip().replace(",", "."))
    except ValueError:
        raise AuthConfigError(f"{where} ska vara ett antal dagar (t.ex. 14 eller 0,5), inte '{value}'.") from None
    if not math.isfinite(days) or days < 0:
        raise AuthConfigError(f"{where} ska vara 0 eller fler dagar, inte '{value}'.")
    return days


def _parse_users_env(text: str) -> dict[str, str]:
    users = {}
    for n, item in enumerate(text.split(), start=1):
        name, sep, encoded = item.partition(":")
        if not sep or not name:
            raise AuthConfigError(
                f"VALRUMMET_USERS, post {n}: skriv namn:hash (t.ex. anna:$argon2id$...), fick '{item[:20]}…'."
            )
        users[name] = encoded
    return users


_LOGGED_ONCE: set[str] = set()


def _log_once(message: str) -> None:
    """Settings are read on every run: a problem with them is logged once per process."""
    if message not in _LOGGED_ONCE:
        _LOGGED_ONCE.add(message)
        _LOG.warning(message)


def _placeholder_url(value: Any) -> bool:
    text = str(value or "").strip()
    host = text.split("://", 1)[-1].split("/", 1)[0].lower()
    return (not text.startswith(("http://", "https://")) or ls.looks_like_placeholder(text)
            or host.startswith("example.") or ".example." in f".{host}")


def _auth_section_problem(auth: Mapping[str, Any]) -> str:
    """Why Streamlit's [auth] section cannot be used as it is ("" = it can)."""
    if _placeholder_url(auth.get("redirect_uri")):
        return "redirect_uri is missing or an example value"
    secret = str(auth.get("cookie_secret") or "")
    if ls.looks_like_placeholder(secret) or len(secret) < ls.MIN_SECRET_CHARS:
        # Streamlit signs the identity cookie with it: a known secret lets anyone forge a login.
        return f"cookie_secret is missing, an example value or shorter than {ls.MIN_SECRET_CHARS} characters"
    return ""


def _provider_problem(section: Mapping[str, Any]) -> str:
    for key in ("client_id", "client_secret"):
        if ls.looks_like_placeholder(str(section.get(key) or "")):
            return f"{key} is missing or an example value"
    if _placeholder_url(section.get("server_metadata_url")):
        return "server_metadata_url is missing or an example value"
    return ""


def _oidc_providers(auth: Mapping[str, Any]) -> tuple[str, ...]:
    """Usable providers of Streamlit's [auth] section: "" for a single unnamed one, else the
    names. A provider still holding the example's fill-in values (or an [auth] section without
    a real redirect_uri and cookie_secret) is left out, and the log says why: copying
    secrets.toml.example as it is must not show a login button that cannot work."""
    if not auth:
        return ()
    named = [(k, v) for k, v in auth.items() if isinstance(v, Mapping) and v.get("client_id")]
    candidates = named or ([("", auth)] if auth.get("client_id") else [])
    usable = []
    shared_problem = _auth_section_problem(auth) if candidates else ""
    for name, section in candidates:
        why = shared_problem or _provider_problem(section)
        if why:
            _log_once(f"OIDC provider [auth{'.' + name if name else ''}] ignored: {why} (docs/deploy.md)")
        else:
            usable.append(name)
    return tuple(usable)


def load_settings(env: Mapping[str, str], secrets: Mapping[str, Any]) -> Settings:
    """Settings from environment variables (they win) and secrets; raises AuthConfigError."""
    sec = dict(secrets.get(SECTION) or {})

    def pick(env_key: str, sec_key: str) -> Any:
        value = env.get(env_key)
        return value if value not in (None, "") else sec.get(sec_key)

    shared = pick("VALRUMMET_PASSWORD_HASH", "password_hash")
    shared_hash = None
    if shared:
        where = "VALRUMMET_PASSWORD_HASH" if env.get("VALRUMMET_PASSWORD_HASH") else f"[{SECTION}] password_hash"
        shared_hash = _check_hash(shared, where)
    raw_users: dict[str, tuple[str, str]] = {}
    for name, encoded in dict(sec.get("users") or {}).items():
        raw_users[str(name)] = (encoded, f"[{SECTION}.users] {name}")
    if env.get("VALRUMMET_USERS"):
        for name, encoded in _parse_users_env(env["VALRUMMET_USERS"]).items():
            raw_users[name] = (encoded, f"VALRUMMET_USERS, användaren {name}")
    users = {name.lower(): _check_hash(enc, where) for name, (enc, where) in raw_users.items()}
    return Settings(
        require_login=_as_bool(pick("VALRUMMET_REQUIRE_LOGIN", "require_login") or False),
        shared_hash=shared_hash,
        users=users,
        display_names={name.lower(): name for name in raw_users},
        oidc_providers=_oidc_providers(dict(secrets.get("auth") or {})),
        allowed_emails=_as_set(pick("VALRUMMET_ALLOWED_EMAILS", "allowed_emails")),
        allowed_domains=_as_set(pick("VALRUMMET_ALLOWED_DOMAINS", "allowed_domains")),
        allow_any_account=_as_bool(pick("VALRUMMET_ALLOW_ANY_ACCOUNT", "allow_any_account") or False),
        login_days=_login_days(env, sec),
        login_secret=str(pick("VALRUMMET_LOGIN_SECRET", "login_secret") or ""),
    )


def _login_days(env: Mapping[str, str], sec: Mapping[str, Any]) -> float:
    if env.get("VALRUMMET_LOGIN_DAYS"):
        return _as_days(env["VALRUMMET_LOGIN_DAYS"], "VALRUMMET_LOGIN_DAYS")
    if sec.get("login_days") not in (None, ""):
        return _as_days(sec["login_days"], f"[{SECTION}] login_days")
    return ls.DEFAULT_DAYS


def _secrets() -> dict[str, Any]:
    import streamlit as st
    from streamlit import config

    # Without any secrets file Streamlit searches its paths again (and builds an error) on every
    # access, several times per rerun; with one it parses once and keeps the result.
    if not any(os.path.exists(p) for p in config.get_option("secrets.files")):
        return {}
    try:
        return {k: st.secrets[k] for k in (SECTION, "auth") if k in st.secrets}
    except Exception:  # no secrets.toml anywhere: nothing configured there
        return {}


def settings() -> Settings:
    """The current settings (read on every call: cheap, and a changed secrets.toml applies)."""
    return load_settings(os.environ, _secrets())


# --- slow-down after failed attempts (dashboard.login_throttle) --------------------------------


def client_address() -> str:
    """The viewer's address (dashboard.clients: X-Real-IP only from a configured proxy)."""
    from .clients import current_address

    return current_address()


def _session_id() -> str:
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx()
        return ctx.session_id if ctx else ""
    except Exception:
        return ""


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    user: str | None = None
    message: str = ""  # Swedish, for the viewer
    wait: float = 0.0
    account: str | None = None  # the lower-case name ("" = the shared password) when ok


def _wait_text(seconds: float) -> str:
    s = max(1, math.ceil(seconds))
    return f"{s} sekund" if s == 1 else (f"{s} sekunder" if s < 120 else f"{math.ceil(s / 60)} minuter")


def check_password(conf: Settings, name: str, password: str, client: str,
                   throttle: Throttle | None = None, session: str = "") -> LoginResult:
    """Check a built-in login; the attempt is counted for the tab (`session`) and for the name
    at the client's address before the password is verified (see `Throttle`)."""
    from .clients import client_key

    throttle = throttle or shared_throttle()
    name = (name or "").strip()
    keys = {f"a|{name.lower()}|{client_key(client)}": ADDRESS_TIER.free}
    if session:
        keys[f"s|{session}"] = SESSION_TIER.free
    wait, delay = throttle.attempt(keys)
    if wait > 0:
        _LOG.warning("login refused (waiting %.0f s): name=%r from %s", wait, name, client)
        return LoginResult(False, message=f"För många felaktiga försök. Vänta {_wait_text(wait)} och försök igen.",
                           wait=wait)
    user = None
    if name and name.lower() in conf.users:
        if verify_password(conf.users[name.lower()], password):
            user = conf.display_names.get(name.lower(), name)
    elif not name and conf.shared_hash:
        if verify_password(conf.shared_hash, password):
            user = SHARED_USER
    else:
        verify_password(_DUMMY_HASH, password)  # same cost as a real check
    if user:
        throttle.succeeded(*keys)
        _LOG.info("login ok: %s from %s", user, client, extra={"audit": True})
        return LoginResult(True, user=user, account=name.lower())
    _LOG.warning("login failed: name=%r from %s", name, client)
    what = "Fel namn eller lösenord." if conf.users else "Fel lösenord."
    if delay > 0:
        what += f" Vänta {_wait_text(delay)} innan nästa försök."
    return LoginResult(False, message=what, wait=delay)


def oidc_allowed(conf: Settings, email: str | None) -> bool:
    """Whether an account the OIDC provider vouched for may see the internal pages."""
    if conf.allow_any_account:
        return True
    email = (email or "").strip().lower()
    if not email:
        return False
    domain = email.rpartition("@")[2]
    return email in conf.allowed_emails or domain in conf.allowed_domains


# --- the session's viewer ---------------------------------------------------------------------


def _oidc_user() -> dict[str, Any] | None:
    import streamlit as st

    try:
        if st.user.is_logged_in:
            return dict(st.user.to_dict())
    except Exception:  # no [auth] configured, or an older cookie: not logged in
        return None
    return None


def credential_of(conf: Settings, account: str) -> str:
    """The fingerprint of the hash `account` logs in with now ("" when it cannot log in)."""
    encoded = conf.shared_hash if account == "" else conf.users.get(account)
    return ls.credential_fingerprint(encoded)


def cookie_policy(conf: Settings | None = None) -> ls.Policy:
    """How long a built-in login lasts beyond the tab here (dashboard.login_http.policy)."""
    from . import login_http

    conf = conf or settings()
    return login_http.policy(conf.login_days, conf.login_secret)


def _cookie_value() -> str | None:
    """The login cookie the session's websocket request carried (on https only the __Host- one)."""
    import streamlit as st

    try:
        cookies = st.context.cookies
        https = (st.context.url or "").startswith("https://")
    except Exception:  # noqa: BLE001 - no request (AppTest): no cookie
        return None
    value = cookies.get(ls.SECURE_COOKIE)
    if value is None and not https:
        value = cookies.get(ls.COOKIE)
    return value


def _still_valid(stored: Mapping[str, Any], conf: Settings | None) -> bool:
    """A built-in login holds while its password is unchanged in the configuration and, when
    it lasts beyond the tab, while its login session is live (logout elsewhere revokes it)."""
    account = stored.get("account")
    if account is None:  # set by code (tests), not by a login: nothing to check against
        return True
    if conf is not None and stored.get("credential") != credential_of(conf, account):
        return False
    sid = stored.get("sid")
    if sid:
        store = ls.shared_store()
        return store is not None and store.lookup(sid) is not None
    return True


def _resume_from_cookie(conf: Settings | None) -> dict[str, Any] | None:
    """The login the browser's cookie names, made this session's; None when there is none or
    it is refused (bad signature, unknown, revoked, expired, or the user's password changed
    or the user was removed since)."""
    import streamlit as st

    if conf is None or not conf.password_login or st.session_state.get(_COOKIE_CHECKED_KEY):
        return None
    st.session_state[_COOKIE_CHECKED_KEY] = True
    policy = cookie_policy(conf)
    if not policy.enabled:
        return None
    value = _cookie_value()
    if not value:
        return None
    store = ls.shared_store()
    token = ls.unsign(policy.key, value)
    if token is None:
        _LOG.warning("login cookie refused (bad signature: forged, or made before login_secret changed) from %s",
                     client_address())
        return None
    found = store.lookup(token) if store is not None else None
    if found is None or found.credential != credential_of(conf, found.account):
        if found is not None:
            store.revoke(token)  # the password changed or the user is gone: the session ends
        _LOG.info("login cookie refused (logged out, expired, or the password changed) from %s", client_address())
        return None
    entry = {"name": found.display, "method": "lösenord", "account": found.account,
             "credential": found.credential, "sid": token}
    st.session_state[_USER_KEY] = entry
    _LOG.info("login resumed (cookie): %s from %s", found.display, client_address())
    return entry


def current_user(conf: Settings | None = None) -> str | None:
    """Who is logged in in this session (a name or e-mail), or None."""
    import streamlit as st

    stored = st.session_state.get(_USER_KEY)
    if stored:
        if stored.get("account") is None:
            return stored["name"]
        conf = conf or _safe_settings()
        if _still_valid(stored, conf):
            return stored["name"]
        _LOG.info("login ended (logged out elsewhere, expired or password changed): %s", stored.get("name"))
        store = ls.shared_store() if stored.get("sid") else None
        if store is not None:
            store.revoke(stored["sid"])  # a changed password ends the login session too, not just this tab
        del st.session_state[_USER_KEY]
    conf = conf or _safe_settings()
    if _resume_from_cookie(conf) is not None:
        return st.session_state[_USER_KEY]["name"]
    if conf is not None and conf.oidc_login:
        info = _oidc_user()
        if info and oidc_allowed(conf, info.get("email")):
            user = str(info.get("email") or info.get("name") or "inloggad")
            if st.session_state.get(_OIDC_SEEN_KEY) != user:  # once per session: the audit line
                st.session_state[_OIDC_SEEN_KEY] = user
                _LOG.info("login ok (OIDC): %s from %s", user, client_address(), extra={"audit": True})
            return user
    return None


def _safe_settings() -> Settings | None:
    try:
        return settings()
    except AuthConfigError as exc:
        _LOG.error("login settings: %s", exc)
        return None


def is_logged_in() -> bool:
    return current_user() is not None


def login_required() -> bool:
    """True when the deployment puts every page behind the login (a broken setting counts too)."""
    conf = _safe_settings()
    if conf is not None:
        return conf.require_login
    # A malformed hash must not open what was meant to be closed: read the switch on its own.
    raw = os.environ.get("VALRUMMET_REQUIRE_LOGIN") or (_secrets().get(SECTION) or {}).get("require_login")
    return _as_bool(raw or False)


def _page(spec: PageSpec):
    return page(spec.path, title=spec.title, icon=spec.icon, url_path=spec.url_path, help=spec.help)


def available_specs(specs: list[PageSpec] = INTERNAL_PAGES) -> list[PageSpec]:
    """The registry's pages whose file exists (pages are added while the app grows)."""
    return [s for s in specs if (REPO_ROOT / s.path).is_file()]


def internal_pages() -> list:
    """`st.Page`s of the internal pages for a logged-in viewer; [] for anyone else."""
    if not is_logged_in():
        return []
    return [_page(s) for s in available_specs()]


_PATH_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


_REQUESTED_KEY = "_valrummet_requested_path"


def requested_path() -> str:
    """The url path this run asks for ("" = default page).

    A browser opening a URL sends the path; later runs of the same page (a form submit,
    st.rerun) send only the page's hash, which is the hash of its url path. The path is kept in
    the session so those runs still find it. Any other hash – an internal page's or a made-up
    one – gets the same answer (""): a hash must not confirm which page names exist.
    """
    import streamlit as st
    from streamlit.util import calc_hash

    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx()
        name = (ctx.pages_manager.intended_page_name or "") if ctx else ""
        page_hash = (ctx.pages_manager.intended_page_script_hash or "") if ctx else ""
    except Exception:  # Streamlit internals moved: fall back to the plain login page
        return ""
    name = name.strip("/")
    if name:
        st.session_state[_REQUESTED_KEY] = name
        return name
    if page_hash:
        stored = st.session_state.get(_REQUESTED_KEY)
        if stored and calc_hash(stored) == page_hash:
            return stored
    return ""


def login_page(public_paths: set[str] | frozenset[str] | None = None, *, default: bool = False,
               hidden: bool = False, stand_in_for: str | None = None):
    """The login page, as an `st.Page`.

    With `public_paths` (the paths registered anyway) it is registered under an unknown
    requested path – an internal page's link or a typo – so the viewer lands on the login
    instead of "page not found", and after the login (a rerun of the same page hash) the same
    URL opens the real page. Any unknown path gets it, so probing reveals no page names.
    `stand_in_for` registers it under a given path instead (the default page's, when every page
    needs a login).
    """
    url_path = LOGIN_PATH
    if stand_in_for is not None:  # "" = the root, the default page's path
        url_path = stand_in_for
    elif public_paths is not None:
        wanted = requested_path()
        if wanted and wanted not in public_paths and wanted != LOGIN_PATH and _PATH_RE.match(wanted):
            url_path = wanted
    return page(
        "pages/logga_in.py",
        title="Logga in",
        icon=":material/login:",
        url_path=url_path,
        default=default,
        visibility="hidden" if hidden else "visible",
        help="Logga in för att se distriktets interna sidor.",
    )


def log_in(user: str, account: str | None = None, conf: Settings | None = None) -> None:
    """Make `user` this session's viewer. For a checked built-in login (`account`: the
    lower-case name, "" for the shared password) the login also becomes a login session with
    a cookie when the policy allows (see `cookie_policy`), so it lasts beyond the tab."""
    import streamlit as st

    entry: dict[str, Any] = {"name": user, "method": "lösenord"}
    if account is not None:
        conf = conf or settings()
        entry.update(account=account, credential=credential_of(conf, account))
        policy = cookie_policy(conf)
        store = ls.shared_store() if policy.enabled else None
        if store is not None:
            from . import login_http

            sid, _ = store.create(account, user, entry["credential"], policy.seconds)
            entry["sid"] = sid
            login_http.request_cookie("login", _session_id(), ls.sign(policy.key, sid), int(policy.seconds), sid)
    st.session_state[_USER_KEY] = entry


def logout() -> None:
    """Forget the viewer (and everything the session held); a lasting login's session, and
    the other sessions of the same browser, are revoked, so every tab of that browser is logged
    out at its next run, and the cookie is deleted; OIDC also drops its cookie."""
    import streamlit as st

    stored = st.session_state.get(_USER_KEY) or {}
    method = stored.get("method")
    who = stored.get("name") or st.session_state.get(_OIDC_SEEN_KEY)
    if who:
        _LOG.info("logout: %s from %s", who, client_address(), extra={"audit": True})
    store = ls.shared_store() if stored.get("sid") else None
    if store is not None:
        store.revoke_browser(stored["sid"])  # and the other logins of this browser (tabs that logged in apart)
    had_cookie = bool(stored.get("sid") or _cookie_value())
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    st.session_state[_COOKIE_CHECKED_KEY] = True  # this session's cookie is the one just logged out
    if had_cookie:
        from . import login_http

        login_http.request_cookie("logout", _session_id())
    if method is None and _oidc_user():
        st.logout()  # clears Streamlit's identity cookie and starts over


def logout_everywhere() -> None:
    """End every lasting login of this viewer's account (all browsers and devices), then log out."""
    import streamlit as st

    account = (st.session_state.get(_USER_KEY) or {}).get("account")
    store = ls.shared_store()
    if account and store is not None:
        n = store.revoke_account(account)
        _LOG.info("logout everywhere: %s (%d sessions) from %s", account, n, client_address(), extra={"audit": True})
    logout()


# --- the login view (pages/logga_in.py) -------------------------------------------------------


def oidc_missing_package() -> str | None:
    """The package Streamlit's OIDC routes need but cannot import (None = all there).
    Streamlit's `auth` extra is Authlib and httpx (both pinned in requirements.txt); without
    httpx its login route failed with a bare "Internal Server Error"."""
    try:
        import authlib.integrations.starlette_client  # noqa: F401 - imports httpx too
    except ModuleNotFoundError as exc:
        return (exc.name or "authlib").split(".")[0]
    return None


def _provider_label(name: str) -> str:
    return {"google": "Google", "microsoft": "Microsoft", "": "organisationens konto"}.get(name, name.capitalize())


def login_view() -> None:
    """What pages/logga_in.py shows: who is logged in, or the ways to log in."""
    import streamlit as st

    try:
        conf = settings()
    except AuthConfigError as exc:
        st.title("Logga in")
        st.error(f"Inloggningen är felinställd: {exc}", icon=":material/error:")
        return
    user = current_user(conf)
    if user:
        st.title("Du är inloggad")
        st.markdown(f"Inloggad som **{md_text(user)}**. De interna sidorna finns under *Internt* i menyn.")
        stored = st.session_state.get(_USER_KEY) or {}
        with st.container(horizontal=True):
            st.button("Logga ut", icon=":material/logout:", on_click=logout, key="vr_logout_page")
            if stored.get("sid") and stored.get("account"):
                st.button("Logga ut på alla enheter", icon=":material/devices:", on_click=logout_everywhere,
                          key="vr_logout_everywhere",
                          help="Avslutar inloggningen i alla webbläsare och på alla enheter där du är inloggad.")
        return

    st.title("Logga in")
    if requested_path() not in ("", LOGIN_PATH):
        st.info("Sidan du öppnade finns inte, eller så kräver den inloggning.", icon=":material/lock:")
    st.caption("Alla sidor kräver inloggning på den här servern." if conf.require_login else
               "Valresultaten är öppna för alla. Distriktets egna uppgifter om valrörelsen kräver inloggning.")
    if not conf.any_login:
        st.warning(
            "Inloggning är inte inställd på den här servern, så de interna sidorna kan inte visas. "
            "Den som driftar appen ställer in lösenord eller OIDC enligt docs/deploy.md.",
            icon=":material/info:",
        )
        return

    info = _oidc_user()
    if info and not oidc_allowed(conf, info.get("email")):
        st.error(f"Kontot {md_text(info.get('email') or info.get('name') or '')} har inte behörighet till de "
                 "interna sidorna.",
                 icon=":material/block:")
        st.button("Logga ut från kontot", on_click=st.logout, key="vr_oidc_logout")
    elif conf.oidc_login:
        for provider in conf.oidc_providers:
            if st.button(f"Logga in med {_provider_label(provider)}", icon=":material/login:",
                         key=f"vr_oidc_{provider or 'default'}", type="primary"):
                missing = oidc_missing_package()
                if missing:  # the login route would fail: say so here instead
                    _LOG.error("OIDC login impossible: the package %s is not installed (requirements.txt)", missing)
                    st.error(f"Inloggning med {_provider_label(provider)} fungerar inte på servern: paketet "
                             f"{missing} saknas. Den som driftar appen installerar requirements.txt.",
                             icon=":material/error:")
                    continue
                try:
                    st.login(provider) if provider else st.login()
                except Exception as exc:  # a setting Streamlit refuses: say so instead of a traceback
                    _LOG.error("st.login failed: %s", exc)
                    st.error(f"Inloggning med {_provider_label(provider)} är felinställd på servern. Den som "
                             "driftar appen ser orsaken i loggen (docs/deploy.md).", icon=":material/error:")

    if conf.password_login:
        with st.form("vr_login", border=True, enter_to_submit=True):
            name = ""
            if conf.users:
                name = st.text_input(
                    "Namn", key="vr_login_name", autocomplete="username",
                    help="Ditt användarnamn." + (" Lämna tomt för det gemensamma lösenordet." if conf.shared_hash else ""),
                )
            password = st.text_input("Lösenord", type="password", key="vr_login_password",
                                     autocomplete="current-password")
            submitted = st.form_submit_button("Logga in", type="primary", icon=":material/login:")
        policy = cookie_policy(conf)
        if policy.enabled:
            st.caption(f"Du förblir inloggad i {_days_text(policy.seconds)} i den här webbläsaren, också i nya "
                       "flikar, tills du loggar ut.")
        else:
            st.caption("Inloggningen gäller den här fliken: en ny flik eller en omladdning frågar igen.")
        if submitted:
            result = check_password(conf, name, password, client_address(), session=_session_id())
            if result.ok:
                log_in(result.user, result.account, conf)
                st.rerun()
            st.error(result.message, icon=":material/error:")


def _days_text(seconds: float) -> str:
    """"14 dagar", "1 dag", "12 timmar" (Swedish, for the login page)."""
    hours = seconds / 3600
    if hours < 24:
        n = max(1, round(hours))
        return f"{n} timme" if n == 1 else f"{n} timmar"
    n = round(hours / 24)
    return f"{n} dag" if n == 1 else f"{n} dagar"


# --- shared caches and the `clear_cache` message ---------------------------------------------


def guard_clear_cache() -> bool:
    """Ignore the protocol's `clear_cache` message from clients (once per process).

    Any websocket client may send it, and Streamlit then empties every `st.cache_data` and
    `st.cache_resource` for all sessions – query results, figures and the parsed geometries –
    so one anonymous client could make every viewer's next page slow. The warehouse
    (`dashboard.db`, a module-level connection) would survive even that. Clearing caches after a
    build or import goes through `queries.clear_caches()` on the server and is unaffected.
    Set VALRUMMET_ALLOW_CLEAR_CACHE=1 to keep Streamlit's behaviour (the developer menu's
    "Clear cache"). Returns True when the guard is (now) installed.
    """
    if _as_bool(os.environ.get("VALRUMMET_ALLOW_CLEAR_CACHE", "")):
        return False
    try:
        from streamlit.runtime.app_session import AppSession
    except ImportError:
        return False
    if getattr(AppSession, "_valrummet_guarded", False):
        return True
    if not hasattr(AppSession, "_handle_clear_cache_request"):
        _LOG.warning("Streamlit has no _handle_clear_cache_request: clear_cache guard not installed")
        return False

    def _ignore_clear_cache(self) -> None:
        _LOG.info("ignored clear_cache from session %s", getattr(self, "id", "?"))

    AppSession._handle_clear_cache_request = _ignore_clear_cache
    AppSession._valrummet_guarded = True
    return True


guard_clear_cache()


# --- roles (issue 20: the booking calendar's coordinators) ------------------------------------

COORDINATOR = "coordinator"


def load_roles(env: Mapping[str, str], secrets: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    """Role -> the lower-case names (built-in login) or e-mails (OIDC) that have it.

    `[valrummet.roles]` in secrets (`coordinator = ["anna", "bo@example.se"]`); the environment
    variable VALRUMMET_COORDINATORS (names separated by commas or spaces) wins for `coordinator`.
    Roles need a per-person login: the shared password's "user" never has one."""
    section = dict((secrets.get(SECTION) or {}).get("roles") or {})
    roles = {str(role): _as_set(names) for role, names in section.items()}
    if env.get("VALRUMMET_COORDINATORS"):
        roles[COORDINATOR] = _as_set(env["VALRUMMET_COORDINATORS"])
    return roles


def user_roles(user: str | None = None) -> frozenset[str]:
    """The roles of `user`, by default the session's logged-in viewer (none when logged out)."""
    user = current_user() if user is None else user
    if not user or user == SHARED_USER:
        return frozenset()
    key = user.strip().lower()
    return frozenset(role for role, names in load_roles(os.environ, _secrets()).items() if key in names)


def has_role(role: str) -> bool:
    return role in user_roles()
