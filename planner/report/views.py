"""What the notebooks display besides sentences: tables, charts and the values behind them.

Each helper keeps a notebook cell to one call and one display: :func:`table` (a readable
pandas Styler), :func:`show` (a chart as PNG with its alt text), and the frames and values the
funding plan shows (e-mails, alternatives, the typical scenario, today's runway).
"""

from __future__ import annotations

import html
import io
from collections.abc import Hashable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from IPython.display import Image, Markdown, display

from planner import text
from planner.analysis import runway_days
from planner.analysis.records import UNKNOWN
from planner.engine import Policy
from planner.plots.style import figure_of
from planner.report.columns import WORKBOOK_SHEETS, cell_formatter, column_kind, header
from planner.text import t
from planner.text.plan import option_name


def tenant_label(records: pd.DataFrame | None, tenant: str | None = None) -> str:
    """The tenant's name for headings: ``tenant`` if given, else the users' main e-mail domain."""
    if tenant:
        return str(tenant)
    if records is None:
        return "tenant"
    upn = records["upn"].dropna().astype(str) if "upn" in records.columns else pd.Series([])
    domains = upn.str.partition("@")[2].str.lower()
    domains = domains[domains != ""]
    return str(domains.value_counts().index[0]) if len(domains) else "tenant"


def period_text(start: Any, end: Any) -> str:
    """``"1 Oct 2025 – 31 Oct 2026 (396 days)"`` for a first and last day."""
    return text.period(start, end)


def runway_distribution(scenarios: Any, lots: pd.DataFrame) -> np.ndarray:
    """Days today's lots last on each scenario with no purchase (``inf``: past the horizon).

    The scenario form of :func:`planner.analysis.runway_days` (the one runway computation:
    the balance engine with auto-recharge off, so a lot expiring on its date ends the runway
    exactly as it would in the tenant).
    """
    return runway_days(scenarios.paths, scenarios.start, lots)


