"""Hostile options, outputs and reports: one line and exit 2, never an overwritten input, never
script in a report."""

from __future__ import annotations

import json
import os
import stat

import nbformat
import pandas as pd
import pytest

from planner import report
from planner.cli import main
from planner.errors import InputError
from planner.fileio import write_csv as write_frame
from planner.report import html_export, narrative, runner
from tests.fixtures.ingest.build import CP_CURRENT, cp_row, write_csv


@pytest.fixture
def demand_csv(tmp_path):
    days = pd.date_range("2024-01-01", periods=60, freq="D")
    path = tmp_path / "d.csv"
    path.write_text("date,amount\n" + "".join(f"{d.date()},{10 + i % 7}.50\n" for i, d in
                                              enumerate(days)))  # fmt: skip
    return path


def _one_line_error(capsys, code, fragment):
    err = capsys.readouterr().err
    assert code == 2, err
    assert fragment in err
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--current-threshold", "nan", "--current-recharge-amount", "5"], "not a finite"),
        (["--seed", "-1"], "--seed"),
        (["--scenarios", "1e9"], "not a whole number"),
        (["--holding-rate", "inf"], "not a finite"),
        (["--current-threshold", "1e300", "--current-recharge-amount", "5"], "implausibly"),
    ],
)
def test_bad_option_values_are_one_line(demand_csv, capsys, argv, fragment):
    code = main(["recommend", "--demand", str(demand_csv), *argv])
    _one_line_error(capsys, code, fragment)


def test_negative_growth_as_the_readme_writes_it(demand_csv, capsys):
    code = main(["recommend", "--demand", str(demand_csv), "--growth", "-10%", "--json",
                 "--scenarios", "50", "--seed", "1"])  # fmt: skip
    assert code in (0, 3)
    json.loads(capsys.readouterr().out)  # strict JSON


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (",,,\n,,\n", "holds no header"),
        ("date,amount\n2024-01-01,1e300\n", "implausibly large"),
        ("date,amount\n2000-01-01,1\n2099-01-01,1\n", "more than"),
        ("date,amount\n1700-01-01,1\n2026-01-01,1\n", "not a plausible date"),
        (
            b"date,amount\n2024-01-01,1\n2024-01-02,\xff1\n# caf\xc3\xa9 \xc3\xa9t\xc3\xa9\n",
            "UTF-8",
        ),
        # dropped, the NUL would turn 1<NUL>0 into 10
        (b"date,amount\n2024-01-01,1\n2024-01-02,1\x000\n", "line 3: holds a NUL byte"),
    ],
)
def test_bad_demand_files_are_refused_before_any_work(tmp_path, capsys, content, fragment):
    path = tmp_path / "bad.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    code = main(["simulate", "--demand", str(path), "--no-auto-recharge"])
    _one_line_error(capsys, code, fragment)


def test_decimal_increments_in_side_files(tmp_path, capsys):
    exports = write_csv(tmp_path / "a.csv", CP_CURRENT, [cp_row(1), cp_row(2)])
    rates = tmp_path / "rates.csv"
    rates.write_text("destination,per_minute,connection_fee,increment_seconds,currency\n"
                     "*,0.02,0,60.0,USD\n")  # fmt: skip
    licences = tmp_path / "lic.csv"
    licences.write_text("plan,country,users,minutes_per_user\nMCOPSTN1,US,10,60.0\n")
    code = main(["demand", str(exports), "--licences", str(licences), "--rates", str(rates)])
    assert code == 0, capsys.readouterr().err


@pytest.mark.parametrize("option", ["--out", "--rejects"])
def test_ingest_never_writes_over_an_input(tmp_path, capsys, option):
    a = write_csv(tmp_path / "calls.csv", CP_CURRENT, [cp_row(1)])
    before = a.read_bytes()
    code = main(["ingest", str(a), option, str(a)])
    _one_line_error(capsys, code, "is one of the inputs")
    assert a.read_bytes() == before


def test_outputs_inside_an_input_folder_are_refused(tmp_path, capsys):
    folder = tmp_path / "exports"
    folder.mkdir()
    write_csv(folder / "calls.csv", CP_CURRENT, [cp_row(1)])
    code = main(["ingest", str(folder), "--out", str(folder / "records.parquet")])
    _one_line_error(capsys, code, "inside the input folder")
    assert not (folder / "records.parquet").exists()


def test_trajectory_never_overwrites_the_demand(demand_csv, capsys):
    before = demand_csv.read_bytes()
    link = demand_csv.parent / "link.csv"
    link.symlink_to(demand_csv)
    code = main(["simulate", "--demand", str(demand_csv), "--no-auto-recharge",
                 "--trajectory", str(link)])  # fmt: skip
    _one_line_error(capsys, code, "is one of the inputs")
    assert demand_csv.read_bytes() == before


