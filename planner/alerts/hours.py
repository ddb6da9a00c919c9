"""Bursts of calls out of business hours and on weekends, in the user's local time.

Local time comes from the user's country (:data:`~planner.alerts.features.COUNTRY_TIME_ZONES`).
Only calls that reach abroad or cost credits count: a burst of domestic calls inside a plan
costs nothing. A *session* is one night (from the end of business hours to their start the
next morning) or one weekend day; ``night_calls`` or more counted calls by one user in one
session make a burst; bursts on consecutive days form one alert. A user who had
:data:`HABIT_BURSTS` bursts or more in their history works such hours: never high.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner import text
from planner.alerts.common import (
    Context,
    beyond_largest,
    main_share,
    make_alert,
    money,
    runs,
)
from planner.alerts.model import Alert, Thresholds

#: days before a burst whose bursts belong to the same incident, not to the user's habits
RECENT_DAYS = 7

#: a user with this many earlier bursts (outside the last week) works such hours: their
#: bursts are reported, but never as high
HABIT_BURSTS = 2


def out_of_hours(local: pd.Series, t: Thresholds) -> np.ndarray:
    """True for local times outside Monday-Friday ``business_start``-``business_end``."""
    hour = local.dt.hour.to_numpy()
    weekend = local.dt.day_of_week.to_numpy() >= 5
    known = local.notna().to_numpy()
    outside = (hour < t.business_start) | (hour >= t.business_end) | weekend
    return known & outside


def session_key(local: pd.Series, t: Thresholds) -> pd.Series:
    """The session of each out-of-hours call: the local date the night began on (calls
    before ``business_start`` belong to the previous evening), or the weekend day."""
    shifted = local - pd.Timedelta(hours=t.business_start)
    return shifted.dt.normalize()


def detect_out_of_hours(calls: pd.DataFrame, t: Thresholds | None = None) -> list[Alert]:
    """Out-of-hours bursts of international or paid outbound calls, one alert per session.

    Strong evidence unless the user is used to such bursts (:func:`_habitual`); severity
    then follows the amount (:meth:`Context.grade`).
    """
    t = t or Thresholds()
    if calls.empty:
        return []
    ctx = Context.of(calls)
    counted = calls["outbound"] & (calls["international"] | (calls["cents"] > 0))
    sel = counted.to_numpy() & out_of_hours(calls["local"], t)
    night = calls[sel].copy()
    if night.empty:
        return []
    night["session"] = session_key(night["local"], t)
    sizes = night.groupby(["upn", "session"]).size().rename("n").reset_index()
    bursts = sizes[sizes["n"] >= t.night_calls].sort_values(["upn", "session"], kind="stable")
    alerts = []
    for upn, group in bursts.groupby("upn", sort=True):
        run_of = runs(group["session"])
        for r in np.unique(run_of):
            sessions = group[run_of == r]
            alert = _run_alert(night, sessions, bursts, str(upn), ctx, t)
            if alert is not None:
                alerts.append(alert)
    return alerts


def _habitual(bursts: pd.DataFrame, upn: str, session: pd.Timestamp, t: Thresholds) -> int:
    """Earlier bursts of the user within ``history_days``, leaving out the last week."""
    mine = bursts[bursts["upn"].eq(upn)]
    lo = session - pd.Timedelta(days=t.history_days)
    hi = session - pd.Timedelta(days=RECENT_DAYS)
    return int(((mine["session"] >= lo) & (mine["session"] < hi)).sum())


def _run_alert(night, sessions, bursts, upn: str, ctx: Context, t: Thresholds) -> Alert | None:
    evidence = night[night["upn"].eq(upn) & night["session"].isin(sessions["session"])]
    first = evidence["date"].min()
    if not ctx.warmed_up(first, t):
        return None
    grades = []
    for row in sessions.itertuples():
        part = evidence[evidence["session"].eq(row.session)]
        habit = _habitual(bursts, upn, row.session, t)
        strong = habit < HABIT_BURSTS
        grades.append(ctx.grade(part["date"].min(), beyond_largest(part["cents"]), strong, t))
    severity = min(grades, key=["high", "medium", "low"].index)
    habit = _habitual(bursts, upn, sessions["session"].iloc[0], t)
    return _burst_alert(evidence, upn, habit, len(sessions), severity, ctx, t)


def _burst_alert(evidence, upn: str, habit: int, nights: int, severity: str, ctx: Context,
                 t: Thresholds) -> Alert:  # fmt: skip
    country, countries = main_share(evidence, "country")
    local = evidence["local"]
    zone_country = evidence["user_location"].iloc[0]
    weekend = local.dt.day_of_week.to_numpy() >= 5
    when = text.t("on a weekend") if weekend.all() else text.t("at night")
    if nights > 1:
        when += " " + text.t("({n} nights or weekend days in a row)", n=nights)
    first, last = local.min(), local.max()
    words = text.t(
        "{upn} ({zone} local time) made {calls} {when}, between {first} and {last} (business "
        "hours {open}:00-{close}:00 Mon-Fri), costing {cost}; by destination: {countries}. "
        "Earlier bursts of theirs in the previous {days} days (leaving out the last {recent}): "
        "{habit}.",
        upn=upn,
        zone=zone_country,
        calls=text.nt(
            "{n} international or paid call", "{n} international or paid calls", len(evidence)
        ),
        when=when,
        first=f"{text.weekday_name(first)} {first:%Y-%m-%d %H:%M}",
        last=f"{text.weekday_name(last)} {last:%H:%M}",
        open=t.business_start,
        close=t.business_end,
        cost=money(evidence["cents"].sum(), ctx.currency),
        countries=countries,
        days=t.history_days,
        recent=RECENT_DAYS,
        habit=habit,
    )
    return make_alert("out_of_hours", severity, evidence, ctx, words, upn=upn, country=country)
