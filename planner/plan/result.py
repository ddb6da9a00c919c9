"""What a :class:`~planner.plan.PlanRequest` returns: the demand, the recommendation and the
verdict, with the data they came from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from planner.recommend import Recommendation, alert_status

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
    """

    request: Any
    history: pd.Series
    currency: str
    recommendation: Recommendation
    verdict: Any
    demand: Any = None
    records: pd.DataFrame | None = None
    alerts: Any = None
    left_out: Any = None
    warnings: tuple[str, ...] = ()

    @property
    def status(self) -> str:
        """The one-line status of a scheduled run (``planner: OK ...``)."""
        return alert_status(self.recommendation, self.request.options.alert_days)[1]

    @property
    def exit_code(self) -> int:
        """0, or 3 (ALERT) for scheduled runs."""
        return alert_status(self.recommendation, self.request.options.alert_days)[0]

    def to_json(self) -> dict[str, Any]:
        """The plan as one JSON-ready object: the recommendation, its status and exit code."""
        out = self.recommendation.to_json()
        out["warnings"] = list(self.warnings)
        out["status"] = self.status
        out["exit_code"] = self.exit_code
        return out
