"""Daily credit demand: what a tenant's calls cost its Communications Credits balance.

*Actual* demand comes from ingested call records: every record whose ``capability`` is
``MCOPSTNPP`` costs ``charge + connection fee`` on the UTC date its call started, in its
currency (:func:`actual_demand`). *What-if* demand prices a tenant's calls after its minute
pools (:func:`planner.demand.pricing.whatif_demand`). Both return a :class:`DemandResult`.

Each credit-paid call falls into one category of :data:`planner.demand.calls.CATEGORIES`
(:func:`planner.demand.calls.credit_category`).

Charges under another capability (e.g. ``MCOMEETACPEA``, pay-per-minute Audio Conferencing
billed through the licensing agreement) are reported in ``non_credit``, never added to
credit demand.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd

from planner.demand.calls import (
    CATEGORIES,
    credit_category,
    lower_text,
    per_value,
    text_column,
    utc_dates,
)
from planner.demand.sms import exact_sms, sms_day_cents
from planner.errors import InputError
from planner.fileio import write_csv
from planner.money import net_refunds, plain
from planner.schema import CREDITS_CAPABILITY, credit_cents

__all__ = [
    "DemandAccumulator",
    "DemandResult",
    "actual_demand",
    "licence_check",
    "net_refunds",
    "non_credit_charges",
]

CATEGORY_CENTS: tuple[str, ...] = tuple(f"{c}_cents" for c in CATEGORIES)
DAILY_COLUMNS: tuple[str, ...] = ("date", "currency", "amount_cents", *CATEGORY_CENTS)
NON_CREDIT_COLUMNS: tuple[str, ...] = ("capability", "currency", "records", "cents")
UNPRICED_COLUMNS: tuple[str, ...] = (
    "category",
    "destination",
    "reason",
    "calls",
    "minutes",
    "example_usage_id",
)
LICENCE_WARNING_COLUMNS: tuple[str, ...] = ("upn", "calls", "cents", "reason")


# --------------------------------------------------------------------------------------------
# result
# --------------------------------------------------------------------------------------------


def _empty(columns: tuple[str, ...], dtypes: dict[str, str] | None = None) -> pd.DataFrame:
    dtypes = dtypes or {}
    return pd.DataFrame({c: pd.Series(dtype=dtypes.get(c, "string")) for c in columns})


def empty_daily() -> pd.DataFrame:
    """A daily demand table with no rows."""
    dtypes = {"date": "datetime64[ns]", **{c: "int64" for c in DAILY_COLUMNS[2:]}}
    return _empty(DAILY_COLUMNS, dtypes)


@dataclass
class DemandResult:
    """Daily credit demand, and what was left out of it.

    Attributes
    ----------
    daily
        ``date`` (datetime64[ns], UTC calendar day), ``currency``, ``amount_cents`` (int64,
        the day's credit demand), one ``<category>_cents`` column per category (they sum to
        ``amount_cents``). One row per date and currency; every date of the observed range
        is present (0 on days without credit spend).
    kind
        ``"actual"`` (charged ``MCOPSTNPP`` records) or ``"whatif"`` (priced calls).
    non_credit
        Charges billed outside credits: ``capability``, ``currency``, ``records``, ``cents``.
    unpriced
        What-if only: calls that needed a price and found none: ``category``,
        ``destination``, ``reason``, ``calls``, ``minutes``, ``example_usage_id``.
    licence_warnings
        Users drawing on credits without the ``MCOPSTNC`` licence: ``upn``, ``calls``,
        ``cents``, ``reason``.
    pools
        What-if only: the minute pools the calls were priced after
        (:func:`planner.demand.pools.pool_minutes`).
    """

    daily: pd.DataFrame
    kind: str
    non_credit: pd.DataFrame = field(default_factory=lambda: _empty(NON_CREDIT_COLUMNS))
    unpriced: pd.DataFrame = field(default_factory=lambda: _empty(UNPRICED_COLUMNS))
    licence_warnings: pd.DataFrame = field(default_factory=lambda: _empty(LICENCE_WARNING_COLUMNS))
    pools: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("actual", "whatif"):
            raise ValueError(f"kind must be 'actual' or 'whatif', not {self.kind!r}")
        missing = set(DAILY_COLUMNS) - set(self.daily.columns)
        if missing:
            raise ValueError(f"daily lacks columns {sorted(missing)}")

    @property
    def currencies(self) -> list[str]:
        """The currencies present in ``daily``, sorted."""
        return sorted(self.daily["currency"].dropna().unique().tolist())

    def totals(self) -> dict[str, dict[str, int]]:
        """Total cents per currency: ``{"USD": {"amount_cents": ..., "toll_free_cents": ...}}``."""
        sums = self.daily.groupby("currency", sort=True)[list(DAILY_COLUMNS[2:])].sum()
        return {
            str(cur): {col: int(row[col]) for col in DAILY_COLUMNS[2:]}
            for cur, row in sums.iterrows()
        }

    def series(self, currency: str | None = None) -> tuple[pd.Series, str]:
        """Daily demand as floats in currency units, for the balance engine; a day whose
        refunds exceed its spend is netted into the days after it (:func:`net_refunds`).

        Parameters
        ----------
        currency
            Which currency; may be omitted when the demand holds exactly one.

        Returns
        -------
        (demand, currency)
            float64 Series named ``demand`` on a daily tz-naive ``DatetimeIndex`` named
            ``date`` (no gaps), and the currency code.
        """
        present = self.currencies
        if not present:
            raise InputError(
                "no credit demand in these records (no MCOPSTNPP charges); for a tenant "
                "without credits yet, price its calls with --licences and --rates"
            )
        if currency is None:
            if len(present) > 1:
                raise InputError(
                    "the demand holds {present}: choose one currency, e.g. --currency {present2}",
                    present=" and ".join(present),
                    present2=present[0],
                )
            currency = present[0]
        currency = currency.upper()
        if currency not in present:
            raise InputError(
                "no demand in {currency}; the demand holds {present}",
                currency=currency,
                present=", ".join(present),
            )
        rows = self.daily[self.daily["currency"] == currency].sort_values("date")
        index = pd.DatetimeIndex(rows["date"].to_numpy(), name="date")
        values = net_refunds(rows["amount_cents"].to_numpy(dtype=np.int64)) / 100.0
        demand = pd.Series(values, index=index, name="demand")
        full = pd.date_range(index.min(), index.max(), freq="D", name="date")
        return demand.reindex(full, fill_value=0.0), currency

    def only(self, currency: str) -> DemandResult:
        """This demand restricted to one currency (InputError when it holds none of it)."""
        currency = currency.strip().upper()
        if currency not in self.currencies:
            held = ", ".join(self.currencies) or "no currency"
            raise InputError(
                "no demand in {currency}; the demand holds {held}", currency=currency, held=held
            )
        daily = self.daily[self.daily["currency"] == currency].reset_index(drop=True)
        return replace(self, daily=daily)

    def to_frame(self) -> pd.DataFrame:
        """The demand CSV table: ``date`` (ISO), ``currency``, ``amount``, categories (text)."""
        out = pd.DataFrame(
            {
                "date": self.daily["date"].dt.strftime("%Y-%m-%d"),
                "currency": self.daily["currency"].astype(str),
                "amount": [plain(c) for c in self.daily["amount_cents"]],
            }
        )
        for cat, col in zip(CATEGORIES, CATEGORY_CENTS, strict=True):
            out[cat] = [plain(c) for c in self.daily[col]]
        return out.reset_index(drop=True)

    def to_csv(self, path: str | Path) -> None:
        """Write the demand CSV (see :meth:`to_frame`) atomically: all or nothing."""
        write_csv(self.to_frame(), path)

    def summary(self) -> str:
        """A readable summary in the language in use: totals per currency and category, and
        what was left out (:func:`planner.text.demand.demand_summary`)."""
        from planner.text.demand import demand_summary

        return demand_summary(self)

    def to_json(self) -> dict:
        """Totals per currency and category, with what was left out (JSON-serialisable)."""
        currencies = {}
        for cur, tot in self.totals().items():
            rows = self.daily[self.daily["currency"] == cur]
            currencies[cur] = {
                "amount": plain(tot["amount_cents"]),
                "amount_cents": tot["amount_cents"],
                "by_category": {c: plain(tot[f"{c}_cents"]) for c in CATEGORIES},
                "days": len(rows),
                "first_date": rows["date"].min().strftime("%Y-%m-%d"),
                "last_date": rows["date"].max().strftime("%Y-%m-%d"),
                "peak_day": plain(rows["amount_cents"].max()),
            }
        return {
            "kind": self.kind,
            "currencies": currencies,
            "non_credit": _records(self.non_credit),
            "unpriced": _records(self.unpriced),
            "licence_warnings": _records(self.licence_warnings),
            "pools": None if self.pools is None else _records(self.pools),
        }


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as plain JSON values (``<NA>`` -> null, numpy scalars -> Python)."""
    return json.loads(frame.to_json(orient="records", date_format="iso"))


