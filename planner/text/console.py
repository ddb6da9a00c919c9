"""What the command line prints besides JSON: the plan's tables, a replay's summary, a
backtest, alerts, a fetch and a batch, in the language in use (:mod:`planner.text`).

The commands compute nothing here and format nothing themselves: each takes the result of a
library call and returns the text to print.

>>> print(backtest_summary({"fit": "200 days", "replay": "90 days", "initial": 500.0,
...     "recharge_amount": 400.0, "threshold": 120.0, "promised_p": 0.01,
...     "promised_cost": 61.5, "promised_forfeited": 0.0, "stockout_days": 1,
...     "first_stockout": "2025-06-01", "purchases": 3, "forfeited": 0.0, "cost": 70.25},
...     "EUR"))
Fitted on 200 days, replayed 90 days (EUR).
  recommended        first 500, recharge 400 below 120
  promised           p(stock-out) 1%, cost 61.50, forfeited 0.00
  happened           1 stock-out day from 2025-06-01, 3 purchases, forfeited 0.00, cost 70.25
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from planner.text import (
    N_,
    alert_kind,
    alert_runway,
    alert_severity,
    cents,
    date,
    days,
    iso_day,
    money,
    nt,
    number,
    percent,
    t,
)
from planner.text.plan import option_name


def _table(columns: Mapping[str, Sequence[str]]) -> str:
    """Columns of text under translated headers, right-aligned as pandas prints them."""
    frame = pd.DataFrame({t(header): list(values) for header, values in columns.items()})
    return frame.to_string(index=False)


def _labelled(rows: Iterable[tuple[str, str]], width: int = 19) -> list[str]:
    """``  label   value`` lines, the values lined up in a column ``width`` characters
    wide (wider when a label needs it)."""
    rows = list(rows)
    width = max(width, *(len(label) + 2 for label, _ in rows))
    return [f"  {label.ljust(width)}{value}" for label, value in rows]


# --------------------------------------------------------------------------- recommend


def alternatives_table(alternatives: pd.DataFrame) -> str:
    """The policy alternatives, one row each (amounts without their currency)."""
    alt = alternatives
    dash = "-"
    return _table(
        {
            N_("option"): [option_name(o) for o in alt["option"]],
            N_("first purchase"): [number(v) for v in alt["initial"]],
            N_("recharge"): [number(v) if v else dash for v in alt["recharge_amount"]],
            N_("below"): [
                number(v) if on else dash
                for v, on in zip(alt["threshold"], alt["auto_recharge"], strict=True)
            ],
            N_("p_stockout"): [percent(v) for v in alt["p_stockout"]],
            N_("forfeited"): [number(v) for v in alt["expected_forfeited"]],
            N_("recharges/mo"): [number(v, 1) for v in alt["recharges_per_month"]],
            N_("mean balance"): [number(v) for v in alt["mean_balance"]],
            N_("cost"): [number(v) for v in alt["cost"]],
        }
    )


def lots_table(position: Mapping[str, Any]) -> str:
    """Today's lots: when each expires and what is expected to expire unused."""
    exp = position["expiring"]
    return "\n".join(
        [
            t("Today's lots (balance as of {day}):", day=iso_day(position["as_of"])),
            _table(
                {
                    N_("expires"): [iso_day(d) for d in exp["date"]],
                    N_("bought"): [iso_day(d) for d in exp["purchase_date"]],
                    N_("amount"): [number(v, 2) for v in exp["amount"]],
                    N_("expected to expire unused"): [
                        t("beyond horizon") if pd.isna(v) else number(v, 2)
                        for v in exp["expected_forfeit"]
                    ],
                }
            ),
        ]
    )


def plan_text(result: Any) -> str:
    """A :class:`planner.plan.PlanResult` as ``planner recommend`` prints it: the
    recommendation (for a post-paid tenant its sentences and today's lots, no recharge
    alternatives), then the monthly forecast."""
    rec = result.recommendation
    if result.outlook is None:
        lines = [recommendation_text(rec)]
    else:
        lines = list(rec.explanation)
        if rec.position is not None and len(rec.position["expiring"]):
            lines += ["", lots_table(rec.position)]
    lines += ["", forecast_text(result.forecast)]
    return "\n".join(lines)


