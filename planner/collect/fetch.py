"""Fetch call records from Microsoft Graph into a history store (``planner fetch``).

The period is cut into windows of at most 90 days, oldest first. Each window's pages are
saved in the store's scratch folder as they arrive (as CSV with Graph's property names, an
input format of :mod:`planner.ingest`: the same checks and conversion as a saved export), read
back with the ingest readers, and added to the store when the window is complete.
A run killed midway therefore leaves the store as it was after its last complete window, and
the next run (incremental from the newest record) fetches the rest.

Incremental: without ``since``, each kind starts :data:`LOOKBACK` before the newest record of
that kind in the store (records appear 24-48 hours late), or :data:`FIRST_FETCH` before
``until`` in an empty store (what Graph keeps: about a year of PSTN calls, 150 days of Direct
Routing).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from planner.collect.graph import DIRECT_ROUTING_CALLS, MAX_WINDOW, PSTN_CALLS, GraphClient
from planner.collect.store import Store, StoreWriter
from planner.errors import InputError
from planner.ingest import iter_records

LOOKBACK = dt.timedelta(days=3)
FIRST_FETCH = {PSTN_CALLS: dt.timedelta(days=365), DIRECT_ROUTING_CALLS: dt.timedelta(days=150)}
KINDS = {PSTN_CALLS: "calling_plans", DIRECT_ROUTING_CALLS: "direct_routing"}


def windows(start: dt.datetime, end: dt.datetime, length: dt.timedelta = MAX_WINDOW):
    """``[start, end]`` cut into consecutive windows of at most ``length``, oldest first.

    Neighbouring windows share their boundary instant (Graph's bounds are both inclusive, so
    nothing falls between two windows; a call at the boundary comes twice and is kept once).

    >>> w = windows(dt.datetime(2026, 1, 1), dt.datetime(2026, 7, 1))
    >>> [(a.date().isoformat(), b.date().isoformat()) for a, b in w]
    [('2026-01-01', '2026-04-01'), ('2026-04-01', '2026-06-30'), ('2026-06-30', '2026-07-01')]
    """
    out = []
    while start < end:
        stop = min(start + length, end)
        out.append((start, stop))
        start = stop
    return out


@dataclass
class FetchResult:
    """What one fetch did (``planner fetch --json``).

    ``rows == records_added + duplicates + rejected``: every row Graph served is accounted for.
    """

    store: Path
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    rows: int = 0
    records_added: int = 0
    duplicates: int = 0
    rejected: int = 0
    windows: int = 0
    pages: int = 0
    requests: int = 0
    retries: int = 0
    seconds: float = 0.0
    functions: list[str] = field(default_factory=list)
    reject_reasons: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Keys: ``records_added``, ``duplicates``, ``rejected``, ``rows``, ``windows``,
        ``pages``, ``requests`` (Graph requests, retries included), ``retries``, ``period``
        (``start``, ``end``: the UTC times asked for), ``functions``, ``seconds``, ``store``."""
        return {
            "records_added": self.records_added,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "rows": self.rows,
            "windows": self.windows,
            "pages": self.pages,
            "requests": self.requests,
            "retries": self.retries,
            "period": {
                "start": None if self.start is None else _iso(self.start),
                "end": None if self.end is None else _iso(self.end),
            },
            "functions": self.functions,
            "seconds": round(self.seconds, 3),
            "store": str(self.store),
        }


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _as_utc(day_or_time: dt.date | dt.datetime) -> dt.datetime:
    if isinstance(day_or_time, dt.datetime):
        return day_or_time if day_or_time.tzinfo else day_or_time.replace(tzinfo=dt.UTC)
    return dt.datetime.combine(day_or_time, dt.time(), tzinfo=dt.UTC)


def _cell(value: Any) -> str:
    """A Graph property value as CSV text (numbers arrive as their exact decimal text)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":")) if value else ""
    return str(value)


def _save_page(rows: list[Any], path: Path) -> int:
    """Write a page's rows as CSV with Graph's property names as headers (a format the
    ingest readers take, and the fastest they read); returns the rows that are no objects."""
    objects = [r for r in rows if isinstance(r, dict)]
    names = list(dict.fromkeys(k for r in objects for k in r))
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(names)
        for row in objects:
            out.writerow(
                [
                    "" if v is None else v if type(v) is str else _cell(v)
                    for v in map(row.get, names)
                ]
            )
    return len(rows) - len(objects)


def _save_pages(
    client: GraphClient,
    function: str,
    start: dt.datetime,
    end: dt.datetime,
    folder: Path,
    result: FetchResult,
) -> list[Path]:
    """Download a window's pages into ``folder``; the files of the pages holding rows."""
    folder.mkdir(parents=True, exist_ok=True)
    saved = []
    for n, body in enumerate(client.pages(function, start, end), start=1):
        rows = body.get("value")
        if not isinstance(rows, list) or not rows:
            continue  # an empty page has no rows to read (and no header to tell its format)
        path = folder / f"page-{n:05d}.csv"
        odd = _save_page(rows, path)
        if odd:
            result.rows += odd
            result.rejected += odd
            reason = "not a JSON object with call properties"
            result.reject_reasons[reason] = result.reject_reasons.get(reason, 0) + odd
        if odd < len(rows):
            saved.append(path)
    return saved


