"""One verdict per plan, computed once: OK, ACT or ALERT, with its reasons as numbers.

The banner of the funding plan, the one-line status, the exit code, ``summary.json``, the
batch index and the plan's sentences all read the same :class:`Verdict`;
:mod:`planner.text.plan` turns its reasons into words.

========  =================================================================================
level     when
========  =================================================================================
ALERT     a **high** alert in the period checked (the spend of fraud is not funded: the
          levers are alerts and spend limits); today's balance may run out within
          ``alert_days`` and no auto-recharge is set (5th-percentile runway); the current
          settings run out of credit more often than the service level allows
ACT       the plan needs a purchase now (without it the service level breaks before a
          recharge can arrive, or the balance is already below the trigger); a post-paid
          tenant whose auto-recharge is on (it must be turned off, or the balance refills
          itself and post-usage billing never starts)
OK        none of these
========  =================================================================================

The exit code is :data:`~planner.errors.EXIT_ALERT` (3) for ALERT, 0 otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from planner.engine import paths as balance_paths
from planner.errors import EXIT_ALERT, EXIT_OK
from planner.recommend import DEFAULT_ALERT_DAYS

__all__ = ["LEVELS", "Reason", "Verdict", "verdict"]

#: verdict levels, least urgent first
LEVELS: tuple[str, ...] = ("OK", "ACT", "ALERT")


@dataclass(frozen=True)
class Reason:
    """Why a verdict is what it is: a ``code``, the ``level`` it calls for, and the numbers
    the sentence is written from (``values``).

    Codes: ``high_alert`` (``count``, ``kind``, ``upn``, ``country``, ``amount_cents``,
    ``currency``, ``first_date``, ``last_date`` of the largest), ``runway`` (``pessimistic``,
    ``alert_days``), ``current_risk`` (``p_stockout``, ``allowed``), ``add_now`` (``amount``,
    ``balance``, ``threshold``, ``below_trigger``, ``p_without``, ``allowed``),
    ``postpaid_auto_recharge`` (``recharge_amount``, ``threshold``).
    """

    code: str
    level: str
    values: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "level": self.level, **_plain(self.values)}


@dataclass(frozen=True)
class Verdict:
    """The plan's verdict: ``level`` (:data:`LEVELS`) and its ``reasons``, most urgent first."""

    level: str
    reasons: tuple[Reason, ...] = ()

    @property
    def exit_code(self) -> int:
        """3 for ALERT (scheduled runs act on it), else 0."""
        return EXIT_ALERT if self.level == "ALERT" else EXIT_OK

    def reason(self, code: str) -> Reason | None:
        """The reason with ``code``, or None."""
        return next((r for r in self.reasons if r.code == code), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "exit_code": self.exit_code,
            "reasons": [r.to_json() for r in self.reasons],
        }


def verdict(
    rec: Any,
    *,
    alerts: Any = None,
    alert_days: int = DEFAULT_ALERT_DAYS,
    billing: str = "prepaid",
) -> Verdict:
    """The verdict of a recommendation.

    Parameters
    ----------
    rec : planner.recommend.Recommendation
    alerts : planner.alerts.AlertResult, optional
        The alerts of the period checked; any high one makes the verdict ALERT.
    alert_days : int
        ALERT when the balance may run out within this many days (no current settings).
    billing : str
        ``prepaid`` or ``postpaid``.
    """
    reasons: list[Reason] = []
    high = [a for a in (alerts.alerts if alerts is not None else ()) if a.severity == "high"]
    if high:
        top = high[0]
        reasons.append(
            Reason(
                "high_alert",
                "ALERT",
                {
                    "count": len(high),
                    "kind": top.kind,
                    "upn": top.upn,
                    "country": top.country,
                    "amount_cents": int(top.amount_cents),
                    "currency": top.currency,
                    "first_date": top.first_date,
                    "last_date": top.last_date,
                },
            )
        )
    pos = rec.position
    if billing == "postpaid":
        # running out of credits is when post-usage billing starts, not a stock-out
        if rec.current is not None and rec.current.get("auto_recharge", True):
            reasons.append(
                Reason(
                    "postpaid_auto_recharge",
                    "ACT",
                    {
                        "recharge_amount": rec.current["recharge_amount"],
                        "threshold": rec.current["threshold"],
                    },
                )
            )
        return _verdict(reasons)
    if pos is not None and rec.current is None:
        pessimistic = pos["runway_days"]["pessimistic"]
        if pessimistic < alert_days:
            reasons.append(
                Reason("runway", "ALERT", {"pessimistic": pessimistic, "alert_days": alert_days})
            )
    if rec.current is not None and rec.current["p_stockout"] > 1 - rec.service_level + 1e-12:
        reasons.append(
            Reason(
                "current_risk",
                "ALERT",
                {"p_stockout": rec.current["p_stockout"], "allowed": 1 - rec.service_level},
            )
        )
    if pos is not None and rec.policy.initial > 0:
        reasons.append(add_now_reason(rec))
    return _verdict(reasons)


def _verdict(reasons: list[Reason]) -> Verdict:
    """The most urgent level of ``reasons`` (OK without any), most urgent reasons first."""
    level = max((r.level for r in reasons), key=LEVELS.index, default="OK")
    return Verdict(level, tuple(sorted(reasons, key=lambda r: -LEVELS.index(r.level))))


def add_now_reason(rec: Any) -> Reason:
    """Why the plan adds funds now although today's lots are given: the balance is already
    below the trigger, or without the purchase the scenarios run out of credit more often
    than the service level allows (``p_without``: on the scenarios the recommendation was
    judged on, ``metrics["p_stockout_without_first_purchase"]``, else on the plan's own)."""
    pol, sc = rec.policy, rec.scenarios
    balance = float(rec.position["balance"])
    # judged where the recommendation was decided (its check scenarios), when it says
    p_without = rec.metrics.get("p_stockout_without_first_purchase")
    if p_without is None:
        without = replace(pol, initial=0.0)
        rng = np.random.default_rng(sc.seed) if pol.failure_prob > 0 else None
        runway = balance_paths(sc.paths, sc.start, without, lots=rec.lots, rng=rng)
        p_without = np.mean(runway["runway_days"] < sc.paths.shape[1])
    return Reason(
        "add_now",
        "ACT",
        {
            "amount": pol.initial,
            "balance": balance,
            "threshold": pol.threshold,
            "below_trigger": balance < pol.threshold,
            "p_without": float(p_without),
            "allowed": 1 - rec.service_level,
        },
    )


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in values.items():
        if hasattr(v, "isoformat"):
            v = v.isoformat()
        elif isinstance(v, np.generic):
            v = v.item()
        out[k] = v
    return out
