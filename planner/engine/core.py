"""The balance engine's policy, result and one-policy runs (:func:`paths`, :func:`simulate`),
and the preparation every run shares: amounts in cents, demand matrices, expiry tables,
policy tables. The model is described in :mod:`planner.engine`."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from planner import _kernels
from planner.lots import expiry_date, held_lots
from planner.money import from_cents, to_cents

#: summary fields that are money (cents in the kernel)
MONEY_FIELDS = frozenset(
    ("purchased", "expired", "unserved", "mean_balance", "end_balance", "min_balance", "forfeited")
)


#: columns of a policy table, in order; the last three are optional in :func:`sweep` input
POLICY_COLUMNS = (
    "initial",
    "recharge_amount",
    "threshold",
    "lead_days",
    "auto_recharge",
    "failure_prob",
    "fix_days",
)

_DAY = pd.Timedelta(days=1)

#: below this many lane-days a kernel runs on the calling thread: about 5 ms of work, less
#: than waking the thread pool costs on a busy machine (results do not depend on threads)
_PARALLEL_MIN_LANE_DAYS = 1_000_000


@contextmanager
def threads_for(lane_days: int) -> Iterator[None]:
    """Run the kernels inside on one thread when the work is small."""
    if lane_days >= _PARALLEL_MIN_LANE_DAYS:
        yield
        return
    import numba

    previous = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(previous)


@dataclass(frozen=True)
class Policy:
    """A funding policy: initial purchase and auto-recharge settings.

    Parameters
    ----------
    initial
        One-time purchase on day 0 (>= 0).
    recharge_amount
        Amount of one auto-recharge, Q (> 0 when ``auto_recharge`` is on).
    threshold
        Trigger amount s (>= 0): a recharge happens when the balance would fall below it.
    lead_days
        Days between a trigger and the funds being usable (>= 0).
    auto_recharge
        Whether auto-recharge is on.
    failure_prob
        Probability that a recharge attempt fails (e.g. an expired card), in [0, 1].
    fix_days
        Days auto-recharge stays suspended after a failed attempt (>= 0).
    """

    initial: float
    recharge_amount: float
    threshold: float
    lead_days: int = 0
    auto_recharge: bool = True
    failure_prob: float = 0.0
    fix_days: int = 0

    def __post_init__(self) -> None:
        for name in ("initial", "recharge_amount", "threshold", "failure_prob"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise ValueError(f"{name}: expected a number, got {value!r}")
            if not math.isfinite(value):
                raise ValueError(f"{name}: expected a finite number, got {value!r}")
            object.__setattr__(self, name, float(value))
        for name in ("lead_days", "fix_days"):
            value = getattr(self, name)
            if isinstance(value, numbers.Real) and not isinstance(value, bool):
                if math.isfinite(value) and float(value).is_integer():
                    value = int(float(value))
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"{name}: expected a whole number of days, got {value!r}")
            if value < 0:
                raise ValueError(f"{name}: must be >= 0, got {value}")
            object.__setattr__(self, name, value)
        if not isinstance(self.auto_recharge, bool | np.bool_):
            raise ValueError(f"auto_recharge: expected True or False, got {self.auto_recharge!r}")
        object.__setattr__(self, "auto_recharge", bool(self.auto_recharge))
        if self.initial < 0:
            raise ValueError(f"initial: must be >= 0, got {self.initial}")
        if self.threshold < 0:
            raise ValueError(f"threshold: must be >= 0, got {self.threshold}")
        if self.auto_recharge and self.recharge_amount < 0.005:  # whole cents: > 0 is 0.01+
            raise ValueError(
                f"recharge_amount: must be > 0 (at least one cent) with auto-recharge on, got "
                f"{self.recharge_amount}"
            )
        if self.recharge_amount < 0:
            raise ValueError(f"recharge_amount: must be >= 0, got {self.recharge_amount}")
        if not 0.0 <= self.failure_prob <= 1.0:
            raise ValueError(f"failure_prob: must be in [0, 1], got {self.failure_prob}")


@dataclass
class SimulationResult:
    """One simulated path.

    Attributes
    ----------
    trajectory
        One row per day: ``date`` (datetime64), ``demand``, ``served``, ``unserved``,
        ``purchased``, ``expired``, ``balance`` (end of day), all float64.
    metrics
        ``purchased``, ``recharges`` (lots of ``recharge_amount``), ``expired``,
        ``unserved``, ``stockout_days``, ``first_stockout`` (Timestamp or None),
        ``mean_balance`` (time average of the end-of-day balance), ``end_balance``,
        ``min_balance``, ``start_balance`` (sum of the starting lots),
        ``failed_recharges`` (failed attempts).
    events
        The e-mails Microsoft would have sent: ``date``, ``event`` (``recharge_succeeded``,
        ``recharge_failed`` or ``balance_zero``), ``amount`` (float64), in date order.
    """

    trajectory: pd.DataFrame
    metrics: dict
    events: pd.DataFrame


# --------------------------------------------------------------------------------------------
# input preparation
# --------------------------------------------------------------------------------------------


def as_start(start) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(start)
    except (TypeError, ValueError):
        raise ValueError(f"start: not a date: {start!r}") from None
    if ts is pd.NaT:
        raise ValueError(f"start: not a date: {start!r}")
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return ts.normalize()


def demand_matrix(demand, *, one_path: bool) -> np.ndarray:
    values = np.asarray(demand.to_numpy() if isinstance(demand, pd.Series) else demand)
    want = 1 if one_path else 2
    if values.ndim != want:
        shape = "a 1-D series of daily amounts" if one_path else "a scenarios x days array"
        raise ValueError(f"demand: expected {shape}, got shape {values.shape}")
    try:
        values = values.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError("demand: expected numbers") from None
    if values.size == 0:
        raise ValueError("demand: no days to simulate")
    if not np.isfinite(values).all():
        raise ValueError("demand: contains NaN or infinite values")
    if (values < 0).any():
        raise ValueError("demand: contains negative amounts; demand is a spend >= 0")
    # the kernels take scenarios x days, C order (a scenario's days are read in a row)
    return np.ascontiguousarray(values[None, :] if one_path else values)


def expiry_days(start, purchase_dates) -> np.ndarray:
    """Day offsets (from ``start``) on which lots bought on ``purchase_dates`` expire.

    A lot bought on date d expires at the start of :func:`planner.lots.expiry_date` of d.

    Parameters
    ----------
    start
        Day 0 of the simulation.
    purchase_dates
        Dates the lots became usable (array-like of datetimes).

    Returns
    -------
    np.ndarray
        int64 offsets, same length as ``purchase_dates``.
    """
    start = as_start(start)
    dates = pd.DatetimeIndex(purchase_dates).normalize()
    expires = expiry_date(dates)
    return np.asarray((expires - start) // _DAY, dtype=np.int64)


def _starting_state(
    lots: pd.DataFrame | None, start: pd.Timestamp
) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative amounts and expiry offsets of the starting lots, oldest first."""
    if lots is None or len(lots) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    held = held_lots(lots, start)  # oldest first
    return np.cumsum(to_cents(held["amount"])), expiry_days(start, held["purchase_date"])


