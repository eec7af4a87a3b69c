"""`python -m dashboard serve`: the app with production settings (issue 7).

Runs `streamlit run app.py` in this process, from the repository root (so
`.streamlit/config.toml` and `.streamlit/secrets.toml` apply), with the options below on top; flags and environment variables
choose the address, port, allowed hosts, base path and upload limit. Several processes behind a
reverse proxy with sticky sessions: one per core, each on its own port (deploy/run-backends.sh,
docs/deploy.md). `--hash-password` prints an argon2 hash for the built-in login instead.

Secrets never go on the command line (they would show in `ps`): Streamlit reads
STREAMLIT_SERVER_COOKIE_SECRET, and the login settings come from secrets.toml or VALRUMMET_*
variables (dashboard.auth).
"""
from __future__ import annotations

import argparse
import getpass
import os
import sys
import threading

from .paths import REPO_ROOT

# Fixed production options: (option, value, why).
PRODUCTION_OPTIONS: tuple[tuple[str, str, str], ...] = (
    ("server.headless", "true", "no browser, no e-mail prompt"),
    ("server.showEmailPrompt", "false", "no prompt on a server"),
    ("server.runOnSave", "false", "code does not change under a running server"),
    ("server.allowRunOnSave", "false", "and viewers cannot switch it on"),
    ("server.fileWatcherType", "none", "no file watching: saves CPU and inotify handles"),
    ("server.enableXsrfProtection", "true", "uploads need the XSRF token"),
    ("server.enableCORS", "true", "websocket and uploads only from the app's own origin"),
    ("server.enableWebsocketCompression", "false", "per-message deflate costs CPU per viewer; nginx gzips the static files"),
    ("server.enableAgentApi", "false", "no HTTP driving of sessions in production"),
    ("client.showErrorDetails", "none", "viewers see a generic message; details go to the log"),
    ("client.showErrorLinks", "false", "no links to outside search engines in error boxes"),
    ("client.toolbarMode", "viewer", "no developer menu (rerun, clear cache, deploy)"),
    ("browser.gatherUsageStats", "false", "no usage statistics leave the server"),
    ("runner.postScriptGC", "false", "a full gc after every run cost ~50 ms per page"),
    ("global.developmentMode", "false", "production build of the frontend"),
    ("logger.level", "info", "logins, ignored clear_cache messages and errors in the log"),
    ("server.maxWidgetStateSize", "1", "a client's websocket message: 1 MB, refused unread above (issue 16)"),
)

DEFAULT_PORT = 8501
DEFAULT_ADDRESS = "127.0.0.1"
DEFAULT_MAX_UPLOAD_MB = 50  # a national riksdag result zip is well below this; Streamlit's default is 200


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=int, default=int(_env("VALRUMMET_PORT", str(DEFAULT_PORT))),
                   help=f"port (VALRUMMET_PORT, standard {DEFAULT_PORT})")
    p.add_argument("--address", metavar="ADRESS", default=_env("VALRUMMET_ADDRESS", DEFAULT_ADDRESS),
                   help="adress att lyssna på (VALRUMMET_ADDRESS, standard 127.0.0.1: bakom en proxy; "
                        "0.0.0.0 i en container)")
    p.add_argument("--allowed-hosts", metavar="VÄRDAR", default=_env("VALRUMMET_ALLOWED_HOSTS", ""),
                   help="värdnamn som godtas i Host-huvudet, kommaseparerade (VALRUMMET_ALLOWED_HOSTS), "
                        "t.ex. valrummet.example.se; tomt = alla")
    p.add_argument("--allowed-origins", metavar="URSPRUNG", default=_env("VALRUMMET_ALLOWED_ORIGINS", ""),
                   help="andra ursprung (https://…) som får ansluta, kommaseparerade (VALRUMMET_ALLOWED_ORIGINS)")
    p.add_argument("--base-url-path", metavar="SÖKVÄG", default=_env("VALRUMMET_BASE_URL_PATH", ""),
                   help="sökväg om appen ligger under en undermapp, t.ex. valrummet (VALRUMMET_BASE_URL_PATH)")
    p.add_argument("--max-upload-mb", metavar="MB", type=int,
                   default=int(_env("VALRUMMET_MAX_UPLOAD_MB", str(DEFAULT_MAX_UPLOAD_MB))),
                   help=f"största uppladdade fil i MB (VALRUMMET_MAX_UPLOAD_MB, standard {DEFAULT_MAX_UPLOAD_MB})")
    p.add_argument("--trusted-proxies", metavar="ADRESSER", default=_env("VALRUMMET_TRUSTED_PROXIES", ""),
                   help="proxyservrar vars X-Real-IP/X-Forwarded-For godtas, kommaseparerade adresser eller nät "
                        "(VALRUMMET_TRUSTED_PROXIES), t.ex. 127.0.0.1,::1 bakom nginx på samma värd; tomt = ingen")
    p.add_argument("--require-login", action="store_true",
                   help="kräv inloggning för alla sidor (samma som VALRUMMET_REQUIRE_LOGIN=1)")
    p.add_argument("--print-command", action="store_true",
                   help="skriv ut motsvarande streamlit-kommando i stället för att starta")
    p.add_argument("--hash-password", action="store_true",
                   help="skapa en argon2-hash av ett lösenord (läses från terminalen eller stdin) och avsluta")