# --------------------------------------------------------------------------------------------
# actual demand
# --------------------------------------------------------------------------------------------


def _row_ref(records: pd.DataFrame, mask: np.ndarray) -> str:
    i = int(np.flatnonzero(mask)[0])
    row = records.iloc[i]
    src, line = row.get("source_file"), row.get("source_row")
    if pd.notna(src) and pd.notna(line):
        return f"{src}, line {int(line)}"
    return f"record {row.get('usage_id')}"


class DemandAccumulator:
    """Daily credit demand accumulated chunk by chunk (for exports larger than memory).

    >>> acc = DemandAccumulator()
    >>> for chunk in chunks:          # doctest: +SKIP
    ...     acc.add(chunk)
    >>> result = acc.result()         # doctest: +SKIP

    Memory stays proportional to days x currencies x categories, users and capabilities.
    """

    def __init__(self, *, user_licences: pd.DataFrame | None = None):
        self.user_licences = user_licences
        self._payg = _payg_upns(user_licences)
        self._credit: list[pd.DataFrame] = []
        self._sms: list[pd.DataFrame] = []  # date, currency, micro: exact SMS charges
        self._non_credit: list[pd.DataFrame] = []
        self._users: list[pd.DataFrame] = []
        self._currencies: set[str] = set()
        self._first: pd.Timestamp | None = None
        self._last: pd.Timestamp | None = None
        self.records = 0

    def add(self, records: pd.DataFrame) -> None:
        """Add one chunk of canonical call records."""
        if len(records) == 0:
            return
        self.records += len(records)
        dates = utc_dates(records["start"])
        calling_plans = ~per_value(records, "kind", lambda t: t.lower() == "direct_routing")
        observed = dates[calling_plans].dropna()
        if len(observed):
            lo, hi = observed.min(), observed.max()
            self._first = lo if self._first is None else min(self._first, lo)
            self._last = hi if self._last is None else max(self._last, hi)
        currency = text_column(records, "currency", upper=True)
        self._currencies.update(currency.dropna().unique().tolist())

        cents = credit_cents(records).to_numpy()
        # SMS charges exact to the micro-unit: summed per day, rounded once (docs/billing.md)
        exact = exact_sms(records)
        micro = records["charge_micro"].fillna(0).to_numpy(np.int64) if exact.any() else None
        exact_charged = exact & (micro != 0) if micro is not None else exact
        charged = (cents != 0) & ~exact
        if ((charged | exact_charged) & dates.isna().to_numpy()).any():
            bad = (charged | exact_charged) & dates.isna().to_numpy()
            raise InputError(
                "{row_ref}: a Communications Credits charge without a start time; the "
                "export is damaged, download it again",
                row_ref=_row_ref(records, bad),
            )
        if ((charged | exact_charged) & currency.isna().to_numpy()).any():
            bad = (charged | exact_charged) & currency.isna().to_numpy()
            raise InputError(
                "{row_ref}: a Communications Credits charge without a currency; the "
                "export is damaged, download it again",
                row_ref=_row_ref(records, bad),
            )
        if charged.any():
            sub = records[charged]
            credit = pd.DataFrame(
                {
                    "date": dates[charged].to_numpy(),
                    "currency": currency[charged].to_numpy(),
                    "category": credit_category(sub, payg_upns=self._payg).to_numpy(),
                    "cents": cents[charged],
                }
            )
            keys = ["date", "currency", "category"]
            # as_index=False: a frame (pandas-stubs says Series)
            self._credit.append(
                cast(pd.DataFrame, credit.groupby(keys, as_index=False)["cents"].sum())
            )
            upn = lower_text(sub, "upn")
            self._users.append(
                pd.DataFrame({"upn": upn.to_numpy(), "calls": 1, "cents": cents[charged]})
                .dropna(subset=["upn"])
                .groupby("upn", as_index=False)[["calls", "cents"]]
                .sum()
            )
        if micro is not None and exact_charged.any():
            self._sms.append(
                cast(
                    pd.DataFrame,
                    pd.DataFrame(
                        {
                            "date": dates[exact_charged].to_numpy(),
                            "currency": currency[exact_charged].to_numpy(),
                            "micro": micro[exact_charged],
                        }
                    )
                    .groupby(["date", "currency"], as_index=False)["micro"]
                    .sum(),
                )
            )
        self._non_credit.append(non_credit_charges(records))

    def result(self) -> DemandResult:
        """The :class:`DemandResult` of every chunk added so far."""
        frames = [*self._credit, *([sms_day_cents(self._sms)] if self._sms else [])]
        credit = (
            pd.concat(frames, ignore_index=True)
            if frames
            else pd.DataFrame({"date": [], "currency": [], "category": [], "cents": []})
        )
        currencies = sorted(credit["currency"].unique().tolist()) or sorted(self._currencies)
        daily = daily_table(credit, currencies, self._first, self._last)
        non_credit = _sum_frames(self._non_credit, ["capability", "currency"], ["records", "cents"])
        warnings = _empty(LICENCE_WARNING_COLUMNS)
        if self.user_licences is not None:
            users = _sum_frames(self._users, ["upn"], ["calls", "cents"])
            warnings = licence_warnings(users, self.user_licences)
        return DemandResult(daily, "actual", non_credit=non_credit, licence_warnings=warnings)


