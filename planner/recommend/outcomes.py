"""What the recommendation reports besides its three amounts.

Its metrics, the named alternatives (fewer recharges, lowest forfeiture, higher and lower
service level), the one-time purchase option, the admin's current settings evaluated like
every candidate, the Pareto frontier of cost against risk, and the position of today's
lots (runway, expiring funds, advice). Every policy is simulated by the search's
:class:`~planner.recommend.search.Evaluator`, on the same scenarios.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from planner.analysis import lot_forfeiture, runway_days
from planner.engine import Policy, expiry_days
from planner.recommend.result import EXPIRING_COLUMNS, SAFER_OPTION
from planner.recommend.search import (
    Evaluator,
    lead_time_bound,
    min_threshold,
    nice_step,
    round_amount,
    round_policy,
)
from planner.scenarios import Scenarios
from planner.shares import plain_percent

#: the names of the rows of a plan's alternatives table (the service levels add their level:
#: ``higher service level (99.8%)``)
RECOMMENDED = "recommended"
FEWER_RECHARGES = "fewer recharges"
LOWEST_FORFEITURE = "lowest forfeiture"
LOWER_OPTION = "lower service level"
ONE_TIME = "one-time funding"
CURRENT = "current settings"


def _per_month(row: pd.Series, mu: float) -> float:
    """Recharges a month once they run: a month of mean demand over the recharge amount."""
    if not row["auto_recharge"] or not row["recharge_amount"] > 0:
        return 0.0
    return mu * (365.25 / 12) / float(row["recharge_amount"])


def policy_metrics(row: pd.Series, n_scen: int, mu: float) -> dict:
    """An evaluated policy's scenario means (:attr:`~planner.recommend.result.Recommendation.metrics`), with the
    standard error of its stock-out probability over ``n_scen`` scenarios."""
    p = float(row["p_stockout"])
    return {
        "p_stockout": p,
        "p_stockout_se": math.sqrt(max(p * (1 - p), 0.25 / n_scen) / n_scen),
        "expected_forfeited": float(row["forfeited"]),
        "expected_purchased": float(row["purchased"]),
        "expected_recharges": float(row["recharges"]),
        "expected_purchases": float(row["purchases"]),
        "recharges_per_month": _per_month(row, mu),
        "mean_balance": float(row["mean_balance"]),
        "expected_unserved": float(row["unserved"]),
        "stockout_days": float(row["stockout_days"]),
        "end_balance": float(row["end_balance"]),
        "holding_cost": float(row["holding_cost"]),
        "recharge_cost": float(row["recharge_cost"]),
        "cost": float(row["cost"]),
    }


def alternative_row(option: str, row: pd.Series, mu: float) -> dict:
    """A row of :attr:`~planner.recommend.result.Recommendation.alternatives` (without its explanation)."""
    return {
        "option": option,
        "initial": float(row["initial"]),
        "recharge_amount": float(row["recharge_amount"]) if row["auto_recharge"] else 0.0,
        "threshold": float(row["threshold"]) if row["auto_recharge"] else 0.0,
        "auto_recharge": bool(row["auto_recharge"]),
        "p_stockout": float(row["p_stockout"]),
        "expected_forfeited": float(row["forfeited"]),
        "expected_purchased": float(row["purchased"]),
        "expected_recharges": float(row["recharges"]),
        "recharges_per_month": _per_month(row, mu),
        "mean_balance": float(row["mean_balance"]),
        "cost": float(row["cost"]),
    }


def pareto_frontier(table: pd.DataFrame) -> pd.DataFrame:
    """Policies not beaten on both cost and stock-out risk.

    Parameters
    ----------
    table : pd.DataFrame
        Evaluated policies with at least ``p_stockout`` and ``cost``.

    Returns
    -------
    pd.DataFrame
        The non-dominated rows, by increasing ``p_stockout`` (and decreasing ``cost``).
    """
    t = table.sort_values(["p_stockout", "cost"], kind="stable")
    keep = t["cost"].to_numpy() < np.minimum.accumulate(
        np.concatenate([[np.inf], t["cost"].to_numpy()[:-1]])
    )
    return t[keep].reset_index(drop=True)


def one_time_funding(ev: Evaluator, sc: Scenarios, target: float, initial_zero: bool) -> dict:
    """Smallest rounded single purchase (no auto-recharge) that meets the service level.

    Returns
    -------
    dict
        ``amount`` (None when one purchase cannot cover the horizon), ``p_stockout``,
        ``expected_forfeited``, ``mean_balance``, ``cost``, ``note`` and, when an amount is
        found, ``_row`` (its evaluation, for the alternatives table).
    """
    zero = _single_purchase(ev, np.array([0.0])).iloc[0]
    if zero["p_stockout"] <= target + 1e-12:
        amount, row = 0.0, zero
    else:
        hi = float(sc.paths.sum(axis=1).max()) * 1.05 + 1.0
        top = _single_purchase(ev, np.array([hi])).iloc[0]
        if top["p_stockout"] > target + 1e-12:
            start_balance = 0.0 if ev.lots is None else float(ev.lots["amount"].sum())
            life = int(expiry_days(sc.start, [sc.start])[0])
            return {
                "amount": None,
                "p_stockout": float(top["p_stockout"]),
                "expected_forfeited": None,
                "mean_balance": None,
                "cost": None,
                "note": (
                    f"one purchase cannot cover {sc.horizon_days} days: funds expire "
                    f"{life} days after purchase"
                    + (" and today's lots expire sooner" if start_balance > 0 else "")
                ),
            }
        amount, row = _smallest_single_purchase(ev, target, hi)
    # the evaluator's tail spends what is left after the horizon until the lot expires, so
    # ``forfeited`` is the purchase's whole loss and ``cost`` uses the one formula
    return {
        "amount": float(amount),
        "p_stockout": float(row["p_stockout"]),
        "expected_forfeited": float(row["forfeited"]),
        "mean_balance": float(row["mean_balance"]),
        "cost": float(row["cost"]),
        "note": "includes what is left when the purchase expires" if amount > 0 else "",
        "_row": row,
    }


def _single_purchase(ev: Evaluator, amounts: np.ndarray) -> pd.DataFrame:
    """Single purchases of ``amounts`` with auto-recharge off, evaluated (not kept)."""
    t = pd.DataFrame(
        {
            "initial": amounts,
            "recharge_amount": 0.0,
            "threshold": 0.0,
            "lead_days": 0,
            "auto_recharge": False,
        }
    )
    return ev(t, keep=False)


def _smallest_single_purchase(ev: Evaluator, target: float, hi: float) -> tuple[float, pd.Series]:
    """The smallest rounded single purchase meeting ``target``, knowing ``hi`` does.

    A small vector bisection (8 amounts per round narrow the bracket 9-fold), then the
    amount rounded up to a :func:`nice_step` (at least the minimum amount) and raised step
    by step until it meets the target again.
    """
    lo = 0.0
    for _ in range(4):
        grid = np.linspace(lo, hi, 10)[1:-1]
        res = _single_purchase(ev, grid)
        ok = (res["p_stockout"] <= target + 1e-12).to_numpy()
        if ok.any():
            j = int(np.argmax(ok))
            hi = float(grid[j])
            lo = float(grid[j - 1]) if j > 0 else lo
        else:
            lo = float(grid[-1])
    amount = max(round_amount(hi, "up"), ev.min_amount)
    row = _single_purchase(ev, np.array([amount])).iloc[0]
    while row["p_stockout"] > target + 1e-12:
        amount += nice_step(amount)
        row = _single_purchase(ev, np.array([amount])).iloc[0]
    return amount, row


def lots_position(sc: Scenarios, lots: pd.DataFrame, lead_days: int, alert_days: int) -> dict:
    """Runway and expiry of today's lots with no purchase from now on.

    The runway is :func:`planner.analysis.runway_days` and the expiring funds
    :func:`planner.analysis.lot_forfeiture` (the balance engine with auto-recharge off), on
    the plan's scenarios.

    Returns
    -------
    dict
        ``balance``, ``as_of``, ``runway_days`` (``median``, ``pessimistic`` = 5th
        percentile, ``censored``), ``depletion_date``, ``expiring``
        (:data:`~planner.recommend.result.EXPIRING_COLUMNS`), ``expected_forfeit_total``,
        ``act_now`` and ``advice``.
    """
    horizon = sc.horizon_days
    # a runway past the horizon counts as the horizon; observed whole days (method="lower"),
    # as the runway chart labels them
    runway = np.minimum(runway_days(sc.paths, sc.start, lots), horizon)
    median = float(np.quantile(runway, 0.5, method="lower"))
    pessimistic = float(np.quantile(runway, 0.05, method="lower"))
    balance = float(lots["amount"].sum())
    depletion = sc.start + pd.Timedelta(days=int(median)) if median < horizon else None
    oldest_first = lots.sort_values("purchase_date", kind="stable")
    expiring = lot_forfeiture(oldest_first, sc.paths, sc.start, percentiles=())
    expiring = expiring[list(EXPIRING_COLUMNS)]
    act_now = pessimistic < alert_days + lead_days
    to_lose = float(np.nansum(expiring["expected_forfeit"]))
    return {
        "balance": balance,
        "as_of": sc.start,
        "runway_days": {
            "median": median,
            "pessimistic": pessimistic,
            "censored": bool(median >= horizon),
        },
        "depletion_date": depletion,
        "expiring": expiring,
        "expected_forfeit_total": to_lose,
        "act_now": bool(act_now),
        "advice": _position_advice(act_now, pessimistic, to_lose, balance),
    }


def _position_advice(act_now: bool, pessimistic: float, to_lose: float, balance: float) -> str:
    """What to do about today's lots: act now, avoid adding more, or nothing yet."""
    if act_now:
        return (
            f"act now: the balance may run out within {int(pessimistic)} days; "
            "add funds or turn on auto-recharge"
        )
    if to_lose > 0.01 * max(balance, 1.0):
        return (
            "no purchase needed yet; spend is too low to use all of today's funds before "
            "they expire, so avoid adding more than the recommendation"
        )
    return "no action needed yet"


