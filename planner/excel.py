"""Excel workbooks for admins: formatted like a person would, and safe to open.

A workbook is a list of sheets. A :class:`TableSheet` holds one DataFrame with a format per
column; a :class:`SummarySheet` holds labelled values (label, value, format) under a title.
Every sheet gets a bold, filled header row, frozen panes, column widths that fit the content
and (for tables) an autofilter.

Safety: text that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab / carriage return) would
be evaluated by Excel as a formula ("CSV/formula injection" from a user display name, say).
Such text (:func:`planner.fileio.is_formula_like`, the rule every CSV the planner writes also
follows) is written as an explicit string cell with Excel's quote prefix, so Excel shows it
literally and never evaluates it. No cell written by this module is ever a formula.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner import text
from planner.fileio import is_formula_like
from planner.money import units
from planner.text import t

#: column formats understood by :class:`TableSheet` and :class:`SummarySheet`
FORMATS = (
    "text",
    "int",
    "number",
    "money",
    "cents",
    "percent",
    "date",
    "month",
    "datetime",
    "days",
)

_HEADER_FILL = "1F4E79"
_HEADER_FONT = "FFFFFF"
_MAX_WIDTH = 60
_MIN_WIDTH = 8


def money_format(currency: str | None) -> str:
    """Excel number format for amounts in ``currency``, the symbol placed as the language in
    use places it (:func:`planner.text.excel_money`: ``"$"#,##0.00``, ``#,##0.00 "€"``)."""
    return text.excel_money(currency, 2)


def _number_format(kind: str, currency: str | None) -> str | None:
    """The Excel code of a column format in the language in use (:mod:`planner.text`)."""
    return {
        "text": "@",
        "int": text.excel_number(0),
        "number": text.excel_number(2),
        "money": money_format(currency),
        "cents": money_format(currency),
        "percent": text.excel_percent(1),
        "date": text.excel_date(),
        "month": text.excel_month(),
        "datetime": text.excel_date() + " hh:mm",
        "days": text.excel_number(0),
    }.get(kind)


def _cell_format(kind: str, value: Any, default: str | None) -> str | None:
    """A share's format follows its value (:func:`planner.text.percent_decimals`), so a cell
    shows what the reports show: 0.4%, 26%."""
    if kind == "percent" and isinstance(value, float) and math.isfinite(value):
        return text.excel_percent(text.percent_decimals(value))
    return default


@dataclass(frozen=True)
class TableSheet:
    """One DataFrame as a sheet.

    Parameters
    ----------
    name : str
        Sheet name (at most 31 characters, no ``[]:*?/\\``).
    frame : pandas.DataFrame
        The rows, written as they are (index ignored).
    formats : mapping of str to str, optional
        Column -> one of :data:`FORMATS`. ``cents`` columns hold integer cents and are written
        exactly as currency amounts (:func:`planner.money.units`). Columns not listed are inferred
        from their dtype (dates, integers, floats, text).
    headers : mapping of str to str, optional
        Column -> header text shown in the sheet (default: the column name).
    currency : str, optional
        ISO 4217 code used by ``money`` / ``cents`` formats.
    empty : str, optional
        The line written under the header when the table has no rows ("No alerts in this
        period."); a sheet of headers alone reads as a failure.
    """

    name: str
    frame: pd.DataFrame
    formats: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    currency: str | None = None
    empty: str = ""

    def __post_init__(self) -> None:
        _check_sheet_name(self.name)
        if not isinstance(self.frame, pd.DataFrame):
            raise ValueError(f"frame: expected a pandas DataFrame, got {type(self.frame).__name__}")
        for col, kind in self.formats.items():
            if kind not in FORMATS:
                raise ValueError(f"formats[{col!r}]: {kind!r} is not one of {FORMATS}")


@dataclass(frozen=True)
class SummarySheet:
    """Labelled values under a title, e.g. the recommendation.

    Parameters
    ----------
    name : str
        Sheet name.
    title : str
        First row, in bold.
    rows : sequence of (label, value, format)
        ``format`` is one of :data:`FORMATS`; a ``None`` value leaves the cell empty.
    currency : str, optional
        ISO 4217 code used by ``money`` / ``cents`` formats.
    notes : sequence of str
        Lines of text written below the values (e.g. the explanation).
    """

    name: str
    title: str
    rows: Sequence[tuple[str, Any, str]]
    currency: str | None = None
    notes: Sequence[str] = ()

    def __post_init__(self) -> None:
        _check_sheet_name(self.name)
        for i, row in enumerate(self.rows):
            if len(row) != 3 or row[2] not in FORMATS:
                raise ValueError(f"rows[{i}]: expected (label, value, format in {FORMATS})")


def _check_sheet_name(name: str) -> None:
    if not name or len(name) > 31 or any(ch in name for ch in "[]:*?/\\"):
        raise ValueError(f"name: {name!r} is not a valid Excel sheet name")


#: characters the xlsx format cannot hold (openpyxl refuses them)
_ILLEGAL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _excel_value(value: Any, kind: str | None) -> Any:
    """Convert one value to something openpyxl writes as data (never as a formula)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
    if kind == "percent" and isinstance(value, (int, float)) and not isinstance(value, bool):
        # stored as shown: Excel displays 0.0045 as 0.5% where the reports say 0.4%
        return text.rounded_share(value)
    if kind == "cents":
        if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
            return units(value)
        return units(round(float(value)))
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:  # Excel has no time zones: times are UTC
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        if kind in ("date", "month"):
            return value.date()
        return value
    if isinstance(value, pd.Timedelta):
        return value.total_seconds() / 86400
    if isinstance(value, bool):  # a word a reader understands, not 1/0 or TRUE
        return t("yes") if value else t("no")
    if isinstance(value, (int, float, Decimal, dt.date)):
        return value
    return str(value)


def _write_cell(ws, row: int, col: int, value: Any, number_format: str | None):
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        # control characters (from data: a UPN, a display name) are not allowed in the
        # file format: shown as the replacement character instead of failing the workbook
        cell.value = _ILLEGAL_CHARACTERS.sub("\ufffd", value)
        # openpyxl marks text starting with "=" as a formula; force a literal string and
        # set Excel's quote prefix so editing the cell keeps it literal too.
        cell.data_type = "s"
        if is_formula_like(value):
            cell.quotePrefix = True
    else:
        cell.value = value
        if number_format and value is not None and not isinstance(value, bool):
            cell.number_format = number_format
    return cell


def _infer_kind(series: pd.Series) -> str:
    if pd.api.types.is_datetime64_any_dtype(series):
        return "datetime"
    if pd.api.types.is_bool_dtype(series):
        return "text"
    if pd.api.types.is_integer_dtype(series):
        return "int"
    if pd.api.types.is_float_dtype(series):
        return "number"
    if series.dtype == object:
        sample = series.dropna()
        if len(sample) and all(
            isinstance(v, dt.date) and not isinstance(v, dt.datetime) for v in sample.iloc[:50]
        ):
            return "date"
    return "text"


def _display_width(value: Any, kind: str | None) -> int:
    if value is None:
        return 0
    if kind in ("money", "cents", "number"):
        try:
            return len(text.number(float(value), 2)) + 5
        except (TypeError, ValueError):
            return len(str(value))
    if kind == "percent":
        return 7
    if (
        kind in ("date", "month")
        or isinstance(value, dt.date)
        and not isinstance(value, dt.datetime)
    ):
        return 10
    if kind == "datetime" or isinstance(value, dt.datetime):
        return 16
    if kind in ("int", "days"):
        try:
            return len(f"{int(value):,}")
        except (TypeError, ValueError):
            return len(str(value))
    return max((len(line) for line in str(value).splitlines()), default=0)


@dataclass(frozen=True)
class PrintPage:
    """What every printed page of a workbook carries: a header with the workbook's subject
    (the tenant) and its period, a footer with the sheet and the page number.

    Parameters
    ----------
    subject : str
        Left of the header (e.g. the tenant).
    period : str
        Right of the header (e.g. the usage period analysed).
    """

    subject: str = ""
    period: str = ""


#: printable width and height of an A4 page at the margins below, in Excel character widths
#: and 15-point rows (about): portrait, landscape
_PAGE_CHARS = (95, 140)
_PAGE_ROWS = (46, 30)
#: points per line of wrapped 11 pt text (row heights of wrapped cells are set, not left
#: to the application: LibreOffice does not grow merged cells, Excel not at all on open)
_LINE_POINTS = 15


def _header_text(value: str) -> str:
    # "&" starts a code in Excel's header language ("&P" the page): a literal one is "&&"
    return value.replace("&", "&&")


def _landscape(width: float, rows: int) -> bool:
    """Landscape when it prints on fewer pages fitted to the page width, or on as many but
    larger (a wide table of a few rows); a long table stays upright, where more rows fit."""
    pages = []
    for chars, per_page in zip(_PAGE_CHARS, _PAGE_ROWS, strict=True):
        scale = min(1.0, chars / max(width, 1.0))
        pages.append(math.ceil(max(rows, 1) * scale / per_page))
    return pages[1] < pages[0] or (pages[1] == pages[0] and width > _PAGE_CHARS[0])


def _print_setup(ws, *, width: float, title_rows: str | None, page: PrintPage,
                 one_page: bool = False) -> None:  # fmt: skip
    """A4, fitted to one page wide (landscape when the columns are wider than a portrait
    page), the header rows repeated on every page, header and footer with the tenant, the
    period, the sheet and the page number."""
    from openpyxl.worksheet.page import PageMargins

    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    wide = not one_page and _landscape(width, ws.max_row)  # a one-page summary reads upright
    ws.page_setup.orientation = "landscape" if wide else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1 if one_page else 0  # 0: as many pages tall as needed
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins = PageMargins(left=0.5, right=0.5, top=0.8, bottom=0.8, header=0.3,
                                  footer=0.3)  # fmt: skip
    ws.print_options.horizontalCentered = True
    if title_rows:
        ws.print_title_rows = title_rows
    for head, foot in ((ws.oddHeader, ws.oddFooter), (ws.firstHeader, ws.firstFooter)):
        head.left.text = _header_text(page.subject)
        head.right.text = _header_text(page.period)
        for part in (head.left, head.right, foot.left, foot.right):
            part.size = 9
        foot.left.text = "&A"  # the sheet's name
        foot.right.text = t("Page {page} of {pages}", page="&P", pages="&N")


def _style_header(cells) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    fill = PatternFill("solid", start_color=_HEADER_FILL, end_color=_HEADER_FILL)
    for cell in cells:
        cell.font = Font(bold=True, color=_HEADER_FONT)
        cell.fill = fill
        cell.alignment = Alignment(vertical="center", wrap_text=True)


def _lines(value: Any, width: float) -> int:
    """Lines a text takes wrapped in a column ``width`` characters wide."""
    if not isinstance(value, str) or not value:
        return 1
    return sum(max(1, math.ceil(len(line) / max(width - 1, 1))) for line in value.splitlines())


def _write_table(ws, sheet: TableSheet) -> float:
    """The table with its header row; returns the columns' total width (characters)."""
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter

    frame = sheet.frame.reset_index(drop=True)
    columns = list(frame.columns)
    kinds = {c: sheet.formats.get(c) or _infer_kind(frame[c]) for c in columns}
    headers = [str(sheet.headers.get(col, col)) for col in columns]
    for j, header in enumerate(headers, start=1):
        _write_cell(ws, 1, j, header, None)
    _style_header(ws[1])
    wrap = Alignment(wrap_text=True, vertical="top")
    widths = []
    for j, col in enumerate(columns, start=1):
        kind = kinds[col]
        fmt = _number_format(kind, sheet.currency) if kind != "text" else None
        # a header wraps onto two or three lines rather than widen its column
        width = max((len(w) for w in headers[j - 1].split()), default=0) + 2
        width = max(width, min(len(headers[j - 1]) + 2, 16))
        for i, raw in enumerate(frame[col].tolist(), start=2):
            value = _excel_value(raw, kind)
            cell = _write_cell(ws, i, j, value, _cell_format(kind, value, fmt))
            if isinstance(value, str):
                cell.alignment = wrap
            width = max(width, _display_width(value, kind) + 2)
        width = min(max(width, _MIN_WIDTH), _MAX_WIDTH)
        widths.append(width)
        ws.column_dimensions[get_column_letter(j)].width = width
    header_lines = max((_lines(h, w) for h, w in zip(headers, widths, strict=True)), default=1)
    ws.row_dimensions[1].height = _LINE_POINTS * header_lines + 2
    ws.freeze_panes = "A2"
    if columns:
        last = f"{get_column_letter(len(columns))}{max(len(frame) + 1, 1)}"
        ws.auto_filter.ref = f"A1:{last}"
    if frame.empty and sheet.empty:
        _merged_line(ws, 2, len(columns), sheet.empty, sum(widths))
    return float(sum(widths))


def _merged_line(ws, row: int, columns: int, value: str, width: float):
    """A line of text across ``columns`` columns, wrapped, its height set to fit."""
    from openpyxl.styles import Alignment

    cell = _write_cell(ws, row, 1, value, None)
    cell.alignment = Alignment(wrap_text=True, vertical="top", horizontal="left")
    if columns > 1:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=columns)
    ws.row_dimensions[row].height = _LINE_POINTS * _lines(value, width)
    return cell


