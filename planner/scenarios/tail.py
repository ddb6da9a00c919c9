"""The upper tail of daily spend: days beyond the largest one seen (peaks over threshold).

Part of :mod:`planner.scenarios` (see its docstring for how the scenarios use it): days are
divided by their season factor (weekday, last days of a month), the days above a high
quantile are fitted with a generalized Pareto distribution, and each scenario's big days get
fresh excesses with a shape drawn from the posterior, one per run of consecutive big days.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: days above this quantile of the history (days with spend) make the fitted upper tail
TAIL_QUANTILE = 0.9
#: bursts the threshold is lowered to find (:func:`fit_day_tail`)
MIN_TAIL_POINTS = 12
#: fewest bursts for a tail fit at all (below, the resampled days are kept as they are); a
#: fit on so few leans on its prior
MIN_SHORT_TAIL_POINTS = 6
#: the fitted tail shape is kept in this range (above 0.5 the variance is infinite; the
#: lower end still allows a bounded tail)
TAIL_SHAPE_RANGE = (-0.3, 0.5)
#: a drawn excess is capped at this multiple of the largest excess seen (keeps one absurd
#: draw of a heavy tail from standing for a plausible bad day)
TAIL_CAP = 8.0
#: prior on the tail shape (mean, standard deviation): it leans to a moderately heavy tail
#: (daily spend of organisations comes with conference weeks and hotline rushes) but is
#: wide enough for a year of bursts to overrule: some 25 bursts whose sizes have a ceiling
#: pull the shape toward 0, a year of bursts of every size keeps it heavy. Bursts a year
#: has not shown are left to the higher service level alternative, which the plan names
TAIL_SHAPE_PRIOR = (0.15, 0.15)
#: prior of the scenarios that size the higher service level alternative: it expects bursts
#: a year has not shown (mean 0.35: the 1-in-100 burst some twenty normal days), so that the
#: alternative the plan names against them allows for them; a year of bounded bursts still
#: pulls it down, less far
UNSEEN_BURSTS_PRIOR = (0.35, 0.1)
#: a history shorter than this many days leans its tail prior toward
#: :data:`UNSEEN_BURSTS_PRIOR` in proportion to the days it lacks (:func:`history_prior`):
#: three months show a quarter of a year's bursts, and what they have not shown is no
#: evidence that the tenant has none
FULL_EVIDENCE_DAYS = 365
#: the threshold of a short history's tail is lowered until this many bursts stand out, but
#: never below this quantile of the days with spend (half of them: the tail of a typical day)
LOWEST_TAIL_QUANTILE = 0.5
#: shapes of the posterior grid (wider than the moments fit's range: the posterior decides)
TAIL_SHAPE_GRID = (-0.3, 0.8)
#: days before a month's end that get their own season factor (Calling Plan pools reset on
#: the 1st, so overage spend bunches in the last days)
MONTH_END_DAYS = 7
#: pseudo-days at the other days' level that each month-end factor is shrunk with
MONTH_END_PRIOR_DAYS = 1.0


def _pwm_gpd(excess: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Generalized Pareto (shape, scale) of each row of sorted excesses, by probability-
    weighted moments (Hosking & Wallis 1987): robust with a few dozen points."""
    n = excess.shape[-1]
    b0 = excess.mean(axis=-1)
    weights = np.arange(n - 1, -1, -1) / (n - 1)  # (n - j) / (n - 1) for the j-th smallest
    a1 = (excess * weights).mean(axis=-1)  # E[X (1 - F(X))]
    denom = np.maximum(b0 - 2 * a1, 1e-12 * np.maximum(b0, 1e-300))
    shape = 2.0 - b0 / denom
    scale = 2.0 * b0 * a1 / denom
    return shape, np.maximum(scale, 1e-12)


