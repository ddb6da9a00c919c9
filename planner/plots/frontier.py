"""The cost-against-risk chart: every policy the search simulated, the efficient frontier
joined, the named alternatives numbered."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from planner import text as words
from planner.plots.style import (
    BLUE,
    GREY,
    ORANGE,
    RED,
    money_axis,
    new_axes,
    nothing_to_show,
    thousands,
    tick_formatter,
    tidy,
)
from planner.text import t
from planner.text.plan import option_name

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def _policy_label(row: pd.Series) -> str:
    for col in ("label", "option"):
        if col in row.index and isinstance(row[col], str) and row[col]:
            return option_name(row[col])
    parts = [
        f"Q {thousands(float(row['recharge_amount']))}",
        f"s {thousands(float(row['threshold']))}",
    ]
    if "initial" in row.index and pd.notna(row["initial"]) and row["initial"]:
        parts.insert(0, f"initial {thousands(float(row['initial']))}")
    return ", ".join(parts)


def _pareto(cost: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Mask of the non-dominated points (no other point is cheaper and at least as safe)."""
    order = np.lexsort((cost, p))  # by p, then cost
    keep = np.zeros(len(cost), dtype=bool)
    best = np.inf
    for i in order:
        if cost[i] < best - 1e-12:
            keep[i] = True
            best = cost[i]
    return keep


def _is_recommended(table: pd.DataFrame) -> np.ndarray:
    rec = np.zeros(len(table), dtype=bool)
    if "recommended" in table.columns:
        rec |= table["recommended"].fillna(False).to_numpy(dtype=bool)
    if "option" in table.columns:
        rec |= table["option"].astype("string").eq("recommended").fillna(False).to_numpy(bool)
    return rec


def _cost_margin(ax: Axes, cost: np.ndarray) -> None:
    """Give a flat or narrow cost range a readable span around it (at least 0.1 % or 1 unit)."""
    cost = cost[np.isfinite(cost)]
    if not len(cost):
        return
    low, high = float(cost.min()), float(cost.max())
    need = max(1e-3 * abs(high), 1.0)
    if high - low < need:
        mid = (low + high) / 2
        ax.set_ylim(mid - need, mid + need)


def _far_above(frontier_cost: np.ndarray, alt_cost: np.ndarray) -> np.ndarray:
    """Alternatives costing far more than every frontier policy (one-time funding, say): drawn
    to scale they would flatten the frontier into one line."""
    finite = frontier_cost[np.isfinite(frontier_cost)]
    if not len(finite):
        return np.zeros(len(alt_cost), dtype=bool)
    top, low = float(finite.max()), float(finite.min())
    return np.isfinite(alt_cost) & (alt_cost > top + 3 * max(top - low, 0.25 * abs(top), 1.0))


def _off_the_scale(ax: Axes, frontier_cost, alt_cost, alt_p, far, currency: str) -> None:
    """Scale the cost axis to the frontier and the near alternatives; mark the far ones at the
    top edge with an arrow and their cost."""
    near = np.concatenate([frontier_cost, alt_cost[~far]])
    near = near[np.isfinite(near)]
    low, high = float(near.min()), float(near.max())
    pad = max(0.15 * (high - low), 1e-3 * abs(high), 1.0)
    ax.set_ylim(low - pad, high + 2 * pad)
    for i in np.flatnonzero(far):
        ax.annotate(
            t("{n}: {amount} (off the scale)", n=i + 1, amount=words.money(alt_cost[i], currency)),
            xy=(alt_p[i] * 100, high + 2 * pad),
            xytext=(0, -28),
            textcoords="offset points",
            ha="center",
            fontsize="small",
            arrowprops={"arrowstyle": "->", "color": ORANGE},
        )