def forecast_text(forecast: Any) -> str:
    """The monthly forecast (:class:`planner.billing.MonthlyForecast`): a heading and its
    table."""
    from planner.billing import forecast_table

    title = t("Monthly bill") if forecast.basis == "bill" else t("Monthly credit spend")
    heading = t(
        "{title}, next {months} ({n} scenarios; expected months add up to {total}):",
        title=title,
        months=nt("{n} month", "{n} months", len(forecast.months)),
        n=number(forecast.n_scenarios),
        total=cents(forecast.mean_total_cents, forecast.currency),
    )
    return heading + "\n" + forecast_table(forecast).to_string(index=False)


def recommendation_text(rec: Any) -> str:
    """The plain-language recommendation, then its alternatives and today's lots."""
    lines = [*rec.explanation, ""]
    formula = rec.settings.get("cost_formula")
    lines.append(
        t("Amounts in {currency}; {formula}.", currency=rec.currency,
          formula=t(formula) if formula else t("cost"))
    )  # fmt: skip
    lines.append(alternatives_table(rec.alternatives))
    if rec.position is not None and len(rec.position["expiring"]):
        lines += ["", lots_table(rec.position)]
    return "\n".join(lines)


# --------------------------------------------------------------------------- simulate


def _funding(policy: Any, currency: str | None) -> str:
    """How the replayed policy funds the balance, in a clause."""
    if not policy.auto_recharge:
        return t("auto-recharge off")
    funding = t(
        "recharge {amount} when the balance falls below {threshold}, usable after {lead}",
        amount=money(policy.recharge_amount, currency, 2),
        threshold=money(policy.threshold, currency, 2),
        lead=days(policy.lead_days),
    )
    if policy.failure_prob > 0:
        funding += t(
            "; attempts fail with chance {p}, then auto-recharge is off for {fix}",
            p=number(policy.failure_prob, 6, least=0),
            fix=days(policy.fix_days),
        )
    return funding


def replay_summary(result: Any, policy: Any, currency: str | None) -> str:
    """A replay (:func:`planner.engine.simulate`) in a headline and one line per figure."""
    traj, m = result.trajectory, result.metrics

    def cash(x: float) -> str:
        return money(x, currency, 2)

    counts = result.events["event"].value_counts()
    first = m["first_stockout"]
    headline = t(
        "Replayed {days}, {start} to {end}: initial {initial}, {funding}.",
        days=days(len(traj)),
        start=date(traj["date"].iloc[0]),
        end=date(traj["date"].iloc[-1]),
        initial=cash(policy.initial),
        funding=_funding(policy, currency),
    )
    start_lots = cash(m["start_balance"])
    if policy.initial:
        start_lots += t(
            " (the initial {initial} counts as purchased)", initial=cash(policy.initial)
        )
    unserved = t(
        "{amount} on {days}",
        amount=cash(m["unserved"]),
        days=nt("{n} stock-out day", "{n} stock-out days", m["stockout_days"]),
    )
    if first is not None:
        unserved += t(", first on {day}", day=date(first))
    rows = [
        (t("lots at the start"), start_lots),
        (t("demand"), cash(float(traj["demand"].sum()))),
        (t("purchased"), f"{cash(m['purchased'])} "
         f"({nt('{n} recharge', '{n} recharges', m['recharges'])})"),
        (t("expired"), t("{amount} (forfeited)", amount=cash(m["expired"]))),
        (t("unserved"), unserved),
        (t("balance"), t("mean {mean}, lowest {low}, end {end}", mean=cash(m["mean_balance"]),
                         low=cash(m["min_balance"]), end=cash(m["end_balance"]))),
        (t("e-mails"), ", ".join((  # how many of each e-mail, the plural of each language
            nt("{n} recharge succeeded", "{n} recharge succeeded",
               counts.get("recharge_succeeded", 0)),
            nt("{n} recharge failed", "{n} recharge failed", counts.get("recharge_failed", 0)),
            nt("{n} balance reached zero", "{n} balance reached zero",
               counts.get("balance_zero", 0)),
        ))),
    ]  # fmt: skip
    return "\n".join([headline, *_labelled(rows)])


