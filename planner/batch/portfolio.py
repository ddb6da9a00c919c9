"""The batch's own outputs: ``index.json``, ``index.html`` (portfolio page) and
``portfolio.xlsx``, from the tenants' index entries.

The page lists the tenants most urgent first (failed, then alert, then ok; shortest runway,
then highest stock-out risk first) and links each tenant's report. Every piece of text that
comes from the data (names, errors, statuses) is escaped, and the page forbids scripts
(``Content-Security-Policy``).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd

from planner import text
from planner.batch.task import STATUSES
from planner.errors import EXIT_ALERT, EXIT_NOTEBOOK_FAILED, EXIT_OK

__all__ = [
    "INDEX_HTML",
    "INDEX_JSON",
    "PORTFOLIO_XLSX",
    "batch_exit_code",
    "by_urgency",
    "index_html",
    "verdict",
    "write_portfolio",
]

INDEX_JSON = "index.json"
INDEX_HTML = "index.html"
PORTFOLIO_XLSX = "portfolio.xlsx"

#: scripts, frames, objects and remote content are refused; inline styles and the page's
#: own links are all it needs
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


def batch_exit_code(entries: Sequence[Mapping[str, Any]]) -> int:
    """0 when every tenant is OK, 3 when any alerts and none failed, 4 when any failed."""
    statuses = {e["status"] for e in entries}
    if "failed" in statuses:
        return EXIT_NOTEBOOK_FAILED
    if "alert" in statuses:
        return EXIT_ALERT
    return EXIT_OK


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else math.nan


def by_urgency(entries: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Entries most urgent first: status, then shortest runway, then highest stock-out risk."""

    def key(e: Mapping[str, Any]):
        runway = _number(e.get("runway_days"))
        p = _number((e.get("recommendation") or {}).get("p_stockout"))
        return (
            STATUSES.index(e["status"]),
            math.inf if math.isnan(runway) else runway,
            -p if not math.isnan(p) else 0.0,
            e["name"],
        )

    return sorted(entries, key=key)


