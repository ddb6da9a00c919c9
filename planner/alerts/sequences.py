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

from planner.alerts.common import Context, beyond_largest, count_of, day_text, make_alert, money
from planner.alerts.model import Alert, Thresholds

#: trailing characters of a number ignored when comparing number ranges
RANGE_DIGITS = 4


def number_range(numbers: pd.Series) -> pd.Series:
    """The number without its last :data:`RANGE_DIGITS` characters (digits or the ``*`` of
    masked exports), ``<NA>`` for numbers too short to have a range."""
    text = numbers.astype("string").str.replace(" ", "", regex=False)
    short = text.str.len() <= RANGE_DIGITS + 3
    return text.str.slice(0, -RANGE_DIGITS).mask(short.fillna(True))


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
        text = (
            f"{upn} made {count_of(len(evidence), 'short calls')} in a row (each at most "
            f"{t.sequence_seconds} s, {span:.0f} minutes in all) on {day_text(day)} to "
            f"{distinct} {'masked ' if masked else ''}number(s) of the range "
            f"{evidence['range'].iloc[0]}... ({country or 'unknown country'}), from "
            f"{numbers.iloc[0]} to {numbers.iloc[-1]}, costing {money(cost, ctx.currency)}."
        )
        alerts.append(
            make_alert(
                "sequential_dialling", severity, evidence, ctx, text, upn=upn, country=country
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
        text = (
            f"{upn} called the same international number {number} ({country or 'unknown'}) "
            f"{len(evidence)} times on {day_text(day)} ({types}), {minutes:.0f} minutes in "
            f"all, costing {money(cost, ctx.currency)}: a forwarding loop or a dialler stuck "
            f"on one number."
        )
        alerts.append(
            make_alert("repeated_number", severity, evidence, ctx, text, upn=upn, country=country)
        )
    return alerts
