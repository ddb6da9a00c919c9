"""What the command line prints (planner.text.console): the same words in English as always,
French with ``--lang fr``, plural forms, shared option groups."""

from __future__ import annotations

import argparse
import datetime as dt
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from planner import recommend, text
from planner.cli import main
from planner.commands import recommend as recommend_command
from planner.commands import report as report_command
from planner.errors import EXIT_BAD_INPUT
from planner.text import catalogue, console


@pytest.fixture
def demand_csv(tmp_path):
    """Four months of weekday-heavy spend."""
    days = pd.date_range("2025-01-01", periods=120, freq="D")
    spend = np.random.default_rng(5).gamma(3, 3.0, len(days)) * (1 + (days.day_of_week < 5))
    path = tmp_path / "demand.csv"
    frame = pd.DataFrame({"date": days.date, "amount": spend.round(2)})
    frame.to_csv(path, index=False)
    return path


def _alert(calls: int) -> SimpleNamespace:
    return SimpleNamespace(
        severity="high", kind="night_burst", first_date=dt.date(2026, 10, 26),
        last_date=dt.date(2026, 10, 27), upn="a@b.c", country="CU", amount_cents=123456,
        currency="USD", calls=calls, explanation="why", usage_ids=("u1",),
        runway_days_at_this_rate=1,
    )  # fmt: skip


def test_the_cost_formula_is_stated_once_and_translated():
    """recommend.COST_FORMULA is the one statement; the catalogue finds it there."""
    assert recommend.COST_FORMULA in catalogue.messages()
    assert not hasattr(console, "COST_FORMULA")
    with text.language("fr"):
        assert text.t(recommend.COST_FORMULA) != recommend.COST_FORMULA


def test_one_alert_call_is_singular_in_both_languages():
    first = console.alert_lines(_alert(1))
    assert first[0].endswith("$1,234.56, 1 call")
    assert first[2].endswith("At this rate today's balance lasts 1 day.")
    assert console.alert_lines(_alert(2))[0].endswith(", 2 calls")
    assert "2026-10-26 to 2026-10-27" in first[0]
    with text.language("fr"):
        fr = console.alert_lines(_alert(1))
    assert fr[0].endswith("1\u202f234,56\xa0$US, 1 appel") and "2026-10-26 au 2026-10-27" in fr[0]
    assert fr[3] == "       appels (UsageId)\u202f: u1"


def test_recommend_tables_in_french(demand_csv, tmp_path, capsys):
    lots = tmp_path / "lots.csv"
    lots.write_text("purchase_date,amount\n2025-03-01,300\n")
    argv = ["recommend", "--demand", str(demand_csv), "--scenarios", "200", "--seed", "1",
            "--balance", str(lots)]  # fmt: skip
    main(argv)
    english = capsys.readouterr().out
    assert "recharges/mo" in english and "Today's lots (balance as of 2025-05-01):" in english
    main([*argv, "--lang", "fr"])
    french = capsys.readouterr().out
    assert "rechargements/mois" in french and "recommandé" in french
    assert "Lots d'aujourd'hui (solde au 2025-05-01)\u202f:" in french
    assert "Montants en USD\u202f; coût = crédit perdu" in french
    assert french.splitlines()[-1].startswith("planner: OK ")


def test_simulate_summary_in_french(tmp_path, capsys):
    path = tmp_path / "demand.csv"
    path.write_text("date,amount\n2024-01-01,10.00\n2024-01-02,12.50\n")
    argv = ["simulate", "--demand", str(path), "--initial", "5", "--no-auto-recharge"]
    main(argv)
    english = capsys.readouterr().out.splitlines()
    assert english[0] == (
        "Replayed 2 days, 1 Jan 2024 to 2 Jan 2024: initial 5.00, auto-recharge off."
    )
    assert english[5] == "  unserved           17.50 on 2 stock-out days, first on 1 Jan 2024"
    main([*argv, "--lang", "fr"])
    french = capsys.readouterr().out.splitlines()
    assert french[0].startswith("Rejoué sur 2 jours, du 1 janv. 2024 au 2 janv. 2024")
    assert french[5].startswith("  non servi ") and "2 jours de rupture" in french[5]


def test_unknown_language_is_one_line_exit_2(demand_csv, capsys):
    code = main(["recommend", "--demand", str(demand_csv), "--lang", "xx"])
    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT
    assert "lang: 'xx' is not available; choose one of en, fr" in err and len(err.splitlines()) == 1


def test_report_takes_the_planning_options_of_recommend_without_defaults():
    rec, rep = argparse.ArgumentParser(), argparse.ArgumentParser()
    recommend_command.add_arguments(rec)
    report_command.add_arguments(rep)
    plan = ["--service-level", "0.95", "--horizon-days", "200", "--seed", "7", "--growth", "0.1"]
    a = rec.parse_args(["--demand", "d.csv", *plan])
    b = rep.parse_args(["x", *plan])
    for dest in ("service_level", "horizon_days", "seed", "growth"):
        assert getattr(a, dest) == getattr(b, dest)
    # report passes only the options given to the notebook, which has the same defaults
    assert rep.parse_args(["x"]).service_level is None
    assert rec.parse_args(["--demand", "d.csv"]).service_level == 0.99


def test_backtest_table_keeps_its_markdown_shape():
    row = {"tenant": "tiny", "mean_daily": 1.774, "overhead": 10.0, "holding": 0.05,
           "initial": 350.0, "recharge_amount": 350.0, "threshold": 50.0, "promised_p": 0.002,
           "realised_p_year1": 0.0, "cost_2y": 62.4, "best_grid_cost_2y": 61.2,
           "best_grid": "381 below 50", "cost_ratio": 1.0196}  # fmt: skip
    lines = console.backtest_table(pd.DataFrame([row])).splitlines()
    assert lines[0].startswith("| tenant | spend/day | overhead, holding |")
    assert (
        lines[2]
        == "| tiny | 1.77 | 10, 0.05 | 350, 350, 50 | 0.2% | 0% | 62 | 61 (381 below 50) | 1.02 |"
    )


def test_the_command_exits_at_once_with_its_code_and_waits_for_a_thread_at_work(tmp_path):
    """``planner`` skips the interpreter's teardown once done, with every line printed and
    its exit code kept; a thread still at work is waited for as usual."""
    import subprocess
    import sys

    def run(code: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)

    quick = run(
        "import sys; from planner import cli; sys.argv = ['planner', 'report', 'nowhere.csv']\n"
        "cli.entry()"
    )
    assert quick.returncode == EXIT_BAD_INPUT and "nowhere.csv" in quick.stderr
    done = tmp_path / "done"
    waited = run(
        "import sys, threading, time, pathlib\nfrom planner import cli\n"
        f"def work():\n    time.sleep(0.5); pathlib.Path({str(done)!r}).write_text('ok')\n"
        "threading.Thread(target=work).start()\n"
        "sys.argv = ['planner', '--version']\ncli.entry()"
    )
    assert waited.returncode == 0 and waited.stdout.startswith("planner ")
    assert done.read_text() == "ok"