def named_alternatives(
    ev: Evaluator,
    chosen: pd.Series,
    grid: pd.DataFrame,
    q_best: float,
    s_best: float,
    lead_days: int,
    service_level: float,
) -> list[tuple[str, pd.Series]]:
    """The recommended row and the candidate alternatives, each rounded and simulated, as
    ``(label, evaluated row)``; :func:`settle` decides which of them keep their label."""
    mu = ev.sc.mean_daily()
    initial_zero = ev.lots is not None
    metrics = policy_metrics(chosen, ev.sc.n_scenarios, mu)
    rows: list[tuple[str, pd.Series]] = [(RECOMMENDED, chosen)]

    def add(option: str, row: pd.Series | None) -> None:
        if row is not None and _key(row) not in {_key(r) for _, r in rows}:
            rows.append((option, row))

    feasible_grid = grid[np.isfinite(grid["_s"])]
    fewer = feasible_grid[feasible_grid["_q"] >= 2 * float(chosen["recharge_amount"])]
    if metrics["recharges_per_month"] > 0.5 and not fewer.empty:
        f = fewer.loc[fewer["cost"].idxmin()]
        add(
            FEWER_RECHARGES,
            round_policy(ev, f["_q"], f["_s"], lead_days, initial_zero=initial_zero),
        )
    if metrics["expected_forfeited"] > 0.005 * max(metrics["expected_purchased"], 1.0):
        lowf = feasible_grid.sort_values(["forfeited", "cost"], kind="stable").iloc[0]
        add(
            LOWEST_FORFEITURE,
            round_policy(ev, lowf["_q"], lowf["_s"], lead_days, initial_zero=initial_zero),
        )
    for label, level in (
        (SAFER_OPTION, 1 - (1 - service_level) / 5),
        (LOWER_OPTION, 1 - min(0.5, (1 - service_level) * 5)),
    ):
        tgt = 1 - level
        # the higher level is offered against bursts a year has not shown: it is sized on
        # scenarios that expect them (the table then shows it on the check scenarios)
        on = ev.unseen if label == SAFER_OPTION else ev
        s_hi = max(s_best, ev.min_amount) * 2
        if label == SAFER_OPTION:  # unseen bursts can need far more than twice the trigger
            s_hi = max(s_hi, lead_time_bound(on.sc, lead_days))
        s_alt, _ = min_threshold(on, np.array([q_best]), s_hi, lead_days, target=tgt)
        if np.isfinite(s_alt[0]):
            row = round_policy(
                on, q_best, float(s_alt[0]), lead_days, initial_zero=initial_zero, target=tgt
            )
            add(f"{label} ({plain_percent(level)})", row)
    return rows


