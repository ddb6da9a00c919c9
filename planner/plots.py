"""Charts for the usage and funding notebooks.

Every function takes the tables of :mod:`planner.analysis` (or plain arrays) and returns a
matplotlib :class:`~matplotlib.figure.Figure`; functions that draw one panel also accept an
``ax`` to draw on. Nothing here calls ``show()``: the notebook displays what it is given, a
script saves it with :func:`save_figure`. matplotlib is imported only when a chart is drawn.

Units: usage tables carry money as integer cents (``*_cents`` columns) and the axes show
currency units; funding arrays (scenario and balance paths) are floats in currency units, as
the simulation uses them. Every money axis names its currency.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from planner import analysis
from planner import text as words
from planner.text import N_, t

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: one colour per credit-spend category, stable across charts
CATEGORY_COLOURS: dict[str, str] = {
    "toll_free": "#4C72B0",
    "conference_dial_out": "#DD8452",
    "international": "#55A868",
    "domestic_overage": "#C44E52",
    "payg": "#8172B3",
    "other": "#937860",
}
#: the rest of the palette
BLUE, ORANGE, GREEN, RED, PURPLE, GREY = (
    "#4C72B0",
    "#DD8452",
    "#55A868",
    "#C44E52",
    "#8172B3",
    "#8C8C8C",
)
_EXTRA = ("#DA8BC3", "#CCB974", "#64B5CD", "#8C8C8C")

CATEGORY_LABELS: dict[str, str] = {
    "toll_free": N_("Toll-free"),
    "conference_dial_out": N_("Conference dial-out"),
    "international": N_("International"),
    "domestic_overage": N_("Domestic overage"),
    "payg": N_("Pay-as-you-go"),
    "other": N_("Other"),
}


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def _plt():
    import matplotlib.pyplot as plt

    return plt


def _new(ax: Axes | None = None, figsize: tuple[float, float] = (9, 4.5)) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    fig, ax = _plt().subplots(figsize=figsize, layout="constrained")
    return fig, ax


def _style(ax: Axes, grid: str = "y") -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if grid:
        ax.grid(axis=grid, color="#DDDDDD", linewidth=0.8)
        ax.set_axisbelow(True)


def _thousands(x: float, _pos: Any = None) -> str:
    if abs(x) >= 100 or float(x).is_integer():
        return words.number(x)
    return words.number(x, _decimals(np.array([x]), cap=2))


def _decimals(values: np.ndarray, cap: int = 6) -> int:
    """Fewest decimals (0..cap) that write every value exactly (ticks 2,389.2 / 2,389.4: 1)."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if not len(values):
        return 0
    scale = max(float(np.abs(values).max()), 1.0)
    for d in range(cap + 1):
        if np.all(np.abs(values - np.round(values, d)) <= 1e-9 * scale):
            return d
    return cap


def _tick_formatter(scale: float = 1.0, hide_negative: bool = False):
    """Tick labels with thousands separators and as many decimals as the ticks need.

    The decimals follow the tick positions, so a narrow range (2,389.2 .. 2,390.0) gets
    distinct labels instead of "2,389" five times, and whole-number ticks show no decimals.
    ``hide_negative`` leaves ticks below 0 blank (an axis of shares padded left of 0).
    """
    from matplotlib.ticker import Formatter

    class _Ticks(Formatter):
        digits = 0

        def set_locs(self, locs):
            super().set_locs(locs)
            self.digits = _decimals(np.asarray(locs, dtype=float) / scale)

        def __call__(self, x, pos=None):
            v = x / scale
            if hide_negative and v < -1e-9:
                return ""
            if abs(v) < 0.5 * 10.0**-self.digits:
                v = 0.0  # no "-0"
            return words.number(v, self.digits)

    return _Ticks()


def _money_formatter(scale: float = 1.0):
    return _tick_formatter(scale)


def _count_axis(ax: Axes, axis: str = "y", integer: bool = False) -> None:
    from matplotlib.ticker import MaxNLocator

    target = ax.yaxis if axis == "y" else ax.xaxis
    if integer:
        target.set_major_locator(MaxNLocator(integer=True))
    target.set_major_formatter(_tick_formatter())


def _nothing(ax: Axes, message: str) -> None:
    """A readable empty panel: the message in the middle, no ticks that mean nothing."""
    ax.text(
        0.5,
        0.5,
        message,
        ha="center",
        va="center",
        transform=ax.transAxes,
        color="#555555",
        wrap=True,
    )
    ax.set_xticks([])
    ax.set_yticks([])


