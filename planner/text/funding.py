"""What a plan funds and what it bills: the spend left out of the demand (flagged by high
alerts) and what the balance or, post-paid, the forecast bill covers; when today's credits
run out; the bill a post-paid tenant should expect."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from planner.text import cents, date, money, nt, percent, t


def day_span(first: Any, last: Any) -> str:
    """``25 Oct 2026`` or ``25 Oct 2026 to 26 Oct 2026``."""
    if first == last:
        return date(first)
    return t("{first} to {last}", first=date(first), last=date(last))


def kind_words(kind: str) -> str:
    """An alert kind in words (``premium-rate calls``)."""
    from planner.text import alert_kind

    return alert_kind(kind)


def left_out_sentence(left_out: Any, *, kept: bool, postpaid: bool = False) -> str:
    """What the balance (post-paid: the forecast bill) covers and what it leaves to alerts
    and spend limits."""
    if postpaid:
        return _left_out_postpaid(left_out, kept=kept)
    if left_out is not None:
        return t(
            "The plan leaves out {amount} flagged as {kinds} on {days} ({calls}): the balance "
            "funds the tenant's own calls, bursts included, not fraud; alerts and per-user "
            "spend limits are the levers against it (--keep-alert-spend keeps it in).",
            **_left_out_values(left_out),
        )
    if kept:
        return t(
            "The plan funds all the spend of the history, what high alerts flag included "
            "(--keep-alert-spend)."
        )
    return t(
        "The balance funds the tenant's own calls, bursts included; no high alert flagged "
        "spend in the history. Fraud is left to the alerts and per-user spend limits."
    )


def _left_out_values(left_out: Any) -> dict[str, str]:
    """The words of what was left out: amount, kinds, days and calls."""
    return {
        "amount": money(left_out.amount_cents / 100, left_out.currency, 2),
        "kinds": ", ".join(kind_words(k) for k in left_out.kinds) or t("high alerts"),
        "days": day_span(left_out.first_date, left_out.last_date),
        "calls": nt("{n} call", "{n} calls", left_out.calls),
    }


def _left_out_postpaid(left_out: Any, *, kept: bool) -> str:
    if left_out is not None:
        return t(
            "The forecast leaves out {amount} flagged as {kinds} on {days} ({calls}): the bill "
            "forecast is the tenant's own calls, bursts included, not fraud; after use nothing "
            "caps fraud, so alerts and per-user spend limits are the levers against it "
            "(--keep-alert-spend keeps it in).",
            **_left_out_values(left_out),
        )
    if kept:
        return t(
            "The forecast counts all the spend of the history, what high alerts flag included "
            "(--keep-alert-spend)."
        )
    return t(
        "The forecast is the tenant's own calls, bursts included; no high alert flagged spend "
        "in the history. After use nothing caps fraud: alerts and per-user spend limits are "
        "the levers against it."
    )


def postpaid_sentences(outlook: Mapping[str, Any], run_out: Any, currency: str) -> list:
    """A post-paid tenant's plan: no recharge, when the credits run out
    (:func:`run_out_sentence`, with today's balance), the bill to expect."""
    lines = [
        t(
            "Post-paid billing (Microsoft Customer Agreement): Communications Credits cannot be "
            "bought, so there is no recharge to set; usage is billed after the fact."
        )
    ]
    if run_out is not None:
        lines.append(run_out_sentence(run_out, currency))
    lines.append(
        t(
            "Expect a bill of {total} over the next {months}, about {bill} a month (the "
            "costliest month's 90% upper bound: {high}).",
            total=money(outlook["bill_total"], currency),
            months=nt("{n} month", "{n} months", outlook["bill_months"]),
            bill=money(outlook["monthly_bill"], currency),
            high=money(outlook["monthly_bill_upper90"], currency),
        )
    )
    return lines


def run_out_sentence(run_out: Any, currency: str) -> str:
    """One sentence: when the remaining credits run out, post-usage billing starts
    (a :class:`planner.billing.RunOut`)."""
    balance = cents(run_out.balance_cents, currency)
    if run_out.balance_cents == 0:
        return t("No credits are left: every call is billed after use from the start.")
    if run_out.median is None:
        return t(
            "The remaining {balance} of credits last beyond {end} in most scenarios "
            "({p} run out earlier); post-usage billing starts after that.",
            balance=balance,
            end=date(run_out.horizon_end),
            p=percent(run_out.p_run_out),
        )
    latest = date(run_out.latest) if run_out.latest is not None else t("later")
    return t(
        "The remaining {balance} of credits run out around {median} (between {earliest} and "
        "{latest} in 8 scenarios out of 10); post-usage billing starts then.",
        balance=balance,
        median=date(run_out.median),
        earliest=date(run_out.earliest),
        latest=latest,
    )
