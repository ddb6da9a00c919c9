"""``planner fetch`` against a local server speaking the sign-in and Graph call-records protocol.

No test leaves this machine: the server listens on 127.0.0.1 with its own certificate (trusted
through ``REQUESTS_CA_BUNDLE``), and in-process fetches run with name resolution limited to
127.0.0.1, so MSAL asking any other host (instance discovery) would fail the test.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.dataset as ds
import pytest
import requests

from planner.cli import main
from planner.collect import graph
from planner.collect.fetch import fetch, windows
from planner.collect.summary import summarize
from planner.demand import actual_demand
from planner.money import micro_cents
from planner.store.history import Store
from tests.fixtures.graph.fake_graph import (
    CLIENT_ID,
    SECRET,
    TENANT,
    CallRows,
    FakeGraph,
    self_signed,
)
from tests.graph_helpers import (  # noqa: F401 (fixtures)
    env_fixture,
    fetch_argv,
    graph_client,
    serve,
    stored_ids,
    tls_fixture,
)

ROOT = Path(__file__).resolve().parents[1]
UTC = dt.UTC
T0 = dt.datetime(2026, 6, 1, tzinfo=UTC)


@pytest.mark.slow
def test_100k_records_over_100_pages_with_throttling_stored_once(tmp_path, tls, env):
    first = T0 - dt.timedelta(days=365)
    rows = CallRows.generate(100_000, first, T0, seed=7)
    fake = FakeGraph(rows, today=T0, throttle={40, 41}, unavailable={70})
    store = tmp_path / "store"
    waits: list[float] = []
    with serve(fake, tls):
        result = fetch(store, graph_client(fake, waits), since=first, until=T0)
        # the same fetch again adds nothing
        again = fetch(store, graph_client(fake, []), since=first, until=T0)
    assert result.records_added == 100_000 and again.records_added == 0
    assert result.windows == 8 and result.pages >= 100  # two 46-day windows per worker
    assert result.retries == 3 and result.requests == result.pages + 3
    # Retry-After: 0 twice (no wait), then 1 s backoff on a bare 503; the pool shares the pause,
    # so the worker that waits may find part of it already gone
    assert len(waits) == 1 and 0.9 <= waits[0] <= 1.0, waits
    assert 0.9 <= result.waited <= 1.0
    assert result.rows == result.records_added + result.duplicates + result.rejected
    assert again.duplicates == again.rows == result.rows
    ids = stored_ids(store)
    assert len(ids) == len(set(ids)) == 100_000 and set(ids) == fake.served_ids
    # the credit spend of the store is the served charges, to the cent
    assert summarize(Store(store)).credit_spend == {"USD": rows.credit_spend(first, T0)}
    # only 127.0.0.1 was asked: MSAL did no instance discovery anywhere else
    assert set(env) == {"127.0.0.1"}
    assert ("GET", f"/{TENANT}/v2.0/.well-known/openid-configuration") in fake.log
    assert sum(1 for m, p in fake.log if m == "POST") == 2  # one sign-in per fetch


def test_cli_json_incremental_and_the_secret_never_leaks(tmp_path, tls, env, capsys):
    first = T0 - dt.timedelta(days=100)
    rows = CallRows.generate(3_000, first, T0, seed=3)
    fake = FakeGraph(rows, today=T0, page_size=400)
    store = tmp_path / "store"
    with serve(fake, tls):
        argv = fetch_argv(fake, store, "--since", "2026-02-21", "--until", "2026-06-01", "--json")
        assert main(argv) == 0
        out = json.loads(capsys.readouterr().out)
        # incremental: from the newest record minus three days, up to the given --until
        assert main(fetch_argv(fake, store, "--until", "2026-06-01", "--json")) == 0
        captured = capsys.readouterr()
        inc = json.loads(captured.out)
        assert main(fetch_argv(fake, store, "--until", "2026-06-01")) == 0
        text = capsys.readouterr().out.splitlines()
    assert text[0].startswith("fetched 2026-05-") and "0 of them retries" in text[0]
    assert (
        text[1]
        == f"store {store}: 0 record(s) added, {inc['duplicates']} already there, 0 rejected"
    )
    assert set(out) >= {
        "records_added",
        "duplicates",
        "windows",
        "requests",
        "retries",
        "period",
        "store",
    }
    assert out["records_added"] == 3_000 and out["windows"] == 8  # 2 per worker
    assert out["period"] == {"start": "2026-02-21T00:00:00Z", "end": "2026-06-01T00:00:00Z"}
    assert out["store"] == str(store)
    newest = max(rows.starts).astype("datetime64[s]").item().replace(tzinfo=UTC)
    assert inc["period"]["start"] == graph.timestamp(newest - dt.timedelta(days=3))
    assert inc["records_added"] == 0 and inc["windows"] == 1 and inc["duplicates"] > 0
    assert "getPstnCalls" in captured.err  # one progress line per window
    # the secret is nowhere: not in what was printed, not in any file of the store
    assert SECRET not in captured.out + captured.err
    for path in store.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
    assert len(stored_ids(store)) == 3_000


def test_403_stops_with_one_line_naming_the_permission(tmp_path, tls, env, capsys):
    fake = FakeGraph(CallRows.generate(10, T0 - dt.timedelta(days=5), T0), today=T0, forbidden=True)
    with serve(fake, tls):
        assert main(fetch_argv(fake, tmp_path / "s", "--since", "2026-05-20")) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "CallRecords.Read.All" in err[0] and "403" in err[0]
    assert SECRET not in err[0]


def test_wrong_secret_and_missing_secret_are_one_line_errors(
    tmp_path, tls, env, capsys, monkeypatch
):
    fake = FakeGraph(CallRows.generate(10, T0 - dt.timedelta(days=5), T0), today=T0)
    wrong = "Wr0ng-secret-value"
    monkeypatch.setenv("PLANNER_CLIENT_SECRET", wrong)
    with serve(fake, tls):
        assert main(fetch_argv(fake, tmp_path / "s", "--since", "2026-05-20")) == 2
    err = capsys.readouterr().err
    assert "sign-in refused" in err and "invalid_client" in err and wrong not in err
    assert len(err.strip().splitlines()) == 1
    monkeypatch.delenv("PLANNER_CLIENT_SECRET")
    assert main(fetch_argv(fake, tmp_path / "s", "--client-secret-env", "MY_SECRET")) == 2
    assert "environment variable MY_SECRET holds no client secret" in capsys.readouterr().err


def test_certificate_sign_in(tmp_path, tls, env, monkeypatch, capsys):
    monkeypatch.delenv("PLANNER_CLIENT_SECRET")
    key, cert = self_signed(tmp_path, "app")
    pem = tmp_path / "app.pem"
    pem.write_bytes(key.read_bytes() + cert.read_bytes())
    rows = CallRows.generate(50, T0 - dt.timedelta(days=5), T0)
    fake = FakeGraph(rows, today=T0, cert_pem=cert.read_bytes())
    with serve(fake, tls):
        argv = fetch_argv(fake, tmp_path / "s", "--certificate", str(pem), "--since", "2026-05-20")
        assert main([*argv, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["records_added"] == 50
    only_key = tmp_path / "key.pem"
    only_key.write_bytes(key.read_bytes())
    assert main(fetch_argv(fake, tmp_path / "s", "--certificate", str(only_key))) == 2
    assert "holds no certificate" in capsys.readouterr().err


def test_windows_never_exceed_90_days_and_the_server_refuses_longer(tmp_path, tls, env):
    fake = FakeGraph(CallRows.generate(10, T0 - dt.timedelta(days=5), T0), today=T0)
    span = windows(T0 - dt.timedelta(days=400), T0)
    assert all(b - a <= graph.MAX_WINDOW for a, b in span)
    assert all(b == c for (_, b), (c, _) in zip(span, span[1:], strict=False))
    with serve(fake, tls):
        client = graph_client(fake)
        with pytest.raises(ValueError, match="0 to 90 days"):
            next(client.pages("getPstnCalls", T0 - dt.timedelta(days=91), T0))
        token = client.token()
        url = (
            f"{fake.base_url}/v1.0/communications/callRecords/getPstnCalls("
            "fromDateTime=2026-01-01T00:00:00Z,toDateTime=2026-04-02T00:00:00Z)"
        )
        raw = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert raw.status_code == 400  # the server does check: a longer window is refused
        with pytest.raises(graph.GraphError, match="400 BadRequest"):
            client.get(url)


def test_retries_are_bounded(tmp_path, tls, env):
    fake = FakeGraph(
        CallRows.generate(10, T0 - dt.timedelta(days=5), T0),
        today=T0,
        throttle=set(range(1, 50)),
        retry_after="1",
    )
    waits: list[float] = []
    with serve(fake, tls):
        with pytest.raises(graph.GraphError, match="still answers 429 after 8 retries"):
            fetch(
                tmp_path / "s", graph_client(fake, waits), since=T0 - dt.timedelta(days=5), until=T0
            )
    assert len(waits) == 8 and fake.data_requests == 9
    assert Store(tmp_path / "s").partitions() == []  # nothing half-stored


class _Response:
    def __init__(self, status, body=None, headers=None):
        self.status_code = status
        self._body = body if body is not None else {}
        self.headers = headers or {}
        self.reason = "reason"
        self.content = json.dumps(self._body).encode()

    def json(self):
        return self._body

    def iter_content(self, size):
        yield self.content

    def close(self):
        pass


class _Session:
    """Answers GETs from a script; sign-in is bypassed by a fixed token."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.urls = []

    def get(self, url, **kwargs):
        self.urls.append(url)
        return self.answers.pop(0)


