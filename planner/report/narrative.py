"""The notebooks' sentences: Markdown for the funding plan and the usage analysis.

Every sentence goes through :mod:`planner.text` (a language is a file); every helper returns
Markdown with its ``$`` written as an entity (:func:`_markdown`). Text that comes from the
exports (names, reasons) is escaped: it is shown, never rendered as markup.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from planner import text
from planner.report.columns import header
from planner.report.views import period_text, tenant_label, unavoidable_forfeiture
from planner.text import plan as plan_text
from planner.text import t
from planner.text.plan import gap_warning, option_name


def _markdown(func: Callable[..., str]) -> Callable[..., str]:
    """Markdown for a notebook cell with every ``$`` written as an entity: ``$95 ... $60`` is
    two amounts, not a formula for the notebook's maths renderer."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> str:
        return func(*args, **kwargs).replace("$", "&#36;")

    return wrapper


def heading_markdown(title: str, tenant: str, lines: Iterable[str] = ()) -> str:
    """A report heading: title with the tenant, then one line of facts and the date."""
    today = text.date(pd.Timestamp.now(tz="UTC").tz_localize(None))
    facts = " · ".join([*map(html.escape, lines), t("generated {day}", day=today)])
    # the tenant comes from the data (a UPN domain) or the user: escaped, never markup
    return f"# {html.escape(title)} — {html.escape(tenant)}\n\n{facts}"


@_markdown
def plan_heading(rec: Any, history: pd.Series, tenant: str, demand_kind: str) -> str:
    """Heading of the funding plan: tenant, usage period, plan start and horizon."""
    sc = rec.scenarios
    kind = t("actual credit spend") if demand_kind == "actual" else t("what-if demand")
    return heading_markdown(
        t("Communications Credits funding plan"),
        tenant,
        [
            f"{kind} {period_text(history.index.min(), history.index.max())}",
            t("plan from {day} for {days}", day=text.date(sc.start),
              days=text.days(sc.horizon_days)),
            text.nt("{n} scenario", "{n} scenarios", sc.n_scenarios),
        ],
    )  # fmt: skip


@_markdown
def plan_markdown(rec: Any, status: str, level: str, *, postpaid: bool = False) -> str:
    """The recommendation in plain words, for the top of the funding plan: the verdict's
    banner (``level``: OK, ACT or ALERT, with the status line's reasons), the three values to
    type into the admin center (none for a ``postpaid`` tenant), the key figures defined, the
    explanation."""
    cur = rec.currency
    pol = rec.policy
    words = {"OK": t("OK"), "ACT": t("ACT"), "ALERT": t("ALERT")}
    lines = [
        f'<div class="planner-status planner-{level.lower()}">'
        f"<b>{html.escape(words[level])}</b> — {html.escape(_status_detail(status))}</div>",
        "",
    ]
    if not postpaid:
        lines += [
            f"| {t('What to set in the Microsoft 365 admin center')} | {t('Amount')} |",
            "|---|---:|",
            f"| {t('Add funds now (one-time)')} | **{text.money(pol.initial, cur)}** |",
            f"| {t('Auto-recharge amount')} | **{text.money(pol.recharge_amount, cur)}** |",
            f"| {t('Recharge when the balance falls below')} | "
            f"**{text.money(pol.threshold, cur)}** |",
            "",
            key_figures_markdown(rec),
            "",
        ]
    lines += [f"**{t('Why these settings')}**", ""]
    lines += [f"- {html.escape(s)}" for s in rec.explanation]
    return "\n".join(lines)


def _status_detail(status: str) -> str:
    """The status line without its ``planner: OK`` / ``planner: ALERT`` prefix."""
    return status.split(" ", 2)[2] if status.count(" ") >= 2 else status


