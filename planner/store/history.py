"""The history store: every call record ever collected, kept after Microsoft deletes it.

A store is a directory of Parquet files, one per month of call start (UTC), holding the
canonical record table (:mod:`planner.schema`); see :mod:`planner.store.layout` for the
paths. Why Parquet partitions rather than a database file: each month is one self-contained
file that Dask, DuckDB, pyarrow or pandas read without the planner; pyarrow is already a
dependency; a month that changes is rewritten whole to a temporary file and renamed over the
old one, so a reader always sees complete files and a run killed at any moment leaves every
month as it was before or after.

Rules:

- **append-only**: records are added, never removed or changed; a record whose
  ``(kind, usage_id)`` is already stored (ids compared case-insensitively) is counted as a
  duplicate and dropped, whatever run or file it comes from;
- **one writer at a time**: a writer holds an exclusive lock on ``DIR/.lock``
  (:func:`fcntl.flock`, released by the system when the process dies, even by SIGKILL);
- **atomic per month**: a month is written to ``.records.parquet.*.tmp`` beside its file,
  flushed to disk and renamed into place; leftovers of a killed run are removed by the next
  writer;
- months are written oldest first, so a run killed midway has stored a prefix of what it
  read, and an incremental fetch restarting from the newest record loses nothing;
- **nothing trusted**: a month file is read with its schema checked and its pages' checksums
  verified (a damaged or foreign month is named in one line); the marker and the run log are
  validated; a link or a non-regular file among the store's own entries is refused, and
  every file the store writes is opened without following links
  (:func:`planner.store.layout.check_entries`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import os
import shutil
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from planner.errors import InputError
from planner.store import layout
from planner.store.dedup import RecordIds
from planner.store.tables import (
    RECORD_SCHEMA,
    check_record_schema,
    conform_table,
    records_arrow_schema,
)

#: rows held before they are written (a month file is rewritten at most once per this many)
FLUSH_ROWS = 1_000_000
#: how long a writer waits for another one to finish before giving up
LOCK_TIMEOUT_S = 600.0


def _month_key(records: pa.Table) -> np.ndarray:
    """``YYYY-MM`` of each record's start (UTC)."""
    months = records["start"].cast(pa.int64()).to_numpy(zero_copy_only=False)
    return months.astype("datetime64[ns]").astype("datetime64[M]").astype(str)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem lets a folder be opened
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


#: flags of every file the store opens for writing: never through a link
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def _open_own(path: Path, flags: int) -> int:
    """Open a file of the store for writing without following a link; a regular file only."""
    try:
        fd = os.open(path, flags | _NOFOLLOW, 0o644)
    except OSError as exc:
        raise _unwritable(path, exc) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise InputError("{path}: not a regular file; refused", path=path)
    return fd


def _unwritable(path: Path, exc: OSError) -> InputError:
    if exc.errno == errno.ELOOP:
        return InputError("{path}: a symbolic link inside the store; refused", path=path)
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return InputError(
            "{parent}: the store cannot be written ({strerror}); a read-only store "
            "can be read (planner store, report) but not added to",
            parent=path.parent,
            strerror=exc.strerror,
        )
    return InputError("cannot write {path}: {strerror}", path=path, strerror=exc.strerror or exc)


