"""The funding plan in words: the sentences of the recommendation, its alternatives and the
one-line status of a scheduled run, in the language in use (:mod:`planner.text`).

The recommendation computes; this module only writes. Every function takes plain values
(a :class:`planner.engine.Policy`, metric dicts) so that the JSON, the reports, the workbook
and the command line say the same thing in the same words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from planner.scenarios.tail import FULL_EVIDENCE_DAYS
from planner.text import N_, date, days, money, nt, number, percent, semicolons, t
from planner.text.funding import day_span, kind_words, postpaid_sentences
from planner.text.notes import note, note_sentences


def recharges_a_month(n: float) -> str:
    """``about 1.4 recharges a month``."""
    shown = round(float(n), 1)
    return nt(
        "about {n} recharge a month", "about {n} recharges a month", shown, n=number(shown, 1)
    )


def purchase_clause(initial: float, recharge_amount: float, threshold: float, currency: str,
                    *, lots_given: bool) -> str:  # fmt: skip
    """What to do, first purchase first: ``Add $95 now, then recharge $95 when the balance
    falls below $60`` (or ``No purchase needed now; recharge ...`` when today's lots suffice).
    """
    if initial > 0:
        return t(
            "Add {initial} now, then recharge {amount} when the balance falls below {threshold}",
            initial=money(initial, currency),
            amount=money(recharge_amount, currency),
            threshold=money(threshold, currency),
        )
    if lots_given:
        return t(
            "No purchase needed now; recharge {amount} when the balance falls below {threshold}",
            amount=money(recharge_amount, currency),
            threshold=money(threshold, currency),
        )
    return t(
        "Recharge {amount} when the balance falls below {threshold}",
        amount=money(recharge_amount, currency),
        threshold=money(threshold, currency),
    )


def lead_clause(lead_days: int) -> str:
    """``funds arriving 1 day after the trigger``."""
    if not lead_days:
        return t("funds arriving the same day")
    return nt(
        "funds arriving {n} day after the trigger",
        "funds arriving {n} days after the trigger",
        lead_days,
    )


def policy_sentence(policy: Any, m: Mapping[str, float], currency: str, lots_given: bool) -> str:
    """The recommendation in one sentence, the first purchase first."""
    return t(
        "{what}: covers {covered} of simulated years with {lead}; {recharges}.",
        what=purchase_clause(
            policy.initial,
            policy.recharge_amount,
            policy.threshold,
            currency,
            lots_given=lots_given,
        ),  # fmt: skip
        covered=percent(1 - m["p_stockout"]),
        lead=lead_clause(policy.lead_days),
        recharges=recharges_a_month(m["recharges_per_month"]),
    )


def alternative_sentence(
    alt: Mapping[str, Any], recommended_cost: float, currency: str, *, cheapest: bool = True
) -> str:
    """One sentence on an alternative policy, compared with the recommendation from the same
    numbers the table shows; the recommended row is "the cheapest that meets the service
    level" only when ``cheapest`` (no row shown is cheaper and feasible)."""
    if alt["auto_recharge"]:
        what = purchase_clause(
            alt["initial"], alt["recharge_amount"], alt["threshold"], currency, lots_given=True
        )
        rhythm = recharges_a_month(alt["recharges_per_month"])
    else:
        what = t("Buy {amount} once, no auto-recharge", amount=money(alt["initial"], currency))
        rhythm = t("no recharges")
    diff = alt["cost"] - recommended_cost
    if alt["option"] == "recommended":
        versus = t("the cheapest that meets the service level") if cheapest else t("recommended")
    elif abs(diff) < 0.5:
        versus = t("about the same cost as recommended")
    elif diff > 0:
        versus = t("{amount} more than recommended", amount=money(abs(diff), currency))
    else:
        versus = t("{amount} less than recommended", amount=money(abs(diff), currency))
    return t(
        "{what}: covers {covered} of simulated years, {rhythm}, forfeits {forfeited}; "
        "expected cost {cost} ({versus}).",
        what=what,
        covered=percent(1 - alt["p_stockout"]),
        rhythm=rhythm,
        forfeited=money(alt["expected_forfeited"], currency),
        cost=money(alt["cost"], currency),
        versus=versus,
    )


def growth_sentence(growth_per_year: float, given: bool) -> str:
    """Which demand growth the scenarios use, and where it comes from."""
    rate = t("{rate}/year", rate=percent(growth_per_year, signed=True))
    if given:
        return t("Demand grows by {rate}, as you set it (--growth).", rate=rate)
    return t(
        "Demand grows by {rate}, the trend of the history (set another with --growth).",
        rate=rate,
    )


def position_sentence(
    position: Mapping[str, Any], horizon_days: int, currency: str, add_now: Any = None
) -> str:
    """Today's balance, how long it lasts with no purchase, and the advice: the first
    purchase's reason when the plan adds funds now (``add_now``, the verdict's reason)."""
    rw = position["runway_days"]
    if rw["censored"]:
        lasts = t(
            "lasts beyond the {n}-day horizon in most simulated years", n=number(horizon_days)
        )
    else:
        lasts = t(
            "lasts about {median} (until {day}; 5% risk: under {pessimistic}) without further "
            "purchases",
            median=days(rw["median"]),
            day=date(position["depletion_date"]),
            pessimistic=days(rw["pessimistic"]),
        )
    return t(
        "Today's balance of {balance} {lasts}; {advice}.",
        balance=money(position["balance"], currency),
        lasts=lasts,
        advice=advice(position, currency, add_now),
    )


def advice(position: Mapping[str, Any], currency: str, add_now: Any = None) -> str:
    """What to do about today's balance: the recommendation's first purchase and its reason
    when there is one, else the position's flags (never "no purchase needed" beside a first
    purchase)."""
    if add_now is not None:
        return add_now_phrase(add_now.values, currency)
    if position["act_now"]:
        return t(
            "act now: the balance may run out within {days}; add funds or turn on auto-recharge",
            days=days(position["runway_days"]["pessimistic"]),
        )
    if position["expected_forfeit_total"] > 0.01 * max(position["balance"], 1.0):
        return t(
            "no purchase needed yet; spend is too low to use all of today's funds before they "
            "expire, so avoid adding more than the recommendation"
        )
    return t("no action needed yet")


def unavoidable_sentence(position: Mapping[str, Any] | None, currency: str) -> str:
    """What today's lots lose whatever the policy (empty when nothing)."""
    if position is None or position["expected_forfeit_total"] < 0.5:
        return ""
    nxt = position["expiring"].dropna(subset=["expected_forfeit"])
    nxt = nxt[nxt["expected_forfeit"] >= 0.5]
    first = nxt.iloc[0]
    total = money(position["expected_forfeit_total"], currency)
    if len(nxt) == 1:
        return t(
            "About {total} of today's funds will expire unused on {day} whatever you do: "
            "spend before then is too low to use them.",
            total=total,
            day=date(first["date"]),
        )
    return t(
        "About {total} of today's funds will expire unused whatever you do, the first "
        "{amount} on {day}.",
        total=total,
        amount=money(first["expected_forfeit"], currency),
        day=date(first["date"]),
    )


def current_sentence(current: Mapping[str, Any], service_level: float, cost: float,
                     currency: str) -> str:  # fmt: skip
    """How the admin's current settings compare with the recommendation."""
    if current["auto_recharge"]:
        settings = t(
            "Your current settings (recharge {amount} below {threshold})",
            amount=money(current["recharge_amount"], currency),
            threshold=money(current["threshold"], currency),
        )
    else:
        settings = t("Your current settings (no auto-recharge)")
    verdict = (
        t("meets the {target} target", target=percent(service_level))
        if current["meets_service_level"]
        else t("does not meet the {target} target", target=percent(service_level))
    )
    return t(
        "{settings} run out of credit in {p} of simulated years ({verdict}); expected "
        "forfeiture {forfeited}, expected cost {cost} against {recommended} recommended.",
        settings=settings,
        p=percent(current["p_stockout"]),
        verdict=verdict,
        forfeited=money(current["expected_forfeited"], currency),
        cost=money(current["cost"], currency),
        recommended=money(cost, currency),
    )


def one_time_sentence(one: Mapping[str, Any], horizon_days: int, currency: str) -> str:
    """What one purchase without auto-recharge would do."""
    if one.get("amount") == 0:
        return t(
            "Without auto-recharge, today's balance alone covers the next {days} in {covered} "
            "of simulated years.",
            days=days(horizon_days),
            covered=percent(1 - one["p_stockout"]),
        )
    if one.get("amount") is not None:
        return t(
            "Without auto-recharge, a one-time purchase of {amount} covers the next {days} in "
            "{covered} of simulated years and forfeits about {forfeited} on average.",
            amount=money(one["amount"], currency),
            days=days(horizon_days),
            covered=percent(1 - one["p_stockout"]),
            forfeited=money(one["expected_forfeited"], currency),
        )
    return t("Without auto-recharge, one purchase cannot cover the horizon: funds expire first.")


def unseen_bursts_sentence(rec: Any) -> str | None:
    """What a year of history cannot show (the rare bursts that decide a high service level)
    and the alternative that allows for them: the ``higher service level`` one, when the
    recommendation has it (None otherwise). ``README.md`` (backtest) measures how it does."""
    row = rec.safer_alternative()
    if row is None:
        return None
    values = {
        "option": option_name(str(row["option"])),
        "amount": money(row["recharge_amount"], rec.currency),
        "threshold": money(row["threshold"], rec.currency),
        "versus": cost_versus(float(row["cost"]) - float(rec.cost), rec.currency),
    }
    held = int(rec.scenarios.history_days)
    if held < FULL_EVIDENCE_DAYS:  # the scenarios lean toward bursts it has not shown
        return t(
            "{days} of history hold fewer still of the rare bursts of spend (a conference "
            "week, a hotline rush) that decide a service level this high: the plan allows "
            "for bursts the history has not shown, and a year of exports makes the risk above "
            "surer. If one would hurt, take the {option} alternative: recharge {amount} when "
            "the balance falls below {threshold}, {versus}.",
            days=days(held),
            **values,
        )
    return t(
        "A year of history holds few of the rare bursts of spend (a conference week, a "
        "hotline rush) that decide a service level this high, so the risk above can be "
        "too low for a tenant whose bursts its history has not shown. If one would hurt, take "
        "the {option} alternative: recharge {amount} when the balance falls below "
        "{threshold}, {versus}.",
        **values,
    )


def gap_warning(gap: tuple[Any, Any]) -> str:
    """Days without a single call record in the exports (:func:`planner.analysis.record_gaps`):
    the plan counts them as days without spend."""
    first, last = gap
    return t(
        "No call record at all from {first} to {last} ({days}): a closure, or an export not "
        "downloaded? The plan counts those days as days without spend; if an export is "
        "missing, add it, or the plan can be sized below the tenant's spend.",
        first=date(first),
        last=date(last),
        days=days((last - first).days + 1),
    )


def cost_versus(diff: float, currency: str) -> str:
    """An expected cost against the recommendation's: ``for an expected cost $8 higher``."""
    if diff >= 0.5:
        return t("for an expected cost {amount} higher", amount=money(diff, currency))
    if diff <= -0.5:
        return t("for an expected cost {amount} lower", amount=money(-diff, currency))
    return t("for about the same expected cost")


def alternative_sentences(rec: Any) -> list[str]:
    """Every alternative's sentence (:func:`alternative_sentence`) from the table's numbers."""
    alts = rec.alternatives
    feasible = alts["p_stockout"] <= 1 - rec.service_level + 1e-12
    cheapest = not bool((feasible & (alts["cost"] < rec.cost - 0.5)).any())
    return [
        alternative_sentence(row, rec.cost, rec.currency, cheapest=cheapest)
        for row in alts.to_dict("records")
    ]


def explain(
    rec: Any,
    *,
    growth_given: bool = False,
    dropped: list[str] | tuple = (),
    gaps: Sequence[str] = (),
    verdict: Any = None,
    funded: str | None = None,
    outlook: Mapping[str, Any] | None = None,
    run_out: Any = None,
) -> None:
    """Write a recommendation's words in the language in use: its explanation
    (:func:`explanation`), its alternatives' sentences and its warnings. ``dropped``: the
    lot check's warnings (:func:`planner.inputs.check_lots`), each starting with the file's
    name, so written as they are; ``gaps``: the sentences on the exports' days without a
    record (:func:`gap_warning`)."""
    rec.warnings = [note(n) for n in rec.scenarios.warnings]
    rec.alternatives["explanation"] = alternative_sentences(rec)
    lots_note = [" ".join(f"{w}." for w in dropped)] if dropped else []
    rec.explanation = explanation(
        rec,
        growth_given=growth_given,
        notes=lots_note + list(gaps) + note_sentences(rec.scenarios.warnings),
        verdict=verdict,
        funded=funded,
        outlook=outlook,
        run_out=run_out,
    )


def explanation(
    rec: Any,
    *,
    growth_given: bool = False,
    notes: list[str] | tuple = (),
    verdict: Any = None,
    funded: str | None = None,
    outlook: Mapping[str, Any] | None = None,
    run_out: Any = None,
) -> list:
    """The recommendation explained, one sentence per point: the verdict's alerts first, then
    the first purchase. ``funded`` says what the balance covers
    (:func:`planner.text.funding.left_out_sentence`);
    with a post-paid ``outlook`` there is no recharge: the credits (``run_out``, a
    :class:`planner.billing.RunOut`) and the bill instead."""
    cur = rec.currency
    lines = []
    for code in ("high_alert", "postpaid_auto_recharge"):
        reason = None if verdict is None else verdict.reason(code)
        if reason is not None:
            phrase = reason_phrase(reason, cur)
            lines.append(phrase[:1].upper() + phrase[1:] + ".")
    if outlook is not None:
        lines += postpaid_sentences(outlook, run_out, cur)
        return [*lines, *([funded] if funded else []), *notes]
    lines.append(policy_sentence(rec.policy, rec.metrics, cur, rec.position is not None))
    add_now = None if verdict is None else verdict.reason("add_now")
    if rec.position is not None:
        lines.append(position_sentence(rec.position, rec.scenarios.horizon_days, cur, add_now))
        unavoidable = unavoidable_sentence(rec.position, cur)
        if unavoidable:
            lines.append(unavoidable)
    if rec.current is not None:
        lines.append(current_sentence(rec.current, rec.service_level, rec.cost, cur))
    lines.append(one_time_sentence(rec.one_time_funding, rec.scenarios.horizon_days, cur))
    if growth_given or not any("--growth" in n for n in notes):  # else a note says it
        lines.append(growth_sentence(rec.scenarios.growth_per_year, growth_given))
    bursts = unseen_bursts_sentence(rec)
    if bursts:
        lines.append(bursts)
    if funded:
        lines.append(funded)
    lines.extend(notes)
    return lines


def reason_phrase(reason: Any, currency: str) -> str:
    """One reason of a verdict (:class:`planner.plan.Reason`) in a phrase."""
    v = reason.values
    if reason.code == "high_alert":
        who = " ".join(str(x) for x in (v["upn"], v["country"]) if x)
        return nt(
            "{n} high alert in the period checked: {kind}{who}, {amount} on {days}; act on it "
            "now (the plan does not fund it: alerts and per-user spend limits are the levers)",
            "{n} high alerts in the period checked, the largest: {kind}{who}, {amount} on "
            "{days}; act on them now (the plan does not fund them: alerts and per-user spend "
            "limits are the levers)",
            v["count"],
            kind=kind_words(v["kind"]),
            who=f" ({who})" if who else "",
            amount=money(v["amount_cents"] / 100, v["currency"], 2),
            days=day_span(v["first_date"], v["last_date"]),
        )
    if reason.code == "runway":
        return t(
            "balance may run out within {days} (alert below {alert})",
            days=days(v["pessimistic"]),
            alert=number(v["alert_days"]),
        )
    if reason.code == "current_risk":
        return t(
            "current settings run out of credit in {p} of simulated years (allowed {allowed})",
            p=percent(v["p_stockout"]),
            allowed=percent(v["allowed"]),
        )
    if reason.code == "add_now":
        return add_now_phrase(v, currency)
    if reason.code == "postpaid_auto_recharge":
        return t(
            "turn auto-recharge off: on post-paid billing the balance would refill itself "
            "and post-usage billing would never start"
        )
    raise ValueError(f"unknown reason {reason.code!r}")


def add_now_phrase(v: Mapping[str, Any], currency: str) -> str:
    """Why the plan adds funds now: the balance is below the trigger, or without it the
    service level breaks before a recharge can arrive."""
    if v["below_trigger"]:
        return t(
            "add {amount} now: today's balance of {balance} is already below the {threshold} "
            "trigger",
            amount=money(v["amount"], currency),
            balance=money(v["balance"], currency),
            threshold=money(v["threshold"], currency),
        )
    return t(
        "add {amount} now: without it the balance runs out before a recharge can arrive in "
        "{p} of simulated years (allowed {allowed})",
        amount=money(v["amount"], currency),
        p=percent(v["p_without"]),
        allowed=percent(v["allowed"]),
    )


def status_line(rec: Any, verdict: Any, outlook: Mapping[str, Any] | None = None) -> str:
    """The one-line status of a scheduled run: the verdict's level and reasons, then the
    runway, the current settings and the recommendation, first purchase first."""
    pol = rec.policy
    phrases = verdict_phrases(
        verdict.reasons,
        rec.currency,
        runway=None if rec.position is None else rec.position["runway_days"],
        current_p=None if rec.current is None else rec.current["p_stockout"],
        bill=None if outlook is None else (outlook["bill_total"], outlook["bill_months"]),
        policy=(pol.initial, pol.recharge_amount, pol.threshold),
    )
    # OK / ACT / ALERT stay in English in every language: scheduled jobs match them
    return f"planner: {verdict.level} " + semicolons(phrases)


#: the runway of a status line, beyond the horizon and within it: of the balance for a
#: prepaid tenant, of today's credits for a post-paid one
_RUNWAY_WORDS = {
    "runway": (N_("runway more than {days}"), N_("runway {days} (pessimistic {pessimistic})")),
    "credits": (
        N_("credits last more than {days}"),
        N_("credits last {days} (pessimistic {pessimistic})"),
    ),
}


def verdict_phrases(
    reasons: Sequence[Any],
    currency: str,
    *,
    runway: Mapping[str, Any] | None = None,
    current_p: float | None = None,
    bill: tuple[float, int] | None = None,
    policy: tuple[float, float, float] | None = None,
) -> list[str]:
    """Why a plan is OK, ACT or ALERT, in phrases: its reasons (:class:`planner.plan.Reason`),
    then the runway (``median``, ``pessimistic``, ``censored``), the current settings' risk
    (unless a reason says it, or the tenant is post-paid), the post-paid ``(bill, months)``
    or the recommended ``(initial, recharge amount, threshold)``. The status line and the
    batch's portfolio write the same words."""
    phrases = [reason_phrase(r, currency) for r in reasons]
    if runway is not None:
        beyond, within = _RUNWAY_WORDS["credits" if bill is not None else "runway"]
        span = days(runway["median"])
        phrases.append(
            t(beyond, days=span)
            if runway["censored"]
            else t(within, days=span, pessimistic=number(runway["pessimistic"]))
        )
    if (
        current_p is not None
        and bill is None
        and not any(r.code == "current_risk" for r in reasons)
    ):
        phrases.append(t("current settings: stock-out risk {p}", p=percent(current_p)))
    if bill is not None:
        phrases.append(
            t(
                "post-paid: bill about {total} over the next {months}",
                total=money(bill[0], currency),
                months=nt("{n} month", "{n} months", bill[1]),
            )
        )
    elif policy is not None:
        what = purchase_clause(*policy, currency, lots_given=runway is not None)
        phrases.append(t("recommended: {what}", what=what[:1].lower() + what[1:]))
    return phrases


def option_name(option: str) -> str:
    """An alternative's name in words of the language (``higher service level (99.8%)``).

    >>> option_name("higher service level (99.8%)"), option_name("recommended")
    ('higher service level (99.8%)', 'recommended')
    """
    m = re.fullmatch(r"(.*?)(?: \((.+)\))?", str(option))
    base, detail = (m.group(1), m.group(2)) if m else (str(option), None)
    names = {
        "recommended": t("recommended"),
        "fewer recharges": t("fewer recharges"),
        "lowest forfeiture": t("lowest forfeiture"),
        "higher service level": t("higher service level"),
        "lower service level": t("lower service level"),
        "one-time funding": t("one-time funding"),
        "current settings": t("current settings"),
    }
    name = names.get(base, base)
    if detail:
        try:
            # written by planner.recommend in the language of its run: "99.8%" or "99,8 %"
            digits = "".join(ch for ch in detail if ch not in "% \xa0\u202f")
            share = float(digits.replace(",", ".")) / 100
        except ValueError:
            return f"{name} ({detail})"
        return f"{name} ({percent(share)})"
    return name