def wrote(path: Any) -> str:
    """``wrote demand.csv``: a file the command wrote."""
    return t("wrote {path}", path=path)


# --------------------------------------------------------------------------- backtest


def backtest_summary(out: Mapping[str, Any], currency: str) -> str:
    """A history backtest (:func:`planner.backtest.backtest_history`): promise vs outcome."""
    happened = nt("{n} stock-out day", "{n} stock-out days", out["stockout_days"])
    if out["first_stockout"]:
        happened += t(" from {day}", day=out["first_stockout"])
    rows = [
        (t("recommended"), t("first {initial}, recharge {amount} below {threshold}",
                             initial=number(out["initial"]),
                             amount=number(out["recharge_amount"]),
                             threshold=number(out["threshold"]))),
        (t("promised"), t("p(stock-out) {p}, cost {cost}, forfeited {forfeited}",
                          p=percent(out["promised_p"]), cost=number(out["promised_cost"], 2),
                          forfeited=number(out["promised_forfeited"], 2))),
        (t("happened"), t("{stockouts}, {purchases}, forfeited {forfeited}, cost {cost}",
                          stockouts=happened,
                          purchases=nt("{n} purchase", "{n} purchases", out["purchases"]),
                          forfeited=number(out["forfeited"], 2), cost=number(out["cost"], 2))),
    ]  # fmt: skip
    headline = t(
        "Fitted on {fit}, replayed {replay} ({currency}).",
        fit=out["fit"],
        replay=out["replay"],
        currency=currency,
    )
    return "\n".join([headline, *_labelled(rows)])


_BACKTEST_HEADERS = (
    N_("tenant"),
    N_("spend/day"),
    N_("overhead, holding"),
    N_("recommended (first, recharge, trigger)"),
    N_("promised p"),
    N_("realised p year 1"),
    N_("2-year cost"),
    N_("best grid cost"),
    N_("ratio"),
)


def backtest_table(table: pd.DataFrame) -> str:
    """The synthetic backtest (:func:`planner.backtest.synthetic_table`) as a Markdown table
    (as in the README)."""
    rows = [
        [
            str(r.tenant),
            number(r.mean_daily, 2),
            f"{number(r.overhead, 3, least=0)}, {number(r.holding, 3, least=0)}",
            ", ".join(number(v) for v in (r.initial, r.recharge_amount, r.threshold)),
            percent(r.promised_p),
            percent(r.realised_p_year1),
            number(r.cost_2y),
            f"{number(r.best_grid_cost_2y)} ({r.best_grid})",
            number(r.cost_ratio, 2),
        ]
        for r in table.itertuples()
    ]
    return _markdown_table(_BACKTEST_HEADERS, "lrllrrrrr", rows)


_BACKTEST_SUMMARY_HEADERS = (
    N_("tenant"),
    N_("histories"),
    N_("promised p (mean)"),
    N_("realised p mean"),
    N_("realised p max"),
    N_("cost ratio mean"),
    N_("cost ratio max"),
)


def backtest_summary_table(summary: pd.DataFrame) -> str:
    """The synthetic backtest over several histories per tenant
    (:func:`planner.backtest.summarise`) as a Markdown table (as in the README)."""
    rows = [
        [
            str(r.tenant),
            number(r.histories),
            *(percent(p) for p in (r.promised_p, r.realised_p_mean, r.realised_p_max)),
            number(r.cost_ratio_mean, 2),
            number(r.cost_ratio_max, 2),
        ]
        for r in summary.itertuples()
    ]
    return _markdown_table(_BACKTEST_SUMMARY_HEADERS, "lrrrrrr", rows)


def _markdown_table(headers: Sequence[str], align: str, rows: Iterable[Sequence[str]]) -> str:
    """A Markdown table: translated ``headers``, one ``align`` letter per column (``l``
    left, ``r`` right) and the ``rows`` of cells."""
    rule = "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|"
    lines = ["| " + " | ".join(t(h) for h in headers) + " |", rule]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines)