def _money_axis(ax: Axes, currency: str, label: str, axis: str = "y", cents: bool = False) -> None:
    """Money on ``axis``: thousands separators, label names the currency."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(_money_formatter(100.0 if cents else 1.0))
    text = f"{label} ({currency})" if currency else label
    (ax.set_ylabel if axis == "y" else ax.set_xlabel)(text)


def _month_axis(ax: Axes, span_days: float | None = None) -> None:
    """Date ticks at month starts (every 2nd or 3rd month on long spans)."""
    import matplotlib.dates as mdates

    step = 1
    if span_days is not None:
        step = 1 if span_days <= 400 else 2 if span_days <= 800 else 3
    from matplotlib.ticker import FuncFormatter

    ax.xaxis.set_major_locator(mdates.MonthLocator(interval=step))
    ax.xaxis.set_major_formatter(
        FuncFormatter(lambda v, _pos: words.month(mdates.num2date(v)).replace(" ", "\n", 1))
    )


def _date_axis(ax: Axes, first: pd.Timestamp, last: pd.Timestamp) -> None:
    """Month ticks on long spans; day ticks, at least a week wide, on short ones."""
    span = (last - first).days
    if span >= 60:
        _month_axis(ax, span)
        return
    pad = pd.Timedelta(days=max(0.5, (7 - span) / 2))
    ax.set_xlim(first - pad, last + pad)
    _concise_dates(ax)


def _value_span(ax: Axes, minimum: float = 1.0) -> None:
    """An all-zero (flat) series gets a y axis from 0 to ``minimum``, not -0.06..0.06."""
    low, high = (float(v) for v in ax.dataLim.intervaly)
    if not (np.isfinite(low) and np.isfinite(high)):
        return
    if high - low > 1e-9 * max(abs(high), abs(low), 1.0):
        return
    tiny = 1e-9 * max(abs(high), abs(low), 1.0)  # float dust of the band polygons
    low = 0.0 if low > -tiny else low
    high = max(high, 0.0)
    ax.set_ylim(low, high * 1.2 if high - low > tiny else low + minimum)


def _concise_dates(ax: Axes) -> None:
    """Date ticks that adapt to the span (days for a week, months for a year)."""
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _daily_bars(ax: Axes, idx: pd.DatetimeIndex, values: np.ndarray, **kwargs: Any) -> None:
    """One bar per day drawn as a single filled step outline (fast for years of days).

    Call after something has put dates on the x axis (the bars use its day numbers).
    """
    if not len(idx):
        return
    import matplotlib.dates as mdates

    days = mdates.date2num(pd.DatetimeIndex(idx).to_pydatetime())
    edges = np.append(days, days[-1] + 1.0) - 0.5
    ax.stairs(values, edges, fill=True, color=BLUE, linewidth=0, **kwargs)


def _category_colour(cat: str, i: int) -> str:
    return CATEGORY_COLOURS.get(cat, _EXTRA[i % len(_EXTRA)])


def _month_labels(index: pd.Index) -> list[str]:
    return [words.month(pd.Period(p, freq="M")) for p in index]


def _pct(v: float) -> str:
    return words.percent(v, signed=True)


def save_figure(fig: Figure, path: str | Path, dpi: int = 110) -> Path:
    """Write ``fig`` to ``path`` (format from the suffix) and close it; returns the path."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(p, dpi=dpi)
    _plt().close(fig)
    return p


# --------------------------------------------------------------------------------------------
# usage charts
# --------------------------------------------------------------------------------------------