def frontier(
    table: pd.DataFrame,
    currency: str,
    alternatives: pd.DataFrame | None = None,
    service_level: float | None = None,
    max_labels: int = 8,
    ax: Axes | None = None,
) -> Axes:
    """Cost against stock-out risk for candidate policies, the efficient frontier joined.

    Parameters
    ----------
    table : DataFrame
        One row per candidate policy: ``cost`` (expected cost over the horizon, currency
        units), ``p_stockout`` (0..1), ``recharge_amount``, ``threshold``; optional
        ``initial``, ``recommended`` (bool: highlighted), ``label`` (text for the point).
        A recommendation's ``frontier`` table fits.
    alternatives : DataFrame, optional
        Named options to mark: ``option`` (or ``label``), ``cost``, ``p_stockout``; each is
        numbered on the chart and listed in the legend with its cost and risk. The row whose
        ``option`` is ``"recommended"`` (or ``recommended`` is True) is the highlighted star.
        A recommendation's ``alternatives`` table fits.
    service_level : float, optional
        Draws the allowed stock-out probability ``1 - service_level``.
    max_labels : int
        Without ``label`` columns or alternatives, label up to this many frontier points.
    """
    _, ax = new_axes(ax, (10, 5.5))
    title = t("Cost against stock-out risk (Q = recharge amount, s = threshold)")
    cost = table["cost"].to_numpy(dtype=float)
    p = table["p_stockout"].to_numpy(dtype=float)
    if not (np.isfinite(cost) & np.isfinite(p)).any():
        ax.set_title(title)
        _axis_labels(ax, currency)
        nothing_to_show(ax, t("No candidate policies to compare"))
        tidy(ax, "")
        return ax
    order = _candidates_and_frontier(ax, cost, p, service_level)
    if alternatives is not None:
        _numbered_alternatives(ax, alternatives, currency)
    else:
        _recommended_and_labels(ax, table, cost, p, order, max_labels)
    _axis_labels(ax, currency)
    ax.set_title(title)
    _risk_scale(ax, p)
    if alternatives is not None:
        _cost_scale_with_alternatives(ax, cost, order, alternatives, currency)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize="small")
    else:
        _cost_margin(ax, cost)
        ax.legend(loc="upper right", frameon=False, fontsize="small")
    tidy(ax, "both")
    return ax


def _axis_labels(ax: Axes, currency: str) -> None:
    ax.set_xlabel(t("Probability of at least one stock-out day (%)"))
    money_axis(ax, currency, t("Expected cost over the horizon"))


def _candidates_and_frontier(
    ax: Axes, cost: np.ndarray, p: np.ndarray, service_level: float | None
) -> np.ndarray:
    """Every candidate in grey, the efficient frontier joined in blue, the allowed risk as a
    dashed line; returns the frontier's rows in order of risk."""
    ax.scatter(p * 100, cost, s=18, color=GREY, alpha=0.6, label=t("Candidate policies"))
    eff = _pareto(cost, p)
    order = np.flatnonzero(eff)[np.argsort(p[eff], kind="stable")]
    ax.plot(
        p[order] * 100,
        cost[order],
        color=BLUE,
        linewidth=1.5,
        marker="o",
        markersize=4,
        label=t("Efficient frontier"),
    )
    if service_level is not None:
        ax.axvline(
            (1 - service_level) * 100,
            color=GREY,
            linestyle="--",
            linewidth=1,
            label=t("Allowed risk ({share})", share=words.percent(1 - service_level)),
        )
    return order


