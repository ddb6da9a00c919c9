"""Lots: when a purchase expires, and the one check every set of held lots passes.

A lot is a purchase of Communications Credits: its purchase date and what is left of it.
It expires 12 calendar months after its purchase date (``docs/credit-model.md`` §1): the
engine, the starting balance, the expiry schedule and the charts all ask :func:`expiry_date`.
The lots held on a day (a balance file, a starting state of the engine) are checked once,
by :func:`held_lots`, whoever reads them.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import pandas as pd

from planner.errors import InputError

Dates = TypeVar("Dates", pd.Timestamp, pd.DatetimeIndex, pd.Series)

#: what a table of lots holds
LOT_COLUMNS = ("purchase_date", "amount")


def expiry_date(purchase: Dates) -> Dates:
    """The day a lot bought on ``purchase`` expires, at its start: 12 calendar months later.

    A month-end keeps to the month's end where it can (29 February -> 28 February the next
    year; 31 March -> 31 March). Works on one date, an index or a Series of dates alike.

    >>> expiry_date(pd.Timestamp("2024-02-29")).date(), expiry_date(pd.Timestamp("2024-03-31")).date()
    (datetime.date(2025, 2, 28), datetime.date(2025, 3, 31))
    """
    return purchase + pd.DateOffset(months=12)


def held_lots(lots: pd.DataFrame, start: pd.Timestamp, *, name: str | None = None) -> pd.DataFrame:
    """The lots held on ``start``, checked: what the engine and the plan start from.

    Parameters
    ----------
    lots : pd.DataFrame
        ``purchase_date`` (dates) and ``amount`` (what is left of each lot, in currency
        units).
    start : pd.Timestamp
        The day the balance is taken (normalized).
    name : str, optional
        What to call the lots in messages; default the frame's ``attrs["source"]`` (the file
        it was read from), else ``lots``.

    Returns
    -------
    pd.DataFrame
        ``purchase_date`` (datetime64, normalized, no time zone) and ``amount`` (float64),
        oldest first. Lots already expired on ``start`` are kept: the engine expires them on
        day 0 (:func:`planner.inputs.check_lots` drops them with a warning for a plan).

    Raises
    ------
    InputError
        A missing column, a lot without a purchase date or a finite amount, a negative amount,
        or a lot bought after ``start`` (it cannot be part of the balance held that day).
    """
    name = name or lots.attrs.get("source") or "lots"
    missing = set(LOT_COLUMNS) - set(lots.columns)
    if missing:
        raise InputError(
            "{name}: missing column(s) {missing}; need purchase_date,amount",
            name=name,
            missing=sorted(missing),
        )
    dates = pd.DatetimeIndex(pd.to_datetime(lots["purchase_date"], errors="coerce")).normalize()
    if dates.tz is not None:
        dates = dates.tz_localize(None)
    amounts = pd.to_numeric(lots["amount"], errors="coerce").to_numpy(dtype=np.float64)
    if dates.hasnans or not np.isfinite(amounts).all():
        raise InputError("{name}: every lot needs a purchase date and an amount", name=name)
    if (amounts < 0).any():
        raise InputError(
            "{name}: a lot amount is negative; give what is left of it (>= 0)", name=name
        )
    late = dates > start
    if late.any():
        raise InputError(
            "{name}: a lot bought on {bought}, after the start {start}; "
            "give the lots held on that day",
            name=name,
            bought=dates[late].min().date().isoformat(),
            start=start.date().isoformat(),
        )
    out = pd.DataFrame({"purchase_date": dates, "amount": amounts})
    return out.sort_values("purchase_date", kind="stable").reset_index(drop=True)
