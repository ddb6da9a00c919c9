"""Pricing of the sample tenant's calls, following the rules in :mod:`planner.sample`."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd

from planner.calls import USER_OUT_TYPES
from planner.catalogue import (
    ZONE_A,
)
from planner.sample.reference import (
    ACPEA_PER_MINUTE_MICRO,
    DIAL_OUT_MINUTES,
    INTERNATIONAL_MINUTES,
    PLAN_MINUTES,
)


def _rate_lookup(rates: pd.DataFrame):
    """``(Destination Dialed, External Country) -> (per_minute_micro, fee_cents, increment)``."""
    table = {}
    for r in rates.itertuples():
        per_minute_micro = Fraction(r.per_minute) * 1_000_000
        fee_cents = Fraction(r.connection_fee) * 100
        if per_minute_micro.denominator != 1 or fee_cents.denominator != 1:
            raise ValueError(f"rate for {r.destination}: too many decimals")
        table[str(r.destination).casefold()] = (
            int(per_minute_micro),
            int(fee_cents),
            int(r.increment_seconds),
        )

    def lookup(destination_dialed: str, country: str) -> tuple[int, int, int]:
        for key in (destination_dialed, country, "*"):
            hit = table.get((key or "").casefold())
            if hit is not None:
                return hit
        raise KeyError(destination_dialed)

    return lookup


def charge_cents(billable_seconds: int, per_minute_micro: int, increment_seconds: int) -> int:
    """``ceil(billable / increment) * increment / 60 * per_minute``, half-up to the cent."""
    units = -(-billable_seconds // increment_seconds)
    numerator = units * increment_seconds * per_minute_micro  # millionths x 60
    denominator = 60 * 10_000  # millionths x 60 -> cents
    return (2 * numerator + denominator) // (2 * denominator)


def price_calls(calls: pd.DataFrame, users: pd.DataFrame, rates: pd.DataFrame) -> pd.DataFrame:
    """Set ``capability``, ``charge_cents`` and ``fee_cents`` on every call (sorted by start)."""
    lookup = _rate_lookup(rates)
    plan_of = users["plan"].to_numpy()
    conf_of = users["audio_conf"].to_numpy()
    country_of = users["country"].to_numpy()
    # one domestic and one international pool per (country, plan), in seconds
    domestic_pool: dict[tuple[str, str], int] = {}
    intl_pool: dict[tuple[str, str], int] = {}
    for country, plan in zip(country_of, plan_of, strict=True):
        if plan in PLAN_MINUTES:
            key = (country, plan)
            domestic_pool[key] = domestic_pool.get(key, 0) + 60 * PLAN_MINUTES[plan]
        if plan in INTERNATIONAL_MINUTES:
            key = (country, plan)
            intl_pool[key] = intl_pool.get(key, 0) + 60 * INTERNATIONAL_MINUTES[plan]
    dial_out_pool = 60 * DIAL_OUT_MINUTES * int((conf_of == "MCOMEETADD").sum())

    n = len(calls)
    capability = np.empty(n, dtype=object)
    charge = np.zeros(n, dtype=np.int64)
    fee = np.zeros(n, dtype=np.int64)
    month = calls["month"].to_numpy()
    left: dict[tuple[str, str, str], int] = {}
    current_month = None
    names = ("user", "call_type", "context", "dialed", "ext", "duration", "number_type", "odd",
             "country")  # fmt: skip
    cols = zip(*(calls[c].tolist() for c in names), strict=True)
    for i, (u, ctype, ctx, dialed, ext, dur, ntype, odd, country) in enumerate(cols):
        if month[i] != current_month:
            current_month = month[i]
            left = {("dom", *k): v for k, v in domestic_pool.items()}
            left.update({("intl", *k): v for k, v in intl_pool.items()})
            left[("conf", "*", "*")] = dial_out_pool
        pool_key = None
        priced = False
        if u < 0:  # a voice app
            toll = "toll" in ntype.lower()
            capability[i] = "MCOPSTNPP" if toll else "MCOEV_VIRTUALUSER"
            priced = toll
        elif odd == "freecall":
            capability[i] = "FREECALL"
        elif ctype.startswith("conf"):
            capability[i] = conf_of[u]
            if conf_of[u] == "MCOMEETACPEA":  # billed per minute by the licensing agreement
                charge[i] = charge_cents(int(dur), ACPEA_PER_MINUTE_MICRO, 60)
            elif ctype == "conf_out":
                if ext in ZONE_A:
                    pool_key = ("conf", "*", "*")
                priced = True
        elif plan_of[u] == "OC":
            capability[i] = "MCOEV"
        else:
            capability[i] = plan_of[u]
            if ctype in USER_OUT_TYPES:
                priced = True
                if ctx == "Domestic":
                    pool_key = ("dom", country, plan_of[u])
                elif INTERNATIONAL_MINUTES.get(plan_of[u], 0):
                    pool_key = ("intl", country, plan_of[u])
        if not priced:
            continue
        billable = int(dur)
        if pool_key is not None:
            drawn = min(billable, left[pool_key])
            left[pool_key] -= drawn
            billable -= drawn
        if billable > 0:
            capability[i] = "MCOPSTNPP"
            per_minute_micro, fee[i], increment = lookup(dialed, ext)
            charge[i] = charge_cents(billable, per_minute_micro, increment)
    out = calls.copy()
    out["capability"] = capability
    out["charge_cents"] = charge
    out["fee_cents"] = fee
    return out
