"""French output holds no catalogue message left in English: what ``recommend``,
``simulate``, ``alerts``, ``limits`` and ``demand`` print, the one line of an error (a bad
option, a file missing or refused, a value out of range), and the batch's portfolio page and
workbook. Run in-process on the sample tenant and a small demand file (the portfolio from
index entries in memory), so it stays a unit test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner.alerts.inject import export_csv, inject
from planner.cli import main
from planner.errors import EXIT_BAD_INPUT
from planner.ingest import read_exports
from planner.sample import sample_dir
from tests.french_checks import english_left, line_pieces

SAMPLE = sample_dir()
EXPORTS = str(SAMPLE / "exports")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A 120-day demand file, today's lots, and the sample plus an injected night burst."""
    folder = tmp_path_factory.mktemp("french")
    rng = np.random.default_rng(0)
    days = pd.date_range("2025-01-01", periods=120, freq="D")
    amount = np.where(days.day_of_week < 5, 10.0, 2.0) * rng.gamma(4, 0.25, len(days))
    demand = folder / "demand.csv"
    frame = pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "amount": amount.round(2)})
    frame.to_csv(demand, index=False)
    lots = folder / "lots.csv"
    lots.write_text("purchase_date,amount\n2025-03-01,40\n")
    records = read_exports([EXPORTS]).records
    _, truth = inject(records, "night_burst", np.random.default_rng(7), day="2026-10-26",
                      intensity=0.8)  # fmt: skip
    burst = folder / "burst.csv"
    burst.write_bytes(export_csv(truth.calls))
    return {"demand": demand, "lots": lots, "burst": burst, "folder": folder}


def _french(capsys, *argv) -> tuple[int, str]:
    code = main([*map(str, argv), "--lang", "fr"])
    cap = capsys.readouterr()
    return code, cap.out + cap.err


def _english(output: str) -> list[tuple[str, str]]:
    return english_left(line_pieces(output))


def test_recommend_speaks_french(files, capsys):
    code, out = _french(capsys, "recommend", "--demand", files["demand"], "--balance",
                        files["lots"], "--scenarios", "200", "--seed", "1")  # fmt: skip
    assert code in (0, 3), out
    assert "recommandé" in out
    assert _english(out) == []


def test_simulate_speaks_french(files, capsys):
    code, out = _french(capsys, "simulate", "--demand", files["demand"], "--initial", "50",
                        "--recharge-amount", "40", "--threshold", "10")  # fmt: skip
    assert code == 0, out
    assert "rechargements réussis" in out  # 20 of them: the plural
    assert _english(out) == []


def test_alerts_speak_french_with_plural_severities(files, capsys):
    code, out = _french(capsys, "alerts", EXPORTS, files["burst"])
    assert code == 3, out
    status = out.strip().splitlines()[-1]
    assert "hautes" in status  # several high alerts: the plural
    assert _english(out) == []


def test_demand_speaks_french(capsys):
    code, out = _french(capsys, "demand", EXPORTS)
    assert code == 0, out
    assert "Numéros gratuits" in out and "toll_free" not in out
    assert _english(out) == []


def test_limits_speak_french(capsys):
    code, out = _french(capsys, "limits", EXPORTS)
    assert code in (0, 3), out
    assert _english(out) == []


@pytest.mark.parametrize(
    "argv",
    [
        ["recommend", "--demand", "{demand}", "--servce-level", "0.99"],  # unknown option
        ["recommend", "--demand", "{demand}", "--service-level", "many"],  # not a number
        ["recommend", "--demand", "{demand}", "--service-level", "2"],  # out of range
        ["recommend", "--demand", "{folder}/missing.csv"],  # no such file
        ["recommend", "--demand", "{demand}", "--balance", "{folder}/bad_lots.csv"],
        ["simulate"],  # a required option missing
        ["alerts", "{folder}/nothing-here"],
        ["limits", EXPORTS, "--current-limit", "12.5"],
        ["report", EXPORTS, "--params", "{folder}/params.yaml"],
    ],
)
def test_errors_are_one_french_line(files, capsys, argv):
    folder = files["folder"]
    (folder / "bad_lots.csv").write_text("purchase_date,amount\n2025-02-30,40\n")
    (folder / "params.yaml").write_text("service_level: [1, 2\n")
    values = {k: str(v) for k, v in files.items()}
    code, out = _french(capsys, *(a.format(**values) for a in argv))
    assert code == EXIT_BAD_INPUT, out
    error = [line for line in out.splitlines() if "erreur" in line]
    assert len(error) == 1, out
    assert "error:" not in out and "Traceback" not in out
    assert _english(out) == [], out


def _tenant(name: str, status: str, reasons: list, **why) -> dict:
    rec = {"currency": "EUR", "initial": 0.0, "recharge_amount": 700.0, "threshold": 120.0,
           "p_stockout": 0.009}  # fmt: skip
    runway = {"median": 170.0, "pessimistic": 128.0, "censored": False}
    return {
        "name": name, "status": status, "exit_code": {"ok": 0, "alert": 3}.get(status, 2),
        "verdict": "planner: the report's own line", "worker": "tcp://10.0.0.1:4000",
        "runway_days": runway["median"], "recommendation": rec, "error": None,
        "why": {"reasons": reasons, "runway": runway, "current_p": None, "bill": None,
                **why},
        "seconds": 1.0, "timings": None,
    }  # fmt: skip


def _portfolio() -> list[dict]:
    risk = {"code": "current_risk", "level": "ALERT", "p_stockout": 0.014, "allowed": 0.01}
    fraud = {"code": "high_alert", "level": "ALERT", "count": 2, "kind": "out_of_hours",
             "upn": "ana@contoso.com", "country": "GN", "amount_cents": 154925,
             "currency": "EUR", "first_date": "2026-10-25", "last_date": "2026-10-27"}  # fmt: skip
    failed = _tenant("broken", "failed", [])
    failed.update(error="exports: no usage export given", why=None, recommendation=None)
    return [
        _tenant("calm", "ok", [], current_p=0.002),
        _tenant("risky", "alert", [risk]),
        _tenant("robbed", "alert", [fraud]),
        failed,
    ]


def test_portfolio_says_why_in_the_batch_language(tmp_path):
    """The verdict's reasons in words of the batch's language, whatever the tenants' own
    reports were written in; the page and the workbook hold no English message."""
    import openpyxl

    from planner import text
    from planner.batch import portfolio
    from tests.french_checks import html_pieces

    entries = _portfolio()
    page = portfolio.index_html(entries, tmp_path)
    assert "Current settings run out of credit in 1.4% of simulated years (allowed 1%)" in page
    assert "the report's own line" not in page  # written from the reasons, not copied
    with text.language("fr"):
        files = portfolio.write_portfolio(entries, tmp_path / "fr")
    page = files[1].read_text(encoding="utf-8")
    assert '<html lang="fr">' in page and "1,4\u00a0%" in page
    assert page.count("tcp://10.0.0.1:4000") == 1  # the worker of the failed tenant alone
    pieces = html_pieces(page)
    sheet = openpyxl.load_workbook(files[2]).worksheets[0]
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert "Pourquoi" in cells and "ÉCHEC" in cells
    assert english_left(pieces + cells + [sheet.title]) == []
