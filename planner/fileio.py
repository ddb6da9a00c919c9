"""Writing output files safely: atomically, and with no cell a spreadsheet would run.

Every file the planner writes goes to a temporary file in the destination folder first and is
renamed over the destination only when complete (``os.replace`` is atomic on one filesystem).
A folder that cannot be written is the user's to fix, so it raises :class:`InputError`.

Text cells of every CSV the planner writes pass through :func:`neutralise` ("CSV injection",
OWASP's rule, also applied by the workbook through :func:`is_formula_like`): a cell that a
spreadsheet would read as a formula, because it starts with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return (a display name ``=HYPERLINK(...)``, a UPN ``@SUM(...)``, a number
``-2+3+cmd|...``), gets a leading single quote, so the spreadsheet shows it as text. The same
holds where a spreadsheet may start a cell inside it: after a ``,``, ``;`` or tab (a French
Excel splits a comma file on ``;``). A signed number alone in its cell (a phone number
``+4930123456``, ``+49 30 1234 5678``, an amount ``-12.50``) is left as it is: a spreadsheet
reads it as a number, never a formula, and the planner reads it back unchanged. A quote is
added, never removed, so :func:`restore` gives back the exact text: the planner reads its own
``records.csv`` as it was before writing.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planner.errors import InputError

if TYPE_CHECKING:  # pandas is imported by the callers that write frames
    import pandas as pd


def _umask() -> int:
    """The process's file-mode creation mask (read without changing it where possible)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def ordinary_mode() -> int:
    """Permissions of a new ordinary file: ``0666`` less the umask (``0644`` usually)."""
    return 0o666 & ~_umask()


def temp_beside(path: str | Path) -> Path:
    """Create an empty temporary file in ``path``'s folder (created if needed), for a rename.

    The file gets ordinary permissions (``0666`` less the umask), not the ``0600`` of a
    private temporary file: the output renamed from it is an ordinary file.
    """
    path = Path(path)
    if path.is_dir():
        raise InputError("cannot write {path}: it is a folder; give a file name", path=path)
    if path.exists() and not path.is_file():  # a device, a pipe: never replaced by a file
        raise InputError("cannot write {path}: not a regular file; give a file name", path=path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise InputError(
            "cannot write {path}: {strerror}", path=path, strerror=exc.strerror or exc
        ) from None
    try:
        os.fchmod(fd, ordinary_mode())
    finally:
        os.close(fd)
    return Path(tmp)


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then move it into place.

    On any failure the temporary file is removed and ``path`` is left as it was.

    Raises
    ------
    InputError
        When the folder or file cannot be written (permissions, full disk, a folder in the way).
    """
    path = Path(path)
    tmp = temp_beside(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    except (OSError, UnicodeEncodeError) as exc:
        raise InputError(
            "cannot write {path}: {strerror}",
            path=path,
            strerror=getattr(exc, "strerror", None) or exc,
        ) from None
    finally:
        tmp.unlink(missing_ok=True)
    return path


#: line ends of the CSV files the planner writes: RFC 4180's, and the only ones with which
#: Python's CSV writer quotes a cell holding a bare carriage return (which a spreadsheet and
#: pandas would take for the end of the row, a new row starting inside the cell)
CSV_LINE_END = "\r\n"


def write_csv(frame: pd.DataFrame, path: str | Path, **to_csv: Any) -> Path:
    """Write ``frame`` as UTF-8 CSV (no index, :data:`CSV_LINE_END` line ends) atomically, its
    text cells neutralised (:func:`neutralise_frame`)."""
    options: dict[str, Any] = {
        "index": False,
        "lineterminator": CSV_LINE_END,
        "encoding": "utf-8",
        **to_csv,
    }
    safe = neutralise_frame(frame)
    return atomic_write(path, lambda tmp: safe.to_csv(tmp, **options))


# --------------------------------------------------------------------------------------------
# cells a spreadsheet would run
# --------------------------------------------------------------------------------------------

#: the first characters that make a spreadsheet read a cell as a formula (OWASP)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: where a spreadsheet may start a cell inside a field: its start, after a separator or a line
#: break (a bare carriage return ends a row for a spreadsheet); a run of quotes before the
#: formula character is counted, so that neutralising can be undone exactly
_DANGER = re.compile(r"(^|[,;\t\r\n])(?='*[=+\-@\t\r])")
_NEUTRALISED = re.compile(r"(^|[,;\t\r\n])'(?='*[=+\-@\t\r])")
#: a signed number alone in its cell: a spreadsheet reads it as a number, never a formula
_SIGNED_NUMBER = re.compile(r"[+-](?:\d+(?: \d+)*|\d+\.\d+)")


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet would treat ``text`` as a formula (or DDE payload) if typed in."""
    return text.startswith(FORMULA_PREFIXES)


def _cell_end(text: str, start: int, opened_by: str) -> int:
    """Where the cell that begins at ``start`` ends for every reader: at a line feed, or at
    the delimiter that opened it (a ``,`` cell ends at ``,``; a cell at the start of a row may
    be read with ``,`` or with a French Excel's ``;``, so only a row end closes it for both).
    A bare carriage return does not end it: the cell is written quoted, and a reader that
    keeps the quoted text whole, or drops the carriage return, reads ``-1\r;`` as one cell."""
    ends = "\n" + (opened_by if opened_by in ",;\t" else "")
    for i in range(start, len(text)):
        if text[i] in ends:
            return i
    return len(text)


def _quote(match: re.Match[str]) -> str:
    # a signed number is left as it is only when it fills its cell for every reader: "-1;"
    # is a number to a ";" reader but the formula-like cell "-1;" to a "," reader
    start = match.end()
    end = _cell_end(match.string, start, match.group(1))
    if _SIGNED_NUMBER.fullmatch(match.string, start, end):
        return match.group(1)  # a number in its cell
    return f"{match.group(1)}'"


def neutralise(text: str) -> str:
    """``text`` as a CSV cell no spreadsheet runs (see the module's documentation).

    >>> neutralise("=HYPERLINK(1)"), neutralise("+4930123456"), neutralise("a;@SUM(1)")
    ("'=HYPERLINK(1)", '+4930123456', "a;'@SUM(1)")
    """
    return _DANGER.sub(_quote, text)


def restore(text: str) -> str:
    """The text :func:`neutralise` was given (``restore(neutralise(t)) == t`` for any ``t``)."""
    return _NEUTRALISED.sub(r"\1", text)


def _text_columns(frame: pd.DataFrame) -> list[Any]:
    import pandas as pd

    return [
        c
        for c, dtype in frame.dtypes.items()
        if pd.api.types.is_object_dtype(dtype) or isinstance(dtype, pd.StringDtype)
    ]


def _map_text(frame: pd.DataFrame, pattern: re.Pattern[str], change: Any) -> pd.DataFrame:
    """``frame`` with ``change`` applied to the text cells ``pattern`` finds (others as they
    are, the frame not copied when no cell is found)."""
    find = re.compile(pattern.pattern.replace("(^", "(?:^"))  # the same, without groups
    out = frame
    for column in _text_columns(frame):
        values = frame[column]
        found = values.str.contains(find, na=False)
        if not found.any():
            continue
        if out is frame:
            out = frame.copy()
        changed = values[found].map(change)
        out[column] = values.astype(object).where(~found, changed).astype(values.dtype)
    return out


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell passed through :func:`neutralise`."""
    return _map_text(frame, _DANGER, neutralise)


def restore_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell passed through :func:`restore` (a CSV the planner wrote,
    read back)."""
    return _map_text(frame, _NEUTRALISED, restore)
