"""What a history store holds: period, rows, months, gaps, sources (``planner store DIR``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from planner.errors import InputError
from planner.ingest import credit_spend_arrow
from planner.store import layout
from planner.store.history import Store, read_partition

_COLUMNS = ["kind", "start", "source_file", "capability", "currency", "charge_cents",
            "connection_fee_cents"]  # fmt: skip


@dataclass
class StoreSummary:
    """The contents of a store.

    Attributes
    ----------
    months : list of dict
        ``{month, rows, days}`` per partition (days: days with at least one call).
    gaps : list of (date, date)
        Runs of days without any record between days that have some (first, last day).
    sources : list of dict
        ``{source, rows, first, last}`` per source (a Graph function or an export file).
    damaged : list of dict
        ``{month, error}`` per month file that cannot be read (the others are summarised).
    unreadable_runs : int
        Run-log lines left out (cut short or not a run).
    """

    root: Path
    rows: int = 0
    period: tuple[dt.date, dt.date] | None = None
    months: list[dict[str, Any]] = field(default_factory=list)
    gaps: list[tuple[dt.date, dt.date]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    credit_spend: dict[str, Any] = field(default_factory=dict)
    runs: list[dict[str, Any]] = field(default_factory=list)
    damaged: list[dict[str, str]] = field(default_factory=list)
    unreadable_runs: int = 0

    def to_json(self) -> dict[str, Any]:
        """The ``planner store --json`` object (dates as ISO strings)."""
        return {
            "store": str(self.root),
            "rows": self.rows,
            "period": None
            if self.period is None
            else {"start": self.period[0].isoformat(), "end": self.period[1].isoformat()},
            "months": self.months,
            "gaps": [
                {"start": a.isoformat(), "end": b.isoformat(), "days": (b - a).days + 1}
                for a, b in self.gaps
            ],
            "sources": self.sources,
            "credit_spend": {k: float(v) for k, v in self.credit_spend.items()},
            "runs": len(self.runs),
            "last_run": self.runs[-1] if self.runs else None,
            "damaged": self.damaged,
            "unreadable_runs": self.unreadable_runs,
        }

    def text(self, max_gaps: int = 10) -> str:
        """A few lines for a person."""
        lines = [f"store: {self.root}"]
        lines += [f"  {d['month']}  DAMAGED, not read: {d['error']}" for d in self.damaged]
        if self.unreadable_runs:
            lines.append(f"run log: {self.unreadable_runs} unreadable line(s) left out")
        if self.period is None:
            lines.append("no records yet" if not self.damaged else "no readable records")
            return "\n".join(lines)
        lines.append(f"period: {self.period[0]} to {self.period[1]}")
        lines.append(f"rows: {self.rows:,} in {len(self.months)} month(s)")
        for m in self.months:
            lines.append(f"  {m['month']}  {m['rows']:>10,} rows  {m['days']:>3} day(s) with calls")
        missing = sum((b - a).days + 1 for a, b in self.gaps)
        lines.append(
            f"gaps: {len(self.gaps)} ({missing} day(s) without any record between days with records)"
        )
        for a, b in self.gaps[:max_gaps]:
            lines.append(f"  {a}" if a == b else f"  {a} to {b}")
        if len(self.gaps) > max_gaps:
            lines.append(f"  ... and {len(self.gaps) - max_gaps} more (--json lists all)")
        lines.append("sources:")
        for s in self.sources:
            lines.append(f"  {s['source']}: {s['rows']:,} rows, {s['first']} to {s['last']}")
        spend = ", ".join(f"{v} {k}" for k, v in self.credit_spend.items()) or "none"
        lines.append(f"credit spend (MCOPSTNPP): {spend}")
        if self.runs:
            last = self.runs[-1]
            lines.append(
                f"last run: {last.get('time')} {last.get('command')}, "
                f"{last.get('records_added', 0):,} record(s) added"
            )
        return "\n".join(lines)


def _days(table: pa.Table) -> np.ndarray:
    """The sorted distinct days (UTC, datetime64[D]) with at least one call start."""
    ns = table["start"].cast(pa.int64()).to_numpy(zero_copy_only=False)
    return np.unique(ns.astype("datetime64[ns]").astype("datetime64[D]"))


def _gaps(days: np.ndarray) -> list[tuple[dt.date, dt.date]]:
    """Runs of missing days between the sorted unique ``days`` (datetime64[D])."""
    if len(days) < 2:
        return []
    step = np.diff(days).astype(np.int64)
    out = []
    for i in np.flatnonzero(step > 1):
        first = (days[i] + np.timedelta64(1, "D")).item()
        last = (days[i + 1] - np.timedelta64(1, "D")).item()
        out.append((first, last))
    return out


def _sources(table: pa.Table) -> list[dict[str, Any]]:
    source = pc.fill_null(table["source_file"], "(unknown)")
    grouped = (
        pa.table({"source": source, "start": table["start"]})
        .group_by("source")
        .aggregate([("start", "count"), ("start", "min"), ("start", "max")])
        .sort_by("start_min")
    )
    return [
        {
            "source": s,
            "rows": int(n),
            "first": lo.date().isoformat(),
            "last": hi.date().isoformat(),
        }
        for s, n, lo, hi in zip(
            grouped["source"].to_pylist(),
            grouped["start_count"].to_pylist(),
            grouped["start_min"].to_pylist(),
            grouped["start_max"].to_pylist(),
            strict=True,
        )
    ]


def summarize(store: Store) -> StoreSummary:
    """Period, rows, months, gaps, sources, credit spend and run log of a store."""
    summary = StoreSummary(root=store.root, runs=store.runs())
    summary.unreadable_runs = store.unreadable_runs
    tables = []
    for path in store.partitions():
        try:
            table = read_partition(path, _COLUMNS)
        except InputError as exc:
            summary.damaged.append({"month": layout.month_of(path), "error": str(exc)})
            continue
        days = _days(table)
        summary.months.append(
            {"month": layout.month_of(path), "rows": table.num_rows, "days": len(days)}
        )
        tables.append(table)
    if not tables:
        return summary
    table = pa.concat_tables(tables)
    summary.rows = table.num_rows
    if not table.num_rows:
        return summary
    days = _days(table)
    summary.period = (days[0].item(), days[-1].item())
    summary.gaps = _gaps(days)
    summary.sources = _sources(table)
    summary.credit_spend = credit_spend_arrow(table)
    return summary
