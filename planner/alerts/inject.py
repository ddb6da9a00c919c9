"""Toll-fraud patterns injected into a copy of a tenant's call records, to test the detectors.

:func:`inject` adds one pattern's calls (canonical rows, :mod:`planner.schema`) to a copy of
the records, with the user, the destination, the day and the intensity drawn from a
:class:`numpy.random.Generator`, so that many seeds exercise the class of fraud rather than
one example:

``night_burst``
    a compromised account dialling abroad at night (00:00-05:00 local) for 1-3 nights;
``premium``
    calls to premium-rate numbers over 2-4 days, recognised by their number range, their
    number type, or only by their price (a satellite or unlisted range);
``forwarding_loop``
    a user's forwarding (or a call queue's outbound leg) looping to one international number
    all day for 1-2 days;
``sequential``
    short calls to consecutive numbers of one foreign range, a few dozen seconds apart.

Every injected call is paid from Communications Credits (``MCOPSTNPP``) at a price drawn for
the pattern, in whole cents.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.alerts.features import COUNTRY_TIME_ZONES
from planner.formats import match_format
from planner.money import plain
from planner.sample import CURRENT_HEADER
from planner.schema import CREDITS_CAPABILITY, RECORD_COLUMNS, conform

#: the patterns :func:`inject` knows
PATTERNS: tuple[str, ...] = ("night_burst", "premium", "forwarding_loop", "sequential")

#: destinations of injected international calls: ISO -> (Destination Dialed, E.164 prefix);
#: some already called by the sample tenant, most classic revenue-share targets
DESTINATIONS: dict[str, tuple[str, str]] = {
    "GB": ("United Kingdom", "+447"), "IN": ("India", "+9198"), "MX": ("Mexico", "+5255"),
    "MA": ("Morocco", "+212661"), "AE": ("United Arab Emirates", "+9715"),
    "CU": ("Cuba", "+537"), "SO": ("Somalia", "+25261"), "LV": ("Latvia", "+3718"),
    "GN": ("Guinea", "+22462"), "SL": ("Sierra Leone", "+23276"), "TN": ("Tunisia", "+2162"),
    "LK": ("Sri Lanka", "+9477"), "BY": ("Belarus", "+37529"), "ZW": ("Zimbabwe", "+26377"),
}  # fmt: skip

#: premium ranges: (ISO, E.164 prefix, Destination Dialed, Number Type); the last is only
#: recognisable by its price (a satellite network with no country)
PREMIUM_RANGES: tuple[tuple[str, str, str, str], ...] = (
    ("US", "+1900", "United States", "Subscriber"),
    ("GB", "+4490", "United Kingdom Premium", "Premium"),
    ("DE", "+49900", "Germany", "Subscriber"),
    ("AT", "+43930", "Austria", "Premium Rate"),
    ("LV", "+37190", "Latvia", "Subscriber"),
    ("SO", "+25290", "Somalia", "Subscriber"),
)

#: the call types that dial out from a person's account
_PERSON_PLANS = ("MCOPSTN1", "MCOPSTN5", "MCOPSTN6")


@dataclass(frozen=True)
class Injection:
    """What was injected: the ground truth a detector should find.

    Attributes
    ----------
    pattern, upn, country
        The pattern, the account used (lower case) and the destination country (ISO).
    first_day, last_day
        UTC dates of the first and last injected call (naive midnight timestamps).
    calls
        The injected rows (canonical record table).
    """

    pattern: str
    upn: str
    country: str
    first_day: pd.Timestamp
    last_day: pd.Timestamp
    calls: pd.DataFrame

    @property
    def usage_ids(self) -> frozenset[str]:
        """The injected calls' ids."""
        return frozenset(self.calls["usage_id"].astype(str))

    @property
    def cents(self) -> int:
        """Credit spend of the injected calls."""
        return int((self.calls["charge_cents"] + self.calls["connection_fee_cents"]).sum())


