"""What-if pricing after minute pools: each rule by hand, and calibration on the sample."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_demand import rec

from planner.demand.pools import beyond_pool, pool_minutes, user_plans
from planner.demand.pricing import (
    calibrate,
    classify_calls,
    price_calls,
    whatif_demand,
)
from planner.demand.rates import price_cents, rate_table
from planner.errors import InputError

RATES = pd.DataFrame(
    {
        "destination": ["United States", "United States Toll Free", "GB", "United Kingdom", "*"],
        "per_minute": ["0.02", "0.03", "0.05", "0.04", "0.10"],
        "connection_fee": ["0", "0.01", "0.05", "0", "0"],
        "increment_seconds": [60, 60, 6, 60, 60],
        "currency": ["USD"] * 5,
    }
)


def licences(*rows):
    return pd.DataFrame(rows, columns=["plan", "country", "users", "minutes_per_user"])


US_2_MIN = licences(("MCOPSTN1", "US", 1, 2))  # a 120-second domestic pool


def cents_of(records, lic=US_2_MIN, rates=RATES):
    priced, unpriced = price_calls(records, lic, rates)
    got = dict(zip(priced["usage_id"], priced["cents"], strict=True))
    return [int(got.get(u, 0)) for u in records["usage_id"]], unpriced


# ---- the price of a call -----------------------------------------------------------------------


def test_price_increments_connection_fee_and_half_up():
    # 61 s in 6 s increments = 66 s = 1.1 min x 0.05 = 0.055, + 0.05 fee = 0.105 -> 0.11
    # 61 s in 60 s increments = 2 min x 0.02 = 0.04; 0 s costs nothing, not even the fee
    # 1 s at 0.015/min in 1 s increments = 0.00025 -> 0.00
    got = price_cents(
        np.array([61, 61, 0, 1]),
        np.array([50_000, 20_000, 50_000, 15_000]),
        np.array([50_000, 0, 50_000, 0]),
        np.array([6, 60, 6, 1]),
    )
    assert got.tolist() == [11, 4, 0, 0]


def test_rate_table_exact_from_floats_and_text():
    table = rate_table(pd.DataFrame({"destination": ["A", "b"], "per_minute": [0.0195, "0.1"]}))
    assert table["per_minute_micro"].tolist() == [19_500, 100_000]
    assert table["increment_seconds"].tolist() == [60, 60]
    assert table["key"].tolist() == ["a", "b"]
    with pytest.raises(InputError, match="twice"):
        rate_table(pd.DataFrame({"destination": ["A", "a"], "per_minute": [1, 2]}))


# ---- pools -------------------------------------------------------------------------------------


def test_pool_minutes_table():
    lic = licences(
        ("MCOPSTN1", "US", 10, None),
        ("MCOPSTN2", "US", 2, None),
        ("MCOPSTN1", "FR", 5, None),
        ("MCOPSTN8", "GB", 3, None),
        ("MCOMEETADD", None, 115, None),
        ("PAYG", "DE", 4, None),
    )
    table = pool_minutes(lic)
    assert list(table.columns) == [
        "pool",
        "country",
        "plan",
        "users",
        "minutes_per_user",
        "minutes",
    ]
    pools = table.set_index(["pool", "country", "plan"])["minutes"]
    # one domestic pool per country and plan: US MCOPSTN1 and MCOPSTN2 users do not share
    assert pools[("domestic", "US", "MCOPSTN1")] == 10 * 3000
    assert pools[("domestic", "US", "MCOPSTN2")] == 2 * 3000
    assert pools[("domestic", "FR", "MCOPSTN1")] == 5 * 1200
    assert pools[("international", "US", "MCOPSTN2")] == 2 * 600
    assert pools[("domestic_per_user", "GB", "MCOPSTN8")] == 3 * 120
    assert pools[("dial_out", pd.NA, "MCOMEETADD")] == 6900
    assert len(pools) == 6  # pay-as-you-go brings no pool


def test_pool_minutes_one_row_per_country_and_plan():
    # two rows of one plan and country (an alias among them) make one pool; the French
    # MCOPSTN5 and MCOPSTN6 users have a pool each
    lic = licences(
        ("MCOPSTN5", "FR", 70, None),
        ("MCOPSTN6", "FR", 8, None),
        ("MCOPSTN5", "FR", 2, None),
        ("MCOPSTN2", "MX", 3, None),
        ("MCOPSTN2MX", "MX", 1, None),
    )
    pools = pool_minutes(lic)
    assert pools[["pool", "country", "plan", "users", "minutes"]].values.tolist() == [
        ["domestic", "FR", "MCOPSTN5", 72, 8640.0],
        ["domestic", "FR", "MCOPSTN6", 8, 1920.0],
        ["domestic", "MX", "MCOPSTN2", 4, 4800.0],
        ["international", "MX", "MCOPSTN2", 4, 2400.0],
    ]
    assert pools["minutes_per_user"].tolist() == [120.0, 240.0, 1200.0, 600.0]


def test_pool_exhaustion_mid_call():
    records = rec(
        [
            {"start": "2026-01-05T10:00:00Z", "duration_s": 90},  # 90 of 120 s used
            {"start": "2026-01-06T10:00:00Z", "duration_s": 90},  # 30 in pool, 60 beyond
            {"start": "2026-01-07T10:00:00Z", "duration_s": 30},  # all beyond: 1 min
        ]
    )
    assert cents_of(records)[0] == [0, 2, 2]


def test_calls_draw_in_start_order_not_row_order():
    records = rec(
        [
            {"start": "2026-01-07T10:00:00Z", "duration_s": 30},
            {"start": "2026-01-05T10:00:00Z", "duration_s": 120},
        ]
    )
    assert cents_of(records)[0] == [2, 0]


def test_pool_resets_on_the_first_of_the_month():
    records = rec(
        [
            # starts on 31 January: billed to January's pool though it ends in February
            {"start": "2026-01-31T23:59:00Z", "duration_s": 200},  # 80 s beyond -> 2 min
            {"start": "2026-02-01T00:00:00Z", "duration_s": 100},  # February's pool
            {"start": "2026-02-01T00:05:00Z", "duration_s": 100},  # 80 s beyond
        ]
    )
    assert cents_of(records)[0] == [4, 0, 4]


def test_two_plans_in_one_country_exhaust_independently():
    # US MCOPSTN1: 1 user x 2 min = 120 s; US MCOPSTN2: 1 user x 1 min = 60 s. One shared
    # pool of 180 s would charge the third call; the MCOPSTN1 pool still holds 20 s for it.
    lic = licences(("MCOPSTN1", "US", 1, 2), ("MCOPSTN2", "US", 1, 1))
    a = {"upn": "a@x.com", "capability": "MCOPSTN1"}
    b = {"upn": "b@x.com", "capability": "MCOPSTN2"}
    records = rec(
        [
            {**a, "start": "2026-01-05T10:00:00Z", "duration_s": 100},  # 20 s left in a's pool
            {**b, "start": "2026-01-05T11:00:00Z", "duration_s": 90},  # 30 s beyond b's: 1 min
            {**a, "start": "2026-01-06T10:00:00Z", "duration_s": 20},  # a's pool: exactly full
            {**a, "start": "2026-01-07T10:00:00Z", "duration_s": 30},  # beyond: 1 min
            # priced calls carry MCOPSTNPP: the user's plan comes from their other calls
            {**b, "start": "2026-01-07T11:00:00Z", "duration_s": 30, "capability": "MCOPSTNPP"},
        ]
    )
    assert cents_of(records, lic)[0] == [0, 2, 0, 2, 2]
    calls = classify_calls(records, lic)
    assert calls["pool_key"].tolist() == ["US MCOPSTN1", "US MCOPSTN2"] + ["US MCOPSTN1"] * 2 + [
        "US MCOPSTN2"
    ]
    assert calls["pool_minutes"].tolist() == [2.0, 1.0, 2.0, 2.0, 1.0]
    assert calls["pool_id"].nunique() == 2


def test_french_plans_have_a_pool_each():
    lic = licences(("MCOPSTN5", "FR", 72, None), ("MCOPSTN6", "FR", 8, None))
    fr = {"user_location": "FR", "destination_dialed": "France", "external_country": "FR"}
    records = rec(
        [
            {**fr, "start": "2026-01-05T10:00:00Z", "upn": "a@x.fr", "capability": "MCOPSTN5"},
            {**fr, "start": "2026-01-05T10:00:00Z", "upn": "b@x.fr", "capability": "MCOPSTN6"},
        ]
    )
    calls = classify_calls(records, lic)
    assert calls["pool_key"].tolist() == ["FR MCOPSTN5", "FR MCOPSTN6"]
    assert calls["pool_minutes"].tolist() == [72 * 120.0, 8 * 240.0]
    assert calls["pool_id"].nunique() == 2


def test_international_pools_per_plan():
    # MCOPSTN2: 600 international minutes; MCOPSTN9 overridden to 1 minute (60 s)
    lic = licences(("MCOPSTN2", "US", 1, None), ("MCOPSTN9", "US", 1, 1))
    intl = {"destination_context": "International", "external_country": "GB",
            "destination_dialed": None, "duration_s": 90}  # fmt: skip
    records = rec(
        [
            {**intl, "start": "2026-01-05T10:00:00Z", "upn": "x@x.com", "capability": "MCOPSTN9"},
            {**intl, "start": "2026-01-05T11:00:00Z", "upn": "y@x.com", "capability": "MCOPSTN2"},
        ]
    )
    # x: 30 s beyond its 60 s pool at GB 0.05/min in 6 s steps = 0.025, + 0.05 fee -> 0.08
    assert cents_of(records, lic)[0] == [8, 0]
    calls = classify_calls(records, lic)
    assert calls["pool_key"].tolist() == ["US MCOPSTN9", "US MCOPSTN2"]
    assert calls["pool_minutes"].tolist() == [1.0, 600.0]


def test_user_plans_two_plans_and_none_seen():
    lic = licences(("MCOPSTN1", "US", 100, None), ("MCOPSTN2", "US", 10, None),
                   ("MCOPSTN5", "FR", 5, None), ("MCOPSTN6", "FR", 5, None))  # fmt: skip
    fr = {"user_location": "FR", "upn": "two@x.fr"}
    records = rec(
        [
            # a user whose calls show two plans draws on the plan most of them show
            {**fr, "start": "2026-01-05T10:00:00Z", "capability": "MCOPSTN6"},
            {**fr, "start": "2026-01-06T10:00:00Z", "capability": "MCOPSTN5"},
            {**fr, "start": "2026-01-07T10:00:00Z", "capability": "MCOPSTN5"},
            # ties: the lower plan code
            {"start": "2026-01-05T10:00:00Z", "upn": "tie@x.fr", "user_location": "FR",
             "capability": "MCOPSTN6"},
            {"start": "2026-01-06T10:00:00Z", "upn": "tie@x.fr", "user_location": "FR",
             "capability": "MCOPSTN5"},
            # never seen under a plan: the country's biggest pool by licences
            {"start": "2026-01-05T10:00:00Z", "upn": "unseen@x.com", "capability": "MCOPSTNPP"},
            # international add-on only: the biggest domestic pool, its own international one
            {"start": "2026-01-05T10:00:00Z", "upn": "addon@x.com", "capability": "MCOPSTN9",
             "destination_context": "International", "external_country": "GB"},
        ]
    )  # fmt: skip
    users = user_plans(records, lic)
    assert users.loc["two@x.fr", "plan"] == "MCOPSTN5"
    assert users.loc["tie@x.fr", "plan"] == "MCOPSTN5"
    assert users.loc["unseen@x.com", "plan"] == "MCOPSTN1"
    assert users.loc["unseen@x.com", "intl_plan"] == "MCOPSTN2"  # the country's only one
    assert users.loc["addon@x.com", ["plan", "intl_plan"]].tolist() == ["MCOPSTN1", "MCOPSTN9"]
    assert not users.loc["two@x.fr", "international_plan"]
    calls = classify_calls(records, lic)
    assert calls.loc[calls["upn"] == "two@x.fr", "pool_key"].eq("FR MCOPSTN5").all()


def test_per_user_allowance_is_not_pooled():
    lic = licences(("MCOPSTN8", "US", 2, 1))  # 60 s each
    records = rec(
        [
            {"start": "2026-01-05T10:00:00Z", "duration_s": 120, "upn": "a@x.com",
             "capability": "MCOPSTN8"},
            {"start": "2026-01-05T11:00:00Z", "duration_s": 30, "upn": "b@x.com",
             "capability": "MCOPSTN8"},
        ]
    )  # fmt: skip
    assert cents_of(records, lic)[0] == [2, 0]  # a's 60 s beyond; b's 30 s within b's own


# ---- the rules ---------------------------------------------------------------------------------


def test_conference_dial_out_zone_a_pool_and_other_destinations():
    lic = licences(("MCOMEETADD", None, 1, None))  # 60 minutes, tenant-wide
    conf = {"call_type": "conf_out", "capability": "MCOMEETADD"}
    records = rec(
        [
            {**conf, "start": "2026-03-02T10:00:00Z", "duration_s": 3000,
             "external_country": "GB", "destination_dialed": "United Kingdom"},
            {**conf, "start": "2026-03-03T10:00:00Z", "duration_s": 1200,
             "external_country": "GB", "destination_dialed": "United Kingdom"},
            {**conf, "start": "2026-03-04T10:00:00Z", "duration_s": 60,
             "external_country": "AE", "destination_dialed": "United Arab Emirates"},
        ]
    )  # fmt: skip
    cents, _ = cents_of(records, lic)
    # 600 s beyond the 3600 s pool at 0.04 (the "United Kingdom" row wins over "GB")
    assert cents == [0, 40, 10]


def test_international_with_and_without_an_international_plan():
    lic = licences(("MCOPSTN1", "US", 1, None), ("MCOPSTN2", "US", 1, None))
    intl = {"destination_context": "International", "external_country": "GB",
            "destination_dialed": None, "duration_s": 60}  # fmt: skip
    records = rec(
        [
            {**intl, "start": "2026-01-05T10:00:00Z", "upn": "dom@x.com", "capability": "MCOPSTN1"},
            {
                **intl,
                "start": "2026-01-05T11:00:00Z",
                "upn": "both@x.com",
                "capability": "MCOPSTN2",
            },
        ]
    )
    # the domestic-only user pays from the first minute: 60 s at GB 0.05 + 0.05 fee
    assert cents_of(records, lic)[0] == [10, 0]


def test_toll_free_inbound_emergency_and_ordinary_inbound():
    lic = licences(("MCOPSTN1", "US", 1, 0))  # no minutes at all
    records = rec(
        [
            {"start": "2026-01-05T10:00:00Z", "call_type": "ucap_in", "call_direction": "inbound",
             "number_type": "Toll Free", "destination_dialed": "United States Toll Free",
             "duration_s": 61, "capability": "MCOEV_VIRTUALUSER"},
            {"start": "2026-01-05T10:00:00Z", "call_type": "emergency_out", "duration_s": 120},
            {"start": "2026-01-05T10:00:00Z", "call_type": "user_in", "call_direction": "inbound",
             "duration_s": 300},
        ]
    )  # fmt: skip
    # toll-free: 2 min x 0.03 + 0.01
    assert cents_of(records, lic)[0] == [7, 0, 0]


def test_pay_as_you_go_pays_every_outgoing_minute():
    lic = licences(("MCOPSTN1", "US", 1, None), ("PAYG", "GB", 1, None))
    records = rec(
        [
            {"start": "2026-01-05T10:00:00Z", "upn": "p@x.com", "user_location": "GB",
             "external_country": "GB", "destination_dialed": "United Kingdom", "duration_s": 30,
             "capability": "MCOPSTNPP"},
            {"start": "2026-01-05T10:00:00Z", "upn": "p@x.com", "user_location": "GB",
             "call_type": "user_in", "call_direction": "inbound", "duration_s": 30,
             "capability": "MCOEV"},
        ]
    )  # fmt: skip
    result = whatif_demand(records, lic, RATES)
    assert result.totals()["USD"]["payg_cents"] == 4
    assert result.totals()["USD"]["amount_cents"] == 4


def test_calls_billed_elsewhere_cost_nothing():
    lic = licences(("MCOPSTN1", "US", 1, 0))
    records = rec(
        [
            {"start": "2026-01-05T10:00:00Z", "operator": "Lumen", "capability": "MCOEV"},
            {"start": "2026-01-05T10:00:00Z", "kind": "direct_routing", "call_type": "dr_out"},
            {
                "start": "2026-01-05T10:00:00Z",
                "call_type": "conf_out",
                "capability": "MCOMEETACPEA",
            },
            {"start": "2026-01-05T10:00:00Z", "capability": "FREECALL"},
            {"start": "2026-01-05T10:00:00Z", "operator": "Microsoft"},
        ]
    )
    assert cents_of(records, lic)[0] == [0, 0, 0, 0, 2]


def test_unpriced_calls_are_listed_never_priced_at_zero():
    rates = RATES[RATES["destination"] != "*"]
    lic = licences(("MCOPSTN1", "US", 1, 0))
    records = rec(
        [
            {"start": "2026-01-05T10:00:00Z", "destination_context": "International",
             "external_country": "NG", "destination_dialed": "Nigeria", "duration_s": 90},
            {"start": "2026-01-06T10:00:00Z", "duration_s": 60},
        ]
    )  # fmt: skip
    result = whatif_demand(records, lic, rates)
    assert result.totals()["USD"]["amount_cents"] == 2
    row = result.unpriced.iloc[0]
    assert (row["category"], row["destination"], row["calls"], row["minutes"]) == (
        "international", "Nigeria", 1, 1.5,
    )  # fmt: skip
    assert "no rate for destination 'Nigeria' or country 'NG' and no '*' row" == row["reason"]
    assert result.to_json()["unpriced"][0]["destination"] == "Nigeria"


def test_whatif_result_shape_and_licence_warnings():
    lic = licences(("MCOPSTN1", "US", 1, 0))
    records = rec(
        [
            {"start": "2026-01-05T10:00:00Z", "upn": "a@x.com"},
            {"start": "2026-01-07T10:00:00Z", "upn": "b@x.com", "duration_s": 120},
        ]
    )
    users = pd.DataFrame({"upn": ["a@x.com", "b@x.com"], "has_credits_licence": [True, False]})
    result = whatif_demand(records, lic, RATES, user_licences=users)
    assert result.kind == "whatif"
    assert result.daily["amount_cents"].tolist() == [2, 0, 4]
    assert result.daily["currency"].unique().tolist() == ["USD"]
    assert result.licence_warnings.to_dict("records") == [
        {"upn": "b@x.com", "calls": 1, "cents": 4, "reason": "no MCOPSTNC licence"}
    ]


def test_currency_must_be_known():
    rates = RATES.drop(columns="currency")
    records = rec([{"start": "2026-01-05T10:00:00Z", "currency": None}])
    with pytest.raises(InputError, match="add a `currency` column"):
        whatif_demand(records, US_2_MIN, rates)


# ---- the vectorised pool against a call-by-call reference ---------------------------------------


def _reference(key, start, seconds, pool):
    left: dict = {}
    out = np.zeros(len(key), dtype=np.int64)
    for i in sorted(range(len(key)), key=lambda i: (start[i], i)):
        month = (start[i].year, start[i].month)
        remaining = left.setdefault((key[i], month), pool[i])
        drawn = min(remaining, seconds[i])
        left[(key[i], month)] = remaining - drawn
        out[i] = seconds[i] - drawn
    return out


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c"]),
            st.integers(0, 70 * 86400),
            st.integers(0, 4000),
        ),
        min_size=1,
        max_size=40,
        unique_by=lambda t: t[1],
    )
)
def test_vectorised_pool_matches_call_by_call(calls):
    key = np.array([c[0] for c in calls], dtype=object)
    start = pd.DatetimeIndex(
        [pd.Timestamp("2026-01-20") + pd.Timedelta(seconds=c[1]) for c in calls]
    )
    seconds = np.array([c[2] for c in calls], dtype=np.int64)
    pool = np.array([{"a": 3000, "b": 60, "c": 10_000}[k] for k in key], dtype=np.int64)
    got = beyond_pool(key, start.to_numpy(), seconds, pool)
    assert got.tolist() == _reference(list(key), list(start), seconds, pool).tolist()


# ---- calibration on the sample tenant ----------------------------------------------------------


@pytest.fixture(scope="module")
def sample():
    from planner.sample import generate_sample

    return generate_sample()


def test_sample_tenant_calibrates(sample):
    table = calibrate(sample.records, sample.licences, sample.rates)
    assert len(table) == 13  # October 2025 to October 2026
    assert (table["actual_cents"] > 0).all()
    # the licences and rate card reproduce the tenant's own charges to the cent, every month
    assert (table["diff_cents"] == 0).all(), table.to_string()
    by_cat = calibrate(sample.records, sample.licences, sample.rates, by_category=True)
    assert by_cat["actual_cents"].sum() == table["actual_cents"].sum()
    assert (by_cat["diff_cents"] == 0).all(), by_cat.to_string()
    assert set(by_cat["category"]) >= {"toll_free", "conference_dial_out", "domestic_overage"}


def test_legacy_rows_find_their_country_from_the_destination_name():
    # legacy exports have no External Country: "Netherlands" is priced by the "NL" row
    # learned from a current-export row, "Japan" through the Zone A name table
    rates = pd.DataFrame(
        {"destination": ["NL", "JP", "*"], "per_minute": ["0.04", "0.06", "1.00"],
         "currency": ["USD"] * 3}
    )  # fmt: skip
    lic = licences(("MCOPSTN1", "US", 1, None))
    intl = {"destination_context": "International", "duration_s": 60}
    records = rec(
        [
            {**intl, "start": "2026-01-05T10:00:00Z", "destination_dialed": "Netherlands",
             "external_country": "NL"},
            {**intl, "start": "2026-01-05T11:00:00Z", "destination_dialed": "Netherlands",
             "external_country": None},
            {**intl, "start": "2026-01-05T12:00:00Z", "destination_dialed": "Japan",
             "external_country": None},
        ]
    )  # fmt: skip
    assert cents_of(records, lic, rates)[0] == [4, 4, 6]


def test_user_calls_under_teams_phone_alone_go_through_an_operator():
    lic = licences(("MCOPSTN1", "US", 1, 0))
    records = rec(
        [
            {"start": "2026-01-05T10:00:00Z", "capability": "MCOEV", "operator": None},
            {"start": "2026-01-05T10:00:00Z", "capability": "MCOEV_VIRTUALUSER",
             "call_type": "ucap_in", "call_direction": "inbound", "number_type": "Toll Free",
             "destination_dialed": "United States Toll Free"},
        ]
    )  # fmt: skip
    assert cents_of(records, lic)[0] == [0, 4]


def test_classify_calls_names_the_pool_of_each_call():
    lic = licences(("MCOPSTN2", "US", 2, None), ("MCOMEETADD", None, 3, None))
    records = rec(
        [
            {"start": "2026-01-05T10:00:00Z", "capability": "MCOPSTN2"},
            {"start": "2026-01-05T10:00:00Z", "capability": "MCOPSTN2",
             "destination_context": "International", "external_country": "DE"},
            {"start": "2026-01-05T10:00:00Z", "call_type": "conf_out", "external_country": "GB",
             "capability": "MCOMEETADD"},
            {"start": "2026-01-05T10:00:00Z", "call_type": "user_in", "call_direction": "inbound"},
        ]
    )  # fmt: skip
    calls = classify_calls(records, lic)
    assert len(calls) == 3  # the ordinary inbound call costs nothing and is left out
    assert calls["pool"].tolist() == ["domestic", "international", "dial_out"]
    assert calls["pool_key"].tolist() == ["US MCOPSTN2", "US MCOPSTN2", "*"]
    assert calls["pool_country"].tolist() == ["US", "US", pd.NA]
    assert calls["pool_plan"].tolist() == ["MCOPSTN2", "MCOPSTN2", pd.NA]
    assert calls["pool_minutes"].tolist() == [6000.0, 1200.0, 180.0]
    assert calls["category"].tolist() == [
        "domestic_overage",
        "international",
        "conference_dial_out",
    ]


def test_shipped_sample_files_calibrate():
    # through the shipped files: ingest keeps the legacy export's rows for its months
    # (no External Country, no Operator column), and pricing must still match
    from planner.ingest import read_exports
    from planner.inputs import read_licences, read_rates
    from planner.sample import sample_dir

    root = sample_dir()
    records = read_exports([root / "exports"]).records
    table = calibrate(records, read_licences(root / "licences.csv"), read_rates(root / "rates.csv"))
    assert len(table) == 13
    assert (table["diff_cents"] == 0).all(), table.to_string()


def test_whatif_accepts_record_chunks():
    lic = licences(("MCOPSTN1", "US", 1, 1))
    records = rec([{"start": f"2026-01-{d:02d}T10:00:00Z", "duration_s": 45} for d in range(1, 11)])
    whole = whatif_demand(records, lic, RATES)
    chunks = whatif_demand((records.iloc[i : i + 3] for i in range(0, 10, 3)), lic, RATES)
    pd.testing.assert_frame_equal(whole.daily, chunks.daily)
    assert whole.totals()["USD"]["amount_cents"] == 2 * 8 + 2 * 1  # 60 s pool, then 45 s calls
    assert whole.pools["minutes"].tolist() == [1.0]


# ---- end to end against a call-by-call reference ---------------------------------------------

_USERS = {  # upn: (country, capability)
    "d1@x.com": ("US", "MCOPSTN1"),
    "d2@x.com": ("US", "MCOPSTN1"),
    "i1@x.com": ("US", "MCOPSTN2"),
    "p1@x.com": ("GB", "MCOPSTN8"),
    "p2@x.com": ("GB", "MCOPSTN8"),
}
_LIC = licences(("MCOPSTN1", "US", 2, 1), ("MCOPSTN2", "US", 1, 1), ("MCOPSTN8", "GB", 2, 1))


def _reference_cents(calls):
    """Per call: pools of 60 s a user (US domestic pooled per plan: 120 s for the two
    MCOPSTN1 users, 60 s for the MCOPSTN2 one; US international 600 min, GB per user 60 s);
    domestic calls at the "United States" rate (0.02/min), international
    ones to GB at 0.05/min in 6 s steps + 0.05."""
    left: dict = {}
    out = {}
    for i, (upn, intl, start, seconds) in sorted(enumerate(calls), key=lambda c: (c[1][2], c[0])):
        country, cap = _USERS[upn]
        month = (start.year, start.month)
        if intl:
            pool = ("intl", "US") if cap == "MCOPSTN2" else None
            size = 600 * 60
        elif cap == "MCOPSTN8":
            pool, size = ("user", upn), 60
        else:
            pool, size = ("dom", country, cap), {"MCOPSTN1": 120, "MCOPSTN2": 60}[cap]
        billable = seconds
        if pool is not None:
            remaining = left.setdefault((pool, month), size)
            drawn = min(remaining, seconds)
            left[(pool, month)] = remaining - drawn
            billable = seconds - drawn
        if billable == 0:
            out[i] = 0
        elif intl:  # GB rate: 6 s increments, 0.05/min + 0.05
            out[i] = (-(-billable // 6) * 6 * 50_000 + 60 * 50_000 + 300_000) // 600_000
        else:
            out[i] = (-(-billable // 60) * 60 * 20_000 + 300_000) // 600_000
    return [out[i] for i in range(len(calls))]


@settings(max_examples=15, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(sorted(_USERS)),
            st.booleans(),
            st.integers(0, 50 * 86400),
            st.integers(1, 400),
        ),
        min_size=1,
        max_size=30,
        unique_by=lambda c: c[2],
    )
)
def test_pricing_matches_a_call_by_call_reference(draw):
    calls = [
        (upn, intl, pd.Timestamp("2026-01-15", tz="UTC") + pd.Timedelta(seconds=s), secs)
        for upn, intl, s, secs in draw
    ]
    records = rec(
        [
            {
                "start": start,
                "upn": upn,
                "user_location": _USERS[upn][0],
                "capability": _USERS[upn][1],
                "duration_s": secs,
                "destination_context": "International" if intl else "Domestic",
                "external_country": "GB" if intl else _USERS[upn][0],
                "destination_dialed": None if intl else "United States",
            }
            for upn, intl, start, secs in calls
        ]
    )
    assert cents_of(records, _LIC)[0] == _reference_cents(calls)
