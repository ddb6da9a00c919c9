"""Charts of the usage analysis: minutes and credit spend by month, day, user, destination,
call type, hour and minute pool.

Usage tables carry money as integer cents (``*_cents`` columns); the axes show currency units.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from planner import analysis
from planner import text as words
from planner.analysis.records import UNKNOWN, WEEKDAYS
from planner.plots.style import (
    BLUE,
    CATEGORY_LABELS,
    EXTRA_COLOURS,
    GREEN,
    GREY,
    ORANGE,
    PURPLE,
    RED,
    category_colour,
    count_axis,
    daily_bars,
    date_axis,
    money_axis,
    money_formatter,
    month_labels,
    new_axes,
    new_panels,
    nothing_to_show,
    signed_percent,
    thousands,
    tidy,
    value_span,
)
from planner.text import N_, t

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def monthly_usage(
    summary: pd.DataFrame, currency: str, ax: Sequence[Axes] | None = None
) -> np.ndarray:
    """Monthly minutes and credit spend by category, with month-over-month change.

    Parameters
    ----------
    summary : DataFrame
        :func:`planner.analysis.monthly_summary` (index ``month``; ``minutes``,
        ``credit_minutes``, ``credit_cents``, ``credit_change_pct`` and ``<category>_cents``).
    currency : str
        ISO code for the money axis.
    ax : pair of Axes, optional
        The two panels to draw on (a new figure when None).

    Returns
    -------
    np.ndarray of Axes
        Two panels sharing the months: minutes (stacked: paid from credits / the rest) and
        credit spend stacked by category, each bar labelled with its change on the month
        before.
    """
    _, panels = new_panels(ax, 2, (10, 7), nrows=2, ncols=1, sharex=True, height_ratios=[1, 1.4])
    ax_min, ax_cr = panels
    x = np.arange(len(summary))
    labels = month_labels(summary.index)
    credit_min = summary["credit_minutes"].to_numpy(dtype=float)
    other_min = summary["minutes"].to_numpy(dtype=float) - credit_min
    ax_min.bar(x, other_min, color=GREY, label=t("Not paid from credits (plans, inbound, DR)"))
    ax_min.bar(x, credit_min, bottom=other_min, color=BLUE, label=t("Paid from credits"))
    ax_min.set_ylabel(t("Minutes"))
    ax_min.set_title(t("Call minutes per month (UTC)"))
    count_axis(ax_min)
    peak_min = float(summary["minutes"].max()) if len(summary) else 0.0
    ax_min.set_ylim(0, max(peak_min, 1.0) * 1.3)  # room for the legend above the bars
    ax_min.legend(loc="upper left", frameon=False, fontsize="small", ncols=2)
    tidy(ax_min)

    cats = [c for c in analysis.credit_categories() if f"{c}_cents" in summary.columns]
    bottom = np.zeros(len(summary))
    for i, cat in enumerate(cats):
        values = summary[f"{cat}_cents"].to_numpy(dtype=float)
        if not values.any():
            continue
        ax_cr.bar(
            x,
            values,
            bottom=bottom,
            color=category_colour(cat, i),
            label=t(CATEGORY_LABELS.get(cat, cat)),
        )
        bottom += values
    total = summary["credit_cents"].to_numpy(dtype=float)
    change = summary["credit_change_pct"].to_numpy(dtype=float)
    top = total.max() if len(total) and total.max() > 0 else 100.0  # cents
    for xi, month_total, c in zip(x, total, change, strict=True):
        if np.isfinite(c):
            ax_cr.annotate(
                signed_percent(c),
                (xi, month_total),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize="small",
                color=RED if c > 0 else GREEN,
            )
    ax_cr.set_ylim(0, top * 1.3)
    money_axis(ax_cr, currency, t("Credit spend"), cents=True)
    ax_cr.set_title(
        t("Communications Credits spend per month, by category (label: change on previous month)")
    )
    ax_cr.set_xticks(x, labels, rotation=0 if len(x) <= 12 else 45)
    if ax_cr.get_legend_handles_labels()[0]:
        ax_cr.legend(loc="upper left", frameon=False, fontsize="small", ncols=3)
    if not len(summary):
        nothing_to_show(ax_min, t("No calls to show"))
        nothing_to_show(ax_cr, t("No credit spend to show"))
    elif not np.nansum(total):
        ax_cr.text(0.5, 0.5, t("No credit spend to show"), ha="center", transform=ax_cr.transAxes)
    tidy(ax_cr)
    return panels


def daily_spend(
    daily: pd.DataFrame, currency: str, last_n_days: int = 5, ax: Axes | None = None
) -> Axes:
    """Daily credit spend with its 7-day mean; the last ``last_n_days`` of each month shaded.

    Parameters
    ----------
    daily : DataFrame
        :func:`planner.analysis.daily_credit_spend` (index ``date``, ``credit_cents``).
    """
    _, ax = new_axes(ax, (11, 4.2))
    values = daily["credit_cents"].to_numpy(dtype=float)
    idx = daily.index
    mean7 = pd.Series(values, index=idx).rolling(7, min_periods=1).mean()
    ax.plot(idx, mean7.to_numpy(), color=BLUE, linewidth=2, label=t("7-day mean"))
    daily_bars(ax, idx, values, alpha=0.55, label=t("Daily spend"))
    if len(idx):
        shaded = False
        for month in pd.period_range(idx.min(), idx.max(), freq="M"):
            end = month.end_time.normalize() + pd.Timedelta(days=1)
            # days on a date axis (matplotlib converts them; its stubs expect floats)
            band: tuple[Any, Any] = (end - pd.Timedelta(days=last_n_days), end)
            ax.axvspan(
                *band,
                color=ORANGE,
                alpha=0.12,
                linewidth=0,
                label=None if shaded else t("Last {days} of month", days=words.days(last_n_days)),
            )
            shaded = True
        ax.set_xlim(idx.min() - pd.Timedelta(days=1), idx.max() + pd.Timedelta(days=1))
        date_axis(ax, idx.min(), idx.max())
    money_axis(ax, currency, t("Credit spend per day"), cents=True)
    ax.set_xlabel(t("Date (UTC)"))
    ax.set_title(t("Daily Communications Credits spend"))
    if not len(idx):
        nothing_to_show(ax, t("No days with calls to show"))
        tidy(ax, "")
        return ax
    ax.set_ylim(bottom=0)
    value_span(ax, 100.0)  # cents
    if not np.nansum(values):
        ax.text(0.5, 0.5, t("No credit spend on any day"), ha="center", transform=ax.transAxes)
    ax.legend(loc="upper left", frameon=False, fontsize="small")
    tidy(ax)
    return ax


def day_of_month(
    table: pd.DataFrame, currency: str, last_n_days: int = 5, ax: Axes | None = None
) -> Axes:
    """Average credit spend on each day of the month; the last ``last_n_days`` highlighted.

    Days are numbered 1..31, so with 5 the highlighted days are 27-31 whatever the month's
    length (:func:`planner.analysis.month_end_pattern` measures each month's true last days).

    Parameters
    ----------
    table : DataFrame
        :func:`planner.analysis.spend_by_day_of_month` (index ``day``, ``mean_cents``).
    """
    _, ax = new_axes(ax, (10, 4))
    days = table.index.to_numpy()
    mean = table["mean_cents"].fillna(0).to_numpy(dtype=float)
    colours = [ORANGE if d > 31 - last_n_days else BLUE for d in days]
    ax.bar(days, mean, color=colours)
    overall = np.nansum(table["credit_cents"]) / max(int(table["days"].sum()), 1)
    ax.axhline(overall, color=GREY, linestyle="--", linewidth=1.2, label=t("Average day"))
    from matplotlib.patches import Patch

    handles = [
        Patch(color=BLUE, label=t("Days 1-{last}", last=31 - last_n_days)),
        Patch(color=ORANGE, label=t("Days {first}-31 (month end)", first=32 - last_n_days)),
        *ax.get_legend_handles_labels()[0],
    ]
    ax.legend(handles=handles, loc="upper left", frameon=False, fontsize="small")
    ax.set_xticks(np.arange(1, 32, 2))
    ax.set_xlim(0.3, 31.7)
    ax.set_xlabel(t("Day of month"))
    money_axis(ax, currency, t("Average spend on that day"), cents=True)
    ax.set_title(t("Credit spend by day of month"))
    ax.set_ylim(bottom=0)
    value_span(ax, 100.0)  # cents
    if not np.nansum(mean):
        ax.text(0.5, 0.5, t("No credit spend to show"), ha="center", transform=ax.transAxes)
    tidy(ax)
    return ax


def top_bars(
    table: pd.DataFrame,
    label: str,
    value: str = "credit_cents",
    n: int = 10,
    currency: str = "",
    title: str | None = None,
    colour: str = BLUE,
    ax: Axes | None = None,
) -> Axes:
    """Horizontal bars of the ``n`` largest rows of ``table`` by ``value``, largest on top.

    ``value`` ending in ``_cents`` is money (axis in ``currency`` units); ``minutes`` and
    ``calls`` are counts.
    """
    _, ax = new_axes(ax, (9, max(2.5, 0.38 * min(n, len(table)) + 1.3)))
    top = table.nlargest(n, value) if len(table) else table
    # "(unknown)" marks a missing department or destination: in words of the language
    names = [_shorten(t(UNKNOWN) if v == UNKNOWN else str(v)) for v in top[label]][::-1]
    values = top[value].to_numpy(dtype=float)[::-1]
    ax.barh(np.arange(len(values)), values, color=colour)
    ax.set_yticks(np.arange(len(values)), names)
    is_money = value.endswith("_cents")
    for yi, v in enumerate(values):
        text = words.cents(int(v)) if is_money else thousands(v)
        ax.annotate(
            text, (v, yi), xytext=(3, 0), textcoords="offset points", va="center", fontsize="small"
        )
    if is_money:
        money_axis(ax, currency, t("Credit spend"), axis="x", cents=True)
    else:
        count_axis(ax, "x", integer=value in ("calls", "rows", "users"))
        ax.set_xlabel(t(value.replace("_", " ").capitalize()))
    if len(values):
        ax.set_xlim(0, max(values.max(), 1) * 1.15)
    what = t("credit spend") if value.endswith("_cents") else value.replace("_", " ")
    ax.set_title(title or t("{top} by {what}", top=_top(n, table), what=what))
    if not len(values):
        nothing_to_show(ax, t("Nothing to show"))
        tidy(ax, "")
        return ax
    tidy(ax, "x")
    return ax


def _top(n: int, table: pd.DataFrame) -> str:
    return t("Top {n}", n=n) if len(table) > n else t("All")


def _shorten(text: str, width: int = 32) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def top_users(users: pd.DataFrame, currency: str, n: int = 10, ax: Axes | None = None) -> Axes:
    """Users with the largest credit spend (:func:`planner.analysis.by_user`)."""
    label = "upn"
    if "user_display_name" in users.columns:
        users = users.assign(who=users["user_display_name"].fillna(users["upn"]).astype("string"))
        label = "who"
    return top_bars(
        users,
        label,
        "credit_cents",
        n,
        currency,
        t("{top} users by credit spend", top=_top(n, users)),
        BLUE,
        ax,
    )


def top_departments(
    departments: pd.DataFrame, currency: str, n: int = 10, ax: Axes | None = None
) -> Axes:
    """Departments with the largest credit spend (:func:`planner.analysis.by_department`)."""
    return top_bars(
        departments,
        "department",
        "credit_cents",
        n,
        currency,
        t("{top} departments by credit spend", top=_top(n, departments)),
        PURPLE,
        ax,
    )


def top_destinations(
    destinations: pd.DataFrame,
    currency: str,
    n: int = 10,
    value: str = "credit_cents",
    ax: Axes | None = None,
) -> Axes:
    """Destinations with the largest credit spend or minutes (:func:`planner.analysis.by_destination`)."""
    what = t("credit spend") if value == "credit_cents" else value
    return top_bars(
        destinations,
        "destination",
        value,
        n,
        currency,
        t("Top {n} destinations by {what}", n=n, what=what),
        GREEN,
        ax,
    )


def call_types(table: pd.DataFrame, currency: str, ax: Sequence[Axes] | None = None) -> np.ndarray:
    """Minutes and credit spend per call type (:func:`planner.analysis.by_call_type`), on
    two panels side by side (``ax``: the two to draw on); returns them."""
    _, panels = new_panels(
        ax, 2, (11, max(3, 0.35 * len(table) + 1.4)), nrows=1, ncols=2, sharey=True
    )
    ax_m, ax_c = panels
    order = table.sort_values(["minutes", "credit_cents"], ascending=True)
    y = np.arange(len(order))
    ax_m.barh(y, order["minutes"].to_numpy(dtype=float), color=GREY)
    ax_m.set_yticks(y, [words.call_type(v) for v in order["call_type"]])
    ax_m.set_xlabel(t("Minutes"))
    count_axis(ax_m, "x")
    from matplotlib.ticker import MaxNLocator

    # half-width panel: few ticks so six-digit minute labels never overlap
    ax_m.xaxis.set_major_locator(MaxNLocator(nbins=4))
    ax_m.set_title(t("Minutes by call type"))
    ax_c.barh(y, order["credit_cents"].to_numpy(dtype=float), color=BLUE)
    money_axis(ax_c, currency, t("Credit spend"), axis="x", cents=True)
    ax_c.set_title(t("Credit spend by call type"))
    for a in (ax_m, ax_c):
        if len(order):
            a.set_xlim(left=0)
            tidy(a, "x")
        else:
            nothing_to_show(a, t("No calls to show"))
            tidy(a, "")
    return panels


#: the toll-free numbers beyond the largest, drawn as one
OTHER = N_("Other numbers")


def _weekday(name: Any) -> str:
    """``Mon`` .. ``Sun`` (:data:`planner.analysis.records.WEEKDAYS`) in the language."""
    import datetime as dt

    if name in WEEKDAYS:  # 1 January 2024 was a Monday
        return words.weekday_name(dt.date(2024, 1, 1) + dt.timedelta(days=WEEKDAYS.index(name)))
    return str(name)


def hour_weekday_heatmap(
    table: pd.DataFrame, what: str = N_("Calls"), tz: str | None = None, ax: Axes | None = None
) -> Axes:
    """Heat map of :func:`planner.analysis.hour_weekday` (weekday rows, hour columns).

    Parameters
    ----------
    what : str
        What the cells count, for the colour bar (e.g. ``"Calls"``, ``"Minutes"``).
    tz : str, optional
        Time zone the table was built in, for the axis label (UTC when None).
    """
    fig, ax = new_axes(ax, (11, 3.8))
    data = table.to_numpy(dtype=float)
    im = ax.imshow(data, aspect="auto", cmap="Blues", interpolation="nearest")
    empty = not np.nansum(np.abs(data))
    if empty:  # an all-zero table: a colour scale from 0, not -0.1..0.1
        im.set_clim(0, 1)
    ax.set_yticks(np.arange(len(table.index)), [_weekday(v) for v in table.index])
    ax.set_xticks(np.arange(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)])
    ax.set_xlabel(t("Hour of day ({tz})", tz=tz or "UTC"))
    ax.set_ylabel(t("Weekday"))
    bar = fig.colorbar(im, ax=ax, pad=0.01)
    bar.set_label(t(what))
    bar.ax.yaxis.set_major_formatter(money_formatter())
    if empty:
        from matplotlib.ticker import MaxNLocator

        bar.ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        note = t("No calls to show") if what == "Calls" else t("Nothing to show")
        ax.text(0.5, 0.5, note, ha="center", transform=ax.transAxes)
    ax.set_title(t("{what} by weekday and hour", what=t(what)))
    return ax


def toll_free(
    usage: pd.DataFrame,
    currency: str,
    value: str = "minutes",
    n_numbers: int = 5,
    ax: Axes | None = None,
) -> Axes:
    """Toll-free use per month, stacked by number (the ``n_numbers`` busiest, then the rest).

    Parameters
    ----------
    usage : DataFrame
        :func:`planner.analysis.toll_free_usage` with ``by="month_number"`` (``month``,
        ``number``, ``minutes``, ``credit_cents``).
    value : {"minutes", "credit_cents", "calls"}
    """
    _, ax = new_axes(ax, (10, 4.5))
    months = (
        pd.period_range(usage["month"].min(), usage["month"].max(), freq="M")
        if len(usage)
        else pd.PeriodIndex([], freq="M")
    )
    totals = usage.groupby("number")[value].sum().sort_values(ascending=False)
    keep = list(totals.index[:n_numbers])
    number = usage["number"].where(usage["number"].isin(keep), OTHER)
    wide = (
        usage.assign(number=number)
        .pivot_table(index="month", columns="number", values=value, aggfunc="sum", fill_value=0)
        .reindex(index=months, fill_value=0)
    )
    order = [k for k in keep if k in wide.columns] + [c for c in wide.columns if c not in keep]
    x = np.arange(len(months))
    bottom = np.zeros(len(months))
    palette = [BLUE, ORANGE, GREEN, RED, PURPLE, *EXTRA_COLOURS]
    for i, col in enumerate(order):
        vals = wide[col].to_numpy(dtype=float)
        colour = GREY if col == OTHER else palette[i % len(palette)]
        ax.bar(
            x, vals, bottom=bottom, color=colour, label=t(str(col)) if col == OTHER else str(col)
        )
        bottom += vals
    ax.set_xticks(x, month_labels(months), rotation=0 if len(x) <= 12 else 45)
    if value.endswith("_cents"):
        money_axis(ax, currency, t("Credit spend"), cents=True)
    else:
        count_axis(ax)
        ax.set_ylabel(t(value.replace("_", " ").capitalize()))
    if order:
        ax.legend(
            title=t("Number"),
            loc="upper left",
            frameon=False,
            fontsize="small",
            bbox_to_anchor=(1.0, 1.0),
        )
    what = t("credit spend") if value.endswith("_cents") else value
    ax.set_title(t("Toll-free {what} per month (UTC), by number", what=what))
    if not len(usage):
        nothing_to_show(ax, t("No toll-free calls to show"))
        tidy(ax, "")
        return ax
    ax.set_ylim(bottom=0)
    value_span(ax, 100.0 if value.endswith("_cents") else 1.0)
    tidy(ax)
    return ax


def pool_usage(
    table: pd.DataFrame, max_pools: int = 6, ax: Sequence[Axes] | None = None
) -> np.ndarray:
    """Minutes used from each minute pool per month against the pool size.

    Parameters
    ----------
    table : DataFrame
        :func:`planner.analysis.pool_usage`: ``month`` (Period[M]), ``pool`` (string),
        ``pool_minutes`` (size), ``used_minutes`` (minutes the pool covered),
        ``overage_minutes`` (minutes beyond the pool, paid from credits).
    max_pools : int
        Panels to draw (the first pools of the table, in its order).
    ax : sequence of Axes, optional
        The panels to draw on, one per pool (as many pools as panels given); a new figure
        when None.

    Returns
    -------
    np.ndarray of Axes
        One panel per pool: bars of used minutes with the overage stacked in red, and the
        pool size as a line. The title gives the busiest month's share of the pool; a pool
        used so little that its size would flatten the bars is noted instead of drawn to scale.
    """
    given = None if ax is None else np.asarray(ax, dtype=object).ravel()
    pools = list(dict.fromkeys(table["pool"]))[: max_pools if given is None else len(given)]
    n = max(len(pools), 1)
    cols = 1 if n == 1 else 2
    rows = (n + cols - 1) // cols
    count = rows * cols if given is None else len(given)
    fig, axes = new_panels(given, count, (6 * cols, 3.4 * rows + 0.6), nrows=rows, ncols=cols)
    for panel in axes[len(pools) :]:
        panel.set_visible(False)
    if not pools:
        fig.text(0.5, 0.5, t("No calls and no minute pools to show"), ha="center", va="center")
    for panel, pool in zip(axes, pools, strict=False):
        _pool_panel(panel, table[table["pool"] == pool].sort_values("month"), pool)
    if pools:
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=3, frameon=False)
    fig.suptitle(t("Minute pools: use per month (UTC) against pool size"))
    return axes


#: the kinds a pool's name starts with (:func:`planner.analysis.pool_usage`), in words
_POOL_KINDS = {
    "Domestic": N_("Domestic"),
    "International": N_("International"),
    "Conference dial-out": N_("Conference dial-out"),
}


def _pool_name(pool: str) -> str:
    """A pool's name (``Domestic FR MCOPSTN5``) with its kind in the language."""
    for kind, words_ in _POOL_KINDS.items():
        if pool.startswith(kind):
            return t(words_) + pool[len(kind) :]
    return pool


def _pool_panel(ax: Axes, part: pd.DataFrame, pool: str) -> None:
    """One pool's months: used minutes, the overage stacked in red, the pool size as a line,
    and a title with the busiest month's share (or how far beyond the pool it went)."""
    x = np.arange(len(part))
    used = part["used_minutes"].to_numpy(dtype=float)
    over = part["overage_minutes"].to_numpy(dtype=float)
    size = part["pool_minutes"].to_numpy(dtype=float)
    ax.bar(x, used, color=BLUE, label=t("Used from pool"))
    ax.bar(x, over, bottom=used, color=RED, label=t("Beyond pool (paid from credits)"))
    ax.step(
        np.append(x, x[-1] + 1) - 0.5,
        np.append(size, size[-1]),
        where="post",
        color="black",
        linewidth=1.6,
        label=t("Pool size"),
    )
    peak = float((used + over).max()) if len(x) else 0.0
    biggest = float(size.max()) if len(x) else 0.0
    if biggest > 0 and 0 < peak < 0.25 * biggest:
        ax.set_ylim(0, peak * 1.3)
        ax.text(
            0.99,
            0.97,
            t("Pool size {minutes} min (off the scale)", minutes=words.number(biggest)),
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize="small",
        )
    else:
        ax.set_ylim(0, max(peak, biggest, 1.0) * 1.1)
    ax.set_xticks(
        x, month_labels(part["month"]), rotation=45 if len(x) > 6 else 0, fontsize="small"
    )
    ax.set_ylabel(t("Minutes"))
    count_axis(ax)
    share = part["used_share"].max() if "used_share" in part else np.nan
    if pd.isna(share):
        extra = t("no pool licensed")
    elif over.max(initial=0.0) > 0:  # a pool that overflows is used up, not "used 100%"
        extra = t(
            "used up; up to {minutes} min a month beyond it",
            minutes=words.number(over.max()),
        )
    else:
        used_share = "<1%" if 0 < share < 0.005 else words.percent(share)
        extra = t("busiest month used {share}", share=used_share)
    ax.set_title(t("{pool}: {extra}", pool=_pool_name(pool), extra=extra), fontsize="medium")
    tidy(ax)


def rejects(table: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Rejected rows by reason (:func:`planner.analysis.rejects_by_reason`)."""
    _, ax = new_axes(ax, (9, max(2.2, 0.4 * len(table) + 1.3)))
    if len(table) == 0:
        ax.text(0.5, 0.5, t("No rejected rows"), ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        ax.set_title(t("Rejected rows by reason"))
        return ax
    return top_bars(
        table, "reason", "rows", len(table), title="Rejected rows by reason", colour=RED, ax=ax
    )
