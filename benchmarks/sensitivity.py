"""How the sample tenant's recommendation moves with each setting (the README's table).

One setting varied at a time around the defaults (99% service level, 5% holding rate,
overhead 10 per invoice, 1-day lead), same scenarios (seed 42), no balance file. Theory:
a higher service level or a longer lead time raises the trigger; a higher overhead raises
the recharge amount (fewer invoices), a higher holding rate lowers it (EOQ
``sqrt(2 x overhead x yearly demand / holding rate)``), capped by what a year can use.

Run: ``.venv/bin/python benchmarks/sensitivity.py``
"""

from __future__ import annotations

import time

from planner.demand.actual import actual_demand
from planner.ingest import read_exports
from planner.plan import PlanOptions, plan
from planner.sample import sample_dir

VARIATIONS = (
    ("service level", "service_level", (0.95, 0.99, 0.999)),
    ("holding rate", "holding_rate", (0.02, 0.05, 0.15)),
    ("overhead per invoice", "recharge_overhead", (0.0, 10.0, 50.0)),
    ("lead days", "lead_days", (0, 1, 3)),
)


def main() -> None:
    records = read_exports([sample_dir() / "exports"]).records
    history, currency = actual_demand(records).series()
    print(f"sample tenant: {len(history)} days, mean {history.mean():.2f} {currency}/day\n")
    print(
        "| setting | value | first purchase | recharge amount | trigger | p_stockout | "
        "recharges/month | forfeited | cost |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    t0 = time.perf_counter()
    for label, field, values in VARIATIONS:
        for value in values:
            rec = plan(history, currency, options=PlanOptions(**{field: value}))
            p, m = rec.policy, rec.metrics
            print(
                f"| {label} | {value:g} | {p.initial:,.0f} | {p.recharge_amount:,.0f} | "
                f"{p.threshold:,.0f} | {100 * m['p_stockout']:.2f}% | "
                f"{m['recharges_per_month']:.2f} | {m['expected_forfeited']:,.2f} | "
                f"{rec.cost:,.2f} |",
                flush=True,
            )
    print(
        f"\n{sum(len(v) for *_, v in VARIATIONS)} recommendations in "
        f"{time.perf_counter() - t0:.0f} s (wall, shared machine)"
    )


if __name__ == "__main__":
    main()
