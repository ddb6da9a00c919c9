"""What-if credit demand: price a tenant's calls after its minute pools.

For a tenant sizing its first funding there are no ``MCOPSTNPP`` rows yet. Its calls are
priced from its licences (minute pools, :mod:`planner.demand.pools`) and a rate card, following the
Communications Credits rules (``docs/credit-model.md``): :func:`whatif_demand`. For a tenant
that already uses credits, :func:`calibrate` checks that its licences and rate card
reproduce its charges month by month.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from planner.catalogue import (
    NOT_ON_CREDITS_PREFIXES,
    ZONE_A,
)
from planner.demand.actual import (
    LICENCE_WARNING_COLUMNS,
    UNPRICED_COLUMNS,
    DemandResult,
    daily_table,
    licence_warnings,
    non_credit_charges,
)
from planner.demand.calls import (
    credit_category,
    is_conference_dial_out,
    is_international,
    is_outbound,
    is_toll_free,
    other_country,
    per_value,
    text_column,
    utc_dates,
)
from planner.demand.pools import beyond_pool, pool_minutes, user_plans
from planner.demand.rates import price_cents, rate_index, rate_table
from planner.demand.sms import price_sms
from planner.errors import InputError
from planner.schema import credit_cents, empty_records

#: pool kinds, by the codes classify_calls uses (0: priced from the first minute)
POOL_KINDS: tuple[str, ...] = ("", "dial_out", "international", "domestic_per_user", "domestic")


_PRICED_CATEGORIES = (
    "toll_free",
    "conference_dial_out",
    "payg",
    "international",
    "domestic_overage",
)


def _free_of_credits(records: pd.DataFrame) -> np.ndarray:
    """Calls that never cost credits, whatever their direction: Direct Routing, a capability
    billed elsewhere, emergency calls, Operator Connect, no start time or no duration."""
    free = per_value(records, "kind", lambda t: t.lower() == "direct_routing")
    free |= per_value(
        records, "capability", lambda t: t.upper().startswith(NOT_ON_CREDITS_PREFIXES)
    )
    free |= per_value(records, "call_type", lambda t: "emergency" in t.lower())
    # Operator Connect: the carrier bills these calls
    free |= per_value(records, "operator", lambda t: t.lower() != "microsoft")
    free |= records["start"].isna().to_numpy()
    free |= records["duration_s"].fillna(0).to_numpy(np.int64) <= 0
    return free


def _pool_of_calls(
    pool: np.ndarray,
    plan_name: np.ndarray,
    who: np.ndarray,
    where: np.ndarray,
    country_values: pd.Index,
    upn_values: pd.Index,
    per_user_minutes: np.ndarray,
    pools: pd.DataFrame,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Number the pools the calls draw on and describe each.

    ``pool`` is each call's pool kind (index into :data:`POOL_KINDS`), ``plan_name`` the plan
    whose pool it draws on, ``who`` / ``where`` its user and country codes. Returns each call's
    pool number, and per pool: its key, country, plan, minutes per month, and id (-1 for the
    calls priced from the first minute).
    """
    plan_code, plan_values = pd.factorize(plan_name)
    # a pool is a (kind, country, plan) triple, a (domestic_per_user, user) pair, or the
    # tenant-wide dial-out pool
    by_country_plan = (where + 1) * (len(plan_values) + 1) + plan_code + 1
    key = np.select([pool == 3, (pool == 2) | (pool == 4)], [who, by_country_plan], 0)
    span = max(len(upn_values), (len(country_values) + 1) * (len(plan_values) + 1)) + 1
    pool_id, pairs = pd.factorize(pool.astype(np.int64) * span + key)
    size = {
        (p, c if pd.notna(c) else "*", "*" if p == "dial_out" else n): m
        for p, c, n, m in zip(
            pools["pool"], pools["country"], pools["plan"], pools["minutes"], strict=True
        )
    }
    first = np.zeros(len(pairs), dtype=np.int64)
    first[pool_id[::-1]] = np.arange(len(pool_id))[::-1]  # a row of each pool
    pair_pool = pool[first]
    pair_country = np.array(
        [
            country_values[k] if k >= 0 and p != 1 else None
            for p, k in zip(pair_pool, where[first], strict=True)
        ],
        dtype=object,
    )
    pair_plan = plan_name[first]

    def pool_name(p: int, w: int, c: str | None, n: str | None) -> str:
        if p == 1:
            return "*"
        if p == 3:
            return upn_values[w]
        return " ".join(x for x in (c, n) if isinstance(x, str))

    pair_key = np.array(
        [pool_name(*x) for x in zip(pair_pool, who[first], pair_country, pair_plan, strict=True)],
        dtype=object,
    )
    pair_minutes = np.array(
        [
            per_user_minutes[i]
            if p == 3
            else size.get(
                (POOL_KINDS[p], "*" if p == 1 or c is None else c, "*" if p == 1 else n), 0.0
            )
            for p, c, n, i in zip(pair_pool, pair_country, pair_plan, first, strict=True)
        ]
    )
    pair_pool_id = np.where(pair_pool == 0, -1, np.arange(len(pairs)))
    return pool_id, pair_key, pair_country, pair_plan, pair_minutes, pair_pool_id


