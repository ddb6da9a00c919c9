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
of the day's level (a conference, a fraud, a hotline week). Bounded bursts arrive at
``bursts_per_year``, last ``burst_days`` days and make each day of the burst a multiple of
a normal day drawn uniformly from ``burst_size`` (2 to 6 times by default): a conference week
or a hotline rush whose size has a ceiling, unlike the heavy-tailed spikes.

A tenant's ``unseen_bursts`` marks the kind whose year of history cannot show the bursts
that decide its risk (rare, heavy-tailed spikes): the plan must say so and name a safer
alternative, and it is that alternative whose promise the backtest checks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from planner.engine import Policy, simulate, sweep
from planner.errors import InputError
from planner.plan import PlanOptions, PlanRequest
from planner.recommend import DEFAULT_SERVICE_LEVEL, TAIL_DAYS, policy_cost

__all__ = [
    "TENANTS",
    "Tenant",
    "backtest_history",
    "backtest_tenant",
    "demand_process",
    "kinds_table",
    "pooled_checks",
    "summarise",
    "synthetic_table",
    "vary_world",
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
    bursts_per_year: float = 0.0
    burst_size: tuple[float, float] = (2.0, 6.0)  # a burst day over a normal day, uniform
    burst_days: tuple[int, int] = (1, 3)  # shortest and longest burst
    unseen_bursts: bool = False  # a year of history cannot show the bursts that decide it


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
    Tenant(
        "large, all effects",
        500.0,
        growth=0.15,
        month_end=2.0,
        spikes_per_year=3,
        unseen_bursts=True,
    ),
    # bounded bursts (2 to 6 normal days for 1 to 3 days) with month-end peaks, 45 to 600 a
    # day, and growing tenants with free holding and dear invoices
    Tenant("bursts, 45/day, month-end 2.4", 45.0, month_end=2.4, bursts_per_year=6, overhead=2.0),
    Tenant("bursts, 57/day", 57.0, bursts_per_year=10),
    Tenant("bursts, 183/day, month-end 2.2", 183.0, month_end=2.2, bursts_per_year=8, overhead=2.0),
    Tenant("bursts, 600/day, month-end 2.6", 600.0, month_end=2.6, bursts_per_year=5, noise_cv=0.4),
    Tenant("growing +30%, overhead 50, holding 0", 150.0, growth=0.3, overhead=50.0, holding=0.0),
    Tenant("growing +40%, overhead 50, holding 0", 60.0, growth=0.4, overhead=50.0, holding=0.0),
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
    if tenant.bursts_per_year > 0:
        demand += _bursts(tenant, level, n_paths, n_days, rng)
    return np.round(demand, 2), wander[:, week_of_day[-1]]


def _bursts(
    tenant: Tenant, level: np.ndarray, n_paths: int, n_days: int, rng: np.random.Generator
) -> np.ndarray:
    """The extra spend of bounded bursts: each burst day ``m`` times the day's level, ``m``
    uniform in ``burst_size``, for a uniform number of days in ``burst_days``."""
    starts = rng.random((n_paths, n_days)) < tenant.bursts_per_year / 365.0
    lo, hi = tenant.burst_size
    shortest, longest = tenant.burst_days
    extra = np.zeros((n_paths, n_days))
    for i, t in zip(*np.nonzero(starts), strict=True):
        length = int(rng.integers(shortest, longest + 1))
        size = rng.uniform(lo, hi) - 1.0
        extra[i, t : t + length] = np.maximum(
            extra[i, t : t + length], size * level[i, t : t + length]
        )
    return extra


def _policy_table(policies: list[Policy]) -> pd.DataFrame:
    return pd.DataFrame([p.__dict__ for p in policies])


def _evaluate(
    table: pd.DataFrame, future: np.ndarray, start: pd.Timestamp, tenant: Tenant
) -> pd.DataFrame:
    """Year-one stock-out probability and the two-year cost of each policy on the futures."""
    year = sweep(np.ascontiguousarray(future[:, :365]), start, table, quantiles=())
    two = sweep(future, start, table, quantiles=(), plan_days=PLAN_DAYS)
    two = policy_cost(
        two,
        holding_rate=tenant.holding,
        recharge_overhead=tenant.overhead,
        plan_days=PLAN_DAYS,
        carry_over=False,
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


def _history(
    tenant: Tenant, rng: np.random.Generator, days: int = HISTORY_DAYS
) -> tuple[pd.Series, np.ndarray]:
    """``days`` of the tenant's history (a year by default) from :data:`HISTORY_START`, and
    the level's wander on its last day (for the futures that continue it)."""
    history, wander = demand_process(tenant, 0, days, 1, rng)
    index = pd.date_range(HISTORY_START, periods=days, freq="D")
    return pd.Series(history[0], index=index), wander


def backtest_tenant(
    tenant: Tenant,
    *,
    seed: int = 0,
    n_scenarios: int = 2000,
    n_true: int = 1000,
    grid_side: int = 30,
    service_level: float = DEFAULT_SERVICE_LEVEL,
    lead_days: int = 1,
    history_days: int = HISTORY_DAYS,
) -> dict:
    """Recommend from ``history_days`` of the tenant's history (a year by default), replay
    on fresh true futures that continue it.

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
    series, wander = _history(tenant, rng, history_days)
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
        history_days,
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
        "mean_daily": float(series.mean()),
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
        "unseen_bursts": tenant.unseen_bursts,
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


def kinds_table(table: pd.DataFrame) -> pd.DataFrame:
    """Realised beside promised, one row per tenant kind of a :func:`synthetic_table`: the
    mean promise and realised year-one stock-out over its histories, the histories where the
    promise held (realised at most three times the accepted risk is the check's bound, given
    as ``max_p``), the cost ratios, and for the kind whose year cannot show its bursts the
    named safer alternative's realised stock-out."""
    grouped = table.groupby("tenant", sort=False)
    return pd.DataFrame(
        {
            "histories": grouped.size(),
            "unseen_bursts": grouped["unseen_bursts"].first(),
            "promised_p": grouped["promised_p"].mean(),
            "realised_p": grouped["realised_p_year1"].mean(),
            "realised_p_max": grouped["realised_p_year1"].max(),
            "safer_realised_p": grouped["safer_realised_p_year1"].mean(),
            "named_safer": grouped["safer"].apply(lambda s: int(s.notna().sum())),
            "cost_ratio_mean": grouped["cost_ratio"].mean(),
            "cost_ratio_max": grouped["cost_ratio"].max(),
        }
    ).reset_index()


def pooled_checks(table: pd.DataFrame, *, max_p: float, max_ratio: float = 1.3) -> dict:
    """The backtest's pooled figures: over the kinds whose year shows their bursts, the
    pooled realised and promised stock-out (calibration: realised at least a quarter of the
    promise) and the kinds whose mean realised stock-out is at most ``max_p``; over the
    kinds whose year cannot show them, whether the plan named the safer alternative and the
    alternative's realised stock-out; over every history, the share within ``max_ratio`` of
    the grid's best cost."""
    seen = table[~table["unseen_bursts"].astype(bool)]
    unseen = table[table["unseen_bursts"].astype(bool)]
    by_kind = seen.groupby("tenant", sort=False)["realised_p_year1"].mean()
    return {
        "pooled_realised": float(seen["realised_p_year1"].mean()),
        "pooled_promised": float(seen["promised_p"].mean()),
        "kinds_held": int((by_kind <= max_p).sum()),
        "kinds": len(by_kind),
        "kinds_broken": [str(k) for k in by_kind.index[by_kind > max_p]],
        "histories_held": int((seen["realised_p_year1"] <= max_p).sum()),
        "histories": len(seen),
        "unseen_named": int(unseen["safer"].notna().sum()),
        "unseen_histories": len(unseen),
        "unseen_safer_realised": float(unseen["safer_realised_p_year1"].mean()),
        "unseen_realised": float(unseen["realised_p_year1"].mean()),
        "cost_near": int((table["cost_ratio"] <= max_ratio).sum()),
        "cost_n": len(table),
    }


def vary_world(
    tenants: tuple[Tenant, ...], *, wander: float = 1.0, bursts: float = 1.0, noise: float = 1.0
) -> tuple[Tenant, ...]:
    """The tenants in another synthetic world: the level's wander, the frequency of spikes
    and bursts and the day-to-day noise multiplied by the factors given."""
    return tuple(
        replace(
            t,
            wander_sd=t.wander_sd * wander,
            spikes_per_year=t.spikes_per_year * bursts,
            bursts_per_year=t.bursts_per_year * bursts,
            noise_cv=t.noise_cv * noise,
        )
        for t in tenants
    )


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
            "fit days: must leave at least 7 of the {n} history days to replay and "
            "use at least 14 to fit, got {fit_days}",
            n=n,
            fit_days=fit_days,
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
        carry_over=False,
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
