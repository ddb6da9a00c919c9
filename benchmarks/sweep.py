"""Benchmark of the balance engine's policy sweep.

The reference workload: a 20 x 20 grid of recharge amount and threshold (400 policies) over
2,000 demand scenarios of 365 days, i.e. 2.9e8 lane-days (one lane = one policy on one
scenario). Three implementations of the same model (``docs/credit-model.md`` §2, FIFO by
the frontier identity) are timed in one run:

- ``numba``: :func:`planner.engine.sweep` (compiled, parallel over lanes) on the full workload;
- ``numpy``: lanes as vectors, a Python loop over days, on a slice of the scenarios;
- ``python``: one lane at a time, one day at a time, on a small slice.

They must agree on the slices. Compile time (or cache load) is measured and reported apart.

Run: ``.venv/bin/python benchmarks/sweep.py [--scenarios 2000] [--days 365] [--grid 20]``
"""

from __future__ import annotations

import argparse
import math
import os
import time
import tracemalloc

import numpy as np
import pandas as pd

START = "2025-01-01"


def workload(n_scen: int, n_days: int, grid: int, seed: int = 7):
    """Demand paths (gamma-Poisson mixture, quiet weekends), a Q x s policy grid with a
    3-day lead time, and a starting balance of three lots bought in the past year (so that
    lots expire within a one-year horizon)."""
    rng = np.random.default_rng(seed)
    level = rng.gamma(4.0, 2.5, size=(n_scen, 1))  # mean 10 per day, varies by scenario
    demand = rng.poisson(level, size=(n_scen, n_days)).astype(np.float64)
    demand[:, 5::7] *= 0.2
    demand[:, 6::7] *= 0.2
    q, s = np.meshgrid(np.linspace(100, 4000, grid), np.linspace(0, 400, grid), indexing="ij")
    q, s = np.round(q, 2), np.round(s, 2)  # whole cents, like every amount the engine sees
    policies = pd.DataFrame(
        {"initial": 0.0, "recharge_amount": q.ravel(), "threshold": s.ravel(), "lead_days": 3}
    )
    start = pd.Timestamp(START)
    lots = pd.DataFrame(
        {
            "purchase_date": [start - pd.Timedelta(days=n) for n in (300, 200, 100)],
            "amount": [600.0, 600.0, 600.0],
        }
    )
    return demand, policies, lots


# ------------------------------------------------------------------------------------------
# the two slower implementations (no recharge failures); same expiry table as the kernel:
# ``start_cum`` holds the K starting lots' cumulative amounts, ``expiry`` the K + T offsets
# ------------------------------------------------------------------------------------------


def sweep_numpy(demand, start_cum, expiry, initial, q, s, lead):
    """Vectorised over lanes, loop over days. Policy arguments are per-lane arrays;
    ``demand`` is lanes x days. Returns per-lane totals (purchased, expired, unserved)."""
    n_lanes, n_days = demand.shape
    k = len(start_cum)
    demand_t = np.ascontiguousarray(demand.T)
    lanes = np.arange(n_lanes)
    cum = np.zeros((k + n_days, n_lanes))  # cumulative purchases after each group of lots
    cum[:k] = start_cum[:, None]
    arrive = np.zeros((n_days, n_lanes))
    held = start_cum[-1] if k else 0.0
    p_cum = initial.astype(float) + held
    balance = p_cum.copy()
    frontier = np.zeros(n_lanes)
    pending = np.zeros(n_lanes)
    purchased = initial.astype(float).copy()
    expired_tot = np.zeros(n_lanes)
    unserved_tot = np.zeros(n_lanes)
    immediate = lead == 0
    next_group = 0
    for t in range(n_days):
        while next_group < k + t and expiry[next_group] <= t:
            next_group += 1
        if next_group > 0:
            c = cum[next_group - 1]
            expired = np.minimum(np.maximum(c - frontier, 0.0), balance)
            frontier = np.maximum(frontier, c)
            balance -= expired
            expired_tot += expired
        a = arrive[t]
        p_cum += a
        balance += a
        pending -= a
        purchased += a
        d = demand_t[t]
        short = s - (balance - d)
        top = immediate & (short > 0)
        amount = np.zeros(n_lanes)
        amount[top] = np.maximum(np.ceil(short[top] / q[top]), 1) * q[top]
        p_cum += amount
        balance += amount
        purchased += amount
        cum[k + t] = p_cum
        served = np.minimum(d, balance)
        balance -= served
        frontier += served
        unserved_tot += d - served
        short = s - balance - pending
        order = ~immediate & (short > 0)
        if order.any():
            amount = np.maximum(np.ceil(short[order] / q[order]), 1) * q[order]
            pending[order] += amount
            when = t + lead[order]
            inside = when < n_days
            arrive[when[inside], lanes[order][inside]] += amount[inside]
    return purchased, expired_tot, unserved_tot


