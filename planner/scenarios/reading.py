"""What one year of history tells the scenarios: the readings behind the plan's fears.

Part of :mod:`planner.scenarios`. The backtest (:func:`planner.backtest_readings.year_readings`)
compares these readings with tenants whose process is known, to say what a year can tell and
what it cannot (``docs/backtest.md``, "What a year can tell"):

- :func:`tail_shape`: how heavy the day tail reads (the posterior mean of its shape), under
  the plan's prior or under a prior too wide to matter (:data:`FLAT_SHAPE_PRIOR`: the year
  alone decides);
- :func:`runs_a_pareto_fits`: whether the tail's bursts are one population or ordinary high
  days with a separate population of bursts above them (the largest run maxima that a
  generalized Pareto still fits by the Anderson-Darling test);
- :func:`year_one_quantiles`: where a first year that happened falls among the scenarios:
  its mean daily spend, its largest day and its largest two days in a row (what a trigger
  must cover at a lead of one and of two days);
- :func:`year_one_readings`: the same, and the one-in-a-hundred year of the scenarios over
  that of a known process (:data:`PEAK_POINT`): how much worse a year the plan fears.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from planner.scenarios import make_scenarios
from planner.scenarios.growth import at_last_day_level, estimate_growth
from planner.scenarios.tail import (
    MIN_TAIL_POINTS,
    TAIL_SHAPE_PRIOR,
    TAIL_SHAPE_RANGE,
    _pwm_gpd,
    fit_day_tail,
    season_adjusted,
)

#: a prior on the tail's shape too wide to matter: the year's bursts alone decide
FLAT_SHAPE_PRIOR = (0.0, 10.0)
#: the Anderson-Darling statistic of a generalized Pareto fit with estimated parameters is
#: below this in 95% of samples for shapes from 0 to 0.5 (Choulakian and Stephens 2001)
AD_CRITICAL_5PCT = 0.757
#: what of a year is set against the scenarios: its mean daily spend, its largest day and
#: its largest two consecutive days
YEAR_FIGURES = ("mean", "largest_day", "largest_two_days")
#: the point of a figure's spread that the scenarios and a known process are compared at: the
#: one-in-a-hundred year a 99% plan is sized against
PEAK_POINT = 0.99


def _adjusted(history: pd.Series) -> np.ndarray:
    """The history as the tail sees it: brought to its last day's level by its estimated
    trend and divided by its season factors (as :func:`planner.scenarios.make_scenarios`)."""
    values = history.astype(float)
    level, _ = at_last_day_level(values, estimate_growth(values).growth)
    return season_adjusted(level, pd.DatetimeIndex(values.index))[0]


def tail_shape(history: pd.Series, prior: tuple[float, float] = TAIL_SHAPE_PRIOR) -> float:
    """Posterior mean of the day tail's shape (the shapes the scenarios draw from) for a
    daily history, under ``prior`` (mean, sd); NaN when too few days stand out."""
    tail = fit_day_tail(_adjusted(history), prior)
    return float(tail.shape_grid @ tail.shape_prob) if tail is not None else math.nan


def _anderson_darling(excess: np.ndarray) -> float:
    """Anderson-Darling statistic of sorted excesses against the generalized Pareto fitted
    by probability-weighted moments."""
    shape, scale = _pwm_gpd(excess)
    xi = float(np.clip(shape, *TAIL_SHAPE_RANGE))
    if abs(xi) < 1e-9:
        cdf = 1.0 - np.exp(-excess / float(scale))
    else:
        cdf = 1.0 - np.maximum(1.0 + xi * excess / float(scale), 1e-300) ** (-1.0 / xi)
    cdf = np.clip(cdf, 1e-12, 1.0 - 1e-12)
    n = len(excess)
    i = np.arange(1, n + 1)
    return float(-n - np.mean((2 * i - 1) * (np.log(cdf) + np.log1p(-cdf[::-1]))))


def runs_a_pareto_fits(history: pd.Series) -> tuple[int, int]:
    """``(runs, kept)``: the bursts the day tail is fitted on (run maxima above its
    threshold) and how many of the largest of them a generalized Pareto fits: the most
    that pass the Anderson-Darling test at 5% over the next largest as threshold, at
    least :data:`MIN_TAIL_POINTS`. ``kept < runs`` means that the lower runs look like a
    separate population (ordinary high days below the bursts); (0, 0) without a tail."""
    tail = fit_day_tail(_adjusted(history))
    if tail is None:
        return 0, 0
    # the candidate thresholds: the fit's own, then each run maximum from the smallest up
    top = np.concatenate([(tail.threshold + tail.excess)[::-1], [tail.threshold]])
    runs = len(tail.excess)
    for kept in range(runs, MIN_TAIL_POINTS - 1, -1):
        if _anderson_darling(np.sort(top[:kept] - top[kept])) < AD_CRITICAL_5PCT:
            return runs, kept
    return runs, MIN_TAIL_POINTS


def year_figures(days: np.ndarray) -> dict[str, np.ndarray]:
    """The figures of :data:`YEAR_FIGURES` of each row of daily spend (a year a row)."""
    d = np.atleast_2d(np.asarray(days, dtype=float))
    return {
        "mean": d.mean(axis=1),
        "largest_day": d.max(axis=1),
        "largest_two_days": (d[:, 1:] + d[:, :-1]).max(axis=1),
    }


def year_one_quantiles(
    history: pd.Series, actual: np.ndarray, *, n_scenarios: int = 1000, seed: int = 0
) -> dict[str, float]:
    """For each figure of :data:`YEAR_FIGURES` (``<figure>_quantile``), the share of the
    scenarios (:func:`planner.scenarios.make_scenarios`, a year from the day after
    ``history``) below the year that happened (``actual``: its daily spend). Over many
    histories of calibrated scenarios each is uniform between 0 and 1; a largest day above
    the scenarios' 95% point far more often than one year in twenty is a tail too light."""
    readings = year_one_readings(history, actual, n_scenarios=n_scenarios, seed=seed)
    return {k: v for k, v in readings.items() if k.endswith("_quantile")}


def year_one_readings(
    history: pd.Series,
    futures: np.ndarray,
    *,
    n_scenarios: int = 1000,
    seed: int = 0,
    point: float = PEAK_POINT,
) -> dict[str, float]:
    """:func:`year_one_quantiles` of the first of ``futures`` (true first years, one a row),
    and for each figure of :data:`YEAR_FIGURES` its ``point`` quantile over the scenarios
    divided by the same over ``futures`` (``<figure>_point_ratio``): the year the plan is
    sized against over the year the process makes. Above 1 the plan fears worse than the
    process does (it over-insures), below 1 it under-insures; what decides a 99% plan is the
    largest day at a lead of one day and the largest two days at a lead of two."""
    paths = make_scenarios(history, horizon_days=365, n_scenarios=n_scenarios, seed=seed).paths
    futures = np.atleast_2d(np.asarray(futures, dtype=float))
    plan, happened = year_figures(paths), year_figures(futures)
    out = {f"{k}_quantile": float((plan[k] < happened[k][0]).mean()) for k in YEAR_FIGURES}
    for k in YEAR_FIGURES:
        truth = float(np.quantile(happened[k], point))
        out[f"{k}_point_ratio"] = (
            float(np.quantile(plan[k], point)) / truth if truth > 0 else math.nan
        )
    return out
