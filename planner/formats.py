"""The usage export formats the planner reads, described by their column headers.

Each :class:`ExportFormat` maps canonical record columns (:mod:`planner.schema`) to the source
headers that carry them. Headers are matched by name, never by position: a header is
normalised (:func:`header_key`) by lower-casing it and dropping everything but letters and
digits, so ``Call ID``, ``CallId`` and ``callId`` are the same key, and ``Duration (seconds)``
matches ``Duration Seconds``. Several source headers may feed one column (``AAD ObjectId`` and
``Microsoft Entra ObjectId``); the first one present wins.

A failed Direct Routing call never started: its invite time stands in for the empty start
time. A header is recognised (:func:`match_format`) by the first format, in :data:`FORMATS` order,
whose required columns are all present. The order puts the more specific formats first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
#: the record kinds (``kind`` column of :mod:`planner.schema`)
KINDS = ("calling_plans", "direct_routing", "sms")

#: times an export re-saved by Excel may hold besides ISO 8601: day first in a file whose
#: decimal mark is a comma (a semicolon-separated file), month first otherwise
_DAYFIRST_TIMES = (
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
)
_MONTHFIRST_TIMES = (
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
)


def time_formats(dayfirst: bool, *, days: bool = False) -> tuple[str, ...]:
    """The ``strptime`` formats tried after ISO 8601, the exports' rule: day first where the
    decimal mark is a comma, else month first. ``days``: the same orders for a day alone
    (``05/11/2025``), as side files (lots, a daily demand) write them."""
    formats = _DAYFIRST_TIMES if dayfirst else _MONTHFIRST_TIMES
    if days:
        return tuple(dict.fromkeys(f.split(" ")[0] for f in formats))
    return formats


def header_key(name: str) -> str:
    """Normalised form of a column header: lower case, letters and digits only.

    >>> header_key("\\ufeffDuration (seconds)")
    'durationseconds'
    """
    return _NON_ALNUM.sub("", str(name).lower())


@dataclass(frozen=True)
class ExportFormat:
    """One export layout.

    Parameters
    ----------
    name : str
        Format name reported to the user (``calling_plans_current`` ...).
    kind : str
        ``calling_plans``, ``direct_routing`` or ``sms`` (the record ``kind``).
    columns : dict[str, tuple[str, ...]]
        Canonical column -> source headers as Microsoft spells them, first present wins.
    required : tuple[str, ...]
        Source headers that must all be present for a header to be this format.
    marker : tuple[str, ...]
        At least one of these source headers must be present (tells a current layout from its
        legacy one); empty means no such condition.
    absent : tuple[str, ...]
        None of these source headers may be present (tells a legacy layout from the current).
    """

    name: str
    kind: str
    columns: dict[str, tuple[str, ...]]
    required: tuple[str, ...]
    marker: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    has_money: bool = field(init=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        object.__setattr__(self, "has_money", "charge_cents" in self.columns)

    def missing(self, keys: set[str]) -> list[str]:
        """Required source headers absent from ``keys`` (normalised header keys)."""
        return [h for h in self.required if header_key(h) not in keys]

    def matches(self, keys: set[str]) -> bool:
        """Whether a header with these normalised keys is this format."""
        if self.missing(keys):
            return False
        if self.marker and not any(header_key(h) in keys for h in self.marker):
            return False
        return not any(header_key(h) in keys for h in self.absent)

    def column_map(self, headers: list[str]) -> dict[str, list[str]]:
        """Canonical column -> the actual headers (as spelled in the file) that feed it.

        When several are present, the first non-empty value in this order is used per row.
        """
        by_key: dict[str, str] = {}
        for h in headers:
            by_key.setdefault(header_key(h), h)
        out = {}
        for column, sources in self.columns.items():
            present = [by_key[header_key(s)] for s in sources if header_key(s) in by_key]
            if present:
                out[column] = present
        return out


_CP_COLUMNS: dict[str, tuple[str, ...]] = {
    "usage_id": ("UsageId",),
    "call_id": ("Call ID",),
    "conference_id": ("Conference ID",),
    "user_location": ("User Location",),
    "user_id": ("Microsoft Entra ObjectId", "AAD ObjectId"),
    "upn": ("UPN",),
    "user_display_name": ("User Display Name",),
    "caller_number": ("Caller ID",),
    "call_type": ("Call Type",),
    "call_direction": ("Call Direction",),
    "number_type": ("Number Type",),
    "destination_context": ("Domestic/International",),
    "destination_dialed": ("Destination Dialed",),
    "callee_number": ("Destination Number",),
    "external_country": ("External Country",),
    "start": ("Start Time",),
    "end": ("End Time",),
    "duration_s": ("Duration Seconds",),
    "connection_fee_cents": ("Connection Fee",),
    "charge_cents": ("Charge",),
    "currency": ("Currency",),
    "capability": ("Capability",),
    "operator": ("Operator",),
    "duration_source": ("Source of Call Duration",),
    "administrative_units": ("Administrative Units",),
}
_CP_REQUIRED = (
    "UsageId",
    "Call Type",
    "Start Time",
    "Duration Seconds",
    "Connection Fee",
    "Charge",
    "Currency",
    "Capability",
)
# Columns Microsoft added in the current revision; any one of them marks the current layout.
_CP_CURRENT_ONLY = (
    "Microsoft Entra ObjectId",
    "Call Direction",
    "External Country",
    "Operator",
    "Source of Call Duration",
    "Administrative Units",
)

_DR_COLUMNS: dict[str, tuple[str, ...]] = {
    "usage_id": ("CorrelationId",),
    "user_id": ("Microsoft Entra ObjectId", "AAD ObjectId"),
    "upn": ("UPN",),
    "user_display_name": ("Display Name",),
    "user_location": ("User country",),
    "start": ("Start time", "Invite time"),
    "end": ("End time",),
    "duration_s": ("Duration (seconds)",),
    "success": ("Success",),
    "caller_number": ("Caller Number",),
    "callee_number": ("Callee Number",),
    "call_type": ("Call type",),
    "call_direction": ("Call Direction",),
    "administrative_units": ("Administrative Units",),
}
_DR_REQUIRED = ("CorrelationId", "Call type", "Start time", "Duration (seconds)", "Success")
_DR_CURRENT_ONLY = (
    "Microsoft Entra ObjectId",
    "Call Direction",
    "Administrative Units",
    "Transfer or Correlation ID",
)

_GRAPH_PSTN_COLUMNS: dict[str, tuple[str, ...]] = {
    "usage_id": ("id",),
    "call_id": ("callId",),
    "conference_id": ("conferenceId",),
    "user_location": ("usageCountryCode",),
    "user_id": ("userId",),
    "upn": ("userPrincipalName",),
    "user_display_name": ("userDisplayName",),
    "caller_number": ("callerNumber",),
    "callee_number": ("calleeNumber",),
    "call_type": ("callType",),
    "number_type": ("inventoryType",),
    "destination_context": ("destinationContext",),
    "destination_dialed": ("destinationName",),
    "external_country": ("otherPartyCountryCode",),
    "start": ("startDateTime",),
    "end": ("endDateTime",),
    "duration_s": ("duration",),
    "connection_fee_cents": ("connectionCharge",),
    "charge_cents": ("charge",),
    "currency": ("currency",),
    "capability": ("licenseCapability",),
    "operator": ("operator",),
    "duration_source": ("callDurationSource",),
    "administrative_units": ("administrativeUnitInfos",),
}
_GRAPH_PSTN_REQUIRED = ("id", "startDateTime", "duration", "callType", "charge", "currency")

# Graph Direct Routing rows carry both ``id`` and ``correlationId``; the record id is the
# correlation id (as in the admin center's Direct Routing export, so the two sources
# de-duplicate against each other), falling back to ``id`` when it is missing.
_GRAPH_DR_COLUMNS: dict[str, tuple[str, ...]] = {
    "usage_id": ("correlationId", "id"),
    "user_id": ("userId",),
    "upn": ("userPrincipalName",),
    "user_display_name": ("userDisplayName",),
    "start": ("startDateTime", "inviteDateTime"),
    "end": ("endDateTime",),
    "duration_s": ("duration",),
    "success": ("successfulCall",),
    "caller_number": ("callerNumber",),
    "callee_number": ("calleeNumber",),
    "call_type": ("callType",),
}
_GRAPH_DR_REQUIRED = ("id", "correlationId", "startDateTime", "callType", "successfulCall")

# Teams Phone SMS rows (Graph beta ``smsLogRow``, from ``getSmsLog``): one row per message,
# its segments in ``smsUnits``; ``smsType`` (outbound / inbound) becomes ``sms_out`` /
# ``sms_in``, the message's duration is 0 (:mod:`planner.ingest.convert`).
_GRAPH_SMS_COLUMNS: dict[str, tuple[str, ...]] = {
    "usage_id": ("id",),
    "call_id": ("smsId",),
    "user_location": ("userCountryCode",),
    "user_id": ("userId",),
    "upn": ("userPrincipalName",),
    "user_display_name": ("userDisplayName",),
    "caller_number": ("sourceNumber",),
    "callee_number": ("destinationNumber",),
    "call_type": ("smsType",),
    "destination_context": ("destinationContext",),
    "destination_dialed": ("destinationName",),
    "external_country": ("otherPartyCountryCode",),
    "start": ("sentDateTime",),
    "charge_cents": ("callCharge",),
    "currency": ("currency",),
    "capability": ("licenseCapability",),
    "administrative_units": ("administrativeUnitInfos",),
    "sms_units": ("smsUnits",),
}
_GRAPH_SMS_REQUIRED = ("id", "sentDateTime", "smsType", "callCharge", "currency")

#: all formats, most specific first
FORMATS: tuple[ExportFormat, ...] = (
    ExportFormat(
        "calling_plans_current", "calling_plans", _CP_COLUMNS, _CP_REQUIRED, _CP_CURRENT_ONLY
    ),
    ExportFormat(
        "calling_plans_legacy",
        "calling_plans",
        _CP_COLUMNS,
        _CP_REQUIRED,
        absent=_CP_CURRENT_ONLY,
    ),
    ExportFormat("graph_direct_routing", "direct_routing", _GRAPH_DR_COLUMNS, _GRAPH_DR_REQUIRED),
    ExportFormat(
        "direct_routing_current", "direct_routing", _DR_COLUMNS, _DR_REQUIRED, _DR_CURRENT_ONLY
    ),
    ExportFormat(
        "direct_routing_legacy",
        "direct_routing",
        _DR_COLUMNS,
        _DR_REQUIRED,
        absent=_DR_CURRENT_ONLY,
    ),
    ExportFormat("graph_pstn", "calling_plans", _GRAPH_PSTN_COLUMNS, _GRAPH_PSTN_REQUIRED),
    ExportFormat("graph_sms", "sms", _GRAPH_SMS_COLUMNS, _GRAPH_SMS_REQUIRED),
)

FORMAT_NAMES: tuple[str, ...] = tuple(f.name for f in FORMATS)


class UnknownHeader(ValueError):
    """A header that matches no known export format: ``shown`` (its first columns),
    ``closest`` (the nearest format's name) and its ``missing`` columns (none: a mix of
    layouts). The message is English; the reader writes it in the language in use."""

    def __init__(self, message: str, shown: str, closest: str, missing: list[str]):
        super().__init__(message)
        self.shown, self.closest, self.missing = shown, closest, missing


def match_format(headers: list[str]) -> ExportFormat:
    """The export format of a file with these column headers.

    Raises
    ------
    UnknownHeader
        When no format matches; the message names the closest format and its missing columns.
    """
    keys = {header_key(h) for h in headers}
    for fmt in FORMATS:
        if fmt.matches(keys):
            return fmt
    # closest: the format whose id column is present, then the largest share of its required
    # columns present (ties: the earlier format)
    closest = max(
        FORMATS,
        key=lambda f: (
            header_key(f.required[0]) in keys,
            1 - len(f.missing(keys)) / len(f.required),
        ),
    )
    missing = closest.missing(keys)
    shown = ", ".join(str(h) for h in headers[:6] if str(h).strip())
    if not missing:  # the required columns are there but the layout is mixed
        detail = f"a mix of {closest.name} and another layout"
    else:
        detail = f"closest is {closest.name}, missing column(s) {', '.join(missing)}"
    shown += ", ..." if len(headers) > 6 else ""
    raise UnknownHeader(
        f"the header ({shown or 'empty'}) matches no known format: {detail} (formats tried: "
        f"{', '.join(FORMAT_NAMES)})",
        shown,
        closest.name,
        missing,
    )
