"""What every reader produces: parts of an input holding batches of text columns, the header
check, and cells written as text."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from planner.errors import InputError
from planner.formats import FORMAT_NAMES, ExportFormat, UnknownHeader, header_key, match_format
from planner.store import tables
from planner.text import nt, t

_log = logging.getLogger("planner")

#: text read as missing, in any letter case (``null`` as written by scripts saving Graph rows)
NULL_TOKENS: tuple[str, ...] = ("", "no data", "??", "null")
SNIFF_BYTES = 1 << 16


@dataclass
class Raw:
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
class Part:
    """One table-bearing unit of an input: a CSV, a workbook sheet, a JSON file, a zip member."""

    name: str
    container: str
    fmt: ExportFormat
    headers: list[str]
    batches: Callable[[int | None], Iterator[Raw]]
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
class RecordsPart:
    """A planner record table (``planner ingest --out``, a store partition): no conversion.

    ``tables(chunk_rows)`` yields canonical Arrow record tables
    (:data:`planner.store.tables.RECORD_SCHEMA`).
    """

    name: str
    container: str
    tables: Callable[[int | None], Iterator[pa.Table]]
    format_name: str = "planner_records"
    encoding: str | None = None
    exported_period: tuple[dt.date, dt.date] | None = None


def records_part(path: Path, head: bytes) -> RecordsPart | None:
    """The part of a planner record table, or None when ``path`` is not one."""
    if head.startswith(tables.PARQUET_MAGIC):
        tables.check_parquet(path)
        return RecordsPart(str(path), "parquet", lambda n: tables.parquet_batches(path, n))
    first = head.split(b"\n", 1)[0].decode("utf-8", "replace").strip()
    if tables.is_records_header(first.split(",")):
        return RecordsPart(
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
            return t("it looks like {what}; did you mean {option}?", what=t(what), option=option)
    return None


class NotAnExport(InputError):
    """An input that is no usage export at all (a note, a picture), not a damaged one;
    ``brief`` says so without the columns a format misses (for a file skipped)."""

    brief = ""


def not_export(name: str, why: str, brief: str | None = None) -> NotAnExport:
    """``{name}: not a usage export: {why}``, ``why`` in the language in use."""
    error = NotAnExport("{name}: not a usage export: {why}", name=name, why=t(why))
    error.brief = t("not a usage export: {why}", why=t(brief if brief is not None else why))
    return error


def header_error(name: str, exc: UnknownHeader) -> NotAnExport:
    """The error of a header matching no format (:class:`UnknownHeader`), in the language in
    use: the closest format and its missing columns, and the formats tried."""
    shown = exc.shown or t("empty")
    if exc.missing:
        detail = t(
            "closest is {closest}, missing column(s) {missing}",
            closest=exc.closest,
            missing=", ".join(exc.missing),
        )
    else:
        detail = t("a mix of {closest} and another layout", closest=exc.closest)
    brief = t("the header ({shown}) matches no known format", shown=shown)
    why = t(
        "{brief}: {detail} (formats tried: {formats})",
        brief=brief,
        detail=detail,
        formats=", ".join(FORMAT_NAMES),
    )
    return not_export(name, why, brief)


def match_header(name: str, headers: list[str]) -> ExportFormat:
    try:
        return match_format(headers)
    except UnknownHeader as exc:
        hint = _planner_file_hint(headers)
        raise (not_export(name, hint) if hint else header_error(name, exc)) from None


#: the reason given for a line above an export's header (a title, the report's filters)
ABOVE_HEADER = "above the header: not a call (a title or a note before the column names); skipped"


def above_header(lines: list[tuple[int, str]]) -> list[tuple[int, str, str]]:
    """The lines above a header, ``(line, text)``, as rows set aside with their reason."""
    return [(line, ABOVE_HEADER, text) for line, text in lines]


def warn_above_header(name: str, lines: list[tuple[int, str]]) -> None:
    """A warning for the lines skipped above a header, ``(line, text)``, quoting the first."""
    if lines:
        _log.warning(
            nt(
                "{name}: {n} line above the header skipped ({first}); it is listed with "
                "the rejected rows",
                "{name}: {n} lines above the header skipped ({first} ...); they are listed "
                "with the rejected rows",
                len(lines),
                name=name,
                first=repr(lines[0][1][:60]),
            )
        )


def unique_names(headers: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for h in headers:
        n = seen.get(h, 0)
        seen[h] = n + 1
        out.append(h if n == 0 else f"{h}.{n}")
    return out


#: the reason given for a header line met again below the header (exports joined into one file)
HEADER_AGAIN = "the header line again (two exports joined into one file?); skipped"


#: the reasons of rows set aside that were never calls
NOT_CALLS = (ABOVE_HEADER, HEADER_AGAIN)


def set_aside(raw: Raw, headers: list[str], delimiter: str) -> tuple[Raw, list]:
    """``raw`` without its rows of empty cells (a spreadsheet's ``,,,,`` is no row, as a blank
    line is none) and without the header lines met again, returned as rows set aside:
    ``(line, reason, text)``."""
    table = raw.table
    if not table.num_rows or not table.num_columns:
        return raw, []
    first = table.column(0)
    again = pc.or_(pc.equal(first, headers[0]), pc.equal(first, "\ufeff" + headers[0]))
    blank = _blank(first)
    if not pc.any(again).as_py() and not pc.any(blank).as_py():
        return raw, []  # one column looked at: the usual chunk costs nothing more
    again = pc.fill_null(again, False)
    for column, header in zip(table.columns[1:], headers[1:], strict=True):
        blank = pc.and_(blank, _blank(column))
        same = pc.equal(pc.utf8_trim_whitespace(column), header)
        again = pc.and_(again, pc.fill_null(same, not header))
    drop = tables.np_mask(blank) | tables.np_mask(again)
    if not drop.any():
        return raw, []
    text = delimiter.join(headers)
    aside = [(int(line), HEADER_AGAIN, text) for line in raw.lines[tables.np_mask(again)]]
    keep = ~drop
    return Raw(table.filter(pa.array(keep)), raw.lines[keep], raw.bad, raw.end_line), aside


def _blank(column: Any) -> Any:
    """Which cells of a text column are missing or hold only blanks."""
    return pc.fill_null(pc.or_(pc.utf8_is_space(column), pc.equal(column, "")), True)


def repeated_columns(fmt: ExportFormat, headers: list[str]) -> list[tuple[str, list[str]]]:
    """The columns ``fmt`` reads that ``headers`` names more than once (``Charge`` twice, or
    ``Charge`` and ``charge``): each as first spelled, with the table names of its copies
    (:func:`unique_names`), the first copy first."""
    read = {header_key(s) for sources in fmt.columns.values() for s in sources}
    copies: dict[str, list[tuple[str, str]]] = {}
    for header, column in zip(headers, unique_names(headers), strict=True):
        if header_key(header) in read:
            copies.setdefault(header_key(header), []).append((header, column))
    return [(c[0][0], [column for _, column in c]) for c in copies.values() if len(c) > 1]


def check_copies(
    name: str, table: pa.Table, lines: np.ndarray, copies: list[tuple[str, list[str]]]
) -> None:
    """Refuse a column whose copies (:func:`repeated_columns`) differ in any row of ``table``
    (values compared without surrounding blanks): which copy is right cannot be told."""
    for header, columns in copies:
        first = pc.utf8_trim_whitespace(table.column(columns[0]))
        for column in columns[1:]:
            other = pc.utf8_trim_whitespace(table.column(column))
            same = pc.or_kleene(
                pc.fill_null(pc.equal(first, other), False),
                pc.and_(pc.is_null(first), pc.is_null(other)),
            )
            differ = np.flatnonzero(~same.to_numpy(zero_copy_only=False))
            if len(differ):
                i = int(differ[0])
                raise InputError(
                    "{name}: the column {header} appears {n} times, with different values "
                    "(row {row}: {first} and {other}); which one to read cannot be told: "
                    "remove the wrong copy and read the file again",
                    name=name,
                    header=repr(header),
                    n=len(columns),
                    row=int(lines[i]),
                    first=_quoted(first[i].as_py()),
                    other=_quoted(other[i].as_py()),
                )


def warn_copies(name: str, copies: list[tuple[str, list[str]]]) -> None:
    """A warning for each column read once of several copies holding the same values."""
    for header, columns in copies:
        _log.warning(
            t(
                "{name}: the column {header} appears {n} times with the same values; one "
                "copy is read",
                name=name,
                header=repr(header),
                n=len(columns),
            )
        )


def _quoted(value: str | None) -> str:
    """A cell as an error quotes it: in quotes, cut at 40 characters; ``empty`` for none."""
    if value is None:
        return t("empty")
    return repr(value if len(value) <= 40 else value[:40] + "...")


def _rows_table(headers: list[str], rows: list[list[str | None]]) -> pa.Table:
    names = unique_names(headers)
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    return pa.table(
        {n: pa.array(list(c), pa.string()) for n, c in zip(names, columns, strict=True)}
    )


def _clean_text(value: str) -> str | None:
    value = value.strip()
    return None if value.lower() in NULL_TOKENS else value


def number_text(value: float | int | decimal.Decimal) -> str:
    """Exact decimal text of a stored number: ``0.1`` -> ``'0.1'``, ``219.0`` -> ``'219'``."""
    if isinstance(value, int):
        return str(value)
    d = decimal.Decimal(repr(value)) if isinstance(value, float) else value
    if not d.is_finite() or abs(d.adjusted()) > 40:
        return str(d)  # no call data is that large or that fine: left as written, refused
    if d == d.to_integral_value():
        return str(int(d))
    return format(d.normalize(), "f")


def cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | decimal.Decimal):
        return number_text(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat() + "Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":")) if value else None
    return _clean_text(str(value))


def rows_part(
    name: str,
    container: str,
    headers: list[str],
    rows: list[list[str | None]],
    lines: list[int],
    bad: list[tuple[int, str, str]],
    exported_period: tuple[dt.date, dt.date] | None,
    encoding: str | None = None,
) -> Part:
    fmt = match_header(name, headers)
    raw = Raw(_rows_table(headers, rows), np.asarray(lines, dtype=np.int64), bad)

    def batches(chunk_rows: int | None) -> Iterator[Raw]:
        yield raw

    return Part(name, container, fmt, headers, batches, encoding, exported_period)
