"""Minute pools: which licence minutes a tenant has each month, and whose calls draw on them.

Calling Plan minutes are pooled per country across the users with the same plan: each
(country, plan) has one domestic pool (users x domestic minutes) and, for plans with
international minutes (``MCOPSTN2``, ``MCOPSTN9``), one international pool (users x
international minutes). The French ``MCOPSTN5`` users share their pool, the French
``MCOPSTN6`` users another one; in the US the ``MCOPSTN1`` and the ``MCOPSTN2`` users have
separate domestic pools. ``MCOPSTN8``'s minutes are per user, not pooled. Audio Conferencing
dial-out minutes form one tenant-wide pool. ``BR``/``MX`` variants of
``MCOPSTN1``/``MCOPSTN2`` and the ``MCOMEETADD`` variants count as their base plan (and share
its pool). The plans and their built-in allowances are :data:`planner.catalogue.PLANS`.

A licence file counts licences per country and plan; it does not say who holds which. A
call draws on the pools of the plan its user holds, which the capabilities of the user's
calls tell (:func:`user_plans`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from planner.catalogue import (
    AUDIO_CONFERENCING_PLAN,
    DOMESTIC_PLANS,
    INTERNATIONAL_PLANS,
    PAYG_PLAN,
    PER_USER_PLAN,
    PLANS,
    domestic_allowance,
    normalize_plan,
)
from planner.errors import InputError


def licence_table(licences: pd.DataFrame) -> pd.DataFrame:
    """Validate licence counts and add each row's allowances.

    Parameters
    ----------
    licences
        ``plan``, ``country``, ``users`` [, ``minutes_per_user``] (as read by
        :func:`planner.inputs.read_licences`, or built in memory).

    Returns
    -------
    DataFrame
        ``plan``, ``country`` (upper case, <NA> allowed for ``MCOMEETADD``), ``users``
        (int64), ``domestic``, ``international``, ``dial_out`` (float64 minutes per user per
        month), ``pooled`` (bool).

    ``minutes_per_user`` overrides the plan's main allowance: domestic minutes for a
    Domestic plan, international minutes for ``MCOPSTN9``, dial-out minutes for
    ``MCOMEETADD``.
    """
    missing = {"plan", "users"} - set(licences.columns)
    if missing:
        raise InputError(
            "licences lack the column(s) {missing}", missing=", ".join(sorted(missing))
        )
    rows = []
    row: Any  # an itertuples row: the columns as attributes
    for i, row in enumerate(licences.itertuples(index=False)):
        raw = row.plan
        code = normalize_plan(str(raw)) if pd.notna(raw) else None
        if code is None:
            raise InputError(
                "licences row {i}: unknown plan {raw!r}; use one of {plans}",
                i=i + 1,
                raw=raw,
                plans=", ".join(PLANS),
            )
        country = getattr(row, "country", None)
        country = None if country is None or pd.isna(country) or country == "" else str(country)
        country = country.upper() if country else None
        users = row.users
        if pd.isna(users) or float(users) < 0 or float(users) != int(float(users)):
            raise InputError(
                "licences row {i}: users {users!r} is not a whole number >= 0", i=i + 1, users=users
            )
        if country is None and code != AUDIO_CONFERENCING_PLAN:
            raise InputError("licences row {i}: plan {code} needs a country", i=i + 1, code=code)
        spec = PLANS[code]
        domestic = domestic_allowance(code, country)
        international, dial_out = spec.international, spec.dial_out
        override = getattr(row, "minutes_per_user", None)
        if override is not None and pd.notna(override):
            if float(override) < 0:
                raise InputError(
                    "licences row {i}: minutes_per_user {override} < 0", i=i + 1, override=override
                )
            if code == AUDIO_CONFERENCING_PLAN:
                dial_out = float(override)
            elif code == "MCOPSTN9":
                international = float(override)
            else:
                domestic = float(override)
        rows.append((code, country, int(float(users)), domestic, international, dial_out,
                     spec.pooled))  # fmt: skip
    out = pd.DataFrame(
        rows,
        columns=["plan", "country", "users", "domestic", "international", "dial_out", "pooled"],
    )
    return out.astype(
        {
            "plan": "string",
            "country": "string",
            "users": "int64",
            "domestic": "float64",
            "international": "float64",
            "dial_out": "float64",
            "pooled": "bool",
        }
    )


POOL_COLUMNS = ("pool", "country", "plan", "users", "minutes_per_user", "minutes")


def pool_minutes(licences: pd.DataFrame) -> pd.DataFrame:
    """Minute pools a tenant's licences give each calendar month.

    Returns
    -------
    DataFrame
        One row per pool: ``pool`` (``domestic``: pooled per country across the users
        with the same plan; ``domestic_per_user``: ``MCOPSTN8``-style allowances, not
        pooled, one per user, listed per country and plan; ``international``: per country
        and plan; ``dial_out``: Audio Conferencing dial-out to Zone A, tenant-wide,
        ``country`` <NA>), ``country``, ``plan`` (plan code, ``MCOMEETADD`` for dial-out),
        ``users`` (licences contributing), ``minutes_per_user`` (average), ``minutes``
        (float64 per month; for ``domestic_per_user`` the sum of the users' separate
        allowances).

    Examples
    --------
    >>> lic = pd.DataFrame({"plan": ["MCOPSTN5", "MCOPSTN6", "MCOPSTN5"],
    ...                     "country": ["FR", "FR", "FR"], "users": [70, 8, 2]})
    >>> pool_minutes(lic)[["pool", "country", "plan", "users", "minutes"]].values.tolist()
    [['domestic', 'FR', 'MCOPSTN5', 72, 8640.0], ['domestic', 'FR', 'MCOPSTN6', 8, 1920.0]]
    """
    lic = licence_table(licences)
    parts = []
    pooled = lic[lic["pooled"] & (lic["plan"] != PAYG_PLAN)]
    for pool, col, frame in (
        ("domestic", "domestic", pooled),
        ("domestic_per_user", "domestic", lic[~lic["pooled"]]),
        ("international", "international", lic),
    ):
        has = frame[(frame[col] > 0) & (frame["users"] > 0)]
        if len(has):
            parts.append(
                has.assign(pool=pool, minutes=has["users"] * has[col])
                .groupby(["pool", "country", "plan"], as_index=False)[["users", "minutes"]]
                .sum()
            )
    conf = lic[(lic["dial_out"] > 0) & (lic["users"] > 0)]
    if len(conf):
        parts.append(
            pd.DataFrame(
                {
                    "pool": ["dial_out"],
                    "country": pd.array([None], dtype="string"),
                    "plan": [AUDIO_CONFERENCING_PLAN],
                    "users": [int(conf["users"].sum())],
                    "minutes": [float((conf["users"] * conf["dial_out"]).sum())],
                }
            )
        )
    if not parts:
        out = pd.DataFrame({c: pd.Series(dtype="float64") for c in POOL_COLUMNS})
        return out.astype(
            {"pool": "string", "country": "string", "plan": "string", "users": "int64"}
        )
    out = pd.concat(parts, ignore_index=True)
    out["minutes_per_user"] = out["minutes"] / out["users"]
    return out.astype(
        {
            "pool": "string",
            "country": "string",
            "plan": "string",
            "users": "int64",
            "minutes": "float64",
        }
    )[list(POOL_COLUMNS)]


def _plan_of(capability: pd.Series) -> pd.Series:
    """The licence plan each record's capability names (<NA> when it names none)."""
    codes, uniques = pd.factorize(capability.astype("string").str.upper())
    mapped = np.array([normalize_plan(u) for u in uniques] + [None], dtype=object)
    return pd.Series(mapped[codes], index=capability.index, dtype="string")


