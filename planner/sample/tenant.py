"""The sample tenant as a whole: generate it in memory, write its files, find the shipped copy."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.catalogue import (
    AUDIO_CONFERENCING_PRODUCT,
    CREDITS_PRODUCT,
    PLAN_PRODUCTS,
)
from planner.lots import expiry_date
from planner.package_data import package_path
from planner.sample.charges import price_calls
from planner.sample.exports import (
    canonical_records,
    csv_bytes,
    export_table,
    hex_id,
    parameters_json,
    zip_bytes,
)
from planner.sample.people import make_users
from planner.sample.readme import readme_text
from planner.sample.reference import (
    AUTO_RECHARGE_FROM,
    COUNTRIES,
    CURRENCY,
    CURRENT_HEADER,
    DIAL_OUT_MINUTES,
    EXPORT_DATE,
    FIRST_PURCHASE,
    LEGACY_END,
    LEGACY_EXPORT_DATE,
    LEGACY_HEADER,
    LEGACY_START,
    PLAN_MINUTES,
    RATES,
    RECHARGE_AMOUNT,
    RECHARGE_THRESHOLD,
    SAMPLE_SEED,
    SHIPPED_AS,
    TOPUP_DATE,
    USAGE_END,
    USAGE_START,
    VOICE_APPS,
)
from planner.sample.traffic import generate_calls
from planner.schema import credit_cents


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
    return package_path(*SHIPPED_AS.split("/"))


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
    users = make_users(rng)
    rates = pd.DataFrame(
        [(d, r, f, str(i), CURRENCY) for d, r, f, i in RATES],
        columns=["destination", "per_minute", "connection_fee", "increment_seconds", "currency"],
    )
    calls = price_calls(_dialled_calls(generate_calls(rng, users)), users, rates)
    files, records, legacy_records = _export_files(rng, calls, users)
    current_zip, legacy_zip = files  # the two archives, current first
    licences = _licences(users)
    user_licences = _user_licences(rng, users, records)
    departments = (
        users[["upn", "department"]].sort_values("upn", kind="stable").reset_index(drop=True)
    )
    balance_lots = _balance_lots(records)
    files["licences.csv"] = csv_bytes(
        list(licences.columns), licences.astype(str).to_numpy().tolist()
    )
    files["rates.csv"] = csv_bytes(list(rates.columns), rates.to_numpy().tolist())
    files["user_licences.csv"] = csv_bytes(
        list(user_licences.columns), user_licences.to_numpy().tolist()
    )
    files["departments.csv"] = csv_bytes(list(departments.columns), departments.to_numpy().tolist())
    files["balance.csv"] = csv_bytes(
        ["purchase_date", "amount"],
        [
            (f"{d:%Y-%m-%d}", f"{a:.2f}")
            for d, a in zip(balance_lots["purchase_date"], balance_lots["amount"], strict=True)
        ],
    )
    files["README.md"] = readme_text(
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


def _dialled_calls(calls: pd.DataFrame) -> pd.DataFrame:
    """The generated calls in start order, with the other party's context and name added."""
    calls["orig"] = np.arange(len(calls))
    calls = calls.sort_values("start", kind="stable").reset_index(drop=True)
    calls["odd"] = calls["odd"].fillna("")
    calls["conference_id"] = calls["conference_id"].fillna("")
    # the other party: domestic or international, and the destination's name
    country = calls["country"].to_numpy().astype(object)
    ext = calls["ext"].to_numpy().astype(object)
    calls["context"] = np.where(ext == country, "Domestic", "International")
    calls["dialed"] = [COUNTRIES[c][0] for c in ext]
    toll = calls["number_type"].str.contains("Toll", regex=False).to_numpy()
    calls.loc[toll, "dialed"] = np.where(country[toll] == "US", "United States Toll Free",
                                         "France Toll Free")  # fmt: skip
    calls["month"] = calls["start"].to_numpy().astype("datetime64[ns]").astype("datetime64[M]")
    return calls


