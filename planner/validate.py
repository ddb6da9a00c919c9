"""Validation of what a user hands the planner besides the exports: options, outputs, JSON.

- Option types for :mod:`argparse` (:func:`amount`, :func:`finite`, :func:`seed`, ...): a
  value no command can use (``nan``, ``inf``, a negative seed, an amount no tenant could
  hold) is refused by the parser with one line and exit code 2, before any work starts.
  Ranges that depend on the option (``>= 0``, ``<= 1``) are checked by the command.
- :func:`check_outputs`: no command writes over a file it reads, or into a folder it reads
  exports from (the next run would read the output as an export).
- :func:`json_text`: JSON the planner prints is always valid JSON (no ``NaN``/``Infinity``).

Limits (documented in the README, "What happens with bad input"):

- :data:`MAX_AMOUNT`: any amount of money (an option, a demand day, a lot) above one thousand
  billion currency units is refused as implausible; it would also overflow exact cents.
"""

from __future__ import annotations

import argparse
import datetime as dt
import fnmatch
import glob
import json
import math
import os
import re
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from planner import text
from planner.errors import InputError
from planner.text import N_, number, t
from planner.text import days as text_days

#: the largest amount of money accepted anywhere (currency units), 10**12
MAX_AMOUNT = 1e12
#: the largest seed numpy's generators take here (a non-negative 64-bit integer)
MAX_SEED = 2**63 - 1
#: the largest day count an option takes (about 270 years)
MAX_DAYS = 100_000
#: the most local worker processes
MAX_WORKERS = 256
#: the longest lead time from a recharge's trigger to usable funds (two months)
MAX_LEAD_DAYS = 60
#: the longest runway an ALERT may be asked for (a year: the plan's horizon by default)
MAX_ALERT_DAYS = 365
#: the largest scenario count an option takes (ten times the default)
MAX_COUNT = 20_000
#: the most scenario-days one plan simulates (scenarios x horizon): about two minutes
MAX_SCENARIO_DAYS = 20_000 * 365


def _refused(message: str, /, **values: object) -> argparse.ArgumentTypeError:
    """An option's value refused: ``message`` from the catalogue, in the language in use."""
    return argparse.ArgumentTypeError(t(message, **values))


def language(value: str) -> str:
    """An argparse type: a language with a catalogue (``fr``), else a one-line error."""
    try:
        return text.check_language(value)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _number(text: str, what: str) -> float:
    try:
        value = float(str(text).strip().replace("_", ""))
    except ValueError:
        raise _refused("{what} {text!r} is not a number", what=t(what), text=text) from None
    if not math.isfinite(value):
        raise _refused("{what} {text!r} is not a finite number", what=t(what), text=text)
    return value


def amount(text: str) -> float:
    """An amount of money: a finite number of at most :data:`MAX_AMOUNT` in size, to the cent.

    (The sign is left to the command, which says what it needs.)
    """
    value = _number(text, N_("amount"))
    if abs(value) > MAX_AMOUNT:
        raise _refused(
            "amount {text!r} is implausibly large (the limit is {limit})",
            text=text,
            limit=number(MAX_AMOUNT),
        )
    exact = Decimal(str(text).strip().replace("_", ""))
    if exact != exact.quantize(Decimal("0.01")):  # money is kept in whole cents
        raise _refused("amount {text!r} has more than 2 decimals; give it to the cent", text=text)
    return value


def finite(text: str) -> float:
    """A finite number (a probability, a rate: the command checks its range)."""
    value = _number(text, N_("value"))
    if abs(value) > MAX_AMOUNT:
        raise _refused("value {text!r} is implausibly large", text=text)
    return value


