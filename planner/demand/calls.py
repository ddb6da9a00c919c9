"""Call classification: what kind of call each usage record is, and what it costs credits for.

The vocabulary of the credit rules (``docs/credit-model.md``, section "Categories"), shared by
demand, pricing, analysis and the sample generator. Each credit-paid call falls into one
category (:data:`CATEGORIES`), the reasons Microsoft lists for paying from credits:

``toll_free``
    toll-free inbound minutes (``Number Type`` containing "toll", or a ``Destination Dialed``
    naming a toll-free service);
``conference_dial_out``
    meeting dial-out by the Audio Conferencing bridge (call type ``conf_out``);
``payg``
    outgoing calls of users on a pay-as-you-go Calling Plan;
``international``
    international calls beyond (or without) an international plan;
``domestic_overage``
    domestic outgoing calls beyond the Calling Plan pool;
``other``
    anything else that drew on credits (e.g. a charged inbound call);
``sms``
    Teams Phone SMS segments beyond the plans' pooled allowance (``kind`` ``sms``,
    ``docs/billing.md``).

Every test runs once per distinct value of a column (:func:`per_value`), so classifying
millions of records stays fast.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from planner.catalogue import ZONE_A_CODES
from planner.schema import credit_cents

__all__ = [
    "CATEGORIES",
    "USER_OUT_TYPES",
    "credit_category",
    "is_conference_dial_out",
    "is_international",
    "is_outbound",
    "is_toll_free",
    "lower_text",
    "other_country",
    "per_value",
    "text_column",
    "utc_dates",
]

#: credit demand categories, in the order of the demand CSV columns
CATEGORIES: tuple[str, ...] = (
    "toll_free",
    "conference_dial_out",
    "international",
    "domestic_overage",
    "payg",
    "other",
    "sms",
)

#: call types of a user's own outgoing calls (they draw on the user's Calling Plan minutes)
USER_OUT_TYPES: frozenset[str] = frozenset(
    {"user_out", "user_out_conf", "user_out_transfer", "user_out_forwarding"}
)


def lower_text(records: pd.DataFrame, col: str) -> pd.Series:
    """A text column in lower case (string dtype)."""
    return records[col].astype("string").str.lower()


def per_value(records: pd.DataFrame, col: str, test: Callable[[str], bool]) -> np.ndarray:
    """``test`` applied to each distinct value of a text column, spread to every row.

    Export columns such as call type or destination hold few distinct values, so testing
    each once keeps classification fast on millions of records. Missing values give False.
    """
    codes, uniques = pd.factorize(records[col])
    flags = np.array([bool(test(str(u))) for u in uniques] + [False], dtype=bool)
    return flags[codes]


def text_column(records: pd.DataFrame, col: str, *, upper: bool = False) -> pd.Series:
    """A text column in lower (or upper) case, converted once per distinct value."""
    codes, uniques = pd.factorize(records[col])
    values = pd.Series(uniques, dtype="string")
    values = values.str.upper() if upper else values.str.lower()
    return pd.Series(values.array.take(codes, allow_fill=True), index=records.index, name=col)


def _toll_free_name(text: str) -> bool:
    text = text.lower()
    return "toll" in text and "free" in text


def is_toll_free(records: pd.DataFrame) -> np.ndarray:
    """Calls to or from a toll-free number: a ``Number Type`` containing "toll", or a
    ``Destination Dialed`` naming a toll-free service (e.g. ``United States Toll Free``)."""
    number_type = per_value(records, "number_type", lambda t: "toll" in t.lower())
    return number_type | per_value(records, "destination_dialed", _toll_free_name)


def is_outbound(records: pd.DataFrame) -> np.ndarray:
    """Outgoing calls: ``call_direction`` outbound, else a call type with ``out`` in it."""
    known = records["call_direction"].notna().to_numpy()
    outbound = per_value(records, "call_direction", lambda t: t.lower() == "outbound")
    by_type = per_value(records, "call_type", lambda t: "out" in t.lower())
    return np.where(known, outbound, by_type)


def is_international(records: pd.DataFrame) -> np.ndarray:
    """International calls: ``destination_context``, else other party's country != user's."""
    context_known = per_value(
        records, "destination_context", lambda t: t.lower() in ("international", "domestic")
    )
    international = per_value(
        records, "destination_context", lambda t: t.lower() == "international"
    )
    other = text_column(records, "external_country", upper=True)
    home = text_column(records, "user_location", upper=True)
    by_country = (other.ne(home) & other.notna() & home.notna()).fillna(False).to_numpy(bool)
    return np.where(context_known, international, by_country)


def is_conference_dial_out(records: pd.DataFrame) -> np.ndarray:
    """Audio Conferencing bridge dial-out (call type ``conf_out``)."""
    return per_value(records, "call_type", lambda t: t.lower() == "conf_out")


def credit_category(
    records: pd.DataFrame,
    *,
    payg_upns: Iterable[str] | None = None,
    charged_only: bool = False,
) -> pd.Series:
    """The credit demand category of each record (see :data:`CATEGORIES`).

    The first matching rule wins: SMS (a Teams Phone SMS row), toll-free, conference
    dial-out, pay-as-you-go (outgoing calls of ``payg_upns``), international, domestic
    overage (other outgoing calls), other.
    The category describes the call whatever its capability; only ``MCOPSTNPP`` records
    (or priced what-if calls) count as credit demand.

    Parameters
    ----------
    records
        Canonical call records (:mod:`planner.schema`); uses ``number_type``,
        ``destination_dialed``, ``call_type``, ``call_direction``, ``destination_context``,
        ``external_country``, ``user_location`` and ``upn``.
    payg_upns
        Users on a pay-as-you-go Calling Plan (lower-case UPNs), e.g. from
        :func:`planner.inputs.read_user_licences`. Without it no call is ``payg``.
    charged_only
        <NA> for every record that cost credits nothing (:func:`planner.schema.credit_cents`
        is 0): what the credit-paid records paid for.

    Returns
    -------
    Series
        String dtype, same index as ``records``.
    """
    outbound = is_outbound(records)
    payg = np.zeros(len(records), dtype=bool)
    if payg_upns is not None:
        users = pd.Index(list(payg_upns), dtype="string")
        payg = lower_text(records, "upn").isin(users).fillna(False).to_numpy(dtype=bool) & outbound
    conditions = [
        per_value(records, "kind", lambda t: t.lower() == "sms"),
        is_toll_free(records),
        is_conference_dial_out(records),
        payg,
        is_international(records),
        outbound,
    ]
    order = ["sms", "toll_free", "conference_dial_out", "payg", "international", "domestic_overage"]
    labels = np.select(conditions, order, default="other")
    category = pd.Series(labels, index=records.index, dtype="string", name="category")
    if charged_only:
        category = category.where(credit_cents(records).gt(0).to_numpy())
    return category


def utc_dates(start: pd.Series) -> pd.Series:
    """The UTC calendar date (tz-naive, normalized datetime64[ns]) of each timestamp."""
    s = pd.to_datetime(start, utc=True)
    return s.dt.tz_localize(None).dt.normalize().astype("datetime64[ns]")


def other_country(records: pd.DataFrame) -> pd.Series:
    """The other party's country code of each record.

    ``external_country`` when given; otherwise (legacy exports have no such column) the code
    its ``destination_dialed`` name goes with elsewhere in the same records, else the Zone A
    name table (:data:`ZONE_A_CODES`).

    Returns
    -------
    Series
        String dtype, upper case, <NA> when unknown.
    """
    code = records["external_country"].astype("string").str.upper()
    name = records["destination_dialed"].astype("string").str.strip().str.lower()
    both = code.notna() & name.notna()
    learned: dict[str, str] = dict(ZONE_A_CODES)
    if both.any():
        pairs = pd.DataFrame({"name": name[both], "code": code[both]})
        common = pairs.groupby(["name", "code"]).size().reset_index(name="n")
        common = common.sort_values("n", kind="stable").drop_duplicates("name", keep="last")
        learned.update(zip(common["name"], common["code"], strict=True))
    missing = code.isna() & name.notna()
    if missing.any():
        codes, uniques = pd.factorize(name[missing])
        found = np.array([learned.get(u) for u in uniques] + [None], dtype=object)
        code = code.copy()
        code[missing] = found[codes]
    return code.astype("string")
