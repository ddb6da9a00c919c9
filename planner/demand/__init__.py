"""The demand stage: call records in, daily Communications Credits spend out.

Two ways to the same :class:`~planner.demand.actual.DemandResult` (daily spend by category):

- :mod:`~planner.demand.actual` -- what the tenant's calls *did* cost: the ``MCOPSTNPP``
  charges of the records (:func:`actual_demand`);
- :mod:`~planner.demand.pricing` -- what they *would* cost, priced after the minute pools
  (:mod:`~planner.demand.pools`) at a rate card (:mod:`~planner.demand.rates`), for a tenant
  sizing its first funding (:func:`whatif_demand`).

Both classify calls with :mod:`~planner.demand.calls`, the vocabulary of the credit rules
that the analysis, the alerts and the sample generator share.
"""

from __future__ import annotations

from planner.demand.actual import DemandResult, actual_demand
from planner.demand.pricing import whatif_demand

__all__ = ["DemandResult", "actual_demand", "whatif_demand"]
