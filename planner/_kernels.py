"""Compiled kernels of the balance engine (numba).

One *lane* is one policy run on one demand scenario. A lane keeps its state in a handful of
scalars and never holds a list of lots, thanks to the FIFO frontier identity of the balance
model (``docs/credit-model.md`` §2): everything consumed or expired so far is a prefix
``[0, U)`` of the cumulative purchases, so

    U = max(U + served, cumulative purchases of every lot that has expired).

Lots are grouped by the day they became usable ("groups"): first the ``K`` starting lots held
before day 0 (oldest first), then one group per simulated day. ``cum[g]`` is the cumulative
amount purchased up to and including group ``g``; ``expiry[g]`` is the day offset (from day 0)
on which group ``g`` expires. Both increase with ``g``, so the expired groups are always a
prefix and a single pointer walks them.

Recharge failures use a counter-based generator (splitmix64) seeded per lane from one base
seed and the lane's global number, so results never depend on the number of threads or on how
policies are split into blocks.

The public wrappers are in :mod:`planner.engine`; nothing here validates its input.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

# Rows of the per-lane summary written by :func:`sweep_kernel`.
SUMMARY_FIELDS = (
    "purchased",
    "recharges",
    "expired",
    "unserved",
    "stockout_days",
    "first_stockout_day",  # -1 when the lane never stocks out
    "mean_balance",
    "end_balance",
    "min_balance",
    "failed_recharges",
    "forfeited",  # everything that expired, the tail after the plan included
)

# Rows of the per-day record written by :func:`paths_kernel`.
# ``recharge_failed`` is the amount of a failed attempt that day (0 when none).
RECORD_FIELDS = ("served", "unserved", "purchased", "expired", "balance", "recharge_failed")
N_SUMMARY = len(SUMMARY_FIELDS)
N_RECORD = len(RECORD_FIELDS)

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53


@njit(cache=True)
def _mix(z):
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


@njit(cache=True)
def lane_seed(base, lane_id):
    """Seed of lane ``lane_id`` (uint64) derived from the call's base seed."""
    return _mix(np.uint64(base) ^ _mix(np.uint64(lane_id) * _GOLDEN + _GOLDEN))


@njit(cache=True)
def _next_uniform(state):
    """One splitmix64 step: (new state, uniform in [0, 1))."""
    state = state + _GOLDEN
    return state, float(_mix(state) >> _S11) * _TO_UNIT


@njit(cache=True)
def _recharge_count(short, q):
    """Smallest k >= 1 with k * q >= short (whole cents, short > 0, q > 0)."""
    k = (short + q - 1) // q
    if k < 1:
        k = 1
    return k


