"""What-if credit demand: price a tenant's calls after its minute pools.

For a tenant sizing its first funding there are no ``MCOPSTNPP`` rows yet. Its calls are
priced from its licences (minute pools) and a rate card, following the Communications
Credits rules (``shared/domain/credits.md`` section 1).
"""

from __future__ import annotations

from dataclasses import dataclass

#: the plan code of a pay-as-you-go Calling Plan in a licence file
PAYG_PLAN = "PAYG"

#: countries where a Domestic Calling Plan includes 3,000 minutes per user per month
THREE_THOUSAND_MINUTE_COUNTRIES = frozenset({"US", "CA", "PR"})


@dataclass(frozen=True)
class PlanSpec:
    """Minutes a licence brings per user per calendar month.

    ``domestic`` is None when the allowance depends on the country (see
    :func:`domestic_allowance`); ``pooled`` is False for per-user allowances (``MCOPSTN8``).
    """

    description: str
    domestic: float | None
    international: float
    dial_out: float = 0.0
    pooled: bool = True


#: built-in allowance table (minutes per user per month), overridable per licence row
PLANS: dict[str, PlanSpec] = {
    "MCOPSTN1": PlanSpec("Domestic Calling Plan", None, 0.0),
    "MCOPSTN2": PlanSpec("Domestic and International Calling Plan", None, 600.0),
    "MCOPSTN5": PlanSpec("Domestic Calling Plan (120 min)", 120.0, 0.0),
    "MCOPSTN6": PlanSpec("Domestic Calling Plan (240 min)", 240.0, 0.0),
    "MCOPSTN8": PlanSpec("Domestic Calling Plan (120 min per user)", 120.0, 0.0, pooled=False),
    "MCOPSTN9": PlanSpec("International Calling Plan", 0.0, 600.0),
    "MCOMEETADD": PlanSpec("Audio Conferencing", 0.0, 0.0, dial_out=60.0),
    PAYG_PLAN: PlanSpec("Pay-As-You-Go Calling Plan", 0.0, 0.0),
}

_ALIASES = {
    "MCOPSTN1BR": "MCOPSTN1",
    "MCOPSTN1MX": "MCOPSTN1",
    "MCOPSTN2BR": "MCOPSTN2",
    "MCOPSTN2MX": "MCOPSTN2",
    "MCOMEETADD_DIALOUT_US": "MCOMEETADD",
    "MCOMEETADD_CN_GLOBAL": "MCOMEETADD",
    "MCOMEETADD_TATA": "MCOMEETADD",
}


def normalize_plan(name: str) -> str | None:
    """The plan code a licence-file value stands for, or None when it is not a plan."""
    code = name.strip().upper()
    if code in PLANS:
        return code
    if code in _ALIASES:
        return _ALIASES[code]
    flat = code.replace("-", "").replace("_", "").replace(" ", "")
    if "PAYG" in flat or "PAYASYOUGO" in flat:
        return PAYG_PLAN
    return None


def domestic_allowance(plan: str, country: str | None) -> float:
    """Built-in domestic minutes per user per month of ``plan`` in ``country``."""
    spec = PLANS[plan]
    if spec.domestic is not None:
        return spec.domestic
    return 3000.0 if (country or "") in THREE_THOUSAND_MINUTE_COUNTRIES else 1200.0