def _key(row: pd.Series) -> tuple[float, float, float, bool]:
    return (
        float(row["initial"]),
        float(row["recharge_amount"]),
        float(row["threshold"]),
        bool(row["auto_recharge"]),
    )


def _label_holds(option: str, row: pd.Series, rec: pd.Series, rows: list[pd.Series]) -> bool:
    """Whether a named alternative's label is true of its numbers against the
    recommendation ``rec`` (``rows``: every auto-recharge row shown)."""
    p, cost = float(row["p_stockout"]), float(row["cost"])
    if option.startswith(SAFER_OPTION) or option.startswith(LOWER_OPTION):
        level = _label_level(option)
        if option.startswith(SAFER_OPTION):
            return p <= 1 - level + 1e-12 and p < float(rec["p_stockout"])
        return p <= 1 - level + 1e-12 and cost < float(rec["cost"])
    if option == FEWER_RECHARGES:
        return float(row["recharges"]) < 0.9 * float(rec["recharges"])
    if option == LOWEST_FORFEITURE:
        least = min(float(r["forfeited"]) for r in rows)
        return (
            float(row["forfeited"]) <= least
            and float(row["forfeited"]) < float(rec["forfeited"]) - 0.5
        )
    return True


def _label_level(option: str) -> float:
    """The service level a row's label names: ``higher service level (99.8%)`` is 0.998."""
    return float(option.rsplit("(", 1)[1].rstrip("%)").replace(",", ".")) / 100


