"""The recommendation on the shipped sample tenant: sensible, stable, honest about its risk."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from recommend_checks import (
    assert_meets_service_level_on_fresh_scenarios,
    assert_no_clearly_cheaper_feasible_policy,
)

from planner.cli import main
from planner.demand.actual import actual_demand
from planner.ingest import read_exports
from planner.inputs import read_lots
from planner.recommend import recommend, round_amount
from planner.recommend.search import Evaluator
from planner.sample import sample_dir
from planner.text.plan import explain

SAMPLE = sample_dir()
EXPORTS = SAMPLE / "exports"


@pytest.fixture(scope="module")
def demand() -> pd.Series:
    series, currency = actual_demand(read_exports([EXPORTS]).records).series()
    assert currency == "USD"
    return series


@pytest.fixture(scope="module")
def recs(demand):
    return {seed: recommend(demand, seed=seed) for seed in (1, 2)}


def test_sensible(demand, recs):
    rec = recs[1]
    mu = rec.scenarios.mean_daily()
    pol = rec.policy
    assert rec.scenarios.history_days == len(demand) >= 390
    # EOQ with 10 per invoice and 5% a year is about 140 days; never more than a year
    eoq = (2 * 10 * 365 * mu / 0.05) ** 0.5
    assert 0.6 * eoq <= pol.recharge_amount <= min(1.5 * eoq, 365 * mu)
    assert 50 <= pol.threshold <= 30 * mu  # a busy day or two: the lead time is 1 day
    m = rec.metrics
    assert m["p_stockout"] <= 0.01
    assert m["expected_forfeited"] <= 0.01 * m["expected_purchased"]
    # a year of purchases is a year of (growing) demand
    year = rec.scenarios.paths.sum(axis=1).mean()
    assert m["expected_purchased"] == pytest.approx(year, abs=pol.recharge_amount)
    one = rec.one_time_funding
    assert one["amount"] >= np.quantile(rec.scenarios.paths.sum(axis=1), 0.99) * 0.99
    assert one["expected_forfeited"] > m["expected_forfeited"]
    explain(rec)
    assert rec.explanation[0].startswith(
        f"Add ${pol.initial:,.0f} now, then recharge ${pol.recharge_amount:,.0f} when the balance "
        f"falls below ${pol.threshold:,.0f}"
    )


def test_stable_across_seeds(recs):
    """Two seeds give equally good answers. The cost is flat in the recharge amount near its
    best (on the sample, seeds 1 to 4 and 42 give 950 to 1,200 at costs within 4%), so the
    amounts may move more than the cost: each seed's policy costs within 5% of the other's on
    the other's scenarios."""
    a, b = recs[1], recs[2]
    assert b.policy.recharge_amount == pytest.approx(a.policy.recharge_amount, rel=0.3)
    assert b.policy.threshold == pytest.approx(a.policy.threshold, rel=0.25)
    assert b.cost == pytest.approx(a.cost, rel=0.1)
    for mine, other in ((a, b), (b, a)):
        ev = Evaluator(
            other.scenarios, lots=None, holding_rate=0.05, recharge_overhead=10.0, target=0.01
        )
        p = mine.policy
        cost = ev.one(ev.policy(p.initial, p.recharge_amount, p.threshold, p.lead_days))["cost"]
        assert cost == pytest.approx(other.cost, rel=0.05)
    assert b.one_time_funding["amount"] == pytest.approx(a.one_time_funding["amount"], rel=0.1)


def test_fresh_scenarios_meet_the_service_level(demand, recs):
    assert_meets_service_level_on_fresh_scenarios(recs[1], demand, seed=777)


def test_no_clearly_cheaper_feasible_grid_policy(recs):
    rec = recs[1]
    mu = rec.scenarios.mean_daily()
    qs = sorted({round_amount(q) for q in np.geomspace(14 * mu, 365 * mu, 10)})
    ss = sorted({round_amount(s) for s in np.geomspace(mu, 30 * mu, 12)})
    assert_no_clearly_cheaper_feasible_policy(rec, qs, ss)


def test_cli_on_sample_exports_with_balance(capsys):
    code = main(
        [
            "recommend",
            str(EXPORTS),
            "--json",
            "--scenarios",
            "300",
            "--seed",
            "1",
            "--balance",
            str(SAMPLE / "balance.csv"),
        ]
    )
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert code in (0, 3) and out["exit_code"] == code
    assert captured.err.strip().startswith("planner: OK" if code == 0 else "planner: ALERT")
    assert out["currency"] == "USD"
    lots = read_lots(SAMPLE / "balance.csv")
    assert out["balance"] == pytest.approx(float(lots["amount"].sum()))
    assert set(out["runway_days"]) >= {"median", "pessimistic"}
    assert len(out["expiring"]) == len(lots)
    assert {"date", "amount", "expected_forfeit"} <= set(out["expiring"][0])