def known_args(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """Parse `serve`'s own flags; Streamlit options given as `--section.option value` (or
    `--section.option=value`) go on to Streamlit after the launcher's (the last one given
    wins), so README command 1 takes the flags `streamlit run` takes. Anything else is an error."""
    args, rest = parser.parse_known_args(argv)
    extra: list[tuple[str, str]] = []
    i = 0
    while i < len(rest):
        flag = rest[i]
        name, eq, value = flag[2:].partition("=") if flag.startswith("--") else ("", "", "")
        section, dot, option = name.partition(".")
        if not (section and dot and option):
            parser.error(f"okänt argument: {flag} (Streamlits inställningar skrivs --avsnitt.namn värde)")
        if not eq:
            if i + 1 >= len(rest):
                parser.error(f"{flag} saknar värde")
            i += 1
            value = rest[i]
        extra.append((name, value))
        i += 1
    args.streamlit_extra = extra
    return args


def _split(text: str) -> list[str]:
    return [x.strip() for x in text.replace(" ", ",").split(",") if x.strip()]


def streamlit_options(args: argparse.Namespace) -> list[tuple[str, str]]:
    """Every option the launcher sets, in order (fixed ones first, then the chosen ones)."""
    opts = [(k, v) for k, v, _ in PRODUCTION_OPTIONS]
    # GeoJSON under static/ is then fetched once by URL instead of inside every map (on only when
    # the folder exists: Streamlit warns otherwise).
    opts.append(("server.enableStaticServing", "true" if (REPO_ROOT / "static").is_dir() else "false"))
    opts += [
        ("server.address", args.address),
        ("server.port", str(args.port)),
        ("server.maxUploadSize", str(args.max_upload_mb)),
    ]
    if args.base_url_path:
        opts.append(("server.baseUrlPath", args.base_url_path.strip("/")))
    # List options: repeating the flag gives several values.
    opts += [("server.allowedHosts", h) for h in _split(args.allowed_hosts)]
    opts += [("server.corsAllowedOrigins", o) for o in _split(args.allowed_origins)]
    # Streamlit options given on the command line (known_args), last: they win.
    opts += list(getattr(args, "streamlit_extra", []))
    return opts


def command(args: argparse.Namespace) -> list[str]:
    """The equivalent `streamlit run` command line (what --print-command shows)."""
    cmd = [sys.executable, "-m", "streamlit", "run", str(REPO_ROOT / "app.py")]
    for key, value in streamlit_options(args):
        cmd += [f"--{key}", value]
    return cmd


M_ARENA_MAX = -8  # glibc's mallopt() parameter for the number of malloc arenas (malloc.h)


def one_malloc_arena() -> bool:
    """Let every thread of this process allocate from glibc's one main arena (as if
    MALLOC_ARENA_MAX=1), unless the operator set MALLOC_ARENA_MAX. Call before threads start.

    Streamlit runs each session's script in its own thread; a meeting arriving in the same
    second makes ~300 of them (they wait for the run slot), and glibc gives threads up to
    8 arenas per core, each keeping its own free memory. Measured in scenario (c) (300
    viewers in one second, one process, same code and machine): peak 395 and 395 MB with
    one arena, 410 and 412 MB without. Script runs take turns in the run slot, so the
    arena's lock is rarely contended. False where there is no glibc mallopt (then nothing
    changes)."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    try:
        import ctypes

        return bool(ctypes.CDLL(None).mallopt(M_ARENA_MAX, 1))
    except (OSError, AttributeError):
        return False


def _prepare_process() -> None:
    """What the server process needs before its first session (it runs in this process).

    * The pages live in `pages/`, which puts a fresh Streamlit server in its legacy multipage
      mode until a session has run app.py's st.navigation: the first visitor of an unknown or
      internal URL would get Streamlit's "Page not found" dialog. app.py always routes with
      st.navigation, so the server starts in that mode.
    * Limits against abuse (dashboard.hardening, issue 16): open-file limit raised and watched,
      one shared script event loop, sessions per client address and per process capped, uploads
      only where an uploader is shown, inbound messages bounded, bad widget ids dropped and
      repeated log lines rate-limited.
    * Clients' `clear_cache` messages are ignored from the start (dashboard.auth).
    * Replies go out without Nagle's delay (`enable_tcp_nodelay`), and each burst of a
      session's websocket frames goes out in one send (`coalesce_websocket_writes`).
    * A quiet server sends queued messages with a shorter pause (`adapt_flush_interval`).
    * Page scripts are compiled once per process, not once per new session (`keep_script_bytecode`),
      and before the server answers (`precompile_scripts`).
    * The theme options are read once per process, not on every rerun (`memoize_theme_options`).
    * The booking calendar's .ics URLs are served (`dashboard.calendar.http`, a route in front of
      Streamlit's own; plain `streamlit run` has none).
    * The login cookie's route, and Swedish pages for Streamlit's OIDC routes' failures
      (`dashboard.login_http`; under plain `streamlit run` logins last for the tab).
    * The database file and the pages' modules are ready before the server answers
      (`prepare_data`); the warm-up then fills the caches in the gaps between viewers.
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager

        PagesManager.uses_pages_directory = False
    except ImportError:  # a Streamlit without the legacy mode
        pass
    from . import hardening
    from .auth import guard_clear_cache

    hardening.install()
    guard_clear_cache()
    enable_tcp_nodelay()
    coalesce_websocket_writes()
    adapt_flush_interval()
    keep_script_bytecode()
    precompile_scripts()
    memoize_theme_options()
    from .calendar import http as calendar_http

    calendar_http.install()
    from . import login_http

    login_http.install()
    prepare_data()
    threading.Thread(target=_warm, name="valrummet-warm", daemon=True).start()


def enable_tcp_nodelay() -> bool:
    """Make the server's accepted connections use TCP_NODELAY (once per process).

    Streamlit binds its listening socket as `socket.socket(family)`, i.e. with protocol 0, and
    asyncio only switches Nagle's algorithm off for sockets whose protocol is IPPROTO_TCP. Each
    page's last small websocket frame then waited for the client's delayed ACK: ~40 ms on every
    rerun (measured: a login page at 48 ms wall for 13 ms of CPU, bench/RESULTS.md). Re-wrapping
    the same listening descriptor with the TCP protocol number lets asyncio do what it does for
    every other server. Returns True when the fix is (now) installed.
    """
    import socket

    try:
        from streamlit.web.server.starlette import starlette_server as srv
    except ImportError:  # another server implementation: nothing to fix here
        return False
    original = getattr(srv, "_bind_socket", None)
    if original is None:
        return False
    if getattr(original, "_valrummet_nodelay", False):
        return True

    def _bind_socket_tcp(*args, **kwargs) -> socket.socket:
        sock = original(*args, **kwargs)
        if sock.proto == socket.IPPROTO_TCP or sock.family not in (socket.AF_INET, socket.AF_INET6):
            return sock
        tcp = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
        tcp.setblocking(False)
        tcp.set_inheritable(True)
        return tcp

    _bind_socket_tcp._valrummet_nodelay = True
    srv._bind_socket = _bind_socket_tcp
    return True


class CoalescingTransport:
    """A transport that collects writes while more keep coming, and sends them together.

    Data is sent once a loop turn passes without a new write (or `MAX_PENDING` bytes are
    waiting), with one `writelines` call. Everything else is delegated to the wrapped
    transport; pending data is sent before it closes and dropped if it aborts, as the
    transport itself would.
    """

    MAX_PENDING = 256 * 1024

    __slots__ = ("_transport", "_loop", "_pending", "_size", "_fresh", "_scheduled")

    def __init__(self, transport, loop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []
        self._size = 0
        self._fresh = False  # written to since the last check
        self._scheduled = False

    def write(self, data: bytes) -> None:
        if not data:
            return
        self._pending.append(data)
        self._size += len(data)
        self._fresh = True
        if self._size >= self.MAX_PENDING:
            self.flush()
        elif not self._scheduled:
            self._scheduled = True
            self._loop.call_soon(self._check)

    def writelines(self, chunks) -> None:
        for data in chunks:
            self.write(data)

    def _check(self) -> None:
        # Streamlit hands a session's messages to its sender one per loop turn (it yields
        # after each), so "a turn without a write" is the end of the burst.
        if self._fresh and self._pending:
            self._fresh = False
            self._loop.call_soon(self._check)
            return
        self._scheduled = False
        self.flush()

    def flush(self) -> None:
        if self._pending:
            pending, self._pending, self._size = self._pending, [], 0
            if not self._transport.is_closing():  # the peer left: nothing can be sent
                self._transport.writelines(pending)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._pending, self._size = [], 0
        self._transport.abort()

    def __getattr__(self, name: str):
        return getattr(self._transport, name)


def coalesce_websocket_writes() -> bool:
    """Send each burst of websocket frames a connection writes with one syscall.

    Streamlit sends every message as its own websocket frame, and uvicorn writes each frame to
    the socket at once: 30-40 sends per page view. With TCP_NODELAY each send is a segment that
    the kernel delivers (loopback, or to nginx) inside the send call, and the proxy and the
    browser read each one. Streamlit hands a session's messages to its sender one per loop
    turn, so `CoalescingTransport` holds them until a turn passes without a new write: ~4
    sends per view. Measured (cpu_ab): 4-5 % less server CPU, 7-9 % less wall per view.
    Returns True when installed.
    """
    import asyncio

    try:
        from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
    except ImportError:  # another websocket implementation: leave it alone
        return False
    original = WebSocketsSansIOProtocol.connection_made
    if getattr(original, "_valrummet_coalesce", False):
        return True

    def connection_made(self, transport) -> None:
        original(self, CoalescingTransport(transport, asyncio.get_running_loop()))

    connection_made._valrummet_coalesce = True
    WebSocketsSansIOProtocol.connection_made = connection_made
    return True


# Streamlit sends each session's queued messages in cycles and pauses between cycles
# (MESSAGE_FLUSH_INTERVAL_SECS, 5 ms), so a page's last message waits 0–5 ms after the script
# ends. Each cycle visits every connected session, which is why the pause exists; with only a
# few sessions connected a cycle costs microseconds and the pause can be 1 ms.
QUIET_SESSIONS = 10
QUIET_FLUSH_S = 0.001


def flush_interval(sessions: int, default: float) -> float:
    """The pause between Streamlit's send cycles for `sessions` connected sessions."""
    return QUIET_FLUSH_S if sessions <= QUIET_SESSIONS else default


def adapt_flush_interval(period_s: float = 0.5) -> bool:
    """Keep Streamlit's send pause at 1 ms while at most QUIET_SESSIONS sessions are connected,
    and at Streamlit's own value above that (checked every `period_s`). One viewer's page then
    arrives ~2 ms sooner (bench/RESULTS.md, (a)); a crowd keeps Streamlit's batching. Returns
    True when the adjuster runs."""
    import time

    try:
        from streamlit.runtime import runtime as rt
    except ImportError:
        return False
    default = getattr(rt, "MESSAGE_FLUSH_INTERVAL_SECS", None)
    if not isinstance(default, float):
        return False  # another Streamlit: leave its sending alone

    def adjust() -> None:
        while True:
            time.sleep(period_s)
            # The runtime exists before its session manager does; a missing one means "later".
            manager = getattr(rt.Runtime.instance(), "_session_mgr", None) if rt.Runtime.exists() else None
            if manager is not None:
                rt.MESSAGE_FLUSH_INTERVAL_SECS = flush_interval(manager.num_active_sessions(), default)

    threading.Thread(target=adjust, name="valrummet-flush", daemon=True).start()
    return True


def keep_script_bytecode() -> bool:
    """Keep Streamlit's process-wide cache of compiled page scripts for the life of the process.

    Every new session connects to Streamlit's "config parsed" signal with force_connect, which
    calls the session's source-changed handler at once, and that handler clears the script
    cache. Each new viewer then recompiled app.py and every page it visited, through the magic
    AST rewrite: 1-30 ms per file, ~13 % of the server's CPU over a stream of new viewers
    (py-spy, bench/RESULTS.md). The launcher watches no files and never reruns on save: the
    code does not change under a running server, so the cache has nothing to forget. Returns
    True when the cache is (now) kept.
    """
    try:
        from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    except ImportError:
        return False
    if getattr(ScriptCache.clear, "_valrummet_kept", False):
        return True
    if not callable(getattr(ScriptCache, "get_bytecode", None)):
        return False  # another Streamlit: leave its cache alone

    def clear(self) -> None:  # noqa: ARG001 - the cache outlives every session
        return None

    clear._valrummet_kept = True
    ScriptCache.clear = clear
    return True


def memoize_theme_options() -> bool:
    """Read the `theme*` config sections once per parsed config instead of on every rerun.

    Every script run starts with a "new session" message whose theme Streamlit fills from six
    `theme*` sections, each found by walking all ~250 config options: ~5 % of the server's CPU
    over a stream of viewers (py-spy). Options do not change under a running server; a reparse
    of the config (which replaces Streamlit's option table) starts a fresh memo. Returns True
    when the memo is (now) installed.
    """
    try:
        from streamlit import config
    except ImportError:
        return False
    original = getattr(config, "get_options_for_section", None)
    if original is None or not hasattr(config, "_config_options"):
        return False  # another Streamlit: leave its config alone
    if getattr(original, "_valrummet_memo", False):
        return True
    # The memo holds the option table it was read from: a reparse makes a new table, and
    # holding the old one keeps its identity from being reused.
    memo: dict[str, object] = {"table": None}
    lock = threading.Lock()

    def get_options_for_section(section: str) -> dict:
        if not section.startswith("theme"):
            return original(section)
        with lock:
            if memo["table"] is not config._config_options:
                memo.clear()
                memo["table"] = config._config_options
            found = memo.get(section)
            if found is None:
                found = memo[section] = original(section)
        return dict(found)  # callers get their own copy, as from Streamlit

    get_options_for_section._valrummet_memo = True
    config.get_options_for_section = get_options_for_section
    return True


def begin_data() -> None:
    """Start building or finding the database file, in the background (dashboard.startup)."""
    from . import startup

    startup.begin()


def prepare_data() -> None:
    """Before the server answers its first request: the database file and the pages' modules
    (dashboard.startup) and what every public page's default view
    needs. A crowd that arrives with the first health answer finds a process that has done
    every first-time cost of those views (measured in bench/load, scenarios k and f)."""
    from . import startup

    startup.prepare()
    startup.first_views()


SCRIPTS = ("app.py", "pages/*.py")  # what Streamlit compiles for the pages (relative to the repository)


def precompile_scripts() -> bool:
    """Compile app.py and the pages when the server's script cache is made (as the server
    starts, before it answers), as Streamlit would (magic included, with the parsed config):
    without it the first viewer of each page waited ~20 ms for its compilation, and with
    `keep_script_bytecode` the cache keeps them. Returns True when installed."""
    try:
        from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    except ImportError:
        return False
    original = ScriptCache.__init__
    if getattr(original, "_valrummet_precompiled", False):
        return True
    if not callable(getattr(ScriptCache, "get_bytecode", None)):
        return False

    def __init__(self, *args, **kwargs) -> None:
        original(self, *args, **kwargs)
        for pattern in SCRIPTS:
            for path in sorted(REPO_ROOT.glob(pattern)):
                try:
                    self.get_bytecode(str(path))
                except Exception:  # a script that does not compile: its first run reports it
                    continue

    __init__._valrummet_precompiled = True
    ScriptCache.__init__ = __init__
    return True


def _warm() -> None:
    """The pages' frames, charts and tables in the gaps between viewers (dashboard.warm)."""
    from . import warm

    warm.run(after_server_start=True)
    warm.keep_swept()


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Lösenord: ")
        if first != getpass.getpass("Samma lösenord igen: "):
            raise SystemExit("fel: lösenorden är inte lika")
        return first
    return sys.stdin.readline().rstrip("\n")


def hash_password_cli() -> int:
    from .auth import AuthConfigError, hash_password

    password = _read_password()
    if len(password) < 12:
        print("fel: välj ett lösenord på minst 12 tecken (gärna en lösenfras)", file=sys.stderr)
        return 2
    try:
        encoded = hash_password(password)
    except AuthConfigError as exc:
        print(f"fel: {exc}", file=sys.stderr)
        return 2
    print(encoded)
    print("Lägg hashen i .streamlit/secrets.toml under [valrummet] (password_hash = \"…\" eller under "
          "[valrummet.users]) eller i VALRUMMET_PASSWORD_HASH. Själva lösenordet sparas ingenstans.",
          file=sys.stderr)
    return 0


def run(args: argparse.Namespace) -> int:
    if args.hash_password:
        return hash_password_cli()
    cmd = command(args)
    if args.print_command:
        print(" ".join(cmd))
        return 0
    if args.require_login:
        os.environ["VALRUMMET_REQUIRE_LOGIN"] = "1"
    os.environ["VALRUMMET_TRUSTED_PROXIES"] = args.trusted_proxies or ""
    one_malloc_arena()  # before any thread starts
    begin_data()  # the database file builds in a child process meanwhile (dashboard.startup)
    os.chdir(REPO_ROOT)  # .streamlit/config.toml and secrets.toml are read from here
    _prepare_process()
    from streamlit.web import cli as streamlit_cli

    try:
        streamlit_cli.main(args=cmd[3:], prog_name="streamlit")  # exits when the server stops
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0
