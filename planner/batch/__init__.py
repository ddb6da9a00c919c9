"""Batch reports: many tenants, one schedule, on a Dask cluster.

``planner batch TENANTS.yaml --out DIR`` reads the tenants (:mod:`planner.batch.tenants`), runs
each tenant's full report as one task on a Dask cluster (:mod:`planner.batch.cluster`,
:mod:`planner.batch.task`) into ``DIR/<name>/``, and writes the portfolio: ``DIR/index.json``,
``DIR/index.html`` and ``DIR/portfolio.xlsx`` (:mod:`planner.batch.portfolio`).

Dask (``distributed``) is an optional dependency, ``pip install 'planner[dask]'``; nothing here
imports it until a batch runs.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planner.batch.cluster import Throughput
from planner.batch.portfolio import batch_exit_code, write_portfolio
from planner.batch.tenants import Tenant, read_tenants, shared_language
from planner.errors import InputError

__all__ = ["BatchResult", "Tenant", "Throughput", "read_tenants", "run_batch", "shared_language"]


@dataclass
class BatchResult:
    """What a batch wrote.

    Attributes
    ----------
    entries : list of dict
        One index entry per tenant, in the tenants file's order.
    exit_code : int
        0 every tenant OK, 3 an alert and no failure, 4 a tenant failed.
    files : list of Path
        ``index.json``, ``index.html``, ``portfolio.xlsx``.
    dashboard : str or None
        The Dask dashboard's address, when the cluster serves one.
    throughput : Throughput or None
        How fast the reports ran, and what 1,000 tenants would take at that rate.
    """

    entries: list[dict[str, Any]] = field(default_factory=list)
    exit_code: int = 0
    files: list[Path] = field(default_factory=list)
    dashboard: str | None = None
    throughput: Throughput | None = None


def run_batch(
    tenants: list[Tenant],
    out_dir: str | Path,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    retries: int = 1,
    on_dashboard: Callable[[str], None] | None = None,
    progress: Callable[[dict[str, Any], int, int], None] | None = None,
) -> BatchResult:
    """Run every tenant's report on a Dask cluster and write the portfolio into ``out_dir``.

    Parameters
    ----------
    tenants : list of Tenant
        From :func:`read_tenants`.
    out_dir : str or Path
        Output folder: ``<name>/`` per tenant, plus the index files.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://HOST:PORT``); default: a local cluster
        of ``workers`` processes (default: one per core, at most one per tenant).
    retries : int
        How many times a task that raised an unexpected error is run again.
    on_dashboard : callable, optional
        Called with the dashboard's address once connected, when there is one.
    progress : callable, optional
        Called as ``progress(entry, done, total)`` after each tenant.
    """
    from planner.batch import cluster

    out = Path(out_dir).expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise InputError("--out: {out} exists and is not a folder", out=out)
    if not tenants:
        raise InputError("no tenant to run")
    if workers is None and not scheduler:
        workers = cluster.default_workers(len(tenants))
    started = time.perf_counter()
    with cluster.connect(scheduler, workers) as client:
        out.mkdir(parents=True, exist_ok=True)  # once the cluster answers
        dashboard = cluster.dashboard_link(client)
        if dashboard and on_dashboard is not None:
            on_dashboard(dashboard)
        ready = time.perf_counter()
        entries = cluster.run_tenants(client, tenants, out, retries=retries, progress=progress)
        throughput = Throughput(
            tenants=len(entries),
            workers=cluster.worker_count(client) or workers or 1,
            seconds=time.perf_counter() - ready,
            startup=ready - started,
        )
    _remove_leftovers(tenants, out)
    files = write_portfolio(entries, out)
    return BatchResult(
        entries=entries,
        exit_code=batch_exit_code(entries),
        files=files,
        dashboard=dashboard,
        throughput=throughput,
    )


def _remove_leftovers(tenants: list[Tenant], out: Path) -> None:
    """Remove the half-built reports of tasks whose worker died (every task has finished:
    nothing is building any more)."""
    for tenant in tenants:
        for partial in out.glob(f".{tenant.name}.*.partial"):
            shutil.rmtree(partial, ignore_errors=True)
