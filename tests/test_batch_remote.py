"""`planner batch --scheduler` against a scheduler and two workers started as separate
processes (`dask scheduler`, `dask worker ADDRESS`): the reports equal single runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")

from batch_helpers import single_run_argv, summary, write_tenants  # noqa: E402

from planner import cli  # noqa: E402

pytestmark = pytest.mark.slow

DASK = str(Path(sys.executable).with_name("dask"))


def _start(argv: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        argv,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: killed with its children
    )


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture
def dask_cluster(tmp_path):
    """``(scheduler address, [worker addresses])`` of processes killed afterwards."""
    procs: list[subprocess.Popen] = []
    try:
        info = tmp_path / "scheduler.json"
        procs.append(
            _start(
                [DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                 "--scheduler-file", str(info), "--idle-timeout", "300"],
                tmp_path,
            )
        )  # fmt: skip
        deadline = time.monotonic() + 60
        address = None
        # the scheduler creates the file, then writes it: wait for the whole document
        while address is None and time.monotonic() < deadline:
            try:
                address = json.loads(info.read_text())["address"]
            except (FileNotFoundError, ValueError):
                time.sleep(0.1)
        assert address, f"no scheduler address in {info} after 60 s"
        for name in ("w1", "w2"):
            procs.append(
                _start(
                    [DASK, "worker", address, "--nthreads", "1", "--no-dashboard", "--name", name,
                     "--local-directory", str(tmp_path / name), "--death-timeout", "60"],
                    tmp_path,
                )
            )  # fmt: skip
        with distributed.Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=90)
            workers = sorted(client.scheduler_info()["workers"])
        yield address, workers
    finally:
        for proc in reversed(procs):
            _stop(proc)


def test_batch_on_separate_scheduler_and_workers(dask_cluster, tmp_path, capsys):
    address, workers = dask_cluster
    root = tmp_path / "in"
    tenants = write_tenants(root)
    # the single runs, in their own processes, while the batch runs
    singles = {
        name: subprocess.Popen(
            [sys.executable, "-m", "planner", *single_run_argv(root, name, tmp_path / name)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for name in ("alpha", "beta")
    }
    try:
        out = tmp_path / "batch"
        code = cli.main(
            ["batch", str(tenants), "--out", str(out), "--scheduler", address, "--json"]
        )
    finally:
        for proc in singles.values():
            proc.wait(timeout=300)
    assert code == 4
    index = json.loads(capsys.readouterr().out)
    assert index == json.loads((out / "index.json").read_text())
    by_name = {t["name"]: t for t in index["tenants"]}
    assert [by_name[n]["status"] for n in ("alpha", "beta", "broken")] == ["ok", "ok", "failed"]
    assert by_name["broken"]["exit_code"] == 2
    assert "broken.csv: not a usage export" in by_name["broken"]["error"]
    assert {t["worker"] for t in index["tenants"]} <= set(workers)
    for name in ("alpha", "beta"):
        proc = singles[name]
        assert proc.returncode in (0, 3), proc.stderr.read().decode()
        assert summary(out / name) == summary(tmp_path / name)
        assert by_name[name]["exit_code"] == proc.returncode
    rec = summary(out / "beta")["recommendation"]
    assert by_name["beta"]["runway_days"] == rec["runway_days"]["median"]
    assert by_name["beta"]["recommendation"]["recharge_amount"] == rec["recharge_amount"]
