"""One request for "plan this tenant": its data, options and settings, checked once.

``planner recommend`` maps its options into a :class:`PlanRequest`; the funding-plan notebook
is ``PlanRequest.from_params(params).run()``; ``planner batch`` checks a tenant's parameters
with :meth:`PlanRequest.from_params` before its report runs; the backtest plans each history
with :meth:`PlanRequest.plan_history`. The parameter names are the notebook's (a test compares
them with its parameter cell), the defaults are written here and in :class:`PlanOptions`
once, and every pairing ("rates need licences", "both or neither" current settings), minimum
and type is checked when the request is built, with an :class:`~planner.errors.InputError`
naming the parameter.

>>> PlanRequest.from_params({"service_level": 0.995}).options.service_level
0.995
>>> PlanRequest.from_params({"rates": "rates.csv"})
Traceback (most recent call last):
...
planner.errors.InputError: rates: a what-if rate card also needs the licence counts (licences)
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import pandas as pd

from planner import text
from planner.billing import (
    BILLING_MODES,
    check_billing,
    credits_run_out,
    monthly_forecast,
    parse_monthly_budget,
)
from planner.errors import InputError
from planner.inputs import check_lots
from planner.plan.options import PlanOptions
from planner.plan.pipeline import current_policy, history_from_file, load_lots, plan
from planner.plan.result import PlanResult
from planner.plan.sources import DemandSource, read_demand
from planner.plan.verdict import verdict
from planner.recommend.advise import _check_options, _check_plan_rules
from planner.scenarios import parse_growth
from planner.text import funding as funding_text
from planner.text import plan as plan_text
from planner.validate import MAX_ALERT_DAYS, MAX_LEAD_DAYS, MAX_SEED, check_workload

__all__ = ["BILLING_MODES", "REPORT_PARAMETERS", "PlanRequest"]

#: parameters of the report notebooks that are not about the plan (accepted, not used)
REPORT_PARAMETERS: frozenset[str] = frozenset({"tenant", "artifacts_dir", "departments"})

#: request fields that are not plan options, with the kind of value each takes
_FIELD_KINDS: dict[str, str] = {
    "exports": "paths",
    "demand": "path",
    "currency": "currency",
    "licences": "path",
    "rates": "path",
    "user_licences": "path",
    "balance": "path",
    "current_recharge_amount": "amount",
    "current_threshold": "amount",
    "current_auto_recharge": "bool",
    "current_balance": "amount",
    "billing": "billing",
    "as_of": "date",
    "keep_alert_spend": "bool",
    "lang": "lang",
    "shared_dir": "path",
}

#: plan options with the kind of value each takes
_OPTION_KINDS: dict[str, str] = {
    "service_level": "number",
    "horizon_days": "int",
    "lead_days": "int",
    "holding_rate": "number",
    "recharge_overhead": "number",
    "growth": "growth",
    "n_scenarios": "int",
    "seed": "int",
    "alert_days": "int",
    "min_amount": "number",
    "min_recharge_days": "number",
    "failure_rate": "number",
    "fix_days": "int",
    "monthly_budget": "budget",
}

#: the sample tenant's files used when no exports are named (as ``planner demo``)
_SAMPLE_FILES = {
    "balance": "balance.csv",
    "user_licences": "user_licences.csv",
    "licences": "licences.csv",
}


@dataclass(frozen=True)
class PlanRequest:
    """Everything that decides a tenant's funding plan.

    Attributes
    ----------
    exports : tuple of str, optional
        Usage export files or folders; None (and no ``demand``): the sample tenant.
    demand : str, optional
        A daily demand file (``date,amount``) instead of exports (``planner recommend``).
    currency : str, optional
        Currency to plan in when the demand holds several.
    licences, rates : str, optional
        Licence counts and rate card: with both, calls are re-priced what-if; a rate card
        needs the licence counts.
    user_licences : str, optional
        Users and their licences (MCOPSTNC check, pay-as-you-go users).
    balance : str, optional
        Today's balance as lots (``purchase_date,amount``).
    options : PlanOptions
        Service level, horizon, costs, scenarios, seed, admin-center minimum, failures.
    current_recharge_amount, current_threshold : float, optional
        Today's auto-recharge settings: both or neither.
    current_auto_recharge : bool
        False: auto-recharge is off today.
    current_balance : float, optional
        Today's balance when no lots file is given.
    billing : str
        ``prepaid`` (Communications Credits) or ``postpaid`` (paid after use, MCA).
    as_of : str, optional
        ISO date the balance was read; None: the day after the last usage day.
    keep_alert_spend : bool
        True: keep the spend high alerts flag in the demand (by default it is left out).
    lang : str
        Language of the sentences.
    shared_dir : str, optional
        A private folder where the exports read are kept for the other notebooks of the same
        report (set by ``planner report``): they are read once
        (:mod:`planner.ingest.shared`). None: read them here.
    """

    exports: tuple[str, ...] | None = None
    demand: str | None = None
    currency: str | None = None
    licences: str | None = None
    rates: str | None = None
    user_licences: str | None = None
    balance: str | None = None
    options: PlanOptions = field(default_factory=PlanOptions)
    current_recharge_amount: float | None = None
    current_threshold: float | None = None
    current_auto_recharge: bool = True
    current_balance: float | None = None
    billing: str = "prepaid"
    as_of: str | None = None
    keep_alert_spend: bool = False
    lang: str = text.DEFAULT_LANGUAGE
    shared_dir: str | None = None

    def __post_init__(self) -> None:
        for name, kind in _FIELD_KINDS.items():
            object.__setattr__(self, name, _checked(name, kind, getattr(self, name)))
        for name, kind in _OPTION_KINDS.items():
            _checked(name, kind, getattr(self.options, name))
        self._check_pairings()
        o = self.options
        _check_day_counts(o)
        _check_options(
            o.service_level,
            o.horizon_days,
            o.lead_days,
            o.holding_rate,
            o.recharge_overhead,
            o.alert_days,
        )
        _check_plan_rules(o.min_recharge_days, o.min_amount, o.failure_rate, o.fix_days)
        if not 1 <= o.n_scenarios:
            raise InputError(
                "scenario count (--scenarios, n_scenarios): must be at least 1, got {n_scenarios}",
                n_scenarios=o.n_scenarios,
            )
        if not 0 <= o.seed <= MAX_SEED:
            raise InputError(
                "seed: must be between 0 and {max_seed}, got {seed}", max_seed=MAX_SEED, seed=o.seed
            )
        check_workload(o.n_scenarios, o.horizon_days)
        self.current()  # the current settings' own checks (both or neither, minimum)

    def _check_pairings(self) -> None:
        """The rules that tie two parameters together, each stated once."""
        if self.rates is not None and self.licences is None:
            raise InputError("rates: a what-if rate card also needs the licence counts (licences)")
        amount, trigger = self.current_recharge_amount, self.current_threshold
        if self.current_auto_recharge and (amount is None) != (trigger is None):
            missing = "current_threshold" if trigger is None else "current_recharge_amount"
            raise InputError(
                "{missing}: the current recharge amount and trigger go together: give "
                "both (or neither, or turn current auto-recharge off)",
                missing=missing,
            )
        if self.demand is not None:
            if self.exports is not None:
                raise InputError("demand: give either a demand file or usage exports, not both")
            given = [n for n in ("licences", "rates", "user_licences") if getattr(self, n)]
            if given:
                raise InputError(
                    "{given}: licences, rates and user licences price usage exports; they "
                    "do not apply to a demand file",
                    given=given[0],
                )
            if not self.keep_alert_spend:
                # a demand file holds no calls for the alerts to judge: nothing to leave out
                object.__setattr__(self, "keep_alert_spend", True)

    # ---- building ------------------------------------------------------------------------

    @classmethod
    def parameters(cls) -> dict[str, Any]:
        """Every parameter name with its default, options included, in the notebook's names."""
        out: dict[str, Any] = {}
        plain = PlanRequest()
        for f in fields(cls):
            if f.name == "options":
                out.update(plain.options.as_dict())
            else:
                out[f.name] = getattr(plain, f.name)
        return out

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> PlanRequest:
        """A request from notebook parameters (``service_level``, ``failure_rate``, ...).

        Names of the report's other parameters (:data:`REPORT_PARAMETERS`) are accepted and
        not used; any other unknown name is refused.

        Raises
        ------
        InputError
            An unknown name, a value of the wrong kind, out of range, or a broken pairing,
            naming the parameter.
        """
        known = cls.parameters()
        for name in params:
            if name not in known and name not in REPORT_PARAMETERS:
                raise InputError(
                    "unknown plan parameter {name!r}; known: {known}",
                    name=name,
                    known=", ".join(sorted(known)),
                )
        options = {n: _checked(n, _OPTION_KINDS[n], params[n]) for n in PlanOptions.names()
                   if n in params}  # fmt: skip
        rest = {n: params[n] for n in _FIELD_KINDS if n in params}
        return cls(options=replace(PlanOptions(), **options), **rest)

    @classmethod
    def from_report_params(cls, params: Mapping[str, Any]) -> PlanRequest:
        """A request from a report's parameters: the plan's ones checked, the other
        notebooks' left to them (``planner report`` and ``planner batch`` call it before
        any notebook runs, so a bad plan parameter is one line and exit 2)."""
        known = cls.parameters()
        return cls.from_params({k: v for k, v in params.items() if k in known})

    # ---- running -------------------------------------------------------------------------

    def current(self) -> Any:
        """The current settings as a :class:`planner.engine.Policy`, or None when not given."""
        o = self.options
        return current_policy(
            self.current_recharge_amount,
            self.current_threshold,
            auto_recharge=self.current_auto_recharge,
            balance=self.current_balance,
            lead_days=o.lead_days,
            failure_prob=o.failure_rate,
            fix_days=o.fix_days,
            min_amount=o.min_amount,
        )

    def with_sample(self) -> PlanRequest:
        """The request with the sample tenant's files when it names no exports and no demand
        file (its balance, user licences and licence counts, unless given)."""
        if self.exports is not None or self.demand is not None:
            return self
        from planner.sample import sample_dir

        root = Path(sample_dir())
        files = {
            name: str(root / filename)
            for name, filename in _SAMPLE_FILES.items()
            if getattr(self, name) is None and (root / filename).exists()
        }
        return replace(self, exports=(str(root / "exports"),), **files)  # type: ignore[arg-type]

    def read(self) -> DemandSource:
        """The demand to plan from: the demand file, or the exports without the spend high
        alerts flag (:func:`planner.plan.sources.read_demand`)."""
        req = self.with_sample()
        if req.demand is not None:
            history, currency = history_from_file(req.demand, req.currency)
            return DemandSource(history=history, currency=currency)
        return read_demand(req)

    def run(self) -> PlanResult:
        """Read the data, leave out the alerts' spend, and plan (in the request's language).

        Returns
        -------
        PlanResult
        """
        with text.language(self.lang):
            source = self.read()
            return self.with_sample().plan_history(source.history, source.currency, source=source)

    def plan_history(
        self, history: pd.Series, currency: str, *, source: DemandSource | None = None
    ) -> PlanResult:
        """Plan from a daily demand ``history`` already read (the backtest's way in).

        ``source`` is what :meth:`read` read (records, demand, alerts, spend left out).
        """
        source = source or DemandSource(history=history, currency=currency)
        with text.language(self.lang):
            lots = load_lots(self.balance)
            rec = plan(
                history,
                currency,
                options=self.options,
                lots=lots,
                current=self.current(),
                as_of=self.as_of,
            )
            dropped = [] if lots is None else check_lots(lots, rec.scenarios.start)[1]
            gaps = [plan_text.gap_warning(gap) for gap in source.gaps]
            found = verdict(
                rec, alerts=source.alerts, alert_days=self.options.alert_days, billing=self.billing
            )
            postpaid = self.billing == "postpaid"
            # a post-paid tenant's credits: when they run out, once today's lots are known
            run_out = None
            if postpaid and lots is not None:
                run_out = credits_run_out(rec.scenarios, rec.lots)
            result = PlanResult(
                forecast=monthly_forecast(
                    rec.scenarios,
                    currency,
                    monthly_budget=self.options.monthly_budget,
                    lots=rec.lots if postpaid else None,
                    postpaid=postpaid,
                ),
                run_out=run_out,
                warnings=(*dropped, *gaps, *rec.warnings),
                request=self,
                history=history,
                currency=currency,
                recommendation=rec,
                verdict=found,
                demand=source.demand,
                records=source.records,
                alerts=source.alerts,
                left_out=source.left_out,
                history_alerts=source.history_alerts,
            )
            # the sentences agree with the verdict: written again once it is known
            funded = None
            if source.records is not None:
                funded = funding_text.left_out_sentence(
                    source.left_out,
                    kept=self.keep_alert_spend,
                    postpaid=result.outlook is not None,
                )
            plan_text.explain(
                rec,
                growth_given=self.options.growth is not None,
                dropped=dropped,
                gaps=gaps,
                verdict=found,
                funded=funded,
                outlook=result.outlook,
                run_out=result.run_out,
            )
            return result


