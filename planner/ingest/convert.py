"""Text columns of one export -> canonical record columns, and the reasons to reject rows."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from planner.formats import ExportFormat
from planner.ingest.times import TS as _TS
from planner.ingest.times import parse_time
from planner.money import micro_cents
from planner.schema import RECORD_DTYPES
from planner.store.tables import np_mask

#: text columns taken from the source (``kind`` and ``source_file`` are set by the reader)
_TEXT_COLUMNS = tuple(
    c for c, t in RECORD_DTYPES.items() if t == "string" and c not in ("kind", "source_file")
)

_TEXT_TRIM = ("usage_id", "user_id", "upn")
_TEXT_LOWER = ("upn", "call_type", "call_direction", "duration_source")
_TEXT_UPPER = ("user_location", "external_country", "currency", "capability")

_MONEY_RE = r"^(?P<sign>[+-]?)(?P<int>\d{0,40})(?:\.(?P<frac>\d*))?$"

#: integer digits of the exports' numeric(16,2) money: larger amounts are refused
_MONEY_INT_DIGITS = 14
#: decimals an SMS row's charge is kept to (``charge_micro``, micro-units): Microsoft prices a segment
#: below the cent (0.0075 USD), so Graph's ``callCharge`` of a message is a fraction of a cent
SMS_DECIMALS = 6
#: integer digits of an SMS charge in millionths: whole units below 10**12 fit in int64
_SMS_INT_DIGITS = 12

#: the longest call duration accepted (a week): longer ones would only overflow call costs
_MAX_CALL_SECONDS = 7 * 24 * 3600
_INT_RE = r"^(?P<sign>[+-]?)(?P<int>\d{1,15})(?:[.,](?P<frac>\d*))?$"

# (a leading group never starts with 0: ``0,125`` is a decimal comma, not a thousand)
_GROUPED_COMMA = r"^[+-]?[1-9]\d{0,2}(,\d{3})+(\.\d*)?$"


def _blank_to_null(arr: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Empty strings (a cell of blanks, once trimmed) as missing values."""
    empty = pc.equal(arr, "")
    if not pc.any(empty).as_py():
        return arr
    return pc.if_else(empty, pa.scalar(None, pa.string()), arr)


#: what a spreadsheet's currency or accounting format writes around an amount: a currency
#: symbol, an ISO code (``CHF 1'234.50``), parentheses for a negative amount (``($1.20)``),
#: a dash alone for zero (``$ -``)
_DRESSED = r"\p{Sc}|^[+-]?[A-Z]{3}|[A-Z]{3}$|^\(.*\)$|^-$"


def normalise_decimal(s: pa.ChunkedArray, decimal_mark: str) -> pa.ChunkedArray:
    """Decimal text with ``.`` as the only decimal mark and no digit grouping.

    A spreadsheet's currency format is undressed: ``$1,234.50``, ``1.234,50 €``,
    ``CHF 1'234.50``, ``($1.20)`` (a negative amount) and ``$ -`` (the accounting format's
    zero) read as their numbers; the currency is the one the file states elsewhere (an
    export's ``Currency`` column), never the symbol.
    """
    s = pc.utf8_trim_whitespace(s)
    if pc.any(pc.match_substring_regex(s, r"[\s\x{00a0}\x{202f}']")).as_py():
        s = pc.replace_substring_regex(s, r"[\s\x{00a0}\x{202f}']", "")
    if pc.any(pc.match_substring_regex(s, _DRESSED)).as_py():
        s = pc.replace_substring_regex(s, r"\p{Sc}", "")
        s = pc.replace_substring_regex(s, r"^([+-]?)[A-Z]{3}|[A-Z]{3}$", r"\1")
        s = pc.replace_substring_regex(s, r"^\((.*)\)$", r"-\1")
        s = pc.replace_substring_regex(s, r"^-$", "0")
    has_comma = pc.match_substring(s, ",")
    if not pc.any(has_comma).as_py():
        return s
    if decimal_mark == ",":
        fixed = pc.replace_substring(pc.replace_substring(s, ".", ""), ",", ".")
    else:
        grouped = pc.match_substring_regex(s, _GROUPED_COMMA)
        fixed = pc.if_else(
            grouped, pc.replace_substring(s, ",", ""), pc.replace_substring(s, ",", ".")
        )
    return pc.if_else(has_comma, fixed, s)


