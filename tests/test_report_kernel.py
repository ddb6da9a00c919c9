"""A kept report kernel: notebook after notebook, nothing of one reaches the next, a dead
kernel is replaced, papermill's semantics (parameters, saved notebook on failure) unchanged."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest

from planner.errors import NotebookFailed
from planner.report.kernel import Kernel

#: what a notebook may leave behind in a kernel: a variable, a language, matplotlib settings
#: and figures, warning filters, numpy's error handling, the environment, sys.path, the folder
LITTER = """\
import os, sys, warnings
import numpy as np
import matplotlib
import matplotlib.pyplot as plt
from planner import text
left_behind = 1
text.set_language("fr")
matplotlib.rcParams["lines.linewidth"] = 7.5
plt.figure()
warnings.simplefilter("error")
np.seterr(all="raise")
os.environ["PLANNER_LEFT_BEHIND"] = "1"
sys.path.append("/left/behind")
os.chdir("/")
"""

#: what a notebook finds when it starts, printed as one JSON line
LOOK = """\
import json, os, sys, warnings
import numpy as np
import matplotlib
import matplotlib.pyplot as plt
from planner import text
print(json.dumps({
    "names": sorted(n for n in globals() if not n.startswith("_")),
    "x": x,
    "language": text.current_language(),
    "linewidth": matplotlib.rcParams["lines.linewidth"],
    "figures": plt.get_fignums(),
    "backend": matplotlib.get_backend(),
    "warnings": len(warnings.filters),
    "numpy": np.geterr(),
    "environ": "PLANNER_LEFT_BEHIND" in os.environ,
    "path": "/left/behind" in sys.path,
    "cwd": os.getcwd(),
}))
"""


def _notebook(path: Path, *cells: str, parameters: str = "x = 0") -> Path:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(parameters)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params] + [nbformat.v4.new_code_cell(c) for c in cells]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


def _seen(executed: Path) -> tuple[dict, list]:
    """What the LOOK cell printed, and the cells' execution counts."""
    nb = nbformat.read(executed, as_version=4)
    printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
    return json.loads(printed.strip().splitlines()[-1]), counts


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("kept")
    return {
        "litter": _notebook(root / "litter.ipynb", LITTER),
        "look": _notebook(root / "look.ipynb", "y = x + 1", LOOK),
        "fail": _notebook(root / "fail.ipynb", "raise ValueError('no')", "print('not run')"),
        "die": _notebook(root / "die.ipynb", "import os\nos._exit(1)"),
    }


def test_a_kept_kernel_forgets_each_notebook(notebooks, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    with Kernel(preload=("matplotlib.pyplot", "planner.text")) as kernel:
        kernel.execute(notebooks["look"], tmp_path / "fresh.ipynb", {"x": 4}, cwd=work)
        kernel.execute(notebooks["litter"], tmp_path / "litter.ipynb", {}, cwd=work)
        kernel.execute(notebooks["look"], tmp_path / "after.ipynb", {"x": 5}, cwd=work)
        assert kernel.starts == 1
    fresh, fresh_counts = _seen(tmp_path / "fresh.ipynb")
    after, after_counts = _seen(tmp_path / "after.ipynb")
    assert fresh["x"] == 4 and after["x"] == 5  # the injected parameters
    assert {**after, "x": 4} == fresh
    assert "left_behind" not in after["names"] and after["language"] == "en"
    assert after["cwd"] == str(work) and after["figures"] == []
    assert after_counts == fresh_counts == [1, 2, 3, 4]  # as in a new kernel


def test_a_failed_cell_keeps_the_kernel_and_saves_the_notebook(notebooks, tmp_path):
    with Kernel(preload=()) as kernel:
        with pytest.raises(NotebookFailed, match="failed in cell 2: ValueError: no") as info:
            kernel.execute(notebooks["fail"], tmp_path / "fail.ipynb", {}, cwd=tmp_path)
        assert info.value.ename == "ValueError"
        saved = nbformat.read(tmp_path / "fail.ipynb", as_version=4)
        assert any(
            o.get("ename") == "ValueError" for c in saved.cells for o in c.get("outputs", [])
        )
        kernel.execute(notebooks["look"], tmp_path / "look.ipynb", {"x": 1}, cwd=tmp_path)
        assert kernel.starts == 1
    assert _seen(tmp_path / "look.ipynb")[0]["x"] == 1


def test_a_dead_kernel_is_replaced(notebooks, tmp_path):
    with Kernel(preload=()) as kernel:
        with pytest.raises(NotebookFailed, match="could not run"):
            kernel.execute(notebooks["die"], tmp_path / "die.ipynb", {}, cwd=tmp_path)
        kernel.execute(notebooks["look"], tmp_path / "look.ipynb", {"x": 2}, cwd=tmp_path)
        assert kernel.starts == 2
    seen, counts = _seen(tmp_path / "look.ipynb")
    assert seen["x"] == 2 and counts == [1, 2, 3, 4]


NICENESS = """\
import json, os, threading
seen = {}
def worker():
    seen["thread"] = os.getpriority(os.PRIO_PROCESS, 0)
t = threading.Thread(target=worker)
t.start()
t.join()
print(json.dumps({"process": os.nice(0), **seen}))
"""


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="POSIX scheduling priorities")
def test_a_kernel_off_the_critical_path_runs_nicer_and_so_does_its_successor(notebooks, tmp_path):
    ours = os.nice(0)
    look = _notebook(tmp_path / "nice.ipynb", NICENESS)
    with Kernel(preload=(), niceness=5) as kernel:
        kernel.execute(look, tmp_path / "first.ipynb", {}, cwd=tmp_path)
        with pytest.raises(NotebookFailed, match="could not run"):
            kernel.execute(notebooks["die"], tmp_path / "die.ipynb", {}, cwd=tmp_path)
        kernel.execute(look, tmp_path / "second.ipynb", {}, cwd=tmp_path)
        assert kernel.starts == 2
    for name in ("first", "second"):
        nb = nbformat.read(tmp_path / f"{name}.ipynb", as_version=4)
        printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
        seen = json.loads(printed.strip().splitlines()[-1])
        assert seen == {"process": min(ours + 5, 19), "thread": min(ours + 5, 19)}


def test_a_kernel_killed_while_it_prepares_frees_its_thread(tmp_path):
    """A kernel shut down mid-preload (a command whose input was refused) must not keep its
    thread, and so the command's exit, waiting for an answer that will never come."""
    import threading

    from planner.report import kernel as kernel_module

    kernel = Kernel(preload=())
    kernel._pool.submit(kernel._ensure_started).result()  # running, at its baseline
    job = kernel._pool.submit(kernel._run, "import time\ntime.sleep(600)")  # a long preload
    threading.Event().wait(1)
    kernel.shutdown(wait=False)
    # well before START_TIMEOUT: the wait checks every second whether the kernel still lives
    error = job.exception(timeout=kernel_module.START_TIMEOUT / 4)
    assert error is not None and "stopped" in str(error)
