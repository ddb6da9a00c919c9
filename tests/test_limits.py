"""Per-user spend limits: what they count, how a limit acts, the recommendation on the sample
with injected fraud, the policies file and ``planner limits``."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from planner.alerts import detect_alerts
from planner.alerts.inject import export_csv, inject
from planner.cli import main
from planner.errors import InputError
from planner.ingest import read_exports
from planner.limits import (
    apply_limit,
    flagged_usage_ids,
    limit_calls,
    parse_limit,
    read_policies,
    recommend_limit,
    spend_limits,
    user_months,
)
from planner.limits.report import limits_markdown, limits_sheet, limits_text
from planner.sample import sample_dir
from planner.schema import conform

EXPORTS = str(sample_dir() / "exports")


def _records(rows: list[tuple]) -> pd.DataFrame:
    """Records from (upn, call_type, start, duration_s, charge_cents[, kind])."""
    frame = pd.DataFrame(
        [
            {
                "usage_id": f"u{i}",
                "upn": r[0],
                "call_type": r[1],
                "start": pd.Timestamp(r[2], tz="UTC"),
                "duration_s": r[3],
                "charge_cents": r[4],
                "connection_fee_cents": 0,
                "kind": r[5] if len(r) > 5 else "calling_plans",
                "currency": "USD",
                "capability": "MCOPSTNPP",
            }
            for i, r in enumerate(rows)
        ]
    )
    return conform(frame)


def test_what_the_limit_counts() -> None:
    records = _records(
        [
            ("A@x.com", "user_out", "2026-03-01 10:00", 60, 100),
            ("a@x.com", "user_out_forwarding", "2026-03-02 10:00", 60, 50),
            ("a@x.com", "conf_out", "2026-03-02 11:00", 60, 900),  # the bridge's dial-out
            ("a@x.com", "user_in", "2026-03-02 12:00", 60, 0),
            ("a@x.com", "ucap_out", "2026-03-02 13:00", 60, 700),  # a voice app's call
            ("a@x.com", "dr_out", "2026-03-02 14:00", 60, 0, "direct_routing"),
        ]
    )
    calls = limit_calls(records)
    assert calls["usage_id"].tolist() == ["u0", "u1"] and set(calls["upn"]) == {"a@x.com"}
    assert calls["cents"].tolist() == [100, 50]


def test_a_limit_cuts_the_call_that_reaches_it_and_blocks_the_rest_of_the_month() -> None:
    records = _records(
        [
            ("a@x.com", "user_out", "2026-03-01 10:00", 600, 400),
            ("a@x.com", "user_out", "2026-03-05 10:00", 600, 500),
            ("a@x.com", "user_out", "2026-03-20 10:00", 300, 300),  # reaches 10.00: cut at 1.00
            ("a@x.com", "user_out", "2026-03-21 10:00", 120, 0),  # free, but blocked
            ("a@x.com", "user_out", "2026-04-02 10:00", 60, 200),  # a new month
            ("b@x.com", "user_out", "2026-03-25 10:00", 60, 900),
        ]
    )
    applied = apply_limit(limit_calls(records), 1000)
    assert applied["allowed_cents"].tolist() == [400, 500, 100, 0, 200, 900]
    assert applied["blocked"].tolist() == [False, False, True, True, False, False]
    assert applied["blocked_s"].tolist() == [0, 0, 200, 120, 0, 0]
    months = user_months(applied).set_index(["upn", "month"])
    march = months.loc[("a@x.com", pd.Timestamp("2026-03-01"))]
    assert march["blocked_cents"] == 200 and march["blocked_calls"] == 2
    assert march["days_lost"] == 12  # 20 to 31 March
    assert march["blocked_minutes"] == pytest.approx(320 / 60)
    assert not months.loc[("a@x.com", pd.Timestamp("2026-04-01")), "blocked"]
    assert months["days_lost"].sum() == 12


def test_recommendation_is_a_whole_amount_above_the_legitimate_months() -> None:
    spend = np.arange(0, 10_000, 50)  # 0 .. 99.50
    limit = recommend_limit(spend)
    assert isinstance(limit, int) and limit * 100 >= np.quantile(spend, 0.99)
    assert limit == 130  # 1.25 x 99.00 = 123.75, up to two figures
    assert recommend_limit(np.array([], dtype=np.int64)) == 10


@pytest.mark.parametrize(
    ("value", "message"),
    [("-5", "above 0"), ("0", "above 0"), ("2.5", "whole amount"), ("ten", "not an amount")],
)
def test_bad_limit(value: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_limit(value)
    assert parse_limit("40") == 40


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("upn,policy\na@x.com,Sales\nA@x.com,Support\n", "listed twice"),
        ("upn,policy\na@x.com,\n", "policy is empty"),
        ("upn,policy\n,Sales\n", "user principal name is empty"),
        ("upn,team\na@x.com,Sales\n", "no `policy` column"),
    ],
)
def test_bad_policies_file(tmp_path, body: str, message: str, capsys) -> None:
    path = tmp_path / "policies.csv"
    path.write_text(body)
    with pytest.raises(InputError, match=message):
        read_policies(path)
    assert main(["limits", EXPORTS, "--policies", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message.split()[0] in err


def test_bad_limit_on_the_command_line(capsys) -> None:
    for value in ("-1", "12.5"):
        assert main(["limits", EXPORTS, "--current-limit", value]) == 2
        assert len(capsys.readouterr().err.strip().splitlines()) == 1


@pytest.fixture(scope="module")
def fraud():
    """The sample with two night bursts and two premium-rate patterns injected, its alerts."""
    records = read_exports([EXPORTS]).records
    rng = np.random.default_rng(11)
    truths = []
    for pattern in ("night_burst", "premium", "night_burst", "premium"):
        records, truth = inject(records, pattern, rng)
        truths.append(truth)
    alerts = detect_alerts(records, since=records["start"].min().date())
    return records, truths, flagged_usage_ids(alerts)


def test_recommended_limit_on_the_sample_with_injected_fraud(fraud) -> None:
    records, truths, flagged = fraud
    result = spend_limits(records, flagged_ids=flagged)
    (policy,) = result.policies
    limit = policy.recommended
    rec = policy.outcome(limit)
    assert rec["legitimate_blocked"] <= 0.01 * policy.legitimate_user_months
    applied = apply_limit(limit_calls(records), limit * 100)
    for truth in truths:
        injected = applied[applied["usage_id"].isin(truth.calls["usage_id"])]
        assert len(injected) == len(truth.calls)
        per_month = injected.groupby("month")["allowed_cents"].sum()
        assert (per_month <= limit * 100).all()
        assert injected["blocked_cents"].sum() > 0  # every pattern here spends beyond it
    assert rec["capped_alert_cents"] > 0.9 * sum(
        int(t.calls["charge_cents"].sum() + t.calls["connection_fee_cents"].sum()) - 2 * limit * 100
        for t in truths
    )


def test_policies_group_users_and_text(fraud, tmp_path) -> None:
    records, truths, flagged = fraud
    path = tmp_path / "policies.csv"
    path.write_text(f"UserPrincipalName,TeamsCallingPolicy\n{truths[0].upn},Night Shift\n")
    result = spend_limits(records, policies=read_policies(path), current_limit=50,
                          flagged_ids=flagged)  # fmt: skip
    names = [p.policy for p in result.policies]
    assert names == ["Global", "Night Shift"]
    night = result.policies[1]
    assert night.users == 1 and night.current == 50
    assert 'Set-CsTeamsCallingPolicy -Identity "Night Shift" -EnableSpendLimits $true' in (
        night.command
    )
    assert night.candidates["current"].sum() == 1
    out = limits_text(result)
    assert out.count("Set-CsTeamsCallingPolicy") == 2 and "(current)" in out
    assert limits_markdown(result).startswith("## Per-user spend limits")
    sheet = limits_sheet(result)
    assert set(sheet["policy"]) == {"Global", "Night Shift"}
    assert (sheet["command"] != "").sum() == 2


def test_cli_json(fraud, tmp_path, capsys) -> None:
    _, truths, _ = fraud
    path = tmp_path / "injected.csv"
    path.write_bytes(export_csv(pd.concat([t.calls for t in truths], ignore_index=True)))
    # the injected calls alone: the command end to end without the sample's year of alerts
    assert main(["limits", str(path), "--json", "--current-limit", "30"]) == 0
    doc = json.loads(capsys.readouterr().out)
    (policy,) = doc["policies"]
    assert set(policy) >= {"policy", "users", "recommended_limit", "blocked_user_months",
                           "blocked_spend", "capped_alert_spend", "command"}  # fmt: skip
    assert policy["command"].endswith(f"-CallingSpendUserLimit {policy['recommended_limit']}")
    assert policy["blocked_spend"] > 0 and policy["current_limit"]["limit"] == 30
    assert doc["currency"] == "USD"
