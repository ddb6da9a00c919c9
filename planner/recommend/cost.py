"""The planning cost of a funding policy and the constants it rests on.

``cost = forfeited + holding_rate x mean balance x plan_days / 365 + recharge_overhead x
purchases`` (``docs/credit-model.md`` §3): :func:`policy_cost` is the one place it is
computed, :data:`COST_FORMULA` the one place it is stated to the user (in English; the text
layer translates it, :data:`planner.text.catalogue.CONSTANTS`).
"""

from __future__ import annotations

import pandas as pd

#: smallest amount the admin center accepts for the funding, recharge amount and trigger
DEFAULT_MIN_AMOUNT = 50
#: cost of handling one purchase invoice (receive, check, approve, pay, book): published
#: accounts-payable benchmarks put it between about 2 and 15 (USD) per invoice; 10 is a
#: middle value for an organisation that handles invoices by hand
DEFAULT_RECHARGE_OVERHEAD = 10.0
#: the planning cost, as stated to the user (computed by :func:`policy_cost`)
COST_FORMULA = (
    "cost = forfeited (every lot bought in the plan, expiring after the horizon included) "
    "+ holding rate x mean balance x plan days / 365 + recharge overhead x purchases "
    "(first purchase and recharges)"
)
#: explicit floor on the recharge amount in days of mean demand (0: none, the default)
MIN_RECHARGE_DAYS = 0.0
#: days of demand after the horizon: every lot bought in the plan is used or expired by then
#: (12 months live at most 366 days; plus the lead time of a last order)
TAIL_DAYS = 367


def policy_cost(
    table: pd.DataFrame, *, holding_rate: float, recharge_overhead: float, plan_days: int
) -> pd.DataFrame:
    """The planning cost of evaluated policies: the one place the formula lives.

    ``cost = forfeited + holding_rate x mean_balance x plan_days / 365 + recharge_overhead x
    purchases``, where ``purchases`` = recharges + 1 when the first purchase is above 0.

    Parameters
    ----------
    table : pd.DataFrame
        :func:`planner.engine.sweep` output (``forfeited``, ``mean_balance``, ``recharges``,
        ``initial``).
    holding_rate : float
        Yearly cost of money held.
    recharge_overhead : float
        Cost of one purchase invoice.
    plan_days : int
        Days of the plan (the mean balance is held that long).

    Returns
    -------
    pd.DataFrame
        ``table`` with ``purchases``, ``holding_cost``, ``recharge_cost`` and ``cost``.
    """
    purchases = table["recharges"] + (table["initial"] > 0).astype(float)
    holding = holding_rate * table["mean_balance"] * plan_days / 365.0
    overhead = recharge_overhead * purchases
    return table.assign(
        purchases=purchases,
        holding_cost=holding,
        recharge_cost=overhead,
        cost=table["forfeited"] + holding + overhead,
    )
