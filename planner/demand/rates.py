"""The rate card: validated and exact (micro-units), and the rate row pricing each call.

A call is priced at the rate-card row whose ``destination`` equals its ``Destination Dialed``
(case-insensitive), else the row named by its other party's country code, else ``*``
(``docs/credit-model.md``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.errors import InputError
from planner.schema import MICRO, to_micro


def rate_table(rates: pd.DataFrame) -> pd.DataFrame:
    """Validate a rate card and express it exactly in micro-units.

    Accepts the output of :func:`planner.inputs.read_rates` or an in-memory frame with
    ``destination``, ``per_minute`` [, ``connection_fee``, ``increment_seconds``,
    ``currency``] (numbers, decimal strings or ``Decimal``).

    Returns
    -------
    DataFrame
        ``destination`` (as given), ``key`` (lower case, for matching),
        ``per_minute_micro``, ``connection_fee_micro`` (int64, millionths of the currency
        unit), ``increment_seconds`` (int64 > 0), ``currency`` (string or <NA>).
    """
    missing = {"destination", "per_minute"} - set(rates.columns)
    if "per_minute_micro" in rates.columns:  # already expressed exactly
        missing.discard("per_minute")
    if missing:
        raise InputError(
            "the rate card lacks the column(s) {missing}", missing=", ".join(sorted(missing))
        )
    n = len(rates)
    dest = rates["destination"].astype("string").str.strip()
    if dest.isna().any() or (dest == "").any():
        raise InputError("the rate card has a row without a destination; name it or use *")
    key = dest.str.lower()
    if key.duplicated().any():
        raise InputError(
            "the rate card lists destination {destination!r} twice",
            destination=dest[key.duplicated()].iloc[0],
        )

    def micro_column(name: str, given: str) -> np.ndarray:
        if given in rates.columns:
            return rates[given].to_numpy(dtype=np.int64)
        if name not in rates.columns:
            return np.zeros(n, dtype=np.int64)
        values = rates[name].fillna(0) if rates[name].dtype != object else rates[name]
        out = np.array([to_micro(0 if pd.isna(v) else v) for v in values], dtype=np.int64)
        if (out < 0).any():
            raise InputError("the rate card has a negative {name}", name=name)
        return out

    per_minute = micro_column("per_minute", "per_minute_micro")
    fee = micro_column("connection_fee", "connection_fee_micro")
    if "increment_seconds" in rates.columns:
        inc = pd.to_numeric(rates["increment_seconds"]).fillna(60).to_numpy()
        if (inc <= 0).any() or (inc != np.floor(inc)).any():
            raise InputError(
                "the rate card has an increment_seconds that is not a whole number > 0"
            )
    else:
        inc = np.full(n, 60)
    if "currency" in rates.columns:
        currency = rates["currency"].astype("string").str.upper()
    else:
        currency = pd.Series(pd.array([None] * n, dtype="string"))
    if currency.dropna().nunique() > 1:
        raise InputError(
            "the rate card mixes {unique}; price one currency per rate card",
            unique=" and ".join(sorted(currency.dropna().unique())),
        )
    return pd.DataFrame(
        {
            "destination": dest.to_numpy(),
            "key": key.to_numpy(),
            "per_minute_micro": per_minute,
            "connection_fee_micro": fee,
            "increment_seconds": inc.astype(np.int64),
            "currency": currency.to_numpy(),
        }
    ).astype({"destination": "string", "key": "string", "currency": "string"})


def price_cents(
    billable_seconds: np.ndarray,
    per_minute_micro: np.ndarray,
    connection_fee_micro: np.ndarray,
    increment_seconds: np.ndarray,
) -> np.ndarray:
    """Exact price of each call in cents, rounded half-up per call.

    ``ceil(billable / increment) * increment / 60 * per_minute + connection_fee``, computed in
    integers (millionths of a currency unit over 60) so no float rounding enters.
    Calls with no billable seconds cost nothing (not even the connection fee).

    >>> price_cents(np.array([61, 0]), np.array([20_000, 20_000]), np.array([0, 0]),
    ...             np.array([60, 60])).tolist()
    [4, 0]
    """
    b = np.asarray(billable_seconds, dtype=np.int64)
    inc = np.asarray(increment_seconds, dtype=np.int64)
    units = -(-b // inc)  # ceil for b >= 0
    # amount in units of 1e-6 / 60 of the currency: seconds x micro per minute, + fee x 60
    scaled = units * inc * np.asarray(per_minute_micro, dtype=np.int64) + 60 * np.asarray(
        connection_fee_micro, dtype=np.int64
    )
    per_cent = 60 * (MICRO // 100)
    cents = (scaled + per_cent // 2) // per_cent
    return np.where(b > 0, cents, 0).astype(np.int64)


def rate_index(rates: pd.DataFrame, dialed: pd.Series, country: pd.Series) -> np.ndarray:
    """Row of ``rates`` pricing each call (-1 when none): destination name, country, ``*``."""
    position = {k: i for i, k in enumerate(rates["key"])}
    fallback = position.get("*", -1)

    def lookup(values: pd.Series) -> np.ndarray:
        codes, uniques = pd.factorize(values.astype("string").str.strip().str.lower())
        found = np.array([position.get(u, -1) for u in uniques] + [-1], dtype=np.int64)
        return found[codes]

    by_name = lookup(dialed)
    by_country = lookup(country)
    return np.where(by_name >= 0, by_name, np.where(by_country >= 0, by_country, fallback))