def _check_day_counts(o: PlanOptions) -> None:
    """The lead time and the alert runway within their ranges, naming the option and the
    parameter (a notebook or ``TENANTS.yaml`` gives the parameter)."""
    if not 0 <= o.lead_days <= MAX_LEAD_DAYS:
        raise InputError(
            "lead time (--lead-days, lead_days): must be between 0 and {high} days, got {value}",
            high=MAX_LEAD_DAYS,
            value=o.lead_days,
        )
    if not 0 <= o.alert_days <= MAX_ALERT_DAYS:
        raise InputError(
            "alert runway (--alert-days, alert_days): must be between 0 and {high} days, "
            "got {value}",
            high=MAX_ALERT_DAYS,
            value=o.alert_days,
        )


def _checked(name: str, kind: str, value: Any) -> Any:
    """``value`` as the kind of value parameter ``name`` takes, else an :class:`InputError`."""
    if value is None and kind not in _REQUIRED_KINDS:
        return None
    return _CHECKS[kind](name, value)


def _paths(name: str, value: Any) -> tuple[str, ...]:
    items = [value] if isinstance(value, str | Path) else value
    if not isinstance(items, list | tuple) or not all(isinstance(v, str | Path) for v in items):
        raise InputError(
            "{name}: a path or a list of paths is needed, got {value!r}", name=name, value=value
        )
    if not items:
        raise InputError(
            "{name}: no usage export given; name at least one file or folder", name=name
        )
    return tuple(str(v) for v in items)


