"""``planner demo``: the full report on the embedded sample tenant."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from planner import validate
from planner.commands.report import add_report_options, collect_parameters, render
from planner.text import language, t

HELP = "run the full report on the embedded sample tenant (writes reports/)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_report_options(parser)
    parser.add_argument(
        "--scenarios", type=validate.count, metavar="N", help="number of demand scenarios"
    )
    parser.add_argument("--seed", type=validate.seed, help="random seed")


def run(args: argparse.Namespace) -> int:
    from planner.report.artifacts import sample_parameters

    params = collect_parameters(args, base=sample_parameters())
    with language(params.get("lang")):
        print(t("planner: demo on the sample tenant ({path})", path=params["exports"][0]),
              file=sys.stderr)  # fmt: skip
        code = render(params, args.out, progress=not args.no_progress)
        page = Path(args.out) / "funding_plan.html"
        print(t("planner: open {path} in a browser", path=page), file=sys.stderr)
    return code
