"""CPU of the report's charts: every chart both notebooks draw on the sample tenant, drawn and
rendered as ``report.show`` renders it, against the former way measured in the same run.

For each chart, as ``notebooks/funding_plan.py`` and ``notebooks/usage_analysis.py`` draw it
(the plan of :func:`planner.report.artifacts.sample_parameters`, the usage analysis of the
sample tenant), ``--repeat`` times, in alternation:

- ``draw``: the :mod:`planner.plots` call (the figure and its artists);
- ``render``: :func:`planner.report.views.rendered`, what ``report.show`` displays (the PNG and
  the texts kept in its metadata);
- ``before``: the chart drawn again and rendered as ``report.show`` used to (``savefig`` with
  ``bbox_inches="tight"`` on the constrained layout, every ``Text`` of the figure collected
  with ``findobj``); the texts kept must be the same.

``--baseline CHECKOUT`` compares with another version's whole code instead (its charts and
its rendering; ``git archive REF planner | tar -x -C CHECKOUT``): each side runs in its own
process (the other's ``planner`` first on ``PYTHONPATH``), the sides alternated ``--rounds``
times.

Printed: the median CPU milliseconds (this process's user + system time) per chart, the totals
and the ratio of now (draw + render) to before. CPU time moves much less than wall time with
the others' load on a shared machine; the load average is printed. The analysis behind the
minute-pool chart (:func:`planner.analysis.pool_usage`, the largest cell of the usage
notebook) is timed on its own line. ``--save DIR`` writes each chart's PNG, now and before.

Run: ``.venv/bin/python benchmarks/charts.py [--repeat 5] [--lang fr] [--save DIR]
[--baseline CHECKOUT [--rounds 2]]``
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

from planner import analysis, engine, plots, report, text  # noqa: E402
from planner.billing import forecast_chart  # noqa: E402
from planner.ingest import read_exports  # noqa: E402
from planner.inputs import read_licences, read_user_licences  # noqa: E402
from planner.plan import PlanRequest  # noqa: E402
from planner.report import views  # noqa: E402
from planner.report.artifacts import sample_parameters  # noqa: E402
from planner.report.views import figure_of, figure_title  # noqa: E402

Chart = Callable[[], Any]


def funding_charts(alert_days: int = 14) -> dict[str, Chart]:
    """The funding plan's charts, on the plan of the sample tenant (as the notebook draws
    them)."""
    plan = PlanRequest.from_params(sample_parameters()).run()
    rec, history, currency = plan.recommendation, plan.history, plan.currency
    sc, lots = rec.scenarios, rec.lots
    sim = engine.paths(sc.paths, sc.start, rec.policy, lots=lots)
    current = report.current_as_evaluated(rec)
    sim_current = engine.paths(sc.paths, sc.start, current, lots=lots) if current else None
    runway = report.runway_distribution(sc, lots)
    expiry = analysis.lot_forfeiture(lots, sc.paths, sc.start)
    return {
        "demand_history": lambda: plots.demand_history(history, currency),
        "fan_chart": lambda: plots.fan_chart(sc.paths, sc.start, currency, history=history),
        "forecast_chart": lambda: forecast_chart(plan.forecast),
        "balance_trajectories": lambda: plots.balance_trajectories(
            sim,
            sc.start,
            currency,
            threshold=rec.policy.threshold,
            compare=sim_current,
            compare_threshold=current.threshold if current else None,
        ),  # fmt: skip
        "risk": lambda: plots.risk(sim, currency, sc.start),
        "frontier": lambda: plots.frontier(
            rec.frontier, currency, alternatives=rec.alternatives, service_level=rec.service_level
        ),
        "runway": lambda: plots.runway(runway, alert_days, sc.horizon_days),
        "expiry_schedule": lambda: plots.expiry_schedule(expiry, currency),
    }


def usage_inputs() -> dict[str, Any]:
    """The sample tenant's records and inputs as the usage notebook reads them."""
    inputs = report.resolve_inputs(None)
    ingest = read_exports(inputs.exports)
    currency = analysis.credit_currency(ingest.records, default="USD").upper()
    user_lic = read_user_licences(inputs.user_licences) if inputs.user_licences else None
    return {
        "inputs": inputs,
        "records": analysis.in_currency(ingest.records, currency),
        "currency": currency,
        "user_lic": user_lic,
        "licences": read_licences(inputs.licences),
    }


