"""The recommendation in named steps: options checked, scenarios, search, outcomes.

:func:`recommend` checks the options, builds the scenarios (with a tail of days after the
horizon, so that every lot bought in the plan is used or expires inside them), prices every
candidate on them through one :class:`~planner.recommend.search.Evaluator`, searches the
cheapest feasible policy (:mod:`planner.recommend.search`), evaluates what an admin
compares it with (:mod:`planner.recommend.outcomes`) and returns a
:class:`~planner.recommend.result.Recommendation` explained in the report's language.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from planner.engine import Policy
from planner.errors import InputError
from planner.inputs import check_lots
from planner.recommend.cost import (
    COST_FORMULA,
    DEFAULT_ALERT_DAYS,
    DEFAULT_MIN_AMOUNT,
    DEFAULT_RECHARGE_OVERHEAD,
    DEFAULT_SERVICE_LEVEL,
    MIN_RECHARGE_DAYS,
    TAIL_DAYS,
)
from planner.recommend.outcomes import (
    CURRENT,
    ONE_TIME,
    alternative_row,
    current_entry,
    current_settings,
    lots_position,
    named_alternatives,
    one_time_funding,
    pareto_frontier,
    policy_metrics,
    settle,
)
from planner.recommend.result import ALTERNATIVE_COLUMNS, FRONTIER_COLUMNS, Recommendation
from planner.recommend.search import Evaluator, round_policy, search
from planner.scenarios import (
    DEFAULT_SCENARIOS,
    TAIL_SHAPE_PRIOR,
    UNSEEN_BURSTS_PRIOR,
    Scenarios,
    make_scenarios,
)
from planner.validate import MAX_LEAD_DAYS

#: fewest scenarios the rows of a plan are judged on (the check scenarios,
#: :func:`_check_scenarios`): at a 1% stock-out share the standard error is 0.16 points
CHECK_SCENARIOS = 4000


def _prepare_lots(lots: pd.DataFrame | None, start: pd.Timestamp) -> pd.DataFrame | None:
    """Today's lots checked against the plan start (:func:`planner.inputs.check_lots`)."""
    if lots is None or len(lots) == 0:
        return None
    kept = check_lots(lots, start)[0]
    return None if kept.empty else kept


def _check_options(
    service_level: Any,
    horizon_days: Any,
    lead_days: Any,
    holding_rate: Any,
    recharge_overhead: Any,
    alert_days: Any,
) -> None:
    """Refuse option values the plan cannot use, naming the option (:class:`InputError`)."""
    if not (isinstance(service_level, int | float) and 0.5 <= service_level < 1):
        raise InputError(
            "service level: must be at least 0.5 and below 1 (e.g. 0.99), got {service_level!r}",
            service_level=service_level,
        )
    if isinstance(horizon_days, bool) or not isinstance(horizon_days, int | np.integer):
        raise InputError(
            "horizon days: must be a whole number, got {horizon_days!r}", horizon_days=horizon_days
        )
    if not 7 <= horizon_days <= 3650:
        raise InputError(
            "horizon days: must be between 7 and 3650, got {horizon_days}",
            horizon_days=horizon_days,
        )
    if isinstance(lead_days, bool) or not isinstance(lead_days, int | np.integer):
        raise InputError(
            "lead days: must be a whole number, got {lead_days!r}", lead_days=lead_days
        )
    if not 0 <= lead_days <= MAX_LEAD_DAYS:
        raise InputError(
            "lead days: must be between 0 and {most}, got {lead_days}",
            most=MAX_LEAD_DAYS,
            lead_days=lead_days,
        )
    if not (isinstance(holding_rate, int | float) and 0 <= holding_rate <= 1):
        raise InputError(
            "holding rate: must be between 0 and 1 a year, got {holding_rate!r}",
            holding_rate=holding_rate,
        )
    if not (
        isinstance(recharge_overhead, int | float)
        and math.isfinite(recharge_overhead)
        and recharge_overhead >= 0
    ):
        raise InputError(
            "recharge overhead: must be >= 0, got {recharge_overhead!r}",
            recharge_overhead=recharge_overhead,
        )
    if isinstance(alert_days, bool) or not isinstance(alert_days, int | np.integer):
        raise InputError(
            "alert days: must be a whole number, got {alert_days!r}", alert_days=alert_days
        )
    if alert_days < 0:
        raise InputError("alert days: must be >= 0, got {alert_days}", alert_days=alert_days)


