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
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import pandas as pd

from planner import text
from planner.batch.task import STATUSES
from planner.errors import EXIT_ALERT, EXIT_NOTEBOOK_FAILED, EXIT_OK
from planner.text import N_
from planner.text.plan import verdict_phrases

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
    e = html.escape
    name = str(entry["name"])
    if entry["status"] == "failed":
        failed = sorted((out_dir / name / "failed").glob("*.ipynb"))
        if not failed:
            return "–"
        href = f"{quote(name)}/failed/{quote(failed[0].name)}"
        return f'<a href="{e(href)}">{e(text.t("failed notebook"))}</a>'
    href = f"{quote(name)}/funding_plan.html"
    usage = f"{quote(name)}/usage_analysis.html"
    return (
        f'<a href="{e(href)}">{e(text.t("funding plan"))}</a> · '
        f'<a href="{e(usage)}">{e(text.t("usage"))}</a>'
    )


def _failed(entries: Sequence[Mapping[str, Any]]) -> bool:
    return any(e["status"] == "failed" for e in entries)


#: a tenant's status in words (the level words of the reports' banner)
STATUS_WORDS = {"failed": N_("FAILED"), "alert": N_("ALERT"), "act": N_("ACT"), "ok": N_("OK")}


def status_word(status: Any) -> str:
    """A tenant's status as the portfolio shows it: ``ALERT`` (``ALERTE`` in French)."""
    key = str(status)
    return text.t(STATUS_WORDS[key]) if key in STATUS_WORDS else key.upper()


def verdict(entry: Mapping[str, Any]) -> str:
    """Why a tenant is OK, ALERT or FAILED, in words of the language in use: the reasons of
    its verdict (the current settings' risk against the service level, a short runway, a
    high alert), its runway and what to buy, as its status line says them; or the error.

    An entry without its ``why`` (an index written before it was kept) gives the status line
    its report wrote, in the report's language."""
    if entry["status"] == "failed":
        error = entry.get("error") or text.t("see the failed notebook")
        return text.t("report failed: {error}", error=error)
    why = entry.get("why")
    if not isinstance(why, Mapping):
        return str(entry.get("verdict") or "")
    rec = entry.get("recommendation") or {}
    settings = tuple(rec.get(k) for k in ("initial", "recharge_amount", "threshold"))
    reasons = [  # a verdict's reasons as summary.json holds them: code, level and values
        SimpleNamespace(code=r["code"], values={k: v for k, v in r.items() if k != "code"})
        for r in why.get("reasons") or []
    ]
    phrases = verdict_phrases(
        reasons,
        str(rec.get("currency") or ""),
        runway=why.get("runway"),
        current_p=why.get("current_p"),
        bill=why.get("bill"),
        policy=None if None in settings else settings,  # type: ignore[arg-type]
    )
    words = text.semicolons(phrases)
    return words[:1].upper() + words[1:]


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
            f"<td><b>{e(status_word(entry['status']))}</b></td>"
            f'<td class="why">{e(why)}</td>'
            f"<td>{e(text.number(runway))}</td>"
            f"<td>{e(_money(rec.get('initial'), cur))}</td>"
            f"<td>{e(_money(rec.get('recharge_amount'), cur))}</td>"
            f"<td>{e(_money(rec.get('threshold'), cur))}</td>"
            f"<td>{e(text.percent(p))}</td>"
            f"<td>{_report_link(out_dir, entry)}</td>{extra}"
            "</tr>"
        )
    headers = [*_PAGE_COLUMNS, *(("error", "worker") if failed else ())]
    words = {key: e(text.t(label)) for key, label in _PAGE_WORDS.items()}
    return _PAGE.format(
        lang=e(text.current_language()),
        csp=e(CSP),
        caption=e(_caption(entries)),
        generated=e(
            text.t(
                "Generated {when} by planner batch.",
                when=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            )
        ),
        headers="".join(f"<th>{e(text.t(_HEADERS[h]))}</th>" for h in headers),
        rows="\n".join(rows),
        **words,
    )


def _caption(entries: Sequence[Mapping[str, Any]]) -> str:
    """``3 tenants: 1 failed, 1 alert, 0 act, 1 ok`` in the language in use."""
    counts = _summary(entries)
    parts = [f"{counts[s]} {status_word(s).lower()}" for s in STATUSES]
    return text.nt("{n} tenant: {counts}", "{n} tenants: {counts}", len(entries),
                   counts=", ".join(parts))  # fmt: skip


#: the page's columns, headed as the workbook's (the error and worker added when one failed)
_PAGE_COLUMNS = ("tenant", "status", "verdict", "runway_days", "initial", "recharge_amount",
                 "threshold", "p_stockout", "report")  # fmt: skip
#: the page's other words
_PAGE_WORDS = {
    "title": N_("Communications Credits portfolio"),
    "order": N_("Most urgent first: failed reports, then alerts, then shortest runway."),
}


_PAGE = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<title>{title}</title>
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
<h1>{title}</h1>
<p>{caption}. {order}</p>
<table>
<thead><tr>{headers}</tr></thead>
<tbody>
{rows}
</tbody>
</table>
<p class="note">{generated}</p>
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
            "status": status_word(entry["status"]),
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


#: the headers of the workbook and the page (translated where they are shown)
_HEADERS = {
    "tenant": N_("Tenant"), "status": N_("Status"), "verdict": N_("Why"),
    "runway_days": N_("Runway (days)"), "currency": N_("Currency"), "initial": N_("Add now"),
    "recharge_amount": N_("Recharge amount"), "threshold": N_("Recharge below"),
    "p_stockout": N_("Stock-out probability"), "report": N_("Report"), "error": N_("Error"),
    "worker": N_("Worker"),
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
        name=text.t("Portfolio"),
        frame=portfolio_frame(entries),
        formats={
            "runway_days": "int",
            "initial": "number",
            "recharge_amount": "number",
            "threshold": "number",
            "p_stockout": "percent",
        },
        headers={k: text.t(v) for k, v in _HEADERS.items()},
    )
    excel.write_workbook(paths[2], [sheet])
    return paths
