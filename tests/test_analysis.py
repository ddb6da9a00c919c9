"""Usage analysis and funding summaries on small hand-built record tables."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner import analysis, inputs
from planner.errors import InputError
from planner.schema import conform


def _records(rows: list[dict]) -> pd.DataFrame:
    """Canonical records from short dicts; defaults fill the columns a test does not care about."""
    base = {
        "kind": "calling_plans",
        "call_direction": "outbound",
        "call_type": "user_out",
        "currency": "USD",
        "capability": "MCOPSTNPP",
        "charge_cents": 0,
        "connection_fee_cents": 0,
        "duration_s": 60,
        "user_location": "US",
        "destination_context": "Domestic",
        "destination_dialed": "United States",
    }
    full = [{**base, "usage_id": f"u{i}", **r} for i, r in enumerate(rows)]
    df = pd.DataFrame(full)
    df["start"] = pd.to_datetime(df["start"], utc=True)
    return conform(df)


@pytest.fixture
def records() -> pd.DataFrame:
    return _records(
        [
            # last second of January UTC (but February in Berlin)
            {
                "upn": "Ann@contoso.com",
                "start": "2025-01-31T23:59:59Z",
                "duration_s": 120,
                "charge_cents": 1234,
                "connection_fee_cents": 6,
            },
            # first second of February UTC
            {
                "upn": "ann@contoso.com",
                "start": "2025-02-01T00:00:00Z",
                "duration_s": 60,
                "charge_cents": 101,
            },
            # international call paid from credits
            {
                "upn": "bob@contoso.com",
                "start": "2025-02-10T12:00:00Z",
                "duration_s": 300,
                "charge_cents": 999,
                "destination_context": "International",
                "destination_dialed": "Germany",
                "external_country": "DE",
            },
            # toll-free inbound to the tenant's bridge number, paid from credits
            {
                "upn": None,
                "start": "2025-02-11T08:30:00Z",
                "duration_s": 600,
                "charge_cents": 240,
                "call_type": "conf_in",
                "call_direction": "inbound",
                "number_type": "Toll Free",
                "callee_number": "+18005550100",
            },
            # covered by a Calling Plan: minutes, no credit spend
            {
                "upn": "carol@contoso.com",
                "start": "2025-04-02T09:00:00Z",
                "duration_s": 1800,
                "charge_cents": 0,
                "capability": "MCOPSTN1",
            },
            # charged, but not to credits (pay-per-minute conferencing)
            {
                "upn": "carol@contoso.com",
                "start": "2025-04-03T09:00:00Z",
                "duration_s": 60,
                "charge_cents": 5000,
                "capability": "MCOMEETACPEA",
                "call_type": "conf_out",
            },
        ]
    )


# ---- monthly / daily ---------------------------------------------------------------------------


def test_monthly_summary_exact_cents_and_utc_month_boundaries(records):
    s = analysis.monthly_summary(records)
    assert [str(m) for m in s.index] == ["2025-01", "2025-02", "2025-03", "2025-04"]
    assert s["credit_cents"].tolist() == [1240, 101 + 999 + 240, 0, 0]
    assert s["credit_cents"].dtype == "int64"
    assert s["calls"].tolist() == [1, 3, 0, 2]
    assert s["minutes"].tolist() == [2.0, 1 + 5 + 10, 0.0, 30 + 1]
    assert s["credit_minutes"].tolist() == [2.0, 16.0, 0.0, 0.0]
    # categories from planner.demand.actual, summing to the total
    assert s.loc["2025-02", "international_cents"] == 999
    assert s.loc["2025-02", "toll_free_cents"] == 240
    assert s.loc["2025-02", "domestic_overage_cents"] == 101
    cats = [c for c in s.columns if c.endswith("_cents") and not c.startswith("credit")]
    assert (s[cats].sum(axis=1) == s["credit_cents"]).all()
    # month-over-month
    assert pd.isna(s["credit_change_cents"].iloc[0])
    assert s["credit_change_cents"].iloc[1] == 1340 - 1240
    assert s["credit_change_pct"].iloc[1] == pytest.approx(100 / 1240)
    assert s["credit_change_pct"].iloc[2] == pytest.approx(-1.0)
    assert np.isnan(s["credit_change_pct"].iloc[3])  # from zero: undefined


def test_monthly_by_category_long_form_every_category(records):
    from planner.demand.calls import CATEGORIES

    long = analysis.monthly_by_category(records)
    assert len(long) == 4 * len(CATEGORIES)
    assert int(long["credit_cents"].sum()) == 1240 + 1340
    feb = long[long["month"] == pd.Period("2025-02", "M")].set_index("category")
    assert feb.loc["toll_free", "calls"] == 1 and feb.loc["toll_free", "minutes"] == 10.0


def test_payg_users_from_user_licences(records):
    lic = pd.DataFrame(
        {"upn": ["ann@contoso.com"], "has_credits_licence": [True], "has_payg_plan": [True]}
    )
    s = analysis.monthly_summary(records, user_licences=lic)
    assert s["payg_cents"].tolist() == [1240, 101, 0, 0]


def test_daily_credit_spend_fills_every_utc_day(records):
    d = analysis.daily_credit_spend(records)
    assert d.index[0] == pd.Timestamp("2025-01-31") and d.index[-1] == pd.Timestamp("2025-04-03")
    assert len(d) == (pd.Timestamp("2025-04-03") - pd.Timestamp("2025-01-31")).days + 1
    assert d.loc["2025-01-31", "credit_cents"] == 1240
    assert d.loc["2025-02-01", "credit_cents"] == 101
    assert int(d["credit_cents"].sum()) == 2580
    assert d.loc["2025-04-03", "credit_cents"] == 0  # MCOMEETACPEA is not credits
    assert d["credit_cents"].dtype == "int64"


def test_month_end_pattern_and_day_of_month():
    # 10.00 on every day of March, plus 31.00 more on each of its last 3 days
    days = pd.date_range("2025-03-01", "2025-03-31", freq="D")
    rows = [{"start": f"{d:%Y-%m-%d}T10:00:00Z", "charge_cents": 1000} for d in days]
    rows += [{"start": f"2025-03-{d}T11:00:00Z", "charge_cents": 3100} for d in (29, 30, 31)]
    daily = analysis.daily_credit_spend(_records(rows))
    pat = analysis.month_end_pattern(daily, last_n_days=3)
    assert pat.loc["2025-03", "credit_cents"] == 31 * 1000 + 3 * 3100
    assert pat.loc["2025-03", "month_end_cents"] == 3 * 4100
    assert pat.loc["2025-03", "share_expected"] == pytest.approx(3 / 31)
    assert bool(pat.loc["2025-03", "complete"])
    share = analysis.month_end_share(daily, last_n_days=3)
    assert share["share"] == pytest.approx(12300 / 40300)
    assert share["ratio"] > 3
    dom = analysis.spend_by_day_of_month(daily)
    assert dom.loc[31, "credit_cents"] == 4100 and dom.loc[1, "mean_cents"] == 1000
    assert dom["days"].sum() == 31 and dom["share"].sum() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="last_n_days"):
        analysis.month_end_pattern(daily, 0)


# ---- who, where, what, when --------------------------------------------------------------------


def test_by_user_joins_departments_unknown_users_and_bots(records):
    deps = pd.DataFrame(
        {"UPN": ["ANN@contoso.com ", "dave@contoso.com"], "Department": ["Sales", "IT"]}
    )
    users = analysis.by_user(records, deps).set_index("upn")
    assert users.loc["ann@contoso.com", "department"] == "Sales"
    assert users.loc["ann@contoso.com", "credit_cents"] == 1240 + 101
    assert users.loc["ann@contoso.com", "calls"] == 2
    assert users.loc["bob@contoso.com", "department"] == inputs.UNKNOWN_DEPARTMENT
    assert users.loc[analysis.NO_USER, "credit_cents"] == 240
    assert "dave@contoso.com" not in users.index  # no calls, no row
    assert users["credit_cents"].is_monotonic_decreasing
    by_dep = analysis.by_department(records, deps).set_index("department")
    assert by_dep.loc["Sales", "credit_cents"] == 1341
    assert by_dep.loc[inputs.UNKNOWN_DEPARTMENT, "users"] == 3  # bob, carol, (no user)
    assert int(by_dep["credit_cents"].sum()) == 2580


def test_department_file_errors(tmp_path, records):
    good = tmp_path / "deps.csv"
    good.write_text("upn;department\nann@contoso.com;Sales\n", encoding="utf-8-sig")
    assert (
        analysis.by_user(records, good).set_index("upn").loc["ann@contoso.com", "department"]
        == "Sales"
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("user,team\nann@contoso.com,Sales\n")
    with pytest.raises(InputError, match="upn,department"):
        inputs.read_departments(bad)
    twice = tmp_path / "twice.csv"
    twice.write_text("upn,department\nann@contoso.com,Sales\nANN@contoso.com,IT\n")
    with pytest.raises(InputError, match="ann@contoso.com.*more than one department"):
        inputs.read_departments(twice)
    with pytest.raises(InputError, match="not found"):
        inputs.read_departments(tmp_path / "missing.csv")


def test_by_destination_call_type_and_top_spenders(records):
    dest = analysis.by_destination(records).set_index("destination")
    assert dest.loc["Germany", "credit_cents"] == 999
    assert "(unknown)" not in dest.index  # the inbound toll-free call is not a destination
    allcalls = analysis.by_destination(records, direction=None)
    assert allcalls["calls"].sum() == len(records)
    ct = analysis.by_call_type(records).set_index("call_type")
    assert ct.loc["user_out", "calls"] == 4 and ct.loc["conf_in", "credit_cents"] == 240
    top = analysis.top_spenders(records, n=2)
    assert top["upn"].tolist() == ["ann@contoso.com", "bob@contoso.com"]
    assert top["share"].iloc[0] == pytest.approx(1341 / 2580)
    with pytest.raises(ValueError, match="n must be"):
        analysis.top_spenders(records, n=0)


def test_hour_weekday_utc_and_local(records):
    hw = analysis.hour_weekday(records)
    assert hw.shape == (7, 24) and list(hw.index) == list(analysis.WEEKDAYS)
    assert hw.loc["Fri", 23] == 1  # 2025-01-31 23:59 UTC was a Friday
    assert hw.loc["Sat", 0] == 1
    assert int(hw.to_numpy().sum()) == len(records)
    berlin = analysis.hour_weekday(records, tz="Europe/Berlin")
    assert berlin.loc["Sat", 0] == 1 and berlin.loc["Sat", 1] == 1
    minutes = analysis.hour_weekday(records, value="minutes")
    assert minutes.to_numpy().sum() == pytest.approx(49.0)
    with pytest.raises(ValueError, match="time zone"):
        analysis.hour_weekday(records, tz="Mars/Olympus")


def test_toll_free_usage(records):
    extra = _records(
        [
            {
                "start": "2025-03-05T10:00:00Z",
                "duration_s": 120,
                "charge_cents": 48,
                "call_direction": "inbound",
                "call_type": "ucap_in",
                "number_type": "toll free",
                "callee_number": "+18005550199",
            }
        ]
    )
    recs = pd.concat([records, extra], ignore_index=True)
    per_month = analysis.toll_free_usage(recs, by="month")
    assert [str(m) for m in per_month["month"]] == ["2025-01", "2025-02", "2025-03", "2025-04"]
    assert per_month["credit_cents"].tolist() == [0, 240, 48, 0]
    per_number = analysis.toll_free_usage(recs, by="number").set_index("number")
    assert per_number.loc["+18005550100", "minutes"] == 10.0
    both = analysis.toll_free_usage(recs)
    assert len(both) == 2 and set(both.columns) >= {"month", "number", "destination"}


def test_several_currencies_are_refused_not_mixed(records):
    eur = _records([{"start": "2025-02-02T10:00:00Z", "charge_cents": 500, "currency": "EUR"}])
    mixed = pd.concat([records, eur], ignore_index=True)
    with pytest.raises(InputError, match="several currencies.*in_currency"):
        analysis.monthly_summary(mixed)
    assert analysis.credit_currencies(mixed) == ["USD", "EUR"]
    only_eur = analysis.in_currency(mixed, "eur")
    assert analysis.credit_currency(only_eur) == "EUR"
    assert int(analysis.daily_credit_spend(only_eur)["credit_cents"].sum()) == 500


def test_empty_records_give_empty_tables():
    empty = conform(pd.DataFrame({"start": pd.Series([], dtype="datetime64[ns, UTC]")}))
    assert analysis.monthly_summary(empty).empty
    assert analysis.daily_credit_spend(empty).empty
    assert analysis.by_user(empty).empty
    assert int(analysis.hour_weekday(empty).to_numpy().sum()) == 0


def test_unlicensed_credit_users_reuses_licence_check(records):
    lic = pd.DataFrame(
        {"upn": ["ann@contoso.com", "bob@contoso.com"], "has_credits_licence": [True, False]}
    )
    out = analysis.unlicensed_credit_users(records, lic)
    assert out["upn"].tolist() == ["bob@contoso.com"]
    assert out["cents"].tolist() == [999]


# ---- data quality ------------------------------------------------------------------------------


@dataclass
class _File:
    path: str
    format: str
    rows: int
    records: int
    duplicates: int
    rejected: int
    period_start: pd.Timestamp | None
    period_end: pd.Timestamp | None


@dataclass
class _Result:
    records: pd.DataFrame
    rejects: pd.DataFrame
    files: list


def test_data_quality(records):
    rejects = pd.DataFrame(
        {
            "source_file": ["a.csv", "a.csv", "b.csv"],
            "source_row": [5, 9, 2],
            "reason": ["bad Start Time", "negative Duration Seconds", "bad Start Time"],
            "raw": ["", "", ""],
        }
    )
    files = [
        _File("a.csv", "calling_plans_csv", 6, 4, 0, 2, None, None),
        _File("b.csv", "graph_json", 3, 2, 1, 1, None, None),
    ]
    q = analysis.data_quality(_Result(records, rejects, files))
    assert q["period_start"] == pd.Timestamp("2025-01-31T23:59:59Z")
    assert q["days"] == 1 + 28 + 31 + 3  # 31 Jan .. 3 Apr
    assert (q["records"], q["rows"], q["duplicates"], q["rejected"]) == (6, 9, 1, 3)
    assert q["files"]["records"].tolist() == [4, 2]
    reasons = q["rejects_by_reason"]
    assert reasons["reason"].tolist() == ["bad Start Time", "negative Duration Seconds"]
    assert reasons["rows"].tolist() == [2, 1] and reasons["files"].tolist() == [2, 1]
    assert analysis.rejects_by_reason(rejects.iloc[:0]).empty


# ---- funding summaries --------------------------------------------------------------------------


def test_percentile_bands_and_cumulative():
    paths = np.array([[1.0, 1.0, 1.0], [3.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    bands = analysis.percentile_bands(paths, "2025-03-30", percentiles=(0, 50, 100))
    assert list(bands.columns) == ["p0", "p50", "p100", "mean"]
    assert bands.index[0] == pd.Timestamp("2025-03-30") and len(bands) == 3
    assert bands["p50"].tolist() == [2.0, 2.0, 2.0]
    cum = analysis.percentile_bands(paths, "2025-03-30", percentiles=(100,), cumulative=True)
    assert cum["p100"].tolist() == [3.0, 6.0, 9.0]
    with pytest.raises(ValueError, match="percentiles"):
        analysis.percentile_bands(paths, "2025-01-01", percentiles=(150,))


def test_path_outcomes_and_first_stockout():
    unserved = np.array([[0, 0, 2.0, 1.0], [0, 0, 0, 0]])
    result = {
        "balance": np.array([[5, 2, 0, 0], [9, 8, 7, 6.0]]),
        "unserved": unserved,
        "expired": np.array([[0, 0, 0, 0], [0, 1.5, 0, 0]]),
        "purchased": np.zeros((2, 4)),
        "runway_days": np.array([2, 4]),
    }
    out = analysis.path_outcomes(result)
    assert out["stockout_days"].tolist() == [2, 0]
    assert out["first_stockout_day"].iloc[0] == 2 and np.isnan(out["first_stockout_day"].iloc[1])
    assert out["expired"].tolist() == [0.0, 1.5]
    assert out["end_balance"].tolist() == [0.0, 6.0]


def test_runway_days_counts_expiry():
    demand = np.array([[10.0, 10, 10, 10], [1, 1, 1, 1]])
    assert analysis.runway_days(demand, "2025-01-01", 25.0).tolist() == [2.0, np.inf]
    assert analysis.runway_days(demand, "2025-01-01", 0.0).tolist() == [0.0, 0.0]
    # 100 held, but the lot expires at the start of day 2: only days 0 and 1 are served
    lots = pd.DataFrame({"purchase_date": [pd.Timestamp("2024-01-03")], "amount": [100.0]})
    assert analysis.runway_days(demand, "2025-01-01", lots).tolist() == [2.0, 2.0]


def test_runway_ends_on_the_expiry_day_of_a_lot_demand_cannot_use_up():
    # 100 left of a lot bought 2024-01-18: it expires at the start of 2025-01-18, day 17;
    # at 1 a day it would last 100 days, far past the 60-day horizon
    demand = np.ones((3, 60))
    lots = pd.DataFrame({"purchase_date": [pd.Timestamp("2024-01-18")], "amount": [100.0]})
    runway = analysis.runway_days(demand, "2025-01-01", lots)
    assert runway.tolist() == [17.0, 17.0, 17.0]
    # a newer lot alongside takes over when the old one expires
    lots = pd.concat(
        [lots, pd.DataFrame({"purchase_date": [pd.Timestamp("2024-12-01")], "amount": [10.0]})]
    )
    assert analysis.runway_days(demand, "2025-01-01", lots).tolist() == [27.0] * 3
    # without the expiry, the same funds outlast the horizon
    assert np.isinf(analysis.runway_days(demand, "2025-01-01", 110.0)).all()


def test_lot_forfeiture_fifo_by_hand():
    # today 2025-01-01; lot A (30 left) expires 2025-01-11, lot B (50 left) 2025-01-21.
    lots = pd.DataFrame(
        {"purchase_date": pd.to_datetime(["2024-01-21", "2024-01-11"]), "amount": [50.0, 30.0]}
    )
    demand = np.array([[2.0] * 30, [5.0] * 30])
    out = analysis.lot_forfeiture(lots, demand, "2025-01-01", percentiles=(50,))
    assert out["date"].tolist() == [pd.Timestamp("2025-01-11"), pd.Timestamp("2025-01-21")]
    assert out["amount"].tolist() == [30.0, 50.0]
    # path 0: 20 used by day 10 -> A loses 10; B then serves days 10..19: 20 used, 30 lost.
    # path 1: 50 used by day 10 -> A gone, B down to 30; days 10..19 use 50 -> nothing lost.
    assert out["expected_forfeit"].tolist() == pytest.approx([5.0, 15.0])
    assert out["p_forfeit"].tolist() == [0.5, 0.5]
    assert list(out.columns[:4]) == ["date", "purchase_date", "amount", "expected_forfeit"]
    # a lot expiring after the horizon: unknown, not zero
    late = analysis.lot_forfeiture(
        lots.assign(purchase_date=pd.Timestamp("2024-12-01")), demand, "2025-01-01"
    )
    assert np.isnan(late["expected_forfeit"].iloc[0])
    with pytest.raises(ValueError, match="purchase_date"):
        analysis.lot_forfeiture(pd.DataFrame({"x": [1]}), demand, "2025-01-01")


@settings(max_examples=25, deadline=None)
@given(
    # whole cents: the balance engine simulates money in cents
    amounts=st.lists(st.integers(100, 50_000).map(lambda c: c / 100), min_size=1, max_size=4),
    offsets=st.lists(st.integers(0, 44), min_size=4, max_size=4, unique=True),
    daily=st.lists(st.integers(0, 4_000).map(lambda c: c / 100), min_size=45, max_size=45),
)
def test_lot_forfeiture_matches_a_day_by_day_fifo(amounts, offsets, daily):
    """Invariant: forfeiture per expiry date equals a plain per-lot FIFO simulation."""
    start = pd.Timestamp("2025-06-01")
    expires = [start + pd.Timedelta(days=o) for o in offsets[: len(amounts)]]
    purchases = [e - pd.DateOffset(months=12) for e in expires]
    lots = pd.DataFrame({"purchase_date": purchases, "amount": amounts})
    out = analysis.lot_forfeiture(lots, np.array([daily]), start)
    order = sorted(range(len(amounts)), key=lambda i: purchases[i])
    left = [amounts[i] for i in order]
    exp_day = [(expires[i] - start).days for i in order]
    lost = {}
    for t in range(len(daily)):
        for k in range(len(left)):
            if exp_day[k] == t:
                lost[t] = lost.get(t, 0.0) + left[k]
                left[k] = 0.0
        need = daily[t]
        for k in range(len(left)):
            take = min(need, left[k])
            left[k] -= take
            need -= take
    got = {(d - start).days: v for d, v in zip(out["date"], out["expected_forfeit"], strict=True)}
    assert got == pytest.approx(lost, abs=1e-6)


# ---- minute pools --------------------------------------------------------------------------------


def _pool_licences(*rows):
    return pd.DataFrame(rows, columns=["plan", "country", "users", "minutes_per_user"])


def test_pool_usage_one_pool_per_country_and_plan():
    # FR MCOPSTN5: 2 users x 1 min = 2 min; FR MCOPSTN6: 1 user x 1 min = 1 min
    lic = _pool_licences(("MCOPSTN5", "FR", 2, 1), ("MCOPSTN6", "FR", 1, 1))
    fr = {"user_location": "FR", "destination_dialed": "France", "external_country": "FR",
          "operator": "Microsoft"}  # fmt: skip
    records = _records(
        [
            {**fr, "start": "2026-03-02T10:00:00Z", "upn": "a@x.fr", "capability": "MCOPSTN5",
             "duration_s": 90},
            {**fr, "start": "2026-03-03T10:00:00Z", "upn": "b@x.fr", "capability": "MCOPSTN6",
             "duration_s": 150},
            {**fr, "start": "2026-03-04T10:00:00Z", "upn": "a@x.fr", "capability": "MCOPSTN5",
             "duration_s": 30},
            # April: one call, then an Operator Connect call that no pool pays for
            {**fr, "start": "2026-04-01T10:00:00Z", "upn": "b@x.fr", "capability": "MCOPSTN6",
             "duration_s": 30},
            {**fr, "start": "2026-04-02T10:00:00Z", "upn": "c@x.fr", "capability": "MCOEV",
             "operator": "Lumen", "duration_s": 600},
        ]
    )  # fmt: skip
    table = analysis.pool_usage(records, lic)
    assert table["pool"].unique().tolist() == ["Domestic FR MCOPSTN5", "Domestic FR MCOPSTN6"]
    got = table.set_index(["pool", table["month"].astype(str)])
    five, six = "Domestic FR MCOPSTN5", "Domestic FR MCOPSTN6"
    # a's 2 minutes fit the MCOPSTN5 pool exactly; b's 2.5 minutes run 1.5 beyond MCOPSTN6's
    assert got.loc[(five, "2026-03"), ["demand_minutes", "overage_minutes"]].tolist() == [2, 0]
    assert got.loc[(six, "2026-03"), ["demand_minutes", "overage_minutes"]].tolist() == [2.5, 1.5]
    assert got.loc[(six, "2026-03"), "used_share"] == 1.0
    assert got.loc[(six, "2026-04"), ["demand_minutes", "used_minutes"]].tolist() == [0.5, 0.5]
    assert got.loc[(five, "2026-04"), "demand_minutes"] == 0  # Operator Connect: no pool
    assert set(table["plan"]) == {"MCOPSTN5", "MCOPSTN6"}
    assert table["pool_minutes"].tolist() == [2.0, 2.0, 1.0, 1.0]


def test_pool_usage_agrees_with_pricing_on_legacy_rows():
    # a legacy row has no External Country: pricing finds it from the destination name,
    # and so does the pool table (the dial-out pool covers Zone A calls only)
    from planner.demand.pricing import classify_calls

    lic = _pool_licences(("MCOMEETADD", None, 1, 1))  # 1 dial-out minute a month
    conf = {"call_type": "conf_out", "capability": "MCOMEETADD", "duration_s": 120}
    records = _records(
        [
            {**conf, "start": "2026-03-02T10:00:00Z", "destination_dialed": "United Kingdom",
             "destination_context": "International"},
            {**conf, "start": "2026-03-02T11:00:00Z", "destination_dialed": "Nigeria",
             "destination_context": "International"},
        ]
    )  # fmt: skip
    table = analysis.pool_usage(records, lic)
    assert table["pool"].tolist() == ["Conference dial-out (Zone A)"]
    assert table[["demand_minutes", "used_minutes", "overage_minutes"]].values.tolist() == [
        [2.0, 1.0, 1.0]
    ]
    calls = classify_calls(records, lic)
    assert calls["pool"].astype("string").tolist() == ["dial_out", pd.NA]
