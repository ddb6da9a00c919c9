"""Time ``planner ingest`` against a bare ``pyarrow.csv.read_csv`` of the same file.

Generates (once, cached) a current-format Calling Plans CSV of ``--rows`` rows (1,000,000 by
default, about 357 MB) into ``benchmarks/_data/``, then measures, each in a fresh Python
process so that peak memory is its own:

- ``bare``: ``pyarrow.csv.read_csv(path)`` with default options (types inferred);
- ``bare_text``: the same with every column read as text (what ingest starts from);
- ``read_exports``: :func:`planner.ingest.read_exports` (parse, convert, validate, de-duplicate);
- ``stream``: :func:`planner.ingest.iter_records` in chunks of 100,000 rows, chunks dropped
  as they come (memory stays bounded whatever the file size);
- ``startup``: ``planner ingest --help`` (interpreter start-up and imports alone);
- ``cli_parquet``: ``planner ingest FILE --out records.parquet --json`` end to end (with
  start-up), its peak resident memory taken from the operating system (``wait4``) for the
  whole process.

Prints seconds, peak resident memory above the interpreter's baseline (and the peak of
Arrow's memory pool, less sensitive to allocator caching), the load average, and the ratios
the goals speak of, against the bare parse measured in the same run: ingest time / bare time
(goal <= 3) and ingest peak memory / size of the parsed text table (goal <= 3).

Run: ``.venv/bin/python benchmarks/ingest.py [--rows N] [--repeat K]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv

from planner.sample import CURRENT_HEADER

HERE = Path(__file__).resolve().parent
DATA = HERE / "_data"
ROOT = HERE.parent

HEADER = list(CURRENT_HEADER)  # the admin center's current 25-column export


def _money(cents: np.ndarray) -> pa.Array:
    whole = pc.cast(pa.array(cents // 100), pa.string())
    frac = pc.utf8_lpad(pc.cast(pa.array(cents % 100), pa.string()), width=2, padding="0")
    return pc.binary_join_element_wise(whole, frac, ".")


def _pick(rng: np.random.Generator, values: list[str], n: int, p=None) -> pa.Array:
    return pa.array(np.asarray(values, dtype=object)[rng.choice(len(values), n, p=p)], pa.string())


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """Write a synthetic current-format export of ``rows`` rows (vectorised, ~10 s per 1M)."""
    rng = np.random.default_rng(seed)
    users = 2_000
    user = rng.integers(0, users, rows)
    ids = pc.utf8_slice_codeunits(
        pc.binary_join_element_wise(
            pc.cast(pa.array(rng.integers(1 << 40, 1 << 44, rows)), pa.string()),
            pc.cast(pa.array(np.arange(rows) + 10**11), pa.string()),
            "-6c3c-427d-a30c-",
        ),
        0,
        36,
    )
    start_s = np.sort(rng.integers(0, 365 * 86_400, rows)) + 1_546_300_800
    start_ns = start_s * 1_000_000_000 + rng.integers(0, 10**9, rows)
    duration = rng.gamma(1.5, 150, rows).astype(np.int64)
    end_ns = start_ns + duration * 1_000_000_000

    def iso(ns: np.ndarray) -> pa.Array:
        text = pc.strftime(pa.array(ns, pa.timestamp("ns")), format="%Y-%m-%dT%H:%M:%S")
        return pc.binary_join_element_wise(pc.utf8_slice_codeunits(text, 0, 27), "Z", "")

    call_type = _pick(
        rng,
        ["user_out", "user_in", "conf_in", "ucap_in", "user_out_transfer", "conf_out"],
        rows,
        p=[0.4, 0.3, 0.15, 0.1, 0.03, 0.02],
    )
    capability = _pick(
        rng, ["MCOPSTN1", "MCOPSTNPP", "MCOPSTN2", "MCOMEETADD"], rows, p=[0.5, 0.3, 0.1, 0.1]
    )
    upn = pc.binary_join_element_wise(
        "user", pc.cast(pa.array(user), pa.string()), "@contoso.com", ""
    )
    cols = {
        "UsageId": ids,
        "Call ID": pc.binary_join_element_wise(
            pc.cast(pa.array(rng.integers(10**9, 10**10, rows)), pa.string()),
            "_112562680@61.221.3.176",
            "",
        ),
        "Conference ID": pa.nulls(rows, pa.string()),
        "User Location": _pick(rng, ["US", "GB", "DE", "FR"], rows),
        "Microsoft Entra ObjectId": pc.binary_join_element_wise(
            "db03c14b-06eb-4189-939b-",
            pc.utf8_lpad(pc.cast(pa.array(user), pa.string()), 12, "0"),
            "",
        ),
        "UPN": upn,
        "User Display Name": pc.binary_join_element_wise(
            "User ", pc.cast(pa.array(user), pa.string()), ""
        ),
        "Caller ID": pc.binary_join_element_wise(
            "+1425555", pc.cast(pa.array(rng.integers(1000, 9999, rows)), pa.string()), ""
        ),
        "Call Type": call_type,
        "Call Direction": pc.if_else(pc.match_substring(call_type, "_out"), "Outbound", "Inbound"),
        "Number Type": _pick(
            rng, ["Subscriber", "Toll Free", "Service"], rows, p=[0.8, 0.15, 0.05]
        ),
        "Domestic/International": _pick(rng, ["Domestic", "International"], rows, p=[0.8, 0.2]),
        "Destination Dialed": _pick(
            rng, ["United States", "Germany", "France", "United Kingdom"], rows
        ),
        "Destination Number": pc.binary_join_element_wise(
            "+4930123", pc.cast(pa.array(rng.integers(100, 999, rows)), pa.string()), "***", ""
        ),
        "External Country": _pick(rng, ["US", "DE", "FR", "GB", "??"], rows),
        "Start Time": iso(start_ns),
        "End Time": iso(end_ns),
        "Duration Seconds": pc.cast(pa.array(duration), pa.string()),
        "Connection Fee": _money(rng.integers(0, 10, rows) * (rng.random(rows) < 0.2)),
        "Charge": _money(rng.integers(0, 500, rows)),
        "Currency": _pick(rng, ["USD"], rows),
        "Capability": capability,
        "Operator": _pick(rng, ["Microsoft", "Contoso Telecom"], rows, p=[0.9, 0.1]),
        "Source of Call Duration": _pick(rng, ["Microsoft", "Operator"], rows, p=[0.9, 0.1]),
        "Administrative Units": pa.nulls(rows, pa.string()),
    }
    table = pa.table([cols[h] for h in HEADER], names=HEADER)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    pv.write_csv(table, tmp, pv.WriteOptions(quoting_style="needed"))
    tmp.replace(path)


_MEASURE = r"""
import json, resource, sys, time
mode, path = sys.argv[1], sys.argv[2]
import pyarrow as pa, pyarrow.csv as pv
import planner.ingest
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
extra = {}
if mode == "bare":
    table = pv.read_csv(path)
    extra["nbytes"] = table.nbytes
