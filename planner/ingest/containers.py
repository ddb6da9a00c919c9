"""Which reader reads a file: zip archives, workbooks, JSON and CSV told apart by their content."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import os
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from planner import guard
from planner.errors import InputError
from planner.ingest.csvfile import csv_part
from planner.ingest.discovery import Input, discover
from planner.ingest.graph import json_parts
from planner.ingest.parts import (
    SNIFF_BYTES,
    NotAnExport,
    Part,
    RecordsPart,
    not_export,
    records_part,
)
from planner.ingest.xlsx import xlsx_part
from planner.text import t

_log = logging.getLogger("planner")

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
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "binary"  # UTF-32, which no spreadsheet writes for a CSV
    if _binary(head) and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "binary"
    return "text"


#: bytes no text holds (tab, line breaks, form feed and vertical tab aside)
_CONTROL_BYTES = bytes([*range(0x00, 0x09), *range(0x0E, 0x20)])


def _binary_file(name: str, head: bytes) -> InputError:
    """The error for a binary ``head``, naming text in a wide encoding when it is one."""
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return not_export(name, "it is UTF-32 text; save it again as CSV UTF-8")
    # Latin text in UTF-16: a NUL in (nearly) every other byte, on one side only
    even, odd = head[0::2].count(0), head[1::2].count(0)
    half = len(head) // 2
    if max(even, odd) > half * 9 // 10 and min(even, odd) < half // 10:
        return not_export(
            name, "it is UTF-16 text without its byte order mark; save it again as CSV UTF-8"
        )
    return not_export(name, "it is a binary file, not CSV, JSON, .xlsx or .zip")


def _binary(head: bytes) -> bool:
    """Whether ``head`` is binary data: NUL bytes in over 1% of it (UTF-16 without its byte
    order mark), or a NUL among over 5% control bytes (compressed data). A few NUL bytes in a
    CSV are damage that costs only their rows; a name full of terminal escapes is text."""
    nul = head.count(b"\x00")
    if not nul:
        return False
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return nul > len(head) // 100 or controls > len(head) // 20


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
) -> list[Part]:
    kind = _kind_of_bytes(head)
    if kind == "zip":
        data = guard.read_bounded(name, read_all, guard.MAX_XLSX_BYTES, "an .xlsx workbook")
        return [xlsx_part(name, io.BytesIO(data), prefix, period)]
    if kind == "ole":
        raise InputError(
            "{name}: an old binary Excel .xls workbook; save it as .xlsx or CSV and retry",
            name=name,
        )
    if kind == "json":
        data = guard.read_bounded(name, read_all, guard.MAX_JSON_BYTES, "a JSON document")
        return json_parts(name, data, prefix, period)
    if kind == "binary":
        raise _binary_file(name, head)
    return [csv_part(name, open_binary, open_binary, prefix, period)]


def _zip_parts(path: Path, skipped: list[tuple[str, str]]) -> list[Part]:
    name = str(path)
    try:
        zf = zipfile.ZipFile(path)
    except (*guard.DAMAGED, OSError) as exc:
        raise InputError("{name}: not a readable zip archive ({exc})", name=name, exc=exc) from None
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
    parts: list[Part] = []
    for info in members:
        if Path(info.filename).name.lower() == "parameters.json":
            continue
        try:
            parts.extend(_member_parts(zf, name, info, period))
        except NotAnExport as exc:
            # a note beside the export (README.txt) is skipped as in a folder; a member
            # named as an export that is none is refused as a named file is
            if Path(info.filename).suffix.lower() in _EXPORT_SUFFIXES:
                raise
            _skip(f"{name}!{info.filename}", exc, skipped)
    if not parts:
        raise InputError("{name}: the zip archive holds no usage export", name=name)
    return parts


#: the suffixes of the files an export archive holds: a member so named must be an export
_EXPORT_SUFFIXES = (".csv", ".json", ".jsonl", ".xlsx", ".xlsm")


def _member_parts(
    zf: zipfile.ZipFile,
    name: str,
    info: zipfile.ZipInfo,
    period: tuple[dt.date, dt.date] | None,
) -> list[Part]:
    """The parts of one member of the archive ``name``."""
    member_name = f"{name}!{info.filename}"
    if info.flag_bits & 0x1:
        raise InputError(
            "{member_name}: the archive member is encrypted; extract it first",
            member_name=member_name,
        )
    guard.check_member(name, info)

    def open_member() -> Any:
        return zf.open(info)

    def read_member(limit: int) -> bytes:
        with zf.open(info) as fh:
            return fh.read(limit)

    with guard.damaged(member_name):
        try:
            with zf.open(info) as fh:
                head = fh.read(SNIFF_BYTES)
        except OSError as exc:
            raise InputError(
                "{member_name}: cannot read the archive member ({exc})",
                member_name=member_name,
                exc=exc,
            ) from None
        if not head.strip():
            # an export of a period without such calls may hold an empty member
            raise InputError("{member_name}: the archive member is empty", member_name=member_name)
        if _kind_of_bytes(head) == "zip":
            inner = zipfile.ZipFile(open_member())
            if not _is_xlsx_zip(inner):
                raise InputError(
                    "{member_name}: a zip inside the zip; extract it first",
                    member_name=member_name,
                )
            guard.check_archive(member_name, inner)
        return _bytes_part(member_name, head, read_member, open_member, "zip/", period)


_STRONG_EXTENSIONS = {".zip": "zip", ".xlsx": "xlsx", ".xlsm": "xlsx"}


def _file_parts(
    path: Path, skipped: list[tuple[str, str]] | None = None
) -> Sequence[Part | RecordsPart]:
    """The parts of one input file, with their formats detected from the content.

    A file reached through a symlink leading out of its folder is never quoted in an error
    (a link to a system file must not print its first line). Members of a zip archive that
    are not exports are added to ``skipped``.
    """
    try:
        return _read_file_parts(path, [] if skipped is None else skipped)
    except InputError as exc:
        if not guard.symlinked_outside(path):
            raise
        raise InputError(
            "{path}: not a usage export (a link to {realpath}, outside its folder; "
            "its content is not shown)",
            path=path,
            realpath=os.path.realpath(path),
        ) from exc


def _read_file_parts(path: Path, skipped: list[tuple[str, str]]) -> Sequence[Part | RecordsPart]:
    name = str(path)
    guard.regular_file(path)
    try:
        with path.open("rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError as exc:
        raise InputError(
            "{name}: cannot read the file ({strerror})", name=name, strerror=exc.strerror or exc
        ) from None
    if not head.strip():
        raise InputError("{name}: the file is empty; export the usage report again", name=name)
    records = records_part(path, head)
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
            raise InputError("{name}: a damaged zip archive ({exc})", name=name, exc=exc) from None
    actual = "xlsx" if xlsx else kind
    if claimed == "zip" and actual != "zip":
        raise InputError(
            "{name}: named .zip but is not a zip archive (it is {describe})",
            name=name,
            describe=_describe(actual),
        )
    if claimed == "xlsx" and actual != "xlsx":
        raise InputError(
            "{name}: named {suffix} but is not an Excel workbook (it is "
            "{describe}); give the file its real extension or save it again from "
            "Excel",
            name=name,
            suffix=path.suffix,
            describe=_describe(actual),
        )
    period = _sibling_period(path)
    if actual == "zip":
        return _zip_parts(path, skipped)
    if kind == "binary":
        raise _binary_file(name, head)
    if kind == "text":  # pyarrow reads the path itself: native I/O
        return [csv_part(name, lambda: path.open("rb"), str(path), "", period)]

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
        raise InputError("{path}: no such file", path=path)
    names = [p.format_name for p in _file_parts(path)]
    return "+".join(dict.fromkeys(names))


def _skip(path: str, exc: InputError, skipped: list[tuple[str, str]]) -> None:
    """Skip ``path``, not a usage export, with a warning; its reason in ``skipped`` (the
    columns a format misses matter for a file meant as an export, not here)."""
    brief = exc.brief if isinstance(exc, NotAnExport) else ""
    reason = brief or str(exc).removeprefix(f"{path}: ")
    skipped.append((path, reason))
    _log.warning(t("skipped {path}: {reason}", path=path, reason=reason))


def input_parts(
    inputs: list[Input],
) -> tuple[list[Part | RecordsPart], list[tuple[str, str]]]:
    """The parts of every input, and the files skipped as not usage exports.

    A named file that cannot be read raises; a file found in a folder is skipped with a
    warning on the ``planner`` logger.

    Raises
    ------
    InputError
        A named file is not an export, or no file found is one.
    """
    parts: list[Part | RecordsPart] = []
    skipped: list[tuple[str, str]] = []
    for item in inputs:
        try:
            parts.extend(_file_parts(item.path, skipped))
        except InputError as exc:
            if item.named:
                raise
            _skip(str(item.path), exc, skipped)
    if not parts:
        shown = ", ".join(Path(p).name for p, _ in skipped[:5])
        more = f" and {len(skipped) - 5} more" if len(skipped) > 5 else ""
        raise InputError("no usage export found (skipped {shown}{more})", shown=shown, more=more)
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
    return input_parts(discover(paths))[1]
