"""Charts on degenerate input: empty tables, one month, one day, all zeros, one scenario.

Every chart must draw a readable panel: distinct tick labels, no ticks that mean nothing
(hours on a day axis, negative probabilities), and a note saying there is nothing to show.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg", force=True)

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from planner import analysis, plots, text  # noqa: E402
from planner.plots import figure_of  # noqa: E402
from planner.schema import conform  # noqa: E402

START = "2025-07-01"


@pytest.fixture(autouse=True)
def _all_closed():
    plt.close("all")
    yield
    plt.close("all")


def _ticks(ax, axis: str) -> list[str]:
    """Labels of the ticks inside the view, blanks dropped (after a draw)."""
    ax.figure.canvas.draw()
    target = ax.xaxis if axis == "x" else ax.yaxis
    low, high = sorted(ax.get_xlim() if axis == "x" else ax.get_ylim())
    span = high - low
    labels = []
    for tick in target.get_major_ticks():
        where = tick.get_loc()
        if low - 1e-9 * span <= where <= high + 1e-9 * span and tick.label1.get_text():
            labels.append(tick.label1.get_text())
    return labels


def _notes(fig) -> list[str]:
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    return texts + [t.get_text() for t in fig.texts]


def _readable(fig) -> None:
    """Every visible panel has distinct tick labels on both axes, and none reads "-0"."""
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        for axis in ("x", "y"):
            labels = _ticks(ax, axis)
            assert len(labels) == len(set(labels)), (ax.get_title(), axis, labels)
            assert not {"-0", "−0"} & set(labels), (ax.get_title(), axis, labels)


# ---- tick labels ----------------------------------------------------------------------------


def test_tick_decimals_follow_the_tick_spacing():
    assert plots.style.decimals(np.array([2388.0, 2389.0, 2390.0])) == 0
    assert plots.style.decimals(np.array([2389.2, 2389.4, 2389.6])) == 1
    assert plots.style.decimals(np.array([0.0, 0.25, 0.5])) == 2
    assert plots.style.decimals(np.array([])) == 0
    fmt = plots.style.tick_formatter(scale=100.0)
    fmt.set_locs([238_920.0, 238_940.0])
    assert [fmt(v) for v in (238_920.0, 238_940.0, -1e-12)] == ["2,389.2", "2,389.4", "0.0"]


# ---- frontier -------------------------------------------------------------------------------


def _candidates(cost, p) -> pd.DataFrame:
    n = len(cost)
    return pd.DataFrame(
        {
            "cost": np.asarray(cost, dtype=float),
            "p_stockout": np.asarray(p, dtype=float),
            "recharge_amount": np.full(n, 500.0),
            "threshold": np.linspace(50, 80, n) if n else np.zeros(0),
        }
    )


def test_frontier_narrow_cost_range_has_distinct_cost_labels():
    fig = figure_of(
        plots.frontier(
            _candidates([2389.1, 2389.3, 2389.6, 2389.9], [0.004, 0.003, 0.002, 0.001]), "USD"
        )
    )
    ax = fig.axes[0]
    _readable(fig)
    costs = _ticks(ax, "y")
    assert len(costs) >= 3
    # every point lies inside the axis, and no probability tick is negative
    low, high = ax.get_ylim()
    assert low < 2389.1 and high > 2389.9
    assert not [t for t in _ticks(ax, "x") if t.startswith(("-", "−"))]


@pytest.mark.parametrize(
    "cost, p",
    [([2389.0], [0.0]), ([2389.0, 2389.0, 2389.0], [0.0, 0.0, 0.0]), ([10.0, 10.0], [0.5, 0.5])],
)
def test_frontier_one_point_or_a_flat_one(cost, p):
    fig = figure_of(plots.frontier(_candidates(cost, p), "USD"))
    ax = fig.axes[0]
    _readable(fig)
    assert not [t for t in _ticks(ax, "x") if t.startswith(("-", "−"))]
    low, high = ax.get_ylim()
    assert low < cost[0] < high


def test_frontier_without_candidates_says_so():
    fig = figure_of(plots.frontier(_candidates([], []), "USD"))
    assert "No candidate policies to compare" in _notes(fig)
    assert _ticks(fig.axes[0], "x") == [] and _ticks(fig.axes[0], "y") == []


# ---- risk -----------------------------------------------------------------------------------


def _paths(S: int = 20, T: int = 60) -> dict[str, np.ndarray]:
    return {
        "expired": np.zeros((S, T)),
        "unserved": np.zeros((S, T)),
        "balance": np.ones((S, T)),
        "purchased": np.zeros((S, T)),
    }


def test_risk_single_stockout_on_a_day_axis_and_nothing_forfeited():
    result = _paths()
    result["unserved"][3, 40] = 1.0  # one path runs out on 10 Aug 2025
    fig = figure_of(plots.risk(result, "USD", start=START))
    ax_e, ax_s = fig.axes
    _readable(fig)
    assert "Nothing forfeited in any scenario" in _notes(fig)
    assert _ticks(ax_e, "x") == []  # no -0.4 .. 0.4 axis of nothing
    # the stock-out axis counts whole days: at least two weeks wide, ticks on midnights
    low, high = ax_s.get_xlim()
    assert high - low >= 14
    ax_s.figure.canvas.draw()
    for tick in ax_s.xaxis.get_major_ticks():
        assert tick.get_loc() == pytest.approx(round(tick.get_loc()))
    assert all(":" not in t for t in _ticks(ax_s, "x"))
    bars = [p for p in ax_s.patches if p.get_height() > 0]
    assert len(bars) == 1 and bars[0].get_height() == 1
    day = mdates.num2date(bars[0].get_x() + bars[0].get_width() / 2).date()
    assert str(day) == "2025-08-10"
    assert _ticks(ax_s, "y") == ["0", "1"]
    assert "5% of 20 paths" in ax_s.get_title()


def test_risk_without_start_counts_whole_days_and_one_scenario():
    result = _paths(S=1)
    result["unserved"][0, 7] = 2.0
    result["expired"][0, 30] = 5.0
    fig = figure_of(plots.risk(result, "USD"))
    ax_e, ax_s = fig.axes
    _readable(fig)
    assert [p.get_height() for p in ax_e.patches] == [1]  # one bar, not 30 slivers
    assert "100% of paths lose some" in ax_e.get_title()
    days = [float(t.replace(",", "")) for t in _ticks(ax_s, "x")]
    assert days and all(d == int(d) for d in days)
    assert ax_s.get_xlim()[1] - ax_s.get_xlim()[0] >= 14


def test_risk_with_no_stockout_and_no_paths():
    fig = figure_of(plots.risk(_paths(), "USD", start=START))
    assert {"No stock-out in any scenario", "Nothing forfeited in any scenario"} <= set(_notes(fig))
    _readable(fig)
    empty = {k: v[:0] for k, v in _paths().items()}
    fig = figure_of(plots.risk(empty, "USD", start=START))
    assert _notes(fig).count("No scenario paths") == 2
    with text.language("fr"):  # the notes are in the report's language
        fig = figure_of(plots.risk(_paths(), "EUR", start=START))
    assert {"Aucune rupture dans aucun scénario", "Rien n'est perdu dans aucun scénario"} <= set(
        _notes(fig)
    )


# ---- runway and expiry ----------------------------------------------------------------------


def test_runway_when_every_path_outlasts_the_horizon_or_there_is_none():
    fig = figure_of(plots.runway(np.full(10, np.inf), alert_days=14, horizon=365))
    ax = fig.axes[0]
    _readable(fig)
    assert "Every path lasts beyond the 365-day horizon" in _notes(fig)
    assert ax.get_xlim() == (0.0, 365.0)
    assert "100% of paths last beyond 365 days" in ax.get_title()
    fig = figure_of(plots.runway(np.array([]), alert_days=14))
    assert "No scenario paths" in _notes(fig)
    _readable(fig)


def test_runway_of_one_value_has_whole_day_ticks_from_zero():
    fig = figure_of(plots.runway(np.full(5, 17.0), alert_days=14, horizon=365))
    ax = fig.axes[0]
    _readable(fig)
    days = [int(t.replace(",", "")) for t in _ticks(ax, "x")]
    assert days[0] == 0 and max(days) >= 17
    bars = [p for p in ax.patches if p.get_height() > 0]
    assert len(bars) == 1 and bars[0].get_height() == 5
    assert bars[0].get_x() == pytest.approx(16.5) and bars[0].get_width() == pytest.approx(1.0)


def test_expiry_schedule_empty_and_used_up():
    empty = pd.DataFrame(
        {"date": pd.to_datetime([]), "amount": np.zeros(0), "expected_forfeit": np.zeros(0)}
    )
    fig = figure_of(plots.expiry_schedule(empty, "USD"))
    assert "No funds held today" in _notes(fig)
    _readable(fig)
    used = pd.DataFrame(
        {"date": pd.to_datetime(["2026-01-01"]), "amount": [0.0], "expected_forfeit": [0.0]}
    )
    fig = figure_of(plots.expiry_schedule(used, "USD"))
    _readable(fig)
    assert "Nothing left in these lots" in _notes(fig)
    assert fig.axes[0].get_ylim()[1] >= 1.0


# ---- balance, fan, demand history -----------------------------------------------------------


@pytest.mark.parametrize("days", [1, 30])
def test_balance_and_fan_on_short_or_all_zero_paths(days):
    zero = {"balance": np.zeros((3, days)), "purchased": np.zeros((3, days))}
    for fig in (
        figure_of(plots.balance_trajectories(zero, START, "USD")),
        figure_of(plots.balance_trajectories({k: v + 1.0 for k, v in zero.items()}, START, "USD")),
        figure_of(plots.fan_chart(np.zeros((3, days)), START, "USD")),
        figure_of(plots.fan_chart(np.ones((1, days)), START, "USD")),
    ):
        ax = fig.axes[0]
        _readable(fig)
        dates = _ticks(ax, "x")
        assert 2 <= len(dates) <= 10 and all(":" not in d for d in dates)
        low, high = ax.get_ylim()
        assert low == 0.0 and high >= 1.0
        span = ax.get_xlim()[1] - ax.get_xlim()[0]
        assert 7 <= span <= 60
        plt.close(fig)


def test_demand_history_empty_or_all_zero():
    fig = figure_of(
        plots.demand_history(pd.Series([], dtype=float, index=pd.DatetimeIndex([])), "USD")
    )
    assert "No demand history" in _notes(fig)
    _readable(fig)
    zero = pd.Series(0.0, index=pd.date_range("2025-01-01", periods=10))
    fig = figure_of(plots.demand_history(zero, "USD"))
    assert "No credit demand on any day" in _notes(fig)
    _readable(fig)
    assert fig.axes[0].get_ylim() == (0.0, 1.0)


# ---- usage charts ---------------------------------------------------------------------------


def _records(rows) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["upn", "start", "charge_cents", "destination_dialed"])
    df["start"] = pd.to_datetime(df["start"], utc=True)
    df = df.assign(
        usage_id=[f"u{i}" for i in range(len(df))],
        capability="MCOPSTNPP",
        currency="EUR",
        duration_s=60,
        connection_fee_cents=0,
        call_type="user_out",
        call_direction="outbound",
        destination_context="International",
    )
    return conform(df)


EMPTY = conform(pd.DataFrame({"start": pd.Series([], dtype="datetime64[ns, UTC]")}))
LICENCES = pd.DataFrame({"plan": ["MCOPSTN1"], "country": ["US"], "users": [1]})


def _usage_charts(records: pd.DataFrame) -> dict:
    daily = analysis.daily_credit_spend(records)
    return {
        "monthly": lambda: figure_of(plots.monthly_usage(analysis.monthly_summary(records), "EUR")),
        "daily": lambda: figure_of(plots.daily_spend(daily, "EUR")),
        "day_of_month": lambda: figure_of(
            plots.day_of_month(analysis.spend_by_day_of_month(daily), "EUR")
        ),
        "users": lambda: figure_of(plots.top_users(analysis.by_user(records), "EUR")),
        "destinations": lambda: figure_of(
            plots.top_destinations(analysis.by_destination(records), "EUR")
        ),
        "call_types": lambda: figure_of(plots.call_types(analysis.by_call_type(records), "EUR")),
        "heat": lambda: figure_of(plots.hour_weekday_heatmap(analysis.hour_weekday(records))),
        "toll_free": lambda: figure_of(plots.toll_free(analysis.toll_free_usage(records), "EUR")),
        "pools": lambda: figure_of(plots.pool_usage(analysis.pool_usage(records, LICENCES))),
    }


EMPTY_NOTES = {
    "monthly": "No credit spend to show",
    "daily": "No days with calls to show",
    "day_of_month": "No credit spend to show",
    "users": "Nothing to show",
    "destinations": "Nothing to show",
    "call_types": "No calls to show",
    "heat": "No calls to show",
    "toll_free": "No toll-free calls to show",
    "pools": "No calls and no minute pools to show",
}


@pytest.mark.parametrize("name", sorted(EMPTY_NOTES))
def test_usage_chart_on_a_tenant_without_calls(name):
    fig = _usage_charts(EMPTY)[name]()
    _readable(fig)
    assert EMPTY_NOTES[name] in _notes(fig)


@pytest.mark.parametrize("name", sorted(EMPTY_NOTES))
def test_usage_chart_on_one_month_of_free_calls_and_of_one_paid_call(name):
    free = _records([("ann@contoso.com", "2025-01-10T10:00:00Z", 0, "Germany")])
    fig = _usage_charts(free)[name]()
    _readable(fig)
    plt.close(fig)
    paid = _records([("ann@contoso.com", "2025-01-10T10:00:00Z", 1234, "Germany")])
    fig = _usage_charts(paid)[name]()
    _readable(fig)
    assert not {"No credit spend to show", "Nothing to show"} & set(_notes(fig))


def test_frontier_scales_to_the_frontier_and_marks_a_far_alternative():
    table = _candidates([282.6, 282.8, 283.0], [0.03, 0.01, 0.0])
    alts = pd.DataFrame(
        {
            "option": ["recommended", "one-time funding"],
            "cost": [282.8, 1355.0],
            "p_stockout": [0.01, 0.01],
        }
    )
    fig = figure_of(plots.frontier(table, "USD", alternatives=alts, service_level=0.99))
    low, high = fig.axes[0].get_ylim()
    # scaled to what matters: the frontier and the recommendation, not the one-time funding,
    # which is marked at the top edge with its cost
    assert low < 282.6 and 283.0 < high < 400
    assert any("2: $1,355 (off the scale)" in a.get_text() for a in fig.axes[0].texts)
    _readable(fig)
