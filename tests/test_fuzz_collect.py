"""Hostile Graph answers and tampered stores, drawn at random: never a traceback.

- The Graph client reads pages whose body, ``value``, ``@odata.nextLink``, status and
  ``Retry-After`` are drawn from what a hostile server could send; each page ends in rows, or
  in one :class:`GraphError` (exit 2), within the retries and the total wait.
- A store's month file is damaged at random (bytes flipped, cut, replaced) or one of the
  tamperings of :func:`tests.test_store_tamper.tamper` applied; ``planner store`` and a writer
  end with exit 0 or 2 and at most one error line, and never write outside the store.

``make test`` runs a few dozen examples; ``make fuzz`` (``HYPOTHESIS_PROFILE=fuzz``) thousands.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.cli import main
from planner.collect import graph
from planner.errors import InputError
from planner.store import layout
from tests.conftest import fuzz_profile
from tests.test_store_tamper import MONTHS, make_store, tamper

PROFILE = fuzz_profile(30)
# a tampered store is read by two commands per example: fewer examples, as long in fuzz
STORES = settings(PROFILE, max_examples=max(8, PROFILE.max_examples // 4))
HOME = "https://graph.example"
T0 = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
_links = st.one_of(
    st.none(),
    _json,
    st.sampled_from(
        [
            f"{HOME}/v1.0/next",
            "https://elsewhere.example/x",
            "http://graph.example/x",
            f"{HOME}/v1.0/first",
            "https://user:pw@graph.example/x",
            "",
            "javascript:1",
        ]
    ),  # fmt: skip
)
_retry_after = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.sampled_from(["0", "1", "²", "1000000000", "Mon, 01 Jun 2026 00:00:01", "-0000", "1e3"]),
)


@st.composite
def _answer(draw):
    status = draw(st.sampled_from([200, 200, 200, 302, 307, 400, 401, 429, 500, 503]))
    if draw(st.booleans()):
        body = {"value": draw(st.lists(_json, max_size=3) | _json)}
        link = draw(_links)
        if link is not None:
            body["@odata.nextLink"] = link
        raw = json.dumps(body)
    else:
        raw = draw(st.sampled_from(["[]", "null", '"x"', "{", "", "<html>", "[" * 5000]))
    headers = {"Location": "https://evil.example/x"} if status in (302, 307) else {}
    after = draw(_retry_after)
    if after is not None:
        headers["Retry-After"] = after
    return _Response(status, raw.encode(), headers)


class _Response:
    def __init__(self, status: int, content: bytes, headers: dict[str, str]):
        self.status_code = status
        self.content = content
        self.headers = headers
        self.reason = "reason"

    def iter_content(self, size: int):
        yield self.content

    def close(self) -> None:
        pass


class _Session:
    def __init__(self, answers):
        self.answers = list(answers)

    def get(self, url, **kwargs):
        if not self.answers:
            return _Response(200, b'{"value": []}', {})
        return self.answers.pop(0)


@PROFILE
@given(st.lists(_answer(), min_size=1, max_size=12))
def test_hostile_pages_end_in_rows_or_one_graph_error(answers):
    waits: list[float] = []
    client = graph.GraphClient(
        graph.AppCredential("t", "c", secret="zz-secret-zz"),
        authority="https://login.example",
        graph_url=HOME,
        session=_Session(answers),
        sleep=waits.append,
        max_wait=60,
    )
    client.token = lambda: "tok"  # type: ignore[method-assign]
    try:
        for rows in client.pages("getPstnCalls", T0 - dt.timedelta(days=1), T0):
            assert isinstance(rows, list)
    except graph.GraphError as exc:
        assert "\n" not in str(exc) and "zz-secret-zz" not in str(exc)
    assert sum(waits) <= 60


_TAMPER = st.sampled_from(
    [
        "truncated",
        "damaged pages",
        "foreign schema",
        "charge as text",
        "month link",
        "lock link",
        "log link",
        "marker link",
        "scratch link",
        "lock fifo",
        "month fifo",
        'version "abc"',
        "version null",
        "version [1]",
        "log many",
    ]  # fmt: skip
)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    return make_store(tmp_path_factory.mktemp("pristine") / "store")


@STORES
@given(how=_TAMPER | st.tuples(st.integers(0, 10**6), st.binary(min_size=1, max_size=64)))
def test_a_tampered_store_is_read_or_refused_in_one_line(pristine, capfd, how):
    with tempfile.TemporaryDirectory() as tmp:
        root, outside = Path(tmp) / "store", Path(tmp) / "outside"
        shutil.copytree(pristine, root, symlinks=True)
        outside.mkdir()
        if isinstance(how, tuple):  # bytes replaced somewhere in the middle month
            path = layout.partition_path(root, MONTHS[1])
            data = bytearray(path.read_bytes())
            at = how[0] % len(data)
            data[at : at + len(how[1])] = how[1]
            path.write_bytes(bytes(data))
        else:
            tamper(root, how, outside)
        capfd.readouterr()
        export = str(pristine.parent / f"export-{MONTHS[0]}.csv")
        for argv in (["store", str(root), "--json"], ["ingest", export, "--into", str(root)]):
            code = main(argv)
            err = capfd.readouterr().err
            assert code in (0, 2) and "Traceback" not in err
            assert len([x for x in err.splitlines() if "error" in x]) <= 1, err
        assert not any(p.is_file() and p.stat().st_size == 0 for p in outside.rglob("*"))
        assert sorted(p.name for p in outside.rglob("*")) in ([], ["records.parquet"],
                                                               ["victim.txt"], ["folder"])  # fmt: skip


def test_the_tamper_fixture_knows_every_kind():
    with pytest.raises(ValueError):
        tamper(Path("."), "nothing", Path("."))
    with pytest.raises(InputError):
        layout.check_entry(Path("/dev/null"), folder=False, missing_ok=False)
