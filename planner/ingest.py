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
  understood);
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
- For every file, ``rows == records + duplicates + rejected``. Blank lines are not rows.
- ``source_row`` is the row's line number (header = line 1) when each record sits on one line;
  for ``.xlsx`` it is the worksheet row, for JSON arrays and pages the 1-based position of the
  row in the file, for JSON Lines the line number.
- Times without a zone are UTC (the exports are in UTC). Text times written by a French or
  German Excel (``01/11/2019 00:00``, ``01.11.2019 00:00:08``) are read day first in ``;``
  separated files and month first otherwise.

Container and encoding are reported per file in :attr:`FileReport.container` (``csv``,
``csv;`` for a semicolon-separated CSV, ``tsv``, ``xlsx``, ``json``, ``jsonl``, each prefixed
with ``zip/`` for a zip member) and :attr:`FileReport.encoding`.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import glob
import io
import json
import logging
import os
import queue
import re
import sys
import threading
import zipfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv

from planner import guard
from planner.collect import layout, tables
from planner.errors import InputError
from planner.formats import FORMATS, ExportFormat, UnknownHeader, header_key, match_format
from planner.schema import (
    CREDITS_CAPABILITY,
    RECORD_DTYPES,
    REJECT_COLUMNS,
    conform,
    credit_cents,
    empty_records,
)

#: text read as missing, in any letter case (``null`` as written by scripts saving Graph rows)
NULL_TOKENS: tuple[str, ...] = ("", "no data", "??", "null")
# the CSV reader matches null values exactly: list the spellings met in practice
_CSV_NULLS = sorted(
    {f(t) for t in NULL_TOKENS for f in (str.lower, str.upper, str.capitalize, str.title)}
)

DEFAULT_CHUNK_ROWS = 1_000_000
_WHOLE_CHUNK_ROWS = 200_000
_SNIFF_BYTES = 1 << 16
_ENCODING_SNIFF_BYTES = 1 << 20
_BLOCK_BYTES = 2 << 20
_TS = pa.timestamp("ns", "UTC")

#: text columns taken from the source (``kind`` and ``source_file`` are set by the reader)
_TEXT_COLUMNS = tuple(
    c for c, t in RECORD_DTYPES.items() if t == "string" and c not in ("kind", "source_file")
)
_TEXT_TRIM = ("usage_id", "user_id", "upn")
_TEXT_LOWER = ("upn", "call_type", "call_direction", "duration_source")
_TEXT_UPPER = ("user_location", "external_country", "currency", "capability")
_DAYFIRST_FORMATS = (
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
)
_MONTHFIRST_FORMATS = (
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
)


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


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


class _Accounting:
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
class IngestResult(_Accounting):
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


def _amounts(cents: dict[str, int]) -> dict[str, decimal.Decimal]:
    return {
        cur: (decimal.Decimal(c) / 100).quantize(decimal.Decimal("0.01"))
        for cur, c in sorted(cents.items())
    }


def credit_spend(records: pd.DataFrame) -> dict[str, decimal.Decimal]:
    """Communications Credits spend (charge + connection fee) per currency, exact.

    Returns
    -------
    dict[str, decimal.Decimal]
        Amount per currency with two decimals (see :func:`credit_cents_by_currency`).
    """
    return _amounts(credit_cents_by_currency(records))


def _span(a: dt.date | None, b: dt.date | None) -> tuple[dt.date, dt.date] | None:
    return None if a is None or b is None else (a, b)


def _period_json(p: tuple[dt.date, dt.date] | None) -> dict[str, str] | None:
    return None if p is None else {"start": p[0].isoformat(), "end": p[1].isoformat()}


# --------------------------------------------------------------------------------------------
# Paths
# --------------------------------------------------------------------------------------------

_log = logging.getLogger("planner")


@dataclass(frozen=True)
class Input:
    """One file to read, and how it was given.

    ``named`` is True for a file named on its own (or a store's partition); a file found in a
    folder or by a glob pattern is not named: when it is not a usage export it is skipped
    with a warning instead of stopping the run.
    """

    path: Path
    named: bool


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith((".", "__MACOSX")) for part in path.relative_to(root).parts)


def _is_parameters(path: Path) -> bool:
    return path.name.lower() == "parameters.json"


def _folder_files(root: Path) -> list[Input]:
    """Files of a folder, recursively, in path order; a store inside gives its partitions."""
    if layout.is_store(root):
        return [Input(p, True) for p in layout.partition_files(root)]
    found: list[Input] = []
    for path in sorted(root.iterdir()):
        if _hidden(path, root):
            continue
        if path.is_dir():
            if not path.is_symlink():  # as rglob: a linked folder could loop
                found.extend(_folder_files(path))
        elif path.is_file() and not _is_parameters(path):
            found.append(Input(path, False))
    return found


def discover(paths: Iterable[str | Path] | str | Path) -> list[Input]:
    """Turn files, folders, store directories and glob patterns into the files to read.

    Folders are searched recursively, hidden files and folders skipped, files sorted by path;
    a store directory (:mod:`planner.collect.store`) gives its monthly partitions, oldest
    first; glob patterns (``*``, ``?``, ``[``, ``**``) are expanded and sorted. A
    ``parameters.json`` is metadata of the export next to it, not an export, and is left out.
    A file named twice is read once.

    Raises
    ------
    InputError
        When a path does not exist, a pattern matches nothing, or nothing is left to read.
    """
    if isinstance(paths, str | Path):
        paths = [paths]
    out: list[Input] = []
    for raw in paths:
        text = str(raw)
        path = Path(text).expanduser()
        if path.is_dir():
            found = _folder_files(path)
            if not found:
                empty = (
                    "store holds no records yet"
                    if layout.is_store(path)
                    else "folder holds no files to read"
                )
                raise InputError(f"{text}: {empty}")
            out.extend(found)
        elif path.exists():
            out.append(Input(path, True))
        elif any(ch in text for ch in "*?["):
            matched = sorted(Path(p) for p in glob.glob(str(path), recursive=True))
            found = [Input(p, False) for p in matched if p.is_file() and not _is_parameters(p)]
            for p in matched:
                if p.is_dir() and layout.is_store(p):
                    found.extend(_folder_files(p))
            if not found:
                raise InputError(f"{text}: no file matches this pattern")
            out.extend(found)
        else:
            raise InputError(f"{text}: no such file or folder")
    named: dict[Path, bool] = {}
    for item in out:  # a file named and also found in a folder counts as named
        named[item.path] = named.get(item.path, False) or item.named
    if not named:
        raise InputError("no input files given")
    return [Input(path, flag) for path, flag in named.items()]


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """The files :func:`discover` finds, in reading order.

    Raises
    ------
    InputError
        As :func:`discover`.
    """
    return [item.path for item in discover(paths)]


# --------------------------------------------------------------------------------------------
# Raw tables: every reader turns its source into batches of text columns
# --------------------------------------------------------------------------------------------


@dataclass
class _Raw:
    """A batch of source rows as text, before conversion.

    ``table`` holds the well-formed rows (string columns named as in the source header),
    ``lines`` their source row numbers; ``bad`` the rows that could not be split into fields:
    ``(source_row, reason, raw_text)``.
    """

    table: pa.Table
    lines: np.ndarray
    bad: list[tuple[int, str, str]]
    end_line: int = 0  # the line after the last one this batch accounts for


@dataclass
class _Part:
    """One table-bearing unit of an input: a CSV, a workbook sheet, a JSON file, a zip member."""

    name: str
    container: str
    fmt: ExportFormat
    headers: list[str]
    batches: Callable[[int | None], Iterator[_Raw]]
    encoding: str | None = None
    exported_period: tuple[dt.date, dt.date] | None = None
    delimiter: str = ","

    @property
    def decimal_mark(self) -> str:
        """``,`` in a semicolon-separated file (a French or German Excel), else ``.``."""
        return "," if self.delimiter == ";" else "."

    @property
    def format_name(self) -> str:
        return self.fmt.name


@dataclass
class _RecordsPart:
    """A planner record table (``planner ingest --out``, a store partition): no conversion.

    ``tables(chunk_rows)`` yields canonical Arrow record tables
    (:data:`planner.collect.tables.RECORD_SCHEMA`).
    """

    name: str
    container: str
    tables: Callable[[int | None], Iterator[pa.Table]]
    format_name: str = "planner_records"
    encoding: str | None = None
    exported_period: tuple[dt.date, dt.date] | None = None


def _records_part(path: Path, head: bytes) -> _RecordsPart | None:
    """The part of a planner record table, or None when ``path`` is not one."""
    if head.startswith(tables.PARQUET_MAGIC):
        tables.check_parquet(path)
        return _RecordsPart(str(path), "parquet", lambda n: tables.parquet_batches(path, n))
    first = head.split(b"\n", 1)[0].decode("utf-8", "replace").strip()
    if tables.is_records_header(first.split(",")):
        return _RecordsPart(
            str(path), "csv", lambda n: tables.csv_batches(path, n), encoding="utf-8"
        )
    return None


# Other files the planner reads, told apart by their header, and the option that takes them:
# named in the error when one is given where usage exports are expected.
_PLANNER_FILES: tuple[tuple[frozenset[str], str, str], ...] = (
    (frozenset({"purchasedate", "amount"}), "today's balance as lots", "--balance"),
    (frozenset({"date", "amount"}), "a daily demand file", "--demand"),
    (frozenset({"date", "amountcents"}), "a daily demand file", "--demand"),
    (frozenset({"plan", "users"}), "a licence file", "--licences"),
    (frozenset({"destination", "perminute"}), "a rate card", "--rates"),
    (frozenset({"upn", "department"}), "a departments file", "--departments"),
    (frozenset({"userprincipalname", "licenses"}), "a user licences file", "--user-licences"),
    (frozenset({"upn", "mcopstnc"}), "a user licences file", "--user-licences"),
)


