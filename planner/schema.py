"""The canonical call-record table every step after ingest works on.

:func:`planner.ingest.read_exports` turns any supported export into one pandas DataFrame with
exactly the columns below (in this order). Call records from Calling Plans / Operator Connect
exports and from Direct Routing exports share the table, and so do Teams Phone SMS rows (Graph ``smsLogRow``: ``call_type``
``sms_out`` / ``sms_in``, ``start`` = ``sentDateTime``, ``duration_s`` 0, ``sms_units`` the
segments); ``kind`` tells them apart.

Text columns use pandas' string dtype (missing = ``<NA>``); ``no data``, empty cells and ``??``
in the source read as missing. Money is exact: integer **cents** in ``Int64`` (missing = no
money column in the source, e.g. Direct Routing). Timestamps are timezone-aware UTC.

====================  ==============  ============================================================
column                dtype           meaning (source header: current CP / legacy CP / Graph)
====================  ==============  ============================================================
usage_id              string          unique row id (``UsageId`` / Graph ``id`` / DR ``CorrelationId``)
call_id               string          ``Call ID`` / ``callId`` (not unique: legs share it)
conference_id         string          ``Conference ID`` / ``conferenceId``
kind                  string          ``calling_plans``, ``direct_routing`` or ``sms`` (Teams Phone SMS)
user_location         string          ISO 3166-1 alpha-2 usage location (upper case)
user_id               string          ``Microsoft Entra ObjectId`` / ``AAD ObjectId`` / ``userId``
upn                   string          ``UPN`` / ``userPrincipalName`` (lower case)
user_display_name     string          ``User Display Name`` / ``userDisplayName``
caller_number         string          ``Caller ID`` / ``callerNumber``; masking (``*``) kept
callee_number         string          ``Destination Number`` / ``calleeNumber``; masking kept
call_type             string          lower case (``user_out``, ``ucap_in``, ``dr_out``, ``byotout``…)
call_direction        string          ``inbound`` / ``outbound`` (from the export, else derived
                                      from the call type; missing when unknown)
number_type           string          ``Number Type`` / ``inventoryType`` (e.g. ``Toll Free``)
destination_context   string          ``Domestic`` / ``International``
destination_dialed    string          ``Destination Dialed`` / ``destinationName``
external_country      string          ``External Country`` / ``otherPartyCountryCode`` (upper)
start                 datetime64 UTC  ``Start Time`` / ``startDateTime``
end                   datetime64 UTC  ``End Time`` / ``endDateTime``
duration_s            Int64           ``Duration Seconds`` / ``duration`` (>= 0)
connection_fee_cents  Int64           ``Connection Fee`` / ``connectionCharge`` in cents
charge_cents          Int64           ``Charge`` / ``charge`` in cents
currency              string          ISO 4217 upper case; present whenever money is non-zero
capability            string          upper case (``MCOPSTNPP`` = drew on Communications Credits)
operator              string          ``Operator`` / ``operator``
duration_source       string          ``Source of Call Duration`` / ``callDurationSource`` (lower)
administrative_units  string          ``Administrative Units``
success               boolean         Direct Routing ``Success``; missing for Calling Plans
sms_units             Int64           SMS segments (Graph ``smsUnits``); missing for calls
charge_micro          Int64           SMS rows: ``callCharge`` exact in micro-units (0.0075 is 7,500;
                                      ``charge_cents`` is it rounded); missing for calls
source_file           string          path of the file (for a zip: ``archive.zip!member.csv``)
source_row            Int64           1-based line number of the row in that file (header = 1)
====================  ==============  ============================================================

The cost of a record to Communications Credits is ``charge_cents + connection_fee_cents`` when
``capability == "MCOPSTNPP"`` (see :func:`credit_cents`).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from numbers import Integral
from typing import TYPE_CHECKING, Any

from planner.catalogue import CREDITS_CAPABILITY

if TYPE_CHECKING:  # imported inside the functions: `planner ingest` starts without pandas
    import pandas as pd

__all__ = [
    "CREDITS_CAPABILITY",
    "MICRO",
    "RECORD_COLUMNS",
    "RECORD_DTYPES",
    "REJECT_COLUMNS",
    "conform",
    "credit_cents",
    "empty_records",
    "to_micro",
]

#: micro-units per currency unit: rates are kept exactly as integers of 1e-6
MICRO = 1_000_000

#: column name -> pandas dtype, in canonical order
RECORD_DTYPES: dict[str, str] = {
    "usage_id": "string",
    "call_id": "string",
    "conference_id": "string",
    "kind": "string",
    "user_location": "string",
    "user_id": "string",
    "upn": "string",
    "user_display_name": "string",
    "caller_number": "string",
    "callee_number": "string",
    "call_type": "string",
    "call_direction": "string",
    "number_type": "string",
    "destination_context": "string",
    "destination_dialed": "string",
    "external_country": "string",
    "start": "datetime64[ns, UTC]",
    "end": "datetime64[ns, UTC]",
    "duration_s": "Int64",
    "connection_fee_cents": "Int64",
    "charge_cents": "Int64",
    "currency": "string",
    "capability": "string",
    "operator": "string",
    "duration_source": "string",
    "administrative_units": "string",
    "success": "boolean",
    "sms_units": "Int64",
    "charge_micro": "Int64",
    "source_file": "string",
    "source_row": "Int64",
}

RECORD_COLUMNS: tuple[str, ...] = tuple(RECORD_DTYPES)

#: columns of the rejects table
REJECT_COLUMNS: tuple[str, ...] = ("source_file", "source_row", "reason", "raw")


def empty_records() -> pd.DataFrame:
    """An empty record table with the canonical columns and dtypes."""
    import pandas as pd

    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in RECORD_DTYPES.items()})


def conform(df: pd.DataFrame) -> pd.DataFrame:
    """Return ``df`` with exactly the canonical columns, in order, with canonical dtypes.

    Missing columns are added empty; extra columns are dropped.
    """
    import pandas as pd

    out = {}
    n = len(df)
    dtype: Any  # pandas-stubs types dtypes as literals; these are plain strings
    for col, dtype in RECORD_DTYPES.items():
        if col in df.columns:
            out[col] = df[col].astype(dtype)
        else:
            out[col] = pd.Series(pd.array([None] * n, dtype=dtype), index=df.index)
    return pd.DataFrame(out, index=df.index)


def credit_cents(records: pd.DataFrame) -> pd.Series:
    """Cost of each record to Communications Credits, in cents (0 for non-credit records).

    A call costs credits when its capability is ``MCOPSTNPP``. A Teams Phone SMS row (``kind``
    ``sms``) costs its charge whatever its licence capability: segments beyond the plan's
    allowance are the only ones Graph charges, and that overage is paid from credits (or
    billed after use on a post-paid tenant, ``docs/billing.md``).
    """
    money = records["charge_cents"].fillna(0) + records["connection_fee_cents"].fillna(0)
    on_credits = records["capability"].eq(CREDITS_CAPABILITY).fillna(False)
    if "kind" in records.columns:
        on_credits |= records["kind"].astype("string").str.lower().eq("sms").fillna(False)
    return money.where(on_credits, 0).astype("int64")


def to_micro(value: object) -> int:
    """An amount (number, decimal text or Decimal) in exact micro-units, half-up.

    >>> to_micro(2), to_micro("0.0190"), to_micro("0.0000005")
    (2000000, 19000, 1)
    """
    if isinstance(value, Integral):
        return int(value) * MICRO
    number = Decimal(str(value))
    return int((number * MICRO).to_integral_value(rounding=ROUND_HALF_UP))
