"""Alert detectors: each on small hand-made call tables, then on the sample tenant with and
without injected fraud."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner.alerts import Alert, Thresholds, call_features, detect_alerts, detect_all
from planner.alerts.daily import detect_daily_spend
from planner.alerts.destinations import detect_new_destinations, detect_premium_calls
from planner.alerts.features import FEATURE_COLUMNS, local_times, premium_number
from planner.alerts.hours import detect_out_of_hours
from planner.alerts.inject import PATTERNS, detection_delay, inject, names_truth
from planner.alerts.sequences import (
    detect_repeated_numbers,
    detect_sequential_dialling,
    number_range,
)
from planner.alerts.users import detect_user_jumps
from planner.ingest import read_exports
from planner.sample import sample_dir

START = pd.Timestamp("2026-01-01")


def make_calls(rows: list[dict]) -> pd.DataFrame:
    """A call_features-shaped table from a few fields per call (the rest defaulted)."""
    raw = pd.DataFrame(rows)
    n = len(raw)

    def col(name, default):
        if name not in raw:
            return pd.Series([default] * n)
        return raw[name].where(raw[name].notna(), default)

    start = pd.to_datetime(raw["start"]).dt.tz_localize("UTC")
    home = col("home", "US").astype("string")
    country = col("country", None).fillna(home).astype("string")
    cents = col("cents", 0).astype("int64")
    frame = pd.DataFrame(
        {
            "usage_id": [f"id-{i}" for i in range(n)],
            "upn": col("upn", "ann@x.com"),
            "user_location": home,
            "country": country,
            "currency": "USD",
            "call_type": col("call_type", "user_out"),
            "callee_number": col("number", None).fillna(
                pd.Series([f"+4420{i:08d}" for i in range(n)])
            ),
            "start": start,
            "date": start.dt.tz_convert(None).dt.normalize(),
            "local": local_times(start, home),
            "duration_s": col("duration", 120).astype("int64"),
            "cents": cents,
            "charge_cents": cents,
            "outbound": True,
            "international": (country != home).to_numpy(bool),
            "premium": col("premium", False).astype(bool),
            "toll_free": False,
            "sms": False,
            "segments": 0,
        }
    )[list(FEATURE_COLUMNS)]
    return frame.sort_values("start", kind="stable").reset_index(drop=True)


def quiet_history(days: int = 120, users: int = 8, cents: int = 100) -> list[dict]:
    """Weekday calls at 10:00 Chicago time, a few users, ``cents`` each, domestic."""
    rows = []
    for d in pd.date_range(START, periods=days, freq="D"):
        if d.day_of_week >= 5:
            continue
        for u in range(users):
            rows.append({"start": d + pd.Timedelta(hours=16), "upn": f"u{u}@x.com", "cents": cents})
    return rows


# ------------------------------------------------------------------------------- thresholds


def test_thresholds_validate_each_field():
    with pytest.raises(ValueError, match="day_ratio"):
        Thresholds(day_ratio=0)
    with pytest.raises(ValueError, match="night_calls"):
        Thresholds(night_calls=1)
    with pytest.raises(ValueError, match="business_start"):
        Thresholds(business_start=20, business_end=7)
    with pytest.raises(ValueError, match="medium_cents"):
        Thresholds(medium_cents=5000, high_cents=2000)
    with pytest.raises(ValueError, match="high_share"):
        Thresholds(high_share=float("nan"))


def test_alert_json_amount_is_exact_decimal():
    a = Alert("high", "user_jump", START.date(), START.date(), "a@x.com", "CU", 1234, "USD", 3,
              "why", ("u1",))  # fmt: skip
    doc = a.to_json()
    assert str(doc["amount"]) == "12.34"
    assert doc["first_date"] == "2026-01-01" and doc["usage_ids"] == ["u1"]
    with pytest.raises(ValueError, match="severity"):
        Alert("urgent", "user_jump", START.date(), START.date(), None, None, 0, "USD", 0, "")


# ------------------------------------------------------------------------------- daily spend


def month_end_tenant(months: int = 8) -> list[dict]:
    """Spend 5.00 a weekday, 40.00 a weekday from the 22nd (a pool running out)."""
    rows = []
    for d in pd.date_range(START, periods=months * 30, freq="D"):
        if d.day_of_week >= 5:
            continue
        cents = 4000 if d.day >= 22 else 500
        rows.append({"start": d + pd.Timedelta(hours=15), "upn": f"u{d.day}@x.com", "cents": cents})
    return rows


def test_daily_spend_ignores_the_month_end_pattern():
    calls = make_calls(month_end_tenant())
    assert detect_daily_spend(calls) == []


def test_daily_spend_flags_a_mid_month_spike_high():
    rows = month_end_tenant()
    spike = pd.Timestamp("2026-07-14 15:00")  # a Tuesday, mid-month
    rows += [{"start": spike, "upn": "eve@x.com", "country": "CU", "cents": 3000}] * 3
    found = detect_daily_spend(make_calls(rows))
    assert [(a.severity, a.first_date, a.upn, a.country) for a in found] == [
        ("high", spike.date(), "eve@x.com", "CU")
    ]
    assert "comparable days" in found[0].explanation


# ------------------------------------------------------------------------------- users


def test_user_jump_against_own_history_and_peers():
    rows = quiet_history()
    day = pd.Timestamp("2026-04-15 16:00")
    rows += [{"start": day, "upn": "u3@x.com", "country": "LV", "cents": 800}] * 6
    found = detect_user_jumps(make_calls(rows))
    assert len(found) == 1
    a = found[0]
    assert (a.severity, a.upn, a.country, a.first_date) == ("high", "u3@x.com", "LV", day.date())
    assert a.amount_cents == 6 * 800 + 100


def test_user_jump_not_when_the_whole_country_jumps():
    rows = quiet_history(users=8)
    for d in pd.date_range("2026-04-20", periods=3):  # every user pays 8x more
        for u in range(8):
            rows += [{"start": d + pd.Timedelta(hours=16), "upn": f"u{u}@x.com", "cents": 800}]
    found = [a for a in detect_user_jumps(make_calls(rows)) if a.severity != "low"]
    assert found == []


# ------------------------------------------------------------------------------- destinations


def test_new_destination_severity_follows_its_cost():
    rows = quiet_history()
    rows.append({"start": "2026-03-10 15:00", "country": "NG", "cents": 90, "upn": "u1@x.com"})
    rows += [{"start": "2026-04-07 15:00", "country": "SO", "cents": 900, "upn": "u2@x.com"}] * 4
    found = {a.country: a for a in detect_new_destinations(make_calls(rows))}
    assert found["NG"].severity == "low"
    assert (found["SO"].severity, found["SO"].upn, found["SO"].calls) == ("high", "u2@x.com", 4)


def test_no_new_destination_during_warm_up():
    rows = quiet_history()
    rows.append({"start": "2026-01-05 15:00", "country": "SO", "cents": 90000})
    assert detect_new_destinations(make_calls(rows)) == []


def test_premium_by_prefix_type_or_price(sample_records):
    numbers = pd.Series(["+19005551234", "+4490123456", "+33145670000", None], dtype="string")
    assert premium_number(numbers).tolist() == [True, True, False, False]
    calls = call_features(sample_records)
    assert not calls["premium"].any()  # the sample tenant calls no premium number
    rows = quiet_history()
    rows += [{"start": "2026-04-08 15:00", "premium": True, "cents": 900, "upn": "u5@x.com",
              "country": "GB"}] * 4  # fmt: skip
    found = detect_premium_calls(make_calls(rows))
    assert [(a.severity, a.upn, a.country, a.calls) for a in found] == [
        ("high", "u5@x.com", "GB", 4)
    ]
    # 27.00 in all, but only 18.00 beyond the dearest call: not high
    found = detect_premium_calls(make_calls(rows[:-1]))
    assert [a.severity for a in found] == ["medium"]


# ------------------------------------------------------------------------------- hours


def test_local_time_follows_the_users_country():
    start = pd.Series(pd.to_datetime(["2026-01-14T01:30:00Z", "2026-01-14T01:30:00Z"]))
    local = local_times(start, pd.Series(["FR", "US"], dtype="string"))
    assert [t.hour for t in local] == [2, 19]
    assert local_times(start[:1], pd.Series(["XX"], dtype="string")).isna().all()


def test_night_burst_of_a_french_user_in_paris_time():
    rows = quiet_history()
    night = pd.Timestamp("2026-04-14 23:10")  # 01:10 in Paris (UTC+2)
    rows += [{"start": night + pd.Timedelta(minutes=9 * k), "home": "FR", "upn": "zoe@x.com",
              "country": "CU", "cents": 700} for k in range(6)]  # fmt: skip
    found = detect_out_of_hours(make_calls(rows))
    assert [(a.severity, a.upn, a.country, a.calls) for a in found] == [
        ("high", "zoe@x.com", "CU", 6)
    ]
    assert "FR local time" in found[0].explanation


def test_evening_calls_below_the_burst_size_are_not_a_burst():
    rows = quiet_history()
    rows += [{"start": pd.Timestamp("2026-04-15 03:00") + pd.Timedelta(minutes=k), "country": "GB",
              "cents": 5000} for k in range(4)]  # fmt: skip
    assert detect_out_of_hours(make_calls(rows)) == []


# ------------------------------------------------------------------------------- sequences


def test_number_range_drops_last_digits_and_masking():
    numbers = pd.Series(["+4930123456***", "+4930123456789", "911", None], dtype="string")
    assert number_range(numbers).tolist()[:2] == ["+493012345", "+493012345"]
    assert number_range(numbers).isna().tolist()[2:] == [True, True]


def test_sequential_dialling_high_and_repeated_number():
    rows = quiet_history()
    t0 = pd.Timestamp("2026-04-16 14:00")
    rows += [{"start": t0 + pd.Timedelta(seconds=40 * k), "number": f"+53755{5000 + k}",
              "country": "CU", "duration": 12, "cents": 40, "upn": "max@x.com"}
             for k in range(10)]  # fmt: skip
    rows += [{"start": t0 + pd.Timedelta(minutes=30 * k), "number": "+37120000000",
              "country": "LV", "duration": 1800, "cents": 900, "upn": "queue@x.com",
              "call_type": "ucap_out"} for k in range(12)]  # fmt: skip
    calls = make_calls(rows)
    seq = detect_sequential_dialling(calls)
    assert [(a.severity, a.upn, a.country, a.calls) for a in seq] == [
        ("high", "max@x.com", "CU", 10)
    ]
    loop = detect_repeated_numbers(calls)
    assert [(a.severity, a.upn, a.country, a.calls) for a in loop] == [
        ("high", "queue@x.com", "LV", 12)
    ]


def test_calls_to_one_number_spread_over_the_day_are_not_sequential():
    rows = quiet_history()
    t0 = pd.Timestamp("2026-04-16 14:00")
    rows += [{"start": t0 + pd.Timedelta(minutes=20 * k), "number": "+53755000", "country": "CU",
              "duration": 30, "cents": 40} for k in range(9)]  # fmt: skip
    assert detect_sequential_dialling(make_calls(rows)) == []


# ------------------------------------------------------------------------------- sample tenant


@pytest.fixture(scope="module")
def sample_records() -> pd.DataFrame:
    return read_exports([sample_dir() / "exports"]).records


@pytest.fixture(scope="module")
def sample_calls(sample_records) -> pd.DataFrame:
    return call_features(sample_records)


def test_clean_sample_has_no_high_alert_in_13_months(sample_records):
    result = detect_alerts(sample_records, since="2025-10-01")
    assert result.since.isoformat() == "2025-10-01"
    assert result.count("high") == 0 and result.exit_code == 0
    months = 13
    assert result.count("medium") <= months  # at most about one a month


def test_default_period_is_the_last_14_days(sample_records):
    result = detect_alerts(sample_records)
    assert (result.since.isoformat(), result.last_day.isoformat()) == ("2026-10-18", "2026-10-31")


@pytest.mark.parametrize("pattern", PATTERNS)
@pytest.mark.parametrize("seed", [11, 12, 13])
def test_injected_fraud_is_high_on_its_first_or_second_day(sample_records, pattern, seed):
    records, truth = inject(sample_records, pattern, np.random.default_rng(seed))
    calls = call_features(records)
    delay = detection_delay(calls, truth, max_days=2)
    assert delay in (0, 1), (truth.pattern, truth.upn, truth.country, truth.first_day)


def test_injections_vary_user_country_and_day(sample_records):
    seen = set()
    for seed in range(8):
        _, truth = inject(sample_records, "night_burst", np.random.default_rng(100 + seed))
        seen.add((truth.upn, truth.country, truth.first_day))
    assert len({s[0] for s in seen}) >= 4 and len({s[1] for s in seen}) >= 4
    assert len({s[2] for s in seen}) == 8


def test_each_pattern_is_named_by_its_own_detector(sample_records):
    kinds = {"night_burst": "out_of_hours", "premium": "premium_rate",
             "forwarding_loop": "repeated_number", "sequential": "sequential_dialling"}  # fmt: skip
    for pattern, kind in kinds.items():
        records, truth = inject(sample_records, pattern, np.random.default_rng(5), intensity=1.0)
        found = detect_all(call_features(records))
        assert any(a.kind == kind and names_truth(a, truth) for a in found), pattern


def test_runway_at_this_rate_with_a_balance(sample_records):
    records, truth = inject(sample_records, "forwarding_loop", np.random.default_rng(2),
                            day="2026-10-28", intensity=1.0)  # fmt: skip
    lots = pd.DataFrame({"purchase_date": [pd.Timestamp("2026-10-01")], "amount": [300.0]})
    result = detect_alerts(records, lots=lots)
    high = [a for a in result.alerts if a.severity == "high"]
    assert high and result.exit_code == 3
    for a in high:
        rate = a.amount_cents / a.days / 100
        assert a.runway_days_at_this_rate is not None
        assert a.runway_days_at_this_rate <= 300 / rate + 1


def test_injected_local_times_survive_daylight_saving_changes():
    from planner.alerts.inject import _local_start

    spring = _local_start(pd.Timestamp("2026-03-08"), "US", np.array([2.5]))  # skipped hour
    autumn = _local_start(pd.Timestamp("2025-11-02"), "US", np.array([1.5]))  # repeated hour
    assert str(spring[0]) == "2026-03-08T08:00:00.000000000"
    assert str(autumn[0]) == "2025-11-02T07:30:00.000000000"


def test_one_long_call_abroad_is_never_high():
    rows = quiet_history()
    rows.append({"start": "2026-04-09 15:00", "country": "NG", "cents": 4000, "upn": "u4@x.com",
                 "duration": 9600})  # fmt: skip
    found = detect_all(make_calls(rows))
    assert found and all(a.severity != "high" for a in found)
    assert {a.kind for a in found} >= {"new_destination", "user_jump"}


def test_alerts_speak_the_language_of_the_run():
    """The same night burst, explained in French: words, numbers and weekdays."""
    from planner import text

    rows = quiet_history()
    night = pd.Timestamp("2026-04-14 23:10")  # a Tuesday, 01:10 on Wednesday in Paris
    rows += [{"start": night + pd.Timedelta(minutes=9 * k), "home": "FR", "upn": "zoe@x.com",
              "country": "CU", "cents": 1234} for k in range(6)]  # fmt: skip
    calls = make_calls(rows)
    english = detect_out_of_hours(calls)[0].explanation
    with text.language("fr"):
        french = detect_out_of_hours(calls)[0].explanation
    assert "6 international or paid calls at night" in english and "Wed" in english
    assert "6 appels internationaux ou payants la nuit" in french
    assert "heure locale FR" in french and "mer." in french and "74,04" in french
    assert "calls" not in french and "costing" not in french