def expiry_table(start: pd.Timestamp, n_days: int, lots) -> tuple[np.ndarray, np.ndarray]:
    """(cumulative starting lots, expiry offsets of starting lots then of each day's lot)."""
    start_cum, start_expiry = _starting_state(lots, start)
    days = pd.date_range(start, periods=n_days, freq="D")
    expiry = np.concatenate([start_expiry, expiry_days(start, days)])
    return start_cum, np.ascontiguousarray(expiry, dtype=np.int64)


def base_seed(rng, needs_random: bool) -> int:
    if rng is None:
        if needs_random:
            raise ValueError(
                "rng: failure_prob > 0 needs a numpy.random.Generator "
                "(e.g. rng=np.random.default_rng(1))"
            )
        return 0
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng: expected a numpy.random.Generator, got {type(rng).__name__}")
    return int(rng.integers(0, 2**63 - 1))


def policy_table(policies: pd.DataFrame) -> pd.DataFrame:
    """Validated policy table with every column of ``POLICY_COLUMNS`` (defaults filled)."""
    if not isinstance(policies, pd.DataFrame):
        raise ValueError("policies: expected a DataFrame with one row per policy")
    required = ("initial", "recharge_amount", "threshold", "lead_days")
    missing = [c for c in required if c not in policies.columns]
    if missing:
        raise ValueError(f"policies: missing column(s) {missing}; need {', '.join(required)}")
    if len(policies) == 0:
        raise ValueError("policies: no rows")
    defaults = {f.name: f.default for f in fields(Policy) if f.name not in required}
    columns: dict[str, np.ndarray] = {}
    for col in POLICY_COLUMNS:
        if col not in policies.columns:
            columns[col] = np.full(len(policies), defaults[col])
            continue
        values = policies[col]
        if col == "auto_recharge":
            if not (pd.api.types.is_bool_dtype(values) or values.isin([0, 1]).all()):
                raise ValueError("policies: auto_recharge must hold True or False")
            columns[col] = values.to_numpy(bool)
            continue
        if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
            raise ValueError(f"policies: {col} must hold numbers")
        number = values.to_numpy(np.float64, na_value=np.nan)
        if not np.isfinite(number).all():
            raise ValueError(f"policies: {col} holds a missing or infinite value")
        if col in ("lead_days", "fix_days"):
            if (number != np.round(number)).any():
                raise ValueError(f"policies: {col} must hold whole numbers of days")
            number = number.astype(np.int64)
        columns[col] = number
    # Validate each distinct policy once, with the dataclass's messages.
    for row in set(zip(*(columns[c].tolist() for c in POLICY_COLUMNS), strict=True)):
        try:
            Policy(*row)
        except ValueError as exc:
            raise ValueError(f"policies: {exc}") from None
    return pd.DataFrame(columns, index=policies.index)


