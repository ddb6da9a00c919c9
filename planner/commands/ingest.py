"""``planner ingest``: read usage exports, report what was read, write the record table.

Usage::

    planner ingest FILE_OR_DIR... [--out records.parquet|records.csv] [--rejects rejects.csv]
                   [--json]

Prints a summary per file (format detected, rows, records, duplicates, rejected), the period
covered and the Communications Credits spend per currency; ``--json`` prints one JSON object
instead (:meth:`planner.ingest.IngestResult.to_json`). Exit 0 when the input was usable, even
with some rejected rows; exit 2 with a one-line message when a file is not a usage export, is
empty or unreadable, or when no row at all could be used. Files are written atomically.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import pandas as pd

from planner.errors import InputError

HELP = "read PSTN usage exports (CSV, Excel, zip, Graph JSON) into one call-record table"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``planner ingest``."""
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="FILE_OR_DIR",
        help="export files, folders (searched recursively) or glob patterns",
    )
    parser.add_argument(
        "--out", metavar="PATH", help="write the records to a .parquet or .csv file"
    )
    parser.add_argument(
        "--rejects", metavar="PATH", help="write the rejected rows (with reasons) to a CSV file"
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object instead of the summary"
    )


def _atomic_write(path: Path, write) -> None:
    """Write through a temporary file in the same folder, then rename over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_records(records: pd.DataFrame, path: str | Path) -> None:
    """Write records to ``.parquet`` or ``.csv`` (chosen by the extension), atomically.

    Raises
    ------
    InputError
        For another extension or a folder that cannot be written.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        writer = lambda tmp: records.to_parquet(tmp, index=False)  # noqa: E731
    elif suffix == ".csv":
        writer = lambda tmp: records.to_csv(tmp, index=False)  # noqa: E731
    else:
        raise InputError(f"--out {path}: use a .parquet or .csv file name")
    _write(path, writer)


def _write(path: Path, writer) -> None:
    try:
        _atomic_write(path, writer)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None


def _summary(result) -> str:
    lines = []
    width = max((len(f.path) for f in result.files), default=4)
    lines.append(
        f"{'file':<{width}}  {'format':<24} {'rows':>9} {'records':>9} {'dupes':>7} {'rejected':>8}"
    )
    for f in result.files:
        fmt = f"{f.format} ({f.container})"
        lines.append(
            f"{f.path:<{width}}  {fmt:<24} {f.rows:>9} {f.records:>9} {f.duplicates:>7} "
            f"{f.rejected:>8}"
        )
    lines.append(
        f"total: {len(result.records)} records, {result.duplicates} duplicates, "
        f"{len(result.rejects)} rejected"
    )
    period = result.period
    lines.append("period: " + (f"{period[0]} to {period[1]}" if period else "no calls"))
    exported = [f.exported_period for f in result.files if f.exported_period]
    if exported:
        lines.append(
            f"exported period: {min(p[0] for p in exported)} to {max(p[1] for p in exported)}"
        )
    spend = result.credit_spend()
    lines.append(
        "credit spend (MCOPSTNPP): "
        + (", ".join(f"{amount} {cur}" for cur, amount in spend.items()) or "none")
    )
    if len(result.rejects):
        lines.append("some rows were rejected: see --rejects FILE for each row's reason")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Run ``planner ingest``; returns the exit code."""
    from planner.ingest import read_exports

    result = read_exports(args.paths)
    if args.rejects:
        rejects = result.rejects
        _write(Path(args.rejects), lambda tmp: rejects.to_csv(tmp, index=False))
    if len(result.records) == 0 and len(result.rejects):
        hint = (
            f" (reasons in {args.rejects})" if args.rejects else "; use --rejects FILE to see why"
        )
        raise InputError(
            f"no usable call record: all {len(result.rejects)} row(s) were rejected{hint}"
        )
    if args.out:
        write_records(result.records, args.out)
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        print(_summary(result))
    sys.stdout.flush()
    return 0