def _integer(text: str, what: str, low: int | None, high: int) -> int:
    """A whole number from ``low`` to ``high``; with ``low`` None, from ``-high`` (the command
    checks the lower bound and names its option), and only ``high`` is named."""
    raw = str(text).strip().replace("_", "")
    if not re.fullmatch(r"[+-]?\d+", raw):
        raise _refused("{what} {text!r} is not a whole number", what=t(what), text=text)
    value = int(raw)
    if low is None and abs(value) > high:
        raise _refused(
            "{what} {text!r} is beyond {high}", what=t(what), text=text, high=number(high)
        )
    if low is not None and not low <= value <= high:
        raise _refused(
            "{what} {text!r} must be between {low} and {high}",
            what=t(what),
            text=text,
            low=number(low),
            high=number(high),
        )
    return value


def days(text: str) -> int:
    """A whole number of days, at most :data:`MAX_DAYS` in size (the command checks the sign)."""
    return _integer(text, N_("day count"), None, MAX_DAYS)


def day_span(text: str) -> float:
    """A (possibly fractional) number of days, at most :data:`MAX_DAYS` in size."""
    value = _number(text, N_("day count"))
    if abs(value) > MAX_DAYS:
        raise _refused("day count {text!r} is beyond {days}", text=text, days=text_days(MAX_DAYS))
    return value


def seed(text: str) -> int:
    """A random seed: a whole number from 0 to :data:`MAX_SEED`."""
    return _integer(text, N_("seed"), 0, MAX_SEED)


def workers(text: str) -> int:
    """A number of local worker processes, from 1 to :data:`MAX_WORKERS`."""
    return _integer(text, N_("worker count"), 1, MAX_WORKERS)


def lead_days(text: str) -> int:
    """Days from a recharge's trigger to usable funds, from 0 to :data:`MAX_LEAD_DAYS`."""
    return _integer(text, N_("lead time in days"), 0, MAX_LEAD_DAYS)


def alert_days(text: str) -> int:
    """The runway in days below which the verdict is ALERT, 0 to :data:`MAX_ALERT_DAYS`."""
    return _integer(text, N_("alert runway in days"), 0, MAX_ALERT_DAYS)


def count(text: str) -> int:
    """A count of scenarios or the like: a whole number up to :data:`MAX_COUNT` (the command
    checks the lower bound)."""
    return _integer(text, N_("count"), None, MAX_COUNT)


def check_workload(scenarios: int | None, horizon_days: int | None) -> None:
    """Refuse a plan too large to simulate in reasonable time and memory, before starting.

    ``None`` stands for the defaults (2,000 scenarios, 365 days).
    """
    n = 2000 if scenarios is None else scenarios
    days = 365 if horizon_days is None else horizon_days
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (n, days)):
        return  # not whole numbers: the plan's own checks say so
    if n * days > MAX_SCENARIO_DAYS:
        raise InputError(
            "{n} scenarios over {days} days is more than {max_scenario_days} "
            "scenario-days to simulate; use fewer scenarios or a shorter horizon",
            n=number(n),
            days=number(days),
            max_scenario_days=number(MAX_SCENARIO_DAYS),
        )


def day(text: str) -> dt.date:
    """A day ``YYYY-MM-DD`` of the years 2000 to 2099 (a mistyped year would ask Graph for
    centuries of windows)."""
    try:
        value = dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise _refused("{value!r} is not a date (YYYY-MM-DD)", value=text) from None
    if not 2000 <= value.year <= 2099:
        raise _refused(
            "{value!r} is not a plausible day (the years 2000 to 2099 are read); check the year",
            value=text,
        )
    return value


def currency(text: str) -> str:
    """A three-letter ISO 4217 currency code (upper-cased)."""
    code = str(text).strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise _refused("currency {text!r} is not a three-letter ISO code", text=text)
    return code


# --------------------------------------------------------------------------------------------
# outputs
# --------------------------------------------------------------------------------------------


def _real(path: str | Path) -> Path:
    return Path(os.path.realpath(Path(path).expanduser()))


