"""A chart as ``report.show`` renders it: drawn once, at the figure's own size, nothing cut off
(legends and labels outside the axes included), in English and in French."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg", force=True)

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from planner import engine, plots, text  # noqa: E402
from planner.analysis.records import WEEKDAYS  # noqa: E402
from planner.report import views  # noqa: E402


@pytest.fixture(params=["en", "fr"])
def lang(request):
    plt.close("all")
    text.set_language(request.param)
    yield request.param
    text.set_language("en")
    plt.close("all")


def _months(n: int) -> pd.PeriodIndex:
    return pd.period_range("2025-10", periods=n, freq="M")


def _balance() -> dict[str, np.ndarray]:
    demand = np.random.default_rng(3).gamma(2.0, 5.0, (40, 200))
    policy = engine.Policy(initial=300.0, recharge_amount=500.0, threshold=100.0)
    return engine.paths(demand, "2025-07-01", policy)


def _pools(
    pools=("Domestic FR MCOPSTN5", "Domestic US MCOPSTN1", "Conference dial-out (Zone A)"),
) -> pd.DataFrame:
    rows = [(m, p) for p in pools for m in _months(13)]
    used = np.linspace(100.0, 900.0, len(rows))
    return pd.DataFrame(
        {
            "month": pd.PeriodIndex([m for m, _ in rows], freq="M"),
            "pool": [p for _, p in rows],
            "pool_minutes": 800.0,
            "used_minutes": np.minimum(used, 800.0),
            "overage_minutes": np.maximum(used - 800.0, 0.0),
            "used_share": np.minimum(used, 800.0) / 800.0,
        }
    )


def _frontier() -> tuple[pd.DataFrame, pd.DataFrame]:
    p = np.linspace(0.0, 0.05, 12)
    table = pd.DataFrame(
        {"cost": 350.0 - 600 * p, "p_stockout": p, "recharge_amount": 100.0, "threshold": 50.0}
    )
    alternatives = pd.DataFrame(
        {
            "option": ["recommended", "lower_service_level", "one_time"],
            "cost": [330.0, 320.0, 2714.0],
            "p_stockout": [0.0, 0.049, 0.013],
        }
    )
    return table, alternatives


def _toll_free() -> pd.DataFrame:
    months = _months(6)
    numbers = [f"+1 800 555 01{i:02d}" for i in range(7)]
    rows = [(m, n) for m in months for n in numbers]
    return pd.DataFrame(
        {
            "month": pd.PeriodIndex([m for m, _ in rows], freq="M"),
            "number": [n for _, n in rows],
            "minutes": np.arange(len(rows), dtype=float) * 10 + 5,
            "credit_cents": np.arange(len(rows)) * 100,
        }
    )


#: the charts that draw outside their axes: legends right of the axes or under the panels, a
#: colour bar, labels above the bars
CHARTS = {
    "balance_trajectories": lambda: plots.balance_trajectories(
        _balance(), "2025-07-01", "EUR", threshold=100.0, compare=_balance(), compare_threshold=50.0
    ),
    "frontier": lambda: plots.frontier(
        _frontier()[0], "EUR", alternatives=_frontier()[1], service_level=0.99
    ),
    "toll_free": lambda: plots.toll_free(_toll_free(), "EUR"),
    "pool_usage": lambda: plots.pool_usage(_pools()),
    "hour_weekday": lambda: plots.hour_weekday_heatmap(
        pd.DataFrame(np.arange(7 * 24).reshape(7, 24), index=pd.Index(WEEKDAYS)), "Calls"
    ),
}


def cut_off(fig) -> list[str]:
    """What of a rendered figure lies outside it: everything it draws (the box a tight
    bounding box would cut the image to), each legend, each title."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()  # (a closed figure keeps no canvas)
    inside = fig.bbox.padded(0.5)  # (half a pixel of rounding)
    out = []
    drawn = fig.get_tightbbox(renderer).transformed(fig.dpi_scale_trans)
    if not (inside.contains(drawn.x0, drawn.y0) and inside.contains(drawn.x1, drawn.y1)):
        out.append(f"the figure's content {drawn.bounds} beyond {fig.bbox.bounds}")
    parts = [*fig.legends, *(ax.get_legend() for ax in fig.axes), fig._suptitle]
    parts += [ax.title for ax in fig.axes]
    for part in parts:
        if part is None or not part.get_visible():
            continue
        box = part.get_window_extent(renderer)
        if not (inside.contains(box.x0, box.y0) and inside.contains(box.x1, box.y1)):
            out.append(f"{type(part).__name__} {box.bounds} beyond {fig.bbox.bounds}")
    return out


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_a_shown_chart_keeps_its_size_and_cuts_nothing_off(name, lang):
    chart = CHARTS[name]()
    fig = plots.figure_of(chart)
    inches = tuple(fig.get_size_inches())
    png, meta = views.rendered(chart)
    assert not plt.fignum_exists(fig.number)  # closed
    # drawn as laid out, at its size and 100 pixels an inch (no second drawing to crop it)
    size = Image.open(io.BytesIO(png)).size
    assert size == (round(inches[0] * views.PNG_DPI), round(inches[1] * views.PNG_DPI))
    assert cut_off(fig) == [], name
    assert meta["alt"] == views.figure_title(fig) and meta["texts"] == views.figure_texts(fig)


def test_the_check_sees_a_legend_cut_off():
    # the same chart drawn without its layout: the legend right of the axes leaves the figure
    fig = plots.figure_of(CHARTS["balance_trajectories"]())
    fig.set_layout_engine(None)
    views.rendered(fig)
    assert any(line.startswith("Legend") for line in cut_off(fig)), cut_off(fig)


def test_a_figure_without_a_layout_is_cut_to_what_it_draws():
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1], [0, 1], label="a line with a long name")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    png, meta = views.rendered(fig)
    width, _ = Image.open(io.BytesIO(png)).size
    assert width > 4 * views.PNG_DPI  # widened to the legend beyond the figure
    assert "a line with a long name" in meta["texts"]


def test_a_title_longer_than_its_panel_widens_the_image(lang):
    # a used-up pool's title in French outgrows a half-width panel on the right: the image
    # takes in all it draws (as wide as it must be), as when every chart was cut to its content
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    chart = plots.pool_usage(_pools(("Domestic FR MCOPSTN5", "Conference dial-out (Zone A)")))
    fig = plots.figure_of(chart)
    png, _ = views.rendered(chart)
    size = np.array(Image.open(io.BytesIO(png)).size)
    inches = fig.get_size_inches()
    if lang == "en":  # the title fits
        assert cut_off(fig) == [] and tuple(size) == tuple(np.round(inches * views.PNG_DPI))
        return
    assert cut_off(fig) != []  # beyond the figure...
    drawn = fig.get_tightbbox(FigureCanvasAgg(fig).get_renderer())
    assert size[0] > inches[0] * views.PNG_DPI  # ...but not beyond the image
    assert np.all(size >= np.array([drawn.width, drawn.height]) * views.PNG_DPI)
