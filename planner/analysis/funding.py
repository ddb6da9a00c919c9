"""Funding summaries: scenario and balance paths (``S x T`` floats in currency units)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from planner.engine import Policy, expiry_days, paths
from planner.lots import expiry_date

DEFAULT_PERCENTILES: tuple[float, ...] = (5, 25, 50, 75, 95)


def _as_paths(paths: Any, name: str = "paths") -> np.ndarray:
    arr = np.asarray(paths, dtype="float64")
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] == 0:
        raise ValueError(f"{name} must be an S x T array of paths, got shape {arr.shape}")
    return arr


def dates(start: Any, days: int) -> pd.DatetimeIndex:
    """``days`` consecutive calendar days from ``start`` (a date or anything pandas parses)."""
    t0 = pd.Timestamp(start)
    if t0.tzinfo is not None:
        t0 = t0.tz_convert("UTC").tz_localize(None)
    return pd.date_range(t0.normalize(), periods=days, freq="D", name="date")


def percentile_bands(
    paths: Any,
    start: Any,
    percentiles: Sequence[float] = DEFAULT_PERCENTILES,
    cumulative: bool = False,
) -> pd.DataFrame:
    """Percentiles across scenario paths, day by day.

    Parameters
    ----------
    paths : array-like, S x T
        One row per scenario (daily demand, balance, ...), floats in currency units.
    start : date-like
        The calendar day of column 0.
    percentiles : sequence of float
        Percentiles in [0, 100].
    cumulative : bool
        Band the running total of each path instead of the daily values.

    Returns
    -------
    DataFrame
        Index ``date`` (T days). Columns ``p<q>`` for each percentile (``p5``, ``p50``, ...,
        ``p2.5`` for fractional ones) and ``mean``, floats.
    """
    arr = _as_paths(paths)
    if any(not 0 <= q <= 100 for q in percentiles):
        raise ValueError(f"percentiles must lie in [0, 100], got {list(percentiles)}")
    if cumulative:
        arr = np.cumsum(arr, axis=1)
    qs = np.percentile(arr, list(percentiles), axis=0)
    out = pd.DataFrame(
        {_pcol(q): qs[i] for i, q in enumerate(percentiles)}, index=dates(start, arr.shape[1])
    )
    out["mean"] = arr.mean(axis=0)
    return out


def _pcol(q: float) -> str:
    return f"p{q:g}"


def first_stockout_day(unserved: Any, tol: float = 1e-9) -> np.ndarray:
    """Index of each path's first day with unserved demand (NaN when it never runs out).

    Parameters
    ----------
    unserved : array-like, S x T
        ``unserved`` from the simulation.

    Returns
    -------
    ndarray of float, length S
    """
    arr = _as_paths(unserved, "unserved")
    hit = arr > tol
    first = np.argmax(hit, axis=1).astype("float64")
    first[~hit.any(axis=1)] = np.nan
    return first


def path_outcomes(result: Mapping[str, Any], tol: float = 1e-9) -> pd.DataFrame:
    """One row of totals per simulated path.

    Parameters
    ----------
    result : mapping
        S x T arrays ``balance, served, unserved, purchased, expired`` (as from
        :func:`planner.engine.paths`); missing keys give missing columns.

    Returns
    -------
    DataFrame
        Index ``path`` 0..S-1. Columns (floats in currency units unless said): ``purchased``,
        ``served``, ``expired``, ``unserved`` (path totals), ``stockout_days`` (int64),
        ``first_stockout_day`` (float, NaN when none), ``end_balance``, ``mean_balance``,
        ``min_balance``.
    """
    out: dict[str, Any] = {}
    for key in ("purchased", "served", "expired", "unserved"):
        if key in result:
            out[key] = _as_paths(result[key], key).sum(axis=1)
    if "unserved" in result:
        u = _as_paths(result["unserved"], "unserved")
        out["stockout_days"] = (u > tol).sum(axis=1).astype("int64")
        out["first_stockout_day"] = first_stockout_day(u, tol)
    if "balance" in result:
        b = _as_paths(result["balance"], "balance")
        out["end_balance"] = b[:, -1]
        out["mean_balance"] = b.mean(axis=1)
        out["min_balance"] = b.min(axis=1)
    if not out:
        raise ValueError("result holds none of balance, served, unserved, purchased, expired")
    frame = pd.DataFrame(out)
    frame.index.name = "path"
    return frame


def runway_days(demand_paths: Any, start: Any, lots: pd.DataFrame | float) -> np.ndarray:
    """Days today's funds last on each demand path with no purchase (``inf``: past the horizon).

    Runs :func:`planner.engine.paths` with auto-recharge off, so a lot expiring on its date
    shortens the runway exactly as it would in the tenant.

    Parameters
    ----------
    demand_paths : array-like, S x T
        Daily credit demand per scenario from ``start`` (currency units).
    start : date-like
        Day 0 of the paths (today).
    lots : DataFrame or float
        Today's lots (``purchase_date``, ``amount``; :func:`planner.inputs.read_lots`), or a
        plain balance (a lot bought on ``start``, which outlives a horizon of up to a year).

    Returns
    -------
    ndarray of float, length S
        Whole days fully served before the first day with unserved demand; ``inf`` when the
        funds outlast the horizon.
    """
    arr = _as_paths(demand_paths, "demand_paths")
    t0 = dates(start, 1)[0]
    if not isinstance(lots, pd.DataFrame):
        if not lots >= 0:
            raise ValueError(f"lots: a balance must be >= 0, got {lots}")
        lots = pd.DataFrame({"purchase_date": [t0], "amount": [float(lots)]})
    off = Policy(0.0, 0.0, 0.0, lead_days=0, auto_recharge=False)
    runway = paths(arr, t0, off, lots=lots)["runway_days"].astype("float64")
    return np.where(runway < arr.shape[1], runway, np.inf)


def lot_forfeiture(
    lots: pd.DataFrame, demand_paths: Any, start: Any, percentiles: Sequence[float] = (5, 50, 95)
) -> pd.DataFrame:
    """What today's lots are expected to forfeit if no funds are added, by expiry date.

    Runs :func:`planner.engine.paths` with auto-recharge off, so FIFO consumption and expiry
    (purchase date + 12 calendar months) follow the balance model exactly. Purchases made
    later are newer lots, used only once these are gone, so they do not change what these
    lots forfeit.

    Parameters
    ----------
    lots : DataFrame
        ``purchase_date`` (date) and ``amount`` (currency units left), as
        :func:`planner.inputs.read_lots` returns them.
    demand_paths : array-like, S x T
        Daily credit demand per scenario from ``start`` (currency units).
    start : date-like
        Day 0 of the paths (today).
    percentiles : sequence of float
        Percentiles of the forfeited amount to report.

    Returns
    -------
    DataFrame
        One row per expiry date, earliest first: ``date`` (expiry, datetime64),
        ``purchase_date`` (earliest purchase expiring then), ``amount`` (held today),
        ``expected_forfeit`` (mean over paths; NaN when the date is past the horizon),
        ``forfeit_p<q>`` per percentile, ``p_forfeit`` (share of paths losing something).
        The first four columns match :data:`planner.recommend.EXPIRING_COLUMNS`.
    """
    for col in ("purchase_date", "amount"):
        if col not in lots.columns:
            raise ValueError(f"lots: missing column {col!r} (need purchase_date, amount)")
    arr = _as_paths(demand_paths, "demand_paths")
    t0 = dates(start, 1)[0]
    off = Policy(0.0, 0.0, 0.0, lead_days=0, auto_recharge=False)
    expired = paths(arr, t0, off, lots=lots)["expired"]
    purchase = pd.DatetimeIndex(pd.to_datetime(lots["purchase_date"])).normalize()
    frame = pd.DataFrame(
        {
            "date": expiry_date(purchase),
            "purchase_date": purchase,
            "amount": lots["amount"].to_numpy(dtype="float64"),
            "day": np.maximum(expiry_days(t0, purchase), 0),
        }
    )
    out = frame.groupby("date", sort=True).agg(
        purchase_date=("purchase_date", "min"), amount=("amount", "sum"), day=("day", "first")
    )
    horizon = arr.shape[1]
    inside = out["day"].to_numpy() < horizon
    lost = np.full((arr.shape[0], len(out)), np.nan)
    lost[:, inside] = expired[:, out["day"].to_numpy()[inside]]
    # each date's mean over its own column (numpy sums a column of its own pairwise, more
    # exactly than a mean over axis 0): the same figure as ``planner recommend`` shows
    out["expected_forfeit"] = np.array(
        [lost[:, j].mean() if arr.shape[0] else np.nan for j in range(len(out))], dtype="float64"
    )
    for q in percentiles:
        out[f"forfeit_{_pcol(q)}"] = np.percentile(lost, q, axis=0) if len(out) else []
    out["p_forfeit"] = np.where(inside, (lost > 1e-9).mean(axis=0), np.nan)
    return out.drop(columns="day").reset_index()
