"""``planner backtest``: check a recommendation against what happened, or against tenants
whose true demand process is known.

- ``planner backtest --demand demand.csv [--fit-days N]`` (or usage exports): fit on the
  first ``N`` days (default: all but the last 90), recommend, replay the rest as it happened;
  prints the promise (risk, cost) next to the outcome.
- ``planner backtest --synthetic [--quick]``: the table of :data:`planner.backtest.TENANTS`,
  each recommended from one year of history and replayed on fresh futures of its true
  process, against the best policy of a dense grid that knows the process.
"""

from __future__ import annotations

import argparse
import json

from planner.errors import InputError

HELP = "check recommendations: promised vs realised stock-outs and costs"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``planner backtest``."""
    from planner.commands.recommend import add_arguments as recommend_arguments

    recommend_arguments(parser)
    parser.add_argument(
        "--fit-days",
        metavar="DAYS",
        type=int,
        help="days of history to fit on; the rest is replayed (default: all but the last 90)",
    )
    parser.add_argument(
        "--synthetic",
        action="store_true",
        help="backtest the synthetic tenants with known demand processes instead",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="with --synthetic: fewer scenarios, futures and grid points (a rough check)",
    )


def _synthetic(args: argparse.Namespace) -> int:
    from planner.backtest import synthetic_table

    sizes = (
        {"n_scenarios": 500, "n_true": 300, "grid_side": 12}
        if args.quick
        else {"n_scenarios": 2000, "n_true": 1000, "grid_side": 30}
    )
    table = synthetic_table(
        seed=args.seed, service_level=args.service_level, lead_days=args.lead_days, **sizes
    )
    if args.json:
        print(json.dumps(table.to_dict(orient="records"), indent=2))
    else:
        print(format_table(table))
    return 0


def format_table(table) -> str:
    """The synthetic backtest as a Markdown table (as in the README)."""
    lines = [
        "| tenant | spend/day | overhead, holding | recommended (first, recharge, trigger) "
        "| promised p | realised p year 1 | 2-year cost | best grid cost | ratio |",
        "|---|---:|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in table.itertuples():
        lines.append(
            f"| {r.tenant} | {r.mean_daily:,.2f} | {r.overhead:g}, {r.holding:g} | "
            f"{r.initial:,.0f}, {r.recharge_amount:,.0f}, {r.threshold:,.0f} | "
            f"{100 * r.promised_p:.1f}% | {100 * r.realised_p_year1:.1f}% | "
            f"{r.cost_2y:,.0f} | {r.best_grid_cost_2y:,.0f} ({r.best_grid}) | "
            f"{r.cost_ratio:.2f} |"
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Run ``planner backtest``."""
    given = [
        opt
        for opt, value in (
            ("--balance", args.balance),
            ("--current-recharge-amount", args.current_recharge_amount),
            ("--current-threshold", args.current_threshold),
        )
        if value is not None
    ]
    if given:
        raise InputError(f"{', '.join(given)}: not used by backtest (the replay starts empty)")
    if args.synthetic:
        return _synthetic(args)
    from planner.backtest import backtest_history
    from planner.commands.recommend import load_demand, options

    series, currency = load_demand(args)
    fit_days = args.fit_days if args.fit_days is not None else len(series) - 90
    if args.fit_days is None and fit_days < 14:
        raise InputError(
            f"the history has {len(series)} days: too short to fit on all but the last 90; "
            "give --fit-days"
        )
    out = backtest_history(series, currency, fit_days=fit_days, options=options(args))
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    print(
        f"Fitted on {out['fit']}, replayed {out['replay']} ({currency}).\n"
        f"  recommended        first {out['initial']:,.0f}, recharge "
        f"{out['recharge_amount']:,.0f} below {out['threshold']:,.0f}\n"
        f"  promised           p(stock-out) {100 * out['promised_p']:.1f}%, cost "
        f"{out['promised_cost']:,.2f}, forfeited {out['promised_forfeited']:,.2f}\n"
        f"  happened           {out['stockout_days']} stock-out day(s)"
        + (f" from {out['first_stockout']}" if out["first_stockout"] else "")
        + f", {out['purchases']} purchase(s), forfeited {out['forfeited']:,.2f}, cost "
        f"{out['cost']:,.2f}"
    )
    return 0