@njit(cache=True)
def run_lane(
    demand,
    start_cum,
    expiry,
    initial,
    q,
    s,
    lead,
    auto,
    fail_prob,
    fix_days,
    seed,
    plan_days,
    cum,
    arrive,
    record,
    rec,
    row,
    dcum,
):
    """Simulate one lane; return its summary (see ``SUMMARY_FIELDS``).

    Money is whole cents (int64) throughout, so "below the trigger" is an exact comparison.
    Triggers happen on days ``t < plan_days`` only; the days after (the *tail*) replay the
    demand on the funds left until they are spent or expire, so that ``forfeited`` counts
    what every lot bought in the plan loses, even after the plan ends. Stock-outs and the
    balance statistics cover the plan days. The summary is in cents, as float64.
    ``cum`` (length K + T) and ``arrive`` (length T) are scratch arrays. When ``record`` is
    true, the daily values are written to ``rec[field, row, day]`` (see ``RECORD_FIELDS``).
    ``dcum`` is the lane's cumulative demand (length T + 1, ``dcum[t]`` the demand of days
    before ``t``); when it is given (not empty) and nothing is recorded, the tail is jumped
    through from one expiry to the next (:func:`tail_forfeited`) instead of walked day by day.

    This is one long function on purpose (the only one over 80 lines): numba compiles it to
    one loop with the lane's dozen state scalars in registers; split into per-day steps, each
    call would carry that state in and out every day of every lane.
    """
    n_days = demand.shape[0]
    k_start = start_cum.shape[0]
    p_cum = 0  # cumulative purchases, starting lots included
    for g in range(k_start):
        cum[g] = start_cum[g]
    if k_start > 0:
        p_cum = start_cum[k_start - 1]
    if lead > 0:
        for t in range(n_days):
            arrive[t] = 0
    frontier = 0  # U: cumulative amount consumed or expired
    balance = p_cum
    pending = 0
    next_group = 0  # first group not yet expired
    resume_day = 0  # auto-recharge is suspended before this day after a failure
    state = seed

    tot_purchased = 0
    tot_recharges = 0
    tot_expired = 0
    tot_forfeited = 0
    tot_unserved = 0
    stockout_days = 0
    first_stockout = -1
    sum_balance = 0
    min_balance = np.int64(1) << np.int64(62)
    end_balance = 0
    failed = 0

    for t in range(n_days):
        in_plan = t < plan_days
        if not in_plan and not record and pending == 0 and (balance == 0 or dcum.shape[0] > 0):
            if balance > 0:  # the tail only spends and expires what is left
                tot_forfeited += tail_forfeited(
                    demand, dcum, cum, expiry, k_start + t, t, frontier, balance, p_cum
                )
            break
        purchased = 0
        failed_amount = 0
        if t == 0:
            p_cum += initial
            balance += initial
            purchased += initial

        # 1. expire every group whose expiry day has come
        while next_group < k_start + t and expiry[next_group] <= t:
            next_group += 1
        expired = 0
        if next_group > 0:
            c = cum[next_group - 1]
            if c > frontier:
                expired = min(c - frontier, balance)
                frontier = c
                balance -= expired

        # 2. recharges ordered lead days ago become usable
        if lead > 0:
            a = arrive[t]
            if a > 0:
                p_cum += a
                balance += a
                pending -= a
                purchased += a
                tot_recharges += a // q

        d = demand[t]

        # 3. immediate top-up as the balance falls during the day
        if auto and lead == 0 and in_plan and t >= resume_day:
            short = s - (balance - d)
            if short > 0:
                k = _recharge_count(short, q)
                amount = k * q
                ok = True
                if fail_prob > 0.0:
                    state, u = _next_uniform(state)
                    ok = u >= fail_prob
                if ok:
                    p_cum += amount
                    balance += amount
                    purchased += amount
                    tot_recharges += k
                else:
                    resume_day = t + 1 + fix_days
                    failed_amount = amount
                    failed += 1
        cum[k_start + t] = p_cum

        # 4. consume, oldest lot first
        if d >= balance:
            served = balance
            balance = 0
            frontier = p_cum
        else:
            served = d
            balance -= d
            frontier += d
        unserved = d - served

        # 5. order recharges that arrive lead days later
        if auto and lead > 0 and in_plan and t >= resume_day:
            short = s - balance - pending
            if short > 0:
                amount = _recharge_count(short, q) * q
                ok = True
                if fail_prob > 0.0:
                    state, u = _next_uniform(state)
                    ok = u >= fail_prob
                if ok:
                    pending += amount
                    if t + lead < n_days:
                        arrive[t + lead] += amount
                else:
                    resume_day = t + 1 + fix_days
                    failed_amount = amount
                    failed += 1

        tot_purchased += purchased
        tot_forfeited += expired
        if in_plan:
            tot_expired += expired
            tot_unserved += unserved
            if unserved > 0:
                stockout_days += 1
                if first_stockout < 0:
                    first_stockout = t
            sum_balance += balance
            if balance < min_balance:
                min_balance = balance
            end_balance = balance
        if record:
            rec[0, row, t] = served
            rec[1, row, t] = unserved
            rec[2, row, t] = purchased
            rec[3, row, t] = expired
            rec[4, row, t] = balance
            rec[5, row, t] = failed_amount

    n_plan = min(plan_days, n_days)
    mean_balance = sum_balance / n_plan if n_plan > 0 else 0.0
    # all floats (cents): a homogeneous tuple can be indexed in a loop
    return (
        float(tot_purchased),
        float(tot_recharges),
        float(tot_expired),
        float(tot_unserved),
        float(stockout_days),
        float(first_stockout),
        mean_balance,
        float(end_balance),
        float(min_balance),
        float(failed),
        float(tot_forfeited),
    )


@njit(cache=True)
def tail_forfeited(demand, dcum, cum, expiry, written, t, frontier, balance, p_cum):
    """What the funds left at the start of tail day ``t`` forfeit, from one expiry to the next.

    In the tail nothing is bought (no trigger, nothing pending), so the day-by-day walk of
    :func:`run_lane` only spends the demand and expires groups. Only a group still holding
    funds (``cum[g] > frontier``) can forfeit, and the first such group is the next to expire
    with an effect: until that day the funds only shrink by the demand, read from the
    cumulative ``dcum`` in one step. ``written`` groups have their ``cum`` set; later ones (the
    tail's own empty days) hold ``p_cum``. Same result, to the cent, as walking every day.
    """
    n_days = demand.shape[0]
    k_start = written - t
    forfeited = 0
    while balance > 0:
        lo = 0  # first group holding funds not yet consumed (cum is non-decreasing)
        hi = written
        while lo < hi:
            mid = (lo + hi) // 2
            if cum[mid] > frontier:
                hi = mid
            else:
                lo = mid + 1
        if lo >= written:
            break
        e = expiry[lo]
        if e >= n_days:
            break  # nothing more expires within the simulated days
        used = dcum[e] - dcum[t]
        if used >= balance:
            break  # spent before it expires
        balance -= used
        frontier += used
        # day e: every group created before e whose expiry day has come (expiry is sorted)
        lo = 0
        hi = k_start + e
        while lo < hi:
            mid = (lo + hi) // 2
            if expiry[mid] <= e:
                lo = mid + 1
            else:
                hi = mid
        c = cum[lo - 1] if lo - 1 < written else p_cum
        if c > frontier:
            expired = min(c - frontier, balance)
            frontier = c
            balance -= expired
            forfeited += expired
        d = demand[e]
        if d >= balance:
            break
        balance -= d
        frontier += d
        t = e + 1
    return forfeited


