"""Backtests of the recommendation: does the promised risk hold on the real future?

Two kinds (``docs/credit-model.md`` §4):

- **Synthetic tenants with known processes** (:data:`TENANTS`, :func:`demand_process`): a year
  of history is drawn, :class:`planner.plan.PlanRequest` recommends from it alone, and the
  recommended policy is replayed on many fresh futures of the *true* process
  (:func:`backtest_tenant`). The realised stock-out probability over the first year is
  compared with the promise, and the two-year cost (:func:`planner.recommend.policy_cost`:
  forfeiture of every lot bought, lots expiring after the two years included, holding,
  one overhead per purchase, the first included) with the cheapest policy of a dense grid
  evaluated on those same true futures with the same service level: a planner that knew
  the process.
- **A history split in two** (:func:`backtest_history`): fit on the first part, recommend,
  replay the rest as it happened.

The process of a synthetic tenant, day t of its life (days from the first history day)::

    demand = level x (1 + growth) ** (t / 365.25) x weekday x month_end x wander_week
             x gamma noise (mean 1, cv noise_cv), 0 on idle days, plus spikes

where ``wander_week`` is an AR(1) of the log weekly level (the level is never known exactly)
and spikes arrive at ``spikes_per_year``, last 1 to 4 days and add a Pareto-sized multiple
of the day's level (a conference, a fraud, a hotline week).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from planner.engine import Policy, simulate, sweep
from planner.errors import InputError
from planner.plan import PlanOptions, PlanRequest
from planner.recommend import TAIL_DAYS, policy_cost

__all__ = [
    "TENANTS",
    "Tenant",
    "backtest_history",
    "backtest_tenant",
    "demand_process",
    "summarise",
    "synthetic_table",
]

#: first day of every synthetic history
HISTORY_START = pd.Timestamp("2025-01-01")
#: history length (days) and the plan replayed on the true futures (days)
HISTORY_DAYS = 365
PLAN_DAYS = 730
_WANDER_PHI = 0.9  # week-to-week persistence of the level wander


@dataclass(frozen=True)
class Tenant:
    """A synthetic tenant: a known daily-spend process and its cost settings."""

    name: str
    level: float  # mean daily spend at the first history day
    growth: float = 0.0  # per year
    weekend: float = 0.3  # weekend day over a weekday
    month_end: float = 1.0  # last five days of a month over the others
    idle: float = 0.0  # chance that a day has no spend at all
    noise_cv: float = 0.5  # day-to-day noise
    wander_sd: float = 0.1  # spread of the weekly level around the trend (log scale)
    spikes_per_year: float = 0.0
    spike_size: float = 2.0  # typical extra multiple of the day's level during a spike
    spike_alpha: float = 2.5  # Pareto index of spike sizes (lower: heavier; 2.5 = a few huge)
    overhead: float = 10.0
    holding: float = 0.05


#: the tenants of the backtest table: levels from under 2 to 500 a day; spikes with light
#: (Pareto index 6) and heavy (2.5: the 1-in-100 spike is 20 times the level) size tails
TENANTS = (
    Tenant("tiny, idle days", 1.5, idle=0.5, noise_cv=1.0),
    Tenant("small, month-end", 8.0, month_end=3.0, noise_cv=0.6),
    Tenant("idle 0.3, quiet weekends", 15.0, idle=0.3, weekend=0.05),
    Tenant("growing +40%/yr", 30.0, growth=0.4, month_end=1.5),
    Tenant("spiky, heavy spikes", 60.0, spikes_per_year=6, spike_size=3.0),
    Tenant("light spikes 4/yr", 80.0, spikes_per_year=4, spike_size=3.0, spike_alpha=6.0),
    Tenant("noisy (cv 1)", 100.0, noise_cv=1.0),
    Tenant("overhead 50, holding 0", 120.0, overhead=50.0, holding=0.0, month_end=1.5),
    Tenant("shrinking -30%/yr", 200.0, growth=-0.3, wander_sd=0.15),
    Tenant("steady 300", 300.0, noise_cv=0.3, wander_sd=0.05),
    Tenant(
        "large, light spikes",
        450.0,
        growth=0.15,
        month_end=2.0,
        spikes_per_year=3,
        spike_alpha=6.0,
    ),
    Tenant("large, all effects", 500.0, growth=0.15, month_end=2.0, spikes_per_year=3),
)


def _deterministic(tenant: Tenant, days: np.ndarray, dates: pd.DatetimeIndex) -> np.ndarray:
    """Trend x weekday x month-end, normalised so that the level is the mean daily spend."""
    weekday = np.where(dates.day_of_week < 5, 1.0, tenant.weekend)
    end = np.where(dates.days_in_month - dates.day < 5, tenant.month_end, 1.0)
    norm = (5 + 2 * tenant.weekend) / 7 * (1 + (tenant.month_end - 1) * 5 / 30.44)
    trend = (1 + tenant.growth) ** (days / 365.25)
    return tenant.level * trend * weekday * end / norm


def demand_process(
    tenant: Tenant,
    first_day: int,
    n_days: int,
    n_paths: int,
    rng: np.random.Generator,
    wander_start: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Paths of the tenant's true daily spend, in whole cents' worth of currency units.

    Parameters
    ----------
    tenant : Tenant
    first_day : int
        Day of the tenant's life of the first column (0 = :data:`HISTORY_START`).
    n_days, n_paths : int
    rng : numpy.random.Generator
    wander_start : np.ndarray, optional
        Log level wander of each path on the day before (continues a history).

    Returns
    -------
    (np.ndarray, np.ndarray)
        Demand (paths x days) and the wander on the last day (to continue from).
    """
    days = np.arange(first_day, first_day + n_days)
    dates = HISTORY_START + pd.to_timedelta(days, unit="D")
    base = _deterministic(tenant, days, pd.DatetimeIndex(dates))
    n_weeks = -(-n_days // 7) + 1
    step_sd = tenant.wander_sd * math.sqrt(1 - _WANDER_PHI**2)
    wander = np.empty((n_paths, n_weeks))
    prev = np.zeros(n_paths) if wander_start is None else np.asarray(wander_start, float)
    if wander_start is None:  # stationary start
        prev = tenant.wander_sd * rng.standard_normal(n_paths)
    for w in range(n_weeks):
        prev = _WANDER_PHI * prev + step_sd * rng.standard_normal(n_paths)
        wander[:, w] = prev
    week_of_day = np.arange(n_days) // 7
    level = base[None, :] * np.exp(wander[:, week_of_day] - tenant.wander_sd**2 / 2)
    shape = 1.0 / tenant.noise_cv**2
    demand = level * rng.gamma(shape, 1.0 / shape, size=(n_paths, n_days))
    demand[rng.random((n_paths, n_days)) < tenant.idle] = 0.0
    demand /= 1.0 - tenant.idle  # the idle days do not change the mean
    if tenant.spikes_per_year > 0:
        starts = rng.random((n_paths, n_days)) < tenant.spikes_per_year / 365.0
        extra = np.zeros((n_paths, n_days))
        for i, t in zip(*np.nonzero(starts), strict=True):
            length = int(rng.integers(1, 5))
            size = tenant.spike_size * (rng.pareto(tenant.spike_alpha) + 0.5) / 0.97
            extra[i, t : t + length] += size * level[i, t : t + length]
        demand += extra
    return np.round(demand, 2), wander[:, week_of_day[-1]]


def _policy_table(policies: list[Policy]) -> pd.DataFrame:
    return pd.DataFrame([p.__dict__ for p in policies])


def _evaluate(
    table: pd.DataFrame, future: np.ndarray, start: pd.Timestamp, tenant: Tenant
) -> pd.DataFrame:
    """Year-one stock-out probability and the two-year cost of each policy on the futures."""
    year = sweep(np.ascontiguousarray(future[:, :365]), start, table, quantiles=())
    two = sweep(future, start, table, quantiles=(), plan_days=PLAN_DAYS)
    two = policy_cost(
        two, holding_rate=tenant.holding, recharge_overhead=tenant.overhead, plan_days=PLAN_DAYS
    )
    return pd.DataFrame(
        {
            "p_stockout_year1": year["p_stockout"].to_numpy(),
            "p_stockout_2y": two["p_stockout"].to_numpy(),
            "cost_2y": two["cost"].to_numpy(),
            "forfeited_2y": two["forfeited"].to_numpy(),
            "purchases_2y": two["purchases"].to_numpy(),
        },
        index=table.index,
    )


def _grid(future: np.ndarray, lead_days: int, side: int, min_amount: float) -> pd.DataFrame:
    """A dense grid of whole policies: Q up to a year and a bit of demand, s up to twice the
    largest day of the futures."""
    yearly = float(future[:, :PLAN_DAYS].mean()) * 365.25
    q = np.unique(np.round(np.geomspace(min_amount, max(min_amount + 1, 1.3 * yearly), side)))
    s_hi = max(min_amount + 1, 2.0 * float(future[:, :PLAN_DAYS].max()))
    s = np.unique(np.round(np.geomspace(min_amount, s_hi, side)))
    qq, ss = np.meshgrid(q, s, indexing="ij")
    return pd.DataFrame(
        {
            "initial": np.maximum(qq, ss).ravel(),
            "recharge_amount": qq.ravel(),
            "threshold": ss.ravel(),
            "lead_days": lead_days,
        }
    )


def backtest_tenant(
    tenant: Tenant,
    *,
    seed: int = 0,
    n_scenarios: int = 2000,
    n_true: int = 1000,
    grid_side: int = 30,
    service_level: float = 0.99,
    lead_days: int = 1,
) -> dict:
    """Recommend from one year of the tenant's history, replay on fresh true futures.

    Returns
    -------
    dict
        ``tenant``, ``mean_daily``, the recommended ``initial``, ``recharge_amount``,
        ``threshold``, ``promised_p`` (the recommendation's p_stockout), ``realised_p_year1``
        and ``realised_p_2y`` on the true futures, ``cost_2y``, ``best_grid_cost_2y`` (the
        cheapest grid policy meeting the service level in year one on the same futures),
        ``cost_ratio``, ``best_grid`` (its Q and s), ``forfeited_2y``, ``purchases_2y``, and
        for the recommendation's ``higher service level`` alternative (offered against bursts
        the history has not shown) ``safer``, ``safer_realised_p_year1`` and
        ``safer_cost_ratio``.
    """
    rng = np.random.default_rng(seed)
    history, wander = demand_process(tenant, 0, HISTORY_DAYS, 1, rng)
    series = pd.Series(
        history[0], index=pd.date_range(HISTORY_START, periods=HISTORY_DAYS, freq="D")
    )
    options = PlanOptions(
        service_level=service_level,
        lead_days=lead_days,
        holding_rate=tenant.holding,
        recharge_overhead=tenant.overhead,
        n_scenarios=n_scenarios,
    )
    rec = PlanRequest(options=options).plan_history(series, "USD").recommendation
    future, _ = demand_process(
        tenant,
        HISTORY_DAYS,
        PLAN_DAYS + TAIL_DAYS + lead_days,
        n_true,
        rng,
        wander_start=np.repeat(wander, n_true),
    )
    start = series.index[-1] + pd.Timedelta(days=1)
    safer = rec.safer_policy()
    both = [rec.policy] + ([safer] if safer is not None else [])
    evaluated = _evaluate(_policy_table(both), future, start, tenant)
    mine = evaluated.iloc[0]
    grid = _grid(future, lead_days, grid_side, options.min_amount)
    res = _evaluate(grid, future, start, tenant)
    ok = res["p_stockout_year1"] <= 1 - service_level
    best = int(res[ok]["cost_2y"].to_numpy().argmin()) if ok.any() else None
    best_row = grid[ok.to_numpy()].iloc[best] if best is not None else None
    best_cost = float(res[ok]["cost_2y"].iloc[best]) if best is not None else math.nan
    return {
        "tenant": tenant.name,
        "mean_daily": float(history.mean()),
        "overhead": tenant.overhead,
        "holding": tenant.holding,
        "initial": rec.policy.initial,
        "recharge_amount": rec.policy.recharge_amount,
        "threshold": rec.policy.threshold,
        "promised_p": rec.metrics["p_stockout"],
        "realised_p_year1": float(mine["p_stockout_year1"]),
        "realised_p_2y": float(mine["p_stockout_2y"]),
        "cost_2y": float(mine["cost_2y"]),
        "best_grid_cost_2y": best_cost,
        "cost_ratio": float(mine["cost_2y"]) / best_cost if best_cost > 0 else math.nan,
        "best_grid": (
            f"{best_row['recharge_amount']:.0f} below {best_row['threshold']:.0f}"
            if best_row is not None
            else "none feasible"
        ),
        "forfeited_2y": float(mine["forfeited_2y"]),
        "purchases_2y": float(mine["purchases_2y"]),
        **_safer_outcome(safer, evaluated, best_cost),
    }


def _safer_outcome(safer: Policy | None, evaluated: pd.DataFrame, best_cost: float) -> dict:
    """``safer`` (its Q and s), ``safer_realised_p_year1`` and ``safer_cost_ratio`` on the
    true futures; NaN when the recommendation has no such alternative."""
    if safer is None:
        return {"safer": None, "safer_realised_p_year1": math.nan, "safer_cost_ratio": math.nan}
    row = evaluated.iloc[1]
    return {
        "safer": f"{safer.recharge_amount:.0f} below {safer.threshold:.0f}",
        "safer_realised_p_year1": float(row["p_stockout_year1"]),
        "safer_cost_ratio": float(row["cost_2y"]) / best_cost if best_cost > 0 else math.nan,
    }


def synthetic_table(
    tenants: tuple[Tenant, ...] = TENANTS, *, seed: int = 0, histories: int = 1, **kwargs
) -> pd.DataFrame:
    """:func:`backtest_tenant` for each tenant and each of ``histories`` independent
    histories (tenant i, history h: seed ``seed + 100 h + i``), one row each, with a
    ``history`` column. One history is one draw: the promise is about the planner, so
    several histories per tenant show how it does across the histories a tenant could have.
    """
    rows = [
        backtest_tenant(t, seed=seed + 100 * h + i, **kwargs) | {"history": h}
        for i, t in enumerate(tenants)
        for h in range(histories)
    ]
    return pd.DataFrame(rows)


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """One row per tenant of a :func:`synthetic_table`: the mean and the largest realised
    year-one stock-out share and cost ratio over its histories."""
    grouped = table.groupby("tenant", sort=False)
    return pd.DataFrame(
        {
            "histories": grouped.size(),
            "mean_daily": grouped["mean_daily"].mean(),
            "promised_p": grouped["promised_p"].mean(),
            "realised_p_mean": grouped["realised_p_year1"].mean(),
            "realised_p_max": grouped["realised_p_year1"].max(),
            "cost_ratio_mean": grouped["cost_ratio"].mean(),
            "cost_ratio_max": grouped["cost_ratio"].max(),
        }
    ).reset_index()


def backtest_history(
    history: pd.Series,
    currency: str,
    *,
    fit_days: int,
    options: PlanOptions | None = None,
) -> dict:
    """Fit on the first ``fit_days`` days, recommend, replay the rest as it happened.

    The plan horizon is the replayed part; the replay starts with the recommended first
    purchase (no lots). One replay is one outcome: a promise of 1% is not contradicted by
    one stock-out, but a history of such backtests adds up.

    Returns
    -------
    dict
        ``fit``/``replay`` periods, the recommended policy, ``promised_p``,
        ``promised_cost`` and ``promised_forfeited`` (expectations over the plan's
        scenarios), ``stockout_days``, ``first_stockout``, ``purchases``, ``forfeited``,
        ``mean_balance`` and ``cost`` of the replay (forfeiture within the replay only).
    """
    n = len(history)
    replay_days = n - int(fit_days)
    if not 14 <= fit_days < n or replay_days < 7:
        raise InputError(
            f"fit days: must leave at least 7 of the {n} history days to replay and use at "
            f"least 14 to fit, got {fit_days}"
        )
    o = replace(options or PlanOptions(), horizon_days=replay_days)
    rec = PlanRequest(options=o).plan_history(history.iloc[:fit_days], currency).recommendation
    rest = history.iloc[fit_days:]
    result = simulate(rest, None, rec.policy)
    m = result.metrics
    replayed = pd.DataFrame(
        {
            "forfeited": [m["expired"]],
            "mean_balance": [m["mean_balance"]],
            "recharges": [m["recharges"]],
            "initial": [rec.policy.initial],
        }
    )
    row = policy_cost(
        replayed,
        holding_rate=o.holding_rate,
        recharge_overhead=o.recharge_overhead,
        plan_days=replay_days,
    ).iloc[0]
    purchases, cost = int(row["purchases"]), float(row["cost"])
    return {
        "fit": f"{history.index[0].date()} to {history.index[fit_days - 1].date()}",
        "replay": f"{rest.index[0].date()} to {rest.index[-1].date()}",
        "initial": rec.policy.initial,
        "recharge_amount": rec.policy.recharge_amount,
        "threshold": rec.policy.threshold,
        "promised_p": rec.metrics["p_stockout"],
        "promised_cost": rec.cost,
        "promised_forfeited": rec.metrics["expected_forfeited"],
        "stockout_days": m["stockout_days"],
        "first_stockout": None if m["first_stockout"] is None else str(m["first_stockout"].date()),
        "purchases": purchases,
        "forfeited": m["expired"],
        "mean_balance": m["mean_balance"],
        "cost": cost,
    }
