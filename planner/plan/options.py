"""The settings of a funding plan besides the data, with their defaults written once.

``planner recommend --help``, ``planner report``, the funding-plan notebook's parameter cell
(checked by a test) and the backtest all take their defaults from :class:`PlanOptions`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from planner.recommend import (
    DEFAULT_ALERT_DAYS,
    DEFAULT_MIN_AMOUNT,
    DEFAULT_RECHARGE_OVERHEAD,
    DEFAULT_SERVICE_LEVEL,
    MIN_RECHARGE_DAYS,
)
from planner.scenarios import DEFAULT_SCENARIOS

__all__ = ["DEFAULT_SEED", "PlanOptions"]

#: seed used when none is given: same inputs, same plan
DEFAULT_SEED = 42


@dataclass(frozen=True)
class PlanOptions:
    """Every setting of a funding plan besides the data (see :func:`planner.recommend.recommend`).

    Attributes
    ----------
    service_level : float
        Wanted share of simulated years without a stock-out day (0.5 to below 1).
    horizon_days : int
        Days to plan ahead.
    lead_days : int
        Days between a recharge trigger and the funds being usable.
    holding_rate : float
        Yearly cost of money tied up in the balance (0.05 is 5 %).
    recharge_overhead : float
        Cost of handling one purchase invoice, in the billing currency.
    growth : str, float or None
        Demand growth per year (``0.1``, ``"+20%/year"``, ``"users:250->300"``); None: the
        history's trend.
    n_scenarios : int
        Demand scenarios simulated.
    seed : int
        Seed of the scenarios: same inputs and seed, same plan.
    alert_days : int
        The verdict is ALERT when the balance may run out within this many days.
    min_amount : float
        Smallest amount the admin center accepts (funding, recharge amount, trigger).
    min_recharge_days : float
        Optional floor on the recharge amount, in days of mean spend (0: none).
    failure_rate : float
        Share of recharge attempts that fail (an expired card, say).
    fix_days : int
        Days until a failed recharge is fixed (auto-recharge is off meanwhile).
    monthly_budget : float or None
        A monthly budget in the billing currency: the monthly forecast gives each month's
        chance of exceeding it (``docs/billing.md``); None: no budget.
    """

    service_level: float = DEFAULT_SERVICE_LEVEL
    horizon_days: int = 365
    lead_days: int = 1
    holding_rate: float = 0.05
    recharge_overhead: float = DEFAULT_RECHARGE_OVERHEAD
    growth: str | float | None = None
    n_scenarios: int = DEFAULT_SCENARIOS
    seed: int = DEFAULT_SEED
    alert_days: int = DEFAULT_ALERT_DAYS
    min_amount: float = DEFAULT_MIN_AMOUNT
    min_recharge_days: float = MIN_RECHARGE_DAYS
    failure_rate: float = 0.0
    fix_days: int = 0
    monthly_budget: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """The options as plain values (for JSON)."""
        return asdict(self)

    def recommend_kwargs(self) -> dict[str, Any]:
        """The options as :func:`planner.recommend.recommend`'s keyword arguments: all but
        ``monthly_budget`` (the forecast's), with ``failure_rate`` as its ``failure_prob``."""
        kwargs = self.as_dict()
        del kwargs["monthly_budget"]
        kwargs["failure_prob"] = kwargs.pop("failure_rate")
        return kwargs

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The option names, in order (the notebook's parameter names)."""
        return tuple(f.name for f in fields(cls))
