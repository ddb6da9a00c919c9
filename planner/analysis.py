"""Usage analysis and funding summaries: pure pandas / numpy transforms for the notebooks.

Every function takes the canonical call-record table (:mod:`planner.schema`) or plain arrays
and returns a DataFrame whose columns are written in its docstring. Money stays exact: integer
**cents** (``int64``) in every ``*_cents`` column; :func:`money` turns cents into text such as
``"1,234.56 USD"`` at the very edge. Months and days are UTC calendar periods, because the
exports and the credit balance both count in UTC.

Funding summaries (:func:`percentile_bands`, :func:`path_outcomes`, :func:`runway_days`,
:func:`lot_forfeiture`) work on the ``S x T`` arrays of scenario paths and simulated balances
(floats in currency units, as the simulation uses them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from planner.calls import CATEGORIES, credit_category, is_toll_free, utc_dates
from planner.demand import licence_check
from planner.engine import Policy, expiry_days, paths
from planner.errors import InputError
from planner.inputs import UNKNOWN_DEPARTMENT, normalise_departments, read_departments
from planner.pricing import classify_calls, pool_minutes
from planner.schema import CREDITS_CAPABILITY, credit_cents

#: label used for records without a user (auto attendants, call queues)
NO_USER = "(no user)"
#: label of a missing destination / call type / reject reason
UNKNOWN = "(unknown)"

WEEKDAYS: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

_MEASURES = ("calls", "minutes", "credit_cents")


# --------------------------------------------------------------------------------------------
# small building blocks
# --------------------------------------------------------------------------------------------


def _utc_naive(ts: pd.Series) -> pd.Series:
    """Timestamps as naive UTC wall time (so periods and days are UTC calendar units)."""
    if isinstance(ts.dtype, pd.DatetimeTZDtype):
        return ts.dt.tz_convert("UTC").dt.tz_localize(None)
    return ts


def _months(records: pd.DataFrame) -> pd.Series:
    return _utc_naive(records["start"]).dt.to_period("M")


def _days(records: pd.DataFrame) -> pd.Series:
    return utc_dates(records["start"])


def _minutes(records: pd.DataFrame) -> pd.Series:
    return records["duration_s"].fillna(0).astype("int64") / 60.0


def credit_currencies(records: pd.DataFrame) -> list[str]:
    """The currencies of the records that drew on credits, most spent first."""
    credit = records[on_credits(records)]
    cents = credit_cents(credit)
    spend = cents.groupby(credit["currency"].astype("string").fillna(UNKNOWN)).sum()
    return [str(c) for c in spend.sort_values(ascending=False, kind="stable").index]


def credit_currency(records: pd.DataFrame, default: str = "") -> str:
    """The one currency credits were spent in (``default`` when nothing drew on credits).

    Raises
    ------
    InputError
        Credits were spent in several currencies: analyse one at a time
        (:func:`in_currency`).
    """
    found = credit_currencies(records)
    if len(found) > 1:
        raise InputError(
            f"credits were spent in several currencies ({', '.join(found)}); analyse one "
            f"at a time, e.g. analysis.in_currency(records, {found[0]!r})"
        )
    return found[0] if found else default


def in_currency(records: pd.DataFrame, currency: str) -> pd.DataFrame:
    """The records charged in ``currency``, plus every record without money (all kept)."""
    cur = records["currency"].astype("string").str.upper()
    return records[cur.eq(currency.upper()).fillna(True) | ~on_credits(records)]


def _measures(records: pd.DataFrame) -> pd.DataFrame:
    """calls (1 per record), minutes (float), credit_cents (int64), per record.

    Refuses to add up cents of different currencies (see :func:`credit_currency`).
    """
    credit_currency(records)
    return pd.DataFrame(
        {
            "calls": np.ones(len(records), dtype="int64"),
            "minutes": _minutes(records).to_numpy(dtype="float64"),
            "credit_cents": credit_cents(records).to_numpy(dtype="int64"),
        },
        index=records.index,
    )


def _aggregate(records: pd.DataFrame, keys: pd.Series | list[pd.Series]) -> pd.DataFrame:
    """Sum calls / minutes / credit_cents by ``keys``; sorted by credit, then minutes."""
    m = _measures(records)
    m["credit_calls"] = on_credits(records).astype("int64").to_numpy()
    out = m.groupby(keys, sort=True, dropna=False).sum()
    for col in ("calls", "credit_cents", "credit_calls"):
        out[col] = out[col].astype("int64")
    return out


def _label(series: pd.Series, missing: str = UNKNOWN) -> pd.Series:
    return series.astype("string").fillna(missing)


def on_credits(records: pd.DataFrame) -> pd.Series:
    """Boolean Series: the record drew on Communications Credits (capability ``MCOPSTNPP``)."""
    return records["capability"].eq(CREDITS_CAPABILITY).fillna(False).astype(bool)


def credit_categories() -> tuple[str, ...]:
    """The credit-spend categories, in display order (from :mod:`planner.calls`)."""
    return tuple(CATEGORIES)


def _category(records: pd.DataFrame, user_licences: pd.DataFrame | None = None) -> pd.Series:
    """Credit category of every record (``<NA>`` for records that did not draw on credits).

    ``user_licences`` (``upn``, ``has_payg_plan``) marks pay-as-you-go users.
    """
    payg = None
    if user_licences is not None and "has_payg_plan" in user_licences.columns:
        flagged = user_licences["has_payg_plan"].fillna(False).astype(bool)
        payg = user_licences.loc[flagged, "upn"].astype("string").str.lower().tolist()
    cat = credit_category(records, payg_upns=payg).astype("string")
    return cat.where(on_credits(records))


def period_covered(records: pd.DataFrame) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """First and last call start (UTC) in ``records``; ``(None, None)`` when empty."""
    start = records["start"].dropna()
    if start.empty:
        return None, None
    return start.min(), start.max()


# --------------------------------------------------------------------------------------------
# formatting at the edge
# --------------------------------------------------------------------------------------------


def money(cents: int | Decimal | float | None, currency: str = "") -> str:
    """Format an amount of cents as currency units with thousands separators.

    Parameters
    ----------
    cents : int, Decimal or float
        Amount in cents (``123456`` -> ``1,234.56``). Floats are rounded half-even to a cent.
        ``None`` / NA give ``"-"``.
    currency : str
        ISO 4217 code appended after a space (omitted when empty).

    Examples
    --------
    >>> money(123456, "USD")
    '1,234.56 USD'
    >>> money(-5, "EUR")
    '-0.05 EUR'
    """
    if cents is None or (not isinstance(cents, Decimal) and pd.isna(cents)):
        return "-"
    units = (Decimal(str(cents)) / 100).quantize(Decimal("0.01"))
    text = f"{units:,.2f}"
    return f"{text} {currency}" if currency else text


# --------------------------------------------------------------------------------------------
# data quality
# --------------------------------------------------------------------------------------------


def data_quality(ingest_result: Any) -> dict[str, Any]:
    """What the ingest read: period covered, per-file counts, rejects grouped by reason.

    Parameters
    ----------
    ingest_result : planner.ingest.IngestResult
        Anything with ``.records`` (canonical records), ``.rejects`` (columns
        ``source_file, source_row, reason, raw``) and ``.files`` (objects with attributes
        ``path, format, rows, records, duplicates, rejected, period_start, period_end``).

    Returns
    -------
    dict
        ``period_start``, ``period_end`` (UTC Timestamps of the first / last call, or None),
        ``days`` (calendar days covered), ``records`` (int), ``rows`` (int, all rows read),
        ``duplicates`` (int), ``rejected`` (int),
        ``files``: DataFrame, one row per file, columns ``path, format, rows, records,
        duplicates, rejected, period_start, period_end``;
        ``rejects_by_reason``: DataFrame, columns ``reason, rows, files, example_file,
        example_row``, most frequent reason first.
    """
    records = ingest_result.records
    rejects = ingest_result.rejects
    cols = [
        "path",
        "format",
        "rows",
        "records",
        "duplicates",
        "rejected",
        "period_start",
        "period_end",
    ]
    files = pd.DataFrame(
        [{c: getattr(f, c, None) for c in cols} for f in ingest_result.files], columns=cols
    )
    for c in ("rows", "records", "duplicates", "rejected"):
        files[c] = pd.to_numeric(files[c]).fillna(0).astype("int64")
    files["path"] = files["path"].map(lambda p: None if p is None else str(p)).astype("string")
    files["format"] = files["format"].astype("string")

    reasons = rejects_by_reason(rejects)
    start, end = period_covered(records)
    days = 0 if start is None else int((end.normalize() - start.normalize()).days) + 1
    return {
        "period_start": start,
        "period_end": end,
        "days": days,
        "records": len(records),
        "rows": int(files["rows"].sum()),
        "duplicates": int(files["duplicates"].sum()),
        "rejected": len(rejects),
        "files": files,
        "rejects_by_reason": reasons,
    }


def rejects_by_reason(rejects: pd.DataFrame) -> pd.DataFrame:
    """Rejected rows grouped by reason.

    Parameters
    ----------
    rejects : DataFrame
        Columns ``source_file, source_row, reason, raw`` (:data:`planner.schema.REJECT_COLUMNS`).

    Returns
    -------
    DataFrame
        Columns ``reason`` (string), ``rows`` (int64), ``files`` (int64, distinct files),
        ``example_file``, ``example_row`` (the first rejected row with that reason); the most
        frequent reason first.
    """
    cols = ["reason", "rows", "files", "example_file", "example_row"]
    if len(rejects) == 0:
        return pd.DataFrame(
            {c: pd.Series(dtype="int64" if c in ("rows", "files") else "string") for c in cols}
        )
    r = rejects.assign(reason=_label(rejects["reason"]))
    g = r.groupby("reason", sort=False)
    out = pd.DataFrame(
        {
            "rows": g.size().astype("int64"),
            "files": g["source_file"].nunique().astype("int64"),
            "example_file": g["source_file"].first().astype("string"),
            "example_row": g["source_row"].first(),
        }
    ).reset_index()
    return out.sort_values(["rows", "reason"], ascending=[False, True], ignore_index=True)


# --------------------------------------------------------------------------------------------
# monthly and daily views
# --------------------------------------------------------------------------------------------


def monthly_by_category(
    records: pd.DataFrame, user_licences: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Credit spend per UTC month and credit category (long form).

    Categories are :func:`planner.calls.credit_category`'s; ``user_licences`` (from
    :func:`planner.inputs.read_user_licences`) lets it tell pay-as-you-go calls apart.

    Returns
    -------
    DataFrame
        One row per (month, category) for every month from the first to the last record and
        every category of :data:`planner.calls.CATEGORIES`. Columns ``month`` (Period[M]),
        ``category`` (string), ``calls`` (int64, calls that drew on credits), ``minutes``
        (float), ``credit_cents`` (int64).
    """
    credit = records[on_credits(records)]
    keys = [_months(credit).rename("month"), _category(credit, user_licences).rename("category")]
    agg = _measures(credit).groupby(keys).sum()
    full = pd.MultiIndex.from_product(
        [_month_range(records), list(credit_categories())], names=["month", "category"]
    )
    out = agg.reindex(full, fill_value=0).reset_index()
    out["category"] = out["category"].astype("string")
    out["calls"] = out["calls"].astype("int64")
    out["minutes"] = out["minutes"].astype("float64")
    out["credit_cents"] = out["credit_cents"].astype("int64")
    return out