def settle(
    ev: Evaluator, rows: list[tuple[str, pd.Series]], target: float
) -> list[tuple[str, pd.Series]]:
    """Every row a plan shows, evaluated together on the check scenarios
    (:meth:`Evaluator.final`), without a first purchase the service level does not need
    (today's lots given, :func:`_no_needless_purchase`), the recommendation made the cheapest
    feasible auto-recharge row among them (current settings included), and each named
    alternative kept only where its label is true of the numbers shown.

    Parameters
    ----------
    rows : list of (str, pd.Series)
        ``(label, evaluated row)``, the first labelled ``recommended``; ``one-time funding``
        and ``current settings`` rows are kept whatever their numbers.

    Returns
    -------
    list of (str, pd.Series)
        The recommendation first (its amounts possibly those of another row), then the
        alternatives whose label holds, in their order.
    """
    final = list(zip([label for label, _ in rows], ev.final([r for _, r in rows]), strict=True))
    final[0] = (final[0][0], _raised_until_feasible(ev, final[0][1], target))
    # the higher service level row was sized at its edge on the scenarios that expect unseen
    # bursts; where it misses its level on the check scenarios, its trigger moves up a step
    # or two as the recommendation's does, rather than the row going unnamed
    final = [
        (label, _raised_until_feasible(ev, r, 1 - _label_level(label)))
        if label.startswith(SAFER_OPTION)
        else (label, r)
        for label, r in final
    ]
    if ev.lots is not None:
        final = _no_needless_purchase(ev, final, target)
    auto = [(label, r) for label, r in final if bool(r["auto_recharge"])]
    feasible = [(label, r) for label, r in auto if float(r["p_stockout"]) <= target + 1e-12]
    rec = final[0][1]
    if feasible:
        best = min(feasible, key=lambda lr: (float(lr[1]["cost"]), lr[0] != RECOMMENDED))[1]
        rec = best
    out = [(RECOMMENDED, rec)]
    auto_rows = [r for _, r in auto]
    for label, row in final[1:]:
        kept = label in (ONE_TIME, CURRENT)
        if not kept and _key(row) == _key(rec):
            continue
        if kept or _label_holds(label, row, rec, auto_rows):
            out.append((label, row))
    return out


