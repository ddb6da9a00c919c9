"""Finding the cheapest feasible policy under the admin center's rules.

For a fixed recharge amount Q, raising the trigger s lowers the stock-out risk and raises
the balance held, so the cheapest feasible s is the smallest one meeting the service level,
``s_min(Q)``. :func:`search` therefore

1. searches ``s_min(Q)`` for a log-spaced grid of Q, all Q at once, every sweep on the same
   scenarios (common random numbers; :func:`min_threshold`), each trigger to within a
   fraction of the step it is rounded to;
2. refines once on a finer log grid between the neighbours of the cheapest Q, each
   trigger searched between the neighbours' triggers;

and :func:`round_policy` rounds Q, s and the first purchase to whole amounts an admin would
type (:func:`nice_step`, never below the minimum amount), evaluates the rounded neighbours
and keeps the cheapest feasible one: the rounded policy is the one simulated and reported.
Every policy goes through one :class:`Evaluator`, which prices it with
:func:`planner.recommend.cost.policy_cost` and keeps it for the frontier.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from planner.engine import POLICY_COLUMNS, DemandCents, Policy, sweep
from planner.errors import InputError
from planner.recommend.cost import DEFAULT_MIN_AMOUNT, policy_cost
from planner.scenarios import Scenarios

#: points of the coarse Q grid
_COARSE_Q = 14
#: points added between the neighbours of the best Q (one refinement: steps of about 8%,
#: finer than the -20 % / +25 % of nice amounts :func:`round_policy` then looks at)
_FINE_Q = 7
#: most rounds of the trigger search, and triggers tested per Q in each (five-fold narrowing)
_SEARCH_ROUNDS = 4
_POINTS_PER_ROUND = 4
#: a trigger bracket is narrow enough at this share of the step the trigger is rounded to
#: (:func:`nice_step`, about a tenth of it): the rounded neighbours are then the same
TRIGGER_TOLERANCE = 0.25
#: on the coarse Q grid, which only tells where to refine, a bracket twice as wide will do
COARSE_TOLERANCE = 0.5
#: a refined Q's bracket: its neighbours' triggers widened by this share each way
_NEIGHBOUR_MARGIN = 0.15
#: a candidate whose stock-out share lies within this many standard errors of the target
#: (at the target's own p) is borderline: it is judged again on the check scenarios
BORDERLINE_SE = 2.0


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


class Evaluator:
    """Runs policy tables through the engine on fixed scenarios, keeping every result.

    ``check`` makes the check scenarios on first use: more scenarios of the same history,
    drawn independently of ``scenarios`` and independently of how many those are. A
    candidate whose stock-out share on ``scenarios`` is within :data:`BORDERLINE_SE`
    standard errors of the target is judged on them (:meth:`confirm`), and the rows a plan
    shows are all evaluated on them (:meth:`final`): noise in the search scenarios cannot
    flip a borderline decision, and two runs with 1,000 and 2,000 scenarios decide the
    borderline candidates on the same paths.
    """

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
        check: Callable[[], Scenarios] | None = None,
        unseen: Callable[[], Scenarios] | None = None,
    ) -> None:
        self.sc = scenarios
        self.demand = DemandCents.of(scenarios.with_tail())  # converted once, swept often
        self.lots = lots
        self.holding_rate = holding_rate
        self.overhead = recharge_overhead
        self.target = target
        self.min_amount = float(min_amount)
        self.failure_prob = float(failure_prob)
        self.fix_days = int(fix_days)
        self.min_q = self.min_amount
        self.seen: list[pd.DataFrame] = []
        self._check_factory = check
        self._check: Evaluator | None = None
        self._unseen_factory = unseen
        self._unseen: Evaluator | None = None

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

    def _like(self, scenarios: Scenarios) -> Evaluator:
        """An evaluator of other scenarios with this one's rates, rules and target."""
        ev = Evaluator(
            scenarios,
            lots=self.lots,
            holding_rate=self.holding_rate,
            recharge_overhead=self.overhead,
            target=self.target,
            min_amount=self.min_amount,
            failure_prob=self.failure_prob,
            fix_days=self.fix_days,
        )
        ev.min_q = self.min_q
        return ev

    @property
    def check(self) -> Evaluator:
        """The evaluator of the check scenarios (this one when there are none)."""
        if self._check_factory is None:
            return self
        if self._check is None:
            self._check = self._like(self._check_factory())
        return self._check

    @property
    def unseen(self) -> Evaluator:
        """The evaluator of the scenarios that expect bursts a year has not shown (a
        heavier tail prior, :data:`planner.scenarios.UNSEEN_BURSTS_PRIOR`), on which the
        higher service level alternative is sized; the check scenarios' when there are
        none."""
        if self._unseen_factory is None:
            return self.check
        if self._unseen is None:
            self._unseen = self._like(self._unseen_factory())
        return self._unseen

    @property
    def final_scenarios(self) -> int:
        """How many scenarios the rows of a plan are evaluated on (:meth:`final`)."""
        return self.check.sc.n_scenarios

    def confirm(self, res: pd.DataFrame, target: float | None = None) -> pd.DataFrame:
        """``res`` with its borderline rows (stock-out share within :data:`BORDERLINE_SE`
        standard errors of ``target``) replaced by their evaluation on the check scenarios;
        ``feasible`` judged against ``target``."""
        target = self.target if target is None else target
        se = math.sqrt(max(target * (1 - target), 1e-6) / self.sc.n_scenarios)
        border = ((res["p_stockout"] - target).abs() <= BORDERLINE_SE * se).to_numpy()
        out = res.copy()
        if border.any() and self.check is not self:
            again = self.check(res.loc[border, list(POLICY_COLUMNS)], keep=False)
            cols = [c for c in again.columns if c in out.columns and c not in POLICY_COLUMNS]
            out.loc[border, cols] = again[cols].to_numpy()
        out["feasible"] = out["p_stockout"] <= target + 1e-12
        return out

    def final(self, rows: list[pd.Series]) -> list[pd.Series]:
        """The rows' policies evaluated together on the check scenarios (not kept)."""
        table = pd.DataFrame([r[list(POLICY_COLUMNS)] for r in rows]).reset_index(drop=True)
        table = table.astype({"auto_recharge": bool, "lead_days": int, "fix_days": int})
        res = self.check(table, keep=False)
        return [res.iloc[i] for i in range(len(res))]

    def one(self, policy: Policy) -> pd.Series:
        """One policy evaluated, not kept for the frontier."""
        return self(policy_table([policy]), keep=False).iloc[0]

    def grid(
        self, q: np.ndarray, s: np.ndarray, initial: np.ndarray, lead_days: int
    ) -> pd.DataFrame:
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
        """An auto-recharge policy with this plan's recharge failures."""
        return Policy(initial, q, s, lead_days, True, self.failure_prob, self.fix_days)


