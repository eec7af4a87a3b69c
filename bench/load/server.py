"""Start and stop the app under test, and sample its CPU and memory (psutil).

All variants run the same code on the same data. "tuned" is the app as it is deployed: the
production launcher `python -m dashboard serve` (its options, the repo's .streamlit/config.toml,
and its process fixes such as TCP_NODELAY). "config" is plain `streamlit run app.py` with the
repo config only. "default" is `streamlit run` with every option the repo config sets put back
to Streamlit's own default, i.e. the app with default settings.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import tomllib
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def repo_config(repo: Path = REPO) -> dict[str, object]:
    """The options set in the repo's .streamlit/config.toml, as {"section.key": value}."""
    path = repo / ".streamlit" / "config.toml"
    if not path.exists():
        return {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {f"{sec}.{k}": v for sec, opts in data.items() if isinstance(opts, dict) for k, v in opts.items()}


def _flag_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# Not reset for the baseline: usage statistics are a browser-side setting with no server cost,
# and the benchmark must never send any.
KEEP = {"browser.gatherUsageStats"}


def default_flags(repo: Path = REPO) -> list[str]:
    """Flags that put every option the repo config sets back to Streamlit's default."""
    from streamlit import config

    flags = []
    for key in repo_config(repo):
        if key in KEEP:
            continue
        opt = config._config_options_template.get(key)
        if opt is None or opt.default_val is None:
            continue  # an option without a default (or unknown) cannot be "reset" by a flag
        flags += [f"--{key}", _flag_value(opt.default_val)]
    return flags


def variant_flags(name: str, extra: dict[str, list[str]] | None = None) -> list[str]:
    if extra and name in extra:
        return extra[name]
    if name == "default":
        return default_flags()
    if name in ("tuned", "config"):
        return []
    raise KeyError(f"unknown server variant {name!r}")


def variant_launcher(name: str) -> str:
    """"serve" (the production launcher) for the tuned variant, "run" (`streamlit run`) otherwise."""
    return "serve" if name == "tuned" else "run"


def wait_for_log_line(log: Path | None, text: str | None, proc: subprocess.Popen, deadline: float,
                      count: int = 1) -> None:
    """Wait until `text` appears `count` times in `log` (e.g. the launcher's warm-up is done)."""
    if not text or log is None:
        return
    while time.monotonic() < deadline:
        if log.exists() and log.read_text(encoding="utf-8", errors="replace").count(text) >= count:
            return
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode} (log: {log})")
        time.sleep(0.5)
    raise RuntimeError(f"'{text}' did not appear in {log} in time")


@dataclass
class AppServer:
    """The app on a free 127.0.0.1 port, always stopped by stop()/context exit.

    launcher "run" starts `streamlit run app.py` plus `flags`; "serve" starts the production
    launcher `python -m dashboard serve` (which takes no streamlit flags).
    """

    flags: list[str] = field(default_factory=list)
    launcher: str = "run"
    repo: Path = REPO
    script: str = "app.py"
    port: int = 0
    start_timeout: float = 300.0  # includes the launcher's warm-up
    log_path: Path | None = None
    env: dict[str, str] | None = None  # extra environment variables
    wait_for_log: str | None = None  # after /health, wait until the log shows this line (needs log_path)
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def start(self) -> "AppServer":
        self.port = self.port or free_port()
        if self.launcher == "serve":
            if self.flags:
                raise ValueError("the production launcher takes no streamlit flags")
            cmd = [sys.executable, "-m", "dashboard", "serve", "--address", "127.0.0.1", "--port", str(self.port)]
        else:
            cmd = [
                sys.executable, "-m", "streamlit", "run", self.script,
                "--server.headless", "true",
                "--server.address", "127.0.0.1",
                "--server.port", str(self.port),
                "--browser.gatherUsageStats", "false",
                *self.flags,
            ]
        log = open(self.log_path, "wb") if self.log_path else subprocess.DEVNULL
        env = {**os.environ, **(self.env or {})}
        self.proc = subprocess.Popen(cmd, cwd=self.repo, stdout=log, stderr=subprocess.STDOUT, env=env,
                                     start_new_session=True)
        if self.log_path:
            log.close()
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.proc.returncode} before answering "
                                   f"(log: {self.log_path or 'not kept'})")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        wait_for_log_line(self.log_path, self.wait_for_log, self.proc, deadline)
                        return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"streamlit did not answer on {self.url} within {self.start_timeout:.0f} s")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        # The server runs in its own session (process group): signal exactly that group.
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        except ProcessLookupError:
            pass

    def __enter__(self) -> "AppServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


@dataclass
class Sample:
    t: float  # seconds since the sampler started
    cpu_pct: float  # of one core, summed over the processes
    rss_mb: float  # summed over the processes
    threads: int
    rss_max_mb: float = 0.0  # of the largest process (the per-process memory target)


class Sampler:
    """CPU and resident memory of one or more processes, every `interval` seconds, in a thread."""

    def __init__(self, pids: list[int], interval: float = 0.5):
        self.procs = [psutil.Process(p) for p in pids]
        self.interval = interval
        self.samples: list[Sample] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self.t0 = 0.0
        self._cpu0 = 0.0

    def cpu_seconds(self) -> float:
        total = 0.0
        for p in self.procs:
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.Error:
                pass
        return total

    def _snapshot(self) -> Sample:
        cpu = rss = top = 0.0
        threads = 0
        for p in self.procs:
            try:
                with p.oneshot():
                    cpu += p.cpu_percent(None)
                    one = p.memory_info().rss / 2**20
                    rss += one
                    top = max(top, one)
                    threads += p.num_threads()
            except psutil.Error:
                pass
        return Sample(time.monotonic() - self.t0, cpu, rss, threads, top)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.samples.append(self._snapshot())

    def start(self) -> "Sampler":
        self.t0 = time.monotonic()
        self._cpu0 = self.cpu_seconds()
        for p in self.procs:
            try:
                p.cpu_percent(None)  # prime the per-process counter
            except psutil.Error:
                pass
        self.samples.append(self._snapshot())
        self._thread.start()
        return self

    def stop(self) -> float:
        """Stop sampling; return the CPU seconds the processes used meanwhile."""
        self._stop.set()
        self._thread.join(5)
        self.samples.append(self._snapshot())
        return self.cpu_seconds() - self._cpu0
