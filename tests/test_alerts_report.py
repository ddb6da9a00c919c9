"""The alerts in the reports: Markdown section, workbook sheet, summary.json key."""

from __future__ import annotations

import datetime as dt
import json

from planner.alerts import Alert, AlertResult, Thresholds
from planner.alerts.report import alerts_markdown, alerts_sheet, alerts_summary
from planner.report.workbook import workbook_sheets

DAY = dt.date(2026, 10, 27)


def result(*severities: str) -> AlertResult:
    alerts = tuple(
        Alert(s, "premium_rate", DAY, DAY, "eve@x.com", "AT", 51235 - i, "USD", 35,
              f"finding {i}", ("id-1", "id-2"), runway_days_at_this_rate=3)
        for i, s in enumerate(severities)
    )  # fmt: skip
    return AlertResult(alerts, DAY - dt.timedelta(days=13), dt.date(2025, 10, 1), DAY,
                       Thresholds())  # fmt: skip


def test_funding_plan_section_only_when_high():
    assert alerts_markdown(result("medium", "low"), only_high=True) == ""
    text = alerts_markdown(result("high", "low"), only_high=True)
    assert text.startswith("## Alerts") and "1 high, 0 medium, 1 low" in text
    assert "**HIGH** premium-rate calls (eve@x.com, AT)" in text and "$512.35" in text
    assert "balance lasts 3 days" in text
    assert "No abnormal credit spend" in alerts_markdown(result())


def test_postpaid_section_speaks_of_the_bill():
    from dataclasses import replace

    text = alerts_markdown(replace(result("high"), billing="postpaid"))
    assert text.startswith("## Alerts: spend that adds to the bill")
    assert "credits are used up in 3 days" in text and "balance" not in text


def test_sheet_and_summary_hold_the_same_findings():
    r = result("high", "medium")
    sheet = alerts_sheet(r)
    assert sheet["credit_cents"].tolist() == [51235, 51234]
    assert str(sheet["first_date"].dtype).startswith("datetime64")
    summary = alerts_summary(r)
    json.dumps(summary)  # plain JSON
    assert [a["amount"] for a in summary["alerts"]] == [512.35, 512.34]
    assert summary["exit_code"] == 3 and summary["status"].startswith("planner: ALERT")
    sheets = workbook_sheets({"alerts": sheet}, {"currency": "USD"})
    alerts = [s for s in sheets if s.name == "Alerts"]
    assert alerts and alerts[0].formats["credit_cents"] == "cents"
    assert alerts[0].headers["credit_cents"] == "Credit spend (USD)"
