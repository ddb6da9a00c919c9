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
  never moved across the 1st, where that spend drops.

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
The trend's uncertainty is never taken below :data:`GROWTH_MIN_LOG_SD` for spend that varies
from week to week (:func:`_growth_floor`).

Days beyond the largest one seen. A year of history holds about 365 days, so the largest is
roughly the 1-in-365 day, while a 99% annual service level with a one-day lead time is decided
by the 1-in-36,500 day. Resampled weeks cannot hold a day bigger than the biggest seen, so the
upper tail of daily spend is modelled (peaks over threshold): each day of the (detrended)
history is divided by its season factor (:func:`season_factors`: weekday, and the last
:data:`MONTH_END_DAYS` days of a month), the days above the :data:`TAIL_QUANTILE` quantile
are the tail (:func:`fit_day_tail`), and every resampled day above that threshold gets a
fresh generalized Pareto excess instead of its observed one. Some 35 exceedances a year
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
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planner.errors import InputError
from planner.text import days, percent, t

#: default number of scenario paths (see the module docstring for the reasoning)
DEFAULT_SCENARIOS = 2000
#: default horizon in days
DEFAULT_HORIZON_DAYS = 365
#: fewest history days accepted: two whole weeks, so that every weekday is seen twice and the
#: week-to-week variation (the level uncertainty) can be estimated at all
MIN_HISTORY_DAYS = 14
#: below this many days the results carry a warning about wide level uncertainty
SHORT_HISTORY_DAYS = 56
#: fewest whole weeks needed to estimate a trend: the slope's noise grows as n ** -1.5, and
#: below half a year it swamps any plausible growth
MIN_WEEKS_FOR_GROWTH = 26
#: prior spread of log(1 + growth per year) that an estimated trend is shrunk with: spend
#: growth beyond about +/-30 % a year is unusual for an organisation's calls
GROWTH_PRIOR_SD = 0.25
#: estimated growth per year is clamped to this range
GROWTH_RANGE = (-0.5, 1.0)
#: the trend's uncertainty kept in the scenarios is at least this (log scale) for spend
#: that varies from week to week: a year or two of weekly spend cannot tell a trend from a
#: slow wander of the level (see :func:`_growth_floor`)
GROWTH_MIN_LOG_SD = 0.25
#: the floor is this multiple of the spread of log weekly spend (when that is smaller)
WANDER_TO_GROWTH = 2.0
#: autocorrelation lags (weeks) counted by :func:`persistence`, and its cap
PERSISTENCE_LAGS = 8
MAX_PERSISTENCE = 20.0
#: growth overrides outside this range are rejected as typos
GROWTH_OVERRIDE_RANGE = (-0.9, 10.0)
#: history weeks within this many days of a block's position in the month are candidates
#: (a wider window gives more variety but smears the month-end peak by as many days)
MONTH_WINDOW_DAYS = 1.5
#: fewest candidate weeks per block (short histories fall back to the nearest ones)
MIN_CANDIDATES = 4
#: candidates are weighted by a Gaussian of their distance (days) in month position
MONTH_SIGMA_DAYS = 0.6

#: days above this quantile of the history (days with spend) make the fitted upper tail
TAIL_QUANTILE = 0.9
#: fewest exceedances for a tail fit (below, the resampled days are kept as they are)
MIN_TAIL_POINTS = 12
#: the fitted tail shape is kept in this range (above 0.5 the variance is infinite; the
#: lower end still allows a bounded tail)
TAIL_SHAPE_RANGE = (-0.3, 0.5)
#: a drawn excess is capped at this multiple of the largest excess seen (keeps one absurd
#: draw of a heavy tail from standing for a plausible bad day)
TAIL_CAP = 8.0
#: prior on the tail shape (mean, standard deviation): a few dozen days cannot tell a light
#: tail from a heavy one, and a year holds few of the bad days that decide a 99% service
#: level, so the prior leans to moderately heavy tails (daily spend of organisations comes
#: with conference weeks, hotline rushes and misuse)
TAIL_SHAPE_PRIOR = (0.35, 0.1)
#: shapes of the posterior grid (wider than the moments fit's range: the posterior decides)
TAIL_SHAPE_GRID = (-0.3, 0.8)
#: days before a month's end that get their own season factor (Calling Plan pools reset on
#: the 1st, so overage spend bunches in the last days)
MONTH_END_DAYS = 7
#: pseudo-days at the other days' level that each month-end factor is shrunk with
MONTH_END_PRIOR_DAYS = 3.0

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
    warnings : list[str]
        Caveats to show the user (short history, growth assumed, ...).
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
    warnings: list[str] = field(default_factory=list)
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


