"""One tenant's report as one task: what a batch worker runs.

:func:`run_tenant` calls :func:`planner.report.runner.build_report`, the function ``planner report``
calls, so a tenant's report from a batch is the report ``planner report`` writes for the same
parameters. A worker keeps one report kernel for every tenant it takes (:func:`worker_kernel`):
started with the first, it has the notebooks' imports done once and returns to its baseline
before each notebook, so a tenant reads the same as in its own ``planner report``. Errors the user can act on (bad input, a failing notebook) are caught and returned
as a ``failed`` outcome: they would fail again on any worker, so they are not retried and do
not stop the other tenants. Anything else (a bug, a dying kernel) propagates, so that the
scheduler can retry the task.

The outcome also says where the time went, from papermill's per-cell timings and the report's
step lines: kernel start-up (on a kept kernel: returning it to its baseline, and papermill's
own work), the simulation cells, the other cells, and the rendering (HTML, workbook).
"""

from __future__ import annotations

import atexit
import json
import re
import time
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from planner import text, validate
from planner.errors import EXIT_ALERT, PlannerError
from planner.plan import PlanRequest
from planner.report.kernel import Kernel
from planner.report.notebooks import PATH_PARAMETERS
from planner.report.runner import build_report

__all__ = [
    "ENTRY_KEYS",
    "STATUSES",
    "outcome_from_summary",
    "run_tenant",
    "timings",
    "worker_kernel",
]

#: a tenant's status in the index, most urgent first
STATUSES: tuple[str, ...] = ("failed", "alert", "act", "ok")

#: the keys of an index entry, in order
ENTRY_KEYS: tuple[str, ...] = (
    "name",
    "status",
    "exit_code",
    "verdict",
    "why",
    "worker",
    "runway_days",
    "recommendation",
    "error",
    "seconds",
    "timings",
)

#: a funding-plan cell whose source holds one of these is simulation work
_SIMULATION_CALLS = ("recommend(", ".run()", "engine.paths(", "engine.simulate(", "lot_forfeiture(")


def worker_address() -> str | None:
    """The address of the Dask worker running the current task (``None`` outside one)."""
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return None


@cache
def worker_kernel() -> Kernel:
    """The report kernel this process keeps for every tenant it takes (started by the first
    tenant whose inputs pass the checks, replaced if it dies, killed when the process exits)."""
    kernel = Kernel()
    atexit.register(kernel.shutdown, wait=False)
    return kernel


def run_tenant(name: str, parameters: Mapping[str, Any], out_dir: str) -> dict[str, Any]:
    """Build one tenant's report into ``out_dir``; return its index entry.

    Returns
    -------
    dict
        ``name``, ``status`` (``ok``, ``alert`` or ``failed``), ``exit_code``, ``verdict``
        (the report's status line in words: why OK or ALERT), ``why`` (what that line is
        written from: the verdict's reasons, the runway, the current settings' risk, the
        post-paid bill), ``worker``,
        ``runway_days``, ``recommendation``, ``error``, ``seconds`` and ``timings``.
    """
    steps: list[tuple[float, str]] = []
    started = time.perf_counter()
    entry: dict[str, Any] = {"name": name, "worker": worker_address()}
    executed: Path | None = None
    try:
        # the checks and the builder `planner report` runs, in the same order, their errors
        # in the language of the tenant's report (the language is checked with the tenants)
        with text.language(parameters.get("lang")):
            inputs = [parameters.get(name) for name in sorted(PATH_PARAMETERS)]
            flat = [p for v in inputs for p in (v if isinstance(v, list) else [v])]
            validate.check_output_folder(flat, "--out", out_dir)
            PlanRequest.from_report_params(parameters)
        result = build_report(
            parameters,
            out_dir,
            progress=False,
            log=lambda message: steps.append((time.perf_counter(), message)),
            kernel=worker_kernel(),
        )
    except PlannerError as exc:
        entry.update(status="failed", exit_code=exc.exit_code, error=str(exc))
        entry.update(runway_days=None, recommendation=None, verdict=None, why=None)
    else:
        entry.update(outcome_from_summary(result.summary, result.exit_code))
        executed = Path(out_dir) / "notebooks"
    ended = time.perf_counter()
    entry["seconds"] = round(ended - started, 3)
    entry["timings"] = timings(steps, started, ended, executed)
    return {key: entry.get(key) for key in ENTRY_KEYS}


