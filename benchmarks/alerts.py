"""Alerts benchmark: detection delay of injected fraud, false alerts on the clean sample,
run time on the sample and scaling to a million records.

    .venv/bin/python benchmarks/alerts.py [--seeds 10] [--scale 1000000] [--quick]

Prints Markdown tables (the README's). Detection delay judges each day only on the data up to
its end: 0 means a high alert naming the injected user and country on the fraud's first UTC
day, 1 on the second. Times are wall-clock on a shared machine: compare the ratios, measured
in the same run, rather than the absolute figures.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd

from planner.alerts import call_features, detect_alerts, detect_all
from planner.alerts.inject import PATTERNS, detection_delay, inject, names_truth
from planner.ingest import read_exports
from planner.sample import generate_sample, sample_dir


def clean_sample(records: pd.DataFrame) -> None:
    first = records["start"].min().date()
    result = detect_alerts(records, since=first)
    months = (result.last_day - result.first_day).days / 30.44
    print("## False alerts on the clean sample tenant\n")
    print(f"{len(records):,} records, {result.first_day} to {result.last_day} "
          f"({months:.1f} months), `planner alerts --since {first}`\n")  # fmt: skip
    print("| severity | alerts | per month |\n|---|---:|---:|")
    for s in ("high", "medium", "low"):
        print(f"| {s} | {result.count(s)} | {result.count(s) / months:.2f} |")
    print()


def other_tenants(seeds: int) -> None:
    print("False alerts on other tenants from the same generator (`generate_sample(seed)`), "
          "whole history:\n")  # fmt: skip
    print("| seed | high | medium | low |\n|---:|---:|---:|---:|")
    for seed in range(1, seeds + 1):
        records = generate_sample(seed).records
        r = detect_alerts(records, since=records["start"].min().date())
        print(f"| {seed} | {r.count('high')} | {r.count('medium')} | {r.count('low')} |")
    print()


def delays(records: pd.DataFrame, seeds: int) -> None:
    print("## Detection delay of injected fraud\n")
    print(f"{seeds} injections per pattern (user, destination, day and intensity drawn per "
          "seed); delay in days until a high alert names the injected user and country.\n")  # fmt: skip
    print("| pattern | high on day 1 | on day 2 | later or missed | injected spend (median, "
          "min) | other high alerts on the same copy |")  # fmt: skip
    print("|---|---:|---:|---:|---|---:|")
    for pattern in PATTERNS:
        found = {0: 0, 1: 0, None: 0}
        spend, others = [], 0
        for seed in range(seeds):
            both, truth = inject(records, pattern, np.random.default_rng(1000 + seed))
            calls = call_features(both)
            delay = detection_delay(calls, truth, max_days=2)
            found[delay] += 1
            spend.append(truth.cents / 100)
            whole = detect_all(calls)
            others += sum(a.severity == "high" and not names_truth(a, truth) and
                          truth.usage_ids.isdisjoint(a.usage_ids) for a in whole)  # fmt: skip
        print(f"| {pattern} | {found[0]} | {found[1]} | {found[None]} | "
              f"{statistics.median(spend):.2f}, {min(spend):.2f} | {others} |")  # fmt: skip
    print()


def replicate(records: pd.DataFrame, copies: int) -> pd.DataFrame:
    """``copies`` tenants' worth of records: the sample's users and calls repeated under new
    names (ids made unique), the same period."""
    parts = []
    for k in range(copies):
        part = records.copy()
        suffix = f"-{k}"
        part["upn"] = part["upn"] + suffix
        part["usage_id"] = part["usage_id"] + suffix
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def timing(records: pd.DataFrame, scale: int) -> None:
    print("## Run time\n")
    t0 = time.perf_counter()
    again = read_exports([sample_dir() / "exports"]).records
    t1 = time.perf_counter()
    detect_alerts(again, since=again["start"].min().date())
    t2 = time.perf_counter()
    print(f"Sample tenant ({len(again):,} records): read {t1 - t0:.2f} s + detect "
          f"{t2 - t1:.2f} s = {t2 - t0:.2f} s (the whole `planner alerts` work).\n")  # fmt: skip
    print("| records | detect (s) | µs per record | ratio to the 100k run |\n|---:|---:|---:|---:|")
    base = None
    for target in (100_000, scale):
        copies = max(1, -(-target // len(records)))
        big = replicate(records, copies)
        start = time.perf_counter()
        detect_alerts(big)
        seconds = time.perf_counter() - start
        per = seconds / len(big) * 1e6
        base = base or per
        print(f"| {len(big):,} | {seconds:.1f} | {per:.1f} | {per / base:.2f} |")
        del big
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="injections per pattern (10)")
    parser.add_argument("--scale", type=int, default=1_000_000, help="largest run (1,000,000)")
    parser.add_argument("--quick", action="store_true", help="3 seeds, 300k records")
    args = parser.parse_args()
    if args.quick:
        args.seeds, args.scale = 3, 300_000
    records = read_exports([sample_dir() / "exports"]).records
    clean_sample(records)
    other_tenants(3 if args.quick else 5)
    delays(records, args.seeds)
    timing(records, args.scale)


if __name__ == "__main__":
    main()
