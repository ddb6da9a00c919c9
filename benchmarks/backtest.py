"""Backtest of the recommendation on synthetic tenants with known demand processes.

For each tenant of :data:`planner.backtest.TENANTS` (levels from under 2 to 500 a day,
trend, weekly and month-end rhythm, idle days, multi-day spikes, one with overhead 50 and
holding rate 0): one year of history is drawn, ``planner.plan.PlanRequest`` recommends from it
at 99% service level with a 1-day lead time, and the policy is replayed on fresh futures of
the true process. Prints the table (Markdown, as in the README) and checks the two
promises: realised stock-out probability over the first year at most 3%, two-year cost
within 1.3x of the best policy of a dense grid evaluated on the same true futures. Then the
sample tenant: fit on all but the last 90 days, replay them.

Run: ``.venv/bin/python benchmarks/backtest.py [--true-paths 1000] [--grid 30] [--scenarios 2000]``
"""

from __future__ import annotations

import argparse
import time

from planner.backtest import backtest_history, summarise, synthetic_table
from planner.demand.actual import actual_demand
from planner.ingest import read_exports
from planner.sample import sample_dir
from planner.text.console import backtest_checks, backtest_summary_table, backtest_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=2000)
    parser.add_argument("--true-paths", type=int, default=1000)
    parser.add_argument("--grid", type=int, default=30, help="grid side: grid^2 policies")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--histories", type=int, default=3, help="histories per tenant")
    args = parser.parse_args()

    t0, c0 = time.perf_counter(), time.process_time()
    table = synthetic_table(
        seed=args.seed,
        n_scenarios=args.scenarios,
        n_true=args.true_paths,
        grid_side=args.grid,
        histories=args.histories,
    )
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(backtest_table(table[table["history"] == 0]))
    print("\nOver every history:\n")
    print(backtest_summary_table(summarise(table)))
    print(
        f"\n{len(table) // args.histories} tenants x {args.histories} histories, "
        f"{args.scenarios} scenarios to recommend, {args.true_paths} true futures, "
        f"{args.grid}x{args.grid} grid: {wall:.0f} s wall, {cpu:.0f} s CPU"
    )
    first, *more = backtest_checks(table)
    print("check: " + first)
    for line in more:
        print("       " + line)

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