def recommend(
    history: pd.Series | Scenarios,
    *,
    currency: str = "USD",
    service_level: float = DEFAULT_SERVICE_LEVEL,
    horizon_days: int = 365,
    lead_days: int = 1,
    holding_rate: float = 0.05,
    recharge_overhead: float = DEFAULT_RECHARGE_OVERHEAD,
    growth: str | float | None = None,
    n_scenarios: int | None = None,
    seed: int | None = None,
    lots: pd.DataFrame | None = None,
    current: Policy | None = None,
    alert_days: int = DEFAULT_ALERT_DAYS,
    min_recharge_days: float = MIN_RECHARGE_DAYS,
    min_amount: float = DEFAULT_MIN_AMOUNT,
    failure_prob: float = 0.0,
    fix_days: int = 0,
) -> Recommendation:
    """Recommend initial funding, recharge amount and trigger.

    Parameters
    ----------
    history : pd.Series or Scenarios
        Daily credit spend (float, one currency, daily DatetimeIndex), or ready-made
        scenarios (then ``horizon_days``, ``growth``, ``n_scenarios`` and ``seed`` are not
        used; without a :attr:`Scenarios.tail` forfeiture is counted within the horizon only).
    currency : str
        Currency code, for the explanation.
    service_level : float
        Required share of simulated years without a stock-out day (0.99).
    horizon_days : int
        Planning horizon.
    lead_days : int
        Days between a trigger and the funds being usable.
    holding_rate : float
        Yearly cost of money tied up in the balance (0.05 = 5 %).
    recharge_overhead : float
        Cost of handling one purchase invoice, in currency units
        (:data:`DEFAULT_RECHARGE_OVERHEAD`).
    growth : str, float or None
        Growth assumption, see :func:`planner.scenarios.parse_growth`; None estimates it.
    n_scenarios : int, optional
        Scenario count (default :data:`planner.scenarios.DEFAULT_SCENARIOS`).
    seed : int, optional
        Seed of the scenarios.
    lots : pd.DataFrame, optional
        Today's balance as lots (``purchase_date``, ``amount``), held on the first scenario
        day: enables the current position (runway, expiring funds) and lets the first
        purchase be 0. Lots must be bought on or before that day; expired ones are dropped
        with a note (:func:`planner.inputs.check_lots`).
    current : Policy, optional
        The admin's current settings, to compare with the recommendation.
    alert_days : int
        A pessimistic runway below ``alert_days + lead_days`` means "act now".
    min_recharge_days : float
        Optional floor on the recharge amount, in days of mean demand (0: none).
    min_amount : float
        Smallest whole amount the admin center accepts for the first purchase (unless 0),
        the recharge amount and the trigger.
    failure_prob, fix_days : float, int
        Share of recharge attempts that fail (an expired card) and days until the admin
        reacts: every policy searched is simulated with them.

    Returns
    -------
    Recommendation

    Raises
    ------
    InputError
        Unusable history or option values, or a history with no credit spend.
    """
    _check_options(
        service_level, horizon_days, lead_days, holding_rate, recharge_overhead, alert_days
    )
    _check_plan_rules(min_recharge_days, min_amount, failure_prob, fix_days)
    sc = _scenarios(history, horizon_days, int(lead_days), n_scenarios, growth, seed)
    lots = _prepare_lots(lots, sc.start)
    # the options as used, in the order the JSON shows them
    settings: dict[str, Any] = {
        "service_level": float(service_level),
        "horizon_days": sc.horizon_days,
        "lead_days": int(lead_days),
        "holding_rate": float(holding_rate),
        "recharge_overhead": float(recharge_overhead),
        "alert_days": int(alert_days),
        "min_recharge_days": float(min_recharge_days),
        "min_amount": float(min_amount),
        "failure_prob": float(failure_prob),
        "fix_days": int(fix_days),
    }
    check = _check_scenarios(history, sc, int(lead_days), growth, seed)
    unseen = _check_scenarios(
        history, sc, int(lead_days), growth, seed, spawn=2, tail_prior=UNSEEN_BURSTS_PRIOR
    )
    # numbers only: planner.text.plan.explain writes the words in the language of the run
    return _recommendation(
        _evaluator(sc, lots, settings, check, unseen), settings, current, currency
    )


