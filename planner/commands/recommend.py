"""``planner recommend``: recommend initial funding, recharge amount and trigger."""

from __future__ import annotations

import argparse
import logging
import sys

from planner import text, validate
from planner.commands import groups
from planner.errors import InputError
from planner.plan import PlanRequest
from planner.text.console import plan_text

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
    groups.add(today, groups.TENANT)
    today.add_argument(
        "--keep-alert-spend",
        action="store_true",
        help="keep the spend high alerts flag in the demand (by default it is left out: the "
        "balance does not fund fraud; alerts and spend limits are the levers)",
    )
    groups.add_output(parser, "print one JSON object instead of the summary")


def request(args: argparse.Namespace) -> PlanRequest:
    """The plan request of the command line (its checks are :class:`PlanRequest`'s)."""
    if not args.demand and not args.inputs:
        raise InputError("nothing to plan from: give usage exports (FILE_OR_DIR) or --demand CSV")
    req = PlanRequest.from_params(groups.plan_parameters(args))
    if req.licences is not None and req.rates is None:  # a file given, silently unused
        logging.getLogger("planner").warning(
            text.t(
                "--licences {path}: the licence counts price calls what-if with a rate card "
                "(--rates); without one they are not used",
                path=req.licences,
            )
        )
    return req


def run(args: argparse.Namespace) -> int:
    """Run ``planner recommend``; returns 0, or 3 (ALERT) for scheduled runs."""
    with text.language(args.lang):
        result = request(args).run()
        if args.json:
            out = result.to_json()
            print(validate.json_text(out))
            print(out["status"], file=sys.stderr)
        else:
            print(plan_text(result))
            print(result.status)
    return result.exit_code
