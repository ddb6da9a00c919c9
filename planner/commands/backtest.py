"""``planner backtest``: check a recommendation against what happened, or against tenants
whose true demand process is known.

- ``planner backtest --demand demand.csv [--fit-days N]`` (or usage exports): fit on the
  first ``N`` days (default: all but the last 90), recommend, replay the rest as it happened;
  prints the promise (risk, cost) next to the outcome.
- ``planner backtest --synthetic [--quick] [--histories N]``: the table of
  :data:`planner.backtest.TENANTS`, each recommended from one year of history and replayed on
  fresh futures of its true process, against the best policy of a dense grid that knows the
  process; with ``N`` histories per tenant, also the summary across histories and on how many
  the promise held.
"""

from __future__ import annotations

import argparse
import json

from planner import text
from planner.backtest import HISTORY_DAYS, backtest_history, summarise, synthetic_table
from planner.commands.recommend import add_arguments as recommend_arguments
from planner.commands.recommend import request
from planner.errors import InputError
from planner.plan import default_fit_days
from planner.text.console import (
    backtest_checks,
    backtest_summary,
    backtest_summary_table,
    backtest_table,
)

#: most histories per tenant ``--histories`` accepts (each one is a full recommendation)
MAX_HISTORIES = 20
#: days of synthetic history a backtest may read (two months to two years)
MIN_SYNTHETIC_DAYS, MAX_SYNTHETIC_DAYS = 56, 730
HELP = "check recommendations: promised vs realised stock-outs and costs"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``planner backtest``."""
    recommend_arguments(parser)
    parser.add_argument(
        "--fit-days",
        metavar="DAYS",
        type=int,
        help="days of history to fit on; the rest is replayed (default: all but the last 90); "
        "with --synthetic, days of each tenant's history the plan reads (default 365)",
    )
    parser.add_argument(
        "--synthetic",
        action="store_true",
        help="backtest the synthetic tenants with known demand processes instead",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="with --synthetic: fewer scenarios, futures and grid points (a rough check)",
    )
    parser.add_argument(
        "--histories",
        metavar="N",
        type=int,
        help="with --synthetic: independent histories per tenant (1 to 20, default 1); a "
        "promise is about the planner, so several histories show how it does across them",
    )


def _synthetic(args: argparse.Namespace) -> int:
    histories = 1 if args.histories is None else args.histories
    if not 1 <= histories <= MAX_HISTORIES:
        raise InputError(
            "--histories: must be a whole number from 1 to {max_histories}, got {histories}",
            max_histories=MAX_HISTORIES,
            histories=histories,
        )
    history_days = HISTORY_DAYS if args.fit_days is None else args.fit_days
    if not MIN_SYNTHETIC_DAYS <= history_days <= MAX_SYNTHETIC_DAYS:
        raise InputError(
            "--fit-days with --synthetic: must be a whole number of days from {least} to "
            "{most}, got {days}",
            **{"least": MIN_SYNTHETIC_DAYS, "most": MAX_SYNTHETIC_DAYS, "days": history_days},
        )
    n_scenarios, n_true, grid_side = (500, 300, 12) if args.quick else (2000, 1000, 30)
    table = synthetic_table(
        seed=args.seed,
        service_level=args.service_level,
        lead_days=args.lead_days,
        n_scenarios=n_scenarios,
        n_true=n_true,
        grid_side=grid_side,
        histories=histories,
        history_days=history_days,
    )
    if args.json:
        print(json.dumps(table.to_dict(orient="records"), indent=2))
        return 0
    print(backtest_table(table[table["history"] == 0]))
    if histories > 1:
        print()
        print(backtest_summary_table(summarise(table)))
    print()
    print("\n".join(backtest_checks(table, max_p=3 * (1 - args.service_level))))
    return 0


def run(args: argparse.Namespace) -> int:
    """Run ``planner backtest``."""
    given = [
        opt
        for opt, value in (
            ("--balance", args.balance),
            ("--current-recharge-amount", args.current_recharge_amount),
            ("--current-threshold", args.current_threshold),
        )
        if value is not None
    ]
    if given:
        raise InputError(
            "{given}: not used by backtest (the replay starts empty)", given=", ".join(given)
        )
    synthetic_only = [
        opt
        for opt, value in (("--quick", args.quick or None), ("--histories", args.histories))
        if value is not None
    ]
    if synthetic_only and not args.synthetic:
        raise InputError(
            "{synthetic_only}: only with --synthetic (a history given with "
            "--demand or exports is backtested once, on what happened)",
            synthetic_only=", ".join(synthetic_only),
        )
    with text.language(args.lang):
        if args.synthetic:
            return _synthetic(args)
        return _history(args)


def _history(args: argparse.Namespace) -> int:
    """Fit on the history's first days, recommend, replay the rest; print promise vs outcome."""
    req = request(args)
    source = req.read()
    currency = source.currency
    fit_days = default_fit_days(len(source.history), args.fit_days)
    out = backtest_history(source.history, currency, fit_days=fit_days, options=req.options)
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(backtest_summary(out, currency))
    return 0