def non_credit_charges(records: pd.DataFrame) -> pd.DataFrame:
    """Charges billed outside Communications Credits (capability other than ``MCOPSTNPP``,
    SMS rows aside: their charge is credit spend, :func:`planner.schema.credit_cents`).

    Returns
    -------
    DataFrame
        ``capability``, ``currency``, ``records`` (int64), ``cents`` (int64, charge +
        connection fee).
    """
    money = records["charge_cents"].fillna(0).to_numpy(np.int64) + records[
        "connection_fee_cents"
    ].fillna(0).to_numpy(np.int64)
    capability = records["capability"].astype("string").str.upper()
    other = ~capability.eq(CREDITS_CAPABILITY).fillna(False).to_numpy(bool) & (money != 0)
    other &= credit_cents(records).to_numpy() == 0  # an SMS charge is credit spend
    frame = pd.DataFrame(
        {
            "capability": capability[other].fillna("(none)").to_numpy(),
            "currency": records["currency"]
            .astype("string")
            .str.upper()[other]
            .fillna("")
            .to_numpy(),
            "records": 1,
            "cents": money[other],
        }
    )
    return _sum_frames([frame], ["capability", "currency"], ["records", "cents"])


def _sum_frames(frames: list[pd.DataFrame], keys: list[str], values: list[str]) -> pd.DataFrame:
    if not frames:
        return _empty((*keys, *values), dict.fromkeys(values, "int64"))
    out = pd.concat(frames, ignore_index=True).groupby(keys, as_index=False)[values].sum()
    for col in keys:
        out[col] = out[col].astype("string")
    for col in values:
        out[col] = out[col].astype("int64")
    return out.reset_index(drop=True)