def _planner_file_hint(headers: list[str]) -> str | None:
    """ "it looks like a demand file; did you mean --demand?" for another planner input."""
    keys = {header_key(h) for h in headers}
    for needed, what, option in _PLANNER_FILES:
        if needed <= keys:
            return f"it looks like {what}; did you mean {option}?"
    return None


def _not_export(name: str, why: str) -> InputError:
    return InputError(f"{name}: not a usage export: {why}")


def _match(name: str, headers: list[str]) -> ExportFormat:
    try:
        return match_format(headers)
    except UnknownHeader as exc:
        raise _not_export(name, _planner_file_hint(headers) or str(exc)) from None


# ---- CSV ------------------------------------------------------------------------------------


def _sniff_encoding(head: bytes) -> tuple[str, int]:
    """Encoding of a text file and the length of its byte-order mark."""
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8", 3
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", 2
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a multi-byte character cut by the sample's end is still UTF-8
        if exc.start < len(head) - 3:
            return "cp1252", 0
    return "utf-8", 0


def _sniff_dialect(first_line: str) -> str:
    best, best_n = ",", 0
    for sep in (",", ";", "\t", "|"):
        n = len(next(csv.reader([first_line], delimiter=sep), []))
        if n > best_n:
            best, best_n = sep, n
    return best