def _path(name: str, value: Any) -> str:
    if not isinstance(value, str | Path) or str(value) == "":
        raise InputError("{name}: a path is needed, got {value!r}", name=name, value=value)
    return str(value)


def _currency(name: str, value: Any) -> str:
    code = str(value).strip().upper()
    if not (isinstance(value, str) and len(code) == 3 and code.isalpha()):
        raise InputError(
            "{name}: a three-letter ISO 4217 code is needed, got {value!r}", name=name, value=value
        )
    return code


def _number(name: str, value: Any) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError("{name}: a number is needed, got {value!r}", name=name, value=value)
    if not math.isfinite(value):
        raise InputError("{name}: a finite number is needed, got {value!r}", name=name, value=value)
    return value


def _whole(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError("{name}: a whole number is needed, got {value!r}", name=name, value=value)
    return value


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise InputError("{name}: true or false is needed, got {value!r}", name=name, value=value)
    return value


def _growth(name: str, value: Any) -> str | float:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InputError(
            "{name}: a growth like 0.1 or '+20%/year' is needed, got {value!r}",
            name=name,
            value=value,
        )
    parse_growth(value)  # its errors name the growth
    return value


def _budget(name: str, value: Any) -> float | int:
    """A monthly budget: an amount above 0 (:func:`planner.billing.parse_monthly_budget`)."""
    _number(name, value)
    try:
        parse_monthly_budget(value)
    except InputError as exc:
        # the budget's own words after its name ("monthly budget: ..."), in any language
        problem = str(exc).split(":", 1)[-1].strip()
        raise InputError("{name}: {problem}", name=name, problem=problem) from None
    return value


def _billing(name: str, value: Any) -> str:
    return check_billing(value, name)


def _language(name: str, value: Any) -> str:
    return text.check_language(value)


def _iso_day(name: str, value: Any) -> str:
    """An ISO date (``YYYY-MM-DD``, as papermill passes dates) of the years 2000 to 2099 (a
    mistyped year is no balance's date, and 9999 is beyond what a timestamp holds)."""
    try:
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise InputError(
            "{name}: a date YYYY-MM-DD is needed, got {value!r}", name=name, value=value
        ) from None
    if not 2000 <= day.year <= 2099:
        raise InputError(
            "{name}: {day} is not a plausible day (the years 2000 to 2099 are read); check "
            "the year",
            name=name,
            day=day.isoformat()[:10],
        )
    return day.isoformat()[:10]


#: the check of each kind of value
_CHECKS: dict[str, Callable[[str, Any], Any]] = {
    "paths": _paths,
    "path": _path,
    "currency": _currency,
    "number": _number,
    "amount": _number,
    "int": _whole,
    "bool": _flag,
    "growth": _growth,
    "billing": _billing,
    "budget": _budget,
    "lang": _language,
    "date": _iso_day,
}

#: kinds for which None is not a value
_REQUIRED_KINDS = frozenset({"bool", "billing", "lang", "int", "number"})