def policy_table(policies: list[Policy]) -> pd.DataFrame:
    """The policy table :func:`planner.engine.sweep` takes, one row per policy."""
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


def min_threshold(
    ev: Evaluator,
    q: np.ndarray,
    s_hi: float | np.ndarray,
    lead_days: int,
    *,
    target: float | None = None,
    s_lo: np.ndarray | None = None,
    tolerance: float = TRIGGER_TOLERANCE,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Search the smallest feasible trigger (at least the minimum amount) for every Q.

    Every bracket ``[s_lo, s_hi]`` is tested at both ends in one sweep. A bracket whose
    lower end is already feasible is searched again from the minimum amount up to it, and
    one whose upper end still fails is doubled (three times at most). Then each round tests
    :data:`_POINTS_PER_ROUND` evenly spaced triggers inside every open bracket in one
    sweep, shrinking it five-fold, until each is narrower than ``tolerance`` of the step the
    trigger is rounded to (:func:`nice_step`) or :data:`_SEARCH_ROUNDS` rounds are done.
    The first purchase is ``max(Q, s)``, so that the start is like any later cycle and the
    edge found is the steady-state one.

    Parameters
    ----------
    s_hi, s_lo : float or np.ndarray
        The bracket, per Q or for all (``s_lo`` default: the minimum amount); a narrow one
        (the neighbours' triggers, when the search refines Q) takes fewer rounds.
    tolerance : float
        Width of a finished bracket, in rounding steps of its upper end.

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

    # the admin center refuses a trigger below the minimum: no bracket starts lower
    floor = ev.min_amount
    lo = np.full(n, floor) if s_lo is None else np.maximum(np.asarray(s_lo, float), floor)
    hi = np.maximum(np.broadcast_to(np.asarray(s_hi, float), (n,)), 2 * floor)
    hi = np.maximum(hi, lo * 1.5)
    res, ok = run(np.concatenate([q, q]), np.concatenate([lo, hi]))
    ok_lo, ok_hi = ok[:n], ok[n:].copy()
    rows: list[pd.Series] = [res.iloc[i] if ok_lo[i] else res.iloc[n + i] for i in range(n)]
    # a feasible lower end: the edge lies below it (a narrow bracket that missed), or at it
    below = ok_lo & (lo > floor)
    hi[ok_lo] = lo[ok_lo]
    lo[below] = floor
    ok_hi[ok_lo] = True
    for _ in range(3):  # widen the bracket where even s_hi is not enough
        idx = np.flatnonzero(~ok_hi)
        if not idx.size:
            break
        lo[idx] = hi[idx]
        hi[idx] *= 2
        res, ok = run(q[idx], hi[idx])
        for r, i in enumerate(idx):
            rows[i] = res.iloc[r]
            ok_hi[i] = ok[r]
    active = (~ok_lo | below) & ok_hi
    k = _POINTS_PER_ROUND
    frac = np.arange(1, k + 1) / (k + 1)
    for _ in range(_SEARCH_ROUNDS):
        wide = np.array([hi[i] - lo[i] > tolerance * nice_step(hi[i]) for i in range(n)])
        idx = np.flatnonzero(active & wide)
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
    s_min = np.where(ok_hi, hi, np.nan)
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


def lead_time_bound(sc: Scenarios, lead_days: int, scale: dict | None = None) -> float:
    """The highest trigger a search looks at: one and a half times the largest spend of a
    lead time (and the day of the crossing) in any scenario, plus a mean day."""
    scale = scale or _scale(sc, lead_days)
    return max(1.0, 1.5 * scale["lead_peak"] + scale["mu"])


def search(
    ev: Evaluator, sc: Scenarios, lead_days: int, initial_zero: bool, min_q: float
) -> tuple[float, float, pd.DataFrame]:
    """Continuous (Q, s) minimising the cost at the feasibility edge; plus the Q-grid rows.

    A coarse log grid of Q first, then one finer grid between the neighbours of the
    cheapest; a finer Q's trigger is searched between its neighbours' (the trigger needed
    falls as Q grows: fewer recharges, fewer days just below the trigger), widened by
    :data:`_NEIGHBOUR_MARGIN` and re-opened by :func:`min_threshold` where it missed."""
    scale = _scale(sc, lead_days)
    q_lo = max(min_q, ev.min_amount, 1.0)
    # never beyond what a year can use: a bigger lot forfeits the rest
    q_hi = max(q_lo, scale["year_mean"])
    s_hi = lead_time_bound(sc, lead_days, scale)
    q = np.geomspace(q_lo, q_hi, _COARSE_Q) if q_hi > q_lo * 1.01 else np.array([q_lo])
    s_min, rows = min_threshold(ev, q, s_hi, lead_days, tolerance=COARSE_TOLERANCE)
    grid = rows.assign(_q=q, _s=s_min)
    fine = _fine_grid(grid, q_lo, q_hi)
    if fine is not None:
        q_fine, s_near = fine
        s_f, rows_f = min_threshold(
            ev,
            q_fine,
            s_near.max() * (1 + _NEIGHBOUR_MARGIN),
            lead_days,
            s_lo=np.full(len(q_fine), s_near.min() * (1 - _NEIGHBOUR_MARGIN)),
        )
        grid = pd.concat([grid, rows_f.assign(_q=q_fine, _s=s_f)], ignore_index=True)
    feasible = grid[np.isfinite(grid["_s"])]
    if feasible.empty:
        raise InputError(
            "no auto-recharge policy meets the service level on these scenarios even with a "
            "very high trigger; lower --service-level or check the demand"
        )
    best = feasible.loc[feasible["cost"].idxmin()]
    return float(best["_q"]), float(best["_s"]), grid


def _fine_grid(
    grid: pd.DataFrame, q_lo: float, q_hi: float
) -> tuple[np.ndarray, np.ndarray] | None:
    """The finer Q between the neighbours of the cheapest feasible Q of ``grid`` and the
    triggers found for it and them; None when there is nothing to refine."""
    feasible = grid[np.isfinite(grid["_s"])].sort_values("_q")
    if feasible.empty:
        return None
    i = int(np.argmin(feasible["cost"].to_numpy()))
    qs, ss = feasible["_q"].to_numpy(), feasible["_s"].to_numpy()
    left = qs[i - 1] if i > 0 else qs[i] / 1.5 if qs[i] / 1.5 >= q_lo else qs[i]
    right = min(qs[i + 1] if i + 1 < len(qs) else qs[i] * 1.5, q_hi)
    if right <= max(left, q_lo) * 1.001:
        return None
    return np.geomspace(max(left, q_lo), right, _FINE_Q + 2)[1:-1], ss[max(i - 1, 0) : i + 2]


def round_policy(
    ev: Evaluator,
    q: float,
    s: float,
    lead_days: int,
    *,
    initial_zero: bool,
    target: float | None = None,
) -> pd.Series:
    """Cheapest feasible policy among the nice-rounded neighbours of (Q, s).

    With today's lots (``initial_zero``) a policy is tried without a first purchase, with
    one recharge amount and with enough not to trigger at once, in that order of
    preference. When the cheapest feasible one buys now, the next triggers up are tried too
    before it is taken: a purchase that only a trigger too low needs is not needed."""
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
    tried: list[pd.DataFrame] = []
    raised = False
    for _ in range(12):
        pairs = [(qq, ss) for qq in q_opts for ss in s_opts]
        tried.append(_preferred_feasible(ev, pairs, lead_days, initial_zero, target))
        ok = pd.concat(tried, ignore_index=True)
        s_opts = [x + nice_step(x) * 2 for x in s_opts]
        if ok.empty:
            continue
        # per (Q, s) the preferred feasible first purchase, then the cheapest (Q, s)
        ok = ok.sort_values("_rank", kind="stable")
        ok = ok.drop_duplicates(["recharge_amount", "threshold"], keep="first")
        best = ok.sort_values("cost", kind="stable").iloc[0].drop("_rank")
        if initial_zero and best["initial"] > 0 and not raised:
            # a purchase now that only a trigger too low needs is not needed: the higher
            # triggers without one are weighed against it first
            raised = True
            continue
        return best
    raise InputError(
        "could not find a rounded policy meeting the service level; lower --service-level"
    )


def _preferred_feasible(
    ev: Evaluator,
    pairs: list[tuple[float, float]],
    lead_days: int,
    initial_zero: bool,
    target: float,
) -> pd.DataFrame:
    """Per (Q, s) of ``pairs``, the feasible row with the most preferred first purchase
    (``_rank``): nothing now (today's lots, ``initial_zero``), one recharge amount, enough
    not to trigger at once. Each first purchase is tried only where the preferred ones
    failed; borderline rows are judged on the check scenarios (:meth:`Evaluator.confirm`).
    Pairs feasible with none are left out."""
    found: list[pd.DataFrame] = []
    todo = pairs
    for rank in range(3):
        rows = []
        for qq, ss in todo:
            inits = list(dict.fromkeys(([0.0] if initial_zero else []) + [qq, max(qq, ss)]))
            if rank < len(inits):
                rows.append(ev.policy(inits[rank], qq, ss, lead_days))
        if not rows:
            break
        res = ev.confirm(ev(policy_table(rows)), target).assign(_rank=rank)
        feasible = res["feasible"].to_numpy()
        found.append(res[feasible])
        todo = [
            (p.recharge_amount, p.threshold) for p, ok in zip(rows, feasible, strict=True) if not ok
        ]
    return pd.concat(found, ignore_index=True)
