"""The funding report's billing sections: the monthly forecast (prepaid: what the balance
must fund; post-paid: the bill) and the per-user spend limits, as the notebook shows them and
as the workbook's sheets. The numbers come from :mod:`planner.billing` and
:mod:`planner.limits`; this module only lays them out."""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

from planner import text
from planner.billing import MonthlyForecast, forecast_table
from planner.limits import LimitsResult
from planner.limits.report import limits_markdown, limits_sheet
from planner.text import N_, t

__all__ = [
    "FORECAST_SHEETS",
    "RECHARGE_SECTIONS",
    "forecast_frame",
    "forecast_markdown",
    "limits_frame",
    "limits_section",
    "recharge_section",
]

#: the workbook's forecast sheet (an artifact table) by the forecast's basis
FORECAST_SHEETS = {"spend": "monthly_forecast", "bill": "monthly_bill"}

#: the funding report's sections about buying credits: a post-paid tenant buys none
RECHARGE_SECTIONS = {
    "balance": N_(
        "## Balance under the recommended settings\n\nThe balance day by day over every "
        "scenario; with the admin's current settings when given."
    ),
    "risk": N_(
        "## Forfeiture and stock-out risk\n\nFunds expiring unused, and when the balance would "
        "run dry, across the scenarios (recommended settings)."
    ),
    "frontier": N_(
        "## Cost against risk\n\nEach point is a policy the search simulated: expected cost "
        "(forfeiture + money tied up + recharge handling) against the chance of running out."
    ),
    "one_time": N_("## One-time funding\n\nWhat a single purchase without auto-recharge would do."),
    "emails": N_(
        "## The e-mails Microsoft would send\n\nOn a typical scenario (median demand) under "
        "the recommended settings."
    ),
}


def recharge_section(name: str, recharges: bool) -> str:
    """The heading and first paragraph of a section about buying credits
    (:data:`RECHARGE_SECTIONS`); empty when there are no ``recharges`` to show (a post-paid
    tenant: Microsoft sells it no credits)."""
    return t(RECHARGE_SECTIONS[name]) if recharges else ""


def forecast_markdown(forecast: MonthlyForecast) -> str:
    """The forecast section: a heading, what the months mean, and the table."""
    cur = forecast.currency
    if forecast.basis == "bill":
        lines = [
            "## " + t("The monthly bill"),
            "",
            t(
                "What each month will be billed after use: the spend today's credits no longer "
                "pay for, drawn from the plan's {n} scenarios.",
                n=text.number(forecast.n_scenarios),
            ),
        ]
    else:
        lines = [
            "## " + t("Monthly spend forecast"),
            "",
            t(
                "What the balance must fund each month, drawn from the plan's {n} scenarios.",
                n=text.number(forecast.n_scenarios),
            ),
        ]
    lines[-1] += " " + t(
        "Expected: the mean over the scenarios (the months add up to {total}); a month exceeds "
        "its 90% upper bound in one scenario in ten, its 99% one in one in a hundred.",
        total=text.cents(forecast.mean_total_cents, cur),
    )
    if forecast.monthly_budget_cents is not None:
        lines[-1] += " " + t(
            "The last column is each month's chance of exceeding the monthly budget of {budget}.",
            budget=text.cents(forecast.monthly_budget_cents, cur),
        )
    table = forecast_table(forecast)
    lines += ["", _markdown_table(table)]
    return "\n".join(lines).replace("$", "&#36;")


def _markdown_table(frame: pd.DataFrame) -> str:
    """Text cells as a Markdown table: the first column left-aligned, the others right."""
    head = "| " + " | ".join(html.escape(str(c)) for c in frame.columns) + " |"
    rule = "|---|" + "---:|" * (len(frame.columns) - 1)
    rows = ["| " + " | ".join(html.escape(str(v)) for v in row) + " |" for row in frame.values]
    return "\n".join([head, rule, *rows])


def forecast_frame(forecast: MonthlyForecast) -> dict[str, Any]:
    """The workbook's forecast sheet, ``{artifact name: table}``: one row per month with its
    days, the expected amount and the two upper bounds in exact cents, and with a budget the
    chance of exceeding it (``monthly_forecast``, or ``monthly_bill`` for a post-paid bill)."""
    m = forecast.months
    columns = ["month", "first_day", "last_day", "days", "expected_cents", "upper90_cents",
               "upper99_cents"]  # fmt: skip
    if forecast.monthly_budget_cents is not None:
        columns.append("p_over_budget")
    frame = m[columns].copy()
    return {FORECAST_SHEETS[forecast.basis]: frame}


def limits_section(limits: LimitsResult | None) -> str:
    """The spend-limits section (:func:`planner.limits.report.limits_markdown`): its
    ``$`` written as an entity outside the PowerShell lines (a code block shows its text as it
    is); without call records, why there is none."""
    if limits is None:
        return (
            "## "
            + t("Per-user spend limits")
            + "\n\n"
            + t("No call records: a spend limit is weighed on the users' calls.")
        )
    lines = []
    for line in limits_markdown(limits).splitlines():
        if not line.startswith("    "):
            line = line.replace("$", "&#36;")
        lines.append(line)
    lines.append("")
    lines.append(
        t(
            "Every user is one group here; `planner limits EXPORTS --policies users.csv` gives "
            "each calling policy its own limit, with every candidate limit replayed on the "
            "history."
        )
    )
    return "\n".join(lines)


def limits_frame(limits: LimitsResult | None) -> dict[str, pd.DataFrame]:
    """The workbook's spend-limits sheet, ``{"spend_limits": table}`` (empty without call
    records): one row per policy and candidate limit."""
    return {} if limits is None else {"spend_limits": limits_sheet(limits)}
