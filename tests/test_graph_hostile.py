"""``planner fetch`` against a hostile stand-in: one attack per server mode (``ATTACKS``).

Each ends with one line on stderr and exit 2: no traceback, no request to a host other than
``--authority`` and ``--graph-url`` (the "evil" server on another port counts as another
host), the secret in no output, and nothing of another host stored as the tenant's records.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from planner.cli import main
from planner.collect import graph
from planner.collect.fetch import fetch
from planner.collect.http import retry_after
from planner.store.history import Store
from tests.fixtures.graph.fake_graph import SECRET, CallRows, FakeGraph
from tests.graph_helpers import (  # noqa: F401 (fixtures)
    env_fixture,
    fetch_argv,
    graph_client,
    serve,
    tls_fixture,
)

ROOT = Path(__file__).resolve().parents[1]
T0 = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
ROWS = CallRows.generate(30, T0 - dt.timedelta(days=5), T0, seed=2)
EVIL_ROWS = CallRows.generate(30, T0 - dt.timedelta(days=5), T0, seed=666)


def _attack(tmp_path, tls, capsys, attack: str, *extra: str, **kw) -> tuple[str, FakeGraph]:
    """Run ``planner fetch`` against a server making ``attack``; its one error line."""
    evil = FakeGraph(EVIL_ROWS, today=T0, attack="open")
    store = tmp_path / "store"
    with serve(evil, tls):
        fake = FakeGraph(ROWS, today=T0, attack=attack, evil_url=evil.base_url, **kw)
        with serve(fake, tls):
            started = time.monotonic()
            code = main(
                fetch_argv(fake, store, "--since", "2026-05-27", "--until", "2026-06-01", *extra)
            )
            elapsed = time.monotonic() - started
    captured = capsys.readouterr()
    lines = [x for x in captured.err.strip().splitlines() if "warning: Graph answered" not in x]
    assert code == 2, captured.err
    assert "Traceback" not in captured.err and len(lines) == 1, captured.err
    assert SECRET not in captured.err + captured.out
    assert evil.forms == [] and evil.data_requests == 0, "a request reached the other host"
    assert elapsed < 300  # never the waits a hostile Retry-After asks (a loaded machine is slow)
    if store.exists():
        ids = set(Store(store).read(["usage_id"])["usage_id"].to_pylist())
        assert not ids & set(EVIL_ROWS.ids)
    return lines[0], fake


@pytest.mark.parametrize(
    ("attack", "message"),
    [
        ("nextlink-object", "next-page link that is an object"),
        ("nextlink-array", "next-page link that is a list"),
        ("nextlink-true", "next-page link that is a boolean"),
        ("body-array", "answered a list where a page"),
        ("body-null", "answered null where a page"),
        ("body-string", "answered a string where a page"),
        ("deep", "nested"),
        ("self-loop", "(a loop)"),
        ("ping-pong", "(a loop)"),
        ("redirect-page", "a redirect to 127.0.0.1"),
    ],
)
def test_a_graph_answer_no_graph_server_gives_is_one_line(
    tmp_path, tls, env, capsys, attack, message
):
    line, _ = _attack(tmp_path, tls, capsys, attack)
    assert message in line


@pytest.mark.parametrize(
    ("attack", "message"),
    [
        ("token-redirect", "not followed, the credential was not sent there"),
        ("metadata-elsewhere", "another host"),
        ("html-token", "with text/html, not a sign-in answer"),
        ("echo-secret", "sign-in refused"),
    ],
)
def test_sign_in_goes_nowhere_else_and_says_what_came_back(
    tmp_path, tls, env, capsys, attack, message
):
    line, fake = _attack(tmp_path, tls, capsys, attack)
    assert message in line and "certificate" not in line
    if attack == "echo-secret":
        assert fake.forms and fake.forms[0]["client_secret"] == SECRET  # it was echoed back
        assert "***" in line


@pytest.mark.parametrize(
    "value", ["²", "١٢", "Mon, 01 Jun 2026 00:00:01", "Mon, 01 Jun 2026 00:00:01 -0000"]
)
def test_odd_retry_after_values_are_waited_on_or_backed_off(tmp_path, tls, env, value):
    fake = FakeGraph(ROWS, today=T0, throttle={1}, retry_after=value)
    waits: list[float] = []
    with serve(fake, tls):
        client = graph_client(fake, waits)
        result = fetch(tmp_path / "s", client, since=T0 - dt.timedelta(days=5), until=T0)
    assert result.records_added == 30 and result.retries == 1
    assert len(waits) <= 1 and all(0 <= w <= 1 for w in waits)  # a past date, or back-off


def test_retry_after_parsing_is_strict():
    assert retry_after("²") is None and retry_after("1e3") is None and retry_after("+5") is None
    assert retry_after(" 7 ") == 7.0 and retry_after("x" * 1000) is None
    now = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    for text in ("Mon, 01 Jun 2026 00:00:30 GMT", "Mon, 01 Jun 2026 00:00:30 -0000",
                 "Mon, 01 Jun 2026 00:00:30", "Mon, 01 Jun 2026 02:00:30 +0200"):  # fmt: skip
        assert retry_after(text, now) == 30.0, text


def test_a_huge_retry_after_ends_at_once_within_max_wait(tmp_path, tls, env, capsys):
    line, fake = _attack(
        tmp_path, tls, capsys, None, throttle=set(range(1, 99)), retry_after="1000000000"
    )
    assert "--max-wait 900 s" in line and fake.data_requests == 1


def test_a_throttling_storm_stays_within_the_total_wait(tmp_path, tls, env, capsys):
    line, fake = _attack(
        tmp_path, tls, capsys, None, "--max-wait", "3", throttle=set(range(1, 99)), retry_after="1"
    )
    assert "--max-wait 3 s" in line and fake.data_requests <= 5


#: runs ``planner`` and writes the process's own peak memory (VmHWM, KiB) at exit: the
#: ``ru_maxrss`` that ``wait4`` gives keeps the peak of the forking pytest worker across exec
_PEAK_WRAPPER = """
import atexit, runpy, sys
def _write(path):
    with open("/proc/self/status") as f:
        kib = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    with open(path, "w") as out:
        out.write(str(kib))
