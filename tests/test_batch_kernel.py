"""A batch worker keeps one report kernel for every tenant it takes: two different tenants run
one after the other on it read exactly as each one's own report. A batch says how fast it ran."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from batch_helpers import summary, write_tenants

from planner.batch import read_tenants
from planner.batch.cluster import Throughput, engine_threads
from planner.batch.task import run_tenant, worker_kernel
from planner.report.runner import build_report
from planner.text.console import batch_throughput, duration

#: what two runs of one report do not share: the footer's time, the tables' random style ids
_FOOTER = re.compile(r'<div class="planner-footer">.*?</div>', re.S)
_STYLE_ID = re.compile(r"T_[0-9a-f]{5}")


def _page(folder: Path, name: str) -> str:
    page = (folder / f"{name}.html").read_text(encoding="utf-8")
    return _STYLE_ID.sub("T_", _FOOTER.sub("", page))


@pytest.mark.slow
def test_two_tenants_on_one_worker_read_as_their_single_runs(tmp_path):
    tenants = {t.name: t for t in read_tenants(write_tenants(tmp_path / "in", broken=False))}
    # alpha in French first: the next tenant on the worker must not inherit its language
    alpha = {**tenants["alpha"].parameters, "lang": "fr"}
    beta = tenants["beta"].parameters
    starts = worker_kernel().starts
    for name, params in (("alpha", alpha), ("beta", beta)):
        entry = run_tenant(name, params, str(tmp_path / "worker" / name))
        assert entry["status"] in ("ok", "alert"), entry["error"]
    assert worker_kernel().starts - starts <= 1  # one kernel for both (started by the first)
    for name, params in (("alpha", alpha), ("beta", beta)):
        single = tmp_path / "single" / name
        build_report(params, single, progress=False, log=None)
        kept = tmp_path / "worker" / name
        assert summary(kept) == summary(single)
        for page in ("funding_plan", "usage_analysis"):
            assert _page(kept, page) == _page(single, page)
    assert "Plan de financement" in _page(tmp_path / "worker" / "alpha", "funding_plan")
    assert "Communications Credits funding plan" in _page(
        tmp_path / "worker" / "beta", "funding_plan"
    )


def test_throughput_projects_at_the_measured_rate():
    run = Throughput(tenants=20, workers=2, seconds=100.0, startup=4.0)
    assert run.projected(1000) == pytest.approx(4.0 + 5000.0)
    line = batch_throughput(run.tenants, run.workers, run.seconds, 1000, run.projected(1000))
    assert line == (
        "planner: 20 tenants in 1 min 40 s on 2 workers (12.0 a minute); 1,000 tenants would "
        "take about 1 h 23 min at this rate"
    )
    assert [duration(s) for s in (0.4, 59.6, 61, 7322)] == ["0 s", "1 min 00 s", "1 min 01 s",
                                                           "2 h 02 min"]  # fmt: skip
    assert engine_threads(1) >= 1 and engine_threads(10_000) == 1
