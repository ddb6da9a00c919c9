"""Unit tests of the balance engine: each step of the day, calendar expiry, the §3 checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner import _kernels
from planner.engine import Policy, expiry_days, paths, simulate, sweep, to_cents
from planner.errors import InputError


def run(demand, policy, start="2024-01-01", **kw):
    return simulate(np.asarray(demand, dtype=float), start, policy, **kw)


def col(result, name):
    return result.trajectory[name].to_numpy()


# ------------------------------------------------------------------------------------------
# Policy
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"initial": -1}, "initial"),
        ({"initial": float("nan")}, "initial"),
        ({"recharge_amount": 0}, "recharge_amount"),
        ({"threshold": -0.5}, "threshold"),
        ({"threshold": "10"}, "threshold"),
        ({"lead_days": -1}, "lead_days"),
        ({"lead_days": 1.5}, "lead_days"),
        ({"lead_days": float("nan")}, "lead_days"),
        ({"fix_days": float("inf")}, "fix_days"),
        ({"auto_recharge": "yes"}, "auto_recharge"),
        ({"failure_prob": 1.5}, "failure_prob"),
        ({"fix_days": -2}, "fix_days"),
    ],
)
def test_policy_rejects_bad_fields_naming_them(kwargs, field):
    args = {"initial": 100, "recharge_amount": 50, "threshold": 10, **kwargs}
    with pytest.raises(ValueError, match=f"^{field}:"):
        Policy(**args)


def test_policy_normalises_types_and_allows_no_recharge_amount_when_disabled():
    p = Policy(np.int64(100), 50, 10, lead_days=np.int64(3), fix_days=2.0)
    assert (p.initial, p.lead_days, p.fix_days) == (100.0, 3, 2)
    assert isinstance(p.lead_days, int) and isinstance(p.initial, float)
    assert Policy(100, 0, 0, auto_recharge=False).recharge_amount == 0


# ------------------------------------------------------------------------------------------
# step 1: expiry on calendar dates
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bought", "expires"),
    [
        ("2024-02-29", "2025-02-28"),  # leap day: no 29 February next year
        ("2023-02-28", "2024-02-28"),  # not the 29th in a leap year
        ("2024-03-31", "2025-03-31"),
        ("2024-01-31", "2025-01-31"),
        ("2023-08-31", "2024-08-31"),
        ("2024-12-31", "2025-12-31"),
    ],
)
def test_expiry_is_twelve_calendar_months(bought, expires):
    start = pd.Timestamp("2023-01-01")
    expected = (pd.Timestamp(expires) - start).days
    assert expiry_days(start, [pd.Timestamp(bought)]).tolist() == [expected]


@pytest.mark.parametrize(
    ("start", "expiry_day"),
    [("2024-02-29", 365), ("2024-02-28", 366), ("2023-03-31", 366), ("2024-03-31", 365)],
)
def test_initial_lot_expires_at_the_start_of_its_expiry_day(start, expiry_day):
    result = run(np.zeros(expiry_day + 3), Policy(100, 50, 0, auto_recharge=False), start=start)
    expired = col(result, "expired")
    assert expired[expiry_day] == 100
    assert expired.sum() == 100
    balance = col(result, "balance")
    assert balance[expiry_day - 1] == 100 and balance[expiry_day] == 0
    assert result.trajectory["date"].iloc[expiry_day] == pd.Timestamp(start) + pd.DateOffset(
        months=12
    )


def test_lots_bought_on_28_and_29_february_expire_together():
    # day 0 (28 Feb 2024) buys 10; day 1 (29 Feb) demand 6 leaves 4 < 5, so 10 more are
    # bought; nothing else is used, and both lots expire on 28 February 2025
    demand = np.zeros(400)
    demand[1] = 6
    result = run(demand, Policy(0, 10, 5), start="2024-02-28")
    t = result.trajectory.set_index("date")
    assert t.loc["2024-02-28", "purchased"] == 10
    assert t.loc["2024-02-29", "purchased"] == 10
    assert t.loc["2025-02-27", "balance"] == 14
    assert t.loc["2025-02-28", "expired"] == 14
    assert result.metrics["expired"] == 14


def test_expiry_happens_before_the_days_demand():
    # 92.5 bought on day 0, 91.5 used in the first year; on the expiry day the 1 left is lost
    # before that day's demand could use it
    demand = np.zeros(370)
    demand[:366] = 0.25
    demand[366] = 5
    result = run(demand, Policy(92.5, 50, 0, auto_recharge=False))  # 2024 is a leap year
    assert col(result, "expired")[366] == 1
    assert col(result, "unserved")[366] == 5


# ------------------------------------------------------------------------------------------
# steps 2-5
# ------------------------------------------------------------------------------------------


def test_immediate_top_up_serves_the_day_from_new_funds():
    # balance 30, demand 25 -> 5 < threshold 10: one recharge of 50 before consuming
    result = run([25, 0], Policy(30, 50, 10))
    assert col(result, "purchased").tolist() == [80, 0]
    assert col(result, "served").tolist() == [25, 0]
    assert col(result, "balance").tolist() == [55, 55]


def test_k_recharges_when_one_is_not_enough():
    # ceil((20 - (0 - 250)) / 100) = 3 lots of 100
    result = run([250], Policy(0, 100, 20))
    assert col(result, "purchased").tolist() == [300]
    assert result.metrics["recharges"] == 3
    assert col(result, "balance").tolist() == [50]
    assert result.events["amount"].tolist() == [300]


def test_trigger_is_strictly_below_threshold():
    result = run([10, 10], Policy(30, 50, 20))  # day 0 ends exactly at 20: no recharge
    assert col(result, "purchased").tolist() == [30, 50]


def test_lead_time_orders_arrive_lead_days_later_and_count_pending():
    # L = 3: day 0 ends at 5 < 20 -> order ceil(15/10) = 2 lots, arriving on day 3
    demand = [5, 5, 5, 5, 5, 5, 5]
    result = run(demand, Policy(10, 10, 20, lead_days=3))
    purchased = col(result, "purchased")
    # day 1 ends at 0 with 20 pending: 0 + 20 >= 20, no new order; day 3 ends at 15 and
    # orders 1 lot for day 6; day 4 ends at 10 + 10 pending; day 5 at 5 + 10 orders again
    assert purchased.tolist() == [10, 0, 0, 20, 0, 0, 10]
    assert col(result, "served").tolist() == [5, 5, 0, 5, 5, 5, 5]
    assert col(result, "unserved").tolist() == [0, 0, 5, 0, 0, 0, 0]
    assert col(result, "balance").tolist() == [5, 0, 0, 15, 10, 5, 10]


def test_orders_arriving_after_the_horizon_are_not_counted():
    result = run([5, 5], Policy(10, 10, 20, lead_days=5))
    assert result.metrics["purchased"] == 10
    assert result.metrics["recharges"] == 0


def test_disabled_auto_recharge_only_spends_the_initial_lot():
    result = run([40, 40, 40], Policy(100, 50, 60, auto_recharge=False))
    assert col(result, "served").tolist() == [40, 40, 20]
    assert col(result, "unserved").tolist() == [0, 0, 20]
    assert result.metrics["purchased"] == 100
    assert result.metrics["first_stockout"] == pd.Timestamp("2024-01-03")
    assert result.metrics["stockout_days"] == 1


# ------------------------------------------------------------------------------------------
# starting state
# ------------------------------------------------------------------------------------------


def test_starting_lots_are_consumed_first_and_expire_on_their_own_dates():
    start = pd.Timestamp("2024-06-01")
    lots = pd.DataFrame(
        {
            "purchase_date": pd.to_datetime(["2023-07-15", "2023-06-20"]),  # unsorted on purpose
            "amount": [40.0, 30.0],
        }
    )
    demand = np.full(60, 1.0)
    result = run(demand, Policy(100, 50, 0, auto_recharge=False), start=start, lots=lots)
    t = result.trajectory.set_index("date")
    # the 2023-06-20 lot (30) is used first; 19 days use 19 of it, 11 expire on 2024-06-20
    assert t.loc["2024-06-20", "expired"] == pytest.approx(11)
    # then the 2023-07-15 lot (40): used on 2024-06-20 .. 2024-07-14 (25 days), 15 expire
    assert t.loc["2024-07-15", "expired"] == pytest.approx(15)
    assert result.metrics["expired"] == pytest.approx(26)
    # the initial lot is untouched until both starting lots are gone
    assert t.loc["2024-07-14", "balance"] == pytest.approx(100 + 15)
    assert t.loc["2024-07-15", "balance"] == pytest.approx(99)
    assert result.metrics["start_balance"] == 70


def test_starting_lot_already_expired_is_lost_on_day_0():
    lots = pd.DataFrame({"purchase_date": [pd.Timestamp("2023-01-01")], "amount": [25.0]})
    result = run([1.0], Policy(10, 5, 0, auto_recharge=False), lots=lots)
    assert col(result, "expired").tolist() == [25]
    assert col(result, "balance").tolist() == [9]


def test_starting_lots_must_be_bought_before_the_start():
    lots = pd.DataFrame({"purchase_date": [pd.Timestamp("2024-02-01")], "amount": [25.0]})
    with pytest.raises(InputError, match="^lots: a lot bought on 2024-02-01, after the start"):
        run([1.0], Policy(10, 5, 0), lots=lots)


# ------------------------------------------------------------------------------------------
# failures and events
# ------------------------------------------------------------------------------------------


def test_failed_attempt_with_no_lead_time_serves_from_the_old_balance():
    # every attempt fails; fix_days = 2: attempts on days 0, 3, 6 only
    demand = [6, 6, 6, 6, 6, 6, 6]
    policy = Policy(15, 50, 10, failure_prob=1.0, fix_days=2)
    result = run(demand, policy, rng=np.random.default_rng(0))
    assert col(result, "served").tolist() == [6, 6, 3, 0, 0, 0, 0]
    assert result.metrics["failed_recharges"] == 3
    failed = result.events[result.events["event"] == "recharge_failed"]
    assert failed["date"].dt.day.tolist() == [1, 4, 7]
    # the attempt of day 0 would have bought ceil((10 - 9) / 50) = 1 lot
    assert failed["amount"].iloc[0] == 50


def test_failures_need_a_generator():
    with pytest.raises(ValueError, match="^rng:"):
        run([1.0], Policy(10, 5, 0, failure_prob=0.1))


def test_events_dates_and_amounts():
    demand = [10, 10, 10, 0, 5]
    result = run(demand, Policy(10, 20, 5, lead_days=2))
    events = result.events
    assert list(events.columns) == ["date", "event", "amount"]
    got = [(d.day, e, a) for d, e, a in events.itertuples(index=False)]
    # day 0 ends at 0 (balance_zero), orders 20 arriving on day 2
    assert got == [(1, "balance_zero", 0.0), (3, "recharge_succeeded", 20.0)]


def test_balance_zero_once_per_run_of_empty_days():
    result = run([5, 5, 5, 5], Policy(5, 5, 0, auto_recharge=False))
    assert result.events["event"].tolist() == ["balance_zero"]


# ------------------------------------------------------------------------------------------
# docs/credit-model.md §4 checks
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "s", "lead"), [(300, 50, 3), (3000, 10, 0), (3500, 0, 0), (70, 70, 7), (20, 40, 4)]
)
def test_constant_demand_nothing_expires_one_recharge_every_q_over_d_days(q, s, lead):
    # Q <= 365 d and s >= L d; the initial lot covers day 0 so the first order can arrive
    d = 10.0
    policy = Policy(s + d, q, s, lead_days=lead)
    result = run(np.full(3 * 365, d), policy, start="2023-05-05")
    assert result.metrics["expired"] == 0
    assert result.metrics["unserved"] == 0
    dates = result.events.loc[result.events["event"] == "recharge_succeeded", "date"]
    gaps = dates.diff().dropna().dt.days
    assert (gaps == q / d).all() and len(gaps) > 0


def test_oversized_lots_forfeit_what_a_year_did_not_consume():
    q, d = 10_000.0, 3.0
    start = pd.Timestamp("2023-11-10")
    result = run(np.full(5 * 366, d), Policy(0, q, 0.5), start=start)
    t = result.trajectory
    bought = t.loc[t["purchased"] > 0, "date"]
    # a lot bought on date b lives until b + 12 months, then the next lot is bought that day
    lifetimes = [(b + pd.DateOffset(months=12) - b).days for b in bought.iloc[:-1]]
    assert bought.iloc[1:].tolist() == [b + pd.DateOffset(months=12) for b in bought.iloc[:-1]]
    forfeits = t.loc[t["expired"] > 0, "expired"].to_numpy()
    np.testing.assert_allclose(forfeits, [q - n * d for n in lifetimes])
    assert result.metrics["unserved"] == 0


RENEWAL = {350.0: 0.0067, 365.0: 0.021, 400.0: 0.097, 450.0: 0.233}


@pytest.fixture(scope="module")
def poisson_forfeits():
    """Long-run forfeited amount per day under Poisson(1) demand, s = 0.5, L = 0.

    Two lifetimes on the same demand: calendar months (the engine) and a fixed 365 days (the
    renewal-theory setting, through the kernel with its own expiry table). Measured after a
    two-year burn-in as the difference of runs over nested horizons: the engine is causal, so
    the shorter run is a prefix of the longer one.
    """
    burn, years = 2 * 365, 20
    rng = np.random.default_rng(20240229)
    demand = rng.poisson(1.0, size=(1500, burn + years * 365)).astype(float)
    cents = to_cents(demand)
    qs = list(RENEWAL)
    n = len(qs)
    policy = (
        np.zeros(n, np.int64),
        to_cents(qs),
        np.full(n, 50, np.int64),
        np.zeros(n, np.int64),
        np.ones(n, bool),
        np.zeros(n),
        np.zeros(n, np.int64),
    )
    i_expired = _kernels.SUMMARY_FIELDS.index("expired")

    def forfeited(expiry):
        def total(m):
            empty = np.zeros(0, np.int64)
            no_tail = np.zeros((m.shape[0], 0), np.int64)
            args = (*policy, 0, 0, m.shape[1], no_tail)
            out = _kernels.sweep_kernel(m, empty, expiry[: m.shape[1]], *args)
            return out[i_expired].mean(axis=1) / 100

        per_day = (total(cents) - total(cents[:, :burn].copy())) / (years * 365)
        return dict(zip(qs, per_day.tolist(), strict=True))

    table = sweep(
        demand[:, :burn].copy(),
        "2020-01-01",
        pd.DataFrame({"initial": 0.0, "recharge_amount": qs, "threshold": 0.5, "lead_days": 0}),
        quantiles=(),
    )
    calendar = expiry_days("2020-01-01", pd.date_range("2020-01-01", periods=demand.shape[1]))
    fixed = np.arange(demand.shape[1], dtype=np.int64) + 365
    out = {"calendar": forfeited(calendar), "fixed": forfeited(fixed)}
    # the kernel called directly agrees with sweep() on the burn-in horizon
    burn_only = _kernels.sweep_kernel(
        cents[:, :burn].copy(), np.zeros(0, np.int64), calendar, *policy, 0, 0, burn,
        np.zeros((cents.shape[0], 0), np.int64),
    )  # fmt: skip
    np.testing.assert_allclose(table["expired"], burn_only[i_expired].mean(axis=1) / 100)
    return out


@pytest.mark.parametrize(("q", "rel"), [(350.0, 0.08), (365.0, 0.06), (400.0, 0.04), (450.0, 0.02)])
def test_poisson_long_run_forfeiture_matches_renewal_theory(poisson_forfeits, q, rel):
    assert poisson_forfeits["calendar"][q] == pytest.approx(RENEWAL[q], rel=rel)
    assert poisson_forfeits["fixed"][q] == pytest.approx(RENEWAL[q], rel=rel)


@pytest.mark.parametrize("q", list(RENEWAL))
def test_calendar_months_make_slightly_less_expire(poisson_forfeits, q):
    # calendar lots live 365 or 366 days: on the same demand a bit less expires
    calendar, fixed = poisson_forfeits["calendar"][q], poisson_forfeits["fixed"][q]
    assert 0.85 * fixed < calendar < fixed


# ------------------------------------------------------------------------------------------
# sweep and paths
# ------------------------------------------------------------------------------------------


def _grid():
    return pd.DataFrame(
        {
            "initial": [0.0, 50.0, 200.0, 0.0],
            "recharge_amount": [40.0, 100.0, 500.0, 30.0],
            "threshold": [5.0, 20.0, 0.0, 10.0],
            "lead_days": [0, 2, 0, 1],
            "auto_recharge": [True, True, True, False],
        },
        index=["a", "b", "c", "d"],
    )


def test_sweep_equals_simulate_on_each_scenario():
    rng = np.random.default_rng(3)
    demand = rng.gamma(0.5, 4.0, size=(7, 500))
    grid = _grid()
    table = sweep(demand, "2024-02-01", grid, quantiles=(0.1, 0.5))
    assert list(table.index) == list(grid.index)
    for label, row in grid.iterrows():
        policy = Policy(**row.to_dict())
        runs = [simulate(demand[i], "2024-02-01", policy).metrics for i in range(len(demand))]
        for name in ["purchased", "recharges", "expired", "unserved", "stockout_days"]:
            assert table.loc[label, name] == pytest.approx(np.mean([m[name] for m in runs]))
        assert table.loc[label, "p_stockout"] == np.mean([m["stockout_days"] > 0 for m in runs])
        assert table.loc[label, "expired_q50"] == pytest.approx(
            np.quantile([m["expired"] for m in runs], 0.5)
        )
        runway = [
            (m["first_stockout"] - pd.Timestamp("2024-02-01")).days if m["first_stockout"] else 500
            for m in runs
        ]
        assert table.loc[label, "runway_days_q10"] == pytest.approx(np.quantile(runway, 0.1))


def test_sweep_does_not_depend_on_block_size_or_threads(monkeypatch):
    import numba

    from planner import engine

    rng = np.random.default_rng(4)
    demand = rng.poisson(2.0, size=(9, 400)).astype(float)
    grid = _grid().assign(failure_prob=[0.0, 0.3, 0.5, 0.2], fix_days=[0, 5, 1, 0])
    monkeypatch.setattr(engine.core, "_PARALLEL_MIN_LANE_DAYS", 0)  # all threads, however small
    a = sweep(demand, "2024-01-01", grid, rng=np.random.default_rng(1), block_size=1)
    previous = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        b = sweep(demand, "2024-01-01", grid, rng=np.random.default_rng(1), block_size=4)
    finally:
        numba.set_num_threads(previous)
    pd.testing.assert_frame_equal(a, b)
    assert (a["failed_recharges"].iloc[1:3] > 0).all()


def test_sweep_columns_and_validation():
    demand = np.ones((2, 30))
    table = sweep(demand, "2024-01-01", _grid(), quantiles=(0.05, 0.025))
    assert {"p_stockout", "expired_q05", "min_balance_q2_5", "runway_days_q05"} <= set(table)
    assert list(table.columns[:7]) == [
        "initial",
        "recharge_amount",
        "threshold",
        "lead_days",
        "auto_recharge",
        "failure_prob",
        "fix_days",
    ]
    with pytest.raises(ValueError, match="^policies: threshold:"):
        sweep(demand, "2024-01-01", _grid().assign(threshold=-1.0))
    with pytest.raises(ValueError, match="^policies: missing"):
        sweep(demand, "2024-01-01", _grid().drop(columns="lead_days"))
    with pytest.raises(ValueError, match="^demand:"):
        sweep(-demand, "2024-01-01", _grid())
    with pytest.raises(ValueError, match="^demand:"):
        sweep(np.ones(5), "2024-01-01", _grid())
    with pytest.raises(ValueError, match="^policies: lead_days must hold whole numbers"):
        sweep(demand, "2024-01-01", _grid().assign(lead_days=0.5))
    with pytest.raises(ValueError, match="^policies: auto_recharge"):
        sweep(demand, "2024-01-01", _grid().assign(auto_recharge="no"))
    with pytest.raises(ValueError, match="^policies: initial holds a missing"):
        sweep(demand, "2024-01-01", _grid().assign(initial=np.nan))


@given(
    st.lists(
        st.one_of(
            st.floats(0, 1e9, allow_nan=False),
            st.integers(0, 10**8).map(lambda c: c / 100 + 0.005),  # half a cent: rounds up
        ),
        min_size=6,
        max_size=6,
    )
)
@settings(max_examples=200, deadline=None)
def test_demand_in_cents_is_to_cents_in_one_pass(amounts):
    matrix = np.array(amounts).reshape(2, 3)
    cents, ok = _kernels.demand_cents(matrix)
    assert ok and cents.tolist() == to_cents(matrix).tolist()


def test_sweep_reads_every_kind_of_demand_alike():
    demand = np.random.default_rng(5).gamma(0.5, 4.0, size=(3, 60)).round(2)
    table = sweep(demand, "2024-01-01", _grid())
    for same in (demand.tolist(), demand.astype(np.float32).astype(np.float64).round(2),
                 np.asfortranarray(demand)):  # fmt: skip
        pd.testing.assert_frame_equal(sweep(same, "2024-01-01", _grid()), table)
    for bad in (np.nan, np.inf, -0.01):
        broken = demand.copy()
        broken[1, 7] = bad
        with pytest.raises(ValueError, match="^demand: contains"):
            sweep(broken, "2024-01-01", _grid())


def test_paths_give_daily_arrays_and_runway():
    demand = np.array([[1.0] * 10, [0.0] * 10, [3.0] * 10])
    out = paths(demand, "2024-01-01", Policy(10, 5, 0, auto_recharge=False))
    assert set(out) == {"balance", "served", "unserved", "purchased", "expired", "runway_days"}
    assert out["balance"].shape == (3, 10)
    assert out["runway_days"].tolist() == [10, 10, 3]
    assert out["balance"][2, :4].tolist() == [7, 4, 1, 0]


def test_simulate_takes_a_dated_series():
    series = pd.Series([1.0, 2.0], index=pd.date_range("2024-05-01", periods=2))
    result = simulate(series, None, Policy(5, 5, 0))
    assert result.trajectory["date"].iloc[0] == pd.Timestamp("2024-05-01")
    assert list(result.trajectory.columns) == [
        "date",
        "demand",
        "served",
        "unserved",
        "purchased",
        "expired",
        "balance",
    ]


def test_dated_series_must_be_consecutive_and_match_the_start():
    series = pd.Series([1.0, 2.0], index=pd.to_datetime(["2024-05-01", "2024-05-03"]))
    with pytest.raises(ValueError, match="^demand: the Series index"):
        simulate(series, None, Policy(5, 5, 0))
    series.index = pd.date_range("2024-05-01", periods=2)
    with pytest.raises(ValueError, match="^start: 2024-05-02 is not"):
        simulate(series, "2024-05-02", Policy(5, 5, 0))
    with pytest.raises(ValueError, match="^start: required"):
        simulate(series.to_numpy(), None, Policy(5, 5, 0))


def test_kernel_field_names_are_the_documented_ones():
    assert _kernels.RECORD_FIELDS[:5] == ("served", "unserved", "purchased", "expired", "balance")
