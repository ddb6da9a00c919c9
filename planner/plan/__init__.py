"""The funding plan of one tenant, asked once: :class:`PlanRequest` in, :class:`PlanResult` out.

=========================  ==================================================================
module                     what it holds
=========================  ==================================================================
:mod:`~.options`           :class:`PlanOptions`: service level, horizon, costs, seed... with
                           their defaults, written once
:mod:`~.request`           :class:`PlanRequest`: data, options, current settings, billing,
                           language, as-of date; every pairing and minimum checked once;
                           :meth:`PlanRequest.run`
:mod:`~.sources`           reading the exports, the alerts, and the demand without the spend
                           high alerts flag
:mod:`~.pipeline`          the steps: demand, current policy, :func:`plan`, replays
:mod:`~.verdict`           OK / ACT / ALERT with its reasons, computed once
:mod:`~.result`            :class:`PlanResult`
=========================  ==================================================================

    result = PlanRequest.from_params({"exports": ["exports/"], "balance": "lots.csv"}).run()
    result.recommendation.policy, result.verdict.level
"""

from planner.plan.options import DEFAULT_SEED, PlanOptions
from planner.plan.pipeline import (
    current_policy,
    default_fit_days,
    demand_from_exports,
    demand_from_records,
    history_from_exports,
    history_from_file,
    load_lots,
    plan,
    replay,
    replay_document,
    replay_trajectory,
)
from planner.plan.request import BILLING_MODES, REPORT_PARAMETERS, PlanRequest
from planner.plan.result import PlanResult
from planner.plan.verdict import LEVELS, Reason, Verdict, verdict

__all__ = [
    "BILLING_MODES",
    "DEFAULT_SEED",
    "LEVELS",
    "REPORT_PARAMETERS",
    "PlanOptions",
    "PlanRequest",
    "PlanResult",
    "Reason",
    "Verdict",
    "current_policy",
    "default_fit_days",
    "demand_from_exports",
    "demand_from_records",
    "history_from_exports",
    "history_from_file",
    "load_lots",
    "plan",
    "replay",
    "replay_document",
    "replay_trajectory",
    "verdict",
]