def typical_path(paths: Any) -> int:
    """Index of the scenario whose total demand is the median (the path to replay)."""
    totals = np.asarray(paths, dtype=float).sum(axis=1)
    order = np.argsort(totals, kind="stable")
    return int(order[(len(order) - 1) // 2])


def email_table(events: pd.DataFrame, currency: str) -> pd.DataFrame:
    """The e-mails Microsoft would send, from :attr:`planner.engine.SimulationResult.events`.

    Returns
    -------
    DataFrame
        ``date`` (datetime64), ``email`` (string), ``amount`` (float, currency units; NaN for
        a zero balance).
    """
    names = {
        "recharge_succeeded": t("Auto-recharge succeeded"),
        "recharge_failed": t("Auto-recharge failed"),
        "balance_zero": t("Balance reached zero"),
    }
    out = pd.DataFrame(
        {
            "date": pd.to_datetime(events["date"]).to_numpy(),
            "email": events["event"].astype(str).map(lambda e: names.get(e, e)).to_numpy(),
            "amount": np.where(
                events["event"].astype(str).eq("balance_zero"),
                np.nan,
                events["amount"].to_numpy(dtype=float),
            ),
        }
    )
    out["email"] = out["email"].astype("string")
    return out


def alternatives_frame(rec: Any) -> pd.DataFrame:
    """The policy alternatives with what each adds to today's unavoidable forfeiture.

    Columns of :data:`planner.recommend.ALTERNATIVE_COLUMNS` (without ``explanation``), then
    ``added_forfeiture`` (currency units): the policy's expected forfeiture beyond what
    today's lots lose whatever the policy.
    """
    frame = rec.alternatives.drop(columns=["explanation"], errors="ignore").copy()
    today = unavoidable_forfeiture(rec)
    frame["added_forfeiture"] = (frame["expected_forfeited"] - today).clip(lower=0.0)
    return frame


def alternatives_table(rec: Any) -> Any:
    """The policy alternatives as a compact table; their explanations go in
    :func:`alternatives_markdown` (long sentences make unreadable table cells)."""
    frame = alternatives_frame(rec)
    frame["option"] = frame["option"].map(option_name)
    return table(frame, rec.currency, money=WORKBOOK_SHEETS["alternatives"][1])


def unavoidable_forfeiture(rec: Any) -> float:
    """What today's lots are expected to lose whatever the policy (0 without a balance file).

    Spending takes the oldest funds first, so no purchase changes what today's lots lose.
    """
    pos = rec.position
    return float(pos["expected_forfeit_total"]) if pos is not None else 0.0


def current_as_evaluated(rec: Any):
    """The current settings exactly as the recommendation evaluated them (or None)."""
    cur = rec.current
    if cur is None:
        return None
    return Policy(
        initial=cur["initial"],
        recharge_amount=cur["recharge_amount"],
        threshold=cur["threshold"],
        lead_days=rec.policy.lead_days,
        auto_recharge=bool(cur.get("auto_recharge", True)),
        failure_prob=float(cur.get("failure_prob", 0.0)),
        fix_days=int(cur.get("fix_days", 0)),
    )


def figure_title(fig: Any) -> str:
    """A figure's title (its suptitle, else its first titled panel), for the image's alt text."""
    sup = getattr(fig, "_suptitle", None)
    if sup is not None and sup.get_text():
        return sup.get_text()
    for ax in fig.get_axes():
        if ax.get_title():
            return ax.get_title()
    return t("Chart")


def figure_texts(fig: Any) -> list[str]:
    """Every piece of text a drawn figure shows (titles, axis labels, tick labels, legends,
    annotations), in drawing order: what the chart says, in the language it was drawn in."""
    from matplotlib.text import Text

    seen = []
    for artist in fig.findobj(Text):
        words = artist.get_text().strip()
        if words and artist.get_visible() and (artist.axes is None or artist.axes.get_visible()):
            seen.append(words)
    return seen


#: pixels per inch of a chart's PNG
PNG_DPI = 100
#: zlib level 3 instead of 6: a chart's flat colours compress as small a third faster
_PNG = {"compress_level": 3}


def _png(fig: Any, bbox: str | None) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=PNG_DPI, bbox_inches=bbox, facecolor="white",
                pil_kwargs=_PNG)  # fmt: skip
    return buf.getvalue()


def _past_the_edge(fig: Any) -> bool:
    """Whether a drawn text the constrained layout makes no room for runs past the figure's
    edge: the layout centres titles and axis labels on their axes whatever their length (a
    French title over a half-width panel can outgrow it); all else it keeps inside."""
    renderer = fig.canvas.get_renderer()
    edge = fig.bbox.padded(0.5)  # (half a pixel of rounding)
    texts = [getattr(fig, f"_sup{part}", None) for part in ("title", "xlabel", "ylabel")]
    for ax in (ax for ax in fig.get_axes() if ax.get_visible()):
        texts += [ax.title, ax.xaxis.label, ax.yaxis.label]
        texts += [ax.xaxis.offsetText, ax.yaxis.offsetText]
    for text_ in texts:
        if text_ is None or not text_.get_visible() or not text_.get_text():
            continue
        box = text_.get_window_extent(renderer)
        if box.x0 < edge.x0 or box.x1 > edge.x1 or box.y0 < edge.y0 or box.y1 > edge.y1:
            return True
    return False


def rendered(chart: Any) -> tuple[bytes, dict[str, Any]]:
    """A chart as :func:`show` displays it: its PNG and the image's metadata (``alt``: its
    title, ``texts``: :func:`figure_texts`); the figure is closed."""
    # pyplot where a chart is drawn, as in planner.plots: importing it picks the backend
    import matplotlib.pyplot as plt

    fig = figure_of(chart)
    fig.set_dpi(PNG_DPI)
    engine = fig.get_layout_engine()
    if engine is not None:
        # the layout (the charts' constrained one) solved once, then the figure drawn once at
        # its size: the layout keeps the legends, tick labels and colour bars inside it (a
        # tight bounding box would draw every chart twice to find what the layout ensured)
        engine.execute(fig)
        fig.set_layout_engine(None)  # no engine at all: savefig draws once
    png = _png(fig, "tight" if engine is None else None)  # (no layout: cut to what it draws)
    if engine is not None and _past_the_edge(fig):
        png = _png(fig, "tight")  # drawn again, cut to what it draws: nothing is cut off
    plt.close(fig)
    return png, {"alt": figure_title(fig), "texts": figure_texts(fig)}


def show(chart: Any) -> None:
    """Display a chart once (as PNG, its title as alt text) and close its figure.

    ``chart`` is what a :mod:`planner.plots` function returns: the Axes it drew on (or an
    array of them), or a Figure. The PNG is rendered here (:func:`rendered`), so charts
    appear whatever matplotlib backend the kernel uses; the image's metadata keeps the
    chart's text (:func:`figure_texts`) beside its alt text.
    """
    png, meta = rendered(chart)
    display(Image(data=png, format="png"), metadata={"image/png": meta})


def table(
    frame: pd.DataFrame,
    currency: str = "",
    *,
    money: Iterable[str] = (),
    max_rows: int = 40,
    empty: str | None = None,
    name: str = "",
) -> Any:
    """A readable table for a notebook: money with its currency, percentages, no index.

    ``*_cents`` columns (exact cents) and the ``money`` columns (floats in currency units) are
    shown as amounts, ``p_*``/``*_pct``/``share*`` as percentages, dates as
    :func:`planner.text.date` (never wrapped); the headers are written in words. Returns a
    pandas Styler, or Markdown ``empty`` when there is nothing to show. ``name``: the
    artifact table shown (``expiry_schedule``), for the headers its columns have there.
    """
    if frame is None or len(frame) == 0:
        return Markdown(f"*{empty or t('Nothing to show.')}*")
    view = frame.head(max_rows).copy()
    for col in view.columns:  # "(unknown)" marks a missing department: in words of the language
        if view[col].dtype == object or pd.api.types.is_string_dtype(view[col]):
            view[col] = view[col].replace(UNKNOWN, t(UNKNOWN))
    if isinstance(view.index, (pd.PeriodIndex, pd.DatetimeIndex)) or view.index.name:
        view = view.reset_index()
    money = tuple(money)
    fmt: dict[str, Any] = {}
    headers = {}
    nowrap: list[Hashable] = []
    for col in view.columns:
        kind = column_kind(str(col), view[col], money)
        fmt_one = cell_formatter(kind, view[col])
        if isinstance(view[col].dtype, pd.PeriodDtype):
            view[col] = view[col].dt.to_timestamp()
            fmt_one, kind = text.month, "month"
        if fmt_one is not None:
            fmt[col] = fmt_one
        if kind in ("date", "month"):
            nowrap.append(col)
        headers[col] = header(str(col), kind or "", currency or None, table=name)
    # text from the exports (names, departments) is escaped: it is shown, never run
    styler = view.style.format(fmt, na_rep=text.MISSING, escape="html").hide(axis="index")
    text_cols: list[Hashable] = [c for c in view.columns if c not in fmt]
    if text_cols:  # words read best left-aligned, numbers right-aligned
        styler = styler.set_properties(subset=text_cols, **{"text-align": "left"})
    if nowrap:  # a date is one unit: "21 Apr 2027", never "21 Apr / 2027"
        styler = styler.set_properties(subset=nowrap, **{"white-space": "nowrap"})
    styler = styler.relabel_index([html.escape(headers[c]) for c in view.columns], axis=1)
    if len(frame) > max_rows:
        styler = styler.set_caption(
            t("First {shown} of {total} rows", shown=text.number(max_rows),
              total=text.number(len(frame)))
        )  # fmt: skip
    return styler


def files_view(files: pd.DataFrame) -> pd.DataFrame:
    """The per-file table of :func:`planner.analysis.data_quality` with file names, not paths."""
    out = files.copy()
    out["path"] = out["path"].map(lambda p: Path(str(p)).name if pd.notna(p) else p)
    for col in ("period_start", "period_end"):  # days, written as every report writes a day
        if col in out.columns:
            out[col] = pd.to_datetime(out[col], errors="coerce")
    return out.rename(columns={"path": "file"})


def monthly_table(monthly: pd.DataFrame) -> pd.DataFrame:
    """:func:`planner.analysis.monthly_summary` with ``month`` as a first-day date column."""
    out = monthly.reset_index()
    out["month"] = out["month"].dt.to_timestamp()
    return out