def outcome_from_summary(summary: Mapping[str, Any], exit_code: int) -> dict[str, Any]:
    """Status, runway and recommendation of a finished report, from its ``summary.json``."""
    rec = summary.get("recommendation", {})
    runway = rec.get("runway_days")
    line = str((summary.get("alert") or {}).get("status") or "")
    verdict = re.sub(r"^planner: (OK|ACT|ALERT)\s*", "", line)  # the reasons, without the tag
    level = (summary.get("verdict") or {}).get("level")
    return {
        "status": str(level).lower() if level else ("alert" if exit_code == EXIT_ALERT else "ok"),
        "exit_code": int(exit_code),
        "verdict": verdict or None,
        "why": {  # what the verdict is written from, for the portfolio's own language
            "reasons": list((summary.get("verdict") or {}).get("reasons") or []),
            "runway": runway if isinstance(runway, Mapping) else None,
            "current_p": (rec.get("current") or {}).get("p_stockout"),
            "bill": _bill(rec.get("postpaid")),
        },
        "runway_days": runway.get("median") if isinstance(runway, Mapping) else None,
        "recommendation": {
            "currency": rec.get("currency"),
            "initial": rec.get("initial"),
            "recharge_amount": rec.get("recharge_amount"),
            "threshold": rec.get("threshold"),
            "p_stockout": rec.get("p_stockout"),
        },
        "error": None,
    }


def _bill(postpaid: Any) -> list | None:
    """A post-paid tenant's ``[bill over the coming months, months]`` (None when prepaid)."""
    if not isinstance(postpaid, Mapping) or postpaid.get("bill_total") is None:
        return None
    return [postpaid["bill_total"], postpaid["bill_months"]]


def timings(
    steps: list[tuple[float, str]], started: float, ended: float, notebooks: Path | None
) -> dict[str, float]:
    """Seconds spent starting kernels, simulating, running other cells and rendering.

    ``steps`` are the report's step lines with their times; a notebook's step minus its
    cells' run time (papermill's cell metadata) is kernel start-up and papermill's own work.
    ``notebooks`` is the folder of the executed notebooks (``None`` after a failure: a failed
    notebook's time counts as cells).
    """
    marks = [*steps, (ended, "")]
    out = {"kernel_start": 0.0, "simulation": 0.0, "other_cells": 0.0, "rendering": 0.0}
    out["checks"] = (marks[0][0] - started) if steps else ended - started
    for (t0, message), (t1, _) in zip(marks, marks[1:], strict=False):
        if "running notebook" in message:
            name = message.split("running notebook", 1)[1].split()[0]
            cells = _cell_seconds(notebooks / f"{name}.ipynb") if notebooks else None
            if cells is None:
                out["other_cells"] += t1 - t0
                continue
            out["kernel_start"] += max(0.0, (t1 - t0) - cells["simulation"] - cells["other"])
            out["simulation"] += cells["simulation"]
            out["other_cells"] += cells["other"]
        else:
            out["rendering"] += t1 - t0
    return {k: round(v, 3) for k, v in out.items()}


def _cell_seconds(path: Path) -> dict[str, float] | None:
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    out = {"simulation": 0.0, "other": 0.0}
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        seconds = float((cell.get("metadata", {}).get("papermill") or {}).get("duration") or 0)
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        kind = "simulation" if any(c in source for c in _SIMULATION_CALLS) else "other"
        out[kind] += seconds
    return out
