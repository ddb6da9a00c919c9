"""Random damage to valid exports never produces a traceback, and every row is accounted for.

Each example takes a valid export (CSV, a French Excel's ``;`` CSV, Graph JSON, JSON Lines, a
zip, an .xlsx) and damages it: truncation, byte flips, inserted quotes, separators or line
breaks, deep nesting, another encoding. Reading it must end in records and reasoned rejects
(``rows == records + duplicates + rejected`` per file) or one :class:`InputError`.

``make test`` runs a few dozen examples per format (a few seconds); ``make fuzz`` runs the
``fuzz`` profile (``HYPOTHESIS_PROFILE=fuzz``), thousands of examples.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.cli import main
from planner.errors import InputError
from planner.ingest import iter_records, read_exports
from tests.fixtures.ingest.build import (
    CP_CURRENT,
    CP_LEGACY,
    cp_row,
    csv_text,
    graph_dr_row,
    graph_row,
)

settings.register_profile(
    "ci",
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "fuzz",
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
# an error pyarrow could only print (a row it cannot decode for its handler) fails the test
pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")

_NAMES = ("Agnès Dupré", "Zoë", "Jürgen Groß", "O'Brien", 'Say "hi"', "a,b;c", "=1+1")


def _rows(n: int) -> list[dict]:
    return [
        cp_row(i % 7 + 1, charge=f"{i}.{i % 100:02d}", **{"User Display Name": _NAMES[i % 7]})
        for i in range(n)
    ]


def _valid(kind: str) -> tuple[str, bytes]:
    """A valid export of ``kind``: (file name, bytes)."""
    if kind == "csv":
        return "calls.csv", csv_text(CP_CURRENT, _rows(12)).encode("utf-8")
    if kind == "csv;":
        rows = [dict(r, Charge=r["Charge"].replace(".", ",")) for r in _rows(12)]
        return "calls.csv", csv_text(CP_LEGACY, rows, delimiter=";").encode("cp1252")
    if kind == "json":
        rows = [graph_row(i) for i in range(1, 8)] + [graph_dr_row(20)]
        return "page.json", json.dumps({"value": rows}).encode()
    if kind == "jsonl":
        lines = [json.dumps(graph_row(i)) for i in range(1, 8)]
        return "rows.jsonl", "\n".join(lines).encode()
    if kind == "zip":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("PSTN.calls.2019-11-01.csv", csv_text(CP_CURRENT, _rows(12)))
            zf.writestr("parameters.json", '{"StartDate": "2019-11-01", "EndDate": "2019-11-30"}')
        return "export.zip", buf.getvalue()
    import openpyxl

    book = openpyxl.Workbook()
    ws = book.active
    ws.append(CP_CURRENT)
    for row in _rows(6):
        ws.append([row[h] for h in CP_CURRENT])
    buf = io.BytesIO()
    book.save(buf)
    return "calls.xlsx", buf.getvalue()


KINDS = ("csv", "csv;", "json", "jsonl", "zip", "xlsx")
_VALID = {k: _valid(k) for k in KINDS}

damage = st.one_of(
    st.tuples(st.just("truncate"), st.floats(0, 1)),
    st.tuples(
        st.just("flip"),
        st.lists(st.tuples(st.floats(0, 1), st.integers(1, 255)), min_size=1, max_size=8),
    ),  # fmt: skip
    st.tuples(
        st.just("insert"),
        st.floats(0, 1),
        st.sampled_from([b'"', b",", b";", b"\n", b"\r", b"\x00", b"\xff", b"\xc3", b"{", b"["]),
    ),
    st.tuples(st.just("nest"), st.integers(1, 5000)),
    st.tuples(st.just("encode"), st.sampled_from(["utf-16", "utf-8-sig", "cp1252", "latin-1"])),
)


def _apply(data: bytes, step: tuple) -> bytes:
    op = step[0]
    if op == "truncate":
        return data[: int(len(data) * step[1])]
    if op == "flip":
        out = bytearray(data)
        for where, mask in step[1]:
            if out:
                out[min(len(out) - 1, int(len(out) * where))] ^= mask
        return bytes(out)
    if op == "insert":
        at = int(len(data) * step[1])
        return data[:at] + step[2] + data[at:]
    if op == "nest":
        at = data.find(b":") + 1 or len(data) // 2
        return data[:at] + b"[" * step[1] + b"1" + b"]" * step[1] + data[at:]
    text = data.decode("utf-8", "replace")
    return text.encode(step[1], "replace")


def _check(result_files, records: int, rejects: int) -> None:
    for f in result_files:
        assert f.rows == f.records + f.duplicates + f.rejected, f
    assert sum(f.records for f in result_files) == records
    assert sum(f.rejected for f in result_files) == rejects


@PROFILE
@given(kind=st.sampled_from(KINDS), steps=st.lists(damage, min_size=1, max_size=3))
def test_damaged_exports_are_read_or_refused(kind, steps):
    name, data = _VALID[kind]
    for step in steps:
        data = _apply(data, step)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            result = read_exports(path)
        except InputError as exc:
            assert "\n" not in str(exc)
            return
        _check(result.files, len(result.records), len(result.rejects))
        money = result.records[["charge_cents", "connection_fee_cents"]]
        assert (money.abs().fillna(0) < 10**16).all().all()


@PROFILE
@given(kind=st.sampled_from(("csv", "csv;", "jsonl")), step=damage, chunk=st.integers(1, 5))
def test_streaming_in_chunks_accounts_for_every_row(kind, step, chunk):
    name, data = _VALID[kind]
    data = _apply(data, step)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            stream = iter_records([path], chunk_rows=chunk)
            records = sum(len(c) for c in stream)
        except InputError:
            return
        _check(stream.files, records, len(stream.rejects))


@pytest.mark.parametrize("kind", KINDS)
def test_the_command_gives_exit_0_or_2_and_strict_json(kind, tmp_path):
    name, data = _VALID[kind]
    for i, step in enumerate([("truncate", 0.6), ("flip", [(0.5, 0xFF)]), ("nest", 3000)]):
        path = tmp_path / f"{i}{name}"
        path.write_bytes(_apply(data, step))
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["ingest", str(path), "--json"])
        assert code in (0, 2), err.getvalue()
        assert "Traceback" not in err.getvalue()
        if code == 0:
            json.loads(out.getvalue())
        else:
            assert err.getvalue().count("\n") == 1
