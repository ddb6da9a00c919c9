"""Pricing of the sample tenant's calls, following the rules in :mod:`planner.sample`."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from planner.catalogue import (
    ZONE_A,
)
from planner.demand.calls import USER_OUT_TYPES
from planner.sample.reference import (
    ACPEA_PER_MINUTE_MICRO,
    DIAL_OUT_MINUTES,
    INTERNATIONAL_MINUTES,
    PLAN_MINUTES,
)


def _rate_lookup(rates: pd.DataFrame):
    """``(Destination Dialed, External Country) -> (per_minute_micro, fee_cents, increment)``."""
    table = {}
    r: Any  # an itertuples row: the columns as attributes
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


def _monthly_pools(users: pd.DataFrame) -> dict[tuple[str, str, str], int]:
    """Seconds in each pool at the start of a month: one domestic and one international pool
    per (country, plan), and the tenant-wide dial-out pool."""
    pools: dict[tuple[str, str, str], int] = {}
    for country, plan in zip(users["country"], users["plan"], strict=True):
        if plan in PLAN_MINUTES:
            key = ("dom", country, plan)
            pools[key] = pools.get(key, 0) + 60 * PLAN_MINUTES[plan]
        if plan in INTERNATIONAL_MINUTES:
            key = ("intl", country, plan)
            pools[key] = pools.get(key, 0) + 60 * INTERNATIONAL_MINUTES[plan]
    pools[("conf", "*", "*")] = (
        60 * DIAL_OUT_MINUTES * int(users["audio_conf"].eq("MCOMEETADD").sum())
    )
    return pools


def _rule(
    ctype: str, ctx: str, ext: str, ntype: str, odd: str, country: str, plan: str | None,
    conf: str | None,
) -> tuple[str, tuple[str, str, str] | None, bool]:  # fmt: skip
    """How a call is billed: its capability, the pool it draws on (or None), whether the
    rest is priced. ``plan`` and ``conf`` are None for a voice app's call."""
    if plan is None:  # a voice app: toll-free minutes are paid from credits
        toll = "toll" in ntype.lower()
        return ("MCOPSTNPP" if toll else "MCOEV_VIRTUALUSER"), None, toll
    if odd == "freecall":
        return "FREECALL", None, False
    if ctype.startswith("conf"):
        assert conf is not None
        if conf == "MCOMEETACPEA" or ctype != "conf_out":
            return conf, None, False
        return conf, (("conf", "*", "*") if ext in ZONE_A else None), True
    if plan == "OC":
        return "MCOEV", None, False
    if ctype not in USER_OUT_TYPES:
        return plan, None, False
    if ctx == "Domestic":
        return plan, ("dom", country, plan), True
    if INTERNATIONAL_MINUTES.get(plan, 0):
        return plan, ("intl", country, plan), True
    return plan, None, True


def price_calls(calls: pd.DataFrame, users: pd.DataFrame, rates: pd.DataFrame) -> pd.DataFrame:
    """Set ``capability``, ``charge_cents`` and ``fee_cents`` on every call (sorted by start)."""
    lookup = _rate_lookup(rates)
    plan_of = users["plan"].to_numpy()
    conf_of = users["audio_conf"].to_numpy()
    pools = _monthly_pools(users)
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
            left = dict(pools)
        plan, conf = (None, None) if u < 0 else (plan_of[u], conf_of[u])
        capability[i], pool_key, priced = _rule(ctype, ctx, ext, ntype, odd, country, plan, conf)
        if capability[i] == "MCOMEETACPEA":  # billed per minute by the licensing agreement
            charge[i] = charge_cents(int(dur), ACPEA_PER_MINUTE_MICRO, 60)
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