def daily_table(
    credit: pd.DataFrame,
    currencies: list[str],
    first: pd.Timestamp | None,
    last: pd.Timestamp | None,
) -> pd.DataFrame:
    """Pivot ``date, currency, category, cents`` rows into the zero-filled daily table.

    Every currency gets every date from ``first`` to ``last`` (widened to the credit rows'
    own dates).
    """
    if len(credit):
        lo, hi = credit["date"].min(), credit["date"].max()
        first = lo if first is None else min(first, lo)
        last = hi if last is None else max(last, hi)
    if first is None or last is None or not currencies:
        return empty_daily()
    dates = pd.date_range(first, last, freq="D")
    index = pd.MultiIndex.from_product([dates, currencies], names=["date", "currency"])
    if len(credit):
        wide = (
            credit.pivot_table(
                index=["date", "currency"],
                columns="category",
                values="cents",
                aggfunc="sum",
                fill_value=0,
            )
            .reindex(columns=list(CATEGORIES), fill_value=0)
            .reindex(index, fill_value=0)
        )
    else:
        wide = pd.DataFrame(0, index=index, columns=list(CATEGORIES))
    wide = wide.astype("int64")
    wide.columns = list(CATEGORY_CENTS)
    wide.insert(0, "amount_cents", wide.sum(axis=1).astype("int64"))
    out = wide.reset_index()
    out["date"] = out["date"].astype("datetime64[ns]")
    out["currency"] = out["currency"].astype("string")
    return out.sort_values(["currency", "date"], kind="stable").reset_index(drop=True)[
        list(DAILY_COLUMNS)
    ]


