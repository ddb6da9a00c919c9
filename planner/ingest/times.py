"""Call times as the exports write them: ISO 8601, a spreadsheet's text in either order, or
Excel serial day numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from planner.formats import time_formats

TS = pa.timestamp("ns", "UTC")


def parse_time(s: pa.ChunkedArray, dayfirst: bool) -> tuple[pa.Array, np.ndarray]:
    """Time text -> (UTC timestamps with nulls, unparseable mask).

    ISO 8601 first; then the text orders of the exports' rule (:func:`time_formats`), the
    other order for the whole batch when it reads more of its values (a French Excel's
    workbook holds ``14/10/2025 07:04``: its ``01/10/2025`` is then 1 October too); then
    Excel serial numbers (a re-saved workbook's cells that lost their date format).
    """
    try:
        return pc.cast(s, TS), np.zeros(len(s), dtype=bool)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass  # some value is not strict ISO 8601 with a zone: the slower, lenient path
    text = pd.Series(s.to_pandas(), dtype="string").str.strip()
    iso = pd.to_datetime(text, utc=True, format="ISO8601", errors="coerce")
    parsed = _text_times(text, iso, dayfirst)
    if (parsed.isna() & text.notna()).any():
        other = _text_times(text, iso, not dayfirst)
        if other.notna().sum() > parsed.notna().sum():
            parsed = other
        parsed = parsed.where(parsed.notna(), excel_serials(text))
    bad = (parsed.isna() & text.notna()).to_numpy(bool)
    ts = pa.array(parsed.dt.as_unit("ns"), type=TS, from_pandas=True)
    return ts, bad


def _text_times(text: pd.Series, parsed: pd.Series, dayfirst: bool) -> pd.Series:
    """``parsed`` with the values it misses read in the text formats of one order."""
    for fmt in time_formats(dayfirst):
        todo = parsed.isna() & text.notna()
        if not todo.any():
            break
        parsed = parsed.where(
            ~todo, pd.to_datetime(text.where(todo), utc=True, format=fmt, errors="coerce")
        )
    return parsed


#: Excel's day 0 (its 1900 date system, leap-year bug included from March 1900 on)
_EXCEL_EPOCH = pd.Timestamp("1899-12-30", tz="UTC")
#: the serial numbers read as dates: 2000-01-01 to 2099-12-31 (an hour count or a duration
#: in a time column stays an error)
_EXCEL_SERIALS = (36526.0, 73051.0)


def excel_serials(text: pd.Series) -> pd.Series:
    """Excel serial day numbers (``45931.40728``) as UTC times, to the millisecond; else NaT."""
    numbers = text.where(text.str.fullmatch(r"\d{5}(\.\d+)?", na=False))
    days = pd.to_numeric(numbers, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    days[(days < _EXCEL_SERIALS[0]) | (days >= _EXCEL_SERIALS[1])] = np.nan
    return _EXCEL_EPOCH + pd.to_timedelta(pd.Series(np.round(days * 86_400_000), text.index), "ms")