#: the summary's columns: label, value (wide enough for a status line on two or three lines)
_SUMMARY_WIDTHS = (46.0, 58.0)


def _write_summary(ws, sheet: SummarySheet) -> float:
    """Labelled values under a title, the values left-aligned and wrapped so a long status
    reads from its start; returns the total width (characters)."""
    from openpyxl.styles import Alignment, Font

    width_a, width_b = _SUMMARY_WIDTHS
    title = _merged_line(ws, 1, 2, sheet.title, width_a + width_b)
    title.font = Font(bold=True, size=14, color=_HEADER_FILL)
    ws.row_dimensions[1].height = 20 * _lines(sheet.title, (width_a + width_b) / 1.3)
    _write_cell(ws, 2, 1, t("Item"), None)
    _write_cell(ws, 2, 2, t("Value"), None)
    _style_header(ws[2][:2])
    row = 3
    top = Alignment(wrap_text=True, vertical="top", horizontal="left")
    for label, value, kind in sheet.rows:
        label_cell = _write_cell(ws, row, 1, str(label), None)
        label_cell.font = Font(bold=True)
        label_cell.alignment = top
        v = _excel_value(value, kind)
        fmt = _number_format(kind, sheet.currency) if kind != "text" else None
        _write_cell(ws, row, 2, v, _cell_format(kind, v, fmt)).alignment = top
        lines = max(_lines(str(label), width_a), _lines(v, width_b))
        if lines > 1:
            ws.row_dimensions[row].height = _LINE_POINTS * lines
        row += 1
    if sheet.notes:
        row += 1
        for line in sheet.notes:
            _merged_line(ws, row, 2, str(line), width_a + width_b)
            row += 1
    ws.column_dimensions["A"].width = width_a
    ws.column_dimensions["B"].width = width_b
    ws.freeze_panes = "A3"
    return width_a + width_b


