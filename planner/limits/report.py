"""Spend limits as a person reads them: the console text, a Markdown section for the funding
report, and a workbook sheet."""

from __future__ import annotations

import pandas as pd

from planner import text as words
from planner.limits.recommend import LimitsResult, PolicyLimits
from planner.money import from_cents
from planner.text import N_, t

__all__ = ["limits_markdown", "limits_sheet", "limits_text"]

#: headers of the candidate table (translated when written)
_HEADERS = (
    N_("limit"),
    N_("user-months blocked"),
    N_("of them legitimate"),
    N_("users"),
    N_("calls"),
    N_("minutes"),
    N_("spend blocked"),
    N_("days lost"),
    N_("alert spend capped"),
)


def _cells(policy: PolicyLimits, currency: str) -> list[list[str]]:
    rows = []
    for r in policy.candidates.to_dict("records"):
        mark = " *" if r["recommended"] else (" (" + t("current") + ")" if r["current"] else "")
        rows.append(
            [
                words.number(r["limit"]) + mark,
                words.number(r["blocked_user_months"]),
                words.number(r["legitimate_blocked"]),
                words.number(r["blocked_users"]),
                words.number(r["blocked_calls"]),
                words.number(r["blocked_minutes"]),
                words.cents(r["blocked_cents"], currency),
                words.number(r["days_lost"]),
                words.cents(r["capped_alert_cents"], currency),
            ]
        )
    return rows


def _summary(policy: PolicyLimits, currency: str) -> str:
    rec = policy.outcome(policy.recommended)
    legit = policy.legitimate_user_months
    share = rec["legitimate_blocked"] / legit if legit else 0.0
    return t(
        "{policy}: {users} users, {months} user-months with outgoing PSTN calls, {flagged} "
        "with calls the alerts flag ({alert}). Recommended limit {limit} {currency} a user a "
        "month: it would have blocked {blocked} legitimate user-months ({share}) and stopped "
        "{capped} of the flagged spend.",
        policy=policy.policy,
        users=words.number(policy.users),
        months=words.number(policy.user_months),
        flagged=words.number(policy.user_months - legit),
        alert=words.cents(policy.alert_cents, currency),
        limit=words.number(policy.recommended),
        currency=currency,
        blocked=words.number(rec["legitimate_blocked"]),
        share=words.percent(share),
        capped=words.cents(rec["capped_alert_cents"], currency),
    )


def _table(policy: PolicyLimits, currency: str) -> str:
    frame = pd.DataFrame(_cells(policy, currency), columns=[t(h) for h in _HEADERS])
    return frame.to_string(index=False)


def limits_text(result: LimitsResult) -> str:
    """Per policy: the summary, the candidate limits (``*`` the recommended one) and the
    PowerShell line that applies the recommendation."""
    if not result.policies:
        return t("No outgoing PSTN calls by users: nothing a spend limit would count.")
    blocks = []
    for policy in result.policies:
        blocks.append(
            "\n".join(
                [
                    _summary(policy, result.currency),
                    "",
                    _table(policy, result.currency),
                    "",
                    policy.command,
                ]
            )
        )
    return "\n\n".join(blocks)


def limits_markdown(result: LimitsResult) -> str:
    """A short section for the funding report: per policy the summary and the command."""
    lines = ["## " + t("Per-user spend limits"), ""]
    if not result.policies:
        lines.append(t("No outgoing PSTN calls by users: nothing a spend limit would count."))
    for policy in result.policies:
        lines += [_summary(policy, result.currency), "", f"    {policy.command}", ""]
    return "\n".join(lines).rstrip() + "\n"


def limits_sheet(result: LimitsResult) -> pd.DataFrame:
    """One row per policy and candidate limit (amounts in currency units, exact to the cent),
    with the recommendation marked and the command of the recommended row."""
    frames = []
    for policy in result.policies:
        frame = policy.candidates.copy()
        frame.insert(0, "policy", policy.policy)
        frame["blocked_spend"] = from_cents(frame.pop("blocked_cents"))
        frame["capped_alert_spend"] = from_cents(frame.pop("capped_alert_cents"))
        frame["command"] = [policy.command if r else "" for r in frame["recommended"]]
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=["policy", "limit", "command"])
    return pd.concat(frames, ignore_index=True)