def _input_places(
    inputs: Iterable[str | Path | None],
) -> tuple[set[Path], list[Path], list[str]]:
    """Real paths of the input files, of the input folders (read recursively), and the glob
    patterns (absolute) the inputs name."""
    files: set[Path] = set()
    folders: list[Path] = []
    patterns: list[str] = []
    for raw in inputs:
        if raw is None:
            continue
        text = str(raw)
        real = _real(text)
        if real.is_dir():
            folders.append(real)
        elif any(ch in text for ch in "*?["):
            files.update(_real(p) for p in glob.glob(text, recursive=True))
            patterns.append(os.path.abspath(os.path.expanduser(text)))
        else:
            files.add(real)
    return files, folders, patterns


def check_outputs(
    inputs: Iterable[str | Path | None], outputs: Iterable[tuple[str, str | Path | None]]
) -> None:
    """Refuse outputs that would overwrite an input or land in a folder being read.

    Parameters
    ----------
    inputs : iterable of paths
        Every file, folder or glob pattern the command reads (None entries are skipped).
    outputs : iterable of (option, path)
        Every file the command writes, with the option that names it (None paths skipped).

    Raises
    ------
    InputError
        An output is one of the inputs (through any symlink), inside an input folder, or
        named by two options.
    """
    files, folders, patterns = _input_places(inputs)
    taken: dict[Path, str] = {}
    for option, path in outputs:
        if path is None:
            continue
        real = _real(path)
        if real in files:
            raise InputError(
                "{option} {path} is one of the inputs: refusing to overwrite it",
                option=option,
                path=path,
            )
        absolute = os.path.abspath(os.path.expanduser(str(path)))
        if any(fnmatch.fnmatch(absolute, p) for p in patterns):
            raise InputError(
                "{option} {path} matches an input pattern: the next run would read it "
                "as an export; write it elsewhere",
                option=option,
                path=path,
            )
        for folder in folders:
            if real == folder or folder in real.parents:
                raise InputError(
                    "{option} {path} is inside the input folder {folder}: the next run "
                    "would read it as an export; write it elsewhere",
                    option=option,
                    path=path,
                    folder=folder,
                )
        if real in taken:
            raise InputError(
                "{option} {path} is also given to {taken}: give two files",
                option=option,
                path=path,
                taken=taken[real],
            )
        taken[real] = option


def check_output_folder(inputs: Iterable[str | Path | None], option: str, folder: str | Path):
    """Refuse an output folder that is, holds, or lies inside an input folder.

    Files written into the folder replace those of the same name: an input inside it is
    refused as well.
    """
    files, folders, _ = _input_places(inputs)
    real = _real(folder)
    for f in folders:
        if real == f or f in real.parents:
            raise InputError(
                "{option} {folder} is inside the input folder {input}: the next run would "
                "read the reports as exports; write them elsewhere",
                option=option,
                folder=folder,
                input=f,
            )
    for f in files:
        if f.parent == real and f.suffix.lower() in (".html", ".xlsx", ".json"):
            raise InputError(
                "{option} {folder} holds the input {input}: write the reports elsewhere",
                option=option,
                folder=folder,
                input=f,
            )


# --------------------------------------------------------------------------------------------
# JSON output
# --------------------------------------------------------------------------------------------


def json_safe(value: Any) -> Any:
    """``value`` with every non-finite float (NaN, infinities) replaced by None, recursively."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    try:  # numpy scalars
        import numpy as np

        if isinstance(value, np.floating):
            return float(value) if np.isfinite(value) else None
        if isinstance(value, np.integer):
            return int(value)
        if isinstance(value, np.bool_):
            return bool(value)
    except ImportError:  # pragma: no cover - numpy is a dependency
        pass
    return value


def json_text(value: Any, **kwargs: Any) -> str:
    """Strict JSON text of ``value`` (non-finite numbers written as null), ``indent=2``."""
    kwargs.setdefault("indent", 2)
    return json.dumps(json_safe(value), allow_nan=False, **kwargs)
