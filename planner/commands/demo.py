"""``planner demo``: the full report on the embedded sample tenant."""

from __future__ import annotations

import argparse
import sys

from planner import validate
from planner.commands.report import add_report_options, collect_parameters, render

HELP = "run the full report on the embedded sample tenant (writes reports/)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_report_options(parser)
    parser.add_argument(
        "--scenarios", type=validate.count, metavar="N", help="number of demand scenarios"
    )
    parser.add_argument("--seed", type=validate.seed, help="random seed")


def run(args: argparse.Namespace) -> int:
    from planner.report import sample_parameters

    params = collect_parameters(args, base=sample_parameters())
    print(f"planner: demo on the sample tenant ({params['exports'][0]})", file=sys.stderr)
    code = render(params, args.out, progress=not args.no_progress)
    print(f"planner: open {args.out}/funding_plan.html in a browser", file=sys.stderr)
    return code