@_markdown
def key_figures_markdown(rec: Any) -> str:
    """The plan's figures, each defined where it appears (risk, forfeiture, cost, rhythm)."""
    cur, m = rec.currency, rec.metrics
    horizon = text.days(rec.scenarios.horizon_days)
    today = unavoidable_forfeiture(rec)
    added = max(0.0, float(m["expected_forfeited"]) - today)
    risk = t(
        "**Risk of running out** within {horizon}: **{p}** (target: at most {target}), the "
        "share of simulated years in which the balance reaches zero at least once.",
        horizon=horizon,
        p=text.percent(m["p_stockout"]),
        target=text.percent(1 - rec.service_level),
    )
    if today >= 0.5:
        forfeit = t(
            "**Forfeiture** (funds that expire unused, 12 months after purchase): today's funds "
            "will lose about **{today}** whatever you do; these settings add **{added}**.",
            today=text.money(today, cur),
            added=text.money(added, cur),
        )
    else:
        forfeit = t(
            "**Forfeiture** (funds that expire unused, 12 months after purchase): about "
            "**{amount}** on average.",
            amount=text.money(m["expected_forfeited"], cur),
        )
    cost = t(
        "**Expected cost**: **{cost}**, the average forfeiture plus the cost of money tied up "
        "in the balance ({rate} a year of the mean balance, {balance}){overhead}; it is what "
        "the settings cost beyond the calls themselves.",
        cost=text.money(rec.cost, cur),
        rate=text.percent(rec.settings.get("holding_rate", 0.05)),
        balance=text.money(m["mean_balance"], cur),
        overhead=(
            t(" plus the handling of each recharge")
            if rec.settings.get("recharge_overhead", 0)
            else ""
        ),
    )
    rhythm = t(
        "**Recharges**: {recharges}, each one an invoice and an e-mail.",
        recharges=plan_text.recharges_a_month(m["recharges_per_month"]),
    )
    return "\n".join(f"- {line}" for line in (risk, forfeit, cost, rhythm))


@_markdown
def reading_guide_markdown(postpaid: bool = False) -> str:
    """How to read the funding plan: what each figure means, two sentences each (post-paid:
    today's credits, their forfeiture and the bill forecast; there is no policy to choose)."""
    if postpaid:
        items = [
            t(
                "**When the credits run out**: Communications Credits bought earlier pay for "
                "usage until they are spent or expire; after that, usage is billed after the "
                "fact (Microsoft Customer Agreement), so nothing stops at zero."
            ),
            t(
                "**Forfeiture**: funds expire 12 months after their purchase, and what is still "
                "unused then is lost. The plan shows what today's credits may lose before usage "
                "spends them."
            ),
            t(
                "**Monthly bill forecast**: each month's expected bill and its 90% and 99% upper "
                "bounds, from the same simulated years; a month above its 99% bound should come "
                "about once in a hundred months."
            ),
        ]
        return "\n".join(f"- {item}" for item in items)
    items = [
        t(
            "**Risk of running out (p(stock-out))**: the share of simulated years in which the "
            "balance reaches zero at least once before the horizon. At zero, calls that draw on "
            "credits fail until funds arrive, so the plan keeps this below your target."
        ),
        t(
            "**Forfeiture**: funds expire 12 months after their purchase, and what is still "
            "unused then is lost. Funds bought before today may expire whatever you do; the "
            "plan separates them from what a policy adds."
        ),
        t(
            "**Money tied up**: the average balance, paid in advance and not yet spent. It is "
            "costed at the holding rate (5% a year unless set), the return the money would "
            "earn elsewhere."
        ),
        t(
            "**Expected cost**: forfeiture plus the cost of money tied up (plus recharge "
            "handling when set), averaged over the simulated years. The calls themselves cost "
            "the same under every policy, so they are left out; the recommendation is the "
            "cheapest policy that meets the target."
        ),
    ]
    return "\n".join(f"- {item}" for item in items)


@_markdown
def position_markdown(rec: Any) -> str:
    """Today's balance, runway and next expiry in words (needs ``rec.position``)."""
    pos = rec.position
    if pos is None:
        return t("No balance file was given: runway and expiry cannot be shown.")
    cur = rec.currency
    rw = pos["runway_days"]
    if rw["censored"]:
        runway = t("more than {days} in most scenarios", days=text.days(rec.scenarios.horizon_days))
    else:
        runway = t(
            "about **{days}** (until {day}); in a bad year (5%) only {pessimistic}",
            days=text.days(rw["median"]),
            day=text.date(pos["depletion_date"]),
            pessimistic=text.days(rw["pessimistic"]),
        )
    return t(
        "Today's balance: **{balance}** (balance as of {as_of}). Without any purchase it lasts "
        "{runway}. Advice: {advice}.",
        balance=text.money(pos["balance"], cur),
        as_of=text.date(pos["as_of"]),
        runway=runway,
        advice=plan_text.advice(pos, cur),
    )


