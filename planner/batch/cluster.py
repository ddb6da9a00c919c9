"""Run the tenants' reports on a Dask cluster, one task per tenant.

The cluster is a :class:`distributed.LocalCluster` of worker processes (one report at a time
each: a report runs its own kernels) unless the address of a running scheduler is given
(``dask scheduler`` / ``dask worker ADDRESS``). Every worker must see the tenants' input files
and the output folder at the same paths (a shared file system on a real cluster).

A worker that dies mid-report (killed, out of memory) loses nothing but time: the scheduler
gives its task to another worker (up to ``distributed.scheduler.allowed-failures`` times).
An unexpected error inside a task is retried ``retries`` times; errors the user can act on
come back as ``failed`` entries at once (see :mod:`planner.batch.task`).

``distributed`` is an optional dependency (``pip install 'planner[dask]'``), imported only here
and only when a batch runs.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from planner.batch.task import run_tenant
from planner.batch.tenants import Tenant
from planner.errors import EXIT_INTERNAL, InputError

__all__ = ["Throughput", "connect", "import_distributed", "run_tenants", "worker_count"]

#: how long to wait for a scheduler to answer, in seconds
CONNECT_TIMEOUT = 10

_Progress = Callable[[dict[str, Any], int, int], None]


def import_distributed():
    """The ``distributed`` module, or an :class:`InputError` saying how to install it."""
    try:
        import distributed
    except ImportError as exc:
        raise InputError(
            "planner batch runs on Dask, which is not installed ({exc}); install "
            "it with `pip install 'planner[dask]'`",
            exc=exc,
        ) from None
    return distributed


def default_workers(n_tenants: int) -> int:
    """Local worker processes: one per core, never more than there are tenants."""
    return max(1, min(n_tenants, os.cpu_count() or 1))


def engine_threads(workers: int) -> int:
    """Threads each local worker's simulations may use: the cores shared among the workers
    (a worker's report runs on its kernel, one tenant at a time; results do not depend on
    the number of threads)."""
    return max(1, (os.cpu_count() or 1) // max(1, workers))


@contextmanager
def connect(scheduler: str | None = None, workers: int | None = None) -> Iterator[Any]:
    """A :class:`distributed.Client` on the scheduler at ``scheduler``, else on a new
    ``LocalCluster`` of ``workers`` processes (closed on exit)."""
    distributed = import_distributed()
    if scheduler:
        try:
            client = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            raise InputError(
                "--scheduler: cannot reach a Dask scheduler at {scheduler} ({exc})",
                scheduler=scheduler,
                exc=exc,
            ) from None
        with client:
            yield client
        return
    if workers is not None and workers < 1:
        raise InputError("--workers {workers}: give at least 1 worker", workers=workers)
    n_workers = workers or default_workers(os.cpu_count() or 1)
    cluster = distributed.LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # any free port: the machine may run other clusters
        silence_logs=logging.ERROR,
        # inherited by each worker's report kernel: n workers x all cores would oversubscribe
        env={"NUMBA_NUM_THREADS": str(engine_threads(n_workers))},
    )
    with cluster, distributed.Client(cluster) as client:
        yield client


def worker_count(client: Any) -> int:
    """How many workers the cluster has now."""
    try:
        return len(client.scheduler_info().get("workers", {}))
    except (OSError, TimeoutError):
        return 0


@dataclass(frozen=True)
class Throughput:
    """How fast a batch ran: ``tenants`` reports in ``seconds`` (from the first task sent to
    the last one back) on ``workers`` workers, after ``startup`` seconds starting or reaching
    the cluster."""

    tenants: int
    workers: int
    seconds: float
    startup: float

    def projected(self, tenants: int = 1000) -> float:
        """Seconds ``tenants`` reports would take on these workers at this rate (start-up
        included)."""
        return self.startup + tenants * self.seconds / max(1, self.tenants)


def dashboard_link(client: Any) -> str | None:
    """The cluster's dashboard address, when it serves one."""
    try:
        services = client.scheduler_info().get("services", {})
    except (OSError, TimeoutError):
        return None
    return client.dashboard_link if "dashboard" in services else None


def run_tenants(
    client: Any,
    tenants: Sequence[Tenant],
    out_dir: str | Path,
    *,
    retries: int = 1,
    progress: _Progress | None = None,
) -> list[dict[str, Any]]:
    """Submit one report task per tenant and collect their index entries as they finish.

    Returns
    -------
    list of dict
        One entry per tenant (see :func:`planner.batch.task.run_tenant`), in the tenants'
        order; a task that could not complete (its workers kept dying, a bug) is a ``failed``
        entry with exit code 1 and the error.
    """
    distributed = import_distributed()
    out_dir = Path(out_dir).resolve()
    run = uuid.uuid4().hex[:8]
    futures = {}
    for tenant in tenants:
        future = client.submit(
            run_tenant,
            tenant.name,
            tenant.parameters,
            str(out_dir / tenant.name),
            key=f"planner-report-{tenant.name}-{run}",
            pure=False,
            retries=retries,
        )
        futures[future] = tenant.name
    done: dict[str, dict[str, Any]] = {}
    for future in distributed.as_completed(list(futures)):
        name = futures[future]
        done[name] = _entry(future, name)
        future.release()
        if progress is not None:
            progress(done[name], len(done), len(tenants))
    return [done[t.name] for t in tenants]


def _entry(future: Any, name: str) -> dict[str, Any]:
    """The task's entry, or a ``failed`` one when it raised or its workers died."""
    if future.status == "finished":
        return future.result()
    try:
        exc = future.exception()
    except Exception as err:  # cancelled, or the scheduler went away
        exc = err
    text = str(exc).strip().splitlines()
    detail = f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
    return {
        "name": name,
        "status": "failed",
        "exit_code": EXIT_INTERNAL,
        "worker": None,
        "runway_days": None,
        "recommendation": None,
        "error": f"the report task did not complete ({detail})",
        "seconds": None,
        "timings": None,
    }
