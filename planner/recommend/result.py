"""The recommendation as a value: the :class:`Recommendation` dataclass and its JSON.

The column tuples name the tables it carries (alternatives, frontier, expiring lots);
:meth:`Recommendation.to_json` turns it into plain JSON types (the verdict, the status and the
exit code of a scheduled run are :mod:`planner.plan`'s).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from planner.engine import Policy
from planner.recommend.cost import DEFAULT_SERVICE_LEVEL
from planner.scenarios import Scenarios

#: name of the alternative offered against bursts a history has not shown (its label adds
#: the service level: ``higher service level (99.8%)``)
SAFER_OPTION = "higher service level"

#: columns of :attr:`Recommendation.alternatives` and :attr:`Recommendation.frontier`
ALTERNATIVE_COLUMNS = (
    "option",
    "initial",
    "recharge_amount",
    "threshold",
    "auto_recharge",
    "p_stockout",
    "expected_forfeited",
    "expected_purchased",
    "expected_recharges",
    "recharges_per_month",
    "mean_balance",
    "cost",
    "explanation",
)
FRONTIER_COLUMNS = (
    "initial",
    "recharge_amount",
    "threshold",
    "p_stockout",
    "cost",
    "expected_forfeited",
    "mean_balance",
    "expected_recharges",
)
EXPIRING_COLUMNS = ("date", "purchase_date", "amount", "expected_forfeit")


@dataclass
class Recommendation:
    """A recommended funding policy and everything an admin needs to judge it.

    Attributes
    ----------
    policy : Policy
        The recommended (rounded) policy.
    metrics : dict
        Its scenario means: ``p_stockout``, ``p_stockout_se``, ``expected_forfeited``,
        ``expected_purchased``, ``expected_recharges``, ``recharges_per_month``,
        ``mean_balance``, ``expected_unserved``, ``stockout_days``, ``end_balance``,
        ``expected_purchases`` (invoices: first purchase and recharges), ``holding_cost``,
        ``recharge_cost``, ``cost``. ``expected_forfeited`` counts every lot bought in the
        plan, after the horizon too; ``recharges_per_month`` is the rhythm once recharges
        run (mean monthly demand / recharge amount). With today's lots and a first purchase
        above 0, ``p_stockout_without_first_purchase``: the same policy without it, on the
        same scenarios (why the plan adds funds now).
    cost : float
        Expected cost of the policy (:func:`planner.recommend.cost.policy_cost`).
    one_time_funding : dict
        No auto-recharge: ``amount`` (None when one purchase cannot cover the horizon),
        ``p_stockout``, ``expected_forfeited``, ``mean_balance``, ``cost``, ``note``.
    alternatives : pd.DataFrame
        Columns :data:`ALTERNATIVE_COLUMNS`; first row ``recommended``.
    frontier : pd.DataFrame
        Pareto frontier of cost vs stock-out risk over the policies evaluated by the search
        (unrounded), columns :data:`FRONTIER_COLUMNS`, by increasing ``p_stockout``.
    current : dict or None
        The admin's current settings evaluated: ``initial``, ``recharge_amount``,
        ``threshold``, ``p_stockout``, ``expected_forfeited``, ``expected_recharges``,
        ``mean_balance``, ``cost``, ``meets_service_level``.
    position : dict or None
        With today's lots: ``balance``, ``runway_days`` (``median``, ``pessimistic`` = 5th
        percentile, ``censored`` = runs past the horizon), ``depletion_date`` (None beyond
        the horizon), ``expiring`` (DataFrame, :data:`EXPIRING_COLUMNS`), ``act_now``,
        ``advice``.
    explanation : list[str]
        Plain sentences, most important first, in the language of the run: written by
        :func:`planner.text.plan.explain` (empty until then; the model computes, the text
        layer writes).
    currency : str
    scenarios : Scenarios
    service_level : float
    settings : dict
        The options used, the cost formula and the number of policies evaluated.
    lots : pd.DataFrame or None
        Today's lots as used: checked against the plan start (expired lots left out).
    warnings : list[str]
        The scenarios' caveats (:attr:`planner.scenarios.Scenarios.warnings`) in words,
        written with the explanation.
    """

    policy: Policy
    metrics: dict
    cost: float
    one_time_funding: dict
    alternatives: pd.DataFrame
    frontier: pd.DataFrame
    current: dict | None
    position: dict | None
    explanation: list[str]
    currency: str
    scenarios: Scenarios
    service_level: float = DEFAULT_SERVICE_LEVEL
    settings: dict = field(default_factory=dict)
    lots: pd.DataFrame | None = None
    warnings: list[str] = field(default_factory=list)

    def safer_alternative(self) -> pd.Series | None:
        """The ``higher service level`` alternative (the one offered against bursts the
        history has not shown), or None when the plan has none."""
        names = self.alternatives["option"].astype(str)
        rows = self.alternatives[names.str.startswith(SAFER_OPTION)]
        return None if rows.empty else rows.iloc[0]

    def safer_policy(self) -> Policy | None:
        """:meth:`safer_alternative` as a policy: its amounts, with the lead time and
        recharge failures the recommendation was evaluated with (None when it has none)."""
        r = self.safer_alternative()
        if r is None:
            return None
        return replace(
            self.policy,
            initial=float(r["initial"]),
            recharge_amount=float(r["recharge_amount"]),
            threshold=float(r["threshold"]),
        )

    def to_json(self) -> dict:
        """A JSON-ready dict (plain floats, ints, strings, lists)."""
        m = self.metrics
        out: dict[str, Any] = {
            "currency": self.currency,
            "service_level": self.service_level,
            "initial": self.policy.initial,
            "recharge_amount": self.policy.recharge_amount,
            "threshold": self.policy.threshold,
            "lead_days": self.policy.lead_days,
            "p_stockout": m["p_stockout"],
            "p_stockout_se": m["p_stockout_se"],
            "expected_forfeited": m["expected_forfeited"],
            "expected_purchased": m["expected_purchased"],
            "expected_recharges": m["expected_recharges"],
            "recharges_per_month": m["recharges_per_month"],
            "mean_balance": m["mean_balance"],
            "cost": self.cost,
            "one_time_funding": _plain(self.one_time_funding),
            "alternatives": _records(self.alternatives),
            "frontier": _records(self.frontier),
            "current": _plain(self.current) if self.current is not None else None,
            "explanation": list(self.explanation),
            "warnings": list(self.warnings),
            "scenarios": {
                "method": self.scenarios.method,
                "count": self.scenarios.n_scenarios,
                "start": self.scenarios.start.date().isoformat(),
                "horizon_days": self.scenarios.horizon_days,
                "growth_per_year": self.scenarios.growth_per_year,
                "history_days": self.scenarios.history_days,
                "seed": self.scenarios.seed,
            },
            "settings": _plain(self.settings),
            "seed": self.scenarios.seed,
        }
        if self.position is not None:
            pos = self.position
            out["balance"] = pos["balance"]
            out["balance_as_of"] = pos["as_of"].date().isoformat()
            out["runway_days"] = _plain(pos["runway_days"])
            out["depletion_date"] = _plain(pos["depletion_date"])
            out["expiring"] = _records(pos["expiring"])
            out["act_now"] = pos["act_now"]
            out["advice"] = pos["advice"]
        return out


def _plain(value: Any) -> Any:
    """Recursively convert numpy / pandas scalars and frames to JSON types."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, pd.DataFrame):
        return _records(value)
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        f = float(value)
        return f if math.isfinite(f) else None
    if value is None or value is pd.NaT:
        return None
    return value


def _records(frame: pd.DataFrame) -> list[dict]:
    return [_plain(dict(zip(frame.columns, row, strict=True))) for row in frame.itertuples(False)]
