"""Many policies over many scenario paths at once (:func:`sweep`): the kernel runs lanes of
policy x scenario in blocks and the results are summarised per policy."""

from __future__ import annotations

import functools
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner import _kernels
from planner.engine.core import (
    MONEY_FIELDS,
    as_start,
    base_seed,
    demand_matrix,
    expiry_table,
    policy_arrays,
    policy_table,
    threads_for,
)
from planner.money import to_cents

# --------------------------------------------------------------------------------------------
# sweep
# --------------------------------------------------------------------------------------------

#: lanes (policies x scenarios) simulated per block when ``block_size`` is not given
LANES_PER_BLOCK = 1 << 18

_MEAN_COLUMNS = (
    "purchased",
    "recharges",
    "expired",
    "unserved",
    "stockout_days",
    "mean_balance",
    "end_balance",
    "min_balance",
    "failed_recharges",
    "forfeited",
)
_QUANTILE_COLUMNS = (
    "purchased",
    "expired",
    "unserved",
    "min_balance",
    "end_balance",
    "runway_days",
)


def _quantile_label(q: float) -> str:
    pct = q * 100
    if abs(pct - round(pct)) < 1e-9:
        return f"q{round(pct):02d}"
    return f"q{pct:g}".replace(".", "_")


@dataclass(frozen=True)
class DemandCents:
    """Scenario demand converted to whole cents once, for the many sweeps a search makes on
    the same paths (each conversion is a pass over the whole matrix). The cents are a
    read-only copy: changing the float matrix afterwards does not change them.

    >>> DemandCents.of(np.array([[1.25, 0.5]])).cents
    array([[125,  50]])
    """

    cents: np.ndarray

    @classmethod
    def of(cls, demand) -> DemandCents:
        """``demand`` (scenarios x days, currency units) in whole cents; see :func:`sweep`."""
        cents = _demand_cents(demand)
        if np.may_share_memory(cents, demand):
            cents = cents.copy()
        cents.setflags(write=False)
        return cls(cents)

    @functools.cached_property
    def cumulative(self) -> np.ndarray:
        """Each scenario's demand before each day (:func:`planner._kernels.cumulative_demand`),
        worked out on first use and kept."""
        dcum = _kernels.cumulative_demand(self.cents)
        dcum.setflags(write=False)
        return dcum


