"""Which Python the README's commands install into and run with (scripts/run.sh, scripts/test.sh).

Run with the interpreter the user would use (`python3` on PATH, or $PYTHON); prints the path of
the interpreter to use on stdout, messages (Swedish) on stderr, exit 1 when nothing will work:

* a virtual environment is active (venv, virtualenv, pyenv-virtualenv): that one;
* the project's own `.venv/` exists and works (it has pip): that one;
* the interpreter may take packages (pyenv, python.org, a container's Python): that one;
* else, an *externally managed* interpreter (PEP 668: Debian's and Ubuntu's system Python,
  marked by the file EXTERNALLY-MANAGED in its stdlib folder, which makes `pip install` stop
  with `externally-managed-environment`) or one without pip: create `.venv/` with
  `python -m venv` and use it. Debian ships `venv` without `ensurepip` unless the package
  `python3.X-venv` is installed: as root with apt-get it is installed, otherwise the message
  names the package.

`--plan` prints the facts and the decision as JSON and changes nothing (tests/test_python_env.py).
Only the standard library, and syntax old Pythons can parse, so that a too old interpreter gets
a message rather than a SyntaxError.
"""
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from collections import namedtuple

MIN_VERSION = (3, 11)
VENV_DIR = ".venv"
MARKER = "EXTERNALLY-MANAGED"

Facts = namedtuple("Facts", [
    "version",              # (major, minor) of the interpreter
    "executable",           # its path
    "in_venv",              # running inside a virtual environment
    "externally_managed",   # PEP 668 marker present (and not in a venv)
    "has_pip",
    "has_ensurepip",        # `python -m venv` can put pip into a new environment
    "project_venv",         # "ok", "broken" (no python or no pip) or "" (absent)
    "root",
    "apt",                  # apt-get is available
])

# action: "use" (python), "create" (a .venv, after installing `package` with apt when set),
# "error" (message).
Plan = namedtuple("Plan", ["action", "python", "package", "message"])


def venv_package(version) -> str:
    """Debian's/Ubuntu's package that holds ensurepip for this Python (python3.X-venv)."""
    return "python%d.%d-venv" % tuple(version)


def is_externally_managed(in_venv: bool) -> bool:
    """PEP 668: the marker file in the stdlib folder of the default scheme, ignored inside a venv."""
    if in_venv:
        return False
    paths = {sysconfig.get_path("stdlib")}
    get_default_scheme = getattr(sysconfig, "get_default_scheme", None)
    if get_default_scheme is not None:
        paths.add(sysconfig.get_path("stdlib", get_default_scheme()))
    return any(p and os.path.isfile(os.path.join(p, MARKER)) for p in paths)


