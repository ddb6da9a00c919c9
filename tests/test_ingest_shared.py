"""The exports of one report read once: the first reader keeps the result in the report's
shared folder, later readers (in this process or another, at the same time or after) get it,
and files changed in between are read again."""

from __future__ import annotations

import multiprocessing
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from planner.errors import InputError
from planner.ingest import read_exports, stream
from planner.sample import sample_dir


@pytest.fixture()
def exports(tmp_path) -> Path:
    folder = tmp_path / "exports"
    shutil.copytree(sample_dir() / "exports", folder)
    return folder


def _counting(monkeypatch) -> list:
    calls: list = []
    real = stream.read_exports

    def counted(paths, *, shared=None):
        calls.append(paths)
        return real(paths, shared=shared)

    monkeypatch.setattr(stream, "read_exports", counted)
    return calls


def _same(a, b) -> None:
    pd.testing.assert_frame_equal(a.records, b.records)
    pd.testing.assert_frame_equal(a.rejects, b.rejects)
    assert a.files == b.files and a.skipped == b.skipped


def test_the_second_reader_gets_the_first_ones_result(exports, tmp_path, monkeypatch):
    alone = read_exports(exports)
    calls = _counting(monkeypatch)
    first = read_exports(exports, shared=tmp_path / "shared")
    second = read_exports([str(exports)], shared=tmp_path / "shared")
    assert len(calls) == 1  # the files were read once
    _same(first, alone)
    _same(second, alone)


def test_a_file_changed_in_between_is_read_again(exports, tmp_path, monkeypatch):
    calls = _counting(monkeypatch)
    before = read_exports(exports, shared=tmp_path / "shared")
    victim = sorted(p for p in exports.rglob("*") if p.is_file())[0]
    victim.unlink()
    after = read_exports(exports, shared=tmp_path / "shared")
    assert len(calls) == 2
    assert len(after.files) < len(before.files)
    _same(after, read_exports(exports))


def test_an_error_is_not_kept(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("not,an,export\n1,2,3\n")
    for _ in range(2):
        with pytest.raises(InputError):
            read_exports(bad, shared=tmp_path / "shared")
    assert not list((tmp_path / "shared").glob("*.pickle"))


def _read_in_child(exports: str, shared: str, log: str) -> None:
    real = stream.read_exports

    def logged(paths, *, shared=None):
        with open(log, "a") as f:
            f.write("read\n")
        return real(paths, shared=shared)

    stream.read_exports = logged
    result = read_exports(exports, shared=shared)
    with open(log, "a") as f:
        f.write(f"rows {len(result.records)}\n")


def test_notebooks_asking_at_once_read_the_files_once(exports, tmp_path):
    log = tmp_path / "log.txt"
    ctx = multiprocessing.get_context("fork")
    args = (str(exports), str(tmp_path / "shared"), str(log))
    children = [ctx.Process(target=_read_in_child, args=args) for _ in range(3)]
    for child in children:
        child.start()
    for child in children:
        child.join(60)
        assert child.exitcode == 0
    lines = log.read_text().splitlines()
    rows = len(read_exports(exports).records)
    assert lines.count("read") == 1
    assert sorted(lines) == sorted(["read"] + [f"rows {rows}"] * 3)


def test_the_report_reads_the_exports_for_its_notebooks_before_they_ask(exports, tmp_path):
    from planner.report import notebooks, runner

    build = runner._Build(root=tmp_path / "build", out_dir=tmp_path / "out")
    build.root.mkdir()
    build.make_folders()
    names = list(notebooks.NOTEBOOKS)
    routed = notebooks.prepare_parameters({"exports": [str(exports)]}, names)
    runner._read_exports_once(names, names, routed, build)
    kept = list(build.shared.glob("exports-*.pickle"))
    assert len(kept) == 1
    # what a notebook then reads is that result, without reading the files
    _same(read_exports(exports, shared=build.shared), read_exports(exports))
    # notebooks that do not share (a notebook of one's own) are left to read for themselves
    other = runner._Build(root=tmp_path / "other", out_dir=tmp_path / "out2")
    other.root.mkdir()
    other.make_folders()
    mine = nbformat.v4.new_notebook()
    mine.cells = [nbformat.v4.new_code_cell("exports = None")]
    mine.cells[0].metadata["tags"] = ["parameters"]
    mine.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(mine, tmp_path / "mine.ipynb")
    given = {"mine": {"exports": [str(exports)]}}
    runner._read_exports_once([tmp_path / "mine.ipynb"], ["mine"], given, other)
    assert not list(other.shared.iterdir())
