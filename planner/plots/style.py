"""What every chart shares: the palette, axes in money, counts and dates, empty panels.

matplotlib is imported only when a chart is drawn (:func:`pyplot`), so importing
:mod:`planner.plots` stays cheap and leaves the backend to the caller.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

import numpy as np
import pandas as pd

from planner import text as words

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
    "sms": "#DA8BC3",
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
#: colours for categories beyond the named ones
EXTRA_COLOURS = ("#CCB974", "#64B5CD", "#8C8C8C")

#: category names as a legend shows them (translated when drawn)
#: the demand categories in words (one list, in :mod:`planner.text`)
CATEGORY_LABELS = words.CATEGORY_LABELS


def pyplot() -> Any:
    """``matplotlib.pyplot``, imported when the first chart is drawn (importing it picks the
    backend, which stays the caller's choice until then)."""
    import matplotlib.pyplot as plt

    return plt


def new_axes(
    ax: Axes | None = None, figsize: tuple[float, float] = (9, 4.5)
) -> tuple[Figure, Axes]:
    """The figure of ``ax``, or a new figure with one panel of ``figsize`` inches."""
    if ax is not None:
        return cast("Figure", ax.figure), ax  # (a chart is drawn on a figure, not a subfigure)
    fig, ax = pyplot().subplots(figsize=figsize, layout="constrained")
    return fig, ax


def new_panels(
    ax: Any, count: int, figsize: tuple[float, float], **layout: Any
) -> tuple[Figure, np.ndarray]:
    """The figure of the ``count`` panels given as ``ax`` (a sequence of Axes), or a new
    figure with ``count`` panels (``layout``: :func:`matplotlib.pyplot.subplots`' ``nrows``,
    ``ncols``, ``sharex``...); the panels come back flat, in order."""
    if ax is not None:
        panels = np.asarray(ax, dtype=object).ravel()
        if len(panels) != count:
            raise ValueError(
                f"this chart draws {count} panels: give {count} Axes, not {len(panels)}"
            )
        return cast("Figure", panels[0].figure), panels
    fig, axes = pyplot().subplots(figsize=figsize, layout="constrained", **layout)
    return fig, np.asarray(axes, dtype=object).ravel()


def tidy(ax: Axes, grid: Literal["x", "y", "both", ""] = "y") -> None:
    """No top and right frame; a light grid along ``grid`` (``""``: none)."""
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if grid:
        ax.grid(axis=grid, color="#DDDDDD", linewidth=0.8)
        ax.set_axisbelow(True)


def thousands(x: float, _pos: Any = None) -> str:
    if abs(x) >= 100 or float(x).is_integer():
        return words.number(x)
    return words.number(x, decimals(np.array([x]), cap=2))


def decimals(values: np.ndarray, cap: int = 6) -> int:
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


def tick_formatter(scale: float = 1.0, hide_negative: bool = False):
    """Tick labels with thousands separators and as many decimals as the ticks need.

    The decimals follow the tick positions, so a narrow range (2,389.2 .. 2,390.0) gets
    distinct labels instead of "2,389" five times, and whole-number ticks show no decimals.
    ``hide_negative`` leaves ticks below 0 blank (an axis of shares padded left of 0).
    """
    from matplotlib.ticker import Formatter

    class _Ticks(Formatter):
        digits = 0

        def __init__(self) -> None:
            # a figure's layout and drawing ask for the same labels several times
            self.written: dict[tuple[float, int], str] = {}

        def set_locs(self, locs):
            super().set_locs(locs)
            self.digits = decimals(np.asarray(locs, dtype=float) / scale)

        def __call__(self, x, pos=None):
            key = (float(x), self.digits)
            if key not in self.written:
                self.written[key] = self.write(x / scale)
            return self.written[key]

        def write(self, v: float) -> str:
            if hide_negative and v < -1e-9:
                return ""
            if abs(v) < 0.5 * 10.0**-self.digits:
                v = 0.0  # no "-0"
            return words.number(v, self.digits)

    return _Ticks()


def money_formatter(scale: float = 1.0):
    return tick_formatter(scale)


def count_axis(ax: Axes, axis: str = "y", integer: bool = False) -> None:
    from matplotlib.ticker import MaxNLocator

    target = ax.yaxis if axis == "y" else ax.xaxis
    if integer:
        target.set_major_locator(MaxNLocator(integer=True))
    target.set_major_formatter(tick_formatter())


def nothing_to_show(ax: Axes, message: str) -> None:
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


def money_axis(ax: Axes, currency: str, label: str, axis: str = "y", cents: bool = False) -> None:
    """Money on ``axis``: thousands separators, label names the currency."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(money_formatter(100.0 if cents else 1.0))
    text = f"{label} ({currency})" if currency else label
    (ax.set_ylabel if axis == "y" else ax.set_xlabel)(text)


def month_axis(ax: Axes, span_days: float | None = None) -> None:
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


def date_axis(ax: Axes, first: pd.Timestamp, last: pd.Timestamp) -> None:
    """Month ticks on long spans; day ticks, at least a week wide, on short ones."""
    span = (last - first).days
    if span >= 60:
        month_axis(ax, span)
        return
    pad = pd.Timedelta(days=max(0.5, (7 - span) / 2))
    # days on a date axis (matplotlib converts them; its stubs expect floats)
    span_with_pad: tuple[Any, Any] = (first - pad, last + pad)
    ax.set_xlim(*span_with_pad)
    concise_dates(ax)


def value_span(ax: Axes, minimum: float = 1.0) -> None:
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


def concise_dates(ax: Axes) -> None:
    """Date ticks that adapt to the span (days for a week, months for a year)."""
    import matplotlib.dates as mdates
    from matplotlib.ticker import Formatter

    ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=8))

    class _Days(Formatter):
        """The language's day and month names (matplotlib's own are English): a day when the
        ticks are days apart, a month and its year when they are months apart."""

        step = 1.0

        def set_locs(self, locs):
            super().set_locs(locs)  # the locator's ticks, the labels' spacing
            self.step = float(np.min(np.diff(locs))) if len(locs) > 1 else 1.0

        def __call__(self, value, pos=None):
            day = mdates.num2date(value)
            if self.step >= 28:
                return words.month(day).replace(" ", "\n", 1)
            return words.date(day).rsplit(" ", 1)[0]

    ax.xaxis.set_major_formatter(_Days())


def daily_bars(ax: Axes, idx: pd.Index, values: np.ndarray, **kwargs: Any) -> None:
    """One bar per day drawn as a single filled step outline (fast for years of days).

    Call after something has put dates on the x axis (the bars use its day numbers).
    """
    if not len(idx):
        return
    import matplotlib.dates as mdates

    days = mdates.date2num(pd.DatetimeIndex(idx).to_pydatetime())
    edges = np.append(days, days[-1] + 1.0) - 0.5
    ax.stairs(values, edges, fill=True, color=BLUE, linewidth=0, **kwargs)


def category_colour(cat: str, i: int) -> str:
    return CATEGORY_COLOURS.get(cat, EXTRA_COLOURS[i % len(EXTRA_COLOURS)])


def month_labels(index: Iterable[Any]) -> list[str]:
    """Month names for tick labels (``"Oct 2026"``)."""
    return [words.month(pd.Period(p, freq="M")) for p in index]


def signed_percent(v: float) -> str:
    return words.percent(v, signed=True)


def figure_of(chart: Any) -> Figure:
    """The figure of a chart: the Axes a chart function returns, an array of them (a chart of
    several panels), or a Figure itself."""
    if isinstance(chart, np.ndarray | list | tuple):
        chart = np.asarray(chart, dtype=object).flat[0]
    if hasattr(chart, "savefig"):
        return cast("Figure", chart)
    return cast("Figure", chart.figure)


def save_figure(chart: Any, path: str | Path, dpi: int = 110) -> Path:
    """Write the figure of ``chart`` (:func:`figure_of`) to ``path`` (format from the suffix)
    and close it; returns the path."""
    fig = figure_of(chart)
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(p, dpi=dpi)
    pyplot().close(fig)
    return p
