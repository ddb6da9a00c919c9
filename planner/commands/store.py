"""``planner store``: what a history store holds.

Usage::

    planner store DIR [--json]

Prints the period covered, the rows per month, the gaps (days without any record between days
that have some), the sources (Graph functions, export files), the Communications Credits
spend and the last run. Exit 0, or 2 when ``DIR`` is not a store.
"""

from __future__ import annotations

import argparse
import json

HELP = "show what a history store holds: period, rows, months, gaps, sources"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``planner store``."""
    parser.add_argument("store", metavar="DIR", help="the store directory")
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object instead of the summary"
    )


def run(args: argparse.Namespace) -> int:
    """Run ``planner store``; returns the exit code."""
    from planner.collect.store import Store
    from planner.collect.summary import summarize

    summary = summarize(Store(args.store))
    print(json.dumps(summary.to_json(), indent=2) if args.json else summary.text())
    return 0
