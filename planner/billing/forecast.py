"""Monthly spend forecast: the next calendar months of credit spend, drawn from the plan's
demand scenarios, and when a post-paid tenant's remaining credits run out.

Every number comes from the same :class:`~planner.scenarios.Scenarios` the plan is drawn
from, at the engine's precision: each day of each path is whole cents
(:func:`planner.engine.to_cents`), so a month of a path is an exact sum of cents.

- **Months.** The forecast covers up to :data:`FORECAST_MONTHS` calendar months, starting
  with the month of the paths' first day. That first month is *partial* when the plan does
  not start on the 1st (it counts the days from the start on), and the last one is partial
  when the paths end before the month does; ``days`` says how many days each month holds.
- **Expected value.** The mean over the scenarios of the month's spend, in cents, rounded so
  that the months add up exactly to the scenarios' mean spend over the same days (largest
  remainders: the rounding of each month never moves the total by a cent).
- **Upper bounds.** The 90% and 99% quantiles of the month's spend over the scenarios (an
  amount that one scenario in ten, one in a hundred, exceeds), each a spend some scenario
  actually drew (``inverted_cdf``), so whole cents.
- **Budget.** With a monthly budget, each month's chance of exceeding it: the share of
  scenarios whose month spends more than the budget (strictly more, compared in cents).

What the months mean depends on the billing mode (``docs/billing.md``): for a prepaid tenant
it is the spend the balance must fund; for a post-paid tenant it is the bill, once its
remaining credits are used up (:func:`monthly_forecast` with ``lots``: only the spend the
lots do not pay for is billed), and :func:`credits_run_out` says when that happens.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from planner.engine import Policy, to_cents
from planner.engine import paths as balance_paths
from planner.errors import InputError
from planner.money import units
from planner.scenarios import Scenarios

__all__ = [
    "BILLING_MODES",
    "FORECAST_MONTHS",
    "UPPER_LEVELS",
    "MonthlyForecast",
    "RunOut",
    "check_billing",
    "credits_run_out",
    "month_windows",
    "monthly_forecast",
    "parse_monthly_budget",
    "spread_cents",
]

#: months forecast
FORECAST_MONTHS = 12
#: the upper bounds shown for each month
UPPER_LEVELS = (0.9, 0.99)
#: how a tenant pays for PSTN usage beyond its plans
BILLING_MODES = ("prepaid", "postpaid")
#: a balance that holds money no plan can reach: spend with no auto-recharge at all
_NO_RECHARGE = Policy(initial=0.0, recharge_amount=0.0, threshold=0.0, auto_recharge=False)


@dataclass(frozen=True)
class MonthlyForecast:
    """The months ahead, each with its expected spend and upper bounds.

    Attributes
    ----------
    currency : str
    months : pd.DataFrame
        One row per calendar month: ``month`` (its 1st, Timestamp), ``first_day`` and
        ``last_day`` (the days of the paths it covers), ``days`` (int), ``partial`` (bool),
        ``expected_cents``, ``upper90_cents``, ``upper99_cents`` (int64) and, with a budget,
        ``p_over_budget`` (float, the share of scenarios above it).
    monthly_budget_cents : int or None
    n_scenarios : int
    basis : str
        ``"spend"`` (every credit spend of the days) or ``"bill"`` (what the remaining
        credits do not pay for: the post-paid bill).
    mean_total_cents : int
        The scenarios' mean spend over the months' days, rounded to the cent; the expected
        months add up to it exactly.
    """

    currency: str
    months: pd.DataFrame
    monthly_budget_cents: int | None
    n_scenarios: int
    basis: str
    mean_total_cents: int

    def to_dict(self) -> dict[str, Any]:
        """The forecast as JSON values (amounts in currency units, exact to the cent)."""
        rows = []
        row: dict[Any, Any]
        for row in self.months.to_dict("records"):
            item: dict[str, Any] = {
                "month": pd.Timestamp(row["month"]).strftime("%Y-%m"),
                "first_day": pd.Timestamp(row["first_day"]).date().isoformat(),
                "last_day": pd.Timestamp(row["last_day"]).date().isoformat(),
                "days": int(row["days"]),
                "partial": bool(row["partial"]),
                "expected": _units(row["expected_cents"]),
                "upper_90": _units(row["upper90_cents"]),
                "upper_99": _units(row["upper99_cents"]),
            }
            if self.monthly_budget_cents is not None:
                item["p_over_budget"] = round(float(row["p_over_budget"]), 4)
            rows.append(item)
        budget = self.monthly_budget_cents
        return {
            "currency": self.currency,
            "basis": self.basis,
            "scenarios": self.n_scenarios,
            "monthly_budget": None if budget is None else _units(budget),
            "expected_total": _units(self.mean_total_cents),
            "months": rows,
        }


@dataclass(frozen=True)
class RunOut:
    """When the remaining credits run out over the scenarios (post-paid: when post-usage
    billing starts).

    Attributes
    ----------
    balance_cents : int
        The lots' total at the plan start.
    p_run_out : float
        Share of scenarios in which the credits run out within the paths' days.
    earliest, median, latest : pd.Timestamp or None
        The first day that spend is no longer paid from credits in the 10% earliest
        scenarios, the median one, and the 90% latest; None when that scenario's credits
        last the whole horizon.
    horizon_end : pd.Timestamp
        The last day of the paths.
    """

    balance_cents: int
    p_run_out: float
    earliest: pd.Timestamp | None
    median: pd.Timestamp | None
    latest: pd.Timestamp | None
    horizon_end: pd.Timestamp

    def to_dict(self) -> dict[str, Any]:
        """As JSON values (dates ISO, None when not within the horizon)."""

        def day(value: pd.Timestamp | None) -> str | None:
            return None if value is None else value.date().isoformat()

        return {
            "balance": _units(self.balance_cents),
            "p_run_out": round(self.p_run_out, 4),
            "earliest": day(self.earliest),
            "median": day(self.median),
            "latest": day(self.latest),
            "horizon_end": day(self.horizon_end),
        }


def _units(amount_cents: Any) -> float:
    """Cents as currency units for JSON (two decimals, exact as a decimal text)."""
    return float(units(int(amount_cents)))


def check_billing(value: Any, name: str = "billing") -> str:
    """A billing mode (:data:`BILLING_MODES`), else an :class:`InputError` naming ``name``.

    >>> check_billing("postpaid")
    'postpaid'
    """
    if value not in BILLING_MODES:
        raise InputError(
            "{name}: {modes} or {last}, got {value!r}",
            name=name,
            modes=", ".join(BILLING_MODES[:-1]),
            last=BILLING_MODES[-1],
            value=value,
        )
    return str(value)


def parse_monthly_budget(value: Any) -> int | None:
    """A monthly budget given in currency units, as whole cents; None when not given.

    Raises
    ------
    InputError
        Not a number, not finite, or not above 0.

    >>> parse_monthly_budget("1500"), parse_monthly_budget(99.5), parse_monthly_budget(None)
    (150000, 9950, None)
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        amount = float(value)
    except (TypeError, ValueError):
        raise InputError("monthly budget: expected an amount, got {value!r}", value=value) from None
    if isinstance(value, bool) or not math.isfinite(amount) or amount <= 0:
        raise InputError("monthly budget: must be an amount above 0, got {value!r}", value=value)
    return int(to_cents(amount))


