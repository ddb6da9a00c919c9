"""Every chart in the matplotlib convention: given ``ax``, it draws there and returns it.

The charts are found, not listed: every public function of the chart modules, and the
monthly forecast's chart. A chart without a case below fails, so a new one gets checked."""

from __future__ import annotations

import importlib
import inspect
from functools import cache

import matplotlib

matplotlib.use("Agg", force=True)

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from planner import analysis, engine  # noqa: E402
from planner.billing import views as billing_views  # noqa: E402
from planner.billing.forecast import monthly_forecast  # noqa: E402
from planner.scenarios import make_scenarios  # noqa: E402
from planner.schema import conform  # noqa: E402

#: the modules whose public functions are charts (``planner.plots.frontier`` is also the
#: name of a chart, so the modules are looked up by name)
CHART_MODULES = (
    *(importlib.import_module(f"planner.plots.{m}") for m in ("usage", "funding", "frontier")),
    billing_views,
)
#: public functions of those modules that are not charts
NOT_CHARTS = {"forecast_table", "run_out_text"}
#: charts of several panels: how many a case gives
PANELS = {"monthly_usage": 2, "call_types": 2, "risk": 2, "pool_usage": 2}


def _charts() -> dict:
    found = {}
    for module in CHART_MODULES:
        for name, fn in vars(module).items():
            if (
                inspect.isfunction(fn)
                and fn.__module__ == module.__name__
                and not name.startswith("_")
                and name not in NOT_CHARTS
            ):
                found[name] = fn
    return found


def _records() -> pd.DataFrame:
    rows = [
        ("ann@contoso.com", "2025-01-10T10:00:00Z", 1000, "International", None, "user_out"),
        ("bob@contoso.com", "2025-02-11T10:00:00Z", 250, "Domestic", None, "user_out"),
        (None, "2025-02-12T10:00:00Z", 400, "Domestic", "Toll Free", "ucap_in"),
    ]
    df = pd.DataFrame(
        rows,
        columns=["upn", "start", "charge_cents", "destination_context", "number_type", "call_type"],
    )
    return conform(
        df.assign(
            start=pd.to_datetime(df["start"], utc=True),
            usage_id=["u0", "u1", "u2"],
            capability=["MCOPSTN2", "MCOPSTN1", "MCOPSTNPP"],
            currency="EUR",
            duration_s=[60, 120, 180],
            connection_fee_cents=0,
            destination_dialed=["Germany", "United States", "United States"],
            call_direction=["outbound", "outbound", "inbound"],
            callee_number=[None, None, "+18005550100"],
        )
    )


@cache
def _cases() -> dict:
    """Each chart's arguments (besides ``ax``), from small inputs."""
    records = _records()
    departments = pd.DataFrame({"upn": ["ann@contoso.com"], "department": ["Sales"]})
    daily = analysis.daily_credit_spend(records)
    licences = pd.DataFrame({"plan": ["MCOPSTN1", "MCOPSTN2"], "country": ["US", "US"],
                             "users": [1, 1]})  # fmt: skip
    rng = np.random.default_rng(7)
    demand = rng.gamma(2.0, 5.0, (20, 60))
    sim = engine.paths(demand, "2025-07-01", engine.Policy(300.0, 500.0, 100.0))
    history = pd.Series(rng.gamma(2.0, 5.0, 90), index=pd.date_range("2025-04-02", periods=90))
    lots = pd.DataFrame({"purchase_date": pd.to_datetime(["2024-09-01"]), "amount": [200.0]})
    table = pd.DataFrame(
        {"cost": [1000.0, 1200.0], "p_stockout": [0.2, 0.01], "recharge_amount": [500.0, 900.0],
         "threshold": [50.0, 100.0]}
    )  # fmt: skip
    scenarios = make_scenarios(history, n_scenarios=50, horizon_days=60, seed=1)
    return {
        "monthly_usage": (analysis.monthly_summary(records), "EUR"),
        "daily_spend": (daily, "EUR"),
        "day_of_month": (analysis.spend_by_day_of_month(daily), "EUR"),
        "top_bars": (analysis.by_user(records), "upn"),
        "top_users": (analysis.by_user(records), "EUR"),
        "top_departments": (analysis.by_department(records, departments), "EUR"),
        "top_destinations": (analysis.by_destination(records), "EUR"),
        "call_types": (analysis.by_call_type(records), "EUR"),
        "hour_weekday_heatmap": (analysis.hour_weekday(records),),
        "toll_free": (analysis.toll_free_usage(records), "EUR"),
        "pool_usage": (analysis.pool_usage(records, licences),),
        "rejects": (pd.DataFrame({"reason": ["bad date"], "rows": [2]}),),
        "demand_history": (history, "USD"),
        "fan_chart": (demand, "2025-07-01", "USD"),
        "balance_trajectories": (sim, "2025-07-01", "USD"),
        "risk": (sim, "USD"),
        "frontier": (table, "USD"),
        "expiry_schedule": (analysis.lot_forfeiture(lots, demand, "2025-07-01"), "USD"),
        "runway": (np.array([20.0, 35.0, 50.0]),),
        "forecast_chart": (monthly_forecast(scenarios, "USD"),),
    }


CHARTS = _charts()


def test_every_chart_has_a_case():
    assert set(CHARTS) == set(_cases())


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_a_chart_draws_on_the_axes_given_and_returns_them(name):
    """Given ``ax``, a chart draws there (and nowhere else) and returns what it was given;
    without, it returns the Axes of the figure it made."""
    chart = CHARTS[name]
    assert inspect.signature(chart).parameters["ax"].default is None
    args = _cases()[name]
    panels = PANELS.get(name, 1)
    fig, axes = plt.subplots(1, panels + 1, squeeze=False)
    spare, given = axes[0, 0], axes[0, 1:]
    try:
        out = chart(*args, ax=given if panels > 1 else given[0])
        drawn = list(np.ravel(np.asarray(out, dtype=object)))
        assert drawn == list(given)
        assert all(a.figure is fig for a in drawn)
        assert all(a.has_data() or a.texts or a.get_title() for a in drawn)
        assert not spare.has_data() and not spare.texts and not spare.get_title()
        plt.close(fig)
        made = list(np.ravel(np.asarray(chart(*args), dtype=object)))
        assert made and all(a.figure is made[0].figure for a in made)
        assert made[0].figure is not fig
    finally:
        plt.close("all")
