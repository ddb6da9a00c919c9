"""``planner simulate``: replay a daily demand under funding settings.

Usage::

    planner simulate --demand demand.csv --initial X --recharge-amount Q --threshold S
                     [--lead-days L] [--no-auto-recharge] [--failure-prob P --fix-days N
                     [--seed N]] [--start DATE] [--lots lots.csv] [--trajectory out.csv] [--json]

The demand file is ``date,amount`` (or the output of ``planner demand --out``). The replay
runs from ``--start`` (default: the first demand date) to the last demand date; ``--start``
must fall within the demand's dates, and the days before it are left out. ``--lots`` is the
balance held at the start (``purchase_date,amount``; lots bought on or before the start):
those funds are used first and expire on their own dates. ``--failure-prob`` makes each
recharge attempt fail with that chance (auto-recharge then stays off for ``--fix-days``);
``--seed`` makes such a replay repeatable.

Prints a summary (``--json``: the metrics and the e-mails Microsoft would have sent, dated);
``--trajectory`` writes ``date,demand,served,unserved,purchased,expired,balance`` per day.
"""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from planner import text, validate
from planner.commands import groups
from planner.engine import Policy
from planner.errors import InputError
from planner.fileio import write_csv
from planner.inputs import read_demand_csv
from planner.plan import load_lots, replay, replay_document, replay_trajectory
from planner.text.console import replay_summary, wrote

HELP = "replay a daily demand under funding settings: balance, recharges, expiry, stock-outs"

#: the policy replayed (``--no-auto-recharge`` aside) and what the replay reads and writes
POLICY = (
    groups.Option("--initial", "AMOUNT", "one-time purchase on the first day (0)", validate.amount, 0.0),
    groups.Option("--recharge-amount", "AMOUNT", "amount added by one auto-recharge", validate.amount),
    groups.Option("--threshold", "AMOUNT", "trigger: recharge when the balance falls below this", validate.amount),
    groups.Option("--lead-days", "DAYS", "days from trigger to usable funds (1, as recommend)", validate.lead_days, 1),
    groups.Option("--failure-prob", "P", "chance that a recharge attempt fails, e.g. an expired card (0)", validate.finite, 0.0),
    groups.Option("--fix-days", "DAYS", "days auto-recharge stays off after a failed attempt (0)", validate.days, 0),
    groups.Option("--seed", "N", "seed for the failures, for a repeatable replay", validate.seed),
)  # fmt: skip
#: Policy field -> the option that sets it, for error messages
_OPTION = {o.flag[2:].replace("-", "_"): o.flag for o in POLICY}
FILES = (
    groups.Option("--start", "DATE", "first day to replay (default: first demand date)"),
    groups.Option("--lots", "CSV", "balance held at the start as lots (purchase_date,amount)"),
    groups.Option("--trajectory", "CSV", "write the day-by-day balance to this CSV file"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``planner simulate``."""
    parser.add_argument(
        "--demand", metavar="CSV", required=True, help="daily demand file (date,amount)"
    )
    groups.add(parser, POLICY)
    parser.add_argument(
        "--no-auto-recharge",
        dest="auto_recharge",
        action="store_false",
        help="auto-recharge off: only the initial purchase and --lots fund the balance",
    )
    groups.add(parser, FILES)
    groups.add_output(parser, "print the metrics and e-mail events as JSON")


def _policy(args: argparse.Namespace) -> Policy:
    """The policy the options describe (every value checked by :class:`Policy`)."""
    if args.auto_recharge:
        missing = [
            opt
            for opt, value in (
                ("--recharge-amount", args.recharge_amount),
                ("--threshold", args.threshold),
            )
            if value is None
        ]
        if missing:
            raise InputError(
                "auto-recharge needs {missing}; give them, or --no-auto-recharge to "
                "replay the initial purchase alone",
                missing=" and ".join(missing),
            )
    try:
        return Policy(
            initial=args.initial,
            recharge_amount=args.recharge_amount if args.recharge_amount is not None else 0.0,
            threshold=args.threshold if args.threshold is not None else 0.0,
            lead_days=args.lead_days,
            auto_recharge=args.auto_recharge,
            failure_prob=args.failure_prob,
            fix_days=args.fix_days,
        )
    except ValueError as exc:
        field, _, problem = str(exc).partition(": ")
        raise InputError(
            "{option}: {problem}", option=_OPTION.get(field, field), problem=problem
        ) from None


def _window(demand: pd.Series, start: str | None, path: str) -> pd.Series:
    """The demand from ``start`` (within the file's dates) to the last date."""
    first, last = demand.index[0], demand.index[-1]
    if start is None:
        return demand
    try:
        day = pd.Timestamp(start)
    except (TypeError, ValueError):
        day = None
    if day is None or pd.isna(day):
        raise InputError("--start {start!r} is not a date; write it as YYYY-MM-DD", start=start)
    day = day.normalize()
    if not first <= day <= last:
        raise InputError(
            "--start {date} is outside the demand in {path} ({date2} to {date3}); "
            "pick a start within those dates",
            date=day.date(),
            path=path,
            date2=first.date(),
            date3=last.date(),
        )
    return demand.loc[day:]


def run(args: argparse.Namespace) -> int:
    """Replay the demand, print the summary or JSON, write ``--trajectory``."""
    validate.check_outputs([args.demand, args.lots], [("--trajectory", args.trajectory)])
    policy = _policy(args)
    demand, currency = read_demand_csv(args.demand)
    demand = _window(demand, args.start, args.demand)
    result = replay(demand, policy, lots=load_lots(args.lots), seed=args.seed)
    if args.trajectory:
        write_csv(replay_trajectory(result), args.trajectory, date_format="%Y-%m-%d")
    if args.json:
        sys.stdout.write(validate.json_text(replay_document(result, policy, currency)) + "\n")
        return 0
    with text.language(args.lang):
        print(replay_summary(result, policy, currency))
        if args.trajectory:
            print(wrote(args.trajectory))
    return 0
