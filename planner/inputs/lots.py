"""Today's balance as lots (purchase date, amount left), checked against the plan start."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from planner import text
from planner.errors import InputError
from planner.inputs.table import Table, header_key
from planner.lots import expiry_date, held_lots

# --------------------------------------------------------------------------------------------
# lots
# --------------------------------------------------------------------------------------------


def read_lots(path: str | Path) -> pd.DataFrame:
    """Read today's balance as lots, one row per purchase still holding funds.

    The file is ``purchase_date,amount`` (``amount`` may be headed ``remaining``): any other
    column is refused, so that a daily demand file (``date,amount``) given by mistake is not
    read as lots. A header-only file is an empty balance. Rows with 0 left hold nothing and
    are dropped. Check the lots against the plan start with :func:`check_lots`.

    Returns
    -------
    DataFrame
        ``purchase_date`` (datetime64[ns], normalized), ``amount`` (float64 > 0), sorted by
        purchase date (oldest first, the order FIFO consumes them).
    """
    t = Table(path, "today's balance as lots", "purchase_date,amount")
    date_col = t.column("purchase_date", "purchase date", "purchased")
    amount_col = t.column("amount", "remaining")
    extra = [h for h in t.header if header_key(h) not in (date_col, amount_col)]
    if extra:
        raise InputError(
            "{name}: unexpected column(s) {extra}; a balance file holds only "
            "`purchase_date,amount` (what is left of each purchase)",
            name=t.name,
            extra=", ".join(extra),
        )
    dates = t.dates(date_col, "purchase_date")
    amounts = t.numbers(amount_col, "amount")
    t._first_bad(
        amounts < 0, amount_col, "lot amount {value} is negative; give what is left (>= 0)"
    )
    cent = Decimal("0.01")
    t._first_bad(
        np.array([d != d.quantize(cent) for d in t.decimals(amount_col, "amount")], dtype=bool),
        amount_col,
        "lot amount {value} has more than 2 decimals; give what is left to the cent, as the "
        "admin center shows it",
    )
    out = pd.DataFrame({"purchase_date": dates.to_numpy(), "amount": amounts})
    out = out[out["amount"] > 0]
    return out.sort_values("purchase_date", kind="stable").reset_index(drop=True)


def check_lots(
    lots: pd.DataFrame, start, *, name: str = "balance"
) -> tuple[pd.DataFrame, list[str]]:
    """Today's lots as of the plan start: what can still be spent.

    The lots are checked by :func:`planner.lots.held_lots`; a lot whose expiry
    (:func:`planner.lots.expiry_date`) is on or before ``start`` holds nothing any more and is
    dropped, with a warning naming it.

    Parameters
    ----------
    lots : pd.DataFrame
        ``purchase_date``, ``amount`` (as :func:`read_lots` returns).
    start : date-like
        First day of the plan (the balance is as of that day).
    name : str
        What to call the lots in messages (e.g. the file name).

    Returns
    -------
    (pd.DataFrame, list[str])
        The lots still usable (oldest first) and the warnings.

    Raises
    ------
    InputError
        A lot dated after ``start``, or lots without dates and amounts.
    """
    start = pd.Timestamp(start).normalize()
    name = lots.attrs.get("source", name)
    held = held_lots(lots, start, name=name)
    expired = (expiry_date(held["purchase_date"]) <= start).to_numpy()
    warnings = []
    if expired.any():
        gone = ", ".join(
            f"{d.date().isoformat()} ({text.number(a, 2)})"
            for d, a in zip(held["purchase_date"][expired], held["amount"][expired], strict=True)
        )
        warnings.append(
            text.t(
                "{name}: lot(s) bought {gone} expired 12 months after purchase, before "
                "{start}, and are left out of the balance",
                name=name,
                gone=gone,
                start=start.date().isoformat(),
            )
        )
    out = held[~expired]
    return out[out["amount"] > 0].reset_index(drop=True), warnings
