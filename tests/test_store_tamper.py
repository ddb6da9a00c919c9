"""A tampered history store: damaged or foreign months, links and odd files among its own
entries, a read-only store, an edited marker or run log. Each is one line and exit 2 (or, for
``planner store``, the other months still shown), never a traceback, never a write outside.

:func:`tamper` is the fixture the fuzz suite draws from (``tests/test_fuzz_store.py``).
"""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from planner.cli import main
from planner.store import layout
from planner.store.history import Store
from tests.fixtures.ingest.build import CP_CURRENT, cp_row, write_csv

MONTHS = ("2019-10", "2019-11", "2019-12")


def make_store(root: Path) -> Path:
    """A store of three months (ten records each), made by ``planner ingest --into``."""
    exports = []
    for n, month in enumerate(MONTHS):
        rows = [cp_row(10 * n + i, day=3) for i in range(1, 11)]
        for row in rows:
            row["Start Time"] = row["Start Time"].replace("2019-11", month)
            row["End Time"] = row["End Time"].replace("2019-11", month)
        exports.append(write_csv(root.parent / f"export-{month}.csv", CP_CURRENT, rows))
    assert main(["ingest", *map(str, exports), "--into", str(root), "--json"]) == 0
    return root


def _month(root: Path, month: str) -> Path:
    return layout.partition_path(root, month)


def _foreign(path: Path) -> None:
    pq.write_table(pa.table({"a": [1, 2], "b": ["x", "y"]}), path)


def _strings(path: Path) -> None:
    table = pq.read_table(path)
    i = table.schema.get_field_index("charge_cents")
    pq.write_table(
        table.set_column(i, "charge_cents", table["charge_cents"].cast(pa.string())), path
    )


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _damage_pages(path: Path) -> None:
    data = bytearray(path.read_bytes())
    for i in range(200, len(data) // 2, 97):  # inside the column chunks, not the footer
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))


#: ways to damage one month file: name -> what it does to the file
DAMAGE = {"truncated": _truncate, "damaged pages": _damage_pages, "foreign schema": _foreign,
          "charge as text": _strings}  # fmt: skip


def tamper(root: Path, how: str, outside: Path) -> None:
    """Tamper with a store: one of :data:`DAMAGE` on its middle month, or a link / odd file
    in place of one of its entries (``outside`` is a folder the store must never touch)."""
    if how in DAMAGE:
        DAMAGE[how](_month(root, MONTHS[1]))
    elif how == "month link":
        month = root / f"month={MONTHS[1]}"
        (outside / "records.parquet").write_bytes(_month(root, MONTHS[1]).read_bytes())
        for f in month.iterdir():
            f.unlink()
        month.rmdir()
        month.symlink_to(outside, target_is_directory=True)
    elif how in ("lock link", "log link", "marker link", "scratch link"):
        name = {"lock link": layout.LOCK, "log link": layout.LOG, "marker link": layout.MARKER,
                "scratch link": layout.SCRATCH}[how]  # fmt: skip
        target = outside / ("folder" if name == layout.SCRATCH else "victim.txt")
        if name == layout.SCRATCH:
            target.mkdir(exist_ok=True)
        elif name == layout.MARKER:
            target.write_text((root / name).read_text())
        else:
            target.write_text("precious\n")
        entry = root / name
        if entry.is_dir():
            entry.rmdir()
        else:
            entry.unlink(missing_ok=True)
        entry.symlink_to(target)
    elif how == "lock fifo":
        (root / layout.LOCK).unlink(missing_ok=True)
        os.mkfifo(root / layout.LOCK)
    elif how == "month fifo":
        path = _month(root, MONTHS[1])
        path.unlink()
        os.mkfifo(path)
    elif how.startswith("version "):
        marker = json.loads((root / layout.MARKER).read_text())
        marker["version"] = json.loads(how.split(" ", 1)[1])
        (root / layout.MARKER).write_text(json.dumps(marker))
    elif how == "log many":
        with open(root / layout.LOG, "a") as fh:
            fh.write(json.dumps({"time": "x", "command": "ingest", "records_added": "many"}) + "\n")
    else:
        raise ValueError(how)


