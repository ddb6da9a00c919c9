"""The values the alert detectors exchange: :class:`Thresholds` in, :class:`Alert` out.

Money is exact: every amount is integer **cents** of the alert's currency; JSON shows it as a
decimal number with two places (``12.30``).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass, field, fields
from decimal import Decimal
from typing import Any

from planner.money import units

#: severities, most severe first
SEVERITIES: tuple[str, ...] = ("high", "medium", "low")

#: alert kinds, in the order the detectors run (see :mod:`planner.alerts`)
KINDS: tuple[str, ...] = (
    "daily_spend",
    "user_jump",
    "new_destination",
    "premium_rate",
    "out_of_hours",
    "sequential_dialling",
    "repeated_number",
    "sms_pumping",
)


@dataclass(frozen=True)
class Thresholds:
    """What the detectors call abnormal. Every value is settable (``planner alerts --help``).

    Attributes
    ----------
    history_days
        Days of history before a day that its baselines are drawn from (own history, peers,
        comparable days): 91.
    warmup_days
        Days of data needed before anything is called abnormal: before that there is no
        history to compare with, so nothing is reported (28).
    high_cents
        Smallest credit spend (cents) of a **high** alert: 20.00. It is raised to
        ``high_share`` of the typical day's spend for large tenants.
    high_share
        A high alert also involves at least this share of a typical day's credit spend (the
        mean of the previous 28 days): 0.5.
    medium_cents
        Smallest credit spend of a **medium** alert: 5.00 (below: low).
    day_ratio
        A day is abnormal when its credit spend is this many times the 90th percentile of
        comparable days (same kind of day, weekday or weekend, within ``day_window`` days of
        the same day of the month, in the previous ``comparable_days``): 3.
    day_window
        Days of the month either side counted as "the same position in the month": 7.
    comparable_days
        Days of history searched for comparable days: 182.
    user_ratio
        A user's day is abnormal when its credit spend (or international minutes, or calls)
        is this many times both the user's own busiest day in ``history_days`` (leaving out
        the last week) and the 90th percentile of the busiest days of the users in the same
        country: 4.
    user_floor_minutes, user_floor_calls
        Baselines below these are raised to them (a user who never called abroad is not
        "infinitely" above their history after one call): 30 minutes, 10 calls.
    new_destination_days
        Days after a country's first call during which its calls count as a new destination: 7.
    premium_cents_per_minute
        A call charged at least this per started minute (cents) counts as premium-rate: 1.00,
        as do premium number prefixes and numbers whose type names a premium service.
    business_start, business_end
        Local business hours (user's country time zone), Monday to Friday: 7 to 20.
    night_calls
        Out-of-hours international or paid calls by one user in one night or weekend day that
        make a burst: 5.
    sequence_calls
        Calls in a row to the same destination number range (all but the last 4 digits) that
        make sequential dialling: 8.
    sequence_seconds
        Longest call counted in such a run: 60 seconds.
    sequence_gap_minutes
        Longest pause between two calls of one run: 10 minutes.
    repeat_calls
        Calls by one user to the same international number in one day that make a loop: 10.
    sms_segments
        Outbound SMS segments to one number range (all but the last 4 digits), each within
        ``sms_gap_minutes`` of the previous one, that make SMS pumping: 100.
    sms_numbers
        Distinct numbers of the range such a run must reach: 10 (one contact texted a lot is
        a conversation, not pumping).
    sms_gap_minutes
        Longest pause between two messages of one run: 10 minutes.
    """

    history_days: int = 91
    warmup_days: int = 28
    high_cents: int = 2000
    high_share: float = 0.5
    medium_cents: int = 500
    day_ratio: float = 3.0
    day_window: int = 7
    comparable_days: int = 182
    user_ratio: float = 4.0
    user_floor_minutes: float = 30.0
    user_floor_calls: int = 10
    new_destination_days: int = 7
    premium_cents_per_minute: int = 100
    business_start: int = 7
    business_end: int = 20
    night_calls: int = 5
    sequence_calls: int = 8
    sequence_seconds: int = 60
    sequence_gap_minutes: float = 10.0
    repeat_calls: int = 10
    sms_segments: int = 100
    sms_numbers: int = 10
    sms_gap_minutes: float = 10.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{f.name}: a number is needed, got {value!r}")
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{f.name}: must be a finite number >= 0, got {value!r}")
        positive = ("history_days", "day_ratio", "user_ratio", "comparable_days")
        for name in positive:
            if getattr(self, name) <= 0:
                raise ValueError(f"{name}: must be > 0, got {getattr(self, name)!r}")
        for name in (
            "night_calls",
            "sequence_calls",
            "repeat_calls",
            "sms_segments",
            "sms_numbers",
        ):
            if getattr(self, name) < 2:
                raise ValueError(f"{name}: must be at least 2 calls, got {getattr(self, name)!r}")
        if not 0 <= self.business_start < self.business_end <= 24:
            raise ValueError(
                f"business_start, business_end: need 0 <= start < end <= 24, got "
                f"{self.business_start}, {self.business_end}"
            )
        if self.medium_cents > self.high_cents:
            raise ValueError(
                f"medium_cents: must not exceed high_cents ({self.high_cents}), "
                f"got {self.medium_cents}"
            )

    def to_json(self) -> dict[str, Any]:
        """The thresholds as plain JSON values."""
        return asdict(self)


@dataclass(frozen=True)
class Alert:
    """One finding: what happened, who, where, how much, and the calls that show it.

    Attributes
    ----------
    severity
        ``high`` | ``medium`` | ``low``.
    kind
        One of :data:`KINDS`.
    first_date, last_date
        UTC dates of the first and last call involved.
    upn
        The user (lower-case UPN) or ``None`` when the finding is not one user's.
    country
        ISO 3166-1 alpha-2 of the destination, or ``None``.
    amount_cents
        Credit spend of the calls involved, in cents of ``currency``.
    currency
        ISO 4217 code of the amount.
    calls
        Number of calls involved.
    explanation
        The finding in plain words, with the figures it rests on.
    usage_ids
        ``UsageId`` of the calls involved (the evidence), in time order.
    runway_days_at_this_rate
        With a balance: whole days today's funds last if spending goes on at the usual rate
        plus this alert's daily spend (``None``: more than a year, or no balance given).
    """

    severity: str
    kind: str
    first_date: dt.date
    last_date: dt.date
    upn: str | None
    country: str | None
    amount_cents: int
    currency: str
    calls: int
    explanation: str
    usage_ids: tuple[str, ...] = field(default=(), repr=False)
    runway_days_at_this_rate: int | None = None

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity: one of {SEVERITIES}, got {self.severity!r}")
        if self.kind not in KINDS:
            raise ValueError(f"kind: one of {KINDS}, got {self.kind!r}")
        if self.last_date < self.first_date:
            raise ValueError(f"last_date {self.last_date} is before first_date {self.first_date}")

    @property
    def amount(self) -> Decimal:
        """The amount as an exact decimal (``1230 -> Decimal('12.30')``)."""
        return units(self.amount_cents)

    @property
    def days(self) -> int:
        """Calendar days from the first to the last date, both included."""
        return (self.last_date - self.first_date).days + 1

    def to_json(self, *, evidence: int | None = None) -> dict[str, Any]:
        """Plain JSON values; ``amount`` an exact :class:`~decimal.Decimal` (two places),
        ``usage_ids`` every id (or the first ``evidence``)."""
        doc = {
            "severity": self.severity,
            "kind": self.kind,
            "first_date": self.first_date.isoformat(),
            "last_date": self.last_date.isoformat(),
            "upn": self.upn,
            "country": self.country,
            "amount": self.amount,
            "currency": self.currency,
            "calls": int(self.calls),
            "explanation": self.explanation,
            "usage_ids": list(self.usage_ids[:evidence]),
        }
        doc["runway_days_at_this_rate"] = self.runway_days_at_this_rate
        return doc


def severity_rank(severity: str) -> int:
    """0 for high, 1 for medium, 2 for low (sort key)."""
    return SEVERITIES.index(severity)
