"""Checks that a recommendation is right, shared by the synthetic and sample-tenant tests."""

from __future__ import annotations

import math

import pandas as pd

from planner.engine import sweep
from planner.scenarios import make_scenarios


def assert_meets_service_level_on_fresh_scenarios(rec, history, *, seed: int, n: int = 4000):
    """Re-simulated on ``n`` new scenarios, the policy meets 99% within Monte Carlo error."""
    fresh = make_scenarios(history, n_scenarios=n, seed=seed)
    table = pd.DataFrame([rec.policy.__dict__])
    p = sweep(fresh.paths, fresh.start, table, quantiles=())["p_stockout"].iloc[0]
    se = math.sqrt(0.01 * 0.99 / rec.scenarios.n_scenarios) + math.sqrt(0.01 * 0.99 / n)
    assert p <= 0.01 + 2.5 * se


def assert_no_clearly_cheaper_feasible_policy(rec, recharge_amounts, thresholds):
    """No policy of the grid (lead 1 day, 5% holding rate) is feasible and >5% cheaper."""
    sc = rec.scenarios
    grid = pd.DataFrame(
        [
            {"initial": q, "recharge_amount": q, "threshold": s, "lead_days": 1}
            for q in recharge_amounts
            for s in thresholds
        ]
    )
    out = sweep(sc.paths, sc.start, grid, quantiles=())
    cost = out["expired"] + 0.05 * out["mean_balance"] * sc.horizon_days / 365
    feasible = out["p_stockout"] <= 0.01
    assert feasible.any()
    assert cost[feasible].min() >= 0.95 * rec.cost
