"""An installed wheel works on its own: notebooks and the sample tenant travel inside it.

The wheel is built from the checkout, installed without dependencies into a temporary folder
(the virtual environment's own packages serve as dependencies, which keeps the test fast) and
put first on ``PYTHONPATH``; ``planner demo`` then runs from an unrelated folder, so nothing
can come from the repository.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=300, **kwargs)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path]:
    """(the built wheel, the folder it is installed into)."""
    tmp = tmp_path_factory.mktemp("wheel")
    built = _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp), str(ROOT)]
    )
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = tmp.glob("planner-*.whl")
    site = tmp / "site"
    inst = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(site),
            str(wheel),
        ]
    )
    assert inst.returncode == 0, inst.stderr[-2000:]
    return wheel, site


def test_wheel_carries_the_notebooks_and_the_sample(installed):
    wheel, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {
        p.relative_to(ROOT).as_posix()
        for folder in ("planner/notebooks", "planner/data/sample")
        for p in (ROOT / folder).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert shipped, "nothing tracked under planner/notebooks and planner/data/sample"
    assert shipped <= names, sorted(shipped - names)
    assert {"planner/notebooks/funding_plan.ipynb", "planner/data/sample/licences.csv"} <= names


@pytest.mark.slow
def test_installed_wheel_runs_the_demo_from_any_folder(installed, tmp_path):
    _, site = installed
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    # the interpreter (and so every notebook kernel, which inherits the environment) imports
    # the installed copy, not the checkout
    where = _run(
        [
            sys.executable,
            "-c",
            "import planner.report.notebooks as r; print(r.__file__, r.notebook_dir())",
        ],
        cwd=elsewhere,
        env=env,
    )
    assert where.returncode == 0, where.stderr[-2000:]
    module, notebooks = where.stdout.split()
    assert Path(module).is_relative_to(site) and Path(notebooks).is_relative_to(site)

    demo = _run(
        [sys.executable, "-m", "planner", "demo", "--out", "out", "--no-progress",
         "--scenarios", "200"],
        cwd=elsewhere,
        env=env,
    )  # fmt: skip
    assert demo.returncode in (0, 3), demo.stderr[-3000:]
    out = elsewhere / "out"
    for rel in ("funding_plan.html", "usage_analysis.html", "credits_plan.xlsx"):
        assert (out / rel).stat().st_size > 0, rel
    summary = json.loads((out / "summary.json").read_text())
    assert summary["tenant"] == "fabrikam.com"
    assert summary["alert"]["exit_code"] == demo.returncode
    assert str(site / "planner" / "data" / "sample") in demo.stderr  # the packaged sample
