"""The layout of a history store directory (see :mod:`planner.store.history`).

::

    DIR/_planner_store.json             marks the folder as a store (format version)
    DIR/month=2026-01/records.parquet   the records whose call started in that month (UTC)
    DIR/month=2026-02/records.parquet
    DIR/_log.jsonl                      one line per run that added records
    DIR/.lock                           held while a run writes (never deleted)
    DIR/.fetch/                         pages being downloaded (a run's scratch space)

Hive-style ``month=`` folders let Dask, DuckDB and pyarrow read the store as one dataset
(``pyarrow.dataset.dataset(DIR, partitioning="hive")``); names starting with ``_`` or ``.``
are skipped by those readers. This module names paths and checks them (:func:`check_entries`:
a store never reads or writes through a symbolic link, nor into anything but a regular file
or folder of its own); it imports nothing heavy, so input discovery can recognise a store
cheaply.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from planner.errors import InputError

MARKER = "_planner_store.json"
LOG = "_log.jsonl"
LOCK = ".lock"
SCRATCH = ".fetch"
PARTITION_FILE = "records.parquet"
FORMAT_VERSION = 1

_MONTH_DIR = re.compile(r"^month=(\d{4})-(\d{2})$")


def is_store(path: str | Path) -> bool:
    """Whether ``path`` is a store directory (it holds the marker file)."""
    return (Path(path) / MARKER).is_file()


def partition_path(root: str | Path, month: str) -> Path:
    """The file holding the records of ``month`` (``YYYY-MM``)."""
    return Path(root) / f"month={month}" / PARTITION_FILE


def check_entry(path: Path, folder: bool, missing_ok: bool = True) -> bool:
    """Whether ``path`` exists, refusing a link or an entry of the wrong type.

    Raises
    ------
    InputError
        ``path`` is a symbolic link, or not a regular file (``folder`` false) or a folder.
    """
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        if missing_ok:
            return False
        raise InputError("{path}: missing from the store", path=path) from None
    except OSError as exc:
        raise InputError(
            "{path}: cannot be read ({strerror})", path=path, strerror=exc.strerror or exc
        ) from None
    if stat.S_ISLNK(mode):
        raise InputError(
            "{path}: a symbolic link inside the store; refused (a store is read "
            "and written only through its own files: replace the link by the "
            "folder or file itself)",
            path=path,
        )
    if folder and not stat.S_ISDIR(mode):
        raise InputError(
            "{path}: not a folder; refused (the store expects its own folder here)", path=path
        )
    if not folder and not stat.S_ISREG(mode):
        raise InputError(
            "{path}: not a regular file (a folder, pipe or device); refused (the "
            "store expects its own file here)",
            path=path,
        )
    return True


def check_entries(root: str | Path) -> None:
    """Refuse a store whose own entries (marker, run log, lock, scratch, months) are links or
    not the regular files and folders they should be (:func:`check_entry`)."""
    root = Path(root)
    for name, folder in ((MARKER, False), (LOG, False), (LOCK, False), (SCRATCH, True)):
        check_entry(root / name, folder)
    partition_files(root)


def partition_files(root: str | Path) -> list[Path]:
    """The partition files of a store, oldest month first.

    Raises
    ------
    InputError
        A month folder or file is a link or not a folder or regular file.
    """
    root = Path(root)
    found = []
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError as exc:
        raise InputError(
            "{root}: cannot list the store ({strerror})", root=root, strerror=exc.strerror or exc
        ) from None
    for entry in entries:
        if not _MONTH_DIR.match(entry.name):
            continue
        sub = Path(entry.path)
        check_entry(sub, folder=True)
        if check_entry(sub / PARTITION_FILE, folder=False):
            found.append(sub / PARTITION_FILE)
    return found


def month_of(partition: str | Path) -> str:
    """``YYYY-MM`` of a partition file."""
    m = _MONTH_DIR.match(Path(partition).parent.name)
    if not m:
        raise ValueError(f"{partition} is not a store partition")
    return f"{m.group(1)}-{m.group(2)}"
