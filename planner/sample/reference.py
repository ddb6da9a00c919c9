"""The sample tenant's fixed facts: dates, export headers, countries, rates, names, rhythms."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: the seed of the shipped sample tenant
SAMPLE_SEED = 20251001


#: first and last day of usage (UTC, inclusive)
USAGE_START = pd.Timestamp("2025-10-01")


USAGE_END = pd.Timestamp("2026-10-31")


#: the day the current export was downloaded and the balance was read
EXPORT_DATE = pd.Timestamp("2026-11-01")


#: the older (legacy format) export: its range and download day
LEGACY_START = pd.Timestamp("2025-10-01")


LEGACY_END = pd.Timestamp("2025-12-31")


LEGACY_EXPORT_DATE = pd.Timestamp("2026-01-05")


TENANT_NAME = "Fabrikam Industries"


#: where the sample is shipped, inside the package (the records' ``source_file`` are relative
#: to the package folder)
SHIPPED_AS = "data/sample"


DOMAIN = "fabrikam.com"


CURRENCY = "USD"


CURRENT_HEADER: tuple[str, ...] = (
    "UsageId",
    "Call ID",
    "Conference ID",
    "User Location",
    "Microsoft Entra ObjectId",
    "UPN",
    "User Display Name",
    "Caller ID",
    "Call Type",
    "Call Direction",
    "Number Type",
    "Domestic/International",
    "Destination Dialed",
    "Destination Number",
    "External Country",
    "Start Time",
    "End Time",
    "Duration Seconds",
    "Connection Fee",
    "Charge",
    "Currency",
    "Capability",
    "Operator",
    "Source of Call Duration",
    "Administrative Units",
)


LEGACY_HEADER: tuple[str, ...] = (
    "UsageId",
    "Call ID",
    "Conference ID",
    "User Location",
    "AAD ObjectId",
    "UPN",
    "User Display Name",
    "Caller ID",
    "Call Type",
    "Number Type",
    "Domestic/International",
    "Destination Dialed",
    "Destination Number",
    "Start Time",
    "End Time",
    "Duration Seconds",
    "Connection Fee",
    "Charge",
    "Currency",
    "Capability",
)


# minutes per user per month of each plan in the sample's countries
PLAN_MINUTES = {"MCOPSTN1": 3000, "MCOPSTN2": 3000, "MCOPSTN5": 120, "MCOPSTN6": 240}


INTERNATIONAL_MINUTES = {"MCOPSTN2": 600}


DIAL_OUT_MINUTES = 60


#: pay-per-minute Audio Conferencing (MCOMEETACPEA), billed outside credits, per minute
ACPEA_PER_MINUTE_MICRO = 21_000


#: ISO code -> (Destination Dialed name, E.164 prefixes, digits after the prefix)
COUNTRIES: dict[str, tuple[str, tuple[str, ...], int]] = {
    "US": ("United States", ("+1312", "+1646", "+1415", "+1617", "+1214", "+1404", "+1206"), 7),
    "CA": ("Canada", ("+1416", "+1604", "+1514"), 7),
    "FR": ("France", ("+331", "+336", "+334", "+337", "+332", "+335"), 8),
    "GB": ("United Kingdom", ("+4420", "+447"), 8),
    "DE": ("Germany", ("+4930", "+4989", "+49151"), 7),
    "ES": ("Spain", ("+3491", "+3493"), 7),
    "BE": ("Belgium", ("+322",), 7),
    "IT": ("Italy", ("+3902", "+3906"), 8),
    "CH": ("Switzerland", ("+4144", "+4122"), 7),
    "NL": ("Netherlands", ("+3120",), 7),
    "IN": ("India", ("+9122", "+9180", "+9198"), 8),
    "JP": ("Japan", ("+813", "+816"), 8),
    "MX": ("Mexico", ("+5255", "+5281"), 8),
    "MA": ("Morocco", ("+212522", "+212661"), 6),
    "AE": ("United Arab Emirates", ("+9714",), 7),
    "NG": ("Nigeria", ("+2341",), 7),
    "VN": ("Vietnam", ("+8428",), 8),
}


#: masked digits at the end of external numbers, per country (privacy masking in exports)
MASKED_DIGITS = {"FR": 4, "DE": 3}


#: rate card rows: destination, per_minute, connection_fee, increment_seconds
RATES: tuple[tuple[str, str, str, int], ...] = (
    ("United States Toll Free", "0.0250", "0.00", 60),
    ("France Toll Free", "0.0560", "0.00", 60),
    ("United States", "0.0190", "0.00", 60),
    ("France", "0.0290", "0.00", 60),
    ("Canada", "0.0210", "0.00", 60),
    ("United Kingdom", "0.0350", "0.00", 60),
    ("Germany", "0.0380", "0.00", 60),
    ("Spain", "0.0360", "0.00", 60),
    ("Belgium", "0.0420", "0.00", 60),
    ("Italy", "0.0390", "0.00", 60),
    ("Switzerland", "0.0520", "0.00", 60),
    ("NL", "0.0400", "0.00", 60),
    ("IN", "0.0480", "0.05", 6),
    ("JP", "0.0620", "0.00", 60),
    ("Mexico", "0.0450", "0.04", 60),
    ("Morocco", "0.2100", "0.10", 60),
    ("AE", "0.1850", "0.10", 60),
    ("*", "0.2500", "0.15", 60),
)


US_FIRST = (
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Christopher Karen Daniel Lisa Matthew Nancy "
    "Anthony Betty Mark Sandra Donald Ashley Steven Kimberly Andrew Emily Kenneth Donna Joshua "
    "Michelle Kevin Carol Brian Amanda José María Zoë Renée Chloé Andrés"
).split()


US_LAST = (
    "Smith Johnson Williams Brown Jones García Miller Davis Rodríguez Martínez Hernández López "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Pérez Thompson White Harris "
    "Sánchez Clark Ramírez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill "
    "Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter O'Brien O'Neil Kowalski"
).split()


FR_FIRST = (
    "Hélène Élodie François Jérôme Léa Chloé Zoé Noël Anaïs Gaëlle Clément Théo Loïc Inès Agnès "
    "Benoît Stéphane Cécile Amélie Valérie Frédéric Rémi Sébastien Thérèse Béatrice Jérémy "
    "Maëlle Pauline Camille Nicolas Julien Marie Sophie Antoine Manon Mathilde Étienne Aurélie "
    "Hugo Lucas"
).split()


FR_LAST = (
    "Lefèvre Dubois Moreau Rousseau Girard Lemaître Fournier Mercier Bonnet Faure André "
    "Chevalier Gauthier Duchêne Lécuyer Ménard Barbier Brunet Roux Vincent Caron Perrin Morel "
    "Fontaine Leclerc Hébert Gérard Prévost Joly Vasseur Lacroix Marchand Dupré Émery Garnier "
    "Bégin Déziel Thévenin Pâris Lévêque"
).split()


# US public holidays and reduced days in the usage range (activity multiplier)
US_DAYS = {
    "2025-10-13": 0.7,  # Columbus Day / Indigenous Peoples' Day (many stay open)
    "2025-11-11": 0.8,
    "2025-11-26": 0.75,
    "2025-11-27": 0.05,  # Thanksgiving
    "2025-11-28": 0.3,
    "2025-12-24": 0.3,
    "2025-12-25": 0.04,
    "2025-12-26": 0.35,
    "2025-12-29": 0.45,
    "2025-12-30": 0.45,
    "2025-12-31": 0.3,
    "2026-01-01": 0.04,
    "2026-01-02": 0.5,
    "2026-01-19": 0.4,  # Martin Luther King Jr. Day
    "2026-02-16": 0.4,  # Presidents' Day
    "2026-05-25": 0.05,  # Memorial Day
    "2026-06-19": 0.3,  # Juneteenth
    "2026-07-03": 0.05,  # Independence Day (observed)
    "2026-09-07": 0.05,  # Labor Day
}


FR_DAYS = {
    "2025-11-11": 0.04,  # Armistice
    "2025-12-24": 0.4,
    "2025-12-25": 0.03,
    "2025-12-26": 0.35,
    "2025-12-29": 0.35,
    "2025-12-30": 0.35,
    "2025-12-31": 0.25,
    "2026-01-01": 0.03,
    "2026-01-02": 0.45,
    "2026-04-06": 0.04,  # Easter Monday
    "2026-05-01": 0.03,
    "2026-05-08": 0.04,
    "2026-05-14": 0.04,  # Ascension
    "2026-05-15": 0.45,  # the "pont"
    "2026-05-25": 0.04,  # Whit Monday
    "2026-07-13": 0.5,
    "2026-07-14": 0.03,  # Bastille Day
}


# month-of-year seasonality (busy March/June/September-October, quiet December)
US_SEASON = {1: 0.97, 2: 1.02, 3: 1.08, 4: 1.0, 5: 0.98, 6: 1.04, 7: 0.9, 8: 0.9, 9: 1.06,
              10: 1.05, 11: 0.97, 12: 0.85}  # fmt: skip


FR_SEASON = {1: 1.0, 2: 1.04, 3: 1.12, 4: 1.02, 5: 0.96, 6: 1.1, 7: 0.85, 8: 0.42, 9: 1.1,
              10: 1.08, 11: 1.0, 12: 0.9}  # fmt: skip


GROWTH_PER_YEAR = 0.2


# local hour-of-day profiles (weights per hour)
# fmt: off
US_HOURS = np.array(
    [0, 0, 0, 0, 0, 0, 0.2, 1.2, 3.5, 6.0, 7.0, 6.5,
     4.2, 5.5, 6.5, 6.0, 4.6, 2.4, 1.0, 0.6, 0.4, 0.2, 0.1, 0.02]
)


FR_HOURS = np.array(
    [0, 0, 0, 0, 0, 0, 0, 0.3, 2.2, 6.5, 8.0, 7.5,
     2.8, 2.4, 6.2, 7.6, 7.0, 5.0, 2.4, 0.8, 0.3, 0.1, 0.02, 0]
)


SUPPORT_HOURS = np.array(
    [0.05, 0.03, 0.02, 0.02, 0.03, 0.1, 0.4, 1.5, 4.5, 6.5, 7.0, 6.8,
     5.5, 5.8, 6.6, 6.2, 5.4, 4.0, 2.6, 1.8, 1.0, 0.5, 0.25, 0.1]
)
# fmt: on


#: the voice apps: resource account, display name, country, number, number type, toll-free
VOICE_APPS = (
    ("mainline@fabrikam.com", "Fabrikam Main Line", "US", "+13125550100", "Subscriber", False),
    ("support-us@fabrikam.com", "Fabrikam Customer Support", "US", "+18885550142", "Toll Free",
     True),
    ("service-client@fabrikam.com", "Fabrikam Service Client", "FR", "+33805101234", "Toll Free",
     True),
)  # fmt: skip


BRIDGE_NUMBERS = {"US": "+13125550199", "FR": "+33145670199"}


EMERGENCY_NUMBERS = {"US": "911", "FR": "112"}


OPERATOR_CONNECT_CARRIER = "Lumen"


#: how the tenant funded its credits: a small first purchase, a year-end budget top-up sized
#: from the year's spend (so a little of it is about to expire), then auto-recharge from June
FIRST_PURCHASE = (pd.Timestamp("2025-10-01"), 300_00)


TOPUP_DATE = pd.Timestamp("2025-11-05")


AUTO_RECHARGE_FROM = pd.Timestamp("2026-06-01")


RECHARGE_AMOUNT = 500_00


RECHARGE_THRESHOLD = 800_00
