"""Funding recommendation: initial purchase, recharge amount and trigger, with risk and cost.

The recommended policy minimises the expected **cost** (:func:`policy_cost`, the one place
the formula lives; ``docs/credit-model.md`` §3)

    cost = forfeited + holding_rate x mean balance x plan_days / 365
           + recharge_overhead x purchases

subject to ``p_stockout <= 1 - service_level``, over demand scenarios
(:mod:`planner.scenarios`) simulated by the balance engine (:func:`planner.engine.sweep`):

- ``forfeited`` is what expires of **every lot bought during the plan**, including lots that
  expire after it ends: the scenarios carry a tail of days after the horizon on which
  nothing is bought and the lots left are spent until used or expired;
- ``purchases`` counts the first purchase (when above 0) and every recharge: each is an
  invoice to handle;
- the mean balance is over the plan days.

Money spent on calls is the same under every policy that serves them, so it is not a cost.

Admin-center rules are part of the search, not rounding afterwards: amounts are whole, the
recharge amount and trigger are at least ``min_amount`` (50 by default), the first purchase
is 0 or at least ``min_amount``. The recharge amount is searched from ``min_amount`` up to
one year of mean demand (a larger lot cannot be used before it expires); nothing else bounds
it, so it moves with the overhead and the holding rate as the inventory trade-off says
(economic order quantity ``sqrt(2 x overhead x yearly demand / holding_rate)`` for steady
demand, lower when expiry bites).

Search. For a fixed recharge amount Q, raising the trigger s lowers the stock-out risk and
raises the balance held, so the cheapest feasible s is the smallest one meeting the service
level, ``s_min(Q)``. The search therefore

1. searches ``s_min(Q)`` for a log-spaced grid of Q, all Q at once, every sweep on the same
   scenarios (common random numbers);
2. refines twice on a finer log grid between the neighbours of the cheapest Q;
3. rounds Q, s and the first purchase to whole amounts an admin would type
   (:func:`nice_step`, never below ``min_amount``), evaluates the rounded neighbours and
   keeps the cheapest feasible one: the rounded policy is the one simulated and reported.

Initial purchase. With auto-recharge on from the start, the first purchase is just the
first lot: the search uses ``initial = max(Q, s)`` (the start then looks like any later
cycle); the reported policy takes the first feasible of: 0 (when today's lots are given),
``Q`` (one recharge amount, what an admin expects), ``max(Q, s)``.

Recharge failures (``failure_prob``, ``fix_days``) are part of every policy searched, so the
trigger covers the days auto-recharge stays off after a failed payment.

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

from planner import text
from planner.engine import Policy, expiry_days, paths, sweep
from planner.errors import EXIT_ALERT, EXIT_OK, InputError
from planner.inputs import check_lots
from planner.scenarios import DEFAULT_SCENARIOS, Scenarios, make_scenarios
from planner.text import plan as plan_text

#: smallest amount the admin center accepts for the funding, recharge amount and trigger
DEFAULT_MIN_AMOUNT = 50
#: cost of handling one purchase invoice (receive, check, approve, pay, book): published
#: accounts-payable benchmarks put it between about 2 and 15 (USD) per invoice; 10 is a
#: middle value for an organisation that handles invoices by hand
DEFAULT_RECHARGE_OVERHEAD = 10.0
#: the planning cost, as stated to the user (computed by :func:`policy_cost`)
COST_FORMULA = (
    "cost = forfeited (every lot bought in the plan, expiring after the horizon included) "
    "+ holding rate x mean balance x plan days / 365 + recharge overhead x purchases "
    "(first purchase and recharges)"
)
#: explicit floor on the recharge amount in days of mean demand (0: none, the default)
MIN_RECHARGE_DAYS = 0.0
#: days of demand after the horizon: every lot bought in the plan is used or expired by then
#: (12 months live at most 366 days; plus the lead time of a last order)
TAIL_DAYS = 367
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
        ``expected_purchases`` (invoices: first purchase and recharges), ``holding_cost``,
        ``recharge_cost``, ``cost``. ``expected_forfeited`` counts every lot bought in the
        plan, after the horizon too; ``recharges_per_month`` is the rhythm once recharges
        run (mean monthly demand / recharge amount).
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
    settings : dict
        The options used, the cost formula and the number of policies evaluated.
    lots : pd.DataFrame or None
        Today's lots as used: checked against the plan start (expired lots left out).
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
    lots: pd.DataFrame | None = None

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
            "seed": self.scenarios.seed,
        }
        if self.position is not None:
            pos = self.position
            out["balance"] = pos["balance"]
            out["balance_as_of"] = pos["as_of"].date().isoformat()
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


def policy_cost(
    table: pd.DataFrame, *, holding_rate: float, recharge_overhead: float, plan_days: int
) -> pd.DataFrame:
    """The planning cost of evaluated policies: the one place the formula lives.

    ``cost = forfeited + holding_rate x mean_balance x plan_days / 365 + recharge_overhead x
    purchases``, where ``purchases`` = recharges + 1 when the first purchase is above 0.

    Parameters
    ----------
    table : pd.DataFrame
        :func:`planner.engine.sweep` output (``forfeited``, ``mean_balance``, ``recharges``,
        ``initial``).
    holding_rate : float
        Yearly cost of money held.
    recharge_overhead : float
        Cost of one purchase invoice.
    plan_days : int
        Days of the plan (the mean balance is held that long).

    Returns
    -------
    pd.DataFrame
        ``table`` with ``purchases``, ``holding_cost``, ``recharge_cost`` and ``cost``.
    """
    purchases = table["recharges"] + (table["initial"] > 0).astype(float)
    holding = holding_rate * table["mean_balance"] * plan_days / 365.0
    overhead = recharge_overhead * purchases
    return table.assign(
        purchases=purchases,
        holding_cost=holding,
        recharge_cost=overhead,
        cost=table["forfeited"] + holding + overhead,
    )


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
        min_amount: float = DEFAULT_MIN_AMOUNT,
        failure_prob: float = 0.0,
        fix_days: int = 0,
    ) -> None:
        self.sc = scenarios
        self.demand = scenarios.with_tail()
        self.lots = lots
        self.holding_rate = holding_rate
        self.overhead = recharge_overhead
        self.target = target
        self.min_amount = float(min_amount)
        self.failure_prob = float(failure_prob)
        self.fix_days = int(fix_days)
        self.min_q = self.min_amount
        self.seen: list[pd.DataFrame] = []

    def __call__(self, table: pd.DataFrame, *, keep: bool = True) -> pd.DataFrame:
        # a fresh generator in the same state for every sweep: policies with recharge
        # failures see the same failures, like common random numbers
        rng = np.random.default_rng(self.sc.seed if self.sc.seed is not None else 0)
        out = sweep(
            self.demand,
            self.sc.start,
            table,
            lots=self.lots,
            quantiles=(),
            rng=rng,
            plan_days=self.sc.horizon_days,
        )
        out = policy_cost(
            out.reset_index(drop=True),
            holding_rate=self.holding_rate,
            recharge_overhead=self.overhead,
            plan_days=self.sc.horizon_days,
        )
        out["feasible"] = out["p_stockout"] <= self.target + 1e-12
        if keep:
            self.seen.append(out)
        return out

    def one(self, policy: Policy) -> pd.Series:
        return self(_table([policy]), keep=False).iloc[0]

    def grid(self, q: np.ndarray, s: np.ndarray, initial: np.ndarray, lead_days: int):
        """A policy table of the search, with this plan's recharge failures."""
        return pd.DataFrame(
            {
                "initial": initial,
                "recharge_amount": q,
                "threshold": s,
                "lead_days": lead_days,
                "auto_recharge": True,
                "failure_prob": self.failure_prob,
                "fix_days": self.fix_days,
            }
        )

    def policy(self, initial: float, q: float, s: float, lead_days: int) -> Policy:
        return Policy(initial, q, s, lead_days, True, self.failure_prob, self.fix_days)


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