def _decimal_cents(s: pa.ChunkedArray) -> pa.Array | None:
    """Fast path: plain decimal text (``1.20``, ``-0.5``) -> cents, or None if any is not.

    Arrow's decimal parser refuses values that would lose digits at scale 2, so a value with
    more than two significant decimals sends the column to the slow path that names it.
    """
    try:
        dec = pc.cast(s, pa.decimal128(2 + _MONEY_INT_DIGITS, 2))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    # (two plain searches: much faster than one ignoring case)
    if pc.any(pc.match_substring(s, "e")).as_py() or pc.any(pc.match_substring(s, "E")).as_py():
        return None  # exponent notation: refused on the slow path, whatever the other rows
    if isinstance(dec, pa.ChunkedArray):
        dec = dec.combine_chunks()
    # the unscaled value (cents) is the low 64-bit word of each 128-bit two's complement
    # integer: exact for |value| < 10**16 (precision 16)
    words = np.frombuffer(dec.buffers()[1], dtype="<i8")
    cents = words[2 * dec.offset : 2 * (dec.offset + len(dec)) : 2]
    valid = np_mask(pc.is_valid(dec))
    return pa.array(cents, type=pa.int64(), mask=~valid)


def _parse_cents(
    s: pa.ChunkedArray, decimal_mark: str
) -> tuple[pa.Array, np.ndarray, np.ndarray, np.ndarray]:
    """Money text -> (cents int64 with nulls, not-a-number, over-two-decimals, too-large masks).

    Too large means beyond the exports' numeric(16,2): more than 14 integer digits.
    """
    n = len(s)
    # (text with a comma never passes the fast path, so the decimal mark does not matter there)
    fast = _decimal_cents(s)
    if fast is not None:
        return fast, np.zeros(n, dtype=bool), np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    return _parse_units(s, decimal_mark)


def _parse_units(
    s: pa.ChunkedArray, decimal_mark: str, decimals: int = 2, int_digits: int = _MONEY_INT_DIGITS
) -> tuple[pa.Array, np.ndarray, np.ndarray, np.ndarray]:
    """Money text -> (whole ``10**-decimals`` units, int64 with nulls; not-a-number,
    too-many-decimals and more-than-``int_digits``-integer-digits masks)."""
    present = np_mask(pc.is_valid(s))
    parts = pc.extract_regex(normalise_decimal(s, decimal_mark), _MONEY_RE)
    ok = np_mask(pc.is_valid(parts))
    whole = pc.struct_field(parts, "int")
    frac = pc.struct_field(parts, "frac")
    digits = pc.greater(pc.add(pc.utf8_length(whole), pc.utf8_length(frac)), 0)
    ok &= np_mask(digits)
    bad_number = present & ~ok
    excess = pc.match_substring_regex(pc.utf8_slice_codeunits(frac, decimals), "[1-9]")
    too_fine = present & ok & np_mask(excess)
    significant = pc.utf8_ltrim(whole, characters="0")
    too_large = present & ok & np_mask(pc.greater(pc.utf8_length(significant), int_digits))
    usable = pa.array(ok & ~too_large)
    whole = pc.if_else(usable, pc.if_else(pc.equal(significant, ""), "0", significant), "0")
    whole_i = pc.cast(whole, pa.int64())
    frac_txt = pc.utf8_rpad(pc.utf8_slice_codeunits(frac, 0, decimals), width=decimals,
                            padding="0")  # fmt: skip
    units = pc.add(pc.multiply(whole_i, 10**decimals), pc.cast(frac_txt, pa.int64()))
    units = pc.if_else(pc.equal(pc.struct_field(parts, "sign"), "-"), pc.negate(units), units)
    keep = pa.array(ok & ~too_fine & ~too_large)
    return pc.if_else(keep, units, pa.scalar(None, pa.int64())), bad_number, too_fine, too_large


