"""The record table in Arrow form: building it, turning it into the canonical DataFrame, its
money."""

from __future__ import annotations

import datetime as dt
import decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from planner.ingest.results import amounts
from planner.schema import (
    CREDITS_CAPABILITY,
    REJECT_COLUMNS,
    conform,
)
from planner.store.tables import RECORD_SCHEMA

_PANDAS_TYPES = {
    pa.string(): pd.StringDtype(),
    pa.large_string(): pd.StringDtype(),
    pa.int64(): pd.Int64Dtype(),
    pa.bool_(): pd.BooleanDtype(),
}


def record_table(canonical: pa.Table, kind: str, source_file: str, lines: np.ndarray) -> pa.Table:
    """Canonical columns of one chunk -> the full record table (Arrow types, canonical order)."""
    n = canonical.num_rows
    given = dict(zip(canonical.column_names, canonical.columns, strict=True))
    given["kind"] = pa.repeat(pa.scalar(kind), n)
    given["source_file"] = pa.repeat(pa.scalar(source_file), n)
    given["source_row"] = pa.array(lines, pa.int64())
    columns = [
        given[f.name].cast(f.type) if f.name in given else pa.nulls(n, f.type)
        for f in RECORD_SCHEMA
    ]
    return pa.Table.from_arrays(columns, schema=RECORD_SCHEMA)


def records_frame(table: pa.Table) -> pd.DataFrame:
    """A record table in Arrow form (:meth:`RecordStream.tables`) as a canonical DataFrame.

    The table is consumed (its memory freed while converting): do not use it afterwards.

    Returns
    -------
    pandas.DataFrame
        :data:`planner.schema.RECORD_DTYPES`, index 0..n-1.
    """
    df = table.to_pandas(types_mapper=_PANDAS_TYPES.get, split_blocks=True, self_destruct=True)
    return conform(df)


def rejects_frame(rows: list[tuple[str, int, str, str]]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(REJECT_COLUMNS))
    return df.astype(
        {"source_file": "string", "source_row": "Int64", "reason": "string", "raw": "string"}
    )


def credit_cents_arrow(table: pa.Table) -> dict[str, int]:
    """:func:`credit_cents_by_currency` of a record table in Arrow form."""
    on_credits = pc.fill_null(pc.equal(table["capability"], CREDITS_CAPABILITY), False)
    table = table.select(["currency", "charge_cents", "connection_fee_cents"]).filter(on_credits)
    if not table.num_rows:
        return {}
    money = pc.add_checked(
        pc.fill_null(table["charge_cents"], 0), pc.fill_null(table["connection_fee_cents"], 0)
    )
    totals = (
        pa.table({"currency": pc.fill_null(table["currency"], ""), "cents": money})
        .group_by("currency")
        .aggregate([("cents", "sum")])
    )
    return {
        str(cur): int(c)
        for cur, c in zip(
            totals["currency"].to_pylist(), totals["cents_sum"].to_pylist(), strict=True
        )
    }


#: the sum of all amounts' magnitudes (cents) beyond which totals could overflow int64
MAX_TOTAL_CENTS = float(2**62)


def money_magnitude(table: pa.Table) -> float:
    """Sum of the absolute charges and fees of a record table, in cents (as a float)."""
    total = 0.0
    for column in ("charge_cents", "connection_fee_cents"):
        magnitude = pc.sum(pc.abs(table[column]).cast(pa.float64(), safe=False)).as_py()
        total += magnitude or 0.0
    return total


def credit_spend_arrow(records: pa.Table) -> dict[str, decimal.Decimal]:
    """:func:`credit_spend` of a record table in Arrow form."""
    return amounts(credit_cents_arrow(records))


def day_of(ns: int) -> dt.date:
    return np.datetime64(ns, "ns").astype("datetime64[D]").item()