def _min_threshold(
    ev: _Evaluator,
    q: np.ndarray,
    s_hi: float,
    lead_days: int,
    *,
    target: float | None = None,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Search the smallest feasible trigger (at least the minimum amount) for every Q.

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
        res = ev(ev.grid(qq, ss, np.maximum(qq, ss), lead_days))
        return res, (res["p_stockout"] <= target + 1e-12).to_numpy()

    # the admin center refuses a trigger below the minimum: the bracket starts there
    lo = np.full(n, ev.min_amount)
    hi = np.full(n, max(float(s_hi), 2 * ev.min_amount))
    res, ok = run(np.concatenate([q, q]), np.concatenate([lo, hi]))
    ok_lo, ok_hi = ok[:n], ok[n:].copy()
    rows: list[pd.Series] = [res.iloc[i] if ok_lo[i] else res.iloc[n + i] for i in range(n)]
    hi[ok_lo] = lo[ok_lo]
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
    return {
        "mu": mu,
        "year_mean": float(year.mean()),
        "year_q95": float(np.quantile(year, 0.95)),
        "lead_peak": peak,
    }


def _search(
    ev: _Evaluator, sc: Scenarios, lead_days: int, initial_zero: bool, min_q: float
) -> tuple[float, float, pd.DataFrame]:
    """Continuous (Q, s) minimising the cost at the feasibility edge; plus the Q-grid rows."""
    scale = _scale(sc, lead_days)
    q_lo = max(min_q, ev.min_amount, 1.0)
    # never beyond what a year can use: a bigger lot forfeits the rest
    q_hi = max(q_lo, scale["year_mean"])
    s_hi = max(1.0, 1.5 * scale["lead_peak"] + scale["mu"])
    q = np.geomspace(q_lo, q_hi, _COARSE_Q) if q_hi > q_lo * 1.01 else np.array([q_lo])
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
        right = min(qs[i + 1] if i + 1 < len(qs) else qs[i] * 1.5, q_hi)
        if right <= max(left, q_lo) * 1.001:
            break
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
    low = ev.min_amount

    def whole(x: float) -> float:
        return max(low, x)

    # the cost is saw-toothed in Q over a finite horizon (a whole recharge more or less), so
    # look at every nice amount within -20 % / +25 % rather than just the two neighbours
    step = nice_step(q)
    q_opts = sorted(
        {whole(round_amount(q, "down")), whole(round_amount(q, "up"))}
        | {
            whole(k * step)
            for k in range(math.ceil(0.8 * q / step), math.floor(1.25 * q / step) + 1)
        }
    )
    floor = max(round_amount(ev.min_q, "down"), low)
    q_opts = [x for x in q_opts if x >= floor] or [whole(round_amount(q, "up"))]
    s_up = whole(round_amount(s, "up"))
    s_opts = sorted({whole(round_amount(s, "down")), s_up, s_up + nice_step(s_up)})
    for _ in range(12):
        cands = []
        for qq in q_opts:
            for ss in s_opts:
                # in order of preference: nothing now (today's lots), one recharge amount,
                # enough not to trigger at once
                inits = ([0.0] if initial_zero else []) + [qq, max(qq, ss)]
                for rank, ii in enumerate(dict.fromkeys(inits)):
                    cands.append((rank, ev.policy(ii, qq, ss, lead_days)))
        res = ev(_table([c[1] for c in cands])).assign(_rank=[c[0] for c in cands])
        ok = res[res["p_stockout"] <= target + 1e-12]
        if not ok.empty:
            # per (Q, s) the preferred feasible first purchase, then the cheapest (Q, s)
            ok = ok.sort_values("_rank", kind="stable")
            ok = ok.drop_duplicates(["recharge_amount", "threshold"], keep="first")
            return ok.sort_values("cost", kind="stable").iloc[0].drop("_rank")
        s_opts = [x + nice_step(x) * 2 for x in s_opts]
    raise InputError(
        "could not find a rounded policy meeting the service level; lower --service-level"
    )


# --------------------------------------------------------------------------- pieces


def _per_month(row: pd.Series, mu: float) -> float:
    """Recharges a month once they run: a month of mean demand over the recharge amount."""
    if not row["auto_recharge"] or not row["recharge_amount"] > 0:
        return 0.0
    return mu * (365.25 / 12) / float(row["recharge_amount"])


def _metrics(row: pd.Series, n_scen: int, mu: float) -> dict:
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


def _alt_row(option: str, row: pd.Series, mu: float) -> dict:
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


def _describe(alt: dict, recommended_cost: float, currency: str) -> str:
    """One sentence on an alternative, compared with the recommendation."""
    return plan_text.alternative_sentence(alt, recommended_cost, currency)


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
    total = sc.paths.sum(axis=1)
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
        amount = max(round_amount(hi, "up"), ev.min_amount)
        row = run(np.array([amount])).iloc[0]
        while row["p_stockout"] > target + 1e-12:
            amount += nice_step(amount)
            row = run(np.array([amount])).iloc[0]
    # the evaluator's tail spends what is left after the horizon until the lot expires, so
    # ``forfeited`` is the purchase's whole loss and ``cost`` uses the one formula
    forfeited = float(row["forfeited"])
    note = "includes what is left when the purchase expires" if amount > 0 else ""
    cost = float(row["cost"])
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
        "advice": advice,
    }


