"""The planner's own record tables, read back as input.

``planner ingest --out records.parquet|records.csv`` and the store's partitions
(:mod:`planner.store.history`) hold the canonical record table (:mod:`planner.schema`): money
already in cents, times already UTC. Read back, they skip conversion: each chunk is the
canonical Arrow table, ready for de-duplication and accounting like any export's records.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from planner.errors import InputError
from planner.fileio import restore_frame
from planner.schema import RECORD_COLUMNS, RECORD_DTYPES, empty_records

PARQUET_MAGIC = b"PAR1"

_ARROW = {
    "string": pa.string(),
    "Int64": pa.int64(),
    "boolean": pa.bool_(),
    "datetime64[ns, UTC]": pa.timestamp("ns", "UTC"),
}
#: the canonical record table in Arrow types, canonical column order
RECORD_SCHEMA = pa.schema([(c, _ARROW[t]) for c, t in RECORD_DTYPES.items()])

#: columns a file must have to be taken for a planner record table
REQUIRED = ("usage_id", "kind", "start", "duration_s", "charge_cents", "capability")


@cache  # a schema is immutable; building it from an empty frame takes tens of ms
def records_arrow_schema() -> pa.Schema:
    """The Arrow schema of record tables as pandas writes them (with pandas' metadata).

    Tables cast to it and written to Parquet read back with :func:`pandas.read_parquet` as
    the canonical DataFrame (:data:`planner.schema.RECORD_DTYPES`).
    """
    return pa.Schema.from_pandas(empty_records(), preserve_index=False)


def np_mask(arr: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A boolean Arrow array as a numpy bool array (null = False)."""
    out = pc.fill_null(arr, False).to_numpy(zero_copy_only=False)
    return out.astype(bool, copy=not out.flags.writeable)


def _type_fits(actual: pa.DataType, canonical: pa.DataType) -> bool:
    """Whether a stored column type reads as its canonical type without guessing."""
    if pa.types.is_dictionary(actual):
        actual = actual.value_type
    if pa.types.is_null(actual):
        return True
    if pa.types.is_string(canonical):
        return pa.types.is_string(actual) or pa.types.is_large_string(actual)
    if pa.types.is_integer(canonical):
        return pa.types.is_integer(actual)
    if pa.types.is_boolean(canonical):
        return pa.types.is_boolean(actual)
    return pa.types.is_timestamp(actual)


def check_record_schema(schema: pa.Schema) -> None:
    """Raise :class:`ValueError` unless ``schema`` is a planner record table's: the required
    columns present, every canonical column of its canonical kind (text, whole number,
    true/false, time), e.g. ``charge_cents`` as whole cents, never text."""
    names = set(schema.names)
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise ValueError(f"another schema: no column {', '.join(missing)}")
    for f in RECORD_SCHEMA:
        if f.name in names and not _type_fits(schema.field(f.name).type, f.type):
            raise ValueError(
                f"another schema: column {f.name} holds {schema.field(f.name).type}, "
                f"where {f.type} belongs"
            )


def is_records_header(names: list[str]) -> bool:
    """Whether a table with these column names is a planner record table."""
    return set(REQUIRED) <= {str(n).strip().lstrip("\ufeff") for n in names}


def conform_table(table: pa.Table) -> pa.Table:
    """``table`` with exactly the canonical columns, in order, with canonical Arrow types.

    Missing columns are added empty, extra ones (a ``month`` partition column) dropped.
    """
    n = table.num_rows
    columns = []
    for f in RECORD_SCHEMA:
        if f.name not in table.column_names:
            columns.append(pa.nulls(n, f.type))
            continue
        col = table[f.name]
        if pa.types.is_timestamp(col.type) and col.type.tz is None:
            col = col.cast(pa.timestamp(col.type.unit, "UTC"))
        elif pa.types.is_dictionary(col.type):
            col = col.cast(col.type.value_type)
        columns.append(col.cast(f.type))
    return pa.Table.from_arrays(columns, schema=RECORD_SCHEMA)


def _open_parquet(path: Path) -> pq.ParquetFile:
    try:
        pf = pq.ParquetFile(path, page_checksum_verification=True)
    except (OSError, pa.ArrowException) as exc:
        raise InputError(
            "{path}: not a readable Parquet file ({exc})", path=path, exc=exc
        ) from None
    names = pf.schema_arrow.names
    if not is_records_header(names):
        missing = ", ".join(c for c in REQUIRED if c not in names)
        raise InputError(
            "{path}: not a usage export: a Parquet file without the planner's "
            "record columns (missing {missing}); only tables written by `planner "
            "ingest --out` or a store are read",
            path=path,
            missing=missing,
        )
    try:
        check_record_schema(pf.schema_arrow)
    except ValueError as exc:
        raise InputError("{path}: not a planner record table ({exc})", path=path, exc=exc) from None
    return pf


def check_parquet(path: Path) -> None:
    """Raise :class:`InputError` unless ``path`` is a readable planner Parquet record table."""
    _open_parquet(path)


def parquet_batches(path: Path, chunk_rows: int | None) -> Iterator[pa.Table]:
    """Canonical record chunks of a planner Parquet record table (a store partition too).

    Raises
    ------
    InputError
        When the file is not readable Parquet or lacks the record columns.
    """
    pf = _open_parquet(path)
    names = pf.schema_arrow.names
    wanted = [c for c in RECORD_COLUMNS if c in names]
    try:
        if chunk_rows is None:
            yield conform_table(pf.read(columns=wanted))
            return
        for batch in pf.iter_batches(batch_size=chunk_rows, columns=wanted):
            yield conform_table(pa.Table.from_batches([batch]))
    except (OSError, pa.ArrowException) as exc:
        raise InputError(
            "{path}: cannot read the Parquet file ({exc})", path=path, exc=exc
        ) from None


def csv_batches(path: Path, chunk_rows: int | None) -> Iterator[pa.Table]:
    """Canonical record chunks of a record table written as CSV by ``planner ingest --out``
    (text cells neutralised against spreadsheet formulas restored, :func:`~planner.fileio.restore`).

    Raises
    ------
    InputError
        When a value does not parse as its column's type (the file was edited by hand).
    """
    header = pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns
    dtypes = {c: "string" for c in header}
    for c, t in RECORD_DTYPES.items():
        if c in dtypes and t in ("Int64", "boolean"):
            dtypes[c] = t
    try:
        reader = pd.read_csv(
            path,
            dtype=dtypes,
            encoding="utf-8-sig",
            keep_default_na=False,
            na_values=[""],
            chunksize=chunk_rows or 1_000_000,
        )
        for chunk in reader:
            for c in ("start", "end"):
                if c in chunk:
                    chunk[c] = pd.to_datetime(chunk[c], utc=True, format="ISO8601")
            table = pa.Table.from_pandas(restore_frame(chunk), preserve_index=False)
            yield conform_table(table)
    except (ValueError, TypeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(
            "{path}: a planner record table with a bad value ({first})", path=path, first=first
        ) from None
