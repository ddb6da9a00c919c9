"""Growth of credit spend: reading a growth assumption and estimating the history's trend.

Part of :mod:`planner.scenarios` (see its docstring for how the scenarios use them).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.errors import InputError
from planner.notes import Note

MIN_WEEKS_FOR_GROWTH = 26
#: prior spread of log(1 + growth per year) that an estimated trend is shrunk with: spend
#: growth beyond about +/-30 % a year is unusual for an organisation's calls
GROWTH_PRIOR_SD = 0.25
#: estimated growth per year is clamped to this range
GROWTH_RANGE = (-0.5, 1.0)
#: the trend's uncertainty above the projection is at least this (log scale) for spend
#: whose level moved during the history: a year or two of weekly spend cannot tell a
#: trend from a slow wander of the level (see :func:`_growth_floor`); below the projection
#: the data's own uncertainty is kept (see :class:`GrowthEstimate`)
GROWTH_MIN_LOG_SD = 0.25
#: the floor is this multiple of how much the month-long level moved (when that is smaller).
#: Set where a first year that happened falls among the scenarios as often as it should:
#: over 40 histories of each backtest tenant (``docs/backtest.md``, "What a year can
#: tell"), 1.5 puts its mean daily spend in the scenarios' middle 90% on 92% of them
#: (2.0: 95%, the scenarios too wide; 1.0: 86%, too narrow)
WANDER_TO_GROWTH = 1.5
#: weeks averaged to see the level move: a month, so that the month-end rhythm and the
#: day-to-day noise average out (a week that holds month-end days is not a drift)
WANDER_WEEKS = 4
#: autocorrelation lags (weeks) counted by :func:`persistence`, and its cap
PERSISTENCE_LAGS = 8
MAX_PERSISTENCE = 20.0
#: growth overrides outside this range are rejected as typos
GROWTH_OVERRIDE_RANGE = (-0.9, 10.0)
#: history weeks within this many days of a block's position in the month are candidates


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
        raise InputError(
            "growth: expected a number or text like '+20%/year', got {text!r}", text=text
        )
    if isinstance(text, int | float | np.floating | np.integer):
        value = float(text)
        if not math.isfinite(value) or abs(value) >= 1 and value != 1:
            raise InputError(
                "growth: {text!r} is ambiguous; give a fraction between -0.9 and 1 "
                "(0.2 = +20 %/year) or a percentage like '+20%/year'",
                text=text,
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
                "growth: user counts must be positive in {text!r} (e.g. 'users:250->300')",
                text=text,
            )
        return _check_growth(b / a - 1.0, text)
    m = _RATE_RE.match(s)
    if not m:
        raise InputError(
            "growth: cannot read {text!r}; use a fraction (0.2), a percentage "
            "('+20%/year', '-10%', '2%/month') or a planned change in users "
            "('users:250->300')",
            text=text,
        )
    value = float(m["num"])
    if m["pct"]:
        value /= 100.0
    elif abs(value) >= 1 and value != 1:
        raise InputError(
            "growth: {text!r} is ambiguous; write a percentage ('{m}%') or a "
            "fraction between -0.9 and 1",
            text=text,
            m=m["num"],
        )
    if m["unit"] in ("month", "mo", "m"):
        if value <= -1:
            raise InputError("growth: {text!r} is below -100 % a month", text=text)
        value = (1.0 + value) ** 12 - 1.0
    if not lo <= value <= hi:
        raise InputError(
            "growth: {text!r} is {value:+.0%} a year, outside the plausible range "
            "{lo:+.0%} to {hi:+.0%}",
            text=text,
            value=value,
            lo=lo,
            hi=hi,
        )
    return value


def _check_growth(value: float, text: object) -> float:
    lo, hi = GROWTH_OVERRIDE_RANGE
    if not (math.isfinite(value) and lo <= value <= hi):
        raise InputError(
            "growth: {text!r} means {value:+.0%} a year, outside the plausible "
            "range {lo:+.0%} to {hi:+.0%}",
            text=text,
            value=value,
            lo=lo,
            hi=hi,
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
        Uncertainty of ``log(1 + growth)`` above the projection: what remains after
        shrinkage, never less than :func:`_growth_floor` (0 when the history has no spend).
        Growth faster than a year of data can show (a trend shrunk toward 0, a level that
        wandered) is what breaks a service level, so the floor guards that side.
    log_sd_down : float
        Uncertainty below the projection: what remains after shrinkage, and at least the
        projected growth itself (up to ``log_sd``), so that "no growth at all" stays within
        one spread: a rise during the history may be a wander of the level, not a trend.
        Without the floor otherwise (the floor when no trend is estimated). Slower growth
        costs forfeiture of the lots a plan buys, and a spread wider than the data's would buy
        small lots for a tenant whose spend is steady. The scenarios draw their growth from a
        normal with these two half-spreads (:func:`planner.scenarios._growth_factors`).
    note : Note or None
        A caveat to show (``growth_unknown``, ``growth_uncertain``, ``growth_clamped``).
    """

    growth: float
    raw: float | None
    log_sd: float
    log_sd_down: float
    note: Note | None


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