@_markdown
def alternatives_markdown(rec: Any) -> str:
    """One bullet per alternative policy: its name in bold, then its plain explanation."""
    alts = rec.alternatives
    if len(alts) == 0:
        return ""
    cur = rec.currency
    lines = []
    today = unavoidable_forfeiture(rec)
    if today >= 0.5:
        lines.append(
            t(
                "Every option includes the {amount} today's funds lose whatever you do.",
                amount=text.money(today, cur),
            )
        )
        lines.append("")
    for alt in alts.to_dict("records"):
        sentence = plan_text.alternative_sentence(alt, rec.cost, cur)
        lines.append(f"- **{html.escape(option_name(alt['option']))}**: {html.escape(sentence)}")
    return "\n".join(lines)


@_markdown
def one_time_markdown(rec: Any) -> str:
    """What a single purchase without auto-recharge would do."""
    one = rec.one_time_funding
    cur = rec.currency
    if one.get("amount") is None:
        return plan_text.one_time_sentence(one, rec.scenarios.horizon_days, cur)
    return t(
        "Without auto-recharge, one purchase of **{amount}** covers the next {days} in "
        "{covered} of simulated years, forfeits about {forfeited} on average and has an "
        "expected cost of {cost} (auto-recharge: {recommended}).",
        amount=text.money(one["amount"], cur),
        days=text.days(rec.scenarios.horizon_days),
        covered=text.percent(1 - one["p_stockout"]),
        forfeited=text.money(one["expected_forfeited"], cur),
        cost=text.money(one["cost"], cur),
        recommended=text.money(rec.cost, cur),
    )


@_markdown
def emails_markdown(emails: pd.DataFrame, currency: str, horizon_days: int) -> str:
    """Counts of the e-mails Microsoft would send over the horizon, in one sentence."""
    counts = emails["email"].value_counts()
    if counts.empty:
        return t(
            "No e-mail in {days}: no recharge and no empty balance.", days=text.days(horizon_days)
        )
    parts = [f"**{n}× {str(name).lower()}**" for name, n in counts.items()]
    return t(
        "In a typical simulated year (median demand) Microsoft would send {emails} over {days}. "
        "Nothing warns before funds expire.",
        emails=", ".join(parts),
        days=text.days(horizon_days),
    )


@_markdown
def demand_markdown(demand: Any, history: pd.Series, currency: str) -> str:
    """Which demand the plan uses, and its size."""
    kind = (
        t("the **actual credit spend** of the exports (calls charged to Communications Credits)")
        if demand.kind == "actual"
        else t("a **what-if demand**: the calls priced with the rate card after the minute pools")
    )
    per_day = float(history.mean())
    last30 = float(history.iloc[-30:].mean()) if len(history) else float("nan")
    return t(
        "The plan uses {kind}: {total} over {days}, {per_day} a day on average ({last30} over "
        "the last 30 days).",
        kind=kind,
        total=text.money(float(history.sum()), currency),
        days=text.days(len(history)),
        per_day=text.money(per_day, currency, 2),
        last30=text.money(last30, currency, 2),
    )


@_markdown
def usage_heading(
    quality: Mapping[str, Any], records: pd.DataFrame, currency: str, tenant: str | None = None
) -> str:
    """Heading of the usage analysis: tenant, period, calls, currency."""
    return heading_markdown(
        t("PSTN usage analysis"),
        tenant_label(records, tenant),
        [
            t("usage {period}", period=period_text(quality["period_start"],
                                                    quality["period_end"])),
            text.nt("{n} call", "{n} calls", quality["records"]),
            t("money in {currency}", currency=currency),
        ],
    )  # fmt: skip


