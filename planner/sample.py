"""The sample tenant: a fictional organisation's PSTN usage, generated from a seed.

Fabrikam Industries has about 250 Teams Phone users in the United States and France. Thirteen
months of its Calling Plans usage (2025-10-01 to 2026-10-31, UTC) are generated call by call
with office-hour, weekday, holiday, seasonal and growth rhythms, then priced with the
Communications Credits rules below. :func:`generate_sample` builds everything in memory;
:func:`write_sample` (and ``planner sample --out DIR``) writes the files shipped in
``planner/data/sample`` (package data, :func:`sample_dir`), which ``planner demo``, the
notebooks and many tests run on.

Pricing rules (per calendar month in UTC, calls in start-time order):

- outbound user calls (``user_out``, ``user_out_conf``, ``user_out_transfer``,
  ``user_out_forwarding``) to a domestic number draw on the domestic pool of the user's
  country and plan: users x minutes_per_user of that (country, plan) licence row, shared by
  the users with the same plan in the same country only (the 72 French ``MCOPSTN5`` users
  share 8,640 minutes, the 8 French ``MCOPSTN6`` users 1,920); once the pool is exhausted
  the rest of the month is priced, and a call that straddles the end of the pool pays only
  for its seconds beyond it;
- international calls by ``MCOPSTN2`` users draw on the international pool of their country
  and plan (600 minutes per ``MCOPSTN2`` user); international calls by users whose plan has no
  international minutes (``MCOPSTN1``, ``MCOPSTN5``, ``MCOPSTN6``) are priced from the first
  minute;
- toll-free inbound calls (``Number Type`` containing "toll") are priced from the first minute
  at the rate of their ``Destination Dialed`` (e.g. ``United States Toll Free``);
- conference dial-out (``conf_out``) to a Zone A country draws on the tenant-wide pool of 60
  minutes per Audio Conferencing (``MCOMEETADD``) licence; other destinations are priced from
  the first minute;
- everything else costs nothing to credits: ordinary inbound calls, emergency calls,
  ``FREECALL`` rows, Operator Connect calls (billed by the carrier) and ``MCOMEETACPEA``
  pay-per-minute conferencing (billed through the licensing agreement, not credits);
- a priced call costs ``ceil(billable_seconds / increment_seconds) * increment_seconds / 60 *
  per_minute`` rounded half-up to the cent (the ``Charge`` column) plus the rate's connection
  fee (the ``Connection Fee`` column), also on a call that straddles the end of a pool.

The rate of a call is the rate-card row whose ``destination`` equals its ``Destination
Dialed`` (case-insensitive), else the row named by its ``External Country`` code, else ``*``.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
import textwrap
import unicodedata
import zipfile
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd

from planner.calls import USER_OUT_TYPES, credit_category
from planner.catalogue import (
    AUDIO_CONFERENCING_PRODUCT,
    CREDITS_PRODUCT,
    PLAN_PRODUCTS,
    ZONE_A,
)
from planner.package_data import package_path
from planner.schema import RECORD_COLUMNS, conform, credit_cents

__all__ = [
    "CURRENT_HEADER",
    "LEGACY_HEADER",
    "SAMPLE_SEED",
    "SampleTenant",
    "generate_sample",
    "sample_dir",
    "write_sample",
]

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
_SHIPPED_AS = "data/sample"
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
_PLAN_MINUTES = {"MCOPSTN1": 3000, "MCOPSTN2": 3000, "MCOPSTN5": 120, "MCOPSTN6": 240}
_INTERNATIONAL_MINUTES = {"MCOPSTN2": 600}
_DIAL_OUT_MINUTES = 60
#: pay-per-minute Audio Conferencing (MCOMEETACPEA), billed outside credits, per minute
_ACPEA_PER_MINUTE_MICRO = 21_000

# --------------------------------------------------------------------------------------------
# reference data: destinations, numbers, rates, names
# --------------------------------------------------------------------------------------------

#: ISO code -> (Destination Dialed name, E.164 prefixes, digits after the prefix)
_COUNTRIES: dict[str, tuple[str, tuple[str, ...], int]] = {
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
_MASKED_DIGITS = {"FR": 4, "DE": 3}

#: rate card rows: destination, per_minute, connection_fee, increment_seconds
_RATES: tuple[tuple[str, str, str, int], ...] = (
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

_US_FIRST = (
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Christopher Karen Daniel Lisa Matthew Nancy "
    "Anthony Betty Mark Sandra Donald Ashley Steven Kimberly Andrew Emily Kenneth Donna Joshua "
    "Michelle Kevin Carol Brian Amanda José María Zoë Renée Chloé Andrés"
).split()
_US_LAST = (
    "Smith Johnson Williams Brown Jones García Miller Davis Rodríguez Martínez Hernández López "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Pérez Thompson White Harris "
    "Sánchez Clark Ramírez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill "
    "Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter O'Brien O'Neil Kowalski"
).split()
_FR_FIRST = (
    "Hélène Élodie François Jérôme Léa Chloé Zoé Noël Anaïs Gaëlle Clément Théo Loïc Inès Agnès "
    "Benoît Stéphane Cécile Amélie Valérie Frédéric Rémi Sébastien Thérèse Béatrice Jérémy "
    "Maëlle Pauline Camille Nicolas Julien Marie Sophie Antoine Manon Mathilde Étienne Aurélie "
    "Hugo Lucas"
).split()
_FR_LAST = (
    "Lefèvre Dubois Moreau Rousseau Girard Lemaître Fournier Mercier Bonnet Faure André "
    "Chevalier Gauthier Duchêne Lécuyer Ménard Barbier Brunet Roux Vincent Caron Perrin Morel "
    "Fontaine Leclerc Hébert Gérard Prévost Joly Vasseur Lacroix Marchand Dupré Émery Garnier "
    "Bégin Déziel Thévenin Pâris Lévêque"
).split()

# US public holidays and reduced days in the usage range (activity multiplier)
_US_DAYS = {
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
_FR_DAYS = {
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
_US_SEASON = {1: 0.97, 2: 1.02, 3: 1.08, 4: 1.0, 5: 0.98, 6: 1.04, 7: 0.9, 8: 0.9, 9: 1.06,
              10: 1.05, 11: 0.97, 12: 0.85}  # fmt: skip
_FR_SEASON = {1: 1.0, 2: 1.04, 3: 1.12, 4: 1.02, 5: 0.96, 6: 1.1, 7: 0.85, 8: 0.42, 9: 1.1,
              10: 1.08, 11: 1.0, 12: 0.9}  # fmt: skip
_GROWTH_PER_YEAR = 0.2

# local hour-of-day profiles (weights per hour)
# fmt: off
_US_HOURS = np.array(
    [0, 0, 0, 0, 0, 0, 0.2, 1.2, 3.5, 6.0, 7.0, 6.5,
     4.2, 5.5, 6.5, 6.0, 4.6, 2.4, 1.0, 0.6, 0.4, 0.2, 0.1, 0.02]
)
_FR_HOURS = np.array(
    [0, 0, 0, 0, 0, 0, 0, 0.3, 2.2, 6.5, 8.0, 7.5,
     2.8, 2.4, 6.2, 7.6, 7.0, 5.0, 2.4, 0.8, 0.3, 0.1, 0.02, 0]
)
_SUPPORT_HOURS = np.array(
    [0.05, 0.03, 0.02, 0.02, 0.03, 0.1, 0.4, 1.5, 4.5, 6.5, 7.0, 6.8,
     5.5, 5.8, 6.6, 6.2, 5.4, 4.0, 2.6, 1.8, 1.0, 0.5, 0.25, 0.1]
)
# fmt: on


# --------------------------------------------------------------------------------------------
# the tenant
# --------------------------------------------------------------------------------------------


@dataclass
class SampleTenant:
    """The sample tenant: the tables and the exact bytes of every shipped file.

    Attributes
    ----------
    records
        The current export's rows in :mod:`planner.schema` canonical form, ``source_file`` /
        ``source_row`` as ingest sets them when it reads ``data/sample/exports`` from the
        package folder (``data/sample/exports/<archive>!<member>``, line numbers, header = 1).
    legacy_records
        The legacy (20-column) export's rows, canonical form; their ``usage_id`` values all
        occur in ``records``.
    licences
        ``plan, country, users, minutes_per_user`` (``licences.csv``).
    rates
        ``destination, per_minute, connection_fee, increment_seconds, currency`` as strings
        (``rates.csv``).
    user_licences
        ``User principal name, Display name, Licenses`` (``user_licences.csv``).
    departments
        ``upn, department`` (``departments.csv``).
    balance_lots
        ``purchase_date`` (datetime64), ``amount`` (float, USD) still held on 2026-11-01
        (``balance.csv``).
    files
        Relative path -> exact file bytes of everything :func:`write_sample` writes.
    """

    records: pd.DataFrame
    legacy_records: pd.DataFrame
    licences: pd.DataFrame
    rates: pd.DataFrame
    user_licences: pd.DataFrame
    departments: pd.DataFrame
    balance_lots: pd.DataFrame
    files: dict[str, bytes] = field(repr=False)


def sample_dir() -> Path:
    """The shipped sample tenant directory (``planner/data/sample``, package data)."""
    return package_path(*_SHIPPED_AS.split("/"))


# --------------------------------------------------------------------------------------------
# building blocks
# --------------------------------------------------------------------------------------------


def _guids(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` random version-4 GUIDs (lower case)."""
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    out = []
    for row in raw:
        h = row.tobytes().hex()
        out.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
    return out


