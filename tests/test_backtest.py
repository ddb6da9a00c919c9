"""Backtests: the promised risk holds on the true future, the cost is near the best grid."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from planner.backtest import (
    TENANTS,
    Tenant,
    backtest_history,
    backtest_tenant,
    demand_process,
    kinds_table,
    pooled_checks,
    summarise,
)
from planner.cli import main
from planner.errors import EXIT_BAD_INPUT, EXIT_OK
from planner.plan import PlanOptions
from planner.text.console import (
    backtest_check,
    backtest_checks,
    backtest_safer_check,
    backtest_summary_table,
)


def test_demand_process_has_the_level_rhythm_and_growth_asked_for():
    t = Tenant("x", 40.0, growth=0.5, weekend=0.25, month_end=2.0, wander_sd=0.0)
    rng = np.random.default_rng(1)
    d, _ = demand_process(t, 0, 730, 400, rng)
    year1, year2 = d[:, :365].mean(), d[:, 365:].mean()
    assert year1 == pytest.approx(40 * (1.5**0.5), rel=0.08)  # mean over the first year
    assert year2 / year1 == pytest.approx(1.5, rel=0.05)
    dates = pd.date_range("2025-01-01", periods=730)
    weekend = d[:, dates.day_of_week >= 5].mean() / d[:, dates.day_of_week < 5].mean()
    assert weekend == pytest.approx(0.25, rel=0.1)
    assert (d == np.round(d, 2)).all() and (d >= 0).all()


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [
        "tiny, idle days",
        "growing +40%/yr",
        "light spikes 4/yr",
        "overhead 50, holding 0",
        "shrinking -30%/yr",
    ],
)
def test_recommendation_keeps_its_promise_on_a_known_process(name):
    """Small version of ``benchmarks/backtest.py``: 99% service level, lead 1 day."""
    tenant = next(t for t in TENANTS if t.name == name)
    r = backtest_tenant(tenant, seed=3, n_scenarios=500, n_true=300, grid_side=10)
    assert r["realised_p_year1"] <= 0.03
    assert r["cost_ratio"] <= 1.3
    # the alternative offered against bursts the history has not shown keeps the promise too
    assert r["safer"] is None or r["safer_realised_p_year1"] <= 0.03
    assert r["recharge_amount"] >= 50 and r["threshold"] >= 50
    assert r["initial"] == 0 or r["initial"] >= 50


def test_a_policy_that_ignores_the_tail_fails_the_check():
    """The check can fail: a trigger at the largest day seen runs out far more often."""
    tenant = next(t for t in TENANTS if t.name == "spiky, heavy spikes")
    rng = np.random.default_rng(3)
    history, wander = demand_process(tenant, 0, 365, 1, rng)
    future, _ = demand_process(tenant, 365, 365, 300, rng, wander_start=np.repeat(wander, 300))
    from planner.engine import sweep

    naive = pd.DataFrame(
        {
            "initial": [3000.0],
            "recharge_amount": [3000.0],
            "threshold": [float(np.quantile(history, 0.99))],
            "lead_days": [1],
        }
    )
    p = sweep(future, "2026-01-01", naive, quantiles=())["p_stockout"].iloc[0]
    assert p > 0.03


def test_backtest_on_a_history_split_in_two():
    rng = np.random.default_rng(0)
    idx = pd.date_range("2025-01-01", periods=200, freq="D")
    h = pd.Series(np.round(rng.gamma(4, 2.5, 200), 2), index=idx)
    out = backtest_history(h, "USD", fit_days=150, options=PlanOptions(n_scenarios=300))
    assert out["replay"] == "2025-05-31 to 2025-07-19"
    assert out["threshold"] >= 50 and out["stockout_days"] == 0
    assert out["cost"] > 0 and out["purchases"] >= 1


def test_backtest_command(tmp_path, capsys):
    rng = np.random.default_rng(0)
    idx = pd.date_range("2025-01-01", periods=160, freq="D")
    path = tmp_path / "demand.csv"
    pd.DataFrame(
        {"date": idx.strftime("%Y-%m-%d"), "amount": np.round(rng.gamma(4, 2.5, 160), 2)}
    ).to_csv(path, index=False)
    code = main(["backtest", "--demand", str(path), "--scenarios", "200", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == EXIT_OK and out["fit"].endswith("2025-03-11")
    code = main(["backtest", "--demand", str(path), "--fit-days", "5"])
    assert code == EXIT_BAD_INPUT and "fit days" in capsys.readouterr().err


def test_summary_across_histories_and_the_check_line():
    table = pd.DataFrame(
        {
            "tenant": ["a", "a", "b", "b"],
            "history": [0, 1, 0, 1],
            "mean_daily": [10.0, 12.0, 100.0, 90.0],
            "promised_p": [0.01, 0.008, 0.01, 0.009],
            "realised_p_year1": [0.0, 0.05, 0.01, 0.02],
            "cost_ratio": [1.0, 1.1, 1.5, 1.2],
        }
    )
    summary = summarise(table)
    assert list(summary["histories"]) == [2, 2]
    assert summary.loc[0, "realised_p_max"] == 0.05 and summary.loc[1, "cost_ratio_max"] == 1.5
    lines = backtest_summary_table(summary).splitlines()
    assert lines[2] == "| a | 2 | 0.9% | 2.5% | 5% | 1.05 | 1.10 |"
    check = backtest_check(table)
    assert "held on 3 of 4 histories, worst 5%" in check
    assert "1.3x of the best grid policy on 3 of 4, worst 1.50x" in check
    assert "mean realised stock-out 2% against a mean promise of 0.9%" in check
    assert backtest_safer_check(table) is None  # no history had the alternative
    assert backtest_checks(table) == [check]
    table["safer_realised_p_year1"] = [0.0, 0.01, float("nan"), 0.04]
    table["safer_cost_ratio"] = [1.1, 1.2, float("nan"), 1.4]
    safer = backtest_safer_check(table)
    assert "at most 3% on 2 of 3 histories, worst 4%" in safer
    assert "on 2 of 3, worst 1.40x" in safer
    assert backtest_checks(table) == [check, safer]


def test_synthetic_histories_out_of_range_is_refused(capsys):
    code = main(["backtest", "--synthetic", "--histories", "0"])
    assert code == EXIT_BAD_INPUT and "--histories" in capsys.readouterr().err


def test_synthetic_backtest_reads_as_many_days_of_history_as_fit_days(monkeypatch, capsys):
    """``--fit-days`` with ``--synthetic``: the days of each tenant's history the plan reads
    (a tenant with a few months of exports), within two months and two years."""
    import planner.commands.backtest as command

    seen = {}

    def table(**kwargs):
        seen.update(kwargs)
        raise SystemExit(0)

    monkeypatch.setattr(command, "synthetic_table", table)
    with pytest.raises(SystemExit):
        main(["backtest", "--synthetic", "--quick", "--fit-days", "90"])
    assert seen["history_days"] == 90
    code = main(["backtest", "--synthetic", "--fit-days", "10"])
    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT and "whole number of days from 56 to 730, got 10" in err


def test_synthetic_only_options_with_a_history_are_refused(tmp_path, capsys):
    idx = pd.date_range("2025-01-01", periods=60, freq="D")
    path = tmp_path / "demand.csv"
    pd.DataFrame({"date": idx.strftime("%Y-%m-%d"), "amount": 5.0}).to_csv(path, index=False)
    code = main(["backtest", "--demand", str(path), "--histories", "3", "--quick"])
    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT and "--quick, --histories: only with --synthetic" in err


def test_bounded_bursts_have_their_size_and_length():
    """A burst makes each of its 1 to 3 days 2 to 6 times a normal day, never more."""
    t = Tenant("x", 100.0, weekend=1.0, noise_cv=0.01, wander_sd=0.0, bursts_per_year=20)
    d, _ = demand_process(t, 0, 3650, 2, np.random.default_rng(4))
    ratio = d / 100.0
    burst = ratio > 1.5
    assert 0.9 * 20 * 2 * 10 * 2 / 2 < burst.sum() < 1.1 * 20 * 2 * 10 * 2  # ~2 days each
    assert ratio.max() <= 6.0 * 1.05 and ratio[burst].min() >= 2.0 * 0.95
    runs = np.diff(np.concatenate([[0], burst[0].astype(int), [0]]))
    lengths = np.flatnonzero(runs == -1) - np.flatnonzero(runs == 1)
    assert lengths.max() <= 6  # two bursts may touch; one lasts at most 3 days


def test_kinds_and_pooled_checks_count_what_they_say():
    rows = pd.DataFrame(
        {
            "tenant": ["a", "a", "b", "u"],
            "unseen_bursts": [False, False, False, True],
            "promised_p": [0.01, 0.01, 0.008, 0.01],
            "realised_p_year1": [0.0, 0.04, 0.002, 0.08],
            "safer": [None, "1 below 2", "1 below 3", "5 below 9"],
            "safer_realised_p_year1": [np.nan, 0.0, 0.0, 0.02],
            "cost_ratio": [1.0, 1.2, 1.5, 0.6],
        }
    )
    kinds = kinds_table(rows)
    assert list(kinds["tenant"]) == ["a", "b", "u"]
    assert kinds.loc[0, "realised_p"] == pytest.approx(0.02)
    assert list(kinds["named_safer"]) == [1, 1, 1]
    c = pooled_checks(rows, max_p=0.03)
    assert c["kinds_held"] == 2 and c["kinds"] == 2 and c["histories_held"] == 2
    assert c["pooled_realised"] == pytest.approx(0.042 / 3)
    assert c["unseen_named"] == 1 and c["unseen_safer_realised"] == pytest.approx(0.02)
    assert c["cost_near"] == 3 and c["cost_n"] == 4


def test_a_history_of_heavy_spikes_names_the_safer_alternative_that_holds():
    """This year of the heavy-spikes tenant promises 0.95% and runs dry in 5% of true years;
    its higher service level row, sized at its edge on the scenarios that expect unseen
    bursts, missed 99.8% on the check scenarios by noise (0.225%) and went unnamed. Its
    trigger now moves up a step, as the recommendation's does, and the row is named."""
    spiky = next(t for t in TENANTS if t.name == "spiky, heavy spikes")
    row = backtest_tenant(spiky, seed=204, n_scenarios=2000, n_true=300, grid_side=6)
    assert row["realised_p_year1"] > 0.03  # the year does not show what decides it
    assert row["safer"] is not None
    assert row["safer_realised_p_year1"] <= 0.03
