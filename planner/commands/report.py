"""``planner report``: render the funding plan and usage analysis (HTML, Excel, notebooks)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from planner import validate
from planner.commands import groups
from planner.plan import PlanOptions, PlanRequest

HELP = "render the funding plan and usage reports (HTML, Excel) from usage exports"

DEFAULT_OUT = "reports"


def add_report_options(parser: argparse.ArgumentParser, *, default_out: str = DEFAULT_OUT) -> None:
    """Options shared by ``planner report`` and ``planner demo``."""
    parser.add_argument(
        "--out", metavar="DIR", default=default_out, help=f"output folder (default: {default_out})"
    )
    parser.add_argument(
        "--alert-days",
        type=validate.alert_days,
        default=None,
        metavar="N",
        help="exit 3 (ALERT) when the projected runway is below N days "
        f"(default: {PlanOptions.alert_days}); "
        "ALERT also when the current settings' stock-out risk exceeds the service level",
    )
    parser.add_argument(
        "--lang",
        metavar="LANG",
        type=validate.language,
        help="language of the reports, workbook and status line: en (default) or fr",
    )
    parser.add_argument(
        "--no-progress",
        action="store_true",
        help="print only the files written and the status (no step lines, no per-cell bar)",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "inputs", nargs="+", metavar="FILE_OR_DIR", help="usage exports (files or folders)"
    )
    add_report_options(parser)
    plan = parser.add_argument_group("planning options")
    plan.add_argument(
        "--currency",
        type=validate.currency,
        help="billing currency (default: the exports' currency)",
    )
    # the notebook has the defaults of `planner recommend`: pass only what the user gave
    groups.add(plan, groups.PLANNING, defaults=False)
    groups.add(plan, groups.CURRENT_SETTINGS, defaults=False)
    files = parser.add_argument_group("optional input files")
    files.add_argument("--balance", metavar="LOTS.csv", help="today's balance as lots")
    files.add_argument("--licences", metavar="CSV", help="licence counts (minute pools, what-if)")
    files.add_argument("--rates", metavar="CSV", help="rate card: re-price demand (what-if)")
    files.add_argument("--departments", metavar="CSV", help="user -> department map")
    files.add_argument(
        "--user-licences", metavar="CSV", help="who holds the Communications Credits licence"
    )
    nb = parser.add_argument_group("notebook parameters")
    nb.add_argument(
        "--params", metavar="YAML", help="notebook parameters from a YAML file (name: value)"
    )
    nb.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="set one notebook parameter (VALUE read as YAML: 0.9, true, [a, b]); repeatable",
    )


def collect_parameters(args: argparse.Namespace, base: dict[str, Any] | None = None) -> dict:
    """Notebook parameters from, in increasing priority: ``base``, ``--params``, the named
    options the user gave, and ``-p NAME VALUE`` pairs."""
    from planner.report import params as report_params

    params: dict[str, Any] = dict(base or {})
    if getattr(args, "params", None):
        params.update(report_params.read_params_file(args.params))
    # the exports are the command's inputs (set by run); the other plan options as given
    params.update({k: v for k, v in groups.plan_parameters(args).items() if k != "exports"})
    if getattr(args, "departments", None) is not None:
        params["departments"] = args.departments
    for name, value in getattr(args, "parameter", None) or []:
        params[name] = report_params.parse_value(name, value)
    return params


def render(params: dict[str, Any], out: str, *, progress: bool) -> int:
    """Build the report, print the files written and the one-line status; return the exit code.

    ``progress``: step lines on stderr, and the per-cell bar when stderr is a terminal (the bar
    is for people watching; scheduled runs log the step lines only). False: neither.
    """
    from planner.report.runner import build_report

    result = build_report(
        params,
        out,
        progress=progress and sys.stderr.isatty(),
        log=_stderr if progress else None,
    )
    shown = [p for p in result.files if p.suffix in (".html", ".xlsx", ".json")]
    shown += [p for p in result.files if p.suffix == ".ipynb"]
    for path in shown:
        print(path)
    if result.status:
        print(result.status)
    sys.stdout.flush()
    return result.exit_code


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    params = collect_parameters(args)
    from planner.report import params as report_params

    params["exports"] = [str(p) for p in args.inputs]
    for name, value in params.items():  # types and ranges first, then the plan's pairings
        report_params.check_parameter(name, value)
    PlanRequest.from_report_params(params)
    side = [getattr(args, k, None) for k in ("licences", "rates", "balance", "departments")]
    validate.check_output_folder([*args.inputs, *side, args.user_licences], "--out", args.out)
    return render(params, args.out, progress=not args.no_progress)