def _outside_untouched(outside: Path, before: dict[str, bytes]) -> None:
    after = {str(p): p.read_bytes() for p in outside.rglob("*") if p.is_file()}
    assert after == before


@pytest.fixture
def store(tmp_path, capsys) -> Path:
    root = make_store(tmp_path / "store")
    capsys.readouterr()
    return root


def _one_line(capsys) -> tuple[str, str]:
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in captured.err, captured.err
    return captured.out, err[0]


@pytest.mark.parametrize("how", list(DAMAGE))
def test_a_damaged_month_is_named_and_the_others_still_shown(store, tmp_path, capsys, how):
    tamper(store, how, tmp_path)
    assert main(["store", str(store)]) == 2
    out, err = _one_line(capsys)
    assert "month 2019-11 of the store is damaged" in err or "2019-11" in err
    assert "2019-10" in out and "2019-12" in out and "DAMAGED" in out
    assert main(["store", str(store), "--json"]) == 2
    summary = json.loads(capsys.readouterr().out)
    assert [m["month"] for m in summary["months"]] == ["2019-10", "2019-12"]
    assert [d["month"] for d in summary["damaged"]] == ["2019-11"]
    new = write_csv(tmp_path / "new.csv", CP_CURRENT, [cp_row(99, day=5)])
    assert main(["ingest", str(new), "--into", str(store)]) == 2
    _, err = _one_line(capsys)
    assert "2019-11" in err
    assert main(["demand", str(store)]) == 2
    _, err = _one_line(capsys)
    assert "2019-11" in err


@pytest.mark.parametrize(
    "how",
    [
        "month link",
        "lock link",
        "log link",
        "marker link",
        "scratch link",
        "lock fifo",
        "month fifo",
    ],  # fmt: skip
)
def test_links_and_odd_files_inside_the_store_are_refused(store, tmp_path, capsys, how):
    outside = tmp_path / "outside"
    outside.mkdir()
    tamper(store, how, outside)
    before = {str(p): p.read_bytes() for p in outside.rglob("*") if p.is_file()}
    new = write_csv(tmp_path / "new.csv", CP_CURRENT, [cp_row(99, day=5)])
    assert main(["ingest", str(new), "--into", str(store)]) == 2
    _, err = _one_line(capsys)
    assert "refused" in err
    _outside_untouched(outside, before)
    assert main(["store", str(store)]) == 2
    _one_line(capsys)
    _outside_untouched(outside, before)


@pytest.mark.parametrize("version", ['"abc"', "null", "[1]", "true", "-1"])
def test_a_damaged_marker_is_one_line(store, tmp_path, capsys, version):
    tamper(store, f"version {version}", tmp_path)
    assert main(["store", str(store)]) == 2
    _, err = _one_line(capsys)
    assert "marker" in err and "version" in err


def test_a_run_log_line_that_is_no_run_is_left_out(store, tmp_path, capsys):
    tamper(store, "log many", tmp_path)
    assert main(["store", str(store)]) == 0
    out = capsys.readouterr().out
    assert "1 unreadable line(s) left out" in out and "last run:" in out
    assert main(["store", str(store), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["unreadable_runs"] == 1


def test_a_read_only_store_is_refused_in_one_line_and_still_read(
    store, tmp_path, capsys, monkeypatch
):
    real_open = os.open

    def read_only(path, flags, *args, **kwargs):
        if str(path).startswith(str(store)) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only)
    new = write_csv(tmp_path / "new.csv", CP_CURRENT, [cp_row(99, day=5)])
    assert main(["ingest", str(new), "--into", str(store)]) == 2
    _, err = _one_line(capsys)
    assert "cannot be written" in err and "Read-only" in err
    assert main(["store", str(store)]) == 0  # reading needs no write
    assert "rows: 30 in 3 month(s)" in capsys.readouterr().out


def test_the_store_writes_pages_with_checksums(store):
    meta = pq.ParquetFile(_month(store, MONTHS[0])).metadata
    assert meta.num_rows == 10
    assert Store(store).read(["usage_id"]).num_rows == 30
