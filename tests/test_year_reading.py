"""What one year of history tells the scenarios (planner.scenarios.reading) and the
backtest's table of it (planner.backtest_readings.year_readings)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner.backtest import HISTORY_DAYS, HISTORY_START, TENANTS, demand_process
from planner.backtest_readings import year_reading_summary, year_readings
from planner.scenarios.reading import (
    FLAT_SHAPE_PRIOR,
    YEAR_FIGURES,
    runs_a_pareto_fits,
    tail_shape,
    year_figures,
    year_one_quantiles,
    year_one_readings,
)


def _days(values: np.ndarray) -> pd.Series:
    return pd.Series(values, index=pd.date_range("2025-01-05", periods=len(values), freq="D"))


def _ordinary(rng: np.random.Generator, n: int) -> np.ndarray:
    return 100.0 * rng.gamma(4.0, 0.25, n)  # cv 0.5, no bursts


def test_a_flat_prior_lets_the_days_decide_the_shape():
    """Three years of light-tailed days read near 0 without the prior; days with a Pareto
    tail of index 2 (shape 0.5) read heavy."""
    rng = np.random.default_rng(3)
    light = _ordinary(rng, 3 * 365)
    heavy = 100.0 * (1.0 + rng.pareto(2.0, 3 * 365))
    assert abs(tail_shape(_days(light), FLAT_SHAPE_PRIOR)) < 0.15
    assert tail_shape(_days(heavy), FLAT_SHAPE_PRIOR) > 0.3
    # the plan's prior pulls a light year toward its mean, a flat one does not
    assert tail_shape(_days(light)) > tail_shape(_days(light), FLAT_SHAPE_PRIOR)


def test_a_pareto_fits_one_population_of_bursts_and_not_two():
    """Ordinary days alone: a generalized Pareto fits every run above the threshold.
    Ordinary days and a separate population of bursts far above them (all ten times a
    normal day): it fits only the largest runs."""
    rng = np.random.default_rng(4)
    one = _ordinary(rng, 2 * 365)
    runs, kept = runs_a_pareto_fits(_days(one))
    assert runs >= 40 and kept == runs
    two = one.copy()
    two[rng.choice(len(two), 30, replace=False)] = 1000.0 * rng.uniform(0.98, 1.02, 30)
    runs, kept = runs_a_pareto_fits(_days(two))
    assert kept < runs


def test_where_the_year_that_happened_falls_among_the_scenarios():
    steady = _days(np.full(120, 50.0))
    above = year_one_quantiles(steady, np.full(365, 60.0), n_scenarios=50)
    below = year_one_quantiles(steady, np.full(365, 40.0), n_scenarios=50)
    assert set(above) == {f"{k}_quantile" for k in YEAR_FIGURES}
    assert set(above.values()) == {1.0} and set(below.values()) == {0.0}
    rng = np.random.default_rng(5)
    noisy = _days(_ordinary(rng, 365))
    middle = year_one_quantiles(noisy, _ordinary(rng, 365), n_scenarios=400)
    assert 0.05 < middle["mean_quantile"] < 0.95
    # a year with one day far beyond any seen: its largest day above every scenario's
    wild = _ordinary(rng, 365)
    wild[100] = 100.0 * wild.max()
    assert year_one_quantiles(noisy, wild, n_scenarios=400)["largest_day_quantile"] > 0.95


def test_the_scenarios_peak_year_is_set_against_the_process():
    """A steady 50 a day planned against true futures of 100 a day fears half the year the
    process makes (ratio 0.5); against 25 a day, twice it. The first future is the year that
    happened (its quantile); the ratio reads every future."""
    steady = _days(np.full(365, 50.0))
    futures = np.vstack([np.full(365, 100.0), np.full(365, 100.0)])
    half = year_one_readings(steady, futures, n_scenarios=50)
    assert {half[f"{k}_point_ratio"] for k in YEAR_FIGURES} == {0.5}
    assert half["mean_quantile"] == 1.0  # every scenario below the year that happened
    futures[1, 10] = 10_000.0  # one wild future among two: the 99% point moves to it
    wild = year_one_readings(steady, futures, n_scenarios=50)
    assert wild["largest_day_point_ratio"] < 0.05 and wild["mean_point_ratio"] < 0.5
    twice = year_one_readings(steady, np.full((3, 365), 25.0), n_scenarios=50)
    assert twice["largest_two_days_point_ratio"] == 2.0


def test_the_largest_two_days_are_two_days_in_a_row():
    figures = year_figures(np.array([[0.0, 5.0, 0.0, 5.0, 0.0], [0.0, 5.0, 5.0, 0.0, 1.0]]))
    assert list(figures["largest_day"]) == [5.0, 5.0]
    assert list(figures["largest_two_days"]) == [5.0, 10.0]
    assert list(figures["mean"]) == [2.0, 2.2]


def test_year_readings_read_the_backtests_histories():
    tenant = next(t for t in TENANTS if t.name == "bursts, 57/day")
    table = year_readings((tenant,), seed=13, histories=2, n_scenarios=100, n_futures=200)
    assert list(table["history"]) == [0, 1]
    assert table["runs_fitted"].le(table["runs"]).all()
    assert table["largest_two_days_quantile"].between(0, 1).all()
    # history 0 is the backtest's for the same seed: the first year of its random stream
    history, _ = demand_process(tenant, 0, HISTORY_DAYS, 1, np.random.default_rng(13))
    series = pd.Series(history[0], index=pd.date_range(HISTORY_START, periods=HISTORY_DAYS))
    assert table.loc[0, "shape"] == tail_shape(series)
    assert table.loc[1, "shape"] != tail_shape(series)


def test_year_reading_summary_counts_what_it_says():
    table = pd.DataFrame(
        {
            "tenant": ["a"] * 4 + ["b"] * 2,
            "history": [0, 1, 2, 3, 0, 1],
            "shape": [0.1, 0.2, 0.3, 0.4, 0.0, 0.0],
            "shape_flat": [0.0] * 6,
            "runs": [20, 20, 10, 0, 10, 10],
            "runs_fitted": [20, 10, 10, 0, 10, 5],
            "mean_quantile": [0.5, 0.01, 0.99, 0.3, 0.9, 0.04],
            "largest_day_quantile": [0.97] * 6,
            "largest_two_days_quantile": [0.5] * 6,
            "largest_day_point_ratio": [1.0, 2.0, 3.0, 4.0, 0.5, 0.5],
        }
    )
    s = year_reading_summary(table).set_index("tenant")
    assert s.loc["a", "histories"] == 4 and s.loc["all", "histories"] == 6
    assert s.loc["a", "mean_middle_half"] == 0.5  # 0.5 and 0.3
    assert s.loc["a", "mean_middle_90"] == 0.5
    assert s.loc["a", "mean_below_5"] == 0.25 and s.loc["a", "mean_above_95"] == 0.25
    assert s.loc["b", "mean_below_5"] == 0.5 and s.loc["b", "mean_middle_90"] == 0.5
    assert s.loc["all", "largest_day_above_95"] == 1.0
    assert s.loc["all", "largest_two_days_middle_half"] == 1.0
    assert s.loc["a", "runs_fitted_share"] == 1.0  # 1, 0.5, 1 (no runs: left out)
    assert s.loc["a", "shape_p50"] == pytest.approx(0.25)
    assert s.loc["a", "largest_day_point_ratio_p50"] == pytest.approx(2.5)
    assert s.loc["b", "largest_day_point_ratio_p90"] == pytest.approx(0.5)
    assert "mean_point_ratio_p50" not in s  # not read: not summarised