def sweep_python(demand, start_cum, expiry, initial, q, s, lead):
    """One lane at a time, one day at a time, in plain Python (same arguments)."""
    n_lanes, n_days = demand.shape
    k = len(start_cum)
    expiry = expiry.tolist()
    out = np.zeros((3, n_lanes))
    for lane in range(n_lanes):
        row = demand[lane].tolist()
        ql, sl, ll = float(q[lane]), float(s[lane]), int(lead[lane])
        cum = start_cum.tolist() + [0.0] * n_days
        arrive = [0.0] * n_days
        purchased = float(initial[lane])
        p_cum = balance = purchased + (cum[k - 1] if k else 0.0)
        frontier = pending = expired_tot = unserved_tot = 0.0
        next_group = 0
        for t in range(n_days):
            while next_group < k + t and expiry[next_group] <= t:
                next_group += 1
            if next_group > 0 and cum[next_group - 1] > frontier:
                expired = min(cum[next_group - 1] - frontier, balance)
                frontier = cum[next_group - 1]
                balance -= expired
                expired_tot += expired
            a = arrive[t]
            if a:
                p_cum += a
                balance += a
                pending -= a
                purchased += a
            d = row[t]
            if ll == 0 and balance - d < sl:
                amount = max(1, math.ceil((sl - (balance - d)) / ql)) * ql
                p_cum += amount
                balance += amount
                purchased += amount
            cum[k + t] = p_cum
            served = min(d, balance)
            balance -= served
            frontier += served
            unserved_tot += d - served
            if ll > 0 and balance + pending < sl:
                amount = max(1, math.ceil((sl - balance - pending) / ql)) * ql
                pending += amount
                if t + ll < n_days:
                    arrive[t + ll] += amount
        out[:, lane] = purchased, expired_tot, unserved_tot
    return out


# ------------------------------------------------------------------------------------------


def timed(fn, repeat: int):
    """(result, best wall seconds, best CPU seconds of this process) over ``repeat`` runs."""
    best, best_cpu, result = math.inf, math.inf, None
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        result = fn()
        best = min(best, time.perf_counter() - t)
        best_cpu = min(best_cpu, time.process_time() - c)
    return result, best, best_cpu


