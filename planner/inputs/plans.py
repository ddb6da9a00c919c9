"""Licence counts per country and plan, and the per-minute rate card."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from planner.catalogue import PAYG_PLAN, PLANS, normalize_plan
from planner.inputs.table import LINE, Table
from planner.schema import to_micro
from planner.text import number

# --------------------------------------------------------------------------------------------
# licences and rates
# --------------------------------------------------------------------------------------------

#: the highest per-minute rate or connection fee of a rate card
MAX_RATE = 1000


def read_licences(path: str | Path) -> pd.DataFrame:
    """Read licence counts: ``plan,country,users[,minutes_per_user,sms_per_user]``.

    ``plan`` is a capability code (``MCOPSTN1``, ``MCOPSTN2``, ``MCOPSTN5``, ``MCOPSTN6``,
    ``MCOPSTN8``, ``MCOPSTN9``, ``MCOMEETADD``; the ``BR``/``MX`` variants and Audio
    Conferencing variants are accepted) or a pay-as-you-go plan (``PAYG``, or any name
    containing "pay-as-you-go"). ``country`` is the users' ISO usage location (may be empty
    for ``MCOMEETADD``). An empty ``minutes_per_user`` uses the built-in allowance
    (:data:`planner.catalogue.PLANS`).

    Returns
    -------
    DataFrame
        ``plan`` (string, normalized code), ``country`` (string, upper case, <NA> when
        empty), ``users`` (int64 >= 0), ``minutes_per_user`` (float64, NaN = built-in),
        ``sms_per_user`` (int64 >= 0).
    """
    t = Table(path, "licence counts", "plan,country,users,minutes_per_user")
    plan_col = t.column("plan", "capability", "licence", "license", "sku")
    country_col = t.column("country", "usage_location", "user_location", required=False)
    users_col = t.column("users", "count", "licences", "licenses", "quantity")
    mpu_col = t.column("minutes_per_user", "minutes", required=False)
    sms_col = t.column("sms_per_user", "sms_segments_per_user", "sms", required=False)
    t.require_rows()
    plans = []
    for raw, line in zip(t.frame[plan_col], t.frame[LINE], strict=True):
        code = normalize_plan(str(raw))
        if code is None:
            raise t.error(
                int(line),
                "unknown plan {raw!r}; use one of {plans} or {payg_plan} (pay-as-you-go)",
                raw=raw,
                plans=", ".join(p for p in PLANS if p != PAYG_PLAN),
                payg_plan=PAYG_PLAN,
            )
        plans.append(code)
    if country_col is None:
        countries = pd.Series([""] * len(t), dtype=object)
    else:
        countries = t.text(country_col).str.upper()
    bad_country = ~countries.str.fullmatch(r"[A-Z]{2}|").to_numpy()
    if bad_country.any():
        i = int(np.flatnonzero(bad_country)[0])
        raise t.error(
            int(t.frame[LINE].iloc[i]),
            "country {country!r} is not a two-letter ISO code (e.g. US, GB, DE)",
            country=countries.iloc[i],
        )
    needs_country = np.array([p != "MCOMEETADD" for p in plans]) & (countries == "").to_numpy()
    if needs_country.any():
        i = int(np.flatnonzero(needs_country)[0])
        raise t.error(
            int(t.frame[LINE].iloc[i]),
            "plan {plans} needs a country: minutes are pooled per country",
            plans=plans[i],
        )
    users = t.numbers(users_col, "users")
    t._first_bad(
        (users < 0) | (users != np.floor(users)),
        users_col,
        "`users` {value} is not a whole number >= 0",
    )
    if mpu_col is not None:
        mpu = t.numbers(mpu_col, "minutes_per_user", blank=np.nan)
        t._first_bad(mpu < 0, mpu_col, "`minutes_per_user` {value} is negative")
    else:
        mpu = np.full(len(t), np.nan)
    sms = np.zeros(len(t))
    if sms_col is not None:
        sms = t.numbers(sms_col, "sms_per_user", blank=0.0)
        t._first_bad((sms < 0) | (sms != np.floor(sms)), sms_col,
                     "`sms_per_user` {value} is not a whole number >= 0")  # fmt: skip
    return pd.DataFrame(
        {
            "plan": pd.array(plans, dtype="string"),
            "country": pd.array(countries.replace("", None).tolist(), dtype="string"),
            "users": users.astype(np.int64),
            "minutes_per_user": mpu.astype(np.float64),
            "sms_per_user": sms.astype(np.int64),
        }
    )


def read_rates(path: str | Path) -> pd.DataFrame:
    """Read a rate card: ``destination,per_minute[,connection_fee,increment_seconds,currency]``.

    ``destination`` is matched case-insensitively against a call's ``Destination Dialed``
    (e.g. ``United Kingdom``, ``United States Toll Free``) or its two-letter country code;
    ``*`` is the fallback for any other destination.

    Returns
    -------
    DataFrame
        ``destination`` (string, as written), ``per_minute`` and ``connection_fee``
        (float64, for display), ``per_minute_micro`` and ``connection_fee_micro`` (int64,
        exact amounts in millionths of the currency unit), ``increment_seconds`` (int64 > 0,
        default 60), ``currency`` (string, <NA> when not given).
    """
    t = Table(
        path, "a rate card", "destination,per_minute,connection_fee,increment_seconds,currency"
    )
    dest_col = t.column("destination", "destination_dialed", "country")
    rate_col = t.column("per_minute", "rate", "price_per_minute")
    fee_col = t.column("connection_fee", required=False)
    inc_col = t.column("increment_seconds", "increment", required=False)
    cur_col = t.column("currency", required=False)
    t.require_rows()
    dest = t.text(dest_col)
    t._first_bad((dest == "").to_numpy(), dest_col, "`destination` is empty; name it or use *")
    dup = dest.str.casefold().duplicated().to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise t.error(
            int(t.frame[LINE].iloc[i]),
            "destination {destination!r} is listed twice; keep one rate per destination",
            destination=dest.iloc[i],
        )
    rates = t.decimals(rate_col, "per_minute")
    fees = t.decimals(fee_col, "connection_fee", blank="0") if fee_col else [Decimal(0)] * len(t)
    for values, label in ((rates, "per_minute"), (fees, "connection_fee")):
        for i, v in enumerate(values):
            if v < 0:
                raise t.error(
                    int(t.frame[LINE].iloc[i]), "`{label}` {v} is negative", label=label, v=v
                )
            if v > MAX_RATE:  # beyond any carrier's price; would overflow exact call costs
                raise t.error(
                    int(t.frame[LINE].iloc[i]),
                    "`{label}` {v} is implausibly high (the limit is {max_rate} a minute)",
                    label=label,
                    v=v,
                    max_rate=number(MAX_RATE),
                )
    if inc_col:
        inc = t.numbers(inc_col, "increment_seconds", blank=60.0)
        t._first_bad(
            (inc <= 0) | (inc != np.floor(inc)),
            inc_col,
            "`increment_seconds` {value} is not a whole number of seconds > 0",
        )
    else:
        inc = np.full(len(t), 60.0)
    if cur_col:
        cur = t.text(cur_col).str.upper()
        present = sorted(set(cur) - {""})
        if len(present) > 1:
            raise t.error(
                None,
                "the rate card mixes {present}; price one currency per rate card",
                present=" and ".join(present),
            )
        currency = pd.array(cur.replace("", None).tolist(), dtype="string")
    else:
        currency = pd.array([None] * len(t), dtype="string")
    return pd.DataFrame(
        {
            "destination": pd.array(dest.tolist(), dtype="string"),
            "per_minute": np.array([float(v) for v in rates], dtype=np.float64),
            "connection_fee": np.array([float(v) for v in fees], dtype=np.float64),
            "per_minute_micro": np.array([to_micro(v) for v in rates], dtype=np.int64),
            "connection_fee_micro": np.array([to_micro(v) for v in fees], dtype=np.int64),
            "increment_seconds": inc.astype(np.int64),
            "currency": currency,
        }
    )
