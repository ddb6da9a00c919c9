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

Prints a summary (or ``--json``: the metrics and the e-mails Microsoft would have sent:
recharge succeeded, recharge failed, balance reached zero, with their dates). ``--trajectory``
writes one row per day: ``date,demand,served,unserved,purchased,expired,balance``.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
import pandas as pd

from planner import text, validate
from planner.errors import InputError
from planner.fileio import write_csv

HELP = "replay a daily demand under funding settings: balance, recharges, expiry, stock-outs"

# Policy field -> the option that sets it, for error messages
_OPTION = {
    "initial": "--initial",
    "recharge_amount": "--recharge-amount",
    "threshold": "--threshold",
    "lead_days": "--lead-days",
    "failure_prob": "--failure-prob",
    "fix_days": "--fix-days",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``planner simulate``."""
    parser.add_argument(
        "--demand", metavar="CSV", required=True, help="daily demand file (date,amount)"
    )
    parser.add_argument(
        "--initial",
        type=validate.amount,
        default=0.0,
        metavar="AMOUNT",
        help="one-time purchase on the first day (0)",
    )
    parser.add_argument(
        "--recharge-amount",
        type=validate.amount,
        metavar="AMOUNT",
        help="amount added by one auto-recharge",
    )
    parser.add_argument(
        "--threshold",
        type=validate.amount,
        metavar="AMOUNT",
        help="trigger: recharge when the balance falls below this",
    )
    parser.add_argument(
        "--lead-days",
        type=validate.days,
        default=1,
        metavar="DAYS",
        help="days from trigger to usable funds (1, as recommend)",
    )
    parser.add_argument(
        "--no-auto-recharge",
        dest="auto_recharge",
        action="store_false",
        help="auto-recharge off: only the initial purchase and --lots fund the balance",
    )
    parser.add_argument(
        "--failure-prob",
        type=validate.finite,
        default=0.0,
        metavar="P",
        help="chance that a recharge attempt fails, e.g. an expired card (0)",
    )
    parser.add_argument(
        "--fix-days",
        type=validate.days,
        default=0,
        metavar="DAYS",
        help="days auto-recharge stays off after a failed attempt (0)",
    )
    parser.add_argument(
        "--seed",
        type=validate.seed,
        metavar="N",
        help="seed for the failures, for a repeatable replay",
    )
    parser.add_argument(
        "--start", metavar="DATE", help="first day to replay (default: first demand date)"
    )
    parser.add_argument(
        "--lots", metavar="CSV", help="balance held at the start as lots (purchase_date,amount)"
    )
    parser.add_argument(
        "--trajectory", metavar="CSV", help="write the day-by-day balance to this CSV file"
    )
    parser.add_argument(
        "--json", action="store_true", help="print the metrics and e-mail events as JSON"
    )


def _policy(args: argparse.Namespace):
    from planner.engine import Policy

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
                f"auto-recharge needs {' and '.join(missing)}; give them, or "
                "--no-auto-recharge to replay the initial purchase alone"
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
        raise InputError(f"{_OPTION.get(field, field)}: {problem}") from None


def _window(demand: pd.Series, start: str | None, path: str) -> pd.Series:
    """The demand from ``start`` (within the file's dates) to the last date."""
    first, last = demand.index[0], demand.index[-1]
    if start is None:
        return demand
    try:
        day = pd.Timestamp(start)
    except (TypeError, ValueError):
        day = pd.NaT
    if day is pd.NaT:
        raise InputError(f"--start {start!r} is not a date; write it as YYYY-MM-DD")
    day = day.normalize()
    if not first <= day <= last:
        raise InputError(
            f"--start {day.date()} is outside the demand in {path} ({first.date()} to "
            f"{last.date()}); pick a start within those dates"
        )
    return demand.loc[day:]


def _json_doc(result, policy, currency: str | None) -> dict:
    t = result.trajectory
    # amounts rounded to 6 decimals: float noise off, cents and sub-cent rates kept
    metrics = {k: round(v, 6) if isinstance(v, float) else v for k, v in result.metrics.items()}
    first = metrics["first_stockout"]
    metrics["first_stockout"] = None if first is None else first.date().isoformat()
    return {
        "start": t["date"].iloc[0].date().isoformat(),
        "end": t["date"].iloc[-1].date().isoformat(),
        "days": len(t),
        "currency": currency,
        "policy": {
            "initial": policy.initial,
            "recharge_amount": policy.recharge_amount,
            "threshold": policy.threshold,
            "lead_days": policy.lead_days,
            "auto_recharge": policy.auto_recharge,
            "failure_prob": policy.failure_prob,
            "fix_days": policy.fix_days,
        },
        "metrics": metrics,
        "events": [
            {"date": d.date().isoformat(), "event": str(e), "amount": round(float(a), 6)}
            for d, e, a in result.events.itertuples(index=False)
        ],
    }


def _summary(result, policy, currency: str | None) -> str:
    t, m = result.trajectory, result.metrics

    def money(x: float) -> str:
        return text.money(x, currency, 2)

    if policy.auto_recharge:
        funding = (
            f"recharge {money(policy.recharge_amount)} when the balance falls below "
            f"{money(policy.threshold)}, usable after {text.days(policy.lead_days)}"
        )
        if policy.failure_prob > 0:
            funding += (
                f"; attempts fail with chance {policy.failure_prob:g}, then auto-recharge is "
                f"off for {text.days(policy.fix_days)}"
            )
    else:
        funding = "auto-recharge off"
    counts = result.events["event"].value_counts()
    first = m["first_stockout"]
    lines = [
        f"Replayed {text.days(len(t))}, {text.date(t['date'].iloc[0])} to "
        f"{text.date(t['date'].iloc[-1])}: "
        f"initial {money(policy.initial)}, {funding}.",
        f"  lots at the start  {money(m['start_balance'])}"
        + (f" (the initial {money(policy.initial)} counts as purchased)" if policy.initial else ""),
        f"  demand             {money(float(t['demand'].sum()))}",
        f"  purchased          {money(m['purchased'])} "
        f"({text.nt('{n} recharge', '{n} recharges', m['recharges'])})",
        f"  expired            {money(m['expired'])} (forfeited)",
        f"  unserved           {money(m['unserved'])} on "
        f"{text.nt('{n} stock-out day', '{n} stock-out days', m['stockout_days'])}"
        + (f", first on {text.date(first)}" if first is not None else ""),
        f"  balance            mean {money(m['mean_balance'])}, lowest "
        f"{money(m['min_balance'])}, end {money(m['end_balance'])}",
        f"  e-mails            {counts.get('recharge_succeeded', 0)} recharge succeeded, "
        f"{counts.get('recharge_failed', 0)} recharge failed, "
        f"{counts.get('balance_zero', 0)} balance reached zero",
    ]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Replay the demand, print the summary or JSON, write ``--trajectory``."""
    from planner.engine import simulate
    from planner.inputs import read_demand_csv, read_lots

    validate.check_outputs([args.demand, args.lots], [("--trajectory", args.trajectory)])
    policy = _policy(args)
    demand, currency = read_demand_csv(args.demand)
    demand = _window(demand, args.start, args.demand)
    lots = read_lots(args.lots) if args.lots else None
    start = demand.index[0]
    if lots is not None and len(lots) and (lots["purchase_date"] > start).any():
        late = lots.loc[lots["purchase_date"] > start, "purchase_date"].iloc[0]
        raise InputError(
            f"{args.lots}: a lot bought on {late.date()}, after the start {start.date()}; "
            "the replay buys what comes after the start itself: give the lots held on the "
            "start date, or a later --start"
        )
    rng = np.random.default_rng(args.seed)
    result = simulate(demand, start, policy, lots=lots, rng=rng)
    if args.trajectory:
        amounts = list(result.trajectory.columns[1:])
        trajectory = result.trajectory.assign(**result.trajectory[amounts].round(6))  # as JSON
        write_csv(trajectory, args.trajectory, date_format="%Y-%m-%d")
    if args.json:
        sys.stdout.write(validate.json_text(_json_doc(result, policy, currency)) + "\n")
        return 0
    print(_summary(result, policy, currency))
    if args.trajectory:
        print(f"wrote {args.trajectory}")
    return 0