#: trigger steps tried above a recommendation that misses the service level on the check
#: scenarios
RAISE_STEPS = 8


def _raised_until_feasible(ev: Evaluator, row: pd.Series, target: float) -> pd.Series:
    """The recommendation as evaluated on the check scenarios or, when it misses the service
    level there (it passed the search's scenarios near the edge), the same amounts with the
    lowest of the next :data:`RAISE_STEPS` nice triggers up that meets it: the plan moves
    its trigger up a step or two, not to the next row it shows (an alternative sized for
    another service level, perhaps twice the trigger)."""
    if not bool(row["auto_recharge"]) or float(row["p_stockout"]) <= target + 1e-12:
        return row
    triggers, s = [], float(row["threshold"])
    for _ in range(RAISE_STEPS):
        s = round_amount(s + nice_step(s), "nearest")
        triggers.append(s)
    tried = []
    for s in triggers:
        up = row.copy()
        up["threshold"] = s
        if float(up["initial"]) > 0:
            up["initial"] = max(float(up["initial"]), s)
        tried.append(up)
    for up in ev.final(tried):
        if float(up["p_stockout"]) <= target + 1e-12:
            return up
    return row


def _no_needless_purchase(
    ev: Evaluator, final: list[tuple[str, pd.Series]], target: float
) -> list[tuple[str, pd.Series]]:
    """With today's lots, funds are added now only when the scenarios need them: each
    auto-recharge row with a first purchase is replaced by the same row with none when that
    meets the service level on the check scenarios too (a row sized on other scenarios, the
    higher service level's, may carry a purchase these do not need)."""
    idx = [
        i
        for i, (label, r) in enumerate(final)
        if label not in (ONE_TIME, CURRENT) and bool(r["auto_recharge"]) and r["initial"] > 0
    ]
    if not idx:
        return final
    zero = [final[i][1].copy() for i in idx]
    for r in zero:
        r["initial"] = 0.0
    out = list(final)
    for i, row in zip(idx, ev.final(zero), strict=True):
        if float(row["p_stockout"]) <= target + 1e-12:
            out[i] = (final[i][0], row)
    return out


def current_settings(
    ev: Evaluator, current: Policy, lots_given: bool, mu: float
) -> tuple[dict, pd.Series]:
    """The admin's current settings evaluated like every candidate (today's lots replace
    the first purchase when given)."""
    cur = current
    if lots_given and cur.initial > 0:
        cur = Policy(
            0.0,
            cur.recharge_amount,
            cur.threshold,
            cur.lead_days,
            cur.auto_recharge,
            cur.failure_prob,
            cur.fix_days,
        )
    row = ev.one(cur)
    return current_entry(row, mu, ev.target), row


def current_entry(row: pd.Series, mu: float, target: float) -> dict:
    """The current settings' entry of a plan (:attr:`Recommendation.current`) from their
    evaluated row."""
    return {
        "initial": float(row["initial"]),
        "recharge_amount": float(row["recharge_amount"]),
        "threshold": float(row["threshold"]),
        "auto_recharge": bool(row["auto_recharge"]),
        "failure_prob": float(row["failure_prob"]),
        "fix_days": int(row["fix_days"]),
        "p_stockout": float(row["p_stockout"]),
        "expected_forfeited": float(row["forfeited"]),
        "expected_recharges": float(row["recharges"]),
        "recharges_per_month": _per_month(row, mu),
        "mean_balance": float(row["mean_balance"]),
        "cost": float(row["cost"]),
        "meets_service_level": bool(row["p_stockout"] <= target + 1e-12),
    }
