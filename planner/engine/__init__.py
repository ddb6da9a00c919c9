"""The balance engine: Communications Credits balance under a funding policy.

It follows the balance model of ``docs/credit-model.md`` §2 exactly. Each calendar day
``t`` (day 0 is ``start``; day 0 begins with the ``initial`` lot):

1. **expire** every lot whose expiry date (:func:`planner.lots.expiry_date`: purchase date +
   12 calendar months, so 29 February → 28 February, 31 March → 31 March) is on or before
   day ``t``;
2. **arrive**: recharges ordered ``lead_days`` ago become lots dated ``t``;
3. with auto-recharge on and ``lead_days == 0``: if ``balance - demand < threshold``, add
   ``k = ceil((threshold - (balance - demand)) / recharge_amount)`` lots (k >= 1) dated ``t``,
   so the day's demand is served from the new funds too;
4. **consume** ``served = min(demand, balance)`` oldest lot first; the rest is ``unserved``;
5. with auto-recharge on and ``lead_days >= 1``: if ``balance + pending < threshold``, order
   ``k = ceil((threshold - balance - pending) / recharge_amount)`` recharges (k >= 1) that
   arrive on day ``t + lead_days``.

Conventions this module adds to the contract:

- **Recharge failures.** Each trigger is one *attempt* (one payment for all its ``k`` lots); it
  fails with probability ``failure_prob``. A failed attempt adds nothing and orders nothing,
  emits a ``recharge_failed`` event on the day of the attempt, and suspends auto-recharge for
  ``fix_days`` days: the next attempt can come on day ``t + 1 + fix_days`` at the earliest
  (at most one attempt per day). With ``lead_days == 0`` the attempt is made in step 3, so a
  failure leaves step 4 to serve ``min(demand, balance)`` from the funds already there: the
  day is a stock-out only if the old balance does not cover the demand. When the suspension
  ends the trigger is tested as usual, so a balance still under the threshold triggers a new
  attempt on that very day.
- **Counting.** ``purchased`` and ``recharges`` count lots when they become usable (on
  arrival). An order whose arrival falls after the horizon stays pending and is not counted.
  ``recharges`` counts lots of ``recharge_amount`` (a trigger with k = 3 is 3 recharges).
- **Starting state.** ``lots`` are funds held before day 0 (purchase date on or before
  ``start``, amount left). They are older than every lot bought in the simulation, so they are
  consumed first, oldest first, and each expires on its own date; a lot whose expiry is on or
  before ``start`` expires on day 0 (step 1) and counts in ``expired``. Their sum is the
  ``start_balance``: for day 0, conservation reads ``balance[0] = start_balance + purchased[0]
  - served[0] - expired[0]``.
- **E-mail events** (what Microsoft would send): ``recharge_succeeded`` on the day recharged
  lots become usable (amount: their total); ``recharge_failed`` on the day of a failed attempt
  (amount: the k recharges the attempt would have added);
  ``balance_zero`` on a day that ends at zero after the balance was positive at some point of
  that day (previous end-of-day balance plus the day's purchases > 0).

- **Whole cents.** Every amount (demand, lots, policy) is rounded to whole cents
  (:func:`planner.money.to_cents`) before the simulation, which then adds and compares
  integers: a balance that lands exactly on the trigger does not recharge, whatever float sums
  would have said. Results come back in currency units (:func:`planner.money.from_cents`).
- **After the plan** (:func:`sweep` with ``plan_days``): the demand past ``plan_days`` is a
  *tail* in which nothing is bought; it spends what is left, oldest lot first, until every
  lot bought in the plan is used or expired, so ``forfeited`` counts the full loss of those
  lots (``docs/credit-model.md`` §3).

The daily loop runs in :mod:`planner._kernels` (numba, parallel over policy x scenario
lanes): FIFO with expiry needs no list of lots thanks to the frontier identity of the
contract, and calendar expiry comes in as a precomputed table of day offsets
(:func:`expiry_days`). ``benchmarks/sweep.py`` measures it against a vectorised numpy and a
plain Python version of the same loop.
"""

from __future__ import annotations

from planner.engine.core import (
    POLICY_COLUMNS,
    Policy,
    SimulationResult,
    expiry_days,
    paths,
    simulate,
)
from planner.engine.sweep import DemandCents, sweep
from planner.money import to_cents

__all__ = [
    "DemandCents",
    "POLICY_COLUMNS",
    "Policy",
    "SimulationResult",
    "expiry_days",
    "paths",
    "simulate",
    "sweep",
    "to_cents",
]
