"""Invariants of ingest over any mix of valid and damaged rows (hypothesis)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.ingest import iter_records, read_exports
from tests.fixtures.ingest.build import CP_CURRENT, cp_row, csv_text

DAMAGE = (
    "bad_time",
    "negative_duration",
    "bad_money",
    "no_currency",
    "missing_id",
    "too_fine",
    "too_few_fields",
    "too_many_fields",
)

row_strategy = st.tuples(
    st.sampled_from(("valid",) * 4 + DAMAGE),
    st.integers(0, 12),  # id: small range, so duplicates happen
    st.integers(-500, 99_999),  # charge in cents (credits and refunds)
    st.integers(0, 99),  # connection fee in cents
)


def _amount(cents: int, mark: str) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}{mark}{abs(cents) % 100:02d}"


def _line(kind: str, i: int, charge: int, fee: int, delimiter: str) -> str:
    mark = "," if delimiter == ";" else "."
    over = {
        "bad_time": {"Start Time": "yesterday"},
        "negative_duration": {"Duration Seconds": "-7"},
        "bad_money": {"Charge": "12 dollars"},
        "no_currency": {"Currency": ""},
        "missing_id": {"UsageId": "no data"},
        "too_fine": {"Charge": _amount(charge, mark) + "7"},
    }.get(kind, {})
    row = cp_row(i, charge=_amount(charge, mark), fee=_amount(fee, mark))
    if kind == "no_currency":
        row["Charge"] = _amount(abs(charge) + 1, mark)
    row.update(over)
    text = csv_text(CP_CURRENT, [row], delimiter).split("\r\n")[1]
    if kind == "too_few_fields":
        text = delimiter.join(text.split(delimiter)[:9])
    if kind == "too_many_fields":
        text += delimiter + "extra"
    return text


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(row_strategy, max_size=40),
    delimiter=st.sampled_from([",", ";"]),
    cut_last=st.booleans(),
)
def test_accounting_and_money_of_valid_rows(tmp_path_factory, rows, delimiter, cut_last):
    lines = [delimiter.join(CP_CURRENT)] + [_line(k, i, c, f, delimiter) for k, i, c, f in rows]
    if cut_last and rows:
        lines[-1] = lines[-1][: len(lines[-1]) // 3]  # a cut-off download
    path = tmp_path_factory.mktemp("p") / "usage.csv"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")

    expected_money, seen, duplicates = 0, set(), 0
    for n, (kind, i, charge, fee) in enumerate(rows):
        if kind != "valid" or (cut_last and n == len(rows) - 1):
            continue
        if i in seen:
            duplicates += 1
            continue
        seen.add(i)
        expected_money += charge + fee

    result = read_exports([path])
    (f,) = result.files
    assert f.rows == len(rows)
    assert f.rows == f.records + f.duplicates + f.rejected
    assert (f.records, f.duplicates) == (len(seen), duplicates)
    assert f.rejected == len(result.rejects) == len(rows) - len(seen) - duplicates
    money = result.records["charge_cents"].sum() + result.records["connection_fee_cents"].sum()
    assert int(money) == expected_money
    assert result.rejects["reason"].str.len().gt(0).all()

    stream = iter_records([path], chunk_rows=7)
    streamed = sum(len(chunk) for chunk in stream)
    (g,) = stream.files
    assert (streamed, g.records, g.duplicates, g.rejected) == (
        f.records,
        f.records,
        f.duplicates,
        f.rejected,
    )
    assert sorted(stream.rejects["source_row"]) == sorted(result.rejects["source_row"])


# ---- de-duplication across chunks ------------------------------------------------------------

id_strategy = st.text(alphabet="aAbB-é1", min_size=0, max_size=70)  # short, long, non-ASCII


def _first_occurrences(chunks: list[list[str]]) -> list[list[bool]]:
    seen: set[str] = set()
    out = []
    for chunk in chunks:
        flags = []
        for key in chunk:
            flags.append(key.lower() in seen)
            seen.add(key.lower())
        out.append(flags)
    return out


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(id_strategy, max_size=12), min_size=1, max_size=12), st.booleans())
def test_seen_ids_match_a_plain_set(chunks, collide):
    import numpy as np
    import pyarrow as pa

    import planner.store.dedup as dedup

    hashes = dedup._key_hashes
    if collide:  # every id with the same hash: the exact comparison must still decide
        dedup._key_hashes = lambda keys: (
            None if hashes(keys) is None else np.zeros(len(keys), dtype=np.uint64)
        )
    try:
        seen = dedup.Seen()
        got = [seen.duplicated("k", pa.array(c, pa.string())).tolist() for c in chunks]
    finally:
        dedup._key_hashes = hashes
    assert got == _first_occurrences(chunks)
