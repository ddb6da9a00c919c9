"""``planner alerts``: exit codes, JSON, status line, options."""

from __future__ import annotations

import json

import numpy as np
import pytest

from planner.alerts.inject import export_csv, inject
from planner.cli import main
from planner.ingest import read_exports
from planner.sample import sample_dir

EXPORTS = str(sample_dir() / "exports")


@pytest.fixture(scope="module")
def fraud(tmp_path_factory):
    """The sample plus a CSV export of an injected night burst (its last days)."""
    records = read_exports([EXPORTS]).records
    _, truth = inject(records, "night_burst", np.random.default_rng(7), day="2026-10-26",
                      intensity=0.8)  # fmt: skip
    path = tmp_path_factory.mktemp("fraud") / "injected.csv"
    path.write_bytes(export_csv(truth.calls))
    return path, truth


def test_clean_sample_exits_0_with_status(capsys):
    assert main(["alerts", EXPORTS, "--since", "2025-10-01"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1].startswith("planner: OK no high alert") and "2025-10-01" in out[-1]


def test_injected_fraud_exits_3_and_json_names_user_and_country(fraud, tmp_path, capsys):
    path, truth = fraud
    lots = tmp_path / "lots.csv"
    lots.write_text("purchase_date,amount\n2026-10-30,500.00\n")
    code = main(["alerts", EXPORTS, str(path), "--json", "--balance", str(lots)])
    captured = capsys.readouterr()
    assert code == 3
    doc = json.loads(captured.out)
    assert captured.err.strip().startswith("planner: ALERT")
    high = [a for a in doc["alerts"] if a["severity"] == "high"]
    assert any(a["upn"] == truth.upn and a["country"] == truth.country for a in high)
    for a in doc["alerts"]:
        assert set(a) >= {"severity", "kind", "first_date", "last_date", "upn", "country",
                          "amount", "calls", "explanation", "runway_days_at_this_rate"}  # fmt: skip
        assert a["first_date"] <= a["last_date"] and a["last_date"] >= doc["since"]
        assert round(a["amount"] * 100) == pytest.approx(a["amount"] * 100, abs=1e-6)
    assert all(isinstance(a["runway_days_at_this_rate"], int) for a in high)


def test_raised_thresholds_silence_it(fraud, capsys):
    path, _ = fraud
    code = main(["alerts", EXPORTS, str(path), "--high-amount", "100000", "--since", "2026-10-01"])
    assert code == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("planner: OK")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--since", "last week"], "since"),
        (["--high-amount", "12.345"], "--high-amount"),
        (["--day-ratio", "0"], "day_ratio"),
        (["--business-hours", "9"], "--business-hours"),
        (["--night-calls", "many"], "--night-calls"),
        (["--billing", "monthly"], "billing: prepaid or postpaid"),
    ],
)
def test_bad_options_exit_2_with_one_line(args, message, capsys):
    assert main(["alerts", EXPORTS, *args]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err and "Traceback" not in err


def test_not_an_export_exits_2(tmp_path, capsys):
    bad = tmp_path / "notes.csv"
    bad.write_text("a,b\n1,2\n")
    assert main(["alerts", str(bad)]) == 2
    assert "not a usage export" in capsys.readouterr().err


def test_postpaid_alerts_speak_of_the_bill_not_a_balance_running_dry(fraud, tmp_path, capsys):
    path, _ = fraud
    lots = tmp_path / "lots.csv"
    lots.write_text("purchase_date,amount\n2026-10-30,500.00\n")
    argv = ["alerts", EXPORTS, str(path), "--balance", str(lots)]
    assert main(argv) == 3
    prepaid = capsys.readouterr().out
    assert "today's balance lasts" in prepaid
    assert main([*argv, "--billing", "postpaid"]) == 3
    postpaid = capsys.readouterr().out
    assert "balance" not in postpaid and "billed after use" in postpaid
    assert main([*argv, "--billing", "postpaid", "--json"]) == 3
    doc = json.loads(capsys.readouterr().out)
    assert doc["billing"] == "postpaid"
    assert any(a["runway_days_at_this_rate"] is not None for a in doc["alerts"])
