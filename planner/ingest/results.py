"""Per-file accounting of an ingest and its totals: what was read, kept, dropped and spent."""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from planner.money import units
from planner.schema import (
    CREDITS_CAPABILITY,
    credit_cents,
)


@dataclass
class FileReport:
    """What was read from one file (or one member of a zip archive).

    ``rows == records + duplicates + rejected`` always holds.
    """

    path: str
    format: str
    rows: int = 0
    records: int = 0
    duplicates: int = 0
    rejected: int = 0
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    exported_period: tuple[dt.date, dt.date] | None = None
    container: str = "csv"
    encoding: str | None = None

    def __post_init__(self) -> None:
        for name in ("rows", "records", "duplicates", "rejected"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")

    @property
    def balanced(self) -> bool:
        """Whether every row read is accounted for."""
        return self.rows == self.records + self.duplicates + self.rejected

    def to_json(self) -> dict[str, Any]:
        """This report as JSON-ready values (dates as ISO strings)."""
        return {
            "path": self.path,
            "format": self.format,
            "container": self.container,
            "encoding": self.encoding,
            "rows": self.rows,
            "records": self.records,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "period": _period_json(_span(self.period_start, self.period_end)),
            "exported_period": _period_json(self.exported_period),
        }


class Accounting:
    """Totals over :attr:`files`, shared by :class:`IngestResult` and :class:`RecordStream`."""

    files: list[FileReport]
    #: files found in a folder or by a pattern that are not usage exports: (path, reason)
    skipped: list[tuple[str, str]]

    @property
    def period(self) -> tuple[dt.date, dt.date] | None:
        """First and last call date (UTC) over all records, or None without records."""
        starts = [f.period_start for f in self.files if f.period_start is not None]
        ends = [f.period_end for f in self.files if f.period_end is not None]
        if not starts:
            return None
        return min(starts), max(ends)

    @property
    def duplicates(self) -> int:
        """Rows dropped as duplicates, over all files."""
        return sum(f.duplicates for f in self.files)

    def credit_spend(self) -> dict[str, decimal.Decimal]:  # pragma: no cover - overridden
        raise NotImplementedError

    def to_json(self) -> dict[str, Any]:
        """The ``planner ingest --json`` object.

        Keys: ``records``, ``duplicates``, ``rejected``, ``rows`` (integers),
        ``credit_spend`` (``{currency: amount}``, a number rounded to the cent), ``period``
        (``{start, end}`` ISO dates or null), ``files`` (one object per file,
        :meth:`FileReport.to_json`) and ``skipped`` (files found in a folder that are not
        usage exports: ``{path, reason}``).
        """
        return {
            "rows": sum(f.rows for f in self.files),
            "records": sum(f.records for f in self.files),
            "duplicates": self.duplicates,
            "rejected": sum(f.rejected for f in self.files),
            "credit_spend": {k: float(v) for k, v in self.credit_spend().items()},
            "period": _period_json(self.period),
            "files": [f.to_json() for f in self.files],
            "skipped": [{"path": p, "reason": r} for p, r in self.skipped],
        }


@dataclass
class IngestResult(Accounting):
    """Records, rejects and per-file accounting of one ingest.

    Attributes
    ----------
    records : pandas.DataFrame
        Canonical call records (:data:`planner.schema.RECORD_DTYPES`).
    rejects : pandas.DataFrame
        Rows kept aside, columns :data:`planner.schema.REJECT_COLUMNS`.
    files : list[FileReport]
        One report per file or zip member, in reading order.
    """

    records: pd.DataFrame
    rejects: pd.DataFrame
    files: list[FileReport] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def credit_spend(self) -> dict[str, decimal.Decimal]:
        """Charge plus connection fee of the Communications Credits records, per currency.

        Returns
        -------
        dict[str, decimal.Decimal]
            ``{currency: amount}`` for the records whose capability is ``MCOPSTNPP``, exact
            to the cent, currencies sorted.
        """
        return credit_spend(self.records)


def credit_cents_by_currency(records: pd.DataFrame) -> dict[str, int]:
    """Communications Credits spend (charge + connection fee) in cents, per currency.

    Parameters
    ----------
    records : pandas.DataFrame
        Canonical records (needs ``capability``, ``currency``, ``charge_cents``,
        ``connection_fee_cents``).

    Returns
    -------
    dict[str, int]
        Cents per currency, for the records whose capability is ``MCOPSTNPP``.
    """
    on_credits = records["capability"].eq(CREDITS_CAPABILITY).fillna(False).to_numpy(bool)
    if not on_credits.any():
        return {}
    cents = credit_cents(records)[on_credits]
    totals = cents.groupby(records["currency"].fillna("").to_numpy()[on_credits], sort=True).sum()
    return {str(cur): int(c) for cur, c in totals.items()}


def amounts(cents: dict[str, int]) -> dict[str, decimal.Decimal]:
    return {cur: units(c) for cur, c in sorted(cents.items())}


def credit_spend(records: pd.DataFrame) -> dict[str, decimal.Decimal]:
    """Communications Credits spend (charge + connection fee) per currency, exact.

    Returns
    -------
    dict[str, decimal.Decimal]
        Amount per currency with two decimals (see :func:`credit_cents_by_currency`).
    """
    return amounts(credit_cents_by_currency(records))


def _span(a: dt.date | None, b: dt.date | None) -> tuple[dt.date, dt.date] | None:
    return None if a is None or b is None else (a, b)


def _period_json(p: tuple[dt.date, dt.date] | None) -> dict[str, str] | None:
    return None if p is None else {"start": p[0].isoformat(), "end": p[1].isoformat()}
