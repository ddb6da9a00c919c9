"""Writing output files atomically: a crashed or failed run never leaves a half-written file.

Every file the planner writes goes to a temporary file in the destination folder first and is
renamed over the destination only when complete (``os.replace`` is atomic on one filesystem).
A folder that cannot be written is the user's to fix, so it raises :class:`InputError`.
"""

from __future__ import annotations

import os
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
        raise InputError(f"cannot write {path}: it is a folder; give a file name")
    if path.exists() and not path.is_file():  # a device, a pipe: never replaced by a file
        raise InputError(f"cannot write {path}: not a regular file; give a file name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
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
        raise InputError(f"cannot write {path}: {getattr(exc, 'strerror', None) or exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_csv(frame: pd.DataFrame, path: str | Path, **to_csv: Any) -> Path:
    """Write ``frame`` as UTF-8 CSV (no index, ``\\n`` line ends) atomically."""
    options: dict[str, Any] = {
        "index": False,
        "lineterminator": "\n",
        "encoding": "utf-8",
        **to_csv,
    }
    return atomic_write(path, lambda tmp: frame.to_csv(tmp, **options))
