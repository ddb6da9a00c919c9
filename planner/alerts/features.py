"""What the detectors look at, computed once from the call records.

:func:`call_features` turns the canonical record table (:mod:`planner.schema`) into one row
per call with the facts the detectors need: the UTC date, the user's local time (from the
time zone of the user's country), the destination country, the credit spend in cents, and
flags (outbound, international, premium-rate, toll-free). :func:`daily_spend` and
:func:`typical_daily_cents` give the tenant's day-by-day credit spend and its usual level.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.demand.calls import (
    is_international,
    is_outbound,
    is_toll_free,
    other_country,
    text_column,
    utc_dates,
)
from planner.schema import credit_cents

#: ISO country -> the IANA time zone its users' business hours are read in (for countries
#: spanning several zones, the most populous one; an hour off only widens the margin the
#: business hours already leave). A user whose country is missing here gets no
#: out-of-hours check rather than a guessed one.
COUNTRY_TIME_ZONES: dict[str, str] = {
    "AE": "Asia/Dubai", "AR": "America/Argentina/Buenos_Aires", "AT": "Europe/Vienna",
    "AU": "Australia/Sydney", "BE": "Europe/Brussels", "BG": "Europe/Sofia",
    "BR": "America/Sao_Paulo", "CA": "America/Toronto", "CH": "Europe/Zurich",
    "CL": "America/Santiago", "CN": "Asia/Shanghai", "CO": "America/Bogota",
    "CY": "Asia/Nicosia", "CZ": "Europe/Prague", "DE": "Europe/Berlin", "DK": "Europe/Copenhagen",
    "EE": "Europe/Tallinn", "EG": "Africa/Cairo", "ES": "Europe/Madrid", "FI": "Europe/Helsinki",
    "FR": "Europe/Paris", "GB": "Europe/London", "GR": "Europe/Athens", "HK": "Asia/Hong_Kong",
    "HR": "Europe/Zagreb", "HU": "Europe/Budapest", "ID": "Asia/Jakarta", "IE": "Europe/Dublin",
    "IL": "Asia/Jerusalem", "IN": "Asia/Kolkata", "IS": "Atlantic/Reykjavik", "IT": "Europe/Rome",
    "JP": "Asia/Tokyo", "KR": "Asia/Seoul", "LT": "Europe/Vilnius", "LU": "Europe/Luxembourg",
    "LV": "Europe/Riga", "MA": "Africa/Casablanca", "MT": "Europe/Malta",
    "MX": "America/Mexico_City", "MY": "Asia/Kuala_Lumpur", "NG": "Africa/Lagos",
    "NL": "Europe/Amsterdam", "NO": "Europe/Oslo", "NZ": "Pacific/Auckland",
    "PE": "America/Lima", "PH": "Asia/Manila", "PL": "Europe/Warsaw", "PR": "America/Puerto_Rico",
    "PT": "Europe/Lisbon", "RO": "Europe/Bucharest", "RS": "Europe/Belgrade",
    "SA": "Asia/Riyadh", "SE": "Europe/Stockholm", "SG": "Asia/Singapore",
    "SI": "Europe/Ljubljana", "SK": "Europe/Bratislava", "TH": "Asia/Bangkok",
    "TR": "Europe/Istanbul", "TW": "Asia/Taipei", "UA": "Europe/Kyiv", "US": "America/Chicago",
    "VN": "Asia/Ho_Chi_Minh", "ZA": "Africa/Johannesburg",
}  # fmt: skip

#: E.164 prefixes of premium-rate (revenue-sharing) number ranges: the caller's tenant pays
#: the premium. A documented sample, not a complete list: the per-minute price and the
#: ``Number Type`` / ``Destination Dialed`` catch the others.
PREMIUM_PREFIXES: tuple[str, ...] = (
    "+1900", "+1976",  # North America 900 / 976
    "+449", "+4487",  # UK 09 premium, 087 revenue share
    "+3389",  # France 089x
    "+49900", "+49137",  # Germany 0900, 0137 televoting
    "+34803", "+34806", "+34807", "+34905",  # Spain
    "+39899", "+39892", "+39895",  # Italy
    "+31900", "+31906", "+31909",  # Netherlands
    "+32900", "+32902", "+32903", "+32904", "+32905", "+32906", "+32907", "+32909",  # Belgium
    "+41900", "+41901", "+41906",  # Switzerland
    "+43900", "+43930", "+43939",  # Austria
    "+61190",  # Australia 190x
)  # fmt: skip

#: columns of :func:`call_features`
FEATURE_COLUMNS: tuple[str, ...] = (
    "usage_id", "upn", "user_location", "country", "currency", "call_type", "callee_number",
    "start", "date", "local", "duration_s", "cents", "charge_cents", "outbound",
    "international", "premium", "toll_free", "sms", "segments",
)  # fmt: skip

NO_USER = "(no user)"


def _premium_text(records: pd.DataFrame) -> np.ndarray:
    def named(col: str) -> np.ndarray:
        found = text_column(records, col).str.contains("premium", regex=False)
        return found.fillna(False).to_numpy(bool)

    return named("number_type") | named("destination_dialed")


def premium_number(numbers: pd.Series) -> np.ndarray:
    """True for numbers in a premium-rate range of :data:`PREMIUM_PREFIXES`."""
    codes, uniques = pd.factorize(numbers)
    flags = [str(u).replace(" ", "").startswith(PREMIUM_PREFIXES) for u in uniques]
    return np.array([*flags, False], dtype=bool)[codes]


def local_times(start: pd.Series, user_location: pd.Series) -> pd.Series:
    """Each call's start in its user's local wall time (naive); NaT where no zone is known."""
    out = pd.Series(pd.NaT, index=start.index, dtype="datetime64[ns]")
    utc = pd.to_datetime(start, utc=True)
    zones = user_location.map(COUNTRY_TIME_ZONES)
    for zone in zones.dropna().unique():
        sel = zones.eq(zone).fillna(False).to_numpy(bool)
        local = utc[sel].dt.tz_convert(zone).dt.tz_localize(None)
        out[sel] = local.astype("datetime64[ns]").to_numpy()
    return out


def call_features(records: pd.DataFrame, premium_cents_per_minute: int = 100) -> pd.DataFrame:
    """One row per call with what the detectors need (columns :data:`FEATURE_COLUMNS`).

    Parameters
    ----------
    records
        Canonical call records (:mod:`planner.schema`).
    premium_cents_per_minute
        A call whose ``Charge`` per started minute reaches this (cents) counts as premium.

    Returns
    -------
    DataFrame
        Sorted by ``start``, index 0..n-1. ``upn`` lower case (``(no user)`` when missing),
        ``country`` the other party's ISO code (``<NA>`` when unknown), ``date`` the UTC date
        (naive midnight), ``local`` the user's local time (NaT when the user's country has no
        known zone), ``cents`` the credit spend (int64), ``charge_cents`` the charge without
        the connection fee (int64, whatever the capability), ``sms`` True for a Teams Phone
        SMS row and ``segments`` its segments (0 for a call). An SMS is neither outbound,
        international nor premium here: the call patterns are not a message's
        (:mod:`planner.alerts.sms` reads them).
    """
    duration = records["duration_s"].fillna(0).astype("int64").to_numpy()
    charge = records["charge_cents"].fillna(0).astype("int64").to_numpy()
    started_minutes = np.maximum(1, -(-duration // 60))
    by_price = charge >= premium_cents_per_minute * started_minutes
    callee = records["callee_number"].astype("string")
    outbound = is_outbound(records)
    sms = text_column(records, "kind").eq("sms").fillna(False).to_numpy(bool)
    outbound = outbound & ~sms
    premium = outbound & (_premium_text(records) | premium_number(callee) | by_price)
    location = text_column(records, "user_location", upper=True)
    frame = pd.DataFrame(
        {
            "usage_id": records["usage_id"].astype("string").to_numpy(),
            "upn": text_column(records, "upn").fillna(NO_USER).to_numpy(),
            "user_location": location.to_numpy(),
            "country": other_country(records).to_numpy(),
            "currency": text_column(records, "currency", upper=True).to_numpy(),
            "call_type": text_column(records, "call_type").to_numpy(),
            "callee_number": callee.to_numpy(),
            "start": pd.to_datetime(records["start"], utc=True).to_numpy(),
            "date": utc_dates(records["start"]).to_numpy(),
            "local": local_times(records["start"], location).to_numpy(),
            "duration_s": duration,
            "cents": credit_cents(records).to_numpy(dtype="int64"),
            "charge_cents": charge,
            "outbound": outbound,
            "international": is_international(records) & outbound,
            "premium": premium,
            "toll_free": is_toll_free(records),
            "sms": sms,
            "segments": records["sms_units"].fillna(0).astype("int64").to_numpy(),
        }
    )
    frame = frame[frame["start"].notna()]
    return frame.sort_values("start", kind="stable").reset_index(drop=True)


def daily_spend(calls: pd.DataFrame) -> pd.Series:
    """Credit spend (cents, int64) of every UTC day from the first to the last call, 0 filled."""
    if calls.empty:
        return pd.Series(dtype="int64")
    spend = calls.groupby("date")["cents"].sum()
    days = pd.date_range(calls["date"].min(), calls["date"].max(), freq="D")
    return spend.reindex(days, fill_value=0).astype("int64")


def typical_daily_cents(daily: pd.Series, days: int = 28) -> pd.Series:
    """Mean credit spend per day over the ``days`` days before each day (float cents).

    The first day has no history: its value is 0.
    """
    prior = daily.astype("float64").shift(1)
    return prior.rolling(days, min_periods=1).mean().fillna(0.0)
