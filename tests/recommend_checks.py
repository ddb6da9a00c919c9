"""Checks that a recommendation is right, shared by the synthetic and sample-tenant tests."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from planner.engine import sweep
from planner.recommend import policy_cost
from planner.recommend.result import SAFER_OPTION
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


def assert_one_decision(rec) -> None:
    """The recommendation is the cheapest auto-recharge row meeting the service level, and
    each alternative's name is true of the numbers in its row."""
    alts = rec.alternatives
    target = 1 - rec.service_level
    mine = alts.iloc[0]
    assert mine["option"] == "recommended"
    assert mine["cost"] == pytest.approx(rec.cost)
    assert mine["p_stockout"] == pytest.approx(rec.metrics["p_stockout"])
    auto = alts[alts["auto_recharge"]]
    feasible = auto[auto["p_stockout"] <= target + 1e-12]
    if mine["p_stockout"] <= target + 1e-12:
        assert mine["cost"] <= feasible["cost"].min() + 1e-9
    for _, row in alts.iloc[1:].iterrows():
        name = str(row["option"])
        if name.startswith(SAFER_OPTION):
            level = float(name.rsplit("(", 1)[1].rstrip("%)")) / 100
            assert row["p_stockout"] <= 1 - level + 1e-12
            assert row["p_stockout"] < mine["p_stockout"]
            assert row["cost"] >= mine["cost"] - 1e-9  # else it would be the recommendation
        elif name.startswith("lower service level"):
            assert row["cost"] < mine["cost"]
        elif name == "lowest forfeiture":
            assert row["expected_forfeited"] == auto["expected_forfeited"].min()
            assert row["expected_forfeited"] < mine["expected_forfeited"]
        elif name == "fewer recharges":
            assert row["expected_recharges"] < mine["expected_recharges"]
    if rec.current is not None:
        cur = alts[alts["option"] == "current settings"].iloc[0]
        assert cur["cost"] == pytest.approx(rec.current["cost"])
        assert rec.current["meets_service_level"] == (cur["p_stockout"] <= target + 1e-12)