def monthly_usage(summary: pd.DataFrame, currency: str) -> Figure:
    """Monthly minutes and credit spend by category, with month-over-month change.

    Parameters
    ----------
    summary : DataFrame
        :func:`planner.analysis.monthly_summary` (index ``month``; ``minutes``,
        ``credit_minutes``, ``credit_cents``, ``credit_change_pct`` and ``<category>_cents``).
    currency : str
        ISO code for the money axis.

    Returns
    -------
    Figure
        Two panels sharing the months: minutes (stacked: paid from credits / the rest) and
        credit spend stacked by category, each bar labelled with its change on the month
        before.
    """
    fig, (ax_min, ax_cr) = _plt().subplots(
        2, 1, figsize=(10, 7), sharex=True, layout="constrained", height_ratios=[1, 1.4]
    )
    x = np.arange(len(summary))
    labels = _month_labels(summary.index)
    credit_min = summary["credit_minutes"].to_numpy(dtype=float)
    other_min = summary["minutes"].to_numpy(dtype=float) - credit_min
    ax_min.bar(x, other_min, color=GREY, label=t("Not paid from credits (plans, inbound, DR)"))
    ax_min.bar(x, credit_min, bottom=other_min, color=BLUE, label=t("Paid from credits"))
    ax_min.set_ylabel(t("Minutes"))
    ax_min.set_title(t("Call minutes per month (UTC)"))
    _count_axis(ax_min)
    peak_min = float(summary["minutes"].max()) if len(summary) else 0.0
    ax_min.set_ylim(0, max(peak_min, 1.0) * 1.3)  # room for the legend above the bars
    ax_min.legend(loc="upper left", frameon=False, fontsize="small", ncols=2)
    _style(ax_min)

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
            color=_category_colour(cat, i),
            label=t(CATEGORY_LABELS.get(cat, cat)),
        )
        bottom += values
    total = summary["credit_cents"].to_numpy(dtype=float)
    change = summary["credit_change_pct"].to_numpy(dtype=float)
    top = total.max() if len(total) and total.max() > 0 else 100.0  # cents
    for xi, top, c in zip(x, total, change, strict=True):
        if np.isfinite(c):
            ax_cr.annotate(
                _pct(c),
                (xi, top),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize="small",
                color=RED if c > 0 else GREEN,
            )
    ax_cr.set_ylim(0, top * 1.3)
    _money_axis(ax_cr, currency, t("Credit spend"), cents=True)
    ax_cr.set_title(
        t("Communications Credits spend per month, by category (label: change on previous month)")
    )
    ax_cr.set_xticks(x, labels, rotation=0 if len(x) <= 12 else 45)
    if ax_cr.get_legend_handles_labels()[0]:
        ax_cr.legend(loc="upper left", frameon=False, fontsize="small", ncols=3)
    if not len(summary):
        _nothing(ax_min, t("No calls to show"))
        _nothing(ax_cr, t("No credit spend to show"))
    elif not np.nansum(total):
        ax_cr.text(0.5, 0.5, t("No credit spend to show"), ha="center", transform=ax_cr.transAxes)
    _style(ax_cr)
    return fig


def daily_spend(
    daily: pd.DataFrame, currency: str, last_n_days: int = 5, ax: Axes | None = None
) -> Figure:
    """Daily credit spend with its 7-day mean; the last ``last_n_days`` of each month shaded.

    Parameters
    ----------
    daily : DataFrame
        :func:`planner.analysis.daily_credit_spend` (index ``date``, ``credit_cents``).
    """
    fig, ax = _new(ax, (11, 4.2))
    values = daily["credit_cents"].to_numpy(dtype=float)
    idx = daily.index
    mean7 = pd.Series(values, index=idx).rolling(7, min_periods=1).mean()
    ax.plot(idx, mean7.to_numpy(), color=BLUE, linewidth=2, label=t("7-day mean"))
    _daily_bars(ax, idx, values, alpha=0.55, label=t("Daily spend"))
    if len(idx):
        shaded = False
        for month in pd.period_range(idx.min(), idx.max(), freq="M"):
            end = month.end_time.normalize() + pd.Timedelta(days=1)
            ax.axvspan(
                end - pd.Timedelta(days=last_n_days),
                end,
                color=ORANGE,
                alpha=0.12,
                linewidth=0,
                label=None if shaded else t("Last {days} of month", days=words.days(last_n_days)),
            )
            shaded = True
        ax.set_xlim(idx.min() - pd.Timedelta(days=1), idx.max() + pd.Timedelta(days=1))
        _date_axis(ax, idx.min(), idx.max())
    _money_axis(ax, currency, t("Credit spend per day"), cents=True)
    ax.set_xlabel(t("Date (UTC)"))
    ax.set_title(t("Daily Communications Credits spend"))
    if not len(idx):
        _nothing(ax, t("No days with calls to show"))
        _style(ax, "")
        return fig
    ax.set_ylim(bottom=0)
    _value_span(ax, 100.0)  # cents
    if not np.nansum(values):
        ax.text(0.5, 0.5, t("No credit spend on any day"), ha="center", transform=ax.transAxes)
    ax.legend(loc="upper left", frameon=False, fontsize="small")
    _style(ax)
    return fig


def day_of_month(
    table: pd.DataFrame, currency: str, last_n_days: int = 5, ax: Axes | None = None
) -> Figure:
    """Average credit spend on each day of the month; the last ``last_n_days`` highlighted.

    Days are numbered 1..31, so with 5 the highlighted days are 27-31 whatever the month's
    length (:func:`planner.analysis.month_end_pattern` measures each month's true last days).

    Parameters
    ----------
    table : DataFrame
        :func:`planner.analysis.spend_by_day_of_month` (index ``day``, ``mean_cents``).
    """
    fig, ax = _new(ax, (10, 4))
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
    _money_axis(ax, currency, t("Average spend on that day"), cents=True)
    ax.set_title(t("Credit spend by day of month"))
    ax.set_ylim(bottom=0)
    _value_span(ax, 100.0)  # cents
    if not np.nansum(mean):
        ax.text(0.5, 0.5, t("No credit spend to show"), ha="center", transform=ax.transAxes)
    _style(ax)
    return fig