def _fold(text: str) -> str:
    """ASCII lower-case form of a name for an e-mail address."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in ascii_text.lower() if c.isalnum())


def _numbers(rng: np.random.Generator, countries: np.ndarray) -> np.ndarray:
    """Random external E.164 numbers for ``countries`` (ISO codes), masked where exports mask."""
    out = np.empty(len(countries), dtype=object)
    for code in np.unique(countries):
        idx = np.flatnonzero(countries == code)
        _, prefixes, digits = _COUNTRIES[code]
        pre = rng.integers(0, len(prefixes), size=len(idx))
        first = rng.integers(2, 10, size=len(idx))
        rest = rng.integers(0, 10 ** (digits - 1), size=len(idx))
        mask = _MASKED_DIGITS.get(code, 0)
        for j, i in enumerate(idx):
            num = f"{prefixes[pre[j]]}{first[j]}{rest[j]:0{digits - 1}d}"
            out[i] = num[:-mask] + "*" * mask if mask else num
    return out


def _activity(days: pd.DatetimeIndex, holidays: dict[str, float], season: dict[int, float],
              rng: np.random.Generator, august: bool) -> np.ndarray:  # fmt: skip
    """Relative call volume per day: weekday pattern, holidays, season, growth, noise."""
    dow = days.day_of_week.to_numpy()
    act = np.select([dow == 5, dow == 6], [0.07, 0.035], 1.0)
    act = act * np.where(dow == 0, 1.04, np.where(dow == 4, 0.9, 1.0))
    keys = days.strftime("%Y-%m-%d")
    act = act * np.array([holidays.get(k, 1.0) for k in keys])
    month = days.month.to_numpy()
    act = act * np.array([season[m] for m in month])
    if august:  # French summer: the last week of August picks up again
        late_august = (month == 8) & (days.day.to_numpy() >= 24)
        act = np.where(late_august, act * 1.6, act)
    years = (days - days[0]).days.to_numpy() / 365.25
    act = act * (1 + _GROWTH_PER_YEAR) ** years
    month_index = (days.year.to_numpy() - days[0].year) * 12 + month - days[0].month
    month_noise = rng.lognormal(0.0, 0.06, size=month_index.max() + 1)
    day_noise = rng.lognormal(0.0, 0.12, size=len(days))
    return act * month_noise[month_index] * day_noise


def _times(rng: np.random.Generator, day_ns: np.ndarray, hours: np.ndarray, tz: str) -> np.ndarray:
    """UTC start times (int64 ns, 100 ns resolution) for local office-hour times on given days."""
    n = len(day_ns)
    p = hours / hours.sum()
    hour = rng.choice(24, size=n, p=p)
    ticks = rng.integers(0, 3600 * 10_000_000, size=n)  # 100 ns ticks within the hour
    local = day_ns + hour * 3_600_000_000_000 + ticks * 100
    idx = pd.DatetimeIndex(local.astype("datetime64[ns]"))
    utc = idx.tz_localize(tz, ambiguous=np.zeros(n, dtype=bool), nonexistent="shift_forward")
    return utc.tz_convert("UTC").tz_localize(None).as_unit("ns").asi8


def _durations(rng: np.random.Generator, n: int, mean_s: float, sigma: float = 0.85,
               low: int = 8, high: int = 3 * 3600) -> np.ndarray:  # fmt: skip
    mu = math.log(mean_s) - sigma**2 / 2
    return np.clip(np.rint(rng.lognormal(mu, sigma, size=n)), low, high).astype(np.int64)


def _daily_counts(rng: np.random.Generator, per_day: float, act: np.ndarray) -> np.ndarray:
    """Day index of each call: Poisson counts per day with mean ``per_day * act``."""
    counts = rng.poisson(per_day * act)
    return np.repeat(np.arange(len(act)), counts)


# --------------------------------------------------------------------------------------------
# users
# --------------------------------------------------------------------------------------------


def _make_users(rng: np.random.Generator) -> pd.DataFrame:
    """The tenant's people: identity, site, plan, licences, department, activity."""
    rows = []
    used_upns: set[str] = set()

    def add(country: str, site: str, tz: str, plan: str, department: str, number: str) -> None:
        if country == "US":
            first = _US_FIRST[rng.integers(len(_US_FIRST))]
            last = _US_LAST[rng.integers(len(_US_LAST))]
            display = f"{first} {last}"
        else:
            first = _FR_FIRST[rng.integers(len(_FR_FIRST))]
            last = _FR_LAST[rng.integers(len(_FR_LAST))]
            display = f"{last}, {first}"
        base = f"{_fold(first)}.{_fold(last)}"
        upn, k = f"{base}@{DOMAIN}", 2
        while upn in used_upns:
            upn, k = f"{base}{k}@{DOMAIN}", k + 1
        used_upns.add(upn)
        rows.append(
            {
                "upn": upn,
                "display_name": display,
                "country": country,
                "site": site,
                "tz": tz,
                "plan": plan,
                "department": department,
                "number": number,
            }
        )

    us_departments = (
        ["Sales"] * 38 + ["Customer Service"] * 30 + ["Engineering"] * 34 + ["Finance"] * 14
        + ["Marketing"] * 12 + ["IT"] * 10 + ["HR"] * 8 + ["Executive"] * 10
    )  # fmt: skip
    rng.shuffle(us_departments := np.array(us_departments, dtype=object))
    # Chicago head office (90) and New York (66) on Microsoft Calling Plans
    us_plans = np.array(["MCOPSTN2"] * 36 + ["MCOPSTN1"] * 120, dtype=object)
    intl_first = np.argsort(
        [{"Executive": 0, "Sales": 1}.get(d, 2) for d in us_departments] + rng.random(156)
    )
    plans = np.empty(156, dtype=object)
    plans[intl_first] = us_plans
    for i in range(156):
        if i < 90:
            add(
                "US",
                "Chicago",
                "America/Chicago",
                plans[i],
                us_departments[i],
                f"+1312555{101 + i:04d}",
            )
        else:
            add("US", "New York", "America/New_York", plans[i], us_departments[i],
                f"+1646555{10 + i:04d}")  # fmt: skip
    # Dallas warehouse on Operator Connect: Teams Phone, no Calling Plan
    for i in range(14):
        add("US", "Dallas", "America/Chicago", "OC", "Operations", f"+1214555{140 + i:04d}")
    fr_departments = np.array(
        ["Sales"] * 24 + ["Customer Service"] * 20 + ["Engineering"] * 14 + ["Finance"] * 8
        + ["Marketing"] * 6 + ["HR"] * 4 + ["Executive"] * 4,
        dtype=object,
    )  # fmt: skip
    rng.shuffle(fr_departments)
    heavy = np.argsort([0 if d == "Sales" else 1 for d in fr_departments] + rng.random(80))[:8]
    for i in range(80):
        plan = "MCOPSTN6" if i in heavy else "MCOPSTN5"
        if i < 58:
            add(
                "FR",
                "Paris",
                "Europe/Paris",
                plan,
                fr_departments[i],
                f"+3314567{1000 + i * 7:04d}",
            )
        else:
            add(
                "FR",
                "Lyon",
                "Europe/Paris",
                plan,
                fr_departments[i],
                f"+3347291{2000 + i * 11:04d}",
            )
    users = pd.DataFrame(rows)
    n = len(users)
    dept_out = {"Sales": 2.2, "Customer Service": 1.3, "Executive": 1.4, "Marketing": 0.9,
                "Finance": 0.8, "IT": 0.7, "HR": 0.7, "Engineering": 0.35, "Operations": 1.0}  # fmt: skip
    users["object_id"] = _guids(rng, n)
    users["weight"] = rng.lognormal(0.0, 0.6, size=n) * users["department"].map(dept_out)
    users["intl"] = rng.lognormal(0.0, 0.8, size=n) * np.where(
        users["plan"].eq("MCOPSTN2"), 6.0, np.where(users["department"].eq("Sales"), 1.2, 0.4)
    )
    # Audio Conferencing: executives, sales, marketing and some others; a few pay per minute
    conf_bias = users["department"].map({"Executive": 0.9, "Sales": 0.25, "Marketing": 0.25,
                                         "Customer Service": 0.02, "Finance": 0.08, "IT": 0.08,
                                         "HR": 0.1, "Engineering": 0.05, "Operations": 0.0})  # fmt: skip
    draw = rng.random(n)
    users["audio_conf"] = np.where(draw < conf_bias, "MCOMEETADD", "")
    no_conf = np.flatnonzero(
        users["audio_conf"].eq("").to_numpy() & users["plan"].ne("OC").to_numpy()
    )
    acpea = rng.choice(no_conf, size=3, replace=False)
    users.loc[acpea, "audio_conf"] = "MCOMEETACPEA"
    users["e5"] = users["department"].eq("Executive") & users["audio_conf"].eq("MCOMEETADD")
    # Administrative Units are mostly unused: only the Lyon office has one
    users["admin_unit"] = np.where(users["site"].eq("Lyon"), "Fabrikam France - Lyon", "")
    return users


