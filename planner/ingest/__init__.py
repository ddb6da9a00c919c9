"""Read PSTN usage exports into the canonical call-record table.

Supported inputs (the format is detected from the content, see :mod:`planner.formats`):

- Teams admin center Calling Plans CSV, current (25 columns) and legacy (20 columns, also the
  Skype for Business admin center export); Direct Routing CSV, current and legacy;
- the admin center's zip export (``Export.callingplans.<id>.zip``, older
  ``Calls.Export.<id>.zip`` holding ``PSTN.calls.*.csv`` and ``DirectRouting.calls.*.csv``),
  with the exported period read from its ``parameters.json``;
- the same CSV re-saved by Excel: ``.xlsx`` (the first sheet holding a usage header, numbers
  and times stored as numbers / datetimes), and CSV from a French or German Excel (``;``
  separator, ``,`` decimal mark, cp1252 or UTF-8 with BOM; a leading ``sep=;`` line is
  understood); a title or up to 10 lines above the header (each set aside as a rejected row);
- Microsoft Graph ``getPstnCalls`` / ``getDirectRoutingCalls`` responses: saved pages
  (``{"value": [...]}``), a JSON array, JSON Lines, or CSV whose headers are the property names.

Rules applied to every row (see :mod:`planner.schema` for the columns produced):

- ``no data``, empty cells and ``??`` read as missing; unknown call types and capabilities are
  kept as they are.
- Money is parsed from its decimal text to integer cents without going through floating
  point. A value with more than two significant decimals (``0.125``) is **rejected** with a
  reason, never rounded: the exports are priced to the cent, so such a value means the file
  was altered. ``1,234.50`` and ``1.234,50`` (grouped thousands) are understood; in a ``;``
  separated file the comma is the decimal mark.
- A row that cannot be trusted is kept aside in the rejects table (``source_file``,
  ``source_row``, ``reason``, ``raw``): missing id, missing or unparseable start time,
  unparseable end time, non-numeric or negative duration, non-numeric money, money with more
  than two decimals, non-zero money without a currency, too few or too many fields, an
  unterminated quote.
- Records are de-duplicated on ``(kind, usage_id)`` across all files, in the order the files
  were given (folders sorted by path); the first occurrence is kept.
- For every file, ``rows == records + duplicates + rejected``. Blank lines and rows of empty
  cells (``,,,,``) are not rows; a header line met again (two exports joined) is rejected.
- A column read twice (``Charge`` twice) is read once when its copies agree, and refused when
  they differ in any row.
- ``source_row`` is the row's line number (the file's first line = 1) when each record sits on
  one line; for ``.xlsx`` it is the worksheet row, for JSON arrays and pages the 1-based position of the
  row in the file, for JSON Lines the line number.
- Times without a zone are UTC (the exports are in UTC). Text times written by a French or
  German Excel (``01/11/2019 00:00``, ``01.11.2019 00:00:08``) are read day first in ``;``
  separated files and month first otherwise.

Container and encoding are reported per file in :attr:`FileReport.container` (``csv``,
``csv;`` for a semicolon-separated CSV, ``tsv``, ``xlsx``, ``json``, ``jsonl``, each prefixed
with ``zip/`` for a zip member) and :attr:`FileReport.encoding`.

Modules, in the order data moves through them: :mod:`~planner.ingest.discovery` (which files),
:mod:`~planner.ingest.containers` (which reader, by content: zip, workbook, JSON, CSV),
the readers :mod:`~planner.ingest.csvfile`, :mod:`~planner.ingest.xlsx` and
:mod:`~planner.ingest.graph` (each gives parts of text columns, :mod:`~planner.ingest.parts`),
:mod:`~planner.ingest.convert` (text -> canonical columns, exact money, reasons to reject),
:mod:`~planner.store.dedup` (first occurrence wins), :mod:`~planner.ingest.stream` (chunks and
accounting, :mod:`~planner.ingest.results`), :mod:`~planner.ingest.records` (the record table)
and :mod:`~planner.ingest.writer` (Parquet or CSV output); :mod:`~planner.ingest.output` runs
the whole of ``planner ingest`` (not imported here: the history store imports this package).
"""

from __future__ import annotations

from planner.ingest.containers import check_inputs, detect_format, read_parameters
from planner.ingest.convert import convert
from planner.ingest.discovery import Input, discover, expand_paths, input_bytes
from planner.ingest.parts import NULL_TOKENS
from planner.ingest.records import (
    RECORD_SCHEMA,
    credit_spend_arrow,
    records_frame,
)
from planner.ingest.results import (
    FileReport,
    IngestResult,
    credit_cents_by_currency,
    credit_spend,
)
from planner.ingest.stream import DEFAULT_CHUNK_ROWS, RecordStream, iter_records, read_exports
from planner.ingest.writer import RecordsWriter, write_rejects
from planner.store.dedup import RecordIds
from planner.store.tables import records_arrow_schema

__all__ = [
    "DEFAULT_CHUNK_ROWS",
    "NULL_TOKENS",
    "RECORD_SCHEMA",
    "FileReport",
    "IngestResult",
    "Input",
    "RecordIds",
    "RecordStream",
    "RecordsWriter",
    "check_inputs",
    "convert",
    "credit_cents_by_currency",
    "credit_spend",
    "credit_spend_arrow",
    "detect_format",
    "discover",
    "expand_paths",
    "input_bytes",
    "iter_records",
    "read_exports",
    "read_parameters",
    "records_arrow_schema",
    "records_frame",
    "write_rejects",
]