def top_bars(
    table: pd.DataFrame,
    label: str,
    value: str = "credit_cents",
    n: int = 10,
    currency: str = "",
    title: str | None = None,
    colour: str = BLUE,
    ax: Axes | None = None,
) -> Figure:
    """Horizontal bars of the ``n`` largest rows of ``table`` by ``value``, largest on top.

    ``value`` ending in ``_cents`` is money (axis in ``currency`` units); ``minutes`` and
    ``calls`` are counts.
    """
    fig, ax = _new(ax, (9, max(2.5, 0.38 * min(n, len(table)) + 1.3)))
    top = table.nlargest(n, value) if len(table) else table
    names = [_shorten(str(v)) for v in top[label]][::-1]
    values = top[value].to_numpy(dtype=float)[::-1]
    ax.barh(np.arange(len(values)), values, color=colour)
    ax.set_yticks(np.arange(len(values)), names)
    is_money = value.endswith("_cents")
    for yi, v in enumerate(values):
        text = words.cents(int(v)) if is_money else _thousands(v)
        ax.annotate(
            text, (v, yi), xytext=(3, 0), textcoords="offset points", va="center", fontsize="small"
        )
    if is_money:
        _money_axis(ax, currency, t("Credit spend"), axis="x", cents=True)
    else:
        _count_axis(ax, "x", integer=value in ("calls", "rows", "users"))
        ax.set_xlabel(value.replace("_", " ").capitalize())
    if len(values):
        ax.set_xlim(0, max(values.max(), 1) * 1.15)
    what = t("credit spend") if value.endswith("_cents") else value.replace("_", " ")
    ax.set_title(title or t("{top} by {what}", top=_top(n, table), what=what))
    if not len(values):
        _nothing(ax, t("Nothing to show"))
        _style(ax, "")
        return fig
    _style(ax, "x")
    return fig


def _top(n: int, table: pd.DataFrame) -> str:
    return t("Top {n}", n=n) if len(table) > n else t("All")


def _shorten(text: str, width: int = 32) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def top_users(users: pd.DataFrame, currency: str, n: int = 10, ax: Axes | None = None) -> Figure:
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
) -> Figure:
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
) -> Figure:
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


def call_types(table: pd.DataFrame, currency: str) -> Figure:
    """Minutes and credit spend per call type (:func:`planner.analysis.by_call_type`)."""
    fig, (ax_m, ax_c) = _plt().subplots(
        1, 2, figsize=(11, max(3, 0.35 * len(table) + 1.4)), sharey=True, layout="constrained"
    )
    order = table.sort_values(["minutes", "credit_cents"], ascending=True)
    y = np.arange(len(order))
    ax_m.barh(y, order["minutes"].to_numpy(dtype=float), color=GREY)
    ax_m.set_yticks(y, [words.call_type(v) for v in order["call_type"]])
    ax_m.set_xlabel(t("Minutes"))
    _count_axis(ax_m, "x")
    from matplotlib.ticker import MaxNLocator

    # half-width panel: few ticks so six-digit minute labels never overlap
    ax_m.xaxis.set_major_locator(MaxNLocator(nbins=4))
    ax_m.set_title(t("Minutes by call type"))
    ax_c.barh(y, order["credit_cents"].to_numpy(dtype=float), color=BLUE)
    _money_axis(ax_c, currency, t("Credit spend"), axis="x", cents=True)
    ax_c.set_title(t("Credit spend by call type"))
    for a in (ax_m, ax_c):
        if len(order):
            a.set_xlim(left=0)
            _style(a, "x")
        else:
            _nothing(a, t("No calls to show"))
            _style(a, "")
    return fig


def hour_weekday_heatmap(
    table: pd.DataFrame, what: str = "Calls", tz: str | None = None, ax: Axes | None = None
) -> Figure:
    """Heat map of :func:`planner.analysis.hour_weekday` (weekday rows, hour columns).

    Parameters
    ----------
    what : str
        What the cells count, for the colour bar (e.g. ``"Calls"``, ``"Minutes"``).
    tz : str, optional
        Time zone the table was built in, for the axis label (UTC when None).
    """
    fig, ax = _new(ax, (11, 3.8))
    data = table.to_numpy(dtype=float)
    im = ax.imshow(data, aspect="auto", cmap="Blues", interpolation="nearest")
    empty = not np.nansum(np.abs(data))
    if empty:  # an all-zero table: a colour scale from 0, not -0.1..0.1
        im.set_clim(0, 1)
    ax.set_yticks(np.arange(len(table.index)), [str(v) for v in table.index])
    ax.set_xticks(np.arange(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)])
    ax.set_xlabel(t("Hour of day ({tz})", tz=tz or "UTC"))
    ax.set_ylabel(t("Weekday"))
    bar = fig.colorbar(im, ax=ax, pad=0.01)
    bar.set_label(what)
    bar.ax.yaxis.set_major_formatter(_money_formatter())
    if empty:
        from matplotlib.ticker import MaxNLocator

        bar.ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        empty = t("No calls to show") if what == "Calls" else t("Nothing to show")
        ax.text(0.5, 0.5, empty, ha="center", transform=ax.transAxes)
    ax.set_title(t("{what} by weekday and hour", what=t(what)))
    return fig


