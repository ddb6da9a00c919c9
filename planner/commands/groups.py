"""Option groups shared by the commands that take the same options.

Each group is a tuple of :class:`Option` values added by :func:`add`; a command that passes
only the options the user gave (``planner report`` hands them to the notebook, which has the
same defaults) adds them with ``defaults=False``. Not a command: :data:`planner.cli.COMMANDS`
lists those.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from planner import text, validate
from planner.errors import InputError
from planner.plan import BILLING_MODES, DEFAULT_SEED, PlanOptions, PlanRequest

_PLAN = PlanOptions()


@dataclass(frozen=True)
class Option:
    """One option: its flag, metavar, type, default and help."""

    flag: str
    metavar: str | None
    help: str
    type: Callable[[str], Any] | None = None
    default: Any = None


def add(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup,
    options: Iterable[Option],
    *,
    defaults: bool = True,
) -> None:
    """Add ``options`` to ``parser`` (a parser or an argument group); ``defaults=False``
    leaves every default at None (only the options given are set)."""
    for o in options:
        typed: dict[str, Any] = {} if o.type is None else {"type": o.type}
        parser.add_argument(
            o.flag, metavar=o.metavar, default=o.default if defaults else None, help=o.help, **typed
        )


def language(value: str) -> str:
    """An argparse type: a language with a catalogue (``fr``), else a one-line error."""
    try:
        return text.check_language(value)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_output(parser: argparse.ArgumentParser, json_help: str) -> None:
    """``--json`` (with ``json_help``) and ``--lang``: how the result is printed."""
    parser.add_argument("--json", action="store_true", help=json_help)
    parser.add_argument(
        "--lang",
        metavar="LANG",
        type=language,
        default=text.DEFAULT_LANGUAGE,
        help=f"language of the output: {' or '.join(text.available())} "
        f"(default {text.DEFAULT_LANGUAGE})",
    )


#: where the demand comes from: usage exports (priced as they were, or what-if) or a file
DEMAND_SOURCES = (
    Option("--demand", "CSV", "daily demand file (date,amount)"),
    Option("--licences", "CSV", "licence counts: price calls (what-if)"),
    Option("--rates", "CSV", "rate card: price calls (what-if)"),
    Option(
        "--user-licences",
        "CSV",
        "users and their licences (MCOPSTNC check, pay-as-you-go users), as the report",
    ),
    Option(
        "--currency",
        "CUR",
        "currency to plan in (when the demand holds several)",
        validate.currency,
    ),
)

#: the planning options of ``planner recommend`` and ``planner report`` (the notebook's
#: parameters of the same names have the same defaults)
PLANNING = (
    Option(
        "--service-level",
        "P",
        f"share of simulated years without a stock-out day (default {_PLAN.service_level:g})",
        validate.finite,
        _PLAN.service_level,
    ),
    Option(
        "--horizon-days",
        "DAYS",
        f"days to plan ahead (default {_PLAN.horizon_days})",
        validate.days,
        _PLAN.horizon_days,
    ),
    Option(
        "--lead-days",
        "DAYS",
        f"days from trigger to usable funds (default {_PLAN.lead_days})",
        validate.days,
        _PLAN.lead_days,
    ),
    Option(
        "--holding-rate",
        "RATE",
        f"yearly cost of money held in the balance (default {_PLAN.holding_rate:g})",
        validate.finite,
        _PLAN.holding_rate,
    ),
    Option(
        "--recharge-overhead",
        "AMOUNT",
        f"cost of handling one purchase invoice (default {_PLAN.recharge_overhead:g})",
        validate.amount,
        _PLAN.recharge_overhead,
    ),
    Option(
        "--growth",
        "G",
        "growth assumption: '+20%%/year', 0.2, '-10%%', 'users:250->300' "
        "(default: the history's trend)",
    ),
    Option("--scenarios", "N", f"scenario count ({_PLAN.n_scenarios})", validate.count),
    Option(
        "--seed",
        "N",
        f"seed of the scenarios (default {DEFAULT_SEED}: same inputs, same answer)",
        validate.seed,
        DEFAULT_SEED,
    ),
)

#: what the admin center and the payment method allow (``planner recommend``)
CONSTRAINTS = (
    Option(
        "--min-amount",
        "AMOUNT",
        f"smallest amount the admin center accepts (default {_PLAN.min_amount:g})",
        validate.amount,
        _PLAN.min_amount,
    ),
    Option(
        "--min-recharge-days",
        "DAYS",
        "optional floor on the recharge amount, in days of mean spend "
        f"(default {_PLAN.min_recharge_days:g}: none)",
        validate.day_span,
        _PLAN.min_recharge_days,
    ),
    Option(
        "--failure-rate",
        "P",
        f"share of recharge attempts that fail, e.g. an expired card (default "
        f"{_PLAN.failure_rate:g})",
        validate.finite,
        _PLAN.failure_rate,
    ),
    Option(
        "--fix-days",
        "DAYS",
        "days until a failed recharge is fixed; auto-recharge is off meanwhile "
        f"(default {_PLAN.fix_days})",
        validate.days,
        _PLAN.fix_days,
    ),
)

#: today's auto-recharge settings, to assess them beside the recommendation
CURRENT_SETTINGS = (
    Option("--current-recharge-amount", "AMOUNT", "your current recharge amount", validate.amount),
    Option("--current-threshold", "AMOUNT", "your current trigger amount", validate.amount),
)

#: how the tenant pays, when the balance was read, and what the plan funds
TENANT = (
    Option(
        "--billing",
        "MODE",
        f"how PSTN usage is paid: {' or '.join(BILLING_MODES)} (post-paid, MCA: no recharge; "
        f"the remaining credits and the bill) (default {PlanRequest.billing})",
    ),
    Option(
        "--as-of",
        "DATE",
        "the day the balance was read (default: the day after the last usage day); lots "
        "expired by then are left out",
    ),
    Option(
        "--monthly-budget",
        "AMOUNT",
        "a monthly budget: the monthly forecast gives each month's chance of exceeding it",
        validate.amount,
    ),
    Option(
        "--alert-days",
        "DAYS",
        f"ALERT (exit 3) when the balance may run out sooner than this "
        f"(default {_PLAN.alert_days})",
        validate.days,
        _PLAN.alert_days,
    ),
)

#: option destinations whose plan parameter has another name
_PARAMETER_NAMES = {"inputs": "exports", "scenarios": "n_scenarios"}


def plan_parameters(args: argparse.Namespace) -> dict[str, Any]:
    """The plan parameters (:meth:`planner.plan.PlanRequest.from_params` names) of the
    options given: those left at None (or an empty list of inputs) are not passed."""
    wanted = set(PlanRequest.parameters())
    out: dict[str, Any] = {}
    for dest, value in vars(args).items():
        name = _PARAMETER_NAMES.get(dest, dest)
        if name in wanted and value is not None and value != []:
            out[name] = value
    return out
