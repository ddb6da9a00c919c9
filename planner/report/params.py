"""The report notebooks' parameters: one table of types and ranges, checked before any kernel.

:data:`PARAMETERS` holds every parameter of ``funding_plan`` and ``usage_analysis`` (a test
keeps it in step with their ``parameters`` cells) with what it accepts. A value from
``--params``, ``-p NAME VALUE``, a named option or ``TENANTS.yaml`` is checked here, so a
value the notebook cannot use (``-p top_n -5``, ``-p timezone Mars/Olympus``) is one line and
exit 2 naming the parameter and what it accepts, before papermill starts.

The ranges are the plan's own (:func:`planner.recommend.recommend` refuses the same values):
the table states them for the parameters, the library keeps checking what it is given.
"""

from __future__ import annotations

import functools
import math
import re
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from planner import text, validate, yamlfile
from planner.errors import InputError
from planner.text import N_, t

__all__ = [
    "OPTION_PARAMETERS",
    "PARAMETERS",
    "Parameter",
    "check_parameter",
    "option_parameters",
    "parse_value",
    "read_params_file",
]


def _number_text(value: float) -> str:
    whole = isinstance(value, int) or value == int(value)
    return text.number(value) if whole else text.number(value, 6, least=0)


@dataclass(frozen=True)
class Parameter:
    """What one notebook parameter accepts.

    ``kind``: ``whole`` (an integer), ``number`` (int or float), ``text``, ``path``, ``paths``
    (a path or a list of paths), ``flag`` (true/false), or a named check (``growth``,
    ``currency``, ``timezone``, ``lang``). ``low``/``high`` bound the numbers (``high_open``:
    strictly below ``high``); ``optional``: None is accepted (the notebook's own default).
    """

    kind: str
    low: float | None = None
    high: float | None = None
    optional: bool = False
    high_open: bool = False
    whole_amount: bool = False

    def accepted(self) -> str:
        """What the parameter accepts, in words (for messages and ``--help``)."""
        if self.kind in ("whole", "number"):
            low, high = _number_text(self.low or 0), _number_text(self.high or 0)
            if self.whole_amount:
                return t("a whole amount from {low} to {high}", low=low, high=high)
            if self.kind == "whole":
                return t("a whole number from {low} to {high}", low=low, high=high)
            if self.high_open:
                return t("a number from {low} to below {high}", low=low, high=high)
            return t("a number from {low} to {high}", low=low, high=high)
        if self.kind == "lang":
            return t("a language of the reports: {langs}", langs=", ".join(text.available()))
        return t(_ACCEPTED[self.kind])

    def check(self, name: str, value: Any) -> Any:
        """``value`` when the parameter accepts it, else :class:`InputError` naming both."""
        if value is None:
            if self.optional:
                return None
            raise self._refuse(name, value)
        return _CHECKS[self.kind](self, name, value)

    def parse(self, name: str, raw: str) -> Any:
        """A value typed as text (an option, a quoted YAML value) converted, then checked."""
        if self.kind in ("whole", "number") and isinstance(raw, str):
            return self.check(name, self._number(name, raw))
        return self.check(name, raw)

    def _number(self, name: str, raw: str) -> int | float:
        plain = raw.strip().replace("_", "")
        if re.fullmatch(r"[+-]?\d{1,30}", plain):
            return int(plain)
        if self.kind == "number":
            try:
                return float(plain)
            except ValueError:
                pass
        if self.kind == "whole":
            raise self._refuse(name, raw, "is not a whole number")
        raise self._refuse(name, raw, "is not a number")

    def _refuse(self, name: str, value: Any, problem: str = "is not accepted") -> InputError:
        shown = repr(value)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        return InputError(
            "{name}: {shown} {problem}; give {accepted}",
            name=name,
            shown=shown,
            problem=t(problem),
            accepted=self.accepted(),
        )


