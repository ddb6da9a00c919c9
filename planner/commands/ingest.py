"""``planner ingest``: read usage exports, report what was read, write the record table.

Usage::

    planner ingest FILE_OR_DIR... [--out records.parquet|records.csv] [--into STORE]
                   [--rejects rejects.csv] [--json]

Prints a summary per file (format detected, rows, records, duplicates, rejected), the period
covered and the Communications Credits spend per currency; ``--json`` prints one JSON object
instead (:meth:`planner.ingest.IngestResult.to_json`). Exit 0 when the input was usable, even
with some rejected rows; exit 2 with a one-line message when a file is not a usage export, is
empty or unreadable, or when no row at all could be used. Files are written atomically.

``--into DIR`` adds the records to a history store (:mod:`planner.collect.store`), created
when missing; records already stored are counted as duplicates and left out. A store
directory is also accepted as input, like a folder of exports.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planner.errors import InputError

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

# records per chunk when streaming to --out: a chunk of the text, its converted columns and
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


def _chunk_rows() -> int:
    """Rows per streamed chunk: :data:`_CHUNK_ROWS`, fewer when memory is short."""
    available = _available_memory()
    if available <= 0:
        return _CHUNK_ROWS
    return int(min(_CHUNK_ROWS, max(10_000, available // (_MEMORY_FACTOR * _ROW_BYTES))))


# Parquet: dictionary pages for the columns with few distinct values (ids and phone numbers
# would only fill a dictionary and fall back), statistics for the numbers and times (min/max
# of every text column cost about a third of the writing time)
_DICTIONARY_COLUMNS = [
    "conference_id", "kind", "user_location", "user_id", "upn", "user_display_name",
    "call_type", "call_direction", "number_type", "destination_context", "destination_dialed",
    "external_country", "duration_s", "connection_fee_cents", "charge_cents", "currency",
    "capability", "operator", "duration_source", "administrative_units", "success",
    "source_file",
]  # fmt: skip
_STATISTICS_COLUMNS = [
    "start", "end", "duration_s", "connection_fee_cents", "charge_cents", "source_row",
]  # fmt: skip

HELP = "read PSTN usage exports (CSV, Excel, zip, Graph JSON) into one call-record table"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``planner ingest``."""
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="FILE_OR_DIR",
        help="export files, folders (searched recursively) or glob patterns",
    )
    parser.add_argument(
        "--out", metavar="PATH", help="write the records to a .parquet or .csv file"
    )
    parser.add_argument(
        "--into",
        metavar="DIR",
        help="add the records to this history store (created when missing)",
    )
    parser.add_argument(
        "--rejects", metavar="PATH", help="write the rejected rows (with reasons) to a CSV file"
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object instead of the summary"
    )


class RecordsWriter:
    """Write record chunks to ``.parquet`` or ``.csv`` (by extension), atomically.

    Chunks are Arrow record tables (:meth:`planner.ingest.RecordStream.tables`). Parquet is
    written straight from Arrow (snappy-compressed, one row group per chunk, with pandas'
    metadata so that :func:`pandas.read_parquet` gives the canonical dtypes back), on a
    background thread so that writing one chunk overlaps reading the next. CSV goes through
    pandas (the format ``DataFrame.to_csv`` writes).

    Chunks go to a temporary file beside ``path``; :meth:`commit` renames it over ``path``,
    :meth:`abort` removes it. Used as a context manager, it aborts unless committed.

    Raises
    ------
    InputError
        For another extension, or a folder that cannot be written.
    """

    def __init__(self, path: str | Path):
        from planner.fileio import temp_beside

        self.path = Path(path)
        self.suffix = self.path.suffix.lower()
        if self.suffix not in (".parquet", ".csv"):
            raise InputError(f"--out {self.path}: use a .parquet or .csv file name")
        self._tmp = temp_beside(self.path)
        self._parquet: Any = None
        self._schema: pa.Schema | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._pending: Future | None = None
        self._rows = 0

    def _fail(self, exc: OSError) -> InputError:
        return InputError(f"cannot write {self.path}: {exc.strerror or exc}")

    def _wait(self) -> None:
        """Wait for the chunk being written; its error, if any, is raised here."""
        pending, self._pending = self._pending, None
        if pending is not None:
            try:
                pending.result()
            except OSError as exc:
                raise self._fail(exc) from None

    def write(self, records: pa.Table) -> None:
        """Append a chunk of records (an Arrow table with the canonical columns).

        The chunk is consumed: do not use ``records`` afterwards.
        """
        rows = records.num_rows
        try:
            if self.suffix == ".csv":
                from planner.ingest import records_frame

                records_frame(records).to_csv(
                    self._tmp, mode="a", header=self._rows == 0, index=False
                )
            else:
                self._write_parquet(records)
        except OSError as exc:
            raise self._fail(exc) from None
        self._rows += rows

    def _write_parquet(self, records: pa.Table) -> None:
        import pyarrow.parquet as pq

        if self._parquet is None:
            from planner.ingest import records_arrow_schema

            self._schema = records_arrow_schema()
            self._parquet = pq.ParquetWriter(
                self._tmp,
                self._schema,
                compression="snappy",
                use_dictionary=_DICTIONARY_COLUMNS,
                write_statistics=_STATISTICS_COLUMNS,
            )
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="parquet")
        table = records.cast(self._schema)
        self._wait()  # one chunk in flight at most: memory stays bounded
        self._pending = self._pool.submit(self._parquet.write_table, table)

    def _close(self) -> None:
        try:
            self._wait()
        finally:
            if self._pool is not None:
                self._pool.shutdown()
                self._pool = None
            if self._parquet is not None:
                parquet, self._parquet = self._parquet, None
                parquet.close()

    def commit(self) -> None:
        """Finish the file (an empty table when no chunk came) and move it into place."""
        if self._rows == 0 and self._parquet is None:
            from planner.ingest import _RECORD_SCHEMA

            self.write(_RECORD_SCHEMA.empty_table())
        try:
            self._close()
            os.replace(self._tmp, self.path)
        except OSError as exc:
            raise self._fail(exc) from None

    def abort(self) -> None:
        """Remove the temporary file."""
        with contextlib.suppress(Exception):
            self._close()
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> RecordsWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.abort()


