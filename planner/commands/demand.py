"""``planner demand``: daily Communications Credits demand from usage exports.

Usage::

    planner demand FILE_OR_DIR... [--licences L.csv --rates R.csv] [--user-licences U.csv]
                   [--currency CUR] [--out demand.csv] [--json]

Without ``--licences``/``--rates``: the *actual* demand, what the ``MCOPSTNPP`` records were
charged, per UTC day of the call start (exports are streamed, so they may exceed memory).
With both: the *what-if* demand, every call priced after the tenant's minute pools (for a
tenant sizing its first funding). ``--out`` writes ``date,currency,amount,<category>...``
(exact two-decimal amounts), the file ``planner simulate`` and ``planner recommend`` read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from planner import text, validate
from planner.commands import groups
from planner.demand.actual import DemandResult
from planner.errors import InputError
from planner.plan import demand_from_exports
from planner.text.console import rejected_rows, wrote

HELP = "work out the daily credit demand (actual charges, or calls priced after minute pools)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``planner demand``."""
    parser.add_argument(
        "paths", nargs="+", metavar="FILE_OR_DIR", help="usage exports, folders or glob patterns"
    )
    parser.add_argument(
        "--licences",
        metavar="CSV",
        help="licence counts (plan,country,users[,minutes_per_user]); with --rates: what-if",
    )
    parser.add_argument(
        "--rates",
        metavar="CSV",
        help="rate card (destination,per_minute[,connection_fee,increment_seconds,currency])",
    )
    parser.add_argument(
        "--user-licences",
        metavar="CSV",
        help="users' licences (admin center 'Export users', or upn,mcopstnc): licence check",
    )
    parser.add_argument(
        "--currency", metavar="CUR", type=validate.currency, help="keep only this currency"
    )
    parser.add_argument("--out", metavar="CSV", help="write the daily demand to this CSV file")
    groups.add_output(parser, "print totals, unpriced calls, warnings as JSON")


def compute(args: argparse.Namespace) -> tuple[DemandResult, int]:
    """The :class:`~planner.demand.actual.DemandResult` the options ask for, and ingest's rejects."""
    if (args.licences is None) != (args.rates is None):
        given, missing = (
            ("--licences", "--rates") if args.rates is None else ("--rates", "--licences")
        )
        raise InputError(
            "{given} needs {missing} too: the what-if demand prices calls after "
            "the minute pools of the licences, with the rate card; give both, or "
            "neither for the actual demand",
            given=given,
            missing=missing,
        )
    return demand_from_exports(
        args.paths, licences=args.licences, rates=args.rates, user_licences=args.user_licences
    )


def run(args: argparse.Namespace) -> int:
    """Compute the demand, print it, write ``--out``."""
    side = [args.licences, args.rates, args.user_licences]
    validate.check_outputs([*args.paths, *side], [("--out", args.out)])
    result, rejected = compute(args)
    if args.currency:
        result = result.only(args.currency)
    if args.out:
        try:
            result.to_csv(Path(args.out))
        except OSError as exc:
            raise InputError(
                "cannot write {out}: {strerror}", out=args.out, strerror=exc.strerror or exc
            ) from None
    if args.json:
        doc = result.to_json()
        doc["rejected_rows"] = rejected
        sys.stdout.write(validate.json_text(doc) + "\n")
        return 0
    with text.language(args.lang):
        print(result.summary())
        if rejected:
            print(rejected_rows(rejected))
        if args.out:
            print(wrote(args.out))
    return 0
