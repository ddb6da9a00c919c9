"""Credit spend over time: monthly by category, daily, and the month-end pattern."""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.analysis.records import (
    category_of,
    credit_categories,
    day_of,
    measures_of,
    month_of,
    month_range,
    on_credits,
)


def monthly_by_category(
    records: pd.DataFrame, user_licences: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Credit spend per UTC month and credit category (long form).

    Categories are :func:`planner.demand.calls.credit_category`'s; ``user_licences`` (from
    :func:`planner.inputs.read_user_licences`) lets it tell pay-as-you-go calls apart.

    Returns
    -------
    DataFrame
        One row per (month, category) for every month from the first to the last record and
        every category of :data:`planner.demand.calls.CATEGORIES`. Columns ``month`` (Period[M]),
        ``category`` (string), ``calls`` (int64, calls that drew on credits), ``minutes``
        (float), ``credit_cents`` (int64).
    """
    credit = records[on_credits(records)]
    keys = [month_of(credit).rename("month"), category_of(credit, user_licences).rename("category")]
    agg = measures_of(credit).groupby(keys).sum()
    full = pd.MultiIndex.from_product(
        [month_range(records), list(credit_categories())], names=["month", "category"]
    )
    out = agg.reindex(full, fill_value=0).reset_index()
    out["category"] = out["category"].astype("string")
    out["calls"] = out["calls"].astype("int64")
    out["minutes"] = out["minutes"].astype("float64")
    out["credit_cents"] = out["credit_cents"].astype("int64")
    return out


def monthly_summary(
    records: pd.DataFrame, user_licences: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Calls, minutes and credit spend by category per UTC month, with month-over-month change.

    Parameters
    ----------
    records : DataFrame
        Canonical call records.
    user_licences : DataFrame, optional
        :func:`planner.inputs.read_user_licences`: marks pay-as-you-go users (``payg``).

    Returns
    -------
    DataFrame
        Index ``month`` (Period[M], every month from the first to the last call, gaps
        filled with zeros). Columns:

        - ``calls`` (int64), ``minutes`` (float): all calls;
        - ``credit_calls`` (int64), ``credit_minutes`` (float): calls paid from credits;
        - ``credit_cents`` (int64): credit spend;
        - ``credit_change_cents`` (Int64, ``<NA>`` for the first month) and
          ``credit_change_pct`` (float, NaN when the previous month spent nothing):
          change of ``credit_cents`` against the previous month;
        - ``minutes_change_pct`` (float): change of ``minutes``;
        - one ``<category>_cents`` column (int64) per category of
          :data:`planner.demand.calls.CATEGORIES`, summing to ``credit_cents``.
    """
    months = month_range(records)
    all_calls = measures_of(records).groupby(month_of(records)).sum()
    all_calls = all_calls.reindex(months, fill_value=0)
    bycat = monthly_by_category(records, user_licences)
    credit = (
        bycat.groupby("month")[["calls", "minutes", "credit_cents"]]
        .sum()
        .reindex(months, fill_value=0)
    )
    out = pd.DataFrame(index=months)
    out["calls"] = all_calls["calls"].astype("int64")
    out["minutes"] = all_calls["minutes"].astype("float64")
    out["credit_calls"] = credit["calls"].astype("int64")
    out["credit_minutes"] = credit["minutes"].astype("float64")
    out["credit_cents"] = credit["credit_cents"].astype("int64")
    change = out["credit_cents"].astype("Int64").diff()
    out["credit_change_cents"] = change
    prev = out["credit_cents"].shift(1)
    out["credit_change_pct"] = (change.astype("float64") / prev.where(prev > 0)).astype("float64")
    prev_min = out["minutes"].shift(1)
    out["minutes_change_pct"] = (out["minutes"] - prev_min) / prev_min.where(prev_min > 0)
    wide = bycat.pivot_table(
        index="month",
        columns="category",
        values="credit_cents",
        aggfunc="sum",
        fill_value=0,
        sort=False,
    ).reindex(months, fill_value=0)
    for cat in wide.columns:
        out[f"{cat}_cents"] = wide[cat].astype("int64")
    out.index.name = "month"
    return out


def daily_credit_spend(records: pd.DataFrame) -> pd.DataFrame:
    """Credit spend per UTC calendar day, every day of the period covered.

    Returns
    -------
    DataFrame
        Index ``date`` (DatetimeIndex, naive UTC midnight, daily, no gaps from the first to the
        last call of any kind). Columns ``credit_cents`` (int64), ``credit_calls`` (int64),
        ``credit_minutes`` (float).
    """
    days = day_of(records).dropna()
    if days.empty:
        idx = pd.DatetimeIndex([], name="date")
    else:
        idx = pd.date_range(days.min(), days.max(), freq="D", name="date")
    credit = records[on_credits(records)]
    m = measures_of(credit)
    g = m.groupby(day_of(credit)).sum().reindex(idx, fill_value=0)
    out = pd.DataFrame(
        {
            "credit_cents": g["credit_cents"].astype("int64"),
            "credit_calls": g["calls"].astype("int64"),
            "credit_minutes": g["minutes"].astype("float64"),
        },
        index=idx,
    )
    out.index.name = "date"
    return out


