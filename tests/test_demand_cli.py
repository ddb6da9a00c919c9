"""``planner demand``: actual and what-if demand from export files."""

from __future__ import annotations

import json

import pytest

from planner.cli import main
from planner.inputs import read_demand_csv

HEADER = (
    "UsageId,Call ID,Conference ID,User Location,Microsoft Entra ObjectId,UPN,"
    "User Display Name,Caller ID,Call Type,Call Direction,Number Type,Domestic/International,"
    "Destination Dialed,Destination Number,External Country,Start Time,End Time,"
    "Duration Seconds,Connection Fee,Charge,Currency,Capability,Operator,"
    "Source of Call Duration,Administrative Units"
)


def row(i, start, seconds, charge, capability, *, call_type="user_out", upn="ann@contoso.com",
        context="Domestic", dialed="United States", country="US", number_type="Subscriber",
        direction="Outbound", fee="0.00"):  # fmt: skip
    return (
        f"id-{i},call-{i},,US,obj-1,{upn},Ann,+13125550100,{call_type},{direction},"
        f"{number_type},{context},{dialed},+13125550199,{country},{start},{start},"
        f"{seconds},{fee},{charge},USD,{capability},Microsoft,Microsoft,"
    )


@pytest.fixture
def export(tmp_path):
    rows = [
        row(1, "2026-01-05T10:00:00Z", 60, "0.00", "MCOPSTN1"),
        row(2, "2026-01-05T23:59:59Z", 120, "0.04", "MCOPSTNPP"),
        row(
            3,
            "2026-01-06T00:00:00Z",
            61,
            "0.06",
            "MCOPSTNPP",
            call_type="ucap_in",
            direction="Inbound",
            number_type="Toll Free",
            dialed="United States Toll Free",
            upn="queue@contoso.com",
        ),  # fmt: skip
        row(4, "2026-01-08T09:00:00Z", 600, "1.50", "MCOMEETACPEA", call_type="conf_out"),
    ]
    path = tmp_path / "calls.csv"
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def pricing_files(tmp_path):
    lic = tmp_path / "licences.csv"
    lic.write_text("plan,country,users,minutes_per_user\nMCOPSTN1,US,1,2\n")
    rates = tmp_path / "rates.csv"
    rates.write_text(
        "destination,per_minute,connection_fee,increment_seconds,currency\n"
        "United States,0.02,0,60,USD\nUnited States Toll Free,0.03,0,60,USD\n"
    )
    return lic, rates


def test_actual_demand_summary_and_csv(export, tmp_path, capsys):
    out = tmp_path / "demand.csv"
    assert main(["demand", str(export), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "credit demand (actual" in text
    assert "USD: 0.10 over 4 days" in text
    assert "MCOMEETACPEA" in text and "1.50" in text  # billed outside credits, shown apart
    # categories in words, the CSV keeps the column names scripts read
    assert "  Toll-free " in text and "  Domestic overage " in text and "toll_free" not in text
    lines = out.read_text().splitlines()
    assert (
        lines[0]
        == "date,currency,amount,toll_free,conference_dial_out,international,domestic_overage,payg,other,sms"
    )
    assert lines[1:] == [
        "2026-01-05,USD,0.04,0.00,0.00,0.00,0.04,0.00,0.00,0.00",
        "2026-01-06,USD,0.06,0.06,0.00,0.00,0.00,0.00,0.00,0.00",
        "2026-01-07,USD,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00",
        "2026-01-08,USD,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00",
    ]
    series, currency = read_demand_csv(out)
    assert currency == "USD" and series.sum() == pytest.approx(0.10)


def test_actual_demand_json_with_licence_check(export, tmp_path, capsys):
    users = tmp_path / "users.csv"
    users.write_text("upn,mcopstnc\nann@contoso.com,no\n")
    assert main(["demand", str(export), "--user-licences", str(users), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["kind"] == "actual"
    assert doc["currencies"]["USD"]["amount"] == "0.10"
    assert doc["currencies"]["USD"]["by_category"]["toll_free"] == "0.06"
    assert doc["non_credit"] == [
        {"capability": "MCOMEETACPEA", "currency": "USD", "records": 1, "cents": 150}
    ]
    assert [w["upn"] for w in doc["licence_warnings"]] == ["queue@contoso.com", "ann@contoso.com"]


def test_whatif_demand(export, pricing_files, tmp_path, capsys):
    lic, rates = pricing_files
    out = tmp_path / "whatif.csv"
    args = ["demand", str(export), "--licences", str(lic), "--rates", str(rates), "--out", str(out)]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "what-if" in text
    assert "domestic             US           MCOPSTN1               2 min  (1 licence)" in text
    # pool of 120 s: call 1 uses 60, call 2 has 60 beyond -> 0.02; toll-free 61 s -> 0.06
    assert out.read_text().splitlines()[1:3] == [
        "2026-01-05,USD,0.02,0.00,0.00,0.00,0.02,0.00,0.00,0.00",
        "2026-01-06,USD,0.06,0.06,0.00,0.00,0.00,0.00,0.00,0.00",
    ]


def test_whatif_needs_both_files(export, pricing_files, capsys):
    lic, _ = pricing_files
    assert main(["demand", str(export), "--licences", str(lic)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("planner: error: --licences needs --rates too")
    assert "Traceback" not in err


def test_bad_rate_file_is_a_clear_error(export, pricing_files, tmp_path, capsys):
    lic, _ = pricing_files
    bad = tmp_path / "rates.csv"
    bad.write_text("destination,per_minute\nUnited States,cheap\n")
    assert main(["demand", str(export), "--licences", str(lic), "--rates", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}, line 2: `per_minute` value 'cheap' is not a number" in err


def test_currency_option(export, capsys):
    assert main(["demand", str(export), "--currency", "EUR"]) == 2
    assert "no demand in EUR; the demand holds USD" in capsys.readouterr().err
    assert main(["demand", str(export), "--currency", "usd", "--json"]) == 0
    assert list(json.loads(capsys.readouterr().out)["currencies"]) == ["USD"]
