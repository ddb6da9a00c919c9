"""The monthly spend forecast: months, exact cents, bounds, budget, post-paid run-out."""

from __future__ import annotations

import json

import matplotlib
import numpy as np
import pandas as pd
import pytest

from planner.backtest import TENANTS
from planner.billing import (
    credits_run_out,
    forecast_chart,
    forecast_table,
    month_windows,
    monthly_forecast,
    parse_monthly_budget,
    run_out_text,
    spread_cents,
)
from planner.billing.calibration import COVERAGE_90, COVERAGE_99, calibration_table
from planner.errors import InputError
from planner.scenarios import Scenarios, make_scenarios
from planner.text import language

matplotlib.use("Agg")


def _scenarios(paths: np.ndarray, start: str = "2027-01-01") -> Scenarios:
    return Scenarios(
        start=pd.Timestamp(start), paths=paths, method="bootstrap", growth_per_year=0.0,
        history_days=365,
    )  # fmt: skip


def _history(seed: int = 3, days: int = 365) -> pd.Series:
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2025-12-08", periods=days, freq="D")
    return pd.Series(np.round(rng.gamma(2.0, 5.0, days), 2), index=idx)


def test_constant_demand_months_are_exact() -> None:
    sc = _scenarios(np.full((3, 365), 1.25))  # 2027 is not a leap year
    fc = monthly_forecast(sc, "USD")
    m = fc.months
    assert len(m) == 12 and not m["partial"].any()
    assert m["days"].tolist() == [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    assert (m["expected_cents"] == m["days"] * 125).all()
    assert (m["upper90_cents"] == m["expected_cents"]).all()
    assert (m["upper99_cents"] == m["expected_cents"]).all()
    assert fc.mean_total_cents == 365 * 125


def test_partial_first_month_and_cut_horizon() -> None:
    windows = month_windows(pd.Timestamp("2027-01-30"), 40)
    assert [(a, b) for _, a, b in windows] == [(0, 2), (2, 30), (30, 40)]
    sc = _scenarios(np.ones((2, 365)), start="2026-12-08")
    m = monthly_forecast(sc, "EUR").months
    assert len(m) == 12
    assert m["partial"].tolist() == [True] + [False] * 11
    assert m["days"].iloc[0] == 24 and m["first_day"].iloc[0] == pd.Timestamp("2026-12-08")
    assert m["last_day"].iloc[-1] == pd.Timestamp("2027-11-30")


def test_expected_months_sum_to_the_scenarios_mean_to_the_cent() -> None:
    sc = make_scenarios(_history(), n_scenarios=300, seed=5)
    fc = monthly_forecast(sc, "USD", monthly_budget=300)
    days = int(fc.months["days"].sum())
    cents = np.floor(sc.paths[:, :days] * 100 + 0.5).astype(np.int64)
    assert fc.mean_total_cents == round(cents.sum(axis=1).mean())
    assert int(fc.months["expected_cents"].sum()) == fc.mean_total_cents
    month_means = fc.months["expected_cents"].to_numpy()
    assert (np.abs(month_means - _month_means(cents, fc.months["days"])) <= 1).all()
    m = fc.months
    assert (m["upper90_cents"] <= m["upper99_cents"]).all()
    assert (m["expected_cents"] <= m["upper99_cents"]).all()
    assert ((m["p_over_budget"] >= 0) & (m["p_over_budget"] <= 1)).all()


def _month_means(cents: np.ndarray, days: pd.Series) -> np.ndarray:
    ends = np.cumsum(days.to_numpy())
    starts = ends - days.to_numpy()
    return np.array([cents[:, a:b].sum(axis=1).mean() for a, b in zip(starts, ends, strict=True)])


def test_budget_chance_counts_months_strictly_above() -> None:
    paths = np.vstack([np.full(365, 1.0), np.full(365, 2.0), np.full(365, 3.0), np.full(365, 4.0)])
    fc = monthly_forecast(_scenarios(paths), "USD", monthly_budget=62)  # Jan: 31, 62, 93, 124
    assert fc.months["p_over_budget"].iloc[0] == 0.5
    assert fc.months["p_over_budget"].iloc[1] == 0.5  # Feb: 28, 56, 84, 112
    assert fc.to_dict()["months"][0]["p_over_budget"] == 0.5


@pytest.mark.parametrize("bad", ["-5", "0", "abc", "nan", True])
def test_bad_budget_is_refused(bad: object) -> None:
    with pytest.raises(InputError, match="monthly budget"):
        parse_monthly_budget(bad)


def test_spread_cents_keeps_the_total() -> None:
    rng = np.random.default_rng(0)
    for _ in range(50):
        means = rng.random(12) * 1000
        total = round(means.sum())
        out = spread_cents(means, total)
        assert out.sum() == total and (np.abs(out - means) < 1).all()


def test_postpaid_bill_and_run_out() -> None:
    sc = _scenarios(np.full((4, 365), 10.0))
    lots = pd.DataFrame({"purchase_date": [pd.Timestamp("2026-12-01")], "amount": [455.0]})
    run_out = credits_run_out(sc, lots)
    # 455 pays 45 days and half of the 46th: billing starts on 15 Feb 2027
    assert run_out.median == pd.Timestamp("2027-02-15") and run_out.p_run_out == 1.0
    bill = monthly_forecast(sc, "USD", lots=lots)
    assert bill.basis == "bill"
    assert bill.months["expected_cents"].iloc[0] == 0
    assert bill.months["expected_cents"].iloc[1] == 28 * 1000 - (45500 - 31 * 1000)
    assert bill.mean_total_cents == 365 * 1000 - 45500
    assert "15 Feb 2027" in run_out_text(run_out, "USD")


def test_run_out_counts_expiry_and_no_credits() -> None:
    sc = _scenarios(np.full((2, 365), 1.0))
    # a lot bought on 10 Jan 2026 expires on 10 Jan 2027 with most of it unspent
    lots = pd.DataFrame({"purchase_date": [pd.Timestamp("2026-01-10")], "amount": [500.0]})
    assert credits_run_out(sc, lots).median == pd.Timestamp("2027-01-10")
    none = credits_run_out(sc, None)
    assert none.median == sc.start and none.balance_cents == 0
    lasting = credits_run_out(sc, pd.DataFrame({"purchase_date": ["2027-01-01"], "amount": [900]}))
    assert lasting.median is None and lasting.p_run_out == 0.0
    assert "beyond" in run_out_text(lasting, "USD")


def test_table_json_and_chart() -> None:
    sc = make_scenarios(_history(), n_scenarios=200, seed=1)
    fc = monthly_forecast(sc, "USD", monthly_budget=320)
    table = forecast_table(fc)
    assert len(table) == 12 and table.columns[-1] == "Chance above $320.00"
    assert table.iloc[0, 0].startswith("Dec 2026 (from 8 Dec 2026")
    doc = json.loads(json.dumps(fc.to_dict()))
    assert doc["monthly_budget"] == 320.0 and len(doc["months"]) == 12
    assert round(sum(m["expected"] for m in doc["months"]) * 100) == fc.mean_total_cents
    ax = forecast_chart(fc)
    heights = [p.get_height() for p in ax.patches]
    assert heights == pytest.approx(fc.months["expected_cents"].to_numpy() / 100)
    assert ax.get_xticklabels()[0].get_text().endswith("*")  # the partial first month
    with language("fr"):
        assert forecast_table(fc).iloc[1, 1].endswith("$US")


def test_forecast_is_calibrated_small() -> None:
    """Small version of ``benchmarks/forecast.py``."""
    table = calibration_table(TENANTS, seeds=2, n_scenarios=500, n_true=30)
    overall = table.iloc[-1]
    assert overall["tenant"] == "all" and overall["months"] == len(TENANTS) * 2 * 30 * 12
    assert COVERAGE_90[0] <= overall["under_90"] <= COVERAGE_90[1]
    assert overall["under_99"] >= COVERAGE_99