def policy_arrays(table: pd.DataFrame) -> tuple[np.ndarray, ...]:
    """Kernel arguments of a policy table: money in whole cents."""
    return (
        to_cents(table["initial"].to_numpy(np.float64)),
        to_cents(table["recharge_amount"].to_numpy(np.float64)),
        to_cents(table["threshold"].to_numpy(np.float64)),
        table["lead_days"].to_numpy(np.int64).copy(),
        table["auto_recharge"].to_numpy(bool).copy(),
        table["failure_prob"].to_numpy(np.float64).copy(),
        table["fix_days"].to_numpy(np.int64).copy(),
    )


# --------------------------------------------------------------------------------------------
# one path, many paths
# --------------------------------------------------------------------------------------------


def _run_paths(demand: np.ndarray, start, policy: Policy, lots, rng):
    if not isinstance(policy, Policy):
        raise ValueError(f"policy: expected a Policy, got {type(policy).__name__}")
    start = as_start(start)
    start_cum, expiry = expiry_table(start, demand.shape[1], lots)
    seed = base_seed(rng, policy.failure_prob > 0 and policy.auto_recharge)
    initial, q, s = (
        int(c) for c in to_cents([policy.initial, policy.recharge_amount, policy.threshold])
    )
    with threads_for(demand.size):
        rec, out = _kernels.paths_kernel(
            to_cents(demand),
            start_cum,
            expiry,
            initial,
            q,
            s,
            policy.lead_days,
            policy.auto_recharge,
            policy.failure_prob,
            policy.fix_days,
            seed,
        )
    start_balance = float(start_cum[-1]) / 100.0 if len(start_cum) else 0.0
    rec = from_cents(rec)
    for i, name in enumerate(_kernels.SUMMARY_FIELDS):
        if name in MONEY_FIELDS:
            out[i] /= 100.0
    return start, start_balance, rec, out


def paths(
    demand: np.ndarray, start, policy: Policy, *, lots: pd.DataFrame | None = None, rng=None
) -> dict[str, np.ndarray]:
    """Daily balance paths of one policy over many demand scenarios.

    Parameters
    ----------
    demand
        Daily credit demand, scenarios x days (day 0 is ``start``), finite and >= 0.
    start
        Date of day 0.
    policy
        The funding policy.
    lots
        Starting lots (``purchase_date``, ``amount``), as returned by
        :func:`planner.inputs.read_lots`.
    rng
        ``numpy.random.Generator``; required when ``policy.failure_prob > 0``. Scenario ``i``
        sees the same failures as scenario ``i`` of policy row 0 in :func:`sweep` with a
        generator in the same state.

    Returns
    -------
    dict
        ``balance`` (end of day), ``served``, ``unserved``, ``purchased``, ``expired``: float64
        arrays, scenarios x days; ``runway_days``: int64 per scenario, the day offset of the
        first stock-out (the number of days when there is none within the horizon).
    """
    matrix = demand_matrix(demand, one_path=False)
    _, _, rec, out = _run_paths(matrix, start, policy, lots, rng)
    first = out[_kernels.SUMMARY_FIELDS.index("first_stockout_day")]
    runway = np.where(first < 0, matrix.shape[1], first).astype(np.int64)
    result = {
        name: rec[_kernels.RECORD_FIELDS.index(name)]
        for name in ("balance", "served", "unserved", "purchased", "expired")
    }
    result["runway_days"] = runway
    return result


