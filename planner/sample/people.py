"""The sample tenant's users: names, numbers, countries, plans and departments."""

from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd

from planner.sample.reference import (
    COUNTRIES,
    DOMAIN,
    FR_FIRST,
    FR_LAST,
    MASKED_DIGITS,
    US_FIRST,
    US_LAST,
)


def guids(rng: np.random.Generator, n: int) -> list[str]:
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


def phone_numbers(rng: np.random.Generator, countries: np.ndarray) -> np.ndarray:
    """Random external E.164 numbers for ``countries`` (ISO codes), masked where exports mask."""
    out = np.empty(len(countries), dtype=object)
    for code in np.unique(countries):
        idx = np.flatnonzero(countries == code)
        _, prefixes, digits = COUNTRIES[code]
        pre = rng.integers(0, len(prefixes), size=len(idx))
        first = rng.integers(2, 10, size=len(idx))
        rest = rng.integers(0, 10 ** (digits - 1), size=len(idx))
        mask = MASKED_DIGITS.get(code, 0)
        for j, i in enumerate(idx):
            num = f"{prefixes[pre[j]]}{first[j]}{rest[j]:0{digits - 1}d}"
            out[i] = num[:-mask] + "*" * mask if mask else num
    return out


def _person(
    rng: np.random.Generator,
    used_upns: set[str],
    country: str,
    site: str,
    tz: str,
    plan: str,
    department: str,
    number: str,
) -> dict[str, str]:
    """One user: a name drawn for ``country``, and a UPN no one else has."""
    if country == "US":
        first = US_FIRST[rng.integers(len(US_FIRST))]
        last = US_LAST[rng.integers(len(US_LAST))]
        display = f"{first} {last}"
    else:
        first = FR_FIRST[rng.integers(len(FR_FIRST))]
        last = FR_LAST[rng.integers(len(FR_LAST))]
        display = f"{last}, {first}"
    base = f"{_fold(first)}.{_fold(last)}"
    upn, k = f"{base}@{DOMAIN}", 2
    while upn in used_upns:
        upn, k = f"{base}{k}@{DOMAIN}", k + 1
    used_upns.add(upn)
    return {
        "upn": upn,
        "display_name": display,
        "country": country,
        "site": site,
        "tz": tz,
        "plan": plan,
        "department": department,
        "number": number,
    }


def _us_people(rng: np.random.Generator, used_upns: set[str]) -> list[dict[str, str]]:
    """Chicago and New York on Calling Plans, the Dallas warehouse on Operator Connect."""
    department_list = (
        ["Sales"] * 38 + ["Customer Service"] * 30 + ["Engineering"] * 34 + ["Finance"] * 14
        + ["Marketing"] * 12 + ["IT"] * 10 + ["HR"] * 8 + ["Executive"] * 10
    )  # fmt: skip
    us_departments = np.array(department_list, dtype=object)
    rng.shuffle(us_departments)
    # Chicago head office (90) and New York (66) on Microsoft Calling Plans
    us_plans = np.array(["MCOPSTN2"] * 36 + ["MCOPSTN1"] * 120, dtype=object)
    intl_first = np.argsort(
        [{"Executive": 0, "Sales": 1}.get(d, 2) for d in us_departments] + rng.random(156)
    )
    plans = np.empty(156, dtype=object)
    plans[intl_first] = us_plans
    rows = []
    for i in range(156):
        if i < 90:
            site, tz, number = "Chicago", "America/Chicago", f"+1312555{101 + i:04d}"
        else:
            site, tz, number = "New York", "America/New_York", f"+1646555{10 + i:04d}"
        rows.append(_person(rng, used_upns, "US", site, tz, plans[i], us_departments[i], number))
    # Dallas warehouse on Operator Connect: Teams Phone, no Calling Plan
    for i in range(14):
        number = f"+1214555{140 + i:04d}"
        rows.append(
            _person(rng, used_upns, "US", "Dallas", "America/Chicago", "OC", "Operations", number)
        )
    return rows


def _fr_people(rng: np.random.Generator, used_upns: set[str]) -> list[dict[str, str]]:
    """Paris and Lyon on the 120-minute plan, eight heavy callers (mostly sales) on 240."""
    fr_departments = np.array(
        ["Sales"] * 24 + ["Customer Service"] * 20 + ["Engineering"] * 14 + ["Finance"] * 8
        + ["Marketing"] * 6 + ["HR"] * 4 + ["Executive"] * 4,
        dtype=object,
    )  # fmt: skip
    rng.shuffle(fr_departments)
    heavy = np.argsort([0 if d == "Sales" else 1 for d in fr_departments] + rng.random(80))[:8]
    rows = []
    for i in range(80):
        plan = "MCOPSTN6" if i in heavy else "MCOPSTN5"
        if i < 58:
            site, number = "Paris", f"+3314567{1000 + i * 7:04d}"
        else:
            site, number = "Lyon", f"+3347291{2000 + i * 11:04d}"
        rows.append(
            _person(rng, used_upns, "FR", site, "Europe/Paris", plan, fr_departments[i], number)
        )
    return rows


def make_users(rng: np.random.Generator) -> pd.DataFrame:
    """The tenant's people: identity, site, plan, licences, department, activity."""
    used_upns: set[str] = set()
    rows = _us_people(rng, used_upns) + _fr_people(rng, used_upns)
    users = pd.DataFrame(rows)
    n = len(users)
    dept_out = {"Sales": 2.2, "Customer Service": 1.3, "Executive": 1.4, "Marketing": 0.9,
                "Finance": 0.8, "IT": 0.7, "HR": 0.7, "Engineering": 0.35, "Operations": 1.0}  # fmt: skip
    users["object_id"] = guids(rng, n)
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