def test_outputs_get_ordinary_permissions(tmp_path, capsys):
    a = write_csv(tmp_path / "calls.csv", CP_CURRENT, [cp_row(1)])
    old = os.umask(0o022)
    try:
        assert main(["ingest", str(a), "--out", str(tmp_path / "r.parquet")]) == 0
        write_frame(pd.DataFrame({"a": [1]}), tmp_path / "f.csv")
    finally:
        os.umask(old)
    for name in ("r.parquet", "f.csv"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644


def test_json_output_is_strict(tmp_path, capsys):
    from planner.validate import json_text

    text = json_text({"a": float("nan"), "b": [float("inf"), 1.5]})
    assert json.loads(text) == {"a": None, "b": [None, 1.5]}


def test_report_into_an_unwritable_place_is_bad_input(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="cannot write there"):
        runner.build_report({}, tmp_path / "file" / "out", notebooks=[], progress=False, log=None)


def test_stale_build_folders_are_cleaned(tmp_path):
    out = tmp_path / "reports"
    stale = tmp_path / ".reports.abc123.partial"
    stale.mkdir()
    (stale / "owner.pid").write_text("999999999")  # no such process
    live = tmp_path / ".reports.def456.partial"
    live.mkdir()
    (live / "owner.pid").write_text(str(os.getpid()))
    runner._clean_stale_builds(out)
    assert not stale.exists() and live.exists()


# ---- HTML and workbook ---------------------------------------------------------------------

_HOSTILE = "<script>alert(1)</script>"


def test_html_report_escapes_data_and_forbids_script(tmp_path):
    frame = pd.DataFrame({"user_display_name": [_HOSTILE], "department": ["<img src=x onerror=alert(2)>"],
                          "cents": [120]})  # fmt: skip
    heading = narrative.heading_markdown("PSTN usage analysis", "<img src=x onerror=alert(3)>")
    styler = report.table(frame, "USD")
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={"text/markdown": heading}),
        nbformat.v4.new_output("display_data", data={"text/html": styler.to_html()}),
    ]
    nb.cells = [cell]
    path = tmp_path / "usage_analysis.ipynb"
    nbformat.write(nb, path)
    html = html_export.render_html(path, tmp_path / "u.html").read_text()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'http-equiv="Content-Security-Policy"' in html and "script-src 'none'" in html
    assert html.index("Content-Security-Policy") < html.index("<script")  # before any script
    assert "<title>PSTN usage analysis — &lt;img src=x onerror=alert(3)&gt;</title>" in html


def test_workbook_takes_control_characters(tmp_path):
    from openpyxl import load_workbook

    from planner import excel

    frame = pd.DataFrame({"upn": ["a\x01b@contoso.com", "=cmd|' /c calc'!A0"]})
    path = excel.write_workbook(tmp_path / "w.xlsx", [excel.TableSheet(name="T", frame=frame)])
    values = [c.value for c in load_workbook(path)["T"]["A"]][-2:]
    assert values[0] == "a\ufffdb@contoso.com"
    assert values[1].startswith("=cmd")  # kept as text, never a formula
    assert load_workbook(path)["T"]["A"][-1].data_type == "s"


def test_output_matching_an_input_pattern_is_refused(tmp_path, capsys):
    write_csv(tmp_path / "a.csv", CP_CURRENT, [cp_row(1)])
    code = main(["ingest", str(tmp_path / "*.csv"), "--out", str(tmp_path / "records.csv")])
    _one_line_error(capsys, code, "matches an input pattern")
    assert not (tmp_path / "records.csv").exists()


@pytest.mark.parametrize(("command", "argv"), [("sample", ["--seed", "-1"]),
                                               ("batch", ["t.yaml", "--workers", "100000"])])  # fmt: skip
def test_helper_commands_check_their_numbers(tmp_path, capsys, command, argv):
    code = main([command, "--out", str(tmp_path / "o"), *argv])
    err = _one_line_error(capsys, code, "must be between")
    assert "-256" not in err  # a worker count from 1


def test_error_naming_a_file_with_a_newline_stays_one_line(tmp_path, capsys):
    path = tmp_path / "weird\nname.csv"
    path.write_text("hello,world\n1,2\n")
    code = main(["ingest", str(path)])
    _one_line_error(capsys, code, "weird\\nname.csv")


def test_unknown_option_answered_by_the_commands_usage_and_a_guess(capsys):
    assert main(["recommend", "--servce-level", "0.9"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: planner recommend ")
    last = err.strip().splitlines()[-1]
    assert last.startswith("planner recommend: error: unrecognized arguments: --servce-level")
    assert "did you mean --service-level?" in last and "see planner recommend --help" in last
    assert main(["ingest", "x.csv", "--zzz"]) == 2
    err = capsys.readouterr().err
    assert "planner ingest: error:" in err and "did you mean" not in err
