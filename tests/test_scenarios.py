"""Demand scenarios: reproducibility, weekly and month-end patterns, growth, short histories."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner import text
from planner.errors import InputError
from planner.notes import Note
from planner.scenarios import (
    DEFAULT_SCENARIOS,
    GROWTH_MIN_LOG_SD,
    MIN_HISTORY_DAYS,
    TAIL_CAP,
    TAIL_SHAPE_PRIOR,
    Scenarios,
    estimate_growth,
    fit_day_tail,
    make_scenarios,
    parse_growth,
    replay,
)
from planner.scenarios.growth import _growth_floor
from planner.scenarios.tail import apply_day_tail
from planner.text import plan as plan_text


def synthetic_history(
    start: str = "2025-01-01",
    days: int = 396,
    *,
    growth: float = 0.0,
    month_end: float = 3.0,
    noise_shape: float = 4.0,
    seed: int = 0,
) -> pd.Series:
    """Weekdays 5x weekends, the last 5 days of each month ``month_end`` x, gamma noise."""
    rng = np.random.default_rng(seed)
    idx = pd.date_range(start, periods=days, freq="D")
    weekly = np.where(idx.day_of_week < 5, 1.0, 0.2)
    bunch = np.where(idx.days_in_month - idx.day < 5, month_end, 1.0)
    trend = (1 + growth) ** (np.arange(days) / 365.25)
    noise = rng.gamma(noise_shape, 1 / noise_shape, days)
    return pd.Series(10 * weekly * bunch * trend * noise, index=idx, name="demand")


def _profile(values: np.ndarray, dates: pd.DatetimeIndex, key: np.ndarray) -> np.ndarray:
    s = pd.Series(values, index=dates)
    prof = s.groupby(key).mean()
    return (prof / prof.mean()).to_numpy()


def test_reproducible_from_seed():
    h = synthetic_history()
    a = make_scenarios(h, n_scenarios=50, seed=7)
    b = make_scenarios(h, n_scenarios=50, seed=7)
    c = make_scenarios(h, n_scenarios=50, seed=8)
    np.testing.assert_array_equal(a.paths, b.paths)
    assert not np.array_equal(a.paths, c.paths)
    d = make_scenarios(h, n_scenarios=50, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a.paths, d.paths)
    assert a.seed == 7 and a.method == "bootstrap"
    assert a.paths.shape == (50, 365)
    assert a.start == h.index[-1] + pd.Timedelta(days=1)


def test_default_scenario_count_gives_half_point_precision():
    # 95% half-width of a stock-out probability of 1% with the default count
    half_width = 1.96 * np.sqrt(0.01 * 0.99 / DEFAULT_SCENARIOS)
    assert half_width <= 0.005


def test_weekly_rhythm_kept():
    h = synthetic_history()
    sc = make_scenarios(h, n_scenarios=300, seed=1, growth=0.0)
    dates = sc.dates
    hist = _profile(h.to_numpy(), h.index, h.index.day_of_week.to_numpy())
    scen = _profile(sc.paths.mean(axis=0), dates, dates.day_of_week.to_numpy())
    # the big days of every weekday get fresh excesses from one shared tail fit, which evens
    # out chance differences between the weekdays' largest days: a few points of the profile
    np.testing.assert_allclose(scen, hist, atol=0.1)
    assert scen[:5].min() > 3 * scen[5:].max()  # weekends stay quiet


def test_month_end_bunching_kept():
    h = synthetic_history(month_end=4.0)
    sc = make_scenarios(h, n_scenarios=300, seed=2, growth=0.0)
    dates = sc.dates

    def last5_share(values, idx):
        late = (idx.days_in_month - idx.day) < 5
        return values[late].sum() / values.sum()

    hist_share = last5_share(h.to_numpy(), h.index)
    scen_share = last5_share(sc.paths.mean(axis=0), dates)
    assert abs(scen_share - hist_share) < 0.05
    assert scen_share > 0.3  # without the pattern the last 5 days hold ~16%
    hist_dom = _profile(h.to_numpy(), h.index, h.index.day.to_numpy())
    scen_dom = _profile(sc.paths.mean(axis=0), dates, dates.day.to_numpy())
    assert np.corrcoef(hist_dom, scen_dom)[0, 1] > 0.85


@pytest.mark.parametrize("growth", [-0.2, 0.0, 0.3])
def test_growth_estimated_from_trend(growth):
    h = synthetic_history(growth=growth, month_end=2.0, noise_shape=20.0, days=540, seed=0)
    est = estimate_growth(h)
    assert est.note is None  # a clear trend is kept, not shrunk
    assert est.growth == pytest.approx(growth, abs=0.08)
    # a clear trend leaves little uncertainty, never more than the floor's cap
    assert 0.0 < est.log_sd <= GROWTH_MIN_LOG_SD
    # below the projection: "no growth at all" within one spread only as far as the level
    # wanders around the trend (a rise may be a wander); this level follows its trend
    # closely, so below it keeps the data's own spread, as a decline does
    assert 0.0 < est.log_sd_down <= est.log_sd
    wander = _growth_floor(h.to_numpy(), math.log1p(est.raw))
    assert est.log_sd_down <= max(wander, 0.1)
    if growth > 0:
        assert est.log_sd_down < 0.5 * est.log_sd
    sc = make_scenarios(h, n_scenarios=200, seed=1)
    assert sc.growth_per_year == pytest.approx(est.growth)


def test_growth_floor_follows_the_level_not_the_month_end_rhythm():
    """Weeks that hold month-end days are busier every month: that is a rhythm, not a drift,
    so a steady level keeps a small floor; a level that moved from month to month gets the
    full floor."""
    steady = synthetic_history(growth=0.0, month_end=3.0, noise_shape=20.0, seed=2)
    weekly = steady.to_numpy()[: 7 * (len(steady) // 7)].reshape(-1, 7).sum(axis=1)
    assert 2 * np.log(weekly).std() > GROWTH_MIN_LOG_SD  # the week-to-week spread is large
    assert _growth_floor(steady.to_numpy()) < 0.15
    # the same days with a level that steps up by half for a season and back
    moved = steady.to_numpy().copy()
    moved[120:240] *= 1.5
    assert _growth_floor(moved) == GROWTH_MIN_LOG_SD
    assert _growth_floor(np.full(200, 5.0)) == 0.0  # spend that never moved stays


def test_below_the_projection_a_steady_level_keeps_the_datas_own_spread():
    """A level that moved for a season gets the floor above the projection (it may drift
    up as far); below it the data's own spread, so the lots a plan buys are not sized for a
    decline the data does not show."""
    h = synthetic_history(growth=0.0, month_end=3.0, noise_shape=20.0, seed=2)
    h.iloc[120:240] *= 1.5
    est = estimate_growth(h)
    assert est.log_sd == GROWTH_MIN_LOG_SD
    assert est.log_sd_down < 0.7 * est.log_sd
    sc = make_scenarios(h, n_scenarios=400, seed=1)
    fixed = make_scenarios(h, n_scenarios=400, seed=1, growth=est.growth)
    log_ratio = np.log(sc.paths[:, -7:].sum(axis=1) / fixed.paths[:, -7:].sum(axis=1))
    low, high = np.quantile(log_ratio, [0.1587, 0.8413])
    assert -low < 0.8 * high


def test_uncertain_trend_is_shrunk_toward_zero():
    """A quiet first quarter (a season, not a trend) in a noisy year."""
    h = synthetic_history(growth=0.0, month_end=3.0, noise_shape=1.0, days=396, seed=8)
    h.iloc[:90] *= 0.5
    est = estimate_growth(h)
    assert est.raw > 0.3  # the robust slope alone reads the season as strong growth
    assert 0 <= est.growth < est.raw / 2
    assert est.note.code == "growth_uncertain" and "uncertain" in plan_text.note(est.note)
    # the remaining uncertainty spreads the scenarios' growth: same seed, same weeks, only
    # the growth drawn per scenario differs from the fixed assumption
    sc = make_scenarios(h, n_scenarios=400, seed=1)
    fixed = make_scenarios(h, n_scenarios=400, seed=1, growth=est.growth)
    log_ratio = np.log(sc.paths[:, -7:].sum(axis=1) / fixed.paths[:, -7:].sum(axis=1))
    # a year of the drawn growth ahead, plus the same growth over the history's mean age
    # (a scenario that grows faster also starts higher); below the projection the spread
    # keeps "no growth" within reach, as wide as above here (the rise is a season)
    history_age = (len(h) - 1) / 2 / 365.25
    assert est.log_sd_down == est.log_sd
    low, mid, high = np.quantile(log_ratio, [0.1587, 0.5, 0.8413])
    assert high == pytest.approx(est.log_sd * (1 + history_age), rel=0.2)
    assert -low == pytest.approx(est.log_sd_down * (1 + history_age), rel=0.2)
    assert abs(mid) < 0.05


def test_growth_projected_and_level_continues():
    h = synthetic_history(growth=0.0, month_end=1.0, noise_shape=50.0, seed=4)
    sc = make_scenarios(h, n_scenarios=200, seed=1, growth="+20%/year")
    assert sc.growth_per_year == pytest.approx(0.2)
    first, last = sc.paths[:, :91].mean(), sc.paths[:, -91:].mean()
    # quarter means are ~0.75 year apart: 1.2 ** 0.75
    assert last / first == pytest.approx(1.2**0.75, rel=0.03)
    assert first == pytest.approx(h.mean(), rel=0.05)


def test_growth_estimate_clamped():
    h = synthetic_history(growth=3.0, month_end=1.0, noise_shape=50.0, seed=5)
    est = estimate_growth(h)
    assert est.growth == 1.0 and est.note.code == "growth_clamped"
    assert plan_text.note(est.note) == (
        f"the history's trend ({text.percent(est.note.values['growth'], signed=True)}/year) "
        "is outside -50%..+100%; using +100%/year (set it with --growth)"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+20%/year", 0.2),
        ("20%", 0.2),
        ("0.2", 0.2),
        (0.2, 0.2),
        ("-10%", -0.1),
        ("-10 % per year", -0.1),
        ("users:250->300", 0.2),
        ("users: 200 -> 150", -0.25),
        ("1%/month", 1.01**12 - 1),
        ("0", 0.0),
    ],
)
def test_parse_growth(text, expected):
    assert parse_growth(text) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("20", "ambiguous"),
        ("abc", "cannot read"),
        ("", "empty"),
        ("users:0->5", "positive"),
        ("+2000%", "outside"),
        ("-95%", "outside"),
        (5.0, "ambiguous"),
    ],
)
def test_parse_growth_rejects(text, fragment):
    with pytest.raises(InputError, match=fragment):
        parse_growth(text)


def test_short_history_widens_uncertainty():
    long = synthetic_history(days=364, seed=6)
    short = long.iloc[-21:]
    sc_long = make_scenarios(long, n_scenarios=1000, seed=1, growth=0.0)
    sc_short = make_scenarios(short, n_scenarios=1000, seed=1, growth=0.0)
    cv = [s.paths.sum(axis=1).std() / s.paths.sum(axis=1).mean() for s in (sc_long, sc_short)]
    assert cv[1] > 2 * cv[0]
    # growth given: no note about the estimate it replaces
    assert sc_short.warnings == [Note("short_history", {"days": 21, "weeks": 8})]
    assert plan_text.note(sc_short.warnings[0]).startswith("short history (21 days): ")
    assert not sc_long.warnings
    estimated = make_scenarios(short, n_scenarios=100, seed=1)
    assert [plan_text.note(n) for n in estimated.warnings][1].startswith(
        "history shorter than 26 weeks: no trend estimated; growth assumed 0, the scenarios "
        "allowing for +28%/year at one spread"
    )


def test_too_short_history_is_an_input_error():
    h = synthetic_history(days=MIN_HISTORY_DAYS - 1)
    with pytest.raises(InputError, match=f"at least {MIN_HISTORY_DAYS}"):
        make_scenarios(h, n_scenarios=10, seed=1)
    make_scenarios(synthetic_history(days=MIN_HISTORY_DAYS), n_scenarios=10, seed=1)


def test_bad_histories():
    idx = pd.date_range("2025-01-01", periods=30)
    with pytest.raises(InputError, match="negative"):
        make_scenarios(pd.Series(-1.0, index=idx), n_scenarios=5, seed=1)
    with pytest.raises(InputError, match="empty"):
        make_scenarios(pd.Series([], dtype=float), n_scenarios=5, seed=1)
    twice = pd.Series(1.0, index=idx.append(idx[:1]))
    with pytest.raises(InputError, match="twice"):
        make_scenarios(twice, n_scenarios=5, seed=1)
    with pytest.raises(InputError, match="scenario method"):
        make_scenarios(pd.Series(1.0, index=idx), method="magic")


def test_gaps_count_as_zero_spend():
    idx = pd.date_range("2025-01-01", periods=28)
    h = pd.Series(5.0, index=idx).drop(idx[10:12])
    rep = replay(h)
    assert rep.paths.shape == (1, 28)
    assert rep.paths[0, 10] == 0 and rep.paths[0, 9] == 5


def test_replay_is_the_history():
    h = synthetic_history(days=60)
    rep = make_scenarios(h, method="replay")
    assert isinstance(rep, Scenarios)
    assert rep.start == h.index[0] and rep.method == "replay"
    np.testing.assert_allclose(rep.paths[0], h.to_numpy())


@settings(max_examples=25, deadline=None)
@given(
    days=st.integers(MIN_HISTORY_DAYS, 120),
    level=st.floats(0.0, 500.0),
    start=st.dates(  # planning dates; pandas 2.2 timestamps end in 2262
        min_value=pd.Timestamp("2020-01-01").date(), max_value=pd.Timestamp("2100-12-31").date()
    ),
)
def test_constant_history_gives_constant_paths(days, level, start):
    h = pd.Series(level, index=pd.date_range(start, periods=days, freq="D"))
    sc = make_scenarios(h, n_scenarios=5, horizon_days=60, seed=1)
    assert sc.paths.shape == (5, 60)
    np.testing.assert_allclose(sc.paths, round(level, 6), rtol=0, atol=1e-9)


@settings(max_examples=25, deadline=None)
@given(
    values=st.lists(st.floats(0.0, 1e4), min_size=MIN_HISTORY_DAYS, max_size=90),
    seed=st.integers(0, 2**32 - 1),
)
def test_paths_finite_and_bounded(values, seed):
    h = pd.Series(values, index=pd.date_range("2024-02-20", periods=len(values), freq="D"))
    sc = make_scenarios(h, n_scenarios=8, horizon_days=40, seed=seed, growth=0.0, day_tail=False)
    assert np.isfinite(sc.paths).all() and (sc.paths >= 0).all()
    # each day is a history day times a level factor <= max weekly / mean weekly
    assert sc.paths.max() <= max(values) * len(values) / 7 + 1e-6


# --------------------------------------------------------------------------- days beyond the largest seen


@pytest.mark.parametrize("shape", [0.0, 0.25, 0.45])
def test_day_tail_fit_recovers_a_known_generalized_pareto(shape):
    rng = np.random.default_rng(5)
    u = rng.random(20_000)
    excess = -np.log1p(-u) if shape == 0 else ((1 - u) ** -shape - 1) / shape
    body = rng.uniform(0, 1, 180_000)  # 90% of days below the threshold 1
    # in time order the tail days are scattered (a run of big days counts once)
    fitted = fit_day_tail(rng.permutation(np.concatenate([body, 1 + 2 * excess])))
    assert fitted.threshold == pytest.approx(1.0, abs=0.01)
    assert fitted.shape == pytest.approx(shape, abs=0.05)
    # one point per run of big days: a run of two iid big days (one in ten here) keeps its
    # larger, which raises the fitted scale by about 9%
    assert fitted.scale == pytest.approx(2.0 * 1.09, rel=0.06)


def test_a_burst_of_consecutive_big_days_keeps_one_size():
    """A run of days above the tail's threshold is one burst: one fresh excess for all its
    days (times each day's season factor); separate bursts get their own."""
    rng = np.random.default_rng(5)
    days = rng.permutation(np.concatenate([rng.uniform(0, 1, 900), 1 + rng.pareto(3.0, 100)]))
    fitted = fit_day_tail(days)
    paths = np.full((2, 10), 0.5)
    paths[0, 2:5] = 5.0  # a three-day burst
    paths[0, 7] = 5.0  # a day on its own
    paths[1, 0:2] = 5.0  # a two-day burst in another path
    factor = np.array([1.0, 2.0, 1.0, 1.5, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0])
    apply_day_tail(paths, fitted, factor, np.random.default_rng(0))
    adjusted = paths / factor
    assert np.allclose(adjusted[0, 2:5], adjusted[0, 2])
    assert np.allclose(adjusted[1, 0:2], adjusted[1, 0])
    assert len({round(adjusted[0, 2], 9), round(adjusted[0, 7], 9), round(adjusted[1, 0], 9)}) == 3
    assert (adjusted[paths != 0.5] > fitted.threshold).all()
    assert (paths[0, [0, 1, 5, 6, 8, 9]] == 0.5).all()  # days below the threshold stay


def test_scenarios_hold_days_beyond_the_largest_seen_and_keep_the_mean():
    rng = np.random.default_rng(2)
    idx = pd.date_range("2025-01-01", periods=365, freq="D")
    h = pd.Series(rng.pareto(3.0, 365) * 10 + 1, index=idx)
    with_tail = make_scenarios(h, n_scenarios=2000, horizon_days=365, seed=1, growth=0.0)
    without = make_scenarios(
        h, n_scenarios=2000, horizon_days=365, seed=1, growth=0.0, day_tail=False
    )
    assert without.paths.max() <= h.max() * 1.3  # the level factor only
    beyond = (with_tail.paths.max(axis=1) > h.max()).mean()
    assert 0.2 < beyond < 1.0  # a bigger day than ever seen is possible, not certain
    assert with_tail.paths.max() <= (h.max() * (1 + TAIL_CAP)) * 1.3
    assert with_tail.paths.mean() == pytest.approx(without.paths.mean(), rel=0.05)


def test_tail_days_continue_the_paths():
    h = synthetic_history()
    sc = make_scenarios(h, n_scenarios=50, horizon_days=100, seed=3, tail_days=30)
    assert sc.paths.shape == (50, 100) and sc.tail.shape == (50, 30)
    assert sc.with_tail().shape == (50, 130)
    plain = make_scenarios(h, n_scenarios=50, horizon_days=100, seed=3)
    assert plain.tail is None and plain.with_tail() is plain.paths


def test_growth_is_held_after_the_horizon():
    """The tail days only spend what is left of the lots: the level stays where the plan
    ended instead of extrapolating the trend another year."""
    h = synthetic_history(growth=0.0, month_end=1.0, noise_shape=50.0, seed=4)
    sc = make_scenarios(
        h, n_scenarios=200, horizon_days=364, seed=1, growth="+20%/year", tail_days=364
    )
    last_quarter, tail_quarter = sc.paths[:, -91:].mean(), sc.tail[:, -91:].mean()
    # the trend carried on would put the tail's last quarter 20% higher
    assert tail_quarter == pytest.approx(last_quarter, rel=0.06)
    assert tail_quarter < 1.1 * last_quarter


def test_a_burst_of_several_days_is_one_point_of_the_tail_fit():
    """The tail is fitted on the largest day of each run above the threshold: a three-day
    burst is one burst, not three."""
    rng = np.random.default_rng(8)
    days = rng.uniform(0, 1, 400)
    days[[20, 60, 100, 140, 180, 220, 260, 300, 340, 380, 30, 70, 110]] = 1.5
    days[[200, 201, 202]] = [3.0, 4.0, 3.5]
    fitted = fit_day_tail(days)
    assert fitted is not None
    tops = fitted.threshold + fitted.excess
    assert (np.isclose(tops, 4.0)).sum() == 1 and not np.isclose(tops, 3.5).any()


def _bursty_days(rng: np.random.Generator, heavy: bool) -> np.ndarray:
    """A year of season-free days with a dozen bursts: sizes with a ceiling (2 to 6 normal
    days) or heavy-tailed (Pareto index 1.5)."""
    days = rng.gamma(4.0, 0.25, 365)
    starts = rng.choice(360, 12, replace=False)
    sizes = 1.5 + rng.pareto(1.5, 12) * 2 if heavy else rng.uniform(2, 6, 12)
    for t0, size in zip(starts, sizes, strict=True):
        days[t0 : t0 + 2] = size
    return days


def test_a_year_of_bounded_bursts_overrules_the_prior_of_a_heavy_tail():
    """The posterior of the tail shape follows the year: bursts with a ceiling pull it below
    the prior's mean, bursts of every size keep it above."""
    rng = np.random.default_rng(11)
    light, heavy = [], []
    for _ in range(8):
        for out, is_heavy in ((light, False), (heavy, True)):
            fitted = fit_day_tail(_bursty_days(rng, is_heavy))
            out.append(float((fitted.shape_grid * fitted.shape_prob).sum()))
    assert np.mean(light) < TAIL_SHAPE_PRIOR[0] + 0.02
    assert np.mean(light) < np.mean(heavy) - 0.05


def test_a_steady_trend_is_not_a_wander_of_the_level():
    """The floor measures how far the month-long level moved around the trend: a tenant
    growing 40% a year without wandering gets the small floor of a steady one."""
    grown = synthetic_history(growth=0.4, month_end=2.0, noise_shape=20.0, days=365, seed=4)
    steady = synthetic_history(growth=0.0, month_end=2.0, noise_shape=20.0, days=365, seed=4)
    assert _growth_floor(grown.to_numpy()) > 1.4 * _growth_floor(steady.to_numpy())
    detrended = _growth_floor(grown.to_numpy(), math.log1p(0.4))
    assert detrended == pytest.approx(_growth_floor(steady.to_numpy()), rel=0.1)


def test_a_burst_is_not_cut_where_two_weeks_meet():
    """A resampled week that ends in the middle of a burst is followed by the history week
    the burst went on into; without bursts the next week is drawn as any other."""
    from planner.scenarios import _resample_weeks

    n = 364
    dates = pd.date_range("2025-01-06", periods=n, freq="D")
    level = np.arange(n, dtype=float)  # each day's value is its index
    week_starts = np.arange(n % 7, n - 6, 7)
    bursting = np.zeros(n, dtype=bool)
    bursting[[13, 14, 15]] = True  # the week of day 7 ends on day 13, mid-burst
    start = dates[-1] + pd.Timedelta(days=1)

    def next_weeks(mask):
        rng = np.random.default_rng(3)
        paths = _resample_weeks(level, dates, week_starts, start, n, 2000, rng, bursting=mask)
        starts = paths[:, ::7]
        return starts[:, 1:][starts[:, :-1] == 7]

    kept = next_weeks(bursting)
    assert len(kept) > 100 and (kept == 14).all()
    drawn = next_weeks(None)
    assert len(drawn) > 100 and (drawn != 14).mean() > 0.5
    # a burst that ends with its week changes nothing
    bursting[14:] = False
    assert (next_weeks(bursting) != 14).mean() > 0.5
