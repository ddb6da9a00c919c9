"""``planner recommend``: recommend initial funding, recharge amount and trigger."""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from planner import validate
from planner.errors import InputError

HELP = "recommend funding: recharge amount, trigger, first purchase, with risk and cost"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``planner recommend``."""
    parser.add_argument(
        "inputs",
        nargs="*",
        metavar="FILE_OR_DIR",
        help="usage exports (files, folders, zips) to compute the demand from",
    )
    parser.add_argument("--demand", metavar="CSV", help="daily demand file (date,amount)")
    parser.add_argument("--licences", metavar="CSV", help="licence counts: price calls (what-if)")
    parser.add_argument("--rates", metavar="CSV", help="rate card: price calls (what-if)")
    parser.add_argument(
        "--currency",
        metavar="CUR",
        type=validate.currency,
        help="currency to plan in (when the demand holds several)",
    )
    parser.add_argument(
        "--service-level",
        metavar="P",
        type=validate.finite,
        default=0.99,
        help="share of simulated years without a stock-out day (default 0.99)",
    )
    parser.add_argument(
        "--horizon-days",
        metavar="DAYS",
        type=validate.days,
        default=365,
        help="days to plan ahead (default 365)",
    )
    parser.add_argument(
        "--lead-days",
        metavar="DAYS",
        type=validate.days,
        default=1,
        help="days from trigger to usable funds (default 1)",
    )
    parser.add_argument(
        "--holding-rate",
        metavar="RATE",
        type=validate.finite,
        default=0.05,
        help="yearly cost of money held in the balance (default 0.05)",
    )
    parser.add_argument(
        "--recharge-overhead",
        metavar="AMOUNT",
        type=validate.amount,
        default=0.0,
        help="cost of handling one recharge invoice (default 0)",
    )
    parser.add_argument(
        "--min-recharge-days",
        metavar="DAYS",
        type=validate.day_span,
        default=14.0,
        help="smallest recharge amount considered, in days of mean spend (default 14: "
        "at most about two recharges a month)",
    )
    parser.add_argument(
        "--growth",
        metavar="G",
        help="growth assumption: '+20%%/year', 0.2, '-10%%', 'users:250->300' "
        "(default: the history's trend)",
    )
    parser.add_argument(
        "--scenarios", metavar="N", type=validate.count, default=None, help="scenario count (2000)"
    )
    parser.add_argument(
        "--seed",
        metavar="N",
        type=validate.seed,
        default=None,
        help="seed for reproducible results",
    )
    parser.add_argument(
        "--balance", metavar="CSV", help="today's balance as lots (purchase_date,amount)"
    )
    parser.add_argument(
        "--current-recharge-amount",
        metavar="AMOUNT",
        type=validate.amount,
        help="your current recharge amount",
    )
    parser.add_argument(
        "--current-threshold",
        metavar="AMOUNT",
        type=validate.amount,
        help="your current trigger amount",
    )
    parser.add_argument(
        "--alert-days",
        metavar="DAYS",
        type=validate.days,
        default=14,
        help="exit 3 when the balance may run out sooner than this (default 14)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object instead of the summary"
    )


def load_demand(args: argparse.Namespace) -> tuple[pd.Series, str]:
    """The daily demand series and its currency from ``--demand`` or usage exports."""
    if args.demand and args.inputs:
        raise InputError("give either --demand or usage exports, not both")
    if not args.demand and not args.inputs:
        raise InputError("nothing to plan from: give usage exports (FILE_OR_DIR) or --demand CSV")
    if (args.licences is None) != (args.rates is None):
        raise InputError("--licences and --rates go together (they price calls what-if)")
    if args.demand:
        if args.licences:
            raise InputError(
                "--licences/--rates price usage exports; they do not apply to --demand"
            )
        from planner.inputs import read_demand_csv

        wanted = args.currency.strip().upper() if args.currency else None
        try:
            series, found = read_demand_csv(args.demand)
        except InputError:
            if wanted is None:
                raise
            # a file holding several currencies: keep the one asked for
            series, found = read_demand_csv(args.demand, currency=wanted)
        if found is None:  # a plain date,amount file: --currency names its currency
            return series, wanted or "USD"
        if wanted is not None and found != wanted:
            raise InputError(f"{args.demand} holds {found} demand, not {wanted}")
        return series, found

    from planner.demand import actual_demand
    from planner.ingest import read_exports

    records = read_exports(args.inputs).records
    if args.licences:
        from planner.inputs import read_licences, read_rates
        from planner.pricing import whatif_demand

        result = whatif_demand(
            records, licences=read_licences(args.licences), rates=read_rates(args.rates)
        )
    else:
        result = actual_demand(records)
    return result.series(args.currency)


def _current(args: argparse.Namespace):
    from planner.engine import Policy

    q, s = args.current_recharge_amount, args.current_threshold
    if q is None and s is None:
        return None
    if q is None or s is None:
        raise InputError("--current-recharge-amount and --current-threshold go together")
    if not q > 0 or s < 0:
        raise InputError("current settings: recharge amount must be > 0 and threshold >= 0")
    return Policy(initial=max(q, s), recharge_amount=q, threshold=s, lead_days=args.lead_days)


def format_text(rec) -> str:
    """The plain-language recommendation, then compact tables."""
    cur = rec.currency
    lines = list(rec.explanation)
    lines.append("")
    alt = rec.alternatives
    table = pd.DataFrame(
        {
            "option": alt["option"],
            "first purchase": alt["initial"].map(lambda v: f"{v:,.0f}"),
            "recharge": alt["recharge_amount"].map(lambda v: f"{v:,.0f}" if v else "-"),
            "below": [
                f"{t:,.0f}" if a else "-"
                for t, a in zip(alt["threshold"], alt["auto_recharge"], strict=True)
            ],
            "p_stockout": alt["p_stockout"].map(lambda v: f"{100 * v:.1f}%"),
            "forfeited": alt["expected_forfeited"].map(lambda v: f"{v:,.0f}"),
            "recharges/mo": alt["recharges_per_month"].map(lambda v: f"{v:.1f}"),
            "mean balance": alt["mean_balance"].map(lambda v: f"{v:,.0f}"),
            "cost": alt["cost"].map(lambda v: f"{v:,.0f}"),
        }
    )
    lines.append(f"Amounts in {cur}; cost = forfeited + holding cost of the balance + overhead.")
    lines.append(table.to_string(index=False))
    if rec.position is not None and len(rec.position["expiring"]):
        exp = rec.position["expiring"]
        lines.append("")
        lines.append("Today's lots:")
        lines.append(
            pd.DataFrame(
                {
                    "expires": exp["date"].dt.strftime("%Y-%m-%d"),
                    "bought": exp["purchase_date"].dt.strftime("%Y-%m-%d"),
                    "amount": exp["amount"].map(lambda v: f"{v:,.2f}"),
                    "expected to expire unused": exp["expected_forfeit"].map(
                        lambda v: "beyond horizon" if pd.isna(v) else f"{v:,.2f}"
                    ),
                }
            ).to_string(index=False)
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Run ``planner recommend``; returns 0, or 3 (alert) for scheduled runs."""
    from planner.recommend import alert_status, recommend

    series, currency = load_demand(args)
    lots = None
    if args.balance:
        from planner.inputs import read_lots

        lots = read_lots(args.balance)
    if args.scenarios is not None and args.scenarios < 1:
        raise InputError(f"--scenarios must be at least 1, got {args.scenarios}")
    validate.check_workload(args.scenarios, args.horizon_days)
    rec = recommend(
        series,
        currency=currency,
        service_level=args.service_level,
        horizon_days=args.horizon_days,
        lead_days=args.lead_days,
        holding_rate=args.holding_rate,
        recharge_overhead=args.recharge_overhead,
        growth=args.growth,
        n_scenarios=args.scenarios,
        seed=args.seed,
        lots=lots,
        current=_current(args),
        alert_days=args.alert_days,
        min_recharge_days=args.min_recharge_days,
    )
    code, status = alert_status(rec, alert_days=args.alert_days)
    if args.json:
        out = rec.to_json()
        out["status"] = status
        out["exit_code"] = code
        print(validate.json_text(out))
        print(status, file=sys.stderr)
    else:
        print(format_text(rec))
        print(status)
    return code