def simulate(
    demand, start, policy: Policy, *, lots: pd.DataFrame | None = None, rng=None
) -> SimulationResult:
    """Replay one daily demand series under a policy.

    Parameters
    ----------
    demand
        Daily credit demand, 1-D array or Series (day 0 is ``start``), finite and >= 0. A
        Series indexed by consecutive dates starts on its first date.
    start
        Date of day 0; may be None for a dated Series (and must be its first date if given).
    policy
        The funding policy.
    lots
        Starting lots (``purchase_date``, ``amount``): funds held before day 0.
    rng
        ``numpy.random.Generator``; required when ``policy.failure_prob > 0``.

    Returns
    -------
    SimulationResult
        Daily trajectory, metrics and e-mail events (see :class:`SimulationResult`).
    """
    if isinstance(demand, pd.Series) and isinstance(demand.index, pd.DatetimeIndex) and len(demand):
        days = demand.index
        if days.tz is not None:
            days = days.tz_localize(None)
        days = days.normalize()
        if not (days == pd.date_range(days[0], periods=len(days), freq="D")).all():
            raise ValueError("demand: the Series index must be consecutive calendar days")
        if start is not None and as_start(start) != days[0]:
            raise ValueError(
                f"start: {as_start(start).date()} is not the demand's first date "
                f"{days[0].date()}; pass start=None or slice the Series"
            )
        start = days[0]
    if start is None:
        raise ValueError("start: required unless demand is a Series indexed by date")
    matrix = demand_matrix(demand, one_path=True)
    start, start_balance, rec, out = _run_paths(matrix, start, policy, lots, rng)
    n_days = matrix.shape[1]
    dates = pd.date_range(start, periods=n_days, freq="D")
    col = {name: rec[i, 0] for i, name in enumerate(_kernels.RECORD_FIELDS)}
    trajectory = pd.DataFrame(
        {
            "date": dates,
            "demand": from_cents(to_cents(matrix[0])),
            "served": col["served"],
            "unserved": col["unserved"],
            "purchased": col["purchased"],
            "expired": col["expired"],
            "balance": col["balance"],
        }
    )
    summary = dict(zip(_kernels.SUMMARY_FIELDS, out[:, 0].tolist(), strict=True))
    first = int(summary["first_stockout_day"])
    metrics = {
        "purchased": summary["purchased"],
        "recharges": int(summary["recharges"]),
        "expired": summary["expired"],
        "unserved": summary["unserved"],
        "stockout_days": int(summary["stockout_days"]),
        "first_stockout": dates[first] if first >= 0 else None,
        "mean_balance": summary["mean_balance"],
        "end_balance": summary["end_balance"],
        "min_balance": summary["min_balance"],
        "start_balance": start_balance,
        "failed_recharges": int(summary["failed_recharges"]),
    }
    events = _events(dates, col, float(to_cents(policy.initial)) / 100.0, start_balance)
    return SimulationResult(trajectory=trajectory, metrics=metrics, events=events)


def _events(dates: pd.DatetimeIndex, col: dict, initial: float, start_balance: float):
    recharged = col["purchased"].copy()
    recharged[0] -= initial
    balance = col["balance"]
    before = np.concatenate([[start_balance], balance[:-1]]) + col["purchased"]
    kinds = (
        ("recharge_succeeded", recharged > 0, recharged),
        ("recharge_failed", col["recharge_failed"] > 0, col["recharge_failed"]),
        ("balance_zero", (balance <= 0) & (before > 0), np.zeros(len(dates))),
    )
    frames = [
        pd.DataFrame({"date": dates[mask], "event": name, "amount": amount[mask]})
        for name, mask, amount in kinds
    ]
    events = pd.concat(frames, ignore_index=True)
    events["event"] = events["event"].astype("string")
    order = {name: i for i, (name, _, _) in enumerate(kinds)}
    events["_order"] = events["event"].map(order).astype(np.int64)
    events = events.sort_values(["date", "_order"], kind="stable").drop(columns="_order")
    return events.reset_index(drop=True)
