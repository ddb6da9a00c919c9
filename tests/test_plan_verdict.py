"""One verdict, and sentences that agree with the numbers: OK / ACT / ALERT with reasons, the
first purchase with its reason, fraud left out of the demand, post-paid tenants."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from planner import text
from planner.alerts.inject import export_csv, inject
from planner.errors import EXIT_ALERT, EXIT_OK
from planner.ingest import read_exports
from planner.plan import PlanOptions, PlanRequest, Reason, Verdict
from planner.sample import sample_dir
from planner.text import funding as funding_text
from planner.text import plan as plan_text

SMALL = PlanOptions(n_scenarios=200, horizon_days=120, seed=1)


def _history(seed: int, mean: float, bursty: bool) -> pd.Series:
    rng = np.random.default_rng(seed)
    days = pd.date_range("2025-01-01", periods=200, freq="D")
    values = mean * np.where(days.day_of_week < 5, 1.2, 0.5) * rng.gamma(4, 0.25, len(days))
    if bursty:
        values[rng.integers(0, len(days), 4)] *= 6
    return pd.Series(values.round(2), index=days, name="demand")


def _lots(tmp_path, amount: float, day: str = "2025-06-01"):
    path = tmp_path / f"lots-{amount:g}.csv"
    path.write_text(f"purchase_date,amount\n{day},{amount}\n")
    return str(path)


#: (seed, mean daily spend, bursts, today's balance and current settings in months of spend)
CASES = [
    (1, 8.0, False, None, None),
    (1, 8.0, False, 0.3, None),
    (2, 40.0, True, 3.0, None),
    (2, 40.0, True, 0.3, (1.0, 0.2)),
    (3, 150.0, False, None, (1.0, 0.2)),
    (3, 150.0, False, 3.0, (0.5, 0.1)),
    (4, 25.0, True, 0.05, None),
]


@pytest.mark.parametrize(("seed", "mean", "bursty", "lots", "current"), CASES)
def test_no_sentence_contradicts_the_numbers(tmp_path, seed, mean, bursty, lots, current):
    history = _history(seed, mean, bursty)
    month = 30 * mean
    params: dict = {}
    if lots is not None:
        params["balance"] = _lots(tmp_path, round(lots * month))
    if current is not None:
        params["current_recharge_amount"] = max(50.0, round(current[0] * month))
        params["current_threshold"] = max(50.0, round(current[1] * month))
    req = replace(PlanRequest.from_params(params), options=replace(SMALL, seed=seed))
    result = req.plan_history(history, "USD")
    rec, verdict = result.recommendation, result.verdict
    words = " ".join(rec.explanation)
    cur = rec.currency

    # a first purchase beside today's balance always comes with its reason, never beside
    # "no purchase needed"
    if rec.position is not None and rec.policy.initial > 0:
        reason = verdict.reason("add_now")
        assert reason is not None and verdict.level in ("ACT", "ALERT")
        assert plan_text.add_now_phrase(reason.values, cur) in words
        assert "no purchase needed" not in words.lower()
        v = reason.values
        assert v["below_trigger"] or v["p_without"] > v["allowed"]
    else:
        assert verdict.reason("add_now") is None

    # the verdict, the status line and the exit code say one thing; an ALERT says why
    status = result.status
    assert status.startswith(f"planner: {verdict.level} ")
    assert result.exit_code == (EXIT_ALERT if verdict.level == "ALERT" else EXIT_OK)
    assert verdict.level == "OK" or verdict.reasons
    for r in verdict.reasons:
        assert plan_text.reason_phrase(r, cur) in status
    assert result.to_json()["verdict"] == verdict.to_json()

    # every alternative's sentence is true of its row
    alts = rec.alternatives
    target = 1 - rec.service_level
    for row in alts.itertuples(index=False):
        line = row.explanation
        diff = row.cost - rec.cost
        if row.option == "recommended":
            cheaper = alts[(alts["p_stockout"] <= target) & (alts["cost"] < rec.cost - 0.5)]
            if "cheapest that meets the service level" in line:
                assert cheaper.empty, (line, cheaper)
        elif abs(diff) >= 0.5:
            word = "more" if diff > 0 else "less"
            assert f"{text.money(abs(diff), cur)} {word} than recommended" in line, line
    bursts = plan_text.unseen_bursts_sentence(rec)
    if bursts is not None:
        safer = rec.safer_alternative()
        diff = float(safer["cost"]) - rec.cost
        if abs(diff) >= 0.5:
            assert text.money(abs(diff), cur) in bursts
        assert ("lower." in bursts) == (diff <= -0.5)
        assert ("higher." in bursts) == (diff >= 0.5)


def test_a_verdict_is_its_most_urgent_reason():
    act = Reason("add_now", "ACT", {})
    alert = Reason("runway", "ALERT", {"pessimistic": 3, "alert_days": 14})
    assert Verdict("OK").exit_code == EXIT_OK
    v = Verdict("ALERT", (alert, act))
    assert v.exit_code == EXIT_ALERT and v.reason("add_now") is act
    assert v.to_json()["reasons"][0] == {"code": "runway", "level": "ALERT", "pessimistic": 3,
                                         "alert_days": 14}  # fmt: skip


# ---- fraud is not demand ----------------------------------------------------------------


@pytest.fixture(scope="module")
def fraud(tmp_path_factory):
    """The sample tenant written as one export, clean and with premium-rate fraud."""
    root = tmp_path_factory.mktemp("fraud")
    records = read_exports([sample_dir() / "exports"]).records
    injected, truth = inject(
        records, "premium", np.random.default_rng(7), day="2026-10-25", intensity=1.0
    )
    (root / "clean").mkdir()
    (root / "fraud").mkdir()
    (root / "clean" / "calls.csv").write_bytes(export_csv(records))
    (root / "fraud" / "calls.csv").write_bytes(export_csv(injected))
    return root, truth


def _plan(folder, **params):
    base = {
        "exports": [str(folder)],
        "balance": str(sample_dir() / "balance.csv"),
        "n_scenarios": 300,
        "seed": 7,
        **params,
    }
    return PlanRequest.from_params(base).run()


def test_fraud_is_left_out_of_the_demand_and_makes_an_alert(fraud):
    root, truth = fraud
    clean = _plan(root / "clean")
    flagged = _plan(root / "fraud")
    assert clean.left_out is None and clean.verdict.reason("high_alert") is None
    a, b = clean.recommendation.policy, flagged.recommendation.policy
    assert abs(b.threshold - a.threshold) <= 0.1 * a.threshold
    assert abs(b.recharge_amount - a.recharge_amount) <= 0.1 * a.recharge_amount

    # the alert makes the verdict, named in the status line and the first sentence
    assert flagged.verdict.level == "ALERT" and flagged.exit_code == EXIT_ALERT
    reason = flagged.verdict.reason("high_alert")
    assert reason is not None and reason.values["upn"] == truth.upn
    assert funding_text.kind_words(reason.values["kind"]) in flagged.status
    assert truth.upn in flagged.status and "5 high alerts" in flagged.status
    assert "high alert" in flagged.recommendation.explanation[0]

    # the plan says what it left out: amount, dates, why
    out = flagged.left_out
    injected = int(truth.calls["charge_cents"].fillna(0).sum()
                   + truth.calls["connection_fee_cents"].fillna(0).sum())  # fmt: skip
    assert 0.9 * injected <= out.amount_cents <= injected
    assert out.first_date >= truth.first_day.date() and "premium_rate" in out.kinds
    words = " ".join(flagged.recommendation.explanation)
    assert f"The plan leaves out {text.money(out.amount_cents / 100, 'USD', 2)}" in words
    doc = json.loads(json.dumps(flagged.to_json(), default=float))
    assert doc["left_out"]["amount"] == round(out.amount_cents / 100, 2)
    assert doc["verdict"]["level"] == "ALERT"

    # --keep-alert-spend funds it: the demand is the whole history again
    kept = _plan(root / "fraud", keep_alert_spend=True)
    assert kept.left_out is None and kept.verdict.level == "ALERT"
    assert kept.history.sum() == pytest.approx(flagged.history.sum() + out.amount_cents / 100)


# ---- post-paid tenants ---------------------------------------------------------------------


def test_postpaid_recommends_no_recharge_and_tells_to_turn_auto_recharge_off(tmp_path):
    history = _history(4, 30.0, False)
    params = {
        "billing": "postpaid",
        "balance": _lots(tmp_path, 900),
        "current_recharge_amount": 500,
        "current_threshold": 100,
    }
    result = replace(PlanRequest.from_params(params), options=SMALL).plan_history(history, "USD")
    doc = result.to_json()
    assert doc["billing"] == "postpaid"
    assert doc["initial"] is None and doc["recharge_amount"] is None and doc["threshold"] is None
    assert result.verdict.level == "ACT" and result.verdict.reason("postpaid_auto_recharge")
    words = " ".join(result.recommendation.explanation)
    assert "turn auto-recharge off" in words.lower() and "recharge $" not in words
    outlook = doc["postpaid"]
    assert outlook["credits_run_out"] == doc["credits_run_out"]["median"]
    assert result.run_out is not None and result.run_out.median is not None
    assert text.date(result.run_out.median) in words
    assert outlook["bill_total"] == doc["forecast"]["expected_total"]
    assert doc["forecast"]["basis"] == "bill"
    assert text.money(outlook["bill_total"], "USD") in words
    assert "post-paid: bill about" in result.status
    assert "stock-out" not in result.status
