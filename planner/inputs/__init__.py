"""Readers for the small CSV files the planner takes besides the usage exports.

Each reader returns a tidy DataFrame (or Series) and refuses a bad file with one
:class:`~planner.errors.InputError` naming the file, the line and what to fix. Files may be
comma, semicolon or tab separated (Excel in French or German locales writes ``;`` with ``,``
as the decimal mark), UTF-8 with or without a byte-order mark, or Windows-1252. Header names
are matched case-insensitively, ignoring spaces, hyphens and underscores.

- :func:`read_demand_csv`: a daily credit demand (``date,amount`` or ``planner demand --out``).
- :func:`read_lots`: today's balance as lots (purchase date, amount left).
- :func:`read_licences`: Calling Plan / Audio Conferencing licence counts per country.
- :func:`read_rates`: a per-minute rate card.
- :func:`read_user_licences`: who holds the Communications Credits licence (``MCOPSTNC``).
"""

from __future__ import annotations

from planner.inputs.demand import read_demand_csv
from planner.inputs.lots import check_lots, read_lots
from planner.inputs.plans import read_licences, read_rates
from planner.inputs.table import MAX_SPAN_DAYS
from planner.inputs.users import (
    UNKNOWN_DEPARTMENT,
    normalise_departments,
    read_departments,
    read_user_licences,
)

__all__ = [
    "MAX_SPAN_DAYS",
    "UNKNOWN_DEPARTMENT",
    "check_lots",
    "normalise_departments",
    "read_demand_csv",
    "read_departments",
    "read_licences",
    "read_lots",
    "read_rates",
    "read_user_licences",
]
