"""The small CSV inputs: demand, lots, licences, rates, user licences."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from planner.errors import InputError
from planner.inputs import (
    read_demand_csv,
    read_licences,
    read_lots,
    read_rates,
    read_user_licences,
)


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# ---- demand ---------------------------------------------------------------------------------


def test_demand_simple_fills_missing_dates(tmp_path):
    path = write(tmp_path, "demand.csv", "date,amount\n2026-01-01,1.50\n2026-01-04,2\n")
    series, currency = read_demand_csv(path)
    assert currency is None
    assert series.dtype == np.float64
    assert list(series.index) == list(pd.date_range("2026-01-01", "2026-01-04", freq="D"))
    assert series.index.tz is None
    assert series.tolist() == [1.5, 0.0, 0.0, 2.0]


def test_demand_planner_output_shape(tmp_path):
    text = (
        "date,currency,amount,toll_free,conference_dial_out,international,domestic_overage,payg,other\n"
        "2026-02-02,EUR,3.00,1.00,2.00,0.00,0.00,0.00,0.00\n"
        "2026-02-01,EUR,0.25,0.25,0.00,0.00,0.00,0.00,0.00\n"
    )
    series, currency = read_demand_csv(write(tmp_path, "d.csv", text))
    assert currency == "EUR"
    assert series.tolist() == [0.25, 3.0]
    assert series.index[0] == pd.Timestamp("2026-02-01")


def test_demand_semicolon_decimal_comma_bom(tmp_path):
    text = "\ufeffDate;Amount\n2026-01-01;1,25\n2026-01-02;0\n"
    series, _ = read_demand_csv(write(tmp_path, "d.csv", text))
    assert series.tolist() == [1.25, 0.0]


def test_demand_timestamps_are_normalized_in_utc(tmp_path):
    text = "date,amount\n2026-01-01T23:30:00-02:00,1\n2026-01-01,2\n"
    series, _ = read_demand_csv(write(tmp_path, "d.csv", text))
    # 23:30 at UTC-2 is 01:30 UTC on 2 January
    assert series.to_dict() == {pd.Timestamp("2026-01-01"): 2.0, pd.Timestamp("2026-01-02"): 1.0}


def test_demand_mixed_currencies_refused_with_a_fix(tmp_path):
    text = "date,currency,amount\n2026-01-01,USD,1\n2026-01-01,EUR,2\n"
    path = write(tmp_path, "demand.csv", text)
    with pytest.raises(
        InputError, match=r"demand\.csv holds EUR and USD: filter one currency, e\.g\."
    ):
        read_demand_csv(path)
    series, currency = read_demand_csv(path, currency="usd")
    assert currency == "USD" and series.tolist() == [1.0]


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("", r"d\.csv is empty"),
        ("date,amount\n", r"header but no rows"),
        (
            "date,amount\n2026-01-01,1\n13/13/2026,1\n",
            r"line 3: `date` value '13/13/2026' is not a date; write YYYY-MM-DD \(or MM/DD/YYYY",
        ),
        ("date,amount\n2026-01-01,abc\n", r"line 2: `amount` value 'abc' is not a number"),
        ("date,amount\n2026-01-01,1\n2026-01-01,2\n", r"line 3: date 2026-01-01 is listed twice"),
        ("day,spend\n2026-01-01,1\n", r"no `date` column"),
        ("date,amount\n2026-01-01,1,3\n", r"line 2: 3 fields where the header has 2"),
    ],
)
def test_demand_bad_files(tmp_path, text, pattern):
    path = write(tmp_path, "d.csv", text)
    with pytest.raises(InputError, match=pattern) as err:
        read_demand_csv(path)
    assert str(path) in str(err.value)


def test_demand_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_demand_csv(tmp_path / "nope.csv")


# ---- lots -----------------------------------------------------------------------------------


def test_lots_sorted_and_alternative_headers(tmp_path):
    text = "purchase_date,remaining\n2026-03-01,50\n2025-11-15,20.5\n2026-01-01,0\n"
    lots = read_lots(write(tmp_path, "lots.csv", text))
    assert list(lots.columns) == ["purchase_date", "amount"]
    assert lots["purchase_date"].dtype == "datetime64[ns]"
    assert lots["amount"].dtype == np.float64
    assert lots["purchase_date"].tolist() == [
        pd.Timestamp("2025-11-15"),
        pd.Timestamp("2026-03-01"),
    ]
    assert lots["amount"].tolist() == [20.5, 50.0]


def test_a_demand_file_is_not_read_as_lots(tmp_path):
    with pytest.raises(InputError, match="no `purchase_date` column"):
        read_lots(write(tmp_path, "demand.csv", "date,amount\n2026-03-01,50\n"))
    with pytest.raises(InputError, match="unexpected column.*currency"):
        read_lots(write(tmp_path, "x.csv", "purchase_date,amount,currency\n2026-03-01,50,USD\n"))


def test_lots_header_only_is_an_empty_balance(tmp_path):
    lots = read_lots(write(tmp_path, "lots.csv", "purchase_date,amount\n"))
    assert lots.empty and list(lots.columns) == ["purchase_date", "amount"]


def test_lots_bad_rows(tmp_path):
    with pytest.raises(InputError, match=r"lots\.csv, line 3: lot amount -5 is negative"):
        read_lots(
            write(tmp_path, "lots.csv", "purchase_date,amount\n2026-01-01,5\n2026-01-02,-5\n")
        )
    with pytest.raises(InputError, match=r"line 2: `purchase_date` value 'soon'"):
        read_lots(write(tmp_path, "lots.csv", "purchase_date,amount\nsoon,5\n"))


def test_lots_dates_are_read_with_the_exports_rules(tmp_path):
    """As the exports: day first in a semicolon-separated file (a French Excel), month first
    in a comma-separated one; ISO 8601 in either."""
    french = read_lots(write(tmp_path, "fr.csv", "purchase_date;amount\n05/11/2025;295,18\n"))
    assert french["purchase_date"].tolist() == [pd.Timestamp("2025-11-05")]
    assert french["amount"].tolist() == [295.18]
    us = read_lots(write(tmp_path, "us.csv", "purchase_date,amount\n05/11/2025,10\n"))
    assert us["purchase_date"].tolist() == [pd.Timestamp("2025-05-11")]
    dotted = read_lots(write(tmp_path, "de.csv", "purchase_date;amount\n05.11.2025;1\n"))
    assert dotted["purchase_date"].tolist() == [pd.Timestamp("2025-11-05")]
    with pytest.raises(InputError, match=r"'25/11/2025' is not a date.*MM/DD/YYYY"):
        read_lots(write(tmp_path, "bad.csv", "purchase_date,amount\n25/11/2025,10\n"))


# ---- licences -------------------------------------------------------------------------------


def test_licences(tmp_path):
    text = (
        "plan,country,users,minutes_per_user\n"
        "MCOPSTN1,us,10,\n"
        "mcopstn2mx,MX,2,500\n"
        "MCOMEETADD,,115,\n"
        "Pay-as-you-go,GB,3,\n"
    )
    lic = read_licences(write(tmp_path, "lic.csv", text))
    assert lic["plan"].tolist() == ["MCOPSTN1", "MCOPSTN2", "MCOMEETADD", "PAYG"]
    assert lic["country"].tolist()[:2] == ["US", "MX"]
    assert pd.isna(lic["country"].iloc[2])
    assert lic["users"].tolist() == [10, 2, 115, 3]
    assert np.isnan(lic["minutes_per_user"].iloc[0]) and lic["minutes_per_user"].iloc[1] == 500


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("plan,country,users\nMCOPSTNX,US,1\n", r"line 2: unknown plan 'MCOPSTNX'"),
        ("plan,country,users\nMCOPSTN1,USA,1\n", r"line 2: country 'USA' is not a two-letter"),
        ("plan,country,users\nMCOPSTN1,,1\n", r"line 2: plan MCOPSTN1 needs a country"),
        ("plan,country,users\nMCOPSTN1,US,1.5\n", r"line 2: `users` 1.5 is not a whole number"),
        (
            "plan,country,users,minutes_per_user\nMCOPSTN1,US,1,-3\n",
            r"line 2: `minutes_per_user` -3 is negative",
        ),
    ],
)
def test_licences_bad(tmp_path, text, pattern):
    with pytest.raises(InputError, match=pattern):
        read_licences(write(tmp_path, "lic.csv", text))


# ---- rates ----------------------------------------------------------------------------------


def test_rates_exact_micro_units_and_defaults(tmp_path):
    text = (
        "destination,per_minute,connection_fee,increment_seconds,currency\n"
        "United Kingdom,0.0195,,,gbp\n"
        "*,0.10,0.05,30,GBP\n"
    )
    rates = read_rates(write(tmp_path, "rates.csv", text))
    assert rates["per_minute_micro"].tolist() == [19_500, 100_000]
    assert rates["connection_fee_micro"].tolist() == [0, 50_000]
    assert rates["increment_seconds"].tolist() == [60, 30]
    assert rates["currency"].tolist() == ["GBP", "GBP"]


def test_rates_minimal(tmp_path):
    rates = read_rates(write(tmp_path, "r.csv", "destination;per_minute\nDE;0,012\n"))
    assert rates["per_minute_micro"].tolist() == [12_000]
    assert pd.isna(rates["currency"].iloc[0])


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("destination,per_minute\nUK,0.1\nuk,0.2\n", r"line 3: destination 'uk' is listed twice"),
        (
            "destination,per_minute\nUK,cheap\n",
            r"line 2: `per_minute` value 'cheap' is not a number",
        ),
        ("destination,per_minute\nUK,-0.1\n", r"line 2: `per_minute` -0.1 is negative"),
        (
            "destination,per_minute,increment_seconds\nUK,0.1,0\n",
            r"line 2: `increment_seconds` 0 is not a whole number",
        ),
        ("destination,per_minute,currency\nUK,0.1,USD\nDE,0.1,EUR\n", r"mixes EUR and USD"),
        ("destination,per_minute\n,0.1\n", r"line 2: `destination` is empty"),
    ],
)
def test_rates_bad(tmp_path, text, pattern):
    with pytest.raises(InputError, match=pattern):
        read_rates(write(tmp_path, "rates.csv", text))


# ---- user licences --------------------------------------------------------------------------


def test_user_licences_admin_center_export(tmp_path):
    text = (
        "Display name,User principal name,Licenses,Usage location\n"
        'Ann,Ann@Contoso.com,"Microsoft 365 E5+Communications Credits",US\n'
        "Bob,bob@contoso.com,Microsoft 365 E5+Microsoft Teams Audio Conferencing,US\n"
        "Cat,cat@contoso.com,MCOPSTNC+Microsoft Teams Calling Plan pay-as-you-go,GB\n"
        "Dan,dan@contoso.com,Unlicensed,US\n"
    )
    users = read_user_licences(write(tmp_path, "users.csv", text, encoding="cp1252"))
    assert users["upn"].tolist() == [
        "ann@contoso.com",
        "bob@contoso.com",
        "cat@contoso.com",
        "dan@contoso.com",
    ]
    assert users["has_credits_licence"].tolist() == [True, False, True, False]
    assert users["has_payg_plan"].tolist() == [False, False, True, False]


def test_user_licences_simple_shape(tmp_path):
    text = "upn,mcopstnc\na@x.com,yes\nb@x.com,0\nc@x.com,TRUE\na@x.com,yes\n"
    users = read_user_licences(write(tmp_path, "u.csv", text))
    assert users.set_index("upn")["has_credits_licence"].to_dict() == {
        "a@x.com": True,
        "b@x.com": False,
        "c@x.com": True,
    }


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("upn,mcopstnc\na@x.com,maybe\n", r"line 2: `mcopstnc` value 'maybe' is not true/false"),
        ("upn,mcopstnc\na@x.com,yes\nA@x.com,no\n", r"line 3: user a@x.com is listed twice"),
        ("upn,department\na@x.com,sales\n", re.escape("neither a `Licenses` column")),
        ("name,mcopstnc\na,yes\n", r"no `upn` column"),
    ],
)
def test_user_licences_bad(tmp_path, text, pattern):
    with pytest.raises(InputError, match=pattern):
        read_user_licences(write(tmp_path, "u.csv", text))