def month_windows(
    start: pd.Timestamp, n_days: int, months: int = FORECAST_MONTHS
) -> list[tuple[pd.Timestamp, int, int]]:
    """The calendar months of ``n_days`` days from ``start``: (the month's 1st, first day
    offset, end offset exclusive), at most ``months`` of them.

    >>> [(m.strftime("%Y-%m"), a, b) for m, a, b in month_windows(pd.Timestamp("2027-01-30"), 40)]
    [('2027-01', 0, 2), ('2027-02', 2, 30), ('2027-03', 30, 40)]
    """
    start = pd.Timestamp(start).normalize()
    out: list[tuple[pd.Timestamp, int, int]] = []
    first = start.replace(day=1)
    offset = 0
    while offset < n_days and len(out) < months:
        nxt = first + pd.DateOffset(months=1)
        end = min(n_days, (nxt - start).days)
        out.append((first, offset, end))
        first, offset = nxt, end
    return out


def spread_cents(means: np.ndarray, total: int) -> np.ndarray:
    """Whole cents for each of ``means`` (fractional cents) that add up to ``total`` exactly:
    each is rounded down, and the cents left go to the largest remainders.

    >>> spread_cents(np.array([1.5, 1.5, 1.0]), 4).tolist()
    [2, 1, 1]
    """
    floor = np.floor(means).astype(np.int64)
    left = int(total) - int(floor.sum())
    if left > 0:
        order = np.argsort(-(means - floor), kind="stable")[:left]
        floor[order] += 1
    elif left < 0:  # cannot happen with total = round(sum(means)); kept exact regardless
        order = np.argsort(means - floor, kind="stable")[:-left]
        floor[order] -= 1
    return floor


def _month_totals(cents: np.ndarray, windows: list[tuple[pd.Timestamp, int, int]]) -> np.ndarray:
    """Each scenario's spend per month, whole cents, shape (scenarios, months)."""
    cum = np.zeros((cents.shape[0], cents.shape[1] + 1), dtype=np.int64)
    np.cumsum(cents, axis=1, out=cum[:, 1:])
    ends = np.array([b for _, _, b in windows])
    starts = np.array([a for _, a, _ in windows])
    return cum[:, ends] - cum[:, starts]


