"""``planner recommend``: recommend initial funding, recharge amount and trigger."""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from planner import text, validate
from planner.commands import groups
from planner.engine import Policy
from planner.errors import InputError
from planner.pipeline import (
    PlanOptions,
    current_policy,
    history_from_exports,
    history_from_file,
    load_lots,
    plan,
)
from planner.recommend import alert_status
from planner.text.console import recommendation_text

HELP = "recommend funding: recharge amount, trigger, first purchase, with risk and cost"


def add_demand_sources(parser: argparse.ArgumentParser) -> None:
    """Usage exports (positional) or ``--demand``, with what prices them."""
    parser.add_argument(
        "inputs",
        nargs="*",
        metavar="FILE_OR_DIR",
        help="usage exports (files, folders, zips) to compute the demand from",
    )
    groups.add(parser.add_argument_group("demand"), groups.DEMAND_SOURCES)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``planner recommend``."""
    add_demand_sources(parser)
    groups.add(parser.add_argument_group("planning options"), groups.PLANNING)
    groups.add(parser.add_argument_group("constraints"), groups.CONSTRAINTS)
    today = parser.add_argument_group("today's balance and settings")
    today.add_argument(
        "--balance", metavar="CSV", help="today's balance as lots (purchase_date,amount)"
    )
    groups.add(today, groups.CURRENT_SETTINGS)
    today.add_argument(
        "--alert-days",
        metavar="DAYS",
        type=validate.days,
        default=14,
        help="exit 3 when the balance may run out sooner than this (default 14)",
    )
    groups.add_output(parser, "print one JSON object instead of the summary")


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
        return history_from_file(args.demand, args.currency)
    return history_from_exports(
        args.inputs,
        args.currency,
        licences=args.licences,
        rates=args.rates,
        user_licences=args.user_licences,
    )


def options(args: argparse.Namespace) -> PlanOptions:
    """The plan options of the command line."""
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


def _current(args: argparse.Namespace, opts: PlanOptions) -> Policy | None:
    """Today's settings (``--current-*``) as a policy, or None."""
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


def run(args: argparse.Namespace) -> int:
    """Run ``planner recommend``; returns 0, or 3 (alert) for scheduled runs."""
    with text.language(args.lang):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
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
        print(recommendation_text(rec))
        print(status)
    return code
