"""Microsoft Graph call records saved as JSON: pages, arrays and JSON Lines, numbers kept exact."""

from __future__ import annotations

import datetime as dt
import decimal
import json
from typing import Any

from planner import guard
from planner.errors import InputError
from planner.formats import FORMATS, ExportFormat, UnknownHeader, header_key, match_format
from planner.ingest.csvfile import sniff_encoding
from planner.ingest.parts import (
    SNIFF_BYTES,
    Part,
    cell_text,
    match_header,
    not_export,
    number_text,
    rows_part,
)


def _decimal_text(text: str) -> str:
    return number_text(decimal.Decimal(text))


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
    load = _ExactDecoder().decode
    entries: list[tuple[int, Any]] = []  # (source row, row object or a bad-line marker)
    bad: list[tuple[int, str, str]] = []
    try:
        rows = _json_rows(guard.load_json(name, text, cls=_ExactDecoder))
        if rows is None:
            raise not_export(name, "the JSON holds no call rows (no 'value' list or array)")
        return "json", list(enumerate(rows, start=1)), bad
    except json.JSONDecodeError as exc:
        if exc.msg != "Extra data":
            raise InputError(
                "{name}: not valid JSON ({msg} at line {lineno}, column {colno}; a "
                "cut-off download?); save the response again",
                name=name,
                msg=exc.msg,
                lineno=exc.lineno,
                colno=exc.colno,
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
    """Numbers kept as their exact decimal text (money never goes through a float); a
    property given twice with different values noted (:func:`_object`)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            parse_float=_decimal_text, parse_int=str, object_pairs_hook=_object, **kwargs
        )


#: the key under which :func:`_object` notes a property given twice with different values
_REPEATED = "\x00repeated"


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object. Python keeps the last of a property given twice without a word: when
    the copies differ, the reason to set the row aside is kept under :data:`_REPEATED`."""
    row = dict(pairs)
    if len(row) < len(pairs):
        first: dict[str, Any] = {}
        for key, value in pairs:
            if key in first and first[key] != value and _REPEATED not in row:
                row[_REPEATED] = (
                    f"the property {key!r} is given twice, with different values "
                    f"({first[key]!r} and {value!r}); which one to read cannot be told"
                )
            first.setdefault(key, value)
    return row


def _row_cells(row: dict, names: list[str]) -> list[str | None]:
    """One JSON row as text cells; ValueError when a text is not valid Unicode or too deep,
    or a property is given twice with different values."""
    if _REPEATED in row:
        raise ValueError(row[_REPEATED])
    try:
        cells = [cell_text(row.get(k)) for k in names]
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


#: the rows of one export format: the format, its properties met (in order), (source row, row)
_Group = tuple[ExportFormat, dict[str, None], list[tuple[int, dict]]]


def _group_by_format(
    entries: list[tuple[int, Any]], bad: list[tuple[int, str, str]]
) -> tuple[dict[str, _Group], list[tuple[int, Any]]]:
    """Rows grouped by the export format their properties match, and the rows matching none.

    Entries that are not JSON objects are added to ``bad``.
    """
    groups: dict[str, _Group] = {}
    by_keys: dict[frozenset, ExportFormat | None] = {}
    unknown: list[tuple[int, Any]] = []
    known = KnownProperties()
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
    return groups, unknown


def _rows_cells(
    rows: list[tuple[int, dict]], names: list[str], bad: list[tuple[int, str, str]]
) -> tuple[list[list[str | None]], list[int]]:
    """The rows as text cells under ``names``, and their source rows; rows whose values cannot
    be text are added to ``bad``."""
    cells, lines = [], []
    for line_no, row in rows:
        try:
            cells.append(_row_cells(row, names))
        except ValueError as exc:
            bad.append((line_no, str(exc), _json_raw(row)))
            continue
        lines.append(line_no)
    return cells, lines


def json_parts(
    name: str,
    data: bytes,
    container_prefix: str = "",
    exported_period: tuple[dt.date, dt.date] | None = None,
) -> list[Part]:
    """The parts of a JSON file: one per export format met among its rows.

    Rows are grouped by the format their own properties match (a file mixing PSTN and Direct
    Routing rows gives one part of each); a row matching no format is rejected. A saved page
    without rows (``{"value": []}``, the last page of a query) gives no part.
    """
    encoding, bom = sniff_encoding(data[:SNIFF_BYTES])
    try:
        text = data[bom:].decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputError(
            "{name}: JSON text is not valid {encoding}: {exc}",
            name=name,
            encoding=encoding,
            exc=exc,
        ) from None
    del data
    container, entries, bad = _json_entries(name, text)
    del text
    groups, unknown = _group_by_format(entries, bad)
    if not groups:
        if not entries and not bad:
            return []  # an empty page: valid, nothing to read
        headers = list(dict.fromkeys(k for _, r in unknown for k in r))
        match_header(name, headers)  # names the closest format and what it misses
    for line_no, row in unknown:
        bad.append((line_no, "the row's properties match no known export format", _json_raw(row)))
    parts = []
    for i, (fmt, header, rows) in enumerate(groups.values()):
        names = list(header)
        part_bad = bad if i == 0 else []  # file-level bad rows are counted once
        cells, lines = _rows_cells(rows, names, part_bad)
        part_name = name if len(groups) == 1 else f"{name} ({fmt.kind.replace('_', ' ')} rows)"
        parts.append(
            rows_part(
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


class KnownProperties:
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
    if isinstance(row, dict) and _REPEATED in row:
        row = {k: v for k, v in row.items() if k != _REPEATED}
    try:
        return json.dumps(row, ensure_ascii=True)[:10_000]
    except (RecursionError, TypeError, ValueError):
        return repr(row)[:1000]
