"""``planner ingest``: read usage exports, report what was read, write the record table.

Usage::

    planner ingest FILE_OR_DIR... [--out records.parquet|records.csv] [--rejects rejects.csv]
                   [--json]

Prints a summary per file (format detected, rows, records, duplicates, rejected), the period
covered and the Communications Credits spend per currency; ``--json`` prints one JSON object
instead (:meth:`planner.ingest.IngestResult.to_json`). Exit 0 when the input was usable, even
with some rejected rows; exit 2 with a one-line message when a file is not a usage export, is
empty or unreadable, or when no row at all could be used. Files are written atomically.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
from pathlib import Path

import pandas as pd

from planner.errors import InputError
from planner.fileio import temp_beside, write_csv
from planner.schema import empty_records

# reading a file whole takes about this many times its size in memory (measured by
# benchmarks/ingest.py: the parsed text, the converted columns and de-duplication)
_MEMORY_FACTOR = 4


def _available_memory() -> int:
    """Bytes of memory available now (0 when the system does not say)."""
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 0


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
        "--rejects", metavar="PATH", help="write the rejected rows (with reasons) to a CSV file"
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object instead of the summary"
    )


class RecordsWriter:
    """Write record chunks to ``.parquet`` or ``.csv`` (by extension), atomically.

    Chunks go to a temporary file beside ``path``; :meth:`commit` renames it over ``path``,
    :meth:`abort` removes it. Used as a context manager, it aborts unless committed.

    Raises
    ------
    InputError
        For another extension, or a folder that cannot be written.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.suffix = self.path.suffix.lower()
        if self.suffix not in (".parquet", ".csv"):
            raise InputError(f"--out {self.path}: use a .parquet or .csv file name")
        self._tmp = temp_beside(self.path)
        self._parquet = None
        self._rows = 0

    def write(self, records: pd.DataFrame) -> None:
        """Append a chunk of canonical records."""
        try:
            if self.suffix == ".csv":
                records.to_csv(self._tmp, mode="a", header=self._rows == 0, index=False)
            else:
                import pyarrow as pa
                import pyarrow.parquet as pq

                if self._parquet is None:
                    schema = pa.Schema.from_pandas(empty_records(), preserve_index=False)
                    self._parquet = pq.ParquetWriter(self._tmp, schema)
                table = pa.Table.from_pandas(
                    records, schema=self._parquet.schema, preserve_index=False
                )
                self._parquet.write_table(table)
        except OSError as exc:
            raise InputError(f"cannot write {self.path}: {exc.strerror or exc}") from None
        self._rows += len(records)

    def commit(self) -> None:
        """Finish the file (an empty table when no chunk came) and move it into place."""
        if self._rows == 0 and self._parquet is None:
            self.write(empty_records())
        if self._parquet is not None:
            self._parquet.close()
            self._parquet = None
        os.replace(self._tmp, self.path)

    def abort(self) -> None:
        """Remove the temporary file."""
        if self._parquet is not None:
            self._parquet.close()
            self._parquet = None
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> RecordsWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.abort()


def write_rejects(rejects: pd.DataFrame, path: str | Path) -> None:
    """Write the rejects table to CSV, atomically (temporary file, then rename)."""
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

    Inputs that fit in memory are read whole (the fastest path); larger ones are streamed
    (:func:`planner.ingest.iter_records`) chunk by chunk and written to ``--out`` as they come.
    """
    from planner.ingest import DEFAULT_CHUNK_ROWS, input_bytes, iter_records

    whole = input_bytes(args.paths) * _MEMORY_FACTOR < _available_memory()
    stream = iter_records(args.paths, chunk_rows=None if whole else DEFAULT_CHUNK_ROWS)
    with contextlib.ExitStack() as stack:
        writer = stack.enter_context(RecordsWriter(args.out)) if args.out else None
        for chunk in stream:
            if writer is not None:
                writer.write(chunk)
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
    if args.json:
        print(json.dumps(totals, indent=2))
    else:
        print(_summary(stream))
    return 0