def _month_range(records: pd.DataFrame) -> pd.PeriodIndex:
    months = _months(records).dropna()
    if months.empty:
        return pd.PeriodIndex([], freq="M", name="month")
    return pd.period_range(months.min(), months.max(), freq="M", name="month")


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
          :data:`planner.calls.CATEGORIES`, summing to ``credit_cents``.
    """
    months = _month_range(records)
    all_calls = _measures(records).groupby(_months(records)).sum()
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
    days = _days(records).dropna()
    if days.empty:
        idx = pd.DatetimeIndex([], name="date")
    else:
        idx = pd.date_range(days.min(), days.max(), freq="D", name="date")
    credit = records[on_credits(records)]
    m = _measures(credit)
    g = m.groupby(_days(credit)).sum().reindex(idx, fill_value=0)
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
    dom = daily.index.day
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
    idx = daily.index
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
    days = (
        daily.index.to_period("M")
        .days_in_month.to_series()
        .groupby(daily.index.to_period("M"))
        .first()
        .reindex(use.index)
    )
    expected = float(np.minimum(last_n_days, days).sum() / days.sum()) if len(days) else np.nan
    share = tail / total if total else np.nan
    return {
        "share": share,
        "expected": expected,
        "ratio": share / expected if total and expected else np.nan,
        "months": len(use),
    }


# --------------------------------------------------------------------------------------------
# who, where, what, when
# --------------------------------------------------------------------------------------------


def _departments(departments: pd.DataFrame | str | Path | None) -> pd.DataFrame | None:
    if departments is None:
        return None
    if isinstance(departments, (str, Path)):
        return read_departments(departments)
    return normalise_departments(departments)


def by_user(
    records: pd.DataFrame, departments: pd.DataFrame | str | Path | None = None
) -> pd.DataFrame:
    """Calls, minutes and credit spend per user.

    Parameters
    ----------
    records : DataFrame
        Canonical call records.
    departments : DataFrame, path or None
        Optional user -> department map (columns ``upn, department``, or a CSV path read with
        :func:`planner.inputs.read_departments`). Users not in it get :data:`planner.inputs.UNKNOWN_DEPARTMENT`.

    Returns
    -------
    DataFrame
        One row per UPN (records without one grouped as :data:`NO_USER`), largest credit spend
        first. Columns ``upn``, ``user_display_name`` (string), ``department`` (string, only
        when ``departments`` is given), ``calls`` (int64), ``minutes`` (float),
        ``credit_calls`` (int64), ``credit_cents`` (int64).
    """
    upn = _label(records["upn"].str.lower(), NO_USER).rename("upn")
    agg = _aggregate(records, upn)
    names = records["user_display_name"].groupby(upn).first().astype("string")
    agg.insert(0, "user_display_name", names.reindex(agg.index))
    out = agg.reset_index()
    dep = _departments(departments)
    if dep is not None:
        out = out.merge(dep, on="upn", how="left", validate="one_to_one")
        out["department"] = out["department"].fillna(UNKNOWN_DEPARTMENT).astype("string")
        out = out[
            [
                "upn",
                "user_display_name",
                "department",
                "calls",
                "minutes",
                "credit_calls",
                "credit_cents",
            ]
        ]
    else:
        out = out[["upn", "user_display_name", "calls", "minutes", "credit_calls", "credit_cents"]]
    out["upn"] = out["upn"].astype("string")
    return out.sort_values(
        ["credit_cents", "minutes", "upn"], ascending=[False, False, True], ignore_index=True
    )


def by_department(records: pd.DataFrame, departments: pd.DataFrame | str | Path) -> pd.DataFrame:
    """Calls, minutes and credit spend per department.

    Returns
    -------
    DataFrame
        One row per department (users missing from ``departments`` as
        :data:`planner.inputs.UNKNOWN_DEPARTMENT`), largest credit spend first. Columns ``department``
        (string), ``users`` (int64, users with at least one call), ``calls`` (int64),
        ``minutes`` (float), ``credit_calls`` (int64), ``credit_cents`` (int64).
    """
    users = by_user(records, departments)
    g = users.groupby("department", sort=True)
    out = g[["calls", "minutes", "credit_calls", "credit_cents"]].sum()
    out.insert(0, "users", g["upn"].size().astype("int64"))
    out = out.reset_index()
    out["department"] = out["department"].astype("string")
    return out.sort_values(
        ["credit_cents", "minutes", "department"], ascending=[False, False, True], ignore_index=True
    )


def _grouped(records: pd.DataFrame, key: pd.Series, name: str) -> pd.DataFrame:
    out = _aggregate(records, key.rename(name)).reset_index()
    out[name] = out[name].astype("string")
    cols = [name, "calls", "minutes", "credit_calls", "credit_cents"]
    return out[cols].sort_values(
        ["credit_cents", "minutes", name], ascending=[False, False, True], ignore_index=True
    )


def by_destination(records: pd.DataFrame, direction: str | None = "outbound") -> pd.DataFrame:
    """Calls, minutes and credit spend per destination.

    The destination is ``destination_dialed`` (a country or a number class such as
    ``... Toll Free``), else ``external_country``, else :data:`UNKNOWN`.

    Parameters
    ----------
    direction : {"outbound", "inbound", None}
        Keep only calls in that direction (``None``: all calls).

    Returns
    -------
    DataFrame
        Columns ``destination`` (string), ``calls`` (int64), ``minutes`` (float),
        ``credit_calls`` (int64), ``credit_cents`` (int64); largest credit spend first.
    """
    if direction is not None:
        records = records[records["call_direction"].str.lower().eq(direction).fillna(False)]
    key = records["destination_dialed"].fillna(records["external_country"])
    return _grouped(records, _label(key), "destination")


def by_call_type(records: pd.DataFrame) -> pd.DataFrame:
    """Calls, minutes and credit spend per call type (``user_out``, ``conf_in``, ...).

    Returns
    -------
    DataFrame
        Columns ``call_type`` (string), ``calls`` (int64), ``minutes`` (float),
        ``credit_calls`` (int64), ``credit_cents`` (int64); largest credit spend first.
    """
    return _grouped(records, _label(records["call_type"].str.lower()), "call_type")


def hour_weekday(
    records: pd.DataFrame,
    tz: str | None = None,
    value: Literal["calls", "minutes", "credit_cents"] = "calls",
) -> pd.DataFrame:
    """Calls (or minutes, or credit cents) by weekday and hour of the call start.

    Parameters
    ----------
    tz : str, optional
        IANA time zone for the local clock (e.g. ``"Europe/Berlin"``); UTC when None.
    value : {"calls", "minutes", "credit_cents"}
        What to add up in each cell.

    Returns
    -------
    DataFrame
        7 x 24: index ``weekday`` (``Mon`` .. ``Sun``), columns ``hour`` 0..23; int64 for
        calls and cents, float for minutes; zeros where nothing happened.
    """
    if value not in _MEASURES:
        raise ValueError(f"value must be one of {', '.join(_MEASURES)}, got {value!r}")
    start = records["start"]
    if tz is not None:
        try:
            start = start.dt.tz_convert(tz)
        except (KeyError, ValueError) as exc:  # zoneinfo and pytz both raise a KeyError
            raise ValueError(f"tz: unknown time zone {tz!r} ({exc})") from None
    ok = start.notna()
    m = _measures(records)[value][ok]
    start = start[ok]
    grid = m.groupby([start.dt.day_of_week.rename("weekday"), start.dt.hour.rename("hour")]).sum()
    table = grid.unstack("hour").reindex(index=range(7), columns=range(24), fill_value=0)
    table = table.fillna(0).astype("float64" if value == "minutes" else "int64")
    table.index = pd.Index(WEEKDAYS, name="weekday")
    table.columns = pd.RangeIndex(24, name="hour")
    return table


def toll_free_usage(
    records: pd.DataFrame, by: Literal["month", "number", "month_number"] = "month_number"
) -> pd.DataFrame:
    """Toll-free calls (:func:`planner.calls.is_toll_free`) per month and per number.

    The number is the dialled number (``callee_number``: the tenant's toll-free number for
    inbound calls), else the destination.

    Parameters
    ----------
    by : {"month", "number", "month_number"}
        Group by UTC month, by number, or by both.

    Returns
    -------
    DataFrame
        Key columns ``month`` (Period[M]) and/or ``number`` (string); ``destination`` (string,
        the destination dialled on that number; not for ``by="month"``), then
        ``calls`` (int64), ``minutes`` (float), ``credit_calls`` (int64), ``credit_cents``
        (int64). By month: every month of the records' period, zeros included, in time order;
        otherwise largest credit spend first.
    """
    if by not in ("month", "number", "month_number"):
        raise ValueError(f"by must be 'month', 'number' or 'month_number', got {by!r}")
    tf = records[is_toll_free(records)]
    number = _label(tf["callee_number"].fillna(tf["destination_dialed"])).rename("number")
    dest = _label(tf["destination_dialed"]).rename("destination")
    month = _months(tf).rename("month")
    if by == "month":
        out = _aggregate(tf, month).reindex(_month_range(records), fill_value=0)
        out.index.name = "month"
        return out[["calls", "minutes", "credit_calls", "credit_cents"]].reset_index()
    keys = [number] if by == "number" else [month, number]
    out = _aggregate(tf, keys).reset_index()
    # a number belongs to one destination: show it beside the number, not as a key
    out.insert(len(keys), "destination", out["number"].map(dest.groupby(number).first()))
    order = ["credit_cents", "minutes", "number"]
    asc = [False, False, True]
    if by == "month_number":
        order, asc = ["month", *order], [True, *asc]
    out = out.sort_values(order, ascending=asc, ignore_index=True)
    for c in ("number", "destination"):
        out[c] = out[c].astype("string")
    return out[
        [*(k.name for k in keys), "destination", "calls", "minutes", "credit_calls", "credit_cents"]
    ]


POOL_LABELS = {
    "domestic": "Domestic",
    "domestic_per_user": "Domestic per-user",
    "international": "International",
    "dial_out": "Conference dial-out (Zone A)",
}


def pool_usage(
    records: pd.DataFrame, licences: pd.DataFrame, user_licences: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Minutes drawn on each minute pool per UTC month, against the pool size.

    Pool sizes come from :func:`planner.pricing.pool_minutes`; which call draws on which
    pool comes from :func:`planner.pricing.classify_calls`, the classification the what-if
    pricing itself prices after, so the two always agree: domestic outgoing calls on the
    domestic pool of the user's country and plan (or the user's own ``MCOPSTN8``
    allowance), international calls of users with an international plan on the
    international pool of their country and plan, conference dial-out to Zone A on the
    tenant-wide dial-out pool. Pay-as-you-go users, toll-free, inbound, emergency, Direct
    Routing and Operator Connect calls, and calls under ``MCOMEETACPEA`` / ``FREECALL`` draw
    on no pool. A pool refills on the 1st of every month: minutes beyond it were paid from
    credits.

    Parameters
    ----------
    records : DataFrame
        Canonical call records.
    licences : DataFrame
        Licence counts (:func:`planner.inputs.read_licences`: ``plan, country, users
        [, minutes_per_user]``).
    user_licences : DataFrame, optional
        :func:`planner.inputs.read_user_licences`, to tell pay-as-you-go users apart.

    Returns
    -------
    DataFrame
        One row per pool and month (every month of the records' period, every pool of the
        licences, plus any pool calls drew on that the licences do not give: size 0).
        Columns ``month`` (Period[M]), ``pool`` (string label, e.g.
        ``"Domestic FR MCOPSTN5"``), ``kind`` (``domestic``, ``domestic_per_user``,
        ``international``, ``dial_out``), ``country`` (string, <NA> for dial-out), ``plan``
        (string: the plan whose minutes the pool holds, ``MCOMEETADD`` for dial-out; <NA>
        for calls of users whose plan is unknown), ``pool_minutes`` (size),
        ``demand_minutes`` (minutes of the calls the pool covers), ``used_minutes``
        (covered by the pool), ``overage_minutes`` (beyond the pool), ``used_share``
        (used / size; NaN for size 0), all minutes float. ``domestic_per_user`` rows add
        up the users' separate allowances of a country and plan: each user's minutes
        beyond their own allowance are overage.
    """
    pools = pool_minutes(licences)
    calls = classify_calls(records, licences, user_licences=user_licences)
    calls = calls[calls["pool"].notna()]
    keys = ["kind", "country", "plan", "month"]
    per_pool = pd.DataFrame(
        {
            "pool_id": calls["pool_id"].to_numpy(np.int64),
            "kind": calls["pool"].astype("string").to_numpy(),
            "country": calls["pool_country"].to_numpy(),
            "plan": calls["pool_plan"].where(calls["pool"] != "dial_out", "MCOMEETADD").to_numpy(),
            "month": _months(calls).to_numpy(),
            "minutes": calls["seconds"].to_numpy(np.int64) / 60.0,
            "size": calls["pool_minutes"].to_numpy(np.float64),
        }
    )
    # each pool (a per-user allowance is a pool of its own) is used up to its size each
    # month, then added up per kind, country and plan
    per_pool = per_pool.groupby(["pool_id", "month"], dropna=False, as_index=False).agg(
        kind=("kind", "first"),
        country=("country", "first"),
        plan=("plan", "first"),
        size=("size", "first"),
        minutes=("minutes", "sum"),
    )
    per_pool["used"] = np.minimum(per_pool["minutes"], per_pool["size"])
    demand = per_pool.groupby(keys, dropna=False, as_index=False)[["minutes", "used"]].sum()
    demand = demand.astype(
        {"kind": "string", "country": "string", "plan": "string", "month": "period[M]"}
    )
    size = pools.rename(columns={"pool": "kind", "minutes": "pool_minutes"})[
        ["kind", "country", "plan", "pool_minutes"]
    ]
    found = pd.concat(
        [size[["kind", "country", "plan"]], demand[["kind", "country", "plan"]]]
    ).drop_duplicates()
    months = _month_range(records)
    grid = found.merge(pd.DataFrame({"month": months}), how="cross")
    out = grid.merge(size, on=["kind", "country", "plan"], how="left").merge(
        demand, on=keys, how="left"
    )
    out["pool_minutes"] = out["pool_minutes"].fillna(0.0).astype("float64")
    out["demand_minutes"] = out["minutes"].fillna(0.0).astype("float64")
    out["used_minutes"] = out["used"].fillna(0.0).astype("float64")
    out["overage_minutes"] = out["demand_minutes"] - out["used_minutes"]
    out["used_share"] = out["used_minutes"] / out["pool_minutes"].where(out["pool_minutes"] > 0)
    label = out["kind"].map(POOL_LABELS).astype("string")
    where = out["country"].fillna("") + " " + out["plan"].fillna("")
    out["pool"] = (label + " " + where.where(out["kind"] != "dial_out", "")).str.strip()
    out["pool"] = out["pool"].str.replace(r"\s+", " ", regex=True)
    order = {k: i for i, k in enumerate(POOL_LABELS)}
    out = out.assign(_o=out["kind"].map(order)).sort_values(
        ["_o", "country", "plan", "month"], na_position="first", ignore_index=True
    )
    cols = [
        "month",
        "pool",
        "kind",
        "country",
        "plan",
        "pool_minutes",
        "demand_minutes",
        "used_minutes",
        "overage_minutes",
        "used_share",
    ]
    return out[cols].astype(
        {"kind": "string", "country": "string", "plan": "string", "pool": "string"}
    )