def sweep(
    demand: np.ndarray | DemandCents,
    start,
    policies: pd.DataFrame,
    *,
    lots: pd.DataFrame | None = None,
    rng=None,
    quantiles: Sequence[float] = (0.05, 0.5, 0.95),
    block_size: int | None = None,
    plan_days: int | None = None,
) -> pd.DataFrame:
    """Evaluate many policies over many demand scenarios.

    Policies are simulated in blocks of ``block_size`` so memory holds one block's per-lane
    summaries (10 floats per policy and scenario) besides the result table.

    Parameters
    ----------
    demand
        Daily credit demand, scenarios x days (day 0 is ``start``), finite and >= 0; or the
        same already in cents (:class:`DemandCents`, for many sweeps of the same paths).
    start
        Date of day 0.
    policies
        One row per policy: ``initial``, ``recharge_amount``, ``threshold``, ``lead_days``,
        optionally ``auto_recharge`` (default True), ``failure_prob`` (0), ``fix_days`` (0).
    lots
        Starting lots (``purchase_date``, ``amount``), shared by every lane.
    rng
        ``numpy.random.Generator``; required when a policy has ``failure_prob > 0``. Results
        do not depend on ``block_size`` or on the number of threads.
    quantiles
        Probabilities in [0, 1] of the quantile columns.
    block_size
        Policies per block (default: about 262,144 lanes per block).
    plan_days
        Days of the plan (default: every day of ``demand``). Recharges trigger on those
        days only; the later days of ``demand`` are a tail that spends what is left until it
        is used or expired. Every column but ``purchased``, ``recharges`` and ``forfeited``
        covers the plan days.

    Returns
    -------
    DataFrame
        Indexed like ``policies``. Columns: the seven policy columns (``POLICY_COLUMNS``);
        the scenario means of ``purchased``, ``recharges``, ``expired``, ``unserved``,
        ``stockout_days``, ``mean_balance``, ``end_balance``, ``min_balance``,
        ``failed_recharges``, ``forfeited`` (what expired over every day, the tail
        included: with a tail long enough, the full loss of every lot bought in the
        plan); ``p_stockout`` (share of scenarios with at least one stock-out
        day); and for each q in ``quantiles`` (label ``q05`` for 0.05, ``q2_5`` for 0.025)
        ``purchased_q..``, ``expired_q..``, ``unserved_q..``, ``min_balance_q..``,
        ``end_balance_q..`` and ``runway_days_q..``, where ``runway_days`` is the day offset
        of a scenario's first stock-out, or the horizon length (days) when it has none.
    """
    given = demand if isinstance(demand, DemandCents) else DemandCents(_demand_cents(demand))
    cents = given.cents
    table = policy_table(policies)
    qs = np.asarray(list(quantiles), dtype=np.float64)
    if qs.ndim != 1 or ((qs < 0) | (qs > 1) | ~np.isfinite(qs)).any():
        raise ValueError(f"quantiles: expected probabilities in [0, 1], got {quantiles!r}")
    n_scen, n_days = cents.shape
    if block_size is None:
        block_size = max(1, LANES_PER_BLOCK // n_scen)
    if isinstance(block_size, bool) or not isinstance(block_size, numbers.Integral):
        raise ValueError(f"block_size: expected a whole number, got {block_size!r}")
    block_size = int(block_size)
    if block_size < 1:
        raise ValueError(f"block_size: must be >= 1, got {block_size}")
    if plan_days is None:
        plan_days = n_days
    if isinstance(plan_days, bool) or not isinstance(plan_days, numbers.Integral):
        raise ValueError(f"plan_days: expected a whole number, got {plan_days!r}")
    plan_days = int(plan_days)
    if not 1 <= plan_days <= n_days:
        raise ValueError(f"plan_days: must be between 1 and {n_days}, got {plan_days}")
    start = as_start(start)
    start_cum, expiry = expiry_table(start, n_days, lots)
    needs_random = bool((table["auto_recharge"] & (table["failure_prob"] > 0)).any())
    seed = base_seed(rng, needs_random)
    arrays = policy_arrays(table)
    n_pol = len(table)
    columns: dict[str, np.ndarray] = {}
    # a tail: its lanes jump from one expiry to the next on the cumulative demand
    dcum = given.cumulative if plan_days < n_days else np.empty((n_scen, 0), dtype=np.int64)
    for lo in range(0, n_pol, block_size):
        hi = min(lo + block_size, n_pol)
        block = _sweep_block(
            cents, dcum, start_cum, expiry, [a[lo:hi] for a in arrays], seed, lo, qs, plan_days
        )
        for name, values in block.items():
            columns.setdefault(name, np.empty(n_pol))[lo:hi] = values
    # policy columns, means, p_stockout, then quantiles
    return pd.concat([table, pd.DataFrame(columns, index=table.index)], axis=1)


def _demand_cents(demand) -> np.ndarray:
    """The demand in whole cents, scenarios x days in C order. A float64 matrix (what the
    scenarios are) is checked and converted in one compiled pass, a few times faster than
    numpy's separate passes over copies: a plan sweeps the same large matrix dozens of times.
    Anything else, or a matrix that fails the checks, goes through :func:`demand_matrix`,
    which says what is wrong."""
    if isinstance(demand, np.ndarray) and demand.dtype == np.float64 and demand.ndim == 2:
        if demand.size:
            cents, ok = _kernels.demand_cents(np.ascontiguousarray(demand))
            if ok:
                return cents
    return to_cents(demand_matrix(demand, one_path=False))


def _sweep_block(
    matrix, dcum, start_cum, expiry, arrays, seed, first_id, qs, plan_days
) -> dict[str, np.ndarray]:
    """Summary columns of one block of policies (the per-lane array is freed on return)."""
    fi = {name: i for i, name in enumerate(_kernels.SUMMARY_FIELDS)}
    with threads_for(matrix.shape[0] * plan_days * len(arrays[0])):
        initial, q, s, lead, auto, fail_prob, fix_days = arrays
        out = _kernels.sweep_kernel(
            matrix, start_cum, expiry, initial, q, s, lead, auto, fail_prob, fix_days, seed,
            first_id, plan_days, dcum,
        )  # fmt: skip
    for name in MONEY_FIELDS:
        out[fi[name]] /= 100.0
    columns = {c: out[fi[c]].mean(axis=1) for c in _MEAN_COLUMNS}
    first = out[fi["first_stockout_day"]]
    columns["p_stockout"] = (first >= 0).mean(axis=1)
    if len(qs):
        runway = np.where(first < 0, float(plan_days), first)
        for c in _QUANTILE_COLUMNS:
            values = runway if c == "runway_days" else out[fi[c]]
            for q, row in zip(qs, np.quantile(values, qs, axis=1), strict=True):
                columns[f"{c}_{_quantile_label(q)}"] = row
    return columns
