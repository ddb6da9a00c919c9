"""Building blocks shared by the detectors: materiality, severity, dates, wording."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner import text
from planner.alerts.features import NO_USER, daily_spend, typical_daily_cents
from planner.alerts.model import Alert, Thresholds


@dataclass(frozen=True)
class Context:
    """What every detector needs to know about the tenant besides the calls.

    Attributes
    ----------
    first_day
        First UTC date of the data (baselines start here).
    currency
        Currency of the credit spend (cents in ``calls.cents``).
    typical
        Mean credit spend per day (float cents) over the 28 days before each date.
    """

    first_day: pd.Timestamp
    currency: str
    typical: pd.Series

    @classmethod
    def of(cls, calls: pd.DataFrame) -> Context:
        """The context of a call table from :func:`~planner.alerts.features.call_features`."""
        daily = daily_spend(calls)
        paid = calls[calls["cents"] > 0]
        currency = ""
        if not paid.empty:
            by = paid.groupby(paid["currency"].fillna(""))["cents"].sum()
            currency = str(by.sort_values(ascending=False, kind="stable").index[0])
        first = pd.Timestamp(calls["date"].min())  # NaT for no calls
        return cls(first_day=first, currency=currency, typical=typical_daily_cents(daily))

    def typical_on(self, day: pd.Timestamp) -> float:
        """Typical daily spend (cents) before ``day``."""
        return float(self.typical.get(day, 0.0))

    def warmed_up(self, day: pd.Timestamp, t: Thresholds) -> bool:
        """True when ``day`` has at least ``warmup_days`` of data before it."""
        return bool(self.warm(pd.DatetimeIndex([day]), t)[0])

    def warm(self, days: pd.Series | pd.Index, t: Thresholds) -> np.ndarray:
        """:meth:`warmed_up` of many days at once, as booleans."""
        elapsed = (pd.DatetimeIndex(days) - self.first_day).days
        return np.asarray(elapsed >= t.warmup_days, dtype=bool)

    def high_cents(self, day: pd.Timestamp, t: Thresholds) -> float:
        """Smallest spend of a high alert on ``day``."""
        return max(float(t.high_cents), t.high_share * self.typical_on(day))

    def grade(self, day: pd.Timestamp, cents: float, strong: bool, t: Thresholds) -> str:
        """Severity of a finding of ``cents`` on ``day``: high only with ``strong`` evidence
        and a material amount; medium for a strong finding of some money, or a weaker one of
        much money; low otherwise."""
        high = self.high_cents(day, t)
        if strong and cents >= high:
            return "high"
        if (strong and cents >= t.medium_cents) or cents >= high:
            return "medium"
        return "low"


def beyond_largest(cents: pd.Series) -> int:
    """Spend of the calls without the most expensive one: what severity is graded on.

    One long call abroad is ordinary business and costs as much as a small fraud; a finding
    that rests on a single call is therefore never high.
    """
    return int(cents.sum() - cents.max()) if len(cents) else 0


def money(cents: float, currency: str) -> str:
    """``1234, 'USD' -> '$12.34'`` (``12,34 $US`` in French): :func:`planner.text.cents`."""
    return text.cents(round(cents), currency)


def day_text(day: pd.Timestamp | dt.date) -> str:
    """``12 May 2026 (Tue)``: the day as every report writes it (:func:`planner.text.date`)."""
    return f"{text.date(day)} ({text.weekday_name(day)})"


def share_text(fraction: float) -> str:
    """A share in whole percent: ``80%`` / ``80 %``."""
    return text.percent(round(float(fraction), 2))


def to_date(value: pd.Timestamp | np.datetime64) -> dt.date:
    """A timestamp's calendar date."""
    return pd.Timestamp(value).date()


def times(ratio: float) -> str:
    """``12.34 -> '12 times'``, ``2.5 -> '2.5 times'``."""
    if not np.isfinite(ratio):
        return text.t("far above")
    return text.t("{ratio} times", ratio=text.number(ratio, 0 if ratio >= 10 else 1))


def main_share(calls: pd.DataFrame, col: str, share: float = 0.5) -> tuple[str | None, str]:
    """The value of ``col`` that carries at least ``share`` of the spend (or of the calls
    when nothing was spent), and a phrase listing the top values (``CU 80%, GB 20%``)."""
    values = calls[col].astype("string").fillna(text.t("unknown"))
    weight = calls["cents"].astype("float64")
    if weight.sum() <= 0:
        weight = pd.Series(1.0, index=calls.index)
    by = weight.groupby(values.to_numpy()).sum().sort_values(ascending=False, kind="stable")
    total = by.sum()
    top = by.index[0] if len(by) else None
    phrase = ", ".join(f"{k} {share_text(v / total)}" for k, v in by.head(3).items())
    main = str(top) if top is not None and by.iloc[0] >= share * total else None
    if main in (text.t("unknown"), NO_USER):
        main = None
    return main, phrase


def make_alert(
    kind: str,
    severity: str,
    evidence: pd.DataFrame,
    ctx: Context,
    explanation: str,
    *,
    upn: str | None,
    country: str | None,
) -> Alert:
    """An :class:`Alert` over the ``evidence`` calls (its dates, amount, count and ids)."""
    return Alert(
        severity=severity,
        kind=kind,
        first_date=to_date(evidence["date"].min()),
        last_date=to_date(evidence["date"].max()),
        upn=upn if upn and upn != NO_USER else None,
        country=country if country and len(country) == 2 else None,
        amount_cents=int(evidence["cents"].sum()),
        currency=ctx.currency,
        calls=len(evidence),
        explanation=explanation,
        usage_ids=tuple(evidence["usage_id"].astype(str)),
    )


def runs(days: pd.Series, gap_days: int = 1) -> np.ndarray:
    """Run number of each (sorted) day: a new run starts after a gap over ``gap_days``."""
    d = pd.to_datetime(days).to_numpy("datetime64[D]").astype("int64")
    return np.concatenate([[0], np.cumsum(np.diff(d) > gap_days)]) if len(d) else d