@njit(cache=True, parallel=True)
def sweep_kernel(
    demand,
    start_cum,
    expiry,
    initial,
    q,
    s,
    lead,
    auto,
    fail_prob,
    fix_days,
    base_seed,
    first_id,
    plan_days,
    dcum,
):
    """Summaries of every (policy, scenario) lane of one block of policies.

    ``demand`` is scenarios x days (C order); the policy arrays have one entry per policy of
    the block. Returns ``out[field, policy, scenario]`` with the fields of ``SUMMARY_FIELDS``.
    The lane of policy ``p`` and scenario ``i`` draws from seed number
    ``(first_id + p) * n_scenarios + i``. Money arrays are whole cents (int64); triggers
    happen before day ``plan_days`` only (see :func:`run_lane`). With a tail (``plan_days``
    before the last day), ``dcum`` is :func:`cumulative_demand` of ``demand``, on which the
    tail's lanes jump from one expiry to the next; else it has no columns.
    """
    n_scen, n_days = demand.shape
    n_pol = initial.shape[0]
    n_lanes = n_scen * n_pol
    out = np.empty((N_SUMMARY, n_pol, n_scen))
    n_chunks = min(n_lanes, 512)
    k_start = start_cum.shape[0]
    no_rec = np.empty((N_RECORD, 0, 0), dtype=np.int64)
    for c in prange(n_chunks):
        cum = np.empty(k_start + n_days, dtype=np.int64)
        arrive = np.empty(n_days, dtype=np.int64)
        lo = c * n_lanes // n_chunks
        hi = (c + 1) * n_lanes // n_chunks
        for lane in range(lo, hi):
            # scenario-major order: consecutive lanes reuse the same demand row
            i = lane // n_pol
            p = lane - i * n_pol
            seed = lane_seed(base_seed, (first_id + p) * n_scen + i)
            res = run_lane(
                demand[i],
                start_cum,
                expiry,
                initial[p],
                q[p],
                s[p],
                lead[p],
                auto[p],
                fail_prob[p],
                fix_days[p],
                seed,
                plan_days,
                cum,
                arrive,
                False,
                no_rec,
                0,
                dcum[i],
            )
            for f in range(N_SUMMARY):
                out[f, p, i] = res[f]
    return out


@njit(cache=True, parallel=True)
def cumulative_demand(demand):
    """``dcum[i, t]``: scenario ``i``'s demand (cents) of the days before ``t``; one column more
    than ``demand``."""
    n_scen, n_days = demand.shape
    dcum = np.empty((n_scen, n_days + 1), dtype=np.int64)
    for i in prange(n_scen):
        dcum[i, 0] = 0
        for t in range(n_days):
            dcum[i, t + 1] = dcum[i, t] + demand[i, t]
    return dcum


@njit(cache=True, parallel=True)
def paths_kernel(
    demand, start_cum, expiry, initial, q, s, lead, auto, fail_prob, fix_days, base_seed
):
    """Daily record of one policy on every scenario: ``rec[field, scenario, day]``.

    Scenario ``i`` draws from seed number ``i`` (the same lane as policy 0 in
    :func:`sweep_kernel`). Also returns the summaries, ``out[field, scenario]``. Money is
    whole cents (int64 records, float64 summaries).
    """
    n_scen, n_days = demand.shape
    k_start = start_cum.shape[0]
    rec = np.empty((N_RECORD, n_scen, n_days), dtype=np.int64)
    out = np.empty((N_SUMMARY, n_scen))
    no_cum = np.empty(0, dtype=np.int64)
    for i in prange(n_scen):
        cum = np.empty(k_start + n_days, dtype=np.int64)
        arrive = np.empty(n_days, dtype=np.int64)
        res = run_lane(
            demand[i],
            start_cum,
            expiry,
            initial,
            q,
            s,
            lead,
            auto,
            fail_prob,
            fix_days,
            lane_seed(base_seed, i),
            n_days,
            cum,
            arrive,
            True,
            rec,
            i,
            no_cum,
        )
        for f in range(N_SUMMARY):
            out[f, i] = res[f]
    return rec, out


@njit(cache=True)
def demand_cents(demand):
    """Whole cents (int64) of a scenarios x days float64 demand, in one pass: each amount
    times 100 rounded half up, as :func:`planner.engine.to_cents` rounds an amount >= 0.
    Returns ``(cents, ok)``; ``ok`` is False when an amount is negative, NaN or infinite
    (the caller then reports which)."""
    n_scen, n_days = demand.shape
    out = np.empty((n_scen, n_days), dtype=np.int64)
    ok = True
    for i in range(n_scen):
        for t in range(n_days):
            v = demand[i, t] * 100.0
            if v >= 0.0 and v < np.inf:
                out[i, t] = np.int64(np.floor(v + 0.5))
            else:
                ok = False
                out[i, t] = 0
    return out, ok
