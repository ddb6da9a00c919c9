"""Reading exports chunk by chunk into de-duplicated record tables, with per-file accounting."""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from planner import guard
from planner.errors import InputError
from planner.ingest.containers import input_parts
from planner.ingest.convert import convert, raw_text
from planner.ingest.discovery import discover
from planner.ingest.parts import (
    Part,
    RecordsPart,
    check_copies,
    repeated_columns,
    set_aside,
    warn_copies,
)
from planner.ingest.records import (
    MAX_TOTAL_CENTS,
    credit_cents_arrow,
    day_of,
    money_magnitude,
    record_table,
    records_frame,
    rejects_frame,
)
from planner.ingest.results import Accounting, FileReport, IngestResult, amounts
from planner.schema import empty_records
from planner.store.dedup import Seen, duplicated_records
from planner.store.tables import np_mask
from planner.text import number

DEFAULT_CHUNK_ROWS = 1_000_000
_WHOLE_CHUNK_ROWS = 200_000


class RecordStream(Accounting):
    """Canonical records of many exports, read in chunks; see :func:`iter_records`.

    Iterate once to get record chunks (DataFrames with the canonical schema, duplicates
    already dropped), or call :meth:`tables` once for the same chunks as Arrow tables. After
    the iteration, :attr:`files` holds the per-file accounting and :attr:`rejects` the
    rejected rows.
    """

    def __init__(self, paths: Iterable[str | Path], chunk_rows: int | None = DEFAULT_CHUNK_ROWS):
        if chunk_rows is not None and chunk_rows < 1:
            raise ValueError(f"chunk_rows must be >= 1 or None, got {chunk_rows}")
        inputs = discover(paths)
        self.paths = [item.path for item in inputs]
        self.chunk_rows = chunk_rows
        # every file's header is checked before any record is produced: a wrong file fails
        # fast, before minutes of reading
        self._parts, self.skipped = input_parts(inputs)
        self.files: list[FileReport] = []
        self._rejects: list[tuple[str, int, str, str]] = []
        self._credit_cents: dict[str, int] = {}
        self._money_magnitude = 0.0  # sum of |cents| so far: int64 totals never overflow
        self._started = False
        self.finished = False

    def credit_spend(self) -> dict[str, decimal.Decimal]:
        """Communications Credits spend per currency of the records yielded so far."""
        return amounts(self._credit_cents)

    @property
    def rejects(self) -> pd.DataFrame:
        """Rejected rows read so far (:data:`planner.schema.REJECT_COLUMNS`)."""
        return rejects_frame(self._rejects)

    def __iter__(self) -> Iterator[pd.DataFrame]:
        for table in self.tables():
            yield records_frame(table)

    def tables(self) -> Iterator[pa.Table]:
        """The record chunks as Arrow tables, without going through pandas.

        Columns and order as :data:`planner.schema.RECORD_DTYPES`, with Arrow types
        (``string``, ``int64``, ``bool``, ``timestamp[ns, UTC]``); :func:`records_frame`
        turns one into the canonical DataFrame. Like iterating, this can be done only once.
        """
        if self._started:
            raise RuntimeError("a RecordStream can be iterated only once")
        self._started = True
        seen = Seen()
        for part in self._parts:
            report = FileReport(
                path=part.name,
                format=part.format_name,
                exported_period=part.exported_period,
                container=part.container,
                encoding=part.encoding,
            )
            self.files.append(report)
            with guard.damaged(part.name):
                if isinstance(part, RecordsPart):
                    yield from self._read_records_part(part, report, seen)
                else:
                    yield from self._read_part(part, report, seen)
        self.finished = True

    def _read_records_part(
        self, part: RecordsPart, report: FileReport, seen: Seen
    ) -> Iterator[pa.Table]:
        """Chunks of a planner record table: already canonical, only de-duplicated."""
        for records in part.tables(self.chunk_rows):
            n = records.num_rows
            report.rows += n
            lines = np.arange(report.rows - n + 2, report.rows + 2)  # header = line 1
            unusable = np_mask(pc.is_null(records["usage_id"])) | np_mask(
                pc.is_null(records["start"])
            )
            if unusable.any():
                for i in np.flatnonzero(unusable):
                    self._rejects.append((part.name, int(lines[i]), "missing id or start time", ""))
                report.rejected += int(unusable.sum())
                records = records.filter(pa.array(~unusable))
            dup = duplicated_records(seen, records)
            if dup.any():
                report.duplicates += int(dup.sum())
                records = records.filter(pa.array(~dup))
            report.records += records.num_rows
            if records.num_rows:
                self._account(report, records, part.name)
                box = [records]
                del records
                yield box.pop()

    def _account(self, report: FileReport, records: pa.Table, name: str) -> None:
        """Add a chunk's period and credit spend to the accounting."""
        span = pc.min_max(records["start"].cast(pa.int64()))
        first, last = day_of(span["min"].as_py()), day_of(span["max"].as_py())
        report.period_start = min(filter(None, (report.period_start, first)))
        report.period_end = max(filter(None, (report.period_end, last)))
        self._money_magnitude += money_magnitude(records)
        if self._money_magnitude > MAX_TOTAL_CENTS:
            raise InputError(
                "{name}: the amounts add up to more than {max_total_cents}, "
                "beyond what can be totalled exactly; the values look altered",
                name=name,
                max_total_cents=number(MAX_TOTAL_CENTS / 100),
            )
        for currency, cents in credit_cents_arrow(records).items():
            self._credit_cents[currency] = self._credit_cents.get(currency, 0) + cents

    def _read_part(self, part: Part, report: FileReport, seen: Seen) -> Iterator[pa.Table]:
        batches = part.batches(self.chunk_rows)
        # a column given twice is read when its copies agree, refused when they do not
        copies = repeated_columns(part.fmt, part.headers)
        while (raw := next(batches, None)) is not None:
            raw, aside = set_aside(raw, part.headers, part.delimiter)
            check_copies(part.name, raw.table, raw.lines, copies)
            report.encoding = part.encoding
            report.rows += raw.table.num_rows + len(raw.bad) + len(aside)
            rejected = [(part.name, line, reason, text) for line, reason, text in raw.bad + aside]
            canonical, reject, reasons = convert(
                raw.table,
                part.fmt,
                part.headers,
                decimal_mark=part.decimal_mark,
                dayfirst=part.decimal_mark == ",",
            )
            lines = raw.lines
            if reject.any():
                for i, why in reasons.items():
                    text = raw_text(raw.table, i, part.delimiter)
                    rejected.append((part.name, int(lines[i]), "; ".join(why), text))
                keep = ~reject
                canonical = canonical.filter(pa.array(keep))
                lines = lines[keep]
            report.rejected += len(rejected)
            self._rejects.extend(sorted(rejected, key=lambda r: r[1]))
            raw = None  # free the text columns that were converted
            last_chunk = self.chunk_rows is None and part is self._parts[-1]
            dup = seen.duplicated(part.fmt.kind, canonical["usage_id"], remember=not last_chunk)
            if dup.any():
                report.duplicates += int(dup.sum())
                canonical = canonical.filter(pa.array(~dup))
                lines = lines[~dup]
            records = record_table(canonical, part.fmt.kind, part.name, lines)
            del canonical
            report.records += records.num_rows
            if records.num_rows:
                self._account(report, records, part.name)
                box = [records]  # hand over without keeping a name (see csvfile._CsvChunks.read)
                del records
                yield box.pop()
        warn_copies(part.name, copies)


