"""Calibration of the monthly spend forecast on synthetic tenants with known processes.

    .venv/bin/python benchmarks/forecast.py [--seeds 5] [--scenarios 2000] [--true 200]

For each tenant of :data:`planner.backtest.TENANTS` and each seed: a year of history is drawn,
the plan's scenarios are made from it, the next 12 calendar months are forecast, and fresh
futures of the true process are compared with each month's 90% and 99% upper bounds. Prints
a Markdown table and the check: realised months under their 90% bound in 80% to 97% of
tenant-months, under their 99% bound in at least 97%.
"""

from __future__ import annotations

import argparse
import time

from planner.billing.calibration import COVERAGE_90, COVERAGE_99, calibration_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="histories per tenant")
    parser.add_argument("--scenarios", type=int, default=2000)
    parser.add_argument("--true", type=int, default=200, help="true futures per history")
    args = parser.parse_args()
    began = time.perf_counter()
    table = calibration_table(seeds=args.seeds, n_scenarios=args.scenarios, n_true=args.true)
    print(f"{args.seeds} histories per tenant, {args.scenarios} scenarios, {args.true} true "
          "futures per history, 12 months each\n")  # fmt: skip
    print("| tenant | tenant-months | under 90% bound | worst history | under 99% bound | "
          "expected year vs true |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|")
    for row in table.itertuples(index=False):
        print(f"| {row.tenant} | {row.months:,} | {row.under_90:.1%} | "
              f"{row.worst_history_90:.1%} | {row.under_99:.1%} | {row.expected_error:+.1%} |")  # fmt: skip
    overall = table.iloc[-1]
    ok90 = COVERAGE_90[0] <= overall["under_90"] <= COVERAGE_90[1]
    ok99 = overall["under_99"] >= COVERAGE_99
    print(f"\n90% bound held in {overall['under_90']:.1%} of tenant-months "
          f"(want {COVERAGE_90[0]:.0%} to {COVERAGE_90[1]:.0%}): {'ok' if ok90 else 'FAILED'}")  # fmt: skip
    print(f"99% bound held in {overall['under_99']:.1%} of tenant-months "
          f"(want at least {COVERAGE_99:.0%}): {'ok' if ok99 else 'FAILED'}")  # fmt: skip
    print(f"\n{time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
