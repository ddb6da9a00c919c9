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
...), so a notebook kernel starts without the runner's papermill and nbconvert; everything
else is imported from the module that defines it (``planner.report.runner.build_report``).
"""

from __future__ import annotations

from planner.report.artifacts import plan_summary, resolve_inputs, save_artifacts
from planner.report.billing import (
    forecast_frame,
    forecast_markdown,
    limits_frame,
    limits_section,
    recharge_section,
)
from planner.report.columns import WORKBOOK_SHEETS
from planner.report.narrative import (
    alternatives_markdown,
    demand_markdown,
    emails_markdown,
    missing_markdown,
    month_end_markdown,
    one_time_markdown,
    plan_heading,
    plan_markdown,
    position_markdown,
    quality_markdown,
    reading_guide_markdown,
    usage_heading,
    usage_key_figures,
)
from planner.report.views import (
    alternatives_frame,
    alternatives_table,
    current_as_evaluated,
    email_table,
    files_view,
    monthly_table,
    period_text,
    runway_distribution,
    show,
    table,
    tenant_label,
    typical_path,
)

#: what the notebooks call (``report.<name>``)
__all__ = [
    "WORKBOOK_SHEETS",
    "alternatives_frame",
    "alternatives_markdown",
    "alternatives_table",
    "current_as_evaluated",
    "demand_markdown",
    "email_table",
    "emails_markdown",
    "files_view",
    "forecast_frame",
    "forecast_markdown",
    "limits_frame",
    "limits_section",
    "missing_markdown",
    "month_end_markdown",
    "monthly_table",
    "one_time_markdown",
    "period_text",
    "plan_heading",
    "plan_markdown",
    "plan_summary",
    "position_markdown",
    "recharge_section",
    "quality_markdown",
    "reading_guide_markdown",
    "resolve_inputs",
    "runway_distribution",
    "save_artifacts",
    "show",
    "table",
    "tenant_label",
    "typical_path",
    "usage_heading",
    "usage_key_figures",
]