def _held(
    table: pd.DataFrame, p_col: str, ratio_col: str, max_p: float, max_ratio: float
) -> dict[str, str | int]:
    """The counts and worst values both check lines give: histories with ``p_col`` at most
    ``max_p`` and ``ratio_col`` at most ``max_ratio``."""
    return {
        "max_p": percent(max_p),
        "held": int((table[p_col] <= max_p).sum()),
        "n": len(table),
        "worst": percent(table[p_col].max()),
        "max_ratio": number(max_ratio, 1),
        "near": int((table[ratio_col] <= max_ratio).sum()),
        "worst_ratio": number(table[ratio_col].max(), 2),
    }


def backtest_check(table: pd.DataFrame, *, max_p: float = 0.03, max_ratio: float = 1.3) -> str:
    """One line: on how many of the backtested histories the promise held (realised
    year-one stock-out at most ``max_p``) and the cost was within ``max_ratio`` of the grid's
    best, and the mean realised stock-out against the mean promise."""
    return t(
        "promise (year-one stock-out at most {max_p}) held on {held} of {n} histories, worst "
        "{worst}; cost within {max_ratio}x of the best grid policy on {near} of {n}, worst "
        "{worst_ratio}x; mean realised stock-out {realised} against a mean promise of "
        "{promised}",
        **_held(table, "realised_p_year1", "cost_ratio", max_p, max_ratio),
        realised=percent(table["realised_p_year1"].mean()),
        promised=percent(table["promised_p"].mean()),
    )


def backtest_safer_check(
    table: pd.DataFrame, *, max_p: float = 0.03, max_ratio: float = 1.3
) -> str | None:
    """One line on the recommendations' ``higher service level`` alternative over the
    backtested histories (None when no history had one)."""
    if "safer_realised_p_year1" not in table:
        return None
    rows = table.dropna(subset=["safer_realised_p_year1"])
    if rows.empty:
        return None
    return t(
        "the higher service level alternative: year-one stock-out at most {max_p} on {held} "
        "of {n} histories, worst {worst}; cost within {max_ratio}x of the best grid policy on "
        "{near} of {n}, worst {worst_ratio}x",
        **_held(rows, "safer_realised_p_year1", "safer_cost_ratio", max_p, max_ratio),
    )


def backtest_checks(table: pd.DataFrame, *, max_p: float = 0.03) -> list[str]:
    """The check lines of a backtest: :func:`backtest_check`, then
    :func:`backtest_safer_check` when some history had the safer alternative."""
    safer = backtest_safer_check(table, max_p=max_p)
    return [backtest_check(table, max_p=max_p)] + ([safer] if safer else [])


# --------------------------------------------------------------------------- alerts


def alert_lines(alert: Any, billing: str = "prepaid") -> list[str]:
    """One alert (:class:`planner.alerts.Alert`): severity, kind, dates, who, amount and
    calls; its explanation; the runway at this rate (``billing``: post-paid credits run out
    into a bill); the first calls as evidence."""
    who = " ".join(x for x in (alert.upn, alert.country) if x) or t("tenant-wide")
    dates = iso_day(alert.first_date)
    if alert.last_date != alert.first_date:
        dates = t("{first} to {last}", first=dates, last=iso_day(alert.last_date))
    amount = cents(alert.amount_cents, alert.currency)
    calls = nt("{n} call", "{n} calls", alert.calls)
    lines = [
        f"{alert_severity(alert.severity).upper():8} {alert_kind(alert.kind):22} {dates}  {who}  "
        f"{amount}, {calls}",
        f"       {alert.explanation}",
    ]
    if alert.runway_days_at_this_rate is not None:
        lines.append("       " + alert_runway(alert.runway_days_at_this_rate, billing))
    ids = ", ".join(alert.usage_ids[:5]) + (" ..." if len(alert.usage_ids) > 5 else "")
    lines.append("       " + t("calls (UsageId): {ids}", ids=ids))
    return lines


def alerts_text(alerts: Iterable[Any], billing: str = "prepaid") -> str:
    """Every alert, most severe first as given (:func:`alert_lines`); empty for none."""
    return "\n".join(line for a in alerts for line in alert_lines(a, billing))


# --------------------------------------------------------------------------- demand, fetch


def rejected_rows(n: int) -> str:
    """Why some export rows are missing from the demand, and how to see them."""
    return nt(
        "{n} export row was rejected and left out: "
        "`planner ingest FILES --rejects rejects.csv` lists why",
        "{n} export rows were rejected and left out: "
        "`planner ingest FILES --rejects rejects.csv` lists why",
        n,
    )


