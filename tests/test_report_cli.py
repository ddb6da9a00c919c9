"""`planner report` / `planner demo` options: how notebook parameters are collected."""

from __future__ import annotations

import argparse

import pytest

from planner.commands import demo
from planner.commands import report as cmd
from planner.errors import InputError
from planner.report.params import read_params_file


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cmd.add_arguments(parser)
    return parser.parse_args(argv)


def test_named_options_become_notebook_parameters():
    args = _parse(
        ["x.zip", "--scenarios", "300", "--service-level", "0.95", "--growth", "+10%/year",
         "--balance", "lots.csv", "--current-recharge-amount", "500", "--alert-days", "30"]
    )  # fmt: skip
    params = cmd.collect_parameters(args)
    assert params == {
        "n_scenarios": 300,
        "service_level": 0.95,
        "growth": "+10%/year",
        "balance": "lots.csv",
        "current_recharge_amount": 500.0,
        "alert_days": 30,
    }
    assert args.out == "reports" and args.inputs == ["x.zip"]


def test_params_file_then_options_then_p_pairs(tmp_path):
    params_file = tmp_path / "params.yaml"
    params_file.write_text("seed: 1\nhorizon_days: 90\ntimezone: Europe/Paris\nstart: 2026-01-01\n")
    args = _parse(
        ["x.zip", "--params", str(params_file), "--seed", "2", "-p", "horizon_days", "60",
         "-p", "exports", "[a.zip, b.zip]", "-p", "current_auto_recharge", "false",
         "-p", "tenant", "Contoso"]
    )  # fmt: skip
    params = cmd.collect_parameters(args)
    assert params["seed"] == 2  # option beats file
    assert params["horizon_days"] == 60  # -p beats file
    assert params["timezone"] == "Europe/Paris"
    assert params["start"] == "2026-01-01"  # YAML dates arrive as ISO text
    assert params["exports"] == ["a.zip", "b.zip"]
    assert params["current_auto_recharge"] is False and params["tenant"] == "Contoso"


@pytest.mark.parametrize(
    ("text", "message"),
    [("- a\n- b\n", "must hold a mapping"), ("a: [1,\n", "not valid YAML")],
)
def test_bad_params_file_is_bad_input(tmp_path, text, message):
    path = tmp_path / "p.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        read_params_file(path)
    with pytest.raises(InputError, match="no such file"):
        read_params_file(tmp_path / "missing.yaml")


def test_demo_options():
    parser = argparse.ArgumentParser()
    demo.add_arguments(parser)
    args = parser.parse_args(["--out", "r", "--scenarios", "100"])
    assert cmd.collect_parameters(args, base={"exports": ["s"]}) == {
        "exports": ["s"],
        "n_scenarios": 100,
    }
