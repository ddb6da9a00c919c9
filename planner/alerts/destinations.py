"""Destinations never called before that now cost money, and premium-rate calls.

A country is *new* on the day of its first outbound call in the data, provided the data
already held ``warmup_days`` of history; the calls to it over the next
``new_destination_days`` days form one finding. Premium-rate calls are those to a premium
number range (:data:`~planner.alerts.features.PREMIUM_PREFIXES`), to a number whose type or
destination name says "premium", or charged ``premium_cents_per_minute`` or more per started
minute.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner import text
from planner.alerts.common import (
    Context,
    beyond_largest,
    day_text,
    main_share,
    make_alert,
    money,
    runs,
)
from planner.alerts.model import Alert, Thresholds


def first_called(calls: pd.DataFrame) -> pd.Series:
    """UTC date of the first outbound call to each destination country."""
    out = calls[calls["outbound"] & calls["country"].notna()]
    return out.groupby("country")["date"].min()


def detect_new_destinations(calls: pd.DataFrame, t: Thresholds | None = None) -> list[Alert]:
    """Countries first called after the warm-up, with the credit spend of their first days.

    High when their calls cost a material amount (:meth:`Context.grade`) within the first
    ``new_destination_days``: a first call to a new country is ordinary, a first day that
    already costs more than the typical day is not.
    """
    t = t or Thresholds()
    if calls.empty:
        return []
    ctx = Context.of(calls)
    first = first_called(calls)
    alerts = []
    for country, day in first.items():
        if not ctx.warmed_up(day, t):
            continue
        end = day + pd.Timedelta(days=t.new_destination_days)
        sel = (
            calls["country"].eq(str(country)).fillna(False)
            & calls["outbound"]
            & (calls["date"] >= day)
            & (calls["date"] < end)
        )
        evidence = calls[sel]
        cost = evidence["cents"].sum()
        if cost <= 0:
            continue
        severity = ctx.grade(day, beyond_largest(evidence["cents"]), True, t)
        upn, users = main_share(evidence, "upn")
        history = (day - ctx.first_day).days
        words = text.t(
            "First calls ever to {country} in {history} days of history, from {day}: {calls} "
            "in its first {days} days cost {cost}, by user: {users}.",
            country=country,
            history=history,
            day=day_text(day),
            calls=text.nt("{n} call", "{n} calls", len(evidence)),
            days=t.new_destination_days,
            cost=money(cost, ctx.currency),
            users=users,
        )
        alerts.append(
            make_alert(
                "new_destination", severity, evidence, ctx, words, upn=upn, country=str(country)
            )
        )
    return alerts


def detect_premium_calls(calls: pd.DataFrame, t: Thresholds | None = None) -> list[Alert]:
    """Premium-rate calls that cost credits, per user and run of consecutive days.

    Premium numbers have little business use: a run of them is at least medium when it cost
    ``medium_cents``, and high when it cost a material amount.
    """
    t = t or Thresholds()
    paid = calls[calls["premium"] & (calls["cents"] > 0)]
    if paid.empty:
        return []
    ctx = Context.of(calls)
    alerts = []
    for upn, group in paid.groupby("upn", sort=True):
        run_of = runs(group["date"])
        for r in np.unique(run_of):
            evidence = group[run_of == r]
            cost = evidence["cents"].sum()
            day = evidence["date"].min()
            severity = ctx.grade(day, beyond_largest(evidence["cents"]), True, t)
            country, countries = main_share(evidence, "country")
            minutes = max(1.0, evidence["duration_s"].sum() / 60.0)
            numbers = evidence["callee_number"].astype("string").dropna().unique()
            shown = ", ".join(str(n) for n in numbers[:3]) + (" ..." if len(numbers) > 3 else "")
            words = text.t(
                "{upn} made {calls} from {first} to {last} ({numbers}; by destination: "
                "{countries}): {cost} for {minutes} minutes, {rate} a minute.",
                upn=upn,
                calls=text.nt("{n} premium-rate call", "{n} premium-rate calls", len(evidence)),
                first=day_text(day),
                last=day_text(evidence["date"].max()),
                numbers=shown,
                countries=countries,
                cost=money(cost, ctx.currency),
                minutes=text.number(minutes, 0),
                rate=money(cost / minutes, ctx.currency),
            )
            alerts.append(
                make_alert(
                    "premium_rate", severity, evidence, ctx, words, upn=str(upn), country=country
                )
            )
    return alerts