@_markdown
def usage_key_figures(monthly: pd.DataFrame, currency: str) -> str:
    """Three key figures of the usage, for the top of the analysis.

    Parameters
    ----------
    monthly : DataFrame
        :func:`planner.analysis.monthly_summary`.
    """
    if len(monthly) == 0:
        return t("No calls in these exports.")
    total = int(monthly["credit_cents"].sum())
    cats = [c for c in monthly.columns if c.endswith("_cents") and c not in
            ("credit_cents", "credit_change_cents")]  # fmt: skip
    by_cat = monthly[cats].sum().sort_values(ascending=False)
    parts = [
        text.nt(
            "Credit spend **{total}** over {n} month, {average} a month on average",
            "Credit spend **{total}** over {n} months, {average} a month on average",
            len(monthly),
            total=text.cents(total, currency),
            average=text.money(total / 100 / len(monthly), currency, 2),
        )
    ]
    if total and len(by_cat):
        top = str(by_cat.index[0])
        parts.append(
            t(
                "the largest share is **{category}** ({share})",
                category=header(top, "", None).lower(),
                share=text.percent(int(by_cat.iloc[0]) / total),
            )
        )
    if len(monthly) >= 2:
        last, prev = monthly.iloc[-1], monthly.iloc[-2]
        change = last.get("credit_change_pct")
        if change is not None and np.isfinite(change):
            parts.append(
                t(
                    "the last month ({month}) spent {amount}, {change} on {previous} ({before})",
                    month=text.month(monthly.index[-1]),
                    amount=text.cents(int(last["credit_cents"]), currency),
                    change=text.percent(change, signed=True),
                    previous=text.month(monthly.index[-2]),
                    before=text.cents(int(prev["credit_cents"]), currency),
                )
            )
    return "; ".join(parts) + "."


@_markdown
def quality_markdown(quality: Mapping[str, Any]) -> str:
    """What the ingest read, in one paragraph."""
    files = quality["files"]
    out = t(
        "Read **{rows}** from **{files}**: **{calls}** kept, {duplicates} dropped (the same "
        "call in overlapping exports) and **{rejected}**.",
        rows=text.nt("{n} row", "{n} rows", quality["rows"]),
        files=text.nt("{n} file", "{n} files", len(files)),
        calls=text.nt("{n} call", "{n} calls", quality["records"]),
        duplicates=text.nt("{n} duplicate", "{n} duplicates", quality["duplicates"]),
        rejected=text.nt("{n} rejected", "{n} rejected", quality["rejected"]),
    )
    if quality["rejected"]:
        top = quality["rejects_by_reason"].iloc[0]
        out += " " + t(
            "Most common reason: *{reason}* ({rows}).",
            reason=html.escape(str(top["reason"])),  # it quotes values from the exports
            rows=text.nt("{n} row", "{n} rows", int(top["rows"])),
        )
    else:
        out += " " + t("Every row was readable.")
    for gap in quality.get("gaps", ()):
        out += " " + gap_warning(gap)
    return out


@_markdown
def month_end_markdown(share: Mapping[str, float], last_n_days: int) -> str:
    """One sentence on whether credit spend bunches at month end."""
    s, e, r = share.get("share"), share.get("expected"), share.get("ratio")
    if s is None or r is None or not np.isfinite(s):
        return t("No credit spend: no month-end pattern to show.")
    verdict = (
        t("spend **bunches at month end**")
        if r > 1.25
        else t("spend is **lighter at month end**")
        if r < 0.8
        else t("there is **no marked month-end pattern**")
    )
    return t(
        "The last {days} of a month hold {share} of credit spend, against {even} if spend were "
        "even ({ratio}×): {verdict}.",
        days=text.days(last_n_days),
        share=text.percent(s),
        even=text.percent(e),
        ratio=text.number(r, 2),
        verdict=verdict,
    )


@_markdown
def missing_markdown(name: str) -> str:
    """An italic line saying which optional input was not given and what it would add."""
    notes = {
        "departments": t("No department file given (--departments): no department view."),
        "licences": t("No licence file given (--licences): no minute-pool chart."),
        "user_licences": t("No user licence file given (--user-licences): no licence check."),
        "balance": t("No balance file given (--balance): no runway to show."),
    }
    return f"*{notes.get(name, name)}*"
