"""Funding recommendation: initial purchase, recharge amount and trigger, with risk and cost.

The recommended policy minimises the expected **cost**

    cost = forfeited funds + holding_rate x mean balance x horizon / 365
           + recharge_overhead x recharges

subject to ``p_stockout <= 1 - service_level``, over demand scenarios
(:mod:`planner.scenarios`) simulated by the balance engine (:func:`planner.engine.sweep`).
Money spent on calls is the same under every policy that serves them, so it is not a cost;
what a policy changes is what expires, how much money sits idle, and how many purchases it
takes.

Search. For a fixed recharge amount Q, raising the trigger s lowers the stock-out risk and
raises the balance held, so the cheapest feasible s is the smallest one meeting the service
level, ``s_min(Q)``. The search therefore

1. searches ``s_min(Q)`` for a log-spaced grid of Q (one week to a bit over a year of demand),
   all Q at once, every sweep on the same scenarios (common random numbers);
2. refines twice on a finer log grid between the neighbours of the cheapest Q;
3. rounds Q, s and the first purchase to amounts an admin would type (:func:`nice_step`),
   evaluates the rounded neighbours and keeps the cheapest feasible one: the rounded policy
   is the one simulated and reported.

About 500 policy evaluations in all (search, rounding, alternatives) replace a fine grid of
tens of thousands.

Initial purchase. With auto-recharge on from the start, the first purchase is just the
first lot: the search uses ``initial = max(Q, s)`` (the start then looks like any later
cycle); the reported policy takes the first feasible of: 0 (when today's lots are given),
``Q`` (one recharge amount, what an admin expects), ``max(Q, s)``.

Smallest recharge. Q is searched from :data:`MIN_RECHARGE_DAYS` days of mean demand up:
without a recharge overhead, holding cost alone would push Q down to daily purchases, each
invoiced separately, to save cents a year.

Monte Carlo error. A stock-out probability estimated from S scenarios has standard error
``sqrt(p (1 - p) / S)``; the search picks the cheapest policy meeting the target on *these*
scenarios, so on fresh scenarios it meets it within about two standard errors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from planner.engine import Policy, expiry_days, paths, sweep
from planner.errors import EXIT_ALERT, EXIT_OK, InputError
from planner.scenarios import DEFAULT_SCENARIOS, Scenarios, make_scenarios

#: smallest recharge amount searched, in days of mean demand
MIN_RECHARGE_DAYS = 14.0
#: points of the coarse Q grid
_COARSE_Q = 14
#: points added between the neighbours of the best Q at each refinement
_FINE_Q = 7
#: rounds of the trigger search, and triggers tested per Q in each (625-fold narrowing)
_SEARCH_ROUNDS = 4
_POINTS_PER_ROUND = 4
#: columns of :attr:`Recommendation.alternatives` and :attr:`Recommendation.frontier`
ALTERNATIVE_COLUMNS = (
    "option",
    "initial",
    "recharge_amount",
    "threshold",
    "auto_recharge",
    "p_stockout",
    "expected_forfeited",
    "expected_purchased",
    "expected_recharges",
    "recharges_per_month",
    "mean_balance",
    "cost",
    "explanation",
)
FRONTIER_COLUMNS = (
    "initial",
    "recharge_amount",
    "threshold",
    "p_stockout",
    "cost",
    "expected_forfeited",
    "mean_balance",
    "expected_recharges",
)
EXPIRING_COLUMNS = ("date", "purchase_date", "amount", "expected_forfeit")


@dataclass
class Recommendation:
    """A recommended funding policy and everything an admin needs to judge it.

    Attributes
    ----------
    policy : Policy
        The recommended (rounded) policy.
    metrics : dict
        Its scenario means: ``p_stockout``, ``p_stockout_se``, ``expected_forfeited``,
        ``expected_purchased``, ``expected_recharges``, ``recharges_per_month``,
        ``mean_balance``, ``expected_unserved``, ``stockout_days``, ``end_balance``,
        ``holding_cost``, ``recharge_cost``, ``cost``.
    cost : float
        Expected cost of the policy (see the module docstring).
    one_time_funding : dict
        No auto-recharge: ``amount`` (None when one purchase cannot cover the horizon),
        ``p_stockout``, ``expected_forfeited``, ``mean_balance``, ``cost``, ``note``.
    alternatives : pd.DataFrame
        Columns :data:`ALTERNATIVE_COLUMNS`; first row ``recommended``.
    frontier : pd.DataFrame
        Pareto frontier of cost vs stock-out risk over the policies evaluated by the search
        (unrounded), columns :data:`FRONTIER_COLUMNS`, by increasing ``p_stockout``.
    current : dict or None
        The admin's current settings evaluated: ``initial``, ``recharge_amount``,
        ``threshold``, ``p_stockout``, ``expected_forfeited``, ``expected_recharges``,
        ``mean_balance``, ``cost``, ``meets_service_level``.
    position : dict or None
        With today's lots: ``balance``, ``runway_days`` (``median``, ``pessimistic`` = 5th
        percentile, ``censored`` = runs past the horizon), ``depletion_date`` (None beyond
        the horizon), ``expiring`` (DataFrame, :data:`EXPIRING_COLUMNS`), ``act_now``,
        ``advice``.
    explanation : list[str]
        Plain sentences, most important first.
    currency : str
    scenarios : Scenarios
    service_level : float
    """

    policy: Policy
    metrics: dict
    cost: float
    one_time_funding: dict
    alternatives: pd.DataFrame
    frontier: pd.DataFrame
    current: dict | None
    position: dict | None
    explanation: list[str]
    currency: str
    scenarios: Scenarios
    service_level: float = 0.99
    settings: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        """A JSON-ready dict (plain floats, ints, strings, lists)."""
        m = self.metrics
        out: dict[str, Any] = {
            "currency": self.currency,
            "service_level": self.service_level,
            "initial": self.policy.initial,
            "recharge_amount": self.policy.recharge_amount,
            "threshold": self.policy.threshold,
            "lead_days": self.policy.lead_days,
            "p_stockout": m["p_stockout"],
            "p_stockout_se": m["p_stockout_se"],
            "expected_forfeited": m["expected_forfeited"],
            "expected_purchased": m["expected_purchased"],
            "expected_recharges": m["expected_recharges"],
            "recharges_per_month": m["recharges_per_month"],
            "mean_balance": m["mean_balance"],
            "cost": self.cost,
            "one_time_funding": _plain(self.one_time_funding),
            "alternatives": _records(self.alternatives),
            "frontier": _records(self.frontier),
            "current": _plain(self.current) if self.current is not None else None,
            "explanation": list(self.explanation),
            "warnings": list(self.scenarios.warnings),
            "scenarios": {
                "method": self.scenarios.method,
                "count": self.scenarios.n_scenarios,
                "start": self.scenarios.start.date().isoformat(),
                "horizon_days": self.scenarios.horizon_days,
                "growth_per_year": self.scenarios.growth_per_year,
                "history_days": self.scenarios.history_days,
                "seed": self.scenarios.seed,
            },
            "settings": _plain(self.settings),
        }
        if self.position is not None:
            pos = self.position
            out["balance"] = pos["balance"]
            out["runway_days"] = _plain(pos["runway_days"])
            out["depletion_date"] = _plain(pos["depletion_date"])
            out["expiring"] = _records(pos["expiring"])
            out["act_now"] = pos["act_now"]
            out["advice"] = pos["advice"]
        code, status = alert_status(self)
        out["status"] = status
        out["exit_code"] = code
        return out


def _plain(value: Any) -> Any:
    """Recursively convert numpy / pandas scalars and frames to JSON types."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, pd.DataFrame):
        return _records(value)
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        f = float(value)
        return f if math.isfinite(f) else None
    if value is None or value is pd.NaT:
        return None
    return value


