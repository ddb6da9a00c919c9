"""SMS pumping: many outbound SMS segments to one number range in a short time.

Artificially inflated traffic ("SMS pumping", "toll fraud over SMS") makes a tenant's number
send messages, usually one-time codes requested by a bot through a web form, to a block of
numbers whose operator shares the revenue. Its signature in the SMS log is a *run*: outbound
segments (``sms_out`` rows of Teams Phone SMS, :mod:`planner.schema`) to numbers of one range
(all but the last four digits, :func:`~planner.alerts.sequences.number_range`), each within
``sms_gap_minutes`` of the previous one, from any user of the tenant. A run of at least
``sms_segments`` segments reaching ``sms_numbers`` distinct numbers is pumping: a
conversation goes to one number, a notification campaign to numbers of every range.

Teams Phone SMS is billed per segment beyond the plan's pooled allowance and no policy caps it
(``docs/billing.md``), so the pattern is the evidence: a run that cost money is high whatever
its amount; one still inside the allowance (no charge yet) is medium.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner import text
from planner.alerts.common import Context, day_text, main_share, make_alert, money
from planner.alerts.model import Alert, Thresholds
from planner.alerts.sequences import number_range


def sms_runs(calls: pd.DataFrame, t: Thresholds) -> pd.DataFrame:
    """Outbound SMS rows with a known number range, sorted by range and time, with ``range``
    and ``run`` columns (same range, each within ``sms_gap_minutes`` of the previous)."""
    sent = calls[calls["sms"] & calls["call_type"].eq("sms_out").fillna(False)].copy()
    sent["range"] = number_range(sent["callee_number"])
    sent = sent[sent["range"].notna()].sort_values(["range", "start"], kind="stable")
    same_range = sent["range"].eq(sent["range"].shift()).fillna(False).to_numpy(bool)
    gap = sent["start"].diff().dt.total_seconds().to_numpy() / 60.0
    close = np.nan_to_num(gap, nan=np.inf) <= t.sms_gap_minutes
    sent["run"] = np.cumsum(~(same_range & close))
    return sent


def detect_sms_pumping(calls: pd.DataFrame, t: Thresholds | None = None) -> list[Alert]:
    """Runs of at least ``sms_segments`` outbound segments to ``sms_numbers`` or more
    numbers of one range."""
    t = t or Thresholds()
    if calls.empty or not calls["sms"].any():
        return []
    ctx = Context.of(calls)
    sent = sms_runs(calls, t)
    runs = sent.groupby("run").agg(
        segments=("segments", "sum"), numbers=("callee_number", "nunique")
    )
    big = (runs["segments"] >= t.sms_segments) & (runs["numbers"] >= t.sms_numbers)
    alerts = []
    for run in runs.index[big.to_numpy()]:
        evidence = sent[sent["run"] == run]
        day = evidence["date"].min()
        if not ctx.warmed_up(day, t):
            continue
        cost = int(evidence["cents"].sum())
        severity = "high" if cost > 0 else "medium"
        upn, users = main_share(evidence, "upn")
        minutes = (evidence["start"].max() - evidence["start"].min()).total_seconds() / 60.0
        words = text.t(
            "{segments} SMS segments to {numbers} numbers of the range {range}... in "
            "{minutes} minutes on {day} (sent by {users}), costing {cost}: SMS pumping, "
            "messages a bot makes the tenant send to numbers that share the revenue.",
            segments=text.number(runs.loc[run, "segments"]),
            numbers=text.number(runs.loc[run, "numbers"]),
            range=evidence["range"].iloc[0],
            minutes=text.number(minutes, 0),
            day=day_text(day),
            users=users,
            cost=money(cost, ctx.currency),
        )
        alerts.append(make_alert("sms_pumping", severity, evidence, ctx, words, upn=upn,
                                 country=None))  # fmt: skip
    return alerts
