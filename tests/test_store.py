"""The history store and input discovery: ``planner ingest --into``, ``planner store``, store
directories and the planner's own record tables as input, stray files in folders."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.cli import main
from planner.collect.summary import summarize
from planner.errors import InputError
from planner.ingest import check_inputs, iter_records, read_exports
from planner.store import layout
from planner.store.history import Store
from tests.fixtures.ingest.build import CP_CURRENT, cp_row, write_csv

ROOT = Path(__file__).resolve().parents[1]


def _export(path: Path, ids, day: int = 1, **kw) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_csv(path, CP_CURRENT, [cp_row(i, day=day, **kw) for i in ids])


def _ingest_json(capsys, *argv: str) -> dict:
    assert main(["ingest", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_ingest_into_adds_only_new_records_and_store_is_input(tmp_path, capsys):
    store = tmp_path / "store"
    a = _export(tmp_path / "a.csv", range(1, 6), day=3)
    b = _export(tmp_path / "b.csv", range(4, 9), day=3)
    first = _ingest_json(capsys, str(a), "--into", str(store))
    assert first["store"] == {"path": str(store), "records_added": 5, "duplicates": 0}
    second = _ingest_json(capsys, str(b), str(a), "--into", str(store))
    # b: 6, 7, 8 new, 4, 5 already stored; a: 4, 5 repeat b, 1, 2, 3 already stored
    assert second["duplicates"] == 2
    assert second["store"] == {"path": str(store), "records_added": 3, "duplicates": 5}
    again = _ingest_json(capsys, str(a), str(b), "--into", str(store))
    assert again["store"]["records_added"] == 0
    # the store as EXPORTS: every record once, with the same credit spend as the exports
    whole = _ingest_json(capsys, str(store))
    direct = _ingest_json(capsys, str(a), str(b))
    assert whole["records"] == direct["records"] == 8
    assert whole["credit_spend"] == direct["credit_spend"]
    assert {f["format"] for f in whole["files"]} == {"planner_records"}
    stored = read_exports([store]).records
    assert stored["usage_id"].is_unique and len(stored) == 8
    assert stored["charge_cents"].dtype == "Int64"


def test_store_is_read_by_pyarrow_and_pandas_without_the_planner(tmp_path, capsys):
    store = tmp_path / "store"
    a = _export(tmp_path / "a.csv", range(1, 4), day=1)
    _ingest_json(capsys, str(a), "--into", str(store))
    code = (
        "import sys, pyarrow.dataset as ds, pandas as pd;"
        f"t = ds.dataset({str(store)!r}, partitioning='hive', format='parquet').to_table();"
        f"df = pd.read_parquet({str(store)!r});"
        "print(t.num_rows, len(df), int(df['charge_cents'].sum()), sorted(set(df['month'])))"
    )
    # a bare interpreter with only pyarrow and pandas: the planner package is not imported
    out = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True
    ).stdout.split(maxsplit=3)
    assert out[:3] == ["3", "3", "360"]
    assert "2019-11" in out[3]


def test_store_months_gaps_sources_and_json(tmp_path, capsys):
    store = tmp_path / "store"
    a = _export(tmp_path / "a.csv", range(1, 3), day=1)
    b = _export(tmp_path / "b.csv", range(3, 5), day=5)
    c = _export(tmp_path / "c.csv", range(5, 6), day=6)
    _ingest_json(capsys, str(a), str(b), str(c), "--into", str(store))
    assert main(["store", str(store), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["rows"] == 5
    assert out["period"] == {"start": "2019-11-01", "end": "2019-11-06"}
    assert out["months"] == [{"month": "2019-11", "rows": 5, "days": 3}]
    assert out["gaps"] == [{"start": "2019-11-02", "end": "2019-11-04", "days": 3}]
    assert [(s["source"], s["rows"]) for s in out["sources"]] == [
        (str(a), 2),
        (str(b), 2),
        (str(c), 1),
    ]
    assert out["credit_spend"] == {"USD": 6.25}
    assert out["last_run"]["command"] == "ingest"
    assert main(["store", str(store)]) == 0
    text = capsys.readouterr().out
    assert "period: 2019-11-01 to 2019-11-06" in text
    assert "2019-11-02 to 2019-11-04" in text


def test_store_command_refuses_a_folder_that_is_not_a_store(tmp_path, capsys):
    assert main(["store", str(tmp_path)]) == 2
    assert "not a planner store" in capsys.readouterr().err
    (tmp_path / "x.csv").write_text("a,b\n")
    assert main(["ingest", str(tmp_path / "x.csv"), "--into", str(tmp_path)]) == 2


def test_month_partitions_and_store_in_a_folder_of_exports(tmp_path, capsys):
    store = tmp_path / "exports" / "history"
    rows = [cp_row(1), cp_row(2)]
    rows[1]["Start Time"] = "2019-12-31T23:59:59.9999999Z"
    a = write_csv(tmp_path / "a.csv", CP_CURRENT, rows)
    _ingest_json(capsys, str(a), "--into", str(store))
    assert [layout.month_of(p) for p in Store(store).partitions()] == ["2019-11", "2019-12"]
    # a store inside a folder of exports is read as its partitions, not its log or marker
    _export(tmp_path / "exports" / "b.csv", [2, 3])
    out = _ingest_json(capsys, str(tmp_path / "exports"))
    assert out["records"] == 3 and out["skipped"] == []
    assert out["duplicates"] == 1


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=st.lists(st.lists(st.integers(1, 40), max_size=15), min_size=1, max_size=5))
def test_store_holds_every_id_once_whatever_the_batches(tmp_path_factory, batches):
    root = tmp_path_factory.mktemp("s") / "store"
    store = Store(root, create=True)
    template = read_exports(_export(root.parent / "t.csv", range(1, 41))).records
    seen: set[int] = set()
    for batch in batches:
        with store.writer() as w:
            rows = template.iloc[[i - 1 for i in batch]]
            added, dups = w.add(pa.Table.from_pandas(rows, preserve_index=False))
        assert added == len(set(batch) - seen)
        assert added + dups == len(batch)
        seen |= set(batch)
    ids = store.read(["usage_id"])["usage_id"].to_pylist()
    assert len(ids) == len(set(ids)) == len(seen)


def _hold_lock(root: str, ready, release) -> None:
    with Store(root).writer():
        ready.set()
        release.wait(10)


def test_two_writers_never_interleave(tmp_path):
    root = tmp_path / "store"
    Store(root, create=True)
    ctx = multiprocessing.get_context("fork")
    ready, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold_lock, args=(str(root), ready, release))
    holder.start()
    try:
        assert ready.wait(10)
        with pytest.raises(InputError, match=rf"another planner process \(pid {holder.pid}\)"):
            with Store(root).writer(lock_timeout=0.2):
                pass
        release.set()
        holder.join(10)
        with Store(root).writer(lock_timeout=5):  # free again once the holder is done
            pass
    finally:
        release.set()
        holder.join(10)


def test_killed_writer_leaves_no_lock_and_no_temporary_file(tmp_path):
    root = tmp_path / "store"
    Store(root, create=True)
    tmp = root / "month=2019-11" / ".records.parquet.999.tmp"
    tmp.parent.mkdir()
    tmp.write_bytes(b"half a file")
    code = f"from planner.store.history import Store\nw = Store({str(root)!r}).writer().__enter__()\nprint('locked', flush=True)\nimport time; time.sleep(60)\n"
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        assert proc.stdout.readline().strip() == "locked"
        assert not tmp.exists()  # the writer removed what a killed run left
        os.kill(proc.pid, 9)
        proc.wait(10)
        start = time.monotonic()
        with Store(root).writer(lock_timeout=5):
            assert time.monotonic() - start < 2
    finally:
        proc.kill()
        proc.wait()


# ---- discovery: stray files, hints, the planner's own tables --------------------------------


def test_stray_files_in_a_folder_are_skipped_with_a_warning(tmp_path, capsys):
    folder = tmp_path / "exports"
    _export(folder / "a.csv", [1, 2])
    (folder / "README.txt").write_text("Exports downloaded by Alice\n")
    (folder / "notes.csv").write_text("when,what\n2019-11-01,budget meeting\n")
    assert main(["ingest", str(folder), "--json"]) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert out["records"] == 2
    assert [Path(s["path"]).name for s in out["skipped"]] == ["README.txt", "notes.csv"]
    assert captured.err.splitlines() == [
        f"planner: warning: skipped {folder / 'README.txt'}: not a usage export: the header "
        "(Exports downloaded by Alice) matches no known format",
        f"planner: warning: skipped {folder / 'notes.csv'}: not a usage export: the header "
        "(when, what) matches no known format",
    ]
    assert check_inputs([folder]) == [(s["path"], s["reason"]) for s in out["skipped"]]
    # named on its own, the same file stays an error
    assert main(["ingest", str(folder / "notes.csv")]) == 2
    assert "notes.csv: not a usage export" in capsys.readouterr().err


def test_folder_without_any_export_is_an_error(tmp_path, capsys):
    (tmp_path / "README.txt").write_text("nothing here\n")
    assert main(["ingest", str(tmp_path)]) == 2
    assert "no usage export found (skipped README.txt)" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "option"),
    [
        ("date,amount\n2026-01-01,12.50\n", "--demand"),
        ("date,currency,amount_cents,toll_free_cents\n2026-01-01,USD,1250,0\n", "--demand"),
        ("purchase_date,amount\n2026-01-01,100\n", "--balance"),
        ("plan,country,users\nMCOPSTN1,US,10\n", "--licences"),
        ("destination,per_minute\n*,0.02\n", "--rates"),
    ],
)
def test_other_planner_files_as_exports_get_a_short_hint(tmp_path, capsys, text, option):
    path = tmp_path / "file.csv"
    path.write_text(text)
    assert main(["ingest", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith(f"did you mean {option}?")
    assert "formats tried" not in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_planner_record_tables_are_accepted_as_input(tmp_path, capsys, suffix):
    a = _export(tmp_path / "a.csv", [1, 2, 3])
    out = tmp_path / f"records{suffix}"
    assert main(["ingest", str(a), "--out", str(out)]) == 0
    capsys.readouterr()
    again = read_exports([out])
    direct = read_exports([a])
    pd.testing.assert_frame_equal(
        again.records.drop(columns=["source_row"]), direct.records.drop(columns=["source_row"])
    )
    assert again.files[0].format == "planner_records"
    # overlapping with the export it came from: de-duplicated like two exports
    both = _ingest_json(capsys, str(out), str(a))
    assert (both["records"], both["duplicates"]) == (3, 3)


def test_parquet_that_is_not_a_record_table_is_refused(tmp_path, capsys):
    path = tmp_path / "other.parquet"
    pd.DataFrame({"x": [1]}).to_parquet(path)
    assert main(["ingest", str(path)]) == 2
    assert "without the planner's record columns" in capsys.readouterr().err


def test_iter_records_reads_a_store_in_chunks(tmp_path, capsys):
    store = tmp_path / "store"
    _ingest_json(capsys, str(_export(tmp_path / "a.csv", range(1, 30))), "--into", str(store))
    stream = iter_records([store], chunk_rows=7)
    sizes = [len(c) for c in stream]
    assert sum(sizes) == 29 and max(sizes) <= 7
    assert stream.files[0].rows == 29


def test_store_is_read_by_dask(tmp_path, capsys):
    dd = pytest.importorskip("dask.dataframe")
    store = tmp_path / "store"
    rows = [cp_row(1), cp_row(2), cp_row(3)]
    rows[2]["Start Time"] = "2019-12-02T10:00:00Z"
    _ingest_json(capsys, str(write_csv(tmp_path / "a.csv", CP_CURRENT, rows)), "--into", str(store))
    frame = dd.read_parquet(store)
    assert frame.npartitions == 2 and len(frame) == 3
    assert int(frame["charge_cents"].sum().compute()) == 360


def test_store_dataset_matches_the_planner(tmp_path, capsys):
    store = tmp_path / "store"
    _ingest_json(capsys, str(_export(tmp_path / "a.csv", range(1, 10))), "--into", str(store))
    table = ds.dataset(store, partitioning="hive", format="parquet").to_table()
    assert sorted(table["usage_id"].to_pylist()) == sorted(
        read_exports([store]).records["usage_id"].tolist()
    )
    assert summarize(Store(store)).rows == table.num_rows