def _records(frame: pd.DataFrame) -> list[dict]:
    return [_plain(dict(zip(frame.columns, row, strict=True))) for row in frame.itertuples(False)]


# --------------------------------------------------------------------------- rounding


def nice_step(amount: float) -> float:
    """The step an admin would round ``amount`` to: about a tenth of it, on 1-2-5-10-25-50.

    >>> nice_step(600), nice_step(250), nice_step(78), nice_step(12000)
    (50.0, 25.0, 5.0, 1000.0)
    """
    if not amount > 0:
        return 1.0
    raw = amount / 10.0
    step = 1.0
    for exponent in range(0, 12):
        for mantissa in (1, 2.5, 5) if exponent else (1, 2, 5):
            candidate = mantissa * 10.0**exponent
            if candidate <= raw:
                step = candidate
    return step


def round_amount(amount: float, how: str = "nearest") -> float:
    """``amount`` rounded to its :func:`nice_step` (``how``: nearest, up or down); 0 stays 0."""
    if amount <= 0:
        return 0.0
    step = nice_step(amount)
    q = amount / step
    n = {"nearest": round(q), "up": math.ceil(q - 1e-9), "down": math.floor(q + 1e-9)}[how]
    return float(max(n, 1) * step)


# --------------------------------------------------------------------------- evaluation


class _Evaluator:
    """Runs policy tables through the engine on fixed scenarios, keeping every result."""

    def __init__(
        self,
        scenarios: Scenarios,
        *,
        lots: pd.DataFrame | None,
        holding_rate: float,
        recharge_overhead: float,
        target: float,
    ) -> None:
        self.sc = scenarios
        self.lots = lots
        self.holding_rate = holding_rate
        self.overhead = recharge_overhead
        self.target = target
        self.min_q = 0.0
        self.seen: list[pd.DataFrame] = []

    def __call__(self, table: pd.DataFrame, *, keep: bool = True) -> pd.DataFrame:
        # a fresh generator in the same state for every sweep: policies with recharge
        # failures (current settings) see the same failures, like common random numbers
        rng = np.random.default_rng(self.sc.seed if self.sc.seed is not None else 0)
        out = sweep(self.sc.paths, self.sc.start, table, lots=self.lots, quantiles=(), rng=rng)
        out = out.reset_index(drop=True)
        years = self.sc.horizon_days / 365.0
        out["holding_cost"] = self.holding_rate * out["mean_balance"] * years
        out["recharge_cost"] = self.overhead * out["recharges"]
        out["cost"] = out["expired"] + out["holding_cost"] + out["recharge_cost"]
        out["feasible"] = out["p_stockout"] <= self.target + 1e-12
        if keep:
            self.seen.append(out)
        return out

    def one(self, policy: Policy) -> pd.Series:
        return self(_table([policy]), keep=False).iloc[0]


