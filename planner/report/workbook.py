"""The admin workbook (``credits_plan.xlsx``), built from the notebooks' artifacts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from planner import excel
from planner.report.columns import WORKBOOK_SHEETS, column_kind, header
from planner.report.notebooks import TITLES
from planner.text import t
from planner.text.plan import option_name

WORKBOOK_NAME = "credits_plan.xlsx"


def workbook_sheets(tables: Mapping[str, pd.DataFrame], summary: Mapping[str, Any]) -> list:
    """The admin workbook's sheets, built from the notebooks' artifacts.

    The summary sheet holds ``summary["rows"]`` (label, value, format) and the explanation;
    each artifact table becomes a sheet (known ones named and ordered by
    :data:`WORKBOOK_SHEETS`), with money, percentages and dates formatted.
    """
    currency = summary.get("currency")
    rows = []
    for label, value, kind in summary.get("rows", []):
        if kind == "date" and isinstance(value, str):
            value = pd.Timestamp(value).date()
        rows.append((label, value, kind))
    sheets: list = [
        excel.SummarySheet(
            name=t("Summary"),
            title=summary.get("title", TITLES["funding_plan"]),
            rows=rows,
            currency=currency,
            notes=summary.get("notes", []),
        )
    ]
    order = [k for k in WORKBOOK_SHEETS if k in tables] + sorted(
        k for k in tables if k not in WORKBOOK_SHEETS
    )
    for key in order:
        frame = tables[key]
        name, money = WORKBOOK_SHEETS.get(key, (key.replace("_", " ").capitalize(), ()))
        name = t(name)
        if key == "alternatives" and "option" in frame.columns:
            frame = frame.assign(option=frame["option"].map(option_name))
        kinds = {c: column_kind(str(c), frame[c], money) for c in frame.columns}
        sheets.append(
            excel.TableSheet(
                name=name[:31],
                frame=frame,
                formats={c: k for c, k in kinds.items() if k},
                headers={c: header(str(c), k or "", currency) for c, k in kinds.items()},
                currency=currency,
            )
        )
    return sheets
