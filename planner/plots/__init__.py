"""Charts for the usage and funding notebooks.

Every chart takes the tables of :mod:`planner.analysis` (or plain arrays) and, in the
matplotlib convention, ``ax=None``: the Axes to draw on (a new figure when None); it returns
the Axes it drew on, so two charts can share a figure and either can be restyled. A chart of
several panels (:func:`monthly_usage`, :func:`call_types`, :func:`pool_usage`, :func:`risk`)
takes and returns an array of them. Nothing here calls ``show()``: the notebook displays what
it is given, a script saves it with :func:`save_figure` (:func:`figure_of` finds the figure
of what a chart returns). matplotlib is imported only when a chart is drawn.

Units: usage tables carry money as integer cents (``*_cents`` columns) and the axes show
currency units; funding arrays (scenario and balance paths) are floats in currency units, as
the simulation uses them. Every money axis names its currency.

Modules: :mod:`~planner.plots.usage` (the usage analysis), :mod:`~planner.plots.funding` and
:mod:`~planner.plots.frontier` (the funding plan), :mod:`~planner.plots.style` (the palette and
the axes every chart shares). Every chart is importable from ``planner.plots`` itself.
"""

from __future__ import annotations

from planner.plots.frontier import frontier
from planner.plots.funding import (
    balance_trajectories,
    demand_history,
    expiry_schedule,
    fan_chart,
    risk,
    runway,
)
from planner.plots.style import (
    BLUE,
    CATEGORY_COLOURS,
    CATEGORY_LABELS,
    GREEN,
    GREY,
    ORANGE,
    PURPLE,
    RED,
    figure_of,
    save_figure,
)
from planner.plots.usage import (
    call_types,
    daily_spend,
    day_of_month,
    hour_weekday_heatmap,
    monthly_usage,
    pool_usage,
    rejects,
    toll_free,
    top_bars,
    top_departments,
    top_destinations,
    top_users,
)

__all__ = [
    "BLUE",
    "CATEGORY_COLOURS",
    "CATEGORY_LABELS",
    "GREEN",
    "GREY",
    "ORANGE",
    "PURPLE",
    "RED",
    "balance_trajectories",
    "call_types",
    "daily_spend",
    "day_of_month",
    "demand_history",
    "expiry_schedule",
    "fan_chart",
    "frontier",
    "hour_weekday_heatmap",
    "monthly_usage",
    "pool_usage",
    "rejects",
    "risk",
    "runway",
    "figure_of",
    "save_figure",
    "toll_free",
    "top_bars",
    "top_departments",
    "top_destinations",
    "top_users",
]