def _export_files(
    rng: np.random.Generator, calls: pd.DataFrame, users: pd.DataFrame
) -> tuple[dict[str, bytes], pd.DataFrame, pd.DataFrame]:
    """The two export archives (current format first, then legacy) and their records."""
    current_id, legacy_id = hex_id(rng), hex_id(rng)
    current_zip = f"exports/Export.callingplans.{current_id}.zip"
    legacy_zip = f"exports/Calls.Export.{legacy_id}.zip"
    current_member = f"PSTN.calls.{EXPORT_DATE:%Y-%m-%d}.csv"
    legacy_member = f"PSTN.calls.{LEGACY_EXPORT_DATE:%Y-%m-%d}.csv"

    table = export_table(rng, calls, users)
    # the export lists each user's calls together, in time order
    table = table.sort_values(["UPN", "Start Time"], kind="stable").reset_index(drop=True)
    current_rows = table[list(CURRENT_HEADER)].to_numpy().tolist()
    legacy_sel = (table["Start Time"] < f"{LEGACY_END + pd.Timedelta(days=1):%Y-%m-%d}").to_numpy()
    legacy_table = table[legacy_sel].rename(columns={"Microsoft Entra ObjectId": "AAD ObjectId"})
    legacy_table["Conference ID"] = legacy_table["Conference ID"].replace("", "no data")
    legacy_rows = legacy_table[list(LEGACY_HEADER)].to_numpy().tolist()
    files = {
        current_zip: zip_bytes(
            {
                current_member: csv_bytes(CURRENT_HEADER, current_rows),
                "parameters.json": parameters_json(USAGE_START, USAGE_END, EXPORT_DATE),
            },
            EXPORT_DATE,
        ),
        legacy_zip: zip_bytes(
            {
                legacy_member: csv_bytes(LEGACY_HEADER, legacy_rows),
                "parameters.json": parameters_json(LEGACY_START, LEGACY_END, LEGACY_EXPORT_DATE),
            },
            LEGACY_EXPORT_DATE,
        ),
    }
    records = canonical_records(table, f"{SHIPPED_AS}/{current_zip}!{current_member}", legacy=False)
    legacy_records = canonical_records(
        legacy_table, f"{SHIPPED_AS}/{legacy_zip}!{legacy_member}", legacy=True
    )
    return files, records, legacy_records


def _licences(users: pd.DataFrame) -> pd.DataFrame:
    """Licence counts per plan and country, consistent with the users."""
    rows = []
    for (plan, country), group in users[users["plan"].ne("OC")].groupby(["plan", "country"]):
        rows.append((plan, country, len(group), PLAN_MINUTES[str(plan)]))
    conf = users[users["audio_conf"].eq("MCOMEETADD")]
    for country, group in conf.groupby("country"):
        rows.append(("MCOMEETADD", country, len(group), DIAL_OUT_MINUTES))
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
    u: Any  # an itertuples row: the columns as attributes
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
    for upn, name, *_ in VOICE_APPS:
        rows.append((upn, name, f"Microsoft Teams Phone Resource Account+{CREDITS_PRODUCT}"))
    out = pd.DataFrame(rows, columns=["User principal name", "Display name", "Licenses"])
    return out.sort_values("Display name", kind="stable").reset_index(drop=True)


def _balance_lots(records: pd.DataFrame) -> pd.DataFrame:
    """Lots still holding funds on the export date, from FIFO consumption of the credit spend."""
    spend = credit_cents(records)
    day = records["start"].dt.tz_convert(None).dt.normalize()
    days = pd.date_range(USAGE_START, USAGE_END, freq="D", unit="ns")
    daily = spend.groupby(day.to_numpy()).sum().reindex(days, fill_value=0).to_numpy()
    total = int(daily.sum())
    topup = 100_00 * -(-(total - FIRST_PURCHASE[1]) // 100_00) + 200_00
    purchases = {FIRST_PURCHASE[0]: FIRST_PURCHASE[1], TOPUP_DATE: topup}
    lots: list[list] = []  # [purchase day, cents left], oldest first
    for t, demand in zip(days, daily.tolist(), strict=True):
        lots = [lot for lot in lots if expiry_date(lot[0]) > t]
        if t in purchases:
            lots.append([t, purchases[t]])
        balance = sum(lot[1] for lot in lots)
        if t >= AUTO_RECHARGE_FROM and balance - demand < RECHARGE_THRESHOLD:
            k = -(-(RECHARGE_THRESHOLD - (balance - demand)) // RECHARGE_AMOUNT)
            lots.extend([t, RECHARGE_AMOUNT] for _ in range(k))
        for lot in lots:
            take = min(demand, lot[1])
            lot[1] -= take
            demand -= take
        if demand:
            raise ValueError("the sample's funding does not cover its credit spend")
        lots = [lot for lot in lots if lot[1] > 0]
    lots = [lot for lot in lots if expiry_date(lot[0]) > EXPORT_DATE]
    return pd.DataFrame(
        {
            "purchase_date": pd.to_datetime([lot[0] for lot in lots]).as_unit("ns"),
            "amount": [lot[1] / 100 for lot in lots],
        }
    )


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
