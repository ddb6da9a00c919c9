"""``planner ingest`` as a function: stream exports into a record file, a history store and a
rejects file, with memory bounded whatever the size of the inputs.

Not imported by :mod:`planner.ingest` itself, so reading exports does not load the store's
writer.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from planner.errors import InputError
from planner.ingest.parts import NOT_CALLS
from planner.ingest.results import Accounting
from planner.ingest.stream import RecordStream, iter_records
from planner.ingest.writer import RecordsWriter, write_rejects
from planner.store.history import Store, StoreWriter

# records per chunk when streaming to a file: a chunk of the text, its converted columns and
# the chunk being written take about this many times the chunk's text in memory
_CHUNK_ROWS = 200_000
_MEMORY_FACTOR = 4
_ROW_BYTES = 400  # a current-format Calling Plans row is about 370 bytes of text


def _available_memory() -> int:
    """Bytes of memory available now (0 when the system does not say)."""
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 0


def streaming_chunk_rows() -> int:
    """Rows per streamed chunk: 200,000, fewer when the memory available now is short."""
    available = _available_memory()
    if available <= 0:
        return _CHUNK_ROWS
    return int(min(_CHUNK_ROWS, max(10_000, available // (_MEMORY_FACTOR * _ROW_BYTES))))


@dataclass
class IngestRun:
    """What :func:`ingest_to` read and wrote.

    Attributes
    ----------
    stream : RecordStream
        The finished stream: per-file accounting (:attr:`RecordStream.files`), rejects.
    totals : dict
        :meth:`RecordStream.to_json`, with a ``store`` object (``path``, ``records_added``,
        ``duplicates``) when records were added to a store.
    """

    stream: RecordStream
    totals: dict[str, Any]


def ingest_to(
    paths: Iterable[str | Path],
    *,
    out: str | Path | None = None,
    into: str | Path | None = None,
    rejects: str | Path | None = None,
) -> IngestRun:
    """Read exports chunk by chunk into ``out`` (``.parquet``/``.csv``) and/or a store.

    Parameters
    ----------
    paths : iterable of str or Path
        Files, folders and glob patterns (:func:`planner.ingest.iter_records`).
    out : str or Path, optional
        Record file, written atomically (:class:`planner.ingest.RecordsWriter`).
    into : str or Path, optional
        History store directory (:mod:`planner.store.history`), created when missing;
        records already stored count as duplicates there. The run is logged in the store.
    rejects : str or Path, optional
        CSV of the rejected rows with their reasons.

    Raises
    ------
    InputError
        As :func:`planner.ingest.iter_records`; also when every row was rejected (nothing is
        then written but ``rejects``).
    """
    stream = iter_records(paths, chunk_rows=streaming_chunk_rows())
    with contextlib.ExitStack() as stack:
        writer = stack.enter_context(RecordsWriter(out)) if out else None
        store = stack.enter_context(Store(into, create=True).writer()) if into else None
        for chunk in stream.tables():
            if store is not None:
                store.add(chunk)
            if writer is not None:
                writer.write(chunk)
            del chunk
        if rejects:
            write_rejects(stream.rejects, rejects)
        totals = stream.to_json()
        _refuse_all_rejected(totals, rejects, stream)
        if writer is not None:
            writer.commit()
        if store is not None:
            store.flush()
            totals["store"] = _log_in_store(store, stream)
    return IngestRun(stream, totals)


def _refuse_all_rejected(
    totals: dict[str, Any], rejects: str | Path | None, stream: RecordStream
) -> None:
    """Raise when rows were read but none could be used (a title or a header line met again,
    set aside, is no call: an export holding only those is an empty one, as without them)."""
    if totals["records"] or not totals["rejected"]:
        return
    calls = totals["rejected"] - int(stream.rejects["reason"].isin(NOT_CALLS).sum())
    if calls and rejects:
        raise InputError(
            "no usable call record: all {totals} row(s) were rejected (reasons in {rejects})",
            totals=totals["rejected"],
            rejects=rejects,
        )
    if calls:
        raise InputError(
            "no usable call record: all {totals} row(s) were rejected; use --rejects FILE to "
            "see why",
            totals=totals["rejected"],
        )


def _log_in_store(store: StoreWriter, stream: RecordStream) -> dict[str, Any]:
    """Log what was added in the store's run log; returns it for the totals."""
    period = stream.period
    store.log(
        {
            "command": "ingest",
            "records_added": store.result.added,
            "duplicates": store.result.duplicates,
            "files": [f.path for f in stream.files],
            "period": None
            if period is None
            else {"start": period[0].isoformat(), "end": period[1].isoformat()},
        }
    )
    return {
        "path": str(store.store.root),
        "records_added": store.result.added,
        "duplicates": store.result.duplicates,
    }


def summary_text(result: Accounting, rejects: str | Path | None = None) -> str:
    """The ``planner ingest`` summary in the language in use: a line per file, totals,
    period, credit spend (counts and amounts with the language's separators, days as ISO
    dates), and where the reasons of rejected rows are (``rejects``, the file written)."""
    from planner.text import number, t

    heads = [t("file"), t("format"), t("rows"), t("records"), t("dupes"), t("rejected")]
    width = max([len(f.path) for f in result.files] + [len(heads[0])])
    sizes = [max(9, len(h)) for h in heads[2:]]
    lines = [
        f"{heads[0]:<{width}}  {heads[1]:<24} "
        + " ".join(f"{h:>{n}}" for h, n in zip(heads[2:], sizes, strict=True))
    ]
    for f in result.files:
        fmt = f"{f.format} ({f.container})"
        counts = (f.rows, f.records, f.duplicates, f.rejected)
        lines.append(
            f"{f.path:<{width}}  {fmt:<24} "
            + " ".join(f"{number(c):>{n}}" for c, n in zip(counts, sizes, strict=True))
        )
    records = sum(f.records for f in result.files)
    rejected = sum(f.rejected for f in result.files)
    lines.append(
        t(
            "total: {records} records, {duplicates} duplicates, {rejected} rejected",
            records=number(records),
            duplicates=number(result.duplicates),
            rejected=number(rejected),
        )
    )
    period = result.period
    lines.append(
        t("period: {first} to {last}", first=period[0], last=period[1])
        if period
        else t("period: no calls")
    )
    exported = [f.exported_period for f in result.files if f.exported_period]
    if exported:
        first, last = min(p[0] for p in exported), max(p[1] for p in exported)
        lines.append(t("exported period: {first} to {last}", first=first, last=last))
    spend = result.credit_spend()
    amounts = ", ".join(f"{number(amount, 2)} {cur}" for cur, amount in spend.items())
    lines.append(t("credit spend (MCOPSTNPP): {amounts}", amounts=amounts or t("none")))
    if rejected and rejects:
        lines.append(t("some rows were rejected (reasons in {rejects})", rejects=rejects))
    elif rejected:
        lines.append(t("some rows were rejected: see --rejects FILE for each row's reason"))
    return "\n".join(lines)