def _money(x: float, currency: str) -> str:
    return text.money(x, currency)


def _pct(p: float) -> str:
    return text.percent(p)


def _prepare_lots(
    lots: pd.DataFrame | None, start: pd.Timestamp
) -> tuple[pd.DataFrame | None, str | None]:
    """Today's lots checked against the plan start (:func:`planner.inputs.check_lots`)."""
    if lots is None or len(lots) == 0:
        return None, None
    kept, warnings = check_lots(lots, start)
    note = " ".join(w[0].upper() + w[1:] + "." for w in warnings) or None
    if kept.empty:
        return None, note
    return kept, note


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
    recharge_overhead: float = DEFAULT_RECHARGE_OVERHEAD,
    growth: str | float | None = None,
    n_scenarios: int | None = None,
    seed: int | None = None,
    lots: pd.DataFrame | None = None,
    current: Policy | None = None,
    alert_days: int = 14,
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
        min_amount=float(min_amount),
        failure_prob=float(failure_prob),
        fix_days=int(fix_days),
    )
    initial_zero = lots is not None
    ev.min_q = max(float(min_recharge_days) * mu, ev.min_amount)

    q_best, s_best, grid = _search(ev, sc, lead_days, initial_zero, ev.min_q)
    chosen = _round_policy(ev, q_best, s_best, lead_days, initial_zero=initial_zero)
    policy = ev.policy(
        float(chosen["initial"]),
        float(chosen["recharge_amount"]),
        float(chosen["threshold"]),
        lead_days,
    )
    metrics = _metrics(chosen, sc.n_scenarios, mu)
    alts = _alternatives(ev, chosen, grid, q_best, s_best, lead_days, service_level)
    one_time = _one_time(ev, sc, target, initial_zero)
    row_one = one_time.pop("_row", None)
    if row_one is not None:
        alts.append(_alt_row("one-time funding", row_one, mu))
    current_info = None
    if current is not None:
        current_info, row = _current_info(ev, current, lots is not None, mu)
        alts.append(_alt_row("current settings", row, mu))
    position = _position(sc, lots, lead_days, alert_days) if lots is not None else None

    evaluated = pd.concat(ev.seen, ignore_index=True)
    evaluated = evaluated[evaluated["auto_recharge"]]
    frontier = pareto_frontier(evaluated).rename(
        columns={"forfeited": "expected_forfeited", "recharges": "expected_recharges"}
    )[list(FRONTIER_COLUMNS)]
    for alt in alts:
        alt["explanation"] = _describe(alt, metrics["cost"], currency)
    alternatives = pd.DataFrame(alts, columns=list(ALTERNATIVE_COLUMNS))
    settings = {
        "service_level": float(service_level),
        "horizon_days": sc.horizon_days,
        "lead_days": lead_days,
        "holding_rate": float(holding_rate),
        "recharge_overhead": float(recharge_overhead),
        "alert_days": int(alert_days),
        "min_recharge_days": float(min_recharge_days),
        "min_amount": float(min_amount),
        "failure_prob": float(failure_prob),
        "fix_days": int(fix_days),
        "tail_days": 0 if sc.tail is None else int(sc.tail.shape[1]),
        "cost_formula": COST_FORMULA,
        "policies_evaluated": int(len(evaluated)),
    }
    rec = Recommendation(
        policy=policy,
        metrics=metrics,
        cost=metrics["cost"],
        one_time_funding=one_time,
        alternatives=alternatives,
        frontier=frontier,
        current=current_info,
        position=position,
        explanation=[],
        currency=currency,
        scenarios=sc,
        service_level=float(service_level),
        settings=settings,
        lots=lots,
    )
    # the words come from planner.text.plan: the first purchase first, in the report's language
    notes = [lot_note] if lot_note else []
    notes += [w[0].upper() + w[1:] + "." for w in sc.warnings]
    rec.explanation = plan_text.explanation(rec, growth_given=growth is not None, notes=notes)
    return rec


