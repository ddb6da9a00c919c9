"""Inside a report kernel: the imports done once, and the state it returns to between notebooks.

A kernel that runs notebook after notebook (:class:`planner.report.kernel.Kernel`) imports
what the report notebooks import once (:func:`preload`), records the state a fresh kernel
has (:func:`save_baseline`), and before each notebook puts it back (:func:`restore_baseline`):
an empty namespace and execution counter, no open figure and matplotlib's settings as they
were, the warning filters, numpy's error handling, the environment, ``sys.path``, the working
folder and the language. What a notebook leaves behind (variables, a changed setting, a
language) is gone before the next one starts, so a notebook reads the same in a kept kernel
as in a new one.

This module runs in the kernel, never in the runner: it imports nothing heavy at import time.
"""

from __future__ import annotations

import copy
import importlib
import os
import sys
import warnings
from typing import Any

#: what the report notebooks import (their first cell), imported once per kernel
PRELOAD: tuple[str, ...] = (
    "IPython.display",
    "planner.alerts",
    "planner.analysis",
    "planner.engine",
    "planner.ingest",
    "planner.inputs",
    "planner.plan",
    "planner.plots",
    "planner.recommend",
    "planner.report",
    "planner.text",
    "matplotlib.pyplot",
)

_BASELINE: dict[str, Any] = {}


def preload(modules: tuple[str, ...] = PRELOAD) -> None:
    """Import ``modules`` and load the engine's compiled kernels from their cache."""
    for name in modules:
        importlib.import_module(name)
    if "planner.engine" in modules:
        _load_engine_kernels()


def _load_engine_kernels() -> None:
    """Run the engine once on a tiny input: numba loads its cached machine code on first call
    (a second or so), once per kernel instead of once per notebook."""
    import numpy as np
    import pandas as pd

    from planner import engine

    demand = np.ones((2, 3))
    policy = engine.Policy(initial=5.0, recharge_amount=5.0, threshold=1.0)
    engine.paths(demand, "2025-01-01", policy)
    grid = pd.DataFrame({"initial": [5.0], "recharge_amount": [5.0], "threshold": [1.0]})
    engine.sweep(demand, "2025-01-01", grid.assign(lead_days=1))


def save_baseline() -> None:
    """Record the state every notebook starts from (call once, after :func:`preload`)."""
    import numpy as np

    _BASELINE.update(
        environ=dict(os.environ),
        path=list(sys.path),
        warnings=list(warnings.filters),
        numpy_errors=np.geterr(),
    )
    if "matplotlib" in sys.modules:
        import matplotlib

        _BASELINE["rc"] = copy.deepcopy(dict(matplotlib.rcParams))
        _BASELINE["backend"] = matplotlib.get_backend()


def restore_baseline(cwd: str) -> None:
    """Return the kernel to its baseline and work in ``cwd``: the next notebook finds the
    kernel as a new one would be (see the module's description)."""
    import numpy as np

    from planner import text

    os.chdir(cwd)  # first: the last notebook's folder is gone with its report
    shell = _shell()
    if shell is not None:
        shell.reset(new_session=True)  # the namespace, the output cache, the counter at 1
    _restore_matplotlib()
    os.environ.clear()
    os.environ.update(_BASELINE["environ"])
    sys.path[:] = _BASELINE["path"]
    _restore_warning_filters(_BASELINE["warnings"])
    np.seterr(**_BASELINE["numpy_errors"])
    text.set_language(text.DEFAULT_LANGUAGE)


def _restore_matplotlib() -> None:
    if "matplotlib.pyplot" not in sys.modules:
        return
    import matplotlib
    import matplotlib.pyplot as plt

    plt.close("all")
    if "rc" not in _BASELINE:  # matplotlib was first imported by a notebook
        return
    if matplotlib.get_backend() != _BASELINE["backend"]:
        plt.switch_backend(_BASELINE["backend"])
    settings = {k: v for k, v in _BASELINE["rc"].items() if k != "backend"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecated keys warn when set, even to themselves
        matplotlib.rcParams.update(settings)


def _restore_warning_filters(filters: list) -> None:
    warnings.filters[:] = filters  # type: ignore[index]
    # what ``warnings.catch_warnings`` does on exit: forget which warnings were already shown
    mutated = getattr(warnings, "_filters_mutated", None)
    if mutated is not None:
        mutated()


def _shell() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()
