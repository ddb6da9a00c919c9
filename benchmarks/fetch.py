"""Time ``planner fetch`` sequential against concurrent, from a local Graph stand-in with latency.

Starts the test suite's local HTTPS server (``tests/fixtures/graph/fake_graph.py``: sign-in,
``getPstnCalls`` in pages of 1,000 rows of a year of ``--rows`` generated calls), each data
request answered after ``--latency`` seconds (a real round trip to Graph takes hundreds of
milliseconds), then measures in the same run, each in a fresh process and a fresh store:

- ``sequential``: ``planner fetch --concurrency 1`` (90-day windows one after the other);
- ``concurrent``: ``planner fetch --concurrency N`` (``--concurrency``, default 4);
- ``storm``: the concurrent fetch of ``--storm-rows`` calls while the server answers a quarter
  of the requests ``429`` with ``Retry-After: 1``.

Checks and prints: the speed-up (sequential / concurrent seconds), that both stored the same
rows (the same ids, the same credit spend to the cent), the most requests the server saw in
any 20 s (Graph's limit: 1,500), and that the storm stored every record once. The machine may
be shared: compare the ratio, not the seconds.

Run: ``.venv/bin/python benchmarks/fetch.py [--rows 1000000] [--latency 0.2]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from planner.collect.pacing import GRAPH_LIMIT, RATE_WINDOW_S  # noqa: E402
from planner.collect.summary import summarize  # noqa: E402
from planner.store.history import Store  # noqa: E402
from tests.fixtures.graph.fake_graph import (  # noqa: E402
    CLIENT_ID,
    SECRET,
    TENANT,
    CallRows,
    FakeGraph,
    self_signed,
)

TODAY = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
FIRST = TODAY - dt.timedelta(days=365)


def _fetch(fake: FakeGraph, store: Path, concurrency: int, env: dict[str, str]) -> dict:
    """One ``planner fetch --json`` in a fresh process: its JSON, seconds, requests seen."""
    before = fake.data_requests
    fake.request_times.clear()
    command = [
        sys.executable, "-m", "planner", "fetch", "--store", str(store),
        "--tenant-id", TENANT, "--client-id", CLIENT_ID, "--authority", fake.base_url,
        "--graph-url", fake.base_url, "--since", FIRST.date().isoformat(),
        "--until", TODAY.date().isoformat(), "--concurrency", str(concurrency), "--json",
    ]  # fmt: skip
    began = time.perf_counter()
    proc = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - began
    if proc.returncode:
        raise SystemExit(f"fetch failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    out = json.loads(proc.stdout)
    ids = Store(store).read(["usage_id"])["usage_id"].to_pylist()
    return {
        "seconds": round(seconds, 1),
        "records_added": out["records_added"],
        "rows": out["rows"],
        "windows": out["windows"],
        "pages": out["pages"],
        "requests": out["requests"],
        "retries": out["retries"],
        "waited_s": out["waited"],
        "server_requests": fake.data_requests - before,
        f"max_requests_in_{RATE_WINDOW_S:.0f}s": fake.max_requests_in(RATE_WINDOW_S),
        "stored_once": len(ids) == len(set(ids)),
        "_ids": set(ids),
        "_spend": summarize(Store(store)).credit_spend,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--storm-rows", type=int, default=100_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-fetch-"))
    key, cert = self_signed(work)
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(REQUESTS_CA_BUNDLE=str(cert), PLANNER_CLIENT_SECRET=SECRET)
    results: dict = {"rows": args.rows, "latency_s": args.latency, "load_average": os.getloadavg()}
    rows = CallRows.generate(args.rows, FIRST, TODAY, seed=1)
    fake = FakeGraph(rows, today=TODAY, latency=args.latency)
    with fake.serve(cert, key):
        seq = _fetch(fake, work / "sequential", 1, env)
        par = _fetch(fake, work / "concurrent", args.concurrency, env)
    storm_rows = CallRows.generate(args.storm_rows, FIRST, TODAY, seed=2)
    stormy = FakeGraph(storm_rows, today=TODAY, latency=args.latency, storm=0.25, retry_after="1")
    with stormy.serve(cert, key):
        storm = _fetch(stormy, work / "storm", args.concurrency, env)
    results["same_rows_stored"] = seq["_ids"] == par["_ids"] == set(rows.ids)
    results["same_credit_spend"] = seq["_spend"] == par["_spend"]
    results["storm_every_record_once"] = (
        storm["_ids"] == set(storm_rows.ids) and storm["stored_once"]
    )
    limit = f"max_requests_in_{RATE_WINDOW_S:.0f}s"
    results["within_graph_limit"] = all(r[limit] <= GRAPH_LIMIT for r in (seq, par, storm))
    for name, r in (("sequential", seq), (f"concurrent_{args.concurrency}", par), ("storm", storm)):
        results[name] = {k: v for k, v in r.items() if not k.startswith("_")}
    results["speedup"] = round(seq["seconds"] / par["seconds"], 2)
    print(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
