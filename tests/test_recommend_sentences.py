"""No sentence of a plan contradicts its numbers, over seeds and small tenants (hypothesis).

The recommendation is the cheapest feasible row shown and every label is true of its row
(:func:`recommend_checks.assert_one_decision`); a first purchase beside today's balance comes
with its reason and never beside "no purchase needed"; every "more / less than recommended"
and "higher / lower" is the difference of the table's costs; the coverage and the current
settings' figures are the table's.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from recommend_checks import assert_one_decision

from planner.plan import PlanOptions, PlanRequest
from planner.text import money, percent
from planner.text import plan as plan_text

#: sentences that say no money is needed now
_NOTHING_NOW = ("no purchase needed", "no action needed")


def _history(seed: int, level: float, bursts: int, days: int = 126) -> pd.Series:
    """A small tenant: weekday rhythm, gamma noise and a few bursts of 2 to 5 normal days."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2026-01-05", periods=days, freq="D")
    values = level * np.where(index.day_of_week < 5, 1.0, 0.3) * rng.gamma(2.0, 0.5, days)
    for start in rng.integers(0, days - 2, bursts):
        values[start : start + 2] *= rng.uniform(2.0, 5.0)
    return pd.Series(np.round(values, 2), index=index)


def _versus(diff: float, currency: str) -> str:
    """What an alternative's sentence must say of its cost against the recommendation's."""
    if abs(diff) < 0.5:
        return "about the same cost as recommended"
    word = "more" if diff > 0 else "less"
    return f"{money(abs(diff), currency)} {word} than recommended"


def _plan(history: pd.Series, balance_days: int | None, current: tuple | None, level: float,
          service_level: float, seed: int):  # fmt: skip
    options = PlanOptions(service_level=service_level, horizon_days=120, n_scenarios=150, seed=seed)
    with tempfile.TemporaryDirectory() as tmp:
        balance = None
        if balance_days is not None:
            balance = str(Path(tmp) / "balance.csv")
            bought = (history.index[-1] - pd.Timedelta(days=20)).date()
            amount = max(1, round(level * balance_days))
            Path(balance).write_text(f"purchase_date,amount\n{bought},{amount}\n")
        amount, trigger = current or (None, None)
        request = PlanRequest(
            balance=balance,
            options=options,
            current_recharge_amount=amount,
            current_threshold=trigger,
        )
        return request.plan_history(history, "USD")


def assert_sentences_agree(result) -> None:
    """Every sentence of ``result`` (a :class:`planner.plan.PlanResult`) says what its
    numbers say."""
    rec, cur = result.recommendation, result.recommendation.currency
    alts = rec.alternatives
    lines = [str(x) for x in rec.explanation]
    text = " ".join(lines).lower()
    initial = rec.policy.initial
    add_now = result.verdict.reason("add_now")
    if rec.position is not None and initial > 0:
        # a first purchase beside today's balance: its reason, never "nothing needed"
        assert add_now is not None
        assert not any(words in text for words in _NOTHING_NOW)
        v = add_now.values
        assert v["amount"] == initial
        assert v["below_trigger"] == (rec.position["balance"] < rec.policy.threshold)
        assert v["below_trigger"] or v["p_without"] > v["allowed"]
        assert f"add {money(initial, cur).lower()} now:" in text
    else:
        assert add_now is None
        assert re.search(r"\badd \S+ now:", text) is None
    if initial == 0:
        assert not any(line.startswith("Add ") for line in lines)
    # the recommended row and the sentence on the policy: the table's coverage
    assert percent(1 - float(alts.iloc[0]["p_stockout"])) in lines[0]
    target = 1 - rec.service_level
    feasible = alts["auto_recharge"] & (alts["p_stockout"] <= target + 1e-12)
    cheaper = bool((feasible & (alts["cost"] < rec.cost - 0.5)).any())
    assert not cheaper  # nothing shown is cheaper and feasible
    for _, row in alts.iloc[1:].iterrows():
        assert _versus(float(row["cost"]) - rec.cost, cur) in str(row["explanation"])
    first = str(alts.iloc[0]["explanation"])
    assert ("the cheapest that meets the service level" in first) == (not cheaper)
    safer = rec.safer_alternative()
    bursts = plan_text.unseen_bursts_sentence(rec)
    assert (bursts is None) == (safer is None)
    if safer is not None:
        assert bursts in lines
        assert plan_text.cost_versus(float(safer["cost"]) - rec.cost, cur) in bursts
        assert money(safer["threshold"], cur) in bursts
    if rec.current is not None:
        row = alts[alts["option"] == "current settings"].iloc[0]
        sentence = next(x for x in lines if x.startswith("Your current settings"))
        assert f"{money(row['cost'], cur)} against {money(rec.cost, cur)}" in sentence
        assert percent(float(row["p_stockout"])) in sentence


@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 10_000),
    level=st.sampled_from([3.0, 20.0, 150.0]),
    bursts=st.integers(0, 4),
    balance_days=st.one_of(st.none(), st.sampled_from([0, 2, 10, 60, 200])),
    current=st.one_of(st.none(), st.sampled_from([(50.0, 50.0), (500.0, 100.0), (3000.0, 1000.0)])),
    service_level=st.sampled_from([0.95, 0.99]),
)
def test_no_sentence_contradicts_the_numbers(
    seed, level, bursts, balance_days, current, service_level
):
    history = _history(seed, level, bursts)
    result = _plan(history, balance_days, current, level, service_level, seed)
    assert_one_decision(result.recommendation)
    assert_sentences_agree(result)
