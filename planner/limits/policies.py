"""Which calling policy each user has: a ``upn,policy`` file, and the limit amounts a policy
accepts."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pandas as pd

from planner.errors import InputError
from planner.inputs.table import LINE, Table
from planner.validate import MAX_AMOUNT

__all__ = ["DEFAULT_POLICY", "assign_policies", "parse_limit", "read_policies"]

#: the org-wide default calling policy: users the file does not name, or every user without
#: a file
DEFAULT_POLICY = "Global"


def read_policies(path: str | Path) -> pd.DataFrame:
    """Read a ``upn,policy`` CSV: the Teams calling policy of each user.

    (``Get-CsOnlineUser | Select UserPrincipalName, TeamsCallingPolicy`` exports one; the
    columns ``UserPrincipalName`` and ``TeamsCallingPolicy`` are accepted too.)

    Returns
    -------
    pd.DataFrame
        ``upn`` (lower case, unique) and ``policy`` (as written).

    Raises
    ------
    InputError
        Missing columns, no rows, an empty user or policy, or a user named twice.
    """
    t = Table(path, "the users' calling policies", "upn,policy")
    upn_col = t.column("upn", "userprincipalname", "user principal name", "user")
    policy_col = t.column("policy", "teamscallingpolicy", "calling policy", "callingpolicy")
    t.require_rows()
    upn = t.text(upn_col).str.lower()
    policy = t.text(policy_col)
    t._first_bad((upn == "").to_numpy(), upn_col, "the user principal name is empty")
    t._first_bad((policy == "").to_numpy(), policy_col, "the calling policy is empty")
    twice = upn.duplicated(keep="first").to_numpy()
    if twice.any():
        i = int(twice.argmax())
        first = int(t.frame[LINE][(upn == upn.iloc[i]).to_numpy()].iloc[0])
        raise t.error(
            int(t.frame[LINE].iloc[i]),
            "user {user} is listed twice (first on line {first}); a user has one calling policy",
            user=upn.iloc[i],
            first=first,
        )
    return pd.DataFrame({"upn": pd.array(upn.tolist(), dtype="string"), "policy": policy.tolist()})


def assign_policies(upns: pd.Series, policies: pd.DataFrame | None) -> pd.Series:
    """Each user's policy: from ``policies``, else :data:`DEFAULT_POLICY`."""
    if policies is None:
        return pd.Series(DEFAULT_POLICY, index=upns.index, dtype=object)
    lookup = dict(zip(policies["upn"], policies["policy"], strict=True))
    return upns.map(lambda u: lookup.get(u, DEFAULT_POLICY)).astype(object)


def parse_limit(value: Any, name: str = "--current-limit") -> int:
    """A ``CallingSpendUserLimit`` as given: a positive whole amount (in currency units).

    >>> parse_limit("50"), parse_limit(12)
    (50, 12)

    Raises
    ------
    InputError
        Not a number, not whole, or not above 0.
    """
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise InputError("{name}: not an amount: {value!r}", name=name, value=value) from None
    if not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT:
        raise InputError(
            "{name}: a spend limit is a whole amount above 0, got {value!r}", name=name, value=value
        )
    if amount != amount.to_integral_value():
        raise InputError(
            "{name}: a spend limit is a whole amount (Teams accepts no decimals), got {value!r}",
            name=name,
            value=value,
        )
    return int(amount)