def _summary(entries: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    return {s: sum(e["status"] == s for e in entries) for s in STATUSES}


def index_document(entries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The content of ``index.json``: the tenants in the file's order, counts and exit code."""
    return {
        "generated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "exit_code": batch_exit_code(entries),
        "counts": _summary(entries),
        "tenants": [dict(e) for e in entries],
    }


def _money(value: Any, currency: str | None) -> str:
    return text.money(_number(value), currency, 2)


def _report_link(out_dir: Path, entry: Mapping[str, Any]) -> str:
    """Link to the tenant's report, or to the failed notebook kept for diagnosis."""
    name = str(entry["name"])
    if entry["status"] == "failed":
        failed = sorted((out_dir / name / "failed").glob("*.ipynb"))
        if not failed:
            return "–"
        href = f"{quote(name)}/failed/{quote(failed[0].name)}"
        return f'<a href="{html.escape(href)}">failed notebook</a>'
    href = f"{quote(name)}/funding_plan.html"
    usage = f"{quote(name)}/usage_analysis.html"
    return (
        f'<a href="{html.escape(href)}">funding plan</a> · <a href="{html.escape(usage)}">usage</a>'
    )


def _failed(entries: Sequence[Mapping[str, Any]]) -> bool:
    return any(e["status"] == "failed" for e in entries)


def verdict(entry: Mapping[str, Any]) -> str:
    """Why a tenant is OK, ALERT or FAILED, in words: its report's status line (the current
    settings' risk against the service level, the runway, what to buy), or the error."""
    if entry["status"] == "failed":
        return f"report failed: {entry.get('error') or 'see the failed notebook'}"
    return str(entry.get("verdict") or "")


def index_html(entries: Sequence[Mapping[str, Any]], out_dir: Path) -> str:
    """The portfolio page (self-contained HTML, no script). The error and the worker are
    shown only when a tenant failed, on its row: they mean nothing for a finished report."""
    e = html.escape
    failed = _failed(entries)
    rows = []
    for entry in by_urgency(entries):
        rec = entry.get("recommendation") or {}
        cur = rec.get("currency")
        runway = _number(entry.get("runway_days"))
        p = _number(rec.get("p_stockout"))
        why = "" if entry["status"] == "failed" else verdict(entry)
        extra = ""
        if failed:
            worker = entry.get("worker") if entry["status"] == "failed" else ""
            extra = f"<td>{e(str(entry.get('error') or ''))}</td><td>{e(str(worker or ''))}</td>"
        rows.append(
            f'<tr class="{e(str(entry["status"]))}">'
            f"<td>{e(str(entry['name']))}</td>"
            f"<td><b>{e(str(entry['status']).upper())}</b></td>"
            f'<td class="why">{e(why)}</td>'
            f"<td>{'–' if math.isnan(runway) else f'{runway:,.0f}'}</td>"
            f"<td>{e(_money(rec.get('initial'), cur))}</td>"
            f"<td>{e(_money(rec.get('recharge_amount'), cur))}</td>"
            f"<td>{e(_money(rec.get('threshold'), cur))}</td>"
            f"<td>{'–' if math.isnan(p) else f'{p:.1%}'}</td>"
            f"<td>{_report_link(out_dir, entry)}</td>{extra}"
            "</tr>"
        )
    counts = _summary(entries)
    caption = ", ".join(f"{counts[s]} {s}" for s in STATUSES)
    return _PAGE.format(
        csp=e(CSP),
        caption=e(f"{len(entries)} tenants: {caption}"),
        generated=e(dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")),
        failed_headers="<th>Error</th><th>Worker</th>" if failed else "",
        rows="\n".join(rows),
    )


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<title>Communications Credits portfolio</title>
<style>
  body {{ font: 14px "Segoe UI", Arial, sans-serif; color: #1f2933; margin: 24px; }}
  h1 {{ color: #1f4e79; font-size: 24px; }}
  table {{ border-collapse: collapse; max-width: 100%; }}
  th {{ background: #1f4e79; color: #fff; text-align: left; }}
  td, th {{ padding: 4px 10px; border-bottom: 1px solid #d9e2ec; vertical-align: top; }}
  td.why {{ max-width: 36em; }}
  tr.failed td {{ background: #fdecea; }}
  tr.alert td {{ background: #fff4e5; }}
  .note {{ color: #66788a; font-size: 12px; }}
</style>
</head>
<body>
<h1>Communications Credits portfolio</h1>
<p>{caption}. Most urgent first: failed reports, then alerts, then shortest runway.</p>
<table>
<thead><tr><th>Tenant</th><th>Status</th><th>Why</th><th>Runway (days)</th><th>Add now</th>
<th>Recharge amount</th><th>Recharge below</th><th>Stock-out probability</th>
<th>Report</th>{failed_headers}</tr></thead>
<tbody>
{rows}
</tbody>
</table>
<p class="note">Generated {generated} by planner batch.</p>
</body>
</html>
"""


def portfolio_frame(entries: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per tenant, most urgent first, for the workbook: the verdict in words; the
    error and the worker only when some tenant failed (on the failed rows)."""
    failed = _failed(entries)
    rows = []
    for entry in by_urgency(entries):
        rec = entry.get("recommendation") or {}
        row = {
            "tenant": entry["name"],
            "status": str(entry["status"]).upper(),
            "verdict": verdict(entry),
            "runway_days": _number(entry.get("runway_days")),
            "currency": rec.get("currency"),
            "initial": _number(rec.get("initial")),
            "recharge_amount": _number(rec.get("recharge_amount")),
            "threshold": _number(rec.get("threshold")),
            "p_stockout": _number(rec.get("p_stockout")),
        }
        if failed:
            broke = entry["status"] == "failed"
            row["error"] = (entry.get("error") or "") if broke else ""
            row["worker"] = (entry.get("worker") or "") if broke else ""
        rows.append(row)
    return pd.DataFrame(rows)


#: the workbook's headers
_HEADERS = {
    "tenant": "Tenant", "status": "Status", "verdict": "Why", "runway_days": "Runway (days)",
    "currency": "Currency", "initial": "Add now", "recharge_amount": "Recharge amount",
    "threshold": "Recharge below", "p_stockout": "Stock-out probability", "error": "Error",
    "worker": "Worker",
}  # fmt: skip


def write_portfolio(entries: Sequence[Mapping[str, Any]], out_dir: str | Path) -> list[Path]:
    """Write ``index.json``, ``index.html`` and ``portfolio.xlsx`` into ``out_dir``."""
    from planner import excel

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / INDEX_JSON, out_dir / INDEX_HTML, out_dir / PORTFOLIO_XLSX]
    paths[0].write_text(json.dumps(index_document(entries), indent=2) + "\n", encoding="utf-8")
    paths[1].write_text(index_html(entries, out_dir), encoding="utf-8")
    sheet = excel.TableSheet(
        name="Portfolio",
        frame=portfolio_frame(entries),
        formats={
            "runway_days": "int",
            "initial": "number",
            "recharge_amount": "number",
            "threshold": "number",
            "p_stockout": "percent",
        },
        headers=_HEADERS,
    )
    excel.write_workbook(paths[2], [sheet])
    return paths