# --------------------------------------------------------------------------- growth


_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
_RATE_RE = re.compile(
    rf"^(?P<num>{_NUMBER})\s*(?P<pct>%)?\s*(?:(?:/|per\s*)(?P<unit>year|yr|y|month|mo|m))?$"
)
_USERS_RE = re.compile(rf"^users?\s*[:=]\s*(?P<a>{_NUMBER})\s*(?:->|→|to)\s*(?P<b>{_NUMBER})$")


def parse_growth(text: str | float | int) -> float:
    """Parse a growth assumption into a growth rate per year (0.2 = +20 % a year).

    Accepted forms: a fraction (``0.2``, ``-0.1``), a percentage (``"+20%"``, ``"-10%"``),
    optionally per year or per month (``"+20%/year"``, ``"2%/month"``, compounded to a year),
    or a planned change in the number of credit users over the coming year
    (``"users:250->300"`` = +20 %/year).

    Parameters
    ----------
    text : str or float
        The assumption as typed.

    Returns
    -------
    float
        Growth per year, in ``GROWTH_OVERRIDE_RANGE``.

    Raises
    ------
    InputError
        When the text cannot be read or the value is implausible.
    """
    lo, hi = GROWTH_OVERRIDE_RANGE
    if isinstance(text, bool):
        raise InputError(f"growth: expected a number or text like '+20%/year', got {text!r}")
    if isinstance(text, int | float | np.floating | np.integer):
        value = float(text)
        if not math.isfinite(value) or abs(value) >= 1 and value != 1:
            raise InputError(
                f"growth: {text!r} is ambiguous; give a fraction between -0.9 and 1 "
                "(0.2 = +20 %/year) or a percentage like '+20%/year'"
            )
        return _check_growth(value, text)
    s = str(text).strip().lower().replace(",", ".").replace(" ", "")
    if not s:
        raise InputError("growth: empty value; give e.g. '+20%/year', 0.2 or 'users:250->300'")
    m = _USERS_RE.match(s)
    if m:
        a, b = float(m["a"]), float(m["b"])
        if a <= 0 or b < 0:
            raise InputError(
                f"growth: user counts must be positive in {text!r} (e.g. 'users:250->300')"
            )
        return _check_growth(b / a - 1.0, text)
    m = _RATE_RE.match(s)
    if not m:
        raise InputError(
            f"growth: cannot read {text!r}; use a fraction (0.2), a percentage ('+20%/year', "
            "'-10%', '2%/month') or a planned change in users ('users:250->300')"
        )
    value = float(m["num"])
    if m["pct"]:
        value /= 100.0
    elif abs(value) >= 1 and value != 1:
        raise InputError(
            f"growth: {text!r} is ambiguous; write a percentage ('{m['num']}%') or a fraction "
            "between -0.9 and 1"
        )
    if m["unit"] in ("month", "mo", "m"):
        if value <= -1:
            raise InputError(f"growth: {text!r} is below -100 % a month")
        value = (1.0 + value) ** 12 - 1.0
    if not lo <= value <= hi:
        raise InputError(
            f"growth: {text!r} is {value:+.0%} a year, outside the plausible range "
            f"{lo:+.0%} to {hi:+.0%}"
        )
    return value


def _check_growth(value: float, text: object) -> float:
    lo, hi = GROWTH_OVERRIDE_RANGE
    if not (math.isfinite(value) and lo <= value <= hi):
        raise InputError(
            f"growth: {text!r} means {value:+.0%} a year, outside the plausible range "
            f"{lo:+.0%} to {hi:+.0%}"
        )
    return float(value)


