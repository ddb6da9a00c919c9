"""A report's inputs and artifacts: the files a notebook reads and the tables and summary it saves.

The funding notebook, given an ``artifacts_dir`` parameter, saves the tables it shows and a
``summary.json`` (:func:`plan_summary`: recommendation and alert status) with
:func:`save_artifacts`; the runner reads them back (:func:`load_artifacts`) for the workbook and
the exit status, so nothing is computed twice.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from planner import text
from planner.errors import InputError
from planner.report.views import unavoidable_forfeiture
from planner.sample import sample_dir
from planner.text import t

SUMMARY_NAME = "summary.json"


@dataclass(frozen=True)
class ReportInputs:
    """Input files of one report, resolved (``None`` = not given).

    Attributes
    ----------
    exports : list of Path
        Usage export files or folders.
    balance, departments, user_licences, licences, rates : Path or None
        Today's lots, user -> department map, user licences, licence counts, rate card.
    sample : bool
        True when the embedded sample tenant is used (no exports were given).
    """

    exports: list[Path]
    balance: Path | None = None
    departments: Path | None = None
    user_licences: Path | None = None
    licences: Path | None = None
    rates: Path | None = None
    sample: bool = False

    @property
    def whatif(self) -> bool:
        """True when demand is re-priced from licences and a rate card (what-if)."""
        return self.rates is not None


_SAMPLE_FILES = {
    "balance": "balance.csv",
    "departments": "departments.csv",
    "user_licences": "user_licences.csv",
    "licences": "licences.csv",
}


def resolve_inputs(
    exports: str | list[str] | None = None,
    *,
    balance: str | None = None,
    departments: str | None = None,
    user_licences: str | None = None,
    licences: str | None = None,
    rates: str | None = None,
) -> ReportInputs:
    """Resolve a notebook's input parameters to paths.

    With ``exports=None`` the embedded sample tenant is used, and every other input left as
    ``None`` falls back to the sample's file (balance, departments, user licences, licences;
    the rate card stays ``None`` so demand is the actual one). With exports given, ``None``
    means "not given".

    Raises
    ------
    InputError
        A named file or folder does not exist.
    """
    given = {
        "balance": balance,
        "departments": departments,
        "user_licences": user_licences,
        "licences": licences,
        "rates": rates,
    }
    sample = exports is None
    if exports is None:
        root = Path(sample_dir())
        export_paths = [root / "exports"]
        for name, filename in _SAMPLE_FILES.items():
            if given[name] is None and (root / filename).exists():
                given[name] = str(root / filename)
    else:
        items = [exports] if isinstance(exports, (str, os.PathLike)) else list(exports)
        if not items:
            raise InputError("exports: no usage export given; name at least one file or folder")
        export_paths = [Path(p).expanduser() for p in items]
    for p in export_paths:
        if not p.exists():
            raise InputError("exports: {path} does not exist; check the path", path=p)
    resolved: dict[str, Path | None] = {}
    for name, value in given.items():
        if value is None or value == "":
            resolved[name] = None
            continue
        path = Path(value).expanduser()
        if not path.is_file():
            raise InputError("{name}: {path} is not a file; check the path", name=name, path=path)
        resolved[name] = path
    if resolved["rates"] is not None and resolved["licences"] is None:
        raise InputError("rates: a what-if rate card also needs the licence counts (licences)")
    return ReportInputs(exports=export_paths, sample=sample, **resolved)


def sample_parameters() -> dict[str, Any]:
    """Notebook parameters naming every file of the embedded sample tenant (``planner demo``)."""
    root = Path(sample_dir())
    if not (root / "exports").is_dir():
        raise InputError(
            "the sample tenant is missing ({root}); run `planner sample --out {root2}`",
            root=root / "exports",
            root2=root,
        )
    params: dict[str, Any] = {"exports": [str(root / "exports")]}
    for name, filename in _SAMPLE_FILES.items():
        if (root / filename).exists():
            params[name] = str(root / filename)
    return params


def save_artifacts(
    artifacts_dir: str | Path | None,
    *,
    tables: Mapping[str, pd.DataFrame] | None = None,
    summary: Mapping[str, Any] | None = None,
    summary_name: str = SUMMARY_NAME,
) -> list[Path]:
    """Save a notebook's tables (Parquet) and summary (JSON) for the report runner.

    Does nothing when ``artifacts_dir`` is ``None`` (a notebook opened by hand).

    Parameters
    ----------
    artifacts_dir : str, Path or None
        Folder to write into (created if needed).
    tables : mapping of str to DataFrame
        ``name -> table``, written as ``<name>.parquet`` (dtypes kept).
    summary : mapping
        JSON-serialisable values, written as ``summary_name``.

    Returns
    -------
    list of Path
        The files written.
    """
    if artifacts_dir is None:
        return []
    folder = Path(artifacts_dir)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in (tables or {}).items():
        if not re.fullmatch(r"[A-Za-z0-9_\-]+", name):
            raise ValueError(f"tables: {name!r} is not a plain file name")
        path = folder / f"{name}.parquet"
        frame.to_parquet(path, index=False)
        written.append(path)
    if summary is not None:
        path = folder / summary_name
        path.write_text(json.dumps(summary, indent=2, default=json_default) + "\n")
        written.append(path)
    return written


def json_default(value: Any) -> Any:
    if isinstance(value, (pd.Timestamp,)):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def load_artifacts(artifacts_dir: str | Path) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Read back what :func:`save_artifacts` wrote: ``(tables, summary)``."""
    folder = Path(artifacts_dir)
    tables = {p.stem: pd.read_parquet(p) for p in sorted(folder.glob("*.parquet"))}
    summary_path = folder / SUMMARY_NAME
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    return tables, summary