def write_workbook(
    path: str | Path,
    sheets: Sequence[TableSheet | SummarySheet],
    *,
    page: PrintPage | None = None,
) -> Path:
    """Write ``sheets`` to an ``.xlsx`` workbook at ``path`` and return the path.

    Every sheet prints on A4 one page wide, its header row on every page; a summary sheet
    prints on one page.

    Parameters
    ----------
    path : str or Path
        Where to write (the parent folder must exist; an existing file is replaced).
    sheets : sequence of TableSheet or SummarySheet
        In the order they appear in the workbook; names must be unique.
    page : PrintPage, optional
        The printed pages' header (subject and period).

    Returns
    -------
    Path
    """
    from openpyxl import Workbook

    names = [s.name for s in sheets]
    if not sheets:
        raise ValueError("sheets: at least one sheet is needed")
    if len(set(n.lower() for n in names)) != len(names):
        raise ValueError(f"sheets: sheet names must be unique, got {names}")
    page = page or PrintPage()
    wb = Workbook()
    wb.remove(wb.active)
    for sheet in sheets:
        ws = wb.create_sheet(sheet.name)
        if isinstance(sheet, SummarySheet):
            width = _write_summary(ws, sheet)
            _print_setup(ws, width=width, title_rows=None, page=page, one_page=True)
        elif isinstance(sheet, TableSheet):
            width = _write_table(ws, sheet)
            _print_setup(ws, width=width, title_rows="1:1", page=page)
        else:
            raise ValueError(f"sheets: unexpected {type(sheet).__name__}")
    path = Path(path)
    wb.save(path)
    return path
