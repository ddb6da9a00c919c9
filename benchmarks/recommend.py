"""How long ``planner recommend`` takes on the sample tenant, against a baseline in the same run.

The command as an admin runs it: the sample's exports priced with its licences and rate card
(what-if), today's balance, the default 2,000 scenarios; run in this process through
``planner.cli.main`` with its output discarded, after one warm-up run (numba compiles its
kernels once per machine, imports once per process). The baseline, measured in the same
run so that a loaded machine slows both: one bare sweep of 100 policies over the same
number of scenario paths and days (2,000 x 733: the plan year and its tail), the unit of
work the search repeats. The ratio is the recommendation's time in baseline sweeps; the
machine's load average is printed beside the absolute time.

Run: ``.venv/bin/python benchmarks/recommend.py [--repeat 3] [--profile]``
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import pstats
import time

import numpy as np
import pandas as pd

from planner.cli import main as cli
from planner.engine import sweep
from planner.sample import sample_dir


def command() -> list[str]:
    root = sample_dir()
    return [
        "recommend",
        str(root / "exports"),
        "--licences",
        str(root / "licences.csv"),
        "--rates",
        str(root / "rates.csv"),
        "--balance",
        str(root / "balance.csv"),
    ]


def run_command(args: list[str]) -> float:
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        cli(args)
    return time.perf_counter() - t0


def bare_sweep() -> float:
    rng = np.random.default_rng(0)
    demand = np.round(rng.gamma(2.0, 30.0, size=(2000, 733)), 2)
    q = np.geomspace(50, 20000, 10)
    s = np.geomspace(50, 2000, 10)
    qq, ss = np.meshgrid(q, s, indexing="ij")
    table = pd.DataFrame(
        {
            "initial": np.maximum(qq, ss).ravel(),
            "recharge_amount": qq.ravel(),
            "threshold": ss.ravel(),
            "lead_days": 1,
        }
    )
    t0 = time.perf_counter()
    sweep(demand, "2026-01-01", table, quantiles=(), plan_days=366)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="print the 25 costliest calls")
    args = parser.parse_args()
    cmd = command()
    run_command(cmd)  # warm-up: imports, numba compilation
    bare_sweep()
    rows = []
    for _ in range(args.repeat):
        base = bare_sweep()
        full = run_command(cmd)
        rows.append((full, base))
    full, base = (min(x) for x in zip(*rows, strict=True))
    load = os.getloadavg()
    print(
        f"planner recommend (sample, exports + licences + rates + balance, 2,000 scenarios): "
        f"{full:.1f} s; bare sweep of 100 policies x 2,000 x 733 days: {base:.2f} s; "
        f"ratio {full / base:.1f} sweeps (best of {args.repeat}; {os.cpu_count()} cores, "
        f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f})"
    )
    if args.profile:
        prof = cProfile.Profile()
        with contextlib.redirect_stdout(io.StringIO()):
            prof.runcall(cli, cmd)
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
