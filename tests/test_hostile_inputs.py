"""Hostile and damaged exports: each class of damage ends in records, reasoned rejects or one
clear error, never a traceback, wrong money or unbounded memory."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pytest

from planner import guard
from planner.errors import InputError
from planner.ingest import read_exports
from tests.fixtures.ingest.build import (
    CP_CURRENT,
    cp_row,
    csv_text,
    graph_dr_row,
    graph_row,
    write_csv,
    write_zip,
)


def _balanced(result) -> None:
    for f in result.files:
        assert f.rows == f.records + f.duplicates + f.rejected, f


def _reasons(result) -> list[str]:
    return result.rejects["reason"].tolist()


# ---- containers ---------------------------------------------------------------------------


def _corrupt_member(path: Path, name: str) -> None:
    """Flip bytes in the compressed data of member ``name`` (a CRC or deflate error)."""
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(name)
    data = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(name.encode()) + len(info.extra)
    for k in range(start + 40, start + 60):
        data[k] ^= 0x55
    path.write_bytes(bytes(data))


def test_damaged_zip_member_is_one_clear_error(tmp_path):
    rows = [cp_row(i) for i in range(1, 400)]
    path = write_zip(tmp_path / "x.zip", {"PSTN.calls.csv": csv_text(CP_CURRENT, rows)})
    _corrupt_member(path, "PSTN.calls.csv")
    with pytest.raises(InputError, match=r"x\.zip!PSTN\.calls\.csv: the archive is damaged"):
        read_exports(path)


def test_zip_bomb_member_is_refused_before_reading(tmp_path):
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("x.json", b"[" + b" " * (guard.RATIO_FLOOR * 2) + b"]")
    with pytest.raises(InputError, match="likely zip bomb"):
        read_exports(path)


def test_member_named_with_dot_dot_is_read(tmp_path):
    text = csv_text(CP_CURRENT, [cp_row(1), cp_row(2)])
    path = write_zip(tmp_path / "x.zip", {"../../evil.csv": text})
    result = read_exports(path)
    assert len(result.records) == 2
    assert result.files[0].path.endswith("!../../evil.csv")
    assert not (tmp_path.parent / "evil.csv").exists()


def test_fifo_and_folder_symlink_are_refused(tmp_path):
    fifo = tmp_path / "calls.csv"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        read_exports(fifo)


def test_symlink_to_a_system_file_does_not_echo_it(tmp_path):
    link = tmp_path / "calls.csv"
    link.symlink_to("/etc/passwd")
    with pytest.raises(InputError) as err:
        read_exports(link)
    assert "/bin/" not in str(err.value) and "content is not shown" in str(err.value)


# ---- JSON ---------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["document", "property"])
def test_deep_json_is_refused_not_a_recursion_error(tmp_path, where):
    deep = "[" * 100_000 + "]" * 100_000
    if where == "document":
        text = deep
    else:
        row = json.dumps(graph_row(1))
        text = '{"value": [' + row[:-1] + ', "x": ' + deep + "}]}"
    path = tmp_path / "deep.json"
    path.write_text(text)
    with pytest.raises(InputError, match="nested too deeply"):
        read_exports(path)


def test_deep_parameters_json_is_ignored(tmp_path):
    write_csv(tmp_path / "a.csv", CP_CURRENT, [cp_row(1)])
    (tmp_path / "parameters.json").write_text("[" * 100_000 + "]" * 100_000)
    result = read_exports(tmp_path / "a.csv")
    assert result.files[0].exported_period is None and len(result.records) == 1


def test_json_mixing_pstn_and_direct_routing_keeps_each_row(tmp_path):
    path = tmp_path / "mixed.json"
    rows = [graph_row(1), graph_dr_row(2), graph_row(3), {"foo": 1}]
    path.write_text(json.dumps(rows))
    result = read_exports(path)
    _balanced(result)
    assert sorted(result.records["kind"]) == ["calling_plans", "calling_plans", "direct_routing"]
    assert result.records["charge_cents"].sum() == 240
    assert sum(f.rows for f in result.files) == 4
    assert _reasons(result) == ["the row's properties match no known export format"]


def test_graph_folder_ending_with_an_empty_page(tmp_path):
    (tmp_path / "p1.json").write_text(json.dumps({"value": [graph_row(1)], "@odata.nextLink": "x"}))
    (tmp_path / "p2.json").write_text(json.dumps({"value": []}))
    result = read_exports(tmp_path)
    assert len(result.records) == 1


def test_unpaired_surrogate_rejects_the_row(tmp_path):
    good = json.dumps(graph_row(2))
    bad = json.dumps(graph_row(1)).replace('"userDisplayName": "', '"userDisplayName": "\\ud800')
    (tmp_path / "s.json").write_text(f"[{bad},{good}]")
    result = read_exports(tmp_path / "s.json")
    _balanced(result)
    assert len(result.records) == 1 and "surrogate" in _reasons(result)[0]


def test_unpaired_surrogate_in_the_second_format_of_a_mixed_file_is_rejected(tmp_path):
    # the Direct Routing rows form the second part of the file: their rejects are its own
    bad = json.dumps(graph_dr_row(2)).replace('"id": "', '"id": "\\ud800', 1)
    rows = ",".join([json.dumps(graph_row(1)), json.dumps(graph_dr_row(3)), bad])
    (tmp_path / "m.json").write_text(f"[{rows}]")
    result = read_exports(tmp_path / "m.json")
    _balanced(result)
    assert sum(f.rows for f in result.files) == 3
    assert [f.rejected for f in result.files] == [0, 1]
    assert len(result.records) == 2 and "surrogate" in _reasons(result)[0]


def test_json_number_with_a_huge_exponent_is_rejected_quickly(tmp_path):
    row = json.dumps(graph_row(1)).replace('"charge": 1.2', '"charge": 1e999999999')
    (tmp_path / "h.json").write_text(f"[{row},{json.dumps(graph_row(2))}]")
    result = read_exports(tmp_path / "h.json")
    assert len(result.records) == 1 and "exponent" in _reasons(result)[0]


# ---- money --------------------------------------------------------------------------------


def _charges(tmp_path, charges, capability="MCOPSTNPP", name="m.csv"):
    rows = [cp_row(i, charge=c, fee="0", capability=capability) for i, c in enumerate(charges, 1)]
    return read_exports(write_csv(tmp_path / name, CP_CURRENT, rows))


@pytest.mark.parametrize("other", ["1.00", "x"])
def test_exponent_notation_is_rejected_whatever_the_other_rows(tmp_path, other):
    result = _charges(tmp_path, ["1e2", other])
    assert 1 not in result.records["source_row"].tolist()
    assert "exponent notation" in _reasons(result)[0]


def test_beyond_numeric_16_2_is_rejected_not_wrapped(tmp_path):
    result = _charges(tmp_path, ["9999999999999999.99", "99999999999999.99"])
    assert result.records["charge_cents"].tolist() == [9_999_999_999_999_999]
    assert "numeric(16,2)" in _reasons(result)[0]


def test_totals_beyond_int64_are_refused(tmp_path):
    with pytest.raises(InputError, match="beyond what can be totalled exactly"):
        _charges(tmp_path, ["99999999999999.99"] * 600)


def test_quoted_decimal_comma_is_not_a_thousands_group(tmp_path):
    result = _charges(tmp_path, ["0,125", "1,234.50", "0,12"])
    assert result.records["charge_cents"].tolist() == [123450, 12]
    assert "more than 2 decimals" in _reasons(result)[0]


def test_currency_must_be_an_iso_code(tmp_path):
    rows = [cp_row(1, currency="<script>"), cp_row(2)]
    result = read_exports(write_csv(tmp_path / "c.csv", CP_CURRENT, rows))
    assert len(result.records) == 1 and "ISO 4217" in _reasons(result)[0]


# ---- text and identity --------------------------------------------------------------------


def test_one_bad_utf8_byte_keeps_its_row_its_money_and_the_accents(tmp_path, caplog):
    rows = [
        cp_row(1, **{"User Display Name": "Agnès"}),
        cp_row(2, charge="7.35", **{"User Display Name": "Bad\udcff"}),
        cp_row(3, **{"User Display Name": "Zoë"}),
    ]
    path = tmp_path / "u.csv"
    path.write_bytes(csv_text(CP_CURRENT, rows).encode("utf-8", "surrogateescape"))
    with caplog.at_level("WARNING", logger="planner"):
        result = read_exports(path)
    _balanced(result)
    assert result.records["user_display_name"].tolist() == ["Agnès", "Bad\ufffd", "Zoë"]
    assert result.records["charge_cents"].tolist() == [120, 735, 120]
    assert result.rejects.empty
    (warning,) = [r.getMessage() for r in caplog.records]
    assert "u.csv, row 3: User Display Name holds byte 0xff, not valid UTF-8" in warning


def test_bad_utf8_byte_far_into_the_file(tmp_path, caplog):
    rows = [cp_row(i, **{"User Display Name": "Zoë"}) for i in range(1, 9000)]
    rows.append(cp_row(9500, **{"User Display Name": "X\udce8"}))
    rows.append(cp_row(9501, **{"UPN": "y\udce8@x.com"}))
    path = tmp_path / "late.csv"
    path.write_bytes(csv_text(CP_CURRENT, rows).encode("utf-8", "surrogateescape"))
    from planner.ingest import iter_records

    stream = iter_records([path], chunk_rows=1000)
    with caplog.at_level("WARNING", logger="planner"):
        n = sum(len(chunk) for chunk in stream)
    assert n == 9001 and len(stream.rejects) == 0
    assert stream.files[0].rows == 9001
    assert "row 9001 (and 1 more rows of this part)" in caplog.text


def test_genuine_cp1252_is_still_read(tmp_path):
    rows = [cp_row(1, **{"User Display Name": "Agnès"})]
    path = write_csv(tmp_path / "w.csv", CP_CURRENT, rows, encoding="cp1252")
    result = read_exports(path)
    assert result.records["user_display_name"].tolist() == ["Agnès"]
    assert result.files[0].encoding == "cp1252"


def test_usage_id_with_blanks_is_the_same_record(tmp_path):
    rows = [cp_row(1), {**cp_row(1), "UsageId": "  " + cp_row(1)["UsageId"].upper() + " "}]
    result = read_exports(write_csv(tmp_path / "d.csv", CP_CURRENT, rows))
    assert len(result.records) == 1 and result.files[0].duplicates == 1


def test_header_longer_than_64_kb(tmp_path):
    long = "X" * 70_000
    rows = [dict(cp_row(1), **{long: "v"})]
    result = read_exports(write_csv(tmp_path / "h.csv", [*CP_CURRENT, long], rows))
    assert len(result.records) == 1


def test_row_longer_than_a_parser_block(tmp_path):
    rows = [cp_row(1, **{"User Display Name": "y" * 3_000_000}), cp_row(2)]
    result = read_exports(write_csv(tmp_path / "r.csv", CP_CURRENT, rows))
    assert len(result.records) == 2


# ---- xlsx ---------------------------------------------------------------------------------


def test_formula_without_cached_value_is_reported(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    ws = book.active
    ws.append(CP_CURRENT)
    for i in (1, 2):
        ws.append([cp_row(i)[h] for h in CP_CURRENT])
    charge = CP_CURRENT.index("Charge") + 1
    ws.cell(row=3, column=charge).value = "=1+1"  # openpyxl saves no cached value
    path = tmp_path / "f.xlsx"
    book.save(path)
    result = read_exports(path)
    _balanced(result)
    assert len(result.records) == 1
    assert "formula" in _reasons(result)[0] and result.rejects["source_row"].tolist() == [3]


def test_json_rows_each_with_their_own_extra_property(tmp_path):
    rows = [dict(graph_row(i), **{f"extra{i}": i}) for i in range(1, 300)]
    (tmp_path / "x.json").write_text(json.dumps(rows))
    result = read_exports(tmp_path / "x.json")
    assert len(result.records) == 299


def test_xlsx_stating_a_huge_dimension_is_not_padded(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    ws = book.active
    ws.append(CP_CURRENT)
    ws.append([cp_row(1)[h] for h in CP_CURRENT])
    ws.cell(row=200_000, column=16_384).value = "far away"
    book.save(tmp_path / "far.xlsx")
    result = read_exports(tmp_path / "far.xlsx")
    assert len(result.records) == 1
