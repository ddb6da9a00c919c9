"""The plan catalogue: capability codes, Calling Plan allowances, Audio Conferencing Zone A.

The words every other module uses for licences and capabilities, kept in one place
(``docs/credit-model.md``, section "Minute pools"):

- :data:`CREDITS_CAPABILITY` (``MCOPSTNPP``) marks a call paid from Communications Credits;
  :data:`CREDITS_LICENCE` (``MCOPSTNC``) is the licence a user needs to draw on them;
- :data:`PLANS` lists the minutes each Calling Plan / Audio Conferencing licence brings per
  user per calendar month (:func:`domestic_allowance` for the country-dependent ones);
- :func:`normalize_plan` maps a licence-file or capability value to its plan code;
- :data:`ZONE_A` (and :data:`ZONE_A_CODES` for names as exports spell them) is where
  Audio Conferencing dial-out minutes are included;
- :data:`PRODUCT_PLANS` names the plans as the Microsoft 365 admin center's user export
  does.

Built-in allowances (minutes per user per calendar month; a licence file's
``minutes_per_user`` overrides the plan's main allowance: domestic minutes, or international
minutes for ``MCOPSTN9``, or dial-out minutes for ``MCOMEETADD``):

- ``MCOPSTN1`` Domestic Calling Plan: 3,000 domestic minutes in US, CA and PR, 1,200 in
  any other country (EU, UK);
- ``MCOPSTN2`` Domestic and International Calling Plan: domestic as ``MCOPSTN1``, plus 600
  international minutes;
- ``MCOPSTN5`` / ``MCOPSTN6`` Domestic Calling Plan (120 / 240 min): 120 / 240 domestic;
- ``MCOPSTN8`` Domestic Calling Plan (120 min per user): 120 domestic, per user, not pooled;
- ``MCOPSTN9`` International Calling Plan (add-on): 600 international;
- ``MCOMEETADD`` Audio Conferencing: 60 dial-out minutes to Zone A;
- ``PAYG`` (or any plan named "pay-as-you-go"): no minutes, every outgoing minute is priced.

This module imports nothing heavy: ``planner ingest`` loads it at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AUDIO_CONFERENCING_PLAN",
    "AUDIO_CONFERENCING_PRODUCT",
    "CREDITS_CAPABILITY",
    "CREDITS_LICENCE",
    "CREDITS_PRODUCT",
    "DOMESTIC_PLANS",
    "INTERNATIONAL_PLANS",
    "NOT_ON_CREDITS_PREFIXES",
    "PAYG_PLAN",
    "PER_USER_PLAN",
    "PLANS",
    "PLAN_PRODUCTS",
    "PRODUCT_PLANS",
    "PlanSpec",
    "ZONE_A",
    "ZONE_A_CODES",
    "ZONE_A_NAMES",
    "domestic_allowance",
    "normalize_plan",
]

# --------------------------------------------------------------------------------------------
# capability codes
# --------------------------------------------------------------------------------------------

#: the capability of a call paid from Communications Credits
CREDITS_CAPABILITY = "MCOPSTNPP"

#: the Communications Credits licence a user needs to draw on the balance
CREDITS_LICENCE = "MCOPSTNC"

#: capabilities whose calls never draw on credits (billed elsewhere, or given free):
#: pay-per-minute Audio Conferencing billed through the licensing agreement, free calls
NOT_ON_CREDITS_PREFIXES: tuple[str, ...] = ("MCOMEETACPEA", "FREECALL")

#: the plan code of a pay-as-you-go Calling Plan in a licence file
PAYG_PLAN = "PAYG"

#: Audio Conferencing with dial-out minutes (a tenant-wide dial-out pool)
AUDIO_CONFERENCING_PLAN = "MCOMEETADD"

#: the Calling Plan whose domestic minutes are per user, not pooled
PER_USER_PLAN = "MCOPSTN8"

#: Calling Plans that bring domestic minutes
DOMESTIC_PLANS: frozenset[str] = frozenset(
    {"MCOPSTN1", "MCOPSTN2", "MCOPSTN5", "MCOPSTN6", "MCOPSTN8"}
)

#: Calling Plans that bring international minutes
INTERNATIONAL_PLANS: frozenset[str] = frozenset({"MCOPSTN2", "MCOPSTN9"})

#: countries where a Domestic Calling Plan includes 3,000 minutes per user per month
THREE_THOUSAND_MINUTE_COUNTRIES = frozenset({"US", "CA", "PR"})


# --------------------------------------------------------------------------------------------
# plans and their allowances
# --------------------------------------------------------------------------------------------


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
    PER_USER_PLAN: PlanSpec("Domestic Calling Plan (120 min per user)", 120.0, 0.0, pooled=False),
    "MCOPSTN9": PlanSpec("International Calling Plan", 0.0, 600.0),
    AUDIO_CONFERENCING_PLAN: PlanSpec("Audio Conferencing", 0.0, 0.0, dial_out=60.0),
    PAYG_PLAN: PlanSpec("Pay-As-You-Go Calling Plan", 0.0, 0.0),
}

# regional variants counted as their base plan (they share its pool)
_ALIASES = {
    "MCOPSTN1BR": "MCOPSTN1",
    "MCOPSTN1MX": "MCOPSTN1",
    "MCOPSTN2BR": "MCOPSTN2",
    "MCOPSTN2MX": "MCOPSTN2",
    "MCOMEETADD_DIALOUT_US": "MCOMEETADD",
    "MCOMEETADD_CN_GLOBAL": "MCOMEETADD",
    "MCOMEETADD_TATA": "MCOMEETADD",
}

#: product names in the admin center's user export -> plan code
PRODUCT_PLANS: dict[str, str] = {
    "Microsoft Teams Domestic Calling Plan": "MCOPSTN1",
    "Microsoft Teams Domestic and International Calling Plan": "MCOPSTN2",
    "Microsoft Teams Domestic Calling Plan (120 min)": "MCOPSTN5",
    "Microsoft Teams Domestic Calling Plan (240 min)": "MCOPSTN6",
}

#: plan code -> product name in the admin center's user export
PLAN_PRODUCTS: dict[str, str] = {v: k for k, v in PRODUCT_PLANS.items()}

#: the Audio Conferencing product (``MCOMEETADD``) in the admin center's user export
AUDIO_CONFERENCING_PRODUCT = (
    "Microsoft Teams Audio Conferencing with dial-out to select geographies"
)

#: the Communications Credits licence (``MCOPSTNC``) in the admin center's user export
CREDITS_PRODUCT = "Communications Credits"


def normalize_plan(name: str) -> str | None:
    """The plan code a licence-file value stands for, or None when it is not a plan.

    >>> normalize_plan(" mcopstn1mx "), normalize_plan("Pay-as-you-go"), normalize_plan("E5")
    ('MCOPSTN1', 'PAYG', None)
    """
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
    """Built-in domestic minutes per user per month of ``plan`` in ``country``.

    >>> domestic_allowance("MCOPSTN1", "US"), domestic_allowance("MCOPSTN1", "FR")
    (3000.0, 1200.0)
    """
    spec = PLANS[plan]
    if spec.domestic is not None:
        return spec.domestic
    return 3000.0 if (country or "") in THREE_THOUSAND_MINUTE_COUNTRIES else 1200.0


# --------------------------------------------------------------------------------------------
# Zone A (Audio Conferencing dial-out included in the pool)
# --------------------------------------------------------------------------------------------

#: Audio Conferencing Zone A, as ISO 3166-1 alpha-2 codes
ZONE_A: frozenset[str] = frozenset(
    "AU AT BE BR BG CA CN HR CZ DK EE FI FR DE GR HK HU IN IE IT JP LU MY MX NL NZ NO PL PT PR "
    "RO RU SG SK SI ZA KR ES SE CH TW TH GB US".split()
)

#: Zone A country names as ``Destination Dialed`` spells them (lower case) -> ISO code
ZONE_A_CODES: dict[str, str] = {
    "australia": "AU", "austria": "AT", "belgium": "BE", "brazil": "BR", "bulgaria": "BG",
    "canada": "CA", "china": "CN", "croatia": "HR", "czech republic": "CZ", "czechia": "CZ",
    "denmark": "DK", "estonia": "EE", "finland": "FI", "france": "FR", "germany": "DE",
    "greece": "GR", "hong kong": "HK", "hong kong sar": "HK", "hungary": "HU", "india": "IN",
    "ireland": "IE", "italy": "IT", "japan": "JP", "luxembourg": "LU", "malaysia": "MY",
    "mexico": "MX", "netherlands": "NL", "new zealand": "NZ", "norway": "NO", "poland": "PL",
    "portugal": "PT", "puerto rico": "PR", "romania": "RO", "russia": "RU", "singapore": "SG",
    "slovakia": "SK", "slovenia": "SI", "south africa": "ZA", "south korea": "KR",
    "korea": "KR", "spain": "ES", "sweden": "SE", "switzerland": "CH", "taiwan": "TW",
    "thailand": "TH", "united kingdom": "GB", "united states": "US",
}  # fmt: skip

#: Zone A country names (lower case), as ``Destination Dialed`` spells them
ZONE_A_NAMES: frozenset[str] = frozenset(ZONE_A_CODES)
