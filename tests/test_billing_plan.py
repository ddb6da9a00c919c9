"""The monthly forecast in every output of a plan: the request's budget, the post-paid bill
and credits, ``planner recommend`` (text and JSON), the funding report's section and the
workbook's sheet. Each forecast comes from the plan's own scenarios, to the cent."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planner import text
from planner.billing import credits_run_out
from planner.cli import main
from planner.engine import Policy, paths, to_cents
from planner.plan import PlanOptions, PlanRequest
from planner.report import forecast_frame, forecast_markdown
from planner.report.params import check_parameter
from planner.report.workbook import workbook_sheets
from planner.text.console import plan_text

SMALL = PlanOptions(n_scenarios=300, horizon_days=400, seed=7, monthly_budget=250)


def _history() -> pd.Series:
    rng = np.random.default_rng(11)
    days = pd.date_range("2026-01-10", periods=240, freq="D")
    values = 9.0 * np.where(days.day_of_week < 5, 1.2, 0.4) * rng.gamma(3, 1 / 3, len(days))
    return pd.Series(values.round(2), index=days, name="demand")


def _lots(tmp_path, amount: float = 600.0) -> str:
    path = tmp_path / "lots.csv"
    path.write_text(f"purchase_date,amount\n2026-08-01,{amount}\n")
    return str(path)


def _plan(tmp_path, **params):
    request = PlanRequest.from_params(params)
    request = PlanRequest(**{**request.__dict__, "options": SMALL})
    return request.plan_history(_history(), "USD")


def _month_cents(cents: np.ndarray, days: pd.Series) -> np.ndarray:
    ends = np.cumsum(days.to_numpy())
    return np.stack([cents[:, e - d : e].sum(axis=1) for d, e in zip(days, ends, strict=True)], 1)


def test_prepaid_forecast_is_the_plans_scenarios_to_the_cent(tmp_path):
    result = _plan(tmp_path, balance=_lots(tmp_path))
    fc, sc = result.forecast, result.recommendation.scenarios
    assert fc is not None and fc.basis == "spend" and fc.n_scenarios == sc.n_scenarios
    m = fc.months
    assert len(m) == 12 and m["first_day"].iloc[0] == sc.start
    # every day of every scenario in whole cents, as the balance engine counts them
    totals = _month_cents(to_cents(sc.paths), m["days"])
    assert int(m["expected_cents"].sum()) == round(totals.sum(axis=1).mean())
    assert int(m["expected_cents"].sum()) == fc.mean_total_cents
    assert (np.abs(m["expected_cents"] - totals.mean(axis=0)) < 1).all()
    assert (m["p_over_budget"] == (totals > 25000).mean(axis=0)).all()
    doc = result.to_json()
    assert doc["forecast"]["monthly_budget"] == 250.0
    assert round(sum(x["expected"] for x in doc["forecast"]["months"]) * 100) == fc.mean_total_cents
    assert result.summary()["forecast"] == doc["forecast"]
    assert doc["recharge_amount"] is not None and "postpaid" not in doc


def test_postpaid_forecasts_the_bill_the_credits_leave(tmp_path):
    result = _plan(tmp_path, billing="postpaid", balance=_lots(tmp_path))
    fc, rec = result.forecast, result.recommendation
    assert fc is not None and fc.basis == "bill"
    sc = rec.scenarios
    off = Policy(initial=0.0, recharge_amount=0.0, threshold=0.0, auto_recharge=False)
    billed = to_cents(paths(sc.paths, sc.start, off, lots=rec.lots)["unserved"])
    totals = _month_cents(billed, fc.months["days"])
    assert int(fc.months["expected_cents"].sum()) == round(totals.sum(axis=1).mean())
    spend = _month_cents(to_cents(sc.paths), fc.months["days"]).sum(axis=1).mean()
    assert fc.mean_total_cents < spend  # the credits pay the first days
    assert fc.months["expected_cents"].iloc[0] < fc.months["expected_cents"].iloc[-1]
    assert result.run_out == credits_run_out(sc, rec.lots)
    doc = json.loads(json.dumps(result.to_json(), default=str))
    assert doc["initial"] is None and doc["recharge_amount"] is None and doc["threshold"] is None
    assert doc["credits_run_out"]["median"] == result.run_out.median.date().isoformat()
    assert doc["postpaid"]["bill_total"] == doc["forecast"]["expected_total"]
    printed = plan_text(result)
    assert "Monthly bill, next 12 months" in printed
    assert "recharges/mo" not in printed and "first purchase" not in printed
    assert text.date(result.run_out.median) in printed


def test_postpaid_without_a_balance_bills_every_day(tmp_path):
    result = _plan(tmp_path, billing="postpaid")
    fc, sc = result.forecast, result.recommendation.scenarios
    assert fc.basis == "bill" and result.run_out is None
    totals = _month_cents(to_cents(sc.paths), fc.months["days"])
    assert fc.mean_total_cents == round(totals.sum(axis=1).mean())


def test_report_section_and_workbook_sheet(tmp_path):
    for billing, key, title in (("prepaid", "monthly_forecast", "Monthly spend forecast"),
                                ("postpaid", "monthly_bill", "The monthly bill")):  # fmt: skip
        fc = _plan(tmp_path, billing=billing).forecast
        md = forecast_markdown(fc)
        assert md.startswith(f"## {title}") and md.count("\n| ") == 1 + len(fc.months)
        assert text.cents(fc.mean_total_cents, "USD").replace("$", "&#36;") in md
        tables = forecast_frame(fc)
        assert list(tables) == [key]
        frame = tables[key]
        assert frame["expected_cents"].sum() == fc.mean_total_cents
        sheets = workbook_sheets(tables, {"currency": "USD"})
        sheet = sheets[1]
        assert sheet.headers["expected_cents"] == "Expected (USD)"
        assert sheet.formats["p_over_budget"] == "percent"
    with text.language("fr"):
        md = forecast_markdown(fc)
        assert md.startswith("## La facture mensuelle") and "Attendu" in md


def test_monthly_budget_is_a_report_parameter():
    assert check_parameter("monthly_budget", 1500) == 1500
    assert check_parameter("monthly_budget", None) is None
    for bad in (0, -2, "lots", True):
        with pytest.raises(Exception, match="monthly_budget"):
            check_parameter("monthly_budget", bad)


def test_recommend_postpaid_prints_the_bill_and_no_recharge(tmp_path, capsys):
    demand = tmp_path / "demand.csv"
    _history().rename_axis("date").rename("amount").to_csv(demand)
    argv = ["recommend", "--demand", str(demand), "--billing", "postpaid", "--balance",
            _lots(tmp_path), "--scenarios", "200", "--monthly-budget", "300"]  # fmt: skip
    assert main([*argv, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["forecast"]["basis"] == "bill" and doc["forecast"]["monthly_budget"] == 300.0
    assert doc["recharge_amount"] is None and doc["credits_run_out"]["balance"] == 600.0
    assert "p_over_budget" in doc["forecast"]["months"][0]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "Chance above $300.00" in out and "post-usage billing starts" in out
    status = out.strip().splitlines()[-1]
    assert "credits last" in status and "runway" not in status  # no balance to run dry


def test_postpaid_plan_speaks_of_the_forecast_not_of_a_balance(tmp_path):
    from planner.sample import sample_dir

    exports = str(Path(sample_dir()) / "exports")
    for billing, words, absent in (
        ("postpaid", "The forecast is the tenant's own calls", "The balance funds"),
        ("prepaid", "The balance funds the tenant's own calls", "The forecast is"),
    ):
        request = PlanRequest.from_params(
            {"exports": [exports], "n_scenarios": 100, "billing": billing}
        )
        explanation = " ".join(request.run().recommendation.explanation)
        assert words in explanation and absent not in explanation


def test_limits_section_and_sheet_are_the_limits_commands(capsys):
    from planner.limits.report import limits_markdown
    from planner.report import limits_frame, limits_section
    from planner.sample import sample_dir

    exports = str(Path(sample_dir()) / "exports")
    request = PlanRequest.from_params({"exports": [exports], "n_scenarios": 100})
    result = request.run()
    limits = result.spend_limits()
    assert limits is not None
    assert main(["limits", exports, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert json.loads(json.dumps(limits.to_json())) == doc
    section = limits_section(limits)
    command = limits.policies[0].command
    assert f"    {command}" in section and "$true" in command  # a code block keeps its $
    assert section.startswith(limits_markdown(limits).split("\n")[0])
    sheet = workbook_sheets(limits_frame(limits), {"currency": "USD"})[1]
    assert sheet.headers["blocked_spend"] == "Spend blocked (USD)"
    assert sheet.frame["command"].str.startswith("Set-CsTeamsCallingPolicy").sum() == 1
    assert limits_frame(None) == {} and "No call records" in limits_section(None)


def test_postpaid_report_has_no_recharge_sections_or_rows(tmp_path):
    from planner.report import plan_summary, recharge_section
    from planner.report.billing import RECHARGE_SECTIONS

    result = _plan(tmp_path, billing="postpaid", balance=_lots(tmp_path))
    assert all(recharge_section(name, False) == "" for name in RECHARGE_SECTIONS)
    assert recharge_section("emails", True).startswith("## The e-mails Microsoft would send")
    args = {"alert": (0, "planner: OK"), "tenant": "t", "period": "p", "demand_kind": "actual"}
    rows = plan_summary(result.recommendation, outlook=result.outlook, **args)["rows"]
    labels = [label for label, _, _ in rows]
    assert "Auto-recharge amount" not in labels and "Add funds now" not in labels
    bill = dict((label, value) for label, value, _ in rows)["Expected bill, next 12 months"]
    assert bill == result.to_json()["forecast"]["expected_total"]
    assert "Credits run out (median)" in labels
    prepaid = plan_summary(result.recommendation, **args)["rows"]
    assert "Auto-recharge amount" in [label for label, _, _ in prepaid]


def test_the_reading_guide_of_a_postpaid_plan_has_no_policy_to_choose():
    from planner.report import reading_guide_markdown

    postpaid, prepaid = reading_guide_markdown(postpaid=True), reading_guide_markdown()
    assert "When the credits run out" in postpaid and "Monthly bill forecast" in postpaid
    assert "policy" not in postpaid and "Expected cost" not in postpaid
    assert "Expected cost" in prepaid and "policy" in prepaid
