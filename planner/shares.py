"""Shares (0.998 is 99.8%): how many decimals a share is shown with, the share as shown, and
its language-neutral text for labels a table stores. What a person reads (separators, the
percent sign's spacing) is :func:`planner.text.percent`'s.

>>> [percent_decimals(p) for p in (0.996, 0.5, 0.004, 1.0, 0.05)]
[1, 0, 1, 0, 0]
>>> plain_percent(0.998), plain_percent(0.95), rounded_share(0.0075)
('99.8%', '95%', 0.008)
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any


def missing(value: Any) -> bool:
    """None, NaN, an infinity or something that is not a number."""
    if value is None:
        return True
    try:
        return not math.isfinite(float(value))
    except (TypeError, ValueError):
        return True


def exact(value: Any) -> Decimal:
    """A number as the decimal it was meant to be."""
    # str() first: Decimal(0.125) is 0.1250000000000000069..., str(0.125) is what was meant
    if isinstance(value, Decimal | int):  # a whole number as it is (2**63 - 1 has 19 digits)
        return Decimal(value)
    return Decimal(str(float(value)))


def percent_decimals(p: Any) -> int:
    """Decimals a share is shown with: one near certainty (below 10 % or above 90 %) when
    that decimal is not 0, else none. The rule every report, sheet and message follows."""
    if missing(p):
        return 0
    tenths = exact(p * 1000).quantize(Decimal(1))  # the value in tenths of a percent
    v = float(tenths) / 10
    return 1 if (v < 10 or v > 90) and tenths % 10 != 0 else 0


def rounded_share(p: Any) -> float:
    """``p`` rounded as :func:`planner.text.percent` shows it (what the workbook stores)."""
    if missing(p):
        return float("nan")
    # the decimal value rounded half to even, as Babel rounds what the text shows
    # (round() on the binary float would show 0.7% where the text says 0.8% for 0.0075)
    step = Decimal(1).scaleb(-(2 + percent_decimals(p)))
    return float(exact(p).quantize(step, rounding=ROUND_HALF_EVEN))


def plain_percent(p: float) -> str:
    """A share as the language-neutral text a label stores (``99.8%``), with the decimals
    and rounding :func:`planner.text.percent` shows it with."""
    step = Decimal(1).scaleb(-percent_decimals(p))
    return f"{(exact(p) * 100).quantize(step, rounding=ROUND_HALF_EVEN)}%"