def top_spenders(
    records: pd.DataFrame, n: int = 10, departments: pd.DataFrame | str | Path | None = None
) -> pd.DataFrame:
    """The ``n`` users with the largest credit spend (users who spent nothing are left out).

    Returns
    -------
    DataFrame
        The first ``n`` rows of :func:`by_user` with ``credit_cents > 0``, plus ``share``
        (float, share of all credit spend).
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    users = by_user(records, departments)
    total = int(users["credit_cents"].sum())
    top = users[users["credit_cents"] > 0].head(n).copy()
    top["share"] = top["credit_cents"] / total if total else np.nan
    return top.reset_index(drop=True)


def unlicensed_credit_users(records: pd.DataFrame, user_licences: Any) -> pd.DataFrame:
    """Users who drew on credits without the Communications Credits licence (``MCOPSTNC``).

    Delegates to :func:`planner.demand.licence_check`, and returns its table.
    """
    return licence_check(records, user_licences)


# --------------------------------------------------------------------------------------------
# funding: summaries of scenario and balance paths (floats in currency units)
# --------------------------------------------------------------------------------------------

DEFAULT_PERCENTILES: tuple[float, ...] = (5, 25, 50, 75, 95)


def _as_paths(paths: Any, name: str = "paths") -> np.ndarray:
    arr = np.asarray(paths, dtype="float64")
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] == 0:
        raise ValueError(f"{name} must be an S x T array of paths, got shape {arr.shape}")
    return arr


def dates(start: Any, days: int) -> pd.DatetimeIndex:
    """``days`` consecutive calendar days from ``start`` (a date or anything pandas parses)."""
    t0 = pd.Timestamp(start)
    if t0.tzinfo is not None:
        t0 = t0.tz_convert("UTC").tz_localize(None)
    return pd.date_range(t0.normalize(), periods=days, freq="D", name="date")


def percentile_bands(
    paths: Any,
    start: Any,
    percentiles: Sequence[float] = DEFAULT_PERCENTILES,
    cumulative: bool = False,
) -> pd.DataFrame:
    """Percentiles across scenario paths, day by day.

    Parameters
    ----------
    paths : array-like, S x T
        One row per scenario (daily demand, balance, ...), floats in currency units.
    start : date-like
        The calendar day of column 0.
    percentiles : sequence of float
        Percentiles in [0, 100].
    cumulative : bool
        Band the running total of each path instead of the daily values.

    Returns
    -------
    DataFrame
        Index ``date`` (T days). Columns ``p<q>`` for each percentile (``p5``, ``p50``, ...,
        ``p2.5`` for fractional ones) and ``mean``, floats.
    """
    arr = _as_paths(paths)
    if any(not 0 <= q <= 100 for q in percentiles):
        raise ValueError(f"percentiles must lie in [0, 100], got {list(percentiles)}")
    if cumulative:
        arr = np.cumsum(arr, axis=1)
    qs = np.percentile(arr, list(percentiles), axis=0)
    out = pd.DataFrame(
        {_pcol(q): qs[i] for i, q in enumerate(percentiles)}, index=dates(start, arr.shape[1])
    )
    out["mean"] = arr.mean(axis=0)
    return out


def _pcol(q: float) -> str:
    return f"p{q:g}"


def first_stockout_day(unserved: Any, tol: float = 1e-9) -> np.ndarray:
    """Index of each path's first day with unserved demand (NaN when it never runs out).

    Parameters
    ----------
    unserved : array-like, S x T
        ``unserved`` from the simulation.

    Returns
    -------
    ndarray of float, length S
    """
    arr = _as_paths(unserved, "unserved")
    hit = arr > tol
    first = np.argmax(hit, axis=1).astype("float64")
    first[~hit.any(axis=1)] = np.nan
    return first


def path_outcomes(result: Mapping[str, Any], tol: float = 1e-9) -> pd.DataFrame:
    """One row of totals per simulated path.

    Parameters
    ----------
    result : mapping
        S x T arrays ``balance, served, unserved, purchased, expired`` (as from
        :func:`planner.engine.paths`); missing keys give missing columns.

    Returns
    -------
    DataFrame
        Index ``path`` 0..S-1. Columns (floats in currency units unless said): ``purchased``,
        ``served``, ``expired``, ``unserved`` (path totals), ``stockout_days`` (int64),
        ``first_stockout_day`` (float, NaN when none), ``end_balance``, ``mean_balance``,
        ``min_balance``.
    """
    out: dict[str, Any] = {}
    for key in ("purchased", "served", "expired", "unserved"):
        if key in result:
            out[key] = _as_paths(result[key], key).sum(axis=1)
    if "unserved" in result:
        u = _as_paths(result["unserved"], "unserved")
        out["stockout_days"] = (u > tol).sum(axis=1).astype("int64")
        out["first_stockout_day"] = first_stockout_day(u, tol)
    if "balance" in result:
        b = _as_paths(result["balance"], "balance")
        out["end_balance"] = b[:, -1]
        out["mean_balance"] = b.mean(axis=1)
        out["min_balance"] = b.min(axis=1)
    if not out:
        raise ValueError("result holds none of balance, served, unserved, purchased, expired")
    frame = pd.DataFrame(out)
    frame.index.name = "path"
    return frame


def runway_days(demand_paths: Any, start: Any, lots: pd.DataFrame | float) -> np.ndarray:
    """Days today's funds last on each demand path with no purchase (``inf``: past the horizon).

    Runs :func:`planner.engine.paths` with auto-recharge off, so a lot expiring on its date
    shortens the runway exactly as it would in the tenant.

    Parameters
    ----------
    demand_paths : array-like, S x T
        Daily credit demand per scenario from ``start`` (currency units).
    start : date-like
        Day 0 of the paths (today).
    lots : DataFrame or float
        Today's lots (``purchase_date``, ``amount``; :func:`planner.inputs.read_lots`), or a
        plain balance (a lot bought on ``start``, which outlives a horizon of up to a year).

    Returns
    -------
    ndarray of float, length S
        Whole days fully served before the first day with unserved demand; ``inf`` when the
        funds outlast the horizon.
    """
    arr = _as_paths(demand_paths, "demand_paths")
    t0 = dates(start, 1)[0]
    if not isinstance(lots, pd.DataFrame):
        if not lots >= 0:
            raise ValueError(f"lots: a balance must be >= 0, got {lots}")
        lots = pd.DataFrame({"purchase_date": [t0], "amount": [float(lots)]})
    off = Policy(0.0, 0.0, 0.0, lead_days=0, auto_recharge=False)
    runway = paths(arr, t0, off, lots=lots)["runway_days"].astype("float64")
    return np.where(runway < arr.shape[1], runway, np.inf)


def lot_forfeiture(
    lots: pd.DataFrame, demand_paths: Any, start: Any, percentiles: Sequence[float] = (5, 50, 95)
) -> pd.DataFrame:
    """What today's lots are expected to forfeit if no funds are added, by expiry date.

    Runs :func:`planner.engine.paths` with auto-recharge off, so FIFO consumption and expiry
    (purchase date + 12 calendar months) follow the balance model exactly. Purchases made
    later are newer lots, used only once these are gone, so they do not change what these
    lots forfeit.

    Parameters
    ----------
    lots : DataFrame
        ``purchase_date`` (date) and ``amount`` (currency units left), as
        :func:`planner.inputs.read_lots` returns them.
    demand_paths : array-like, S x T
        Daily credit demand per scenario from ``start`` (currency units).
    start : date-like
        Day 0 of the paths (today).
    percentiles : sequence of float
        Percentiles of the forfeited amount to report.

    Returns
    -------
    DataFrame
        One row per expiry date, earliest first: ``date`` (expiry, datetime64),
        ``purchase_date`` (earliest purchase expiring then), ``amount`` (held today),
        ``expected_forfeit`` (mean over paths; NaN when the date is past the horizon),
        ``forfeit_p<q>`` per percentile, ``p_forfeit`` (share of paths losing something).
        The first four columns match :data:`planner.recommend.EXPIRING_COLUMNS`.
    """
    for col in ("purchase_date", "amount"):
        if col not in lots.columns:
            raise ValueError(f"lots: missing column {col!r} (need purchase_date, amount)")
    arr = _as_paths(demand_paths, "demand_paths")
    t0 = dates(start, 1)[0]
    off = Policy(0.0, 0.0, 0.0, lead_days=0, auto_recharge=False)
    expired = paths(arr, t0, off, lots=lots)["expired"]
    purchase = pd.DatetimeIndex(pd.to_datetime(lots["purchase_date"])).normalize()
    frame = pd.DataFrame(
        {
            "date": (purchase + pd.DateOffset(months=12)).normalize(),
            "purchase_date": purchase,
            "amount": lots["amount"].to_numpy(dtype="float64"),
            "day": np.maximum(expiry_days(t0, purchase), 0),
        }
    )
    out = frame.groupby("date", sort=True).agg(
        purchase_date=("purchase_date", "min"), amount=("amount", "sum"), day=("day", "first")
    )
    horizon = arr.shape[1]
    inside = out["day"].to_numpy() < horizon
    lost = np.full((arr.shape[0], len(out)), np.nan)
    lost[:, inside] = expired[:, out["day"].to_numpy()[inside]]
    out["expected_forfeit"] = lost.mean(axis=0) if arr.shape[0] else np.nan
    for q in percentiles:
        out[f"forfeit_{_pcol(q)}"] = np.percentile(lost, q, axis=0) if len(out) else []
    out["p_forfeit"] = np.where(inside, (lost > 1e-9).mean(axis=0), np.nan)
    return out.drop(columns="day").reset_index()