def toll_free(
    usage: pd.DataFrame,
    currency: str,
    value: str = "minutes",
    n_numbers: int = 5,
    ax: Axes | None = None,
) -> Figure:
    """Toll-free use per month, stacked by number (the ``n_numbers`` busiest, then the rest).

    Parameters
    ----------
    usage : DataFrame
        :func:`planner.analysis.toll_free_usage` with ``by="month_number"`` (``month``,
        ``number``, ``minutes``, ``credit_cents``).
    value : {"minutes", "credit_cents", "calls"}
    """
    fig, ax = _new(ax, (10, 4.5))
    months = (
        pd.period_range(usage["month"].min(), usage["month"].max(), freq="M")
        if len(usage)
        else pd.PeriodIndex([], freq="M")
    )
    totals = usage.groupby("number")[value].sum().sort_values(ascending=False)
    keep = list(totals.index[:n_numbers])
    number = usage["number"].where(usage["number"].isin(keep), "Other numbers")
    wide = (
        usage.assign(number=number)
        .pivot_table(index="month", columns="number", values=value, aggfunc="sum", fill_value=0)
        .reindex(index=months, fill_value=0)
    )
    order = [k for k in keep if k in wide.columns] + [c for c in wide.columns if c not in keep]
    x = np.arange(len(months))
    bottom = np.zeros(len(months))
    palette = [BLUE, ORANGE, GREEN, RED, PURPLE, *_EXTRA]
    for i, col in enumerate(order):
        vals = wide[col].to_numpy(dtype=float)
        colour = GREY if col == "Other numbers" else palette[i % len(palette)]
        ax.bar(x, vals, bottom=bottom, color=colour, label=str(col))
        bottom += vals
    ax.set_xticks(x, _month_labels(months), rotation=0 if len(x) <= 12 else 45)
    if value.endswith("_cents"):
        _money_axis(ax, currency, t("Credit spend"), cents=True)
    else:
        _count_axis(ax)
        ax.set_ylabel(value.capitalize())
    if order:
        ax.legend(
            title="Number",
            loc="upper left",
            frameon=False,
            fontsize="small",
            bbox_to_anchor=(1.0, 1.0),
        )
    what = t("credit spend") if value.endswith("_cents") else value
    ax.set_title(t("Toll-free {what} per month (UTC), by number", what=what))
    if not len(usage):
        _nothing(ax, t("No toll-free calls to show"))
        _style(ax, "")
        return fig
    ax.set_ylim(bottom=0)
    _value_span(ax, 100.0 if value.endswith("_cents") else 1.0)
    _style(ax)
    return fig


def pool_usage(table: pd.DataFrame, max_pools: int = 6) -> Figure:
    """Minutes used from each minute pool per month against the pool size.

    Parameters
    ----------
    table : DataFrame
        :func:`planner.analysis.pool_usage`: ``month`` (Period[M]), ``pool`` (string),
        ``pool_minutes`` (size), ``used_minutes`` (minutes the pool covered),
        ``overage_minutes`` (minutes beyond the pool, paid from credits).
    max_pools : int
        Panels to draw (the first pools of the table, in its order).

    Returns
    -------
    Figure
        One panel per pool: bars of used minutes with the overage stacked in red, and the
        pool size as a line. The title gives the busiest month's share of the pool; a pool
        used so little that its size would flatten the bars is noted instead of drawn to scale.
    """
    pools = list(dict.fromkeys(table["pool"]))[:max_pools]
    n = max(len(pools), 1)
    cols = 1 if n == 1 else 2
    rows = (n + cols - 1) // cols
    fig, axes = _plt().subplots(
        rows, cols, figsize=(6 * cols, 3.4 * rows + 0.6), squeeze=False, layout="constrained"
    )
    for ax in axes.flat[len(pools) :]:
        ax.set_visible(False)
    if not pools:
        fig.text(0.5, 0.5, t("No calls and no minute pools to show"), ha="center", va="center")
    for ax, pool in zip(axes.flat, pools, strict=False):
        part = table[table["pool"] == pool].sort_values("month")
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
            x, _month_labels(part["month"]), rotation=45 if len(x) > 6 else 0, fontsize="small"
        )
        ax.set_ylabel(t("Minutes"))
        _count_axis(ax)
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
        ax.set_title(f"{pool}: {extra}", fontsize="medium")
        _style(ax)
    if pools:
        handles, labels = axes.flat[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=3, frameon=False)
    fig.suptitle(t("Minute pools: use per month (UTC) against pool size"))
    return fig