def _unique_names(headers: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for h in headers:
        n = seen.get(h, 0)
        seen[h] = n + 1
        out.append(h if n == 0 else f"{h}.{n}")
    return out


def _bad_row_reason(text: str, expected: int, actual: int) -> tuple[str, int]:
    """A reason for a row the CSV parser could not split, and the lines it spans."""
    extra_lines = text.count("\n")
    if text.count('"') % 2:
        return (
            f"unterminated quote: the row runs over {extra_lines + 1} line(s) "
            "(to the end of the file or the next stray quote); close the quote and re-read",
            extra_lines,
        )
    if actual < expected:
        return (
            f"too few fields: {actual} of {expected} (a cut-off or damaged line); "
            "re-export the file or repair the line",
            extra_lines,
        )
    return (
        f"too many fields: {actual} of {expected} (a separator inside an unquoted value?); "
        "quote the value or re-export the file",
        extra_lines,
    )


def _assign_lines(next_line: int, n: int, skips: deque) -> tuple[np.ndarray, int]:
    """Line numbers of ``n`` consecutive good rows starting at ``next_line``.

    ``skips`` holds ``(line, span)`` of the bad rows in file order: their lines are not
    given to good rows. Consumed entries are removed.
    """
    lines = np.arange(next_line, next_line + n, dtype=np.int64)
    while n and skips and skips[0][0] <= lines[-1]:
        line, span = skips.popleft()
        lines[lines >= line] += span
    return lines, (int(lines[-1]) + 1 if n else next_line)


def _read_head(fh: Any) -> bytes:
    """The first bytes of a text file: at least its first two lines (a ``sep=`` line and the
    header, however long, up to :data:`planner.guard.MAX_LINE_BYTES`)."""
    head = fh.read(_SNIFF_BYTES)
    while head.count(b"\n") < 2 and len(head) <= guard.MAX_LINE_BYTES:
        more = fh.read(max(_SNIFF_BYTES, len(head)))
        if not more:
            break
        head += more
    return head


def _csv_part(
    name: str,
    open_binary: Callable[[], Any],
    source: Any,
    container_prefix: str = "",
    exported_period: tuple[dt.date, dt.date] | None = None,
) -> _Part:
    """A CSV part; ``source`` is what pyarrow reads (a path or a callable opening a stream)."""
    with open_binary() as fh:
        head = _read_head(fh)
        # a French Excel's first accented letter may come late: judge the encoding on more
        enc_sample = head + fh.read(_ENCODING_SNIFF_BYTES)
    if not head.strip():
        raise InputError(f"{name}: the file is empty; export the usage report again")
    encoding, bom = _sniff_encoding(enc_sample)
    # (a UTF-16 codec needs its byte-order mark to know the byte order)
    text = head[0 if encoding == "utf-16" else bom :].decode(encoding, errors="replace")
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    skip = 0
    delimiter = None
    if lines and lines[0].lower().startswith("sep=") and len(lines[0]) <= 6:
        delimiter = lines[0][4:5] or ","
        skip = 1
    if len(lines) <= skip + 1 and len(head) > guard.MAX_LINE_BYTES:
        raise InputError(
            f"{name}: the header line is longer than {guard.MAX_LINE_BYTES >> 20} MiB; "
            "not a usage export"
        )
    first = lines[skip] if len(lines) > skip else ""
    if delimiter is None:
        delimiter = _sniff_dialect(first)
    headers = [h.strip().lstrip("\ufeff") for h in next(csv.reader([first], delimiter=delimiter))]
    fmt = _match(name, headers)
    container = {",": "csv", ";": "csv;", "\t": "tsv"}.get(delimiter, f"csv{delimiter}")
    row_bytes = max(64, len(head) // max(1, len(lines)))
    header_bytes = len(first.encode("utf-8", "replace"))

    def batches(chunk_rows: int | None) -> Iterator[_Raw]:
        mode, resume, block = encoding, 0, 4 * header_bytes
        while True:
            args = (name, source, headers, delimiter, skip, chunk_rows, row_bytes)
            try:
                for raw in _csv_batches(*args, mode, resume_line=resume, min_block=block):
                    resume = raw.end_line
                    box = [raw]  # hand over without keeping a name (see _csv_batches)
                    del raw
                    yield box.pop()
                return
            except _NotUtf8 as exc:
                if mode != "utf-8":
                    raise InputError(
                        f"{name}: text is not valid {mode} ({exc}); save the file as UTF-8 CSV"
                    ) from None
                # bytes outside the sniffed sample are not UTF-8: a file of Windows-1252 text
                # (an Excel from Western Europe) is read again as such; a UTF-8 file with a
                # few damaged bytes is read on with its damaged rows rejected
                mode = _UTF8_DAMAGED if _file_looks_utf8(open_binary) else "cp1252"
                part.encoding = "utf-8" if mode == _UTF8_DAMAGED else mode
            except _RowTooLong as exc:
                if exc.block >= guard.MAX_LINE_BYTES:
                    raise InputError(
                        f"{name}: a row is longer than {guard.MAX_LINE_BYTES >> 20} MiB "
                        "(an unterminated quote?); repair the file or export it again"
                    ) from None
                block = exc.block * 4

    if encoding == "cp1252" and guard.looks_like_utf8(enc_sample[bom:]):
        encoding = _UTF8_DAMAGED  # UTF-8 with damaged bytes, not Windows-1252 text
    part = _Part(
        name,
        container_prefix + container,
        fmt,
        headers,
        batches,
        encoding=("utf-8" if encoding == _UTF8_DAMAGED else encoding)
        + ("-sig" if bom == 3 else ""),
        exported_period=exported_period,
        delimiter=delimiter,
    )
    return part


#: the reading mode of a UTF-8 file holding invalid bytes: its damaged rows are rejected
_UTF8_DAMAGED = "utf-8 (damaged)"


def _file_looks_utf8(open_binary: Callable[[], Any], limit: int = 64 << 20) -> bool:
    """:func:`planner.guard.looks_like_utf8` over the file's first ``limit`` bytes."""
    high = in_sequences = 0
    with open_binary() as fh:
        read = 0
        while read < limit and (block := fh.read(8 << 20)):
            read += len(block)
            h, v = guard.utf8_evidence(block)
            high, in_sequences = high + h, in_sequences + v
    return 2 * in_sequences >= high


_PREFETCH_DEPTH = 16  # blocks parsed ahead of the consumer (about 32 MB of text)


def _prefetch(items: Iterator[Any], depth: int = _PREFETCH_DEPTH) -> Iterator[Any]:
    """Run ``items`` on a background thread, at most ``depth`` items ahead of the consumer.

    ``depth=0`` puts no bound (for a consumer that keeps every item anyway).

    Its exceptions are raised in the consumer, in order. Closing the returned generator
    stops the thread at its next item.
    """
    box: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def put(entry: tuple) -> bool:
        while not stop.is_set():
            try:
                box.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in items:
                if not put((item, None)):
                    return
            put((done, None))
        except BaseException as exc:  # handed to the consumer, which raises it
            put((done, exc))

    thread = threading.Thread(target=work, name="csv-parse", daemon=True)
    thread.start()
    try:
        while True:
            item, exc = box.get()
            if item is done:
                if exc is not None:
                    raise exc
                return
            yield item
            del item
    finally:
        stop.set()
        thread.join()


class _NotUtf8(Exception):
    """The CSV reader met bytes that are not UTF-8."""


class _RowTooLong(Exception):
    """A row is longer than the parser's block: read again with larger blocks."""

    def __init__(self, block: int):
        super().__init__(block)
        self.block = block


def _from_latin1(text: str) -> str:
    """Text of a UTF-8 file read as Latin-1 (every byte one character), decoded as UTF-8.

    Raises UnicodeDecodeError for the bytes that are not UTF-8.
    """
    return text.encode("latin-1").decode("utf-8")


def _decode_damaged(table: pa.Table) -> tuple[pa.Table, dict[int, str]]:
    """Text columns of a UTF-8 file with damaged bytes, read as Latin-1 -> the real text, and
    the damaged rows.

    Returns the table with every value decoded as UTF-8 (damaged values null) and, by row
    index, the reason naming the first damaged column.
    """
    columns, damaged = [], {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        if pc.all(pc.fill_null(pc.string_is_ascii(column), True)).as_py():
            columns.append(column)  # ASCII reads alike in both
            continue
        text: list[str | None] = []
        for i, v in enumerate(column.to_pylist()):
            try:
                text.append(None if v is None else _from_latin1(v))
            except UnicodeDecodeError as exc:
                text.append(None)
                bad = v.encode("latin-1")[exc.start]
                damaged.setdefault(
                    i,
                    f"{name} holds byte 0x{bad:02x}, not valid UTF-8 (a damaged character); "
                    "correct the row or export the file again",
                )
        columns.append(pa.chunked_array([pa.array(text, pa.string())]))
    return pa.table(dict(zip(table.column_names, columns, strict=True))), damaged


def _raw_damaged(table: pa.Table, index: int, delimiter: str) -> str:
    row = [
        "" if v is None else v.encode("latin-1").decode("utf-8", "replace")
        for v in table.slice(index, 1).to_pylist()[0].values()
    ]
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="").writerow(row)
    return buf.getvalue()


def _finish_chunk(
    table: pa.Table,
    lines: np.ndarray,
    bad: list[tuple[int, str, str]],
    *,
    resume_line: int,
    damaged_utf8: bool,
    delimiter: str,
) -> _Raw:
    """A parsed chunk as a :class:`_Raw`: rows before ``resume_line`` (handed over by an
    earlier reading) dropped, damaged UTF-8 rows moved to the bad rows."""
    end_line = max([int(lines[-1]) + 1 if len(lines) else 0] + [b[0] + 1 for b in bad])
    if resume_line:
        keep = lines >= resume_line
        if not keep.all():
            table, lines = table.filter(pa.array(keep)), lines[keep]
        bad = [b for b in bad if b[0] >= resume_line]
    if damaged_utf8:
        binary = table
        table, damaged = _decode_damaged(binary)
        if damaged:
            bad = sorted(
                bad
                + [
                    (int(lines[i]), why, _raw_damaged(binary, i, delimiter))
                    for i, why in damaged.items()
                ]
            )
            keep = np.ones(len(lines), dtype=bool)
            keep[list(damaged)] = False
            table, lines = table.filter(pa.array(keep)), lines[keep]
    return _Raw(table, lines, bad, end_line)


def _csv_batches(
    name: str,
    source: Any,
    headers: list[str],
    delimiter: str,
    skip: int,
    chunk_rows: int | None,
    row_bytes: int,
    encoding: str,
    *,
    resume_line: int = 0,
    min_block: int = 0,
) -> Iterator[_Raw]:
    """Parse a CSV into chunks of text columns (see :class:`_Raw`).

    ``encoding`` :data:`_UTF8_DAMAGED` reads UTF-8 text holding invalid bytes: the columns
    are read as bytes and the rows with invalid bytes rejected. Rows before ``resume_line``
    are skipped (an earlier reading handed them over before it stopped).
    """
    names = _unique_names(headers)
    # UTF-8 with damaged bytes is read as Latin-1 (any byte is a character) and decoded
    # value by value, its damaged rows rejected
    damaged_utf8 = encoding == _UTF8_DAMAGED
    # the parser works block by block: blocks of a few MB stay in the CPU caches and read
    # faster (measured) than large ones, even than a multi-threaded read of the whole file
    block = _BLOCK_BYTES if chunk_rows is None else chunk_rows * row_bytes
    block = int(max(min(max(block, 1 << 16), _BLOCK_BYTES), min_block))
    invalid: list[tuple[int | None, str, int, int]] = []
    text_type = pa.string()

    def on_invalid(row: Any) -> str:
        text = row.text
        if damaged_utf8:
            text = text.encode("latin-1").decode("utf-8", "replace")
        invalid.append((row.number, text, row.expected_columns, row.actual_columns))
        return "skip"

    def options() -> tuple:
        # single-threaded: the parser then knows the line number of each invalid row
        return (
            pv.ReadOptions(
                column_names=names,
                skip_rows=skip + 1,
                encoding="latin-1" if damaged_utf8 else encoding,
                use_threads=False,
                block_size=block,
            ),
            pv.ParseOptions(delimiter=delimiter, invalid_row_handler=on_invalid),
            pv.ConvertOptions(
                column_types=dict.fromkeys(names, text_type),
                null_values=_CSV_NULLS,
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )

    def src() -> Any:
        return source() if callable(source) else source

    def bad_rows(rows: list) -> tuple[list[tuple[int, str, str]], deque]:
        bad, skips = [], deque()
        for number, text, expected, actual in rows:
            reason, extra = _bad_row_reason(text, expected, actual)
            bad.append((int(number), reason, text))
            skips.append((int(number), 1 + extra))
        return bad, skips

    def parsed(reader: Any) -> Iterator[tuple[pa.RecordBatch, list]]:
        # each block with the invalid rows met while parsing it
        for batch in reader:
            rows = invalid[:]
            invalid.clear()
            yield batch, rows
        if invalid:  # rows of a last block that held no valid row
            yield None, invalid[:]

    def finish(table: pa.Table, lines: np.ndarray, bad: list) -> _Raw:
        return _finish_chunk(
            table,
            lines,
            bad,
            resume_line=resume_line,
            damaged_utf8=damaged_utf8,
            delimiter=delimiter,
        )

    first_line = skip + 2
    undecodable: list[bool] = []
    try:
        unhook = _catch_undecodable_rows(on_invalid, undecodable)
        # (not a memory map: its pages would count in the resident memory as it is read)
        reader = pv.open_csv(src(), *options())
        next_line = first_line
        pending: list[pa.RecordBatch] = []
        pending_rows = 0
        skips: deque = deque()
        bad_acc: list[tuple[int, str, str]] = []
        # the next blocks are parsed on another thread (pyarrow releases the GIL) while this
        # one converts a chunk (without a bound when the whole file is kept anyway)
        depth = 0 if chunk_rows is None else _PREFETCH_DEPTH
        for batch, rows in _prefetch(parsed(reader), depth):
            if batch is not None:
                pending.append(batch)
                pending_rows += batch.num_rows
            bad, new_skips = bad_rows(rows)
            bad_acc.extend(bad)
            skips.extend(new_skips)
            if chunk_rows is not None and pending_rows >= chunk_rows:
                table = pa.Table.from_batches(pending)
                pending, pending_rows = [], 0
                lines, next_line = _assign_lines(next_line, table.num_rows, skips)
                box = [finish(table, lines, bad_acc)]
                del table
                yield box.pop()
                bad_acc = []
        table = (
            pa.Table.from_batches(pending)
            if pending
            else pa.table({n: pa.array([], text_type) for n in names})
        )
        pending = []
        lines, next_line = _assign_lines(next_line, table.num_rows, skips)
        box = [finish(table, lines, bad_acc)]
        del table
        yield box.pop()
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        msg = str(exc).splitlines()[0]
        if "UTF8" in msg or "utf-8" in msg.lower() or undecodable:
            raise _NotUtf8(msg) from None
        if "straddl" in msg:  # a row longer than a block
            raise _RowTooLong(block) from None
        raise InputError(f"{name}: cannot read the CSV: {msg}") from None
    finally:
        unhook()


def _catch_undecodable_rows(handler: Callable, seen: list[bool]) -> Callable[[], None]:
    """Keep pyarrow from printing a traceback when a malformed row is not valid UTF-8.

    pyarrow decodes such a row's text for the ``invalid_row_handler`` and, failing, reports
    the error as "unraisable" (printed) before failing the read. While reading, that report
    is noted in ``seen`` instead (the read is then retried as damaged UTF-8). Returns the
    function restoring the previous hook.
    """
    previous = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        if isinstance(unraisable.exc_value, UnicodeDecodeError) and unraisable.object is handler:
            seen.append(True)
            return
        previous(unraisable)

    sys.unraisablehook = hook
    return lambda: setattr(sys, "unraisablehook", previous)


# ---- Python rows (xlsx, JSON) --------------------------------------------------------------


def _rows_table(headers: list[str], rows: list[list[str | None]]) -> pa.Table:
    names = _unique_names(headers)
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    return pa.table(
        {n: pa.array(list(c), pa.string()) for n, c in zip(names, columns, strict=True)}
    )


def _clean_text(value: str) -> str | None:
    value = value.strip()
    return None if value.lower() in NULL_TOKENS else value


def _number_text(value: float | int | decimal.Decimal) -> str:
    """Exact decimal text of a stored number: ``0.1`` -> ``'0.1'``, ``219.0`` -> ``'219'``."""
    if isinstance(value, int):
        return str(value)
    d = decimal.Decimal(repr(value)) if isinstance(value, float) else value
    if not d.is_finite() or abs(d.adjusted()) > 40:
        return str(d)  # no call data is that large or that fine: left as written, refused
    if d == d.to_integral_value():
        return str(int(d))
    return format(d.normalize(), "f")


def _cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | decimal.Decimal):
        return _number_text(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat() + "Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":")) if value else None
    return _clean_text(str(value))


def _rows_part(
    name: str,
    container: str,
    headers: list[str],
    rows: list[list[str | None]],
    lines: list[int],
    bad: list[tuple[int, str, str]],
    exported_period: tuple[dt.date, dt.date] | None,
    encoding: str | None = None,
) -> _Part:
    fmt = _match(name, headers)
    raw = _Raw(_rows_table(headers, rows), np.asarray(lines, dtype=np.int64), bad)

    def batches(chunk_rows: int | None) -> Iterator[_Raw]:
        yield raw

    return _Part(name, container, fmt, headers, batches, encoding, exported_period)


def _xlsx_part(
    name: str,
    data: Any,
    container_prefix: str = "",
    exported_period: tuple[dt.date, dt.date] | None = None,
) -> _Part:
    import openpyxl

    try:
        book = openpyxl.load_workbook(data, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise InputError(f"{name}: not a readable .xlsx workbook ({exc})") from None
    # formulas without a saved value read as empty cells: find them in a second, formula view
    formulas = (
        openpyxl.load_workbook(data, read_only=True, data_only=False)
        if _has_formulas(data)
        else None
    )
    try:
        with guard.damaged(name):
            return _xlsx_sheets(name, book, formulas, container_prefix, exported_period)
    finally:
        book.close()
        if formulas is not None:
            formulas.close()


def _has_formulas(data: Any) -> bool:
    """Whether any worksheet of an .xlsx (a binary stream) holds a formula element."""
    try:
        with zipfile.ZipFile(data) as zf:
            for info in zf.infolist():
                if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                    with zf.open(info) as fh:
                        tail = b""
                        while chunk := fh.read(1 << 20):
                            if b"<f>" in tail + chunk or b"<f " in tail + chunk:
                                return True
                            tail = chunk[-3:]
    except (*guard.DAMAGED, OSError):
        return False  # reported when the sheet is read
    finally:
        data.seek(0)
    return False


def _formula_problems(values: tuple, formulas: tuple | None, headers: list[str]) -> list[str]:
    """Cells holding a formula whose value Excel never saved (they read as empty)."""
    if formulas is None:
        return []
    return [
        f"{h} is a formula ({str(f)[:60]}) without a saved value; open the file in Excel, "
        "let it calculate and save it again"
        for h, v, f in zip(headers, values, formulas, strict=False)
        if v is None and isinstance(f, str) and f.startswith("=")
    ]


def _xlsx_sheets(
    name: str,
    book: Any,
    formulas: Any,
    container_prefix: str,
    exported_period: tuple[dt.date, dt.date] | None,
) -> _Part:
    first_error: InputError | None = None
    for index, sheet in enumerate(book.worksheets):
        # the stated dimensions are not trusted: a sheet claiming XFD1048576 would otherwise
        # be padded with empty cells to that size
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True)
        shadow = None
        if formulas is not None:
            formulas.worksheets[index].reset_dimensions()
            shadow = formulas.worksheets[index].iter_rows(values_only=True)
        for row_no, row in enumerate(rows, start=1):
            if shadow is not None:
                next(shadow, None)
            if row_no > 20:
                break
            headers = [_cell_text(v) or "" for v in row]
            while headers and not headers[-1]:
                headers.pop()
            if not any(headers):
                continue
            try:
                match_format(headers)
            except UnknownHeader as exc:
                if first_error is None:
                    first_error = _not_export(f"{name} (sheet {sheet.title})", str(exc))
                continue
            width = len(headers)
            body, lines, bad = [], [], []
            for line, values in enumerate(rows, start=row_no + 1):
                shadow_values = next(shadow, None) if shadow is not None else None
                cells = [_cell_text(v) for v in values[:width]]
                if not any(c is not None for c in cells):
                    if not _formula_problems(values[:width], shadow_values, headers):
                        continue  # a blank row, like a blank CSV line, is not a row
                problems = _formula_problems(values[:width], shadow_values, headers)
                if problems:
                    raw = ",".join("" if c is None else c for c in cells)
                    bad.append((line, "; ".join(problems), raw))
                    continue
                cells.extend([None] * (width - len(cells)))
                body.append(cells)
                lines.append(line)
            return _rows_part(
                name, container_prefix + "xlsx", headers, body, lines, bad, exported_period
            )
    raise first_error or _not_export(name, "the workbook has no non-empty sheet")


def _decimal_text(text: str) -> str:
    return _number_text(decimal.Decimal(text))


def _json_rows(obj: Any) -> list[Any] | None:
    """The call rows of a parsed Graph response, or None when ``obj`` is not one."""
    if isinstance(obj, dict):
        if isinstance(obj.get("value"), list):
            return obj["value"]
        return [obj] if obj and not any(k.startswith("@odata") for k in obj) else None
    if isinstance(obj, list):
        out: list[Any] = []
        for item in obj:
            if isinstance(item, dict) and isinstance(item.get("value"), list):
                out.extend(item["value"])  # a list of saved pages
            else:
                out.append(item)
        return out
    return None


def _json_entries(name: str, text: str) -> tuple[str, list[tuple[int, Any]], list]:
    """Container (``json``/``jsonl``), ``(source row, row)`` pairs and bad lines of JSON text."""
    load = json.JSONDecoder(parse_float=_decimal_text, parse_int=str).decode
    entries: list[tuple[int, Any]] = []  # (source row, row object or a bad-line marker)
    bad: list[tuple[int, str, str]] = []
    try:
        rows = _json_rows(guard.load_json(name, text, cls=_ExactDecoder))
        if rows is None:
            raise _not_export(name, "the JSON holds no call rows (no 'value' list or array)")
        return "json", list(enumerate(rows, start=1)), bad
    except json.JSONDecodeError as exc:
        if exc.msg != "Extra data":
            raise InputError(
                f"{name}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}; "
                "a cut-off download?); save the response again"
            ) from None
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows = _json_rows(load(line))
        except json.JSONDecodeError as exc:
            bad.append(
                (line_no, f"not valid JSON ({exc.msg}; a cut-off line?); repair the line", line)
            )
            continue
        except RecursionError:
            bad.append((line_no, "JSON nested too deeply to be a call row", line[:1000]))
            continue
        entries.extend((line_no, r) for r in rows or [None])
    return "jsonl", entries, bad


class _ExactDecoder(json.JSONDecoder):
    """Numbers kept as their exact decimal text (money never goes through a float)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(parse_float=_decimal_text, parse_int=str, **kwargs)


def _row_cells(row: dict, names: list[str]) -> list[str | None]:
    """One JSON row as text cells; ValueError when a text is not valid Unicode or too deep."""
    try:
        cells = [_cell_text(row.get(k)) for k in names]
    except RecursionError:
        raise ValueError("a property is nested too deeply to be call data") from None
    for cell in cells:
        if cell is not None and not _encodable(cell):
            raise ValueError("a text holds an invalid (unpaired surrogate) character escape")
    return cells


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _json_parts(
    name: str,
    data: bytes,
    container_prefix: str = "",
    exported_period: tuple[dt.date, dt.date] | None = None,
) -> list[_Part]:
    """The parts of a JSON file: one per export format met among its rows.

    Rows are grouped by the format their own properties match (a file mixing PSTN and Direct
    Routing rows gives one part of each); a row matching no format is rejected. A saved page
    without rows (``{"value": []}``, the last page of a query) gives no part.
    """
    encoding, bom = _sniff_encoding(data[:_SNIFF_BYTES])
    try:
        text = data[bom:].decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: JSON text is not valid {encoding}: {exc}") from None
    del data
    container, entries, bad = _json_entries(name, text)
    del text
    groups: dict[str, tuple[ExportFormat, dict[str, None], list[tuple[int, dict]]]] = {}
    by_keys: dict[frozenset, ExportFormat | None] = {}
    unknown: list[tuple[int, Any]] = []
    known = _KnownProperties()
    for line_no, row in entries:
        if not isinstance(row, dict):
            bad.append((line_no, "not a JSON object with call properties", _json_raw(row)))
            continue
        # properties no format knows are left out: they cannot change the format, and rows
        # each adding their own would make a table of millions of columns
        keys = frozenset(k for k in row if known(k))
        if keys not in by_keys:
            try:
                by_keys[keys] = match_format(list(keys))
            except UnknownHeader:
                by_keys[keys] = None
        fmt = by_keys[keys]
        if fmt is None:
            unknown.append((line_no, row))
            continue
        group = groups.setdefault(fmt.name, (fmt, {}, []))
        group[1].update(dict.fromkeys(keys))
        group[2].append((line_no, row))
    if not groups:
        if not entries and not bad:
            return []  # an empty page: valid, nothing to read
        headers = list(dict.fromkeys(k for _, r in unknown for k in r))
        _match(name, headers)  # names the closest format and what it misses
    for line_no, row in unknown:
        bad.append((line_no, "the row's properties match no known export format", _json_raw(row)))
    parts = []
    for i, (fmt, header, rows) in enumerate(groups.values()):
        names = list(header)
        cells, lines = [], []
        for line_no, row in rows:
            try:
                cells.append(_row_cells(row, names))
            except ValueError as exc:
                bad.append((line_no, str(exc), _json_raw(row)))
                continue
            lines.append(line_no)
        part_bad = bad if i == 0 else []  # file-level bad rows are counted once
        part_name = name if len(groups) == 1 else f"{name} ({fmt.kind.replace('_', ' ')} rows)"
        parts.append(
            _rows_part(
                part_name,
                container_prefix + container,
                names,
                cells,
                lines,
                sorted(part_bad),
                exported_period,
                encoding,
            )
        )
    return parts


class _KnownProperties:
    """Whether a JSON property names a column of some export format (memoised)."""

    def __init__(self) -> None:
        self._keys = {
            header_key(h)
            for fmt in FORMATS
            for h in (*(s for v in fmt.columns.values() for s in v), *fmt.required,
                      *fmt.marker, *fmt.absent)
        }  # fmt: skip
        self._seen: dict[str, bool] = {}

    def __call__(self, name: Any) -> bool:
        known = self._seen.get(name)
        if known is None:
            known = self._seen[name] = header_key(str(name)) in self._keys
        return known


def _json_raw(row: Any) -> str:
    try:
        return json.dumps(row, ensure_ascii=True)[:10_000]
    except (RecursionError, TypeError, ValueError):
        return repr(row)[:1000]


# ---- containers ----------------------------------------------------------------------------

_ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP_MAGIC = b"PK\x05\x06"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"


def _kind_of_bytes(head: bytes) -> str:
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((_ZIP_MAGIC, _EMPTY_ZIP_MAGIC)):
        return "zip"
    if head.startswith(_OLE_MAGIC):
        return "ole"
    if stripped.startswith((b"{", b"[")):
        return "json"
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "binary"
    return "text"


def _is_xlsx_zip(zf: zipfile.ZipFile) -> bool:
    names = set(zf.namelist())
    return "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names)


_MIDNIGHT = re.compile(r"^[T ]00:00(:00(\.0*)?)?(Z|[+-]00:?00)?$")


def _parse_date(value: Any) -> dt.date | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        pass
    for fmt in ("%m/%d/%Y", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(value.split()[0], fmt).date()
        except ValueError:
            continue
    return None


def read_parameters(data: bytes | str) -> tuple[dt.date, dt.date] | None:
    """The exported period named in an export's ``parameters.json``.

    The start is the first date-valued key containing ``start``/``from``/``begin``, the end the
    first containing ``end``/``to``/``until`` (case-insensitive, searched at any depth). An end
    given as a time of exactly midnight (``2026-01-01T00:00:00Z``) is an exclusive bound, so
    the last day covered is the day before; a plain date is inclusive.

    Returns
    -------
    tuple[datetime.date, datetime.date] | None
        ``(start, end)``, or None when the file names no such dates.
    """
    try:
        obj = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        return None
    start = end = None
    stack = [obj]
    while stack:
        node = stack.pop(0)
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        for key, value in node.items():
            if isinstance(value, dict | list):
                stack.append(value)
                continue
            k = "".join(ch for ch in str(key).lower() if ch.isalnum())
            day = _parse_date(value)
            if day is None:
                continue
            if start is None and ("start" in k or k.startswith(("from", "begin"))):
                start = day
            elif end is None and ("end" in k or k.startswith(("to", "until"))):
                end = day
                # an end at midnight is an exclusive bound: the last day covered is before it
                if _MIDNIGHT.match(str(value)[10:]):
                    end -= dt.timedelta(days=1)
    if start is None or end is None:
        return None
    return (start, end) if start <= end else (end, start)


def _bytes_part(
    name: str,
    head: bytes,
    read_all: Callable[[int], bytes],
    open_binary: Callable[[], Any],
    prefix: str,
    period: tuple[dt.date, dt.date] | None,
) -> list[_Part]:
    kind = _kind_of_bytes(head)
    if kind == "zip":
        data = guard.read_bounded(name, read_all, guard.MAX_XLSX_BYTES, "an .xlsx workbook")
        return [_xlsx_part(name, io.BytesIO(data), prefix, period)]
    if kind == "ole":
        raise InputError(
            f"{name}: an old binary Excel .xls workbook; save it as .xlsx or CSV and retry"
        )
    if kind == "json":
        data = guard.read_bounded(name, read_all, guard.MAX_JSON_BYTES, "a JSON document")
        return _json_parts(name, data, prefix, period)
    if kind == "binary":
        raise _not_export(name, "it is a binary file, not CSV, JSON, .xlsx or .zip")
    return [_csv_part(name, open_binary, open_binary, prefix, period)]


def _zip_parts(path: Path) -> list[_Part]:
    name = str(path)
    try:
        zf = zipfile.ZipFile(path)
    except (*guard.DAMAGED, OSError) as exc:
        raise InputError(f"{name}: not a readable zip archive ({exc})") from None
    members = sorted(
        (i for i in zf.infolist() if not i.is_dir()),
        key=lambda i: i.filename,
    )
    # hidden members and macOS metadata are skipped; ``..`` is a path step, not a hidden
    # name: such a member is read like any other (nothing is ever extracted to disk)
    members = [
        i
        for i in members
        if not any(
            p.startswith((".", "__MACOSX")) and p not in ("..", ".")
            for p in i.filename.replace("\\", "/").split("/")
        )
    ]
    period = None
    for info in members:
        if Path(info.filename).name.lower() == "parameters.json":
            member_name = f"{name}!{info.filename}"
            guard.check_member(name, info)
            with guard.damaged(member_name):
                period = read_parameters(zf.open(info).read(_PARAMETERS_BYTES))
    parts = []
    for info in members:
        if Path(info.filename).name.lower() == "parameters.json":
            continue
        member_name = f"{name}!{info.filename}"
        if info.flag_bits & 0x1:
            raise InputError(f"{member_name}: the archive member is encrypted; extract it first")
        guard.check_member(name, info)

        def open_member(info: zipfile.ZipInfo = info) -> Any:
            return zf.open(info)

        def read_member(limit: int, info: zipfile.ZipInfo = info) -> bytes:
            with zf.open(info) as fh:
                return fh.read(limit)

        with guard.damaged(member_name):
            try:
                with zf.open(info) as fh:
                    head = fh.read(_SNIFF_BYTES)
            except OSError as exc:
                raise InputError(f"{member_name}: cannot read the archive member ({exc})") from None
            if not head.strip():
                # an export of a period without such calls may hold an empty member
                raise InputError(f"{member_name}: the archive member is empty")
            if _kind_of_bytes(head) == "zip":
                inner = zipfile.ZipFile(open_member())
                if not _is_xlsx_zip(inner):
                    raise InputError(f"{member_name}: a zip inside the zip; extract it first")
                guard.check_archive(member_name, inner)
            parts.extend(_bytes_part(member_name, head, read_member, open_member, "zip/", period))
    if not parts:
        raise InputError(f"{name}: the zip archive holds no usage export")
    return parts


_STRONG_EXTENSIONS = {".zip": "zip", ".xlsx": "xlsx", ".xlsm": "xlsx"}


def _file_parts(path: Path) -> list[_Part | _RecordsPart]:
    """The parts of one input file, with their formats detected from the content.

    A file reached through a symlink leading out of its folder is never quoted in an error
    (a link to a system file must not print its first line).
    """
    try:
        return _read_file_parts(path)
    except InputError as exc:
        if not guard.symlinked_outside(path):
            raise
        raise InputError(
            f"{path}: not a usage export (a link to {os.path.realpath(path)}, outside its "
            "folder; its content is not shown)"
        ) from exc


def _read_file_parts(path: Path) -> list[_Part | _RecordsPart]:
    name = str(path)
    guard.regular_file(path)
    try:
        with path.open("rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except OSError as exc:
        raise InputError(f"{name}: cannot read the file ({exc.strerror or exc})") from None
    if not head.strip():
        raise InputError(f"{name}: the file is empty; export the usage report again")
    records = _records_part(path, head)
    if records is not None:
        return [records]
    kind = _kind_of_bytes(head)
    claimed = _STRONG_EXTENSIONS.get(path.suffix.lower())
    xlsx = False
    if kind == "zip":
        try:
            with zipfile.ZipFile(path) as zf:
                xlsx = _is_xlsx_zip(zf)
                if xlsx:
                    guard.check_archive(name, zf)
        except (*guard.DAMAGED, OSError) as exc:
            raise InputError(f"{name}: a damaged zip archive ({exc})") from None
    actual = "xlsx" if xlsx else kind
    if claimed == "zip" and actual != "zip":
        raise InputError(f"{name}: named .zip but is not a zip archive (it is {_describe(actual)})")
    if claimed == "xlsx" and actual != "xlsx":
        raise InputError(
            f"{name}: named {path.suffix} but is not an Excel workbook (it is "
            f"{_describe(actual)}); give the file its real extension or save it again from Excel"
        )
    period = _sibling_period(path)
    if actual == "zip":
        return _zip_parts(path)
    if kind == "binary":
        raise _not_export(name, "it is a binary file, not CSV, JSON, .xlsx or .zip")
    if kind == "text":  # pyarrow reads the path itself: native I/O
        return [_csv_part(name, lambda: path.open("rb"), str(path), "", period)]

    def read_all(limit: int) -> bytes:
        with path.open("rb") as fh:
            return fh.read(limit)

    return _bytes_part(name, head, read_all, lambda: path.open("rb"), "", period)


_PARAMETERS_BYTES = 1 << 20


def _sibling_period(path: Path) -> tuple[dt.date, dt.date] | None:
    """The exported period of the ``parameters.json`` beside ``path``, if any."""
    sibling = path.with_name("parameters.json")
    try:
        if not sibling.is_file():
            return None
        with sibling.open("rb") as fh:
            return read_parameters(fh.read(_PARAMETERS_BYTES))
    except OSError:
        return None  # metadata only: an unreadable one does not stop the export


def _describe(kind: str) -> str:
    return {
        "zip": "a zip archive",
        "xlsx": "an Excel workbook",
        "ole": "an old binary .xls workbook",
        "json": "JSON text",
        "text": "text, perhaps CSV",
        "binary": "binary data",
    }.get(kind, kind)


def input_bytes(paths: Iterable[str | Path]) -> int:
    """Size of the inputs once unpacked: file sizes, zip members at their uncompressed size.

    Raises
    ------
    InputError
        As :func:`expand_paths`.
    """
    total = 0
    for path in expand_paths(paths):
        size = path.stat().st_size
        if zipfile.is_zipfile(path):
            try:
                with zipfile.ZipFile(path) as zf:
                    size = max(size, sum(i.file_size for i in zf.infolist()))
            except (zipfile.BadZipFile, OSError):
                pass  # reported when the file is read
        total += size
    return total


def detect_format(path: str | Path) -> str:
    """The export format of a file, detected from its content.

    Returns
    -------
    str
        A name from :data:`planner.formats.FORMAT_NAMES`; for a zip archive holding several
        exports, their names joined with ``+`` in member order.

    Raises
    ------
    InputError
        When the file is missing, empty, unreadable or not a usage export.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    names = [p.format_name for p in _file_parts(path)]
    return "+".join(dict.fromkeys(names))


def _input_parts(
    inputs: list[Input],
) -> tuple[list[_Part | _RecordsPart], list[tuple[str, str]]]:
    """The parts of every input, and the files skipped as not usage exports.

    A named file that cannot be read raises; a file found in a folder is skipped with a
    warning on the ``planner`` logger.

    Raises
    ------
    InputError
        A named file is not an export, or no file found is one.
    """
    parts: list[_Part | _RecordsPart] = []
    skipped: list[tuple[str, str]] = []
    for item in inputs:
        try:
            parts.extend(_file_parts(item.path))
        except InputError as exc:
            if item.named:
                raise
            reason = str(exc).removeprefix(f"{item.path}: ")
            # the columns a format misses matter for a file meant as an export, not here
            reason = reason.split(": closest is ")[0].split(": a mix of ")[0]
            skipped.append((str(item.path), reason))
            _log.warning("skipped %s: %s", item.path, reason)
    if not parts:
        shown = ", ".join(Path(p).name for p, _ in skipped[:5])
        more = f" and {len(skipped) - 5} more" if len(skipped) > 5 else ""
        raise InputError(f"no usage export found (skipped {shown}{more})")
    return parts, skipped


def check_inputs(paths: Iterable[str | Path] | str | Path) -> list[tuple[str, str]]:
    """Check that the inputs are usage exports, reading headers only.

    Returns
    -------
    list[tuple[str, str]]
        Files found in folders that are not usage exports and will be skipped: (path, reason).

    Raises
    ------
    InputError
        As :func:`iter_records` before its first chunk.
    """
    return _input_parts(discover(paths))[1]


# --------------------------------------------------------------------------------------------
# Conversion: text columns -> canonical records (vectorised; per-row Python only for rejects)
# --------------------------------------------------------------------------------------------

_MONEY_RE = r"^(?P<sign>[+-]?)(?P<int>\d{0,40})(?:\.(?P<frac>\d*))?$"
#: integer digits of the exports' numeric(16,2) money: larger amounts are refused
_MONEY_INT_DIGITS = 14
#: the sum of all amounts' magnitudes (cents) beyond which totals could overflow int64
_MAX_TOTAL_CENTS = float(2**62)
#: the longest call duration accepted (a week): longer ones would only overflow call costs
_MAX_CALL_SECONDS = 7 * 24 * 3600
_INT_RE = r"^(?P<sign>[+-]?)(?P<int>\d{1,15})(?:[.,](?P<frac>\d*))?$"
# (a leading group never starts with 0: ``0,125`` is a decimal comma, not a thousand)
_GROUPED_COMMA = r"^[+-]?[1-9]\d{0,2}(,\d{3})+(\.\d*)?$"


def _blank_to_null(arr: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Empty strings (a cell of blanks, once trimmed) as missing values."""
    empty = pc.equal(arr, "")
    if not pc.any(empty).as_py():
        return arr
    return pc.if_else(empty, pa.scalar(None, pa.string()), arr)


def _np_mask(arr: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A boolean Arrow array as a numpy bool array (null = False)."""
    out = pc.fill_null(arr, False).to_numpy(zero_copy_only=False)
    return out.astype(bool, copy=not out.flags.writeable)


def _normalise_decimal(s: pa.ChunkedArray, decimal_mark: str) -> pa.ChunkedArray:
    """Decimal text with ``.`` as the only decimal mark and no digit grouping."""
    s = pc.utf8_trim_whitespace(s)
    if pc.any(pc.match_substring_regex(s, r"[\s\x{00a0}\x{202f}']")).as_py():
        s = pc.replace_substring_regex(s, r"[\s\x{00a0}\x{202f}']", "")
    has_comma = pc.match_substring(s, ",")
    if not pc.any(has_comma).as_py():
        return s
    if decimal_mark == ",":
        fixed = pc.replace_substring(pc.replace_substring(s, ".", ""), ",", ".")
    else:
        grouped = pc.match_substring_regex(s, _GROUPED_COMMA)
        fixed = pc.if_else(
            grouped, pc.replace_substring(s, ",", ""), pc.replace_substring(s, ",", ".")
        )
    return pc.if_else(has_comma, fixed, s)


def _decimal_cents(s: pa.ChunkedArray) -> pa.Array | None:
    """Fast path: plain decimal text (``1.20``, ``-0.5``) -> cents, or None if any is not.

    Arrow's decimal parser refuses values that would lose digits at scale 2, so a value with
    more than two significant decimals sends the column to the slow path that names it.
    """
    try:
        dec = pc.cast(s, pa.decimal128(2 + _MONEY_INT_DIGITS, 2))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    # (two plain searches: much faster than one ignoring case)
    if pc.any(pc.match_substring(s, "e")).as_py() or pc.any(pc.match_substring(s, "E")).as_py():
        return None  # exponent notation: refused on the slow path, whatever the other rows
    if isinstance(dec, pa.ChunkedArray):
        dec = dec.combine_chunks()
    # the unscaled value (cents) is the low 64-bit word of each 128-bit two's complement
    # integer: exact for |value| < 10**16 (precision 16)
    words = np.frombuffer(dec.buffers()[1], dtype="<i8")
    cents = words[2 * dec.offset : 2 * (dec.offset + len(dec)) : 2]
    valid = _np_mask(pc.is_valid(dec))
    return pa.array(cents, type=pa.int64(), mask=~valid)


def _parse_cents(
    s: pa.ChunkedArray, decimal_mark: str
) -> tuple[pa.Array, np.ndarray, np.ndarray, np.ndarray]:
    """Money text -> (cents int64 with nulls, not-a-number, over-two-decimals, too-large masks).

    Too large means beyond the exports' numeric(16,2): more than 14 integer digits.
    """
    n = len(s)
    # (text with a comma never passes the fast path, so the decimal mark does not matter there)
    fast = _decimal_cents(s)
    if fast is not None:
        return fast, np.zeros(n, dtype=bool), np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    present = _np_mask(pc.is_valid(s))
    parts = pc.extract_regex(_normalise_decimal(s, decimal_mark), _MONEY_RE)
    ok = _np_mask(pc.is_valid(parts))
    whole = pc.struct_field(parts, "int")
    frac = pc.struct_field(parts, "frac")
    digits = pc.greater(pc.add(pc.utf8_length(whole), pc.utf8_length(frac)), 0)
    ok &= _np_mask(digits)
    bad_number = present & ~ok
    excess = pc.match_substring_regex(pc.utf8_slice_codeunits(frac, 2), "[1-9]")
    too_fine = present & ok & _np_mask(excess)
    significant = pc.utf8_ltrim(whole, characters="0")
    too_large = present & ok & _np_mask(pc.greater(pc.utf8_length(significant), _MONEY_INT_DIGITS))
    usable = pa.array(ok & ~too_large)
    whole = pc.if_else(usable, pc.if_else(pc.equal(significant, ""), "0", significant), "0")
    whole_i = pc.cast(whole, pa.int64())
    cents_txt = pc.utf8_rpad(pc.utf8_slice_codeunits(frac, 0, 2), width=2, padding="0")
    cents = pc.add(pc.multiply(whole_i, 100), pc.cast(cents_txt, pa.int64()))
    cents = pc.if_else(pc.equal(pc.struct_field(parts, "sign"), "-"), pc.negate(cents), cents)
    keep = pa.array(ok & ~too_fine & ~too_large)
    return pc.if_else(keep, cents, pa.scalar(None, pa.int64())), bad_number, too_fine, too_large


def _parse_duration(s: pa.ChunkedArray) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """Whole seconds -> (int64 with nulls, not-a-whole-number mask, negative mask)."""
    try:
        value = pc.cast(s, pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass  # "219.0", blanks around the digits or bad values: the regex path below
    else:
        negative = _np_mask(pc.less(value, 0))
        if negative.any():
            value = pc.if_else(pa.array(negative), pa.scalar(None, pa.int64()), value)
        return value, np.zeros(len(s), dtype=bool), negative
    present = _np_mask(pc.is_valid(s))
    parts = pc.extract_regex(pc.utf8_trim_whitespace(s), _INT_RE)
    ok = _np_mask(pc.is_valid(parts))
    frac = pc.struct_field(parts, "frac")
    ok &= ~_np_mask(pc.match_substring_regex(frac, "[1-9]"))
    value = pc.cast(pc.struct_field(parts, "int"), pa.int64())
    negative = (
        ok
        & _np_mask(pc.equal(pc.struct_field(parts, "sign"), "-"))
        & _np_mask(pc.greater(value, 0))
    )
    keep = pa.array(ok & ~negative)
    return pc.if_else(keep, value, pa.scalar(None, pa.int64())), present & ~ok, negative


def _parse_time(s: pa.ChunkedArray, dayfirst: bool) -> tuple[pa.Array, np.ndarray]:
    """Time text -> (UTC timestamps with nulls, unparseable mask)."""
    try:
        return pc.cast(s, _TS), np.zeros(len(s), dtype=bool)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass  # some value is not strict ISO 8601 with a zone: the slower, lenient path
    text = pd.Series(s.to_pandas(), dtype="string").str.strip()
    parsed = pd.to_datetime(text, utc=True, format="ISO8601", errors="coerce")
    formats = _DAYFIRST_FORMATS if dayfirst else _MONTHFIRST_FORMATS
    for fmt in formats:
        todo = parsed.isna() & text.notna()
        if not todo.any():
            break
        parsed = parsed.where(
            ~todo, pd.to_datetime(text.where(todo), utc=True, format=fmt, errors="coerce")
        )
    bad = (parsed.isna() & text.notna()).to_numpy(bool)
    ts = pa.array(parsed.dt.as_unit("ns"), type=_TS, from_pandas=True)
    return ts, bad


def _direction_from_call_type(call_type: pa.ChunkedArray) -> pa.Array:
    # a handful of call types: match the patterns once per distinct value
    kinds = pc.unique(call_type)
    inbound = pc.match_substring_regex(kinds, r"^byotin|(^|_)in($|_)")
    outbound = pc.match_substring_regex(kinds, r"^byotout|(^|_)out($|_)")
    null = pa.scalar(None, pa.string())
    direction = pc.if_else(inbound, "inbound", pc.if_else(outbound, "outbound", null))
    return pc.take(direction, pc.index_in(call_type, value_set=kinds))


def _parse_success(s: pa.ChunkedArray) -> pa.Array:
    low = pc.utf8_lower(pc.utf8_trim_whitespace(s))
    yes = pc.is_in(low, pa.array(["yes", "true", "1", "y"]))
    no = pc.is_in(low, pa.array(["no", "false", "0", "n"]))
    null = pa.scalar(None, pa.bool_())
    return pc.if_else(yes, True, pc.if_else(no, False, null))


def _raw_text(table: pa.Table, index: int, delimiter: str = ",") -> str:
    buf = io.StringIO()
    row = table.slice(index, 1).to_pylist()[0]
    csv.writer(buf, delimiter=delimiter, lineterminator="").writerow(
        ["" if v is None else v for v in row.values()]
    )
    return buf.getvalue()


def _not_iso_currency(currency: pa.ChunkedArray) -> np.ndarray:
    """Which currencies are not three capital letters (matched once per distinct value)."""
    kinds = pc.drop_null(pc.unique(currency))
    bad = kinds.filter(pc.invert(pc.match_substring_regex(kinds, r"^[A-Z]{3}$")))
    if not len(bad):
        return np.zeros(len(currency), dtype=bool)
    return _np_mask(pc.is_in(currency, value_set=bad))


def _not_money(label: str, text: str) -> str:
    if "e" in text.lower() and any(ch.isdigit() for ch in text):
        return (
            f"{label} {text!r} is in exponent notation, which Excel uses when it shortens a "
            "number (digits may be lost); write the amount in full"
        )
    return f"{label} {text!r} is not an amount of money"


def _label(cmap: dict[str, list[str]], column: str) -> str:
    return cmap[column][0]


def convert(
    table: pa.Table,
    fmt: ExportFormat,
    headers: list[str],
    *,
    decimal_mark: str = ".",
    dayfirst: bool = False,
) -> tuple[pa.Table, np.ndarray, dict[int, list[str]]]:
    """Convert text columns of one export into canonical columns.

    Parameters
    ----------
    table : pyarrow.Table
        String columns named as in the source header (missing values null).
    fmt : ExportFormat
        The export format of the header.
    headers : list[str]
        The source header, in file order (duplicate names already made unique in ``table``).
    decimal_mark : str
        ``","`` for files written with a decimal comma.
    dayfirst : bool
        Read text dates like ``01/11/2019`` day first.

    Returns
    -------
    (pyarrow.Table, numpy.ndarray, dict[int, list[str]])
        The canonical columns present in this format (all rows, without ``source_*`` and
        ``kind``), a boolean mask of the rows to reject, and their reasons by row index.
    """
    cmap = fmt.column_map(headers)
    n = table.num_rows
    out: dict[str, Any] = {}
    problems: list[tuple[np.ndarray, Callable[[int], str]]] = []

    def source(column: str) -> pa.ChunkedArray | None:
        names = cmap.get(column)
        if not names:
            return None
        arrays = [table.column(name) for name in names]
        return arrays[0] if len(arrays) == 1 else pc.coalesce(*arrays)

    def value(arr: Any, i: int) -> str:
        return str(arr[i].as_py())

    for column in _TEXT_COLUMNS:
        arr = source(column)
        if arr is None:
            continue
        if column in _TEXT_TRIM:  # ids compare as Microsoft compares them: without blanks
            arr = _blank_to_null(pc.utf8_trim_whitespace(arr))
        if column in _TEXT_LOWER:
            arr = pc.utf8_lower(arr)
        elif column in _TEXT_UPPER:
            arr = pc.utf8_upper(pc.utf8_trim_whitespace(arr))
        out[column] = arr

    if "call_type" in out:
        derived = _direction_from_call_type(out["call_type"])
        out["call_direction"] = (
            pc.coalesce(out["call_direction"], derived) if "call_direction" in out else derived
        )

    uid_label = _label(cmap, "usage_id")
    problems.append(
        (
            _np_mask(pc.is_null(out["usage_id"])),
            lambda i: f"{uid_label} is empty: every row needs its id; re-export the file",
        )
    )

    for column, required in (("start", True), ("end", False)):
        arr = source(column)
        if arr is None:
            continue
        label = _label(cmap, column)
        ts, bad = _parse_time(arr, dayfirst)
        out[column] = ts
        problems.append(
            (
                bad,
                lambda i, a=arr, lab=label: (
                    f"{lab} {value(a, i)!r} is not a date-time "
                    "(expected ISO 8601 such as 2019-11-01T00:00:08Z)"
                ),
            )
        )
        if required:
            problems.append(
                (
                    _np_mask(pc.is_null(arr)),
                    lambda i, lab=label: f"{lab} is empty: the call cannot be placed in time",
                )
            )

    arr = source("duration_s")
    if arr is not None:
        label = _label(cmap, "duration_s")
        seconds, bad, negative = _parse_duration(arr)
        out["duration_s"] = seconds
        problems.append(
            (bad, lambda i, a=arr, lab=label: f"{lab} {value(a, i)!r} is not a whole number")
        )
        problems.append(
            (negative, lambda i, a=arr, lab=label: f"{lab} {value(a, i)!r} is negative")
        )
        problems.append(
            (
                _np_mask(pc.greater(seconds, _MAX_CALL_SECONDS)),
                lambda i, a=arr, lab=label: (
                    f"{lab} {value(a, i)!r} is longer than a week: not a call's duration"
                ),
            )
        )

    money_nonzero = np.zeros(n, dtype=bool)
    for column in ("charge_cents", "connection_fee_cents"):
        arr = source(column)
        if arr is None:
            continue
        label = _label(cmap, column)
        cents, bad, too_fine, too_large = _parse_cents(arr, decimal_mark)
        out[column] = cents
        money_nonzero |= _np_mask(pc.not_equal(cents, 0))
        problems.append((bad, lambda i, a=arr, lab=label: _not_money(lab, value(a, i))))
        problems.append(
            (
                too_large,
                lambda i, a=arr, lab=label: (
                    f"{lab} {value(a, i)!r} is beyond the exports' numeric(16,2) money "
                    "(14 digits before the decimal mark); the value looks altered"
                ),
            )
        )
        problems.append(
            (
                too_fine,
                lambda i, a=arr, lab=label: (
                    f"{lab} {value(a, i)!r} has more than 2 decimals: money is kept exact "
                    "to the cent, so the value looks altered; correct it or re-export"
                ),
            )
        )
    if fmt.has_money:
        currency = out.get("currency")
        no_currency = np.ones(n, dtype=bool) if currency is None else _np_mask(pc.is_null(currency))
        cur_label = cmap.get("currency", ["Currency"])[0]
        if currency is not None:
            not_iso = _not_iso_currency(currency)
            problems.append(
                (
                    not_iso,
                    lambda i, a=currency, lab=cur_label: (
                        f"{lab} {value(a, i)[:40]!r} is not a three-letter ISO 4217 code"
                    ),
                )
            )
        problems.append(
            (
                money_nonzero & no_currency,
                lambda i: f"an amount of money without a {cur_label}: add the currency code",
            )
        )

    arr = source("success")
    if arr is not None:
        out["success"] = _parse_success(arr)

    reject = np.zeros(n, dtype=bool)
    for mask, _ in problems:
        reject |= mask
    reasons: dict[int, list[str]] = {}
    if reject.any():
        for mask, message in problems:
            for i in np.flatnonzero(mask):
                reasons.setdefault(int(i), []).append(message(int(i)))
    return pa.table(out), reject, reasons


_ARROW_TYPES = {
    "string": pa.string(),
    "Int64": pa.int64(),
    "boolean": pa.bool_(),
    "datetime64[ns, UTC]": _TS,
}
_PANDAS_TYPES = {
    pa.string(): pd.StringDtype(),
    pa.large_string(): pd.StringDtype(),
    pa.int64(): pd.Int64Dtype(),
    pa.bool_(): pd.BooleanDtype(),
}
_RECORD_SCHEMA = pa.schema([(c, _ARROW_TYPES[t]) for c, t in RECORD_DTYPES.items()])


def _record_table(canonical: pa.Table, kind: str, source_file: str, lines: np.ndarray) -> pa.Table:
    """Canonical columns of one chunk -> the full record table (Arrow types, canonical order)."""
    n = canonical.num_rows
    given = dict(zip(canonical.column_names, canonical.columns, strict=True))
    given["kind"] = pa.repeat(pa.scalar(kind), n)
    given["source_file"] = pa.repeat(pa.scalar(source_file), n)
    given["source_row"] = pa.array(lines, pa.int64())
    columns = [
        given[f.name].cast(f.type) if f.name in given else pa.nulls(n, f.type)
        for f in _RECORD_SCHEMA
    ]
    return pa.Table.from_arrays(columns, schema=_RECORD_SCHEMA)


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


def records_arrow_schema() -> pa.Schema:
    """The Arrow schema of record tables as pandas writes them (with pandas' metadata).

    Tables cast to it and written to Parquet read back with :func:`pandas.read_parquet` as
    the canonical DataFrame (:data:`planner.schema.RECORD_DTYPES`).
    """
    return pa.Schema.from_pandas(empty_records(), preserve_index=False)


def _rejects_frame(rows: list[tuple[str, int, str, str]]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(REJECT_COLUMNS))
    return df.astype(
        {"source_file": "string", "source_row": "Int64", "reason": "string", "raw": "string"}
    )


def _credit_cents_arrow(table: pa.Table) -> dict[str, int]:
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


def _money_magnitude(table: pa.Table) -> float:
    """Sum of the absolute charges and fees of a record table, in cents (as a float)."""
    total = 0.0
    for column in ("charge_cents", "connection_fee_cents"):
        magnitude = pc.sum(pc.abs(table[column]).cast(pa.float64(), safe=False)).as_py()
        total += magnitude or 0.0
    return total


def credit_spend_arrow(records: pa.Table) -> dict[str, decimal.Decimal]:
    """:func:`credit_spend` of a record table in Arrow form."""
    return _amounts(_credit_cents_arrow(records))


def _day(ns: int) -> dt.date:
    return np.datetime64(ns, "ns").astype("datetime64[D]").item()


# --------------------------------------------------------------------------------------------
# Streaming, de-duplication and accounting
# --------------------------------------------------------------------------------------------


_HASH_MAX_BYTES = 64


def _key_hashes(keys: pa.Array) -> np.ndarray | None:
    """64-bit hashes of short text keys (their length mixed in), computed with numpy.

    None when a key is missing or longer than :data:`_HASH_MAX_BYTES` bytes.
    """
    if keys.type != pa.string() or keys.null_count:
        return None
    n = len(keys)
    if n == 0:
        return np.zeros(0, dtype=np.uint64)
    offsets = np.frombuffer(keys.buffers()[1], dtype=np.int32)[keys.offset : keys.offset + n + 1]
    lengths = np.diff(offsets)
    width = int(lengths.max())
    if width > _HASH_MAX_BYTES:
        return None
    padded = np.zeros((n, max(1, -(-width // 8)) * 8), dtype=np.uint8)
    if width:
        data = np.frombuffer(keys.buffers()[2], dtype=np.uint8)
        if (lengths == width).all():  # ids of one length (GUIDs): the bytes as they lie
            padded[:, :width] = data[offsets[0] : offsets[-1]].reshape(n, width)
        else:
            cols = np.arange(width)
            inside = cols < lengths[:, None]
            view = padded[:, :width]
            view[inside] = data[(offsets[:-1, None] + cols)[inside]]
    h = lengths.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    # one round per 8 bytes of each key's own length: a key hashes alike in every chunk
    for j, word in enumerate(padded.view("<u8").T):
        mixed = (h ^ word) * np.uint64(0xFF51AFD7ED558CCD)
        mixed ^= mixed >> np.uint64(33)
        h = mixed if width == lengths.min() else np.where(lengths > 8 * j, mixed, h)
    return h


def _duplicated_within(keys: pa.Array) -> np.ndarray:
    """Which keys repeat one earlier in ``keys`` (exact)."""
    n = len(keys)
    dup = np.zeros(n, dtype=bool)
    distinct = pc.unique(keys)
    if len(distinct) < n:
        group = pc.index_in(keys, value_set=distinct).to_numpy(zero_copy_only=False)
        _, first = np.unique(group, return_index=True)
        dup[:] = True
        dup[first] = False
    return dup


def _in_seen(keys: pa.Array, seen: pa.Array) -> np.ndarray:
    """Which keys are in ``seen`` (exact)."""
    # the set to look up in is hashed on every call: hash the keys, look the seen ids up in
    # them, then the keys up in the few seen ids that matched
    again = pc.is_in(seen, value_set=keys)
    if not pc.any(again).as_py():
        return np.zeros(len(keys), dtype=bool)
    return _np_mask(pc.is_in(keys, value_set=seen.filter(again)))


class _Seen:
    """The record ids already kept, per kind, to drop later occurrences (first one wins).

    Ids are GUIDs, compared case-insensitively (Graph writes them in lower case). Besides
    the ids, a sorted array of their 64-bit hashes answers "seen before?" for a new chunk
    without hashing every id seen so far again; an id whose hash matches is then compared
    exactly, so a hash collision never drops a record.
    """

    def __init__(self) -> None:
        self._ids: dict[str, pa.Array] = {}
        # sorted hashes of _ids[kind]; None once an id of that kind could not be hashed
        self._hashes: dict[str, np.ndarray | None] = {}

    def duplicated(
        self, kind: str, ids: pa.ChunkedArray | pa.Array, *, remember: bool = True
    ) -> np.ndarray:
        """Which of ``ids`` were seen before (in earlier calls or earlier in ``ids``).

        ``remember=False`` skips storing the new ids, for the last chunk of all.
        """
        keys = pc.utf8_lower(ids)
        if isinstance(keys, pa.ChunkedArray):
            keys = keys.combine_chunks()
        seen = self._ids.get(kind)
        known = self._hashes.get(kind) if seen is not None else np.zeros(0, dtype=np.uint64)
        h = _key_hashes(keys) if known is not None else None
        if h is None:
            dup = _duplicated_within(keys)
            if seen is not None and len(seen):
                dup |= _in_seen(keys, seen)
        else:
            order = np.argsort(h)
            ordered = h[order]
            if (ordered[1:] == ordered[:-1]).any():  # a repeated id, or two ids with one hash
                dup = _duplicated_within(keys)
            else:
                dup = np.zeros(len(keys), dtype=bool)
            if len(known):
                # looked up in sorted order: the searches walk ``known`` front to back
                at = np.searchsorted(known, ordered).clip(max=len(known) - 1)
                hit = np.empty(len(keys), dtype=bool)
                hit[order] = known[at] == ordered
                if hit.any():
                    where = np.flatnonzero(hit)
                    dup[where[_in_seen(keys.take(pa.array(where)), seen)]] = True
        if remember:
            kept = keys.filter(pa.array(~dup)) if dup.any() else keys
            self._ids[kind] = kept if seen is None else pa.concat_arrays([seen, kept])
            self._hashes[kind] = (
                None
                if h is None
                # two sorted runs: the stable sort merges them in linear time
                else np.sort(np.concatenate([known, ordered[~dup[order]]]), kind="stable")
            )
        return dup


def _duplicated_records(seen: _Seen, records: pa.Table, *, remember: bool = True) -> np.ndarray:
    """Which rows of a record table (any mix of kinds) were seen before."""
    dup = np.zeros(records.num_rows, dtype=bool)
    kinds = pc.fill_null(records["kind"], "")
    for kind in pc.unique(kinds).to_pylist():
        where = np.flatnonzero(_np_mask(pc.equal(kinds, kind)))
        ids = records["usage_id"].take(pa.array(where))
        dup[where] = seen.duplicated(kind, ids, remember=remember)
    return dup


class RecordIds:
    """The record ids kept so far, to drop a record seen before (de-duplication on
    ``(kind, usage_id)``, ids compared case-insensitively, as across the files of an ingest).
    """

    def __init__(self) -> None:
        self._seen = _Seen()

    def duplicated(self, records: pa.Table, *, remember: bool = True) -> np.ndarray:
        """Which rows of ``records`` (canonical Arrow table) were seen before, or earlier in
        ``records``; with ``remember`` the others are remembered."""
        return _duplicated_records(self._seen, records, remember=remember)


class RecordStream(_Accounting):
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
        self._parts, self.skipped = _input_parts(inputs)
        self.files: list[FileReport] = []
        self._rejects: list[tuple[str, int, str, str]] = []
        self._credit_cents: dict[str, int] = {}
        self._money_magnitude = 0.0  # sum of |cents| so far: int64 totals never overflow
        self._started = False
        self.finished = False

    def credit_spend(self) -> dict[str, decimal.Decimal]:
        """Communications Credits spend per currency of the records yielded so far."""
        return _amounts(self._credit_cents)

    @property
    def rejects(self) -> pd.DataFrame:
        """Rejected rows read so far (:data:`planner.schema.REJECT_COLUMNS`)."""
        return _rejects_frame(self._rejects)

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
        seen = _Seen()
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
                if isinstance(part, _RecordsPart):
                    yield from self._read_records_part(part, report, seen)
                else:
                    yield from self._read_part(part, report, seen)
        self.finished = True

    def _read_records_part(
        self, part: _RecordsPart, report: FileReport, seen: _Seen
    ) -> Iterator[pa.Table]:
        """Chunks of a planner record table: already canonical, only de-duplicated."""
        for records in part.tables(self.chunk_rows):
            n = records.num_rows
            report.rows += n
            lines = np.arange(report.rows - n + 2, report.rows + 2)  # header = line 1
            unusable = _np_mask(pc.is_null(records["usage_id"])) | _np_mask(
                pc.is_null(records["start"])
            )
            if unusable.any():
                for i in np.flatnonzero(unusable):
                    self._rejects.append((part.name, int(lines[i]), "missing id or start time", ""))
                report.rejected += int(unusable.sum())
                records = records.filter(pa.array(~unusable))
            dup = _duplicated_records(seen, records)
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
        first, last = _day(span["min"].as_py()), _day(span["max"].as_py())
        report.period_start = min(filter(None, (report.period_start, first)))
        report.period_end = max(filter(None, (report.period_end, last)))
        self._money_magnitude += _money_magnitude(records)
        if self._money_magnitude > _MAX_TOTAL_CENTS:
            raise InputError(
                f"{name}: the amounts add up to more than "
                f"{_MAX_TOTAL_CENTS / 100:,.0f}, beyond what can be totalled exactly; "
                "the values look altered"
            )
        for currency, cents in _credit_cents_arrow(records).items():
            self._credit_cents[currency] = self._credit_cents.get(currency, 0) + cents

    def _read_part(self, part: _Part, report: FileReport, seen: _Seen) -> Iterator[pa.Table]:
        batches = part.batches(self.chunk_rows)
        while (raw := next(batches, None)) is not None:
            report.encoding = part.encoding
            report.rows += raw.table.num_rows + len(raw.bad)
            rejected = [(part.name, line, reason, text) for line, reason, text in raw.bad]
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
                    raw_text = _raw_text(raw.table, i, part.delimiter)
                    rejected.append((part.name, int(lines[i]), "; ".join(why), raw_text))
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
            records = _record_table(canonical, part.fmt.kind, part.name, lines)
            del canonical
            report.records += records.num_rows
            if records.num_rows:
                self._account(report, records, part.name)
                box = [records]  # hand over without keeping a name (see _csv_batches)
                del records
                yield box.pop()


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


def read_exports(paths: Iterable[str | Path] | str | Path) -> IngestResult:
    """Read usage exports into one canonical, de-duplicated record table.

    Parameters
    ----------
    paths : iterable of str or Path
        Files, folders (searched recursively, hidden files skipped) and glob patterns. Earlier
        files win when the same record appears twice.

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