elif mode == "bare_text":
    with open(path, encoding="utf-8") as fh:
        header = fh.readline().rstrip("\r\n").split(",")
    table = pv.read_csv(path, convert_options=pv.ConvertOptions(
        column_types=dict.fromkeys(header, pa.string())))
    extra["nbytes"] = table.nbytes
elif mode == "stream":
    stream = planner.ingest.iter_records([path], chunk_rows=100_000)
    extra["records"] = sum(len(chunk) for chunk in stream)
    extra["rejected"] = len(stream.rejects)
else:
    result = planner.ingest.read_exports([path])
    extra["records"] = len(result.records)
    extra["rejected"] = len(result.rejects)
    extra["nbytes"] = int(result.records.memory_usage(deep=True).sum())
seconds = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
extra["arrow_peak_mb"] = pa.default_memory_pool().max_memory() / 2**20
print(json.dumps({"seconds": seconds, "peak_mb": (peak - base) / 1024, **extra}))
"""


def measure(mode: str, path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, mode, str(path)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _run_child(argv: list[str]) -> dict:
    """Run ``argv`` from start to end: wall seconds and the child's own peak resident memory."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)  # this child's resource usage alone
    seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    proc.stderr.close()
    if proc.returncode:
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: {err}")
    return {"seconds": seconds, "rss_mb": usage.ru_maxrss / 1024}  # ru_maxrss is in KiB


