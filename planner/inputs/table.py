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
from planner.validate import MAX_AMOUNT

MAX_SIDE_BYTES = 64 << 20
#: the longest span of dates in a side file (a demand history or lots), about 30 years
MAX_SPAN_DAYS = 11_000

LINE = "_line"  # column holding each row's 1-based line number in the file (header = 1)


def header_key(name: str) -> str:
    """Header name as matched: lower case, without spaces, hyphens or underscores."""
    return re.sub(r"[\s_\-]+", "", name.strip().lower())


class Table:
    """A CSV file read as text: one string column per header (matched by :func:`header_key`)."""

    def __init__(self, path: str | Path, what: str, example: str):
        self.path = Path(path)
        self.name = str(path)
        self.what = what
        self.example = example
        try:
            if self.path.exists() and not self.path.is_dir():
                regular_file(self.path)
                if self.path.stat().st_size > MAX_SIDE_BYTES:
                    raise InputError(
                        f"{self.name}: larger than {MAX_SIDE_BYTES >> 20} MiB; "
                        f"expected {what}, a small CSV file"
                    )
            raw = self.path.read_bytes()
        except FileNotFoundError:
            raise InputError(f"{self.name}: no such file (expected {what})") from None
        except IsADirectoryError:
            raise InputError(f"{self.name} is a directory; expected {what} as a CSV file") from None
        except OSError as exc:
            raise InputError(f"{self.name}: cannot read it ({exc.strerror})") from None
        text = decode_text(raw, self.name)
        if "\x00" in text:  # dropped, "1\x000" would read as 10: refused instead
            line = text[: text.index("\x00")].count("\n") + 1
            raise InputError(
                f"{self.name}, line {line}: holds a NUL byte (a damaged or binary file); "
                f"expected {what} as a CSV text file"
            )
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
        self.columns = {header_key(h): i for i, h in reversed(list(enumerate(header)))}
        data = {k: [r[i] for r in rows] for k, i in self.columns.items()}
        self.frame = pd.DataFrame(data, dtype=object)
        self.frame[LINE] = np.asarray(lines, dtype=np.int64)

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
            if header_key(name) in self.columns:
                return header_key(name)
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
            raise self.error(int(self.frame[LINE].iloc[i]), problem.format(value=value))

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
        for value, line in zip(self.frame[col], self.frame[LINE], strict=True):
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
        """Column ``col`` as tz-naive normalized dates (UTC for timestamps with an offset).

        Read as the exports are read (:func:`planner.formats.time_formats`): ISO 8601, else
        day first in a semicolon-separated file (``05/11/2025`` is 5 November), month first
        in a comma-separated one (11 May).
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
        order = "DD/MM/YYYY" if dayfirst else "MM/DD/YYYY"
        self._first_bad(
            parsed.isna().to_numpy(),
            col,
            f"`{label}` value {{value!r}} is not a date; write YYYY-MM-DD (or {order}, as "
            f"the exports of a {'semicolon' if dayfirst else 'comma'}-separated file hold)",
        )
        days = parsed.dt.tz_localize(None).dt.normalize().astype("datetime64[ns]")
        if len(days) and (days.max().date() - days.min().date()).days > MAX_SPAN_DAYS:
            raise self.error(
                None,
                f"`{label}` spans {days.min().date()} to {days.max().date()}, more than "
                f"{MAX_SPAN_DAYS:,} days; check the dates",
            )
        return days
