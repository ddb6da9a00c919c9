"""The steps of a funding plan: inputs -> demand -> current policy -> recommendation.

:class:`planner.plan.PlanRequest` runs them in order for ``planner recommend``, the
funding-plan notebook, ``planner batch`` and the backtest; the replay helpers serve
``planner simulate``:

    demand = demand_from_records(records, licences=..., rates=..., user_licences=...)
    history, currency = demand.series(currency)
    current = current_policy(recharge_amount, threshold, lead_days=..., ...)
    rec = plan(history, currency, options=PlanOptions(...), lots=read_lots(path), current=current)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.demand.actual import DemandResult, actual_demand
from planner.demand.pricing import whatif_demand
from planner.engine import Policy, SimulationResult, simulate
from planner.errors import InputError
from planner.ingest import iter_records, read_exports
from planner.inputs import (
    check_lots,
    read_demand_csv,
    read_licences,
    read_lots,
    read_rates,
    read_user_licences,
)
from planner.plan.options import PlanOptions
from planner.recommend import DEFAULT_MIN_AMOUNT, TAIL_DAYS, Recommendation, recommend
from planner.scenarios import Scenarios, make_scenarios
from planner.text import number
from planner.text import plan as plan_text

__all__ = [
    "current_policy",
    "default_fit_days",
    "demand_from_exports",
    "demand_from_records",
    "history_from_exports",
    "history_from_file",
    "load_lots",
    "plan",
    "replay",
    "replay_document",
    "replay_trajectory",
]


def demand_from_records(
    records: pd.DataFrame,
    *,
    licences: str | Path | None = None,
    rates: str | Path | None = None,
    user_licences: str | Path | None = None,
) -> DemandResult:
    """Daily credit demand of the call records: actual charges, or what-if priced.

    Parameters
    ----------
    records : pd.DataFrame
        Call records (:func:`planner.ingest.read_exports`).
    licences, rates : path, optional
        Licence counts and rate card: with a rate card the calls are re-priced after the
        minute pools (what-if), which needs the licence counts; licence counts alone do not
        change the demand.
    user_licences : path, optional
        Users and their licences (MCOPSTNC check, pay-as-you-go users).

    Returns
    -------
    DemandResult
    """
    if rates is not None and licences is None:
        raise InputError("rates: a what-if rate card also needs the licence counts (licences)")
    user_lic = read_user_licences(user_licences) if user_licences else None
    if rates is None or licences is None:
        return actual_demand(records, user_licences=user_lic)
    return whatif_demand(
        records, read_licences(licences), read_rates(rates), user_licences=user_lic
    )


def demand_from_exports(
    paths: Iterable[str | Path],
    *,
    licences: str | Path | None = None,
    rates: str | Path | None = None,
    user_licences: str | Path | None = None,
) -> tuple[DemandResult, int]:
    """Daily credit demand of usage exports streamed in chunks (they may exceed memory).

    As :func:`demand_from_records`, with the licence, rate and user files read before the
    exports (a typo there is reported at once).

    Returns
    -------
    (DemandResult, int)
        The demand and the number of export rows rejected by ingest.

    Raises
    ------
    InputError
        The exports hold no call record.
    """
    paths = list(paths)
    if rates is not None and licences is None:
        raise InputError("rates: a what-if rate card also needs the licence counts (licences)")
    users = read_user_licences(user_licences) if user_licences else None
    card = (
        (read_licences(licences), read_rates(rates))
        if rates is not None and licences is not None
        else None
    )
    stream = iter_records(paths)
    if card is not None:
        result = whatif_demand(stream, *card, user_licences=users)
    else:
        result = actual_demand(stream, user_licences=users)
    if sum(f.records for f in stream.files) == 0:
        raise InputError("no call records in {paths}", paths=", ".join(map(str, paths)))
    return result, len(stream.rejects)


def history_from_exports(
    paths: Iterable[str | Path],
    currency: str | None = None,
    *,
    licences: str | Path | None = None,
    rates: str | Path | None = None,
    user_licences: str | Path | None = None,
) -> tuple[pd.Series, str]:
    """The daily demand series to plan from, and its currency, from usage exports
    (:func:`demand_from_records`; ``currency`` picks one when they hold several)."""
    records = read_exports(list(paths)).records
    result = demand_from_records(
        records, licences=licences, rates=rates, user_licences=user_licences
    )
    return result.series(currency)


def history_from_file(path: str | Path, currency: str | None = None) -> tuple[pd.Series, str]:
    """The daily demand series to plan from, and its currency, from a demand file.

    A file of several currencies needs ``currency``; a plain ``date,amount`` file is in
    ``currency`` (USD when not given).
    """
    wanted = currency.strip().upper() if currency else None
    try:
        series, found = read_demand_csv(path)
    except InputError:
        if wanted is None:
            raise
        # a file holding several currencies: keep the one asked for
        series, found = read_demand_csv(path, currency=wanted)
    if found is None:  # a plain date,amount file: the currency given names its currency
        return series, wanted or "USD"
    if wanted is not None and found != wanted:
        raise InputError(
            "{path} holds {found} demand, not {wanted}", path=path, found=found, wanted=wanted
        )
    return series, found


def load_lots(path: str | Path | None) -> pd.DataFrame | None:
    """Today's balance as lots from a ``purchase_date,amount`` file (None: not given).

    The lots are checked against the plan start inside :func:`plan` (expired lots dropped
    with a warning naming them, lots dated after the start refused), where the start is known.
    """
    if path is None or path == "":
        return None
    lots = read_lots(path)
    lots.attrs["source"] = str(path)
    return lots


def current_policy(
    recharge_amount: float | None,
    threshold: float | None,
    *,
    auto_recharge: bool = True,
    balance: float | None = None,
    lead_days: int = 1,
    failure_prob: float = 0.0,
    fix_days: int = 0,
    min_amount: float = DEFAULT_MIN_AMOUNT,
) -> Policy | None:
    """The admin's current settings as a :class:`planner.engine.Policy` (None if not given).

    The one construction of the current policy, used by the CLI and the report alike.

    Parameters
    ----------
    recharge_amount, threshold : float or None
        Today's auto-recharge amount and trigger; both or neither. The admin center holds
        whole amounts of at least ``min_amount``, so smaller ones are refused (a trigger of
        0 would never fire).
    auto_recharge : bool
        False: auto-recharge is off today (amount and trigger are then not needed).
    balance : float, optional
        Today's balance when no lots file is given (the simulation's first purchase). When
        unknown, the balance is taken to hold one recharge amount (as right after a first
        purchase of that size). With a lots file the lots are the balance and this is not
        used (:func:`plan` sets the first purchase to 0).
    lead_days : int
        Days between a trigger and the funds being usable.
    failure_prob, fix_days : float, int
        Share of recharge attempts that fail and days until the admin reacts.
    min_amount : float
        The admin center's minimum amount.

    Raises
    ------
    InputError
        Only one of amount and trigger given, amounts the admin center refuses, or values
        the engine refuses.
    """
    if auto_recharge and recharge_amount is None and threshold is None:
        return None
    if auto_recharge and (recharge_amount is None or threshold is None):
        raise InputError(
            "current settings: give both the current recharge amount and the current trigger "
            "(or turn current auto-recharge off)"
        )
    if auto_recharge:
        for what, value in (("recharge amount", recharge_amount), ("trigger", threshold)):
            if not (isinstance(value, int | float) and math.isfinite(value)):
                raise InputError(
                    "current settings: the {what} must be a number, got {value!r}",
                    what=what,
                    value=value,
                )
            if value < min_amount:
                raise InputError(
                    "current settings: the admin center does not accept a {what} below "
                    "{min_amount:g} (got {value:g}); give the amount set there",
                    what=what,
                    min_amount=min_amount,
                    value=value,
                )
    try:
        return Policy(
            initial=float(balance if balance is not None else (recharge_amount or 0.0)),
            recharge_amount=float(recharge_amount or 0.0),
            threshold=float(threshold or 0.0),
            lead_days=int(lead_days),
            auto_recharge=bool(auto_recharge),
            failure_prob=float(failure_prob),
            fix_days=int(fix_days),
        )
    except ValueError as exc:
        raise InputError("current settings: {exc}", exc=exc) from None


def plan(
    history: pd.Series,
    currency: str,
    *,
    options: PlanOptions | None = None,
    lots: pd.DataFrame | None = None,
    current: Policy | None = None,
    as_of: str | pd.Timestamp | None = None,
) -> Recommendation:
    """Scenarios, current settings and the recommendation for one daily demand history.

    Parameters
    ----------
    history : pd.Series
        Daily credit spend in ``currency``.
    currency : str
    options : PlanOptions, optional
        Defaults: :class:`PlanOptions` ().
    lots : pd.DataFrame, optional
        Today's balance as lots (:func:`load_lots`), as of the day after the history.
    current : Policy, optional
        The current settings (:func:`current_policy`).
    as_of : date, optional
        The day the balance was read, when it is later than the day after the history: the
        plan starts then (the scenarios' days in between are spent already; lots expired by
        then are left out with a warning).

    Returns
    -------
    Recommendation
        Its words in the language in use (:func:`planner.text.plan.explain`).
    """
    o = options or PlanOptions()
    rec = recommend(
        _from_day(history, o, as_of),
        currency=currency,
        lots=lots,
        current=current,
        **o.recommend_kwargs(),
    )
    dropped = [] if lots is None else check_lots(lots, rec.scenarios.start)[1]
    plan_text.explain(rec, growth_given=o.growth is not None, dropped=dropped)
    return rec


#: most days between the day after the history and the day the balance was read
MAX_AS_OF_GAP_DAYS = 365


def _from_day(
    history: pd.Series, o: PlanOptions, as_of: str | pd.Timestamp | None
) -> pd.Series | Scenarios:
    """The history, or its scenarios started on ``as_of`` when the balance was read after
    the day following the history: the same paths drawn from that day on (as many days ahead
    as the plan asks), the gap days dropped."""
    if as_of is None:
        return history
    start = history.index.max() + pd.Timedelta(days=1)
    day = pd.Timestamp(as_of).normalize()
    if day < start:
        raise InputError(
            "as_of: the balance was read on {date}, before the end of the usage "
            "({date2}); give a day from {date3} on",
            date=day.date(),
            date2=history.index.max().date(),
            date3=start.date(),
        )
    gap = int((day - start).days)
    if gap > MAX_AS_OF_GAP_DAYS:
        raise InputError(
            "as_of: the balance was read on {date}, {days} days after the last usage day "
            "({date2}); the plan needs usage from the last year: export recent usage, or give "
            "a day up to {date3}",
            date=day.date(),
            days=number(gap + 1),
            date2=history.index.max().date(),
            date3=(start + pd.Timedelta(days=MAX_AS_OF_GAP_DAYS)).date(),
        )
    if gap == 0:
        return history
    sc = make_scenarios(
        history,
        horizon_days=o.horizon_days + gap,
        n_scenarios=o.n_scenarios,
        growth=o.growth,
        seed=o.seed,
        tail_days=TAIL_DAYS + o.lead_days,
    )
    return replace(sc, start=day, paths=sc.paths[:, gap:])


def default_fit_days(history_days: int, fit_days: int | None = None) -> int:
    """Days of history a backtest fits on: ``fit_days``, else all but the last 90.

    Raises
    ------
    InputError
        No ``fit_days`` and a history too short to keep 14 days after leaving out 90.
    """
    if fit_days is not None:
        return fit_days
    if history_days - 90 < 14:
        raise InputError(
            "the history has {history_days} days: too short to fit on all but the "
            "last 90; give --fit-days",
            history_days=history_days,
        )
    return history_days - 90


def replay(
    demand: pd.Series,
    policy: Policy,
    *,
    lots: pd.DataFrame | None = None,
    seed: int | None = None,
) -> SimulationResult:
    """Replay a daily demand from its first day under ``policy`` (:func:`planner.engine.simulate`).

    ``lots`` (:func:`load_lots`) are the funds held on the first day; ``seed`` makes the
    failed recharge attempts (``policy.failure_prob``) repeatable.

    Raises
    ------
    InputError
        A lot bought after the first day (the replay buys what comes after it itself).
    """
    start = demand.index[0]
    if lots is not None and len(lots) and (lots["purchase_date"] > start).any():
        late = lots.loc[lots["purchase_date"] > start, "purchase_date"].iloc[0]
        source = lots.attrs.get("source", "lots")
        raise InputError(
            "{source}: a lot bought on {date}, after the start {date2}; the replay "
            "buys what comes after the start itself: give the lots held on the "
            "start date, or a later --start",
            source=source,
            date=late.date(),
            date2=start.date(),
        )
    return simulate(demand, start, policy, lots=lots, rng=np.random.default_rng(seed))


def replay_trajectory(result: SimulationResult) -> pd.DataFrame:
    """The replay day by day (``date,demand,served,unserved,purchased,expired,balance``),
    amounts rounded to 6 decimals as in :func:`replay_document`."""
    amounts = list(result.trajectory.columns[1:])
    return result.trajectory.assign(**result.trajectory[amounts].round(6))


def replay_document(
    result: SimulationResult, policy: Policy, currency: str | None
) -> dict[str, Any]:
    """A replay as plain values (for JSON): period, policy, metrics and the e-mails
    Microsoft would have sent, amounts rounded to 6 decimals (float noise off, cents and
    sub-cent rates kept)."""
    traj = result.trajectory
    metrics = {k: round(v, 6) if isinstance(v, float) else v for k, v in result.metrics.items()}
    first = metrics["first_stockout"]
    metrics["first_stockout"] = None if first is None else pd.Timestamp(first).date().isoformat()
    return {
        "start": traj["date"].iloc[0].date().isoformat(),
        "end": traj["date"].iloc[-1].date().isoformat(),
        "days": len(traj),
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