def _check_number(p: Parameter, name: str, value: Any) -> Any:
    if p.kind == "whole" and (isinstance(value, bool) or not isinstance(value, int)):
        raise p._refuse(name, value, "is not a whole number")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise p._refuse(name, value, "is not a number")
    if not math.isfinite(value):
        raise p._refuse(name, value, "is not a finite number")
    low = -math.inf if p.low is None else p.low
    high = math.inf if p.high is None else p.high
    if not low <= value <= high or (p.high_open and value >= high):
        raise p._refuse(name, value, "is out of range")
    if p.whole_amount and value != int(value):
        raise p._refuse(name, value, "is not a whole amount")
    return value


def _check_text(p: Parameter, name: str, value: Any) -> Any:
    if not isinstance(value, str):
        raise p._refuse(name, value, "is not text")
    if len(value) > 4096 or "\x00" in value:
        raise p._refuse(name, value, "is not usable text")
    return value


def _check_paths(p: Parameter, name: str, value: Any) -> Any:
    if isinstance(value, list):
        if not value:
            raise p._refuse(name, value, "is an empty list")
        for item in value:
            _check_text(p, name, item)
        return value
    return _check_text(p, name, value)


def _check_flag(p: Parameter, name: str, value: Any) -> Any:
    if not isinstance(value, bool):
        raise p._refuse(name, value, "is not true or false")
    return value


def _check_growth(p: Parameter, name: str, value: Any) -> Any:
    from planner.scenarios.growth import parse_growth

    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise p._refuse(name, value, "is not a growth")
    try:
        parse_growth(value)
    except InputError as exc:
        raise InputError(
            "{name}: {problem}", name=name, problem=str(exc).split(":", 1)[-1].strip()
        ) from None
    return value


def _check_currency(p: Parameter, name: str, value: Any) -> Any:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z]{3}", value.strip()):
        raise p._refuse(name, value, "is not a three-letter ISO code")
    return value


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _check_timezone(p: Parameter, name: str, value: Any) -> Any:
    if not isinstance(value, str) or value not in _zones() and value != "UTC":
        raise p._refuse(name, value, "is not a time zone of the zone database")
    return value


def _check_billing(p: Parameter, name: str, value: Any) -> Any:
    from planner.billing import BILLING_MODES

    if value not in BILLING_MODES:
        raise p._refuse(name, value, "is not a billing mode")
    return value


def _check_lang(p: Parameter, name: str, value: Any) -> Any:
    if not isinstance(value, str):
        raise p._refuse(name, value, "is not a language code")
    try:
        return text.check_language(value)
    except InputError:
        raise p._refuse(name, value, "is not available") from None


_CHECKS: dict[str, Callable[[Parameter, str, Any], Any]] = {
    "whole": _check_number,
    "number": _check_number,
    "text": _check_text,
    "path": _check_text,
    "paths": _check_paths,
    "flag": _check_flag,
    "growth": _check_growth,
    "currency": _check_currency,
    "timezone": _check_timezone,
    "lang": _check_lang,
    "billing": _check_billing,
}

_ACCEPTED: dict[str, str] = {
    "text": N_("text"),
    "path": N_("a file path"),
    "paths": N_("a path or a list of paths"),
    "flag": N_("true or false"),
    "growth": N_("a growth such as 0.2, '+20%/year', '-10%' or 'users:250->300'"),
    "currency": N_("a three-letter ISO 4217 code such as EUR"),
    "timezone": N_("an IANA time zone such as Europe/Paris (the zone database's names)"),
    "billing": N_("prepaid (Communications Credits) or postpaid (billed after use, MCA)"),
}

_AMOUNT = validate.MAX_AMOUNT