def measure_startup() -> dict:
    """``planner ingest --help``: interpreter start-up and the command's imports."""
    return _run_child([sys.executable, "-m", "planner", "ingest", "--help"])


def measure_cli(path: Path) -> dict:
    """``planner ingest FILE --out records.parquet --json`` end to end (with start-up)."""
    out_file = DATA / "records.parquet"
    r = _run_child(
        [sys.executable, "-m", "planner", "ingest", str(path), "--out", str(out_file), "--json"]
    )
    r["parquet_mb"] = out_file.stat().st_size / 2**20
    out_file.unlink()
    return r


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (best kept)")
    args = parser.parse_args(argv)
    path = DATA / f"callingplans_{args.rows}.csv"
    if not path.exists():
        t0 = time.perf_counter()
        generate(path, args.rows)
        print(f"generated {path} in {time.perf_counter() - t0:.1f} s")
    print(f"file: {path} ({path.stat().st_size / 2**20:.0f} MB, {args.rows:,} rows)")
    load = os.getloadavg()
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} CPUs)")
    modes = ("bare", "bare_text", "read_exports", "stream")
    runs: dict[str, list[dict]] = {m: [] for m in modes + ("startup", "cli_parquet")}
    # interleaved, so that a busy machine slows every mode alike; the best run of each is kept
    for _ in range(args.repeat):
        for mode in modes:
            runs[mode].append(measure(mode, path))
        runs["startup"].append(measure_startup())
        runs["cli_parquet"].append(measure_cli(path))
    best = {m: min(r, key=lambda x: x["seconds"]) for m, r in runs.items()}
    for mode in modes:
        r = best[mode]
        print(
            f"{mode:<13} {r['seconds']:7.2f} s   peak RSS +{r['peak_mb']:6.0f} MB"
            f"   Arrow peak {r['arrow_peak_mb']:6.0f} MB"
            + (f"   table {r['nbytes'] / 2**20:6.0f} MB" if "nbytes" in r else "")
        )
    cli, startup = best["cli_parquet"], best["startup"]
    print(f"{'startup':<13} {startup['seconds']:7.2f} s   peak RSS {startup['rss_mb']:6.0f} MB")
    print(
        f"{'cli_parquet':<13} {cli['seconds']:7.2f} s   peak RSS {cli['rss_mb']:6.0f} MB"
        f" (+{cli['rss_mb'] - startup['rss_mb']:.0f} MB over start-up)"
        f"   parquet {cli['parquet_mb']:.0f} MB"
    )
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    ingest, bare = best["read_exports"], best["bare"]
    print(
        f"time ratio read_exports / bare read_csv: {ingest['seconds'] / bare['seconds']:.2f}x"
        " (goal <= 3)"
    )
    print(
        f"time ratio cli to parquet (with start-up) / bare read_csv: "
        f"{cli['seconds'] / bare['seconds']:.2f}x (goal <= 3)"
    )
    table_mb = best["bare_text"]["nbytes"] / 2**20
    print(
        f"memory ratio stream peak RSS / parsed table: {best['stream']['peak_mb'] / table_mb:.2f}x"
    )
    print(
        f"memory ratio read_exports peak RSS / parsed table: "
        f"{ingest['peak_mb'] / table_mb:.2f}x (goal <= 3); "
        f"Arrow peak / parsed table: {ingest['arrow_peak_mb'] / table_mb:.2f}x"
    )
    print(
        f"memory ratio cli to parquet peak RSS (whole process) / parsed table: "
        f"{cli['rss_mb'] / table_mb:.2f}x (goal <= 3)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
