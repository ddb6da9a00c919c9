"""The local Graph stand-in as the tests use it: its certificate trusted, the secret in the
environment, name resolution limited to 127.0.0.1, and a client or command line aimed at it.

A test module imports ``env_fixture`` and ``tls_fixture`` to use the fixtures ``env`` and ``tls``.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from planner.collect import graph
from planner.store.history import Store
from tests.fixtures.graph.fake_graph import CLIENT_ID, SECRET, TENANT, FakeGraph, self_signed


@pytest.fixture(scope="module", name="tls")
def tls_fixture(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    key, cert = self_signed(folder)
    return key, cert


@pytest.fixture(name="env")
def env_fixture(tls, monkeypatch):
    """Trust the local server, hold the secret in the environment, no proxy."""
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls[1]))
    monkeypatch.setenv("PLANNER_CLIENT_SECRET", SECRET)
    real = socket.getaddrinfo
    asked: list[str] = []

    def local_only(host, *args, **kwargs):
        asked.append(str(host))
        if host not in ("127.0.0.1", b"127.0.0.1"):
            raise socket.gaierror(f"test: no network ({host})")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", local_only)
    return asked


def serve(fake: FakeGraph, tls):
    return fake.serve(cert=tls[1], key=tls[0])


def graph_client(fake: FakeGraph, waits: list[float] | None = None, **kw) -> graph.GraphClient:
    credential = graph.secret_from_env(TENANT, CLIENT_ID, "PLANNER_CLIENT_SECRET")
    return graph.GraphClient(
        credential,
        authority=fake.base_url,
        graph_url=fake.base_url,
        sleep=(waits.append if waits is not None else time.sleep),
        **kw,
    )


def stored_ids(root: Path) -> list[str]:
    return Store(root).read(["usage_id"])["usage_id"].to_pylist()


def fetch_argv(fake: FakeGraph, store: Path, *extra: str) -> list[str]:
    return [
        "fetch",
        "--store",
        str(store),
        "--tenant-id",
        TENANT,
        "--client-id",
        CLIENT_ID,
        "--authority",
        fake.base_url,
        "--graph-url",
        fake.base_url,
        *extra,
    ]