@dataclass(frozen=True)
class GrowthEstimate:
    """The history's trend, as used for the scenarios.

    Attributes
    ----------
    growth : float
        Growth per year used by default: the robust slope shrunk toward 0 by its uncertainty,
        clamped to :data:`GROWTH_RANGE` (0 when the history is too short).
    raw : float or None
        The robust (Theil-Sen) growth per year before shrinkage; None when not estimated.
    log_sd : float
        Remaining uncertainty of ``log(1 + growth)`` after shrinkage (0 when not estimated);
        the scenarios draw their growth from it.
    note : str or None
        A caveat to show.
    """

    growth: float
    raw: float | None
    log_sd: float
    note: str | None


def _signed(share: float) -> str:
    return percent(share, signed=True)


def persistence(series: np.ndarray) -> float:
    """How many times wider the mean of ``series`` varies than if its points were
    independent: ``1 + 2 sum_k (1 - k / (K + 1)) rho_k`` over the first K =
    :data:`PERSISTENCE_LAGS` autocorrelations (Bartlett weights), at least 1, capped at
    :data:`MAX_PERSISTENCE`. A level that wanders for months makes a year of weeks worth
    only a handful of independent ones."""
    x = np.asarray(series, dtype=float)
    n = len(x)
    x = x - x.mean()
    denom = float(x @ x)
    if n < 8 or denom <= 0:
        return 1.0
    lags = min(PERSISTENCE_LAGS, n // 4)
    total = 1.0
    for k in range(1, lags + 1):
        rho = float(x[:-k] @ x[k:]) / denom
        total += 2.0 * (1.0 - k / (lags + 1)) * rho
    return min(max(total, 1.0), MAX_PERSISTENCE)


def _growth_floor(values: np.ndarray) -> float:
    """Least uncertainty of the coming year's growth (log scale): the spread of the log
    weekly totals times :data:`WANDER_TO_GROWTH`, at most :data:`GROWTH_MIN_LOG_SD`. Spend
    that wanders from week to week can drift as much over a year; spend that never moved
    (a constant history) is taken to stay."""
    n_weeks = len(values) // 7
    overall = float(values.mean()) if len(values) else 0.0
    if n_weeks < 2 or overall <= 0:
        return 0.0
    weekly = values[len(values) - 7 * n_weeks :].reshape(n_weeks, 7).sum(axis=1)
    spread = float(np.log(weekly + 0.01 * 7 * overall).std(ddof=1))
    return min(GROWTH_MIN_LOG_SD, WANDER_TO_GROWTH * spread)


def estimate_growth(history: pd.Series) -> GrowthEstimate:
    """Estimate the history's growth per year from its weekly spend.

    The slope is a Theil-Sen fit (median of the pairwise slopes, robust to odd weeks) of
    ``log(weekly spend)`` against time, over the whole weeks of the history counted back from
    its last day. Whole weeks hold every weekday once, so the weekly rhythm cannot bias the
    slope (calendar months would: a month whose last days fall on a weekend looks smaller
    when spend bunches at month end).

    A year or so of history cannot tell a trend from a season (a quiet summer at the start
    looks like growth), so the slope is shrunk toward 0 by its standard error ``se`` (from
    the residuals, widened for week-to-week correlation): ``slope * tau**2 / (tau**2 +
    se**2)`` with a prior spread ``tau`` = :data:`GROWTH_PRIOR_SD` on ``log(1 + growth)``.
    A clear trend keeps its value; a noisy one moves toward "no growth", and what remains
    uncertain goes into the scenarios (``log_sd``). Needs :data:`MIN_WEEKS_FOR_GROWTH`
    weeks; the result is clamped to :data:`GROWTH_RANGE`.

    Parameters
    ----------
    history : pd.Series
        Daily spend (validated, contiguous daily index).

    Returns
    -------
    GrowthEstimate
    """
    values = history.to_numpy(dtype=float)
    n_weeks = len(values) // 7
    if n_weeks < MIN_WEEKS_FOR_GROWTH:
        return GrowthEstimate(
            0.0,
            None,
            _growth_floor(values),
            t(
                "history shorter than {weeks} weeks: no trend estimated, growth assumed 0 (set "
                "it with --growth)",
                weeks=MIN_WEEKS_FOR_GROWTH,
            ),
        )
    overall = float(values.mean())
    if overall <= 0:
        return GrowthEstimate(0.0, 0.0, 0.0, None)
    weekly = values[len(values) - 7 * n_weeks :].reshape(n_weeks, 7).sum(axis=1)
    # a small floor keeps a week without spend from dominating the log scale
    y = np.log(weekly + 0.01 * 7 * overall)
    x = np.arange(n_weeks) * 7 / 365.25
    i, j = np.triu_indices(n_weeks, k=1)
    slope = float(np.median((y[j] - y[i]) / (x[j] - x[i])))
    resid = y - y.mean() - slope * (x - x.mean())
    resid = resid - resid.mean()
    var = float(resid @ resid) / max(n_weeks - 2, 1)
    se = math.sqrt(var / float(((x - x.mean()) ** 2).sum()) * persistence(resid))
    tau2 = GROWTH_PRIOR_SD**2
    shrunk = slope * tau2 / (tau2 + se**2)
    log_sd = max(math.sqrt(tau2 * se**2 / (tau2 + se**2)), _growth_floor(values))
    raw = math.exp(slope) - 1.0
    growth = math.exp(shrunk) - 1.0
    note = None
    if abs(growth - raw) > 0.05:
        lo90, hi90 = math.exp(slope - 1.645 * se) - 1, math.exp(slope + 1.645 * se) - 1
        note = t(
            "the spend trend is uncertain ({raw}/year, 90% range {low} to {high}); using "
            "{growth}/year (set it with --growth)",
            raw=_signed(raw),
            low=_signed(lo90),
            high=_signed(hi90),
            growth=_signed(growth),
        )
    lo, hi = GROWTH_RANGE
    if growth < lo or growth > hi:
        clamped = min(max(growth, lo), hi)
        note = t(
            "the history's trend ({growth}/year) is outside {low}..{high}; using "
            "{clamped}/year (set it with --growth)",
            growth=_signed(growth),
            low=_signed(lo),
            high=_signed(hi),
            clamped=_signed(clamped),
        )
        growth = clamped
    return GrowthEstimate(growth, raw, log_sd, note)


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
        raise InputError(f"demand history: missing or non-numeric spend on {bad}")
    if not np.isfinite(values.to_numpy()).all():
        raise InputError("demand history: spend must be finite")
    if (values < 0).any():
        bad = values.index[values < 0][0].date()
        raise InputError(f"demand history: negative spend on {bad}; credit spend is >= 0")
    full = pd.date_range(values.index[0], values.index[-1], freq="D")
    values = values.reindex(full, fill_value=0.0)
    if len(values) < MIN_HISTORY_DAYS:
        raise InputError(
            f"demand history covers {len(values)} days; at least {MIN_HISTORY_DAYS} (two whole "
            "weeks) are needed to see the weekly rhythm and how much spend varies from week to "
            "week. Collect a few more weeks of usage exports (Microsoft suggests a month or two)"
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


def _tail_posterior(excess: np.ndarray, pwm_scale: float) -> tuple[np.ndarray, ...]:
    """Posterior of the generalized Pareto (shape, scale) on a grid: the likelihood of the
    excesses times the prior :data:`TAIL_SHAPE_PRIOR` on the shape and a flat prior on
    log scale. Returns the grid's shapes, scales and probabilities (flattened)."""
    mean, sd = TAIL_SHAPE_PRIOR
    xi = np.linspace(*TAIL_SHAPE_GRID, 45)
    sigma = pwm_scale * np.exp(np.linspace(-2.0, 2.0, 61))
    xx, ss = np.meshgrid(xi, sigma, indexing="ij")
    logp = _gpd_loglik(excess, xx, ss) - 0.5 * ((xx - mean) / sd) ** 2
    logp -= logp.max()
    prob = np.exp(logp).ravel()
    return xx.ravel(), ss.ravel(), prob / prob.sum()


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
        probability-weighted moments (shape > 0: heavy tail, no largest day).
    excess : np.ndarray
        The observed excesses, sorted.
    grid_shape, grid_scale, grid_prob : np.ndarray
        The posterior of (shape, scale) on a grid (:func:`_tail_posterior`): each scenario
        draws its own pair from it, so the uncertainty of the tail is in the paths.
    """

    threshold: float
    shape: float
    scale: float
    excess: np.ndarray
    grid_shape: np.ndarray
    grid_scale: np.ndarray
    grid_prob: np.ndarray

    def quantile(self, p: float) -> float:
        """Day amount exceeded by a fraction ``1 - p`` of the tail days (moments fit)."""
        xi, sigma = self.shape, self.scale
        z = -math.log1p(-p) if abs(xi) < 1e-9 else ((1 - p) ** -xi - 1) / xi
        return self.threshold + sigma * z


def fit_day_tail(values: np.ndarray) -> DayTail | None:
    """Fit the upper tail of daily amounts; None when too few days stand out.

    Parameters
    ----------
    values : np.ndarray
        Daily amounts (>= 0), e.g. the detrended history divided by its season factors.

    Returns
    -------
    DayTail or None
    """
    positive = np.sort(values[values > 0])
    n_tail = max(MIN_TAIL_POINTS, math.ceil((1.0 - TAIL_QUANTILE) * len(positive)))
    if len(positive) < 2 * n_tail:
        return None
    u = float(positive[-n_tail - 1])
    excess = positive[-n_tail:] - u
    if len(excess) < MIN_TAIL_POINTS or not excess[-1] > 0:
        return None
    shape, scale = _pwm_gpd(excess)
    lo, hi = TAIL_SHAPE_RANGE
    grid = _tail_posterior(excess, float(scale))
    return DayTail(u, float(np.clip(shape, lo, hi)), float(scale), excess, *grid)


def _tail_draws(
    tail: DayTail, n_scenarios: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Per-scenario (shape, scale): the shape drawn from the tail's posterior, the scale
    the one that keeps the mean excess seen (``scale = mean x (1 - shape)``), so a heavier
    tail moves spend from ordinary big days to rare huge ones and leaves the mean as it was."""
    pick = rng.choice(len(tail.grid_prob), size=n_scenarios, p=tail.grid_prob)
    shape = tail.grid_shape[pick]
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


def _apply_day_tail(
    paths: np.ndarray, tail: DayTail, factor: np.ndarray, rng: np.random.Generator
) -> None:
    """Replace the excess of every resampled day above the threshold by a fresh draw.

    The tail is fitted on days divided by their season factor (weekday, month end), so a
    busy month-end Monday and a quiet Sunday are judged against their own level and keep it.
    """
    n_scenarios = paths.shape[0]
    shape, scale = _tail_draws(tail, n_scenarios, rng)
    rows, cols = np.nonzero(paths > tail.threshold * factor[None, :])
    if not len(rows):
        return
    u = rng.random(len(rows))
    xi, sigma = shape[rows], scale[rows]
    safe = np.where(np.abs(xi) < 1e-9, 1.0, xi)
    excess = np.where(
        np.abs(xi) < 1e-9, -sigma * np.log1p(-u), sigma * ((1.0 - u) ** -safe - 1.0) / safe
    )
    excess = np.minimum(excess, TAIL_CAP * float(tail.excess[-1]))
    paths[rows, cols] = (tail.threshold + excess) * factor[cols]


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


def _add_day_tail(
    paths: np.ndarray,
    level: np.ndarray,
    dates: pd.DatetimeIndex,
    start: pd.Timestamp,
    rng: np.random.Generator,
) -> None:
    """Fit the tail of the season-adjusted history and give the paths' big days fresh
    excesses (:func:`_apply_day_tail`)."""
    weekday = weekday_factors(level, int(dates[0].day_of_week))
    month_end = month_end_factors(level / weekday[dates.day_of_week.to_numpy()], dates)
    fitted = fit_day_tail(level / season_factors(dates, weekday, month_end))
    if fitted is None:
        return
    future = pd.date_range(start, periods=paths.shape[1], freq="D")
    _apply_day_tail(paths, fitted, season_factors(future, weekday, month_end), rng)


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
        raise InputError(f"scenario method: must be one of {', '.join(METHODS)}, got {method!r}")
    if method == "replay":
        return replay(history)
    if isinstance(horizon_days, bool) or not isinstance(horizon_days, int | np.integer):
        raise InputError(f"horizon days: must be a whole number, got {horizon_days!r}")
    if not 1 <= horizon_days <= 3650:
        raise InputError(f"horizon days: must be between 1 and 3650, got {horizon_days}")
    if isinstance(n_scenarios, bool) or not isinstance(n_scenarios, int | np.integer):
        raise InputError(f"scenarios: must be a whole number, got {n_scenarios!r}")
    if not 1 <= n_scenarios <= 1_000_000:
        raise InputError(f"scenarios: must be between 1 and 1000000, got {n_scenarios}")
    if isinstance(tail_days, bool) or not isinstance(tail_days, int | np.integer):
        raise InputError(f"tail days: must be a whole number, got {tail_days!r}")
    if not 0 <= tail_days <= 3650:
        raise InputError(f"tail days: must be between 0 and 3650, got {tail_days}")
    if rng is not None and seed is not None:
        raise ValueError("seed, rng: give one or the other, not both")
    if rng is None:
        rng = np.random.default_rng(seed)

    values = _validate_history(history)
    n = len(values)
    warnings: list[str] = []
    if n < SHORT_HISTORY_DAYS:
        warnings.append(
            t(
                "short history ({days}): the spend level is uncertain, so the scenarios spread "
                "widely; {weeks}+ weeks give firmer results",
                days=days(n),
                weeks=SHORT_HISTORY_DAYS // 7,
            )
        )
    if float(values.sum()) <= 0:
        warnings.append(t("the history has no credit spend at all: every scenario is zero"))

    est = estimate_growth(values)
    if est.note and growth is None:  # a growth given replaces the estimate the note is about
        warnings.append(est.note)
    trend = est.growth
    if growth is None:
        growth_per_year = trend
        log_sd = est.log_sd
    else:
        growth_per_year = parse_growth(growth)
        log_sd = 0.0

    # bring the whole history to the level of its last day
    age_years = (n - 1 - np.arange(n)) / 365.25
    level = values.to_numpy(dtype=float) * (1.0 + trend) ** age_years

    start = values.index[-1] + pd.Timedelta(days=1)
    total_days = horizon_days + int(tail_days)
    n_blocks = -(-total_days // 7)
    # history weeks aligned so that they start on the same weekday as the horizon
    first = n % 7
    week_starts = np.arange(first, n - 6, 7)
    dates = pd.DatetimeIndex(values.index)
    hist_pos = _month_position(dates[week_starts])
    block_dates = start + pd.to_timedelta(np.arange(n_blocks) * 7, unit="D")
    block_pos = _month_position(pd.DatetimeIndex(block_dates))

    idx = np.empty((n_scenarios, n_blocks * 7), dtype=np.int64)
    offsets = np.arange(7)
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
        idx[:, b * 7 : b * 7 + 7] = pick[:, None] + offsets
    paths = level[idx[:, :total_days]]
    if day_tail:
        _add_day_tail(paths, level, dates, start, rng)

    paths *= level_draws(level[week_starts[:, None] + offsets].sum(axis=1), n_scenarios, rng)[
        :, None
    ]

    days_ahead = np.arange(1, total_days + 1) / 365.25
    log_growth = np.full(n_scenarios, math.log1p(growth_per_year))
    if log_sd > 0:  # the trend's own uncertainty: each scenario draws its growth
        lo, hi = (math.log1p(g) for g in GROWTH_RANGE)
        log_growth = np.clip(log_growth + log_sd * rng.standard_normal(n_scenarios), lo, hi)
    paths *= np.exp(log_growth[:, None] * days_ahead[None, :])
    # drop float dust (a constant history must give exactly constant paths)
    paths = np.round(paths, 6)
    return Scenarios(
        start=start,
        paths=np.ascontiguousarray(paths[:, :horizon_days]),
        tail=np.ascontiguousarray(paths[:, horizon_days:]) if tail_days else None,
        method="bootstrap",
        growth_per_year=float(growth_per_year),
        history_days=n,
        seed=seed,
        warnings=warnings,
    )