def _main_plan(frame: pd.DataFrame, plans: frozenset[str]) -> pd.Series:
    """Per ``upn``: the plan of ``plans`` most of the user's calls show (ties: lowest code)."""
    seen = frame[frame["plan"].isin(list(plans)).fillna(False)]
    if seen.empty:
        return pd.Series(dtype="string", index=pd.Index([], dtype="string", name="upn"))
    counts = seen.groupby(["upn", "plan"], sort=True).size().rename("n").reset_index()
    counts = counts.sort_values(["upn", "n"], ascending=[True, False], kind="stable")
    return counts.drop_duplicates("upn").set_index("upn")["plan"].astype("string")


def _largest_pool_plan(pools: pd.DataFrame, kind: str) -> dict[str, str]:
    """Per country: the plan of its biggest ``kind`` pool by licences (ties: lowest code)."""
    rows = pools[pools["pool"] == kind].sort_values(
        ["country", "users", "plan"], ascending=[True, False, True], kind="stable"
    )
    rows = rows.drop_duplicates("country")
    return dict(zip(rows["country"], rows["plan"], strict=True))


def _no_users() -> pd.DataFrame:
    """:func:`user_plans` of records without a user."""
    return pd.DataFrame(
        {
            "country": pd.Series(dtype="string"),
            "payg": pd.Series(dtype="bool"),
            "international_plan": pd.Series(dtype="bool"),
            "per_user_allowance": pd.Series(dtype="bool"),
            "per_user_minutes": pd.Series(dtype="float64"),
            "plan": pd.Series(dtype="string"),
            "intl_plan": pd.Series(dtype="string"),
        },
        index=pd.Index([], dtype="string", name="upn"),
    )


