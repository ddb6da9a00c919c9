"""Guards every reader passes its bytes through: files, archives, JSON, text encodings.

Whatever a file holds, reading it ends in records, rejected rows with a reason, or one
:class:`~planner.errors.InputError` naming the file; never a traceback, never unbounded
memory. The limits (documented in the README, "What happens with bad input"):

- only regular files are read (a FIFO, a device or ``/proc`` file is refused, and a symlink
  is followed only to a regular file);
- a zip member expanding more than :data:`MAX_RATIO` times its compressed size (beyond
  :data:`RATIO_FLOOR`) is refused as a likely zip bomb; a damaged member (bad CRC, broken
  deflate stream, truncated archive) is refused with its name;
- a JSON document (read whole) may hold at most :data:`MAX_JSON_BYTES` and nest no deeper
  than the parser can follow; an ``.xlsx`` inside a zip at most :data:`MAX_XLSX_BYTES`;
- text is UTF-8 (with or without BOM), UTF-16 with BOM, or Windows-1252. An export that is
  mostly valid UTF-8 but holds a few invalid bytes is read as UTF-8 (:func:`looks_like_utf8`),
  each invalid byte as the replacement character with a warning naming the row (the row and
  its money are kept), never re-read as Windows-1252 (which would garble every accent).
"""

from __future__ import annotations

import contextlib
import json
import re
import stat
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from planner.errors import InputError
from planner.text import number

MAX_RATIO = 100
RATIO_FLOOR = 8 << 20
MAX_JSON_BYTES = 128 << 20
MAX_XLSX_BYTES = 256 << 20
#: a header line (and any row) longer than this is refused
MAX_LINE_BYTES = 16 << 20

#: what a damaged or unsupported archive raises while it is read
DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, zipfile.LargeZipFile)


def regular_file(path: Path) -> None:
    """Refuse anything but a regular file (after following symlinks).

    Raises
    ------
    InputError
        A FIFO, socket, device or folder; a broken symlink.
    """
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise InputError(
            "{path}: cannot read the file ({strerror})", path=path, strerror=exc.strerror or exc
        ) from None
    if not stat.S_ISREG(mode):
        raise InputError(
            "{path}: not a regular file (a device, pipe or socket); give a file", path=path
        )


def symlinked_outside(path: Path, root: Path | None = None) -> bool:
    """Whether ``path`` is a symlink (or under one) that leads out of ``root`` (its folder)."""
    try:
        real = path.resolve()
    except OSError:
        return True
    if path.absolute() == real:
        return False
    base = (root or path.parent).resolve()
    return base not in real.parents


@contextlib.contextmanager
def damaged(name: str) -> Iterator[None]:
    """Turn the errors of a damaged archive member into one :class:`InputError`."""
    try:
        yield
    except DAMAGED as exc:
        raise InputError(
            "{name}: the archive is damaged or uses an unsupported compression "
            "({exc}); download the export again",
            name=name,
            exc=exc,
        ) from None


def check_member(archive: str, info: zipfile.ZipInfo) -> None:
    """Refuse a zip member that would expand suspiciously (a zip bomb), before reading it."""
    size, packed = info.file_size, max(1, info.compress_size)
    if size > RATIO_FLOOR and size > MAX_RATIO * packed:
        raise InputError(
            "{archive}!{filename}: expands {size} times ({packed} bytes to "
            "{size2}); refusing a likely zip bomb (limit {max_ratio}:1 above "
            "{mib} MiB)",
            archive=archive,
            filename=info.filename,
            size=number(size // packed),
            packed=number(packed),
            size2=number(size),
            max_ratio=MAX_RATIO,
            mib=RATIO_FLOOR >> 20,
        )


def check_archive(name: str, zf: zipfile.ZipFile) -> None:
    """:func:`check_member` for every member of ``zf``."""
    for info in zf.infolist():
        check_member(name, info)


def read_bounded(name: str, read: Callable[[int], bytes], limit: int, what: str) -> bytes:
    """Read at most ``limit`` bytes with ``read(n)``; refuse more."""
    data = read(limit + 1)
    if len(data) > limit:
        raise InputError(
            "{name}: {what} larger than {mib} MiB; split it, or save it as CSV "
            "(read in chunks whatever its size)",
            name=name,
            what=what,
            mib=limit >> 20,
        )
    return data


# --------------------------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------------------------


def load_json(name: str, text: str | bytes, **kwargs: Any) -> Any:
    """``json.loads`` that refuses nesting deeper than the parser can follow (~1,000 levels).

    Raises
    ------
    InputError
        Nested too deeply.
    json.JSONDecodeError
        Not JSON (left to the caller, which knows what the file should be).
    """
    try:
        return json.loads(text, **kwargs)
    except RecursionError:
        raise InputError(
            "{name}: JSON nested too deeply to read (over about 1,000 levels); a "
            "usage export is a list of flat rows",
            name=name,
        ) from None


# --------------------------------------------------------------------------------------------
# Text encodings
# --------------------------------------------------------------------------------------------

_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
_HIGH = re.compile(rb"[\x80-\xff]")


def utf8_evidence(data: bytes) -> tuple[int, int]:
    """Bytes above 127 in ``data``, and how many of them form well-formed UTF-8 sequences."""
    if data.isascii():
        return 0, 0
    return len(_HIGH.findall(data)), sum(len(m) for m in _UTF8_SEQUENCE.findall(data))


def looks_like_utf8(data: bytes) -> bool:
    """Whether text that is not valid UTF-8 throughout is still UTF-8 with a few bad bytes.

    True when at least half of the bytes above 127 belong to well-formed UTF-8 sequences:
    Windows-1252 text (``Agnès`` as ``41 67 6E E8 73``) almost never forms such sequences,
    while a UTF-8 file with one damaged byte is nearly all well-formed sequences.
    """
    high, in_sequences = utf8_evidence(data)
    return 2 * in_sequences >= high


def decode_text(raw: bytes, name: str) -> str:
    """Decode a small text file (a side file): UTF-8 (BOM or not), UTF-16 with BOM, cp1252.

    Raises
    ------
    InputError
        UTF-8 text with invalid bytes (naming the line), or bytes that are no known text.
    """
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputError(
                "{name}: damaged UTF-16 text ({reason})", name=name, reason=exc.reason
            ) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if looks_like_utf8(raw):
            line = raw[: exc.start].count(b"\n") + 1
            raise InputError(
                "{name}, line {line}: byte 0x{raw:02x} is not valid UTF-8 in a UTF-8 "
                "file; correct the line or save the file again as UTF-8",
                name=name,
                line=line,
                raw=raw[exc.start],
            ) from None
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            "{name}, line {line}: the text is neither UTF-8 nor Windows-1252; save "
            "the file as UTF-8 CSV",
            name=name,
            line=line,
        ) from None