def spend_by_day_of_month(daily: pd.DataFrame) -> pd.DataFrame:
    """Credit spend by day of the month (1..31), to see whether spend bunches at month end.

    Parameters
    ----------
    daily : DataFrame
        From :func:`daily_credit_spend` (index ``date``, column ``credit_cents``).

    Returns
    -------
    DataFrame
        Index ``day`` (1..31). Columns ``credit_cents`` (int64, total over the period),
        ``days`` (int64, how many calendar days with that number the period holds),
        ``mean_cents`` (float, average spend on such a day), ``share`` (float, share of all
        spend).
    """
    idx = pd.RangeIndex(1, 32, name="day")
    dom = pd.DatetimeIndex(daily.index).day
    total = daily["credit_cents"].groupby(dom).sum().reindex(idx, fill_value=0).astype("int64")
    days = pd.Series(1, index=daily.index).groupby(dom).sum().reindex(idx, fill_value=0)
    all_spend = int(total.sum())
    out = pd.DataFrame(
        {
            "credit_cents": total,
            "days": days.astype("int64"),
            "mean_cents": total / days.where(days > 0),
            "share": total / all_spend if all_spend else np.nan,
        },
        index=idx,
    )
    return out.astype({"mean_cents": "float64", "share": "float64"})


def month_end_pattern(daily: pd.DataFrame, last_n_days: int = 5) -> pd.DataFrame:
    """Share of each month's credit spend that falls in its last ``last_n_days`` days.

    Parameters
    ----------
    daily : DataFrame
        From :func:`daily_credit_spend`.
    last_n_days : int
        Width of the month-end window (>= 1).

    Returns
    -------
    DataFrame
        Index ``month`` (Period[M]). Columns ``credit_cents`` (int64), ``month_end_cents``
        (int64, spend in the last ``last_n_days`` calendar days of the month),
        ``share_month_end`` (float), ``share_expected`` (float, ``last_n_days`` / days in the
        month: the share if spend were even), ``complete`` (bool, the period covers the whole
        month).
    """
    if last_n_days < 1:
        raise ValueError(f"last_n_days must be >= 1, got {last_n_days}")
    idx = pd.DatetimeIndex(daily.index)
    month = idx.to_period("M")
    dim = idx.days_in_month
    in_tail = np.asarray(idx.day > dim - last_n_days)
    cents = daily["credit_cents"].to_numpy(dtype="int64")
    frame = pd.DataFrame(
        {"credit_cents": cents, "month_end_cents": np.where(in_tail, cents, 0), "n": 1},
        index=idx,
    )
    g = frame.groupby(month).sum()
    days_in = pd.Series(np.asarray(dim), index=idx).groupby(month).first()
    out = pd.DataFrame(
        {
            "credit_cents": g["credit_cents"].astype("int64"),
            "month_end_cents": g["month_end_cents"].astype("int64"),
            "share_month_end": g["month_end_cents"]
            / g["credit_cents"].where(g["credit_cents"] > 0),
            "share_expected": np.minimum(last_n_days, days_in) / days_in,
            "complete": g["n"].to_numpy() == days_in.to_numpy(),
        }
    )
    out.index.name = "month"
    return out.astype({"share_month_end": "float64", "share_expected": "float64"})


def month_end_share(daily: pd.DataFrame, last_n_days: int = 5) -> dict[str, float]:
    """Overall month-end concentration of credit spend, over complete months.

    Returns
    -------
    dict
        ``share`` (spend in the last ``last_n_days`` days / all spend), ``expected`` (the share
        if spend were even over the days), ``ratio`` (share / expected: > 1 means spend
        bunches at month end), ``months`` (complete months used; when none is complete, every
        month is used).
    """
    pattern = month_end_pattern(daily, last_n_days)
    use = pattern[pattern["complete"]] if pattern["complete"].any() else pattern
    total = int(use["credit_cents"].sum())
    tail = int(use["month_end_cents"].sum())
    months = pd.DatetimeIndex(daily.index).to_period("M")
    days = months.days_in_month.to_series().groupby(months).first().reindex(use.index)
    expected = float(np.minimum(last_n_days, days).sum() / days.sum()) if len(days) else np.nan
    share = tail / total if total else np.nan
    return {
        "share": share,
        "expected": expected,
        "ratio": share / expected if total and expected else np.nan,
        "months": len(use),
    }
