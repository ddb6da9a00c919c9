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
from typing import TYPE_CHECKING

from planner.errors import InputError

if TYPE_CHECKING:  # pandas is imported by the callers that write frames
    import pandas as pd


def temp_beside(path: str | Path) -> Path:
    """Create an empty temporary file in ``path``'s folder (created if needed), for a rename."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
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
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_csv(frame: pd.DataFrame, path: str | Path, **to_csv: object) -> Path:
    """Write ``frame`` as UTF-8 CSV (no index, ``\\n`` line ends) atomically."""
    options = {"index": False, "lineterminator": "\n", "encoding": "utf-8", **to_csv}
    return atomic_write(path, lambda tmp: frame.to_csv(tmp, **options))
