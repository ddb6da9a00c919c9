"""The project's packaging stays consistent: one version, one dependency list mirrored for conda."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

import planner

ROOT = Path(__file__).resolve().parents[1]


def _name_and_spec(requirement: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement)
    assert m, requirement
    return m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "")


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_environment_yml_mirrors_pyproject():
    project = _pyproject()["project"]
    extras = project["optional-dependencies"]
    wanted = dict(
        _name_and_spec(r) for r in project["dependencies"] + [r for v in extras.values() for r in v]
    )
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "conda-forge" in env["channels"]
    conda: dict[str, str] = {}
    pip_section = None
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip_section = dep.get("pip")
            continue
        name, spec = _name_and_spec(dep)
        if name not in ("python", "pip"):
            conda[name] = spec
    assert pip_section == ["-e ."], "environment.yml must install the package with pip: - -e ."
    assert conda == wanted, (
        "pyproject.toml and environment.yml disagree: "
        f"only in pyproject {sorted(set(wanted) - set(conda))}, "
        f"only in environment.yml {sorted(set(conda) - set(wanted))}, "
        f"different pins {sorted(k for k in wanted.keys() & conda.keys() if wanted[k] != conda[k])}"
    )


def test_python_requirement_matches():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    py = [d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python")]
    assert py == [f"python{_pyproject()['project']['requires-python']}"]


def test_version_defined_once():
    assert _pyproject()["project"]["dynamic"] == ["version"]
    hits = [
        p
        for p in (ROOT / "planner").rglob("*.py")
        if re.search(r"^__version__\s*=", p.read_text(), re.M)
    ]
    assert hits == [ROOT / "planner" / "__init__.py"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", planner.__version__)


def test_cli_version_and_help(capsys):
    out = subprocess.run(
        [sys.executable, "-m", "planner", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"planner {planner.__version__}"
    helptext = subprocess.run(
        [sys.executable, "-m", "planner", "--help"], capture_output=True, text=True, check=True
    ).stdout
    from planner.cli import _load_commands, main

    for name, module in _load_commands().items():
        assert name in helptext
        flat = " ".join(helptext.split())
        assert " ".join(module.HELP.split()[:4]) in flat, f"{name}: one-line help missing"
        # each command's help in process: the entry point itself is run above
        assert main([name, "--help"]) == 0, name
        assert "usage: planner " + name in capsys.readouterr().out


def test_no_command_prints_help_and_fails():
    out = subprocess.run([sys.executable, "-m", "planner"], capture_output=True, text=True)
    assert out.returncode == 2
    assert "commands" in out.stdout