def user_plans(
    records: pd.DataFrame,
    licences: pd.DataFrame,
    *,
    user_licences: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Which Calling Plan each user holds, as far as the records and licences tell.

    A licence file counts licences per country and plan; it does not say who holds which.
    The capability carrying each user's calls does (calls priced from credits carry
    ``MCOPSTNPP`` instead, and tell nothing):

    - the user's domestic minutes come from the pool of the Domestic plan
      (``MCOPSTN1``, ``MCOPSTN2``, ``MCOPSTN5``, ``MCOPSTN6``, ``MCOPSTN8``) their calls
      show; a user seen under ``MCOPSTN8`` has a per-user allowance instead of a pool;
    - the international minutes come from the pool of ``MCOPSTN2`` or ``MCOPSTN9`` when
      the user's calls show one of them;
    - a user whose calls show two plans of a kind (a licence changed during the period)
      draws on the pool of the plan most of their calls show, for all their calls (ties:
      the lower plan code): the records do not say when the licence changed;
    - a user never seen under a Calling Plan is on pay-as-you-go when ``user_licences``
      says so or when the country's licences include pay-as-you-go plans; otherwise the
      user draws on the biggest domestic (and international) pool of their country, by
      licences; a user seen only under ``MCOPSTN9`` draws on the biggest domestic pool.

    Returns
    -------
    DataFrame
        indexed by ``upn`` (lower case): ``country`` (most frequent usage location),
        ``payg``, ``international_plan``, ``per_user_allowance`` (bool),
        ``per_user_minutes`` (float64, NaN unless ``per_user_allowance``), ``plan`` (the
        plan whose domestic minutes the user draws on; <NA> for pay-as-you-go users and
        where the country has no domestic pool), ``intl_plan`` (the plan whose
        international pool the user draws on; <NA> unless ``international_plan``).
    """
    lic = licence_table(licences)
    upn = records["upn"].astype("string").str.lower()
    country = records["user_location"].astype("string").str.upper()
    plan = _plan_of(records["capability"])
    frame = pd.DataFrame({"upn": upn, "country": country, "plan": plan}).dropna(subset=["upn"])
    if frame.empty:
        return _no_users()
    # each user's most frequent usage location
    counts = frame.groupby(["upn", "country"], sort=True).size().rename("n").reset_index()
    counts = counts.sort_values(["upn", "n"], ascending=[True, False], kind="stable")
    home = counts.drop_duplicates("upn").set_index("upn")["country"]
    seen = (
        pd.DataFrame(
            {
                "domestic": frame["plan"].isin(list(DOMESTIC_PLANS)).fillna(False),
                "international": frame["plan"].isin(list(INTERNATIONAL_PLANS)).fillna(False),
                "payg": frame["plan"].eq(PAYG_PLAN).fillna(False),
            }
        )
        .groupby(frame["upn"], sort=True)
        .any()
    )
    any_plan = seen.any(axis=1)
    pools = pool_minutes(lic)
    biggest_domestic = _largest_pool_plan(pools, "domestic")
    biggest_intl = _largest_pool_plan(pools, "international")
    payg_countries = set(lic.loc[(lic["plan"] == PAYG_PLAN) & (lic["users"] > 0), "country"])
    flagged = set()
    if user_licences is not None and "has_payg_plan" in user_licences.columns:
        rows = user_licences[user_licences["has_payg_plan"].astype(bool)]
        flagged = set(rows["upn"].astype("string").str.lower())
    out = pd.DataFrame(index=seen.index)
    out.index.name = "upn"
    out["country"] = home.reindex(out.index).astype("string")
    in_payg_country = out["country"].isin(payg_countries).fillna(False)
    out["payg"] = out.index.isin(list(flagged)) | seen["payg"] | (~any_plan & in_payg_country)
    # the plan of the user's domestic minutes: seen on their calls, else the country's biggest
    domestic = _main_plan(frame, DOMESTIC_PLANS).reindex(out.index)
    domestic = domestic.fillna(out["country"].map(biggest_domestic).astype("string"))
    out["plan"] = domestic.where(~out["payg"]).astype("string")
    intl = _main_plan(frame, INTERNATIONAL_PLANS).reindex(out.index)
    intl = intl.where(any_plan, out["country"].map(biggest_intl).astype("string"))
    out["intl_plan"] = intl.where(~out["payg"]).astype("string")
    out["international_plan"] = out["intl_plan"].notna().to_numpy(bool)
    out["per_user_allowance"] = out["plan"].eq(PER_USER_PLAN).fillna(False).to_numpy(bool)
    per_user = lic[lic["plan"] == PER_USER_PLAN].groupby("country")["domestic"].max()
    minutes = out["country"].map(per_user).astype("float64")
    minutes = minutes.fillna(domestic_allowance(PER_USER_PLAN, None))
    out["per_user_minutes"] = minutes.where(out["per_user_allowance"], np.nan)
    return out[
        [
            "country",
            "payg",
            "international_plan",
            "per_user_allowance",
            "per_user_minutes",
            "plan",
            "intl_plan",
        ]
    ]


def beyond_pool(
    key: np.ndarray,
    start: np.ndarray,
    seconds: np.ndarray,
    pool_seconds: np.ndarray,
) -> np.ndarray:
    """Units (seconds, SMS segments) of each call beyond its pool, the pool refilling on the
    1st of each month.

    ``key`` names each call's pool, ``start`` its UTC start (datetime64, tz-naive); calls
    starting at the same instant draw in the order given.
    """
    start = np.asarray(start, dtype="datetime64[ns]")
    month = start.astype("datetime64[M]").astype(np.int64)
    key_code = pd.factorize(key)[0].astype(np.int64)
    order = np.lexsort((start.astype(np.int64), month, key_code))  # stable: ties keep order
    d = seconds[order]
    group = key_code[order] * (1 << 32) + (month[order] - month.min())
    first = np.r_[True, group[1:] != group[:-1]]
    total = np.cumsum(d)
    # running total within each (pool, month): subtract what came before the group
    used = total - np.maximum.accumulate(np.where(first, total - d, 0))
    beyond = np.minimum(d, np.maximum(0, used - pool_seconds[order]))
    out = np.empty_like(beyond)
    out[order] = beyond
    return out
