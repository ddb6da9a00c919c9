"""A caveat a computation found, as a code and the numbers its sentence is written from.

The models (:mod:`planner.scenarios`, :mod:`planner.recommend`) return :class:`Note` values
and never words; :func:`planner.text.plan.note` writes one in the language of the run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Note:
    """A caveat: its ``code`` and the numbers its sentence shows (``values``).

    Codes: ``short_history`` (``days``, ``weeks``), ``no_spend``, ``growth_unknown``
    (``weeks``), ``growth_uncertain`` (``raw``, ``low``, ``high``, ``growth``: growth per
    year), ``growth_clamped`` (``growth``, ``low``, ``high``, ``clamped``).
    """

    code: str
    values: dict[str, Any] = field(default_factory=dict)
