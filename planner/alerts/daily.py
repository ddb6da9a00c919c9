"""Days whose credit spend is far above what the weekday and the position in the month predict.

A tenant whose Calling Plan pools run out late in the month pays for every call after that
day, so its spend bunches at month end: a day is compared with *comparable* days only — the
same kind of day (Monday to Friday, or weekend) within a few days of the same day of the
month, over the previous six months — so month-end days are measured against earlier
month ends, not against the quiet first half of the month.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner import text
from planner.alerts.common import (
    Context,
    day_text,
    main_share,
    make_alert,
    money,
    runs,
    times,
)
from planner.alerts.features import daily_spend
from planner.alerts.model import Alert, Thresholds

#: fewest comparable days a day needs; with fewer, every same-kind day of the history counts
MIN_COMPARABLE = 6

#: percentile of the comparable days' spend that a day is measured against
REFERENCE_PERCENTILE = 90

#: smallest reference (cents): a day is not "3 times" a history of near-zero days for 0.10
REFERENCE_FLOOR_CENTS = 100


def comparable_reference(daily: pd.Series, t: Thresholds) -> pd.DataFrame:
    """For each day: the 90th percentile of its comparable days' spend and how many there were.

    Parameters
    ----------
    daily
        Credit spend in cents per consecutive UTC day (:func:`~planner.alerts.features.daily_spend`).

    Returns
    -------
    DataFrame
        Index = ``daily``'s days; ``reference`` (float cents, NaN without history) and
        ``comparable`` (int: days it rests on).
    """
    days = pd.DatetimeIndex(daily.index)
    spend = daily.to_numpy(dtype="float64")
    weekend = days.day_of_week.to_numpy() >= 5
    dom = days.day.to_numpy()
    reference = np.full(len(days), np.nan)
    count = np.zeros(len(days), dtype=np.int64)
    for i in range(len(days)):
        lo = max(0, i - t.comparable_days)
        kind = weekend[lo:i] == weekend[i]
        near = kind & (np.abs(dom[lo:i] - dom[i]) <= t.day_window)
        if near.sum() < MIN_COMPARABLE:
            near = kind
        if near.any():
            reference[i] = np.percentile(spend[lo:i][near], REFERENCE_PERCENTILE)
            count[i] = int(near.sum())
    return pd.DataFrame({"reference": reference, "comparable": count}, index=days)


def detect_daily_spend(calls: pd.DataFrame, t: Thresholds | None = None) -> list[Alert]:
    """Days of abnormal tenant credit spend, consecutive days merged into one alert.

    A day is flagged when its spend is at least ``day_ratio`` times the reference of its
    comparable days (:func:`comparable_reference`); its severity is graded on the spend above
    the reference less the day's most expensive call (:func:`beyond_largest`).

    Parameters
    ----------
    calls
        :func:`~planner.alerts.features.call_features` of one currency.
    """
    t = t or Thresholds()
    if calls.empty:
        return []
    ctx = Context.of(calls)
    daily = daily_spend(calls)
    ref = comparable_reference(daily, t)
    floor = np.maximum(ref["reference"].to_numpy(), REFERENCE_FLOOR_CENTS)
    spend = daily.to_numpy(dtype="float64")
    warm = ctx.warm(daily.index, t)
    flagged = warm & ~np.isnan(ref["reference"].to_numpy()) & (spend >= t.day_ratio * floor)
    if not flagged.any():
        return []
    days = daily.index[flagged]
    alerts = []
    run_of = runs(pd.Series(days))
    for r in np.unique(run_of):
        run_days = days[run_of == r]
        alerts.append(_day_alert(calls, daily, ref, run_days, ctx, t))
    return alerts


def _day_alert(calls, daily, ref, run_days, ctx: Context, t: Thresholds) -> Alert:
    excess = {d: daily[d] - max(ref.at[d, "reference"], 0.0) for d in run_days}
    paid = calls[calls["cents"] > 0]
    largest = paid[paid["date"].isin(run_days)].groupby("date")["cents"].max()
    grades = [ctx.grade(d, excess[d] - largest.get(d, 0), True, t) for d in run_days]
    severity = min(grades, key=["high", "medium", "low"].index)
    peak = max(run_days, key=lambda d: excess[d])
    in_run = calls["date"].isin(run_days) & (calls["cents"] > 0)
    evidence = calls[in_run]
    upn, users = main_share(evidence, "upn")
    country, countries = main_share(evidence, "country")
    reference = max(ref.at[peak, "reference"], REFERENCE_FLOOR_CENTS)
    comparable = int(ref.at[peak, "comparable"])
    if len(run_days) == 1:
        span = text.t("On {day}", day=day_text(peak))
    else:
        span = text.t(
            "Over {n} days from {first}, peaking on {peak},",
            n=len(run_days),
            first=day_text(run_days[0]),
            peak=day_text(peak),
        )
    kind_of_day = (
        text.nt("{n} weekend day", "{n} weekend days", comparable)
        if peak.day_of_week >= 5
        else text.nt("{n} weekday", "{n} weekdays", comparable)
    )
    words = text.t(
        "{span} credits paid {paid}, {times} what comparable days cost (90th percentile of "
        "{days} within {window} days of day {dom} of the month, previous {previous} days: "
        "{reference}). {calls}; spend by user: {users}; by destination: {countries}.",
        span=span,
        paid=money(daily[peak], ctx.currency),
        times=times(daily[peak] / reference),
        days=kind_of_day,
        window=t.day_window,
        dom=peak.day,
        previous=t.comparable_days,
        reference=money(reference, ctx.currency),
        calls=text.nt("{n} paid call", "{n} paid calls", len(evidence)),
        users=users,
        countries=countries,
    )
    return make_alert("daily_spend", severity, evidence, ctx, words, upn=upn, country=country)