def _store_window(
    writer: StoreWriter, function: str, pages: list[Path], result: FetchResult
) -> None:
    """Read a window's saved pages and add their records to the store."""
    if not pages:
        return
    stream = iter_records(pages, chunk_rows=200_000)
    source = pa.scalar(f"graph:{function}")
    for table in stream.tables():
        n = table.num_rows
        table = table.set_column(
            table.schema.get_field_index("source_file"), "source_file", pa.repeat(source, n)
        ).set_column(
            table.schema.get_field_index("source_row"),
            "source_row",
            pa.nulls(n, pa.int64()),
        )
        added, duplicates = writer.add(table)
        result.records_added += added
        result.duplicates += duplicates
    writer.flush()
    result.rows += sum(f.rows for f in stream.files)
    result.duplicates += stream.duplicates
    result.rejected += sum(f.rejected for f in stream.files)
    for reason, count in stream.rejects["reason"].value_counts().items():
        result.reject_reasons[str(reason)] = result.reject_reasons.get(str(reason), 0) + int(count)


def _start_of(
    writer: StoreWriter, function: str, since: dt.datetime | None, until: dt.datetime
) -> dt.datetime:
    if since is not None:
        return since
    newest = writer.store.newest_start(KINDS[function])
    if newest is None:
        return until - FIRST_FETCH[function]
    return min(_as_utc(newest).replace(microsecond=0) - LOOKBACK, until)


def fetch(
    store_dir: str | Path,
    client: GraphClient,
    *,
    since: dt.date | dt.datetime | None = None,
    until: dt.date | dt.datetime | None = None,
    direct_routing: bool = False,
    lock_timeout: float = 600.0,
    progress: Callable[[str], None] | None = None,
) -> FetchResult:
    """Fetch PSTN call records (and with ``direct_routing`` Direct Routing ones) into a store.

    Parameters
    ----------
    store_dir : str or Path
        The store (created when missing or an empty folder).
    client : GraphClient
        Signed-in lazily on the first request.
    since, until : date or datetime, optional
        Period of call start times. A date means its midnight UTC; ``until`` defaults to now.
        Without ``since`` the fetch is incremental (see the module docstring).
    progress : callable, optional
        Receives one line per window.

    Raises
    ------
    InputError
        ``since`` after ``until``, a store that cannot be used, Graph refusing (exit 2).
    """
    started = time.monotonic()
    store = Store(store_dir, create=True)
    end = _as_utc(until) if until is not None else dt.datetime.now(dt.UTC).replace(microsecond=0)
    begin = _as_utc(since) if since is not None else None
    if begin is not None and begin > end:
        raise InputError(f"--since {begin.date()} is after --until {end.date()}")
    functions = [PSTN_CALLS] + ([DIRECT_ROUTING_CALLS] if direct_routing else [])
    result = FetchResult(store=store.root, end=end, functions=functions)
    with store.writer(lock_timeout) as writer:
        scratch = store.scratch()
        for function in functions:
            start = _start_of(writer, function, begin, end)
            result.start = start if result.start is None else min(result.start, start)
            for n, (a, b) in enumerate(windows(start, end), start=1):
                folder = scratch / f"{function}-{n:03d}"
                pages = _save_pages(client, function, a, b, folder, result)
                before = result.records_added
                _store_window(writer, function, pages, result)
                shutil.rmtree(folder, ignore_errors=True)
                result.windows += 1
                if progress is not None:
                    progress(
                        f"{function} {_iso(a)}..{_iso(b)}: "
                        f"{result.records_added - before} record(s) added"
                    )
        result.pages = client.counters.pages
        result.requests = client.counters.requests
        result.retries = client.counters.retries
        result.seconds = time.monotonic() - started
        writer.log(
            {"command": "fetch", **{k: v for k, v in result.to_json().items() if k != "store"}}
        )
    return result
