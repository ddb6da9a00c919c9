"""The sample tenant's README: what is in it and which rules priced it."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from typing import Any

import pandas as pd

from planner import text
from planner.demand.calls import credit_category
from planner.lots import expiry_date
from planner.sample.reference import (
    CURRENCY,
    EXPORT_DATE,
    LEGACY_END,
    LEGACY_START,
    OPERATOR_CONNECT_CARRIER,
    TENANT_NAME,
    USAGE_END,
    USAGE_START,
)
from planner.schema import credit_cents


def readme_text(tenant_records: pd.DataFrame, licences: pd.DataFrame, rates: pd.DataFrame,
            lots: pd.DataFrame, current_zip: str, legacy_zip: str,
            legacy_records: pd.DataFrame) -> str:  # fmt: skip
    """The sample's README.md: who the tenant is, its licences, its credit spend, the rules."""
    lines = [
        *_overview(tenant_records),
        *_licence_section(licences),
        *_credit_section(tenant_records),
        *_RULES,
        *_files_section(tenant_records, lots, current_zip, legacy_zip, legacy_records),
    ]
    return "\n".join(_wrap(line) for line in lines)


def _overview(records: pd.DataFrame) -> list[str]:
    people = records[records["user_id"].notna()]
    return [
        f"# Sample tenant: {TENANT_NAME}",
        "",
        "A fictional organisation's Teams PSTN usage, generated from a seed by",
        "`planner.sample.generate_sample()`. `planner demo`, the notebooks and many tests run on",
        "it. Regenerate it with `planner sample --out planner/data/sample` (same seed, same bytes).",
        "",
        f"- {people['upn'].nunique()} users with PSTN usage: "
        + ", ".join(
            f"{n} in {c}" for c, n in people.groupby("user_location")["upn"].nunique().items()
        )
        + "; 3 voice apps (a main-line auto attendant, a US and a French toll-free call queue).",
        f"- Usage {USAGE_START:%Y-%m-%d} to {USAGE_END:%Y-%m-%d} (UTC), {len(records):,} call "
        "records; office hours in each site's local time, weekends, US and French public",
        "  holidays, the French August slump, a growth trend of about 20% a year.",
        f"- Billing currency {CURRENCY}: every charge and every rate is in {CURRENCY}.",
        "- Dallas warehouse users call through Operator Connect (`Operator` = "
        f"`{OPERATOR_CONNECT_CARRIER}`), billed by the carrier, never by credits.",
        "",
    ]


def _licence_section(licences: pd.DataFrame) -> list[str]:
    return [
        "## Licences (`licences.csv`)",
        "",
        "| plan | country | users | minutes per user |",
        "|---|---|---:|---:|",
        *(
            f"| {r.plan} | {r.country} | {r.users} | {r.minutes_per_user} |"
            for r in _rows(licences)
        ),
        "",
        "Calling Plan minutes are pooled per country and plan: each Calling Plan row (MCOPSTN*) "
        "is one domestic pool of users x minutes per user, shared only by the users with that "
        "plan in that country. The French pools are small ("
        + "; ".join(
            f"{r.plan}: {r.users} x {r.minutes_per_user} = {r.users * r.minutes_per_user:,} minutes"
            for r in _rows(licences)
            if r.country == "FR" and r.plan.startswith("MCOPSTN")
        )
        + "), so in busy months each runs out after about the 20th-25th "
        "and the rest of the month's French calls on that plan are paid from credits; the US "
        "MCOPSTN1 and MCOPSTN2 users have separate pools that never run out. `MCOPSTN2` adds "
        "600 international minutes per user, pooled per country and plan. The `MCOMEETADD` "
        "rows form one tenant-wide pool of 60 Zone A dial-out minutes per licence and month.",
        "",
    ]


#: what credit-paid records paid for, as the README's table names it
_CATEGORY_LABELS = {
    "toll_free": "toll-free inbound minutes (auto attendant and call queues)",
    "conference_dial_out": "meeting dial-out beyond the Zone A pool or outside Zone A",
    "international": "international calls by users whose plan has no international minutes",
    "domestic_overage": "French calls after their plan's pooled minutes ran out",
}


