"""Per-user spend limits (``CallingSpendUserLimit``): what they count, a recommended value for
each calling policy, and what each candidate would have blocked and capped of the history.
See ``docs/billing.md``."""

from planner.limits.policies import DEFAULT_POLICY, assign_policies, parse_limit, read_policies
from planner.limits.recommend import (
    HEADROOM,
    MIN_LIMIT,
    LimitsResult,
    PolicyLimits,
    evaluate_limit,
    flagged_usage_ids,
    policy_command,
    recommend_limit,
    spend_limits,
)
from planner.limits.spend import apply_limit, limit_calls, user_months

__all__ = [
    "DEFAULT_POLICY",
    "HEADROOM",
    "MIN_LIMIT",
    "LimitsResult",
    "PolicyLimits",
    "apply_limit",
    "assign_policies",
    "evaluate_limit",
    "flagged_usage_ids",
    "limit_calls",
    "parse_limit",
    "policy_command",
    "read_policies",
    "recommend_limit",
    "spend_limits",
    "user_months",
]
