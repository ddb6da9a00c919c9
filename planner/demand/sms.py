"""Teams Phone SMS as credit demand: what-if pricing of segments after the plans' pooled
allowance.

Microsoft bills SMS per 160-character segment, sent and received, beyond a monthly allowance
pooled per plan (none on pay-as-you-go); 0.0075 USD a segment in the United States (the SMS
overview, 2025-02-24; ``docs/billing.md``). Neither number is published as a data file, so
both are inputs:

- **The allowance**: the licences file's optional ``sms_per_user`` column, segments a month per
  licence of the plan (empty or absent: none). The pool of a plan in a country is its users x
  ``sms_per_user``; it refills on the 1st of each month (UTC).
- **The rate**: the rate-card row named ``SMS <country>`` (the user's usage location, e.g.
  ``SMS US``), else ``SMS``; its ``per_minute`` column holds the price of one segment.

An SMS row (``kind`` ``sms``) draws on the pool of its plan (its ``capability``, e.g.
``MCOPSTN1``) in its user's country, in time order; its segments beyond the pool are billed.
The exact amount (micro-units) is summed per month and rounded to cents once: each message gets
the cents its running total adds, so the messages of a month add up to the month's exact
amount rounded to the cent (a segment costs 0.75 cents; rounding each message would bill 1).
"""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd

from planner.catalogue import normalize_plan
from planner.demand.calls import per_value, text_column, utc_dates
from planner.demand.pools import beyond_pool
from planner.money import micro_cents
from planner.schema import MICRO

__all__ = ["SMS_CATEGORY", "exact_sms", "is_sms", "price_sms", "sms_day_cents", "sms_pools"]

#: the demand category of SMS spend
SMS_CATEGORY = "sms"
#: micro-units in a cent
_MICRO_PER_CENT = MICRO // 100


def is_sms(records: pd.DataFrame) -> np.ndarray:
    """Teams Phone SMS rows (``kind`` ``sms``)."""
    return per_value(records, "kind", lambda t: t.lower() == SMS_CATEGORY)


def sms_pools(licences: pd.DataFrame) -> pd.Series:
    """Monthly SMS segments pooled per (plan, country): users x ``sms_per_user``."""
    if "sms_per_user" not in licences.columns:
        return pd.Series(dtype="int64")
    per_user = pd.to_numeric(licences["sms_per_user"], errors="coerce").fillna(0)
    segments = (licences["users"].astype("int64") * per_user).round().astype("int64")
    plans, countries = licences["plan"].astype(str), licences["country"].fillna("").astype(str)
    keys = list(zip(plans, countries, strict=True))
    return (
        pd.Series(segments.to_numpy(), index=pd.MultiIndex.from_tuples(keys))
        .groupby(level=[0, 1])
        .sum()
    )


def _rate_micro(rate: pd.DataFrame, country: pd.Series) -> np.ndarray:
    """Per-segment price (micro-units) of each message: ``SMS <country>``, else ``SMS``; -1
    when the rate card has neither."""
    prices = dict(zip(rate["key"], rate["per_minute_micro"], strict=True))
    default = prices.get("sms", -1)
    codes, uniques = pd.factorize(country.fillna("").str.lower())
    found = np.array([prices.get(f"sms {u}".strip(), default) for u in uniques] + [default])
    return found[codes].astype(np.int64)


def exact_sms(records: pd.DataFrame) -> np.ndarray:
    """The SMS rows whose charge is kept exact (``charge_micro``, :mod:`planner.schema`): their
    spend is summed per day in micro-units and rounded once (:func:`sms_day_cents`)."""
    if "charge_micro" not in records.columns:
        return np.zeros(len(records), dtype=bool)
    return is_sms(records) & records["charge_micro"].notna().to_numpy(bool)


