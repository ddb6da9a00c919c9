"""Option groups shared by the commands that take the same options: tuples of
:class:`Option` added by :func:`add` (``defaults=False`` where only the options given are
passed on, as ``planner report`` does). Not a command (:data:`planner.cli.COMMANDS`)."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from planner import text, validate
from planner.plan import BILLING_MODES, PlanOptions, PlanRequest

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


def add_output(parser: argparse.ArgumentParser, json_help: str) -> None:
    """``--json`` (with ``json_help``) and ``--lang``: how the result is printed."""
    parser.add_argument("--json", action="store_true", help=json_help)
    parser.add_argument(
        "--lang",
        metavar="LANG",
        type=validate.language,
        default=text.DEFAULT_LANGUAGE,
        help=f"language of the output: {' or '.join(text.available())} "
        f"(default {text.DEFAULT_LANGUAGE})",
    )


#: where the demand comes from: usage exports (priced as they were, or what-if) or a file
DEMAND_SOURCES = (
    Option("--demand", "CSV", "daily demand file (date,amount)"),
    Option("--licences", "CSV", "licence counts: price calls (what-if)"),
    Option("--rates", "CSV", "rate card: price calls (what-if)"),
    Option("--user-licences", "CSV", "users and their licences (MCOPSTNC check, "
           "pay-as-you-go users), as the report"),
    Option("--currency", "CUR", "currency to plan in (when the demand holds several)",
           validate.currency),
)  # fmt: skip


def _planned(flag: str, metavar: str, help: str, kind: Callable[[str], Any]) -> Option:
    """An option whose default is :class:`PlanOptions`' field of the flag's name, shown in
    its ``help`` where it says ``{default}``."""
    default = getattr(_PLAN, flag[2:].replace("-", "_"))
    return Option(flag, metavar, help.format(default=f"{default:g}"), kind, default)


#: the planning options of ``planner recommend`` and ``planner report`` (the notebook's
#: parameters of the same names have the same defaults)
PLANNING = (
    _planned("--service-level", "P", "share of simulated years without a stock-out day "
             "(default {default})", validate.finite),
    _planned("--horizon-days", "DAYS", "days to plan ahead (default {default})", validate.days),
    _planned("--lead-days", "DAYS", "days from trigger to usable funds (default {default})",
             validate.lead_days),
    _planned("--holding-rate", "RATE", "yearly cost of money held in the balance "
             "(default {default})", validate.finite),
    _planned("--recharge-overhead", "AMOUNT", "cost of handling one purchase invoice "
             "(default {default})", validate.amount),
    Option("--growth", "G", "growth assumption: '+20%%/year', 0.2, '-10%%', 'users:250->300' "
           "(default: the history's trend)"),
    Option("--scenarios", "N", f"scenario count ({_PLAN.n_scenarios})", validate.count),
    _planned("--seed", "N", "seed of the scenarios (default {default}: same inputs, same "
             "answer)", validate.seed),
)  # fmt: skip

#: what the admin center and the payment method allow (``planner recommend``)
CONSTRAINTS = (
    _planned("--min-amount", "AMOUNT", "smallest amount the admin center accepts "
             "(default {default})", validate.amount),
    _planned("--min-recharge-days", "DAYS", "optional floor on the recharge amount, in days "
             "of mean spend (default {default}: none)", validate.day_span),
    _planned("--failure-rate", "P", "share of recharge attempts that fail, e.g. an expired "
             "card (default {default})", validate.finite),
    _planned("--fix-days", "DAYS", "days until a failed recharge is fixed; auto-recharge is "
             "off meanwhile (default {default})", validate.days),
)  # fmt: skip

#: today's auto-recharge settings, to assess them beside the recommendation
CURRENT_SETTINGS = (
    Option("--current-recharge-amount", "AMOUNT", "your current recharge amount", validate.amount),
    Option("--current-threshold", "AMOUNT", "your current trigger amount", validate.amount),
)

#: how the tenant pays, when the balance was read, and what the plan funds
TENANT = (
    Option("--billing", "MODE", f"how PSTN usage is paid: {' or '.join(BILLING_MODES)} "
           "(post-paid, MCA: no recharge; the remaining credits and the bill) "
           f"(default {PlanRequest.billing})"),
    Option("--as-of", "DATE", "the day the balance was read (default: the day after the last "
           "usage day); lots expired by then are left out"),
    Option("--monthly-budget", "AMOUNT", "a monthly budget: the monthly forecast gives each "
           "month's chance of exceeding it", validate.amount),
    _planned("--alert-days", "DAYS", "ALERT (exit 3) when the balance may run out sooner "
             "than this (default {default})", validate.alert_days),
)  # fmt: skip


def add_exports_or_store(parser: argparse.ArgumentParser) -> None:
    """The usage exports, folders or store a command reads (``planner alerts``, ``limits``)."""
    parser.add_argument(
        "paths", nargs="+", metavar="EXPORTS_OR_STORE", help="usage exports, folders or a store"
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
