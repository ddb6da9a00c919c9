"""The monthly forecast as a person reads it: a table (text cells) and a chart.

The numbers come from :mod:`planner.billing.forecast`; this module only writes them
(through :mod:`planner.text`, so a language is a catalogue) and draws them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from planner import text as words
from planner.billing.forecast import MonthlyForecast
from planner.money import from_cents, units
from planner.plots.style import BLUE, GREY, ORANGE, RED, money_axis, new_axes, tidy
from planner.text import t
from planner.text.funding import run_out_sentence as run_out_text

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["forecast_chart", "forecast_table", "run_out_text"]


def _month_label(row: pd.Series) -> str:
    label = words.month(row["month"])
    if row["partial"]:
        return t("{month} (from {first} to {last})", month=label,
                 first=words.date(row["first_day"]), last=words.date(row["last_day"]))  # fmt: skip
    return label


def forecast_table(forecast: MonthlyForecast) -> pd.DataFrame:
    """One row per month, text cells: the month, the expected amount, the 90% and 99% upper
    bounds and, with a budget, the chance of exceeding it."""
    cur = forecast.currency
    m = forecast.months
    columns = {
        t("Month"): [_month_label(row) for _, row in m.iterrows()],
        t("Expected"): [words.cents(v, cur) for v in m["expected_cents"]],
        t("90% upper bound"): [words.cents(v, cur) for v in m["upper90_cents"]],
        t("99% upper bound"): [words.cents(v, cur) for v in m["upper99_cents"]],
    }
    if forecast.monthly_budget_cents is not None:
        head = t("Chance above {budget}", budget=words.cents(forecast.monthly_budget_cents, cur))
        columns[head] = [words.percent(p) for p in m["p_over_budget"]]
    return pd.DataFrame(columns)


def forecast_chart(forecast: MonthlyForecast, *, ax: Axes | None = None) -> Axes:
    """Bars of the expected month, ticks at the 90% and 99% upper bounds, the budget as a
    line. Returns the Axes (a new figure when ``ax`` is None)."""
    _, ax = new_axes(ax, figsize=(9, 4))
    m = forecast.months
    x = np.arange(len(m))
    expected = from_cents(m["expected_cents"])
    ax.bar(x, expected, color=BLUE, width=0.6, label=t("Expected"))
    for col, colour, label in (
        ("upper90_cents", ORANGE, t("90% upper bound")),
        ("upper99_cents", RED, t("99% upper bound")),
    ):
        ax.scatter(x, from_cents(m[col]), marker="_", s=400, color=colour, label=label)
    ax.vlines(x, expected, from_cents(m["upper99_cents"]), color=GREY, linewidth=1)
    if forecast.monthly_budget_cents is not None:
        ax.axhline(float(units(forecast.monthly_budget_cents)), color=GREY, linestyle="--",
                   label=t("Monthly budget"))  # fmt: skip
    labels = [words.month(v) + ("*" if p else "") for v, p in zip(m["month"], m["partial"],
                                                                    strict=True)]  # fmt: skip
    ax.set_xticks(x, [s.replace(" ", "\n", 1) for s in labels])
    title = t("Monthly bill") if forecast.basis == "bill" else t("Monthly credit spend")
    money_axis(ax, forecast.currency, title)
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False, fontsize="small")
    tidy(ax)
    return ax