def sms_day_cents(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The exact SMS charges of each day (``date``, ``currency``, ``micro`` rows, from any
    number of chunks) as the day's SMS spend: ``date``, ``currency``, ``category``
    (``sms``) and ``cents``, the day's exact sum rounded to the cent once
    (:func:`planner.money.micro_cents`)."""
    if not frames:
        return pd.DataFrame({"date": [], "currency": [], "category": [], "cents": []})
    days = pd.concat(frames, ignore_index=True).groupby(["date", "currency"], as_index=False)
    out = cast(pd.DataFrame, days["micro"].sum())  # as_index=False: a frame
    out["category"] = SMS_CATEGORY
    out["cents"] = micro_cents(out.pop("micro").to_numpy(np.int64))
    return out[["date", "currency", "category", "cents"]]


def _running_cents(micro: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Whole cents of each amount (micro-units): in time order, the month's running total
    rounded to the cent, less the previous message's."""
    month = start.astype("datetime64[M]").astype(np.int64)
    order = np.lexsort((start.astype(np.int64), month))
    m, a = month[order], micro[order]
    first = np.r_[True, m[1:] != m[:-1]] if len(m) else np.zeros(0, dtype=bool)
    total = np.cumsum(a)
    run = total - np.maximum.accumulate(np.where(first, total - a, 0))
    rounded = micro_cents(run)
    before = np.where(first, 0, np.r_[0, rounded[:-1]])
    out = np.empty(len(micro), dtype=np.int64)
    out[order] = rounded - before
    return out


def price_sms(
    records: pd.DataFrame, licences: pd.DataFrame, rate: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Price the SMS rows of ``records`` after the plans' pooled allowance.

    Parameters
    ----------
    records : pd.DataFrame
        Canonical records (calls are ignored).
    licences : pd.DataFrame
        :func:`planner.inputs.read_licences` (``sms_per_user`` optional).
    rate : pd.DataFrame
        :func:`planner.demand.rates.rate_table`.

    Returns
    -------
    (priced, unpriced)
        ``priced``: ``usage_id``, ``date``, ``category`` (``sms``), ``billable_segments``,
        ``cents``, ``upn``, one row per message with billable segments and a rate;
        ``unpriced``: the messages without a rate, as
        :attr:`planner.demand.DemandResult.unpriced`.
    """
    sms = records[is_sms(records) & records["start"].notna().to_numpy()]
    if sms.empty:
        return pd.DataFrame(columns=["usage_id", "date", "category", "billable_segments",
                                     "cents", "upn"]), _unpriced(sms, sms["user_location"])  # fmt: skip
    segments = sms["sms_units"].fillna(0).astype("int64").to_numpy()
    country = text_column(sms, "user_location", upper=True)
    plan = [normalize_plan(str(p)) or "" for p in sms["capability"].fillna("")]
    pools = sms_pools(licences)
    keys = list(zip(plan, country.fillna("").tolist(), strict=True))
    allowance = np.array([int(pools.get(k, 0)) for k in keys], dtype=np.int64)
    start = sms["start"].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[ns]")
    key = pd.factorize(pd.Series([f"{p}|{c}" for p, c in keys], dtype=object))[0]
    billable = beyond_pool(key.astype(np.int64), start, segments, allowance)
    price = _rate_micro(rate, country)
    ok = (billable > 0) & (price >= 0)
    cents = _running_cents(np.where(ok, billable * price, 0), start)
    sel = sms[ok]
    priced = pd.DataFrame(
        {
            "usage_id": sel["usage_id"].to_numpy(),
            "date": utc_dates(sel["start"]).to_numpy(),
            "category": SMS_CATEGORY,
            "billable_segments": billable[ok],
            "cents": cents[ok],
            "upn": sel["upn"].to_numpy(),
        }
    )
    missing = (billable > 0) & (price < 0)
    return priced, _unpriced(sms[missing], country[missing])


def _unpriced(sms: pd.DataFrame, country: pd.Series) -> pd.DataFrame:
    """The messages that needed a price and found no ``SMS`` row, one row per country, as
    :attr:`planner.demand.DemandResult.unpriced` (``calls`` counts messages)."""
    frame = pd.DataFrame(
        {
            "country": country.fillna("").to_numpy(),
            "usage_id": sms["usage_id"].astype("string").to_numpy(),
        }
    )
    out = frame.groupby("country", as_index=False).agg(
        calls=("usage_id", "size"), example_usage_id=("usage_id", "first")
    )
    return pd.DataFrame(
        {
            "category": SMS_CATEGORY,
            "destination": ("SMS " + out["country"]).str.strip(),
            "reason": "no rate for 'SMS " + out["country"] + "' or 'SMS' (price of a segment)",
            "calls": out["calls"].astype("int64"),
            "minutes": 0.0,
            "example_usage_id": out["example_usage_id"],
        }
    ).astype({"category": "string", "destination": "string", "reason": "string",
              "example_usage_id": "string"})  # fmt: skip
