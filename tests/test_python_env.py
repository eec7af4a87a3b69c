"""scripts/python_env.py: which interpreter README's commands (scripts/run.sh, scripts/test.sh)
install into, and when they make a project .venv (PEP 668's externally managed Pythons).

Nothing here installs anything: the decision is tested on facts, the detection on a stdlib
folder with and without the marker, the side effects with subprocess.run recorded, and the real
interpreters of this machine only with `--plan`.
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "python_env.py"


def _load():
    spec = importlib.util.spec_from_file_location("python_env", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


pe = _load()
PROJECT = "/srv/valrummet"
VENV_PY = "/srv/valrummet/.venv/bin/python"


def facts(**kw):
    base = dict(version=(3, 11), executable="/usr/bin/python3", in_venv=False, externally_managed=False,
                has_pip=True, has_ensurepip=True, project_venv="", root=False, apt=True)
    base.update(kw)
    return pe.Facts(**base)


@pytest.mark.parametrize("kw, action, python, package", [
    # pyenv / python.org / a container's Python: install into it, as before.
    (dict(executable="/opt/pyenv/versions/3.11.7/bin/python3"), "use", "/opt/pyenv/versions/3.11.7/bin/python3", None),
    # An active venv wins, even over a system Python's marker (PEP 668 ignores it inside a venv).
    (dict(in_venv=True, executable="/home/a/venv/bin/python3"), "use", "/home/a/venv/bin/python3", None),
    # Debian/Ubuntu system Python: make and use the project's .venv …
    (dict(externally_managed=True), "create", VENV_PY, None),
    # … and use it from then on, without making it again.
    (dict(externally_managed=True, project_venv="ok"), "use", VENV_PY, None),
    # An existing project .venv is used even when the interpreter could take packages.
    (dict(project_venv="ok"), "use", VENV_PY, None),
    # A .venv made while python3-venv was missing has no pip: made again.
    (dict(externally_managed=True, project_venv="broken"), "create", VENV_PY, None),
    # Debian without python3.11-venv: root with apt installs it first …
    (dict(externally_managed=True, has_ensurepip=False, root=True), "create", VENV_PY, "python3.11-venv"),
    # … anyone else is told exactly which package to install.
    (dict(externally_managed=True, has_ensurepip=False), "error", None, "python3.11-venv"),
    # Python without pip and not managed (a minimal build): a venv brings pip.
    (dict(has_pip=False), "create", VENV_PY, None),
    (dict(version=(3, 12), externally_managed=True, has_ensurepip=False, root=True), "create", VENV_PY,
     "python3.12-venv"),
])
def test_decision(kw, action, python, package):
    plan = pe.decide(facts(**kw), PROJECT)
    assert (plan.action, plan.python, plan.package) == (action, python, package)


def test_messages_say_what_to_do():
    plan = pe.decide(facts(externally_managed=True, has_ensurepip=False), PROJECT)
    assert "sudo apt-get install python3.11-venv" in plan.message and "PEP 668" in plan.message
    plan = pe.decide(facts(externally_managed=True, has_ensurepip=False, apt=False), PROJECT)
    assert plan.action == "error" and "ensurepip" in plan.message
    plan = pe.decide(facts(version=(3, 9)), PROJECT)
    assert plan.action == "error" and "3.11 eller senare" in plan.message and "3.9" in plan.message
    plan = pe.decide(facts(in_venv=True, has_pip=False), PROJECT)
    assert plan.action == "error" and "saknar pip" in plan.message


def test_marker_detection(tmp_path, monkeypatch):
    stdlib = tmp_path / "lib" / "python3.11"
    stdlib.mkdir(parents=True)
    monkeypatch.setattr(pe.sysconfig, "get_path", lambda name, scheme=None: str(stdlib))
    assert pe.is_externally_managed(in_venv=False) is False
    (stdlib / "EXTERNALLY-MANAGED").write_text("[externally-managed]\nError=Use apt.\n")
    assert pe.is_externally_managed(in_venv=False) is True
    assert pe.is_externally_managed(in_venv=True) is False  # PEP 668: a venv is never managed


def _fake_python(path: Path, pip: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit %d\n" % (0 if pip else 1))
    path.chmod(0o755)


def test_project_venv_state(tmp_path):
    assert pe.project_venv_state(str(tmp_path)) == ""
    (tmp_path / ".venv").mkdir()
    assert pe.project_venv_state(str(tmp_path)) == "broken"  # no interpreter
    _fake_python(tmp_path / ".venv" / "bin" / "python", pip=False)
    assert pe.project_venv_state(str(tmp_path)) == "broken"  # `import pip` fails
    _fake_python(tmp_path / ".venv" / "bin" / "python", pip=True)
    assert pe.project_venv_state(str(tmp_path)) == "ok"


def test_carry_out_installs_the_package_then_makes_the_venv(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(pe.subprocess, "run",
                        lambda cmd, **kw: calls.append(cmd) or subprocess.CompletedProcess(cmd, 0))
    monkeypatch.setattr(pe, "project_venv_state", lambda project: "ok")
    f = facts(externally_managed=True, has_ensurepip=False, root=True)
    plan = pe.decide(f, str(tmp_path))
    assert pe.carry_out(plan, f, str(tmp_path)) == str(tmp_path / ".venv" / "bin" / "python")
    assert calls == [
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "python3.11-venv"],
        ["/usr/bin/python3", "-m", "venv", "--clear", str(tmp_path / ".venv")],
    ]
    calls.clear()
    plan = pe.decide(facts(), str(tmp_path))
    assert pe.carry_out(plan, facts(), str(tmp_path)) == "/usr/bin/python3" and calls == []
    with pytest.raises(SystemExit, match="sudo apt-get install python3.11-venv"):
        f = facts(externally_managed=True, has_ensurepip=False)
        pe.carry_out(pe.decide(f, str(tmp_path)), f, str(tmp_path))


def test_a_failing_step_ends_in_one_swedish_line(tmp_path, monkeypatch):
    monkeypatch.setattr(pe.subprocess, "run", lambda cmd, **kw: subprocess.CompletedProcess(cmd, 1))
    f = facts(externally_managed=True)
    with pytest.raises(SystemExit, match=r"^fel: kunde inte skapa .*\.venv .*är mappen skrivbar\?.*kod 1"):
        pe.carry_out(pe.decide(f, str(tmp_path)), f, str(tmp_path))


def test_an_empty_folder_is_no_module(tmp_path, monkeypatch):
    """A leftover empty `ensurepip/` folder imports as a namespace package: not ensurepip."""
    (tmp_path / "vr_tom_mapp").mkdir()
    monkeypatch.syspath_prepend(str(tmp_path))
    assert pe._has_module("vr_tom_mapp") is False
    assert pe._has_module("json") is True and pe._has_module("vr_finns_inte") is False


def _plan(python: str, project: Path) -> dict:
    out = subprocess.run([python, str(SCRIPT), "--plan", "--project", str(project)], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout)


def test_this_interpreter_is_detected_as_it_is(tmp_path):
    """The interpreter running the tests (pyenv's in CI, or a venv): never externally managed
    in a venv; otherwise exactly when its stdlib holds the marker."""
    got = _plan(sys.executable, tmp_path)
    in_venv = sys.prefix != sys.base_prefix
    marker = Path(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED").is_file()
    assert got["facts"]["in_venv"] is in_venv
    assert got["facts"]["externally_managed"] is (marker and not in_venv)
    assert got["plan"]["action"] == ("create" if got["facts"]["externally_managed"] else "use")
    assert not (tmp_path / ".venv").exists()  # --plan changes nothing


@pytest.mark.skipif(not Path("/usr/lib/python3/dist-packages").is_dir() or not Path("/usr/bin/python3").exists(),
                    reason="no Debian system Python here")
def test_debian_system_python_gets_a_project_venv(tmp_path):
    """Debian 12's /usr/bin/python3 carries the marker: the plan is a .venv in the project."""
    got = _plan("/usr/bin/python3", tmp_path)
    if not Path(got["facts"]["executable"]).resolve().is_relative_to(Path("/usr/bin")):
        pytest.skip("/usr/bin/python3 is not the system's")
    assert got["facts"]["externally_managed"] is True
    assert got["plan"]["action"] in ("create", "error")
    if got["plan"]["action"] == "create":
        assert got["plan"]["python"] == str(tmp_path / ".venv" / "bin" / "python")
    else:  # python3.11-venv missing and not root
        assert "apt-get install python3." in got["plan"]["message"]
    assert not (tmp_path / ".venv").exists()


def test_shell_side_picks_the_interpreter_and_names_a_missing_one():
    env = {**os.environ, "PYTHON": sys.executable}
    out = subprocess.run(["bash", "-c", "set -euo pipefail; source scripts/python_env.sh; echo \"$PY\""], cwd=REPO,
                         env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    # In a venv, or the interpreter itself (or the worktree's own .venv when one exists).
    assert out.stdout.strip() in (sys.executable, str(REPO / ".venv" / "bin" / "python"))
    env["PYTHON"] = "/nonexistent/python3"
    out = subprocess.run(["bash", "-c", "source scripts/python_env.sh"], cwd=REPO, env=env, capture_output=True,
                         text=True)
    assert out.returncode == 1 and "hittar inte /nonexistent/python3" in out.stderr