def pool_table(use: dict[str, Any]) -> Any:
    return analysis.pool_usage(use["records"], use["licences"], use["user_lic"])


def usage_charts(use: dict[str, Any], top_n: int = 10, month_end_days: int = 5) -> dict[str, Chart]:
    """The usage analysis' charts, on the sample tenant (as the notebook draws them)."""
    records, currency, deps = use["records"], use["currency"], use["inputs"].departments
    monthly = analysis.monthly_summary(records, use["user_lic"])
    daily = analysis.daily_credit_spend(records)
    by_day = analysis.spend_by_day_of_month(daily)
    users, departments = analysis.by_user(records, deps), analysis.by_department(records, deps)
    destinations, types = analysis.by_destination(records), analysis.by_call_type(records)
    hours, toll_free = analysis.hour_weekday(records, None), analysis.toll_free_usage(records)
    pools = pool_table(use)
    return {
        "monthly_usage": lambda: plots.monthly_usage(monthly, currency),
        "daily_spend": lambda: plots.daily_spend(daily, currency, month_end_days),
        "day_of_month": lambda: plots.day_of_month(by_day, currency, month_end_days),
        "top_users": lambda: plots.top_users(users, currency, top_n),
        "top_departments": lambda: plots.top_departments(departments, currency, top_n),
        "top_destinations": lambda: plots.top_destinations(destinations, currency, top_n),
        "call_types": lambda: plots.call_types(types, currency),
        "hour_weekday": lambda: plots.hour_weekday_heatmap(hours, "Calls", None),
        "toll_free": lambda: plots.toll_free(toll_free, currency),
        "pool_usage": lambda: plots.pool_usage(pools),
    }


def rendered_before(chart: Any) -> tuple[bytes, dict[str, Any]]:
    """A chart as ``report.show`` rendered it before: a tight bounding box (the figure drawn
    once more, its constrained layout solved again), every Text found with ``findobj``."""
    import matplotlib.pyplot as plt
    from matplotlib.text import Text

    fig = figure_of(chart)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight", facecolor="white")
    plt.close(fig)
    texts = []
    for artist in fig.findobj(Text):
        words = artist.get_text().strip()
        if words and artist.get_visible() and (artist.axes is None or artist.axes.get_visible()):
            texts.append(words)
    return buf.getvalue(), {"alt": figure_title(fig), "texts": texts}


def cpu_ms(step: Callable[[], Any]) -> tuple[float, Any]:
    began = time.process_time()
    out = step()
    return (time.process_time() - began) * 1000, out


def render_now(chart: Any) -> tuple[bytes, dict[str, Any]]:
    """``report.show``'s rendering in the code imported (the former one in a checkout that
    predates :func:`planner.report.views.rendered`)."""
    return getattr(views, "rendered", rendered_before)(chart)


def measure(
    name: str, chart: Chart, repeat: int, save: Path | None, before: bool = True
) -> dict[str, float]:
    """Median CPU ms of drawing ``chart`` and rendering it now, and (``before``) of drawing it
    and rendering it as before, in alternation; the texts kept now must be those kept before."""
    runs: dict[str, list[float]] = {"draw": [], "render": [], "before": []}
    for i in range(repeat):
        now_first = i % 2 == 0  # half the runs each way: neither pays the other's warm-up
        if before and not now_first:
            old, (old_png, old_meta) = cpu_ms(lambda: rendered_before(chart()))  # noqa: B023
        draw, drawn = cpu_ms(chart)
        render, (png, meta) = cpu_ms(lambda: render_now(drawn))  # noqa: B023
        runs["draw"].append(draw)
        runs["render"].append(render)
        if not before:
            continue
        if now_first:
            old, (old_png, old_meta) = cpu_ms(lambda: rendered_before(chart()))  # noqa: B023
        if meta != old_meta:
            raise SystemExit(f"{name}: the chart's texts changed: {meta} != {old_meta}")
        runs["before"].append(old)
        if save is not None and i == 0:
            (save / f"{name}.png").write_bytes(png)
            (save / f"{name}.before.png").write_bytes(old_png)
    return {key: statistics.median(ms) if ms else 0.0 for key, ms in runs.items()}


