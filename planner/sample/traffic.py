"""The sample tenant's calls, day by day: users' own calls, meetings, voice apps, oddities."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from planner.sample.reference import (
    FR_DAYS,
    FR_HOURS,
    FR_SEASON,
    GROWTH_PER_YEAR,
    SUPPORT_HOURS,
    US_DAYS,
    US_HOURS,
    US_SEASON,
    USAGE_END,
    USAGE_START,
    VOICE_APPS,
)


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
    act = act * (1 + GROWTH_PER_YEAR) ** years
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


def generate_calls(rng: np.random.Generator, users: pd.DataFrame) -> pd.DataFrame:
    """Every call leg of the 13 months, unpriced, in no particular order."""
    days = pd.date_range(USAGE_START, USAGE_END, freq="D", unit="ns")
    act = {
        "US": _activity(days, US_DAYS, US_SEASON, rng, august=False),
        "FR": _activity(days, FR_DAYS, FR_SEASON, rng, august=True),
    }
    calls = pd.concat(_user_legs(rng, users, act), ignore_index=True)
    calls["number_type"] = "Subscriber"
    calls["start"] = 0
    _set_start_times(rng, calls, users, days.asi8)
    calls = _with_forwarded_legs(rng, calls)
    extra = [_conference_calls(rng, users, days, act), _voice_app_calls(rng, days, act),
             _odd_calls(rng, users, days)]  # fmt: skip
    calls = pd.concat([calls, *extra], ignore_index=True)
    calls["parent"] = calls["parent"].fillna(-1).astype(np.int64)
    return calls


def _user_legs(
    rng: np.random.Generator, users: pd.DataFrame, act: dict[str, np.ndarray]
) -> list[pd.DataFrame]:
    """Users' own calls per country: domestic and international outbound, inbound."""
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
    return parts


def _set_start_times(
    rng: np.random.Generator, calls: pd.DataFrame, users: pd.DataFrame, day_ns: np.ndarray
) -> None:
    """Start times (ns) in each user's local office hours, set in place."""
    hours = {"US": US_HOURS, "FR": FR_HOURS}
    for country in ("US", "FR"):
        for tz in users["tz"].unique():
            sel = (calls["country"].to_numpy() == country) & (
                users["tz"].to_numpy()[calls["user"].to_numpy()] == tz
            )
            if sel.any():
                calls.loc[sel, "start"] = _times(
                    rng, day_ns[calls["day"].to_numpy()[sel]], hours[country], tz
                )


def _with_forwarded_legs(rng: np.random.Generator, calls: pd.DataFrame) -> pd.DataFrame:
    """``calls`` plus a forwarding / transfer leg for some inbound calls."""
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
        start = _times(rng, days.asi8[day], US_HOURS if country == "US" else FR_HOURS,
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


def _voice_app_calls(rng: np.random.Generator, days: pd.DatetimeIndex,
                     act: dict[str, np.ndarray]) -> pd.DataFrame:  # fmt: skip
    """Calls to the auto attendant and the two toll-free call queues (``ucap_in``)."""
    parts = []
    for app, (_, _, country, _, _, toll) in enumerate(VOICE_APPS):
        rate = {0: 4.0, 1: 14.0, 2: 5.0}[app]
        # support lines answer on Saturdays too: flatten the weekend dip a little
        a = act[country] if not toll else np.maximum(act[country], 0.12 * act[country].max())
        day = _daily_counts(rng, rate, a)
        tz = "America/New_York" if country == "US" else "Europe/Paris"
        start = _times(rng, days.asi8[day], SUPPORT_HOURS if toll else US_HOURS, tz)
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
                    "number_type": VOICE_APPS[app][4],
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
            tz = str(users.at[u, "tz"])
            start = _times(rng, days.asi8[[d]], US_HOURS if tz != "Europe/Paris" else FR_HOURS, tz)
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
