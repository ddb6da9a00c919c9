"""Run every detector over a tenant's call records and keep the findings of a period.

:func:`detect_alerts` is what ``planner alerts``, the reports, the workbook and
``summary.json`` call: one computation, the same findings everywhere.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from planner.alerts.common import money
from planner.alerts.daily import detect_daily_spend
from planner.alerts.destinations import detect_new_destinations, detect_premium_calls
from planner.alerts.features import call_features, daily_spend
from planner.alerts.hours import detect_out_of_hours
from planner.alerts.model import Alert, Thresholds, severity_rank
from planner.alerts.sequences import detect_repeated_numbers, detect_sequential_dialling
from planner.alerts.sms import detect_sms_pumping
from planner.alerts.users import detect_user_jumps
from planner.analysis import credit_currencies, in_currency, runway_days
from planner.billing import check_billing
from planner.errors import EXIT_ALERT, EXIT_OK, InputError
from planner.text import alert_counts, alert_kind, t

#: the detectors, each a plain function ``(calls, thresholds) -> list[Alert]``
DETECTORS: tuple[Callable[[pd.DataFrame, Thresholds], list[Alert]], ...] = (
    detect_daily_spend,
    detect_user_jumps,
    detect_new_destinations,
    detect_premium_calls,
    detect_out_of_hours,
    detect_sequential_dialling,
    detect_repeated_numbers,
    detect_sms_pumping,
)

#: days of data checked when no ``since`` is given (the last two weeks)
DEFAULT_PERIOD_DAYS = 14

#: days of recent spend that make "the usual rate" of the runway
RUNWAY_RATE_DAYS = 28

#: the runway is simulated this many days ahead; beyond it, "more than a year"
RUNWAY_HORIZON_DAYS = 366

#: columns of :meth:`AlertResult.table`
TABLE_COLUMNS: tuple[str, ...] = (
    "severity", "kind", "first_date", "last_date", "upn", "country", "credit_cents", "currency",
    "calls", "runway_days_at_this_rate", "explanation", "usage_ids",
)  # fmt: skip

#: evidence ids listed per alert in :meth:`AlertResult.table` (all are in the JSON)
TABLE_IDS = 50


@dataclass(frozen=True)
class AlertResult:
    """The findings of a period, most severe and largest first.

    Attributes
    ----------
    alerts
        Alerts whose last date falls in the period (``since`` to ``last_day``).
    since, last_day
        The period checked (UTC dates), ``None`` when there was no call at all.
    first_day
        First date of the data.
    thresholds
        The thresholds used.
    billing
        How the tenant pays (``prepaid`` or ``postpaid``): what the runway of an alert means
        (a post-paid tenant's spend beyond its credits is billed, no balance runs dry).
    """

    alerts: tuple[Alert, ...]
    since: dt.date | None
    first_day: dt.date | None
    last_day: dt.date | None
    thresholds: Thresholds
    billing: str = "prepaid"

    def count(self, severity: str) -> int:
        """Number of alerts of ``severity``."""
        return sum(a.severity == severity for a in self.alerts)

    @property
    def exit_code(self) -> int:
        """3 (alert) when any alert is high, else 0."""
        return EXIT_ALERT if self.count("high") else EXIT_OK

    def status(self) -> str:
        """The one-line status (``planner: ALERT ...`` / ``planner: OK ...``), in the
        language in use but for ``planner: OK`` / ``planner: ALERT`` (scripts match them)."""
        period = (
            t("{first} to {last}", first=self.since, last=self.last_day)
            if self.since
            else t("no calls")
        )
        counts = alert_counts(self.count)
        if not self.count("high"):
            return "planner: OK " + t(
                "no high alert ({counts}) in {period}", counts=counts, period=period
            )
        top = self.alerts[0]
        return "planner: ALERT " + t(
            "{counts} in {period}; largest: {kind} {who} {amount} from {day}",
            counts=counts,
            period=period,
            kind=alert_kind(top.kind),
            who=" ".join(x for x in (top.upn, top.country) if x),
            amount=money(top.amount_cents, top.currency),
            day=top.first_date,
        )

    def to_json(self) -> dict[str, Any]:
        """``{"alerts": [...], "since", "last_day", "counts", "exit_code", "status",
        "thresholds"}`` (amounts as exact decimals: serialise with ``default=float``)."""
        return {
            "alerts": [a.to_json() for a in self.alerts],
            "since": self.since.isoformat() if self.since else None,
            "last_day": self.last_day.isoformat() if self.last_day else None,
            "counts": {s: self.count(s) for s in ("high", "medium", "low")},
            "exit_code": self.exit_code,
            "status": self.status(),
            "thresholds": self.thresholds.to_json(),
            "billing": self.billing,
        }

    def table(self) -> pd.DataFrame:
        """One row per alert (:data:`TABLE_COLUMNS`): dates as datetime64, ``credit_cents``
        the amount in exact cents, ``usage_ids`` the first :data:`TABLE_IDS` ids."""
        rows = []
        for a in self.alerts:
            ids = ", ".join(a.usage_ids[:TABLE_IDS])
            if len(a.usage_ids) > TABLE_IDS:
                ids += f" … ({len(a.usage_ids)} calls)"
            rows.append(
                {
                    **{k: getattr(a, k) for k in TABLE_COLUMNS if hasattr(a, k)},
                    "credit_cents": a.amount_cents,
                    "usage_ids": ids,
                }
            )
        frame = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
        for col in ("first_date", "last_date"):
            frame[col] = pd.to_datetime(frame[col]).astype("datetime64[ns]")
        return frame.astype(
            {"credit_cents": "int64", "calls": "int64", "runway_days_at_this_rate": "Int64"}
        )


def parse_day(value: Any, name: str) -> dt.date | None:
    """A date-like value or ``YYYY-MM-DD`` text as a date (``None`` stays ``None``)."""
    if value is None or value == "":
        return None
    try:
        return pd.Timestamp(value).date()
    except (ValueError, TypeError):
        raise ValueError(f"{name}: not a date (YYYY-MM-DD): {value!r}") from None


def detect_all(calls: pd.DataFrame, thresholds: Thresholds | None = None) -> list[Alert]:
    """Every detector over one currency's :func:`~planner.alerts.features.call_features`,
    over the whole history (each day judged against the days before it)."""
    t = thresholds or Thresholds()
    found: list[Alert] = []
    for detector in DETECTORS:
        found.extend(detector(calls, t))
    return found


def _with_runway(alerts: list[Alert], calls: pd.DataFrame, lots: pd.DataFrame) -> list[Alert]:
    daily = daily_spend(calls)
    usual = float(daily.tail(RUNWAY_RATE_DAYS).mean()) if len(daily) else 0.0
    start = pd.Timestamp(daily.index.max()) + pd.Timedelta(days=1) if len(daily) else None
    if start is None:
        return alerts
    if len(lots):
        start = max(start, pd.Timestamp(lots["purchase_date"].max()))
    out = []
    for a in alerts:
        rate = (usual + a.amount_cents / a.days) / 100.0
        path = np.full((1, RUNWAY_HORIZON_DAYS), rate)
        days = runway_days(path, start, lots)[0]
        out.append(replace(a, runway_days_at_this_rate=int(days) if np.isfinite(days) else None))
    return out


def detect_alerts(
    records: pd.DataFrame,
    thresholds: Thresholds | None = None,
    *,
    since: Any = None,
    lots: pd.DataFrame | None = None,
    billing: str = "prepaid",
) -> AlertResult:
    """Run every detector over call records and keep the alerts of the period checked.

    Parameters
    ----------
    records
        Canonical call records (:mod:`planner.schema`), e.g. ``read_exports(...).records``.
    thresholds
        What counts as abnormal (default :class:`Thresholds`).
    since
        First UTC date of the period checked (date-like or ``YYYY-MM-DD``); default: the last
        14 days of data. Baselines always use all the history before each day.
    lots
        Today's balance (:func:`planner.inputs.read_lots`): each alert then gets
        ``runway_days_at_this_rate``.
    billing
        ``prepaid`` or ``postpaid`` (:data:`planner.billing.BILLING_MODES`): how the result
        speaks of that runway.

    Returns
    -------
    AlertResult

    Raises
    ------
    InputError
        An unknown billing mode.
    """
    check_billing(billing)
    t = thresholds or Thresholds()
    since_day = parse_day(since, "since")
    currencies: list[str | None] = [*credit_currencies(records)] or [None]
    alerts: list[Alert] = []
    first: pd.Timestamp | None = None
    last: pd.Timestamp | None = None
    for currency in currencies:
        part = records if currency is None else in_currency(records, currency)
        calls = call_features(part, t.premium_cents_per_minute)
        if calls.empty:
            continue
        days = pd.Timestamp(calls["date"].min()), pd.Timestamp(calls["date"].max())
        first = days[0] if first is None else min(first, days[0])
        last = days[1] if last is None else max(last, days[1])
        found = detect_all(calls, t)
        if lots is not None:
            found = _with_runway(found, calls, lots)
        alerts.extend(found)
    if first is None or last is None:
        return AlertResult((), None, None, None, t, billing)
    last_day = pd.Timestamp(last).date()
    if since_day is None:
        since_day = last_day - dt.timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    # with several currencies, a finding on calls without money is found once per currency
    unique = {(a.kind, a.upn, a.country, a.usage_ids, a.amount_cents or None): a for a in alerts}
    kept = [a for a in unique.values() if a.last_date >= since_day]
    kept.sort(key=lambda a: (severity_rank(a.severity), -a.amount_cents, a.first_date, a.kind))
    return AlertResult(tuple(kept), since_day, pd.Timestamp(first).date(), last_day, t, billing)


def checked_period(result: AlertResult) -> AlertResult:
    """``result``, refused when the period checked starts after the last day of data: a
    ``--since`` in the wrong year would otherwise report no alert, run after run.

    Raises
    ------
    InputError
        ``since`` is after ``last_day``.
    """
    if result.since and result.last_day and result.since > result.last_day:
        raise InputError(
            "--since {since} is after the last day of the data ({last_day}): nothing would be "
            "checked; give a day up to {last_day}",
            since=result.since,
            last_day=result.last_day,
        )
    return result
