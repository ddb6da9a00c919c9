"""``PlanRequest``: one request for every way in (command line, notebook, batch, backtest),
its parameters the notebook's, every pairing and minimum checked once."""

from __future__ import annotations

import ast
import inspect
import io
import json
import re
from contextlib import redirect_stdout

import pandas as pd
import pytest

from planner.backtest import backtest_history
from planner.batch.tenants import read_tenants
from planner.cli import build_parser, main
from planner.errors import InputError
from planner.plan import REPORT_PARAMETERS, PlanOptions, PlanRequest, current_policy
from planner.recommend import recommend
from planner.report.notebooks import notebook_parameters, notebook_path
from planner.sample import sample_dir

#: plan parameters the report does not take (it plans from usage exports only)
COMMAND_LINE_ONLY = {"demand"}


def test_notebook_parameters_are_the_requests():
    declared = notebook_parameters(notebook_path("funding_plan"))
    mine = PlanRequest.parameters()
    assert set(declared) - REPORT_PARAMETERS == set(mine) - COMMAND_LINE_ONLY
    for name, info in declared.items():
        if name in REPORT_PARAMETERS:
            continue
        assert ast.literal_eval(info["default"]) == mine[name], name


def test_defaults_are_written_once_and_shown_by_help(capsys):
    assert PlanRequest.parameters()["alert_days"] == PlanOptions().alert_days == 14
    assert main(["recommend", "--help"]) == 0
    shown = " ".join(capsys.readouterr().out.split())
    assert f"(default {PlanOptions().service_level:g})" in shown
    assert f"(default {PlanOptions().alert_days})" in shown
    assert "(default prepaid)" in shown


def test_the_options_are_recommends_keywords():
    """One mapping from the options to the model's keywords, each default the model's own."""
    kwargs = PlanOptions().recommend_kwargs()
    taken = inspect.signature(recommend).parameters
    assert set(kwargs) <= set(taken)
    assert set(PlanOptions.names()) - set(kwargs) == {"failure_rate", "monthly_budget"}
    assert kwargs["failure_prob"] == PlanOptions().failure_rate
    for name in ("service_level", "alert_days", "min_amount", "recharge_overhead"):
        assert kwargs[name] == taken[name].default, name


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"rates": "r.csv"}, "rates: a what-if rate card also needs the licence counts"),
        ({"current_threshold": 100}, "current_recharge_amount: the current recharge amount"),
        ({"current_recharge_amount": 100}, "current_threshold: the current recharge amount"),
        ({"current_recharge_amount": 20, "current_threshold": 100}, "below 50"),
        ({"service_level": "high"}, "service_level: a number is needed"),
        ({"service_level": 1.0}, "service level: must be at least 0.5 and below 1"),
        ({"n_scenarios": 0}, "scenario count (--scenarios, n_scenarios): must be at least 1"),
        ({"n_scenarios": 2.5}, "n_scenarios: a whole number is needed"),
        ({"seed": True}, "seed: a whole number is needed"),
        ({"billing": "monthly"}, "billing: prepaid or postpaid"),
        ({"as_of": "2026-13-01"}, "as_of: a date YYYY-MM-DD is needed"),
        ({"keep_alert_spend": "yes"}, "keep_alert_spend: true or false"),
        ({"exports": []}, "exports: no usage export given"),
        ({"demand": "d.csv", "exports": ["x"]}, "demand: give either a demand file or usage"),
        ({"demand": "d.csv", "licences": "l.csv"}, "licences: licences, rates and user"),
        ({"no_such": 1}, "unknown plan parameter 'no_such'"),
        ({"lang": "xx"}, "lang: 'xx' is not available"),
        ({"growth": "fast"}, "growth: cannot read 'fast'"),
    ],
)
def test_every_rule_is_checked_when_the_request_is_built(params, message):
    with pytest.raises(InputError, match=re.escape(message)):
        PlanRequest.from_params(params)


def test_report_parameters_are_accepted_and_licences_alone_everywhere():
    req = PlanRequest.from_params({"tenant": "contoso", "artifacts_dir": None, "licences": "l"})
    assert req.licences == "l" and req.rates is None
    assert PlanRequest.from_params({"exports": "a.csv"}).exports == ("a.csv",)
    assert PlanRequest.from_params({"failure_rate": 0.1}).options.failure_rate == 0.1


def test_current_settings_are_one_policy():
    assert current_policy(None, None) is None
    pol = current_policy(500, 100, lead_days=2)
    assert (pol.recharge_amount, pol.threshold, pol.lead_days, pol.initial) == (500, 100, 2, 500)
    assert current_policy(500, 100, balance=0).initial == 0
    off = current_policy(None, None, auto_recharge=False, balance=300)
    assert off is not None and not off.auto_recharge and off.initial == 300
    req = PlanRequest.from_params({"current_recharge_amount": 500, "current_threshold": 100})
    assert req.current().lead_days == req.options.lead_days == 1