def rejects(table: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Rejected rows by reason (:func:`planner.analysis.rejects_by_reason`)."""
    fig, ax = _new(ax, (9, max(2.2, 0.4 * len(table) + 1.3)))
    if len(table) == 0:
        ax.text(0.5, 0.5, t("No rejected rows"), ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        ax.set_title(t("Rejected rows by reason"))
        return fig
    return top_bars(
        table, "reason", "rows", len(table), title="Rejected rows by reason", colour=RED, ax=ax
    )


# --------------------------------------------------------------------------------------------
# funding charts (floats in currency units)
# --------------------------------------------------------------------------------------------


def demand_history(
    daily: pd.Series, currency: str, window: int = 30, ax: Axes | None = None
) -> Figure:
    """Daily credit demand used for planning, with its ``window``-day trailing mean.

    Parameters
    ----------
    daily : Series
        Daily demand in currency units, indexed by date.
    """
    fig, ax = _new(ax, (11, 4))
    idx = pd.DatetimeIndex(daily.index)
    vals = daily.to_numpy(dtype=float)
    mean = pd.Series(vals, index=idx).rolling(window, min_periods=1).mean()
    ax.plot(
        idx, mean.to_numpy(), color=BLUE, linewidth=2.2, label=t("{window}-day mean", window=window)
    )
    _daily_bars(ax, idx, vals, alpha=0.45, label=t("Daily demand"))
    _money_axis(ax, currency, t("Credit demand per day"))
    ax.set_xlabel(t("Date"))
    ax.set_title(t("Credit demand: daily history"))
    if not len(idx):
        _nothing(ax, t("No demand history"))
        _style(ax, "")
        return fig
    _date_axis(ax, idx.min(), idx.max())
    ax.set_ylim(bottom=0)
    _value_span(ax)
    if not np.nansum(vals):
        ax.text(0.5, 0.5, t("No credit demand on any day"), ha="center", transform=ax.transAxes)
    ax.legend(loc="upper left", frameon=False, fontsize="small")
    _style(ax)
    return fig


def fan_chart(
    paths: Any,
    start: Any,
    currency: str,
    history: pd.Series | None = None,
    cumulative: bool = False,
    ax: Axes | None = None,
) -> Figure:
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
    fig, ax = _new(ax, (11, 4.5))
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
    _date_axis(ax, first, idx[-1])
    _value_span(ax)
    what = t("Cumulative credit demand") if cumulative else "Credit demand per day"
    _money_axis(ax, currency, what)
    ax.set_xlabel(t("Date"))
    ax.set_title(
        t(
            "{what}: history and {n} scenarios",
            what=what,
            n=words.number(np.asarray(paths).shape[0]),
        )
    )
    ax.legend(loc="upper left", frameon=False, fontsize="small")
    _style(ax)
    return fig


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
    label: str = "Recommended",
    compare: Mapping[str, Any] | None = None,
    compare_threshold: float | None = None,
    compare_label: str = "Current settings",
    ax: Axes | None = None,
) -> Figure:
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
    fig, ax = _new(ax, (11, 5))
    _balance_bands(ax, result, start, BLUE, label, threshold, inner=True)
    if compare is not None:
        _balance_bands(ax, compare, start, ORANGE, compare_label, compare_threshold, inner=False)
    ax.axhline(0, color="black", linewidth=0.8)
    days = analysis.dates(start, np.asarray(result["balance"]).shape[1])
    _date_axis(ax, days[0], days[-1])
    _money_axis(ax, currency, t("Balance at end of day"))
    ax.set_xlabel(t("Date"))
    ax.set_title(t("Credit balance under the funding policy"))
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize="small")
    lowest = float(np.nanmin(np.asarray(result["balance"], dtype=float), initial=0.0))
    ax.set_ylim(bottom=0.0 if lowest >= 0 else min(0.0, ax.get_ylim()[0]))
    _value_span(ax)
    _style(ax)
    return fig


def _day_bins(values: np.ndarray, max_bins: int = 30) -> np.ndarray:
    """Histogram edges on whole days (half a day either side), at most ``max_bins`` bins."""
    lo, hi = float(np.floor(values.min())), float(np.floor(values.max()))
    width = max(1.0, float(np.ceil((hi - lo + 1) / max_bins)))
    return np.arange(lo, hi + width + 1, width) - 0.5


def risk(result: Mapping[str, Any], currency: str, start: Any | None = None) -> Figure:
    """Forfeiture and stock-out risk across paths: expired amount and first stock-out day.

    Parameters
    ----------
    result : mapping
        S x T arrays with ``expired`` and ``unserved`` (:func:`planner.engine.paths`).
    start : date-like, optional
        Day 0; when given, the stock-out axis shows dates instead of day numbers.

    Returns
    -------
    Figure
        Two panels: a histogram of the amount expired per path (a note instead when no path
        forfeits anything) and a histogram of the first stock-out day, one bar per day or
        group of days (a note instead when no path runs out).
    """
    fig, (ax_e, ax_s) = _plt().subplots(1, 2, figsize=(11, 4), layout="constrained")
    out = analysis.path_outcomes(result)
    S = len(out)
    expired = out["expired"].to_numpy()
    lose = expired > 1e-9
    share = lose.mean() if S else 0.0
    ax_e.set_title(
        t("Forfeited (expired) funds: {share} of paths lose some", share=words.percent(share))
    )
    _money_axis(ax_e, currency, t("Expired over the horizon"), axis="x")
    ax_e.set_ylabel(t("Scenario paths"))
    if lose.any():
        if np.ptp(expired) > 1e-9:
            ax_e.hist(expired, bins=30, color=RED, alpha=0.8)
        else:  # every path forfeits the same: one bar on an axis from 0, not 30 slivers
            value = float(expired[0])
            ax_e.bar([value], [S], width=0.04 * value, color=RED, alpha=0.8)
            ax_e.set_xlim(0, 1.6 * value)
        mean = expired.mean()
        ax_e.axvline(
            mean,
            color="black",
            linestyle="--",
            linewidth=1.2,
            label=t("Mean {amount}", amount=words.money(mean, currency)),
        )
        ax_e.legend(frameon=False, fontsize="small")
        _count_axis(ax_e, integer=True)
        ax_e.set_ylim(bottom=0)
    else:
        _nothing(ax_e, "Nothing forfeited in any scenario" if S else "No scenario paths")

    first = out["first_stockout_day"].to_numpy()
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
            ax_s.hist(vals + t0, bins=edges + t0, color=ORANGE, alpha=0.85)
            ax_s.xaxis_date()
            lo, hi = edges[0] + t0, edges[-1] + t0
            pad = max(0.0, (14 - (hi - lo)) / 2)
            ax_s.set_xlim(lo - pad, hi + pad)
            _concise_dates(ax_s)
            ax_s.set_xlabel(t("Date of first stock-out"))
        else:
            from matplotlib.ticker import MaxNLocator

            ax_s.hist(vals, bins=edges, color=ORANGE, alpha=0.85)
            pad = max(0.0, (14 - (edges[-1] - edges[0])) / 2)
            ax_s.set_xlim(edges[0] - pad, edges[-1] + pad)
            ax_s.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax_s.xaxis.set_major_formatter(_tick_formatter())
            ax_s.set_xlabel(t("Day of first stock-out"))
        _count_axis(ax_s, integer=True)
    else:
        ax_s.set_xlabel(t("Day of first stock-out"))
        _nothing(ax_s, "No stock-out in any scenario" if S else "No scenario paths")
    ax_s.set_ylabel(t("Scenario paths"))
    ax_s.set_title(
        t(
            "First stock-out: {share} of {n} paths run out",
            share=words.percent(p),
            n=words.number(S),
        )
    )
    for a in (ax_e, ax_s):
        _style(a)
    return fig


def _policy_label(row: pd.Series) -> str:
    for col in ("label", "option"):
        if col in row.index and isinstance(row[col], str) and row[col]:
            return row[col]
    parts = [
        f"Q {_thousands(float(row['recharge_amount']))}",
        f"s {_thousands(float(row['threshold']))}",
    ]
    if "initial" in row.index and pd.notna(row["initial"]) and row["initial"]:
        parts.insert(0, f"initial {_thousands(float(row['initial']))}")
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
) -> Figure:
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
    fig, ax = _new(ax, (10, 5.5))
    title = t("Cost against stock-out risk (Q = recharge amount, s = threshold)")
    cost = table["cost"].to_numpy(dtype=float)
    p = table["p_stockout"].to_numpy(dtype=float)
    if not (np.isfinite(cost) & np.isfinite(p)).any():
        ax.set_title(title)
        ax.set_xlabel(t("Probability of at least one stock-out day (%)"))
        _money_axis(ax, currency, t("Expected cost over the horizon"))
        _nothing(ax, t("No candidate policies to compare"))
        _style(ax, "")
        return fig
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
    if alternatives is not None:
        # numbered markers, explained in the legend: names of close points cannot collide
        alt_cost = alternatives["cost"].to_numpy(dtype=float)
        alt_p = alternatives["p_stockout"].to_numpy(dtype=float)
        alt_rec = _is_recommended(alternatives)
        for i in range(len(alternatives)):
            name = _policy_label(alternatives.iloc[i])
            text = (
                f"{i + 1}. {name}: {words.money(alt_cost[i], currency)}, {words.percent(alt_p[i])}"
            )
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
    else:
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
    ax.set_xlabel(t("Probability of at least one stock-out day (%)"))
    _money_axis(ax, currency, t("Expected cost over the horizon"))
    ax.set_title(title)
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    if np.nanmax(p, initial=0.0) > 0.1:
        # risks of 0.1 % and 1 % matter as much as 50 %: linear up to 1 %, logarithmic above
        ax.set_xscale("symlog", linthresh=1.0, linscale=1.0)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
        ax.set_xlim(left=-0.1, right=110)
    else:
        # room left of 0 % for the markers, but no negative probabilities on the axis
        low, high = ax.get_xlim()
        high = max(high, 1.25 * np.nanmax(p * 100, initial=0.0), 1.0)
        ax.set_xlim(min(-0.05 * high, low), high)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=8, steps=[1, 2, 2.5, 5, 10]))
        ax.xaxis.set_major_formatter(_tick_formatter(hide_negative=True))
    if alternatives is not None:
        alt_cost = alternatives["cost"].to_numpy(dtype=float)
        far = _far_above(cost[order], alt_cost)
        _cost_margin(ax, np.concatenate([cost, alt_cost[~far]]))
        if far.any():
            _off_the_scale(ax, cost[order], alt_cost, alternatives["p_stockout"].to_numpy(), far,
                           currency)  # fmt: skip
    else:
        _cost_margin(ax, cost)
    if alternatives is not None:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize="small")
    else:
        ax.legend(loc="upper right", frameon=False, fontsize="small")
    _style(ax, "both")
    return fig


def expiry_schedule(lots: pd.DataFrame, currency: str, ax: Axes | None = None) -> Figure:
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
    fig, ax = _new(ax, (10, 4.2))
    if "date" in lots.columns:
        expires = pd.to_datetime(lots["date"])
    else:
        expires = pd.to_datetime(lots["purchase_date"]) + pd.DateOffset(months=12)
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
    _money_axis(ax, currency, t("Amount"))
    ax.set_title(t("Funds held today by expiry date (label: share expected to be forfeited)"))
    if not len(amount):
        _nothing(ax, t("No funds held today"))
        _style(ax, "")
        return fig
    top = float(np.nanmax(amount, initial=0.0))
    ax.set_ylim(0, (top if top > 0 else 1.0) * 1.15)
    if top <= 0:
        ax.text(0.5, 0.6, "Nothing left in these lots", ha="center", transform=ax.transAxes)
    pad = max(0, 3 - len(x)) / 2  # a lone lot is not drawn as a wall
    ax.set_xlim(-0.6 - pad, len(x) - 0.4 + pad)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize="small")
    _style(ax)
    return fig


def runway(
    days: Any, alert_days: float | None = None, horizon: int | None = None, ax: Axes | None = None
) -> Figure:
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
    fig, ax = _new(ax, (9, 4))
    arr = np.asarray(days, dtype=float)
    if horizon is not None:
        arr = np.where(arr >= horizon, np.inf, arr)
    finite = arr[np.isfinite(arr)]
    if len(finite):
        ax.hist(
            finite, bins=_day_bins(finite, 40), color=GREEN, alpha=0.85, label=t("Scenario paths")
        )
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
    title = t("Runway of the current balance")
    never = int((~np.isfinite(arr)).sum())
    if never:
        beyond = (
            t("beyond {days}", days=words.days(horizon)) if horizon else t("beyond the horizon")
        )
        title += " " + t("({share} of paths last {beyond})", share=words.percent(never / len(arr)),
                         beyond=beyond)  # fmt: skip
    ax.set_title(title)
    ax.set_xlabel(t("Runway (days until the balance runs out, no recharge)"))
    ax.set_ylabel(t("Scenario paths"))
    _count_axis(ax, integer=True)
    _count_axis(ax, "x", integer=True)
    ax.xaxis.set_major_formatter(_tick_formatter(hide_negative=True))
    if len(finite):
        # a lone runway value gets a readable span of days around it, starting at day 0
        low, high = ax.get_xlim()
        ax.set_xlim(min(low, -0.5), max(high, float(finite.max()) + 7, (alert_days or 0) + 7))
        ax.set_ylim(bottom=0)
    else:
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
            _nothing(
                ax,
                t("Every path lasts beyond the horizon") if never else t("No scenario paths"),
            )
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", frameon=False, fontsize="small")
    _style(ax)
    return fig
