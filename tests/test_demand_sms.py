"""Teams Phone SMS as demand: its own category, equal to the charges to the cent; what-if
segments priced after the plans' pooled allowance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_demand import rec

from planner.demand import actual_demand, whatif_demand
from planner.demand.calls import CATEGORIES, credit_category
from planner.demand.rates import rate_table
from planner.demand.sms import price_sms, sms_pools
from planner.inputs import read_licences

SMS = {"kind": "sms", "call_type": "sms_out", "duration_s": 0, "destination_context": None,
       "destination_dialed": None, "number_type": None, "capability": "MCOPSTN1"}  # fmt: skip
RATES = pd.DataFrame(
    {
        "destination": ["United States", "SMS", "SMS CA"],
        "per_minute": ["0.02", "0.0075", "0.0100"],
        "currency": ["USD"] * 3,
    }
)


def _sms(start: str, units: int, cents: int = 0, **extra) -> dict:
    return {**SMS, "start": start, "sms_units": units, "charge_cents": cents, **extra}


def test_sms_is_its_own_category() -> None:
    assert CATEGORIES[-1] == "sms"
    records = rec([_sms("2026-03-01 10:00", 1), {"start": "2026-03-01 11:00"}])
    assert credit_category(records).tolist() == ["sms", "domestic_overage"]


def test_actual_sms_demand_equals_the_charges_to_the_cent() -> None:
    rng = np.random.default_rng(4)
    rows = [
        _sms(
            f"2026-03-{d:02d} 1{h}:00",
            int(rng.integers(1, 4)),
            int(rng.integers(0, 7)),
            capability=str(rng.choice(["MCOPSTN1", "MCOEV", ""])),
        )  # fmt: skip
        for d in range(1, 29)
        for h in range(3)
    ]
    rows.append({"start": "2026-03-02 09:00", "capability": "MCOPSTNPP", "charge_cents": 250})
    records = rec(rows)
    demand = actual_demand(records)
    totals = demand.totals()["USD"]
    charges = int(records.loc[records["kind"] == "sms", "charge_cents"].sum())
    assert totals["sms_cents"] == charges
    assert totals["amount_cents"] == charges + 250
    daily = demand.daily.set_index("date")["sms_cents"]
    by_day = records[records["kind"] == "sms"].groupby(records["start"].dt.date)["charge_cents"]
    assert daily.sum() == charges and int(by_day.sum().max()) == int(daily.max())
    assert demand.non_credit.empty  # an SMS charge is not "billed outside credits"
    assert "sms" in demand.to_frame().columns


def test_licences_carry_the_sms_allowance(tmp_path) -> None:
    path = tmp_path / "licences.csv"
    path.write_text("plan,country,users,minutes_per_user,sms_per_user\n"
                    "MCOPSTN1,US,10,,100\nMCOPSTN2,US,5,,\n")  # fmt: skip
    lic = read_licences(path)
    assert lic["sms_per_user"].tolist() == [100, 0]
    assert sms_pools(lic).to_dict() == {("MCOPSTN1", "US"): 1000, ("MCOPSTN2", "US"): 0}
    path.write_text("plan,country,users,sms_per_user\nMCOPSTN1,US,10,2.5\n")
    with pytest.raises(Exception, match="sms_per_user"):
        read_licences(path)


def test_whatif_prices_segments_beyond_the_pool() -> None:
    licences = pd.DataFrame({"plan": ["MCOPSTN1"], "country": ["US"], "users": [2],
                             "minutes_per_user": [np.nan], "sms_per_user": [50]})  # fmt: skip
    # 120 segments in March: the pool of 100 covers the first 100; 20 at 0.0075 = 0.15
    march = [_sms(f"2026-03-{1 + i // 6:02d} 0{i % 6}:00", 2) for i in range(60)]
    april = [_sms("2026-04-01 08:00", 3), _sms("2026-04-02 08:00", 1, user_location="CA",
                                                capability="PAYG")]  # fmt: skip
    records = rec(march + april)
    priced, unpriced = price_sms(records, licences, rate_table(RATES))
    assert unpriced.empty
    assert priced["billable_segments"].sum() == 20 + 1  # April's pool covers the 3; CA has none
    march_cents = priced.loc[priced["date"] < pd.Timestamp("2026-04-01"), "cents"].sum()
    assert march_cents == 15  # 20 x 0.75 cents, rounded once for the month
    assert priced.loc[priced["date"] == pd.Timestamp("2026-04-02"), "cents"].tolist() == [1]
    demand = whatif_demand(records, licences, RATES)
    assert demand.totals()["USD"]["sms_cents"] == 16


def test_whatif_without_an_sms_rate_lists_them_unpriced() -> None:
    records = rec([_sms("2026-03-01 10:00", 2), _sms("2026-03-01 11:00", 1)])
    licences = pd.DataFrame({"plan": ["MCOPSTN1"], "country": ["US"], "users": [1],
                             "minutes_per_user": [np.nan]})  # fmt: skip
    demand = whatif_demand(records, licences, RATES[RATES["destination"] == "United States"])
    assert demand.totals()["USD"]["sms_cents"] == 0
    (row,) = demand.unpriced.to_dict("records")
    assert row["category"] == "sms" and row["calls"] == 2 and row["destination"] == "SMS US"


def test_sub_cent_charges_are_summed_per_day_and_rounded_once() -> None:
    # 0.0075 a segment (Microsoft's US price): rows kept exact in micro-units
    rows = [
        _sms("2026-03-01 10:00", 1, 1, charge_micro=7_500),
        _sms("2026-03-01 11:00", 1, 1, charge_micro=7_500),
        _sms("2026-03-01 12:00", 1, 1, charge_micro=7_500),  # the day: 0.0225 -> 2 cents
        _sms("2026-03-02 09:00", 3, 2, charge_micro=22_500),  # 0.0225 -> 2 cents
        _sms("2026-03-02 09:30", 1, 0, charge_micro=2_500),  # the day: 0.025 -> 3 cents
        _sms("2026-03-03 08:00", 2, 0, charge_micro=0),
        _sms("2026-03-03 08:00", 2, 4),  # written before charge_micro: whole cents as they are
    ]
    records = rec(rows)
    demand = actual_demand(records)
    daily = demand.daily.set_index("date")["sms_cents"]
    assert daily.tolist() == [2, 3, 4]
    assert demand.totals()["USD"]["sms_cents"] == 9
    # each message rounded on its own would bill 3 cents on the first day, not 2
    assert int(records["charge_cents"].iloc[:3].sum()) == 3 and daily.iloc[0] == 2


def test_an_sms_export_keeps_sub_cent_charges_exact(tmp_path) -> None:
    from planner.ingest import read_exports

    head = "id,sentDateTime,smsType,smsUnits,callCharge,currency,licenseCapability"
    lines = [
        head,
        "a,2026-03-01T10:00:00Z,outbound,1,0.0075,USD,MCOPSTNPP",
        "b,2026-03-01T11:00:00Z,outbound,2,0.015,USD,MCOPSTNPP",
        "c,2026-03-01T12:00:00Z,inbound,3,0.022500,USD,MCOPSTNPP",
        "d,2026-03-01T13:00:00Z,outbound,1,0.00750001,USD,MCOPSTNPP",
    ]
    path = tmp_path / "sms.csv"
    path.write_text("\n".join(lines) + "\n")
    result = read_exports([path])
    records = result.records
    assert records["charge_micro"].tolist() == [7_500, 15_000, 22_500]
    assert records["charge_cents"].tolist() == [1, 2, 2]  # each rounded half up
    assert len(result.rejects) == 1 and "more than 6 decimals" in result.rejects["reason"].iloc[0]
    assert actual_demand(records).totals()["USD"]["sms_cents"] == 5  # 0.045 on one day