def iter_records(
    paths: Iterable[str | Path], chunk_rows: int | None = DEFAULT_CHUNK_ROWS
) -> RecordStream:
    """Stream the records of exports in chunks, for files larger than memory.

    Parameters
    ----------
    paths : iterable of str or Path
        Files, folders (recursive) and glob patterns, read in the order given.
    chunk_rows : int or None
        About how many rows each chunk holds (CSV is read in blocks, so a chunk may be a
        little larger); None reads each file whole.

    Returns
    -------
    RecordStream
        Iterate it for DataFrames with the canonical schema (duplicates across all chunks and
        files already dropped); afterwards ``stream.files`` and ``stream.rejects`` hold the
        accounting. De-duplication keeps the ids seen so far in memory (about 50 bytes a
        record: the id and its hash).

    Raises
    ------
    InputError
        Before any chunk, when a path is missing or a file is not a usage export.

    Examples
    --------
    >>> stream = iter_records(["exports/"], chunk_rows=500_000)  # doctest: +SKIP
    >>> spend = sum(credit_cents(chunk).sum() for chunk in stream)  # doctest: +SKIP
    >>> stream.files[0].records  # doctest: +SKIP
    """
    return RecordStream(paths, chunk_rows)


def read_exports(
    paths: Iterable[str | Path] | str | Path, *, shared: str | Path | None = None
) -> IngestResult:
    """Read usage exports into one canonical, de-duplicated record table.

    Parameters
    ----------
    paths : iterable of str or Path
        Files, folders (searched recursively, hidden files skipped) and glob patterns. Earlier
        files win when the same record appears twice.
    shared : str or Path, optional
        A private folder where the result is kept for the next reader of the same unchanged
        files, in this process or another (the notebooks of one report): the files are read
        once (:mod:`planner.ingest.shared`). None: read them here.

    Returns
    -------
    IngestResult
        ``records`` (:data:`planner.schema.RECORD_DTYPES`, index 0..n-1), ``rejects``
        (:data:`planner.schema.REJECT_COLUMNS`) and one :class:`FileReport` per file or zip
        member.

    Raises
    ------
    InputError
        A path does not exist, or a file is empty, unreadable, not a usage export, or not what
        its extension claims.
    """
    if shared is not None:
        from planner.ingest.shared import read_exports_shared

        return read_exports_shared(paths, shared)
    if isinstance(paths, str | Path):
        paths = [paths]
    # in chunks: the text of one chunk at a time is in memory, next to the records so far
    stream = RecordStream(paths, chunk_rows=_WHOLE_CHUNK_ROWS)
    tables = list(stream.tables())
    if not tables:
        return IngestResult(
            records=empty_records(),
            rejects=stream.rejects,
            files=stream.files,
            skipped=stream.skipped,
        )
    whole = pa.concat_tables(tables)
    tables.clear()  # only ``whole`` holds the columns now: converting frees them as it goes
    records = records_frame(whole)
    return IngestResult(
        records=records, rejects=stream.rejects, files=stream.files, skipped=stream.skipped
    )
