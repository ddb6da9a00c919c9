"""CSV and text exports: encoding and separator sniffing, block parsing, rows that cannot be
split into fields."""

from __future__ import annotations

import csv
import datetime as dt
import logging
import re
import sys
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv

from planner import guard
from planner.errors import InputError
from planner.formats import UnknownHeader, match_format
from planner.ingest.parts import (
    NULL_TOKENS,
    SNIFF_BYTES,
    Part,
    Raw,
    above_header,
    match_header,
    unique_names,
    warn_above_header,
)
from planner.ingest.prefetch import PREFETCH_DEPTH, prefetch

# the CSV reader matches null values exactly: list the spellings met in practice
_CSV_NULLS = sorted(
    {f(t) for t in NULL_TOKENS for f in (str.lower, str.upper, str.capitalize, str.title)}
)

_log = logging.getLogger(__name__)

_ENCODING_SNIFF_BYTES = 1 << 20
_BLOCK_BYTES = 2 << 20
#: lines a CSV may hold above its header (a title, the report's filters, blank lines)
MAX_PREAMBLE_LINES = 10
#: line ends as the CSV parser knows them (``str.splitlines`` knows more)
_LINE_END = re.compile(r"\r\n|\r|\n")


def sniff_encoding(head: bytes) -> tuple[str, int]:
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
    """The first bytes of a text file: at least its first lines (a ``sep=`` line, a few
    lines above the header and the header, however long, up to
    :data:`planner.guard.MAX_LINE_BYTES`)."""
    head = fh.read(SNIFF_BYTES)
    while head.count(b"\n") < MAX_PREAMBLE_LINES + 3 and len(head) <= guard.MAX_LINE_BYTES:
        more = fh.read(max(SNIFF_BYTES, len(head)))
        if not more:
            break
        head += more
    return head


@dataclass
class _CsvLayout:
    """How a CSV is written, judged from its first lines."""

    encoding: str
    bom: int  # length of the byte-order mark
    skip: int  # lines before the header (a ``sep=;`` line, a title, blank lines)
    delimiter: str
    headers: list[str]
    row_bytes: int  # about how long a row is, from the first lines
    header_bytes: int
    #: the lines above the header that are not blank nor a ``sep=`` line: ``(line, text)``
    preamble: list[tuple[int, str]]

    @property
    def container(self) -> str:
        """``csv``, ``csv;`` (semicolons), ``tsv`` or ``csv`` and the separator."""
        return {",": "csv", ";": "csv;", "\t": "tsv"}.get(self.delimiter, f"csv{self.delimiter}")


def _header_at(lines: list[str], skip: int, delimiter: str | None) -> tuple[int, str]:
    """The index of the header line, at ``skip`` or up to :data:`MAX_PREAMBLE_LINES` lines
    below it (a title above the header), and its separator. With no line reading as an
    export's header, ``skip``: its header is the one the error names."""
    for i in range(skip, min(len(lines), skip + MAX_PREAMBLE_LINES + 1)):
        sep = delimiter or _sniff_dialect(lines[i])
        try:
            match_format(_split_header(lines[i], sep))
        except UnknownHeader:
            continue
        return i, sep
    return skip, delimiter or _sniff_dialect(lines[skip] if len(lines) > skip else "")


def _split_header(line: str, delimiter: str) -> list[str]:
    return [h.strip().lstrip("\ufeff") for h in next(csv.reader([line], delimiter=delimiter), [])]