def _people(records: pd.DataFrame) -> pd.DataFrame:
    """Users with a domestic Calling Plan (international calls paid from credits): one row
    each with ``upn``, ``user_location``, ``user_id``, ``name`` and their own number."""
    out = records[
        records["capability"].isin(_PERSON_PLANS) & records["call_direction"].eq("outbound")
    ]
    out = out[out["user_location"].isin(list(COUNTRY_TIME_ZONES))]
    return out.groupby("upn", sort=True).agg(
        user_location=("user_location", "first"),
        user_id=("user_id", "first"),
        name=("user_display_name", "first"),
        number=("caller_number", "first"),
    ).reset_index()  # fmt: skip


def _voice_apps(records: pd.DataFrame) -> pd.DataFrame:
    apps = records[records["call_type"].eq("ucap_in") & records["upn"].notna()]
    return apps.groupby("upn", sort=True).agg(
        user_location=("user_location", "first"),
        user_id=("user_id", "first"),
        name=("user_display_name", "first"),
        number=("callee_number", "first"),
    ).reset_index()  # fmt: skip


def _price(duration_s: np.ndarray, per_minute_cents: float, fee_cents: int) -> tuple:
    minutes = -(-duration_s // 60)
    charge = np.round(minutes * per_minute_cents).astype(np.int64)
    return charge, np.full(len(duration_s), fee_cents, dtype=np.int64)


def _rows(rng: np.random.Generator, who: pd.Series, start: np.ndarray, duration: np.ndarray, callee: list[str], *,
          call_type: str, country: str, dialed: str, number_type: str,
          charge: np.ndarray, fee: np.ndarray, currency: str) -> pd.DataFrame:  # fmt: skip
    n = len(start)
    start_ts = pd.to_datetime(start, utc=True)
    home = str(who["user_location"])
    frame = pd.DataFrame(
        {
            "usage_id": _uuids(rng, n),
            "call_id": _uuids(rng, n),
            "kind": "calling_plans",
            "user_location": home,
            "user_id": who["user_id"],
            "upn": who["upn"],
            "user_display_name": who["name"],
            "caller_number": who["number"],
            "callee_number": callee,
            "call_type": call_type,
            "call_direction": "outbound",
            "number_type": number_type,
            "destination_context": "Domestic" if country == home else "International",
            "destination_dialed": dialed,
            "external_country": country,
            "start": start_ts,
            "end": start_ts + pd.to_timedelta(duration, unit="s"),
            "duration_s": duration,
            "connection_fee_cents": fee,
            "charge_cents": charge,
            "currency": currency,
            "capability": CREDITS_CAPABILITY,
            "operator": "Microsoft",
            "duration_source": "microsoft",
            "source_file": "injected",
            "source_row": np.arange(2, n + 2),
        }
    )
    return conform(frame)[list(RECORD_COLUMNS)]


def _uuids(rng: np.random.Generator, n: int) -> list[str]:
    return [str(uuid.UUID(bytes=rng.bytes(16), version=4)) for _ in range(n)]


def _local_start(day: pd.Timestamp, home: str, hours: np.ndarray) -> np.ndarray:
    """UTC instants of local ``hours`` (float) on local ``day`` in the country's zone."""
    zone = COUNTRY_TIME_ZONES[home]
    local = day + pd.to_timedelta(hours, unit="h")
    # a wall time skipped or repeated by a daylight-saving change: the later / standard one
    at = pd.DatetimeIndex(local).tz_localize(
        zone, ambiguous=np.zeros(len(local), dtype=bool), nonexistent="shift_forward"
    )
    return at.tz_convert("UTC").tz_localize(None).to_numpy()


def _numbers(rng: np.random.Generator, prefix: str, n: int, digits: int = 7) -> list[str]:
    return [f"{prefix}{int(x):0{digits}d}" for x in rng.integers(0, 10**digits, size=n)]


def _night_burst(rng, who, day, intensity, currency):
    country = str(rng.choice(list(DESTINATIONS)))
    dialed, prefix = DESTINATIONS[country]
    per_minute = rng.uniform(20, 120) * (0.5 + intensity)
    nights, frames = int(rng.integers(1, 4)), []
    for k in range(nights):
        n = int(rng.integers(6, 12) + intensity * rng.integers(5, 30))
        hours = np.sort(rng.uniform(0.0, 5.0, size=n))
        start = _local_start(day + pd.Timedelta(days=k), str(who["user_location"]), hours)
        duration = rng.integers(120, 1800, size=n)
        charge, fee = _price(duration, per_minute, int(rng.integers(0, 20)))
        frames.append(_rows(rng, who, start, duration, _numbers(rng, prefix, n), call_type="user_out",
                            country=country, dialed=dialed, number_type="Subscriber",
                            charge=charge, fee=fee, currency=currency))  # fmt: skip
    return country, pd.concat(frames, ignore_index=True)


def _premium(rng, who, day, intensity, currency):
    country, prefix, dialed, number_type = PREMIUM_RANGES[int(rng.integers(len(PREMIUM_RANGES)))]
    if rng.random() < 0.25:  # a range no list knows: only its price gives it away
        country, prefix, dialed, number_type = "", "+8816", "", "Subscriber"
    per_minute = rng.uniform(150, 450)
    numbers = _numbers(rng, prefix, int(rng.integers(1, 4)), digits=6)
    frames = []
    for k in range(int(rng.integers(2, 5))):
        n = int(rng.integers(2, 5) + intensity * rng.integers(2, 12))
        hours = np.sort(rng.uniform(8.0, 19.0, size=n))
        start = _local_start(day + pd.Timedelta(days=k), str(who["user_location"]), hours)
        duration = rng.integers(90, 900, size=n)
        charge, fee = _price(duration, per_minute, 0)
        callee = [numbers[i] for i in rng.integers(0, len(numbers), size=n)]
        frames.append(_rows(rng, who, start, duration, callee, call_type="user_out",
                            country=country or None, dialed=dialed or None,
                            number_type=number_type, charge=charge, fee=fee,
                            currency=currency))  # fmt: skip
    return country, pd.concat(frames, ignore_index=True)


def _forwarding_loop(rng, who, day, intensity, currency, app: bool):
    country = str(rng.choice(list(DESTINATIONS)))
    dialed, prefix = DESTINATIONS[country]
    number = _numbers(rng, prefix, 1)[0]
    per_minute = rng.uniform(15, 60)
    frames = []
    for k in range(int(rng.integers(1, 3))):
        n = int(rng.integers(10, 16) + intensity * rng.integers(5, 40))
        first = rng.uniform(0.0, 14.0)
        hours = np.sort(rng.uniform(first, 24.0, size=n))
        start = _local_start(day + pd.Timedelta(days=k), str(who["user_location"]), hours)
        duration = rng.integers(300, 3600, size=n)
        charge, fee = _price(duration, per_minute, int(rng.integers(0, 15)))
        frames.append(_rows(rng, who, start, duration, [number] * n,
                            call_type="ucap_out" if app else "user_out_forwarding",
                            country=country, dialed=dialed, number_type="Subscriber",
                            charge=charge, fee=fee, currency=currency))  # fmt: skip
    return country, pd.concat(frames, ignore_index=True)


def _sequential(rng, who, day, intensity, currency):
    country = str(rng.choice(list(DESTINATIONS)))
    dialed, prefix = DESTINATIONS[country]
    n = int(rng.integers(12, 20) + intensity * rng.integers(5, 60))
    base = int(rng.integers(10**6, 9 * 10**6))
    callee = [f"{prefix}{base + i}" for i in range(n)]
    gaps = rng.uniform(20, 90, size=n)
    hour = rng.uniform(0.0, 23.0)
    start = _local_start(day, str(who["user_location"]), np.array([hour]))[0]
    start = start + (np.cumsum(gaps) * 1e9).astype("timedelta64[ns]")
    duration = rng.integers(3, 40, size=n)
    charge, fee = _price(duration, rng.uniform(15, 80), int(rng.integers(5, 25)))
    rows = _rows(rng, who, start, duration, callee, call_type="user_out", country=country,
                 dialed=dialed, number_type="Subscriber", charge=charge, fee=fee,
                 currency=currency)  # fmt: skip
    return country, rows


def inject(
    records: pd.DataFrame,
    pattern: str,
    rng: np.random.Generator,
    *,
    day: pd.Timestamp | str | None = None,
    intensity: float | None = None,
    skip_days: int = 60,
) -> tuple[pd.DataFrame, Injection]:
    """A copy of ``records`` with one fraud ``pattern`` added, and what was added.

    Parameters
    ----------
    records
        Canonical call records of a clean tenant (e.g. the sample tenant's).
    pattern
        One of :data:`PATTERNS`.
    rng
        Source of every choice: the account, the destination, the day, the intensity.
    day
        Local date the pattern starts; default a random day at least ``skip_days`` after the
        first record and 5 days before the last.
    intensity
        0 (the weakest) to 1 (the strongest); default drawn uniformly.

    Returns
    -------
    (DataFrame, Injection)
        The records with the injected calls appended (index 0..n-1), and the ground truth.
    """
    if pattern not in PATTERNS:
        raise ValueError(f"pattern: one of {PATTERNS}, got {pattern!r}")
    first = records["start"].min().tz_convert(None).normalize()
    last = records["start"].max().tz_convert(None).normalize()
    if day is None:
        span = (last - first).days - skip_days - 5
        if span < 1:
            raise ValueError(f"records: at least {skip_days + 6} days are needed to inject into")
        day = first + pd.Timedelta(days=skip_days + int(rng.integers(0, span)))
    day = pd.Timestamp(day).normalize()
    intensity = float(rng.uniform(0.0, 1.0) if intensity is None else intensity)
    currency = (
        str(records["currency"].dropna().mode().iloc[0])
        if records["currency"].notna().any()
        else "USD"
    )
    app = pattern == "forwarding_loop" and rng.random() < 0.4
    accounts = _voice_apps(records) if app else _people(records)
    if accounts.empty:
        raise ValueError("records: no account to inject calls from")
    who = accounts.iloc[int(rng.integers(len(accounts)))]
    if pattern == "night_burst":
        country, rows = _night_burst(rng, who, day, intensity, currency)
    elif pattern == "premium":
        country, rows = _premium(rng, who, day, intensity, currency)
    elif pattern == "forwarding_loop":
        country, rows = _forwarding_loop(rng, who, day, intensity, currency, app)
    else:
        country, rows = _sequential(rng, who, day, intensity, currency)
    dates = rows["start"].dt.tz_convert(None).dt.normalize()
    truth = Injection(pattern, str(who["upn"]), country, dates.min(), dates.max(), rows)
    both = pd.concat([records, rows], ignore_index=True)
    return both, truth


def names_truth(alert, truth: Injection) -> bool:
    """True when ``alert`` is about the injected calls and names their user and country."""
    country = truth.country or None
    return (
        alert.upn == truth.upn
        and alert.country == country
        and not truth.usage_ids.isdisjoint(alert.usage_ids)
    )


def detection_delay(
    calls: pd.DataFrame, truth: Injection, thresholds=None, max_days: int = 3
) -> int | None:
    """Days from the first injected call's UTC date until a **high** alert names the injected
    user and country, judging only the data up to the end of each day (0: the first day);
    ``None`` when not found within ``max_days``.

    ``calls`` is :func:`~planner.alerts.features.call_features` of the injected records.
    """
    from planner.alerts.run import detect_all

    for k in range(max_days):
        cutoff = truth.first_day + pd.Timedelta(days=k)
        seen = calls[calls["date"] <= cutoff]
        found = detect_all(seen, thresholds)
        if any(a.severity == "high" and names_truth(a, truth) for a in found):
            return k
    return None


def export_csv(records: pd.DataFrame) -> bytes:
    """Canonical records as a current-format Calling Plans export CSV (what the admin center
    writes), so injected calls can be read back with :func:`planner.ingest.read_exports`."""
    columns = match_format(list(CURRENT_HEADER)).columns
    source = {header: column for column, headers in columns.items() for header in headers}
    out = pd.DataFrame(index=records.index)
    for header in CURRENT_HEADER:
        column = source.get(header)
        if column is None:
            out[header] = ""
        elif column in ("start", "end"):
            out[header] = records[column].dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        elif column.endswith("_cents"):
            out[header] = [plain(c) for c in records[column].fillna(0)]
        else:
            out[header] = records[column].astype("string").fillna("")
    return out.to_csv(index=False, lineterminator="\r\n").encode("utf-8")
