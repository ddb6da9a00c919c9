"""SMS pumping: many outbound segments to one number range in a short time."""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.alerts import Thresholds, call_features, detect_alerts
from planner.alerts.sms import detect_sms_pumping
from planner.schema import conform, credit_cents


def _sms(rng: np.random.Generator, upn: str, starts, numbers, cents) -> pd.DataFrame:
    n = len(starts)
    return pd.DataFrame(
        {
            "usage_id": [f"{upn}-{i}-{rng.integers(1 << 40)}" for i in range(n)],
            "kind": "sms",
            "upn": upn,
            "user_location": "US",
            "call_type": "sms_out",
            "call_direction": "outbound",
            "callee_number": numbers,
            "start": pd.DatetimeIndex(starts).tz_localize("UTC"),
            "duration_s": 0,
            "sms_units": rng.integers(1, 3, size=n),
            "charge_cents": cents,
            "connection_fee_cents": 0,
            "currency": "USD",
            "capability": "MCOEV",
        }
    )


def _tenant(rng: np.random.Generator, days: int = 70) -> pd.DataFrame:
    """A quiet tenant: a few messages a day to a handful of customers, within the allowance;
    and one busy user texting one contact 150 times a day."""
    frames = []
    contacts = [f"+1206555{n:04d}" for n in rng.integers(0, 10_000, size=8)]
    for d in range(days):
        day = pd.Timestamp("2026-03-01") + pd.Timedelta(days=d)
        hours = np.sort(rng.uniform(9, 17, size=6))
        starts = day + pd.to_timedelta(hours, unit="h")
        numbers = [contacts[i] for i in rng.integers(0, len(contacts), size=6)]
        frames.append(_sms(rng, "ann@contoso.com", starts, numbers, 0))
        chat = day + pd.to_timedelta(np.sort(rng.uniform(8, 9, size=150)), unit="h")
        frames.append(_sms(rng, "bob@contoso.com", chat, ["+13125550199"] * 150, 0))
    return pd.concat(frames, ignore_index=True)


def _pumping(rng: np.random.Generator, day: str, n: int = 300, cents: int = 1) -> pd.DataFrame:
    base = pd.Timestamp(day) + pd.Timedelta(hours=2)
    starts = base + pd.to_timedelta(np.cumsum(rng.uniform(2, 20, size=n)), unit="s")
    numbers = [f"+1876555{k:04d}" for k in rng.integers(0, 10_000, size=n)]
    return _sms(rng, "ann@contoso.com", starts, numbers, cents)


def test_sms_rows_are_messages_not_calls() -> None:
    rng = np.random.default_rng(0)
    records = conform(_pumping(rng, "2026-04-01", n=5, cents=2))
    calls = call_features(records)
    assert calls["sms"].all() and not calls["outbound"].any()
    assert calls["segments"].sum() == records["sms_units"].sum()
    assert credit_cents(records).tolist() == [2] * 5  # SMS overage costs credits


def test_quiet_tenant_raises_nothing() -> None:
    rng = np.random.default_rng(1)
    records = conform(_tenant(rng))
    assert detect_sms_pumping(call_features(records)) == []


def test_pumping_burst_is_high_and_names_the_range() -> None:
    rng = np.random.default_rng(2)
    fraud = _pumping(rng, "2026-05-02")
    records = conform(pd.concat([_tenant(rng), fraud], ignore_index=True))
    result = detect_alerts(records, since="2026-04-25")
    pumping = [a for a in result.alerts if a.kind == "sms_pumping"]
    assert len(pumping) == 1
    (alert,) = pumping
    assert alert.severity == "high" and alert.upn == "ann@contoso.com"
    assert set(alert.usage_ids) == set(fraud["usage_id"])
    assert alert.amount_cents == 300 and "+1876555" in alert.explanation
    assert result.exit_code == 3
    # the call patterns leave the messages alone; the day's spend is rightly unusual too
    assert {a.kind for a in result.alerts} <= {"sms_pumping", "daily_spend"}


def test_within_the_allowance_it_is_medium_and_thresholds_apply() -> None:
    rng = np.random.default_rng(3)
    records = conform(pd.concat([_tenant(rng, 40), _pumping(rng, "2026-04-05", cents=0)]))
    calls = call_features(records)
    (alert,) = detect_sms_pumping(calls)
    assert alert.severity == "medium" and alert.amount_cents == 0
    assert detect_sms_pumping(calls, Thresholds(sms_segments=10_000)) == []
    assert detect_sms_pumping(calls, Thresholds(sms_numbers=1_000)) == []
