"""Money as whole cents (planner.money), the lots' expiry and check (planner.lots), and the one
formatter of cents for people (planner.text.cents)."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from planner import text
from planner.errors import InputError
from planner.lots import expiry_date, held_lots
from planner.money import from_cents, plain, to_cents, units


def test_plain_is_the_exact_text_of_files():
    cents = (0, 5, 100, 123456, -5, -105, np.int64(7), 12.5, 13.5)
    assert [plain(c) for c in cents] == [
        "0.00", "0.05", "1.00", "1234.56", "-0.05", "-1.05", "0.07", "0.12", "0.14",
    ]  # fmt: skip


def test_units_are_exact_and_round_half_to_even():
    assert units(123456) == Decimal("1234.56") and str(units(100)) == "1.00"
    assert units(Decimal("1999")) == Decimal("19.99")
    assert [units(c) for c in (0.5, 1.5, 2.5)] == [
        Decimal("0.00"),
        Decimal("0.02"),
        Decimal("0.02"),
    ]
    big = 2**62 + 1  # beyond float precision, still exact
    assert units(big) * 100 == big


def test_to_cents_rounds_half_away_from_zero():
    assert to_cents([34.12, 3.80, 0.32, 30, 0.005, -0.005]).tolist() == [3412, 380, 32, 3000, 1, -1]
    assert from_cents(np.array([3412, -5])).tolist() == [34.12, -0.05]


@pytest.mark.parametrize(
    ("cents", "currency", "expected"),
    [
        (123456, "USD", "$1,234.56"),
        (0, "EUR", "€0.00"),
        (-5, "EUR", "-€0.05"),
        (100_000_000_01, "", "100,000,000.01"),
        (Decimal("1999"), "GBP", "£19.99"),
        (1234.5, None, "12.34"),
        (None, "USD", text.MISSING),
        (pd.NA, "USD", text.MISSING),
        (float("nan"), None, text.MISSING),
    ],
)
def test_cents_for_people(cents, currency, expected):
    assert text.cents(cents, currency) == expected


def test_cents_for_people_in_french():
    with text.language("fr"):
        assert text.cents(123456, "USD").replace("\u202f", " ").replace("\xa0", " ") == (
            "1 234,56 $US"
        )


@pytest.mark.parametrize(
    ("bought", "expires"),
    [
        ("2024-02-29", "2025-02-28"),  # no 29 February next year
        ("2024-03-31", "2025-03-31"),
        ("2024-01-31", "2025-01-31"),
        ("2023-12-15", "2024-12-15"),
    ],
)
def test_a_lot_expires_12_calendar_months_after_purchase(bought, expires):
    assert expiry_date(pd.Timestamp(bought)) == pd.Timestamp(expires)
    index = expiry_date(pd.DatetimeIndex([bought]))
    series = expiry_date(pd.Series(pd.to_datetime([bought])))
    assert index[0] == series.iloc[0] == pd.Timestamp(expires)


def _lots(dates, amounts):
    return pd.DataFrame({"purchase_date": pd.to_datetime(dates), "amount": amounts})


def test_held_lots_are_sorted_and_keep_the_expired():
    start = pd.Timestamp("2025-05-01")
    held = held_lots(_lots(["2025-04-01", "2024-01-01"], [10.0, 5.0]), start)
    assert held["purchase_date"].tolist() == [
        pd.Timestamp("2024-01-01"),
        pd.Timestamp("2025-04-01"),
    ]
    assert held["amount"].tolist() == [5.0, 10.0]


@pytest.mark.parametrize(
    ("lots", "message"),
    [
        (pd.DataFrame({"purchase_date": ["2025-01-01"]}), r"missing column\(s\) \['amount'\]"),
        (_lots(["2025-01-01"], [-1.0]), "negative"),
        (_lots(["2025-01-01"], [float("nan")]), "needs a purchase date and an amount"),
        (pd.DataFrame({"purchase_date": ["soon"], "amount": [1.0]}), "needs a purchase date"),
        (_lots(["2025-05-02"], [1.0]), "a lot bought on 2025-05-02, after the start 2025-05-01"),
    ],
)
def test_held_lots_refuse_what_cannot_be_held(lots, message):
    lots.attrs["source"] = "lots.csv"
    with pytest.raises(InputError, match=rf"^lots\.csv: .*{message}"):
        held_lots(lots, pd.Timestamp("2025-05-01"))
