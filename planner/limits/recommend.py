"""A recommended ``CallingSpendUserLimit`` per calling policy, and what each candidate limit
would have done to the history.

The recommendation (:func:`recommend_limit`) comes from the *legitimate* user-months of the
policy's users: the months of users who placed outgoing PSTN calls, leaving out every
user-month holding a call the alerts flag (:mod:`planner.alerts`: spend that alerts flag is
not demand to plan for). It is the 99th percentile of their monthly spend on what the limit
counts (:mod:`planner.limits.spend`) with :data:`HEADROOM` for growth and months busier than
the history's, rounded up to two significant figures, and at least :data:`MIN_LIMIT`. So it
blocks at most 1% of the legitimate user-months seen, and a stolen account draws at most the
limit a month.

Each candidate (:func:`evaluate_limit`) is replayed on the history, call by call: the
user-months it would have blocked (users, calls, minutes, money, the days they would have lost
calling), how many of them were legitimate, and how much of the spend the alerts flag it
would have stopped (``capped_alert_cents``).
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from planner.limits.policies import assign_policies
from planner.limits.spend import apply_limit, limit_calls, user_months
from planner.money import units

__all__ = [
    "HEADROOM",
    "MIN_LIMIT",
    "LimitsResult",
    "PolicyLimits",
    "evaluate_limit",
    "flagged_usage_ids",
    "policy_command",
    "recommend_limit",
    "spend_limits",
]

#: the recommended limit over the legitimate user-months' 99th percentile: a quarter more, for
#: growth and for months busier than a year of history shows
HEADROOM = 1.25
#: the smallest limit recommended (currency units): below it one overage call of a normal
#: month could reach it
MIN_LIMIT = 10
#: quantiles of legitimate monthly spend offered as candidates, besides the recommendation
CANDIDATE_QUANTILES = (0.9, 0.95, 0.99)
#: columns of :attr:`PolicyLimits.candidates`
OUTCOME_COLUMNS = (
    "limit",
    "blocked_user_months",
    "legitimate_blocked",
    "blocked_users",
    "blocked_calls",
    "blocked_minutes",
    "blocked_cents",
    "days_lost",
    "capped_alert_cents",
    "recommended",
    "current",
)


def round_up(amount: float) -> int:
    """``amount`` rounded up to two significant figures, as a whole number (at least 1).

    >>> round_up(36.2), round_up(123.0), round_up(9.01), round_up(0.0)
    (37, 130, 10, 1)
    """
    if amount <= 1:
        return 1
    step = 10 ** max(0, math.floor(math.log10(amount)) - 1)
    return int(math.ceil(round(amount / step, 9)) * step)


def recommend_limit(legitimate_cents: np.ndarray) -> int:
    """The recommended limit (currency units) from the legitimate user-months' spend (cents):
    :data:`HEADROOM` x their 99th percentile, rounded up (:func:`round_up`), at least
    :data:`MIN_LIMIT`.

    >>> recommend_limit(np.array([0, 500, 1200, 3000]))
    38
    """
    if len(legitimate_cents) == 0:
        return MIN_LIMIT
    q = float(np.quantile(legitimate_cents, 0.99, method="higher")) / 100
    return max(MIN_LIMIT, round_up(HEADROOM * q))


def evaluate_limit(calls: pd.DataFrame, flagged: np.ndarray, limit: int) -> dict[str, Any]:
    """What a limit of ``limit`` (currency units) would have done to ``calls``.

    Parameters
    ----------
    calls : pd.DataFrame
        :func:`planner.limits.spend.limit_calls` of the policy's users.
    flagged : np.ndarray
        One bool per call: the alerts flag it.
    limit : int

    Returns
    -------
    dict
        :data:`OUTCOME_COLUMNS` but ``recommended`` and ``current``.
    """
    applied = apply_limit(calls, limit * 100)
    applied["flagged"] = flagged
    months = user_months(applied)
    bad = applied.groupby(["upn", "month"], sort=True)["flagged"].any().to_numpy()
    blocked = months[months["blocked"]]
    return {
        "limit": int(limit),
        "blocked_user_months": len(blocked),
        "legitimate_blocked": int((months["blocked"].to_numpy() & ~bad).sum()),
        "blocked_users": int(blocked["upn"].nunique()),
        "blocked_calls": int(blocked["blocked_calls"].sum()),
        "blocked_minutes": float(blocked["blocked_minutes"].sum()),
        "blocked_cents": int(blocked["blocked_cents"].sum()),
        "days_lost": int(blocked["days_lost"].sum()),
        "capped_alert_cents": int(applied.loc[flagged, "blocked_cents"].sum()),
    }


def policy_command(policy: str, limit: int) -> str:
    """The PowerShell line that sets the limit on the policy (Teams PowerShell module).

    >>> policy_command("Sales", 40)
    'Set-CsTeamsCallingPolicy -Identity Sales -EnableSpendLimits $true -CallingSpendUserLimit 40'
    """
    identity = policy if policy.replace("-", "").replace("_", "").isalnum() else f'"{policy}"'
    return (
        f"Set-CsTeamsCallingPolicy -Identity {identity} -EnableSpendLimits $true "
        f"-CallingSpendUserLimit {int(limit)}"
    )


@dataclass(frozen=True)
class PolicyLimits:
    """One calling policy: its users' history and the limits weighed for it.

    Attributes
    ----------
    policy : str
    users : int
        Users of the policy: named in the policies file or seen placing outgoing calls.
    user_months, legitimate_user_months : int
        User-months with outgoing PSTN calls, and those without a call the alerts flag.
    alert_cents : int
        Spend of the flagged calls (what the alerts flag of the policy's users).
    recommended : int
    current : int or None
    candidates : pd.DataFrame
        :data:`OUTCOME_COLUMNS`, one row per candidate limit, ascending.
    """

    policy: str
    users: int
    user_months: int
    legitimate_user_months: int
    alert_cents: int
    recommended: int
    current: int | None
    candidates: pd.DataFrame = field(repr=False)

    def outcome(self, limit: int) -> dict[str, Any]:
        """The candidate row of ``limit``."""
        row = self.candidates[self.candidates["limit"] == limit].iloc[0]
        return {str(k): (v.item() if hasattr(v, "item") else v) for k, v in row.items()}

    @property
    def command(self) -> str:
        return policy_command(self.policy, self.recommended)

    def to_json(self) -> dict[str, Any]:
        """``{policy, users, recommended_limit, blocked_user_months, blocked_spend,
        capped_alert_spend, command, ...}`` (amounts in currency units)."""
        rec = self.outcome(self.recommended)
        doc: dict[str, Any] = {
            "policy": self.policy,
            "users": self.users,
            "recommended_limit": self.recommended,
            "blocked_user_months": rec["blocked_user_months"],
            "blocked_spend": float(units(rec["blocked_cents"])),
            "capped_alert_spend": float(units(rec["capped_alert_cents"])),
            "command": self.command,
            "user_months": self.user_months,
            "legitimate_user_months": self.legitimate_user_months,
            "legitimate_blocked_user_months": rec["legitimate_blocked"],
            "alert_spend": float(units(self.alert_cents)),
            "candidates": [_outcome_json(r) for r in self.candidates.to_dict("records")],
        }
        if self.current is not None:
            doc["current_limit"] = _outcome_json(self.outcome(self.current))
        return doc


def _outcome_json(row: dict[Any, Any]) -> dict[str, Any]:
    out = {str(k): (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
    out["blocked_spend"] = float(units(out.pop("blocked_cents")))
    out["capped_alert_spend"] = float(units(out.pop("capped_alert_cents")))
    out["blocked_minutes"] = round(out["blocked_minutes"], 1)
    return out


@dataclass(frozen=True)
class LimitsResult:
    """The spend limits of every calling policy of a tenant."""

    currency: str
    first_month: pd.Timestamp | None
    last_month: pd.Timestamp | None
    policies: tuple[PolicyLimits, ...]

    def to_json(self) -> dict[str, Any]:
        def month(m: pd.Timestamp | None) -> str | None:
            return None if m is None else m.strftime("%Y-%m")

        return {
            "currency": self.currency,
            "first_month": month(self.first_month),
            "last_month": month(self.last_month),
            "policies": [p.to_json() for p in self.policies],
        }


def _policy_limits(
    policy: str, calls: pd.DataFrame, flagged: np.ndarray, named: int, current: int | None
) -> PolicyLimits:
    months = calls.groupby(["upn", "month"], sort=True)
    spend = months["cents"].sum().to_numpy(np.int64)
    bad = pd.Series(flagged, index=calls.index).groupby([calls["upn"], calls["month"]]).any()
    legit = spend[~bad.sort_index().to_numpy()]
    recommended = recommend_limit(legit)
    limits = {recommended, *([current] if current is not None else [])}
    if len(legit):
        limits |= {round_up(float(np.quantile(legit, q, method="higher")) / 100)
                   for q in CANDIDATE_QUANTILES}  # fmt: skip
        limits.add(round_up(float(legit.max()) / 100))
    rows = [evaluate_limit(calls, flagged, lim) for lim in sorted(limits)]
    table = pd.DataFrame(rows)
    table["recommended"] = table["limit"] == recommended
    table["current"] = table["limit"] == current
    return PolicyLimits(
        policy=policy,
        users=max(named, int(calls["upn"].nunique())),
        user_months=len(spend),
        legitimate_user_months=len(legit),
        alert_cents=int(calls.loc[flagged, "cents"].sum()),
        recommended=recommended,
        current=current,
        candidates=table[list(OUTCOME_COLUMNS)],
    )


def spend_limits(
    records: pd.DataFrame,
    *,
    policies: pd.DataFrame | None = None,
    current_limit: int | None = None,
    flagged_ids: Collection[str] = (),
) -> LimitsResult:
    """A recommended ``CallingSpendUserLimit`` for each calling policy, with its candidates.

    Parameters
    ----------
    records : pd.DataFrame
        Canonical call records.
    policies : pd.DataFrame, optional
        :func:`planner.limits.read_policies`; without it every user is one group
        (:data:`~planner.limits.policies.DEFAULT_POLICY`).
    current_limit : int, optional
        A limit already set (currency units): evaluated on every policy as a candidate.
    flagged_ids : collection of str
        ``usage_id`` of the calls the alerts flag (:func:`flagged_usage_ids`).

    Returns
    -------
    LimitsResult
    """
    calls = limit_calls(records)
    calls["policy"] = assign_policies(calls["upn"], policies)
    flagged = calls["usage_id"].isin(list(flagged_ids)).fillna(False).to_numpy(bool)
    names = sorted(set(calls["policy"]) | set(policies["policy"] if policies is not None else ()))
    results = []
    for name in names:
        mask = (calls["policy"] == name).to_numpy()
        named = 0 if policies is None else int((policies["policy"] == name).sum())
        part = calls[mask].reset_index(drop=True)
        results.append(_policy_limits(name, part, flagged[mask], named, current_limit))
    money = records["currency"].dropna()
    return LimitsResult(
        currency=str(money.mode().iloc[0]) if len(money) else "",
        first_month=calls["month"].min() if len(calls) else None,
        last_month=calls["month"].max() if len(calls) else None,
        policies=tuple(results),
    )


def flagged_usage_ids(alerts: Any, severities: Collection[str] = ("high", "medium")) -> set[str]:
    """The calls the alerts of ``severities`` flag (an :class:`planner.alerts.AlertResult`)."""
    return {uid for a in alerts.alerts if a.severity in severities for uid in a.usage_ids}
