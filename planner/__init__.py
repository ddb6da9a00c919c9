"""planner: plan Microsoft Teams Communications Credits.

Ingest PSTN usage exports, work out the daily credit demand, simulate the prepaid balance
under FIFO lots that expire after 12 months, and recommend initial funding, recharge amount
and trigger with their risk and cost.

The public API is imported lazily so that ``import planner`` stays fast for the CLI.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_LAZY = {
    "read_exports": "planner.ingest",
    "IngestResult": "planner.ingest",
    "actual_demand": "planner.demand",
    "whatif_demand": "planner.demand",
    "Policy": "planner.engine",
    "simulate": "planner.engine",
    "sweep": "planner.engine",
    "make_scenarios": "planner.scenarios",
    "recommend": "planner.recommend",
    "generate_sample": "planner.sample",
    "PlannerError": "planner.errors",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'planner' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
