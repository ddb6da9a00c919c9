"""`planner batch` on a LocalCluster of worker processes: a failing tenant does not stop the
others, and a worker killed mid-report costs time, not the report."""

from __future__ import annotations

import json
import logging
import os
import threading
import time

import psutil
import pytest

distributed = pytest.importorskip("distributed")

from batch_helpers import write_tenants  # noqa: E402

from planner.batch import read_tenants, run_batch  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def local_cluster():
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    ) as cluster:
        yield cluster


def _kill_with_children(pid: int) -> None:
    """SIGKILL a worker process and the kernels it started."""
    proc = psutil.Process(pid)
    for p in [*proc.children(recursive=True), proc]:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass


def _running_on(client, prefix: str, timeout: float = 60.0) -> str:
    """Address of the worker running the task whose key starts with ``prefix``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for address, keys in client.processing().items():
            if any(str(k).startswith(prefix) for k in keys):
                return address
        time.sleep(0.1)
    raise AssertionError(f"no task {prefix}* started within {timeout} s")


def test_killed_worker_and_failing_tenant(local_cluster, tmp_path):
    tenants = read_tenants(write_tenants(tmp_path / "in"))
    alpha, broken = tenants[0], tenants[2]
    missing = broken.parameters | {"exports": [str(tmp_path / "in" / "nowhere")]}
    tenants = [alpha, type(broken)(name="missing", parameters=missing), broken]
    out = tmp_path / "out"
    found: dict = {}
    batch = threading.Thread(
        target=lambda: found.update(
            result=run_batch(tenants, out, scheduler=local_cluster.scheduler_address)
        )
    )
    with distributed.Client(local_cluster) as client:
        pids = client.run(os.getpid)
        batch.start()
        victim = _running_on(client, "planner-report-alpha-")
        # kill it once the report is under way (its build folder exists)
        deadline = time.monotonic() + 60
        while not list(out.glob(".alpha.*.partial")) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)
        _kill_with_children(pids[victim])
        batch.join(timeout=240)
    assert not batch.is_alive()
    result = found["result"]
    print(json.dumps(result.entries, indent=1), "victim:", victim)
    assert result.exit_code == 4
    assert result.dashboard and result.dashboard.startswith("http://")
    by_name = {e["name"]: e for e in result.entries}
    assert by_name["alpha"]["status"] == "ok"
    assert by_name["alpha"]["worker"] not in (None, victim)  # rerun on another worker
    assert (out / "alpha" / "funding_plan.html").exists()
    assert (out / "alpha" / "summary.json").exists()
    assert not list(out.glob(".*.partial"))  # the killed run's half-built report is gone
    for name, code, text in (("broken", 2, "not a usage export"), ("missing", 2, "does not exist")):
        entry = by_name[name]
        assert (entry["status"], entry["exit_code"]) == ("failed", code)
        # (on a worker of the cluster: the victim's replacement if it was queued there)
        assert text in entry["error"] and entry["worker"].startswith("tcp://127.0.0.1:")
        assert not (out / name / "summary.json").exists()
    index = json.loads((out / "index.json").read_text())
    assert [t["name"] for t in index["tenants"]] == ["alpha", "missing", "broken"]
    assert index["exit_code"] == 4
    assert (out / "index.html").exists() and (out / "portfolio.xlsx").exists()
