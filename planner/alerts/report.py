"""The alerts as the reports show them: a Markdown section, a workbook table, a summary key.

The reports call these three functions on one :class:`~planner.alerts.run.AlertResult`, so
the funding plan, the usage analysis, the workbook's "Alerts" sheet and ``summary.json``
always hold the same findings as ``planner alerts``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from planner import text
from planner.alerts.common import money
from planner.alerts.run import AlertResult

#: at most this many alerts are listed in a report section (all are in the workbook)
SECTION_ROWS = 10

_KIND_WORDS = {
    "daily_spend": "abnormal day",
    "user_jump": "user's spend jumped",
    "new_destination": "new destination",
    "premium_rate": "premium-rate calls",
    "out_of_hours": "out-of-hours burst",
    "sequential_dialling": "sequential dialling",
    "repeated_number": "repeated number",
}


def alerts_markdown(result: AlertResult, *, only_high: bool = False) -> str:
    """A report section listing the alerts of the period, most severe first.

    With ``only_high`` the section is empty (``""``) unless some alert is high: the funding
    plan shows it near the top only when something needs acting on now.
    """
    if only_high and not result.count("high"):
        return ""
    head = "## Alerts: spend that drains the balance\n\n"
    period = f"{text.date(result.since)} to {text.date(result.last_day)}"
    if not result.alerts:
        return head + f"No abnormal credit spend found from {period}."
    counts = ", ".join(f"{result.count(s)} {s}" for s in ("high", "medium", "low"))
    lines = [head + f"From {period}: {counts}. Check the high ones first: each names the user, "
             "the destination and the calls (UsageId) in the workbook's *Alerts* sheet.\n"]  # fmt: skip
    for a in result.alerts[:SECTION_ROWS]:
        who = ", ".join(x for x in (a.upn, a.country) if x) or "tenant-wide"
        runway = ""
        if a.runway_days_at_this_rate is not None:
            runway = f" At this rate today's balance lasts {a.runway_days_at_this_rate} days."
        lines.append(
            f"- **{a.severity.upper()}** {_KIND_WORDS[a.kind]} ({who}), {a.first_date}"
            f"{'' if a.first_date == a.last_date else f' to {a.last_date}'}: "
            f"{money(a.amount_cents, a.currency)}, {a.calls} calls. {a.explanation}{runway}"
        )
    if len(result.alerts) > SECTION_ROWS:
        lines.append(f"- … and {len(result.alerts) - SECTION_ROWS} more in the workbook.")
    return "\n".join(lines)


def alerts_sheet(result: AlertResult) -> pd.DataFrame:
    """The workbook's "Alerts" table (one row per alert, ``amount`` in the currency)."""
    return result.table()


def alerts_summary(result: AlertResult) -> dict[str, Any]:
    """The ``alerts`` key of ``summary.json``: counts, status and every alert (plain JSON)."""
    doc = result.to_json()
    for alert in doc["alerts"]:
        alert["amount"] = float(alert["amount"])
    return doc
