"""Usage analysis and funding summaries: pure pandas / numpy transforms for the notebooks.

Every function takes the canonical call-record table (:mod:`planner.schema`) or plain arrays
and returns a DataFrame whose columns are written in its docstring. Money stays exact: integer
**cents** (``int64``) in every ``*_cents`` column; :func:`planner.text.cents` turns cents into
text at the very edge. Months and days are UTC calendar periods, because the
exports and the credit balance both count in UTC.

Funding summaries (:func:`percentile_bands`, :func:`path_outcomes`, :func:`runway_days`,
:func:`lot_forfeiture`) work on the ``S x T`` arrays of scenario paths and simulated balances
(floats in currency units, as the simulation uses them).

``planner.analysis`` is the namespace the notebooks use; its modules, by concern:
:mod:`~planner.analysis.records` (building blocks, data quality),
:mod:`~planner.analysis.spend` (credit spend by month and day),
:mod:`~planner.analysis.usage` (users, departments, destinations, hours, pools) and
:mod:`~planner.analysis.funding` (scenario and balance paths).
"""

from planner.analysis.funding import (
    DEFAULT_PERCENTILES,
    dates,
    first_stockout_day,
    lot_forfeiture,
    path_outcomes,
    percentile_bands,
    runway_days,
)
from planner.analysis.records import (
    NO_USER,
    UNKNOWN,
    WEEKDAYS,
    credit_categories,
    credit_currencies,
    credit_currency,
    data_quality,
    in_currency,
    on_credits,
    period_covered,
    record_gaps,
    rejects_by_reason,
)
from planner.analysis.spend import (
    daily_credit_spend,
    month_end_pattern,
    month_end_share,
    monthly_by_category,
    monthly_summary,
    spend_by_day_of_month,
)
from planner.analysis.usage import (
    POOL_LABELS,
    by_call_type,
    by_department,
    by_destination,
    by_user,
    hour_weekday,
    pool_usage,
    toll_free_usage,
    top_spenders,
    unlicensed_credit_users,
)

__all__ = [
    "DEFAULT_PERCENTILES",
    "NO_USER",
    "POOL_LABELS",
    "UNKNOWN",
    "WEEKDAYS",
    "by_call_type",
    "by_department",
    "by_destination",
    "by_user",
    "credit_categories",
    "credit_currencies",
    "credit_currency",
    "daily_credit_spend",
    "data_quality",
    "dates",
    "first_stockout_day",
    "hour_weekday",
    "in_currency",
    "lot_forfeiture",
    "month_end_pattern",
    "month_end_share",
    "monthly_by_category",
    "monthly_summary",
    "on_credits",
    "path_outcomes",
    "percentile_bands",
    "period_covered",
    "pool_usage",
    "record_gaps",
    "rejects_by_reason",
    "runway_days",
    "spend_by_day_of_month",
    "toll_free_usage",
    "top_spenders",
    "unlicensed_credit_users",
]
