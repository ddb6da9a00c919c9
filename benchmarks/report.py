"""Time ``planner report`` on the sample tenant: cold (a new process and kernel) against warm (a
kernel already running, as a batch worker keeps one), and where a report's time goes.

In one run:

- ``cold``: ``planner report`` on the sample tenant in a fresh process, ``--repeat`` times
  (the wait of someone running the command; the target is under 12 s on 2 idle cores);
- ``warm``: :func:`planner.report.build_report` in this process on one kept kernel that has
  already run a report, ``--repeat`` times (what each tenant of a batch costs a worker);
- ``baseline`` (with ``--baseline PLANNER``): another installation's ``planner report`` (say the
  previous release's ``.venv/bin/planner``) on the same inputs, interleaved with the cold runs.

Where the time goes comes from one more cold run: the step lines' times on stderr, the
executed notebooks' cell times (papermill's metadata) and a kernel started alone.

Every run's summary must equal the first one's (same inputs and seed, same plan). CPU seconds
(the process tree's user + system time) are printed beside the wall times: on a shared machine
the wall time moves with the others' load (the load average is printed), the CPU time much
less; the ratios, measured in the same run, are the figures to quote.

Run: ``.venv/bin/python benchmarks/report.py [--repeat 2] [--scenarios N] [--baseline PLANNER]``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from planner.report.artifacts import sample_parameters
from planner.report.kernel import Kernel
from planner.report.runner import build_report

HERE = Path(__file__).resolve().parent
OUT = HERE / "_data" / "report"
PLANNER = [sys.executable, "-m", "planner"]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def report_argv(planner: list[str], out: Path, scenarios: int | None) -> list[str]:
    params = sample_parameters()
    argv = [*planner, "report", *params.pop("exports"), "--out", str(out)]
    for name, value in params.items():
        argv += [f"--{name.replace('_', '-')}", str(value)]
    if scenarios:
        argv += ["--scenarios", str(scenarios)]
    return argv


def cold(planner: list[str], out: Path, scenarios: int | None) -> tuple[float, float, list]:
    """Wall and CPU seconds of one ``planner report`` process, and its step lines' times."""
    shutil.rmtree(out, ignore_errors=True)
    cpu, start = _children_cpu(), time.perf_counter()
    proc = subprocess.Popen(
        report_argv(planner, out, scenarios), stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stderr is not None
    steps = [(time.perf_counter() - start, line.strip()) for line in proc.stderr]
    code = proc.wait()
    wall = time.perf_counter() - start
    if code not in (0, 3):
        raise SystemExit(f"planner report failed (exit {code}): {steps[-3:]}")
    return wall, _children_cpu() - cpu, steps


def warm(kernel: Kernel, out: Path, scenarios: int | None) -> tuple[float, float]:
    """Wall and CPU seconds (this process and the kernel) of one report on ``kernel``."""
    params = sample_parameters()
    if scenarios:
        params["n_scenarios"] = scenarios
    shutil.rmtree(out, ignore_errors=True)
    start, cpu = time.perf_counter(), time.process_time() + _kernel_cpu(kernel)
    build_report(params, out, progress=False, log=None, kernel=kernel)
    return time.perf_counter() - start, time.process_time() + _kernel_cpu(kernel) - cpu


def _kernel_cpu(kernel: Kernel) -> float:
    process = getattr(getattr(kernel._km, "provisioner", None), "process", None)
    try:
        with open(f"/proc/{process.pid}/stat") as f:  # type: ignore[union-attr]
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (AttributeError, OSError, IndexError, ValueError):
        return 0.0


def kernel_start() -> float:
    """Seconds from starting a kernel to its baseline (imports done, engine loaded)."""
    start = time.perf_counter()
    kernel = Kernel().start()
    kernel._pool.submit(lambda: None).result()  # the start job runs first on its thread
    seconds = time.perf_counter() - start
    kernel.shutdown(wait=False)
    return seconds


def cell_seconds(executed: Path) -> float:
    nb = json.loads(executed.read_text(encoding="utf-8"))
    return sum(
        float((c.get("metadata", {}).get("papermill") or {}).get("duration") or 0)
        for c in nb["cells"]
        if c.get("cell_type") == "code"
    )


def breakdown(out: Path, steps: list, wall: float) -> list[tuple[str, float]]:
    """Where one cold run's time went, from its step lines and executed notebooks. The
    notebooks run side by side and each page is rendered once its notebook is done: their
    time is the span until the last page is rendered (the pages rendered before it were
    rendered while the longest notebook ran), and each one's cells are shown inside it."""
    marks = [*steps, (wall, "")]
    rows = [("process start, imports, input checks", steps[0][0] if steps else wall)]
    running = [(t0, t1, line) for (t0, line), (t1, _) in zip(marks, marks[1:], strict=False)]
    names = [line.split("running notebook", 1)[1].split()[0] for _, _, line in running
             if "running notebook" in line]  # fmt: skip
    pages = [(t0, t1, line.split("rendering", 1)[1].split()[0])
             for t0, t1, line in running if "rendering" in line]  # fmt: skip
    first = next((t0 for t0, _, line in running if "running notebook" in line), wall)
    last_page = pages[-1] if pages else (wall, wall, "")
    rows.append(("notebooks: kernels start, cells run (until the last page)",
                 last_page[0] - first))  # fmt: skip
    for name in names:
        rows.append(
            (f"  of which {name}'s cells", cell_seconds(out / "notebooks" / f"{name}.ipynb"))
        )
    for t0, t1, page in pages[:-1]:
        rows.append((f"  of which HTML export {page}, while the others ran", t1 - t0))
    if pages:
        rows.append((f"HTML export {last_page[2]} (the last page)", last_page[1] - last_page[0]))
    for t0, t1, line in running:
        if "writing" in line:
            rows.append(("workbook, summary, kernels shut down", t1 - t0))
    return rows


def summary(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--scenarios", type=int, default=None, help="default: the notebook's")
    parser.add_argument("--baseline", metavar="PLANNER", help="another `planner` to compare")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    runs: dict[str, list[tuple[float, float]]] = {"cold": [], "warm": [], "baseline": []}
    first = base_first = None
    for i in range(args.repeat):
        wall, cpu, _ = cold(PLANNER, OUT / f"cold{i}", args.scenarios)
        runs["cold"].append((wall, cpu))
        first = first or summary(OUT / f"cold{i}")
        assert summary(OUT / f"cold{i}") == first, "cold runs disagree"
        if args.baseline:
            wall, cpu, _ = cold([args.baseline], OUT / f"base{i}", args.scenarios)
            runs["baseline"].append((wall, cpu))
            # another release may plan otherwise; its own runs must agree
            base_first = base_first or summary(OUT / f"base{i}")
            assert summary(OUT / f"base{i}") == base_first, "the baseline's runs disagree"
    with Kernel() as kernel:
        warm(kernel, OUT / "warm-first", args.scenarios)  # the kernel's first report
        for i in range(args.repeat):
            runs["warm"].append(warm(kernel, OUT / f"warm{i}", args.scenarios))
            assert summary(OUT / f"warm{i}") == first, "a warm run's summary differs"
    wall, _, steps = cold(PLANNER, OUT / "profile", args.scenarios)
    parts = breakdown(OUT / "profile", steps, wall)
    alone = kernel_start()

    print(f"`planner report` on the sample tenant, {args.repeat} runs each; load average "
          f"{load:.1f} before, {os.getloadavg()[0]:.1f} after, {os.cpu_count()} cores; "
          "every summary.json equal")  # fmt: skip
    if base_first is not None and base_first != first:
        print("(the baseline's plan differs from this one's: its summaries agree among "
              "themselves)")  # fmt: skip
    print()
    cold_wall = statistics.median(w for w, _ in runs["cold"])
    print("| run | wall s (median) | CPU s (median) | wall vs cold |\n|---|---:|---:|---:|")
    labels = {"cold": "cold: `planner report` (new process, new kernel)",
              "warm": "warm: a report on a kept kernel (a batch worker's tenant)",
              "baseline": f"baseline: `{args.baseline} report`"}  # fmt: skip
    for name, values in runs.items():
        if values:
            w = statistics.median(v[0] for v in values)
            c = statistics.median(v[1] for v in values)
            print(f"| {labels[name]} | {w:.1f} | {c:.1f} | {w / cold_wall:.2f} |")
    print(f"\nwhere a cold run's {wall:.1f} s go (one more run):\n")
    print("| part | s | share |\n|---|---:|---:|")
    for label, seconds in parts:
        print(f"| {label} | {seconds:.1f} | {seconds / wall:.0%} |")
    print(f"\na kernel started alone reaches its baseline (imports, engine) in {alone:.1f} s")


if __name__ == "__main__":
    main()
