"""Who, where, what and when: users, departments, destinations, hours, toll-free, pools."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from planner.analysis.records import (
    MEASURES,
    NO_USER,
    WEEKDAYS,
    aggregate,
    label_missing,
    measures_of,
    month_of,
    month_range,
)
from planner.demand.actual import licence_check
from planner.demand.calls import is_toll_free
from planner.demand.pools import pool_minutes
from planner.demand.pricing import classify_calls
from planner.inputs import UNKNOWN_DEPARTMENT, normalise_departments, read_departments


def _departments(departments: pd.DataFrame | str | Path | None) -> pd.DataFrame | None:
    if departments is None:
        return None
    if isinstance(departments, (str, Path)):
        return read_departments(departments)
    return normalise_departments(departments)


def by_user(
    records: pd.DataFrame, departments: pd.DataFrame | str | Path | None = None
) -> pd.DataFrame:
    """Calls, minutes and credit spend per user.

    Parameters
    ----------
    records : DataFrame
        Canonical call records.
    departments : DataFrame, path or None
        Optional user -> department map (columns ``upn, department``, or a CSV path read with
        :func:`planner.inputs.read_departments`). Users not in it get :data:`planner.inputs.UNKNOWN_DEPARTMENT`.

    Returns
    -------
    DataFrame
        One row per UPN (records without one grouped as :data:`NO_USER`), largest credit spend
        first. Columns ``upn``, ``user_display_name`` (string), ``department`` (string, only
        when ``departments`` is given), ``calls`` (int64), ``minutes`` (float),
        ``credit_calls`` (int64), ``credit_cents`` (int64).
    """
    upn = label_missing(records["upn"].str.lower(), NO_USER).rename("upn")
    agg = aggregate(records, upn)
    names = records["user_display_name"].groupby(upn).first().astype("string")
    agg.insert(0, "user_display_name", names.reindex(agg.index))
    out = agg.reset_index()
    dep = _departments(departments)
    if dep is not None:
        out = out.merge(dep, on="upn", how="left", validate="one_to_one")
        out["department"] = out["department"].fillna(UNKNOWN_DEPARTMENT).astype("string")
        out = out[
            [
                "upn",
                "user_display_name",
                "department",
                "calls",
                "minutes",
                "credit_calls",
                "credit_cents",
            ]
        ]
    else:
        out = out[["upn", "user_display_name", "calls", "minutes", "credit_calls", "credit_cents"]]
    out["upn"] = out["upn"].astype("string")
    return out.sort_values(
        ["credit_cents", "minutes", "upn"], ascending=[False, False, True], ignore_index=True
    )


def by_department(records: pd.DataFrame, departments: pd.DataFrame | str | Path) -> pd.DataFrame:
    """Calls, minutes and credit spend per department.

    Returns
    -------
    DataFrame
        One row per department (users missing from ``departments`` as
        :data:`planner.inputs.UNKNOWN_DEPARTMENT`), largest credit spend first. Columns ``department``
        (string), ``users`` (int64, users with at least one call), ``calls`` (int64),
        ``minutes`` (float), ``credit_calls`` (int64), ``credit_cents`` (int64).
    """
    users = by_user(records, departments)
    g = users.groupby("department", sort=True)
    out = g[["calls", "minutes", "credit_calls", "credit_cents"]].sum()
    out.insert(0, "users", g["upn"].size().astype("int64"))
    out = out.reset_index()
    out["department"] = out["department"].astype("string")
    return out.sort_values(
        ["credit_cents", "minutes", "department"], ascending=[False, False, True], ignore_index=True
    )


def _grouped(records: pd.DataFrame, key: pd.Series, name: str) -> pd.DataFrame:
    out = aggregate(records, key.rename(name)).reset_index()
    out[name] = out[name].astype("string")
    cols = [name, "calls", "minutes", "credit_calls", "credit_cents"]
    return out[cols].sort_values(
        ["credit_cents", "minutes", name], ascending=[False, False, True], ignore_index=True
    )


def by_destination(records: pd.DataFrame, direction: str | None = "outbound") -> pd.DataFrame:
    """Calls, minutes and credit spend per destination.

    The destination is ``destination_dialed`` (a country or a number class such as
    ``... Toll Free``), else ``external_country``, else :data:`UNKNOWN`.

    Parameters
    ----------
    direction : {"outbound", "inbound", None}
        Keep only calls in that direction (``None``: all calls).

    Returns
    -------
    DataFrame
        Columns ``destination`` (string), ``calls`` (int64), ``minutes`` (float),
        ``credit_calls`` (int64), ``credit_cents`` (int64); largest credit spend first.
    """
    if direction is not None:
        records = records[records["call_direction"].str.lower().eq(direction).fillna(False)]
    key = records["destination_dialed"].fillna(records["external_country"])
    return _grouped(records, label_missing(key), "destination")


def by_call_type(records: pd.DataFrame) -> pd.DataFrame:
    """Calls, minutes and credit spend per call type (``user_out``, ``conf_in``, ...).

    Returns
    -------
    DataFrame
        Columns ``call_type`` (string), ``calls`` (int64), ``minutes`` (float),
        ``credit_calls`` (int64), ``credit_cents`` (int64); largest credit spend first.
    """
    return _grouped(records, label_missing(records["call_type"].str.lower()), "call_type")


def hour_weekday(
    records: pd.DataFrame,
    tz: str | None = None,
    value: Literal["calls", "minutes", "credit_cents"] = "calls",
) -> pd.DataFrame:
    """Calls (or minutes, or credit cents) by weekday and hour of the call start.

    Parameters
    ----------
    tz : str, optional
        IANA time zone for the local clock (e.g. ``"Europe/Berlin"``); UTC when None.
    value : {"calls", "minutes", "credit_cents"}
        What to add up in each cell.

    Returns
    -------
    DataFrame
        7 x 24: index ``weekday`` (``Mon`` .. ``Sun``), columns ``hour`` 0..23; int64 for
        calls and cents, float for minutes; zeros where nothing happened.
    """
    if value not in MEASURES:
        raise ValueError(f"value must be one of {', '.join(MEASURES)}, got {value!r}")
    start = records["start"]
    if tz is not None:
        try:
            start = start.dt.tz_convert(tz)
        except (KeyError, ValueError) as exc:  # zoneinfo and pytz both raise a KeyError
            raise ValueError(f"tz: unknown time zone {tz!r} ({exc})") from None
    ok = start.notna()
    m = measures_of(records)[value][ok]
    start = start[ok]
    grid = m.groupby([start.dt.day_of_week.rename("weekday"), start.dt.hour.rename("hour")]).sum()
    table = grid.unstack("hour").reindex(index=range(7), columns=range(24), fill_value=0)
    table = table.fillna(0).astype("float64" if value == "minutes" else "int64")
    table.index = pd.Index(WEEKDAYS, name="weekday")
    table.columns = pd.RangeIndex(24, name="hour")
    return table


def toll_free_usage(
    records: pd.DataFrame, by: Literal["month", "number", "month_number"] = "month_number"
) -> pd.DataFrame:
    """Toll-free calls (:func:`planner.demand.calls.is_toll_free`) per month and per number.

    The number is the dialled number (``callee_number``: the tenant's toll-free number for
    inbound calls), else the destination.

    Parameters
    ----------
    by : {"month", "number", "month_number"}
        Group by UTC month, by number, or by both.

    Returns
    -------
    DataFrame
        Key columns ``month`` (Period[M]) and/or ``number`` (string); ``destination`` (string,
        the destination dialled on that number; not for ``by="month"``), then
        ``calls`` (int64), ``minutes`` (float), ``credit_calls`` (int64), ``credit_cents``
        (int64). By month: every month of the records' period, zeros included, in time order;
        otherwise largest credit spend first.
    """
    if by not in ("month", "number", "month_number"):
        raise ValueError(f"by must be 'month', 'number' or 'month_number', got {by!r}")
    tf = records[is_toll_free(records)]
    number = label_missing(tf["callee_number"].fillna(tf["destination_dialed"])).rename("number")
    dest = label_missing(tf["destination_dialed"]).rename("destination")
    month = month_of(tf).rename("month")
    if by == "month":
        out = aggregate(tf, month).reindex(month_range(records), fill_value=0)
        out.index.name = "month"
        return out[["calls", "minutes", "credit_calls", "credit_cents"]].reset_index()
    keys = [number] if by == "number" else [month, number]
    out = aggregate(tf, keys).reset_index()
    # a number belongs to one destination: show it beside the number, not as a key
    out.insert(len(keys), "destination", out["number"].map(dest.groupby(number).first()))
    order = ["credit_cents", "minutes", "number"]
    asc = [False, False, True]
    if by == "month_number":
        order, asc = ["month", *order], [True, *asc]
    out = out.sort_values(order, ascending=asc, ignore_index=True)
    for c in ("number", "destination"):
        out[c] = out[c].astype("string")
    return out[
        [*(k.name for k in keys), "destination", "calls", "minutes", "credit_calls", "credit_cents"]
    ]


POOL_LABELS = {
    "domestic": "Domestic",
    "domestic_per_user": "Domestic per-user",
    "international": "International",
    "dial_out": "Conference dial-out (Zone A)",
}


def _drawn_per_pool(calls: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Minutes of the calls each pool covers per month (``minutes``) and the part the pool
    paid for (``used``), added up by ``keys`` (kind, country, plan, month)."""
    per_pool = pd.DataFrame(
        {
            "pool_id": calls["pool_id"].to_numpy(np.int64),
            "kind": calls["pool"].astype("string").to_numpy(),
            "country": calls["pool_country"].to_numpy(),
            "plan": calls["pool_plan"].where(calls["pool"] != "dial_out", "MCOMEETADD").to_numpy(),
            "month": month_of(calls).array,  # (Period objects would group far slower)
            "minutes": calls["seconds"].to_numpy(np.int64) / 60.0,
            "size": calls["pool_minutes"].to_numpy(np.float64),
        }
    )
    # each pool (a per-user allowance is a pool of its own) is used up to its size each
    # month, then added up per kind, country and plan
    per_pool = per_pool.groupby(["pool_id", "month"], dropna=False, as_index=False).agg(
        kind=("kind", "first"),
        country=("country", "first"),
        plan=("plan", "first"),
        size=("size", "first"),
        minutes=("minutes", "sum"),
    )
    per_pool["used"] = np.minimum(per_pool["minutes"], per_pool["size"])
    demand = per_pool.groupby(keys, dropna=False, as_index=False)[["minutes", "used"]].sum()
    demand = demand.astype(
        {"kind": "string", "country": "string", "plan": "string", "month": "period[M]"}
    )
    return demand


