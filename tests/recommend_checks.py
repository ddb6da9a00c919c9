"""Checks that a recommendation is right, shared by the synthetic and sample-tenant tests."""

from __future__ import annotations

import math

import pandas as pd

from planner.engine import sweep
from planner.recommend import policy_cost
from planner.scenarios import make_scenarios


def assert_meets_service_level_on_fresh_scenarios(rec, history, *, seed: int, n: int = 4000):
    """Re-simulated on ``n`` new scenarios, the policy meets 99% within Monte Carlo error."""
    fresh = make_scenarios(history, n_scenarios=n, seed=seed)
    table = pd.DataFrame([rec.policy.__dict__])
    p = sweep(fresh.paths, fresh.start, table, quantiles=())["p_stockout"].iloc[0]
    se = math.sqrt(0.01 * 0.99 / rec.scenarios.n_scenarios) + math.sqrt(0.01 * 0.99 / n)
    assert p <= 0.01 + 2.5 * se


def assert_no_clearly_cheaper_feasible_policy(rec, recharge_amounts, thresholds):
    """No policy of the grid is feasible and >5% cheaper, by the recommendation's own cost
    (forfeiture past the horizon included, first purchase an invoice) on its scenarios."""
    sc = rec.scenarios
    settings = rec.settings
    low = settings["min_amount"]  # only amounts the admin center accepts
    grid = pd.DataFrame(
        [
            {"initial": max(q, s), "recharge_amount": q, "threshold": s, "lead_days": 1}
            for q in sorted({max(low, q) for q in recharge_amounts})
            for s in sorted({max(low, s) for s in thresholds})
        ]
    )
    out = sweep(
        sc.with_tail(), sc.start, grid, quantiles=(), lots=rec.lots, plan_days=sc.horizon_days
    )
    out = policy_cost(
        out,
        holding_rate=settings["holding_rate"],
        recharge_overhead=settings["recharge_overhead"],
        plan_days=sc.horizon_days,
    )
    feasible = out["p_stockout"] <= 1 - rec.service_level
    assert feasible.any()
    assert out["cost"][feasible].min() >= 0.95 * rec.cost
