"""``planner store``: what a history store holds.

Usage::

    planner store DIR [--json]

Prints the period covered, the rows per month, the gaps (days without any record between days
that have some), the sources (Graph functions, export files), the Communications Credits
spend and the last run. Exit 0, or 2 when ``DIR`` is not a store or holds a damaged month
(the other months are still shown; the damaged one is named on stderr).
"""

from __future__ import annotations

import argparse
import json

from planner.errors import InputError
from planner.text import nt

HELP = "show what a history store holds: period, rows, months, gaps, sources"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``planner store``."""
    parser.add_argument("store", metavar="DIR", help="the store directory")
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object instead of the summary"
    )


def run(args: argparse.Namespace) -> int:
    """Run ``planner store``; returns the exit code."""
    from planner.collect.summary import summarize
    from planner.store.history import Store

    summary = summarize(Store(args.store))
    print(json.dumps(summary.to_json(), indent=2) if args.json else summary.text())
    if summary.damaged:
        first, more = summary.damaged[0]["error"], len(summary.damaged) - 1
        if more:
            raise InputError(
                nt(
                    "{first} (and {n} more month)",
                    "{first} (and {n} more months)",
                    more,
                    first=first,
                )
            )
        raise InputError(first)
    return 0
