"""``planner recommend``: recommend initial funding, recharge amount and trigger."""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from planner import validate
from planner.errors import InputError
from planner.pipeline import DEFAULT_SEED
from planner.recommend import DEFAULT_MIN_AMOUNT, DEFAULT_RECHARGE_OVERHEAD

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
        "--user-licences",
        metavar="CSV",
        help="users and their licences (MCOPSTNC check, pay-as-you-go users), as the report",
    )
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
        default=DEFAULT_RECHARGE_OVERHEAD,
        help=f"cost of handling one purchase invoice (default {DEFAULT_RECHARGE_OVERHEAD:g})",
    )
    parser.add_argument(
        "--min-amount",
        metavar="AMOUNT",
        type=validate.amount,
        default=DEFAULT_MIN_AMOUNT,
        help=f"smallest amount the admin center accepts (default {DEFAULT_MIN_AMOUNT})",
    )
    parser.add_argument(
        "--min-recharge-days",
        metavar="DAYS",
        type=validate.day_span,
        default=0.0,
        help="optional floor on the recharge amount, in days of mean spend (default 0: none)",
    )
    parser.add_argument(
        "--failure-rate",
        metavar="P",
        type=validate.finite,
        default=0.0,
        help="share of recharge attempts that fail, e.g. an expired card (default 0)",
    )
    parser.add_argument(
        "--fix-days",
        metavar="DAYS",
        type=validate.days,
        default=0,
        help="days until a failed recharge is fixed; auto-recharge is off meanwhile (default 0)",
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
        default=DEFAULT_SEED,
        help=f"seed of the scenarios (default {DEFAULT_SEED}: same inputs, same answer)",
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
        if args.licences or args.user_licences:
            raise InputError(
                "--licences/--rates/--user-licences price usage exports; they do not apply "
                "to --demand"
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

    from planner.ingest import read_exports
    from planner.pipeline import demand_from_records

    records = read_exports(args.inputs).records
    result = demand_from_records(
        records, licences=args.licences, rates=args.rates, user_licences=args.user_licences
    )
    return result.series(args.currency)


def options(args: argparse.Namespace):
    """The plan options of the command line."""
    from planner.pipeline import PlanOptions

    if args.scenarios is not None and args.scenarios < 1:
        raise InputError(f"--scenarios must be at least 1, got {args.scenarios}")
    return PlanOptions(
        service_level=args.service_level,
        horizon_days=args.horizon_days,
        lead_days=args.lead_days,
        holding_rate=args.holding_rate,
        recharge_overhead=args.recharge_overhead,
        growth=args.growth,
        n_scenarios=args.scenarios or PlanOptions.n_scenarios,
        seed=args.seed,
        alert_days=args.alert_days,
        min_amount=args.min_amount,
        min_recharge_days=args.min_recharge_days,
        failure_prob=args.failure_rate,
        fix_days=args.fix_days,
    )


def _current(args: argparse.Namespace, opts):
    from planner.pipeline import current_policy

    q, s = args.current_recharge_amount, args.current_threshold
    if (q is None) != (s is None):
        raise InputError("--current-recharge-amount and --current-threshold go together")
    return current_policy(
        q,
        s,
        lead_days=opts.lead_days,
        failure_prob=opts.failure_prob,
        fix_days=opts.fix_days,
        min_amount=opts.min_amount,
    )


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
    lines.append(f"Amounts in {cur}; {rec.settings.get('cost_formula', 'cost')}.")
    lines.append(table.to_string(index=False))
    if rec.position is not None and len(rec.position["expiring"]):
        exp = rec.position["expiring"]
        lines.append("")
        lines.append(f"Today's lots (balance as of {rec.position['as_of'].date().isoformat()}):")
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
    from planner.pipeline import load_lots, plan
    from planner.recommend import alert_status

    series, currency = load_demand(args)
    opts = options(args)
    validate.check_workload(opts.n_scenarios, opts.horizon_days)
    rec = plan(
        series,
        currency,
        options=opts,
        lots=load_lots(args.balance),
        current=_current(args, opts),
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