def _billed_cents(scenarios: Scenarios, lots: pd.DataFrame) -> np.ndarray:
    """The daily spend the lots do not pay for (oldest lot first, each expiring on its own
    date), whole cents, scenarios x days."""
    unserved = balance_paths(scenarios.paths, scenarios.start, _NO_RECHARGE, lots=lots)["unserved"]
    return to_cents(unserved)


def monthly_forecast(
    scenarios: Scenarios,
    currency: str,
    *,
    monthly_budget: Any = None,
    months: int = FORECAST_MONTHS,
    lots: pd.DataFrame | None = None,
    postpaid: bool = False,
) -> MonthlyForecast:
    """The next calendar months' spend (or post-paid bill) from the plan's scenarios.

    Parameters
    ----------
    scenarios : Scenarios
        The plan's demand paths (currency units per day).
    currency : str
    monthly_budget : amount, optional
        A monthly budget in currency units (:func:`parse_monthly_budget`): each month gets
        its chance of exceeding it.
    months : int
        Calendar months to forecast (default :data:`FORECAST_MONTHS`).
    lots : pd.DataFrame, optional
        A post-paid tenant's remaining credits (``purchase_date``, ``amount``): the months
        forecast the bill, the spend those credits do not pay for.
    postpaid : bool
        The months are a post-paid bill (basis ``bill``) even without ``lots``: with no
        credits left every day's spend is billed.

    Returns
    -------
    MonthlyForecast
    """
    if isinstance(months, bool) or not isinstance(months, int) or months < 1:
        raise InputError(
            "forecast months: must be a whole number >= 1, got {months!r}", months=months
        )
    budget = parse_monthly_budget(monthly_budget)
    windows = month_windows(scenarios.start, scenarios.horizon_days, months)
    if lots is not None and len(lots) > 0:
        cents = _billed_cents(scenarios, lots)
    else:
        cents = to_cents(scenarios.paths)
    totals = _month_totals(cents, windows)
    mean_total = int(round(float(totals.sum(axis=1).mean())))
    table = pd.DataFrame(
        {
            "month": [m for m, _, _ in windows],
            "first_day": [scenarios.start + pd.Timedelta(days=a) for _, a, _ in windows],
            "last_day": [scenarios.start + pd.Timedelta(days=b - 1) for _, _, b in windows],
            "days": np.array([b - a for _, a, b in windows], dtype=np.int64),
        }
    )
    table["partial"] = table["days"] != table["month"].dt.days_in_month.to_numpy()
    table["expected_cents"] = spread_cents(totals.mean(axis=0), mean_total)
    for level, name in zip(UPPER_LEVELS, ("upper90_cents", "upper99_cents"), strict=True):
        table[name] = np.quantile(totals, level, axis=0, method="inverted_cdf").astype(np.int64)
    if budget is not None:
        table["p_over_budget"] = (totals > budget).mean(axis=0)
    return MonthlyForecast(
        currency=currency,
        months=table,
        monthly_budget_cents=budget,
        n_scenarios=scenarios.n_scenarios,
        basis="bill" if postpaid or lots is not None else "spend",
        mean_total_cents=mean_total,
    )


def credits_run_out(scenarios: Scenarios, lots: pd.DataFrame | None) -> RunOut:
    """When the remaining credits (lots, no recharge) no longer pay for the day's spend.

    For a post-paid tenant this is when post-usage billing starts: Microsoft uses the
    remaining balance up first (``docs/billing.md``). The day is the first one whose spend is
    not wholly paid from credits, oldest lot first, every lot expiring 12 months after its
    purchase, in each scenario.

    Parameters
    ----------
    scenarios : Scenarios
    lots : pd.DataFrame or None
        ``purchase_date``, ``amount`` (:func:`planner.inputs.read_lots`); None or empty: no
        credits left, billing has started.

    Returns
    -------
    RunOut
    """
    n_days = scenarios.horizon_days
    result = balance_paths(scenarios.paths, scenarios.start, _NO_RECHARGE, lots=lots)
    runway = result["runway_days"]
    balance = 0 if lots is None or len(lots) == 0 else int(to_cents(lots["amount"]).sum())

    def day(q: float) -> pd.Timestamp | None:
        offset = int(np.quantile(runway, q, method="inverted_cdf"))
        return None if offset >= n_days else scenarios.start + pd.Timedelta(days=offset)

    return RunOut(
        balance_cents=balance,
        p_run_out=float((runway < n_days).mean()),
        earliest=day(0.1),
        median=day(0.5),
        latest=day(0.9),
        horizon_end=scenarios.start + pd.Timedelta(days=n_days - 1),
    )
