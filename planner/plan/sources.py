"""A plan's data: the call records, the alerts over them, and the demand drawn from them.

Fraud is not demand. A prepaid balance that runs dry during toll fraud caps the loss; the
levers made for fraud are alerts and per-user spend limits, not a larger balance. So the calls
that **high** alerts name (:mod:`planner.alerts`, every day of the history judged against the
days before it) are left out of the history the plan is drawn from, and :class:`LeftOut` says
how much, on which days and why. ``keep_alert_spend`` keeps them. An abnormal day
of the tenant or of one user (``daily_spend``, ``user_jump``) flags every call of that day,
legitimate ones included: it makes the verdict an ALERT but leaves nothing out by itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from planner import money
from planner.alerts import AlertResult, detect_alerts
from planner.alerts.run import DEFAULT_PERIOD_DAYS
from planner.analysis.records import record_gaps
from planner.demand import DemandResult
from planner.errors import InputError
from planner.ingest import read_exports
from planner.plan.pipeline import demand_from_records, load_lots

__all__ = ["DAY_KINDS", "DemandSource", "LeftOut", "read_demand"]

#: alert kinds that flag all the calls of a day (the tenant's, or one user's) rather than
#: the calls at fault
DAY_KINDS: frozenset[str] = frozenset({"daily_spend", "user_jump"})


@dataclass(frozen=True)
class LeftOut:
    """Spend the high alerts flag, left out of the demand the plan is drawn from.

    Attributes
    ----------
    amount_cents : int
        Demand left out, in cents of ``currency`` (what the flagged calls add to the demand).
    currency : str
    first_date, last_date : datetime.date
        First and last day with demand left out.
    kinds : tuple of str
        The alert kinds that flagged it (``premium_rate``, ``out_of_hours``, ...).
    calls : int
        Calls left out.
    """

    amount_cents: int
    currency: str
    first_date: dt.date
    last_date: dt.date
    kinds: tuple[str, ...]
    calls: int

    def to_json(self) -> dict[str, Any]:
        """Plain values; the amount as a decimal with two places."""
        return {
            "amount": float(money.units(self.amount_cents)),
            "currency": self.currency,
            "first_date": self.first_date.isoformat(),
            "last_date": self.last_date.isoformat(),
            "kinds": list(self.kinds),
            "calls": self.calls,
        }


@dataclass(frozen=True)
class DemandSource:
    """What a plan read: the daily ``history`` planned from and its ``currency``; from
    exports also the ``records``, their ``demand`` (alert spend left out), the ``alerts`` of the last
    :data:`~planner.alerts.run.DEFAULT_PERIOD_DAYS` days (as ``planner alerts`` reports them),
    the ``history_alerts`` of the whole history (what spend limits are weighed against) and
    what was ``left_out`` (None: nothing)."""

    history: pd.Series
    currency: str
    records: pd.DataFrame | None = None
    demand: DemandResult | None = None
    alerts: AlertResult | None = None
    left_out: LeftOut | None = None
    history_alerts: AlertResult | None = None
    #: runs of days without a single call record (an export not downloaded?)
    gaps: tuple[tuple[dt.date, dt.date], ...] = ()


def read_demand(req: Any) -> DemandSource:
    """Read a request's exports, run the alerts, and draw the demand without their spend.

    Parameters
    ----------
    req : planner.plan.PlanRequest
        With ``exports`` set.

    Raises
    ------
    InputError
        The exports hold no call record, or a file cannot be used.
    """
    records = read_exports(list(req.exports), shared=req.shared_dir).records
    if records.empty:
        raise InputError("no call records in {paths}", paths=", ".join(map(str, req.exports)))
    found = detect_alerts(
        records, since=records["start"].min(), lots=load_lots(req.balance), billing=req.billing
    )
    priced = {"licences": req.licences, "rates": req.rates, "user_licences": req.user_licences}
    flagged = {i for a in _call_alerts(found) for i in a.usage_ids}
    left_out = None
    if flagged and not req.keep_alert_spend:
        whole, currency = demand_from_records(records, **priced).series(req.currency)
        kept = records[~records["usage_id"].isin(flagged)].reset_index(drop=True)
        demand = demand_from_records(kept, **priced)
        # the same days as the whole history: a day of fraud alone is a day of no demand
        history = demand.series(currency)[0].reindex(whole.index, fill_value=0.0)
        left_out = _left_out(whole, history, currency, found, flagged)
    else:
        demand = demand_from_records(records, **priced)
        history, currency = demand.series(req.currency)
    return DemandSource(
        records=records,
        demand=demand,
        history=history,
        currency=currency,
        alerts=recent(found),
        left_out=left_out,
        history_alerts=found,
        gaps=tuple(record_gaps(records)),
    )


def _call_alerts(found: AlertResult) -> list:
    """The high alerts that name the calls at fault; an abnormal day of the tenant or of a
    user (:data:`DAY_KINDS`) names every call of that day, legitimate ones included, so it
    leaves nothing out by itself."""
    return [a for a in found.alerts if a.severity == "high" and a.kind not in DAY_KINDS]


def recent(found: AlertResult, days: int = DEFAULT_PERIOD_DAYS) -> AlertResult:
    """The alerts of the last ``days`` days of data (the period ``planner alerts`` checks)."""
    if found.last_day is None:
        return found
    since = found.last_day - dt.timedelta(days=days - 1)
    return replace(found, alerts=tuple(a for a in found.alerts if a.last_date >= since),
                   since=since)  # fmt: skip


def _left_out(
    whole: pd.Series, kept: pd.Series, currency: str, found: AlertResult, flagged: set[str]
) -> LeftOut | None:
    """The demand the flagged calls add: the daily difference between the two histories."""
    diff = (whole.subtract(kept, fill_value=0.0) * 100).round()
    days = diff[diff > 0]
    if days.empty:
        return None
    high = [a for a in _call_alerts(found) if a.currency == currency]
    return LeftOut(
        amount_cents=int(days.sum()),
        currency=currency,
        first_date=days.index.min().date(),
        last_date=days.index.max().date(),
        kinds=tuple(dict.fromkeys(a.kind for a in high)),
        calls=len(flagged),
    )