def measure_all(
    lang: str, repeat: int, save: Path | None, before: bool = True
) -> dict[str, dict[str, float]]:
    """:func:`measure` of every chart, and the minute-pool analysis (``pool_table``)."""
    text.set_language(lang)
    use = usage_inputs()
    charts = {**funding_charts(), **usage_charts(use)}
    pool_ms = statistics.median(cpu_ms(lambda: pool_table(use))[0] for _ in range(repeat))
    out = {name: measure(name, chart, repeat, save, before) for name, chart in charts.items()}
    return {**out, "pool_table": {"draw": pool_ms, "render": 0.0, "before": pool_ms}}


def against_checkout(args: argparse.Namespace) -> dict[str, dict[str, float]]:
    """Every chart's CPU ms now (``before``: in the checkout ``args.baseline``), each side in
    its own process, the sides alternated ``args.rounds`` times; medians of the rounds."""
    sides: dict[str, list[dict[str, dict[str, float]]]] = {"now": [], "base": []}
    for i in range(2 * args.rounds):
        side = "now" if i % 2 == 0 else "base"
        env = dict(os.environ)
        if side == "base":
            env["PYTHONPATH"] = str(args.baseline.resolve())
        argv = [
            sys.executable,
            __file__,
            "--json",
            "--lang",
            args.lang,
            "--repeat",
            str(args.repeat),
        ]
        done = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
        sides[side].append(json.loads(done.stdout.splitlines()[-1]))
    out = {}
    for name in sides["now"][0]:
        now = [run[name] for run in sides["now"]]
        base = [run[name] for run in sides["base"]]
        out[name] = {
            "draw": statistics.median(r["draw"] for r in now),
            "render": statistics.median(r["render"] for r in now),
            "before": statistics.median(r["draw"] + r["render"] for r in base),
        }
    return out


def print_table(ms: dict[str, dict[str, float]], before: str) -> None:
    print(f"| chart | draw | render | now | {before} | now/before |\n|---|{'---:|' * 5}")
    pool = ms.pop("pool_table")
    total = {"draw": 0.0, "render": 0.0, "before": 0.0}
    for name, one in ms.items():
        now = one["draw"] + one["render"]
        print(f"| {name} | {one['draw']:.0f} | {one['render']:.0f} | {now:.0f} | "
              f"{one['before']:.0f} | {now / one['before']:.2f} |")  # fmt: skip
        for key in total:
            total[key] += one[key]
    now = total["draw"] + total["render"]
    print(f"| **{len(ms)} charts** | {total['draw']:.0f} | {total['render']:.0f} | {now:.0f} | "
          f"{total['before']:.0f} | {now / total['before']:.2f} |")  # fmt: skip
    print(
        f"\nanalysis.pool_usage (the minute-pool chart's table): {pool['draw']:.0f} ms, "
        f"before {pool['before']:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="times each chart is drawn")
    parser.add_argument("--lang", default="en", help="language of the charts (en, fr)")
    parser.add_argument("--save", type=Path, help="folder for each chart's PNG, now and before")
    parser.add_argument("--baseline", type=Path, help="a checkout to compare with (its planner)")
    parser.add_argument("--rounds", type=int, default=2, help="with --baseline: runs per side")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.save is not None:
        args.save.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()[0]
    if args.json:
        print(json.dumps(measure_all(args.lang, args.repeat, None, before=False)))
        return
    if args.baseline is not None:
        ms, before = against_checkout(args), "baseline"
    else:
        ms, before = measure_all(args.lang, args.repeat, args.save), "before"
    print(f"load average {load:.2f} to {os.getloadavg()[0]:.2f}; median CPU ms\n")
    print_table(ms, before)


if __name__ == "__main__":
    main()
