"""Funding recommendation: initial purchase, recharge amount and trigger, with risk and cost.

The recommended policy minimises the expected **cost** (:func:`policy_cost`, the one place
the formula lives; ``docs/credit-model.md`` §3)

    cost = forfeited + holding_rate x mean balance x plan_days / 365
           + recharge_overhead x purchases

subject to ``p_stockout <= 1 - service_level``, over demand scenarios
(:mod:`planner.scenarios`) simulated by the balance engine (:func:`planner.engine.sweep`):

- ``forfeited`` is what expires of **every lot bought during the plan**, including lots that
  expire after it ends: the scenarios carry a tail of days after the horizon on which
  nothing is bought and the lots left are spent until used or expired;
- ``purchases`` counts the first purchase (when above 0) and every recharge: each is an
  invoice to handle;
- the mean balance is over the plan days.

Money spent on calls is the same under every policy that serves them, so it is not a cost.

Admin-center rules are part of the search, not rounding afterwards: amounts are whole, the
recharge amount and trigger are at least ``min_amount`` (50 by default), the first purchase
is 0 or at least ``min_amount``. The recharge amount is searched from ``min_amount`` up to
one year of mean demand (a larger lot cannot be used before it expires); nothing else bounds
it, so it moves with the overhead and the holding rate as the inventory trade-off says
(economic order quantity ``sqrt(2 x overhead x yearly demand / holding_rate)`` for steady
demand, lower when expiry bites).

Search (:mod:`planner.recommend.search`). For a fixed recharge amount Q, raising the
trigger s lowers the stock-out risk and raises the balance held, so the cheapest feasible s
is the smallest one meeting the service level, ``s_min(Q)``. The search therefore

1. searches ``s_min(Q)`` for a log-spaced grid of Q, all Q at once, every sweep on the same
   scenarios (common random numbers);
2. refines twice on a finer log grid between the neighbours of the cheapest Q;
3. rounds Q, s and the first purchase to whole amounts an admin would type
   (:func:`nice_step`, never below ``min_amount``), evaluates the rounded neighbours and
   keeps the cheapest feasible one: the rounded policy is the one simulated and reported.

Initial purchase. With auto-recharge on from the start, the first purchase is just the
first lot: the search uses ``initial = max(Q, s)`` (the start then looks like any later
cycle); the reported policy takes the first feasible of: 0 (when today's lots are given),
``Q`` (one recharge amount, what an admin expects), ``max(Q, s)``.

Recharge failures (``failure_prob``, ``fix_days``) are part of every policy searched, so the
trigger covers the days auto-recharge stays off after a failed payment.

Monte Carlo error. A stock-out probability estimated from S scenarios has standard error
``sqrt(p (1 - p) / S)``; the search picks the cheapest policy meeting the target on *these*
scenarios, so on fresh scenarios it meets it within about two standard errors.

Modules: :mod:`~planner.recommend.cost` (the cost and its constants),
:mod:`~planner.recommend.search` (the cheapest feasible policy, rounding),
:mod:`~planner.recommend.outcomes` (metrics, alternatives, frontier, one-time purchase,
current settings, today's lots), :mod:`~planner.recommend.result` (the
:class:`Recommendation` and its JSON) and :mod:`~planner.recommend.advise`
(:func:`recommend`, step by step).
"""

from planner.recommend.advise import recommend
from planner.recommend.cost import (
    COST_FORMULA,
    DEFAULT_ALERT_DAYS,
    DEFAULT_MIN_AMOUNT,
    DEFAULT_RECHARGE_OVERHEAD,
    DEFAULT_SERVICE_LEVEL,
    MIN_RECHARGE_DAYS,
    TAIL_DAYS,
    policy_cost,
)
from planner.recommend.outcomes import pareto_frontier
from planner.recommend.result import (
    ALTERNATIVE_COLUMNS,
    EXPIRING_COLUMNS,
    FRONTIER_COLUMNS,
    Recommendation,
)
from planner.recommend.search import nice_step, round_amount

__all__ = [
    "ALTERNATIVE_COLUMNS",
    "COST_FORMULA",
    "DEFAULT_ALERT_DAYS",
    "DEFAULT_MIN_AMOUNT",
    "DEFAULT_RECHARGE_OVERHEAD",
    "DEFAULT_SERVICE_LEVEL",
    "EXPIRING_COLUMNS",
    "FRONTIER_COLUMNS",
    "MIN_RECHARGE_DAYS",
    "TAIL_DAYS",
    "Recommendation",
    "nice_step",
    "pareto_frontier",
    "policy_cost",
    "recommend",
    "round_amount",
]
