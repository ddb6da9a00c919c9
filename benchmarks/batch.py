"""Time ``planner batch`` on 1 and 2 Dask workers against single ``planner report`` runs.

Generates (once, cached in ``benchmarks/_data/batch/``) ``--tenants`` small synthetic tenants:
the sample generator with seeds 1, 2, ... (each a different organisation), of which every
``step``-th row of the current export is kept (steps 6, 9 and 12 in turn: tenants of different
sizes) with the generated balance. Then, in one run:

- ``single``: ``planner report`` for each tenant in a fresh process, one after the other, as
  a scheduler running one command per tenant would (the baseline: their sum);
- ``batch_1`` / ``batch_2``: ``planner batch`` with ``--workers 1`` and ``--workers 2``
  (LocalCluster start-up included), end to end; each worker keeps one report kernel for every
  tenant it takes.

The checks: a tenant's time in a batch on one worker at most 60% of a cold ``planner report``
(the mean single run), a speed-up of at least 1.8x on 2 workers, and every tenant's
``summary.json`` from both batches equal to its single run's. On a loaded machine the
speed-up cannot show (2 workers need 2 idle cores): the load average is printed with it.

Where the time goes comes from the batch's own ``index.json`` (per tenant: start-up and input
checks, kernel start-up, simulation cells, other cells (ingest, charts, tables), rendering of
the HTML and the workbook). The projection for 1,000 tenants assumes one core per worker, the
per-tenant time measured on one worker, and the measured 2-worker efficiency.

The machine may be shared: absolute seconds move with the others' load (the load average is
printed); the ratios, measured in the same run, are the figures to quote.

Run: ``.venv/bin/python benchmarks/batch.py [--tenants 20] [--scenarios 200]``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

from planner.sample import generate_sample

HERE = Path(__file__).resolve().parent
DATA = HERE / "_data" / "batch"
PLANNER = [sys.executable, "-m", "planner"]
STEPS = (6, 9, 12)
PARTS = ("checks", "kernel_start", "simulation", "other_cells", "rendering")


def make_tenant(folder: Path, seed: int, step: int) -> None:
    """One synthetic tenant: a slice of a generated organisation's current export (seeds
    whose generated funding would not cover the spend are skipped for the next ones)."""
    if (folder / "usage.csv").exists():
        return
    folder.mkdir(parents=True, exist_ok=True)
    for attempt in range(seed, seed + 1000 * 50, 1000):
        try:
            tenant = generate_sample(attempt)
            break
        except ValueError:  # "the sample's funding does not cover its credit spend"
            continue
    else:
        raise SystemExit(f"no usable generated tenant from seed {seed}")
    name = next(k for k in tenant.files if "Export.callingplans" in k)
    with zipfile.ZipFile(io.BytesIO(tenant.files[name])) as zf:
        member = next(n for n in zf.namelist() if n.endswith(".csv"))
        lines = zf.read(member).decode("utf-8-sig").splitlines(keepends=True)
    (folder / "lots.csv").write_bytes(tenant.files["balance.csv"])
    (folder / "usage.csv").write_text(lines[0] + "".join(lines[1::step]), encoding="utf-8")


def make_tenants(n: int, scenarios: int) -> Path:
    lines = ["defaults:", f"  scenarios: {scenarios}", "  seed: 1", "tenants:"]
    for i in range(1, n + 1):
        name = f"tenant{i:03d}"
        make_tenant(DATA / name, seed=i, step=STEPS[i % len(STEPS)])
        lines += [
            f"  - name: {name}",
            f"    exports: {name}/usage.csv",
            f"    balance: {name}/lots.csv",
        ]
    path = DATA / f"tenants-{n}.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def timed(argv: list[str]) -> tuple[float, int]:
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start, done.returncode


def single_runs(n: int, scenarios: int, out: Path) -> list[float]:
    seconds = []
    for i in range(1, n + 1):
        name = f"tenant{i:03d}"
        argv = [*PLANNER, "report", str(DATA / name / "usage.csv"), "--balance",
                str(DATA / name / "lots.csv"), "--scenarios", str(scenarios), "--seed", "1",
                "--out", str(out / name), "--no-progress"]  # fmt: skip
        s, code = timed(argv)
        if code not in (0, 3):
            raise SystemExit(f"planner report failed for {name} (exit {code})")
        seconds.append(s)
    return seconds


def batch_run(tenants: Path, workers: int, out: Path) -> tuple[float, dict]:
    s, code = timed([*PLANNER, "batch", str(tenants), "--out", str(out), "--workers", str(workers)])
    index = json.loads((out / "index.json").read_text())
    if code not in (0, 3) or index["counts"]["failed"]:
        raise SystemExit(f"planner batch --workers {workers} failed (exit {code})")
    return s, index


def breakdown(index: dict) -> dict[str, float]:
    total = {p: 0.0 for p in PARTS}
    for t in index["tenants"]:
        for p in PARTS:
            total[p] += t["timings"][p]
    total["task"] = sum(t["seconds"] for t in index["tenants"])
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=20)
    parser.add_argument("--scenarios", type=int, default=200)
    args = parser.parse_args()
    n = args.tenants
    tenants = make_tenants(n, args.scenarios)
    out = DATA / "out"
    shutil.rmtree(out, ignore_errors=True)
    load_before = os.getloadavg()[0]

    singles = single_runs(n, args.scenarios, out / "single")
    t1, index1 = batch_run(tenants, 1, out / "batch1")
    t2, index2 = batch_run(tenants, 2, out / "batch2")
    same = sum(
        json.loads((out / "single" / t["name"] / "summary.json").read_text())
        == json.loads((out / batch / t["name"] / "summary.json").read_text())
        for t in index2["tenants"]
        for batch in ("batch1", "batch2")
    )
    sum_single = sum(singles)
    parts = breakdown(index1)
    per_tenant = parts["task"] / n
    eff2 = (t1 / t2) / 2
    print(f"tenants: {n} (scenarios {args.scenarios}); load average {load_before:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after, {os.cpu_count()} cores")  # fmt: skip
    print(f"summary.json equal to the single run: {same}/{2 * n} (tenants x 2 batches)")
    print("\n| run | wall s | per tenant s | vs sum of single runs |")
    print("|---|---:|---:|---:|")
    print(f"| {n} x `planner report` (sum) | {sum_single:.1f} | {sum_single / n:.2f} | 1.00 |")
    for label, t in (("`planner batch --workers 1`", t1), ("`planner batch --workers 2`", t2)):
        print(f"| {label} | {t:.1f} | {t / n:.2f} | {t / sum_single:.2f} |")
    print(f"\n2 workers vs 1: speed-up {t1 / t2:.2f}x (efficiency {eff2:.0%})")
    checks = (
        (f"per tenant on 1 worker {t1 / n:.2f} s = {t1 / sum_single:.0%} of a cold "
         f"`planner report` ({sum_single / n:.2f} s)", t1 / sum_single <= 0.6),
        (f"speed-up on 2 workers {t1 / t2:.2f}x (at least 1.8x)", t1 / t2 >= 1.8),
        (f"every summary equal to its single run ({same}/{2 * n})", same == 2 * n),
    )  # fmt: skip
    for label, ok in checks:
        print(f"- {'PASS' if ok else 'FAIL'}: {label}")
    print("\nwhere a task's time goes (1 worker, sum over tenants):")
    print("\n| part | s | share |")
    print("|---|---:|---:|")
    labels = {"checks": "start-up, input checks", "kernel_start": "kernel start-up (2 kernels)",
              "simulation": "simulation cells", "other_cells": "other cells (ingest, charts)",
              "rendering": "rendering (HTML, workbook)"}  # fmt: skip
    for p in PARTS:
        print(f"| {labels[p]} | {parts[p]:.1f} | {parts[p] / parts['task']:.0%} |")
    print(f"| outside the tasks (process start, imports) per single run | "
          f"{(sum_single - parts['task']) / n:.2f} per tenant | |")  # fmt: skip
    print(
        "\nprojected wall time for 1,000 tenants (one core per worker, "
        f"{per_tenant:.2f} s per tenant, 2-worker efficiency {eff2:.0%} applied beyond 1):"
    )
    print("\n| workers | projected |")
    print("|---:|---:|")
    for w in (1, 2, 8, 32, 100):
        secs = 1000 * per_tenant / (w * (eff2 if w > 1 else 1.0))
        print(f"| {w} | {secs / 60:.0f} min |")


if __name__ == "__main__":
    main()
