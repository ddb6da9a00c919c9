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

Every name is importable from ``planner.report`` itself, as the notebooks and callers use it;
the runner's are imported on first use, so a notebook kernel starts without them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from planner.report.artifacts import (
    SUMMARY_NAME,
    ReportInputs,
    json_default,
    load_artifacts,
    plan_summary,
    resolve_inputs,
    sample_parameters,
    save_artifacts,
)
from planner.report.columns import (
    WORKBOOK_SHEETS,
    cell_formatter,
    column_kind,
    header,
)
from planner.report.narrative import (
    alternatives_markdown,
    demand_markdown,
    emails_markdown,
    heading_markdown,
    key_figures_markdown,
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
    current_policy,
    email_table,
    figure_title,
    files_view,
    money_text,
    monthly_table,
    period_text,
    runway_distribution,
    show,
    table,
    tenant_label,
    typical_path,
    unavoidable_forfeiture,
)
from planner.text.plan import option_name

if TYPE_CHECKING:
    from planner.report.html_export import CSP, HIDE_TAG, render_html
    from planner.report.kernel import KERNEL_NAME, check_kernel, execute, kernel_python
    from planner.report.notebooks import (
        NOTEBOOKS,
        PATH_PARAMETERS,
        RESERVED_PARAMETERS,
        TITLES,
        _absolute_paths,
        notebook_dir,
        notebook_parameters,
        notebook_path,
        notebook_stem,
        prepare_parameters,
        translate_notebook,
    )
    from planner.report.runner import (
        ReportResult,
        _clean_stale_builds,
        build_report,
        check_exports,
    )
    from planner.report.workbook import WORKBOOK_NAME, workbook_sheets

#: the runner's names, by module, imported on first use: a notebook kernel imports this package
#: for the helpers above and need not load papermill, nbconvert and nbformat (seconds) with them
_RUNNER_NAMES: dict[str, tuple[str, ...]] = {
    "html_export": ("CSP", "HIDE_TAG", "render_html"),
    "kernel": ("KERNEL_NAME", "check_kernel", "execute", "kernel_python"),
    "notebooks": (
        "NOTEBOOKS",
        "PATH_PARAMETERS",
        "RESERVED_PARAMETERS",
        "TITLES",
        "_absolute_paths",
        "notebook_dir",
        "notebook_parameters",
        "notebook_path",
        "notebook_stem",
        "prepare_parameters",
        "translate_notebook",
    ),
    "runner": ("ReportResult", "_clean_stale_builds", "build_report", "check_exports"),
    "workbook": ("WORKBOOK_NAME", "workbook_sheets"),
}
_RUNNER = {name: module for module, names in _RUNNER_NAMES.items() for name in names}


def __getattr__(name: str) -> Any:
    """The runner's names and modules (``planner.report.runner``, ...) on first use."""
    if name in _RUNNER_NAMES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _RUNNER:
        return getattr(importlib.import_module(f"{__name__}.{_RUNNER[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CSP",
    "HIDE_TAG",
    "KERNEL_NAME",
    "NOTEBOOKS",
    "PATH_PARAMETERS",
    "RESERVED_PARAMETERS",
    "SUMMARY_NAME",
    "TITLES",
    "WORKBOOK_NAME",
    "WORKBOOK_SHEETS",
    "ReportInputs",
    "ReportResult",
    "_absolute_paths",
    "_clean_stale_builds",
    "alternatives_frame",
    "alternatives_markdown",
    "alternatives_table",
    "build_report",
    "cell_formatter",
    "check_exports",
    "check_kernel",
    "column_kind",
    "current_as_evaluated",
    "current_policy",
    "demand_markdown",
    "email_table",
    "emails_markdown",
    "execute",
    "figure_title",
    "files_view",
    "header",
    "heading_markdown",
    "json_default",
    "kernel_python",
    "key_figures_markdown",
    "load_artifacts",
    "missing_markdown",
    "money_text",
    "month_end_markdown",
    "monthly_table",
    "notebook_dir",
    "notebook_parameters",
    "notebook_path",
    "notebook_stem",
    "one_time_markdown",
    "option_name",
    "period_text",
    "plan_heading",
    "plan_markdown",
    "plan_summary",
    "position_markdown",
    "prepare_parameters",
    "quality_markdown",
    "reading_guide_markdown",
    "render_html",
    "resolve_inputs",
    "runway_distribution",
    "sample_parameters",
    "save_artifacts",
    "show",
    "table",
    "tenant_label",
    "translate_notebook",
    "typical_path",
    "unavoidable_forfeiture",
    "usage_heading",
    "usage_key_figures",
    "workbook_sheets",
]
