"""Many calls to the same destination in a row: sequential dialling and forwarding loops.

*Sequential dialling* is a run of short outbound calls by one user, each within
``sequence_gap_minutes`` of the previous one, to numbers of the same range (all but the last
four digits, which exports may mask with ``*``): someone probing a number range, or a
compromised account dialling through a list. The pattern is the evidence, and each call is
cheap, so a run reaching ``sequence_calls`` calls abroad (or to premium numbers) that cost
credits is high whatever its amount.

A *repeated number* is ``repeat_calls`` or more international calls by one user (or voice
app) to one number in one UTC day: the signature of a forwarding loop, where every forwarded
leg is billed again; high once it costs a material amount.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner import text
from planner.alerts.common import Context, beyond_largest, day_text, make_alert, money
from planner.alerts.model import Alert, Thresholds

#: trailing characters of a number ignored when comparing number ranges
RANGE_DIGITS = 4


def number_range(numbers: pd.Series) -> pd.Series:
    """The number without its last :data:`RANGE_DIGITS` characters (digits or the ``*`` of
    masked exports), ``<NA>`` for numbers too short to have a range."""
    compact = numbers.astype("string").str.replace(" ", "", regex=False)
    short = compact.str.len() <= RANGE_DIGITS + 3
    return compact.str.slice(0, -RANGE_DIGITS).mask(short.fillna(True))


def sequence_runs(calls: pd.DataFrame, t: Thresholds) -> pd.DataFrame:
    """Short outbound calls with a ``run`` id: same user, same number range, in a row.

    Returns the short outbound calls (``duration_s <= sequence_seconds``) with a known number
    range, sorted by user and time, with ``range`` and ``run`` columns.
    """
    short = calls[calls["outbound"] & (calls["duration_s"] <= t.sequence_seconds)].copy()
    short["range"] = number_range(short["callee_number"])
    short = short[short["range"].notna()]
    short = short.sort_values(["upn", "start"], kind="stable")
    same_user = short["upn"].eq(short["upn"].shift()).to_numpy()
    same_range = short["range"].eq(short["range"].shift()).fillna(False).to_numpy(bool)
    gap = short["start"].diff().dt.total_seconds().to_numpy() / 60.0
    close = np.nan_to_num(gap, nan=np.inf) <= t.sequence_gap_minutes
    short["run"] = np.cumsum(~(same_user & same_range & close))
    return short


def detect_sequential_dialling(calls: pd.DataFrame, t: Thresholds | None = None) -> list[Alert]:
    """Runs of at least ``sequence_calls`` short calls to one number range."""
    t = t or Thresholds()
    if calls.empty:
        return []
    ctx = Context.of(calls)
    short = sequence_runs(calls, t)
    sizes = short.groupby("run").size()
    alerts = []
    for run in sizes.index[sizes.to_numpy() >= t.sequence_calls]:
        evidence = short[short["run"] == run]
        day = evidence["date"].min()
        if not ctx.warmed_up(day, t):
            continue
        numbers = evidence["callee_number"].astype("string")
        masked = numbers.str.contains("*", regex=False).fillna(False).any()
        distinct = numbers.nunique()
        varied = masked or distinct * 2 >= len(evidence)
        abroad = bool(evidence["international"].all() or evidence["premium"].any())
        cost = evidence["cents"].sum()
        severity = ctx.grade(day, cost, varied, t)
        if varied and abroad and cost > 0:
            severity = "high"
        upn = str(evidence["upn"].iloc[0])
        known = evidence["country"].dropna()
        country = str(known.mode().iloc[0]) if len(known) else None
        span = (evidence["start"].max() - evidence["start"].min()).total_seconds() / 60.0
        words = text.t(
            "{upn} made {calls} in a row (each at most {seconds} s, {minutes} minutes in all) "
            "on {day} to {numbers} of the range {range}... ({country}), from {first} to {last}, "
            "costing {cost}.",
            upn=upn,
            calls=text.nt("{n} short call", "{n} short calls", len(evidence)),
            seconds=t.sequence_seconds,
            minutes=text.number(span, 0),
            day=day_text(day),
            numbers=(
                text.nt("{n} masked number", "{n} masked numbers", distinct)
                if masked
                else text.nt("{n} number", "{n} numbers", distinct)
            ),
            range=evidence["range"].iloc[0],
            country=country or text.t("unknown country"),
            first=numbers.iloc[0],
            last=numbers.iloc[-1],
            cost=money(cost, ctx.currency),
        )
        alerts.append(
            make_alert(
                "sequential_dialling", severity, evidence, ctx, words, upn=upn, country=country
            )
        )
    return alerts


def detect_repeated_numbers(calls: pd.DataFrame, t: Thresholds | None = None) -> list[Alert]:
    """At least ``repeat_calls`` international calls from one user to one number in a day."""
    t = t or Thresholds()
    abroad = calls[calls["outbound"] & calls["international"] & calls["callee_number"].notna()]
    if abroad.empty:
        return []
    ctx = Context.of(calls)
    keys = ["upn", "callee_number", "date"]
    sizes = abroad.groupby(keys, sort=True).size()
    alerts = []
    for upn, number, day in sizes.index[sizes.to_numpy() >= t.repeat_calls]:
        if not ctx.warmed_up(day, t):
            continue
        sel = abroad["upn"].eq(upn) & abroad["callee_number"].eq(number) & abroad["date"].eq(day)
        evidence = abroad[sel]
        cost = evidence["cents"].sum()
        severity = ctx.grade(day, beyond_largest(evidence["cents"]), True, t)
        types = ", ".join(sorted(evidence["call_type"].dropna().astype(str).unique()))
        known = evidence["country"].dropna()
        country = str(known.mode().iloc[0]) if len(known) else None
        minutes = evidence["duration_s"].sum() / 60.0
        words = text.t(
            "{upn} called the same international number {number} ({country}) {n} times on "
            "{day} ({types}), {minutes} minutes in all, costing {cost}: a forwarding loop or a "
            "dialler stuck on one number.",
            upn=upn,
            number=number,
            country=country or text.t("unknown"),
            n=len(evidence),
            day=day_text(day),
            types=types,
            minutes=text.number(minutes, 0),
            cost=money(cost, ctx.currency),
        )
        alerts.append(
            make_alert("repeated_number", severity, evidence, ctx, words, upn=upn, country=country)
        )
    return alerts