def _numbered_alternatives(ax: Axes, alternatives: pd.DataFrame, currency: str) -> None:
    """Numbered markers for the named alternatives, explained in the legend: names of close
    points cannot collide. The recommended one is the red star."""
    alt_cost = alternatives["cost"].to_numpy(dtype=float)
    alt_p = alternatives["p_stockout"].to_numpy(dtype=float)
    alt_rec = _is_recommended(alternatives)
    for i in range(len(alternatives)):
        name = _policy_label(alternatives.iloc[i])
        text = t("{n}. {name}: {cost}, {p}", n=i + 1, name=name,
                 cost=words.money(alt_cost[i], currency), p=words.percent(alt_p[i]))  # fmt: skip
        ax.scatter(
            [alt_p[i] * 100],
            [alt_cost[i]],
            zorder=5,
            edgecolor="black",
            linewidth=0.6,
            s=220 if alt_rec[i] else 60,
            marker="*" if alt_rec[i] else "D",
            color=RED if alt_rec[i] else ORANGE,
            label=text,
        )
        # stack the numbers of points that (nearly) coincide instead of overprinting
        near = (np.abs(alt_p[:i] - alt_p[i]) <= 0.002) & (
            np.abs(alt_cost[:i] - alt_cost[i]) <= 0.02 * max(np.ptp(alt_cost), 1e-9)
        )
        ax.annotate(
            str(i + 1),
            (alt_p[i] * 100, alt_cost[i]),
            xytext=(7, 5 + 10 * near.sum()),
            textcoords="offset points",
            fontsize="small",
            fontweight="bold",
            color=RED if alt_rec[i] else "black",
        )


def _recommended_and_labels(
    ax: Axes,
    table: pd.DataFrame,
    cost: np.ndarray,
    p: np.ndarray,
    order: np.ndarray,
    max_labels: int,
) -> None:
    """Without alternatives: the recommended candidates as stars, and labels on the rows that
    carry one (else on up to ``max_labels`` frontier points)."""
    rec = _is_recommended(table)
    if rec.any():
        ax.scatter(
            p[rec] * 100,
            cost[rec],
            s=220,
            marker="*",
            color=RED,
            zorder=5,
            edgecolor="black",
            linewidth=0.6,
            label=t("Recommended"),
        )
    if "label" in table.columns and table["label"].notna().any():
        to_label = np.flatnonzero(table["label"].notna().to_numpy() | rec)
    else:
        step = max(1, int(np.ceil(len(order) / max_labels)))
        to_label = np.union1d(order[::step], np.flatnonzero(rec))
    for i in to_label:
        ax.annotate(
            _policy_label(table.iloc[i]),
            (p[i] * 100, cost[i]),
            xytext=(6, 6),
            textcoords="offset points",
            fontsize="small",
            color=RED if rec[i] else "black",
            fontweight="bold" if rec[i] else "normal",
        )


def _risk_scale(ax: Axes, p: np.ndarray) -> None:
    """The risk axis in percent: linear up to 1 % and logarithmic above when risks reach past
    10 % (0.1 % and 1 % matter as much as 50 %), else linear from just left of 0 %."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    if np.nanmax(p, initial=0.0) > 0.1:
        ax.set_xscale("symlog", linthresh=1.0, linscale=1.0)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
        ax.set_xlim(left=-0.1, right=110)
    else:
        # room left of 0 % for the markers, but no negative probabilities on the axis
        low, high = ax.get_xlim()
        high = max(high, 1.25 * np.nanmax(p * 100, initial=0.0), 1.0)
        ax.set_xlim(min(-0.05 * high, low), high)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=8, steps=[1, 2, 2.5, 5, 10]))
        ax.xaxis.set_major_formatter(tick_formatter(hide_negative=True))


def _cost_scale_with_alternatives(
    ax: Axes, cost: np.ndarray, order: np.ndarray, alternatives: pd.DataFrame, currency: str
) -> None:
    """The cost axis scaled to the candidates and the near alternatives; the far ones are
    marked at the top edge."""
    alt_cost = alternatives["cost"].to_numpy(dtype=float)
    far = _far_above(cost[order], alt_cost)
    _cost_margin(ax, np.concatenate([cost, alt_cost[~far]]))
    if far.any():
        _off_the_scale(ax, cost[order], alt_cost, alternatives["p_stockout"].to_numpy(), far,
                       currency)  # fmt: skip
