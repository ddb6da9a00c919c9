"""``planner recommend`` on small demand files: output, JSON, exit codes, bad options."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from planner.cli import main
from planner.errors import EXIT_ALERT, EXIT_BAD_INPUT, EXIT_OK


@pytest.fixture
def demand_csv(tmp_path):
    rng = np.random.default_rng(0)
    idx = pd.date_range("2025-01-01", periods=120, freq="D")
    amount = np.where(idx.day_of_week < 5, 10.0, 2.0) * rng.gamma(4, 0.25, len(idx))
    path = tmp_path / "demand.csv"
    pd.DataFrame({"date": idx.strftime("%Y-%m-%d"), "amount": amount.round(2)}).to_csv(
        path, index=False
    )
    return path


def _lots(tmp_path, amount: float):
    path = tmp_path / "lots.csv"
    path.write_text(f"purchase_date,amount\n2025-03-01,{amount}\n")
    return path


def _run(capsys, *argv):
    code = main(["recommend", *map(str, argv), "--scenarios", "200", "--seed", "1"])
    return code, capsys.readouterr()


def test_text_output(demand_csv, capsys):
    code, cap = _run(capsys, "--demand", demand_csv)
    assert code == EXIT_OK
    lines = cap.out.strip().splitlines()
    # the first purchase comes first, in the headline and in the status line
    assert lines[0].startswith("Add $") and "now, then recharge $" in lines[0]
    assert "recommended: add $" in lines[-1]
    assert any("recommended" in line for line in lines)
    assert lines[-1].startswith("planner: OK")


def test_json_output_and_alert_on_short_runway(demand_csv, tmp_path, capsys):
    code, cap = _run(
        capsys,
        "--demand",
        demand_csv,
        "--json",
        "--balance",
        _lots(tmp_path, 30),
        "--currency",
        "EUR",
    )
    out = json.loads(cap.out)
    assert code == EXIT_ALERT == out["exit_code"]
    assert out["currency"] == "EUR"
    assert cap.err.strip().startswith("planner: ALERT")
    assert out["runway_days"]["median"] < 14
    for key in (
        "initial",
        "recharge_amount",
        "threshold",
        "p_stockout",
        "expected_forfeited",
        "expected_purchased",
        "expected_recharges",
        "mean_balance",
        "cost",
        "one_time_funding",
        "alternatives",
        "explanation",
        "status",
        "runway_days",
        "expiring",
    ):
        assert key in out
    assert out["expiring"][0]["date"] == "2026-03-01"
    assert isinstance(out["alternatives"], list) and out["alternatives"][0]["option"] == (
        "recommended"
    )


def test_large_balance_is_ok(demand_csv, tmp_path, capsys):
    code, cap = _run(capsys, "--demand", demand_csv, "--balance", _lots(tmp_path, 2000))
    assert code == EXIT_OK
    status = cap.out.strip().splitlines()[-1]
    # no alert; a first purchase beside the lots comes with its reason (the lot expires
    # within the horizon, and the balance then runs out before a recharge can arrive)
    assert status.startswith(("planner: OK ", "planner: ACT add $"))
    assert ("add $" in status.split(";")[0]) == status.startswith("planner: ACT")
    assert "Today's lots (balance as of 2025-05-01):" in cap.out


def test_min_recharge_days(demand_csv, capsys):
    code, cap = _run(capsys, "--demand", demand_csv, "--json", "--min-recharge-days", "60")
    out = json.loads(cap.out)
    mean = pd.read_csv(demand_csv)["amount"].mean()
    assert out["recharge_amount"] >= 0.9 * 60 * mean
    assert out["recharges_per_month"] <= 0.6


def test_current_settings_alert(demand_csv, capsys):
    code, cap = _run(
        capsys,
        "--demand",
        demand_csv,
        "--current-recharge-amount",
        "50",
        "--current-threshold",
        "50",
        "--failure-rate",
        "0.5",
        "--fix-days",
        "20",
    )
    assert code == EXIT_ALERT
    assert "current settings" in cap.out.splitlines()[-1]


def test_current_trigger_below_the_admin_center_minimum_is_refused(demand_csv, capsys):
    code, cap = _run(
        capsys,
        "--demand",
        demand_csv,
        "--current-recharge-amount",
        "50",
        "--current-threshold",
        "0",
    )
    assert code == EXIT_BAD_INPUT
    assert "does not accept a trigger below 50" in cap.err and "Traceback" not in cap.err


def test_recharge_failures_reach_the_recommendation(demand_csv, capsys):
    _, cap = _run(capsys, "--demand", demand_csv, "--json")
    plain = json.loads(cap.out)
    _, cap = _run(
        capsys, "--demand", demand_csv, "--json", "--failure-rate", "0.1", "--fix-days", "5"
    )
    flaky = json.loads(cap.out)
    assert flaky["settings"]["failure_prob"] == 0.1 and flaky["settings"]["fix_days"] == 5
    # covering five days without auto-recharge after a failed payment takes a higher trigger
    assert flaky["threshold"] > plain["threshold"]
    assert flaky["p_stockout"] <= 0.01


def test_unseeded_runs_print_identical_json(demand_csv, capsys):
    runs = []
    for _ in range(2):
        main(["recommend", "--demand", str(demand_csv), "--json", "--scenarios", "200"])
        runs.append(capsys.readouterr().out)
    assert runs[0] == runs[1]
    assert json.loads(runs[0])["seed"] == 42


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        ([], "nothing to plan from"),
        (["--growth", "fast"], "growth"),
        (["--service-level", "1.5"], "service level"),
        (["--current-threshold", "10"], "go together"),
        (["--licences", "x.csv"], "do not apply to a demand file"),
        (["--rates", "x.csv"], "also needs the licence counts"),
        (["--billing", "monthly"], "billing: prepaid or postpaid"),
        (["--as-of", "yesterday"], "as_of: a date"),
        (["--scenarios", "0"], "scenarios"),
        (["--min-recharge-days", "-1"], "min recharge days"),
        (["--min-amount", "0"], "min amount"),
        (["--failure-rate", "1"], "failure rate"),
        (["--fix-days", "-1"], "fix days"),
        (["--monthly-budget", "-5"], "monthly_budget: must be an amount above 0"),
    ],
)
def test_bad_options(demand_csv, capsys, argv, fragment):
    base = [] if not argv else ["--demand", str(demand_csv)]
    code = main(["recommend", *base, *argv])
    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT
    assert err.startswith("planner: error:") and fragment in err
    assert "Traceback" not in err
