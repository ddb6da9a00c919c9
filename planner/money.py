"""Money as whole cents: amounts in, cents out, and cents back to exact amounts.

The planner adds and compares money as whole cents (int64): the readers turn the exports'
decimal text into cents without floating point (:mod:`planner.schema`), and every amount of
a policy or a demand is rounded to cents here before the engine runs. Cents come back out as
exact amounts (:func:`units`) or, for files and JSON, as their exact decimal text
(:func:`plain`). What a person reads (grouping, currency symbol, language) is
:mod:`planner.text`'s: :func:`planner.text.cents`.

>>> to_cents([34.12, 3.80, 0.32, 30]).tolist()
[3412, 380, 32, 3000]
>>> units(123456), plain(-5)
(Decimal('1234.56'), '-0.05')
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import numpy as np

_ONE = Decimal(1)


def to_cents(amounts: Any) -> np.ndarray:
    """Amounts in currency units as whole cents (int64), rounded half away from zero."""
    values = np.asarray(amounts, dtype=np.float64) * 100.0
    return (np.sign(values) * np.floor(np.abs(values) + 0.5)).astype(np.int64)


def micro_cents(micro: Any) -> np.ndarray:
    """Micro-units (millionths of a currency unit, int64) as whole cents, rounded half up:
    the one rounding of an exact sub-cent amount (an SMS segment is 0.75 cents).

    >>> micro_cents([7500, 5000, 22500, 0]).tolist()
    [1, 1, 2, 0]
    """
    return (np.asarray(micro, dtype=np.int64) + 5_000) // 10_000


def from_cents(cents: Any) -> np.ndarray:
    """Cents as amounts in currency units (float64), for tables and charts."""
    return np.asarray(cents, dtype=np.float64) / 100.0


def units(cents: Any) -> Decimal:
    """An amount of cents as an exact amount in currency units: ``1234 -> Decimal('12.34')``.

    Cents that are not whole (a mean, a float sum) are rounded half to even first, as
    :func:`round` does.
    """
    if isinstance(cents, int | np.integer):
        return Decimal(int(cents)).scaleb(-2)
    return Decimal(str(cents)).quantize(_ONE, rounding=ROUND_HALF_EVEN).scaleb(-2)


def plain(cents: Any) -> str:
    """The exact decimal text files and JSON carry: ``1234 -> '12.34'``, ``-5 -> '-0.05'``.

    No grouping and no currency, the same in every language (what a spreadsheet or a script
    reads back).
    """
    cents = int(units(cents).scaleb(2))
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{whole}.{frac:02d}"


def net_refunds(cents: np.ndarray) -> np.ndarray:
    """Daily amounts (whole cents, in date order) with every negative day, where refunds or
    credits exceed the day's spend, carried into the days after it until spent: the balance
    is credited back and the next days' spend draws on it. The total is kept, except what
    the last days never absorb (a credit with no spend after it is no demand). Days that
    are never negative are returned as they are."""
    out = np.asarray(cents, dtype=np.int64).copy()
    if not (out < 0).any():
        return out
    carry = 0
    for i in range(len(out)):
        value = int(out[i]) + carry
        carry = min(value, 0)
        out[i] = max(value, 0)
    return out
