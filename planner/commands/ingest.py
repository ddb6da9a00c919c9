"""``planner ingest``: read usage exports, report what was read, write the record table.

Usage::

    planner ingest FILE_OR_DIR... [--out records.parquet|records.csv] [--into STORE]
                   [--rejects rejects.csv] [--json]

Prints a summary per file (format detected, rows, records, duplicates, rejected), the period
covered and the Communications Credits spend per currency; ``--json`` prints one JSON object
instead (:meth:`planner.ingest.IngestResult.to_json`). Exit 0 when the input was usable, even
with some rejected rows; exit 2 with a one-line message when a file is not a usage export, is
empty or unreadable, or when no row at all could be used. Files are written atomically.

``--into DIR`` adds the records to a history store (:mod:`planner.store.history`), created
when missing; records already stored are counted as duplicates and left out. A store
directory is also accepted as input, like a folder of exports.

The work is :func:`planner.ingest.output.ingest_to`; this module parses and prints.
"""

from __future__ import annotations

import argparse

from planner import validate

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
        "--into",
        metavar="DIR",
        help="add the records to this history store (created when missing)",
    )
    parser.add_argument(
        "--rejects", metavar="PATH", help="write the rejected rows (with reasons) to a CSV file"
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object instead of the summary"
    )
    parser.add_argument(
        "--lang",
        metavar="LANG",
        type=validate.language,
        help="language of the summary and of the errors: en (default) or fr",
    )


def run(args: argparse.Namespace) -> int:
    """Run ``planner ingest``; returns the exit code.

    The inputs are streamed chunk by chunk and written as they come, so memory stays bounded
    whatever their size (:func:`planner.ingest.output.ingest_to`).
    """
    # imported here: `planner ingest --help` starts without pandas and pyarrow
    from planner.ingest.output import ingest_to, summary_text
    from planner.text import number, t
    from planner.validate import check_outputs, json_text

    check_outputs(args.paths, [("--out", args.out), ("--rejects", args.rejects)])
    result = ingest_to(args.paths, out=args.out, into=args.into, rejects=args.rejects)
    if args.json:
        print(json_text(result.totals))
        return 0
    print(summary_text(result.stream, args.rejects))
    if "store" in result.totals:
        added = result.totals["store"]
        print(
            t(
                "store {path}: {added} record(s) added, {duplicates} already there",
                path=added["path"],
                added=number(added["records_added"]),
                duplicates=number(added["duplicates"]),
            )
        )
    return 0
