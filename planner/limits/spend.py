"""What a per-user spend limit counts, and what a limit would have done to a call history.

Microsoft's rule (``docs/billing.md``): ``CallingSpendUserLimit`` is "the maximum amount a user
can spend on outgoing PSTN calls, including all calls made through Pay-as-you-go Calling Plans
and any overages on plans with bundled minutes", a monthly amount; a user who reaches it
cannot place outgoing PSTN calls for the rest of the month.

What we count, decided from the records (:func:`limit_calls`):

- Calling Plans records (``kind == "calling_plans"``: Microsoft is the carrier and bills the
  call; Direct Routing and Operator Connect calls are billed by the operator);
- of a user's own outgoing call types (:data:`planner.demand.calls.USER_OUT_TYPES`: ``user_out`` and
  its conference, transfer and forwarding legs), the calls a calling policy governs; meeting
  dial-out (``conf_out``, the Audio Conferencing bridge) and voice applications' calls
  (``ucap_out``) are not a user's calls and no calling policy limits them;
- their money is ``charge_cents + connection_fee_cents`` whatever paid it (credits today, the
  post-paid bill tomorrow): pay-as-you-go calls and overage both carry a charge, calls within
  the plan's minutes carry none and count 0, but a user at the limit cannot place them either.

How a limit acts on a user-month (:func:`apply_limit`), calls in time order: a call starts only
while the month's spend so far is below the limit; the call that reaches the limit is cut at
it (we count it up to the limit), and every later outgoing PSTN call of the month is blocked,
free ones included. The user has lost calling from the day the limit was reached to the end
of the month.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.demand.calls import USER_OUT_TYPES

__all__ = ["LIMIT_CALL_COLUMNS", "apply_limit", "limit_calls", "user_months"]

#: columns of :func:`limit_calls`
LIMIT_CALL_COLUMNS = ("usage_id", "upn", "start", "day", "month", "duration_s", "cents")


def limit_calls(records: pd.DataFrame) -> pd.DataFrame:
    """The calls a per-user spend limit counts, in time order per user.

    Parameters
    ----------
    records : pd.DataFrame
        Canonical call records (:mod:`planner.schema`).

    Returns
    -------
    pd.DataFrame
        :data:`LIMIT_CALL_COLUMNS`: ``usage_id``, ``upn`` (lower case), ``start`` (UTC),
        ``day`` and ``month`` (UTC day and the 1st of its month, naive), ``duration_s``
        (int64), ``cents`` (int64, charge plus connection fee), sorted by user and start.
    """
    kind = records["kind"].astype("string").str.lower()
    call_type = records["call_type"].astype("string").str.lower()
    upn = records["upn"].astype("string").str.strip().str.lower()
    keep = (
        kind.eq("calling_plans") & call_type.isin(list(USER_OUT_TYPES)) & upn.fillna("").ne("")
    ).fillna(False)
    calls = records[keep.to_numpy(bool)]
    start = calls["start"]
    day = start.dt.tz_convert(None).dt.normalize()
    money = calls["charge_cents"].fillna(0) + calls["connection_fee_cents"].fillna(0)
    out = pd.DataFrame(
        {
            "usage_id": calls["usage_id"].astype("string"),
            "upn": upn[keep.to_numpy(bool)],
            "start": start,
            "day": day,
            "month": day.dt.to_period("M").dt.to_timestamp(),
            "duration_s": calls["duration_s"].fillna(0).astype("int64"),
            "cents": money.astype("int64"),
        }
    )
    return out.sort_values(["upn", "start"], kind="stable").reset_index(drop=True)


def apply_limit(calls: pd.DataFrame, limit_cents: int) -> pd.DataFrame:
    """What a monthly limit of ``limit_cents`` would have let through of each call.

    Parameters
    ----------
    calls : pd.DataFrame
        :func:`limit_calls` (sorted by user and start).
    limit_cents : int
        The limit in cents (a whole amount of currency: a multiple of 100).

    Returns
    -------
    pd.DataFrame
        ``calls`` with ``allowed_cents`` (what the user could still spend on the call),
        ``blocked_cents`` (the rest), ``blocked`` (the call was not placed or was cut) and
        ``blocked_s`` (seconds not called: the whole call, or the cut part of the last one).
    """
    cents = calls["cents"].to_numpy(np.int64)
    spent = calls.groupby(["upn", "month"], sort=False)["cents"].cumsum().to_numpy(np.int64)
    before = spent - cents
    allowed = np.clip(limit_cents - before, 0, cents)
    out = calls.copy()
    out["allowed_cents"] = allowed
    out["blocked_cents"] = cents - allowed
    out["blocked"] = (before >= limit_cents) | (allowed < cents)
    share = np.divide(cents - allowed, cents, out=np.ones(len(cents)), where=cents > 0)
    blocked_s = np.where(out["blocked"], calls["duration_s"].to_numpy() * share, 0.0)
    out["blocked_s"] = np.round(blocked_s).astype(np.int64)
    return out


def user_months(applied: pd.DataFrame) -> pd.DataFrame:
    """One row per user and month of :func:`apply_limit`'s calls.

    Returns
    -------
    pd.DataFrame
        ``upn``, ``month``, ``calls``, ``cents`` (spend), ``allowed_cents``,
        ``blocked_cents``, ``blocked_calls``, ``blocked_minutes`` (float), ``blocked`` (bool:
        the limit stopped at least one call) and ``days_lost`` (days from the one the limit
        was reached, included, to the month's end; 0 when not blocked).
    """
    first_blocked = applied["day"].where(applied["blocked"])
    grouped = applied.assign(first_blocked=first_blocked).groupby(
        ["upn", "month"], sort=True, observed=True
    )
    months = grouped.agg(
        calls=("cents", "size"),
        cents=("cents", "sum"),
        allowed_cents=("allowed_cents", "sum"),
        blocked_cents=("blocked_cents", "sum"),
        blocked_calls=("blocked", "sum"),
        blocked_s=("blocked_s", "sum"),
        first_blocked=("first_blocked", "min"),
    ).reset_index()
    month_end = months["month"] + pd.offsets.MonthEnd(0)
    lost = (month_end - months["first_blocked"]).dt.days + 1
    months["blocked"] = months["blocked_calls"] > 0
    months["days_lost"] = lost.fillna(0).astype("int64")
    months["blocked_minutes"] = months.pop("blocked_s") / 60.0
    return months.drop(columns="first_blocked")