def _growth_floor(values: np.ndarray, slope: float = 0.0) -> float:
    """Least uncertainty of the coming year's growth (log scale): how much the month-long
    level moved during the history (the spread of a :data:`WANDER_WEEKS`-week moving
    average of the log weekly totals) times :data:`WANDER_TO_GROWTH`, at most
    :data:`GROWTH_MIN_LOG_SD`. A level that wandered from month to month can drift as much
    over a year; the month-end rhythm and day-to-day noise average out of a month and are
    not a drift; spend that never moved (a constant history) is taken to stay. Histories of
    fewer than ``WANDER_WEEKS + 2`` weeks use the spread of the weekly totals themselves.

    ``slope`` (log growth per year) is taken out first when given: the level's wander
    around a trend, not the trend itself (a tenant growing 40% a year moves its month-long
    level by 0.34 over the year without wandering at all)."""
    n_weeks = len(values) // 7
    overall = float(values.mean()) if len(values) else 0.0
    if n_weeks < 2 or overall <= 0:
        return 0.0
    weekly = values[len(values) - 7 * n_weeks :].reshape(n_weeks, 7).sum(axis=1)
    log_weekly = np.log(weekly + 0.01 * 7 * overall)
    log_weekly = log_weekly - slope * np.arange(n_weeks) * 7 / 365.25
    if n_weeks >= WANDER_WEEKS + 2:
        kernel = np.full(WANDER_WEEKS, 1.0 / WANDER_WEEKS)
        log_weekly = np.convolve(log_weekly, kernel, mode="valid")
    spread = float(log_weekly.std(ddof=1))
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
        # too short to see a trend: no growth is projected, and above the projection the
        # growth is as uncertain as the prior allows (a few months of a tenant growing 40%
        # a year look flat); below it, how far the level moved. Spend that never moved at
        # all (a fixed charge) is taken to stay
        floor = _growth_floor(values)
        above = max(floor, GROWTH_PRIOR_SD) if floor > 1e-9 else 0.0
        return GrowthEstimate(
            0.0,
            None,
            above,
            floor,
            Note("growth_unknown", {"weeks": MIN_WEEKS_FOR_GROWTH, "up": math.expm1(above)}),
        )
    overall = float(values.mean())
    if overall <= 0:
        return GrowthEstimate(0.0, 0.0, 0.0, 0.0, None)
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
    posterior_sd = math.sqrt(tau2 * se**2 / (tau2 + se**2))
    log_sd = max(posterior_sd, _growth_floor(values))
    raw = math.exp(slope) - 1.0
    growth = math.exp(shrunk) - 1.0
    note = None
    if abs(growth - raw) > 0.05:
        lo90, hi90 = math.exp(slope - 1.645 * se) - 1, math.exp(slope + 1.645 * se) - 1
        note = Note("growth_uncertain", {"raw": raw, "low": lo90, "high": hi90, "growth": growth})
    lo, hi = GROWTH_RANGE
    if growth < lo or growth > hi:
        clamped = min(max(growth, lo), hi)
        note = Note("growth_clamped", {"growth": growth, "low": lo, "high": hi, "clamped": clamped})
        growth = clamped
    # below the projection: "no growth" within one spread, but the spread no wider than the
    # level's wander around the trend (the trend itself is not a wander)
    wander = max(posterior_sd, _growth_floor(values, slope))
    log_sd_down = max(posterior_sd, min(wander, log_sd, math.log1p(max(growth, 0.0))))
    return GrowthEstimate(growth, raw, log_sd, log_sd_down, note)


def at_last_day_level(values: pd.Series, trend: float) -> tuple[np.ndarray, np.ndarray]:
    """The history brought to the level of its last day by its trend, and each day's age
    in years (0 for the last day)."""
    n = len(values)
    age_years = (n - 1 - np.arange(n)) / 365.25
    return values.to_numpy(dtype=float) * (1.0 + trend) ** age_years, age_years