def _gpd_loglik(excess: np.ndarray, shape: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Log-likelihood of the excesses under every (shape, scale) pair (broadcast arrays);
    -inf where an excess lies beyond a bounded tail's end."""
    xi, sigma = shape[..., None], scale[..., None]
    z = 1.0 + xi * excess / sigma
    ok = (z > 0).all(axis=-1)
    safe_xi = np.where(np.abs(xi) < 1e-9, 1.0, xi)
    logz = np.log(np.where(z > 0, z, 1.0))
    terms = np.where(np.abs(xi) < 1e-9, excess / sigma, (1.0 + 1.0 / safe_xi) * logz)
    ll = -excess.shape[-1] * np.log(sigma[..., 0]) - terms.sum(axis=-1)
    return np.where(ok, ll, -np.inf)


def _shape_posterior(
    excess: np.ndarray, pwm_scale: float, prior: tuple[float, float] = TAIL_SHAPE_PRIOR
) -> tuple[np.ndarray, np.ndarray]:
    """Posterior of the generalized Pareto shape on a grid: the likelihood of the excesses
    times the normal ``prior`` (mean, sd; :data:`TAIL_SHAPE_PRIOR`) on the shape and a flat
    prior on log scale, summed over the scales. Returns the grid's shapes and their
    probabilities."""
    mean, sd = prior
    xi = np.linspace(*TAIL_SHAPE_GRID, 45)
    sigma = pwm_scale * np.exp(np.linspace(-2.0, 2.0, 61))
    xx, ss = np.meshgrid(xi, sigma, indexing="ij")
    logp = _gpd_loglik(excess, xx, ss) - 0.5 * ((xx - mean) / sd) ** 2
    logp -= logp.max()
    prob = np.exp(logp).sum(axis=1)
    return xi, prob / prob.sum()


@dataclass(frozen=True)
class DayTail:
    """The fitted upper tail of daily spend (peaks over threshold).

    Attributes
    ----------
    threshold : float
        Days above it are the tail (the :data:`TAIL_QUANTILE` quantile of days with spend,
        each day divided by its weekday and month-end factors).
    shape, scale : float
        Generalized Pareto parameters of the excesses over ``threshold`` fitted by
        probability-weighted moments (shape > 0: heavy tail, no largest day): a summary of
        the data; the scenarios draw from the posterior below.
    excess : np.ndarray
        The observed excesses, sorted.
    shape_grid, shape_prob : np.ndarray
        The posterior of the shape on a grid (:func:`_shape_posterior`). Each scenario
        draws its shape from it (the scale is then the one that keeps the mean excess,
        :func:`_tail_draws`), so the uncertainty of the tail is in the paths.
    """

    threshold: float
    shape: float
    scale: float
    excess: np.ndarray
    shape_grid: np.ndarray
    shape_prob: np.ndarray


def run_maxima(values: np.ndarray, threshold: float) -> np.ndarray:
    """The largest value of each run of consecutive days above ``threshold`` (a burst of
    several days counts once), in time order."""
    above = values > threshold
    if not above.any():
        return np.empty(0)
    idx = np.flatnonzero(above)
    starts = np.concatenate([[0], np.flatnonzero(np.diff(idx) > 1) + 1])
    return np.maximum.reduceat(values[idx], starts)


def fit_day_tail(
    values: np.ndarray, prior: tuple[float, float] = TAIL_SHAPE_PRIOR
) -> DayTail | None:
    """Fit the upper tail of daily amounts; None when too few days stand out.

    The threshold is the :data:`TAIL_QUANTILE` quantile of the days with spend, lowered a day
    at a time (never below the :data:`LOWEST_TAIL_QUANTILE` quantile) until
    :data:`MIN_TAIL_POINTS` bursts stand out; the tail is fitted on the largest day of each
    run of consecutive days above it (a burst counts once, as the scenarios draw one excess
    per burst, :func:`apply_day_tail`), and on no fewer than :data:`MIN_SHORT_TAIL_POINTS`.

    Parameters
    ----------
    values : np.ndarray
        Daily amounts (>= 0) in time order, e.g. the detrended history divided by its
        season factors.
    prior : (float, float)
        Mean and sd of the normal prior on the shape (:data:`TAIL_SHAPE_PRIOR`;
        :data:`UNSEEN_BURSTS_PRIOR` for the higher service level alternative).

    Returns
    -------
    DayTail or None
    """
    positive = np.sort(values[values > 0])
    n_tail = max(MIN_SHORT_TAIL_POINTS, math.ceil((1.0 - TAIL_QUANTILE) * len(positive)))
    most = math.floor((1.0 - LOWEST_TAIL_QUANTILE) * len(positive))
    if n_tail > most:
        return None
    # a short history (or one whose big days come in runs) has fewer bursts than big days:
    # the threshold comes down, a day at a time, until enough bursts stand out
    while True:
        u = float(positive[-n_tail - 1])
        excess = np.sort(run_maxima(values, u) - u)
        if len(excess) >= MIN_TAIL_POINTS or n_tail >= most:
            break
        n_tail += 1
    if len(excess) < MIN_SHORT_TAIL_POINTS or not excess[-1] > 0:
        return None
    shape, scale = _pwm_gpd(excess)
    lo, hi = TAIL_SHAPE_RANGE
    posterior = _shape_posterior(excess, float(scale), prior)
    return DayTail(u, float(np.clip(shape, lo, hi)), float(scale), excess, *posterior)


def history_prior(prior: tuple[float, float], days: int) -> tuple[float, float]:
    """The tail prior for a history of ``days``: ``prior`` for a year or more; a shorter
    history's leans toward :data:`UNSEEN_BURSTS_PRIOR` (mean and sd alike) by the share of
    :data:`FULL_EVIDENCE_DAYS` it lacks, never past it."""
    lack = min(max(1.0 - days / FULL_EVIDENCE_DAYS, 0.0), 1.0)
    mean, sd = prior
    u_mean, u_sd = UNSEEN_BURSTS_PRIOR
    if mean >= u_mean:  # already expects unseen bursts
        return prior
    return (mean + lack * (u_mean - mean), sd + lack * (u_sd - sd))


def _tail_draws(
    tail: DayTail, n_scenarios: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Per-scenario (shape, scale): the shape drawn from the tail's posterior, the scale
    the one that keeps the mean excess seen (``scale = mean x (1 - shape)``), so a heavier
    tail moves spend from ordinary big days to rare huge ones and leaves the mean as it was."""
    shape = tail.shape_grid[rng.choice(len(tail.shape_prob), size=n_scenarios, p=tail.shape_prob)]
    return shape, float(tail.excess.mean()) * (1.0 - shape)


def weekday_factors(values: np.ndarray, first_weekday: int) -> np.ndarray:
    """Mean spend of each weekday (Monday = 0) over the overall mean (1 where no spend)."""
    days = (first_weekday + np.arange(len(values))) % 7
    means = np.array([values[days == d].mean() if (days == d).any() else 0.0 for d in range(7)])
    overall = means.mean()
    return np.where(means > 0, means / overall, 1.0) if overall > 0 else np.ones(7)


def _days_to_month_end(dates: pd.DatetimeIndex) -> np.ndarray:
    return (dates.days_in_month - dates.day).to_numpy()


def month_end_factors(values: np.ndarray, dates: pd.DatetimeIndex) -> np.ndarray:
    """Spend of the last :data:`MONTH_END_DAYS` days of a month over the other days', one
    factor per day before the month's end (index 0 = last day), shrunk toward 1 by
    :data:`MONTH_END_PRIOR_DAYS` pseudo-days (a dozen months give a dozen days each)."""
    to_end = _days_to_month_end(dates)
    rest = values[to_end >= MONTH_END_DAYS]
    base = float(rest.mean()) if len(rest) and rest.mean() > 0 else 0.0
    if base <= 0:
        return np.ones(MONTH_END_DAYS)
    out = np.ones(MONTH_END_DAYS)
    for k in range(MONTH_END_DAYS):
        sel = values[to_end == k]
        out[k] = (sel.sum() / base + MONTH_END_PRIOR_DAYS) / (len(sel) + MONTH_END_PRIOR_DAYS)
    return out


def season_factors(
    dates: pd.DatetimeIndex, weekday: np.ndarray, month_end: np.ndarray
) -> np.ndarray:
    """Each day's expected spend over the mean: its weekday's factor times, in the last days
    of a month, that day's month-end factor."""
    to_end = _days_to_month_end(dates)
    end = np.where(to_end < len(month_end), month_end[np.minimum(to_end, len(month_end) - 1)], 1.0)
    return weekday[dates.day_of_week.to_numpy()] * end


def season_adjusted(
    level: np.ndarray, dates: pd.DatetimeIndex
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each day divided by its season factor (weekday, and the last days of a month), with
    the factors: ``(adjusted, weekday factors, month-end factors)``. The rhythm is taken out
    before anything is called a burst: a month end of 2.4 normal days is not one."""
    weekday = weekday_factors(level, int(dates[0].day_of_week))
    month_end = month_end_factors(level / weekday[dates.day_of_week.to_numpy()], dates)
    return level / season_factors(dates, weekday, month_end), weekday, month_end


def _runs(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Run number of each cell of ``np.nonzero`` output (row-major): consecutive days of one
    path make one run, numbered from 0."""
    new = np.ones(len(rows), dtype=bool)
    new[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1] + 1)
    return np.cumsum(new) - 1


def apply_day_tail(
    paths: np.ndarray, tail: DayTail, factor: np.ndarray, rng: np.random.Generator
) -> None:
    """Replace the excess of every resampled day above the threshold by a fresh draw.

    The tail is fitted on days divided by their season factor (weekday, month end), so a
    busy month-end Monday and a quiet Sunday are judged against their own level and keep it.
    Consecutive days above the threshold in a path (a burst: a conference week, misuse over a
    weekend) share one draw, so a burst keeps its size from day to day as bursts do; with a
    lead time of two days or more the trigger has to cover their sum.
    """
    n_scenarios = paths.shape[0]
    shape, scale = _tail_draws(tail, n_scenarios, rng)
    rows, cols = np.nonzero(paths > tail.threshold * factor[None, :])
    if not len(rows):
        return
    run = _runs(rows, cols)
    u = rng.random(int(run[-1]) + 1)[run]
    xi, sigma = shape[rows], scale[rows]
    safe = np.where(np.abs(xi) < 1e-9, 1.0, xi)
    excess = np.where(
        np.abs(xi) < 1e-9, -sigma * np.log1p(-u), sigma * ((1.0 - u) ** -safe - 1.0) / safe
    )
    excess = np.minimum(excess, TAIL_CAP * float(tail.excess[-1]))
    paths[rows, cols] = (tail.threshold + excess) * factor[cols]


@dataclass(frozen=True)
class HistoryTail:
    """The fitted tail of a season-adjusted history, and which history days lie in it."""

    fitted: DayTail
    weekday: np.ndarray
    month_end: np.ndarray
    bursting: np.ndarray  # per history day: above the tail's threshold

    @classmethod
    def fit(
        cls, level: np.ndarray, dates: pd.DatetimeIndex, prior: tuple[float, float]
    ) -> HistoryTail | None:
        """Fit the tail of the season-adjusted history (shape ``prior``); None when too few
        days stand out."""
        adjusted, weekday, month_end = season_adjusted(level, dates)
        fitted = fit_day_tail(adjusted, history_prior(prior, len(level)))
        if fitted is None:
            return None
        return cls(fitted, weekday, month_end, adjusted > fitted.threshold)

    def apply(self, paths: np.ndarray, start: pd.Timestamp, rng: np.random.Generator) -> None:
        """Give the paths' big days fresh excesses (:func:`apply_day_tail`)."""
        future = pd.date_range(start, periods=paths.shape[1], freq="D")
        factor = season_factors(future, self.weekday, self.month_end)
        apply_day_tail(paths, self.fitted, factor, rng)