def fetch_summary(result: Any) -> str:
    """What a fetch (:func:`planner.collect.fetch.fetch`) read and stored (counts as plain
    whole numbers: scripts read these lines)."""
    out = result.to_json()
    lines = [
        t(
            "fetched {start} to {end}: {rows} row(s) in {pages} page(s), {windows} window(s), "
            "{requests} request(s), {retries} of them retries",
            start=out["period"]["start"],
            end=out["period"]["end"],
            rows=result.rows,
            pages=result.pages,
            windows=result.windows,
            requests=result.requests,
            retries=result.retries,
        ),
        t(
            "store {store}: {added} record(s) added, {duplicates} already there, "
            "{rejected} rejected",
            store=result.store,
            added=result.records_added,
            duplicates=result.duplicates,
            rejected=result.rejected,
        ),
    ]
    for reason, count in sorted(result.reject_reasons.items()):
        lines.append("  " + t("rejected {n}: {reason}", n=count, reason=reason))
    return "\n".join(lines)


# --------------------------------------------------------------------------- batch


def batch_progress(done: int, total: int, failed: int, last: str) -> str:
    """``planner: [3/10] tenants done, 0 failed; last: contoso``."""
    return t(
        "planner: [{done}/{total}] tenants done, {failed} failed; last: {last}",
        done=done,
        total=total,
        failed=failed,
        last=last,
    )


def batch_line(entry: Mapping[str, Any]) -> str:
    """One tenant of a batch: its status, runway and recommended settings (or its error)."""
    if entry["status"] == "failed":
        return t(
            "{name}: FAILED (exit {code}): {error}",
            name=entry["name"],
            code=entry["exit_code"],
            error=entry["error"],
        )
    rec = entry.get("recommendation") or {}
    parts = [f"{entry['name']}: {entry['status'].upper()}"]
    runway = entry.get("runway_days")
    if runway is not None:
        parts.append(t("runway {days}", days=nt("{n} day", "{n} days", round(runway))))
    cur = rec.get("currency") or ""
    parts.append(
        t(
            "recharge {amount} below {threshold}",
            amount=f"{number(rec.get('recharge_amount'))} {cur}".strip(),
            threshold=f"{number(rec.get('threshold'))} {cur}".strip(),
        )
    )
    return ", ".join(parts)


def batch_counts(counts: Mapping[str, int], tenants: int) -> str:
    """``planner: batch of 12 tenants: 10 ok, 1 alert, 1 failed``."""
    return t(
        "planner: batch of {n} tenants: {ok} ok, {alert} alert, {failed} failed",
        n=tenants,
        ok=counts["ok"],
        alert=counts["alert"],
        failed=counts["failed"],
    )


def duration(seconds: float) -> str:
    """A wait as a person reads it: ``45 s``, ``3 min 05 s``, ``2 h 10 min``."""
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def batch_throughput(
    tenants: int, workers: int, seconds: float, projected_tenants: int, projected: float
) -> str:
    """``planner: 20 tenants in 2 min 10 s on 2 workers (9.2 a minute); 1,000 tenants would
    take about 1 h 48 min at this rate``."""
    rate = 60.0 * tenants / seconds if seconds > 0 else 0.0
    return t(
        "planner: {tenants} in {time} on {workers} ({rate} a minute); {projected_tenants} "
        "would take about {projected} at this rate",
        tenants=nt("{n} tenant", "{n} tenants", tenants),
        time=duration(seconds),
        workers=nt("{n} worker", "{n} workers", workers),
        rate=number(rate, 1),
        projected_tenants=nt("{n} tenant", "{n} tenants", projected_tenants),
        projected=duration(projected),
    )


__all__ = [
    "alert_lines",
    "alerts_text",
    "alternatives_table",
    "backtest_summary",
    "backtest_table",
    "batch_counts",
    "batch_line",
    "batch_progress",
    "batch_throughput",
    "duration",
    "fetch_summary",
    "lots_table",
    "recommendation_text",
    "rejected_rows",
    "replay_summary",
    "wrote",
]
