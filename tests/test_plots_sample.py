"""The whole analysis and chart set on the sample tenant, every chart rendered once to PNG."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg", force=True)

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from planner import analysis, plots, sample  # noqa: E402
from planner.plots import figure_of  # noqa: E402


def test_every_analysis_and_chart_on_the_sample_tenant(tmp_path, monkeypatch):
    from planner.demand.actual import actual_demand
    from planner.engine import Policy, paths
    from planner.inputs import read_user_licences
    from planner.recommend import recommend
    from planner.scenarios import make_scenarios

    def refuse(*args, **kwargs):
        raise AssertionError("plots must never call show()")

    monkeypatch.setattr(plt, "show", refuse)
    plt.close("all")

    tenant = sample.generate_sample()
    records, licences, departments = tenant.records, tenant.licences, tenant.departments
    (tmp_path / "user_licences.csv").write_bytes(tenant.files["user_licences.csv"])
    user_licences = read_user_licences(tmp_path / "user_licences.csv")
    currency = analysis.credit_currency(records)
    assert currency == sample.CURRENCY

    # ---- usage analysis: the tables agree with each other and with planner.demand.actual ----------
    summary = analysis.monthly_summary(records, user_licences)
    daily = analysis.daily_credit_spend(records)
    demand = actual_demand(records, user_licences=user_licences)
    total = int(demand.daily["amount_cents"].sum())
    assert total > 0
    assert int(summary["credit_cents"].sum()) == total == int(daily["credit_cents"].sum())
    cats = [f"{c}_cents" for c in analysis.credit_categories()]
    assert int(summary[cats].to_numpy().sum()) == total
    for cat in cats:  # same categories as the demand module, month by month
        assert int(summary[cat].sum()) == int(demand.daily[cat].sum()), cat
    assert len(summary) == 13  # Oct 2025 .. Oct 2026
    users = analysis.by_user(records, departments)
    assert int(users["credit_cents"].sum()) == total and users["calls"].sum() == len(records)
    deps = analysis.by_department(records, departments)
    assert int(deps["credit_cents"].sum()) == total
    dest = analysis.by_destination(records)
    types = analysis.by_call_type(records)
    assert int(types["credit_cents"].sum()) == total
    heat = analysis.hour_weekday(records, tz="Europe/Paris")
    assert int(heat.to_numpy().sum()) == len(records)
    toll = analysis.toll_free_usage(records)
    assert toll["credit_cents"].sum() == int(summary["toll_free_cents"].sum())
    pools = analysis.pool_usage(records, licences, user_licences)
    assert set(pools["kind"]) >= {"domestic", "dial_out"}
    sizes = pools.drop_duplicates("pool").set_index("pool")["pool_minutes"]
    lic = licences.assign(minutes=licences["users"] * licences["minutes_per_user"])
    dial_out = float(lic.loc[lic["plan"] == "MCOMEETADD", "minutes"].sum())
    assert sizes["Conference dial-out (Zone A)"] == dial_out
    # the same pool rules as the what-if pricing: domestic overage minutes agree month by month
    from planner.demand.pricing import price_calls

    priced, _ = price_calls(records, licences, tenant.rates, user_licences=user_licences)
    overage = priced[priced["category"] == "domestic_overage"]
    billed = overage.groupby(pd.DatetimeIndex(overage["date"]).to_period("M"))[
        "billable_seconds"
    ].sum()
    domestic = pools[pools["kind"] == "domestic"].groupby("month")["overage_minutes"].sum()
    assert billed.sum() > 0
    assert np.allclose(domestic.reindex(billed.index).to_numpy(), billed.to_numpy() / 60)
    assert domestic.drop(billed.index).eq(0).all()
    dom_of_month = analysis.spend_by_day_of_month(daily)
    month_end = analysis.month_end_share(daily)
    assert 0 < month_end["share"] < 1
    top = analysis.top_spenders(records, 10, departments)
    assert len(top) == 10 and top["credit_cents"].is_monotonic_decreasing
    unlicensed = analysis.unlicensed_credit_users(records, user_licences)
    assert set(unlicensed.columns) >= {"upn", "cents"}

    exports = sample.sample_dir() / "exports"
    if exports.is_dir():
        from planner.ingest import read_exports

        quality = analysis.data_quality(read_exports(exports))
        assert quality["rows"] == quality["records"] + quality["duplicates"] + quality["rejected"]
        rejects = quality["rejects_by_reason"]
    else:
        rejects = analysis.rejects_by_reason(
            pd.DataFrame(columns=["source_file", "source_row", "reason", "raw"])
        )

    # ---- funding: scenarios, a recommendation, balance paths --------------------------------
    history, _ = demand.series(currency)
    scenarios = make_scenarios(history, n_scenarios=100, horizon_days=365, seed=7)
    current = Policy(0.0, 200.0, 50.0, lead_days=1)
    lots = tenant.balance_lots
    rec = recommend(scenarios, currency=currency, lots=lots, current=current)
    start = scenarios.start
    recommended = paths(scenarios.paths, start, rec.policy, lots=lots)
    now = paths(scenarios.paths, start, current, lots=lots)
    bands = analysis.percentile_bands(recommended["balance"], start)
    assert (bands["p5"] <= bands["p50"]).all() and (bands["p50"] <= bands["p95"]).all()
    outcomes = analysis.path_outcomes(now)
    assert len(outcomes) == 100
    forfeit = analysis.lot_forfeiture(lots, scenarios.paths, start)
    mine = forfeit.set_index("date")["expected_forfeit"]
    theirs = rec.position["expiring"].set_index("date")["expected_forfeit"]
    pd.testing.assert_series_equal(mine, theirs, check_names=False)
    runway = analysis.runway_days(scenarios.paths, start, lots)

    charts = {
        "monthly_usage": lambda: figure_of(plots.monthly_usage(summary, currency)),
        "daily_spend": lambda: figure_of(plots.daily_spend(daily, currency)),
        "day_of_month": lambda: figure_of(plots.day_of_month(dom_of_month, currency)),
        "top_users": lambda: figure_of(plots.top_users(users, currency)),
        "top_departments": lambda: figure_of(plots.top_departments(deps, currency)),
        "top_destinations": lambda: figure_of(plots.top_destinations(dest, currency)),
        "call_types": lambda: figure_of(plots.call_types(types, currency)),
        "hour_weekday": lambda: figure_of(
            plots.hour_weekday_heatmap(heat, "Calls", tz="Europe/Paris")
        ),
        "toll_free": lambda: figure_of(plots.toll_free(toll, currency)),
        "pool_usage": lambda: figure_of(plots.pool_usage(pools)),
        "rejects": lambda: figure_of(plots.rejects(rejects)),
        "demand_history": lambda: figure_of(plots.demand_history(history, currency)),
        "fan": lambda: figure_of(
            plots.fan_chart(scenarios.paths, start, currency, history=history)
        ),
        "fan_cumulative": lambda: figure_of(
            plots.fan_chart(scenarios.paths, start, currency, history=history, cumulative=True)
        ),
        "balance": lambda: figure_of(
            plots.balance_trajectories(
                recommended,
                start,
                currency,
                threshold=rec.policy.threshold,
                compare=now,
                compare_threshold=current.threshold,
            )
        ),
        "risk": lambda: figure_of(plots.risk(now, currency, start=start)),
        "frontier": lambda: figure_of(
            plots.frontier(
                rec.frontier, currency, alternatives=rec.alternatives, service_level=0.99
            )
        ),
        "expiry": lambda: figure_of(plots.expiry_schedule(rec.position["expiring"], currency)),
        "runway": lambda: figure_of(plots.runway(runway, alert_days=14, horizon=365)),
    }
    for name, draw in charts.items():
        fig = draw()
        assert fig.axes[0].get_title() or fig.get_suptitle(), name
        plots.save_figure(fig, tmp_path / f"{name}.png", dpi=50)
        assert (tmp_path / f"{name}.png").stat().st_size > 3000, name
    assert plt.get_fignums() == []
    assert np.isfinite(bands.to_numpy()).all()