def _write_month(path: Path, records: pa.Table) -> None:
    """Write a month's records to ``path`` atomically (temporary file, fsync, rename)."""
    try:
        path.parent.mkdir(exist_ok=True)
    except OSError as exc:
        raise _unwritable(path.parent / ".", exc) from None
    layout.check_entry(path.parent, folder=True, missing_ok=False)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = _open_own(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        with os.fdopen(fd, "wb") as fh:
            pq.write_table(
                records.cast(records_arrow_schema()),
                fh,
                compression="zstd",
                row_group_size=250_000,
                write_page_checksum=True,
            )
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise _unwritable(path, exc) from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    _fsync_dir(path.parent)


def read_partition(path: Path, columns: list[str] | None = None) -> pa.Table:
    """One month of the store (all columns, or ``columns``), canonical Arrow types.

    Raises
    ------
    InputError
        The file is damaged (cut short, a page that fails its checksum or cannot be
        decoded) or holds another schema; the message names the month.
    """
    try:
        pf = pq.ParquetFile(path, page_checksum_verification=True)
        check_record_schema(pf.schema_arrow)
        table = pf.read(columns=columns)
        if columns is None:
            return conform_table(table)
        schema = pa.schema([RECORD_SCHEMA.field(c) for c in columns])
        return table.select(columns).cast(schema)
    except (OSError, pa.ArrowException, ValueError) as exc:
        text = str(exc).strip().splitlines()
        detail = text[0][:200] if text else type(exc).__name__
        raise InputError(
            "{path}: month {month} of the store is damaged ({detail}); restore "
            "it from a backup, or move it out of the store and fetch or ingest "
            "that month again",
            path=path,
            month=layout.month_of(path),
            detail=detail,
        ) from None


class _Lock:
    """An exclusive lock on ``DIR/.lock``, waited for up to ``timeout`` seconds."""

    def __init__(self, root: Path, timeout: float):
        self.path = root / layout.LOCK
        self.timeout = timeout
        self._fd: int | None = None

    def __enter__(self) -> _Lock:
        fd = _open_own(self.path, os.O_RDWR | os.O_CREAT)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
                    os.close(fd)
                    raise InputError(
                        "{parent}: another planner process (pid {holder}) is writing to this "
                        "store; still busy after {timeout:.0f} s, try again later",
                        parent=self.path.parent,
                        holder=holder,
                        timeout=self.timeout,
                    ) from None
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


@dataclass
class AddResult:
    """What one writer added: ``added`` new records, ``duplicates`` already stored."""

    added: int = 0
    duplicates: int = 0
    months: set[str] = field(default_factory=set)


class StoreWriter:
    """Adds records to a store under its lock; use through :meth:`Store.writer`.

    Records given to :meth:`add` are de-duplicated against the store and each other at once;
    they reach the disk on :meth:`flush` (also every :data:`FLUSH_ROWS` rows and on a clean
    exit of the ``with`` block). An exception inside the block writes nothing more.
    """

    def __init__(self, store: Store, lock_timeout: float):
        self.store = store
        self._lock = _Lock(store.root, lock_timeout)
        self._ids = RecordIds()
        self._pending: dict[str, list[pa.Table]] = {}
        self._pending_rows = 0
        self.result = AddResult()

    def __enter__(self) -> StoreWriter:
        self._lock.__enter__()
        try:
            self._clean_leftovers()
            for path in layout.partition_files(self.store.root):
                self._ids.duplicated(read_partition(path, ["kind", "usage_id"]))
        except BaseException:
            self._lock.__exit__()
            raise
        return self

    def __exit__(self, exc_type: Any, *exc: object) -> None:
        try:
            if exc_type is None:
                self.flush()
        finally:
            self._lock.__exit__()

    def _clean_leftovers(self) -> None:
        """Remove the temporary files of a run that was killed (we hold the lock)."""
        root = self.store.root
        for tmp in root.glob("month=*/.*.tmp"):
            tmp.unlink(missing_ok=True)
        shutil.rmtree(root / layout.SCRATCH, ignore_errors=True)

    def add(self, records: pa.Table) -> tuple[int, int]:
        """Queue canonical records (Arrow); returns ``(added, duplicates)`` for this table.

        Records without an id or a start time cannot be stored and must not be given.
        """
        records = conform_table(records)
        if records["usage_id"].null_count or records["start"].null_count:
            raise ValueError("records without usage_id or start cannot be stored")
        dup = self._ids.duplicated(records)
        duplicates = int(dup.sum())
        if duplicates:
            records = records.filter(pa.array(~dup))
        months = _month_key(records)
        for month in np.unique(months):
            part = records.filter(pa.array(months == month))
            self._pending.setdefault(str(month), []).append(part)
        self._pending_rows += records.num_rows
        self.result.added += records.num_rows
        self.result.duplicates += duplicates
        self.result.months.update(str(m) for m in np.unique(months))
        if self._pending_rows >= FLUSH_ROWS:
            self.flush()
        return records.num_rows, duplicates

    def flush(self) -> None:
        """Write the queued records, month by month, oldest first."""
        for month in sorted(self._pending):
            path = layout.partition_path(self.store.root, month)
            parts = self._pending[month]
            if path.is_file():
                parts = [read_partition(path), *parts]
            merged = pa.concat_tables(parts).sort_by(
                [("start", "ascending"), ("usage_id", "ascending")]
            )
            _write_month(path, merged)
        self._pending.clear()
        self._pending_rows = 0

    def log(self, entry: dict[str, Any]) -> None:
        """Append one line to the store's run log (what ran, when, what it added)."""
        line = {"time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), **entry}
        path = self.store.root / layout.LOG
        fd = _open_own(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            with os.fdopen(fd, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(line, sort_keys=True) + "\n")
        except OSError as exc:
            raise _unwritable(path, exc) from None


class Store:
    """A history store directory.

    Parameters
    ----------
    root : str or Path
        The directory.
    create : bool
        Make the directory a store when it does not exist or is empty. Otherwise a folder
        that is not a store is refused.

    Raises
    ------
    InputError
        The folder is not a store (and ``create`` is false, or it holds other files), or it
        cannot be created.
    """

    def __init__(self, root: str | Path, *, create: bool = False):
        self.root = Path(root).expanduser()
        self.unreadable_runs = 0
        if layout.is_store(self.root) or os.path.islink(self.root / layout.MARKER):
            layout.check_entries(self.root)
            self._check_version()
            return
        if not create:
            if not self.root.exists():
                raise InputError(
                    "{root}: no such folder (a store is made by `planner fetch --store` or "
                    "`planner ingest --into`)",
                    root=self.root,
                )
            raise InputError(
                "{root}: not a planner store (a store is made by `planner fetch --store` or "
                "`planner ingest --into`)",
                root=self.root,
            )
        if self.root.exists() and (not self.root.is_dir() or any(self.root.iterdir())):
            raise InputError(
                "{root}: not a planner store and not empty; give a new or empty folder",
                root=self.root,
            )
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            marker = {
                "format": "planner-store",
                "version": layout.FORMAT_VERSION,
                "partitioning": "hive month=YYYY-MM (UTC call start)",
            }
            tmp = self.root / f".{layout.MARKER}.tmp"
            tmp.write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
            os.replace(tmp, self.root / layout.MARKER)
        except OSError as exc:
            raise _unwritable(self.root / layout.MARKER, exc) from None

    def _check_version(self) -> None:
        path = self.root / layout.MARKER
        try:
            with open(path, "rb") as fh:
                marker = json.loads(fh.read(1 << 16))
        except (OSError, ValueError, RecursionError) as exc:
            detail = getattr(exc, "strerror", None) or "not JSON"
            raise InputError(
                "{path}: the store's marker is unreadable ({detail})", path=path, detail=detail
            ) from None
        version = marker.get("version") if isinstance(marker, dict) else None
        if type(version) is not int or version < 1:
            raise InputError(
                "{path}: the store's marker is damaged (a format version of {version}, "
                'where a whole number belongs); restore it: {{"format": '
                '"planner-store", "version": {format_version}}}',
                path=path,
                version=json.dumps(version)[:40],
                format_version=layout.FORMAT_VERSION,
            )
        if version > layout.FORMAT_VERSION:
            raise InputError(
                "{root}: written by a newer planner (store format {version}); upgrade the planner",
                root=self.root,
                version=version,
            )

    def writer(self, lock_timeout: float = LOCK_TIMEOUT_S) -> StoreWriter:
        """A writer holding the store's lock (``with store.writer() as w: w.add(...)``)."""
        return StoreWriter(self, lock_timeout)

    def partitions(self) -> list[Path]:
        """The month files, oldest first."""
        return layout.partition_files(self.root)

    def scratch(self) -> Path:
        """A folder for a run's temporary downloads (emptied by every writer)."""
        path = self.root / layout.SCRATCH
        try:
            path.mkdir(exist_ok=True)
        except OSError as exc:
            raise _unwritable(path, exc) from None
        layout.check_entry(path, folder=True, missing_ok=False)
        return path

    def newest_start(self, kind: str) -> dt.datetime | None:
        """The latest call start of ``kind`` in the store, or None when it holds none."""
        for path in reversed(self.partitions()):
            table = read_partition(path, ["kind", "start"])
            starts = table["start"].filter(pc.equal(table["kind"], kind))
            if len(starts):
                return pc.max(starts).as_py()
        return None

    def read(self, columns: list[str] | None = None) -> pa.Table:
        """The whole store as one Arrow table (canonical schema with all columns)."""
        parts = [read_partition(p, columns) for p in self.partitions()]
        if not parts:
            schema = (
                RECORD_SCHEMA
                if columns is None
                else pa.schema([RECORD_SCHEMA.field(c) for c in columns])
            )
            return schema.empty_table()
        return pa.concat_tables(parts)

    def runs(self) -> list[dict[str, Any]]:
        """The run log, oldest first.

        A line that is not a run (cut short by a killed run, or edited: a ``time`` or
        ``command`` that is not text, a ``records_added`` that is not a whole number) is left
        out and counted in :attr:`unreadable_runs`.
        """
        path = self.root / layout.LOG
        self.unreadable_runs = 0
        if not layout.check_entry(path, folder=False):
            return []
        out = []
        with open(path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                try:
                    run = json.loads(line)
                except (ValueError, RecursionError):
                    run = None
                if _valid_run(run):
                    out.append(run)
                elif line.strip():
                    self.unreadable_runs += 1
        return out


def _valid_run(run: Any) -> bool:
    """Whether a run-log entry has the fields the summary shows, of their types."""
    if not isinstance(run, dict):
        return False
    if not all(isinstance(run.get(k), str) for k in ("time", "command")):
        return False
    added = run.get("records_added", 0)
    return type(added) is int and added >= 0
