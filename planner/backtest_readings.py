"""What a year of a synthetic tenant's history tells the plan, against its known process.

The readings of :mod:`planner.scenarios.reading` over many histories of each tenant of
:data:`planner.backtest.TENANTS` (``docs/backtest.md``, "What a year can tell"): how heavy
the day tail reads, whether its bursts are one population, where a true first year falls
among the scenarios and how much worse a year the scenarios fear than the process makes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.backtest import HISTORY_DAYS, TENANTS, Tenant, _history, demand_process
from planner.scenarios.reading import (
    FLAT_SHAPE_PRIOR,
    YEAR_FIGURES,
    runs_a_pareto_fits,
    tail_shape,
    year_one_readings,
)

__all__ = ["year_reading_summary", "year_readings"]


def year_readings(
    tenants: tuple[Tenant, ...] = TENANTS,
    *,
    seed: int = 0,
    histories: int = 20,
    n_scenarios: int = 1000,
    n_futures: int = 1000,
) -> pd.DataFrame:
    """What one year of history tells the plan, against the tenant's known process, one row
    per history (tenant i, history h: seed ``seed + 100 h + i``, as
    :func:`planner.backtest.synthetic_table`):
    the tail's shape under the plan's prior and a flat one (``shape``, ``shape_flat``),
    ``runs`` and ``runs_fitted`` (:func:`planner.scenarios.reading.runs_a_pareto_fits`) and
    where the first of ``n_futures`` true first years falls among the scenarios
    (``<figure>_quantile``), and the scenarios' one-in-a-hundred year over the true futures'
    (``<figure>_point_ratio``, :func:`planner.scenarios.reading.year_one_readings`)."""
    rows = []
    for h in range(histories):
        for i, tenant in enumerate(tenants):
            rng = np.random.default_rng(seed + 100 * h + i)
            series, wander = _history(tenant, rng)
            futures, _ = demand_process(
                tenant, HISTORY_DAYS, 365, n_futures, rng, wander_start=np.repeat(wander, n_futures)
            )
            runs, fitted = runs_a_pareto_fits(series)
            rows.append(
                {
                    "tenant": tenant.name,
                    "history": h,
                    "shape": tail_shape(series),
                    "shape_flat": tail_shape(series, FLAT_SHAPE_PRIOR),
                    "runs": runs,
                    "runs_fitted": fitted,
                    **year_one_readings(series, futures, n_scenarios=n_scenarios, seed=h),
                }
            )
    return pd.DataFrame(rows)


def year_reading_summary(table: pd.DataFrame) -> pd.DataFrame:
    """One row per tenant kind of :func:`year_readings`, and one for all (``tenant`` "all"):
    the 10%, 50% and 90% points of ``shape`` and ``shape_flat`` over the histories, the
    median share of the bursts a generalized Pareto fits, and for each figure of the year
    that happened (``mean``, ``largest_day``, ``largest_two_days``) the share of histories
    where it fell in the scenarios' middle half (half when calibrated), in their middle 90%,
    below their 5% point and above their 95% point (``<figure>_middle_half`` ...), and the
    10%, 50% and 90% points of the scenarios' one-in-a-hundred year over the process's
    (``<figure>_point_ratio_p10`` ...)."""

    def one(g: pd.DataFrame) -> dict:
        row: dict = {"histories": len(g)}
        for col in ("shape", "shape_flat"):
            p10, p50, p90 = np.nanpercentile(g[col], [10, 50, 90])
            row |= {f"{col}_p10": p10, f"{col}_p50": p50, f"{col}_p90": p90}
        fitted = (g["runs_fitted"] / g["runs"].where(g["runs"] > 0)).median()
        row["runs_fitted_share"] = float(fitted)
        for k in YEAR_FIGURES:
            q = g[f"{k}_quantile"]
            row |= {
                f"{k}_middle_half": float(q.between(0.25, 0.75).mean()),
                f"{k}_middle_90": float(q.between(0.05, 0.95).mean()),
                f"{k}_below_5": float((q < 0.05).mean()),
                f"{k}_above_95": float((q > 0.95).mean()),
            }
            if f"{k}_point_ratio" in g:
                p10, p50, p90 = np.nanpercentile(g[f"{k}_point_ratio"], [10, 50, 90])
                row |= {
                    f"{k}_point_ratio_p10": p10,
                    f"{k}_point_ratio_p50": p50,
                    f"{k}_point_ratio_p90": p90,
                }
        return row

    kinds = [{"tenant": k} | one(g) for k, g in table.groupby("tenant", sort=False)]
    return pd.DataFrame([*kinds, {"tenant": "all"} | one(table)])