def _scenarios(
    history: pd.Series | Scenarios,
    horizon_days: int,
    lead_days: int,
    n_scenarios: int | None,
    growth: str | float | None,
    seed: int | None,
) -> Scenarios:
    """The demand scenarios, with :data:`TAIL_DAYS` + lead days after the horizon; ready-made
    scenarios are taken as they are. Refuses a history with no credit spend."""
    if isinstance(history, Scenarios):
        sc = history
    else:
        sc = make_scenarios(
            history,
            horizon_days=int(horizon_days),
            n_scenarios=int(n_scenarios or DEFAULT_SCENARIOS),
            growth=growth,
            seed=seed,
            tail_days=TAIL_DAYS + int(lead_days),
        )
    if not sc.mean_daily() > 0:
        raise InputError(
            "the demand history has no credit spend: there is nothing to fund (for a tenant "
            "without credits yet, price its calls with --licences and --rates)"
        )
    return sc


def _check_scenarios(
    history: pd.Series | Scenarios,
    sc: Scenarios,
    lead_days: int,
    growth: str | float | None,
    seed: int | None,
    *,
    spawn: int = 1,
    tail_prior: tuple[float, float] = TAIL_SHAPE_PRIOR,
) -> Callable[[], Scenarios] | None:
    """What makes the check scenarios (:class:`~planner.recommend.search.Evaluator`): at
    least :data:`CHECK_SCENARIOS` of the same history (eight times the search's below 500),
    seeded apart from the search's and the same whether the search has 1,000 or 2,000; None
    for ready-made scenarios. With ``spawn=2`` and :data:`UNSEEN_BURSTS_PRIOR` as
    ``tail_prior``, as many scenarios that expect bursts a year has not shown, seeded apart
    again (the higher service level alternative is sized on them)."""
    if isinstance(history, Scenarios):
        return None
    # a plan of a few hundred scenarios (a quick check, a test) gets eight times as many
    n = max(2 * sc.n_scenarios, min(CHECK_SCENARIOS, 8 * sc.n_scenarios))
    entropy = np.random.SeedSequence(seed, spawn_key=(spawn,)) if seed is not None else None

    def make() -> Scenarios:
        return make_scenarios(
            history,
            horizon_days=sc.horizon_days,
            n_scenarios=n,
            growth=growth,
            rng=np.random.default_rng(entropy),
            tail_days=TAIL_DAYS + lead_days,
            tail_prior=tail_prior,
        )

    return make


def _evaluator(
    sc: Scenarios,
    lots: pd.DataFrame | None,
    settings: dict[str, Any],
    check: Callable[[], Scenarios] | None = None,
    unseen: Callable[[], Scenarios] | None = None,
) -> Evaluator:
    """The one evaluator of the plan: its scenarios, today's lots, the cost's rates, the
    stock-out target, the admin-center minimum and recharge failures."""
    ev = Evaluator(
        sc,
        lots=lots,
        holding_rate=settings["holding_rate"],
        recharge_overhead=settings["recharge_overhead"],
        target=1.0 - settings["service_level"],
        min_amount=settings["min_amount"],
        failure_prob=settings["failure_prob"],
        fix_days=settings["fix_days"],
        check=check,
        unseen=unseen,
    )
    ev.min_q = max(settings["min_recharge_days"] * sc.mean_daily(), ev.min_amount)
    return ev