def write_rejects(rejects: pd.DataFrame, path: str | Path) -> None:
    """Write the rejects table to CSV, atomically (temporary file, then rename)."""
    from planner.fileio import write_csv

    write_csv(rejects, path)


def _summary(result) -> str:
    lines = []
    width = max((len(f.path) for f in result.files), default=4)
    lines.append(
        f"{'file':<{width}}  {'format':<24} {'rows':>9} {'records':>9} {'dupes':>7} {'rejected':>8}"
    )
    for f in result.files:
        fmt = f"{f.format} ({f.container})"
        lines.append(
            f"{f.path:<{width}}  {fmt:<24} {f.rows:>9} {f.records:>9} {f.duplicates:>7} "
            f"{f.rejected:>8}"
        )
    records = sum(f.records for f in result.files)
    rejected = sum(f.rejected for f in result.files)
    lines.append(f"total: {records} records, {result.duplicates} duplicates, {rejected} rejected")
    period = result.period
    lines.append("period: " + (f"{period[0]} to {period[1]}" if period else "no calls"))
    exported = [f.exported_period for f in result.files if f.exported_period]
    if exported:
        lines.append(
            f"exported period: {min(p[0] for p in exported)} to {max(p[1] for p in exported)}"
        )
    spend = result.credit_spend()
    lines.append(
        "credit spend (MCOPSTNPP): "
        + (", ".join(f"{amount} {cur}" for cur, amount in spend.items()) or "none")
    )
    if rejected:
        lines.append("some rows were rejected: see --rejects FILE for each row's reason")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Run ``planner ingest``; returns the exit code.

    The inputs are streamed (:meth:`planner.ingest.RecordStream.tables`) chunk by chunk and
    written to ``--out`` as they come, so memory stays bounded whatever their size.
    """
    from planner.ingest import iter_records
    from planner.validate import check_outputs, json_text

    check_outputs(args.paths, [("--out", args.out), ("--rejects", args.rejects)])
    stream = iter_records(args.paths, chunk_rows=_chunk_rows())
    with contextlib.ExitStack() as stack:
        writer = stack.enter_context(RecordsWriter(args.out)) if args.out else None
        store = stack.enter_context(_store_writer(args.into)) if args.into else None
        for chunk in stream.tables():
            if store is not None:
                store.add(chunk)
            if writer is not None:
                writer.write(chunk)
            del chunk
        if args.rejects:
            write_rejects(stream.rejects, args.rejects)
        totals = stream.to_json()
        if totals["records"] == 0 and totals["rejected"]:
            hint = (
                f" (reasons in {args.rejects})"
                if args.rejects
                else "; use --rejects FILE to see why"
            )
            raise InputError(
                f"no usable call record: all {totals['rejected']} row(s) were rejected{hint}"
            )
        if writer is not None:
            writer.commit()
        if store is not None:
            store.flush()
            totals["store"] = _store_json(store, stream)
    if args.json:
        print(json_text(totals))
    else:
        print(_summary(stream))
        if store is not None:
            added = totals["store"]
            print(
                f"store {added['path']}: {added['records_added']} record(s) added, "
                f"{added['duplicates']} already there"
            )
    return 0


def _store_writer(path: str):
    from planner.collect.store import Store

    return Store(path, create=True).writer()


def _store_json(store, stream) -> dict[str, Any]:
    """What ``--into`` added, logged in the store and printed."""
    period = stream.period
    entry = {
        "command": "ingest",
        "records_added": store.result.added,
        "duplicates": store.result.duplicates,
        "files": [f.path for f in stream.files],
        "period": None
        if period is None
        else {"start": period[0].isoformat(), "end": period[1].isoformat()},
    }
    store.log(entry)
    return {
        "path": str(store.store.root),
        "records_added": store.result.added,
        "duplicates": store.result.duplicates,
    }
