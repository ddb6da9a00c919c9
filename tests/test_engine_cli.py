"""``planner simulate``: replay a demand file from the command line."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pandas as pd
import pytest

from planner.cli import main
from planner.commands import simulate as simulate_command


@pytest.fixture
def demand_csv(tmp_path):
    path = tmp_path / "demand.csv"
    path.write_text(
        "date,currency,amount,toll_free\n"
        "2024-01-01,EUR,10.00,10.00\n"
        "2024-01-02,EUR,12.50,12.50\n"
        "2024-01-05,EUR,30.00,30.00\n"  # 3 and 4 January: no calls
    )
    return path


def simulate(*argv):
    """``planner simulate``; same-day funds unless the test sets ``--lead-days``."""
    args = list(map(str, argv))
    if "--lead-days" not in args:
        args += ["--lead-days", "0"]
    return main(["simulate", *args])


def test_lead_days_default_is_recommends(demand_csv, capsys):
    parser = argparse.ArgumentParser()
    simulate_command.add_arguments(parser)
    assert parser.parse_args(["--demand", "x"]).lead_days == 1


def test_summary_names_totals_and_currency(demand_csv, capsys):
    code = simulate(
        "--demand", demand_csv, "--initial", 20, "--recharge-amount", 25, "--threshold", 5
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "Replayed 5 days, 1 Jan 2024 to 5 Jan 2024" in out
    assert "purchased          €70.00 (2 recharges)" in out
    assert "2 recharge succeeded, 0 recharge failed, 0 balance reached zero" in out


def test_trajectory_file_one_row_per_day_and_conserves_money(demand_csv, tmp_path, capsys):
    target = tmp_path / "out" / "trajectory.csv"
    code = simulate(
        "--demand", demand_csv, "--initial", 20, "--recharge-amount", 25, "--threshold", 5,
        "--trajectory", target,
    )  # fmt: skip
    assert code == 0
    t = pd.read_csv(target)
    assert list(t.columns) == [
        "date", "demand", "served", "unserved", "purchased", "expired", "balance",
    ]  # fmt: skip
    assert t["date"].tolist() == [f"2024-01-0{d}" for d in range(1, 6)]
    assert t["demand"].tolist() == [10, 12.5, 0, 0, 30]
    assert t["purchased"].tolist() == [20, 25, 0, 0, 25]
    previous = np.concatenate([[0.0], t["balance"].to_numpy()[:-1]])
    np.testing.assert_allclose(t["balance"], previous + t["purchased"] - t["served"] - t["expired"])
    assert not list(target.parent.glob(".*.tmp"))  # no temporary file left behind
    assert f"wrote {target}" in capsys.readouterr().out


def test_json_metrics_and_email_events(demand_csv, capsys):
    code = simulate(
        "--demand", demand_csv, "--initial", 15, "--recharge-amount", 10, "--threshold", 1,
        "--lead-days", 2, "--json",
    )  # fmt: skip
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    assert doc["currency"] == "EUR" and doc["days"] == 5
    assert doc["policy"]["lead_days"] == 2
    # day 0 ends at 5; day 1 runs dry (7.5 unserved) and orders 1 recharge, usable on day 3;
    # day 4's 30 use those 10 and run dry again
    assert doc["metrics"]["first_stockout"] == "2024-01-02"
    assert doc["metrics"]["unserved"] == pytest.approx(7.5 + 20)
    assert doc["events"] == [
        {"date": "2024-01-02", "event": "balance_zero", "amount": 0.0},
        {"date": "2024-01-04", "event": "recharge_succeeded", "amount": 10.0},
        {"date": "2024-01-05", "event": "balance_zero", "amount": 0.0},
    ]


def test_failed_recharges_are_reported_and_repeatable_with_a_seed(demand_csv, capsys):
    argv = ["--demand", demand_csv, "--initial", 15, "--recharge-amount", 10, "--threshold", 5]
    code = simulate(*argv, "--failure-prob", 1, "--fix-days", 1, "--json")
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    # attempts on 1 January (15 - 10 = 5, not below 5: none), 2 January (fails), then
    # suspended on the 3rd, 4 January (0 + 0 < 5: fails again)
    failed = [e["date"] for e in doc["events"] if e["event"] == "recharge_failed"]
    assert failed == ["2024-01-02", "2024-01-04"]
    assert doc["metrics"]["purchased"] == 15
    assert doc["metrics"]["failed_recharges"] == 2
    outputs = []
    for _ in range(2):
        assert simulate(*argv, "--failure-prob", 0.5, "--seed", 3, "--json") == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    assert simulate(*argv, "--failure-prob", 0.5) == 0
    assert "attempts fail with chance 0.5" in capsys.readouterr().out


def test_start_and_lots(demand_csv, tmp_path, capsys):
    lots = tmp_path / "lots.csv"
    lots.write_text("purchase_date,amount\n2023-06-01,100.00\n2023-01-03,20.00\n")
    code = simulate(
        "--demand", demand_csv, "--no-auto-recharge", "--start", "2024-01-02", "--lots", lots,
        "--json",
    )  # fmt: skip
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    assert doc["start"] == "2024-01-02" and doc["days"] == 4
    m = doc["metrics"]
    # 2 January uses 12.5 of the older lot; its 7.5 left expire on 3 January; 5 January's 30
    # come from the newer lot
    assert m["start_balance"] == 120
    assert m["expired"] == 7.5
    assert m["end_balance"] == 70


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--initial", "-3", "--no-auto-recharge"], "--initial: must be >= 0"),
        (["--recharge-amount", "0", "--threshold", "5"], "--recharge-amount: must be > 0"),
        (["--recharge-amount", "10"], "auto-recharge needs --threshold"),
        (
            ["--no-auto-recharge", "--lead-days", "-1"],
            "--lead-days: lead time in days '-1' must be between 0 and 60",
        ),
        (["--no-auto-recharge", "--failure-prob", "2"], "--failure-prob: must be in [0, 1]"),
        (["--no-auto-recharge", "--fix-days", "-2"], "--fix-days: must be >= 0"),
        (["--no-auto-recharge", "--start", "2023-12-31"], "--start 2023-12-31 is outside"),
        (["--no-auto-recharge", "--start", "soon"], "--start 'soon' is not a date"),
    ],
)
def test_bad_options_exit_2_with_one_line(demand_csv, capsys, argv, message):
    code = simulate("--demand", demand_csv, *argv)
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_lots_bought_after_the_start_are_refused(demand_csv, tmp_path, capsys):
    lots = tmp_path / "lots.csv"
    lots.write_text("purchase_date,amount\n2024-01-03,50\n")
    code = simulate("--demand", demand_csv, "--no-auto-recharge", "--lots", lots)
    assert code == 2
    assert "a lot bought on 2024-01-03, after the start 2024-01-01" in capsys.readouterr().err


def test_missing_demand_file_exit_2(tmp_path, capsys):
    code = simulate("--demand", tmp_path / "nope.csv", "--no-auto-recharge")
    assert code == 2
    assert "no such file" in capsys.readouterr().err


def test_unwritable_trajectory_exit_2(demand_csv, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    code = simulate("--demand", demand_csv, "--no-auto-recharge", "--trajectory", blocker / "t.csv")
    assert code == 2
    assert "cannot write" in capsys.readouterr().err
