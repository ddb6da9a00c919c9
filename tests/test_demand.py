"""Actual credit demand from ingested records."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.demand.actual import (
    DemandAccumulator,
    DemandResult,
    actual_demand,
    licence_check,
    net_refunds,
)
from planner.demand.calls import CATEGORIES, credit_category
from planner.errors import InputError
from planner.inputs import read_demand_csv
from planner.schema import conform

_ids = itertools.count(1)

DEFAULTS = {
    "kind": "calling_plans",
    "user_location": "US",
    "upn": "ann@contoso.com",
    "call_type": "user_out",
    "call_direction": "outbound",
    "destination_context": "Domestic",
    "destination_dialed": "United States",
    "external_country": "US",
    "number_type": "Subscriber",
    "duration_s": 60,
    "charge_cents": 0,
    "connection_fee_cents": 0,
    "currency": "USD",
    "capability": "MCOPSTN1",
}


def rec(rows: list[dict]) -> pd.DataFrame:
    """Canonical records from short dicts (``start`` as text, other fields defaulted)."""
    full = []
    for row in rows:
        r = {**DEFAULTS, **row}
        r.setdefault("usage_id", f"u{next(_ids):06d}")
        start = pd.Timestamp(r["start"])
        r["start"] = start.tz_localize("UTC") if start.tz is None else start.tz_convert("UTC")
        r["end"] = r["start"] + pd.Timedelta(seconds=int(r["duration_s"]))
        full.append(r)
    df = pd.DataFrame(full)
    df["start"] = pd.to_datetime(df["start"], utc=True)
    df["end"] = pd.to_datetime(df["end"], utc=True)
    return conform(df)


def credit(start, cents, **kw):
    return {"start": start, "charge_cents": cents, "capability": "MCOPSTNPP", **kw}


def test_categories_of_each_kind_of_call():
    records = rec(
        [
            {
                "start": "2026-01-01",
                "call_type": "conf_in",
                "call_direction": "inbound",
                "number_type": "Toll Free",
            },
            {
                "start": "2026-01-01",
                "call_type": "ucap_in",
                "call_direction": "inbound",
                "number_type": None,
                "destination_dialed": "United States Toll-Free",
            },
            {
                "start": "2026-01-01",
                "call_type": "conf_out",
                "external_country": "BR",
                "destination_context": "International",
            },
            {
                "start": "2026-01-01",
                "destination_context": "International",
                "external_country": "GB",
            },
            {"start": "2026-01-01", "destination_context": None, "external_country": "DE"},
            {"start": "2026-01-01"},
            {"start": "2026-01-01", "upn": "Payg@Contoso.com"},
            {"start": "2026-01-01", "call_type": "user_in", "call_direction": "inbound"},
            {"start": "2026-01-01", "call_type": "ucap_out", "call_direction": None},
        ]
    )
    got = credit_category(records, payg_upns=["payg@contoso.com"]).tolist()
    assert got == [
        "toll_free",
        "toll_free",
        "conference_dial_out",
        "international",
        "international",
        "domestic_overage",
        "payg",
        "other",
        "domestic_overage",
    ]
    assert credit_category(records).iloc[6] == "domestic_overage"
    assert set(got) <= set(CATEGORIES)


def test_actual_demand_sums_credit_charges_by_utc_start_date():
    records = rec(
        [
            credit("2026-03-01T23:59:59Z", 150, connection_fee_cents=25),  # 1 March
            credit("2026-03-02T00:00:00Z", 10),  # 2 March
            # 23:30 at UTC-5 on 1 March is 04:30 UTC on 2 March
            credit(pd.Timestamp("2026-03-01T23:30:00-05:00"), 7, call_type="conf_out"),
            credit(
                "2026-03-04T12:00:00Z",
                1,
                number_type="Toll Free",
                call_type="conf_in",
                call_direction="inbound",
            ),
            {"start": "2026-03-05T00:00:00Z"},  # plan call: extends the range, costs nothing
        ]
    )
    result = actual_demand(records)
    daily = result.daily
    assert result.kind == "actual"
    assert daily["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2026-03-01",
        "2026-03-02",
        "2026-03-03",
        "2026-03-04",
        "2026-03-05",
    ]
    assert daily["amount_cents"].tolist() == [175, 17, 0, 1, 0]
    assert daily["domestic_overage_cents"].tolist() == [175, 10, 0, 0, 0]
    assert daily["conference_dial_out_cents"].tolist() == [0, 7, 0, 0, 0]
    assert daily["toll_free_cents"].tolist() == [0, 0, 0, 1, 0]
    assert daily["amount_cents"].dtype == np.int64
    assert result.totals() == {
        "USD": {
            "amount_cents": 193,
            "toll_free_cents": 1,
            "conference_dial_out_cents": 7,
            "international_cents": 0,
            "domestic_overage_cents": 185,
            "payg_cents": 0,
            "other_cents": 0,
            "sms_cents": 0,
        }
    }


def test_non_credit_charges_are_kept_apart():
    records = rec(
        [
            credit("2026-01-10T10:00:00Z", 300),
            {
                "start": "2026-01-10T11:00:00Z",
                "call_type": "conf_out",
                "charge_cents": 999,
                "capability": "MCOMEETACPEA",
            },
            {
                "start": "2026-01-11T11:00:00Z",
                "call_type": "conf_out",
                "charge_cents": 1,
                "connection_fee_cents": 2,
                "capability": "MCOMEETACPEA",
            },
            {"start": "2026-01-11T11:00:00Z", "charge_cents": 0, "capability": "FREECALL"},
        ]
    )
    result = actual_demand(records)
    assert result.daily["amount_cents"].tolist() == [300, 0]
    nc = result.non_credit
    assert nc.to_dict("records") == [
        {"capability": "MCOMEETACPEA", "currency": "USD", "records": 2, "cents": 1002}
    ]


def test_several_currencies_and_series():
    records = rec(
        [
            credit("2026-01-01T10:00:00Z", 100),
            credit("2026-01-03T10:00:00Z", 250, currency="EUR"),
        ]
    )
    result = actual_demand(records)
    assert result.currencies == ["EUR", "USD"]
    assert len(result.daily) == 6  # 3 days x 2 currencies
    with pytest.raises(InputError, match="holds EUR and USD: choose one currency"):
        result.series()
    series, cur = result.series("eur")
    assert cur == "EUR"
    assert series.tolist() == [0.0, 0.0, 2.5]
    assert series.index.freqstr == "D" and series.index.tz is None


def test_no_credit_rows_says_what_to_do():
    result = actual_demand(rec([{"start": "2026-01-01"}]))
    assert result.daily["amount_cents"].tolist() == [0]
    assert result.totals()["USD"]["amount_cents"] == 0
    empty = actual_demand(rec([{"start": "2026-01-01", "currency": None}]))
    assert empty.daily.empty
    with pytest.raises(InputError, match="--licences and --rates"):
        empty.series()


def test_chunks_give_the_same_result():
    rng = np.random.default_rng(7)
    n = 400
    rows = [
        credit(
            pd.Timestamp("2026-01-01", tz="UTC") + pd.Timedelta(seconds=int(s)),
            int(c),
            call_type=str(t),
            currency=str(cur),
        )
        for s, c, t, cur in zip(
            rng.integers(0, 90 * 86400, n),
            rng.integers(0, 5000, n),
            rng.choice(["user_out", "conf_out", "user_in"], n),
            rng.choice(["USD", "EUR"], n),
            strict=True,
        )
    ]
    records = rec(rows)
    whole = actual_demand(records)
    parts = actual_demand(records.iloc[i : i + 37] for i in range(0, n, 37))
    pd.testing.assert_frame_equal(whole.daily, parts.daily)
    assert whole.totals()["USD"]["amount_cents"] == int(
        records.loc[records["currency"] == "USD", "charge_cents"].sum()
    )


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 10 * 86400 - 1), st.integers(-500, 100_000), st.booleans()),
        min_size=1,
        max_size=30,
    )
)
def test_exact_cents_are_conserved(calls):
    records = rec(
        [
            {
                "start": pd.Timestamp("2026-05-01", tz="UTC") + pd.Timedelta(seconds=s),
                "charge_cents": c,
                "connection_fee_cents": 3,
                "capability": "MCOPSTNPP" if on_credits else "MCOPSTN2",
            }
            for s, c, on_credits in calls
        ]
    )
    result = actual_demand(records)
    expected = sum(c + 3 for s, c, on in calls if on and c + 3 != 0)
    assert int(result.daily["amount_cents"].sum()) == expected
    cats = result.daily[[f"{c}_cents" for c in CATEGORIES]].sum(axis=1)
    assert (cats == result.daily["amount_cents"]).all()


def test_licence_check():
    records = rec(
        [
            credit("2026-01-01", 100, upn="ann@contoso.com"),
            credit("2026-01-02", 50, upn="Bob@Contoso.com"),
            credit("2026-01-02", 70, upn="bob@contoso.com"),
            credit("2026-01-02", 5, upn="cat@contoso.com"),
            {"start": "2026-01-03", "upn": "dan@contoso.com"},
        ]
    )
    users = pd.DataFrame(
        {
            "upn": ["ann@contoso.com", "bob@contoso.com", "dan@contoso.com"],
            "has_credits_licence": [True, False, False],
        }
    )
    warnings = licence_check(records, users)
    assert warnings.to_dict("records") == [
        {"upn": "bob@contoso.com", "calls": 2, "cents": 120, "reason": "no MCOPSTNC licence"},
        {"upn": "cat@contoso.com", "calls": 1, "cents": 5, "reason": "not in the user list"},
    ]
    result = actual_demand(records, user_licences=users)
    pd.testing.assert_frame_equal(result.licence_warnings, warnings)


def test_payg_category_from_user_licences():
    records = rec([credit("2026-01-01", 100, upn="payg@contoso.com"), credit("2026-01-01", 1)])
    users = pd.DataFrame(
        {"upn": ["payg@contoso.com"], "has_credits_licence": [True], "has_payg_plan": [True]}
    )
    tot = actual_demand(records, user_licences=users).totals()["USD"]
    assert tot["payg_cents"] == 100 and tot["domestic_overage_cents"] == 1


def test_csv_round_trip_is_exact(tmp_path):
    records = rec(
        [
            credit("2026-01-01T10:00:00Z", 1),
            credit("2026-01-03T10:00:00Z", 123456, call_type="conf_out"),
        ]
    )
    result = actual_demand(records)
    path = tmp_path / "demand.csv"
    result.to_csv(path)
    lines = path.read_text().splitlines()
    assert lines[0] == "date,currency,amount," + ",".join(CATEGORIES)
    assert lines[1] == "2026-01-01,USD,0.01,0.00,0.00,0.00,0.01,0.00,0.00,0.00"
    assert lines[3] == "2026-01-03,USD,1234.56,0.00,1234.56,0.00,0.00,0.00,0.00,0.00"
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind
    series, currency = read_demand_csv(path)
    assert currency == "USD"
    pd.testing.assert_series_equal(series, result.series()[0], check_freq=False)


def test_to_json():
    records = rec([credit("2026-01-01T10:00:00Z", 199)])
    doc = actual_demand(records).to_json()
    assert doc["kind"] == "actual"
    assert doc["currencies"]["USD"]["amount"] == "1.99"
    assert doc["currencies"]["USD"]["by_category"]["domestic_overage"] == "1.99"
    assert doc["unpriced"] == [] and doc["licence_warnings"] == []


def test_damaged_credit_row_is_named():
    records = rec([credit("2026-01-01", 100, currency=None, source_file="a.csv", source_row=7)])
    with pytest.raises(InputError, match=r"a\.csv, line 7: .*without a currency"):
        actual_demand(records)


def test_result_validates_kind():
    with pytest.raises(ValueError, match="kind"):
        DemandResult(DemandAccumulator().result().daily, "forecast")


def test_a_refund_larger_than_its_days_spend_is_netted_into_the_days_after():
    """A credit of 8.00 on a day that spent 5.00: the engine's demand never goes below 0
    (the scenarios refuse negative spend); the 3.00 left is drawn on by the next days'
    spend, so the total is kept."""
    records = rec(
        [
            credit("2026-01-01T10:00:00Z", 400),
            credit("2026-01-02T10:00:00Z", 500),
            credit("2026-01-02T11:00:00Z", -800),
            credit("2026-01-03T10:00:00Z", 200),
            credit("2026-01-04T10:00:00Z", 400),
        ]
    )
    demand = actual_demand(records)
    history, currency = demand.series()
    assert currency == "USD"
    assert list(history) == [4.0, 0.0, 0.0, 3.0]
    assert history.sum() == pytest.approx(demand.daily["amount_cents"].sum() / 100)
    # days never negative are as they were; a credit nothing spends after is no demand
    assert list(net_refunds(np.array([100, 0, 250]))) == [100, 0, 250]
    assert list(net_refunds(np.array([100, -300, 50]))) == [100, 0, 0]


def test_a_demand_file_with_a_refund_day_reads_as_the_plan_reads_the_exports(tmp_path):
    """``planner demand --out`` writes a refund's day as it was (negative); the demand file
    reader nets it into the days after it, the same series the plan draws from."""
    records = rec(
        [
            credit("2026-01-01T10:00:00Z", 400),
            credit("2026-01-02T11:00:00Z", -800),
            credit("2026-01-04T10:00:00Z", 700),
        ]
    )
    demand = actual_demand(records)
    path = tmp_path / "demand.csv"
    demand.to_csv(path)
    assert "-8.00" in path.read_text()
    series, currency = read_demand_csv(path)
    expected, _ = demand.series()
    assert currency == "USD"
    assert list(series) == list(expected) == [4.0, 0.0, 0.0, 0.0]
