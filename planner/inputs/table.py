"""The table every side-file reader starts from: a small CSV read into text columns, with
the line of each row, header names matched loosely, and typed columns that name the bad cell."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Literal, overload

import numpy as np
import pandas as pd

from planner.errors import InputError
from planner.formats import time_formats
from planner.guard import decode_text, regular_file
from planner.text import N_, number, t
from planner.text import days as text_days
from planner.validate import MAX_AMOUNT

MAX_SIDE_BYTES = 64 << 20
#: the longest span of dates in a side file (a demand history or lots), about 30 years
MAX_SPAN_DAYS = 11_000

#: the dates a side file may hold: a year mistyped (``1025-11-05``) is refused, not read as
#: a demand history of ten centuries (or beyond what a timestamp holds)
DATE_RANGE = (pd.Timestamp("2000-01-01", tz="UTC"), pd.Timestamp("2099-12-31", tz="UTC"))

LINE = "_line"  # column holding each row's 1-based line number in the file (header = 1)


def header_key(name: str) -> str:
    """Header name as matched: lower case, without spaces, hyphens or underscores."""
    return re.sub(r"[\s_\-]+", "", name.strip().lower())


def _separator(text: str) -> tuple[str, str]:
    """The text without a spreadsheet's ``sep=;`` first line, and the separator: the one that
    line names, else the most frequent of ``;``, tab and ``,`` in the header line."""
    body = text.lstrip("\r\n")
    first, _, rest = body.partition("\n")
    if first.lower().startswith("sep=") and len(first.strip()) <= 5:
        # (a blank line for it: the lines keep their numbers)
        return text[: len(text) - len(body)] + "\n" + rest, first.strip()[4:5] or ","
    delimiter = max((";", "\t", ","), key=first.count)
    return text, delimiter if first.count(delimiter) else ","


class Table:
    """A CSV file read as text: one string column per header (matched by :func:`header_key`)."""

    def __init__(self, path: str | Path, what: str, example: str):
        self.path = Path(path)
        self.name = str(path)
        self.what = t(what)
        self.example = example
        raw = self._read_bytes()
        text = decode_text(raw, self.name)
        if "\x00" in text:  # dropped, "1\x000" would read as 10: refused instead
            line = text[: text.index("\x00")].count("\n") + 1
            raise InputError(
                "{name}, line {line}: holds a NUL byte (a damaged or binary file); "
                "expected {what} as a CSV text file",
                name=self.name,
                line=line,
                what=self.what,
            )
        if not text.strip():
            raise InputError(
                "{name} is empty; expected {what} with a header line `{example}`",
                name=self.name,
                what=self.what,
                example=example,
            )
        text, self.delimiter = _separator(text)
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
            if len(header) == 1 and len(row) > 1 and len(rows) == 0:
                raise InputError(
                    "{name}, line {line_num}: the line above, {first!r}, is not a header "
                    "(a title?); the file starts with its header line `{example}`",
                    name=self.name,
                    line_num=reader.line_num,
                    first=header[0][:60],
                    example=example,
                )
            if len(row) != len(header):
                raise InputError(
                    "{name}, line {line_num}: {n_row} fields where the header has "
                    "{n_header}; quote values that contain `{delimiter}`",
                    name=self.name,
                    line_num=reader.line_num,
                    n_row=len(row),
                    n_header=len(header),
                    delimiter=self.delimiter,
                )
            rows.append([cell.strip() for cell in row])
            lines.append(reader.line_num)
        if header is None:  # only separators and blanks
            raise InputError(
                "{name} holds no header (only separators or blanks); expected {what} "
                "with a header line `{example}`",
                name=self.name,
                what=self.what,
                example=example,
            )
        self.header = header
        self.columns = {header_key(h): i for i, h in reversed(list(enumerate(header)))}
        data = {k: [r[i] for r in rows] for k, i in self.columns.items()}
        self.frame = pd.DataFrame(data, dtype=object)
        self.frame[LINE] = np.asarray(lines, dtype=np.int64)

    def _read_bytes(self) -> bytes:
        """The file's bytes: a regular file of at most :data:`MAX_SIDE_BYTES`."""
        try:
            if self.path.exists() and not self.path.is_dir():
                regular_file(self.path)
                if self.path.stat().st_size > MAX_SIDE_BYTES:
                    raise InputError(
                        "{name}: larger than {mib} MiB; expected {what}, a small CSV file",
                        name=self.name,
                        mib=MAX_SIDE_BYTES >> 20,
                        what=self.what,
                    )
            return self.path.read_bytes()
        except FileNotFoundError:
            raise InputError(
                "{name}: no such file (expected {what})", name=self.name, what=self.what
            ) from None
        except IsADirectoryError:
            raise InputError(
                "{name} is a directory; expected {what} as a CSV file",
                name=self.name,
                what=self.what,
            ) from None
        except OSError as exc:
            raise InputError(
                "{name}: cannot read it ({strerror})", name=self.name, strerror=exc.strerror
            ) from None

    def __len__(self) -> int:
        return len(self.frame)

    def error(self, line: int | None, problem: str, /, **values: object) -> InputError:
        """The error of a cell or of the file: ``problem`` a catalogue message with ``{name}``
        fields filled from ``values``, after the file's name and the line."""
        problem = t(problem, **values)
        if line is None:
            return InputError("{name}: {problem}", name=self.name, problem=problem)
        return InputError(
            "{name}, line {line}: {problem}", name=self.name, line=line, problem=problem
        )

    @overload
    def column(self, *names: str, required: Literal[True] = True) -> str: ...

    @overload
    def column(self, *names: str, required: bool) -> str | None: ...

    def column(self, *names: str, required: bool = True) -> str | None:
        """The key of the first header among ``names`` present in the file (None when it
        has none and the column is not ``required``)."""
        for name in names:
            if header_key(name) in self.columns:
                return header_key(name)
        if required:
            raise InputError(
                "{name}: no `{names}` column (found: {header}); expected {what} with a "
                "header line `{example}`",
                name=self.name,
                names=names[0],
                header=", ".join(self.header),
                what=self.what,
                example=self.example,
            )
        return None

    def require_rows(self) -> None:
        if len(self) == 0:
            raise InputError(
                "{name} holds a header but no rows; expected {what} (`{example}`)",
                name=self.name,
                what=self.what,
                example=self.example,
            )

    def text(self, col: str) -> pd.Series:
        return self.frame[col].astype(str)

    def _first_bad(self, bad: np.ndarray, col: str, problem: str, /, **values: object) -> None:
        """Refuse the first cell ``bad`` marks: ``problem`` as :meth:`error`, its ``{value}``
        that cell's text."""
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            value = self.frame[col].iloc[i]
            raise self.error(int(self.frame[LINE].iloc[i]), problem, value=value, **values)

    def _plain(self, col: str) -> pd.Series:
        """Column ``col``'s numbers as plain decimal text, read by the exports' rule
        (:func:`planner.ingest.convert.normalise_decimal`): grouped thousands (``1,234.50``),
        a decimal comma (``1.234,50``) unless the file is comma-separated, blanks, a currency
        symbol or code (``$1,234.50``, ``1 234,50 €``), parentheses for a negative amount."""
        import pyarrow as pa

        from planner.ingest.convert import normalise_decimal  # (pyarrow: when a file is read)

        mark = "." if self.delimiter == "," else ","
        plain = normalise_decimal(pa.chunked_array([pa.array(self.text(col), pa.string())]), mark)
        return pd.Series(plain.to_pylist(), index=self.frame.index, dtype=object)

    def numbers(self, col: str, label: str, *, blank: float | None = None) -> np.ndarray:
        """Column ``col`` as float64 (:meth:`_plain`); blank cells become ``blank`` (or are
        refused)."""
        text = self._plain(col)
        empty = (text == "").to_numpy()
        values = pd.to_numeric(text.where(~empty, "0"), errors="coerce").to_numpy(
            dtype=np.float64, copy=True
        )
        if blank is None:
            self._first_bad(empty, col, "`{label}` is empty; give a number", label=label)
        self._first_bad(
            ~np.isfinite(values),
            col,
            "`{label}` value {value!r} is not a number; write e.g. 12.50",
            label=label,
        )
        self._first_bad(
            np.abs(values) > MAX_AMOUNT,
            col,
            "`{label}` value {value!r} is implausibly large (the limit is {limit})",
            label=label,
            limit=number(MAX_AMOUNT),
        )
        if blank is not None:
            values[empty] = blank
        return values

    def decimals(self, col: str, label: str, *, blank: str | None = None) -> list[Decimal]:
        """Column ``col`` as exact decimals (money and rates), read as :meth:`_plain`."""
        out: list[Decimal] = []
        plain = self._plain(col)
        for value, text, line in zip(self.frame[col], plain, self.frame[LINE], strict=True):
            if text == "" and blank is not None:
                text = blank
            try:
                number = Decimal(text)
            except InvalidOperation:
                raise self.error(
                    int(line),
                    "`{label}` value {value!r} is not a number; write e.g. 0.025",
                    label=label,
                    value=value,
                ) from None
            if not number.is_finite():
                raise self.error(
                    int(line), "`{label}` value {value!r} is not a number", label=label, value=value
                )
            if abs(number) > MAX_AMOUNT:
                raise self.error(
                    int(line),
                    "`{label}` value {value!r} is implausibly large",
                    label=label,
                    value=value,
                )
            out.append(number)
        return out

    def dates(self, col: str, label: str) -> pd.Series:
        """Column ``col`` as tz-naive normalized dates (UTC for timestamps with an offset).

        Read as the exports are read (:func:`planner.formats.time_formats`): ISO 8601, else
        day first in a semicolon-separated file (``05/11/2025`` is 5 November), month first
        in a comma-separated one (11 May); else an Excel serial day number from 2000 to 2099
        (``45966`` is 5 November 2025).
        """
        text = self.text(col)
        parsed = pd.to_datetime(text, errors="coerce", format="ISO8601", utc=True)
        dayfirst = self.delimiter == ";"
        for fmt in time_formats(dayfirst, days=True):
            todo = parsed.isna() & text.notna() & (text != "")
            if not todo.any():
                break
            again = pd.to_datetime(text.where(todo), errors="coerce", format=fmt, utc=True)
            parsed = parsed.where(~todo, again)
        if parsed.isna().any():  # a spreadsheet's cell that lost its date format: 45966
            from planner.ingest.times import excel_serials

            parsed = parsed.where(parsed.notna(), excel_serials(text.astype("string")))
        if dayfirst:
            problem = N_(
                "`{label}` value {value!r} is not a date; write YYYY-MM-DD (or DD/MM/YYYY, "
                "as the exports of a semicolon-separated file hold)"
            )
        else:
            problem = N_(
                "`{label}` value {value!r} is not a date; write YYYY-MM-DD (or MM/DD/YYYY, "
                "as the exports of a comma-separated file hold)"
            )
        first, last = DATE_RANGE
        # a year pandas cannot hold (before 1677 or after 2262 on pandas 2) reads as no date
        # at all: a written ISO year outside the range is named as what it is
        year = pd.to_numeric(text.str.extract(r"^\s*(\d{4})-\d{1,2}-\d{1,2}")[0], errors="coerce")
        odd_year = parsed.isna() & year.notna() & ~year.between(first.year, last.year)
        self._first_bad(
            ((parsed < first) | (parsed > last) | odd_year).to_numpy(bool),
            col,
            "`{label}` value {value!r} is not a plausible date (the years {first} to {last} "
            "are read); check the year",
            label=label,
            first=first.year,
            last=last.year,
        )
        self._first_bad(parsed.isna().to_numpy(), col, problem, label=label)
        days = parsed.dt.tz_localize(None).dt.normalize().astype("datetime64[ns]")
        if len(days) and (days.max().date() - days.min().date()).days > MAX_SPAN_DAYS:
            raise self.error(
                None,
                "`{label}` spans {first} to {last}, more than {days}; check the dates",
                label=label,
                first=days.min().date(),
                last=days.max().date(),
                days=text_days(MAX_SPAN_DAYS),
            )
        return days
