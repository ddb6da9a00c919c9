"""Post-paid tenants (Microsoft Customer Agreement): no credits to buy, a bill after use.

Microsoft's rule (``docs/billing.md``): credits cannot be bought on MCA Calling and Audio
Conferencing subscriptions; the remaining balance is used first, then usage is billed after
the fact; auto-recharge must be off, or the balance refills itself and post-usage billing never
starts. So a post-paid plan recommends no recharge: it says when today's credits run out and
the bill to expect, from the same scenarios as a prepaid plan (the monthly forecast of the
bill, :func:`planner.billing.monthly_forecast`, and :func:`planner.billing.credits_run_out`).
"""

from __future__ import annotations

from typing import Any

from planner.billing import MonthlyForecast, RunOut
from planner.money import units

__all__ = ["DAYS_PER_MONTH", "postpaid_outlook"]

#: mean days in a month (a bill is monthly)
DAYS_PER_MONTH = 365.25 / 12


def postpaid_outlook(forecast: MonthlyForecast, run_out: RunOut | None) -> dict[str, Any]:
    """When today's credits run out and the monthly bill to expect.

    Parameters
    ----------
    forecast : MonthlyForecast
        The monthly forecast of the bill (basis ``bill``).
    run_out : RunOut or None
        When today's lots run out; None when today's balance was not given.

    Returns
    -------
    dict
        ``balance`` (today's credits, None when not given), ``credits_run_out`` (the median
        day they are used up, when post-usage billing starts; None beyond the horizon or
        without lots), ``bill_total`` (the expected bill over the forecast months, the sum
        of the expected months), ``bill_months`` (how many), ``monthly_bill`` (that bill
        over a mean month) and ``monthly_bill_upper90`` (the costliest month's 90% upper
        bound).
    """
    m = forecast.months
    days = int(m["days"].sum())
    total = float(units(forecast.mean_total_cents))
    return {
        "balance": None if run_out is None else float(units(run_out.balance_cents)),
        "credits_run_out": None if run_out is None else run_out.median,
        "bill_total": total,
        "bill_months": len(m),
        "monthly_bill": round(total / days * DAYS_PER_MONTH, 2) if days else 0.0,
        "monthly_bill_upper90": float(units(int(m["upper90_cents"].max()))) if len(m) else 0.0,
    }
