"""Building blocks over call records: currencies, measures, labels, data quality."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from planner.demand.calls import CATEGORIES, credit_category, utc_dates
from planner.errors import InputError
from planner.schema import CREDITS_CAPABILITY, credit_cents
from planner.text import N_

#: label used for records without a user (auto attendants, call queues)
NO_USER = "(no user)"


#: label of a missing destination / call type / reject reason
UNKNOWN = N_("(unknown)")  # data, shown through the catalogue


WEEKDAYS: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


MEASURES = ("calls", "minutes", "credit_cents")


def utc_naive(ts: pd.Series) -> pd.Series:
    """Timestamps as naive UTC wall time (so periods and days are UTC calendar units)."""
    if isinstance(ts.dtype, pd.DatetimeTZDtype):
        return ts.dt.tz_convert("UTC").dt.tz_localize(None)
    return ts


def month_of(records: pd.DataFrame) -> pd.Series:
    return utc_naive(records["start"]).dt.to_period("M")


def day_of(records: pd.DataFrame) -> pd.Series:
    return utc_dates(records["start"])


def minutes_of(records: pd.DataFrame) -> pd.Series:
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
            "credits were spent in several currencies ({found}); analyse one at a "
            "time, e.g. analysis.in_currency(records, {found2!r})",
            found=", ".join(found),
            found2=found[0],
        )
    return found[0] if found else default


def in_currency(records: pd.DataFrame, currency: str) -> pd.DataFrame:
    """The records charged in ``currency``, plus every record without money (all kept)."""
    cur = records["currency"].astype("string").str.upper()
    return records[cur.eq(currency.upper()).fillna(True) | ~on_credits(records)]


def measures_of(records: pd.DataFrame) -> pd.DataFrame:
    """calls (1 per record), minutes (float), credit_cents (int64), per record.

    Refuses to add up cents of different currencies (see :func:`credit_currency`).
    """
    credit_currency(records)
    return pd.DataFrame(
        {
            "calls": np.ones(len(records), dtype="int64"),
            "minutes": minutes_of(records).to_numpy(dtype="float64"),
            "credit_cents": credit_cents(records).to_numpy(dtype="int64"),
        },
        index=records.index,
    )


def aggregate(records: pd.DataFrame, keys: pd.Series | list[pd.Series]) -> pd.DataFrame:
    """Sum calls / minutes / credit_cents by ``keys``; sorted by credit, then minutes."""
    m = measures_of(records)
    m["credit_calls"] = on_credits(records).astype("int64").to_numpy()
    out = m.groupby(keys, sort=True, dropna=False).sum()
    for col in ("calls", "credit_cents", "credit_calls"):
        out[col] = out[col].astype("int64")
    return out


def label_missing(series: pd.Series, missing: str = UNKNOWN) -> pd.Series:
    return series.astype("string").fillna(missing)


def on_credits(records: pd.DataFrame) -> pd.Series:
    """Boolean Series: the record drew on Communications Credits (capability ``MCOPSTNPP``)."""
    return records["capability"].eq(CREDITS_CAPABILITY).fillna(False).astype(bool)


def credit_categories() -> tuple[str, ...]:
    """The credit-spend categories, in display order (from :mod:`planner.demand.calls`)."""
    return tuple(CATEGORIES)


def category_of(records: pd.DataFrame, user_licences: pd.DataFrame | None = None) -> pd.Series:
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


#: days in a row without a single call record that read as an export missing, not a quiet week
GAP_DAYS = 7
#: ... when the other days have records on at least this share of days (a tenant that calls
#: every day; one that calls now and then has quiet weeks)
GAP_COVERAGE = 0.8


def record_gaps(
    records: pd.DataFrame, min_days: int = GAP_DAYS, coverage: float = GAP_COVERAGE
) -> list[tuple[dt.date, dt.date]]:
    """Runs of at least ``min_days`` days (UTC) without a single call record of any kind,
    between the first and the last day with one, in a tenant whose other days have records
    on at least ``coverage`` of them: most likely an export not downloaded, which a plan
    would read as days without spend. First and last day of each run, in order."""
    days = pd.DatetimeIndex(pd.to_datetime(day_of(records).dropna().unique())).sort_values()
    if len(days) < 2:
        return []
    full = pd.date_range(days[0], days[-1], freq="D")
    seen = full.isin(days)
    edges = np.diff(np.concatenate([[0], (~seen).astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)  # ends: exclusive
    long = ends - starts >= min_days
    if not long.any() or seen.sum() < coverage * (len(full) - (ends - starts)[long].sum()):
        return []
    return [
        (full[a].date(), full[b - 1].date()) for a, b in zip(starts[long], ends[long], strict=True)
    ]


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
        example_row``, most frequent reason first; ``gaps``: :func:`record_gaps`.
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
    days = 0 if start is None or end is None else (end.normalize() - start.normalize()).days + 1
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
        "gaps": record_gaps(records),
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
    r = rejects.assign(reason=label_missing(rejects["reason"]))
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


def month_range(records: pd.DataFrame) -> pd.PeriodIndex:
    months = month_of(records).dropna()
    if months.empty:
        return pd.PeriodIndex([], freq="M", name="month")
    return pd.period_range(months.min(), months.max(), freq="M", name="month")
