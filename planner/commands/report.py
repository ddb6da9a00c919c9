"""``planner report``: render the funding plan and usage analysis (HTML, Excel, notebooks)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from planner import validate
from planner.commands import groups
from planner.errors import InputError
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
        type=validate.days,
        default=None,
        metavar="N",
        help="exit 3 (ALERT) when the projected runway is below N days "
        f"(default: {PlanOptions.alert_days}); "
        "ALERT also when the current settings' stock-out risk exceeds the service level",
    )
    parser.add_argument(
        "--lang",
        metavar="LANG",
        type=groups.language,
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


#: the most values a parameters file may hold (YAML aliases can make a small file huge)
_MAX_PARAMETER_VALUES = 100_000


def _plain(value: Any, budget: list[int] | None = None) -> Any:
    """YAML values as papermill passes them: dates become ISO strings."""
    budget = [_MAX_PARAMETER_VALUES] if budget is None else budget
    budget[0] -= 1
    if budget[0] < 0:
        raise InputError(f"parameters hold more than {_MAX_PARAMETER_VALUES:,} values")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v, budget) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v, budget) for k, v in value.items()}
    return value


def read_params_file(path: str | Path) -> dict[str, Any]:
    """Notebook parameters from a YAML (or JSON) mapping file."""
    import yaml

    from planner.guard import regular_file

    try:
        if Path(path).exists():
            regular_file(Path(path))
            if Path(path).stat().st_size > 1 << 20:
                raise InputError(f"--params: {path} is larger than 1 MiB; not a parameters file")
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise InputError(f"--params: {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"--params: cannot read {path} ({exc})") from None
    except yaml.YAMLError as exc:
        raise InputError(
            f"--params: {path} is not valid YAML ({str(exc).splitlines()[0]})"
        ) from None
    except RecursionError:
        raise InputError(f"--params: {path} is nested too deeply to be parameters") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(f"--params: {path} must hold a mapping of parameter names to values")
    try:
        return _plain(data)
    except RecursionError:
        raise InputError(f"--params: {path} is nested too deeply to be parameters") from None


def parse_value(text: str) -> Any:
    """A ``-p NAME VALUE`` value read as YAML (``0.9`` -> float, ``true`` -> bool)."""
    import yaml

    try:
        return _plain(yaml.safe_load(text))
    except (yaml.YAMLError, RecursionError):
        return text


def collect_parameters(args: argparse.Namespace, base: dict[str, Any] | None = None) -> dict:
    """Notebook parameters from, in increasing priority: ``base``, ``--params``, the named
    options the user gave, and ``-p NAME VALUE`` pairs."""
    params: dict[str, Any] = dict(base or {})
    if getattr(args, "params", None):
        params.update(read_params_file(args.params))
    # the exports are the command's inputs (set by run); the other plan options as given
    params.update({k: v for k, v in groups.plan_parameters(args).items() if k != "exports"})
    if getattr(args, "departments", None) is not None:
        params["departments"] = args.departments
    for name, value in getattr(args, "parameter", None) or []:
        params[name] = parse_value(value)
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
    params["exports"] = [str(p) for p in args.inputs]
    PlanRequest.from_report_params(params)
    side = [getattr(args, k, None) for k in ("licences", "rates", "balance", "departments")]
    validate.check_output_folder([*args.inputs, *side, args.user_licences], "--out", args.out)
    return render(params, args.out, progress=not args.no_progress)
