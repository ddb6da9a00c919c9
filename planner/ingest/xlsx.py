"""Exports re-saved by Excel as ``.xlsx``: the first sheet holding a usage header; formulas
without a saved value rejected."""

from __future__ import annotations

import datetime as dt
import zipfile
from typing import Any

from planner import guard
from planner.errors import InputError
from planner.formats import UnknownHeader, match_format
from planner.ingest.parts import (
    Part,
    above_header,
    cell_text,
    header_error,
    not_export,
    rows_part,
    warn_above_header,
)


def xlsx_part(
    name: str,
    data: Any,
    container_prefix: str = "",
    exported_period: tuple[dt.date, dt.date] | None = None,
) -> Part:
    import openpyxl

    try:
        book = openpyxl.load_workbook(data, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise InputError(
            "{name}: not a readable .xlsx workbook ({exc})", name=name, exc=exc
        ) from None
    # formulas without a saved value read as empty cells: find them in a second, formula view
    formulas = (
        openpyxl.load_workbook(data, read_only=True, data_only=False)
        if _has_formulas(data)
        else None
    )
    try:
        with guard.damaged(name):
            return _xlsx_sheets(name, book, formulas, container_prefix, exported_period)
    finally:
        book.close()
        if formulas is not None:
            formulas.close()


def _has_formulas(data: Any) -> bool:
    """Whether any worksheet of an .xlsx (a binary stream) holds a formula element."""
    try:
        with zipfile.ZipFile(data) as zf:
            for info in zf.infolist():
                if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                    with zf.open(info) as fh:
                        tail = b""
                        while chunk := fh.read(1 << 20):
                            if b"<f>" in tail + chunk or b"<f " in tail + chunk:
                                return True
                            tail = chunk[-3:]
    except (*guard.DAMAGED, OSError):
        return False  # reported when the sheet is read
    finally:
        data.seek(0)
    return False


def _formula_problems(values: tuple, formulas: tuple | None, headers: list[str]) -> list[str]:
    """Cells holding a formula whose value Excel never saved (they read as empty)."""
    if formulas is None:
        return []
    return [
        f"{h} is a formula ({str(f)[:60]}) without a saved value; open the file in Excel, "
        "let it calculate and save it again"
        for h, v, f in zip(headers, values, formulas, strict=False)
        if v is None and isinstance(f, str) and f.startswith("=")
    ]


def _xlsx_sheets(
    name: str,
    book: Any,
    formulas: Any,
    container_prefix: str,
    exported_period: tuple[dt.date, dt.date] | None,
) -> Part:
    first_error: InputError | None = None
    for index, sheet in enumerate(book.worksheets):
        # the stated dimensions are not trusted: a sheet claiming XFD1048576 would otherwise
        # be padded with empty cells to that size
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True)
        shadow = None
        if formulas is not None:
            formulas.worksheets[index].reset_dimensions()
            shadow = formulas.worksheets[index].iter_rows(values_only=True)
        above: list[tuple[int, str]] = []  # a title above the header, set aside
        for row_no, row in enumerate(rows, start=1):
            if shadow is not None:
                next(shadow, None)
            if row_no > 20:
                break
            headers = [cell_text(v) or "" for v in row]
            while headers and not headers[-1]:
                headers.pop()
            if not any(headers):
                continue
            try:
                match_format(headers)
            except UnknownHeader as exc:
                if first_error is None:
                    first_error = header_error(f"{name} (sheet {sheet.title})", exc)
                above.append((row_no, ",".join(headers)))
                continue
            width = len(headers)
            warn_above_header(f"{name} (sheet {sheet.title})", above)
            body, lines, bad = [], [], above_header(above)
            for line, values in enumerate(rows, start=row_no + 1):
                shadow_values = next(shadow, None) if shadow is not None else None
                cells = [cell_text(v) for v in values[:width]]
                if not any(c is not None for c in cells):
                    if not _formula_problems(values[:width], shadow_values, headers):
                        continue  # a blank row, like a blank CSV line, is not a row
                problems = _formula_problems(values[:width], shadow_values, headers)
                if problems:
                    raw = ",".join("" if c is None else c for c in cells)
                    bad.append((line, "; ".join(problems), raw))
                    continue
                cells.extend([None] * (width - len(cells)))
                body.append(cells)
                lines.append(line)
            return rows_part(
                name, container_prefix + "xlsx", headers, body, lines, bad, exported_period
            )
    raise first_error or not_export(name, "the workbook has no non-empty sheet")
