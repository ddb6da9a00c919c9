"""``planner alerts``: abnormal credit spend and toll fraud in usage exports.

Usage::

    planner alerts EXPORTS_OR_STORE... [--since YYYY-MM-DD] [--balance lots.csv] [--json]
                   [--high-amount 20] [--medium-amount 5] [--day-ratio 3] [--user-ratio 4] ...

Exit 3 when a high alert falls in the period checked (``--since``, default the last 14 days
of data), else 0; the last line is a one-line status.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields
from decimal import Decimal, InvalidOperation
from typing import Any

from planner import text
from planner.alerts import Thresholds, detect_alerts
from planner.alerts.run import checked_period, parse_day
from planner.billing import check_billing
from planner.commands import groups
from planner.errors import InputError
from planner.ingest import read_exports
from planner.inputs import read_lots
from planner.terminal import escape_controls
from planner.text import number
from planner.text.console import alerts_text
from planner.validate import MAX_AMOUNT, json_text

HELP = "find abnormal credit spend and toll fraud (exit 3 on a high alert)"

#: option -> (Thresholds field, type, help); money options are read as exact cents
_OPTIONS: tuple[tuple[str, str, str, str], ...] = (
    ("--high-amount", "high_cents", "money", "smallest spend of a high alert (20)"),
    ("--medium-amount", "medium_cents", "money", "smallest spend of a medium alert (5)"),
    ("--high-share", "high_share", "float", "a high alert is also this share of a typical day (0.5)"),
    ("--day-ratio", "day_ratio", "float", "day spend vs comparable days' 90th percentile (3)"),
    ("--user-ratio", "user_ratio", "float", "user's day vs own busiest day and peers' (4)"),
    ("--history-days", "history_days", "int", "days of history baselines use (91)"),
    ("--warmup-days", "warmup_days", "int", "days of data before anything is reported (28)"),
    ("--premium-per-minute", "premium_cents_per_minute", "money", "charge per minute that makes a call premium-rate (1.00)"),
    ("--business-hours", "business_hours", "hours", "local business hours, Mon-Fri (7-20)"),
    ("--night-calls", "night_calls", "int", "out-of-hours calls that make a burst (5)"),
    ("--sequence-calls", "sequence_calls", "int", "short calls in a row that make sequential dialling (8)"),
    ("--repeat-calls", "repeat_calls", "int", "calls to one international number in a day that make a loop (10)"),
)  # fmt: skip


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``planner alerts``."""
    groups.add_exports_or_store(parser)
    parser.add_argument(
        "--since", metavar="YYYY-MM-DD", help="first day checked (default: last 14 days of data)"
    )
    parser.add_argument(
        "--balance", metavar="CSV", help="today's lots (purchase_date,amount): runway per alert"
    )
    parser.add_argument("--billing", metavar="MODE", default="prepaid", help="how PSTN usage is "
                        "paid: prepaid (default) or postpaid (MCA: the spend beyond the credits "
                        "is billed after use)")  # fmt: skip
    groups.add_output(parser, 'print {"alerts": [...]} as JSON')
    group = parser.add_argument_group("thresholds (see planner.alerts.Thresholds)")
    for flag, _, _, help_text in _OPTIONS:
        group.add_argument(flag, metavar="X", help=help_text)


def _money_cents(flag: str, text: str) -> int:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InputError("{flag}: not an amount: {text!r}", flag=flag, text=text) from None
    if not value.is_finite() or abs(value) > MAX_AMOUNT:
        raise InputError("{flag}: a finite amount up to {max_amount}, got {text!r}",
                         flag=flag, max_amount=number(MAX_AMOUNT), text=text)  # fmt: skip
    cents = value * 100
    if cents != cents.to_integral_value() or value < 0:
        raise InputError(
            "{flag}: an amount >= 0 with at most two decimals, got {text!r}", flag=flag, text=text
        )
    return int(cents)


def _number(flag: str, text: str, kind: str) -> int | float:
    try:
        value = int(text) if kind == "int" else float(text)
        if not abs(value) <= MAX_AMOUNT:  # nan, inf, or absurd
            raise ValueError(text)
        return value
    except ValueError:
        if kind == "int":
            raise InputError("{flag}: not a whole number: {text!r}", flag=flag, text=text) from None
        raise InputError("{flag}: not a number: {text!r}", flag=flag, text=text) from None


def thresholds_from(args: argparse.Namespace) -> Thresholds:
    """The :class:`~planner.alerts.Thresholds` the options ask for."""
    given: dict[str, Any] = {}  # field -> value, of the field's own type
    for flag, name, kind, _ in _OPTIONS:
        value = getattr(args, flag[2:].replace("-", "_"))
        if value is None:
            continue
        if kind == "money":
            given[name] = _money_cents(flag, value)
        elif kind == "hours":
            start, sep, end = value.partition("-")
            if not sep:
                raise InputError(
                    "{flag}: hours as START-END, e.g. 7-20, got {value!r}", flag=flag, value=value
                )
            given["business_start"] = _number(flag, start, "int")
            given["business_end"] = _number(flag, end, "int")
        else:
            given[name] = _number(flag, value, kind)
    known = {f.name for f in fields(Thresholds)}
    assert set(given) <= known, set(given) - known
    try:
        return Thresholds(**given)
    except ValueError as exc:
        raise InputError("threshold {exc}", exc=exc) from None


def run(args: argparse.Namespace) -> int:
    """Read the exports, run the detectors, print the alerts and the status line."""
    thresholds = thresholds_from(args)
    try:  # options first: a typo should not wait for the exports
        since = parse_day(args.since, "--since")
    except ValueError as exc:
        raise InputError(str(exc)) from None
    check_billing(args.billing)  # before the exports are read
    lots = read_lots(args.balance) if args.balance else None
    ingest = read_exports(args.paths)
    if ingest.records.empty:
        raise InputError("no call records in {paths}", paths=", ".join(args.paths))
    with text.language(args.lang):
        result = checked_period(
            detect_alerts(ingest.records, thresholds, since=since, lots=lots, billing=args.billing)
        )
        if args.json:
            sys.stdout.write(json_text(result.to_json(), default=float) + "\n")
        elif result.alerts:
            print(alerts_text(result.alerts, result.billing))
        # the status names a user: on stderr too, the terminal gets no control character
        print(escape_controls(result.status()), file=sys.stderr if args.json else sys.stdout)
    return result.exit_code
