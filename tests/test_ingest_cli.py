"""``planner ingest`` on the command line: summary, --json, files written, exit codes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from planner.cli import main
from planner.ingest import read_exports
from planner.schema import RECORD_DTYPES
from tests.fixtures.ingest.build import CP_CURRENT, CP_LEGACY, cp_row, write_csv

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def exports(tmp_path):
    a = write_csv(
        tmp_path / "a.csv",
        CP_CURRENT,
        [
            cp_row(1),
            cp_row(2, charge="0.80", fee="0", currency="EUR"),
            cp_row(3, capability="MCOPSTN1"),
        ],
    )
    b = write_csv(
        tmp_path / "b.csv",
        CP_LEGACY,
        [cp_row(3), cp_row(4, day=20), cp_row(5, duration="-1")],
    )
    return a, b


def test_json_output(exports, capsys):
    a, b = exports
    assert main(["ingest", str(a), str(b), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["records"], out["duplicates"], out["rejected"], out["rows"]) == (4, 1, 1, 6)
    assert out["credit_spend"] == {"EUR": 0.8, "USD": 2.5}
    assert out["period"] == {"start": "2019-11-01", "end": "2019-11-20"}
    assert [
        (f["path"], f["format"], f["records"], f["duplicates"], f["rejected"]) for f in out["files"]
    ] == [
        (str(a), "calling_plans_current", 3, 0, 0),
        (str(b), "calling_plans_legacy", 1, 1, 1),
    ]


def test_summary_out_and_rejects_files(exports, tmp_path, capsys):
    a, b = exports
    out, rejects = tmp_path / "out" / "records.parquet", tmp_path / "rejects.csv"
    code = main(["ingest", str(a), str(b), "--out", str(out), "--rejects", str(rejects)])
    assert code == 0
    text = capsys.readouterr().out
    assert "calling_plans_legacy" in text and "2019-11-01 to 2019-11-20" in text
    assert "2.50 USD" in text and "0.80 EUR" in text
    records = pd.read_parquet(out)
    assert list(records.columns) == list(RECORD_DTYPES)
    pd.testing.assert_frame_equal(records, read_exports([a, b]).records)
    assert records["charge_cents"].tolist() == [120, 80, 120, 120]
    rej = pd.read_csv(rejects)
    assert rej["source_row"].tolist() == [4] and "negative" in rej["reason"].iloc[0]
    csv_out = tmp_path / "records.csv"
    assert main(["ingest", str(a), "--out", str(csv_out)]) == 0
    assert len(pd.read_csv(csv_out)) == 3
    leftovers = [p.name for p in tmp_path.rglob(".*.tmp")]
    assert leftovers == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file or folder"),
        (b"", "the file is empty"),
        (b"name,amount\nx,1\n", "not a usage export"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, content, message):
    path = tmp_path / "input.csv"
    if content is not None:
        path.write_bytes(content)
    assert main(["ingest", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and err.startswith("planner: error: ")


def test_all_rows_rejected_exits_2(tmp_path, capsys):
    path = write_csv(tmp_path / "bad.csv", CP_CURRENT, [cp_row(1, charge="abc")])
    rejects, out = tmp_path / "r.csv", tmp_path / "records.parquet"
    assert main(["ingest", str(path), "--rejects", str(rejects), "--out", str(out)]) == 2
    assert "all 1 row(s) were rejected" in capsys.readouterr().err
    assert len(pd.read_csv(rejects)) == 1
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "r.csv"]


def test_bad_out_extension(exports, tmp_path, capsys):
    assert main(["ingest", str(exports[0]), "--out", str(tmp_path / "x.xlsx")]) == 2
    assert ".parquet or .csv" in capsys.readouterr().err


def test_subprocess_no_traceback(tmp_path):
    fake = tmp_path / "usage.xlsx"
    fake.write_text("UsageId,Charge\n1,2\n")
    proc = subprocess.run(
        [sys.executable, "-m", "planner", "ingest", str(fake)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().count("\n") == 0
    assert "not an Excel workbook" in proc.stderr


def test_inputs_larger_than_memory_are_streamed(exports, tmp_path, monkeypatch, capsys):
    import planner.ingest.output as output

    monkeypatch.setattr(output, "_available_memory", lambda: 0)
    a, b = exports
    out = tmp_path / "streamed.csv"
    assert main(["ingest", str(a), str(b), "--out", str(out), "--json"]) == 0
    totals = json.loads(capsys.readouterr().out)
    assert (totals["records"], totals["duplicates"], totals["rejected"]) == (4, 1, 1)
    assert totals["credit_spend"] == {"EUR": 0.8, "USD": 2.5}
    streamed = pd.read_csv(out)
    expected = read_exports([a, b]).records
    assert streamed["usage_id"].tolist() == expected["usage_id"].tolist()
    assert streamed["charge_cents"].tolist() == expected["charge_cents"].tolist()


def test_parquet_written_in_many_chunks_reads_back_whole(tmp_path, monkeypatch, capsys):
    import planner.ingest.output as output

    monkeypatch.setattr(output, "_CHUNK_ROWS", 40)  # (a chunk is at least one 64 KB block)
    chunks = []
    write = output.RecordsWriter.write
    monkeypatch.setattr(
        output.RecordsWriter,
        "write",
        lambda self, records: (chunks.append(records.num_rows), write(self, records))[1],
    )
    rows = [cp_row(i, charge=f"{i % 5}.{i % 100:02d}") for i in range(1500)]
    # the same records again in later chunks, ids in upper case
    rows += [cp_row(i, UsageId=cp_row(i)["UsageId"].upper()) for i in range(10, 30)]
    path = write_csv(tmp_path / "many.csv", CP_CURRENT, rows)
    out = tmp_path / "records.parquet"
    assert main(["ingest", str(path), "--out", str(out), "--json"]) == 0
    totals = json.loads(capsys.readouterr().out)
    assert (totals["records"], totals["duplicates"]) == (1500, 20)
    assert len(chunks) > 3 and sum(chunks) == 1500
    pd.testing.assert_frame_equal(pd.read_parquet(out), read_exports([path]).records)


def test_summary_groups_thousands(capsys):
    """Counts and amounts a person reads have thousands separators (41,880 records)."""
    from planner.sample import sample_dir

    assert main(["ingest", str(sample_dir() / "exports")]) == 0
    text = capsys.readouterr().out
    total = next(line for line in text.splitlines() if line.startswith("total: "))
    assert re.match(r"total: \d{1,3}(,\d{3})+ records", total), total
    spend = next(line for line in text.splitlines() if line.startswith("credit spend"))
    assert re.search(r"\d{1,3}(,\d{3})+\.\d\d USD", spend), spend


def test_summary_and_store_line_in_french(tmp_path, capsys):
    from planner.sample import sample_dir

    exports = str(sample_dir() / "exports")
    assert main(["ingest", exports, "--into", str(tmp_path / "store"), "--lang", "fr"]) == 0
    out = capsys.readouterr().out
    lines = out.replace("\u202f", " ").replace("\u00a0", " ").splitlines()  # French spaces
    assert lines[0].split()[:2] == ["fichier", "format"]
    assert re.match(r"total : \d{1,3}( \d{3})+ appels", lines[-5]), lines[-5]
    assert lines[-4].startswith("période : du 2025-10-01 au ")
    assert re.search(r"\d,\d\d USD", lines[-2]), lines[-2]
    assert lines[-1].startswith("historique ") and "déjà présent" in lines[-1]
    for line in lines[1:]:
        assert "records" not in line and "period" not in line
