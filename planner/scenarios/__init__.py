"""Demand scenarios: many plausible futures built from a daily credit-spend history.

The balance engine needs demand paths (scenarios x days). This module turns one history of
daily credit spend into such paths:

- :func:`replay` -- the history itself, one path (what would have happened);
- :func:`make_scenarios` with ``method="bootstrap"`` -- a *month-aligned weekly block
  bootstrap*: the horizon is cut into 7-day blocks that start on the weekday following the
  last history day; each block is a whole week copied from the history, chosen at random among
  the history weeks starting on the same weekday whose position in the month is within a day
  and a half of the block's own (at least the :data:`MIN_CANDIDATES` nearest), exact matches
  weighted up (:data:`MONTH_SIGMA_DAYS`). Whole weeks keep the weekly rhythm and day-to-day
  correlation; matching the position in the month keeps the month-end bunching (Calling Plan
  minute pools reset on the 1st, so overage spend piles up late in the month). A week is
  never moved across the 1st, where that spend drops. A week that ends in the middle of a
  burst (days in the day tail, below) is followed by the history week the burst went on
  into, so bursts of several days are not cut short where two weeks meet.

Growth. The history is first brought to the level of its last day by removing its own trend,
then the future is scaled by ``(1 + growth_per_year) ** (days / 365.25)``. The trend is a
Theil-Sen (median of pairwise slopes) fit of ``log`` weekly spend (:func:`estimate_growth`),
robust to odd weeks, shrunk toward 0 by its standard error (a year of history cannot tell a
trend from a season) and clamped to :data:`GROWTH_RANGE` (a one-year forecast that
extrapolates more than a doubling or a halving from a noisy history is not credible); the
remaining uncertainty of the trend is drawn per scenario. It needs
:data:`MIN_WEEKS_FOR_GROWTH` weeks. ``growth`` overrides the projection (fixed, see
:func:`parse_growth`).

Uncertainty of the level. Each block is drawn from the history, so week-to-week noise is in
the paths; but the *mean* level itself is only known from ``n`` history weeks, and weeks are
not independent (a busy quarter is busy week after week). Each scenario is therefore scaled
by a Bayesian-bootstrap draw of the mean weekly spend (Dirichlet weights on the history
weeks, with concentration ``1 / persistence`` of the weekly totals, :func:`level_draws`)
divided by the history's mean: its spread is about ``cv_week * sqrt(persistence / n_weeks)``.
Above the projection the trend's uncertainty is never taken below twice how much the
month-long level moved during the history, up to :data:`GROWTH_MIN_LOG_SD`
(:func:`planner.scenarios.growth._growth_floor`); below it the data's own uncertainty is
kept (:class:`~planner.scenarios.growth.GrowthEstimate`). A scenario's own growth applies to the
history as well: one that grows faster than projected also starts higher, by its extra
growth over the history's mean age (:func:`_growth_factors`).

Days beyond the largest one seen. A year of history holds about 365 days, so the largest is
roughly the 1-in-365 day, while a 99% annual service level with a one-day lead time is decided
by the 1-in-36,500 day. Resampled weeks cannot hold a day bigger than the biggest seen, so the
upper tail of daily spend is modelled (peaks over threshold): each day of the (detrended)
history is divided by its season factor (:func:`season_factors`: weekday, and the last
days of a month, :mod:`planner.scenarios.tail`), the days above the :data:`TAIL_QUANTILE`
quantile are the tail (:func:`fit_day_tail`), and every resampled day above that threshold gets a
fresh generalized Pareto excess instead of its observed one, one per run of consecutive such
days (a burst keeps its size from day to day). Some 35 exceedances a year
cannot tell a light tail from a heavy one, so each scenario draws its own shape from a
posterior on a grid (the exceedances' likelihood times the prior :data:`TAIL_SHAPE_PRIOR`,
which leans to moderately heavy tails), with the scale that keeps the mean excess seen
(``day_tail=True``, the default). How well this keeps the promise is measured by
:mod:`planner.backtest`.

Number of scenarios. :data:`DEFAULT_SCENARIOS` = 2000: the standard error of a stock-out
probability p estimated from S independent paths is ``sqrt(p (1 - p) / S)``; at the usual
target p = 0.01 that is 0.22 percentage points with 2000 paths, so a 95% interval is about
+/-0.45 point (1000 paths would give +/-0.62, 4000 +/-0.31 at twice the sweep time). A sweep
costs in proportion to scenarios x days x policies: 2000 x 365 days is about 4 ms per policy
on one core of a small machine, so the ~500 policies of a recommendation search take about
two seconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from planner.errors import InputError
from planner.notes import Note
from planner.scenarios.growth import (
    GROWTH_MIN_LOG_SD,
    GROWTH_OVERRIDE_RANGE,
    GROWTH_PRIOR_SD,
    GROWTH_RANGE,
    MIN_WEEKS_FOR_GROWTH,
    GrowthEstimate,
    at_last_day_level,
    estimate_growth,
    parse_growth,
    persistence,
)
from planner.scenarios.tail import (
    MIN_TAIL_POINTS,
    TAIL_CAP,
    TAIL_QUANTILE,
    TAIL_SHAPE_PRIOR,
    UNSEEN_BURSTS_PRIOR,
    DayTail,
    HistoryTail,
    fit_day_tail,
    month_end_factors,
    season_adjusted,
    season_factors,
    weekday_factors,
)

__all__ = [
    "DEFAULT_HORIZON_DAYS",
    "DEFAULT_SCENARIOS",
    "GROWTH_MIN_LOG_SD",
    "GROWTH_OVERRIDE_RANGE",
    "GROWTH_PRIOR_SD",
    "GROWTH_RANGE",
    "METHODS",
    "MIN_HISTORY_DAYS",
    "MIN_TAIL_POINTS",
    "MIN_WEEKS_FOR_GROWTH",
    "SHORT_HISTORY_DAYS",
    "TAIL_CAP",
    "TAIL_QUANTILE",
    "TAIL_SHAPE_PRIOR",
    "UNSEEN_BURSTS_PRIOR",
    "DayTail",
    "GrowthEstimate",
    "Scenarios",
    "estimate_growth",
    "fit_day_tail",
    "at_last_day_level",
    "level_draws",
    "make_scenarios",
    "month_end_factors",
    "parse_growth",
    "persistence",
    "replay",
    "season_adjusted",
    "season_factors",
    "weekday_factors",
]

#: default number of scenario paths (see the module docstring for the reasoning)
DEFAULT_SCENARIOS = 2000
#: default horizon in days
DEFAULT_HORIZON_DAYS = 365
#: fewest history days accepted: two whole weeks, so that every weekday is seen twice and the
#: week-to-week variation (the level uncertainty) can be estimated at all
MIN_HISTORY_DAYS = 14
#: below this many days the results carry a warning about wide level uncertainty
SHORT_HISTORY_DAYS = 56
#: a candidate week's position in the month lies within this many days of the block's own
#: (a wider window gives more variety but smears the month-end peak by as many days)
MONTH_WINDOW_DAYS = 1.5
#: fewest candidate weeks per block (short histories fall back to the nearest ones)
MIN_CANDIDATES = 4
#: candidates are weighted by a Gaussian of their distance (days) in month position
MONTH_SIGMA_DAYS = 0.6

_MEAN_MONTH = 365.25 / 12
METHODS = ("bootstrap", "replay")


@dataclass
class Scenarios:
    """Demand paths for the balance engine.

    Attributes
    ----------
    start : pd.Timestamp
        Date of day 0 of every path.
    paths : np.ndarray
        Daily credit demand, shape (scenarios, days), float, >= 0.
    method : str
        ``"bootstrap"`` or ``"replay"``.
    growth_per_year : float
        Growth applied to the future (0.2 = +20 % a year).
    history_days : int
        Length of the history the paths were built from.
    seed : int | None
        Seed used (``None`` when a Generator was passed or for replay).
    warnings : list[Note]
        Caveats to show the user (short history, growth assumed, ...), as codes and numbers
        (:class:`planner.notes.Note`).
    tail : np.ndarray or None
        Demand of the days after the horizon, shape (scenarios, tail days), drawn like the
        paths: the planner spends what is left on them to count the forfeiture of lots
        bought late in the plan (``docs/credit-model.md`` §3). None: not drawn.
    """

    start: pd.Timestamp
    paths: np.ndarray
    method: str
    growth_per_year: float
    history_days: int
    seed: int | None = None
    warnings: list[Note] = field(default_factory=list)
    tail: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.start = pd.Timestamp(self.start).normalize()
        paths = np.asarray(self.paths, dtype=float)
        if paths.ndim != 2 or paths.shape[0] < 1 or paths.shape[1] < 1:
            raise ValueError(f"paths: need a non-empty 2-D array, got shape {paths.shape}")
        if not np.isfinite(paths).all() or (paths < 0).any():
            raise ValueError("paths: demand must be finite and >= 0")
        self.paths = paths
        if self.method not in METHODS:
            raise ValueError(f"method: must be one of {METHODS}, got {self.method!r}")
        if not math.isfinite(self.growth_per_year) or self.growth_per_year <= -1:
            raise ValueError(f"growth_per_year: must be > -1, got {self.growth_per_year}")
        if self.history_days < 1:
            raise ValueError(f"history_days: must be >= 1, got {self.history_days}")
        if self.tail is not None:
            tail = np.asarray(self.tail, dtype=float)
            if tail.ndim != 2 or tail.shape[0] != paths.shape[0]:
                raise ValueError("tail: need one row per path")
            if not np.isfinite(tail).all() or (tail < 0).any():
                raise ValueError("tail: demand must be finite and >= 0")
            self.tail = tail

    @property
    def n_scenarios(self) -> int:
        """Number of paths."""
        return int(self.paths.shape[0])

    @property
    def horizon_days(self) -> int:
        """Number of days in each path."""
        return int(self.paths.shape[1])

    @property
    def dates(self) -> pd.DatetimeIndex:
        """The calendar days of the paths."""
        return pd.date_range(self.start, periods=self.horizon_days, freq="D")

    def mean_daily(self) -> float:
        """Mean daily demand over all paths and days."""
        return float(self.paths.mean())

    def with_tail(self) -> np.ndarray:
        """The paths followed by the tail days (just the paths when there is no tail)."""
        if self.tail is None or self.tail.shape[1] == 0:
            return self.paths
        return np.ascontiguousarray(np.hstack([self.paths, self.tail]))


# --------------------------------------------------------------------------- history


def _validate_history(history: pd.Series) -> pd.Series:
    """A float Series on a contiguous daily index (gaps filled with 0), or InputError."""
    if not isinstance(history, pd.Series):
        raise InputError("demand history: expected a pandas Series of daily spend")
    if not isinstance(history.index, pd.DatetimeIndex):
        try:
            history = history.copy()
            history.index = pd.DatetimeIndex(pd.to_datetime(history.index))
        except (ValueError, TypeError) as exc:
            raise InputError("demand history: the index must be dates") from exc
    if len(history) == 0:
        raise InputError("demand history is empty: no days of credit spend to plan from")
    idx = history.index
    if idx.tz is not None:
        idx = idx.tz_localize(None)
    idx = idx.normalize()
    if idx.has_duplicates:
        raise InputError("demand history: the same day appears twice; give one value per day")
    values = pd.to_numeric(pd.Series(history.to_numpy(), index=idx), errors="coerce")
    values = values.astype(float).sort_index()
    if values.isna().any():
        bad = values.index[values.isna()][0].date()
        raise InputError("demand history: missing or non-numeric spend on {bad}", bad=bad)
    if not np.isfinite(values.to_numpy()).all():
        raise InputError("demand history: spend must be finite")
    if (values < 0).any():
        bad = values.index[values < 0][0].date()
        raise InputError("demand history: negative spend on {bad}; credit spend is >= 0", bad=bad)
    full = pd.date_range(values.index[0], values.index[-1], freq="D")
    values = values.reindex(full, fill_value=0.0)
    if len(values) < MIN_HISTORY_DAYS:
        raise InputError(
            "demand history covers {n_values} days; at least {min_history_days} "
            "(two whole weeks) are needed to see the weekly rhythm and how much "
            "spend varies from week to week. Collect a few more weeks of usage "
            "exports (Microsoft suggests a month or two)",
            n_values=len(values),
            min_history_days=MIN_HISTORY_DAYS,
        )
    return values


def replay(history: pd.Series) -> Scenarios:
    """The history itself as a single scenario starting on its first day.

    Parameters
    ----------
    history : pd.Series
        Daily credit spend (float) on a daily DatetimeIndex; missing days count as 0.

    Returns
    -------
    Scenarios
        One path, ``start`` = the first history day, no growth.
    """
    values = _validate_history(history)
    return Scenarios(
        start=values.index[0],
        paths=values.to_numpy(dtype=float)[None, :].copy(),
        method="replay",
        growth_per_year=0.0,
        history_days=len(values),
        seed=None,
        warnings=[],
    )


def _month_position(dates: pd.DatetimeIndex) -> np.ndarray:
    """Position in the month in days, on a scale of one mean month.

    Days in the first half count from the 1st (0, 1, ...); days in the second half count
    back from the month's end (the last day is one day before the next 1st), so month ends
    of 28- to 31-day months line up.
    """
    day = dates.day.to_numpy()
    dim = dates.days_in_month.to_numpy()
    pos = np.where(day <= 15, day - 1.0, _MEAN_MONTH - (dim - day + 1.0))
    return pos


def level_draws(weekly: np.ndarray, n_scenarios: int, rng: np.random.Generator) -> np.ndarray:
    """Each scenario's mean level over the history's: a Bayesian bootstrap of the weekly
    totals, widened for their persistence.

    Weeks are not independent (a busy quarter is busy week after week): with a lag-one
    the weekly totals' :func:`persistence` ``f``, ``n`` weeks hold about ``n / f``
    independent ones, so the Dirichlet weights get concentration ``1 / f`` instead of 1,
    which spreads the weighted mean accordingly.
    """
    mean_week = float(weekly.mean())
    if not mean_week > 0 or len(weekly) < 2:
        return np.ones(n_scenarios)
    alpha = 1.0 / persistence(weekly)
    weights = rng.dirichlet(np.full(len(weekly), alpha), size=n_scenarios)
    return np.asarray(weights @ weekly / mean_week)


def _check_sizes(horizon_days: object, n_scenarios: object, tail_days: object) -> None:
    """InputError unless the horizon, scenario count and tail days are whole and in range."""
    for label, value, lo, hi in (
        ("horizon days", horizon_days, 1, 3650),
        ("scenarios", n_scenarios, 1, 1_000_000),
        ("tail days", tail_days, 0, 3650),
    ):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise InputError(
                "{label}: must be a whole number, got {value!r}", label=label, value=value
            )
        if not lo <= value <= hi:
            raise InputError(
                "{label}: must be between {lo} and {hi}, got {value}",
                label=label,
                lo=lo,
                hi=hi,
                value=value,
            )


def _history_warnings(values: pd.Series) -> list[Note]:
    """Caveats about the history itself: too short to pin the level, or without spend."""
    warnings: list[Note] = []
    n = len(values)
    if n < SHORT_HISTORY_DAYS:
        warnings.append(Note("short_history", {"days": n, "weeks": SHORT_HISTORY_DAYS // 7}))
    if float(values.sum()) <= 0:
        warnings.append(Note("no_spend"))
    return warnings


def _resample_weeks(
    level: np.ndarray,
    dates: pd.DatetimeIndex,
    week_starts: np.ndarray,
    start: pd.Timestamp,
    total_days: int,
    n_scenarios: int,
    rng: np.random.Generator,
    bursting: np.ndarray | None = None,
) -> np.ndarray:
    """The month-aligned weekly block bootstrap (module docstring): for each 7-day block of
    the future, a whole history week starting on the same weekday, chosen among those whose
    position in the month is close to the block's, exact matches weighted up.

    ``bursting`` (per history day: in the day tail) keeps a burst whole: a block whose week
    ends in the middle of a burst, which went on into the next history week, is followed by
    that week, so that a burst of several days is not cut short where two weeks meet (the
    trigger covers the spend of the lead time, and at a lead of two days or more, a burst's
    days add up)."""
    n_blocks = -(-total_days // 7)
    hist_pos = _month_position(dates[week_starts])
    block_dates = start + pd.to_timedelta(np.arange(n_blocks) * 7, unit="D")
    block_pos = _month_position(pd.DatetimeIndex(block_dates))
    idx = np.empty((n_scenarios, n_blocks * 7), dtype=np.int64)
    offsets = np.arange(7)
    continues = None
    if bursting is not None:  # per week start: its last day and the next day both burst
        continues = np.zeros(len(level), dtype=bool)
        has_next = week_starts + 13 < len(level)
        ws = week_starts[has_next]
        continues[ws] = bursting[ws + 6] & bursting[ws + 7]
    n_keep = min(MIN_CANDIDATES, len(week_starts))
    for b in range(n_blocks):
        # not circular: a week is never moved across the 1st, where month-end spend drops
        dist = np.abs(hist_pos - block_pos[b])
        cand = np.flatnonzero(dist <= MONTH_WINDOW_DAYS)
        if len(cand) < n_keep:
            cand = np.argsort(dist, kind="stable")[:n_keep]
        # prefer exact alignment: a week one day off moves month-end spend by a day
        weight = np.exp(-0.5 * (dist[cand] / MONTH_SIGMA_DAYS) ** 2)
        pick = week_starts[cand[rng.choice(len(cand), size=n_scenarios, p=weight / weight.sum())]]
        if b and continues is not None:
            prev = idx[:, b * 7 - 7]
            goes_on = continues[prev]
            pick = np.where(goes_on, prev + 7, pick)
        idx[:, b * 7 : b * 7 + 7] = pick[:, None] + offsets
    return level[idx[:, :total_days]]


def _growth_factors(
    growth: GrowthEstimate,
    horizon_days: int,
    total_days: int,
    n_scenarios: int,
    rng: np.random.Generator,
    history_age: float = 0.0,
) -> np.ndarray:
    """Each scenario's growth over the days ahead, shape (scenarios, days): the projected
    growth ``growth.growth``, each scenario drawing its own around it when the trend is
    uncertain; held at its value on the last plan day over the tail days after
    ``horizon_days``.

    The uncertainty of ``log(1 + growth)`` differs above and below the projection
    (``growth.log_sd`` and ``growth.log_sd_down``, see :class:`GrowthEstimate`): a scenario
    draws ``z`` from a standard normal and grows ``z x log_sd`` faster when ``z > 0``,
    ``z x log_sd_down`` when not.

    A scenario's own growth applies to the history too. The history was brought to the
    level of its last day with the projected growth; had it grown faster, it would end
    higher than that. So a scenario whose growth is ``d`` above the projection (log scale)
    also starts ``d x history_age`` higher, ``history_age`` being the history days' mean age
    in years: a tenant growing faster than a year of data can show is not planned from a
    level that is too low as well.
    """
    # past the plan the level stays where the plan ended: the tail days only spend what is
    # left of the lots, and a trend extrapolated over two years would decide their forfeiture
    days_ahead = np.minimum(np.arange(1, total_days + 1), horizon_days) / 365.25
    projected = math.log1p(growth.growth)
    log_growth = np.full(n_scenarios, projected)
    above, below = growth.log_sd, growth.log_sd_down
    if above > 0 or below > 0:  # the trend's own uncertainty: each scenario draws its own
        lo, hi = (math.log1p(g) for g in GROWTH_RANGE)
        z = rng.standard_normal(n_scenarios)
        log_growth = np.clip(log_growth + z * np.where(z > 0, above, below), lo, hi)
    start = (log_growth - projected) * history_age
    return np.exp(log_growth[:, None] * days_ahead[None, :] + start[:, None])


def _generator(seed: int | None, rng: np.random.Generator | None) -> np.random.Generator:
    """The generator to draw from: ``rng``, else a new one from ``seed`` (not both)."""
    if rng is not None and seed is not None:
        raise ValueError("seed, rng: give one or the other, not both")
    return rng if rng is not None else np.random.default_rng(seed)


def _growth_assumption(
    values: pd.Series, growth: str | float | None, warnings: list[Note]
) -> tuple[float, GrowthEstimate]:
    """The history's estimated trend (to detrend it) and the growth projected with its
    uncertainty: the estimate itself, or a growth given, fixed (no uncertainty). The
    estimate's note joins ``warnings`` only when the growth is estimated."""
    est = estimate_growth(values)
    if growth is None:
        if est.note:
            warnings.append(est.note)
        return est.growth, est
    given = replace(est, growth=parse_growth(growth), log_sd=0.0, log_sd_down=0.0, note=None)
    return est.growth, given


