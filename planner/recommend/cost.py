"""The planning cost of a funding policy and the constants it rests on.

``cost = forfeited + holding_rate x mean balance x plan_days / 365 + recharge_overhead x
(purchases - carried)`` (``docs/credit-model.md`` §3): :func:`policy_cost` is the one place
it is computed, :data:`COST_FORMULA` the one place it is stated to the user (in English; the
text layer translates it, :data:`planner.text.catalogue.CONSTANTS`).
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
    "(first purchase and recharges, less the share of a recharge amount still in the balance "
    "when the plan ends)"
)
#: explicit floor on the recharge amount in days of mean demand (0: none, the default)
MIN_RECHARGE_DAYS = 0.0
#: days of demand after the horizon: every lot bought in the plan is used or expired by then
#: (12 months live at most 366 days; plus the lead time of a last order)
TAIL_DAYS = 367
#: share of simulated years without a stock-out day a plan aims for
DEFAULT_SERVICE_LEVEL = 0.99
#: a pessimistic runway shorter than this many days (and the lead time) means "act now"
DEFAULT_ALERT_DAYS = 14


def policy_cost(
    table: pd.DataFrame,
    *,
    holding_rate: float,
    recharge_overhead: float,
    plan_days: int,
    carry_over: bool = True,
) -> pd.DataFrame:
    """The planning cost of evaluated policies: the one place the formula lives.

    ``cost = forfeited + holding_rate x mean_balance x plan_days / 365 + recharge_overhead x
    (purchases - carried)``, where ``purchases`` = recharges + 1 when the first purchase is
    above 0 and ``carried`` = the balance at the end of the plan over the recharge amount
    (auto-recharge policies; 0 with ``carry_over=False``).

    Why ``carried``: over a finite plan the invoices are whole, so a lot of half a year and
    a lot of most of a year both take the first purchase and one recharge in a year, but the
    bigger one leaves most of a lot for the next year, an invoice it will not pay. Without
    the credit the plan cannot tell them apart and a tenant whose invoices are dear (and
    whose holding is free) is sold lots half the size that are cheapest. What is left and
    later expires is in ``forfeited`` already (the scenarios' tail days).

    Parameters
    ----------
    table : pd.DataFrame
        :func:`planner.engine.sweep` output (``forfeited``, ``mean_balance``,
        ``end_balance``, ``recharges``, ``initial``, ``recharge_amount``, ``auto_recharge``).
    holding_rate : float
        Yearly cost of money held.
    recharge_overhead : float
        Cost of one purchase invoice.
    plan_days : int
        Days of the plan (the mean balance is held that long).
    carry_over : bool
        Credit the balance left at the end of the plan (the planning cost); False counts
        the invoices paid only (a backtest's realised cost over its whole replay).

    Returns
    -------
    pd.DataFrame
        ``table`` with ``purchases``, ``carried``, ``holding_cost``, ``recharge_cost`` and
        ``cost``.
    """
    purchases = table["recharges"] + (table["initial"] > 0).astype(float)
    carried = pd.Series(0.0, index=table.index)
    if carry_over:
        auto = table.get("auto_recharge", pd.Series(True, index=table.index)).astype(bool)
        q = table["recharge_amount"].where(auto & (table["recharge_amount"] > 0))
        carried = (table["end_balance"] / q).fillna(0.0)
    holding = holding_rate * table["mean_balance"] * plan_days / 365.0
    overhead = recharge_overhead * (purchases - carried)
    return table.assign(
        purchases=purchases,
        carried=carried,
        holding_cost=holding,
        recharge_cost=overhead,
        cost=table["forfeited"] + holding + overhead,
    )
