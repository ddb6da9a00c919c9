"""Readers for the small CSV files the planner takes besides the usage exports.

Each reader returns a tidy DataFrame (or Series) and refuses a bad file with one
:class:`~planner.errors.InputError` naming the file, the line and what to fix. Files may be
comma, semicolon or tab separated (Excel in French or German locales writes ``;`` with ``,``
as the decimal mark), UTF-8 with or without a byte-order mark, or Windows-1252. Header names
are matched case-insensitively, ignoring spaces, hyphens and underscores.

- :func:`read_demand_csv`: a daily credit demand (``date,amount`` or ``planner demand --out``).
- :func:`read_lots`: today's balance as lots (purchase date, amount left).
- :func:`read_licences`: Calling Plan / Audio Conferencing licence counts per country.
- :func:`read_rates`: a per-minute rate card.
- :func:`read_user_licences`: who holds the Communications Credits licence (``MCOPSTNC``).
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Literal, overload

import numpy as np
import pandas as pd

from planner.catalogue import PAYG_PLAN, PLANS, normalize_plan
from planner.errors import InputError
from planner.guard import decode_text, regular_file
from planner.schema import to_micro
from planner.validate import MAX_AMOUNT

__all__ = [
    "read_demand_csv",
    "read_licences",
    "read_lots",
    "read_rates",
    "read_user_licences",
]

#: the largest side file read (they hold a row per day, user or destination)
_MAX_SIDE_BYTES = 64 << 20
#: the highest per-minute rate or connection fee of a rate card
_MAX_RATE = 1000
#: the longest span of dates in a side file (a demand history or lots), about 30 years
MAX_SPAN_DAYS = 11_000

_LINE = "_line"  # column holding each row's 1-based line number in the file (header = 1)


def _key(name: str) -> str:
    """Header name as matched: lower case, without spaces, hyphens or underscores."""
    return re.sub(r"[\s_\-]+", "", name.strip().lower())


class _Table:
    """A CSV file read as text: one string column per header (matched by :func:`_key`)."""

    def __init__(self, path: str | Path, what: str, example: str):
        self.path = Path(path)
        self.name = str(path)
        self.what = what
        self.example = example
        try:
            if self.path.exists() and not self.path.is_dir():
                regular_file(self.path)
                if self.path.stat().st_size > _MAX_SIDE_BYTES:
                    raise InputError(
                        f"{self.name}: larger than {_MAX_SIDE_BYTES >> 20} MiB; "
                        f"expected {what}, a small CSV file"
                    )
            raw = self.path.read_bytes()
        except FileNotFoundError:
            raise InputError(f"{self.name}: no such file (expected {what})") from None
        except IsADirectoryError:
            raise InputError(f"{self.name} is a directory; expected {what} as a CSV file") from None
        except OSError as exc:
            raise InputError(f"{self.name}: cannot read it ({exc.strerror})") from None
        text = decode_text(raw, self.name).replace("\x00", "")
        if not text.strip():
            raise InputError(
                f"{self.name} is empty; expected {what} with a header line `{example}`"
            )
        header_line = text.lstrip("\r\n").splitlines()[0]
        self.delimiter = max((";", "\t", ","), key=header_line.count)
        if header_line.count(self.delimiter) == 0:
            self.delimiter = ","
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=self.delimiter)
        header: list[str] | None = None
        rows: list[list[str]] = []
        lines: list[int] = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = [cell.strip() for cell in row]
                continue
            if len(row) != len(header):
                raise InputError(
                    f"{self.name}, line {reader.line_num}: {len(row)} fields where the header "
                    f"has {len(header)}; quote values that contain `{self.delimiter}`"
                )
            rows.append([cell.strip() for cell in row])
            lines.append(reader.line_num)
        if header is None:  # only separators and blanks
            raise InputError(
                f"{self.name} holds no header (only separators or blanks); expected {what} "
                f"with a header line `{example}`"
            )
        self.header = header
        self.columns = {_key(h): i for i, h in reversed(list(enumerate(header)))}
        data = {k: [r[i] for r in rows] for k, i in self.columns.items()}
        self.frame = pd.DataFrame(data, dtype=object)
        self.frame[_LINE] = np.asarray(lines, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.frame)

    def error(self, line: int | None, problem: str) -> InputError:
        where = f"{self.name}, line {line}" if line is not None else self.name
        return InputError(f"{where}: {problem}")

    @overload
    def column(self, *names: str, required: Literal[True] = True) -> str: ...

    @overload
    def column(self, *names: str, required: bool) -> str | None: ...

    def column(self, *names: str, required: bool = True) -> str | None:
        """The key of the first header among ``names`` present in the file (None when it
        has none and the column is not ``required``)."""
        for name in names:
            if _key(name) in self.columns:
                return _key(name)
        if required:
            raise InputError(
                f"{self.name}: no `{names[0]}` column (found: {', '.join(self.header)}); "
                f"expected {self.what} with a header line `{self.example}`"
            )
        return None

    def require_rows(self) -> None:
        if len(self) == 0:
            raise InputError(
                f"{self.name} holds a header but no rows; expected {self.what} (`{self.example}`)"
            )

    def text(self, col: str) -> pd.Series:
        return self.frame[col].astype(str)

    def _first_bad(self, bad: np.ndarray, col: str, problem: str) -> None:
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            value = self.frame[col].iloc[i]
            raise self.error(int(self.frame[_LINE].iloc[i]), problem.format(value=value))

    def numbers(self, col: str, label: str, *, blank: float | None = None) -> np.ndarray:
        """Column ``col`` as float64; blank cells become ``blank`` (or are refused)."""
        text = self.text(col).str.replace("\u00a0", "", regex=False).str.replace(" ", "")
        if self.delimiter != ",":
            text = text.str.replace(",", ".", regex=False)
        empty = (text == "").to_numpy()
        values = pd.to_numeric(text.where(~empty, "0"), errors="coerce").to_numpy(
            dtype=np.float64, copy=True
        )
        if blank is None:
            self._first_bad(empty, col, f"`{label}` is empty; give a number")
        self._first_bad(
            ~np.isfinite(values),
            col,
            f"`{label}` value {{value!r}} is not a number; write e.g. 12.50",
        )
        self._first_bad(
            np.abs(values) > MAX_AMOUNT,
            col,
            f"`{label}` value {{value!r}} is implausibly large (the limit is {MAX_AMOUNT:,.0f})",
        )
        if blank is not None:
            values[empty] = blank
        return values

    def decimals(self, col: str, label: str, *, blank: str | None = None) -> list[Decimal]:
        """Column ``col`` as exact decimals (money and rates)."""
        out: list[Decimal] = []
        for value, line in zip(self.frame[col], self.frame[_LINE], strict=True):
            text = str(value).replace("\u00a0", "").replace(" ", "")
            if self.delimiter != ",":
                text = text.replace(",", ".")
            if text == "" and blank is not None:
                text = blank
            try:
                number = Decimal(text)
            except InvalidOperation:
                raise self.error(
                    int(line), f"`{label}` value {value!r} is not a number; write e.g. 0.025"
                ) from None
            if not number.is_finite():
                raise self.error(int(line), f"`{label}` value {value!r} is not a number")
            if abs(number) > MAX_AMOUNT:
                raise self.error(int(line), f"`{label}` value {value!r} is implausibly large")
            out.append(number)
        return out

    def dates(self, col: str, label: str) -> pd.Series:
        """Column ``col`` as tz-naive normalized dates (UTC for timestamps with an offset)."""
        text = self.text(col)
        parsed = pd.to_datetime(text, errors="coerce", format="ISO8601", utc=True)
        self._first_bad(
            parsed.isna().to_numpy(),
            col,
            f"`{label}` value {{value!r}} is not an ISO date; write dates as YYYY-MM-DD",
        )
        days = parsed.dt.tz_localize(None).dt.normalize().astype("datetime64[ns]")
        if len(days) and (days.max().date() - days.min().date()).days > MAX_SPAN_DAYS:
            raise self.error(
                None,
                f"`{label}` spans {days.min().date()} to {days.max().date()}, more than "
                f"{MAX_SPAN_DAYS:,} days; check the dates",
            )
        return days


# --------------------------------------------------------------------------------------------
# demand
# --------------------------------------------------------------------------------------------


def read_demand_csv(
    path: str | Path, *, currency: str | None = None
) -> tuple[pd.Series, str | None]:
    """Read a daily credit demand file.

    Accepts ``date,amount`` and the output of ``planner demand --out``
    (``date,currency,amount,<category>...``; the category columns are ignored).

    Parameters
    ----------
    path
        The CSV file.
    currency
        Keep only the rows in this currency (for a file that holds several).

    Returns
    -------
    (demand, currency)
        ``demand``: float64 Series named ``demand``, indexed by a daily tz-naive
        ``DatetimeIndex`` named ``date`` covering first to last date, missing dates filled
        with 0. ``currency``: the ISO code, or None when the file has no currency column.

    Raises
    ------
    InputError
        Empty file, unparseable dates or amounts, negative amounts, several currencies
        (unless ``currency`` picks one), a date listed twice.
    """
    t = _Table(path, "a daily credit demand", "date,amount")
    date_col = t.column("date")
    amount_col = t.column("amount")
    currency_col = t.column("currency", required=False)
    t.require_rows()
    frame = t.frame
    found: str | None = None
    if currency_col is not None:
        codes = t.text(currency_col).str.upper()
        t._first_bad(
            (codes == "").to_numpy(), currency_col, "`currency` is empty; give the ISO code"
        )
        present = sorted(codes.unique())
        if currency is not None:
            wanted = currency.strip().upper()
            if wanted not in present:
                raise t.error(None, f"no rows in {wanted}; the file holds {', '.join(present)}")
            keep = (codes == wanted).to_numpy()
            frame = frame[keep]
            t = _subset(t, frame)
            found = wanted
        elif len(present) > 1:
            raise t.error(
                None,
                f"{t.path.name} holds {' and '.join(present)}: filter one currency, e.g. "
                f"`planner demand EXPORTS --currency {present[0]} --out demand.csv` "
                f"(or keep only the {present[0]} rows)",
            )
        else:
            found = present[0]
    elif currency is not None:
        raise t.error(None, f"no `currency` column, so --currency {currency} cannot be checked")

    dates = t.dates(date_col, "date")
    amounts = t.numbers(amount_col, "amount")
    t._first_bad(amounts < 0, amount_col, "`amount` {value} is negative; demand is a spend >= 0")
    dup = dates.duplicated(keep=False).to_numpy()
    if dup.any():
        lines = t.frame[_LINE].to_numpy()[dup][:2]
        day = dates[dup].iloc[0].date()
        raise t.error(
            int(lines[1]),
            f"date {day} is listed twice (lines {lines[0]} and {lines[1]}); give one total per day",
        )
    series = pd.Series(
        amounts, index=pd.DatetimeIndex(dates.to_numpy(), name="date"), name="demand"
    )
    full = pd.date_range(series.index.min(), series.index.max(), freq="D", name="date")
    return series.sort_index().reindex(full, fill_value=0.0).astype(np.float64), found


def _subset(t: _Table, frame: pd.DataFrame) -> _Table:
    sub = object.__new__(_Table)
    sub.__dict__.update(t.__dict__)
    sub.frame = frame.reset_index(drop=True)
    return sub


# --------------------------------------------------------------------------------------------
# lots
# --------------------------------------------------------------------------------------------


def read_lots(path: str | Path) -> pd.DataFrame:
    """Read today's balance as lots, one row per purchase still holding funds.

    The file is ``purchase_date,amount`` (``amount`` may be headed ``remaining``): any other
    column is refused, so that a daily demand file (``date,amount``) given by mistake is not
    read as lots. A header-only file is an empty balance. Rows with 0 left hold nothing and
    are dropped. Check the lots against the plan start with :func:`check_lots`.

    Returns
    -------
    DataFrame
        ``purchase_date`` (datetime64[ns], normalized), ``amount`` (float64 > 0), sorted by
        purchase date (oldest first, the order FIFO consumes them).
    """
    t = _Table(path, "today's balance as lots", "purchase_date,amount")
    date_col = t.column("purchase_date", "purchase date", "purchased")
    amount_col = t.column("amount", "remaining")
    extra = [h for h in t.header if _key(h) not in (date_col, amount_col)]
    if extra:
        raise InputError(
            f"{t.name}: unexpected column(s) {', '.join(extra)}; a balance file holds only "
            "`purchase_date,amount` (what is left of each purchase)"
        )
    dates = t.dates(date_col, "purchase_date")
    amounts = t.numbers(amount_col, "amount")
    t._first_bad(
        amounts < 0, amount_col, "lot amount {value} is negative; give what is left (>= 0)"
    )
    out = pd.DataFrame({"purchase_date": dates.to_numpy(), "amount": amounts})
    out = out[out["amount"] > 0]
    return out.sort_values("purchase_date", kind="stable").reset_index(drop=True)


def check_lots(
    lots: pd.DataFrame, start, *, name: str = "balance"
) -> tuple[pd.DataFrame, list[str]]:
    """Today's lots as of the plan start: what can still be spent.

    A lot bought on date d expires at the start of ``d + 12 months``
    (``docs/credit-model.md`` §1): a lot whose expiry is on or before ``start`` holds
    nothing any more and is dropped, with a warning naming it. A lot dated after ``start``
    cannot be part of today's balance and is refused.

    Parameters
    ----------
    lots : pd.DataFrame
        ``purchase_date``, ``amount`` (as :func:`read_lots` returns).
    start : date-like
        First day of the plan (the balance is as of that day).
    name : str
        What to call the lots in messages (e.g. the file name).

    Returns
    -------
    (pd.DataFrame, list[str])
        The lots still usable (oldest first) and the warnings.

    Raises
    ------
    InputError
        A lot dated after ``start``, or lots without dates and amounts.
    """
    start = pd.Timestamp(start).normalize()
    name = lots.attrs.get("source", name)
    missing = {"purchase_date", "amount"} - set(lots.columns)
    if missing:
        raise InputError(f"{name}: missing column(s) {sorted(missing)}; need purchase_date,amount")
    dates = pd.DatetimeIndex(pd.to_datetime(lots["purchase_date"], errors="coerce")).normalize()
    if dates.tz is not None:
        dates = dates.tz_localize(None)
    amounts = pd.to_numeric(lots["amount"], errors="coerce").to_numpy(dtype=float)
    if dates.hasnans or not np.isfinite(amounts).all() or (amounts < 0).any():
        raise InputError(f"{name}: every lot needs a purchase date and an amount >= 0")
    late = dates > start
    if late.any():
        day = dates[late].min().date().isoformat()
        raise InputError(
            f"{name}: a lot bought on {day}, after {start.date().isoformat()} (the balance "
            "date, the day after the last day of usage); give the lots held on that day"
        )
    expired = (dates + pd.DateOffset(months=12)) <= start
    warnings = []
    if expired.any():
        gone = ", ".join(
            f"{d.date().isoformat()} ({a:,.2f})"
            for d, a in zip(dates[expired], amounts[expired], strict=True)
        )
        warnings.append(
            f"{name}: lot(s) bought {gone} expired 12 months after purchase, before "
            f"{start.date().isoformat()}, and are left out of the balance"
        )
    out = pd.DataFrame({"purchase_date": dates[~expired], "amount": amounts[~expired]})
    out = out[out["amount"] > 0].sort_values("purchase_date", kind="stable")
    return out.reset_index(drop=True), warnings


# --------------------------------------------------------------------------------------------
# licences and rates
# --------------------------------------------------------------------------------------------


def read_licences(path: str | Path) -> pd.DataFrame:
    """Read licence counts: ``plan,country,users[,minutes_per_user]``.

    ``plan`` is a capability code (``MCOPSTN1``, ``MCOPSTN2``, ``MCOPSTN5``, ``MCOPSTN6``,
    ``MCOPSTN8``, ``MCOPSTN9``, ``MCOMEETADD``; the ``BR``/``MX`` variants and Audio
    Conferencing variants are accepted) or a pay-as-you-go plan (``PAYG``, or any name
    containing "pay-as-you-go"). ``country`` is the users' ISO usage location (may be empty
    for ``MCOMEETADD``). An empty ``minutes_per_user`` uses the built-in allowance
    (:data:`planner.pricing.PLANS`).

    Returns
    -------
    DataFrame
        ``plan`` (string, normalized code), ``country`` (string, upper case, <NA> when
        empty), ``users`` (int64 >= 0), ``minutes_per_user`` (float64, NaN = built-in).
    """
    t = _Table(path, "licence counts", "plan,country,users,minutes_per_user")
    plan_col = t.column("plan", "capability", "licence", "license", "sku")
    country_col = t.column("country", "usage_location", "user_location", required=False)
    users_col = t.column("users", "count", "licences", "licenses", "quantity")
    mpu_col = t.column("minutes_per_user", "minutes", required=False)
    t.require_rows()
    plans = []
    for raw, line in zip(t.frame[plan_col], t.frame[_LINE], strict=True):
        code = normalize_plan(str(raw))
        if code is None:
            raise t.error(
                int(line),
                f"unknown plan {raw!r}; use one of {', '.join(PLANS)} or {PAYG_PLAN} "
                "(pay-as-you-go)",
            )
        plans.append(code)
    if country_col is None:
        countries = pd.Series([""] * len(t), dtype=object)
    else:
        countries = t.text(country_col).str.upper()
    bad_country = ~countries.str.fullmatch(r"[A-Z]{2}|").to_numpy()
    if bad_country.any():
        i = int(np.flatnonzero(bad_country)[0])
        raise t.error(
            int(t.frame[_LINE].iloc[i]),
            f"country {countries.iloc[i]!r} is not a two-letter ISO code (e.g. US, GB, DE)",
        )
    needs_country = np.array([p != "MCOMEETADD" for p in plans]) & (countries == "").to_numpy()
    if needs_country.any():
        i = int(np.flatnonzero(needs_country)[0])
        raise t.error(
            int(t.frame[_LINE].iloc[i]),
            f"plan {plans[i]} needs a country: minutes are pooled per country",
        )
    users = t.numbers(users_col, "users")
    t._first_bad(
        (users < 0) | (users != np.floor(users)),
        users_col,
        "`users` {value} is not a whole number >= 0",
    )
    if mpu_col is not None:
        mpu = t.numbers(mpu_col, "minutes_per_user", blank=np.nan)
        t._first_bad(mpu < 0, mpu_col, "`minutes_per_user` {value} is negative")
    else:
        mpu = np.full(len(t), np.nan)
    return pd.DataFrame(
        {
            "plan": pd.array(plans, dtype="string"),
            "country": pd.array(countries.replace("", None).tolist(), dtype="string"),
            "users": users.astype(np.int64),
            "minutes_per_user": mpu.astype(np.float64),
        }
    )


def read_rates(path: str | Path) -> pd.DataFrame:
    """Read a rate card: ``destination,per_minute[,connection_fee,increment_seconds,currency]``.

    ``destination`` is matched case-insensitively against a call's ``Destination Dialed``
    (e.g. ``United Kingdom``, ``United States Toll Free``) or its two-letter country code;
    ``*`` is the fallback for any other destination.

    Returns
    -------
    DataFrame
        ``destination`` (string, as written), ``per_minute`` and ``connection_fee``
        (float64, for display), ``per_minute_micro`` and ``connection_fee_micro`` (int64,
        exact amounts in millionths of the currency unit), ``increment_seconds`` (int64 > 0,
        default 60), ``currency`` (string, <NA> when not given).
    """
    t = _Table(
        path, "a rate card", "destination,per_minute,connection_fee,increment_seconds,currency"
    )
    dest_col = t.column("destination", "destination_dialed", "country")
    rate_col = t.column("per_minute", "rate", "price_per_minute")
    fee_col = t.column("connection_fee", required=False)
    inc_col = t.column("increment_seconds", "increment", required=False)
    cur_col = t.column("currency", required=False)
    t.require_rows()
    dest = t.text(dest_col)
    t._first_bad((dest == "").to_numpy(), dest_col, "`destination` is empty; name it or use *")
    dup = dest.str.casefold().duplicated().to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise t.error(
            int(t.frame[_LINE].iloc[i]),
            f"destination {dest.iloc[i]!r} is listed twice; keep one rate per destination",
        )
    rates = t.decimals(rate_col, "per_minute")
    fees = t.decimals(fee_col, "connection_fee", blank="0") if fee_col else [Decimal(0)] * len(t)
    for values, label in ((rates, "per_minute"), (fees, "connection_fee")):
        for i, v in enumerate(values):
            if v < 0:
                raise t.error(int(t.frame[_LINE].iloc[i]), f"`{label}` {v} is negative")
            if v > _MAX_RATE:  # beyond any carrier's price; would overflow exact call costs
                raise t.error(
                    int(t.frame[_LINE].iloc[i]),
                    f"`{label}` {v} is implausibly high (the limit is {_MAX_RATE:,} a minute)",
                )
    if inc_col:
        inc = t.numbers(inc_col, "increment_seconds", blank=60.0)
        t._first_bad(
            (inc <= 0) | (inc != np.floor(inc)),
            inc_col,
            "`increment_seconds` {value} is not a whole number of seconds > 0",
        )
    else:
        inc = np.full(len(t), 60.0)
    if cur_col:
        cur = t.text(cur_col).str.upper()
        present = sorted(set(cur) - {""})
        if len(present) > 1:
            raise t.error(
                None,
                f"the rate card mixes {' and '.join(present)}; price one currency per rate card",
            )
        currency = pd.array(cur.replace("", None).tolist(), dtype="string")
    else:
        currency = pd.array([None] * len(t), dtype="string")
    return pd.DataFrame(
        {
            "destination": pd.array(dest.tolist(), dtype="string"),
            "per_minute": np.array([float(v) for v in rates], dtype=np.float64),
            "connection_fee": np.array([float(v) for v in fees], dtype=np.float64),
            "per_minute_micro": np.array([to_micro(v) for v in rates], dtype=np.int64),
            "connection_fee_micro": np.array([to_micro(v) for v in fees], dtype=np.int64),
            "increment_seconds": inc.astype(np.int64),
            "currency": currency,
        }
    )


# --------------------------------------------------------------------------------------------
# user licences
# --------------------------------------------------------------------------------------------

_TRUE = {"true", "yes", "y", "1", "x", "assigned", "vrai", "wahr", "ja", "oui"}
_FALSE = {"false", "no", "n", "0", "", "unassigned", "faux", "falsch", "nein", "non"}
_CREDITS_NAMES = ("communications credits", "mcopstnc")
_PAYG_NAMES = ("pay-as-you-go", "pay as you go", "payg")


def read_user_licences(path: str | Path) -> pd.DataFrame:
    """Read who holds the Communications Credits licence (``MCOPSTNC``).

    Two shapes are accepted:

    - the Microsoft 365 admin center *Export users* file: ``User principal name`` and
      ``Licenses`` (product names joined by ``+``); the credits licence is present when the
      list names "Communications Credits" or ``MCOPSTNC``, a pay-as-you-go Calling Plan when
      it names "pay-as-you-go";
    - a simple ``upn,mcopstnc`` file with true/false, yes/no or 1/0 (an optional ``payg``
      column marks pay-as-you-go Calling Plan users).

    Returns
    -------
    DataFrame
        ``upn`` (string, lower case, unique), ``has_credits_licence`` (bool),
        ``has_payg_plan`` (bool).
    """
    t = _Table(path, "the users' licences", "upn,mcopstnc")
    upn_col = t.column("upn", "user principal name", "userprincipalname", "user")
    licences_col = t.column("licenses", "licences", "assigned_products", required=False)
    flag_col = t.column(
        "mcopstnc", "has_credits_licence", "communications_credits", "credits", required=False
    )
    payg_col = t.column("payg", "has_payg_plan", required=False)
    if licences_col is None and flag_col is None:
        raise t.error(
            None,
            f"neither a `Licenses` column (M365 admin center user export) nor an `mcopstnc` "
            f"column (found: {', '.join(t.header)}); expected `upn,mcopstnc` or the "
            "admin center's Export users file",
        )
    upn = t.text(upn_col).str.lower()
    t._first_bad((upn == "").to_numpy(), upn_col, "the user principal name is empty")
    if licences_col is not None:
        products = t.text(licences_col).str.lower()
        credits = np.zeros(len(t), dtype=bool)
        for name in _CREDITS_NAMES:
            credits |= products.str.contains(name, regex=False).to_numpy()
        payg = np.zeros(len(t), dtype=bool)
        for name in _PAYG_NAMES:
            payg |= products.str.contains(name, regex=False).to_numpy()
    else:
        assert flag_col is not None  # checked above: one of the two columns is there
        credits = _flags(t, flag_col, "mcopstnc")
        payg = np.zeros(len(t), dtype=bool)
    if payg_col is not None:
        payg = payg | _flags(t, payg_col, "payg")
    out = pd.DataFrame(
        {
            "upn": pd.array(upn.tolist(), dtype="string"),
            "has_credits_licence": credits,
            "has_payg_plan": payg,
            _LINE: t.frame[_LINE].to_numpy(),
        }
    )
    out = out.drop_duplicates(["upn", "has_credits_licence", "has_payg_plan"])
    clash = out["upn"].duplicated(keep=False).to_numpy()
    if clash.any():
        rows = out[clash]
        raise t.error(
            int(rows[_LINE].iloc[1]),
            f"user {rows['upn'].iloc[0]} is listed twice with different licences "
            f"(lines {rows[_LINE].iloc[0]} and {rows[_LINE].iloc[1]}); keep one row per user",
        )
    return out.drop(columns=_LINE).reset_index(drop=True)


def _flags(t: _Table, col: str, label: str) -> np.ndarray:
    text = t.text(col).str.lower()
    unknown = ~text.isin(_TRUE | _FALSE).to_numpy()
    t._first_bad(unknown, col, f"`{label}` value {{value!r}} is not true/false, yes/no or 1/0")
    return text.isin(_TRUE).to_numpy()


# --------------------------------------------------------------------------------------------
# departments
# --------------------------------------------------------------------------------------------

__all__ += ["UNKNOWN_DEPARTMENT", "normalise_departments", "read_departments"]

#: department of a user missing from the department file
UNKNOWN_DEPARTMENT = "(unknown)"


def read_departments(path: str | Path) -> pd.DataFrame:
    """Read a user -> department CSV (header ``upn,department``; other columns ignored).

    Returns
    -------
    DataFrame
        Columns ``upn`` (string, lower case, stripped), ``department`` (string).

    Raises
    ------
    InputError
        The file is missing or unreadable, lacks a column, or maps a user to two departments.
    """
    p = Path(path)
    try:
        raw = pd.read_csv(
            p, dtype=str, keep_default_na=False, encoding="utf-8-sig", sep=None, engine="python"
        )
    except FileNotFoundError:
        raise InputError(
            f"department file {p} not found: give a CSV with columns upn,department"
        ) from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(
            f"cannot read department file {p} ({exc}): save it as a UTF-8 CSV "
            "with columns upn,department"
        ) from None
    try:
        return normalise_departments(raw)
    except ValueError as exc:
        raise InputError(f"department file {p}: {exc}") from None


def normalise_departments(departments: pd.DataFrame) -> pd.DataFrame:
    """Check and tidy a user -> department table (columns ``upn``, ``department``, any case).

    Raises ``ValueError`` naming the problem: a missing column or a user with two departments.
    Empty UPNs are dropped, empty departments read as :data:`UNKNOWN_DEPARTMENT`.
    """
    cols = {str(c).strip().lower(): c for c in departments.columns}
    missing = [c for c in ("upn", "department") if c not in cols]
    if missing:
        raise ValueError(
            f"missing column(s) {', '.join(missing)}; expected a header upn,department "
            f"(found {', '.join(map(str, departments.columns)) or 'none'})"
        )
    out = pd.DataFrame(
        {
            "upn": departments[cols["upn"]].astype("string").str.strip().str.lower(),
            "department": departments[cols["department"]].astype("string").str.strip(),
        }
    )
    out = out[out["upn"].fillna("").ne("")]
    out["department"] = out["department"].mask(
        out["department"].fillna("").eq(""), UNKNOWN_DEPARTMENT
    )
    out = out.drop_duplicates()
    dup = out["upn"].duplicated(keep=False)
    if dup.any():
        upn = out.loc[dup, "upn"].iloc[0]
        raise ValueError(f"user {upn} is listed in more than one department; keep one row per user")
    return out.reset_index(drop=True)
