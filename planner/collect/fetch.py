"""Fetch call records (and SMS) from Microsoft Graph into a history store (``planner fetch``).

The period is cut into windows of at most 90 days (smaller ones when several workers share
the work, so each has some), oldest first. A pool of ``concurrency`` workers downloads the
windows, each its pages one after the other (a page names the next), sharing one token and
one pace (:mod:`planner.collect.pacing`: Graph's rate limit, a back-off every worker honours).
Each window's pages are saved in the store's scratch folder as they arrive (as CSV with Graph's
property names, an input format of :mod:`planner.ingest`: the same checks and conversion as a
saved export). This thread reads each complete window back with the ingest readers and adds
it to the store, in window order, while the workers download the next ones. A run killed
midway therefore leaves the store as it was after its last stored window, and the next run
(incremental from the newest record) fetches the rest; a window that fails stops the others.

Incremental: without ``since``, each kind starts :data:`LOOKBACK` before the newest record of
that kind in the store (records appear 24-48 hours late), or :data:`FIRST_FETCH` before
``until`` in an empty store (what Graph keeps: about a year of PSTN calls, 150 days of Direct
Routing).
"""

from __future__ import annotations

import concurrent.futures
import csv
import datetime as dt
import json
import math
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from planner.collect.graph import (
    DIRECT_ROUTING_CALLS,
    MAX_WINDOW,
    PSTN_CALLS,
    SMS_LOG,
    GraphClient,
)
from planner.errors import InputError
from planner.ingest import iter_records
from planner.ingest.graph import KnownProperties
from planner.store.history import Store, StoreWriter

LOOKBACK = dt.timedelta(days=3)
FIRST_FETCH = {
    PSTN_CALLS: dt.timedelta(days=365),
    DIRECT_ROUTING_CALLS: dt.timedelta(days=150),
    SMS_LOG: dt.timedelta(days=365),
}
KINDS = {PSTN_CALLS: "calling_plans", DIRECT_ROUTING_CALLS: "direct_routing", SMS_LOG: "sms"}
#: workers downloading windows at once (``--concurrency``)
DEFAULT_CONCURRENCY = 4
MAX_CONCURRENCY = 16
#: windows are not cut shorter than this to give every worker some
_MIN_SHARE = dt.timedelta(days=7)


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


def shares(start: dt.datetime, end: dt.datetime, concurrency: int) -> list:
    """``[start, end]`` in windows for ``concurrency`` workers: at most 90 days each, and at
    least two per worker when the period allows windows of a week or more.

    >>> w = shares(dt.datetime(2025, 6, 1), dt.datetime(2026, 6, 1), 4)
    >>> len(w), max(b - a for a, b in w) <= dt.timedelta(days=46)
    (8, True)
    >>> len(shares(dt.datetime(2025, 6, 1), dt.datetime(2026, 6, 1), 1))
    5
    """
    span = end - start
    if span <= dt.timedelta(0):
        return windows(start, end)
    count = math.ceil(span / MAX_WINDOW)
    if concurrency > 1:
        count = max(count, min(2 * concurrency, math.ceil(span / _MIN_SHARE)))
    length = dt.timedelta(seconds=math.ceil(span.total_seconds() / count))
    return windows(start, end, min(length, MAX_WINDOW))


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
    waited: float = 0.0
    concurrency: int = 1
    seconds: float = 0.0
    functions: list[str] = field(default_factory=list)
    reject_reasons: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Keys: ``records_added``, ``duplicates``, ``rejected``, ``rows``, ``windows``,
        ``pages``, ``requests`` (Graph requests, retries included), ``retries``, ``waited``
        (seconds of back-off), ``concurrency``, ``period`` (``start``, ``end``: the UTC times
        asked for), ``functions``, ``seconds``, ``store``."""
        return {
            "records_added": self.records_added,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "rows": self.rows,
            "windows": self.windows,
            "pages": self.pages,
            "requests": self.requests,
            "retries": self.retries,
            "waited": round(self.waited, 3),
            "concurrency": self.concurrency,
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
    return str(value).replace("\x00", "\ufffd")


def _save_page(rows: list[Any], path: Path, known: KnownProperties) -> int:
    """Write a page's rows as CSV with Graph's property names as headers (a format the
    ingest readers take, and the fastest they read); returns the rows that are no objects.

    Properties no export format knows are left out (a row cannot add columns by the million).
    """
    objects = [r for r in rows if isinstance(r, dict)]
    names = [k for k in dict.fromkeys(k for r in objects for k in r) if known(k)]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(names)
        for row in objects:
            out.writerow(
                [
                    "" if v is None else v if type(v) is str and "\x00" not in v else _cell(v)
                    for v in map(row.get, names)
                ]
            )
    return len(rows) - len(objects)


@dataclass
class _Window:
    """One window to fetch, and once downloaded its saved pages and odd rows."""

    function: str
    start: dt.datetime
    end: dt.datetime
    folder: Path
    pages: list[Path] = field(default_factory=list)
    odd: int = 0


def _download(client: GraphClient, window: _Window) -> _Window:
    """Download a window's pages into its folder (in a worker); the window, filled in."""
    window.folder.mkdir(parents=True, exist_ok=True)
    known = KnownProperties()
    for n, rows in enumerate(client.pages(window.function, window.start, window.end), start=1):
        if not rows:
            continue  # an empty page has no rows to read (and no header to tell its format)
        path = window.folder / f"page-{n:05d}.csv"
        odd = _save_page(rows, path, known)
        window.odd += odd
        if odd < len(rows):
            window.pages.append(path)
    return window