def _payg_upns(user_licences: pd.DataFrame | None) -> list[str] | None:
    if user_licences is None or "has_payg_plan" not in user_licences.columns:
        return None
    flagged = user_licences[user_licences["has_payg_plan"].astype(bool)]
    return flagged["upn"].astype("string").str.lower().tolist()


def actual_demand(
    records: pd.DataFrame | Iterable[pd.DataFrame],
    *,
    user_licences: pd.DataFrame | None = None,
) -> DemandResult:
    """Daily credit demand from charged ``MCOPSTNPP`` records.

    Parameters
    ----------
    records
        Canonical call records (:mod:`planner.schema`), or an iterable of such chunks.
        Uses ``start``, ``kind``, ``capability``, ``charge_cents``,
        ``connection_fee_cents``, ``currency`` and the columns :func:`credit_category` uses.
    user_licences
        ``upn``, ``has_credits_licence`` [, ``has_payg_plan``]
        (:func:`planner.inputs.read_user_licences`): enables the licence check and the
        ``payg`` category.

    Returns
    -------
    DemandResult
        ``kind == "actual"``; the daily table spans the first to the last day of the
        Calling Plans records, in every currency charged.
    """
    acc = DemandAccumulator(user_licences=user_licences)
    for chunk in [records] if isinstance(records, pd.DataFrame) else records:
        acc.add(chunk)
    return acc.result()


def licence_check(records: pd.DataFrame, user_licences: pd.DataFrame) -> pd.DataFrame:
    """Users whose calls drew on credits although they lack the ``MCOPSTNC`` licence.

    For meeting dial-out the record's user is the meeting organizer, who must hold it.

    Returns
    -------
    DataFrame
        ``upn``, ``calls``, ``cents`` (their credit spend), ``reason`` (``"no MCOPSTNC
        licence"`` or ``"not in the user list"``), largest spend first.
    """
    cents = credit_cents(records).to_numpy()
    charged = cents != 0
    users = (
        pd.DataFrame(
            {
                "upn": lower_text(records, "upn")[charged].to_numpy(),
                "calls": 1,
                "cents": cents[charged],
            }
        )
        .dropna(subset=["upn"])
        .groupby("upn", as_index=False)[["calls", "cents"]]
        .sum()
    )
    return licence_warnings(users, user_licences)


def licence_warnings(users: pd.DataFrame, user_licences: pd.DataFrame) -> pd.DataFrame:
    """Users (``upn``, ``calls``, ``cents``) missing from ``user_licences`` or without MCOPSTNC."""
    listed = user_licences["upn"].astype("string").str.lower()
    licensed = listed[user_licences["has_credits_licence"].astype(bool).to_numpy()]
    upn = users["upn"].astype("string")
    missing = ~upn.isin(listed).to_numpy(bool)
    lacking = ~missing & ~upn.isin(licensed).to_numpy(bool)
    out = users[missing | lacking].copy()
    out["reason"] = np.where(
        missing[missing | lacking], "not in the user list", "no MCOPSTNC licence"
    )
    out = out.astype({"upn": "string", "calls": "int64", "cents": "int64", "reason": "string"})
    return out.sort_values(["cents", "upn"], ascending=[False, True]).reset_index(drop=True)[
        list(LICENCE_WARNING_COLUMNS)
    ]