def _has_module(name: str) -> bool:
    """A real module (a namespace package, e.g. a leftover empty folder, does not count)."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return False
    return spec is not None and spec.origin not in (None, "namespace")


def venv_python(project: str) -> str:
    return os.path.join(project, VENV_DIR, "bin", "python")


def project_venv_state(project: str) -> str:
    """"ok" when the project's .venv has a working python with pip, "broken" when it exists
    without (e.g. made while Debian's python3-venv was missing), "" when there is none."""
    if not os.path.exists(os.path.join(project, VENV_DIR)):
        return ""
    python = venv_python(project)
    if not os.access(python, os.X_OK):
        return "broken"
    try:
        ok = subprocess.run([python, "-c", "import pip"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, timeout=60).returncode == 0
    except (OSError, subprocess.SubprocessError):
        ok = False
    return "ok" if ok else "broken"


def gather_facts(project: str) -> Facts:
    in_venv = sys.prefix != getattr(sys, "base_prefix", sys.prefix) or hasattr(sys, "real_prefix")
    return Facts(
        version=tuple(sys.version_info[:2]),
        executable=sys.executable,
        in_venv=in_venv,
        externally_managed=is_externally_managed(in_venv),
        has_pip=_has_module("pip"),
        has_ensurepip=_has_module("ensurepip") and _has_module("venv"),
        project_venv=project_venv_state(project),
        root=hasattr(os, "geteuid") and os.geteuid() == 0,
        apt=shutil.which("apt-get") is not None,
    )


def decide(f: Facts, project: str) -> Plan:
    """What to do, from the facts alone (no side effects)."""
    have = "%d.%d" % tuple(f.version)
    if tuple(f.version) < MIN_VERSION:
        return Plan("error", None, None,
                    "Python %d.%d eller senare krävs, men %s är %s. Installera en nyare Python (t.ex. med "
                    "pyenv) och kör igen, eller ange den med PYTHON=/sökväg/till/python3.11."
                    % (MIN_VERSION + (f.executable, have)))
    if f.in_venv:
        if f.has_pip:
            return Plan("use", f.executable, None, "")
        return Plan("error", None, None,
                    "Den aktiva virtuella miljön (%s) saknar pip. Kör '%s -m ensurepip' eller skapa om miljön."
                    % (f.executable, f.executable))
    if f.project_venv == "ok":
        return Plan("use", venv_python(project), None, "")
    if not f.externally_managed and f.has_pip and f.project_venv != "broken":
        return Plan("use", f.executable, None, "")
    why = ("Python i %s hanteras av systemets pakethanterare (PEP 668)" % f.executable if f.externally_managed
           else "Python i %s saknar pip" % f.executable)
    where = os.path.join(project, VENV_DIR)
    if f.has_ensurepip:
        return Plan("create", venv_python(project), None, "%s: skapar och använder %s." % (why, where))
    package = venv_package(f.version)
    if f.root and f.apt:
        return Plan("create", venv_python(project), package,
                    "%s: installerar Debians paket %s och skapar %s." % (why, package, where))
    if f.apt:
        return Plan("error", None, package,
                    "%s, och för att skapa en virtuell miljö (%s) behövs paketet %s. Installera det med\n"
                    "    sudo apt-get install %s\noch kör kommandot igen." % (why, where, package, package))
    return Plan("error", None, None,
                "%s, och den kan inte skapa en virtuell miljö (modulen ensurepip saknas). Installera Pythons "
                "venv-stöd, eller aktivera en virtuell miljö med pip, och kör igen." % why)


def carry_out(plan: Plan, f: Facts, project: str) -> str:
    """Install the package and create the venv when the plan says so; returns the python."""
    if plan.action == "error":
        raise SystemExit("fel: " + plan.message)
    if plan.action == "use":
        return plan.python
    print(plan.message, file=sys.stderr)
    where = os.path.join(project, VENV_DIR)
    if plan.package:
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        _step(["apt-get", "update", "-qq"], "apt-get update misslyckades", env=env)
        _step(["apt-get", "install", "-y", "-qq", plan.package], "kunde inte installera paketet %s" % plan.package,
              env=env, stdout=subprocess.DEVNULL)
    # --clear: a broken .venv (no pip, a removed interpreter) is made anew.
    _step([f.executable, "-m", "venv", "--clear", where],
          "kunde inte skapa %s (se meddelandet ovan; är mappen skrivbar?)" % where)
    if project_venv_state(project) != "ok":
        raise SystemExit("fel: %s skapades utan pip; installera paketet %s och kör igen."
                         % (os.path.join(project, VENV_DIR), venv_package(f.version)))
    return plan.python


def _step(cmd, failure: str, **kw) -> None:
    """Run one set-up command; a failure ends with a one-line Swedish message, not a traceback."""
    try:
        code = subprocess.run(cmd, **kw).returncode
    except OSError as exc:
        raise SystemExit("fel: %s: %s" % (failure, exc))
    if code != 0:
        raise SystemExit("fel: %s (%s avslutades med kod %d)." % (failure, " ".join(cmd[:3]), code))


def main(argv) -> int:
    project = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if "--project" in argv:
        project = os.path.abspath(argv[argv.index("--project") + 1])
    facts = gather_facts(project)
    plan = decide(facts, project)
    if "--plan" in argv:
        print(json.dumps({"facts": facts._asdict(), "plan": plan._asdict()}, ensure_ascii=False))
        return 0
    print(carry_out(plan, facts, project))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
