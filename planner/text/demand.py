"""The daily credit demand in words, for ``planner demand``: totals per currency and
category, the minute pools, and what the demand leaves out (billed outside credits, calls
without a rate, users without the Communications Credits licence)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from planner.demand.calls import CATEGORIES
from planner.money import units
from planner.text import category, cents, days, iso_day, nt, number, percent, t


def demand_summary(result: Any) -> str:
    """A daily credit demand (:class:`planner.demand.DemandResult`) in words: totals per
    currency and category, the minute pools, and what the demand leaves out."""
    if result.kind == "actual":
        lines = [t("credit demand (actual, from MCOPSTNPP charges)")]
    else:
        lines = [t("credit demand (what-if, calls priced after the minute pools)")]
    if not result.currencies:
        lines.append("  " + t("no credit demand in these records"))
    for cur, tot in result.totals().items():
        rows = result.daily[result.daily["currency"] == cur]
        total = tot["amount_cents"]
        peak = rows.iloc[int(np.argmax(rows["amount_cents"].to_numpy()))]  # the first peak
        lines.append(
            t(
                "{currency}: {total} over {days} ({first} to {last}), {mean} a day on "
                "average, peak {peak} on {peak_day}",
                currency=cur,
                total=cents(total),
                days=days(len(rows)),
                first=iso_day(rows["date"].min()),
                last=iso_day(rows["date"].max()),
                mean=number(units(total) / max(len(rows), 1), 2),
                peak=cents(peak["amount_cents"]),
                peak_day=iso_day(peak["date"]),
            )
        )
        width = max(len(category(c)) for c in CATEGORIES) + 1
        for cat in CATEGORIES:
            spent = tot[f"{cat}_cents"]
            if spent:
                share = percent(spent / total if total else 0.0)
                lines.append(f"  {category(cat):<{width}} {cents(spent):>14}  {share:>7}")
    lines += _left_out_lines(result)
    return "\n".join(lines)


def _left_out_lines(result: Any) -> list[str]:
    """The summary's lines on the pools and on what the demand leaves out."""
    lines: list[str] = []
    if result.pools is not None and len(result.pools):
        lines.append(t("minute pools per month (from the licences):"))
        row: Any  # an itertuples row: the columns as attributes
        for row in result.pools.itertuples(index=False):
            where = row.country if pd.notna(row.country) else t("tenant-wide")
            plan = getattr(row, "plan", None)
            plan = plan if isinstance(plan, str) else ""
            lines.append(
                f"  {row.pool:<20} {where:<12} {plan:<11} {number(row.minutes):>12} min"
                "  (" + nt("{n} licence", "{n} licences", row.users) + ")"
            )
    if len(result.non_credit):
        lines.append(t("billed outside credits (not in the demand):"))
        for row in result.non_credit.itertuples(index=False):
            records = nt("{n} record", "{n} records", row.records)
            lines.append(
                f"  {row.capability:<20} {cents(row.cents):>14} {row.currency}  ({records})"
            )
    if len(result.unpriced):
        lines.append(
            t(
                "unpriced: {calls} needed a price and found no rate (not in the demand); "
                "add their destinations or a '*' row to the rate card:",
                calls=nt("{n} call", "{n} calls", int(result.unpriced["calls"].sum())),
            )
        )
        for row in result.unpriced.head(10).itertuples(index=False):
            calls = nt("{n} call", "{n} calls", row.calls)
            lines.append(f"  {row.destination:<28} {calls:>12} {number(row.minutes):>10} min")
    if len(result.licence_warnings):
        lines.append(
            nt(
                "licence check: {n} user draws on credits without the Communications "
                "Credits licence (MCOPSTNC); assign it:",
                "licence check: {n} users draw on credits without the Communications "
                "Credits licence (MCOPSTNC); assign it:",
                len(result.licence_warnings),
            )
        )
        for row in result.licence_warnings.head(10).itertuples(index=False):
            calls = nt("{n} call", "{n} calls", row.calls)
            lines.append(f"  {row.upn:<40} {calls:>12} {cents(row.cents):>12}  {row.reason}")
    return lines
