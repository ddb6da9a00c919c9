"""Time ``planner fetch`` against the same pages downloaded bare, from a local Graph stand-in.

Starts the test suite's local HTTPS server (``tests/fixtures/graph/fake_graph.py``: sign-in,
``getPstnCalls`` in pages of 1,000 rows, a year of ``--rows`` generated calls, two 429 answers
with ``Retry-After: 0`` midway), then measures in the same run:

- ``bare``: every page of the year downloaded with ``requests`` in 90-day windows, following
  ``@odata.nextLink``, bodies parsed as JSON and dropped (what any client must do);
- ``fetch``: ``planner fetch --store DIR --json`` end to end in a fresh process (start-up,
  sign-in, download, conversion, de-duplication, writing the monthly Parquet files);
- ``again``: the same command once more (everything is already stored: nothing is added).

Prints seconds, the counts from ``--json`` and the ratio fetch / bare. The machine may be
shared: compare the ratio, not the seconds.

Run: ``.venv/bin/python benchmarks/fetch.py [--rows N]``.
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

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fixtures.graph.fake_graph import (  # noqa: E402
    CLIENT_ID,
    SECRET,
    TENANT,
    CallRows,
    FakeGraph,
    self_signed,
)

TODAY = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def _bare(fake: FakeGraph, start: dt.datetime, end: dt.datetime) -> int:
    """Download every page with requests alone; the number of pages."""
    session = requests.Session()
    token = session.post(
        f"{fake.base_url}/{TENANT}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": SECRET,
            "scope": f"{fake.base_url}/.default",
        },
        timeout=60,
    ).json()["access_token"]
    pages = 0
    while start < end:
        stop = min(start + dt.timedelta(days=90), end)
        url = (
            f"{fake.base_url}/v1.0/communications/callRecords/getPstnCalls("
            f"fromDateTime={start:%Y-%m-%dT%H:%M:%SZ},toDateTime={stop:%Y-%m-%dT%H:%M:%SZ})"
        )
        while url:
            response = session.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=60)
            if response.status_code == 429:
                continue
            url = response.json().get("@odata.nextLink")
            pages += 1
        start = stop
    return pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-fetch-"))
    key, cert = self_signed(work)
    first = TODAY - dt.timedelta(days=365)
    rows = CallRows.generate(args.rows, first, TODAY, seed=1)
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(REQUESTS_CA_BUNDLE=str(cert), PLANNER_CLIENT_SECRET=SECRET)
    os.environ["REQUESTS_CA_BUNDLE"] = str(cert)
    results = {"rows": args.rows, "load_average": os.getloadavg()[0]}
    fake = FakeGraph(rows, today=TODAY)
    with fake.serve(cert, key):
        began = time.perf_counter()
        results["bare_pages"] = _bare(fake, first, TODAY)
        results["bare_s"] = round(time.perf_counter() - began, 2)
        fake.throttle = {fake.data_requests + 40, fake.data_requests + 41}
        command = [
            sys.executable, "-m", "planner", "fetch", "--store", str(work / "store"),
            "--tenant-id", TENANT, "--client-id", CLIENT_ID, "--authority", fake.base_url,
            "--graph-url", fake.base_url, "--since", first.date().isoformat(),
            "--until", TODAY.date().isoformat(), "--json",
        ]  # fmt: skip
        for name in ("fetch", "again"):
            began = time.perf_counter()
            proc = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
            results[f"{name}_s"] = round(time.perf_counter() - began, 2)
            out = json.loads(proc.stdout)
            results[name] = {
                k: out[k]
                for k in ("records_added", "duplicates", "rows", "windows", "pages", "requests")
            } | {"retries": out["retries"]}
    results["fetch_over_bare"] = round(results["fetch_s"] / results["bare_s"], 2)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