# ---- the same plan from every way in -----------------------------------------------------


FAST = {"n_scenarios": 200, "horizon_days": 120, "seed": 3}


def _cli_request(argv):
    args = build_parser("recommend").parse_args(["recommend", *argv])
    from planner.commands.recommend import request

    return request(args)


def test_cli_notebook_batch_and_backtest_make_the_same_plan(tmp_path):
    root = sample_dir()
    files = {
        "balance": str(root / "balance.csv"),
        "user_licences": str(root / "user_licences.csv"),
    }
    exports = [str(root / "exports")]
    # the notebook's parameters, as papermill passes them
    notebook = {**files, "exports": exports, **FAST, "current_recharge_amount": 500.0,
                "current_threshold": 100.0, "tenant": None, "artifacts_dir": None}  # fmt: skip
    argv = [
        *exports,
        "--balance", files["balance"], "--user-licences", files["user_licences"],
        "--scenarios", "200", "--horizon-days", "120", "--seed", "3",
        "--current-recharge-amount", "500", "--current-threshold", "100",
    ]  # fmt: skip
    (tmp_path / "tenants.yaml").write_text(
        "defaults: {scenarios: 200, horizon_days: 120, seed: 3}\n"
        "tenants:\n"
        f"  - {{name: t, exports: [{exports[0]}], balance: {files['balance']},\n"
        f"     user_licences: {files['user_licences']}, current_recharge_amount: 500,\n"
        "     current_threshold: 100}\n"
    )
    (tenant,) = read_tenants(tmp_path / "tenants.yaml")
    from_cli = _cli_request(argv)
    from_notebook = PlanRequest.from_params(notebook)
    from_batch = PlanRequest.from_report_params(tenant.parameters)
    assert from_cli == from_notebook == from_batch

    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["recommend", *argv, "--json"])
    printed = json.loads(out.getvalue())
    result = from_notebook.run()
    assert printed == json.loads(json.dumps(result.to_json(), default=float))
    assert code == result.exit_code

    # the backtest plans the first days of a history as `recommend --demand` does
    history = result.history.round(2)
    fit = len(history) - 120
    demand = tmp_path / "demand.csv"
    days = history.index[:fit].strftime("%Y-%m-%d")
    pd.DataFrame({"date": days, "amount": history.iloc[:fit]}).to_csv(demand, index=False)
    back = backtest_history(history, result.currency, fit_days=fit, options=from_cli.options)
    out = io.StringIO()
    with redirect_stdout(out):
        main(["recommend", "--demand", str(demand), "--currency", result.currency,
              "--scenarios", "200", "--horizon-days", "120", "--seed", "3", "--json"])  # fmt: skip
    planned = json.loads(out.getvalue())
    for key in ("initial", "recharge_amount", "threshold"):
        assert back[key] == planned[key], key
    assert back["promised_p"] == planned["p_stockout"]


# ---- when the balance was read -------------------------------------------------------------


def test_as_of_starts_the_plan_and_drops_the_lots_expired_by_then(tmp_path, capsys):
    days = pd.date_range("2025-01-01", periods=120, freq="D")
    demand = tmp_path / "demand.csv"
    pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "amount": 10.0}).to_csv(demand, index=False)
    lots = tmp_path / "Expired.csv"
    lots.write_text("purchase_date,amount\n2024-05-10,100\n2025-03-01,900\n")
    argv = ["recommend", "--demand", str(demand), "--balance", str(lots), "--scenarios", "100"]
    assert main([*argv, "--json"]) in (0, 3)
    usual = json.loads(capsys.readouterr().out)
    assert usual["balance_as_of"] == "2025-05-01" and usual["balance"] == 1000
    assert not any(str(lots) in w for w in usual["warnings"])

    assert main([*argv, "--as-of", "2025-05-20", "--json"]) in (0, 3)
    later = json.loads(capsys.readouterr().out)
    assert later["balance_as_of"] == later["scenarios"]["start"] == "2025-05-20"
    assert later["balance"] == 900 and later["scenarios"]["horizon_days"] == 365
    warning = later["warnings"][0]
    assert warning.startswith(f"{lots}: ") and "2024-05-10" in warning
    # the text prints the same warning, the file's name as it is
    assert main([*argv, "--as-of", "2025-05-20"]) in (0, 3)
    assert warning in capsys.readouterr().out

    assert main([*argv, "--as-of", "2025-04-15"]) == 2
    assert "as_of: the balance was read on 2025-04-15, before the end" in capsys.readouterr().err
    # a balance read years after the usage (a mistyped year) is refused for what it is
    assert main([*argv, "--as-of", "2099-05-01"]) == 2
    err = capsys.readouterr().err
    assert "as_of: the balance was read on 2099-05-01, 27,029 days after the last usage" in err
    assert "give a day up to 2026-05-01" in err and "horizon" not in err
