"""``planner limits``: a per-user spend limit (``CallingSpendUserLimit``) for each calling policy.

Usage::

    planner limits EXPORTS_OR_STORE... [--policies users.csv] [--current-limit N] [--json]
                   [--lang fr]

For each policy (from a ``upn,policy`` file; all users in one group without it): the
recommended limit, what each candidate would have blocked of the history and capped of the
spend the alerts flag, and the PowerShell line that sets it. See ``docs/billing.md``.
"""

from __future__ import annotations

import argparse
import sys

from planner import text
from planner.alerts import detect_alerts
from planner.commands import groups
from planner.errors import InputError
from planner.ingest import read_exports
from planner.limits import flagged_usage_ids, parse_limit, read_policies, spend_limits
from planner.limits.report import limits_text
from planner.validate import json_text

HELP = "recommend a per-user spend limit for each calling policy"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``planner limits``."""
    groups.add_exports_or_store(parser)
    parser.add_argument(
        "--policies", metavar="CSV", help="users' calling policies (upn,policy); default: one group"
    )
    parser.add_argument(
        "--current-limit", metavar="N", help="a limit already set (whole amount): evaluate it"
    )
    groups.add_output(parser, "print {currency, policies: [...]} as JSON")


def run(args: argparse.Namespace) -> int:
    """Read the exports, flag the alerts' calls, weigh the limits, print them."""
    current = parse_limit(args.current_limit) if args.current_limit is not None else None
    policies = read_policies(args.policies) if args.policies else None
    records = read_exports(args.paths).records
    if records.empty:
        raise InputError("no call records in {paths}", paths=", ".join(args.paths))
    with text.language(args.lang):
        alerts = detect_alerts(records, since=records["start"].min().date())
        result = spend_limits(
            records,
            policies=policies,
            current_limit=current,
            flagged_ids=flagged_usage_ids(alerts),
        )
        if args.json:
            sys.stdout.write(json_text(result.to_json()) + "\n")
        else:
            print(limits_text(result))
    return 0
