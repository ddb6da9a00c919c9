"""Backtest of the recommendation on synthetic tenants with known demand processes.

For each tenant of :data:`planner.backtest.TENANTS` (levels from under 2 to 600 a day,
trend, weekly and month-end rhythm, idle days, heavy-tailed spikes, bounded bursts of 2 to 6
normal days for 1 to 3 days with month-end peaks of 2.2 to 2.6, growing tenants with overhead
50 and holding rate 0): one year of history is drawn, ``planner.plan.PlanRequest`` recommends
from it, and the policy is replayed on fresh futures of the true process. Prints the table
of the first histories, realised beside promised per kind, the pooled checks and the check
lines (realised year-one stock-out at most three times the accepted risk; two-year cost
within 1.3x of the best policy of a dense grid evaluated on the same true futures), then the
sample tenant: fit on all but the last 90 days, replay them.

Run: ``.venv/bin/python benchmarks/backtest.py [--quick] [--histories 3] [--service-level 0.99]
[--lead-days 1] [--tenants bursts] [--wander 1] [--bursts 1] [--noise 1] [--history-days 365]
[--csv out.csv]``;
``--year-readings 40`` prints only what a year of each tenant's history tells the plan
(``planner.backtest_readings.year_readings``), in seconds.
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from planner.backtest import (
    TENANTS,
    backtest_history,
    kinds_table,
    pooled_checks,
    synthetic_table,
    vary_world,
)
from planner.backtest_readings import year_reading_summary, year_readings
from planner.demand.actual import actual_demand
from planner.ingest import read_exports
from planner.sample import sample_dir
from planner.text.console import backtest_checks, backtest_table


def _pct(p: float) -> str:
    return f"{100 * p:.2f}%" if p == p else "-"


def print_kinds(table) -> None:
    kinds = kinds_table(table)
    print(
        "| kind | histories | promised | realised (mean) | realised (max) | safer alternative "
        "named | its realised | cost ratio mean | max |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in kinds.itertuples():
        name = r.tenant + (" (bursts a year cannot show)" if r.unseen_bursts else "")
        print(
            f"| {name} | {r.histories} | {_pct(r.promised_p)} | {_pct(r.realised_p)} | "
            f"{_pct(r.realised_p_max)} | {r.named_safer} of {r.histories} | "
            f"{_pct(r.safer_realised_p)} | {r.cost_ratio_mean:.2f} | {r.cost_ratio_max:.2f} |"
        )


def print_pooled(table, max_p: float) -> None:
    c = pooled_checks(table, max_p=max_p)
    ratio = c["pooled_realised"] / c["pooled_promised"] if c["pooled_promised"] else float("nan")
    print(
        f"\nkinds whose year shows their bursts: mean realised at most {_pct(max_p)} on "
        f"{c['kinds_held']} of {c['kinds']} kinds (broken: {', '.join(c['kinds_broken']) or 'none'}"
        f"), on {c['histories_held']} of {c['histories']} histories; pooled realised "
        f"{_pct(c['pooled_realised'])} against a pooled promise of {_pct(c['pooled_promised'])} "
        f"(ratio {ratio:.2f}, at least 0.25 asked)"
    )
    if c["unseen_histories"]:
        print(
            f"kind whose year cannot show its bursts: safer alternative named on "
            f"{c['unseen_named']} of {c['unseen_histories']} histories, realised "
            f"{_pct(c['unseen_safer_realised'])} (the recommendation itself: "
            f"{_pct(c['unseen_realised'])})"
        )
    print(
        f"cost within 1.3x of the grid's best on {c['cost_near']} of {c['cost_n']} histories "
        f"({100 * c['cost_near'] / c['cost_n']:.0f}%, at least 90% asked)"
    )


def print_year_readings(table: pd.DataFrame) -> None:
    summary = year_reading_summary(table)
    print(
        "| kind | histories | tail shape, plan's prior (10/50/90%) | flat prior (10/50/90%) | "
        "bursts a Pareto fits | year in the middle half | middle 90% | below 5% | above 95% |"
    )
    print("|---|---:|---|---|---:|---:|---:|---:|---:|")
    for r in summary.itertuples():
        print(
            f"| {r.tenant} | {r.histories} | {r.shape_p10:.2f} / {r.shape_p50:.2f} / "
            f"{r.shape_p90:.2f} | {r.shape_flat_p10:.2f} / {r.shape_flat_p50:.2f} / "
            f"{r.shape_flat_p90:.2f} | {r.runs_fitted_share:.0%} | {r.mean_middle_half:.0%} | "
            f"{r.mean_middle_90:.0%} | {r.mean_below_5:.1%} | {r.mean_above_95:.1%} |"
        )
    print(
        "\nThe largest day and the largest two days in a row of the year that happened, among "
        "the scenarios':\n\n| kind | largest day: middle half | middle 90% | below 5% | "
        "above 95% | two days: middle half | middle 90% | below 5% | above 95% |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in summary.to_dict("records"):
        cells = [
            f"{r[f'{k}_{c}']:.0%}" if c.startswith("middle") else f"{r[f'{k}_{c}']:.1%}"
            for k in ("largest_day", "largest_two_days")
            for c in ("middle_half", "middle_90", "below_5", "above_95")
        ]
        print(f"| {r['tenant']} | " + " | ".join(cells) + " |")
    print(
        "\nThe one-in-a-hundred year the scenarios fear over the one the process makes (their "
        "99% points; above 1: the plan over-insures), 10/50/90% over the histories:\n\n"
        "| kind | largest day | largest two days | mean daily spend |"
    )
    print("|---|---|---|---|")
    for r in summary.to_dict("records"):
        cells = [
            " / ".join(f"{r[f'{k}_point_ratio_{p}']:.2f}" for p in ("p10", "p50", "p90"))
            for k in ("largest_day", "largest_two_days", "mean")
        ]
        print(f"| {r['tenant']} | " + " | ".join(cells) + " |")


def print_tables(table: pd.DataFrame, max_p: float) -> None:
    print(backtest_table(table[table["history"] == 0]))
    print("\nRealised beside promised, per kind, over every history:\n")
    print_kinds(table)
    print_pooled(table, max_p)
    first, *more = backtest_checks(table, max_p=max_p)
    print("check: " + first)
    for line in more:
        print("       " + line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="500 scenarios, 300 futures, 12x12")
    parser.add_argument("--scenarios", type=int, default=2000)
    parser.add_argument("--true-paths", type=int, default=1000)
    parser.add_argument("--grid", type=int, default=30, help="grid side: grid^2 policies")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--histories", type=int, default=3, help="histories per tenant")
    parser.add_argument("--service-level", type=float, default=0.99)
    parser.add_argument("--lead-days", type=int, default=1)
    parser.add_argument("--tenants", default="", help="only tenants whose name contains this")
    parser.add_argument("--wander", type=float, default=1.0, help="scale the level's wander")
    parser.add_argument("--bursts", type=float, default=1.0, help="scale burst frequencies")
    parser.add_argument("--noise", type=float, default=1.0, help="scale day-to-day noise")
    parser.add_argument(
        "--history-days",
        type=int,
        default=365,
        help="days of history the plan reads (a tenant with a few months of exports: 90)",
    )
    parser.add_argument("--csv", help="write every history's row to this file")
    parser.add_argument(
        "--part",
        default="0/1",
        help="K/N: only the tenants whose index is K modulo N (the "
        "same histories as in a whole run; merge the parts' --csv files with --from-csv)",
    )
    parser.add_argument("--from-csv", nargs="+", help="print the tables of saved runs instead")
    parser.add_argument("--no-sample", action="store_true", help="skip the sample tenant")
    parser.add_argument(
        "--year-readings",
        type=int,
        metavar="N",
        help="only print what N histories per tenant tell the plan (tail shape, bursts a "
        "Pareto fits, where the year that happened falls among the scenarios)",
    )
    args = parser.parse_args()
    if args.year_readings:
        t0 = time.process_time()
        world = vary_world(TENANTS, wander=args.wander, bursts=args.bursts, noise=args.noise)
        chosen = [(i, t) for i, t in enumerate(world) if args.tenants in t.name]
        # tenant i gets seed + i, as in a whole run: the first histories are the backtest's
        readings = pd.concat(
            [
                year_readings((t,), seed=args.seed + i, histories=args.year_readings)
                for i, t in chosen
            ],
            ignore_index=True,
        )
        print_year_readings(readings)
        print(
            f"\n{len(chosen)} tenants x {args.year_readings} histories: "
            f"{time.process_time() - t0:.0f} s CPU"
        )
        return
    if args.quick:
        args.scenarios, args.true_paths, args.grid = 500, 300, 12
    max_p = 3 * (1 - args.service_level)
    if args.from_csv:
        table = pd.concat([pd.read_csv(f) for f in args.from_csv], ignore_index=True)
        table["safer"] = table["safer"].astype(object).where(table["safer"].notna(), None)
        order = {t.name: i for i, t in enumerate(TENANTS)}
        table = table.assign(_order=table["tenant"].map(order))
        table = table.sort_values(["_order", "history"], kind="stable").drop(columns="_order")
        print_tables(table, max_p)
        return
    k, n = (int(x) for x in args.part.split("/"))
    world = vary_world(TENANTS, wander=args.wander, bursts=args.bursts, noise=args.noise)
    chosen = [(i, t) for i, t in enumerate(world) if args.tenants in t.name and i % n == k]
    t0, c0 = time.perf_counter(), time.process_time()
    table = pd.concat(
        [
            synthetic_table(
                (t,),
                seed=args.seed + i,
                n_scenarios=args.scenarios,
                n_true=args.true_paths,
                grid_side=args.grid,
                histories=args.histories,
                service_level=args.service_level,
                lead_days=args.lead_days,
                history_days=args.history_days,
            )
            for i, t in chosen
        ],
        ignore_index=True,
    )
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    if args.csv:
        table.to_csv(args.csv, index=False)
    print_tables(table, max_p)
    print(
        f"\n{len(chosen)} tenants x {args.histories} histories at {args.service_level:.0%}, "
        f"lead {args.lead_days} day(s); {args.scenarios} scenarios to recommend, "
        f"{args.true_paths} true futures, {args.grid}x{args.grid} grid; world: wander x"
        f"{args.wander:g}, bursts x{args.bursts:g}, noise x{args.noise:g}, "
        f"{args.history_days} days of history: {wall:.0f} s wall, "
        f"{cpu:.0f} s CPU"
    )
    if args.no_sample:
        return
    root = sample_dir()
    records = read_exports([root / "exports"]).records
    history, currency = actual_demand(records).series()
    out = backtest_history(history, currency, fit_days=len(history) - 90)
    print(
        f"\nsample tenant: fitted on {out['fit']}, replayed {out['replay']}: recommended "
        f"{out['initial']:,.0f} / {out['recharge_amount']:,.0f} below {out['threshold']:,.0f}; "
        f"promised p {100 * out['promised_p']:.1f}%, happened {out['stockout_days']} stock-out "
        f"day(s); {out['purchases']} purchase(s), cost {out['cost']:,.2f} {currency}"
    )


if __name__ == "__main__":
    main()