def _store_window(writer: StoreWriter, window: _Window, result: FetchResult) -> None:
    """Read a window's saved pages and add their records to the store."""
    if window.odd:
        result.rows += window.odd
        result.rejected += window.odd
        odd = "not a JSON object with call properties"
        result.reject_reasons[odd] = result.reject_reasons.get(odd, 0) + window.odd
    if not window.pages:
        return
    stream = iter_records(window.pages, chunk_rows=200_000)
    source = pa.scalar(f"graph:{window.function}")
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


def _windows(
    writer: StoreWriter,
    functions: list[str],
    begin: dt.datetime | None,
    end: dt.datetime,
    concurrency: int,
    result: FetchResult,
) -> list[_Window]:
    """Every window to fetch, function by function, oldest first."""
    scratch = writer.store.scratch()
    out = []
    for function in functions:
        start = _start_of(writer, function, begin, end)
        result.start = start if result.start is None else min(result.start, start)
        for n, (a, b) in enumerate(shares(start, end, concurrency), start=1):
            out.append(_Window(function, a, b, scratch / f"{function}-{n:03d}"))
    return out


def _run_pool(
    client: GraphClient,
    writer: StoreWriter,
    todo: list[_Window],
    concurrency: int,
    result: FetchResult,
    progress: Callable[[str], None] | None,
) -> None:
    """Download ``todo`` with ``concurrency`` workers; store each window in order."""
    client.pacer.stopped.clear()
    pool = concurrent.futures.ThreadPoolExecutor(concurrency, thread_name_prefix="graph")
    try:
        futures = [pool.submit(_download, client, window) for window in todo]
        for future in futures:
            window = future.result()
            before = result.records_added
            _store_window(writer, window, result)
            shutil.rmtree(window.folder, ignore_errors=True)
            result.windows += 1
            if progress is not None:
                progress(
                    f"{window.function} {_iso(window.start)}..{_iso(window.end)}: "
                    f"{result.records_added - before} record(s) added"
                )
    except BaseException:
        client.pacer.stopped.set()  # the other workers end at their next request or wait
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def fetch(
    store_dir: str | Path,
    client: GraphClient,
    *,
    since: dt.date | dt.datetime | None = None,
    until: dt.date | dt.datetime | None = None,
    direct_routing: bool = False,
    sms: bool = False,
    concurrency: int = DEFAULT_CONCURRENCY,
    lock_timeout: float = 600.0,
    progress: Callable[[str], None] | None = None,
) -> FetchResult:
    """Fetch PSTN call records (with ``direct_routing`` Direct Routing ones, with ``sms``
    Teams Phone SMS) into a store.

    Parameters
    ----------
    store_dir : str or Path
        The store (created when missing or an empty folder).
    client : GraphClient
        Signed-in lazily on the first request.
    since, until : date or datetime, optional
        Period of call start times. A date means its midnight UTC; ``until`` defaults to now.
        Without ``since`` the fetch is incremental (see the module docstring).
    concurrency : int
        Windows downloaded at once (1 to :data:`MAX_CONCURRENCY`).
    progress : callable, optional
        Receives one line per window.

    Raises
    ------
    InputError
        ``since`` after ``until``, a store that cannot be used, Graph refusing (exit 2).
    """
    started = time.monotonic()
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise InputError(
            "--concurrency {concurrency}: give 1 to {max_concurrency}",
            concurrency=concurrency,
            max_concurrency=MAX_CONCURRENCY,
        )
    store = Store(store_dir, create=True)
    end = _as_utc(until) if until is not None else dt.datetime.now(dt.UTC).replace(microsecond=0)
    begin = _as_utc(since) if since is not None else None
    if begin is not None and begin > end:
        raise InputError(
            "--since {date} is after --until {date2}", date=begin.date(), date2=end.date()
        )
    functions = [PSTN_CALLS] + ([DIRECT_ROUTING_CALLS] if direct_routing else [])
    functions += [SMS_LOG] if sms else []
    result = FetchResult(store=store.root, end=end, functions=functions, concurrency=concurrency)
    with store.writer(lock_timeout) as writer:
        todo = _windows(writer, functions, begin, end, concurrency, result)
        _run_pool(client, writer, todo, concurrency, result, progress)
        result.pages = client.counters.pages
        result.requests = client.counters.requests
        result.retries = client.counters.retries
        result.waited = client.pacer.waited
        result.seconds = time.monotonic() - started
        writer.log(
            {"command": "fetch", **{k: v for k, v in result.to_json().items() if k != "store"}}
        )
    return result
