"""What a :class:`~planner.plan.PlanRequest` returns: the demand, the recommendation and the
verdict, with the data they came from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from planner.billing import MonthlyForecast, RunOut
from planner.limits import LimitsResult, flagged_usage_ids, spend_limits
from planner.plan.postpaid import postpaid_outlook
from planner.recommend import Recommendation
from planner.text import plan as plan_text

__all__ = ["PlanResult"]


@dataclass(frozen=True)
class PlanResult:
    """A tenant's funding plan.

    Attributes
    ----------
    request : planner.plan.PlanRequest
        What was asked.
    history : pd.Series
        The daily demand planned from (alert spend left out unless kept).
    currency : str
    recommendation : Recommendation
    verdict : planner.plan.verdict.Verdict
        OK / ACT / ALERT with its reasons.
    demand : planner.demand.DemandResult or None
        The demand of the exports (None when planned from a demand file or a given history).
    records : pd.DataFrame or None
        The call records read (None without exports).
    alerts : planner.alerts.AlertResult or None
        The alerts of the period checked (None without exports).
    left_out : planner.plan.sources.LeftOut or None
        The spend high alerts flag, left out of the demand (None: nothing left out).
    warnings : tuple of str
        Every warning of the plan (lots left out, short history, ...), as printed.
    forecast : MonthlyForecast
        The next months' spend (prepaid: what the balance must fund) or bill (post-paid),
        from the plan's scenarios (:func:`planner.billing.monthly_forecast`).
    run_out : RunOut or None
        A post-paid tenant's credits: when they run out (None when prepaid or when today's
        balance was not given).
    history_alerts : planner.alerts.AlertResult or None
        The alerts of the whole history (None without exports): what :meth:`spend_limits`
        weighs the limits against.
    """

    request: Any
    history: pd.Series
    currency: str
    recommendation: Recommendation
    verdict: Any
    forecast: MonthlyForecast
    demand: Any = None
    records: pd.DataFrame | None = None
    alerts: Any = None
    left_out: Any = None
    warnings: tuple[str, ...] = ()
    run_out: RunOut | None = None
    history_alerts: Any = None

    @property
    def outlook(self) -> dict[str, Any] | None:
        """A post-paid tenant's credits and bill (:func:`planner.plan.postpaid.postpaid_outlook`);
        None when prepaid."""
        if self.request.billing != "postpaid":
            return None
        return postpaid_outlook(self.forecast, self.run_out)

    def spend_limits(self) -> LimitsResult | None:
        """The recommended per-user spend limit of the records' users, one group (as
        ``planner limits`` without a policies file), weighed against the whole history's
        alerts; None without call records."""
        if self.records is None or self.history_alerts is None:
            return None
        return spend_limits(self.records, flagged_ids=flagged_usage_ids(self.history_alerts))

    @property
    def status(self) -> str:
        """The one-line status of a scheduled run: ``planner: OK|ACT|ALERT`` and why."""
        return plan_text.status_line(self.recommendation, self.verdict, self.outlook)

    @property
    def exit_code(self) -> int:
        """0, or 3 (ALERT) for scheduled runs."""
        return int(self.verdict.exit_code)

    def to_json(self) -> dict[str, Any]:
        """The plan as one JSON-ready object: the recommendation, the verdict with its
        reasons, what was left out of the demand, every warning, the status and exit code."""
        out = self.recommendation.to_json()
        out["warnings"] = list(self.warnings)
        out["billing"] = self.request.billing
        outlook = self.outlook
        if outlook is not None:
            # no credits to buy: no recharge recommended
            for key in ("initial", "recharge_amount", "threshold"):
                out[key] = None
            out["postpaid"] = {
                k: (v.date().isoformat() if isinstance(v, pd.Timestamp) else v)
                for k, v in outlook.items()
            }
            out["credits_run_out"] = None if self.run_out is None else self.run_out.to_dict()
        out["forecast"] = self.forecast.to_dict()
        out["left_out"] = None if self.left_out is None else self.left_out.to_json()
        out["verdict"] = self.verdict.to_json()
        out["status"] = self.status
        out["exit_code"] = self.exit_code
        return out

    def summary(self) -> dict[str, Any]:
        """What ``summary.json`` takes from the plan: the recommendation as
        :meth:`to_json` writes it, the verdict, the monthly forecast, and the status with its
        exit code."""
        doc = self.to_json()
        return {
            "recommendation": doc,
            "forecast": doc["forecast"],
            "verdict": doc["verdict"],
            "alert": {"exit_code": doc["exit_code"], "status": doc["status"]},
        }