def pool_usage(
    records: pd.DataFrame, licences: pd.DataFrame, user_licences: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Minutes drawn on each minute pool per UTC month, against the pool size.

    Pool sizes come from :func:`planner.demand.pools.pool_minutes`; which call draws on which
    pool comes from :func:`planner.demand.pricing.classify_calls`, the classification the what-if
    pricing itself prices after, so the two always agree: domestic outgoing calls on the
    domestic pool of the user's country and plan (or the user's own ``MCOPSTN8``
    allowance), international calls of users with an international plan on the
    international pool of their country and plan, conference dial-out to Zone A on the
    tenant-wide dial-out pool. Pay-as-you-go users, toll-free, inbound, emergency, Direct
    Routing and Operator Connect calls, and calls under ``MCOMEETACPEA`` / ``FREECALL`` draw
    on no pool. A pool refills on the 1st of every month: minutes beyond it were paid from
    credits.

    Parameters
    ----------
    records : DataFrame
        Canonical call records.
    licences : DataFrame
        Licence counts (:func:`planner.inputs.read_licences`: ``plan, country, users
        [, minutes_per_user]``).
    user_licences : DataFrame, optional
        :func:`planner.inputs.read_user_licences`, to tell pay-as-you-go users apart.

    Returns
    -------
    DataFrame
        One row per pool and month (every month of the records' period, every pool of the
        licences, plus any pool calls drew on that the licences do not give: size 0).
        Columns ``month`` (Period[M]), ``pool`` (string label, e.g.
        ``"Domestic FR MCOPSTN5"``), ``kind`` (``domestic``, ``domestic_per_user``,
        ``international``, ``dial_out``), ``country`` (string, <NA> for dial-out), ``plan``
        (string: the plan whose minutes the pool holds, ``MCOMEETADD`` for dial-out; <NA>
        for calls of users whose plan is unknown), ``pool_minutes`` (size),
        ``demand_minutes`` (minutes of the calls the pool covers), ``used_minutes``
        (covered by the pool), ``overage_minutes`` (beyond the pool), ``used_share``
        (used / size; NaN for size 0), all minutes float. ``domestic_per_user`` rows add
        up the users' separate allowances of a country and plan: each user's minutes
        beyond their own allowance are overage.
    """
    pools = pool_minutes(licences)
    calls = classify_calls(records, licences, user_licences=user_licences)
    keys = ["kind", "country", "plan", "month"]
    demand = _drawn_per_pool(calls[calls["pool"].notna()], keys)
    size = pools.rename(columns={"pool": "kind", "minutes": "pool_minutes"})[
        ["kind", "country", "plan", "pool_minutes"]
    ]
    found = pd.concat(
        [size[["kind", "country", "plan"]], demand[["kind", "country", "plan"]]]
    ).drop_duplicates()
    months = month_range(records)
    grid = found.merge(pd.DataFrame({"month": months}), how="cross")
    out = grid.merge(size, on=["kind", "country", "plan"], how="left").merge(
        demand, on=keys, how="left"
    )
    out["pool_minutes"] = out["pool_minutes"].fillna(0.0).astype("float64")
    out["demand_minutes"] = out["minutes"].fillna(0.0).astype("float64")
    out["used_minutes"] = out["used"].fillna(0.0).astype("float64")
    out["overage_minutes"] = out["demand_minutes"] - out["used_minutes"]
    out["used_share"] = out["used_minutes"] / out["pool_minutes"].where(out["pool_minutes"] > 0)
    label = out["kind"].map(POOL_LABELS).astype("string")
    where = out["country"].fillna("") + " " + out["plan"].fillna("")
    out["pool"] = (label + " " + where.where(out["kind"] != "dial_out", "")).str.strip()
    out["pool"] = out["pool"].str.replace(r"\s+", " ", regex=True)
    order = {k: i for i, k in enumerate(POOL_LABELS)}
    out = out.assign(_o=out["kind"].map(order)).sort_values(
        ["_o", "country", "plan", "month"], na_position="first", ignore_index=True
    )
    cols = [
        "month",
        "pool",
        "kind",
        "country",
        "plan",
        "pool_minutes",
        "demand_minutes",
        "used_minutes",
        "overage_minutes",
        "used_share",
    ]
    return out[cols].astype(
        {"kind": "string", "country": "string", "plan": "string", "pool": "string"}
    )


def top_spenders(
    records: pd.DataFrame, n: int = 10, departments: pd.DataFrame | str | Path | None = None
) -> pd.DataFrame:
    """The ``n`` users with the largest credit spend (users who spent nothing are left out).

    Returns
    -------
    DataFrame
        The first ``n`` rows of :func:`by_user` with ``credit_cents > 0``, plus ``share``
        (float, share of all credit spend).
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    users = by_user(records, departments)
    total = int(users["credit_cents"].sum())
    top = users[users["credit_cents"] > 0].head(n).copy()
    top["share"] = top["credit_cents"] / total if total else np.nan
    return top.reset_index(drop=True)


def unlicensed_credit_users(records: pd.DataFrame, user_licences: Any) -> pd.DataFrame:
    """Users who drew on credits without the Communications Credits licence (``MCOPSTNC``).

    Delegates to :func:`planner.demand.actual.licence_check`, and returns its table.
    """
    return licence_check(records, user_licences)
