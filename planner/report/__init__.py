"""Render the report: execute the notebooks, export code-free HTML, write the Excel workbook.

One computation feeds every output. The funding notebook, given an ``artifacts_dir``
parameter, saves the tables it shows and a ``summary.json`` (recommendation + alert status)
with :func:`save_artifacts`; the usage notebook saves its monthly table the same way. The
runner turns those artifacts into the workbook and the exit status, so nothing is computed
twice and the workbook always agrees with the HTML.

Output layout of :func:`build_report` (``out_dir``)::

    funding_plan.html          recommendation, risk, balance, expiry (for admins)
    usage_analysis.html        usage, spend, users, pools (for analysts)
    credits_plan.xlsx          summary, monthly usage, daily demand, alternatives, expiry
    summary.json               machine-readable recommendation and alert status
    notebooks/*.ipynb          the executed notebooks (with outputs)

Everything is built in a temporary folder next to ``out_dir`` and then moved into place file
by file, so a crashed or failed run never leaves a half-written report. When a notebook fails,
its executed copy is kept as ``out_dir/failed/<name>.ipynb`` and
:class:`planner.errors.NotebookFailed` (exit code 4) names the failing cell's error.

The runner and what the notebooks call live apart:

- the runner: :mod:`~planner.report.runner` (:func:`build_report`),
  :mod:`~planner.report.notebooks` (where the notebooks are, their parameters),
  :mod:`~planner.report.kernel` (papermill on this environment's kernel),
  :mod:`~planner.report.html_export`, :mod:`~planner.report.workbook`;
- what the notebooks call: :mod:`~planner.report.artifacts` (inputs, saved tables,
  ``summary.json``), :mod:`~planner.report.narrative` (their sentences),
  :mod:`~planner.report.views` (tables, charts and the values behind them);
- shared by both: :mod:`~planner.report.columns` (column words and cell formats).

``planner.report`` itself holds what the notebooks call (``report.show``, ``report.table``,
...), imported when first used: a notebook kernel starts without the runner's papermill and
nbconvert, and ``planner report`` starts its kernels before it imports pandas. Everything
else is imported from the module that defines it (``planner.report.runner.build_report``).
"""

from __future__ import annotations

import importlib
from typing import Any

# before anything here imports nbformat (papermill, nbconvert): see the module
from planner.report import _light_imports  # noqa: F401

#: what the notebooks call (``report.<name>``), and the module that defines it
_LAZY: dict[str, str] = {
    "plan_summary": "planner.report.artifacts",
    "resolve_inputs": "planner.report.artifacts",
    "save_artifacts": "planner.report.artifacts",
    "forecast_frame": "planner.report.billing",
    "forecast_markdown": "planner.report.billing",
    "limits_frame": "planner.report.billing",
    "limits_section": "planner.report.billing",
    "recharge_section": "planner.report.billing",
    "WORKBOOK_SHEETS": "planner.report.columns",
    "alternatives_markdown": "planner.report.narrative",
    "demand_markdown": "planner.report.narrative",
    "emails_markdown": "planner.report.narrative",
    "missing_markdown": "planner.report.narrative",
    "month_end_markdown": "planner.report.narrative",
    "one_time_markdown": "planner.report.narrative",
    "plan_heading": "planner.report.narrative",
    "plan_markdown": "planner.report.narrative",
    "position_markdown": "planner.report.narrative",
    "quality_markdown": "planner.report.narrative",
    "reading_guide_markdown": "planner.report.narrative",
    "usage_heading": "planner.report.narrative",
    "usage_key_figures": "planner.report.narrative",
    "alternatives_frame": "planner.report.views",
    "alternatives_table": "planner.report.views",
    "current_as_evaluated": "planner.report.views",
    "email_table": "planner.report.views",
    "files_view": "planner.report.views",
    "monthly_table": "planner.report.views",
    "period_text": "planner.report.views",
    "runway_distribution": "planner.report.views",
    "show": "planner.report.views",
    "table": "planner.report.views",
    "tenant_label": "planner.report.views",
    "typical_path": "planner.report.views",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'planner.report' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