atexit.register(_write, sys.argv[1])
del sys.argv[1]
sys.argv[0] = "planner"
runpy.run_module("planner", run_name="__main__", alter_sys=True)
"""


def _fetch_rss(fake: FakeGraph, store: Path, tls) -> tuple[int, str, int]:
    """Run ``planner fetch`` in a process of its own: exit code, stderr, peak memory (KiB)."""
    environ = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    peak_file = store.parent / "peak_kib"
    argv = [
        sys.executable,
        "-c",
        _PEAK_WRAPPER,
        str(peak_file),
        *fetch_argv(fake, store, "--since", "2026-05-27", "--until", "2026-06-01"),
    ]
    proc = subprocess.run(argv, env=environ, cwd=ROOT, stderr=subprocess.PIPE, check=False)
    return proc.returncode, proc.stderr.decode(), int(peak_file.read_text())


@pytest.mark.slow
def test_a_1_gib_gzip_page_is_refused_with_memory_under_500_mb(tmp_path, tls, env):
    fake = FakeGraph(ROWS, today=T0, attack="gzip-bomb", bomb_mib=1024)
    with serve(fake, tls):
        code, err, rss_kib = _fetch_rss(fake, tmp_path / "store", tls)
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "compressed or not" in err
    assert rss_kib < 500 * 1024, f"{rss_kib / 1024:.0f} MiB"


def test_a_gzip_page_past_the_cap_is_refused(tmp_path, tls, env, capsys, monkeypatch):
    monkeypatch.setattr(graph, "MAX_PAGE_BYTES", 8 << 20)
    line, _ = _attack(tmp_path, tls, capsys, "gzip-bomb", bomb_mib=96)
    assert "compressed or not" in line


def test_a_store_fetch_from_a_hostile_server_leaves_the_store_as_it_was(tmp_path, tls, env, capsys):
    fake = FakeGraph(ROWS, today=T0)
    store = tmp_path / "store"
    with serve(fake, tls):
        assert main(fetch_argv(fake, store, "--since", "2026-05-27")) == 0
    before = sorted(Store(store).read(["usage_id"])["usage_id"].to_pylist())
    capsys.readouterr()
    _attack(tmp_path, tls, capsys, "self-loop")
    assert sorted(Store(store).read(["usage_id"])["usage_id"].to_pylist()) == before