def _credit_section(records: pd.DataFrame) -> list[str]:
    cents = credit_cents(records)
    category = credit_category(records, charged_only=True)
    by_category = cents.groupby(category.to_numpy()).agg(["size", "sum"]).astype("int64")
    sizes, sums = by_category["size"].to_dict(), by_category["sum"].to_dict()
    months = records["start"].dt.tz_convert(None).dt.to_period("M")
    monthly = cents.groupby(months.to_numpy()).sum()
    labels = _CATEGORY_LABELS
    return [
        "## What drew on credits (`Capability` = `MCOPSTNPP`)",
        "",
        "| category | records | USD |",
        "|---|---:|---:|",
        *(
            f"| {labels[k]} | {int(sizes[k]):,} | {text.cents(sums[k])} |"
            for k in labels
            if k in sizes
        ),
        f"| **total** | {int(category.notna().sum()):,} | {text.cents(cents.sum())} |",
        "",
        "Credit spend per month (USD): "
        + ", ".join(f"{p} {text.cents(v)}" for p, v in monthly.items())
        + ".",
        "",
        "Other rows carry their plan's capability and cost credits nothing: `MCOPSTN1`, "
        "`MCOPSTN2`,",
        "`MCOPSTN5`, `MCOPSTN6`, `MCOMEETADD`, `MCOEV_VIRTUALUSER` (the main line), `MCOEV`",
        "(Operator Connect), `FREECALL`, and `MCOMEETACPEA` (pay-per-minute conferencing: its",
        "`Charge` is billed through the licensing agreement, not credits).",
        "",
    ]


_RULES: tuple[str, ...] = (
    "## Pricing rules the charges follow",
    "",
    "Per calendar month (UTC), calls in start-time order:",
    "",
    "- outbound user calls (`user_out`, `user_out_conf`, `user_out_transfer`,",
    "  `user_out_forwarding`) to a domestic number draw on the domestic pool of the caller's",
    "  country and plan (the users with the same plan in the same country share it); once it",
    "  is exhausted the rest of the month is priced, and the call that straddles the end of",
    "  the pool pays only for its seconds beyond it;",
    "- international calls by `MCOPSTN2` users draw on the international pool of their",
    "  country and plan; by users whose plan has no international minutes (`MCOPSTN1`,",
    "  `MCOPSTN5`, `MCOPSTN6`) they are priced from the first second;",
    '- toll-free inbound calls (`Number Type` containing "toll") are priced from the first',
    "  second at the rate of their `Destination Dialed`;",
    "- `conf_out` to a Zone A country draws on the tenant-wide dial-out pool; other",
    "  destinations are priced from the first second;",
    "- ordinary inbound, emergency, `FREECALL`, Operator Connect and `MCOMEETACPEA` calls cost",
    "  credits nothing and draw on no pool.",
    "",
    "The rate of a call is the `rates.csv` row whose `destination` equals its `Destination",
    "Dialed` (case-insensitive), else the row named by its `External Country` code, else `*`.",
    "A priced call's `Charge` is `ceil(billable_seconds / increment_seconds) *",
    "increment_seconds / 60 * per_minute`, rounded half-up to the cent; its `Connection Fee`",
    "is the rate's fee (whole cents, charged once per priced call, also on a straddling call).",
    "Its cost to credits is `Charge + Connection Fee`.",
    "",
)


def _files_section(records: pd.DataFrame, lots: pd.DataFrame, current_zip: str,
                   legacy_zip: str, legacy_records: pd.DataFrame) -> list[str]:  # fmt: skip
    return [
        "## Files",
        "",
        f"- `{current_zip}`: the current 25-column Calling Plans export of the 13 months "
        f"({len(records):,} rows, grouped by user in time order) with `parameters.json`.",
        f"- `{legacy_zip}`: an older export in the legacy 20-column format, "
        f"{LEGACY_START:%Y-%m-%d} to {LEGACY_END:%Y-%m-%d} ({len(legacy_records):,} rows,",
        "  `no data` for an empty Conference ID); every row is also in the current export",
        "  (same `UsageId`), so reading both must de-duplicate.",
        "- `licences.csv`: `plan,country,users,minutes_per_user`.",
        "- `rates.csv`: `destination,per_minute,connection_fee,increment_seconds,currency`.",
        "- `user_licences.csv`: the admin center's *Export users* view (`User principal name,",
        "  Display name,Licenses`, products joined by `+`). A few users who drew on credits lack",
        "  the `Communications Credits` licence.",
        "- `departments.csv`: `upn,department`.",
        f"- `balance.csv`: the credit lots held on {EXPORT_DATE:%Y-%m-%d} "
        f"(`purchase_date,amount`, USD, {text.number(lots['amount'].sum(), 2)} in all); the oldest",
        f"  expires on {expiry_date(lots['purchase_date'].min()):%Y-%m-%d}.",
        "",
        "Zip members are deflated, as the admin center's exports are, and dated with fixed",
        "timestamps, so the files are byte-for-byte reproducible.",
        "",
    ]


def _rows(frame: pd.DataFrame) -> Iterator[Any]:
    """The rows of ``frame`` with the columns as attributes (``itertuples``)."""
    return frame.itertuples()


def _wrap(line: str, width: int = 96) -> str:
    """A long Markdown text or bullet line, wrapped (tables are left alone)."""
    if len(line) <= width or line.startswith("|"):
        return line
    indent = "  " if line.startswith("- ") else ""
    return textwrap.fill(line, width, subsequent_indent=indent, break_on_hyphens=False)
