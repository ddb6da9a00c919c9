"""Column words and cell formats shared by the notebooks' tables and the workbook.

A column's name says what it holds (``*_cents`` exact cents, ``p_*`` a probability, ...):
:func:`column_kind` reads it, :func:`header` writes it in words of the language in use with the
currency, :func:`cell_formatter` formats its cells through :mod:`planner.text`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pandas as pd

from planner import text
from planner.text import N_, t

#: artifact table -> (sheet name, money columns in currency units); in workbook order
WORKBOOK_SHEETS: dict[str, tuple[str, tuple[str, ...]]] = {
    "monthly_usage": (N_("Monthly usage"), ()),
    "daily_demand": (N_("Daily credit demand"), ("demand",)),
    "alternatives": (
        N_("Policy alternatives"),
        (
            "initial",
            "recharge_amount",
            "threshold",
            "expected_forfeited",
            "expected_purchased",
            "mean_balance",
            "cost",
            "added_forfeiture",
        ),
    ),
    "monthly_forecast": (N_("Monthly spend forecast"), ()),
    "monthly_bill": (N_("Monthly bill forecast"), ()),
    "expiry_schedule": (
        N_("Expiry schedule"),
        ("amount", "expected_forfeit", "forfeit_p5", "forfeit_p50", "forfeit_p95"),
    ),
    "spend_limits": (
        N_("Per-user spend limits"),
        ("limit", "blocked_spend", "capped_alert_spend"),
    ),
    "emails": (N_("E-mails, typical scenario"), ("amount",)),
    "alerts": (N_("Alerts"), ()),
}


_HEADERS = {
    "cost": N_("Expected cost"),
    "calls": N_("Calls"),
    "credit_calls": N_("Calls paid from credits"),
    "minutes": N_("Minutes"),
    "destination": N_("Destination"),
    "number": N_("Number"),
    "share": N_("Share"),
    "user_display_name": N_("User"),
    "format": N_("Export format"),
    "records": N_("Calls kept"),
    "duplicates": N_("Duplicates"),
    "rejected": N_("Rejected"),
    "period_start": N_("First call"),
    "period_end": N_("Last call"),
    "option": N_("Option"),
    "added_forfeiture": N_("Forfeiture added by the policy"),
    "email": N_("E-mail"),
    "amount": N_("Amount"),
    "purchase_date": N_("Purchase date"),
    "month": N_("Month"),
    "file": N_("File"),
    "reason": N_("Reason"),
    "rows": N_("Rows"),
    "credit_cents": N_("Credit spend"),
    "amount_cents": N_("Credit demand"),
    "credit_change_cents": N_("Change in credit spend"),
    "credit_change_pct": N_("Change in credit spend %"),
    "minutes_change_pct": N_("Change in minutes %"),
    "p_stockout": N_("Stock-out probability"),
    "p_expire": N_("Probability a lot loses funds"),
    "p_forfeit": N_("Probability of a loss"),
    "date": N_("Date"),
    "expected_forfeited": N_("Expected forfeiture (with today's)"),
    "expected_expired": N_("Expected to expire unused"),
    "expected_forfeit": N_("Expected to expire unused"),
    "expected_purchased": N_("Expected purchases"),
    "expected_recharges": N_("Expected recharges"),
    "recharges_per_month": N_("Recharges per month"),
    "mean_balance": N_("Mean balance"),
    "recharge_amount": N_("Recharge amount"),
    "threshold": N_("Recharge below (trigger)"),
    "initial": N_("Add now"),
    "auto_recharge": N_("Auto-recharge"),
    "credit_minutes": N_("Minutes paid from credits"),
    "severity": N_("Severity"),
    "kind": N_("Alert"),
    "first_date": N_("First day"),
    "last_date": N_("Last day"),
    "country": N_("Country"),
    "runway_days_at_this_rate": N_("Runway at this rate (days)"),
    "explanation": N_("Explanation"),
    "usage_ids": N_("Calls (UsageId)"),
    "upn": N_("User (UPN)"),
    "cents": N_("Credit spend"),
    "payg_cents": N_("Pay-as-you-go"),
    "domestic_overage_cents": N_("Domestic overage"),
    "conference_dial_out_cents": N_("Conference dial-out"),
    "toll_free_cents": N_("Toll-free"),
    "first_day": N_("First day"),
    "last_day": N_("Last day"),
    "days": N_("Days"),
    "expected_cents": N_("Expected"),
    "upper90_cents": N_("90% upper bound"),
    "upper99_cents": N_("99% upper bound"),
    "p_over_budget": N_("Chance above the monthly budget"),
}


#: table -> column -> header, where a table's column means more than the column name says
_TABLE_HEADERS = {
    "expiry_schedule": {"date": N_("Expiry date")},
    "spend_limits": {
        "policy": N_("Calling policy"),
        "limit": N_("Limit a user a month"),
        "blocked_user_months": N_("User-months blocked"),
        "legitimate_blocked": N_("Of them legitimate"),
        "blocked_users": N_("Users blocked"),
        "blocked_calls": N_("Calls blocked"),
        "blocked_minutes": N_("Minutes blocked"),
        "days_lost": N_("Days of calling lost"),
        "recommended": N_("Recommended"),
        "current": N_("Limit set today"),
        "blocked_spend": N_("Spend blocked"),
        "capped_alert_spend": N_("Flagged spend stopped"),
        "command": N_("PowerShell command"),
    },
}


def header(col: str, kind: str, currency: str | None, *, table: str = "") -> str:
    """A column's header in words of the language in use, money headers with the currency;
    ``table`` (an artifact name such as ``expiry_schedule``) for the words a column has there."""
    words = _TABLE_HEADERS.get(table, {}).get(col) or _HEADERS.get(col)
    m = re.fullmatch(r"(forfeit|expired)_p(\d+(?:\.\d+)?)", col)
    if words is not None:
        words = t(words)
    elif m:
        words = t("Forfeiture, {nth} percentile", nth=text.number(float(m.group(2))))
    else:
        base = col[: -len("_cents")] if col.endswith("_cents") else col
        words = t(base.replace("_", " ").strip().capitalize())
    if kind in ("money", "cents") and currency:
        words = f"{words} ({currency})"
    return words


def column_kind(col: str, series: pd.Series, money: tuple[str, ...]) -> str | None:
    if (col == "cents" or col.endswith("_cents")) and pd.api.types.is_integer_dtype(series):
        return "cents"
    if col in money or (
        col.startswith(("expired_p", "forfeit_p")) and pd.api.types.is_float_dtype(series)
    ):
        return "money"
    if col.endswith("_pct") or col.startswith(("p_", "share")):
        return "percent"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "month" if col == "month" else "date"
    return None


def cell_formatter(kind: str | None, series: pd.Series) -> Callable[[Any], str] | None:
    """How a table cell of this kind reads (:mod:`planner.text`), None for text as it is."""
    if kind == "cents":
        return lambda v: text.cents(v)
    if kind == "money":
        return lambda v: text.number(v, 2)
    if kind == "percent":
        return text.percent
    if kind == "date":
        return text.date
    if kind == "month":
        return text.month
    if pd.api.types.is_bool_dtype(series):
        return lambda v: t("yes") if v else t("no")
    if pd.api.types.is_integer_dtype(series):
        return lambda v: text.number(v)
    if pd.api.types.is_float_dtype(series):
        return lambda v: text.number(v, 1)
    if series.dtype == object or pd.api.types.is_string_dtype(series):
        return None
    return None