def classify_calls(
    records: pd.DataFrame,
    licences: pd.DataFrame,
    *,
    user_licences: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """How the credit rules treat each call that may cost credits, before pricing.

    Rules (``docs/credit-model.md`` §1):

    - toll-free inbound calls (:func:`planner.demand.calls.is_toll_free`) are priced from the first
      minute;
    - conference dial-out to Zone A draws on the tenant-wide dial-out pool, other
      destinations are priced from the first minute;
    - outgoing calls of pay-as-you-go users (:func:`user_plans`) are priced from the first
      minute;
    - international calls draw on the international pool of the user's country and
      international plan (``MCOPSTN2`` / ``MCOPSTN9``) when the user has one, else are
      priced from the first minute;
    - domestic outgoing calls draw on the user's own allowance (``MCOPSTN8``) or on the
      domestic pool of the user's country and plan, shared only with the users holding
      the same plan there (:func:`user_plans` says which plan a user holds);
    - nothing else costs credits, and is left out: ordinary inbound and emergency calls,
      Direct Routing calls, Operator Connect calls (an ``operator`` other than Microsoft, or
      a user call carried by ``MCOEV``, Teams Phone without a Calling Plan: the carrier
      bills them), ``MCOMEETACPEA`` conferencing (billed through the licensing agreement),
      ``FREECALL`` rows, calls of 0 seconds.

    Returns
    -------
    DataFrame
        One row per call that may cost credits, indexed like ``records``: ``usage_id``,
        ``upn`` (lower case), ``start``, ``seconds`` (int64), ``category`` (categorical, of
        :data:`planner.demand.calls.CATEGORIES`), ``pool`` (categorical: ``dial_out``,
        ``international``, ``domestic_per_user``, ``domestic``; <NA> when priced from the
        first minute), ``pool_key`` (names the pool: ``"<country> <plan>"`` such as
        ``"FR MCOPSTN5"``, the user for ``domestic_per_user``, ``*`` for dial-out),
        ``pool_country`` (the pool's country, <NA> for dial-out), ``pool_plan`` (the plan
        whose minutes the pool holds; <NA> for dial-out and when the user's plan is
        unknown), ``pool_id`` (int64, one number per pool, -1 for none), ``pool_minutes``
        (size of that pool per month: the licences' minutes of that country and plan, 0
        when they give none), ``destination_dialed``,
        ``other_country`` (:func:`other_country`).
    """
    users = _Users.of(records, user_plans(records, licences, user_licences=user_licences))
    pools = pool_minutes(licences)
    other = other_country(records)
    category, pool = _rules(records, users, other)
    keep = np.flatnonzero((category > 0) & ~_free_of_credits(records))
    drawn = _pools_drawn(records, users, pool[keep], keep, pools)
    return _classified(records, users, other, keep, category[keep], pool[keep], drawn)


@dataclass(frozen=True)
class _Users:
    """Each call's user (lower-case UPN) and what :func:`planner.demand.pools.user_plans` says of
    them, looked up once per distinct UPN."""

    upn: pd.Series  # per call
    code: np.ndarray  # per call: position in ``values`` (-1 without a UPN)
    values: pd.Index  # the distinct UPNs
    plans: pd.DataFrame  # user_plans rows, one per distinct UPN

    @classmethod
    def of(cls, records: pd.DataFrame, users: pd.DataFrame) -> _Users:
        upn = records["upn"].astype("string").str.lower()
        code, values = pd.factorize(upn)
        return cls(upn, code, values, users.reindex(pd.Index(values, dtype="string")))

    def column(self, col: str, missing: Any) -> np.ndarray:
        """The users' ``col`` for every call, ``missing`` for unknown users and values."""
        values = self.plans[col].to_numpy(dtype=object)
        values = np.append(np.where(pd.isna(values), missing, values), missing)
        return values[self.code]


def _rules(records: pd.DataFrame, users: _Users, other: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The credit rules of :func:`classify_calls`, call by call: the category code (1 + its
    position in ``_PRICED_CATEGORIES``, 0 for a call that never costs credits) and the pool
    kind (position in :data:`POOL_KINDS`, 0 for priced from the first minute)."""
    capability = text_column(records, "capability", upper=True)
    outbound = is_outbound(records)
    toll_free = is_toll_free(records) & ~outbound
    conf = is_conference_dial_out(records)
    # a user call carried by MCOEV alone (Teams Phone without a Calling Plan) went through
    # an operator, not a Calling Plan
    operator_connect = capability.eq("MCOEV").fillna(False).to_numpy(bool)
    user_call = outbound & ~conf & ~operator_connect
    payg = users.column("payg", False).astype(bool) & user_call
    international = is_international(records) & user_call & ~payg
    domestic = user_call & ~payg & ~international
    per_user = users.column("per_user_allowance", False).astype(bool) & domestic
    has_intl = users.column("international_plan", False).astype(bool)
    zone_a = other.isin(list(ZONE_A)).fillna(False).to_numpy(bool)
    category = np.select([toll_free, conf, payg, international, domestic], [1, 2, 3, 4, 5], 0)
    pool = np.select([conf & zone_a, international & has_intl, per_user, domestic], [1, 2, 3, 4], 0)
    return category, pool


def _pools_drawn(
    records: pd.DataFrame,
    users: _Users,
    pool: np.ndarray,
    keep: np.ndarray,
    pools: pd.DataFrame,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The pool each kept call (rows ``keep``, pool kinds ``pool``) draws on, numbered and
    described as :func:`_pool_of_calls` does, from the user's plan and country."""
    # the plan whose pool each call draws on: the user's international or domestic plan
    plan_name = np.where(
        pool == 2, users.column("intl_plan", None)[keep], users.column("plan", None)[keep]
    )
    plan_name = np.where((pool == 2) | (pool == 3) | (pool == 4), plan_name, np.array(None))
    country_code, country_values = pd.factorize(text_column(records, "user_location", upper=True))
    per_user_minutes = np.nan_to_num(users.column("per_user_minutes", np.nan).astype(np.float64))
    return _pool_of_calls(
        pool,
        plan_name,
        users.code[keep],
        country_code[keep],
        country_values,
        users.values,
        per_user_minutes[keep],
        pools,
    )


def _classified(
    records: pd.DataFrame,
    users: _Users,
    other: pd.Series,
    keep: np.ndarray,
    category: np.ndarray,
    pool: np.ndarray,
    drawn: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> pd.DataFrame:
    """The table :func:`classify_calls` returns, for the kept rows ``keep`` of ``records``
    with their category codes, pool kinds and pools (:func:`_pools_drawn`)."""
    pool_id, pair_key, pair_country, pair_plan, pair_minutes, pair_pool_id = drawn
    no_pool = np.where(pool == 0, -1, pool_id)
    rows = records[["usage_id", "start", "duration_s", "destination_dialed"]].iloc[keep]
    return pd.DataFrame(
        {
            "usage_id": rows["usage_id"].astype("string"),
            "upn": users.upn.iloc[keep],
            "start": rows["start"],
            "seconds": rows["duration_s"].astype("int64"),
            "category": pd.Categorical.from_codes(
                category - 1, categories=pd.Index(_PRICED_CATEGORIES)
            ),
            "pool": pd.Categorical.from_codes(pool - 1, categories=pd.Index(POOL_KINDS[1:])),
            "pool_key": pd.array(pair_key, dtype="string").take(no_pool, allow_fill=True),
            "pool_country": pd.array(pair_country, dtype="string").take(no_pool, allow_fill=True),
            "pool_plan": pd.array(pair_plan, dtype="string").take(no_pool, allow_fill=True),
            "pool_id": pair_pool_id[pool_id],
            "pool_minutes": np.where(pool == 0, 0.0, pair_minutes[pool_id]),
            "destination_dialed": rows["destination_dialed"].astype("string"),
            "other_country": other.iloc[keep],
        },
        index=rows.index,
    )


def price_calls(
    records: pd.DataFrame,
    licences: pd.DataFrame,
    rates: pd.DataFrame,
    *,
    user_licences: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Price each call after the tenant's minute pools (the what-if core).

    Calls are classified by :func:`classify_calls`. Per calendar month (UTC), the calls of
    each pool draw on it in start-time order (ties in record order); a call straddling the
    end of the pool pays only for its seconds beyond it. A call's rate is the rate-card row
    named by its ``Destination Dialed``, else by its country code, else ``*``; its price is
    :func:`planner.demand.rates.price_cents` of the billable seconds.

    Returns
    -------
    (priced, unpriced)
        ``priced``: one row per call with billable seconds and a rate: ``usage_id``,
        ``date`` (UTC day of the start), ``category``, ``billable_seconds``, ``cents``,
        ``upn``. ``unpriced``: calls with billable seconds and no rate, grouped as in
        :attr:`planner.demand.actual.DemandResult.unpriced`.
    """
    rate = rate_table(rates)
    calls = classify_calls(records, licences, user_licences=user_licences)
    seconds = calls["seconds"].to_numpy(np.int64)
    pool_seconds = np.rint(calls["pool_minutes"].to_numpy() * 60).astype(np.int64)
    billable = seconds.copy()
    pooled = calls["pool"].notna().to_numpy(bool) & (pool_seconds > 0)
    if pooled.any():
        key = calls["pool_id"].to_numpy(np.int64)
        start = calls["start"].dt.tz_convert("UTC").dt.tz_localize(None)
        billable[pooled] = beyond_pool(
            key[pooled],
            start.to_numpy(dtype="datetime64[ns]")[pooled],
            seconds[pooled],
            pool_seconds[pooled],
        )
    need = billable > 0
    row = rate_index(rate, calls["destination_dialed"], calls["other_country"])
    ok = need & (row >= 0)
    r = row[ok]
    cents = price_cents(
        billable[ok],
        rate["per_minute_micro"].to_numpy()[r],
        rate["connection_fee_micro"].to_numpy()[r],
        rate["increment_seconds"].to_numpy()[r],
    )
    sel = calls[ok]
    priced = pd.DataFrame(
        {
            "usage_id": sel["usage_id"].to_numpy(),
            "date": utc_dates(sel["start"]).to_numpy(),
            "category": sel["category"].astype("string").to_numpy(),
            "billable_seconds": billable[ok],
            "cents": cents,
            "upn": sel["upn"].to_numpy(),
        }
    ).astype({"usage_id": "string", "category": "string", "upn": "string"})
    missing = need & (row < 0)
    unpriced = _unpriced(calls[missing], billable[missing], "*" in set(rate["key"]))
    return priced, unpriced


def _unpriced(calls: pd.DataFrame, billable: np.ndarray, has_fallback: bool) -> pd.DataFrame:
    if len(calls) == 0:
        return pd.DataFrame({c: pd.Series(dtype="string") for c in UNPRICED_COLUMNS}).astype(
            {"calls": "int64", "minutes": "float64"}
        )
    name = calls["destination_dialed"]
    code = calls["other_country"]
    reason = (
        "no rate for destination '" + name.fillna("") + "' or country '" + code.fillna("") + "'"
    )
    reason = reason + ("" if has_fallback else " and no '*' row")
    frame = pd.DataFrame(
        {
            "category": calls["category"].to_numpy(),
            "destination": name.fillna(code).fillna("(unknown)").to_numpy(),
            "reason": reason.to_numpy(),
            "seconds": billable,
            "usage_id": calls["usage_id"].to_numpy(),
        }
    )
    out = frame.groupby(["category", "destination", "reason"], as_index=False).agg(
        calls=("seconds", "size"),
        minutes=("seconds", "sum"),
        example_usage_id=("usage_id", "first"),
    )
    out["minutes"] = (out["minutes"] / 60).round(1)
    out = out.sort_values("calls", ascending=False, kind="stable").reset_index(drop=True)
    return out.astype(
        {
            "category": "string",
            "destination": "string",
            "reason": "string",
            "calls": "int64",
            "minutes": "float64",
            "example_usage_id": "string",
        }  # fmt: skip
    )[list(UNPRICED_COLUMNS)]


#: the record columns what-if pricing reads
PRICING_COLUMNS: tuple[str, ...] = (
    "usage_id", "kind", "user_location", "upn", "call_type", "call_direction", "number_type",
    "destination_context", "destination_dialed", "external_country", "start", "duration_s",
    "connection_fee_cents", "charge_cents", "currency", "capability", "operator", "sms_units",
)  # fmt: skip


def _as_frame(records: pd.DataFrame | Iterable[pd.DataFrame]) -> pd.DataFrame:
    """One table of records; chunks keep only the columns pricing reads."""
    if isinstance(records, pd.DataFrame):
        return records
    chunks = [chunk[list(PRICING_COLUMNS)] for chunk in records]
    if not chunks:
        return empty_records()[list(PRICING_COLUMNS)]
    return pd.concat(chunks, ignore_index=True)


def _currency(rate: pd.DataFrame, records: pd.DataFrame) -> str:
    given = rate["currency"].dropna().unique().tolist()
    if given:
        return str(given[0])
    seen = records["currency"].astype("string").str.upper().dropna().unique().tolist()
    if len(seen) == 1:
        return str(seen[0])
    if seen:
        raise InputError(
            "the rate card names no currency and the records name several: add a `currency` "
            "column to the rate card"
        )
    raise InputError(
        "the rate card names no currency and the records name none: add a `currency` column "
        "to the rate card"
    )


def whatif_demand(
    records: pd.DataFrame | Iterable[pd.DataFrame],
    licences: pd.DataFrame,
    rates: pd.DataFrame,
    *,
    user_licences: pd.DataFrame | None = None,
) -> DemandResult:
    """Daily credit demand of a tenant's calls priced after its minute pools.

    Parameters
    ----------
    records
        Canonical call records (:mod:`planner.schema`) or chunks of them (held in memory:
        pools need each month's calls in order).
    licences
        ``plan``, ``country``, ``users`` [, ``minutes_per_user``]
        (:func:`planner.inputs.read_licences`).
    rates
        Rate card (:func:`planner.inputs.read_rates` or :func:`planner.demand.rates.rate_table` input).
    user_licences
        Optional ``upn``, ``has_credits_licence`` [, ``has_payg_plan``]: enables the licence
        check of users whose calls would draw on credits.

    Returns
    -------
    DemandResult
        ``kind == "whatif"``; the currency is the rate card's (else the records' only one);
        ``unpriced`` lists calls that needed a price and found no rate; they are not in
        ``daily``.

    See :func:`price_calls` for the rules.
    """
    records = _as_frame(records)
    rate = rate_table(rates)
    currency = _currency(rate, records)
    priced, unpriced = price_calls(records, licences, rate, user_licences=user_licences)
    sms, sms_unpriced = price_sms(records, licences, rate)
    if len(sms):  # Teams Phone SMS: segments beyond the plans' allowance (docs/billing.md)
        priced = pd.concat([priced, sms], ignore_index=True)
    if len(sms_unpriced):
        unpriced = pd.concat([unpriced, sms_unpriced], ignore_index=True)
    credit = cast(  # as_index=False: a frame (pandas-stubs says Series)
        pd.DataFrame,
        priced.assign(currency=currency)
        .groupby(["date", "currency", "category"], as_index=False)["cents"]
        .sum(),
    )
    kind = records["kind"].astype("string").str.lower()
    observed = utc_dates(records["start"])[~kind.eq("direct_routing").fillna(False)].dropna()
    first = observed.min() if len(observed) else None
    last = observed.max() if len(observed) else None
    daily = daily_table(credit, [currency], first, last)
    warnings = pd.DataFrame(columns=list(LICENCE_WARNING_COLUMNS))
    if user_licences is not None:
        users = (
            priced[priced["cents"] > 0]
            .dropna(subset=["upn"])
            .assign(calls=1)
            .groupby("upn", as_index=False)[["calls", "cents"]]
            .sum()
        )
        warnings = licence_warnings(users, user_licences)
    return DemandResult(
        daily,
        "whatif",
        non_credit=non_credit_charges(records),
        unpriced=unpriced,
        licence_warnings=warnings,
        pools=pool_minutes(licences),
    )


def calibrate(
    records: pd.DataFrame,
    licences: pd.DataFrame,
    rates: pd.DataFrame,
    *,
    by_category: bool = False,
) -> pd.DataFrame:
    """Compare what the tenant was charged with what the what-if pricing gives, per month.

    For a tenant that already uses credits: if its licences and rate card are right, pricing
    its calls reproduces its ``MCOPSTNPP`` charges.

    Returns
    -------
    DataFrame
        ``month`` (``YYYY-MM``), [``category``,] ``actual_cents``, ``priced_cents``,
        ``diff_cents`` (priced - actual), ``diff_pct`` (of actual; NaN when actual is 0).
    """
    rate = rate_table(rates)
    currency = _currency(rate, records)
    payg = user_plans(records, licences)
    payg_upns = payg.index[payg["payg"]].tolist()
    cents = credit_cents(records).to_numpy()
    on = (cents != 0) & records["currency"].astype("string").str.upper().eq(currency).fillna(
        False
    ).to_numpy(bool)
    actual = pd.DataFrame(
        {
            "month": utc_dates(records["start"]).dt.strftime("%Y-%m").to_numpy()[on],
            "category": credit_category(records[on], payg_upns=payg_upns).to_numpy(),
            "actual_cents": cents[on],
        }
    )
    priced, _ = price_calls(records, licences, rate)
    whatif = pd.DataFrame(
        {
            "month": priced["date"].dt.strftime("%Y-%m").to_numpy(),
            "category": priced["category"].to_numpy(),
            "priced_cents": priced["cents"].to_numpy(),
        }
    )
    keys = ["month", "category"] if by_category else ["month"]
    out = (
        actual.groupby(keys)["actual_cents"].sum().to_frame()
        .join(whatif.groupby(keys)["priced_cents"].sum(), how="outer")
        .fillna(0)
        .astype("int64")
        .reset_index()
    )  # fmt: skip
    if not by_category:  # every month of the records, also those without credit spend
        months = utc_dates(records["start"]).dropna().dt.strftime("%Y-%m").unique()
        out = (
            out.set_index("month")
            .reindex(sorted(set(months) | set(out["month"])), fill_value=0)
            .rename_axis("month")
            .reset_index()
        )
    out["diff_cents"] = out["priced_cents"] - out["actual_cents"]
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = 100.0 * out["diff_cents"] / out["actual_cents"].where(out["actual_cents"] != 0)
    out["diff_pct"] = pct.astype("float64").round(2)
    return out.sort_values(keys).reset_index(drop=True)
