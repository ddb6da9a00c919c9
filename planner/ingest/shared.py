"""The exports of one report read once, whichever notebook asks first.

A report runs its notebooks side by side in separate kernels (or one after the other in a
batch worker's kernel), and each reads the same exports. Given the report's private shared
folder (``shared_dir``, set by ``planner report``), :func:`read_exports_shared` reads them in
the first notebook that asks, keeps the result there, and hands it to the others: a notebook
that asks while another is reading waits for it (a lock on the folder's entry) instead of
reading the files a second time.

The entry is keyed by what was read: each file's resolved path, size and modification time
(folders and patterns as :func:`~planner.ingest.discovery.discover` finds them) and the
reader's version, so a file changed between two reads is read again. The folder must be
private to the user running the report (``planner report`` makes it inside its own build
folder, which only that user can open): its entries are Python pickles, trusted as the
user's own files.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from planner import __version__
from planner.ingest.discovery import discover
from planner.ingest.results import IngestResult

try:  # POSIX; elsewhere two notebooks asking at once both read (the result is the same)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


def _key(paths: list[str | Path]) -> str:
    """What identifies a read: the files found, their sizes and times, the reader."""
    files = []
    for item in discover(paths):
        stat = item.path.stat()
        files.append([str(item.path.resolve()), stat.st_size, stat.st_mtime_ns])
    blob = json.dumps({"reader": __version__, "files": files})  # files in reading order
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a+b") as handle:
        if fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _load(entry: Path) -> IngestResult | None:
    """The result kept at ``entry``; None when there is none (or it cannot be read back)."""
    try:
        with open(entry, "rb") as handle:
            result = pickle.load(handle)
    except FileNotFoundError:
        return None
    except Exception:  # written whole by os.replace; anything else is read again
        return None
    return result if isinstance(result, IngestResult) else None


def read_exports_shared(
    paths: Iterable[str | Path] | str | Path, folder: str | Path
) -> IngestResult:
    """:func:`~planner.ingest.read_exports` of ``paths``, read once per ``folder``.

    The first call reads the files and keeps the result in ``folder`` (created if need be);
    a later call on the same unchanged files, from this process or another, returns that
    result; a call made while another process reads them waits for it.

    Raises
    ------
    InputError
        As :func:`~planner.ingest.read_exports` (an error is not kept: the next call reads
        again and raises it again).
    """
    from planner.ingest.stream import read_exports

    given = [paths] if isinstance(paths, str | Path) else list(paths)
    base = Path(folder)
    base.mkdir(parents=True, exist_ok=True)
    entry = base / f"exports-{_key(given)}.pickle"
    with _locked(entry.with_suffix(".lock")):
        kept = _load(entry)
        if kept is not None:
            return kept
        result = read_exports(given)
        fd, tmp = tempfile.mkstemp(dir=base, prefix=".exports-", suffix=".partial")
        try:
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(result, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, entry)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return result
