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


def alerts_markdown(result: AlertResult, *, only_high: bool = False) -> str:
    """A report section listing the alerts of the period, most severe first.

    With ``only_high`` the section is empty (``""``) unless some alert is high: the funding
    plan shows it near the top only when something needs acting on now.
    """
    if only_high and not result.count("high"):
        return ""
    title = (
        text.t("Alerts: spend that adds to the bill")
        if result.billing == "postpaid"
        else text.t("Alerts: spend that drains the balance")
    )
    head = "## " + title + "\n\n"
    period = text.t(
        "{first} to {last}", first=text.date(result.since), last=text.date(result.last_day)
    )
    if not result.alerts:
        return head + text.t("No abnormal credit spend found from {period}.", period=period)
    counts = text.alert_counts(result.count)
    lines = [
        head
        + text.t(
            "From {period}: {counts}. Check the high ones first: each names the user, the "
            "destination and the calls (UsageId) in the workbook's *Alerts* sheet.",
            period=period,
            counts=counts,
        )
        + "\n"
    ]
    for a in result.alerts[:SECTION_ROWS]:
        who = ", ".join(x for x in (a.upn, a.country) if x) or text.t("tenant-wide")
        runway = ""
        if a.runway_days_at_this_rate is not None:
            runway = " " + text.alert_runway(a.runway_days_at_this_rate, result.billing)
        dates = str(a.first_date)
        if a.first_date != a.last_date:
            dates = text.t("{first} to {last}", first=a.first_date, last=a.last_date)
        lines.append(
            f"- **{text.alert_severity(a.severity).upper()}** {text.alert_kind(a.kind)} "
            f"({who}), {dates}: {money(a.amount_cents, a.currency)}, "
            f"{text.nt('{n} call', '{n} calls', a.calls)}. {a.explanation}{runway}"
        )
    if len(result.alerts) > SECTION_ROWS:
        lines.append(
            text.t("- … and {n} more in the workbook.", n=len(result.alerts) - SECTION_ROWS)
        )
    return "\n".join(lines)


def alerts_sheet(result: AlertResult) -> pd.DataFrame:
    """The workbook's "Alerts" table (one row per alert, ``amount`` in the currency), its
    severities and kinds in words of the language."""
    table = result.table()
    if len(table):
        table = table.assign(
            severity=table["severity"].map(text.alert_severity),
            kind=table["kind"].map(text.alert_kind),
        )
    return table


def alerts_summary(result: AlertResult) -> dict[str, Any]:
    """The ``alerts`` key of ``summary.json``: counts, status and every alert (plain JSON)."""
    doc = result.to_json()
    for alert in doc["alerts"]:
        alert["amount"] = float(alert["amount"])
    return doc
