"""The admin workbook: formatted like a person would, and never evaluating user text."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner import text
from planner.excel import (
    PrintPage,
    SummarySheet,
    TableSheet,
    is_formula_like,
    money_format,
    write_workbook,
)

DANGEROUS = [
    "=1+1",
    "+SUM(A1:A2)",
    "-2+3",
    "@cmd",
    '=HYPERLINK("http://x","y")',
    "\t=1",
    "=cmd|' /C calc'!A0",
]


def _table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user": pd.array(["=1+1", "alice@contoso.com", "-2+3", None], dtype="string"),
            "date": pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04"]),
            "spend_cents": pd.array([123456, 1, 0, None], dtype="Int64"),
            "minutes": [1.5, 2.25, 0.0, float("nan")],
            "share": [0.5, 0.25, 0.25, 0.0],
        }
    )


def _write(tmp_path):
    path = tmp_path / "book.xlsx"
    write_workbook(
        path,
        [
            SummarySheet(
                name="Summary",
                title="Recommendation",
                rows=[
                    ("Recharge amount", 1234.5, "money"),
                    ("Trigger", 200, "money"),
                    ("Stock-out probability", 0.031, "percent"),
                    ("Comment", "=2*3", "text"),
                    ("Not given", None, "money"),
                ],
                currency="EUR",
                notes=["@SUM(1)", "Plain words."],
            ),
            TableSheet(
                name="Usage",
                frame=_table(),
                formats={"spend_cents": "cents", "share": "percent", "date": "date"},
                headers={"spend_cents": "Spend (EUR)"},
                currency="EUR",
            ),
        ],
    )
    return path


def test_no_cell_is_a_formula_and_text_stays_literal(tmp_path):
    wb = openpyxl.load_workbook(_write(tmp_path))
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    ws = wb["Usage"]
    assert ws["A2"].value == "=1+1" and ws["A2"].data_type == "s" and ws["A2"].quotePrefix
    assert ws["A4"].value == "-2+3" and ws["A4"].quotePrefix
    assert ws["A3"].value == "alice@contoso.com" and not ws["A3"].quotePrefix
    summary = wb["Summary"]
    values = [c.value for row in summary.iter_rows() for c in row]
    assert "=2*3" in values and "@SUM(1)" in values


def test_formula_cells_are_raw_strings_in_the_file(tmp_path):
    import zipfile

    with zipfile.ZipFile(_write(tmp_path)) as z:
        xml = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert "<f>" not in xml and "<f " not in xml


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=5))
def test_any_text_round_trips_literally(tmp_path_factory, texts):
    texts = [t for t in texts if t.strip() and not any(ord(c) < 32 and c not in "\t" for c in t)]
    if not texts:
        return
    path = tmp_path_factory.mktemp("x") / "t.xlsx"
    frame = pd.DataFrame({"text": pd.array(texts, dtype="string")})
    write_workbook(path, [TableSheet(name="T", frame=frame)])
    ws = openpyxl.load_workbook(path)["T"]
    got = [ws.cell(row=i + 2, column=1) for i in range(len(texts))]
    assert [c.value for c in got] == texts
    assert all(c.data_type == "s" for c in got)
    assert all(bool(c.quotePrefix) == is_formula_like(t) for c, t in zip(got, texts, strict=True))


def test_formats_like_a_person_would(tmp_path):
    ws = openpyxl.load_workbook(_write(tmp_path))["Usage"]
    header = ws[1]
    assert [c.value for c in header] == ["user", "date", "Spend (EUR)", "minutes", "share"]
    assert all(c.font.bold for c in header)
    assert all(c.fill.fgColor.rgb.endswith("1F4E79") for c in header)
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:E5"
    # money exact from cents, with the currency format
    assert ws["C2"].value == Decimal("1234.56") or ws["C2"].value == pytest.approx(1234.56)
    assert ws["C2"].number_format == money_format("EUR") == '"€"#,##0.00'
    assert ws["C5"].value is None
    assert ws["B2"].number_format == "d mmm yyyy"  # as the reports write a day
    assert ws["B2"].value.date() == dt.date(2026, 1, 1)
    assert ws["E2"].number_format == "0%"  # 50%: no decimal, as the reports show it
    assert ws["D5"].value is None
    for col in "ABCDE":
        assert 8 <= ws.column_dimensions[col].width <= 60
    summary = openpyxl.load_workbook(tmp_path / "book.xlsx")["Summary"]
    assert summary["A3"].value == "Recharge amount" and summary["A3"].font.bold
    assert summary["B3"].value == pytest.approx(1234.5)
    assert summary["B3"].number_format == '"€"#,##0.00'
    assert summary["B5"].number_format in ("0%", "0.0%")


def test_timezone_aware_times_are_written_in_utc(tmp_path):
    frame = pd.DataFrame({"start": pd.to_datetime(["2026-03-01T10:00:00+02:00"], utc=True)})
    path = write_workbook(tmp_path / "t.xlsx", [TableSheet(name="T", frame=frame)])
    assert openpyxl.load_workbook(path)["T"]["A2"].value == dt.datetime(2026, 3, 1, 8, 0)


@pytest.mark.parametrize("name", ["", "a" * 32, "bad/name", "x[1]"])
def test_bad_sheet_name_is_refused(name):
    with pytest.raises(ValueError, match="name"):
        TableSheet(name=name, frame=pd.DataFrame())


def test_bad_format_and_duplicate_sheets_are_refused(tmp_path):
    with pytest.raises(ValueError, match="formats"):
        TableSheet(name="T", frame=pd.DataFrame({"a": [1]}), formats={"a": "euros"})
    sheet = TableSheet(name="T", frame=pd.DataFrame({"a": [1]}))
    with pytest.raises(ValueError, match="unique"):
        write_workbook(tmp_path / "t.xlsx", [sheet, sheet])


@pytest.mark.parametrize("text", DANGEROUS)
def test_dangerous_prefixes_are_detected(text):
    assert is_formula_like(text)


def test_month_format(tmp_path):
    frame = pd.DataFrame({"month": pd.to_datetime(["2026-01-01", "2026-02-01"])})
    path = write_workbook(
        tmp_path / "m.xlsx", [TableSheet(name="M", frame=frame, formats={"month": "month"})]
    )
    ws = openpyxl.load_workbook(path)["M"]
    assert ws["A2"].number_format == "mmm yyyy" and ws["A3"].value.month == 2


def test_every_sheet_prints_one_page_wide_with_its_header_on_each_page(tmp_path):
    wide = pd.DataFrame({f"column number {i}": range(5) for i in range(12)})
    long = pd.DataFrame({f"column number {i}": range(300) for i in range(12)})
    path = write_workbook(
        tmp_path / "p.xlsx",
        [
            SummarySheet(name="S", title="Plan", rows=[("Status", "x " * 200, "text")]),
            TableSheet(name="Wide", frame=wide),
            TableSheet(name="Narrow", frame=pd.DataFrame({"a": [1, 2]})),
            TableSheet(name="Long", frame=long),
        ],
        page=PrintPage(subject="Fabrikam & Co", period="1 Oct 2025 – 31 Oct 2026"),
    )
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        assert int(ws.page_setup.paperSize) == 9  # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.fitToWidth == 1
        assert ws.oddHeader.left.text == "Fabrikam && Co"  # "&" is a code there: doubled
        assert ws.oddHeader.right.text == "1 Oct 2025 – 31 Oct 2026"
        assert "&P" in ws.oddFooter.right.text and "&N" in ws.oddFooter.right.text
    summary, table, narrow, longer = wb.worksheets
    assert summary.page_setup.fitToHeight == 1  # the summary on one page, upright
    assert summary.page_setup.orientation == "portrait"
    assert table.page_setup.orientation == "landscape" and table.page_setup.fitToHeight == 0
    assert table.print_title_rows == "$1:$1"
    assert narrow.page_setup.orientation == "portrait"
    # a long wide table stays upright, where more rows fit on a page fitted to its width
    assert longer.page_setup.orientation == "portrait" and longer.print_title_rows == "$1:$1"
    # the status reads from its start: left-aligned, wrapped, its row tall enough
    status = summary["B3"]
    assert status.alignment.horizontal == "left" and status.alignment.wrap_text
    assert summary.row_dimensions[3].height >= 15 * 3
    assert all(c.alignment.wrap_text for c in table[1])  # long headers wrap


def test_booleans_are_words_and_an_empty_table_says_so(tmp_path):
    frame = pd.DataFrame({"auto_recharge": [True, False]})
    path = write_workbook(
        tmp_path / "b.xlsx",
        [
            TableSheet(name="B", frame=frame),
            TableSheet(name="E", frame=pd.DataFrame({"a": [], "b": []}), empty="No alerts."),
        ],
    )
    wb = openpyxl.load_workbook(path)
    assert [wb["B"]["A2"].value, wb["B"]["A3"].value] == ["yes", "no"]
    assert wb["E"]["A2"].value == "No alerts." and "A2:B2" in wb["E"].merged_cells
    with text.language("fr"):
        path = write_workbook(tmp_path / "f.xlsx", [TableSheet(name="B", frame=frame)])
    assert openpyxl.load_workbook(path)["B"]["A2"].value == "oui"


def test_french_workbook_formats_carry_the_french_locale(tmp_path):
    """Excel and LibreOffice show "15 nov. 2025" and "0,95 $US" whatever their own settings."""
    frame = pd.DataFrame(
        {"day": pd.to_datetime(["2025-11-15"]), "amount_cents": [95], "share": [0.255]}
    )
    with text.language("fr"):
        path = write_workbook(
            tmp_path / "fr.xlsx",
            [
                TableSheet(
                    name="F",
                    frame=frame,
                    formats={"day": "date", "amount_cents": "cents", "share": "percent"},
                    currency="USD",
                )
            ],
        )
    ws = openpyxl.load_workbook(path)["F"]
    assert ws["A2"].number_format == "[$-40C]d mmm yyyy"
    assert ws["B2"].number_format == '[$-40C]#,##0.00"\xa0$US"'
    assert ws["C2"].number_format == '[$-40C]0"\xa0"%'