def plan_summary(
    rec: Any,
    *,
    alert: tuple[int, str],
    tenant: str,
    period: str,
    demand_kind: str,
    outlook: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``summary.json`` of a report: recommendation, alert status and the workbook summary.

    Labels are in the language in use (:mod:`planner.text`); ``lang`` records it.

    Parameters
    ----------
    rec : planner.recommend.Recommendation
    alert : (int, str)
        the plan's exit code and status line (:class:`planner.plan.PlanResult`).
    tenant, period : str
        For headings.
    demand_kind : str
        ``"actual"`` or ``"whatif"``.
    outlook : mapping, optional
        A post-paid tenant's credits and bill (:attr:`planner.plan.PlanResult.outlook`): the
        summary gives them instead of recharge settings it cannot buy.
    """
    code, status = alert
    demand = t("actual credit spend") if demand_kind == "actual" else t("what-if demand")
    rows: list[list[Any]] = [
        [t("Status"), status, "text"],
        [t("Tenant"), tenant, "text"],
        [t("Usage period analysed"), period, "text"],
        [t("Demand"), demand, "text"],
        *(_plan_rows(rec) if outlook is None else _postpaid_rows(rec, outlook)),
    ]
    plain = json.loads(json.dumps(rows, default=json_default))
    return {
        "title": t("Communications Credits funding plan — {tenant}", tenant=tenant),
        "tenant": tenant,
        "period": period,
        "currency": rec.currency,
        "lang": text.current_language(),
        "demand": demand_kind,
        "alert": {"exit_code": int(code), "status": status},
        "recommendation": {**rec.to_json(), "status": status, "exit_code": int(code)},
        "rows": plain,
        "notes": list(rec.explanation),
    }


def _postpaid_rows(rec: Any, outlook: Mapping[str, Any]) -> list[list[Any]]:
    """The summary sheet's rows of a post-paid plan: no recharge; today's credits, when they
    run out, and the bill to expect."""
    rows: list[list[Any]] = [
        [t("Plan starts"), rec.scenarios.start.date(), "date"],
        [t("Scenarios"), rec.scenarios.n_scenarios, "int"],
        [t("Demand growth per year"), rec.scenarios.growth_per_year, "percent"],
        [t("Billing"), t("post-paid: usage billed after use, no credits to buy"), "text"],
    ]
    if outlook["balance"] is not None:
        rows += [
            [t("Balance today"), outlook["balance"], "money"],
            [t("Credits run out (median)"), outlook["credits_run_out"], "date"],
        ]
    return rows + [
        [t("Expected bill, next {n} months", n=outlook["bill_months"]), outlook["bill_total"],
         "money"],
        [t("Bill a month, on average"), outlook["monthly_bill"], "money"],
        [t("Costliest month, 90% upper bound"), outlook["monthly_bill_upper90"], "money"],
    ]  # fmt: skip


def _plan_rows(rec: Any) -> list[list[Any]]:
    """The summary sheet's rows on the plan: ``[label, value, format]``, the settings and
    their figures, then today's balance and the current settings when known."""
    pol, m = rec.policy, rec.metrics
    today = unavoidable_forfeiture(rec)
    rows: list[list[Any]] = [
        [t("Plan starts"), rec.scenarios.start.date(), "date"],
        [t("Horizon (days)"), rec.scenarios.horizon_days, "int"],
        [t("Scenarios"), rec.scenarios.n_scenarios, "int"],
        [t("Demand growth per year"), rec.scenarios.growth_per_year, "percent"],
        [t("Service level"), rec.service_level, "percent"],
        [t("Add funds now"), pol.initial, "money"],
        [t("Auto-recharge amount"), pol.recharge_amount, "money"],
        [t("Recharge below (trigger)"), pol.threshold, "money"],
        [t("Stock-out probability"), m["p_stockout"], "percent"],
        [t("Expected forfeiture"), m["expected_forfeited"], "money"],
        [t("of which today's funds lose whatever you do"), today, "money"],
        [t("Expected purchases"), m["expected_purchased"], "money"],
        [t("Recharges per month"), m["recharges_per_month"], "number"],
        [t("Mean balance (money tied up)"), m["mean_balance"], "money"],
        [t("Expected cost (forfeiture + money tied up)"), rec.cost, "money"],
    ]
    if rec.position is not None:
        rw = rec.position["runway_days"]
        rows += [
            [t("Balance today"), rec.position["balance"], "money"],
            [t("Balance as of"), rec.position["as_of"], "date"],
            [t("Runway, median (days)"), rw["median"], "int"],
            [t("Runway, pessimistic (days)"), rw["pessimistic"], "int"],
            [t("Runs out on (median)"), rec.position["depletion_date"], "date"],
        ]
    if rec.current is not None:
        rows += [
            [t("Current settings: stock-out probability"), rec.current["p_stockout"], "percent"],
            [t("Current settings: expected cost"), rec.current["cost"], "money"],
        ]
    one = rec.one_time_funding
    rows.append([t("One-time funding instead (no auto-recharge)"), one.get("amount"), "money"])
    return rows
