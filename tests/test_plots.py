"""Charts under the Agg backend: what was drawn (bar heights, labels, legends), not pixels."""

from __future__ import annotations

import subprocess
import sys

import matplotlib

matplotlib.use("Agg", force=True)

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402

from planner import analysis, plots  # noqa: E402
from planner.plots import figure_of  # noqa: E402
from planner.schema import conform  # noqa: E402
from planner.text import percent  # noqa: E402


@pytest.fixture(autouse=True)
def _no_show_and_all_closed(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("plots must never call show()")

    monkeypatch.setattr(plt, "show", refuse)
    monkeypatch.setattr(plt.Figure, "show", refuse)
    plt.close("all")
    yield
    open_figures = plt.get_fignums()
    plt.close("all")
    assert not open_figures, "a test left figures open"


def _close(fig):
    plt.close(fig)


def _legend(ax) -> list[str]:
    leg = ax.get_legend()
    return [t.get_text() for t in leg.get_texts()] if leg else []


def _heights(ax) -> list[float]:
    return [p.get_height() for p in ax.patches]


def _widths(ax) -> list[float]:
    return [p.get_width() for p in ax.patches]


def _texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


@pytest.fixture
def records() -> pd.DataFrame:
    rows = [
        ("ann@contoso.com", "2025-01-10T10:00:00Z", 1000, "Germany", "International", None),
        ("ann@contoso.com", "2025-02-10T10:00:00Z", 1500, "Germany", "International", None),
        ("bob@contoso.com", "2025-02-11T10:00:00Z", 250, "United States", "Domestic", None),
        (None, "2025-02-12T10:00:00Z", 400, "United States", "Domestic", "Toll Free"),
        ("cy@contoso.com", "2025-03-01T10:00:00Z", 125_000, "France", "International", None),
    ]
    df = pd.DataFrame(
        rows,
        columns=[
            "upn",
            "start",
            "charge_cents",
            "destination_dialed",
            "destination_context",
            "number_type",
        ],
    )
    df["start"] = pd.to_datetime(df["start"], utc=True)
    df = df.assign(
        usage_id=[f"u{i}" for i in range(len(df))],
        capability="MCOPSTNPP",
        currency="EUR",
        duration_s=[60, 120, 180, 600, 240],
        connection_fee_cents=0,
        call_type=["user_out", "user_out", "user_out", "ucap_in", "user_out"],
        call_direction=["outbound"] * 3 + ["inbound", "outbound"],
        callee_number=[None, None, None, "+18005550100", None],
    )
    return conform(df)


# ---- usage ---------------------------------------------------------------------------------


def test_monthly_usage_stacks_categories_and_labels_change(records):
    summary = analysis.monthly_summary(records)
    fig = figure_of(plots.monthly_usage(summary, "EUR"))
    ax_min, ax_cr = fig.axes
    assert "minutes" in ax_min.get_title().lower() and ax_min.get_ylabel() == "Minutes"
    assert ax_cr.get_ylabel() == "Credit spend (EUR)"
    assert set(_legend(ax_cr)) == {"Toll-free", "International", "Domestic overage"}
    # stacked category bars add up to each month's spend (in cents, the axis shows units)
    tops = {}
    for p in ax_cr.patches:
        x = round(p.get_x() + p.get_width() / 2)
        tops[x] = max(tops.get(x, 0), p.get_y() + p.get_height())
    assert [tops[i] for i in range(3)] == [1000, 2150, 125_000]
    assert ax_cr.get_ylim()[1] >= 125_000  # every month's bar is inside the axes
    assert ax_cr.yaxis.get_major_formatter()(125_000, 0) == "1,250"
    assert _texts(ax_cr) == ["+115%", "+5,714%"]
    labels = [t.get_text() for t in ax_cr.get_xticklabels()]
    assert labels == ["Jan 2025", "Feb 2025", "Mar 2025"]
    _close(fig)


def test_daily_spend_and_day_of_month(records):
    daily = analysis.daily_credit_spend(records)
    fig = figure_of(plots.daily_spend(daily, "EUR", last_n_days=5))
    ax = fig.axes[0]
    bars = [p for p in ax.patches if p.get_label() == "Daily spend"][0]
    assert bars.get_data().values.tolist() == daily["credit_cents"].tolist()
    assert bars.get_data().edges[1] - bars.get_data().edges[0] == 1.0  # one day wide
    assert "7-day mean" in _legend(ax) and "Last 5 days of month" in _legend(ax)
    assert ax.get_ylabel() == "Credit spend per day (EUR)" and "UTC" in ax.get_xlabel()
    _close(fig)
    table = analysis.spend_by_day_of_month(daily)
    fig = figure_of(plots.day_of_month(table, "EUR"))
    ax = fig.axes[0]
    assert len(ax.patches) == 31
    assert ax.patches[0].get_height() == pytest.approx(table.loc[1, "mean_cents"])
    assert ax.get_xlabel() == "Day of month" and "(EUR)" in ax.get_ylabel()
    _close(fig)


def test_top_users_departments_destinations(records):
    users = analysis.by_user(records)
    fig = figure_of(plots.top_users(users, "EUR", n=2))
    ax = fig.axes[0]
    assert _widths(ax) == [1500 + 1000, 125_000]  # largest drawn on top (last)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["ann@contoso.com", "cy@contoso.com"]
    assert ax.get_title() == "Top 2 users by credit spend"
    assert ax.get_xlabel() == "Credit spend (EUR)"
    assert _texts(ax) == ["25.00", "1,250.00"]
    _close(fig)

    deps = pd.DataFrame({"upn": ["ann@contoso.com"], "department": ["Sales"]})
    fig = figure_of(plots.top_departments(analysis.by_department(records, deps), "EUR"))
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Sales", "(unknown)"]
    assert ax.get_title() == "All departments by credit spend"
    _close(fig)

    fig = figure_of(
        plots.top_destinations(analysis.by_destination(records), "EUR", value="minutes")
    )
    ax = fig.axes[0]
    assert ax.get_xlabel() == "Minutes" and max(_widths(ax)) == pytest.approx(4.0)
    _close(fig)


def test_call_types_heatmap_toll_free_rejects(records):
    fig = figure_of(plots.call_types(analysis.by_call_type(records), "EUR"))
    ax_m, ax_c = fig.axes
    assert ax_m.get_xlabel() == "Minutes" and ax_c.get_xlabel() == "Credit spend (EUR)"
    assert sorted(_widths(ax_c)) == [400, 127_750]
    _close(fig)

    table = analysis.hour_weekday(records)
    fig = figure_of(plots.hour_weekday_heatmap(table, "Calls"))
    ax = fig.axes[0]
    assert np.array_equal(ax.images[0].get_array(), table.to_numpy(dtype=float))
    assert ax.get_xlabel() == "Hour of day (UTC)"
    assert fig.axes[1].get_ylabel() == "Calls"  # the colour bar
    _close(fig)

    usage = analysis.toll_free_usage(records)
    fig = figure_of(plots.toll_free(usage, "EUR", value="credit_cents"))
    ax = fig.axes[0]
    assert [h for h in _heights(ax)] == [400.0]
    assert _legend(ax) == ["+18005550100"] and ax.get_ylabel() == "Credit spend (EUR)"
    _close(fig)

    rejects = pd.DataFrame(
        {"source_file": ["a"] * 3, "source_row": [2, 3, 4], "reason": ["x", "y", "x"], "raw": ""}
    )
    fig = figure_of(plots.rejects(analysis.rejects_by_reason(rejects)))
    ax = fig.axes[0]
    assert _widths(ax) == [1, 2] and ax.get_xlabel() == "Rows"
    _close(fig)
    fig = figure_of(plots.rejects(analysis.rejects_by_reason(rejects.iloc[:0])))
    assert _texts(fig.axes[0]) == ["No rejected rows"]
    _close(fig)


def test_pool_usage_bars_and_pool_line():
    table = pd.DataFrame(
        {
            "month": pd.PeriodIndex(["2025-01", "2025-02"] * 2, freq="M"),
            "pool": ["Domestic US"] * 2 + ["Conference dial-out (Zone A)"] * 2,
            "pool_minutes": [6000.0, 6000.0, 600.0, 600.0],
            "used_minutes": [4000.0, 6000.0, 100.0, 200.0],
            "overage_minutes": [0.0, 750.0, 0.0, 0.0],
            "used_share": [4000 / 6000, 1.0, 100 / 600, 200 / 600],
        }
    )
    fig = figure_of(plots.pool_usage(table))
    ax = fig.axes[0]
    # a pool that overflows is used up: the minutes beyond it, not "used 100%"
    assert ax.get_title() == "Domestic US: used up; up to 750 min a month beyond it"
    assert ax.get_ylabel() == "Minutes"
    assert _heights(ax) == [4000, 6000, 0, 750]
    line = ax.lines[0]
    assert set(line.get_ydata()) == {6000.0}
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["Pool size", "Used from pool", "Beyond pool (paid from credits)"]
    assert fig.axes[1].get_title() == "Conference dial-out (Zone A): busiest month used 33%"
    _close(fig)


# ---- funding -------------------------------------------------------------------------------


@pytest.fixture
def sim() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    S, T = 60, 120
    demand = rng.gamma(2.0, 5.0, (S, T))
    from planner import engine

    policy = engine.Policy(initial=300.0, recharge_amount=500.0, threshold=100.0)
    result = engine.paths(demand, "2025-07-01", policy)
    result["demand"] = demand
    return result


def test_demand_history_and_fan_chart(sim):
    hist = pd.Series(np.arange(60, dtype=float), index=pd.date_range("2025-05-02", periods=60))
    fig = figure_of(plots.demand_history(hist, "USD", window=30))
    ax = fig.axes[0]
    assert _legend(ax) == ["30-day mean", "Daily demand"]
    assert ax.lines[0].get_ydata()[-1] == pytest.approx(np.mean(np.arange(30, 60)))
    assert ax.get_ylabel() == "Credit demand per day (USD)"
    _close(fig)

    fig = figure_of(
        plots.fan_chart(sim["demand"], "2025-07-01", "USD", history=hist, cumulative=True)
    )
    ax = fig.axes[0]
    assert len([c for c in ax.collections if isinstance(c, PolyCollection)]) == 2
    median = [ln for ln in ax.lines if ln.get_label() == "Median scenario"][0]
    expected = np.percentile(np.cumsum(sim["demand"], axis=1), 50, axis=0) + hist.sum()
    assert np.allclose(median.get_ydata(), expected)
    assert "History" in _legend(ax) and ax.get_ylabel() == "Cumulative credit demand (USD)"
    assert "60 scenarios" in ax.get_title()
    _close(fig)


def test_balance_trajectories_with_comparison(sim):
    other = {k: v * 0.5 for k, v in sim.items()}
    fig = figure_of(
        plots.balance_trajectories(
            sim, "2025-07-01", "USD", threshold=100.0, compare=other, compare_threshold=50.0
        )
    )
    ax = fig.axes[0]
    legend = _legend(ax)
    for entry in (
        "Recommended: median balance",
        "Recommended: 5-95%",
        "Recommended: 25-75%",
        "Recommended: recharge threshold",
        "Recommended: recharges on a typical path",
        "Current settings: median balance",
        "Current settings: recharge threshold",
    ):
        assert entry in legend
    thresholds = sorted(
        ln.get_ydata()[0] for ln in ax.lines if ln.get_label().endswith("recharge threshold")
    )
    assert thresholds == [50.0, 100.0]
    median = [ln for ln in ax.lines if ln.get_label() == "Recommended: median balance"][0]
    assert np.allclose(median.get_ydata(), np.median(sim["balance"], axis=0))
    assert ax.get_ylabel() == "Balance at end of day (USD)"
    _close(fig)


def test_risk_frontier_expiry_runway(sim):
    fig = figure_of(plots.risk(sim, "USD", start="2025-07-01"))
    ax_e, ax_s = fig.axes
    assert ax_e.get_xlabel() == "Expired over the horizon (USD)"
    p = (sim["unserved"] > 1e-9).any(axis=1).mean()
    assert f"{percent(p)} of 60 paths" in ax_s.get_title()
    _close(fig)

    table = pd.DataFrame(
        {
            "cost": [1000.0, 1200.0, 1500.0, 1400.0],
            "p_stockout": [0.20, 0.05, 0.01, 0.10],
            "recharge_amount": [500.0, 1000.0, 2000.0, 1500.0],
            "threshold": [50.0, 100.0, 200.0, 100.0],
            "recommended": [False, True, False, False],
        }
    )
    fig = figure_of(plots.frontier(table, "USD"))
    ax = fig.axes[0]
    star = [c for c in ax.collections if c.get_label() == "Recommended"][0]
    assert star.get_offsets().tolist() == [[5.0, 1200.0]]
    front = [ln for ln in ax.lines if ln.get_label() == "Efficient frontier"][0]
    assert front.get_ydata().tolist() == [1500.0, 1200.0, 1000.0]  # the dominated point is off
    assert "Q 1,000, s 100" in _texts(ax)
    assert ax.get_ylabel() == "Expected cost over the horizon (USD)" and "%" in ax.get_xlabel()
    _close(fig)
    alts = pd.DataFrame(
        {
            "option": ["recommended", "fewer recharges"],
            "cost": [1210.0, 1300.0],
            "p_stockout": [0.008, 0.009],
        }
    )
    fig = figure_of(
        plots.frontier(
            table.drop(columns="recommended"), "USD", alternatives=alts, service_level=0.99
        )
    )
    ax = fig.axes[0]
    star = [c for c in ax.collections if c.get_label().startswith("1. recommended")][0]
    assert star.get_offsets().tolist() == [[0.8, 1210.0]]
    assert _texts(ax) == ["1", "2"]
    assert "1. recommended: $1,210, 0.8%" in _legend(ax)
    assert "2. fewer recharges: $1,300, 0.9%" in _legend(ax)
    assert "Allowed risk (1%)" in _legend(ax)
    _close(fig)

    lots = pd.DataFrame(
        {"purchase_date": pd.to_datetime(["2024-07-11", "2024-09-01"]), "amount": [80.0, 200.0]}
    )
    forfeit = analysis.lot_forfeiture(lots, sim["demand"], "2025-07-01")
    fig = figure_of(plots.expiry_schedule(forfeit, "USD"))
    ax = fig.axes[0]
    assert _heights(ax)[:2] == [80.0, 200.0]
    assert _heights(ax)[2:] == pytest.approx(forfeit["expected_forfeit"].tolist())
    assert [t.get_text() for t in ax.get_xticklabels()] == ["11 Jul 2025", "1 Sep 2025"]
    assert ax.get_ylabel() == "Amount (USD)"
    _close(fig)

    days = analysis.runway_days(sim["demand"], "2025-07-01", 300.0)
    fig = figure_of(plots.runway(days, alert_days=14))
    ax = fig.axes[0]
    assert sum(_heights(ax)) == len(days)
    assert "Alert at 14 days" in _legend(ax)
    _close(fig)


def test_draws_on_a_given_axes_and_save_closes(tmp_path, records):
    fig, (a, b) = plt.subplots(1, 2)
    out = plots.top_users(analysis.by_user(records), "EUR", ax=b)
    assert out is b and b.patches and not a.patches
    path = plots.save_figure(fig, tmp_path / "sub" / "users.png")
    assert path.stat().st_size > 1000
    assert fig.number not in plt.get_fignums()


def test_importing_plots_does_not_import_matplotlib():
    code = "import sys, planner.plots, planner.analysis; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_usage_charts_draw_for_a_tenant_without_calls():
    empty = conform(pd.DataFrame({"start": pd.Series([], dtype="datetime64[ns, UTC]")}))
    licences = pd.DataFrame({"plan": ["MCOPSTN1"], "country": ["US"], "users": [1]})
    daily = analysis.daily_credit_spend(empty)
    figures = [
        figure_of(plots.monthly_usage(analysis.monthly_summary(empty), "USD")),
        figure_of(plots.daily_spend(daily, "USD")),
        figure_of(plots.day_of_month(analysis.spend_by_day_of_month(daily), "USD")),
        figure_of(plots.top_users(analysis.by_user(empty), "USD")),
        figure_of(plots.top_destinations(analysis.by_destination(empty), "USD")),
        figure_of(plots.call_types(analysis.by_call_type(empty), "USD")),
        figure_of(plots.hour_weekday_heatmap(analysis.hour_weekday(empty))),
        figure_of(plots.toll_free(analysis.toll_free_usage(empty), "USD")),
        figure_of(plots.pool_usage(analysis.pool_usage(empty, licences))),
    ]
    for fig in figures:
        fig.canvas.draw()
        _close(fig)
    assert analysis.pool_usage(empty, licences).empty


def test_monthly_usage_keeps_the_busiest_month_inside_the_axes(records):
    april = records.iloc[[0]].assign(usage_id="u-april", start=pd.Timestamp("2025-04-10", tz="UTC"))
    summary = analysis.monthly_summary(pd.concat([records, april], ignore_index=True))
    fig = figure_of(plots.monthly_usage(summary, "EUR"))
    ax_cr = fig.axes[1]
    busiest = float(summary["credit_cents"].max())
    assert summary["credit_cents"].iloc[-1] < busiest  # the last month is not the busiest
    assert ax_cr.get_ylim()[1] >= busiest
    _close(fig)
