"""The layout of a history store directory (see :mod:`planner.collect.store`).

::

    DIR/_planner_store.json             marks the folder as a store (format version)
    DIR/month=2026-01/records.parquet   the records whose call started in that month (UTC)
    DIR/month=2026-02/records.parquet
    DIR/_log.jsonl                      one line per run that added records
    DIR/.lock                           held while a run writes (never deleted)
    DIR/.fetch/                         pages being downloaded (a run's scratch space)

Hive-style ``month=`` folders let Dask, DuckDB and pyarrow read the store as one dataset
(``pyarrow.dataset.dataset(DIR, partitioning="hive")``); names starting with ``_`` or ``.``
are skipped by those readers. This module only names paths: it imports nothing heavy, so
input discovery can recognise a store cheaply.
"""

from __future__ import annotations

import re
from pathlib import Path

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


def partition_files(root: str | Path) -> list[Path]:
    """The partition files of a store, oldest month first."""
    root = Path(root)
    found = []
    for sub in root.iterdir():
        if sub.is_dir() and _MONTH_DIR.match(sub.name) and (sub / PARTITION_FILE).is_file():
            found.append(sub / PARTITION_FILE)
    return sorted(found)


def month_of(partition: str | Path) -> str:
    """``YYYY-MM`` of a partition file."""
    m = _MONTH_DIR.match(Path(partition).parent.name)
    if not m:
        raise ValueError(f"{partition} is not a store partition")
    return f"{m.group(1)}-{m.group(2)}"