def _table(policies: list[Policy]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "initial": [p.initial for p in policies],
            "recharge_amount": [p.recharge_amount for p in policies],
            "threshold": [p.threshold for p in policies],
            "lead_days": [p.lead_days for p in policies],
            "auto_recharge": [p.auto_recharge for p in policies],
            "failure_prob": [p.failure_prob for p in policies],
            "fix_days": [p.fix_days for p in policies],
        }
    )


def _grid_table(q: np.ndarray, s: np.ndarray, initial: np.ndarray, lead_days: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "initial": initial,
            "recharge_amount": q,
            "threshold": s,
            "lead_days": lead_days,
            "auto_recharge": True,
        }
    )


def _min_threshold(
    ev: _Evaluator,
    q: np.ndarray,
    s_hi: float,
    lead_days: int,
    *,
    target: float | None = None,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Search the smallest feasible trigger for every Q at once.

    Each round tests :data:`_POINTS_PER_ROUND` evenly spaced triggers inside every open
    bracket in one sweep, shrinking the brackets five-fold. The first purchase is
    ``max(Q, s)``, so that the start is like any later cycle and the edge found is the
    steady-state one.

    Returns
    -------
    (np.ndarray, pd.DataFrame)
        The trigger per Q (NaN when even 8 x ``s_hi`` fails) and, per Q, the evaluation of
        the policy at that trigger (at the largest trigger tried when none is feasible).
    """
    target = ev.target if target is None else target
    n = len(q)

    def run(qq: np.ndarray, ss: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
        res = ev(_grid_table(qq, ss, np.maximum(qq, ss), lead_days))
        return res, (res["p_stockout"] <= target + 1e-12).to_numpy()

    lo = np.zeros(n)
    hi = np.full(n, float(s_hi))
    res, ok = run(np.concatenate([q, q]), np.concatenate([lo, hi]))
    ok_lo, ok_hi = ok[:n], ok[n:].copy()
    rows: list[pd.Series] = [res.iloc[i] if ok_lo[i] else res.iloc[n + i] for i in range(n)]
    hi[ok_lo] = 0.0
    for _ in range(3):  # widen the bracket where even s_hi is not enough
        idx = np.flatnonzero(~ok_lo & ~ok_hi)
        if not idx.size:
            break
        lo[idx] = hi[idx]
        hi[idx] *= 2
        res, ok = run(q[idx], hi[idx])
        for r, i in enumerate(idx):
            rows[i] = res.iloc[r]
            ok_hi[i] = ok[r]
    active = ~ok_lo & ok_hi
    k = _POINTS_PER_ROUND
    frac = np.arange(1, k + 1) / (k + 1)
    for _ in range(_SEARCH_ROUNDS):
        idx = np.flatnonzero(active)
        if not idx.size:
            break
        pts = lo[idx, None] + (hi[idx] - lo[idx])[:, None] * frac
        res, ok = run(np.repeat(q[idx], k), pts.ravel())
        ok = ok.reshape(-1, k)
        for r, i in enumerate(idx):
            good = np.flatnonzero(ok[r])
            if good.size:
                g = int(good[0])
                rows[i] = res.iloc[r * k + g]
                hi[i] = pts[r, g]
                if g > 0:
                    lo[i] = pts[r, g - 1]
            else:
                lo[i] = pts[r, -1]
    s_min = np.where(ok_lo | ok_hi, hi, np.nan)
    return s_min, pd.DataFrame(rows).reset_index(drop=True)


def _scale(sc: Scenarios, lead_days: int) -> dict:
    """Demand scale of the scenarios: mean per day, a year's demand, lead-time peaks."""
    d = sc.paths
    mu = float(d.mean())
    year = d[:, : min(365, d.shape[1])].sum(axis=1) * 365.0 / min(365, d.shape[1])
    window = lead_days + 1
    csum = np.cumsum(np.pad(d, ((0, 0), (1, 0))), axis=1)
    peak = float((csum[:, window:] - csum[:, :-window]).max()) if d.shape[1] >= window else 0.0
    return {"mu": mu, "year_q95": float(np.quantile(year, 0.95)), "lead_peak": peak}


def _search(
    ev: _Evaluator, sc: Scenarios, lead_days: int, initial_zero: bool, min_q: float
) -> tuple[float, float, pd.DataFrame]:
    """Continuous (Q, s) minimising the cost at the feasibility edge; plus the Q-grid rows."""
    scale = _scale(sc, lead_days)
    q_lo = max(min_q, 1.0)
    q_hi = max(q_lo * 2, 1.25 * scale["year_q95"])
    s_hi = max(1.0, 1.5 * scale["lead_peak"] + scale["mu"])
    q = np.geomspace(q_lo, q_hi, _COARSE_Q)
    s_min, rows = _min_threshold(ev, q, s_hi, lead_days)
    grid = rows.assign(_q=q, _s=s_min)
    for _ in range(2):
        feasible = grid[np.isfinite(grid["_s"])]
        if feasible.empty:
            break
        order = feasible.sort_values("_q")
        i = int(np.argmin(order["cost"].to_numpy()))
        qs = order["_q"].to_numpy()
        left = qs[i - 1] if i > 0 else qs[i] / 1.5 if qs[i] / 1.5 >= q_lo else qs[i]
        right = qs[i + 1] if i + 1 < len(qs) else qs[i] * 1.5
        fine = np.geomspace(max(left, q_lo), right, _FINE_Q + 2)[1:-1]
        s_f, rows_f = _min_threshold(ev, fine, s_hi, lead_days)
        grid = pd.concat([grid, rows_f.assign(_q=fine, _s=s_f)], ignore_index=True)
    feasible = grid[np.isfinite(grid["_s"])]
    if feasible.empty:
        raise InputError(
            "no auto-recharge policy meets the service level on these scenarios even with a "
            "very high trigger; lower --service-level or check the demand"
        )
    best = feasible.loc[feasible["cost"].idxmin()]
    return float(best["_q"]), float(best["_s"]), grid


def _round_policy(
    ev: _Evaluator,
    q: float,
    s: float,
    lead_days: int,
    *,
    initial_zero: bool,
    target: float | None = None,
) -> pd.Series:
    """Cheapest feasible policy among the nice-rounded neighbours of (Q, s)."""
    target = ev.target if target is None else target
    # the cost is saw-toothed in Q over a finite horizon (a whole recharge more or less), so
    # look at every nice amount within -20 % / +25 % rather than just the two neighbours
    step = nice_step(q)
    q_opts = sorted(
        {round_amount(q, "down"), round_amount(q, "up")}
        | {k * step for k in range(math.ceil(0.8 * q / step), math.floor(1.25 * q / step) + 1)}
    )
    floor = max(round_amount(ev.min_q, "down"), 1e-9)
    q_opts = [x for x in q_opts if x >= floor] or [round_amount(q, "up")]
    s_up = round_amount(s, "up")
    s_opts = sorted({round_amount(s, "down"), s_up, s_up + nice_step(max(s_up, 1.0))})
    for _ in range(12):
        cands = []
        for qq in q_opts:
            for ss in s_opts:
                # in order of preference: nothing now (today's lots), one recharge amount,
                # enough not to trigger at once
                inits = ([0.0] if initial_zero else []) + [qq, max(qq, ss)]
                for rank, ii in enumerate(dict.fromkeys(inits)):
                    cands.append((rank, Policy(ii, qq, ss, lead_days)))
        res = ev(_table([c[1] for c in cands])).assign(_rank=[c[0] for c in cands])
        ok = res[res["p_stockout"] <= target + 1e-12]
        if not ok.empty:
            # per (Q, s) the preferred feasible first purchase, then the cheapest (Q, s)
            ok = ok.sort_values("_rank", kind="stable")
            ok = ok.drop_duplicates(["recharge_amount", "threshold"], keep="first")
            return ok.sort_values("cost", kind="stable").iloc[0].drop("_rank")
        s_opts = [x + nice_step(max(x, 1.0)) * 2 for x in s_opts]
    raise InputError(
        "could not find a rounded policy meeting the service level; lower --service-level"
    )


# --------------------------------------------------------------------------- pieces


def _metrics(row: pd.Series, n_scen: int, horizon_days: int) -> dict:
    p = float(row["p_stockout"])
    months = horizon_days / (365.25 / 12)
    return {
        "p_stockout": p,
        "p_stockout_se": math.sqrt(max(p * (1 - p), 0.25 / n_scen) / n_scen),
        "expected_forfeited": float(row["expired"]),
        "expected_purchased": float(row["purchased"]),
        "expected_recharges": float(row["recharges"]),
        "recharges_per_month": float(row["recharges"]) / months,
        "mean_balance": float(row["mean_balance"]),
        "expected_unserved": float(row["unserved"]),
        "stockout_days": float(row["stockout_days"]),
        "end_balance": float(row["end_balance"]),
        "holding_cost": float(row["holding_cost"]),
        "recharge_cost": float(row["recharge_cost"]),
        "cost": float(row["cost"]),
    }


def _alt_row(option: str, row: pd.Series, horizon_days: int) -> dict:
    months = horizon_days / (365.25 / 12)
    return {
        "option": option,
        "initial": float(row["initial"]),
        "recharge_amount": float(row["recharge_amount"]) if row["auto_recharge"] else 0.0,
        "threshold": float(row["threshold"]) if row["auto_recharge"] else 0.0,
        "auto_recharge": bool(row["auto_recharge"]),
        "p_stockout": float(row["p_stockout"]),
        "expected_forfeited": float(row["expired"]),
        "expected_purchased": float(row["purchased"]),
        "expected_recharges": float(row["recharges"]),
        "recharges_per_month": float(row["recharges"]) / months,
        "mean_balance": float(row["mean_balance"]),
        "cost": float(row["cost"]),
    }


def _describe(alt: dict, recommended_cost: float, currency: str) -> str:
    """One sentence on an alternative, compared with the recommendation."""
    if alt["auto_recharge"]:
        what = (
            f"Recharge {_money(alt['recharge_amount'], currency)} below "
            f"{_money(alt['threshold'], currency)}"
        )
        if alt["initial"] != alt["recharge_amount"]:
            what += f", first purchase {_money(alt['initial'], currency)}"
        rhythm = f"{alt['recharges_per_month']:.1f} recharges a month"
    else:
        what = f"Buy {_money(alt['initial'], currency)} once, no auto-recharge"
        rhythm = "no recharges"
    diff = alt["cost"] - recommended_cost
    if alt["option"] == "recommended":
        versus = "the cheapest that meets the service level"
    elif abs(diff) < 0.5:
        versus = "about the same cost as recommended"
    else:
        versus = f"{_money(abs(diff), currency)} {'more' if diff > 0 else 'less'} than recommended"
    return (
        f"{what}: covers {_pct(1 - alt['p_stockout'])} of simulated years, {rhythm}, forfeits "
        f"{_money(alt['expected_forfeited'], currency)}; cost {_money(alt['cost'], currency)} "
        f"({versus})."
    )


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


def _one_time(ev: _Evaluator, sc: Scenarios, target: float, initial_zero: bool) -> dict:
    """Smallest rounded single purchase (no auto-recharge) that meets the service level."""
    d = sc.paths
    total = d.sum(axis=1)
    start_balance = 0.0 if ev.lots is None else float(ev.lots["amount"].sum())
    life = int(expiry_days(sc.start, [sc.start])[0])

    def run(amounts: np.ndarray) -> pd.DataFrame:
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

    zero = run(np.array([0.0])).iloc[0]
    if zero["p_stockout"] <= target + 1e-12:
        amount, row = 0.0, zero
    else:
        hi = float(total.max()) * 1.05 + 1.0
        top = run(np.array([hi])).iloc[0]
        if top["p_stockout"] > target + 1e-12:
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
        lo = 0.0
        # a small vector bisection: 8 amounts per round narrow the bracket 9-fold
        for _ in range(4):
            grid = np.linspace(lo, hi, 10)[1:-1]
            res = run(grid)
            ok = (res["p_stockout"] <= target + 1e-12).to_numpy()
            if ok.any():
                j = int(np.argmax(ok))
                hi = float(grid[j])
                lo = float(grid[j - 1]) if j > 0 else lo
            else:
                lo = float(grid[-1])
        amount = round_amount(hi, "up")
        row = run(np.array([amount])).iloc[0]
        while row["p_stockout"] > target + 1e-12:
            amount += nice_step(amount)
            row = run(np.array([amount])).iloc[0]
    # what is left when the horizon ends expires with the lot unless the days before its
    # expiry use it: estimate those days at the horizon's last month of mean demand
    tail = max(0, life - sc.horizon_days)
    forfeited = float(row["expired"])
    note = ""
    if tail <= 31 and amount > 0:
        last_month = float(d[:, -30:].mean())
        leftover = np.maximum(0.0, float(row["end_balance"]) - tail * last_month)
        forfeited += float(leftover)
        note = "includes what is left when the purchase expires"
    elif amount > 0:
        note = f"{row['end_balance']:.0f} expected to be left at the end of the horizon"
    years = sc.horizon_days / 365.0
    cost = forfeited + ev.holding_rate * float(row["mean_balance"]) * years
    row = row.copy()
    row["expired"] = forfeited
    row["cost"] = cost
    return {
        "amount": float(amount),
        "p_stockout": float(row["p_stockout"]),
        "expected_forfeited": forfeited,
        "mean_balance": float(row["mean_balance"]),
        "cost": cost,
        "note": note,
        "_row": row,
    }


def _position(sc: Scenarios, lots: pd.DataFrame, lead_days: int, alert_days: int) -> dict:
    """Runway and expiry of today's lots with no purchase from now on."""
    off = Policy(0.0, 0.0, 0.0, lead_days=0, auto_recharge=False)
    res = paths(sc.paths, sc.start, off, lots=lots)
    runway = res["runway_days"]
    horizon = sc.horizon_days
    # observed whole days (method="lower"), as the runway chart labels them
    median = float(np.quantile(runway, 0.5, method="lower"))
    pessimistic = float(np.quantile(runway, 0.05, method="lower"))
    balance = float(lots["amount"].sum())
    depletion = sc.start + pd.Timedelta(days=int(median)) if median < horizon else None
    lots_sorted = lots.sort_values("purchase_date", kind="stable")
    dates = pd.DatetimeIndex(pd.to_datetime(lots_sorted["purchase_date"])).normalize()
    exp_off = expiry_days(sc.start, dates)
    frame = pd.DataFrame(
        {
            "date": (dates + pd.DateOffset(months=12)).normalize(),
            "purchase_date": dates,
            "amount": lots_sorted["amount"].to_numpy(dtype=float),
            "_off": exp_off,
        }
    )
    grouped = frame.groupby("date", sort=True).agg(
        purchase_date=("purchase_date", "min"), amount=("amount", "sum"), _off=("_off", "first")
    )
    expected = []
    for off_day in grouped["_off"].to_numpy():
        day = max(int(off_day), 0)
        expected.append(float(res["expired"][:, day].mean()) if day < horizon else np.nan)
    expiring = grouped.reset_index().assign(expected_forfeit=expected)[list(EXPIRING_COLUMNS)]
    act_now = pessimistic < alert_days + lead_days
    to_lose = float(np.nansum(expiring["expected_forfeit"]))
    if act_now:
        advice = (
            f"act now: the balance may run out within {int(pessimistic)} days; "
            "add funds or turn on auto-recharge"
        )
    elif to_lose > 0.01 * max(balance, 1.0):
        advice = (
            "no purchase needed yet; spend is too low to use all of today's funds before "
            "they expire, so avoid adding more than the recommendation"
        )
    else:
        advice = "no action needed yet"
    return {
        "balance": balance,
        "runway_days": {
            "median": median,
            "pessimistic": pessimistic,
            "censored": bool(median >= horizon),
        },
        "depletion_date": depletion,
        "expiring": expiring,
        "expected_forfeit_total": to_lose,
        "act_now": bool(act_now),
        "advice": advice,
    }


def _money(x: float, currency: str) -> str:
    return f"{x:,.0f} {currency}"


def _pct(p: float) -> str:
    v = 100 * p
    return f"{v:.0f}%" if abs(v - round(v)) < 0.05 else f"{v:.1f}%"


def _explain_policy(policy: Policy, m: dict, currency: str, lots_given: bool) -> str:
    first = (
        ""
        if policy.initial == policy.recharge_amount and not lots_given
        else (
            f" (add {_money(policy.initial, currency)} now)"
            if policy.initial > 0
            else " (no purchase needed now)"
        )
    )
    lead = (
        f"funds arriving {policy.lead_days} day{'s' if policy.lead_days != 1 else ''} after "
        "the trigger"
        if policy.lead_days
        else "funds arriving the same day"
    )
    return (
        f"Recharge {_money(policy.recharge_amount, currency)} when the balance falls below "
        f"{_money(policy.threshold, currency)}{first}: covers "
        f"{_pct(1 - m['p_stockout'])} of simulated years with {lead}; expected forfeiture "
        f"{_money(m['expected_forfeited'], currency)}, about "
        f"{m['recharges_per_month']:.1f} recharges a month."
    )


# --------------------------------------------------------------------------- API


def _prepare_lots(
    lots: pd.DataFrame | None, start: pd.Timestamp
) -> tuple[pd.DataFrame | None, str | None]:
    """Today's lots for the engine; purchases after ``start`` count as bought on ``start``."""
    if lots is None or len(lots) == 0:
        return None, None
    missing = {"purchase_date", "amount"} - set(lots.columns)
    if missing:
        raise InputError(f"balance lots: missing column(s) {sorted(missing)}")
    dates = pd.DatetimeIndex(pd.to_datetime(lots["purchase_date"])).normalize()
    if dates.tz is not None:
        dates = dates.tz_localize(None)
    amounts = pd.to_numeric(lots["amount"], errors="coerce").to_numpy(dtype=float)
    if dates.hasnans or not np.isfinite(amounts).all() or (amounts < 0).any():
        raise InputError("balance lots: every lot needs a purchase date and an amount >= 0")
    late = dates > start
    note = None
    if late.any():
        note = (
            f"{int(late.sum())} lot(s) bought after {start.date().isoformat()} (the day after "
            "the last demand day) are counted as bought that day."
        )
        dates = dates.where(~late, start)
    out = pd.DataFrame({"purchase_date": dates, "amount": amounts})
    out = out[out["amount"] > 0].sort_values("purchase_date", kind="stable")
    if out.empty:
        return None, note
    return out.reset_index(drop=True), note


def _check_options(
    service_level, horizon_days, lead_days, holding_rate, recharge_overhead, alert_days
) -> None:
    if not (isinstance(service_level, int | float) and 0.5 <= service_level < 1):
        raise InputError(
            f"service level: must be at least 0.5 and below 1 (e.g. 0.99), got {service_level!r}"
        )
    if isinstance(horizon_days, bool) or not isinstance(horizon_days, int | np.integer):
        raise InputError(f"horizon days: must be a whole number, got {horizon_days!r}")
    if not 7 <= horizon_days <= 3650:
        raise InputError(f"horizon days: must be between 7 and 3650, got {horizon_days}")
    if isinstance(lead_days, bool) or not isinstance(lead_days, int | np.integer):
        raise InputError(f"lead days: must be a whole number, got {lead_days!r}")
    if not 0 <= lead_days <= 60:
        raise InputError(f"lead days: must be between 0 and 60, got {lead_days}")
    if not (isinstance(holding_rate, int | float) and 0 <= holding_rate <= 1):
        raise InputError(f"holding rate: must be between 0 and 1 a year, got {holding_rate!r}")
    if not (
        isinstance(recharge_overhead, int | float)
        and math.isfinite(recharge_overhead)
        and recharge_overhead >= 0
    ):
        raise InputError(f"recharge overhead: must be >= 0, got {recharge_overhead!r}")
    if isinstance(alert_days, bool) or not isinstance(alert_days, int | np.integer):
        raise InputError(f"alert days: must be a whole number, got {alert_days!r}")
    if alert_days < 0:
        raise InputError(f"alert days: must be >= 0, got {alert_days}")


def recommend(
    history: pd.Series | Scenarios,
    *,
    currency: str = "USD",
    service_level: float = 0.99,
    horizon_days: int = 365,
    lead_days: int = 1,
    holding_rate: float = 0.05,
    recharge_overhead: float = 0.0,
    growth: str | float | None = None,
    n_scenarios: int | None = None,
    seed: int | None = None,
    lots: pd.DataFrame | None = None,
    current: Policy | None = None,
    alert_days: int = 14,
    min_recharge_days: float = MIN_RECHARGE_DAYS,
) -> Recommendation:
    """Recommend initial funding, recharge amount and trigger.

    Parameters
    ----------
    history : pd.Series or Scenarios
        Daily credit spend (float, one currency, daily DatetimeIndex), or ready-made
        scenarios (then ``horizon_days``, ``growth``, ``n_scenarios`` and ``seed`` are not
        used).
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
        Cost of handling one recharge (invoice processing), in currency units.
    growth : str, float or None
        Growth assumption, see :func:`planner.scenarios.parse_growth`; None estimates it.
    n_scenarios : int, optional
        Scenario count (default :data:`planner.scenarios.DEFAULT_SCENARIOS`).
    seed : int, optional
        Seed of the scenarios.
    lots : pd.DataFrame, optional
        Today's balance as lots (``purchase_date``, ``amount``), held on the first scenario
        day: enables the current position (runway, expiring funds) and lets the first
        purchase be 0.
    current : Policy, optional
        The admin's current settings, to compare with the recommendation.
    alert_days : int
        A pessimistic runway below ``alert_days + lead_days`` means "act now".
    min_recharge_days : float
        Smallest recharge amount searched, in days of mean demand.

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
    if not (isinstance(min_recharge_days, int | float) and 0 < min_recharge_days <= 365):
        raise InputError(
            f"min recharge days: must be above 0 and at most 365, got {min_recharge_days!r}"
        )
    if isinstance(history, Scenarios):
        sc = history
    else:
        sc = make_scenarios(
            history,
            horizon_days=int(horizon_days),
            n_scenarios=int(n_scenarios or DEFAULT_SCENARIOS),
            growth=growth,
            seed=seed,
        )
    mu = sc.mean_daily()
    if not mu > 0:
        raise InputError(
            "the demand history has no credit spend: there is nothing to fund (for a tenant "
            "without credits yet, price its calls with --licences and --rates)"
        )
    lots, lot_note = _prepare_lots(lots, sc.start)
    lead_days = int(lead_days)
    target = 1.0 - float(service_level)
    ev = _Evaluator(
        sc,
        lots=lots,
        holding_rate=float(holding_rate),
        recharge_overhead=float(recharge_overhead),
        target=target,
    )
    initial_zero = lots is not None
    min_q = float(min_recharge_days) * mu
    ev.min_q = min_q

    q_best, s_best, grid = _search(ev, sc, lead_days, initial_zero, min_q)
    chosen = _round_policy(ev, q_best, s_best, lead_days, initial_zero=initial_zero)
    policy = Policy(
        float(chosen["initial"]),
        float(chosen["recharge_amount"]),
        float(chosen["threshold"]),
        lead_days,
    )
    metrics = _metrics(chosen, sc.n_scenarios, sc.horizon_days)
    n_months = sc.horizon_days / (365.25 / 12)

    # alternatives, each rounded and simulated
    alts = [_alt_row("recommended", chosen, sc.horizon_days)]
    seen_policies = {(policy.initial, policy.recharge_amount, policy.threshold)}

    def add(option: str, row: pd.Series | None) -> None:
        if row is None:
            return
        key = (float(row["initial"]), float(row["recharge_amount"]), float(row["threshold"]))
        if row["auto_recharge"] and key in seen_policies:
            return
        seen_policies.add(key)
        alts.append(_alt_row(option, row, sc.horizon_days))

    feasible_grid = grid[np.isfinite(grid["_s"])]
    fewer = feasible_grid[feasible_grid["recharges"] <= 0.5 * metrics["expected_recharges"]]
    if metrics["recharges_per_month"] > 0.5 and not fewer.empty:
        f = fewer.loc[fewer["cost"].idxmin()]
        add(
            "fewer recharges",
            _round_policy(ev, f["_q"], f["_s"], lead_days, initial_zero=initial_zero),
        )
    if metrics["expected_forfeited"] > 0.005 * max(metrics["expected_purchased"], 1.0):
        lowf = feasible_grid.sort_values(["expired", "cost"], kind="stable").iloc[0]
        add(
            "lowest forfeiture",
            _round_policy(ev, lowf["_q"], lowf["_s"], lead_days, initial_zero=initial_zero),
        )
    for label, level in (
        ("higher service level", 1 - (1 - service_level) / 5),
        ("lower service level", 1 - min(0.5, (1 - service_level) * 5)),
    ):
        tgt = 1 - level
        s_alt, _ = _min_threshold(
            ev,
            np.array([q_best]),
            max(s_best, 1.0) * 2,
            lead_days,
            target=tgt,
        )
        if np.isfinite(s_alt[0]):
            row = _round_policy(
                ev, q_best, float(s_alt[0]), lead_days, initial_zero=initial_zero, target=tgt
            )
            add(f"{label} ({_pct(level)})", row)

    one_time = _one_time(ev, sc, target, initial_zero)
    row_one = one_time.pop("_row", None)
    if row_one is not None:
        alts.append(_alt_row("one-time funding", row_one, sc.horizon_days))

    current_info = None
    if current is not None:
        cur = current
        if lots is not None and cur.initial > 0:
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
        current_info = {
            "initial": cur.initial,
            "recharge_amount": cur.recharge_amount,
            "threshold": cur.threshold,
            "auto_recharge": cur.auto_recharge,
            "p_stockout": float(row["p_stockout"]),
            "expected_forfeited": float(row["expired"]),
            "expected_recharges": float(row["recharges"]),
            "recharges_per_month": float(row["recharges"]) / n_months,
            "mean_balance": float(row["mean_balance"]),
            "cost": float(row["cost"]),
            "meets_service_level": bool(row["p_stockout"] <= target + 1e-12),
        }
        alts.append(_alt_row("current settings", row, sc.horizon_days))

    position = _position(sc, lots, lead_days, alert_days) if lots is not None else None

    evaluated = pd.concat(ev.seen, ignore_index=True)
    evaluated = evaluated[evaluated["auto_recharge"]]
    frontier = pareto_frontier(evaluated).rename(
        columns={
            "expired": "expected_forfeited",
            "recharges": "expected_recharges",
        }
    )[list(FRONTIER_COLUMNS)]

    for alt in alts:
        alt["explanation"] = _describe(alt, metrics["cost"], currency)
    alternatives = pd.DataFrame(alts, columns=list(ALTERNATIVE_COLUMNS))

    explanation = [_explain_policy(policy, metrics, currency, lots is not None)]
    if position is not None:
        rw = position["runway_days"]
        if rw["censored"]:
            lasts = f"lasts beyond the {sc.horizon_days}-day horizon in most simulated years"
        else:
            lasts = (
                f"lasts about {rw['median']:.0f} days (until "
                f"{position['depletion_date'].date().isoformat()}; 5% risk: under "
                f"{rw['pessimistic']:.0f} days) without further purchases"
            )
        explanation.append(
            f"Today's balance of {_money(position['balance'], currency)} {lasts}; "
            f"{position['advice']}."
        )
        if position["expected_forfeit_total"] >= 0.5:
            nxt = position["expiring"].dropna(subset=["expected_forfeit"])
            nxt = nxt[nxt["expected_forfeit"] >= 0.5]
            first = nxt.iloc[0]
            total = _money(position["expected_forfeit_total"], currency)
            day = first["date"].date().isoformat()
            if len(nxt) == 1:
                explanation.append(
                    f"About {total} of today's funds are expected to expire unused on {day}."
                )
            else:
                explanation.append(
                    f"About {total} of today's funds are expected to expire unused, the first "
                    f"{_money(first['expected_forfeit'], currency)} on {day}."
                )
    if current_info is not None:
        verdict = "meets" if current_info["meets_service_level"] else "does not meet"
        explanation.append(
            f"Your current settings (recharge {_money(current_info['recharge_amount'], currency)}"
            f" below {_money(current_info['threshold'], currency)}) run out of credit in "
            f"{_pct(current_info['p_stockout'])} of simulated years ({verdict} the "
            f"{_pct(service_level)} target); expected forfeiture "
            f"{_money(current_info['expected_forfeited'], currency)}, cost "
            f"{_money(current_info['cost'], currency)} vs "
            f"{_money(metrics['cost'], currency)} recommended."
        )
    if one_time["amount"] == 0:
        explanation.append(
            f"Without auto-recharge, today's balance alone covers the next {sc.horizon_days} "
            f"days in {_pct(1 - one_time['p_stockout'])} of simulated years."
        )
    elif one_time["amount"] is not None:
        explanation.append(
            f"Without auto-recharge, a one-time purchase of "
            f"{_money(one_time['amount'], currency)} covers the next {sc.horizon_days} days in "
            f"{_pct(1 - one_time['p_stockout'])} of simulated years and forfeits about "
            f"{_money(one_time['expected_forfeited'], currency)} on average."
        )
    else:
        explanation.append(f"Without auto-recharge: {one_time['note']}.")
    if lot_note:
        explanation.append(lot_note)
    explanation.extend(w[0].upper() + w[1:] + "." for w in sc.warnings)

    settings = {
        "service_level": float(service_level),
        "horizon_days": sc.horizon_days,
        "lead_days": lead_days,
        "holding_rate": float(holding_rate),
        "recharge_overhead": float(recharge_overhead),
        "alert_days": int(alert_days),
        "min_recharge_days": float(min_recharge_days),
        "policies_evaluated": int(len(pd.concat(ev.seen))) if ev.seen else 0,
    }
    return Recommendation(
        policy=policy,
        metrics=metrics,
        cost=metrics["cost"],
        one_time_funding=one_time,
        alternatives=alternatives,
        frontier=frontier,
        current=current_info,
        position=position,
        explanation=explanation,
        currency=currency,
        scenarios=sc,
        service_level=float(service_level),
        settings=settings,
    )


def alert_status(rec: Recommendation, alert_days: int = 14) -> tuple[int, str]:
    """Exit code and a one-line status for a scheduled run (mail or chat hook).

    ALERT (:data:`planner.errors.EXIT_ALERT`) when today's balance may run out within
    ``alert_days`` (5th-percentile runway, with no current auto-recharge settings given), or
    when the current settings' stock-out probability exceeds ``1 - service_level``;
    otherwise OK (:data:`planner.errors.EXIT_OK`).

    Parameters
    ----------
    rec : Recommendation
    alert_days : int

    Returns
    -------
    (int, str)
        The exit code and a line starting with ``planner: OK`` or ``planner: ALERT``.
    """
    cur = rec.currency
    reasons = []
    facts = []
    if rec.position is not None:
        rw = rec.position["runway_days"]
        facts.append(
            f"runway {'>' if rw['censored'] else ''}{rw['median']:.0f} days "
            f"(pessimistic {rw['pessimistic']:.0f})"
        )
        if rec.current is None and rw["pessimistic"] < alert_days:
            reasons.append(
                f"balance may run out within {rw['pessimistic']:.0f} days "
                f"(alert below {alert_days})"
            )
    if rec.current is not None:
        p = rec.current["p_stockout"]
        facts.append(f"current settings p_stockout {_pct(p)}")
        if p > 1 - rec.service_level + 1e-12:
            reasons.append(
                f"current settings run out of credit in {_pct(p)} of simulated years "
                f"(allowed {_pct(1 - rec.service_level)})"
            )
    pol = rec.policy
    facts.append(
        f"recommended: recharge {_money(pol.recharge_amount, cur)} below "
        f"{_money(pol.threshold, cur)}"
    )
    if reasons:
        return EXIT_ALERT, "planner: ALERT " + "; ".join(reasons + facts)
    return EXIT_OK, "planner: OK " + "; ".join(facts)
