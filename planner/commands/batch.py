"""``planner batch``: every tenant's report on a Dask cluster, and a portfolio page."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from planner import text, validate
from planner.batch import read_tenants, run_batch, shared_language
from planner.batch.portfolio import index_document
from planner.text.console import batch_counts, batch_line, batch_progress, batch_throughput

HELP = "run the report for many tenants (TENANTS.yaml) on a Dask cluster; write a portfolio"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "tenants", metavar="TENANTS.yaml", help="the tenants: `defaults:` and a `tenants:` list"
    )
    parser.add_argument(
        "--out", required=True, metavar="DIR", help="output folder: DIR/<tenant>/ and DIR/index.*"
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="address of a running Dask scheduler (default: a local cluster)",
    )
    where.add_argument(
        "--workers",
        type=validate.workers,
        metavar="N",
        help="local worker processes (default: one per core)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print index.json instead of the summary"
    )
    parser.add_argument(
        "--lang",
        metavar="LANG",
        type=validate.language,
        help="language of the portfolio (index.html, portfolio.xlsx) and the summary: "
        f"{' or '.join(text.available())} (default: the tenants' own when they share one, "
        "else en)",
    )


class _Progress:
    """``[done/total]`` over tenants, redrawn on one line of a terminal's stderr."""

    def __init__(self) -> None:
        self.failed = 0

    def __call__(self, entry: dict[str, Any], done: int, total: int) -> None:
        self.failed += entry["status"] == "failed"
        line = batch_progress(done, total, self.failed, entry["name"])
        end = "\n" if done == total else ""
        print(f"\r\033[K{line}", end=end, file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    tenants = read_tenants(args.tenants)  # every check before the cluster starts
    with text.language(args.lang or shared_language(tenants)):
        return _run(args, tenants)


def _run(args: argparse.Namespace, tenants: list) -> int:
    result = run_batch(
        tenants,
        args.out,
        scheduler=args.scheduler,
        workers=args.workers,
        on_dashboard=lambda link: print(
            text.t("planner: Dask dashboard at {link}", link=link), file=sys.stderr
        ),
        progress=_Progress() if sys.stderr.isatty() else None,
    )
    if args.json:
        print(result.files[0].read_text(encoding="utf-8"), end="")
        _print_throughput(result.throughput, sys.stderr)
        return result.exit_code
    for entry in result.entries:
        print(batch_line(entry))
    for path in result.files:
        print(path)
    counts = index_document(result.entries)["counts"]
    print(batch_counts(counts, len(result.entries)))
    _print_throughput(result.throughput, sys.stdout)
    return result.exit_code


#: the portfolio size the throughput line projects to
PROJECTED_TENANTS = 1000


def _print_throughput(throughput: Any, stream: Any) -> None:
    """How fast the reports ran, and what a portfolio of 1,000 tenants would take."""
    if throughput is None:
        return
    line = batch_throughput(
        throughput.tenants,
        throughput.workers,
        throughput.seconds,
        PROJECTED_TENANTS,
        throughput.projected(PROJECTED_TENANTS),
    )
    print(line, file=stream)