def _lanes(demand, policies, n_scen):
    """Per-lane arrays for the first ``n_scen`` scenarios, scenario-major like the kernel."""
    n_pol = len(policies)
    scen = np.repeat(np.arange(n_scen), n_pol)
    pol = np.tile(np.arange(n_pol), n_scen)
    cols = [policies[c].to_numpy()[pol] for c in ("initial", "recharge_amount", "threshold")]
    lead = policies["lead_days"].to_numpy(np.int64)[pol]
    return demand[scen], *cols, lead, pol, scen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=2000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--grid", type=int, default=20, help="grid side: grid^2 policies")
    parser.add_argument("--numpy-scenarios", type=int, default=40)
    parser.add_argument("--python-lanes", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import numba

    t0 = time.perf_counter()
    from planner import _kernels, engine
    from planner.engine import core
    from planner.engine.sweep import LANES_PER_BLOCK

    demand, policies, lots = workload(args.scenarios, args.days, args.grid)
    n_pol, (n_scen, n_days) = len(policies), demand.shape
    lane_days = n_pol * n_scen * n_days
    print(
        f"workload: {n_pol} policies x {n_scen} scenarios x {n_days} days = {lane_days:.3g} "
        f"lane-days; numba {numba.__version__}, {numba.get_num_threads()} threads"
    )

    # compile (or load from the on-disk cache), on a tiny input
    engine.sweep(demand[:2, :30], START, policies.iloc[:2], lots=lots)
    engine.paths(demand[:2, :30], START, engine.Policy(1.0, 1.0, 0.0))
    hits = sum(
        sum(k.stats.cache_hits.values()) for k in (_kernels.sweep_kernel, _kernels.paths_kernel)
    )
    how = "loaded from the on-disk cache" if hits == 2 else "compiled (cache written)"
    print(f"import + kernels {how}: {time.perf_counter() - t0:.2f} s (excluded below)")

    table, wall, cpu = timed(lambda: engine.sweep(demand, START, policies, lots=lots), args.repeat)
    start_cum_c, expiry_f = core.expiry_table(pd.Timestamp(START), n_days, lots)
    start_cum_f = start_cum_c / 100.0
    rates = {"numba": (lane_days / wall, lane_days / cpu)}
    threads = numba.get_num_threads()
    print(
        f"numba  sweep(): {wall:.3f} s -> {rates['numba'][0]:.3g} lane-days/s "
        f"(best of {args.repeat}; CPU {cpu:.3f} s, {threads} threads)"
    )
    # the previous implementation (float64 money), same workload, same run
    import float_kernel

    fl_args = (
        demand,
        start_cum_f,
        expiry_f,
        policies["initial"].to_numpy(np.float64),
        policies["recharge_amount"].to_numpy(np.float64),
        policies["threshold"].to_numpy(np.float64),
        policies["lead_days"].to_numpy(np.int64),
        np.ones(n_pol, bool),
        np.zeros(n_pol),
        np.zeros(n_pol, np.int64),
        0,
        0,
    )
    float_kernel.sweep_kernel(*((demand[:2, :30].copy(),) + fl_args[1:]))  # compile
    _, fwall, fcpu = timed(lambda: float_kernel.sweep_kernel(*fl_args), args.repeat)
    print(
        f"previous float64 kernel: {fwall:.3f} s -> {lane_days / fwall:.3g} lane-days/s; "
        f"whole-cents kernel / previous = {fwall / wall:.2f}x (wall), {fcpu / cpu:.2f}x (CPU)"
    )
    # memory: the per-block summaries, not the number of policies, bound the working set
    block = max(1, LANES_PER_BLOCK // n_scen)
    for n in sorted({max(1, n_pol // 2), n_pol}):
        tracemalloc.start()
        engine.sweep(demand, START, policies.iloc[:n], lots=lots)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"       peak traced memory with {n:4d} policies: {peak / 1e6:6.1f} MB")
    print(
        f"       (block of {block} policies: {len(_kernels.SUMMARY_FIELDS)} x {block} x {n_scen}"
        f" float64 = {len(_kernels.SUMMARY_FIELDS) * block * n_scen * 8 / 1e6:.1f} MB; demand "
        f"{demand.nbytes / 1e6:.1f} MB)"
    )

    start_cum, expiry = core.expiry_table(pd.Timestamp(START), n_days, lots)
    i_p, i_e, i_u = (_kernels.SUMMARY_FIELDS.index(f) for f in ("purchased", "expired", "unserved"))

    def numba_totals(n_sc):
        out = _kernels.sweep_kernel(
            engine.to_cents(demand[:n_sc]),
            start_cum,
            expiry,
            *core.policy_arrays(core.policy_table(policies)),
            0,
            0,
            n_days,
            np.zeros((n_sc, 0), np.int64),  # no tail
        )
        # out[field, policy, scenario] -> scenario-major lanes, in cents
        return np.stack([out[f].T.ravel() for f in (i_p, i_e, i_u)])

    # the numpy and Python versions get whole cents too (integers held in float64 add
    # exactly), so all three must agree to the cent
    cents_demand = engine.to_cents(demand).astype(np.float64)
    cents_policies = policies.assign(
        **{c: engine.to_cents(policies[c]) for c in ("initial", "recharge_amount", "threshold")}
    )
    start_cum_units = start_cum.astype(np.float64)

    # numpy, on a slice of scenarios
    n_sc = min(args.numpy_scenarios, n_scen)
    d, ini, q, s, lead, _, _ = _lanes(cents_demand, cents_policies, n_sc)
    got, wall, cpu = timed(
        lambda: np.stack(sweep_numpy(d, start_cum_units, expiry, ini, q, s, lead)), args.repeat
    )
    rates["numpy"] = (d.size / wall, d.size / cpu)
    np.testing.assert_array_equal(got, numba_totals(n_sc))
    print(
        f"numpy  vectorised over {d.shape[0]} lanes: {wall:.3f} s -> {rates['numpy'][0]:.3g} "
        "lane-days/s (totals agree with numba)"
    )

    # pure Python, on a few lanes
    n_lanes = min(args.python_lanes, n_pol * n_scen)
    d, ini, q, s, lead, _, _ = _lanes(cents_demand, cents_policies, math.ceil(n_lanes / n_pol))
    d, ini, q, s, lead = (x[:n_lanes] for x in (d, ini, q, s, lead))
    got, wall, cpu = timed(lambda: sweep_python(d, start_cum_units, expiry, ini, q, s, lead), 1)
    rates["python"] = (d.size / wall, d.size / cpu)
    np.testing.assert_array_equal(got, numba_totals(1)[:, :n_lanes])
    print(
        f"python per-period loop over {n_lanes} lanes: {wall:.3f} s -> "
        f"{rates['python'][0]:.3g} lane-days/s (totals agree with numba)"
    )

    # On a shared machine wall time depends on the neighbours; CPU time much less so.
    for i, what in ((0, "wall clock"), (1, "per CPU-second")):
        r = {k: v[i] for k, v in rates.items()}
        print(
            f"{what:>14}: numba {r['numba']:.3g}, numpy {r['numpy']:.3g}, python "
            f"{r['python']:.3g} lane-days/s; numba/numpy {r['numba'] / r['numpy']:.1f}x, "
            f"numba/python {r['numba'] / r['python']:.0f}x, "
            f"numpy/python {r['numpy'] / r['python']:.1f}x"
        )
    rate_numba = rates["numba"][0]
    print(
        f"numba on idle cores (per CPU-second x {threads} threads): "
        f"{rates['numba'][1] * threads:.3g} lane-days/s"
    )
    goal = 1e8
    idle = rates["numba"][1] * threads
    load = os.getloadavg()[0]
    print(
        f"goal {goal:.0e} lane-days/s: wall clock {rate_numba / goal:.2f}x of it with a load "
        f"average of {load:.1f} on {os.cpu_count()} cores; {idle / goal:.2f}x on idle cores"
    )
    print(
        f"check: mean expired over the grid {table['expired'].mean():.2f}, "
        f"p_stockout range {table['p_stockout'].min():.3f}..{table['p_stockout'].max():.3f}"
    )


if __name__ == "__main__":
    main()