#: every parameter of the report notebooks but ``artifacts_dir`` (set by the runner)
PARAMETERS: dict[str, Parameter] = {
    # both notebooks
    "exports": Parameter("paths", optional=True),
    "currency": Parameter("currency", optional=True),
    "licences": Parameter("path", optional=True),
    "user_licences": Parameter("path", optional=True),
    "tenant": Parameter("text", optional=True),
    "lang": Parameter("lang"),
    # the funding plan
    "service_level": Parameter("number", 0.5, 1, high_open=True),
    "horizon_days": Parameter("whole", 7, 3650),
    "lead_days": Parameter("whole", 0, validate.MAX_LEAD_DAYS),
    "holding_rate": Parameter("number", 0, 1),
    "recharge_overhead": Parameter("number", 0, _AMOUNT),
    "min_amount": Parameter("number", 1, _AMOUNT, whole_amount=True),
    "failure_rate": Parameter("number", 0, 1, high_open=True),
    "fix_days": Parameter("whole", 0, 90),
    "growth": Parameter("growth", optional=True),
    "n_scenarios": Parameter("whole", 1, validate.MAX_COUNT),
    "seed": Parameter("whole", 0, validate.MAX_SEED),
    "balance": Parameter("path", optional=True),
    "current_recharge_amount": Parameter("number", 0, _AMOUNT, optional=True),
    "current_threshold": Parameter("number", 0, _AMOUNT, optional=True),
    "current_auto_recharge": Parameter("flag"),
    "current_balance": Parameter("number", 0, _AMOUNT, optional=True),
    "rates": Parameter("path", optional=True),
    "alert_days": Parameter("whole", 0, validate.MAX_ALERT_DAYS),
    "min_recharge_days": Parameter("number", 0, validate.MAX_DAYS),
    "billing": Parameter("billing"),
    "as_of": Parameter("text", optional=True),  # a date, read by planner.plan.PlanRequest
    "keep_alert_spend": Parameter("flag"),
    "monthly_budget": Parameter("number", 0.01, _AMOUNT, optional=True),
    # the usage analysis
    "departments": Parameter("path", optional=True),
    "timezone": Parameter("timezone", optional=True),
    "top_n": Parameter("whole", 1, 1000),
    "month_end_days": Parameter("whole", 1, 28),
}

#: ``planner report`` option (its argparse ``dest``) -> the notebook parameter it sets
OPTION_PARAMETERS: dict[str, str] = {
    "currency": "currency",
    "service_level": "service_level",
    "horizon_days": "horizon_days",
    "lead_days": "lead_days",
    "holding_rate": "holding_rate",
    "recharge_overhead": "recharge_overhead",
    "growth": "growth",
    "scenarios": "n_scenarios",
    "seed": "seed",
    "licences": "licences",
    "rates": "rates",
    "balance": "balance",
    "departments": "departments",
    "user_licences": "user_licences",
    "current_recharge_amount": "current_recharge_amount",
    "current_threshold": "current_threshold",
    "alert_days": "alert_days",
    "lang": "lang",
}


def check_parameter(name: str, value: Any) -> Any:
    """``value`` checked against :data:`PARAMETERS` (a name not in it is left to the caller).

    Raises
    ------
    InputError
        The value's type or range is not what the parameter accepts; the message names the
        parameter and what it accepts.
    """
    spec = PARAMETERS.get(name)
    return value if spec is None else spec.check(name, value)


def option_parameters(options: Mapping[str, Any]) -> dict[str, Any]:
    """Notebook parameters of the ``planner report`` options given (None: not given)."""
    return {
        name: options[dest]
        for dest, name in OPTION_PARAMETERS.items()
        if options.get(dest) is not None
    }


def read_params_file(path: str | Path) -> dict[str, Any]:
    """Notebook parameters from a YAML (or JSON) mapping file, read by
    :func:`planner.yamlfile.load_file` (safe, bounded, regular files only).

    Raises
    ------
    InputError
        The file cannot be read, is not YAML within the limits, or is not a mapping.
    """
    label = f"--params {path}"
    data = yamlfile.load_file(path, label)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError("{label}: must hold a mapping of parameter names to values", label=label)
    return data


def parse_value(name: str, raw: str) -> Any:
    """A ``-p NAME VALUE`` value read as YAML (``0.9`` -> float, ``true`` -> bool); text that
    is not YAML stays text."""
    return yamlfile.load_value(raw, f"-p {name}")