def _scale_level_and_growth(
    paths: np.ndarray,
    level: np.ndarray,
    week_starts: np.ndarray,
    growth: GrowthEstimate,
    horizon_days: int,
    age_years: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """Scale each path, in place, by its scenario's level (:func:`level_draws` of the
    history's weekly totals) and growth (the projection and its uncertainty,
    :func:`_growth_factors`)."""
    n_scenarios, total_days = paths.shape
    weekly = level[week_starts[:, None] + np.arange(7)].sum(axis=1)
    paths *= level_draws(weekly, n_scenarios, rng)[:, None]
    paths *= _growth_factors(
        growth,
        horizon_days,
        total_days,
        n_scenarios,
        rng,
        history_age=float(age_years.mean()),
    )


def make_scenarios(
    history: pd.Series,
    *,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    n_scenarios: int = DEFAULT_SCENARIOS,
    method: str = "bootstrap",
    growth: str | float | None = None,
    seed: int | None = None,
    rng: np.random.Generator | None = None,
    day_tail: bool = True,
    tail_days: int = 0,
    tail_prior: tuple[float, float] = TAIL_SHAPE_PRIOR,
) -> Scenarios:
    """Demand paths for the days after the history.

    Parameters
    ----------
    history : pd.Series
        Daily credit spend (float, one currency) on a daily DatetimeIndex; missing days count
        as 0. At least :data:`MIN_HISTORY_DAYS` days.
    horizon_days : int
        Days per path, starting the day after the last history day.
    n_scenarios : int
        Number of paths (ignored by ``replay``).
    method : {"bootstrap", "replay"}
        ``"replay"`` returns :func:`replay` (the history itself, starting on its first day;
        ``horizon_days``, ``growth`` and ``n_scenarios`` do not apply).
    growth : str, float or None
        Growth per year of the future; ``None`` estimates it from the history
        (:func:`estimate_growth`), anything else goes through :func:`parse_growth`.
    seed : int, optional
        Seed for a new ``numpy.random.Generator``.
    rng : numpy.random.Generator, optional
        Generator to draw from (instead of ``seed``).
    day_tail : bool
        Model the upper tail of daily spend beyond the largest day seen (see the module
        docstring); False keeps the resampled days as observed.
    tail_days : int
        Days drawn after the horizon into :attr:`Scenarios.tail` (0: none).
    tail_prior : (float, float)
        Prior on the tail's shape (:data:`TAIL_SHAPE_PRIOR`; :data:`UNSEEN_BURSTS_PRIOR`
        expects bursts a year has not shown).

    Returns
    -------
    Scenarios
        ``paths`` of shape (n_scenarios, horizon_days).

    Raises
    ------
    InputError
        History too short, unreadable, or a bad option.
    """
    if method not in METHODS:
        raise InputError(
            "scenario method: must be one of {methods}, got {method!r}",
            methods=", ".join(METHODS),
            method=method,
        )
    if method == "replay":
        return replay(history)
    _check_sizes(horizon_days, n_scenarios, tail_days)
    rng = _generator(seed, rng)
    values = _validate_history(history)
    warnings = _history_warnings(values)
    trend, projection = _growth_assumption(values, growth, warnings)
    level, age_years = at_last_day_level(values, trend)
    dates = pd.DatetimeIndex(values.index)
    start = dates[-1] + pd.Timedelta(days=1)
    total_days = horizon_days + int(tail_days)
    # history weeks aligned so that they start on the same weekday as the horizon
    n = len(values)
    week_starts = np.arange(n % 7, n - 6, 7)
    tail = HistoryTail.fit(level, dates, tail_prior) if day_tail else None
    paths = _resample_weeks(
        level, dates, week_starts, start, total_days, n_scenarios, rng,
        bursting=None if tail is None else tail.bursting,
    )  # fmt: skip
    if tail is not None:
        tail.apply(paths, start, rng)
    _scale_level_and_growth(paths, level, week_starts, projection, horizon_days, age_years, rng)
    # drop float dust (a constant history must give exactly constant paths)
    paths = np.round(paths, 6)
    return Scenarios(
        start=start,
        paths=np.ascontiguousarray(paths[:, :horizon_days]),
        tail=np.ascontiguousarray(paths[:, horizon_days:]) if tail_days else None,
        method="bootstrap",
        growth_per_year=float(projection.growth),
        history_days=n,
        seed=seed,
        warnings=warnings,
    )