def _csv_layout(name: str, head: bytes, enc_sample: bytes) -> _CsvLayout:
    """Encoding, ``sep=`` line, lines above the header, separator and header of a CSV from
    its first bytes."""
    encoding, bom = sniff_encoding(enc_sample)
    # (a UTF-16 codec needs its byte-order mark to know the byte order)
    text = head[0 if encoding == "utf-16" else bom :].decode(encoding, errors="replace")
    text = text.lstrip("\ufeff")
    lines = _LINE_END.split(text)
    if lines and not lines[-1]:
        lines.pop()  # the text after the last line end
    first_line = 0
    delimiter = None
    if lines and lines[0].lower().startswith("sep=") and len(lines[0]) <= 6:
        delimiter = lines[0][4:5] or ","
        first_line = 1
    if len(lines) <= first_line + 1 and len(head) > guard.MAX_LINE_BYTES:
        raise InputError(
            "{name}: the header line is longer than {mib} MiB; not a usage export",
            name=name,
            mib=guard.MAX_LINE_BYTES >> 20,
        )
    skip, delimiter = _header_at(lines, first_line, delimiter)
    first = lines[skip] if len(lines) > skip else ""
    return _CsvLayout(
        encoding,
        bom,
        skip,
        delimiter,
        _split_header(first, delimiter),
        row_bytes=max(64, len(head) // max(1, len(lines))),
        header_bytes=len(first.encode("utf-8", "replace")),
        preamble=[(i + 1, lines[i]) for i in range(first_line, skip) if lines[i].strip()],
    )


def csv_part(
    name: str,
    open_binary: Callable[[], Any],
    source: Any,
    container_prefix: str = "",
    exported_period: tuple[dt.date, dt.date] | None = None,
) -> Part:
    """A CSV part; ``source`` is what pyarrow reads (a path or a callable opening a stream)."""
    with open_binary() as fh:
        head = _read_head(fh)
        # a French Excel's first accented letter may come late: judge the encoding on more
        enc_sample = head + fh.read(_ENCODING_SNIFF_BYTES)
    if not head.strip():
        raise InputError("{name}: the file is empty; export the usage report again", name=name)
    layout = _csv_layout(name, head, enc_sample)
    fmt = match_header(name, layout.headers)
    warn_above_header(name, layout.preamble)
    encoding = layout.encoding
    if encoding == "cp1252" and guard.looks_like_utf8(enc_sample[layout.bom :]):
        encoding = _UTF8_DAMAGED  # UTF-8 with damaged bytes, not Windows-1252 text
    batches = _CsvBatches(name, source, open_binary, layout, encoding)
    part = Part(
        name,
        container_prefix + layout.container,
        fmt,
        layout.headers,
        batches,
        encoding=("utf-8" if encoding == _UTF8_DAMAGED else encoding)
        + ("-sig" if layout.bom == 3 else ""),
        exported_period=exported_period,
        delimiter=layout.delimiter,
    )
    batches.part = part
    return part


@dataclass
class _CsvBatches:
    """The ``batches`` of a CSV part, read again when the first reading cannot go on.

    Bytes beyond the sniffed sample that are not UTF-8 make a second reading as Windows-1252
    text or as damaged UTF-8 (the part's encoding is then corrected); a row longer than a
    block makes a reading with larger blocks. A new reading resumes after the rows already
    handed over.
    """

    name: str
    source: Any
    open_binary: Callable[[], Any]
    layout: _CsvLayout
    encoding: str
    part: Part | None = None

    def __call__(self, chunk_rows: int | None) -> Iterator[Raw]:
        layout = self.layout
        mode, resume, block = self.encoding, 0, 4 * layout.header_bytes
        while True:
            reading = _CsvChunks(
                self.name,
                self.source,
                layout,
                chunk_rows,
                mode,
                resume_line=resume,
                min_block=block,
            )
            try:
                for raw in reading.read():
                    resume = raw.end_line
                    box = [raw]  # hand over without keeping a name (see _CsvChunks.read)
                    del raw
                    yield box.pop()
                return
            except _NotUtf8 as exc:
                mode = self._reading_mode_after(mode, exc)
            except _RowTooLong as exc:
                block = self._block_after(exc)

    def _reading_mode_after(self, mode: str, exc: _NotUtf8) -> str:
        """The encoding to read with again once bytes that are not ``mode`` were met."""
        if mode != "utf-8":
            raise InputError(
                "{name}: text is not valid {mode} ({exc}); save the file as UTF-8 CSV",
                name=self.name,
                mode=mode,
                exc=exc,
            ) from None
        # bytes outside the sniffed sample are not UTF-8: a file of Windows-1252 text
        # (an Excel from Western Europe) is read again as such; a UTF-8 file with a
        # few damaged bytes is read on, each damaged byte read as the replacement character
        mode = _UTF8_DAMAGED if _file_looks_utf8(self.open_binary) else "cp1252"
        if self.part is not None:
            self.part.encoding = "utf-8" if mode == _UTF8_DAMAGED else mode
        return mode

    def _block_after(self, exc: _RowTooLong) -> int:
        """The block size to read with again once a row was longer than a block."""
        if exc.block >= guard.MAX_LINE_BYTES:
            raise InputError(
                "{name}: a row is longer than {mib} MiB (an unterminated quote?); "
                "repair the file or export it again",
                name=self.name,
                mib=guard.MAX_LINE_BYTES >> 20,
            ) from None
        return exc.block * 4


#: the reading mode of a UTF-8 file holding invalid bytes: they read as the replacement character
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


class _NotUtf8(Exception):
    """The CSV reader met bytes that are not UTF-8."""


class _RowTooLong(Exception):
    """A row is longer than the parser's block: read again with larger blocks."""

    def __init__(self, block: int):
        super().__init__(block)
        self.block = block


def _decode_damaged(table: pa.Table) -> tuple[pa.Table, dict[int, str]]:
    """Text columns of a UTF-8 file with damaged bytes, read as Latin-1 -> the real text, and
    the damaged rows.

    Returns the table with every value decoded as UTF-8, a damaged byte read as the
    replacement character ``\ufffd`` (the row is kept: a damaged name must not lose a
    charge), and, by row index, what was damaged (the first damaged column and byte).
    """
    columns: list[pa.ChunkedArray] = []
    damaged: dict[int, str] = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        if pc.all(pc.fill_null(pc.string_is_ascii(column), True)).as_py():
            columns.append(column)  # ASCII reads alike in both
            continue
        text: list[str | None] = []
        for i, v in enumerate(column.to_pylist()):
            if v is None:
                text.append(None)
                continue
            raw = v.encode("latin-1")
            try:
                text.append(raw.decode("utf-8"))
            except UnicodeDecodeError as exc:
                text.append(raw.decode("utf-8", "replace"))
                damaged.setdefault(i, f"{name} holds byte 0x{raw[exc.start]:02x}")
        columns.append(pa.chunked_array([pa.array(text, pa.string())]))
    return pa.table(dict(zip(table.column_names, columns, strict=True))), damaged


def _finish_chunk(
    table: pa.Table,
    lines: np.ndarray,
    bad: list[tuple[int, str, str]],
    *,
    resume_line: int,
    damaged_utf8: bool,
) -> tuple[Raw, list[tuple[int, str]]]:
    """A parsed chunk as a :class:`Raw`: rows before ``resume_line`` (handed over by an
    earlier reading) dropped, damaged UTF-8 decoded; and the damaged rows ``(line, what)``."""
    end_line = max([int(lines[-1]) + 1 if len(lines) else 0] + [b[0] + 1 for b in bad])
    if resume_line:
        keep = lines >= resume_line
        if not keep.all():
            table, lines = table.filter(pa.array(keep)), lines[keep]
        bad = [b for b in bad if b[0] >= resume_line]
    damaged: dict[int, str] = {}
    if damaged_utf8:
        table, damaged = _decode_damaged(table)
    return Raw(table, lines, bad, end_line), [(int(lines[i]), w) for i, w in damaged.items()]


def _warn_damaged(name: str, damaged: list[tuple[int, str]]) -> None:
    """One warning for the damaged rows of a chunk, naming the first."""
    if not damaged:
        return
    line, what = min(damaged)
    more = f" (and {len(damaged) - 1:,} more rows of this part)" if len(damaged) > 1 else ""
    _log.warning(
        "%s, row %d%s: %s, not valid UTF-8 (a damaged character); read as \ufffd, the row "
        "and its money kept",
        name,
        line,
        more,
        what,
    )


def _bad_rows(
    rows: list[tuple[int, str, int, int]],
) -> tuple[list[tuple[int, str, str]], deque[tuple[int, int]]]:
    """Rows the parser could not split -> ``(line, reason, text)``, and the lines they span."""
    bad: list[tuple[int, str, str]] = []
    skips: deque[tuple[int, int]] = deque()
    for number, text, expected, actual in rows:
        reason, extra = _bad_row_reason(text, expected, actual)
        bad.append((int(number), reason, text))
        skips.append((int(number), 1 + extra))
    return bad, skips


class _CsvChunks:
    """One reading of a CSV into chunks of text columns (see :class:`Raw`).

    ``encoding`` :data:`_UTF8_DAMAGED` reads UTF-8 text holding invalid bytes: the columns
    are read as bytes, an invalid byte decoded as ``\ufffd`` with a warning naming the row
    (the row and its money are kept). Rows before ``resume_line``
    are skipped (an earlier reading handed them over before it stopped).
    """

    def __init__(
        self,
        name: str,
        source: Any,
        layout: _CsvLayout,
        chunk_rows: int | None,
        encoding: str,
        *,
        resume_line: int = 0,
        min_block: int = 0,
    ):
        self.name = name
        self.source = source
        self.layout = layout
        self.names = unique_names(layout.headers)
        self.chunk_rows = chunk_rows
        self.encoding = encoding
        # UTF-8 with damaged bytes is read as Latin-1 (any byte is a character) and decoded
        # value by value, a damaged byte as the replacement character
        self.damaged_utf8 = encoding == _UTF8_DAMAGED
        self.resume_line = resume_line
        # the parser works block by block: blocks of a few MB stay in the CPU caches and read
        # faster (measured) than large ones, even than a multi-threaded read of the whole file
        block = _BLOCK_BYTES if chunk_rows is None else chunk_rows * layout.row_bytes
        self.block = int(max(min(max(block, 1 << 16), _BLOCK_BYTES), min_block))
        # rows the parser could not split, met since the last block: (line, text, expected,
        # actual number of fields)
        self.invalid: list[tuple[int, str, int, int]] = []
        # one object for the parser and the unraisable hook, which recognises it by identity
        self.on_invalid = self._on_invalid

    def _on_invalid(self, row: Any) -> str:
        text = row.text
        if self.damaged_utf8:
            text = text.encode("latin-1").decode("utf-8", "replace")
        self.invalid.append((row.number, text, row.expected_columns, row.actual_columns))
        return "skip"

    def _options(self) -> tuple[pv.ReadOptions, pv.ParseOptions, pv.ConvertOptions]:
        # single-threaded: the parser then knows the line number of each invalid row
        return (
            pv.ReadOptions(
                column_names=self.names,
                skip_rows=self.layout.skip + 1,
                encoding="latin-1" if self.damaged_utf8 else self.encoding,
                use_threads=False,
                block_size=self.block,
            ),
            pv.ParseOptions(delimiter=self.layout.delimiter, invalid_row_handler=self.on_invalid),
            pv.ConvertOptions(
                column_types=dict.fromkeys(self.names, pa.string()),
                null_values=_CSV_NULLS,
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )

    def _parsed(self, reader: Any) -> Iterator[tuple[pa.RecordBatch | None, list]]:
        """Each block with the invalid rows met while parsing it."""
        for batch in reader:
            rows = self.invalid[:]
            self.invalid.clear()
            yield batch, rows
        if self.invalid:  # rows of a last block that held no valid row
            yield None, self.invalid[:]

    def _finish(self, table: pa.Table, lines: np.ndarray, bad: list) -> Raw:
        raw, damaged = _finish_chunk(
            table, lines, bad, resume_line=self.resume_line, damaged_utf8=self.damaged_utf8
        )
        _warn_damaged(self.name, damaged)
        return raw

    def read(self) -> Iterator[Raw]:
        """The chunks; a parser error becomes :class:`_NotUtf8`, :class:`_RowTooLong` or a
        one-line :class:`InputError`.

        A chunk is handed over without a name kept for it here (``box.pop()``): the consumer
        may then free its memory while converting it.
        """
        undecodable: list[bool] = []
        unhook = _catch_undecodable_rows(self.on_invalid, undecodable)
        try:
            source = self.source() if callable(self.source) else self.source
            # (not a memory map: its pages would count in the resident memory as it is read)
            yield from self._chunks(pv.open_csv(source, *self._options()))
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            msg = str(exc).splitlines()[0]
            if "UTF8" in msg or "utf-8" in msg.lower() or undecodable:
                raise _NotUtf8(msg) from None
            if "straddl" in msg:  # a row longer than a block
                raise _RowTooLong(self.block) from None
            raise InputError(
                "{name}: cannot read the CSV: {msg}", name=self.name, msg=msg
            ) from None
        finally:
            unhook()

    def _chunks(self, reader: Any) -> Iterator[Raw]:
        """Blocks gathered into chunks of at least ``chunk_rows`` rows (one when None)."""
        next_line = self.layout.skip + 2
        pending: list[pa.RecordBatch] = []
        pending_rows = 0
        skips: deque[tuple[int, int]] = deque()
        # the lines above the header are accounted for with the first chunk's bad rows
        bad_acc = above_header(self.layout.preamble)
        # the next blocks are parsed on another thread (pyarrow releases the GIL) while this
        # one converts a chunk (without a bound when the whole file is kept anyway)
        depth = 0 if self.chunk_rows is None else PREFETCH_DEPTH
        for batch, rows in prefetch(self._parsed(reader), depth):
            if batch is not None:
                pending.append(batch)
                pending_rows += batch.num_rows
            bad, new_skips = _bad_rows(rows)
            bad_acc.extend(bad)
            skips.extend(new_skips)
            if self.chunk_rows is not None and pending_rows >= self.chunk_rows:
                table = pa.Table.from_batches(pending)
                pending, pending_rows = [], 0
                lines, next_line = _assign_lines(next_line, table.num_rows, skips)
                box = [self._finish(table, lines, bad_acc)]
                del table
                yield box.pop()
                bad_acc = []
        table = (
            pa.Table.from_batches(pending)
            if pending
            else pa.table({n: pa.array([], pa.string()) for n in self.names})
        )
        pending = []
        lines, next_line = _assign_lines(next_line, table.num_rows, skips)
        box = [self._finish(table, lines, bad_acc)]
        del table
        yield box.pop()


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