def _recommendation(
    ev: Evaluator, settings: dict[str, Any], current: Policy | None, currency: str
) -> Recommendation:
    """Search the policy, evaluate what it is compared with, settle the recommendation as
    the cheapest feasible of every row shown, and gather the result (its explanation still
    empty)."""
    sc, lead_days = ev.sc, int(settings["lead_days"])
    initial_zero = ev.lots is not None
    q_best, s_best, grid = search(ev, sc, lead_days, initial_zero, ev.min_q)
    chosen = round_policy(ev, q_best, s_best, lead_days, initial_zero=initial_zero)
    rows = named_alternatives(
        ev, chosen, grid, q_best, s_best, lead_days, settings["service_level"]
    )
    one_time = one_time_funding(ev, sc, ev.target, initial_zero)
    row_one = one_time.pop("_row", None)
    if row_one is not None:
        rows.append((ONE_TIME, row_one))
    if current is not None:
        rows.append((CURRENT, current_settings(ev, current, initial_zero, sc.mean_daily())[1]))
    rows = settle(ev, rows, ev.target)
    mu = sc.mean_daily()
    chosen = rows[0][1]
    policy = ev.policy(
        float(chosen["initial"]),
        float(chosen["recharge_amount"]),
        float(chosen["threshold"]),
        lead_days,
    )
    metrics = policy_metrics(chosen, ev.final_scenarios, mu)
    if ev.lots is not None and float(chosen["initial"]) > 0:
        # the first purchase's reason, on the scenarios that decided it
        without = chosen.copy()
        without["initial"] = 0.0
        metrics["p_stockout_without_first_purchase"] = float(ev.final([without])[0]["p_stockout"])
    current_info = None
    for label, row in rows:
        if label == ONE_TIME:
            one_time.update(_one_time_numbers(row))
        elif label == CURRENT:
            current_info = current_entry(row, mu, ev.target)
    alts = [alternative_row(label, row, mu) for label, row in rows]
    for alt in alts:
        alt["explanation"] = ""  # written by planner.text.plan.explain
    position = (
        lots_position(sc, ev.lots, lead_days, settings["alert_days"])
        if ev.lots is not None
        else None
    )
    frontier, evaluated = _frontier(ev)
    return Recommendation(
        policy=policy,
        metrics=metrics,
        cost=metrics["cost"],
        one_time_funding=one_time,
        alternatives=pd.DataFrame(alts, columns=list(ALTERNATIVE_COLUMNS)),
        frontier=frontier,
        current=current_info,
        position=position,
        explanation=[],
        currency=currency,
        scenarios=sc,
        service_level=settings["service_level"],
        settings={
            **settings,
            "tail_days": 0 if sc.tail is None else int(sc.tail.shape[1]),
            "cost_formula": COST_FORMULA,
            "policies_evaluated": evaluated,
            "check_scenarios": ev.final_scenarios,
        },
        lots=ev.lots,
    )


def _one_time_numbers(row: pd.Series) -> dict:
    """The one-time purchase's figures from its row as shown in the table."""
    return {
        "p_stockout": float(row["p_stockout"]),
        "expected_forfeited": float(row["forfeited"]),
        "mean_balance": float(row["mean_balance"]),
        "cost": float(row["cost"]),
    }


def _frontier(ev: Evaluator) -> tuple[pd.DataFrame, int]:
    """The Pareto frontier of every auto-recharge policy evaluated so far, and their count."""
    evaluated = pd.concat(ev.seen, ignore_index=True)
    evaluated = evaluated[evaluated["auto_recharge"]]
    frontier = pareto_frontier(evaluated).rename(
        columns={"forfeited": "expected_forfeited", "recharges": "expected_recharges"}
    )[list(FRONTIER_COLUMNS)]
    return frontier, int(len(evaluated))


def _check_plan_rules(
    min_recharge_days: Any, min_amount: Any, failure_prob: Any, fix_days: Any
) -> None:
    """Refuse rule values (minimum amounts, recharge failures) the plan cannot use."""
    if not (isinstance(min_recharge_days, int | float) and 0 <= min_recharge_days <= 365):
        raise InputError(
            "min recharge days: must be between 0 and 365, got {min_recharge_days!r}",
            min_recharge_days=min_recharge_days,
        )
    if not (
        isinstance(min_amount, int | float)
        and math.isfinite(min_amount)
        and min_amount >= 1
        and float(min_amount) == int(min_amount)
    ):
        raise InputError(
            "min amount: must be a whole amount >= 1, got {min_amount!r}", min_amount=min_amount
        )
    if not (isinstance(failure_prob, int | float) and 0 <= failure_prob < 1):
        raise InputError(
            "failure rate: must be at least 0 and below 1 (e.g. 0.05), got {failure_prob!r}",
            failure_prob=failure_prob,
        )
    if isinstance(fix_days, bool) or not isinstance(fix_days, int | np.integer):
        raise InputError("fix days: must be a whole number, got {fix_days!r}", fix_days=fix_days)
    if not 0 <= fix_days <= 90:
        raise InputError("fix days: must be between 0 and 90, got {fix_days}", fix_days=fix_days)
