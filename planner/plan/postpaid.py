"""Post-paid tenants (Microsoft Customer Agreement): no credits to buy, a bill after use.

Microsoft's rule (``docs/billing.md``): credits cannot be bought on MCA Calling and Audio
Conferencing subscriptions; the remaining balance is used first, then usage is billed after
the fact; auto-recharge must be off, or the balance refills itself and post-usage billing never
starts. So a post-paid plan recommends no recharge: it says when today's credits run out and
the bill to expect, from the same scenarios as a prepaid plan.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["DAYS_PER_MONTH", "postpaid_outlook"]

#: mean days in a month (a bill is monthly)
DAYS_PER_MONTH = 365.25 / 12


def postpaid_outlook(rec: Any) -> dict[str, Any]:
    """When today's credits run out and the monthly bill to expect.

    Parameters
    ----------
    rec : planner.recommend.Recommendation
        Its scenarios and, with today's lots, its position.

    Returns
    -------
    dict
        ``balance`` (today's credits, None when not given), ``credits_run_out`` (the median
        day they are used up, when post-usage billing starts; None beyond the horizon or
        without lots), ``monthly_bill`` (the scenarios' mean spend per month of the horizon)
        and ``monthly_bill_p95`` (the 95th percentile over the scenarios).
    """
    sc = rec.scenarios
    per_month = sc.paths.sum(axis=1) / sc.horizon_days * DAYS_PER_MONTH
    pos = rec.position
    return {
        "balance": None if pos is None else float(pos["balance"]),
        "credits_run_out": None if pos is None else pos["depletion_date"],
        "monthly_bill": float(per_month.mean()),
        "monthly_bill_p95": float(np.quantile(per_month, 0.95)),
    }
