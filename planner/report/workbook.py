"""The admin workbook (``credits_plan.xlsx``), built from the notebooks' artifacts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from planner import excel
from planner.report.columns import WORKBOOK_SHEETS, column_kind, header
from planner.report.notebooks import TITLES
from planner.text import N_, t
from planner.text.plan import option_name

WORKBOOK_NAME = "credits_plan.xlsx"

#: the line a table sheet shows when it has no rows
_EMPTY = {"alerts": N_("No alerts in this period."), "emails": N_("No e-mails in this scenario.")}


def workbook_page(summary: Mapping[str, Any]) -> excel.PrintPage:
    """The printed pages' header: the tenant and the usage period analysed."""
    return excel.PrintPage(
        subject=str(summary.get("tenant") or ""), period=str(summary.get("period") or "")
    )


def _without_constant_currency(frame: pd.DataFrame, currency: str | None) -> pd.DataFrame:
    """The table without a currency column that repeats the workbook's currency on every row
    (the money headers carry it: "Credit demand (USD)")."""
    for col in ("currency", "Currency"):
        if col in frame.columns and currency:
            values = set(frame[col].dropna().astype(str).str.upper())
            if values <= {str(currency).upper()}:
                frame = frame.drop(columns=col)
    return frame


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
        frame = _without_constant_currency(tables[key], currency)
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
                headers={c: header(str(c), k or "", currency, table=key) for c, k in kinds.items()},
                currency=currency,
                empty=t(_EMPTY.get(key, N_("Nothing to show for this period."))),
            )
        )
    return sheets
