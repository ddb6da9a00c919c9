"""Writing record chunks to a ``.parquet`` or ``.csv`` file, atomically."""

from __future__ import annotations

import contextlib
import os
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from planner.errors import InputError
from planner.fileio import CSV_LINE_END, neutralise_frame, temp_beside, write_csv
from planner.ingest.records import RECORD_SCHEMA, records_frame
from planner.store.tables import records_arrow_schema

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


class RecordsWriter:
    """Write record chunks to ``.parquet`` or ``.csv`` (by extension), atomically.

    Chunks are Arrow record tables (:meth:`planner.ingest.RecordStream.tables`). Parquet is
    written straight from Arrow (snappy-compressed, one row group per chunk, with pandas'
    metadata so that :func:`pandas.read_parquet` gives the canonical dtypes back), on a
    background thread so that writing one chunk overlaps reading the next. CSV goes through
    pandas (the format ``DataFrame.to_csv`` writes), its text cells neutralised against
    spreadsheet formulas (:func:`planner.fileio.neutralise`; read back, they are restored).

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
            raise InputError("--out {path}: use a .parquet or .csv file name", path=self.path)
        self._tmp = temp_beside(self.path)
        self._parquet: pq.ParquetWriter | None = None
        self._schema = records_arrow_schema()
        self._pool: ThreadPoolExecutor | None = None
        self._pending: Future[None] | None = None
        self._rows = 0

    def _fail(self, exc: OSError) -> InputError:
        return InputError(
            "cannot write {path}: {strerror}", path=self.path, strerror=exc.strerror or exc
        )

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
                neutralise_frame(records_frame(records)).to_csv(
                    self._tmp,
                    mode="a",
                    header=self._rows == 0,
                    index=False,
                    lineterminator=CSV_LINE_END,
                )
            else:
                self._write_parquet(records)
        except OSError as exc:
            raise self._fail(exc) from None
        self._rows += rows

    def _write_parquet(self, records: pa.Table) -> None:
        """Hand a chunk to the writing thread, once the previous one is written."""
        if self._parquet is None or self._pool is None:
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
            self.write(RECORD_SCHEMA.empty_table())
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
    """Write the rejects table to CSV, atomically (temporary file, then rename); the ``raw``
    text of a rejected row is neutralised like every cell (:func:`planner.fileio.neutralise`)."""
    write_csv(rejects, path)