# --------------------------------------------------------------------------------------------
# the calls
# --------------------------------------------------------------------------------------------


def _generate_calls(rng: np.random.Generator, users: pd.DataFrame) -> pd.DataFrame:
    """Every call leg of the 13 months, unpriced, in no particular order."""
    days = pd.date_range(USAGE_START, USAGE_END, freq="D", unit="ns")
    day_ns = days.asi8
    act = {
        "US": _activity(days, _US_DAYS, _US_SEASON, rng, august=False),
        "FR": _activity(days, _FR_DAYS, _FR_SEASON, rng, august=True),
    }
    hours = {"US": _US_HOURS, "FR": _FR_HOURS}
    parts: list[pd.DataFrame] = []

    def legs(country: str, user_idx: np.ndarray, day: np.ndarray, **cols) -> pd.DataFrame:
        frame = pd.DataFrame({"user": user_idx, "day": day})
        for k, v in cols.items():
            frame[k] = v
        frame["country"] = country
        return frame

    def pick(pool: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
        return pool[rng.choice(len(pool), size=n, p=weights / weights.sum())]

    weight = users["weight"].to_numpy()
    intl = users["intl"].to_numpy()
    country_of = users["country"].to_numpy()
    plan_of = users["plan"].to_numpy()

    # per country: domestic outbound calls per busy weekday and their mean seconds, the same
    # for inbound calls, then international calls per weekday
    for country, out_rate, out_mean, in_rate, in_mean, intl_rate in (
        ("US", 18.0, 230.0, 11.0, 260.0, 4.0),
        ("FR", 60.0, 520.0, 9.0, 300.0, 2.5),
    ):
        members = np.flatnonzero(country_of == country)
        a = act[country]
        # domestic outbound
        day = _daily_counts(rng, out_rate, a)
        who = pick(members, weight[members], len(day))
        kinds = rng.choice(["user_out", "user_out_conf"], size=len(day), p=[0.985, 0.015])
        parts.append(legs(country, who, day, call_type=kinds, ext=country,
                          duration=_durations(rng, len(day), out_mean)))  # fmt: skip
        # international outbound (Operator Connect users dial domestic only)
        callers = members[plan_of[members] != "OC"]
        day = _daily_counts(rng, intl_rate, a)
        who = pick(callers, intl[callers], len(day))
        if country == "US":
            dest = rng.choice(["GB", "DE", "FR", "IN", "JP", "MX", "CA", "NL", "ES", "NG"],
                              size=len(day), p=[0.2, 0.16, 0.14, 0.14, 0.08, 0.1, 0.1, 0.04, 0.03, 0.01])  # fmt: skip
        else:
            dest = rng.choice(["DE", "GB", "ES", "BE", "IT", "CH", "US", "MA", "VN"],
                              size=len(day), p=[0.2, 0.16, 0.12, 0.14, 0.1, 0.1, 0.12, 0.05, 0.01])  # fmt: skip
        parts.append(legs(country, who, day, call_type="user_out", ext=dest,
                          duration=_durations(rng, len(day), 380.0)))  # fmt: skip
        # inbound to users; some are forwarded or transferred out to a mobile
        day = _daily_counts(rng, in_rate, a)
        who = pick(members, weight[members] ** 0.5, len(day))
        ext_in = np.where(rng.random(len(day)) < 0.96, country, "GB" if country == "US" else "BE")
        parts.append(legs(country, who, day, call_type="user_in", ext=ext_in,
                          duration=_durations(rng, len(day), in_mean)))  # fmt: skip

    calls = pd.concat(parts, ignore_index=True)
    calls["number_type"] = "Subscriber"
    calls["start"] = 0
    for country in ("US", "FR"):
        for tz in users["tz"].unique():
            sel = (calls["country"].to_numpy() == country) & (
                users["tz"].to_numpy()[calls["user"].to_numpy()] == tz
            )
            if sel.any():
                calls.loc[sel, "start"] = _times(
                    rng, day_ns[calls["day"].to_numpy()[sel]], hours[country], tz
                )

    # forwarded / transferred legs share the Call ID of the inbound call they continue
    inbound = np.flatnonzero(calls["call_type"].to_numpy() == "user_in")
    fwd = np.sort(rng.choice(inbound, size=int(len(inbound) * 0.05), replace=False))
    fwd_legs = calls.iloc[fwd].copy()
    fwd_legs["call_type"] = rng.choice(["user_out_forwarding", "user_out_transfer"],
                                       size=len(fwd), p=[0.6, 0.4])  # fmt: skip
    fwd_legs["ext"] = fwd_legs["country"]
    fwd_legs["start"] = fwd_legs["start"].to_numpy() + rng.integers(4, 40, len(fwd)) * 1_000_000_000
    fwd_legs["duration"] = _durations(rng, len(fwd), 200.0)
    fwd_legs["parent"] = fwd
    calls["parent"] = -1
    calls = pd.concat([calls, fwd_legs], ignore_index=True)

    extra = [_conference_calls(rng, users, days, act), _voice_app_calls(rng, days, act),
             _odd_calls(rng, users, days)]  # fmt: skip
    calls = pd.concat([calls, *extra], ignore_index=True)
    calls["parent"] = calls["parent"].fillna(-1).astype(np.int64)
    return calls


def _conference_calls(rng: np.random.Generator, users: pd.DataFrame, days: pd.DatetimeIndex,
                      act: dict[str, np.ndarray]) -> pd.DataFrame:  # fmt: skip
    """Audio Conferencing legs: dial-in participants and bridge dial-outs, grouped in meetings."""
    parts = []
    organizer_ok = users["audio_conf"].ne("").to_numpy()
    for country, meetings_per_day in (("US", 3.0), ("FR", 1.4)):
        organizers = np.flatnonzero(organizer_ok & (users["country"].to_numpy() == country))
        w = users["weight"].to_numpy()[organizers]
        day = _daily_counts(rng, meetings_per_day, act[country])
        org = organizers[rng.choice(len(organizers), size=len(day), p=w / w.sum())]
        start = _times(rng, days.asi8[day], _US_HOURS if country == "US" else _FR_HOURS,
                       "America/Chicago" if country == "US" else "Europe/Paris")  # fmt: skip
        length = _durations(rng, len(day), 2000.0, sigma=0.5, low=300, high=4 * 3600)
        conf_id = rng.integers(100_000_000, 999_999_999, size=len(day))
        acpea = users["audio_conf"].to_numpy()[org] == "MCOMEETACPEA"
        n_in = rng.poisson(1.1, size=len(day))
        n_out = np.where(acpea, 0, rng.poisson(0.9, size=len(day)))
        for kind, n in (("conf_in", n_in), ("conf_out", n_out)):
            m = np.repeat(np.arange(len(day)), n)
            offset = rng.integers(0, 240, size=len(m)) * 1_000_000_000
            frac = rng.uniform(0.35, 1.0, size=len(m))
            if kind == "conf_in":
                ext = np.where(rng.random(len(m)) < 0.9, country, "GB" if country == "US" else "DE")
            else:
                other = ["GB", "DE", "IN", "JP", "CA", "MX", "FR" if country == "US" else "US",
                         "AE", "MA", "NG", "VN"]  # fmt: skip
                p_other = np.array([0.2, 0.17, 0.12, 0.07, 0.1, 0.07, 0.12, 0.06, 0.04, 0.03, 0.02])
                foreign = rng.choice(other, size=len(m), p=p_other / p_other.sum())
                ext = np.where(rng.random(len(m)) < 0.62, country, foreign)
            parts.append(
                pd.DataFrame(
                    {
                        "user": org[m],
                        "day": day[m],
                        "call_type": kind,
                        "ext": ext,
                        "duration": np.maximum(30, (length[m] * frac).astype(np.int64)),
                        "start": start[m] + offset,
                        "country": country,
                        "conference_id": conf_id[m].astype(str),
                        "number_type": "Service" if kind == "conf_in" else "Subscriber",
                    }
                )
            )
    return pd.concat(parts, ignore_index=True)


#: the voice apps: resource account, display name, country, number, number type, toll-free
_VOICE_APPS = (
    ("mainline@fabrikam.com", "Fabrikam Main Line", "US", "+13125550100", "Subscriber", False),
    ("support-us@fabrikam.com", "Fabrikam Customer Support", "US", "+18885550142", "Toll Free",
     True),
    ("service-client@fabrikam.com", "Fabrikam Service Client", "FR", "+33805101234", "Toll Free",
     True),
)  # fmt: skip


def _voice_app_calls(rng: np.random.Generator, days: pd.DatetimeIndex,
                     act: dict[str, np.ndarray]) -> pd.DataFrame:  # fmt: skip
    """Calls to the auto attendant and the two toll-free call queues (``ucap_in``)."""
    parts = []
    for app, (_, _, country, _, _, toll) in enumerate(_VOICE_APPS):
        rate = {0: 4.0, 1: 14.0, 2: 5.0}[app]
        # support lines answer on Saturdays too: flatten the weekend dip a little
        a = act[country] if not toll else np.maximum(act[country], 0.12 * act[country].max())
        day = _daily_counts(rng, rate, a)
        tz = "America/New_York" if country == "US" else "Europe/Paris"
        start = _times(rng, days.asi8[day], _SUPPORT_HOURS if toll else _US_HOURS, tz)
        if country == "US":
            ext = rng.choice(["US", "CA", "MX"], size=len(day), p=[0.93, 0.05, 0.02])
        else:
            ext = rng.choice(["FR", "BE", "CH"], size=len(day), p=[0.94, 0.04, 0.02])
        parts.append(
            pd.DataFrame(
                {
                    "user": -1 - app,
                    "day": day,
                    "call_type": "ucap_in",
                    "ext": ext,
                    "duration": _durations(rng, len(day), 280.0 if toll else 95.0, sigma=0.7),
                    "start": start,
                    "country": country,
                    "number_type": _VOICE_APPS[app][4],
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _odd_calls(
    rng: np.random.Generator, users: pd.DataFrame, days: pd.DatetimeIndex
) -> pd.DataFrame:
    """Rare rows: emergency calls and calls Microsoft could not price (``FREECALL``)."""
    people = np.flatnonzero(users["plan"].ne("OC").to_numpy())
    rows = []
    for kind, n in (("emergency_out", 5), ("freecall", 3)):
        who = rng.choice(people, size=n, replace=False)
        day = np.sort(rng.choice(np.flatnonzero(days.day_of_week < 5), size=n, replace=False))
        for u, d in zip(who, day, strict=True):
            tz = users.at[u, "tz"]
            start = _times(
                rng, days.asi8[[d]], _US_HOURS if tz != "Europe/Paris" else _FR_HOURS, tz
            )
            rows.append(
                {
                    "user": u,
                    "day": d,
                    "call_type": "emergency_out" if kind == "emergency_out" else "user_out",
                    "ext": users.at[u, "country"],
                    "duration": int(rng.integers(40, 400)),
                    "start": int(start[0]),
                    "country": users.at[u, "country"],
                    "number_type": "Subscriber",
                    "odd": kind,
                }
            )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# pricing
# --------------------------------------------------------------------------------------------


def _rate_lookup(rates: pd.DataFrame):
    """``(Destination Dialed, External Country) -> (per_minute_micro, fee_cents, increment)``."""
    table = {}
    for r in rates.itertuples():
        per_minute_micro = Fraction(r.per_minute) * 1_000_000
        fee_cents = Fraction(r.connection_fee) * 100
        if per_minute_micro.denominator != 1 or fee_cents.denominator != 1:
            raise ValueError(f"rate for {r.destination}: too many decimals")
        table[str(r.destination).casefold()] = (
            int(per_minute_micro),
            int(fee_cents),
            int(r.increment_seconds),
        )

    def lookup(destination_dialed: str, country: str) -> tuple[int, int, int]:
        for key in (destination_dialed, country, "*"):
            hit = table.get((key or "").casefold())
            if hit is not None:
                return hit
        raise KeyError(destination_dialed)

    return lookup


def _charge_cents(billable_seconds: int, per_minute_micro: int, increment_seconds: int) -> int:
    """``ceil(billable / increment) * increment / 60 * per_minute``, half-up to the cent."""
    units = -(-billable_seconds // increment_seconds)
    numerator = units * increment_seconds * per_minute_micro  # millionths x 60
    denominator = 60 * 10_000  # millionths x 60 -> cents
    return (2 * numerator + denominator) // (2 * denominator)


def _price(calls: pd.DataFrame, users: pd.DataFrame, rates: pd.DataFrame) -> pd.DataFrame:
    """Set ``capability``, ``charge_cents`` and ``fee_cents`` on every call (sorted by start)."""
    lookup = _rate_lookup(rates)
    plan_of = users["plan"].to_numpy()
    conf_of = users["audio_conf"].to_numpy()
    country_of = users["country"].to_numpy()
    # one domestic and one international pool per (country, plan), in seconds
    domestic_pool: dict[tuple[str, str], int] = {}
    intl_pool: dict[tuple[str, str], int] = {}
    for country, plan in zip(country_of, plan_of, strict=True):
        if plan in _PLAN_MINUTES:
            key = (country, plan)
            domestic_pool[key] = domestic_pool.get(key, 0) + 60 * _PLAN_MINUTES[plan]
        if plan in _INTERNATIONAL_MINUTES:
            key = (country, plan)
            intl_pool[key] = intl_pool.get(key, 0) + 60 * _INTERNATIONAL_MINUTES[plan]
    dial_out_pool = 60 * _DIAL_OUT_MINUTES * int((conf_of == "MCOMEETADD").sum())

    n = len(calls)
    capability = np.empty(n, dtype=object)
    charge = np.zeros(n, dtype=np.int64)
    fee = np.zeros(n, dtype=np.int64)
    month = calls["month"].to_numpy()
    left: dict[tuple[str, str, str], int] = {}
    current_month = None
    names = ("user", "call_type", "context", "dialed", "ext", "duration", "number_type", "odd",
             "country")  # fmt: skip
    cols = zip(*(calls[c].tolist() for c in names), strict=True)
    for i, (u, ctype, ctx, dialed, ext, dur, ntype, odd, country) in enumerate(cols):
        if month[i] != current_month:
            current_month = month[i]
            left = {("dom", *k): v for k, v in domestic_pool.items()}
            left.update({("intl", *k): v for k, v in intl_pool.items()})
            left[("conf", "*", "*")] = dial_out_pool
        pool_key = None
        priced = False
        if u < 0:  # a voice app
            toll = "toll" in ntype.lower()
            capability[i] = "MCOPSTNPP" if toll else "MCOEV_VIRTUALUSER"
            priced = toll
        elif odd == "freecall":
            capability[i] = "FREECALL"
        elif ctype.startswith("conf"):
            capability[i] = conf_of[u]
            if conf_of[u] == "MCOMEETACPEA":  # billed per minute by the licensing agreement
                charge[i] = _charge_cents(int(dur), _ACPEA_PER_MINUTE_MICRO, 60)
            elif ctype == "conf_out":
                if ext in ZONE_A:
                    pool_key = ("conf", "*", "*")
                priced = True
        elif plan_of[u] == "OC":
            capability[i] = "MCOEV"
        else:
            capability[i] = plan_of[u]
            if ctype in USER_OUT_TYPES:
                priced = True
                if ctx == "Domestic":
                    pool_key = ("dom", country, plan_of[u])
                elif _INTERNATIONAL_MINUTES.get(plan_of[u], 0):
                    pool_key = ("intl", country, plan_of[u])
        if not priced:
            continue
        billable = int(dur)
        if pool_key is not None:
            drawn = min(billable, left[pool_key])
            left[pool_key] -= drawn
            billable -= drawn
        if billable > 0:
            capability[i] = "MCOPSTNPP"
            per_minute_micro, fee[i], increment = lookup(dialed, ext)
            charge[i] = _charge_cents(billable, per_minute_micro, increment)
    out = calls.copy()
    out["capability"] = capability
    out["charge_cents"] = charge
    out["fee_cents"] = fee
    return out


# --------------------------------------------------------------------------------------------
# the whole tenant
# --------------------------------------------------------------------------------------------


def _hex_id(rng: np.random.Generator) -> str:
    return f"{int(rng.integers(0, 2**32)):08x}"


def _iso(ns: np.ndarray) -> list[str]:
    text = np.datetime_as_string(ns.astype("datetime64[ns]"), unit="ns")
    return [t[:27] + "Z" for t in text]


def _money(cents: np.ndarray) -> list[str]:
    return [f"{c // 100}.{c % 100:02d}" for c in cents.tolist()]


def _csv_bytes(header: tuple[str, ...] | list[str], rows: list[list[str]] | list[tuple]) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _zip_bytes(members: dict[str, bytes], when: pd.Timestamp) -> bytes:
    """A deterministic zip: fixed member timestamps and order.

    Members are bzip2-compressed: the export's random GUID columns come out about a sixth
    smaller than with deflate, which keeps the shipped sample small; Python's ``zipfile``
    reads both.
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(when.year, when.month, when.day, 6, 12, 44))
            info.compress_type = zipfile.ZIP_BZIP2
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return buf.getvalue()


def generate_sample(seed: int = SAMPLE_SEED) -> SampleTenant:
    """Generate the sample tenant in memory (no I/O), fully determined by ``seed``.

    Parameters
    ----------
    seed
        Seed of the :class:`numpy.random.Generator` every random choice comes from.

    Returns
    -------
    SampleTenant
        The tables and the exact bytes of every file of ``planner/data/sample``.
    """
    rng = np.random.default_rng(seed)
    users = _make_users(rng)
    calls = _generate_calls(rng, users)
    calls["orig"] = np.arange(len(calls))
    calls = calls.sort_values("start", kind="stable").reset_index(drop=True)
    calls["odd"] = calls["odd"].fillna("")
    calls["conference_id"] = calls["conference_id"].fillna("")

    # the other party: domestic or international, and the destination's name
    country = calls["country"].to_numpy().astype(object)
    ext = calls["ext"].to_numpy().astype(object)
    calls["context"] = np.where(ext == country, "Domestic", "International")
    calls["dialed"] = [_COUNTRIES[c][0] for c in ext]
    toll = calls["number_type"].str.contains("Toll", regex=False).to_numpy()
    calls.loc[toll, "dialed"] = np.where(country[toll] == "US", "United States Toll Free",
                                         "France Toll Free")  # fmt: skip
    calls["month"] = calls["start"].to_numpy().astype("datetime64[ns]").astype("datetime64[M]")

    rates = pd.DataFrame(
        [(d, r, f, str(i), CURRENCY) for d, r, f, i in _RATES],
        columns=["destination", "per_minute", "connection_fee", "increment_seconds", "currency"],
    )
    calls = _price(calls, users, rates)

    files: dict[str, bytes] = {}
    current_id, legacy_id = _hex_id(rng), _hex_id(rng)
    current_zip = f"exports/Export.callingplans.{current_id}.zip"
    legacy_zip = f"exports/Calls.Export.{legacy_id}.zip"
    current_member = f"PSTN.calls.{EXPORT_DATE:%Y-%m-%d}.csv"
    legacy_member = f"PSTN.calls.{LEGACY_EXPORT_DATE:%Y-%m-%d}.csv"

    table = _export_table(rng, calls, users)
    # the export lists each user's calls together, in time order
    table = table.sort_values(["UPN", "Start Time"], kind="stable").reset_index(drop=True)
    current_rows = table[list(CURRENT_HEADER)].to_numpy().tolist()
    legacy_sel = (table["Start Time"] < f"{LEGACY_END + pd.Timedelta(days=1):%Y-%m-%d}").to_numpy()
    legacy_table = table[legacy_sel].rename(columns={"Microsoft Entra ObjectId": "AAD ObjectId"})
    legacy_table["Conference ID"] = legacy_table["Conference ID"].replace("", "no data")
    legacy_rows = legacy_table[list(LEGACY_HEADER)].to_numpy().tolist()
    files[current_zip] = _zip_bytes(
        {
            current_member: _csv_bytes(CURRENT_HEADER, current_rows),
            "parameters.json": _parameters(USAGE_START, USAGE_END, EXPORT_DATE),
        },
        EXPORT_DATE,
    )
    files[legacy_zip] = _zip_bytes(
        {
            legacy_member: _csv_bytes(LEGACY_HEADER, legacy_rows),
            "parameters.json": _parameters(LEGACY_START, LEGACY_END, LEGACY_EXPORT_DATE),
        },
        LEGACY_EXPORT_DATE,
    )
    records = _canonical(table, f"{_SHIPPED_AS}/{current_zip}!{current_member}", legacy=False)
    legacy_records = _canonical(
        legacy_table, f"{_SHIPPED_AS}/{legacy_zip}!{legacy_member}", legacy=True
    )

    licences = _licences(users)
    user_licences = _user_licences(rng, users, records)
    departments = (
        users[["upn", "department"]].sort_values("upn", kind="stable").reset_index(drop=True)
    )
    balance_lots = _balance_lots(records)
    files["licences.csv"] = _csv_bytes(
        list(licences.columns), licences.astype(str).to_numpy().tolist()
    )
    files["rates.csv"] = _csv_bytes(list(rates.columns), rates.to_numpy().tolist())
    files["user_licences.csv"] = _csv_bytes(
        list(user_licences.columns), user_licences.to_numpy().tolist()
    )
    files["departments.csv"] = _csv_bytes(
        list(departments.columns), departments.to_numpy().tolist()
    )
    files["balance.csv"] = _csv_bytes(
        ["purchase_date", "amount"],
        [
            (f"{d:%Y-%m-%d}", f"{a:.2f}")
            for d, a in zip(balance_lots["purchase_date"], balance_lots["amount"], strict=True)
        ],
    )
    files["README.md"] = _readme(
        records, licences, rates, balance_lots, current_zip, legacy_zip, legacy_records
    ).encode("utf-8")
    return SampleTenant(
        records=records,
        legacy_records=legacy_records,
        licences=licences,
        rates=rates,
        user_licences=user_licences,
        departments=departments,
        balance_lots=balance_lots,
        files=dict(sorted(files.items())),
    )


_BRIDGE_NUMBERS = {"US": "+13125550199", "FR": "+33145670199"}
_EMERGENCY_NUMBERS = {"US": "911", "FR": "112"}
_OPERATOR_CONNECT_CARRIER = "Lumen"


def _export_table(
    rng: np.random.Generator, calls: pd.DataFrame, users: pd.DataFrame
) -> pd.DataFrame:
    """The priced calls as export text, one column per current-export header."""
    n = len(calls)
    user = calls["user"].to_numpy()
    app = user < 0
    person = np.where(app, 0, user)
    ctype = calls["call_type"].to_numpy().astype(object)
    country = calls["country"].to_numpy().astype(object)
    ext = calls["ext"].to_numpy().astype(object)
    odd = calls["odd"].to_numpy().astype(object)
    inbound = np.array([t.endswith("_in") for t in ctype])

    usage_id = np.array(_guids(rng, n), dtype=object)
    call_id = np.array(_guids(rng, n), dtype=object)
    # a forwarded or transferred leg carries the Call ID of the inbound call it continues
    position = np.empty(n, dtype=np.int64)
    position[calls["orig"].to_numpy()] = np.arange(n)
    parent = calls["parent"].to_numpy()
    child = np.flatnonzero(parent >= 0)
    call_id[child] = call_id[position[parent[child]]]

    app_upn = np.array([a[0] for a in _VOICE_APPS], dtype=object)
    app_name = np.array([a[1] for a in _VOICE_APPS], dtype=object)
    app_number = np.array([a[3] for a in _VOICE_APPS], dtype=object)
    app_i = np.where(app, -1 - user, 0)
    upn = np.where(app, app_upn[app_i], users["upn"].to_numpy()[person])
    name = np.where(app, app_name[app_i], users["display_name"].to_numpy()[person])
    object_id = np.where(app, "", users["object_id"].to_numpy()[person])
    own = np.where(app, app_number[app_i], users["number"].to_numpy()[person])
    conf = np.array([t.startswith("conf") for t in ctype])
    own = np.where(conf, [_BRIDGE_NUMBERS[c] for c in country], own)
    other = _numbers(rng, ext)
    emergency = ctype == "emergency_out"
    other = np.where(emergency, [_EMERGENCY_NUMBERS[c] for c in country], other)

    oc = (~app) & (users["plan"].to_numpy()[person] == "OC")
    freecall = odd == "freecall"
    start = calls["start"].to_numpy()
    duration = calls["duration"].to_numpy()
    table = pd.DataFrame(
        {
            "UsageId": usage_id,
            "Call ID": call_id,
            "Conference ID": calls["conference_id"].to_numpy().astype(object),
            "User Location": country,
            "Microsoft Entra ObjectId": object_id,
            "UPN": upn,
            "User Display Name": name,
            "Caller ID": np.where(inbound, other, own),
            "Call Type": ctype,
            "Call Direction": np.where(inbound, "Inbound", "Outbound"),
            "Number Type": calls["number_type"].to_numpy().astype(object),
            "Domestic/International": np.where(freecall, "", calls["context"].to_numpy()),
            "Destination Dialed": np.where(freecall, "", calls["dialed"].to_numpy()),
            "Destination Number": np.where(inbound, own, other),
            "External Country": np.where(freecall, "??", ext),
            "Start Time": _iso(start),
            "End Time": _iso(start + duration * 1_000_000_000),
            "Duration Seconds": duration.astype(str),
            "Connection Fee": _money(calls["fee_cents"].to_numpy()),
            "Charge": _money(calls["charge_cents"].to_numpy()),
            "Currency": CURRENCY,
            "Capability": calls["capability"].to_numpy().astype(object),
            "Operator": np.where(oc, _OPERATOR_CONNECT_CARRIER, "Microsoft"),
            "Source of Call Duration": np.where(oc, "Operator", "Microsoft"),
            "Administrative Units": np.where(app, "", users["admin_unit"].to_numpy()[person]),
        }
    )
    return table


def _canonical(table: pd.DataFrame, source_file: str, *, legacy: bool) -> pd.DataFrame:
    """Export text rows -> the canonical record table, as ingest reads them."""

    def text(col: str, *, missing: tuple[str, ...] = ("", "no data", "??")) -> pd.Series:
        values = table[col].astype(object)
        return values.where(~values.isin(missing), None)

    ctype = table["Call Type"].str.lower()
    if legacy:
        direction = np.where(ctype.str.endswith("_in"), "inbound", "outbound")
        user_id = text("AAD ObjectId")
    else:
        direction = table["Call Direction"].str.lower()
        user_id = text("Microsoft Entra ObjectId")

    def cents(col: str) -> np.ndarray:  # the export writes money with exactly two decimals
        return table[col].str.replace(".", "", regex=False).astype(np.int64).to_numpy()

    frame = pd.DataFrame(
        {
            "usage_id": text("UsageId"),
            "call_id": text("Call ID"),
            "conference_id": text("Conference ID"),
            "kind": "calling_plans",
            "user_location": text("User Location").str.upper(),
            "user_id": user_id,
            "upn": text("UPN").str.lower(),
            "user_display_name": text("User Display Name"),
            "caller_number": text("Caller ID"),
            "callee_number": text("Destination Number"),
            "call_type": ctype,
            "call_direction": direction,
            "number_type": text("Number Type"),
            "destination_context": text("Domestic/International"),
            "destination_dialed": text("Destination Dialed"),
            "start": pd.to_datetime(table["Start Time"], utc=True, format="ISO8601"),
            "end": pd.to_datetime(table["End Time"], utc=True, format="ISO8601"),
            "duration_s": table["Duration Seconds"].astype(np.int64),
            "connection_fee_cents": cents("Connection Fee"),
            "charge_cents": cents("Charge"),
            "currency": text("Currency").str.upper(),
            "capability": text("Capability").str.upper(),
            "source_file": source_file,
            "source_row": np.arange(2, len(table) + 2),
        }
    )
    if not legacy:
        frame["external_country"] = text("External Country").str.upper()
        frame["operator"] = text("Operator")
        frame["duration_source"] = text("Source of Call Duration").str.lower()
        frame["administrative_units"] = text("Administrative Units")
    frame = frame.reset_index(drop=True)
    return conform(frame)[list(RECORD_COLUMNS)]


def _parameters(start: pd.Timestamp, end: pd.Timestamp, downloaded: pd.Timestamp) -> bytes:
    params = {
        "reportName": "PSTN and SMS usage",
        "tab": "Calling Plans",
        "tenant": TENANT_NAME,
        "startDate": f"{start:%Y-%m-%d}T00:00:00Z",
        "endDate": f"{end:%Y-%m-%d}T23:59:59Z",
        "timeZone": "UTC",
        "generatedAt": f"{downloaded:%Y-%m-%d}T06:12:44Z",
    }
    return (json.dumps(params, indent=2) + "\n").encode("utf-8")


def _licences(users: pd.DataFrame) -> pd.DataFrame:
    """Licence counts per plan and country, consistent with the users."""
    rows = []
    for (plan, country), group in users[users["plan"].ne("OC")].groupby(["plan", "country"]):
        rows.append((plan, country, len(group), _PLAN_MINUTES[plan]))
    conf = users[users["audio_conf"].eq("MCOMEETADD")]
    for country, group in conf.groupby("country"):
        rows.append(("MCOMEETADD", country, len(group), _DIAL_OUT_MINUTES))
    rows.sort(key=lambda r: (r[1] != "US", r[1], r[0]))
    return pd.DataFrame(rows, columns=["plan", "country", "users", "minutes_per_user"])


def _user_licences(
    rng: np.random.Generator, users: pd.DataFrame, records: pd.DataFrame
) -> pd.DataFrame:
    """The admin center's *Export users* view; a few credit users lack the credits licence."""
    on_credits = records["capability"].eq("MCOPSTNPP").fillna(False).to_numpy()
    spenders = sorted(set(records["upn"][on_credits].dropna()) & set(users["upn"]))
    unlicensed = set(rng.choice(spenders, size=4, replace=False).tolist())
    rows = []
    for u in users.itertuples():
        products = (
            ["Microsoft 365 E5"] if u.e5 else ["Microsoft 365 E3", "Microsoft Teams Phone Standard"]
        )
        if u.plan in PLAN_PRODUCTS:
            products.append(PLAN_PRODUCTS[u.plan])
        if u.audio_conf == "MCOMEETADD" and not u.e5:
            products.append(AUDIO_CONFERENCING_PRODUCT)
        elif u.audio_conf == "MCOMEETACPEA":
            products.append("Audio Conferencing Pay-Per-Minute")
        if u.upn not in unlicensed and u.plan != "OC":
            products.append(CREDITS_PRODUCT)
        rows.append((u.upn, u.display_name, "+".join(products)))
    for upn, name, *_ in _VOICE_APPS:
        rows.append((upn, name, f"Microsoft Teams Phone Resource Account+{CREDITS_PRODUCT}"))
    out = pd.DataFrame(rows, columns=["User principal name", "Display name", "Licenses"])
    return out.sort_values("Display name", kind="stable").reset_index(drop=True)


#: how the tenant funded its credits: a small first purchase, a year-end budget top-up sized
#: from the year's spend (so a little of it is about to expire), then auto-recharge from June
_FIRST_PURCHASE = (pd.Timestamp("2025-10-01"), 300_00)
_TOPUP_DATE = pd.Timestamp("2025-11-05")
_AUTO_RECHARGE_FROM = pd.Timestamp("2026-06-01")
_RECHARGE_AMOUNT = 500_00
_RECHARGE_THRESHOLD = 800_00


def _balance_lots(records: pd.DataFrame) -> pd.DataFrame:
    """Lots still holding funds on the export date, from FIFO consumption of the credit spend."""
    spend = credit_cents(records)
    day = records["start"].dt.tz_convert(None).dt.normalize()
    days = pd.date_range(USAGE_START, USAGE_END, freq="D", unit="ns")
    daily = spend.groupby(day.to_numpy()).sum().reindex(days, fill_value=0).to_numpy()
    total = int(daily.sum())
    topup = 100_00 * -(-(total - _FIRST_PURCHASE[1]) // 100_00) + 200_00
    purchases = {_FIRST_PURCHASE[0]: _FIRST_PURCHASE[1], _TOPUP_DATE: topup}
    lots: list[list] = []  # [purchase day, cents left], oldest first
    for t, demand in zip(days, daily.tolist(), strict=True):
        lots = [lot for lot in lots if lot[0] + pd.DateOffset(months=12) > t]
        if t in purchases:
            lots.append([t, purchases[t]])
        balance = sum(lot[1] for lot in lots)
        if t >= _AUTO_RECHARGE_FROM and balance - demand < _RECHARGE_THRESHOLD:
            k = -(-(_RECHARGE_THRESHOLD - (balance - demand)) // _RECHARGE_AMOUNT)
            lots.extend([t, _RECHARGE_AMOUNT] for _ in range(k))
        for lot in lots:
            take = min(demand, lot[1])
            lot[1] -= take
            demand -= take
        if demand:
            raise ValueError("the sample's funding does not cover its credit spend")
        lots = [lot for lot in lots if lot[1] > 0]
    lots = [lot for lot in lots if lot[0] + pd.DateOffset(months=12) > EXPORT_DATE]
    return pd.DataFrame(
        {
            "purchase_date": pd.to_datetime([lot[0] for lot in lots]).as_unit("ns"),
            "amount": [lot[1] / 100 for lot in lots],
        }
    )


def _readme(tenant_records: pd.DataFrame, licences: pd.DataFrame, rates: pd.DataFrame,
            lots: pd.DataFrame, current_zip: str, legacy_zip: str,
            legacy_records: pd.DataFrame) -> str:  # fmt: skip
    records = tenant_records
    cents = credit_cents(records)
    category = credit_category(records, charged_only=True)
    by_category = cents.groupby(category.to_numpy()).agg(["size", "sum"])
    people = records[records["user_id"].notna()]
    months = records["start"].dt.tz_convert(None).dt.to_period("M")
    monthly = cents.groupby(months.to_numpy()).sum()
    labels = {
        "toll_free": "toll-free inbound minutes (auto attendant and call queues)",
        "conference_dial_out": "meeting dial-out beyond the Zone A pool or outside Zone A",
        "international": "international calls by users whose plan has no international minutes",
        "domestic_overage": "French calls after their plan's pooled minutes ran out",
    }
    lines = [
        f"# Sample tenant: {TENANT_NAME}",
        "",
        "A fictional organisation's Teams PSTN usage, generated from a seed by",
        "`planner.sample.generate_sample()`. `planner demo`, the notebooks and many tests run on",
        "it. Regenerate it with `planner sample --out planner/data/sample` (same seed, same bytes).",
        "",
        f"- {people['upn'].nunique()} users with PSTN usage: "
        + ", ".join(
            f"{n} in {c}" for c, n in people.groupby("user_location")["upn"].nunique().items()
        )
        + "; 3 voice apps (a main-line auto attendant, a US and a French toll-free call queue).",
        f"- Usage {USAGE_START:%Y-%m-%d} to {USAGE_END:%Y-%m-%d} (UTC), {len(records):,} call "
        "records; office hours in each site's local time, weekends, US and French public",
        "  holidays, the French August slump, a growth trend of about 20% a year.",
        f"- Billing currency {CURRENCY}: every charge and every rate is in {CURRENCY}.",
        "- Dallas warehouse users call through Operator Connect (`Operator` = "
        f"`{_OPERATOR_CONNECT_CARRIER}`), billed by the carrier, never by credits.",
        "",
        "## Licences (`licences.csv`)",
        "",
        "| plan | country | users | minutes per user |",
        "|---|---|---:|---:|",
        *(
            f"| {r.plan} | {r.country} | {r.users} | {r.minutes_per_user} |"
            for r in licences.itertuples()
        ),
        "",
        "Calling Plan minutes are pooled per country and plan: each Calling Plan row (MCOPSTN*) "
        "is one domestic pool of users x minutes per user, shared only by the users with that "
        "plan in that country. The French pools are small ("
        + "; ".join(
            f"{r.plan}: {r.users} x {r.minutes_per_user} = {r.users * r.minutes_per_user:,} minutes"
            for r in licences.itertuples()
            if r.country == "FR" and r.plan.startswith("MCOPSTN")
        )
        + "), so in busy months each runs out after about the 20th-25th "
        "and the rest of the month's French calls on that plan are paid from credits; the US "
        "MCOPSTN1 and MCOPSTN2 users have separate pools that never run out. `MCOPSTN2` adds "
        "600 international minutes per user, pooled per country and plan. The `MCOMEETADD` "
        "rows form one tenant-wide pool of 60 Zone A dial-out minutes per licence and month.",
        "",
        "## What drew on credits (`Capability` = `MCOPSTNPP`)",
        "",
        "| category | records | USD |",
        "|---|---:|---:|",
        *(
            f"| {labels[k]} | {int(by_category.loc[k, 'size']):,} | "
            f"{int(by_category.loc[k, 'sum']) / 100:,.2f} |"
            for k in labels
            if k in by_category.index
        ),
        f"| **total** | {int(category.notna().sum()):,} | {int(cents.sum()) / 100:,.2f} |",
        "",
        "Credit spend per month (USD): "
        + ", ".join(f"{p.strftime('%Y-%m')} {int(v) / 100:,.2f}" for p, v in monthly.items())
        + ".",
        "",
        "Other rows carry their plan's capability and cost credits nothing: `MCOPSTN1`, "
        "`MCOPSTN2`,",
        "`MCOPSTN5`, `MCOPSTN6`, `MCOMEETADD`, `MCOEV_VIRTUALUSER` (the main line), `MCOEV`",
        "(Operator Connect), `FREECALL`, and `MCOMEETACPEA` (pay-per-minute conferencing: its",
        "`Charge` is billed through the licensing agreement, not credits).",
        "",
        "## Pricing rules the charges follow",
        "",
        "Per calendar month (UTC), calls in start-time order:",
        "",
        "- outbound user calls (`user_out`, `user_out_conf`, `user_out_transfer`,",
        "  `user_out_forwarding`) to a domestic number draw on the domestic pool of the caller's",
        "  country and plan (the users with the same plan in the same country share it); once it",
        "  is exhausted the rest of the month is priced, and the call that straddles the end of",
        "  the pool pays only for its seconds beyond it;",
        "- international calls by `MCOPSTN2` users draw on the international pool of their",
        "  country and plan; by users whose plan has no international minutes (`MCOPSTN1`,",
        "  `MCOPSTN5`, `MCOPSTN6`) they are priced from the first second;",
        '- toll-free inbound calls (`Number Type` containing "toll") are priced from the first',
        "  second at the rate of their `Destination Dialed`;",
        "- `conf_out` to a Zone A country draws on the tenant-wide dial-out pool; other",
        "  destinations are priced from the first second;",
        "- ordinary inbound, emergency, `FREECALL`, Operator Connect and `MCOMEETACPEA` calls cost",
        "  credits nothing and draw on no pool.",
        "",
        "The rate of a call is the `rates.csv` row whose `destination` equals its `Destination",
        "Dialed` (case-insensitive), else the row named by its `External Country` code, else `*`.",
        "A priced call's `Charge` is `ceil(billable_seconds / increment_seconds) *",
        "increment_seconds / 60 * per_minute`, rounded half-up to the cent; its `Connection Fee`",
        "is the rate's fee (whole cents, charged once per priced call, also on a straddling call).",
        "Its cost to credits is `Charge + Connection Fee`.",
        "",
        "## Files",
        "",
        f"- `{current_zip}`: the current 25-column Calling Plans export of the 13 months "
        f"({len(records):,} rows, grouped by user in time order) with `parameters.json`.",
        f"- `{legacy_zip}`: an older export in the legacy 20-column format, "
        f"{LEGACY_START:%Y-%m-%d} to {LEGACY_END:%Y-%m-%d} ({len(legacy_records):,} rows,",
        "  `no data` for an empty Conference ID); every row is also in the current export",
        "  (same `UsageId`), so reading both must de-duplicate.",
        "- `licences.csv`: `plan,country,users,minutes_per_user`.",
        "- `rates.csv`: `destination,per_minute,connection_fee,increment_seconds,currency`.",
        "- `user_licences.csv`: the admin center's *Export users* view (`User principal name,",
        "  Display name,Licenses`, products joined by `+`). A few users who drew on credits lack",
        "  the `Communications Credits` licence.",
        "- `departments.csv`: `upn,department`.",
        f"- `balance.csv`: the credit lots held on {EXPORT_DATE:%Y-%m-%d} "
        f"(`purchase_date,amount`, USD, {lots['amount'].sum():,.2f} in all); the oldest",
        f"  expires on {lots['purchase_date'].min() + pd.DateOffset(months=12):%Y-%m-%d}.",
        "",
        "Zip members are bzip2-compressed and dated with fixed timestamps, so the files are",
        "byte-for-byte reproducible.",
        "",
    ]
    return "\n".join(_wrap(line) for line in lines)


def _wrap(line: str, width: int = 96) -> str:
    """A long Markdown text or bullet line, wrapped (tables are left alone)."""
    if len(line) <= width or line.startswith("|"):
        return line
    indent = "  " if line.startswith("- ") else ""
    return textwrap.fill(line, width, subsequent_indent=indent, break_on_hyphens=False)


def write_sample(out_dir: str | Path, seed: int = SAMPLE_SEED) -> list[Path]:
    """Generate the sample tenant and write its files under ``out_dir``.

    The files are first written into a temporary directory inside ``out_dir``, then moved
    into place, so an interrupted run never leaves a half-written file. Export archives of an
    earlier run (another seed names them differently) are removed so that reading
    ``out_dir/exports`` sees this tenant only; other files are left alone.

    Parameters
    ----------
    out_dir
        The directory to write (created if needed), e.g. ``data/sample``.
    seed
        The generator's seed (:data:`SAMPLE_SEED` for the shipped sample).

    Returns
    -------
    list of Path
        The written files, in path order.
    """
    out = Path(out_dir)
    tenant = generate_sample(seed)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(dir=out, prefix=".sample-") as tmp:
        for rel, data in tenant.files.items():
            path = Path(tmp, rel)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        exports = out / "exports"
        stale = [
            p
            for pattern in ("Export.callingplans.*.zip", "Calls.Export.*.zip")
            for p in (exports.glob(pattern) if exports.is_dir() else [])
            if p.relative_to(out).as_posix() not in tenant.files
        ]
        for rel in tenant.files:
            target = out / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(Path(tmp, rel), target)
            written.append(target)
        for p in stale:
            p.unlink()
    return written
