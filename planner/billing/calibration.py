"""Is the monthly forecast calibrated? Synthetic tenants with known processes
(:data:`planner.backtest.TENANTS`): fit on a year of history, forecast the next 12 months,
count how often fresh true futures stay under each month's upper bounds.

A 90% bound should hold in about 90% of tenant-months and a 99% bound in about 99%; the
check of ``benchmarks/forecast.py`` accepts 80% to 97% for the first (the scenarios carry the
uncertainty of the level and of the trend, which a year of history only partly pins down, so
a slightly wide band is expected) and at least 97% for the second.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from planner.backtest import HISTORY_DAYS, HISTORY_START, TENANTS, Tenant, demand_process
from planner.billing.forecast import FORECAST_MONTHS, _month_totals, month_windows, monthly_forecast
from planner.engine import to_cents
from planner.plan import DEFAULT_SEED
from planner.scenarios import DEFAULT_SCENARIOS, make_scenarios

__all__ = ["calibrate_tenant", "calibration_table"]

#: the tenant-months under the bounds the check accepts (90% bound: a range; 99%: a floor)
COVERAGE_90 = (0.80, 0.97)
COVERAGE_99 = 0.97


def calibrate_tenant(
    tenant: Tenant,
    *,
    seed: int = 0,
    n_scenarios: int = DEFAULT_SCENARIOS,
    n_true: int = 200,
) -> dict:
    """Forecast a synthetic tenant from one year of its history and replay its true process.

    Returns
    -------
    dict
        ``tenant``, ``seed``, ``months`` (tenant-months compared: true futures x months),
        ``under_90`` and ``under_99`` (shares of them under the month's bound),
        ``expected_error`` (mean of the forecast's expected year over the true futures'
        mean year, minus 1).
    """
    rng = np.random.default_rng(seed)
    history, wander = demand_process(tenant, 0, HISTORY_DAYS, 1, rng)
    series = pd.Series(
        history[0], index=pd.date_range(HISTORY_START, periods=HISTORY_DAYS, freq="D")
    )
    sc = make_scenarios(series, n_scenarios=n_scenarios, seed=DEFAULT_SEED + seed)
    forecast = monthly_forecast(sc, "USD")
    windows = month_windows(sc.start, sc.horizon_days, FORECAST_MONTHS)
    n_days = windows[-1][2]
    future, _ = demand_process(
        tenant, HISTORY_DAYS, n_days, n_true, rng, wander_start=np.repeat(wander, n_true)
    )
    true = _month_totals(to_cents(future), windows)
    m = forecast.months
    return {
        "tenant": tenant.name,
        "seed": seed,
        "months": int(true.size),
        "under_90": float((true <= m["upper90_cents"].to_numpy()).mean()),
        "under_99": float((true <= m["upper99_cents"].to_numpy()).mean()),
        "expected_error": float(m["expected_cents"].sum() / true.sum(axis=1).mean() - 1.0),
    }


def calibration_table(
    tenants: Sequence[Tenant] = TENANTS,
    *,
    seeds: int = 5,
    n_scenarios: int = DEFAULT_SCENARIOS,
    n_true: int = 200,
) -> pd.DataFrame:
    """:func:`calibrate_tenant` for each tenant, averaged over ``seeds`` histories (each with
    its own true futures), one row per tenant, and an ``all`` row over every tenant-month."""
    rows = [
        calibrate_tenant(tenant, seed=seed, n_scenarios=n_scenarios, n_true=n_true)
        for tenant in tenants
        for seed in range(seeds)
    ]
    raw = pd.DataFrame(rows)
    raw["n90"] = raw["under_90"] * raw["months"]
    raw["n99"] = raw["under_99"] * raw["months"]
    sums = raw.groupby("tenant", sort=False)[["months", "n90", "n99"]].sum()
    worst = raw.groupby("tenant", sort=False)["under_90"].min()
    err = raw.groupby("tenant", sort=False)["expected_error"].mean()
    table = pd.DataFrame(
        {
            "months": sums["months"].astype(int),
            "under_90": sums["n90"] / sums["months"],
            "worst_history_90": worst,
            "under_99": sums["n99"] / sums["months"],
            "expected_error": err,
        }
    )
    total = raw[["months", "n90", "n99"]].sum()
    table.loc["all"] = {
        "months": int(total["months"]),
        "under_90": total["n90"] / total["months"],
        "worst_history_90": raw["under_90"].min(),
        "under_99": total["n99"] / total["months"],
        "expected_error": raw["expected_error"].mean(),
    }
    return table.rename_axis("tenant").reset_index()