def _micro_cents(micro: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Micro-units (int64 with nulls) as whole cents (:func:`planner.money.micro_cents`)."""
    if isinstance(micro, pa.ChunkedArray):
        micro = micro.combine_chunks()
    valid = np_mask(pc.is_valid(micro))
    value = pc.fill_null(micro, 0).to_numpy(zero_copy_only=False).astype(np.int64)
    return pa.array(micro_cents(value), type=pa.int64(), mask=~valid)


def _parse_duration(
    s: pa.ChunkedArray, decimal_mark: str = "."
) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """Whole seconds -> (int64 with nulls, not-a-whole-number mask, negative mask); grouped
    thousands (``1,234`` in a ``,`` file, as a spreadsheet's number format writes them) are
    read as the money is (:func:`normalise_decimal`)."""
    try:
        value = pc.cast(s, pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass  # "219.0", blanks around the digits or bad values: the regex path below
    else:
        negative = np_mask(pc.less(value, 0))
        if negative.any():
            value = pc.if_else(pa.array(negative), pa.scalar(None, pa.int64()), value)
        return value, np.zeros(len(s), dtype=bool), negative
    present = np_mask(pc.is_valid(s))
    parts = pc.extract_regex(normalise_decimal(s, decimal_mark), _INT_RE)
    ok = np_mask(pc.is_valid(parts))
    frac = pc.struct_field(parts, "frac")
    ok &= ~np_mask(pc.match_substring_regex(frac, "[1-9]"))
    value = pc.cast(pc.struct_field(parts, "int"), pa.int64())
    negative = (
        ok & np_mask(pc.equal(pc.struct_field(parts, "sign"), "-")) & np_mask(pc.greater(value, 0))
    )
    keep = pa.array(ok & ~negative)
    return pc.if_else(keep, value, pa.scalar(None, pa.int64())), present & ~ok, negative


def _direction_from_call_type(call_type: pa.ChunkedArray) -> pa.Array:
    # a handful of call types: match the patterns once per distinct value
    kinds = pc.unique(call_type)
    inbound = pc.match_substring_regex(kinds, r"^byotin|(^|_)in($|_)")
    outbound = pc.match_substring_regex(kinds, r"^byotout|(^|_)out($|_)")
    null = pa.scalar(None, pa.string())
    direction = pc.if_else(inbound, "inbound", pc.if_else(outbound, "outbound", null))
    return pc.take(direction, pc.index_in(call_type, value_set=kinds))


def _parse_success(s: pa.ChunkedArray) -> pa.Array:
    low = pc.utf8_lower(pc.utf8_trim_whitespace(s))
    yes = pc.is_in(low, pa.array(["yes", "true", "1", "y"]))
    no = pc.is_in(low, pa.array(["no", "false", "0", "n"]))
    null = pa.scalar(None, pa.bool_())
    return pc.if_else(yes, True, pc.if_else(no, False, null))


def raw_text(table: pa.Table, index: int, delimiter: str = ",") -> str:
    buf = io.StringIO()
    row = table.slice(index, 1).to_pylist()[0]
    csv.writer(buf, delimiter=delimiter, lineterminator="").writerow(
        ["" if v is None else v for v in row.values()]
    )
    return buf.getvalue()


def _not_iso_currency(currency: pa.ChunkedArray) -> np.ndarray:
    """Which currencies are not three capital letters (matched once per distinct value)."""
    kinds = pc.drop_null(pc.unique(currency))
    bad = kinds.filter(pc.invert(pc.match_substring_regex(kinds, r"^[A-Z]{3}$")))
    if not len(bad):
        return np.zeros(len(currency), dtype=bool)
    return np_mask(pc.is_in(currency, value_set=bad))


def _not_money(label: str, arr: Any) -> Callable[[int], str]:
    """The reason for a money value that does not read as an amount."""

    def message(i: int) -> str:
        text = _value(arr, i)
        if "e" in text.lower() and any(ch.isdigit() for ch in text):
            return (
                f"{label} {text!r} is in exponent notation, which Excel uses when it shortens a "
                "number (digits may be lost); write the amount in full"
            )
        return f"{label} {text!r} is not an amount of money"

    return message


#: rows failing a check, and the reason given for one of them (by row index)
Problem = tuple[np.ndarray, Callable[[int], str]]


class _Source:
    """The source columns of one export under their canonical names (see
    :meth:`planner.formats.ExportFormat.column_map`)."""

    def __init__(self, table: pa.Table, cmap: dict[str, list[str]]):
        self.table = table
        self.cmap = cmap

    def get(self, column: str) -> pa.ChunkedArray | None:
        """The column, the first non-null of its source columns when several; None if absent."""
        names = self.cmap.get(column)
        if not names:
            return None
        arrays = [self.table.column(name) for name in names]
        return arrays[0] if len(arrays) == 1 else pc.coalesce(*arrays)

    def label(self, column: str) -> str:
        """The column's name in the source header, for the reasons given."""
        return self.cmap[column][0]


def _value(arr: Any, i: int) -> str:
    return str(arr[i].as_py())


def _reason(
    template: str, label: str, arr: Any = None, *, width: int | None = None
) -> Callable[[int], str]:
    """The reason for row ``i``: ``template`` with the column's ``label`` and the row's
    ``value`` (its first ``width`` characters)."""

    def message(i: int) -> str:
        value = "" if arr is None else _value(arr, i)[:width]
        return template.format(label=label, value=value)

    return message


def _convert_text(src: _Source, out: dict[str, Any]) -> None:
    """Text columns trimmed and cased as Microsoft compares them; the direction of a call
    derived from its type where the export does not give it."""
    for column in _TEXT_COLUMNS:
        arr = src.get(column)
        if arr is None:
            continue
        if column in _TEXT_TRIM:  # ids compare as Microsoft compares them: without blanks
            arr = _blank_to_null(pc.utf8_trim_whitespace(arr))
        if column in _TEXT_LOWER:
            arr = pc.utf8_lower(arr)
        elif column in _TEXT_UPPER:
            arr = pc.utf8_upper(pc.utf8_trim_whitespace(arr))
        out[column] = arr
    if "call_type" in out:
        derived = _direction_from_call_type(out["call_type"])
        out["call_direction"] = (
            pc.coalesce(out["call_direction"], derived) if "call_direction" in out else derived
        )


def _id_problems(src: _Source, out: dict[str, Any]) -> list[Problem]:
    """Rows without an id."""
    uid_label = src.label("usage_id")
    return [
        (
            np_mask(pc.is_null(out["usage_id"])),
            lambda i: f"{uid_label} is empty: every row needs its id; re-export the file",
        )
    ]


#: the earliest call start accepted: older is an empty or damaged date (Excel's 1900-01-00),
#: not a Teams or Skype for Business Online call
_FIRST_CALL = pd.Timestamp("2010-01-01", tz="UTC")


def _today() -> dt.date:
    """Today in UTC: a call starting after tomorrow is not a call yet."""
    return dt.datetime.now(dt.UTC).date()


def _convert_times(src: _Source, out: dict[str, Any], dayfirst: bool) -> list[Problem]:
    """``start`` and ``end`` as UTC timestamps; a start is required, from 2010 to tomorrow."""
    problems: list[Problem] = []
    for column, required in (("start", True), ("end", False)):
        arr = src.get(column)
        if arr is None:
            continue
        label = src.label(column)
        ts, bad = parse_time(arr, dayfirst)
        out[column] = ts
        problems.append(
            (
                bad,
                _reason(
                    "{label} {value!r} is not a date-time "
                    "(expected ISO 8601 such as 2019-11-01T00:00:08Z)",
                    label,
                    arr,
                ),
            )
        )
        if required:
            problems.append(
                (
                    np_mask(pc.is_null(arr)),
                    _reason("{label} is empty: the call cannot be placed in time", label),
                )
            )
    if "start" in out:
        problems += _implausible_times(src, out)
    return problems


def _implausible_times(src: _Source, out: dict[str, Any]) -> list[Problem]:
    """Starts no call has: before 2010, after tomorrow (the end is not checked: no amount or
    day depends on it)."""
    start = out["start"]
    label, raw = src.label("start"), src.get("start")
    today = _today()
    latest = pd.Timestamp(today + dt.timedelta(days=2), tz="UTC")
    return [
        (
            np_mask(pc.less(start, pa.scalar(_FIRST_CALL, _TS))),
            _reason(
                "{label} {value!r} is before 2010: no call is that old; an empty or damaged "
                "date (re-export the file)",
                label,
                raw,
            ),
        ),
        (
            np_mask(pc.greater_equal(start, pa.scalar(latest, _TS))),
            _reason(
                "{label} {value!r} is in the future (today is " + today.isoformat() + "); "
                "check the export and the computer's clock",
                label,
                raw,
            ),
        ),
    ]


def _convert_duration(src: _Source, out: dict[str, Any], decimal_mark: str) -> list[Problem]:
    """``duration_s`` as whole seconds: not negative, not longer than a week."""
    arr = src.get("duration_s")
    if arr is None:
        return []
    label = src.label("duration_s")
    seconds, bad, negative = _parse_duration(arr, decimal_mark)
    out["duration_s"] = seconds
    return [
        (bad, _reason("{label} {value!r} is not a whole number", label, arr)),
        (negative, _reason("{label} {value!r} is negative", label, arr)),
        (
            np_mask(pc.greater(seconds, _MAX_CALL_SECONDS)),
            _reason("{label} {value!r} is longer than a week: not a call's duration", label, arr),
        ),
    ]


def _convert_sms(src: _Source, out: dict[str, Any]) -> list[Problem]:
    """A Teams Phone SMS row: ``sms_out`` / ``sms_in`` from its type, no duration, its
    segments as a whole number."""
    n = src.table.num_rows
    problems: list[Problem] = []
    sms_type = out.get("call_type")
    if sms_type is not None:
        label = src.label("call_type")
        outbound = pc.match_substring_regex(sms_type, r"^(outbound|out|sms_out)$")
        inbound = pc.match_substring_regex(sms_type, r"^(inbound|in|sms_in)$")
        null = pa.scalar(None, pa.string())
        out["call_type"] = pc.if_else(outbound, "sms_out", pc.if_else(inbound, "sms_in", null))
        out["call_direction"] = _direction_from_call_type(out["call_type"])
        unknown = np_mask(pc.is_valid(sms_type)) & np_mask(pc.is_null(out["call_type"]))
        problems.append(
            (unknown, _reason("{label} {value!r} is neither outbound nor inbound", label, sms_type))
        )
    out["duration_s"] = pa.array(np.zeros(n, dtype=np.int64))
    units = src.get("sms_units")
    if units is not None:
        label = src.label("sms_units")
        value, bad, negative = _parse_duration(units)
        out["sms_units"] = value
        problems.append((bad, _reason("{label} {value!r} is not a whole number", label, units)))
        problems.append((negative, _reason("{label} {value!r} is negative", label, units)))
    return problems


def _convert_money(
    src: _Source, out: dict[str, Any], decimal_mark: str, *, sms: bool = False
) -> tuple[list[Problem], np.ndarray]:
    """Charge and connection fee as exact cents; also which rows hold money that is not 0.

    An SMS row's charge (``sms``) is kept exact to :data:`SMS_DECIMALS` decimals in
    ``charge_micro`` (a segment costs a fraction of a cent), and its ``charge_cents`` is that
    charge rounded to the cent, half up (``docs/billing.md``: demand sums the exact charges of
    a day and rounds once)."""
    problems: list[Problem] = []
    money_nonzero = np.zeros(src.table.num_rows, dtype=bool)
    for column in ("charge_cents", "connection_fee_cents"):
        arr = src.get(column)
        if arr is None:
            continue
        label = src.label(column)
        places, digits = 2, _MONEY_INT_DIGITS
        if sms and column == "charge_cents":
            places, digits = SMS_DECIMALS, _SMS_INT_DIGITS
            micro, bad, too_fine, too_large = _parse_units(arr, decimal_mark, places, digits)
            out["charge_micro"] = micro
            cents = _micro_cents(micro)
            money_nonzero |= np_mask(pc.not_equal(micro, 0))
        else:
            cents, bad, too_fine, too_large = _parse_cents(arr, decimal_mark)
        out[column] = cents
        money_nonzero |= np_mask(pc.not_equal(cents, 0))
        problems.append((bad, _not_money(label, arr)))
        problems.append(
            (
                too_large,
                _reason(
                    "{label} {value!r} is beyond the exports' "
                    + ("numeric(16,2) money" if places == 2 else "SMS charges")
                    + f" ({digits} digits before the decimal mark); the value looks altered",
                    label,
                    arr,
                ),
            )
        )
        problems.append(
            (
                too_fine,
                _reason(
                    f"{{label}} {{value!r}} has more than {places} decimals: money is kept "
                    "exact to the cent (an SMS charge to the millionth), so the value looks "
                    "altered; correct it or re-export",
                    label,
                    arr,
                ),
            )
        )
    return problems, money_nonzero


def _currency_problems(
    src: _Source, out: dict[str, Any], money_nonzero: np.ndarray
) -> list[Problem]:
    """Currencies that are not ISO 4217 codes, and money without a currency."""
    currency = out.get("currency")
    n = src.table.num_rows
    no_currency = np.ones(n, dtype=bool) if currency is None else np_mask(pc.is_null(currency))
    cur_label = src.cmap.get("currency", ["Currency"])[0]
    problems: list[Problem] = []
    if currency is not None:
        not_iso = _not_iso_currency(currency)
        problems.append(
            (
                not_iso,
                _reason(
                    "{label} {value!r} is not a three-letter ISO 4217 code",
                    cur_label,
                    currency,
                    width=40,
                ),
            )
        )
    problems.append(
        (
            money_nonzero & no_currency,
            lambda i: f"an amount of money without a {cur_label}: add the currency code",
        )
    )
    return problems


def _reasons(problems: list[Problem], n: int) -> tuple[np.ndarray, dict[int, list[str]]]:
    """The rows to reject, and every reason for each (in the order the checks ran)."""
    reject = np.zeros(n, dtype=bool)
    for mask, _ in problems:
        reject |= mask
    reasons: dict[int, list[str]] = {}
    if reject.any():
        for mask, message in problems:
            for i in np.flatnonzero(mask):
                reasons.setdefault(int(i), []).append(message(int(i)))
    return reject, reasons


def convert(
    table: pa.Table,
    fmt: ExportFormat,
    headers: list[str],
    *,
    decimal_mark: str = ".",
    dayfirst: bool = False,
) -> tuple[pa.Table, np.ndarray, dict[int, list[str]]]:
    """Convert text columns of one export into canonical columns.

    Parameters
    ----------
    table : pyarrow.Table
        String columns named as in the source header (missing values null).
    fmt : ExportFormat
        The export format of the header.
    headers : list[str]
        The source header, in file order (duplicate names already made unique in ``table``).
    decimal_mark : str
        ``","`` for files written with a decimal comma.
    dayfirst : bool
        Read text dates like ``01/11/2019`` day first.

    Returns
    -------
    (pyarrow.Table, numpy.ndarray, dict[int, list[str]])
        The canonical columns present in this format (all rows, without ``source_*`` and
        ``kind``), a boolean mask of the rows to reject, and their reasons by row index.
    """
    src = _Source(table, fmt.column_map(headers))
    out: dict[str, Any] = {}
    _convert_text(src, out)
    problems = _id_problems(src, out)
    problems += _convert_times(src, out, dayfirst)
    problems += _convert_duration(src, out, decimal_mark)
    if fmt.kind == "sms":
        problems += _convert_sms(src, out)
    money_problems, money_nonzero = _convert_money(src, out, decimal_mark, sms=fmt.kind == "sms")
    problems += money_problems
    if fmt.has_money:
        problems += _currency_problems(src, out, money_nonzero)
    success = src.get("success")
    if success is not None:
        out["success"] = _parse_success(success)
    reject, reasons = _reasons(problems, table.num_rows)
    return pa.table(out), reject, reasons
