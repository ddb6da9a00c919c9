"""A daily credit demand file (``date,amount`` or ``planner demand --out``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from planner.inputs.table import LINE, Table
from planner.money import net_refunds, to_cents

# --------------------------------------------------------------------------------------------
# demand
# --------------------------------------------------------------------------------------------


def read_demand_csv(
    path: str | Path, *, currency: str | None = None
) -> tuple[pd.Series, str | None]:
    """Read a daily credit demand file.

    Accepts ``date,amount`` and the output of ``planner demand --out``
    (``date,currency,amount,<category>...``; the category columns are ignored). A negative
    day (refunds or credits larger than the day's spend) is carried into the days after it
    until spent (:func:`planner.money.net_refunds`), as the plan from the exports does.

    Parameters
    ----------
    path
        The CSV file.
    currency
        Keep only the rows in this currency (for a file that holds several).

    Returns
    -------
    (demand, currency)
        ``demand``: float64 Series named ``demand``, indexed by a daily tz-naive
        ``DatetimeIndex`` named ``date`` covering first to last date, missing dates filled
        with 0. ``currency``: the ISO code, or None when the file has no currency column.

    Raises
    ------
    InputError
        Empty file, unparseable dates or amounts, several currencies
        (unless ``currency`` picks one), a date listed twice.
    """
    t = Table(path, "a daily credit demand", "date,amount")
    date_col = t.column("date")
    amount_col = t.column("amount")
    currency_col = t.column("currency", required=False)
    t.require_rows()
    frame = t.frame
    found: str | None = None
    if currency_col is not None:
        codes = t.text(currency_col).str.upper()
        t._first_bad(
            (codes == "").to_numpy(), currency_col, "`currency` is empty; give the ISO code"
        )
        present = sorted(codes.unique())
        if currency is not None:
            wanted = currency.strip().upper()
            if wanted not in present:
                raise t.error(
                    None,
                    "no rows in {wanted}; the file holds {present}",
                    wanted=wanted,
                    present=", ".join(present),
                )
            keep = (codes == wanted).to_numpy()
            frame = frame[keep]
            t = _subset(t, frame)
            found = wanted
        elif len(present) > 1:
            raise t.error(
                None,
                "{name} holds {present}: filter one currency, e.g. `planner demand "
                "EXPORTS --currency {present2} --out demand.csv` (or keep only the "
                "{present2} rows)",
                name=t.path.name,
                present=" and ".join(present),
                present2=present[0],
            )
        else:
            found = present[0]
    elif currency is not None:
        raise t.error(
            None,
            "no `currency` column, so --currency {currency} cannot be checked",
            currency=currency,
        )

    dates = t.dates(date_col, "date")
    amounts = t.numbers(amount_col, "amount")
    dup = dates.duplicated(keep=False).to_numpy()
    if dup.any():
        lines = t.frame[LINE].to_numpy()[dup][:2]
        day = dates[dup].iloc[0].date()
        raise t.error(
            int(lines[1]),
            "date {day} is listed twice (lines {lines} and {lines2}); give one total per day",
            day=day,
            lines=lines[0],
            lines2=lines[1],
        )
    series = pd.Series(
        amounts, index=pd.DatetimeIndex(dates.to_numpy(), name="date"), name="demand"
    )
    full = pd.date_range(series.index.min(), series.index.max(), freq="D", name="date")
    series = series.sort_index().reindex(full, fill_value=0.0).astype(np.float64)
    # a day whose refunds exceed its spend (``planner demand --out`` writes it as it was)
    # is netted into the days after it, as the plan from the exports does
    netted = net_refunds(to_cents(series.to_numpy())) / 100.0
    return pd.Series(netted, index=series.index, name="demand"), found


def _subset(t: Table, frame: pd.DataFrame) -> Table:
    sub = object.__new__(Table)
    sub.__dict__.update(t.__dict__)
    sub.frame = frame.reset_index(drop=True)
    return sub
