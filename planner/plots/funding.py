"""Charts of the funding plan: the demand used, its scenarios, the balance, forfeiture and
stock-out risk, the expiry schedule and today's runway.

Funding arrays (scenario and balance paths) are floats in currency units, as the simulation
uses them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from planner import analysis
from planner import text as words
from planner.lots import expiry_date
from planner.plots.style import (
    BLUE,
    GREEN,
    GREY,
    ORANGE,
    RED,
    concise_dates,
    count_axis,
    daily_bars,
    date_axis,
    money_axis,
    new_axes,
    new_panels,
    nothing_to_show,
    tick_formatter,
    tidy,
    value_span,
)
from planner.text import N_, t

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def demand_history(
    daily: pd.Series, currency: str, window: int = 30, ax: Axes | None = None
) -> Axes:
    """Daily credit demand used for planning, with its ``window``-day trailing mean.

    Parameters
    ----------
    daily : Series
        Daily demand in currency units, indexed by date.
    """
    _, ax = new_axes(ax, (11, 4))
    idx = pd.DatetimeIndex(daily.index)
    vals = daily.to_numpy(dtype=float)
    mean = pd.Series(vals, index=idx).rolling(window, min_periods=1).mean()
    ax.plot(
        idx, mean.to_numpy(), color=BLUE, linewidth=2.2, label=t("{window}-day mean", window=window)
    )
    daily_bars(ax, idx, vals, alpha=0.45, label=t("Daily demand"))
    money_axis(ax, currency, t("Credit demand per day"))
    ax.set_xlabel(t("Date"))
    ax.set_title(t("Credit demand: daily history"))
    if not len(idx):
        nothing_to_show(ax, t("No demand history"))
        tidy(ax, "")
        return ax
    date_axis(ax, idx.min(), idx.max())
    ax.set_ylim(bottom=0)
    value_span(ax)
    if not np.nansum(vals):
        ax.text(0.5, 0.5, t("No credit demand on any day"), ha="center", transform=ax.transAxes)
    ax.legend(loc="upper left", frameon=False, fontsize="small")
    tidy(ax)
    return ax


def fan_chart(
    paths: Any,
    start: Any,
    currency: str,
    history: pd.Series | None = None,
    cumulative: bool = False,
    ax: Axes | None = None,
) -> Axes:
    """Scenario fan: history, then the 5-95 and 25-75 percentile bands and the median.

    Parameters
    ----------
    paths : array-like, S x T
        Daily demand per scenario from ``start`` (currency units).
    history : Series, optional
        Observed daily demand before ``start`` (currency units, date index).
    cumulative : bool
        Show running totals from ``start`` instead of daily amounts (the history is then
        drawn as its running total up to ``start``, and the scenarios continue from it).
    """
    _, ax = new_axes(ax, (11, 4.5))
    offset = 0.0
    if history is not None and len(history):
        h = history.astype(float)
        if cumulative:
            h = h.cumsum()
            offset = float(h.iloc[-1])
        ax.plot(
            pd.DatetimeIndex(h.index),
            h.to_numpy(),
            color="black",
            linewidth=1.3,
            label=t("History"),
        )
    bands = analysis.percentile_bands(paths, start, cumulative=cumulative) + offset
    idx = bands.index
    ax.fill_between(
        idx, bands["p5"], bands["p95"], color=BLUE, alpha=0.18, label=t("5-95% of scenarios")
    )
    ax.fill_between(
        idx, bands["p25"], bands["p75"], color=BLUE, alpha=0.35, label=t("25-75% of scenarios")
    )
    ax.plot(
        idx,
        bands["p50"],
        color=BLUE,
        linewidth=2,
        marker="o" if len(idx) == 1 else None,
        label=t("Median scenario"),
    )
    ax.axvline(idx[0], color=GREY, linestyle=":", linewidth=1)
    first = (
        pd.DatetimeIndex(history.index).min() if history is not None and len(history) else idx[0]
    )
    date_axis(ax, first, idx[-1])
    value_span(ax)
    what = t("Cumulative credit demand") if cumulative else t("Credit demand per day")
    money_axis(ax, currency, what)
    ax.set_xlabel(t("Date"))
    ax.set_title(
        t(
            "{what}: history and {n} scenarios",
            what=what,
            n=words.number(np.asarray(paths).shape[0]),
        )
    )
    ax.legend(loc="upper left", frameon=False, fontsize="small")
    tidy(ax)
    return ax


def _representative(result: Mapping[str, Any]) -> int:
    """Index of the path whose total purchase is the median (a typical path to show)."""
    purchased = np.asarray(result["purchased"], dtype=float).sum(axis=1)
    order = np.argsort(purchased, kind="stable")
    return int(order[len(order) // 2])


def _balance_bands(
    ax: Axes,
    result: Mapping[str, Any],
    start: Any,
    colour: str,
    label: str,
    threshold: float | None,
    inner: bool,
) -> None:
    bands = analysis.percentile_bands(result["balance"], start)
    idx = bands.index
    ax.fill_between(
        idx,
        bands["p5"],
        bands["p95"],
        color=colour,
        alpha=0.15,
        label=t("{label}: 5-95%", label=label),
    )
    if inner:
        ax.fill_between(
            idx,
            bands["p25"],
            bands["p75"],
            color=colour,
            alpha=0.3,
            label=t("{label}: 25-75%", label=label),
        )
    ax.plot(
        idx,
        bands["p50"],
        color=colour,
        linewidth=2,
        marker="o" if len(idx) == 1 else None,  # a one-day horizon is a point, not a line
        label=t("{label}: median balance", label=label),
    )
    if threshold is not None:
        ax.axhline(
            threshold,
            color=colour,
            linestyle="--",
            linewidth=1.2,
            label=t("{label}: recharge threshold", label=label),
        )
    if "purchased" in result:
        i = _representative(result)
        bal = np.asarray(result["balance"], dtype=float)[i]
        bought = np.asarray(result["purchased"], dtype=float)[i]
        days = np.flatnonzero(bought[1:] > 0) + 1  # day 0 holds the initial funding
        if len(days):
            ax.plot(idx, bal, color=colour, linewidth=0.8, alpha=0.8)
            ax.plot(
                idx[days],
                bal[days],
                linestyle="none",
                marker="^",
                markersize=6,
                color=colour,
                markeredgecolor="white",
                label=t("{label}: recharges on a typical path", label=label),
            )


def balance_trajectories(
    result: Mapping[str, Any],
    start: Any,
    currency: str,
    threshold: float | None = None,
    label: str = N_("Recommended"),
    compare: Mapping[str, Any] | None = None,
    compare_threshold: float | None = None,
    compare_label: str = N_("Current settings"),
    ax: Axes | None = None,
) -> Axes:
    """Balance over time under a policy: median, 25-75 and 5-95 bands, threshold, recharges.

    Parameters
    ----------
    result : mapping
        S x T arrays from :func:`planner.engine.paths`; ``balance`` is required, ``purchased``
        adds the recharges of a typical path (the path with the median total purchase).
    start : date-like
        Day 0.
    threshold : float, optional
        The policy's recharge threshold (drawn dashed).
    compare : mapping, optional
        A second policy's arrays (e.g. the admin's current settings), drawn in orange with its
        median and 5-95 band.
    """
    _, ax = new_axes(ax, (11, 5))
    _balance_bands(ax, result, start, BLUE, t(label), threshold, inner=True)
    if compare is not None:
        _balance_bands(ax, compare, start, ORANGE, t(compare_label), compare_threshold,
                       inner=False)  # fmt: skip
    ax.axhline(0, color="black", linewidth=0.8)
    days = analysis.dates(start, np.asarray(result["balance"]).shape[1])
    date_axis(ax, days[0], days[-1])
    money_axis(ax, currency, t("Balance at end of day"))
    ax.set_xlabel(t("Date"))
    ax.set_title(t("Credit balance under the funding policy"))
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize="small")
    lowest = float(np.nanmin(np.asarray(result["balance"], dtype=float), initial=0.0))
    ax.set_ylim(bottom=0.0 if lowest >= 0 else min(0.0, ax.get_ylim()[0]))
    value_span(ax)
    tidy(ax)
    return ax


def _day_bins(values: np.ndarray, max_bins: int = 30) -> np.ndarray:
    """Histogram edges on whole days (half a day either side), at most ``max_bins`` bins."""
    lo, hi = float(np.floor(values.min())), float(np.floor(values.max()))
    width = max(1.0, float(np.ceil((hi - lo + 1) / max_bins)))
    return np.arange(lo, hi + width + 1, width) - 0.5


def risk(
    result: Mapping[str, Any],
    currency: str,
    start: Any | None = None,
    ax: Sequence[Axes] | None = None,
) -> np.ndarray:
    """Forfeiture and stock-out risk across paths: expired amount and first stock-out day.

    Parameters
    ----------
    result : mapping
        S x T arrays with ``expired`` and ``unserved`` (:func:`planner.engine.paths`).
    start : date-like, optional
        Day 0; when given, the stock-out axis shows dates instead of day numbers.
    ax : pair of Axes, optional
        The two panels to draw on (a new figure when None).

    Returns
    -------
    np.ndarray of Axes
        Two panels: a histogram of the amount expired per path (a note instead when no path
        forfeits anything) and a histogram of the first stock-out day, one bar per day or
        group of days (a note instead when no path runs out).
    """
    _, panels = new_panels(ax, 2, (11, 4), nrows=1, ncols=2)
    ax_e, ax_s = panels
    out = analysis.path_outcomes(result)
    _forfeiture_panel(ax_e, out["expired"].to_numpy(), currency)
    _stockout_panel(ax_s, out["first_stockout_day"].to_numpy(), start)
    for a in (ax_e, ax_s):
        tidy(a)
    return panels


def _forfeiture_panel(ax: Axes, expired: np.ndarray, currency: str) -> None:
    """Histogram of the amount each path forfeits, with its mean (a note when none does)."""
    S = len(expired)
    lose = expired > 1e-9
    share = lose.mean() if S else 0.0
    ax.set_title(
        t("Forfeited (expired) funds: {share} of paths lose some", share=words.percent(share))
    )
    money_axis(ax, currency, t("Expired over the horizon"), axis="x")
    ax.set_ylabel(t("Scenario paths"))
    if not lose.any():
        nothing_to_show(ax, t("Nothing forfeited in any scenario") if S else t("No scenario paths"))
        return
    if np.ptp(expired) > 1e-9:
        ax.hist(expired, bins=30, color=RED, alpha=0.8)
    else:  # every path forfeits the same: one bar on an axis from 0, not 30 slivers
        value = float(expired[0])
        ax.bar([value], [S], width=0.04 * value, color=RED, alpha=0.8)
        ax.set_xlim(0, 1.6 * value)
    mean = expired.mean()
    ax.axvline(
        mean,
        color="black",
        linestyle="--",
        linewidth=1.2,
        label=t("Mean {amount}", amount=words.money(mean, currency)),
    )
    ax.legend(frameon=False, fontsize="small")
    count_axis(ax, integer=True)
    ax.set_ylim(bottom=0)


def _stockout_panel(ax: Axes, first: np.ndarray, start: Any | None) -> None:
    """Histogram of each path's first stock-out day (dates when ``start`` is given; a note
    when no path runs out)."""
    S = len(first)
    hit = np.isfinite(first)
    p = hit.mean() if S else 0.0
    if hit.any():
        vals = first[hit]
        edges = _day_bins(vals)
        if start is not None:
            import matplotlib.dates as mdates

            # bars on whole days, and an axis at least two weeks wide, so a lone
            # stock-out is not drawn against hours
            t0 = mdates.date2num(analysis.dates(start, 1)[0].to_pydatetime())
            ax.hist(vals + t0, bins=(edges + t0).tolist(), color=ORANGE, alpha=0.85)
            ax.xaxis_date()
            lo, hi = edges[0] + t0, edges[-1] + t0
            pad = max(0.0, (14 - (hi - lo)) / 2)
            ax.set_xlim(lo - pad, hi + pad)
            concise_dates(ax)
            ax.set_xlabel(t("Date of first stock-out"))
        else:
            from matplotlib.ticker import MaxNLocator

            ax.hist(vals, bins=edges.tolist(), color=ORANGE, alpha=0.85)
            pad = max(0.0, (14 - (edges[-1] - edges[0])) / 2)
            ax.set_xlim(edges[0] - pad, edges[-1] + pad)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.xaxis.set_major_formatter(tick_formatter())
            ax.set_xlabel(t("Day of first stock-out"))
        count_axis(ax, integer=True)
    else:
        ax.set_xlabel(t("Day of first stock-out"))
        nothing_to_show(ax, t("No stock-out in any scenario") if S else t("No scenario paths"))
    ax.set_ylabel(t("Scenario paths"))
    ax.set_title(
        t(
            "First stock-out: {share} of {n} paths run out",
            share=words.percent(p),
            n=words.number(S),
        )
    )


def expiry_schedule(lots: pd.DataFrame, currency: str, ax: Axes | None = None) -> Axes:
    """Funds held today by expiry date, with the expected forfeiture of each.

    Parameters
    ----------
    lots : DataFrame
        Either an expiry table: ``date`` (expiry), ``amount`` and optionally
        ``expected_forfeit`` (:func:`planner.analysis.lot_forfeiture`, or the ``expiring``
        table of a recommendation's position); or lots as
        :func:`planner.inputs.read_lots` returns them (``purchase_date``, ``amount``: expiry is
        purchase + 12 months, no forfeiture bars).
    """
    _, ax = new_axes(ax, (10, 4.2))
    if "date" in lots.columns:
        expires = pd.to_datetime(lots["date"])
    else:
        expires = expiry_date(pd.to_datetime(lots["purchase_date"]))
    amount = lots["amount"].to_numpy(dtype=float)
    x = np.arange(len(lots))
    ax.bar(x, amount, width=0.6, color=BLUE, label=t("Held today"))
    if "expected_forfeit" in lots.columns:
        lost = lots["expected_forfeit"].to_numpy(dtype=float)
        ax.bar(x, np.nan_to_num(lost), color=RED, width=0.35, label=t("Expected to expire unused"))
        for xi, (a, e) in enumerate(zip(amount, lost, strict=True)):
            text = (
                t("after horizon")
                if np.isnan(e)
                else t("{share} lost", share=words.percent(e / a))
                if a > 0
                else ""
            )
            ax.annotate(
                text,
                (xi, a),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                fontsize="small",
                color=RED,
            )
    ax.set_xticks(x, [words.date(d) for d in expires], rotation=30 if len(x) > 5 else 0)
    ax.set_xlabel(t("Expiry date"))
    money_axis(ax, currency, t("Amount"))
    ax.set_title(t("Funds held today by expiry date (label: share expected to be forfeited)"))
    if not len(amount):
        nothing_to_show(ax, t("No funds held today"))
        tidy(ax, "")
        return ax
    top = float(np.nanmax(amount, initial=0.0))
    ax.set_ylim(0, (top if top > 0 else 1.0) * 1.15)
    if top <= 0:
        ax.text(0.5, 0.6, "Nothing left in these lots", ha="center", transform=ax.transAxes)
    pad = max(0, 3 - len(x)) / 2  # a lone lot is not drawn as a wall
    ax.set_xlim(-0.6 - pad, len(x) - 0.4 + pad)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize="small")
    tidy(ax)
    return ax


def runway(
    days: Any, alert_days: float | None = None, horizon: int | None = None, ax: Axes | None = None
) -> Axes:
    """Distribution of runway: days the current balance lasts without a recharge.

    Parameters
    ----------
    days : array-like
        Runway per scenario path (:func:`planner.analysis.runway_days`; ``inf`` = beyond the
        horizon; the engine's ``runway_days``, where the horizon length means the same, works
        with ``horizon`` given).
    alert_days : float, optional
        Draws the alert level.
    horizon : int, optional
        Horizon length: runways at or past it count as lasting beyond the horizon.
    """
    _, ax = new_axes(ax, (9, 4))
    arr = np.asarray(days, dtype=float)
    if horizon is not None:
        arr = np.where(arr >= horizon, np.inf, arr)
    finite = arr[np.isfinite(arr)]
    if len(finite):
        ax.hist(
            finite,
            bins=_day_bins(finite, 40).tolist(),
            color=GREEN,
            alpha=0.85,
            label=t("Scenario paths"),
        )
    _runway_markers(ax, arr, alert_days)
    never = int((~np.isfinite(arr)).sum())
    title = t("Runway of the current balance")
    if never:
        beyond = (
            t("beyond {days}", days=words.days(horizon)) if horizon else t("beyond the horizon")
        )
        title += " " + t("({share} of paths last {beyond})", share=words.percent(never / len(arr)),
                         beyond=beyond)  # fmt: skip
    ax.set_title(title)
    ax.set_xlabel(t("Runway (days until the balance runs out, no recharge)"))
    ax.set_ylabel(t("Scenario paths"))
    count_axis(ax, integer=True)
    count_axis(ax, "x", integer=True)
    ax.xaxis.set_major_formatter(tick_formatter(hide_negative=True))
    if len(finite):
        # a lone runway value gets a readable span of days around it, starting at day 0
        low, high = ax.get_xlim()
        ax.set_xlim(min(low, -0.5), max(high, float(finite.max()) + 7, (alert_days or 0) + 7))
        ax.set_ylim(bottom=0)
    else:
        _no_runway_ends(ax, never, horizon, alert_days)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", frameon=False, fontsize="small")
    tidy(ax)
    return ax


def _runway_markers(ax: Axes, arr: np.ndarray, alert_days: float | None) -> None:
    """The median and 5th-percentile runway, and the alert level, as vertical lines."""
    if len(arr):
        # "lower" picks an observed runway, so infinite runways never enter an interpolation
        median = float(np.percentile(arr, 50, method="lower"))
        p5 = float(np.percentile(arr, 5, method="lower"))
        if np.isfinite(median):
            ax.axvline(
                median,
                color="black",
                linestyle="--",
                linewidth=1.2,
                label=t("Median {days}", days=words.days(median)),
            )
        if np.isfinite(p5):
            ax.axvline(
                p5,
                color=ORANGE,
                linestyle=":",
                linewidth=1.5,
                label=t("5th percentile {days}", days=words.days(p5)),
            )
    if alert_days is not None:
        ax.axvline(
            alert_days,
            color=RED,
            linewidth=1.5,
            label=t("Alert at {days}", days=words.days(alert_days)),
        )


def _no_runway_ends(ax: Axes, never: int, horizon: int | None, alert_days: float | None) -> None:
    """The panel when no path runs out within the horizon (or there is no path)."""
    if never and horizon:
        ax.set_xlim(0, max(horizon, (alert_days or 0) + 7))
        ax.set_yticks([])
        ax.text(
            0.5,
            0.5,
            t("Every path lasts beyond the {n}-day horizon", n=words.number(horizon)),
            ha="center",
            va="center",
            transform=ax.transAxes,
            color="#555555",
        )
    else:
        nothing_to_show(
            ax,
            t("Every path lasts beyond the horizon") if never else t("No scenario paths"),
        )