def _check_plan_rules(min_recharge_days, min_amount, failure_prob, fix_days) -> None:
    if not (isinstance(min_recharge_days, int | float) and 0 <= min_recharge_days <= 365):
        raise InputError(f"min recharge days: must be between 0 and 365, got {min_recharge_days!r}")
    if not (
        isinstance(min_amount, int | float)
        and math.isfinite(min_amount)
        and min_amount >= 1
        and float(min_amount) == int(min_amount)
    ):
        raise InputError(f"min amount: must be a whole amount >= 1, got {min_amount!r}")
    if not (isinstance(failure_prob, int | float) and 0 <= failure_prob < 1):
        raise InputError(
            f"failure rate: must be at least 0 and below 1 (e.g. 0.05), got {failure_prob!r}"
        )
    if isinstance(fix_days, bool) or not isinstance(fix_days, int | np.integer):
        raise InputError(f"fix days: must be a whole number, got {fix_days!r}")
    if not 0 <= fix_days <= 90:
        raise InputError(f"fix days: must be between 0 and 90, got {fix_days}")


def _alternatives(ev, chosen, grid, q_best, s_best, lead_days, service_level) -> list[dict]:
    """The recommended row and the named alternatives, each rounded and simulated."""
    mu = ev.sc.mean_daily()
    initial_zero = ev.lots is not None
    metrics = _metrics(chosen, ev.sc.n_scenarios, mu)
    alts = [_alt_row("recommended", chosen, mu)]
    seen = {
        (float(chosen["initial"]), float(chosen["recharge_amount"]), float(chosen["threshold"]))
    }

    def add(option: str, row: pd.Series | None) -> None:
        if row is None:
            return
        key = (float(row["initial"]), float(row["recharge_amount"]), float(row["threshold"]))
        if key in seen:
            return
        seen.add(key)
        alts.append(_alt_row(option, row, mu))

    feasible_grid = grid[np.isfinite(grid["_s"])]
    fewer = feasible_grid[feasible_grid["_q"] >= 2 * float(chosen["recharge_amount"])]
    if metrics["recharges_per_month"] > 0.5 and not fewer.empty:
        f = fewer.loc[fewer["cost"].idxmin()]
        add(
            "fewer recharges",
            _round_policy(ev, f["_q"], f["_s"], lead_days, initial_zero=initial_zero),
        )
    if metrics["expected_forfeited"] > 0.005 * max(metrics["expected_purchased"], 1.0):
        lowf = feasible_grid.sort_values(["forfeited", "cost"], kind="stable").iloc[0]
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
            ev, np.array([q_best]), max(s_best, ev.min_amount) * 2, lead_days, target=tgt
        )
        if np.isfinite(s_alt[0]):
            row = _round_policy(
                ev, q_best, float(s_alt[0]), lead_days, initial_zero=initial_zero, target=tgt
            )
            add(f"{label} ({_pct(level)})", row)
    return alts


def _current_info(ev, current: Policy, lots_given: bool, mu: float) -> tuple[dict, pd.Series]:
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
    info = {
        "initial": cur.initial,
        "recharge_amount": cur.recharge_amount,
        "threshold": cur.threshold,
        "auto_recharge": cur.auto_recharge,
        "failure_prob": cur.failure_prob,
        "fix_days": cur.fix_days,
        "p_stockout": float(row["p_stockout"]),
        "expected_forfeited": float(row["forfeited"]),
        "expected_recharges": float(row["recharges"]),
        "recharges_per_month": _per_month(row, mu),
        "mean_balance": float(row["mean_balance"]),
        "cost": float(row["cost"]),
        "meets_service_level": bool(row["p_stockout"] <= ev.target + 1e-12),
    }
    return info, row


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
    alert, line = plan_text.status_line(rec, alert_days)
    return (EXIT_ALERT if alert else EXIT_OK), line