def _offline_client(answers, waits):
    credential = graph.AppCredential(TENANT, CLIENT_ID, secret="x")
    client = graph.GraphClient(
        credential,
        authority="https://login.example",
        graph_url="https://graph.example",
        session=_Session(answers),
        sleep=waits.append,
    )
    client.token = lambda: "t"  # type: ignore[method-assign]
    return client


def test_backoff_doubles_up_to_the_cap_and_retry_after_dates_are_honoured():
    later = (dt.datetime.now(UTC) + dt.timedelta(seconds=30)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    answers = [_Response(500)] * 7 + [
        _Response(503, headers={"Retry-After": later}),
        _Response(200, {"value": []}),
    ]
    waits: list[float] = []
    client = _offline_client(answers, waits)
    client.max_retries = 9
    client.get("https://graph.example/x")
    # each wait is counted from when the back-off was set: the real time in between (a
    # millisecond on a busy machine) comes off it
    assert waits[:7] == pytest.approx([1, 2, 4, 8, 16, 32, 60], abs=0.05)
    assert 25 <= waits[7] <= 30


def test_a_next_page_on_another_host_is_refused():
    page = {"value": [{"id": "1"}], "@odata.nextLink": "https://elsewhere.example/next"}
    client = _offline_client([_Response(200, page)], [])
    pages = client.pages("getPstnCalls", T0 - dt.timedelta(days=1), T0)
    with pytest.raises(graph.GraphError, match="another host"):
        next(pages)  # the page naming it is not used either


def test_options_are_checked():
    with pytest.raises(graph.InputError, match="https://"):
        graph.GraphClient(graph.AppCredential(TENANT, CLIENT_ID, secret="x"), graph_url="http://x")
    with pytest.raises(graph.InputError, match="--tenant-id"):
        graph.AppCredential("", CLIENT_ID, secret="x")
    assert "zzsecretzz" not in repr(graph.AppCredential(TENANT, CLIENT_ID, secret="zzsecretzz"))


def _reader(root: Path, stop: threading.Event, problems: list[str]) -> None:
    """Read the store as another program would, over and over, while a fetch writes it."""
    while not stop.is_set():
        if (root / "_planner_store.json").exists():
            try:
                dataset = ds.dataset(root, partitioning="hive", format="parquet")
                if not dataset.files:  # nothing stored yet
                    continue
                ids = dataset.to_table(columns=["usage_id"])["usage_id"].to_pylist()
                if len(ids) != len(set(ids)):
                    problems.append("duplicate ids while fetching")
            except (OSError, ValueError) as exc:
                if "No such file" not in str(exc):  # a month renamed between list and open
                    problems.append(repr(exc))
        time.sleep(0.01)


@pytest.mark.slow
def test_sigkill_mid_fetch_then_rerun_loses_and_duplicates_nothing(tmp_path, tls, env):
    first = T0 - dt.timedelta(days=365)
    rows = CallRows.generate(12_000, first, T0, seed=11)
    store = tmp_path / "store"
    environ = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    problems: list[str] = []
    stop = threading.Event()
    reader = threading.Thread(target=_reader, args=(store, stop, problems), daemon=True)
    reader.start()
    try:
        for kill_after in (9, 23, None):  # in the first window, in the third, then to the end
            killed = threading.Event()
            fake = FakeGraph(rows, today=T0, page_size=300)
            if kill_after is not None:
                fake.on_page = lambda n, k=kill_after, e=killed: n >= k and e.set()
            with serve(fake, tls):
                argv = [
                    sys.executable,
                    "-m",
                    "planner",
                    *fetch_argv(fake, store),
                    "--until",
                    "2026-06-01",
                ]
                proc = subprocess.Popen(
                    argv, env=environ, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
                )
                if kill_after is not None:
                    assert killed.wait(60), "the fetch never reached the page to be killed at"
                    os.kill(proc.pid, signal.SIGKILL)
                out, err = proc.communicate(timeout=120)
            if kill_after is None:
                assert proc.returncode == 0, err.decode()
            else:
                assert proc.returncode == -signal.SIGKILL
            ids = stored_ids(store)
            assert len(ids) == len(set(ids))
    finally:
        stop.set()
        reader.join(10)
    assert problems == []
    assert set(stored_ids(store)) == set(rows.ids)
    assert summarize(Store(store)).credit_spend == {"USD": rows.credit_spend(first, T0)}


_KILL_AT_RENAME = """
import os, signal, sys
import planner.store.history as store
calls = []
def replace(src, dst):
    if str(dst).endswith("records.parquet"):
        calls.append(dst)
        if len(calls) == int(os.environ["KILL_AT_RENAME"]):
            os.kill(os.getpid(), signal.SIGKILL)  # the month is written, not yet renamed
    os.replace(src, dst)
store.os = type("os", (), {**{k: getattr(os, k) for k in dir(os) if not k.startswith("__")}, "replace": staticmethod(replace)})
from planner.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_sigkill_between_two_months_of_a_window_then_rerun(tmp_path, tls, env):
    first = T0 - dt.timedelta(days=150)
    rows = CallRows.generate(3_000, first, T0, seed=13)
    store = tmp_path / "store"
    environ = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    fake = FakeGraph(rows, today=T0, page_size=500)
    with serve(fake, tls):
        argv = [
            *fetch_argv(fake, store, "--since", first.date().isoformat(), "--until", "2026-06-01")
        ]
        argv += ["--concurrency", "1"]
        # the first window covers four months: killed as the third is about to be renamed
        killed = subprocess.run(
            [sys.executable, "-c", _KILL_AT_RENAME, *argv],
            env={**environ, "KILL_AT_RENAME": "3"},
            cwd=ROOT,
            capture_output=True,
        )
        assert killed.returncode == -signal.SIGKILL
        months = [p.parent.name for p in Store(store).partitions()]
        assert months == ["month=2026-01", "month=2026-02"]
        assert list(store.glob("month=*/.records.parquet.*.tmp"))  # the unrenamed month
        # readable meanwhile, and the half-written month is no data to other readers
        table = ds.dataset(store, partitioning="hive", format="parquet").to_table()
        assert table.num_rows == len(set(table["usage_id"].to_pylist())) > 0
        # incremental rerun: from the newest stored record, everything else comes
        assert main(fetch_argv(fake, store, "--until", "2026-06-01")) == 0
    assert not list(store.glob("month=*/.*.tmp"))
    ids = stored_ids(store)
    assert len(ids) == len(set(ids)) and set(ids) == set(rows.ids)


@pytest.mark.slow
def test_six_months_later_the_store_holds_18_months_and_the_report_covers_them(tmp_path, tls, env):
    t1 = T0 + dt.timedelta(days=183)
    first = T0 - dt.timedelta(days=365)
    rows = CallRows.generate(4_000, first, t1, seed=5)
    store = tmp_path / "store"
    early = FakeGraph(rows, today=T0)
    with serve(early, tls):  # empty store: the year Graph keeps
        assert main(fetch_argv(early, store, "--until", T0.date().isoformat())) == 0
    later = FakeGraph(rows, today=t1)  # by now it has dropped the oldest six months
    with serve(later, tls):  # incremental: from the newest stored record
        assert main(fetch_argv(later, store, "--until", t1.date().isoformat())) == 0
    dropped = rows.starts < np.datetime64(t1.replace(tzinfo=None) - dt.timedelta(days=365))
    assert dropped.sum() > 500  # records Graph no longer serves: the store kept them
    assert set(stored_ids(store)) == set(rows.ids)
    summary = summarize(Store(store))
    assert [m["month"] for m in summary.months][::17] == ["2025-06", "2026-11"]
    assert len(summary.months) == 18
    days = (summary.period[1] - summary.period[0]).days + 1
    out = tmp_path / "report"
    fast = ["--scenarios", "200", "--horizon-days", "120", "--no-progress"]  # small but real
    assert main(["report", str(store), "--out", str(out), *fast]) in (0, 3)
    period = json.loads((out / "summary.json").read_text())["period"]
    assert period.startswith("1 Jun 2025") and f"({days} days)" in period
    assert "Nov 2026" in period


def test_sms_fetched_once_into_records_of_kind_sms(tmp_path, tls, env, capsys):
    first = T0 - dt.timedelta(days=40)
    sms = CallRows.generate_sms(2_500, first, T0, seed=4)
    fake = FakeGraph(CallRows.generate(200, first, T0, seed=5), today=T0, sms=sms, page_size=300)
    store = tmp_path / "store"
    with serve(fake, tls):
        argv = fetch_argv(fake, store, "--since", "2026-04-22", "--until", "2026-06-01", "--sms")
        assert main([*argv, "--json"]) == 0
        out = json.loads(capsys.readouterr().out)
        assert main([*argv, "--json"]) == 0  # a repeat adds nothing
        again = json.loads(capsys.readouterr().out)
    assert out["functions"] == ["getPstnCalls", "getSmsLog"]
    assert out["records_added"] == 2_700 and again["records_added"] == 0
    assert ("GET", "/beta/communications/callRecords/getSmsLog") in {
        (m, p.split("(")[0]) for m, p in fake.log
    }
    table = Store(store).read().to_pandas()
    texts = table[table["kind"] == "sms"]
    assert len(texts) == 2_500 and set(texts["usage_id"]) == set(sms.ids)
    assert set(texts["call_type"]) == {"sms_out", "sms_in"}
    assert (texts["duration_s"] == 0).all() and texts["sms_units"].between(1, 3).all()
    assert set(texts.loc[texts["call_type"] == "sms_out", "call_direction"]) == {"outbound"}
    credits = texts[texts["capability"] == "MCOPSTNPP"]
    assert int(credits["charge_cents"].sum()) == int(sms.credit_cents.sum())
    assert set(table["source_file"]) == {"graph:getPstnCalls", "graph:getSmsLog"}
    # sub-cent charges (0.0075 a segment) kept exact, none rejected; the demand rounds each
    # day's exact sum once (docs/billing.md)
    exact = dict(zip(sms.ids, sms.micro.tolist(), strict=True))
    assert texts["charge_micro"].tolist() == [exact[u] for u in texts["usage_id"]]
    days = pd.Series(sms.micro, index=pd.DatetimeIndex(sms.starts).normalize())
    expected = int(micro_cents(days.groupby(level=0).sum().to_numpy()).sum())
    assert actual_demand(texts).totals()["USD"]["sms_cents"] == expected
    assert expected < int(sms.credit_cents.sum())  # rounding each message would bill more


@pytest.mark.parametrize("suffix", [".json", ".csv"])
def test_a_saved_sms_export_is_read_as_sms_records(tmp_path, suffix):
    from planner.ingest import read_exports

    sms = CallRows.generate_sms(40, T0 - dt.timedelta(days=3), T0, seed=9)
    path = tmp_path / f"sms{suffix}"
    if suffix == ".json":
        path.write_text('{"value": [' + ",".join(sms.text) + "]}")
    else:
        rows = [json.loads(t) for t in sms.text]
        names = list(rows[0])
        lines = [",".join(names)] + [",".join(str(r[k]) for k in names) for r in rows]
        path.write_text("\n".join(lines) + "\n")
    result = read_exports([path])
    records = result.records
    assert len(records) == 40 and set(records["kind"]) == {"sms"}
    assert result.files[0].format == "graph_sms"
    assert int(records["sms_units"].sum()) > 0
    assert int(records["charge_cents"].sum()) == int(sms.credit_cents.sum())


def test_windows_are_fetched_at_once_and_a_429_pauses_every_worker(tmp_path, tls, env):
    first = T0 - dt.timedelta(days=120)
    rows = CallRows.generate(4_000, first, T0, seed=8)
    fake = FakeGraph(rows, today=T0, page_size=250, latency=0.1, throttle={6}, retry_after="3")
    with serve(fake, tls):
        result = fetch(tmp_path / "s", graph_client(fake), since=first, until=T0, concurrency=4)
    assert result.records_added == 4_000 and result.windows == 8 and result.retries == 1
    assert fake.max_in_flight >= 2  # windows were downloaded at once
    assert result.waited == 3.0
    throttled = next(t for t, status in fake.answers if status == 429)
    # every worker waited: nothing new asked between the 429 and its Retry-After
    quiet = [t for t in fake.request_times if throttled + 0.8 < t < throttled + 2.8]
    assert quiet == [], [round(t - throttled, 2) for t in quiet]
    assert set(stored_ids(tmp_path / "s")) == set(rows.ids)


def test_concurrency_is_checked(tmp_path):
    client = graph.GraphClient(graph.AppCredential(TENANT, CLIENT_ID, secret="x"))
    for bad in (0, 17):
        with pytest.raises(graph.InputError, match="--concurrency"):
            fetch(tmp_path / "s", client, concurrency=bad)
