"""The fast engine against a slow, lot-by-lot reference of the balance model.

The reference keeps an explicit list of lots (purchase date, amount left), expires them on
their calendar expiry dates and consumes them oldest first: the model of
``docs/credit-model.md`` §2 written out without the frontier identity.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.engine import Policy, paths, simulate, sweep, to_cents

MONTHS_12 = pd.DateOffset(months=12)


def _cents(x) -> int:
    """Whole cents of an amount, rounded half away from zero (the engine's rounding)."""
    c = abs(float(x)) * 100.0
    return int(math.copysign(math.floor(c + 0.5), float(x)))


def reference(demand, start, policy: Policy, lots=None, plan_days=None) -> pd.DataFrame:
    """Lot-by-lot simulation in whole cents (Python ints); one row per day plus
    ``recharges`` (lots of Q). Amounts come back in currency units. Recharges trigger on the
    first ``plan_days`` days only (default: every day); later days spend what is left."""
    plan_days = len(demand) if plan_days is None else plan_days
    start = pd.Timestamp(start)
    held: list[list] = []  # [purchase date, expiry date, cents left], oldest first
    if lots is not None:
        for date, amount in sorted(
            zip(lots["purchase_date"], lots["amount"], strict=True), key=lambda x: x[0]
        ):
            held.append([pd.Timestamp(date), pd.Timestamp(date) + MONTHS_12, _cents(amount)])
    start_balance = sum(lot[2] for lot in held)
    arriving: dict[int, int] = {}
    pending = 0
    q, s = _cents(policy.recharge_amount), _cents(policy.threshold)
    lead = policy.lead_days
    rows = []
    for t, d_float in enumerate(np.asarray(demand, dtype=float)):
        d = _cents(d_float)
        day = start + pd.Timedelta(days=t)
        purchased = 0
        recharges = 0
        if t == 0:
            held.append([day, day + MONTHS_12, _cents(policy.initial)])
            purchased += _cents(policy.initial)
        # 1. expire
        expired = sum(lot[2] for lot in held if lot[1] <= day)
        held = [lot for lot in held if lot[1] > day]
        # 2. arrive
        if t in arriving:
            amount = arriving.pop(t)
            held.append([day, day + MONTHS_12, amount])
            purchased += amount
            pending -= amount
            recharges += amount // q
        balance = sum(lot[2] for lot in held)
        # 3. immediate top-up, strictly below the trigger
        if policy.auto_recharge and lead == 0 and t < plan_days and balance - d < s:
            k = max(1, -(-(s - (balance - d)) // q))
            held.append([day, day + MONTHS_12, k * q])
            purchased += k * q
            recharges += k
        # 4. consume oldest first
        need = d
        for lot in held:
            take = min(lot[2], need)
            lot[2] -= take
            need -= take
        held = [lot for lot in held if lot[2] > 0]
        served = d - need
        balance = sum(lot[2] for lot in held)
        # 5. order
        if policy.auto_recharge and lead > 0 and t < plan_days and balance + pending < s:
            k = max(1, -(-(s - balance - pending) // q))
            arriving[t + lead] = k * q
            pending += k * q
        rows.append(
            (day, d / 100, served / 100, need / 100, purchased / 100, expired / 100)
            + (balance / 100, recharges)
        )
    out = pd.DataFrame(
        rows,
        columns=[
            "date",
            "demand",
            "served",
            "unserved",
            "purchased",
            "expired",
            "balance",
            "recharges",
        ],
    )
    out.attrs["start_balance"] = start_balance / 100
    return out


# ------------------------------------------------------------------------------------------
# strategies: dyadic amounts (multiples of 1/4) keep both implementations exact
# ------------------------------------------------------------------------------------------

START_DATES = ["2024-02-29", "2023-03-31", "2024-01-31", "2023-12-31", "2025-06-15", "2024-03-01"]

money = st.integers(0, 400).map(lambda n: n / 4)


@st.composite
def cases(draw, max_days=800):
    start = pd.Timestamp(draw(st.sampled_from(START_DATES)))
    n_days = draw(st.integers(1, max_days))
    scale = draw(st.sampled_from([0.25, 1.0, 4.0]))
    seed = draw(st.integers(0, 2**32 - 1))
    policy = Policy(
        initial=draw(money),
        recharge_amount=draw(st.integers(1, 800).map(lambda n: n / 4)),
        threshold=draw(money),
        lead_days=draw(st.sampled_from([0, 0, 1, 2, 7])),
        auto_recharge=draw(st.booleans()),
    )
    n_lots = draw(st.integers(0, 3))
    lots = pd.DataFrame(
        {
            "purchase_date": [
                start - pd.Timedelta(days=draw(st.integers(0, 400))) for _ in range(n_lots)
            ],
            "amount": [draw(money) for _ in range(n_lots)],
        }
    )
    return start, n_days, scale, seed, policy, lots


def demand_paths(seed: int, n_scen: int, n_days: int, scale: float) -> np.ndarray:
    """Integer-valued demand times a dyadic scale, with quiet spells and spikes."""
    rng = np.random.default_rng(seed)
    base = rng.poisson(rng.uniform(0.2, 6.0, size=(n_scen, 1)), size=(n_scen, n_days))
    quiet = rng.random((n_scen, n_days)) < 0.2
    spike = rng.random((n_scen, n_days)) < 0.01
    return np.where(quiet, 0, base + spike * 200).astype(float) * scale


FIELDS = ["served", "unserved", "purchased", "expired", "balance"]
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


@SETTINGS
@given(cases())
def test_simulate_matches_lot_by_lot_reference(case):
    start, n_days, scale, seed, policy, lots = case
    demand = demand_paths(seed, 1, n_days, scale)[0]
    ref = reference(demand, start, policy, lots)
    got = simulate(demand, start, policy, lots=lots)
    for name in FIELDS:
        np.testing.assert_allclose(got.trajectory[name], ref[name], atol=1e-9, err_msg=name)
    m = got.metrics
    assert m["recharges"] == ref["recharges"].sum()
    assert m["expired"] == pytest.approx(ref["expired"].sum(), abs=1e-9)
    assert m["stockout_days"] == int((ref["unserved"] > 0).sum())
    assert m["start_balance"] == pytest.approx(ref.attrs["start_balance"])


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(cases(max_days=500), st.integers(1, 4), st.integers(1, 3))
def test_sweep_and_paths_match_reference(case, n_scen, n_pol):
    start, n_days, scale, seed, policy, lots = case
    demand = demand_paths(seed, n_scen, n_days, scale)
    rng = np.random.default_rng(seed)
    policies = pd.DataFrame(
        {
            "initial": [policy.initial] + list(rng.integers(0, 400, n_pol - 1) / 4),
            "recharge_amount": [policy.recharge_amount] + list(rng.integers(1, 800, n_pol - 1) / 4),
            "threshold": [policy.threshold] + list(rng.integers(0, 400, n_pol - 1) / 4),
            "lead_days": [policy.lead_days] + list(rng.integers(0, 5, n_pol - 1)),
            "auto_recharge": [policy.auto_recharge] + [True] * (n_pol - 1),
        }
    )
    table = sweep(demand, start, policies, lots=lots, block_size=2)
    for p, row in enumerate(policies.itertuples(index=False)):
        pol = Policy(**row._asdict())
        refs = [reference(demand[i], start, pol, lots) for i in range(n_scen)]
        totals = pd.DataFrame([r.drop(columns="date").sum() for r in refs])
        got = table.iloc[p]
        for name in ["purchased", "expired", "unserved", "recharges"]:
            assert got[name] == pytest.approx(totals[name].mean(), abs=1e-9), name
        stockout = np.array([(r["unserved"] > 0).sum() for r in refs])
        assert got["stockout_days"] == pytest.approx(stockout.mean())
        assert got["p_stockout"] == pytest.approx((stockout > 0).mean())
        assert got["mean_balance"] == pytest.approx(np.mean([r["balance"].mean() for r in refs]))
        assert got["end_balance"] == pytest.approx(np.mean([r["balance"].iloc[-1] for r in refs]))
        if p == 0:
            daily = paths(demand, start, pol, lots=lots)
            for name in FIELDS:
                expected = np.stack([r[name].to_numpy() for r in refs])
                np.testing.assert_allclose(daily[name], expected, atol=1e-9, err_msg=name)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(cases(max_days=500), st.integers(1, 3), st.floats(0.2, 0.9))
def test_the_tail_forfeits_what_the_lot_by_lot_reference_forfeits(case, n_scen, plan_share):
    """After the plan days nothing is bought; the sweep jumps from one expiry to the next
    through the tail (the lots left are only spent or expired), and must forfeit to the cent
    what the reference forfeits walking every day, lots held before the start included."""
    start, n_days, scale, seed, policy, lots = case
    plan_days = max(1, int(n_days * plan_share))
    demand = demand_paths(seed, n_scen, n_days, scale)
    # a light demand keeps funds alive into the tail, so that they can expire there
    demand = np.round(demand * [[0.05], [0.3], [1.0]][:n_scen] * 4) / 4
    table = sweep(demand, start, pd.DataFrame([policy.__dict__]), lots=lots, plan_days=plan_days)
    refs = [reference(demand[i], start, policy, lots, plan_days) for i in range(n_scen)]
    got = table.iloc[0]
    assert got["forfeited"] == pytest.approx(np.mean([r["expired"].sum() for r in refs]), abs=1e-9)
    assert got["purchased"] == pytest.approx(
        np.mean([r["purchased"].sum() for r in refs]), abs=1e-9
    )
    in_plan = [r.iloc[:plan_days] for r in refs]
    assert got["expired"] == pytest.approx(np.mean([r["expired"].sum() for r in in_plan]), abs=1e-9)
    assert got["end_balance"] == pytest.approx(np.mean([r["balance"].iloc[-1] for r in in_plan]))


@SETTINGS
@given(cases(), st.floats(0.0, 1.0), st.integers(0, 30), st.integers(1, 3))
def test_money_is_conserved_every_day(case, failure_prob, fix_days, n_scen):
    start, n_days, scale, seed, policy, lots = case
    # non-dyadic demand too: conservation must hold up to rounding whatever the amounts
    demand = demand_paths(seed, n_scen, n_days, scale) * 1.01
    policy = Policy(**{**policy.__dict__, "failure_prob": failure_prob, "fix_days": fix_days})
    daily = paths(demand, start, policy, lots=lots, rng=np.random.default_rng(seed))
    start_balance = float(lots["amount"].sum())
    previous = np.concatenate(
        [np.full((n_scen, 1), start_balance), daily["balance"][:, :-1]], axis=1
    )
    change = daily["purchased"] - daily["served"] - daily["expired"]
    scale_ = 1e-9 * max(1.0, start_balance + daily["purchased"].sum())
    np.testing.assert_allclose(daily["balance"], previous + change, atol=scale_)
    assert (daily["balance"] >= 0).all()
    assert (daily["served"] >= 0).all() and (daily["expired"] >= 0).all()
    # demand is simulated in whole cents
    in_cents = to_cents(demand) / 100
    np.testing.assert_allclose(daily["served"] + daily["unserved"], in_cents, atol=1e-9)
    assert (daily["served"] <= in_cents).all()


@SETTINGS
@given(cases(max_days=400), st.floats(0.05, 0.95), st.integers(0, 20))
def test_failures_are_reproducible_from_the_seed(case, failure_prob, fix_days):
    start, n_days, scale, seed, policy, lots = case
    demand = demand_paths(seed, 3, n_days, scale)
    policy = Policy(**{**policy.__dict__, "failure_prob": failure_prob, "fix_days": fix_days})
    one = paths(demand, start, policy, lots=lots, rng=np.random.default_rng(seed))
    two = paths(demand, start, policy, lots=lots, rng=np.random.default_rng(seed))
    for name in FIELDS:
        np.testing.assert_array_equal(one[name], two[name])
    table = pd.DataFrame([policy.__dict__] * 3)
    a = sweep(demand, start, table, lots=lots, rng=np.random.default_rng(seed), block_size=1)
    b = sweep(demand, start, table, lots=lots, rng=np.random.default_rng(seed), block_size=3)
    pd.testing.assert_frame_equal(a, b)
    # policy row 0 of the sweep sees the same failures as paths() with the same seed
    assert a["purchased"].iloc[0] == pytest.approx(one["purchased"].sum(axis=1).mean())


@SETTINGS
@given(cases(), st.integers(0, 30))
def test_failing_every_attempt_never_purchases_after_day_0(case, fix_days):
    start, n_days, scale, seed, policy, lots = case
    demand = demand_paths(seed, 2, n_days, scale)
    policy = Policy(**{**policy.__dict__, "failure_prob": 1.0, "fix_days": fix_days})
    daily = paths(demand, start, policy, lots=lots, rng=np.random.default_rng(seed))
    assert (daily["purchased"][:, 0] == policy.initial).all()
    assert (daily["purchased"][:, 1:] == 0).all()
    result = simulate(demand[0], start, policy, lots=lots, rng=np.random.default_rng(seed))
    assert result.metrics["recharges"] == 0
    assert result.metrics["purchased"] == policy.initial


# ------------------------------------------------------------------------------------------
# exact cents: trajectories that land exactly on the trigger
# ------------------------------------------------------------------------------------------


@st.composite
def on_the_trigger(draw):
    """A policy and a cent-valued demand whose balance lands exactly on the trigger.

    The start balance is the trigger plus a sum of non-dyadic cent amounts (3.80, 0.32,
    ...), and the demand spends exactly those amounts, so the balance reaches the trigger to
    the cent (34.12 - 3.80 - 0.32 = 30.00 with trigger 30), where float sums land a hair
    under it. Later days go on spending cent amounts, landing on the trigger again or not.
    """
    threshold = draw(st.integers(1, 20_000)) / 100
    parts = draw(st.lists(st.integers(1, 5_000), min_size=1, max_size=6))
    tail = draw(st.lists(st.integers(0, 9_999), min_size=0, max_size=120))
    lead = draw(st.sampled_from([0, 1, 2]))
    q = draw(st.integers(1, 40_000)) / 100
    initial = threshold + sum(parts) / 100
    policy = Policy(initial=initial, recharge_amount=q, threshold=threshold, lead_days=lead)
    demand = np.array([p / 100 for p in parts] + [c / 100 for c in tail])
    start = draw(st.sampled_from(START_DATES))
    return start, policy, demand


@SETTINGS
@given(on_the_trigger())
def test_balance_landing_exactly_on_the_trigger_matches_reference_to_the_cent(case):
    start, policy, demand = case
    ref = reference(demand, start, policy)
    got = simulate(demand, start, policy)
    for name in FIELDS:
        # equal to the cent: both sides are whole cents divided by 100
        np.testing.assert_array_equal(
            to_cents(got.trajectory[name]), to_cents(ref[name]), err_msg=name
        )
    assert got.metrics["recharges"] == ref["recharges"].sum()
    table = sweep(demand[None, :], start, pd.DataFrame([policy.__dict__]), quantiles=())
    assert to_cents(table["purchased"].iloc[0]) == to_cents(ref["purchased"].sum())


def test_the_example_of_the_contract_does_not_recharge():
    # 34.12 - 3.80 - 0.32 = 30.00 exactly: with trigger 30 nothing is bought
    assert 34.12 - 3.80 - 0.32 < 30  # what float arithmetic says
    for lead in (0, 1, 2):
        policy = Policy(initial=34.12, recharge_amount=50, threshold=30, lead_days=lead)
        got = simulate([3.80, 0.32, 0.0], "2024-01-01", policy)
        assert got.metrics["recharges"] == 0, lead
        assert got.trajectory["balance"].tolist() == [30.32, 30.0, 30.0]
