"""Reading every supported export layout: exact counts, exact money, canonical schema."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest

from planner.errors import InputError
from planner.ingest import (
    FileReport,
    detect_format,
    expand_paths,
    iter_records,
    read_exports,
    read_parameters,
)
from planner.schema import RECORD_DTYPES, REJECT_COLUMNS, credit_cents
from tests.fixtures.ingest.build import (
    CP_CURRENT,
    CP_LEGACY,
    DR_CURRENT,
    DR_LEGACY,
    GRAPH_DR,
    GRAPH_PSTN,
    cp_row,
    csv_text,
    dr_row,
    graph_dr_row,
    graph_row,
    parameters_json,
    uid,
    write_csv,
    write_zip,
)


def _check_schema(result) -> None:
    assert list(result.records.columns) == list(RECORD_DTYPES)
    assert {c: str(t) for c, t in result.records.dtypes.items()} == {
        c: str(pd.Series(dtype=t).dtype) for c, t in RECORD_DTYPES.items()
    }
    assert list(result.rejects.columns) == list(REJECT_COLUMNS)
    for f in result.files:
        assert f.rows == f.records + f.duplicates + f.rejected, f
    assert len(result.records) == sum(f.records for f in result.files)
    assert len(result.rejects) == sum(f.rejected for f in result.files)
    assert result.records["usage_id"].is_unique


def _money(result) -> int:
    r = result.records
    return int(r["charge_cents"].fillna(0).sum() + r["connection_fee_cents"].fillna(0).sum())


# ---- Calling Plans CSV ---------------------------------------------------------------------


def test_current_csv_reads_every_column(tmp_path):
    rows = [cp_row(1), cp_row(2, charge="0.30", fee="0", call_type="conf_in"), cp_row(3)]
    path = write_csv(tmp_path / "usage.csv", CP_CURRENT, rows)
    result = read_exports([path])
    _check_schema(result)
    assert detect_format(path) == "calling_plans_current"
    (f,) = result.files
    assert (f.format, f.container, f.rows, f.records, f.duplicates, f.rejected) == (
        "calling_plans_current",
        "csv",
        3,
        3,
        0,
        0,
    )
    r = result.records
    first = r.iloc[0]
    assert first["usage_id"] == uid(1)
    assert first["upn"] == "richard.malk@contoso.com"
    assert first["user_location"] == "US"
    assert first["callee_number"] == "+4930123456***"
    assert first["call_direction"] == "outbound"
    assert first["start"] == pd.Timestamp("2019-11-01T00:01:08.2589935Z")
    assert first["duration_s"] == 219
    assert (first["charge_cents"], first["connection_fee_cents"]) == (120, 5)
    assert first["kind"] == "calling_plans"
    assert first["duration_source"] == "microsoft"
    assert pd.isna(first["conference_id"]) and pd.isna(first["success"])
    assert r["call_direction"].tolist() == ["outbound", "inbound", "outbound"]
    assert r["source_row"].tolist() == [2, 3, 4]
    assert r["source_file"].tolist() == [str(path)] * 3
    assert _money(result) == 125 + 30 + 125
    assert result.credit_spend() == {"USD": Decimal("2.80")}
    assert str(result.credit_spend()["USD"]) == "2.80"
    assert result.period == (dt.date(2019, 11, 1), dt.date(2019, 11, 1))


def test_legacy_csv_derives_direction_and_reads_aad_object_id(tmp_path):
    rows = [
        cp_row(1, call_type="user_in", charge="0", fee="0", capability="MCOPSTN1"),
        cp_row(2, call_type="ucap_out_conf"),
        cp_row(3, call_type="mystery_call", capability="MCONEWTHING"),
    ]
    path = write_csv(tmp_path / "legacy.csv", CP_LEGACY, rows)
    result = read_exports([path])
    _check_schema(result)
    assert result.files[0].format == "calling_plans_legacy"
    r = result.records
    assert r["call_direction"].tolist()[:2] == ["inbound", "outbound"]
    assert pd.isna(r["call_direction"].iloc[2])
    assert r["call_type"].iloc[2] == "mystery_call"
    assert r["capability"].iloc[2] == "MCONEWTHING"
    assert r["user_id"].iloc[0] == "db03c14b-06eb-4189-939b-7cbf3a20ba27"
    assert r["operator"].isna().all() and r["external_country"].isna().all()
    assert result.credit_spend() == {"USD": Decimal("1.25")}


def test_columns_are_found_by_name_not_position(tmp_path):
    header = list(reversed(CP_CURRENT))
    path = write_csv(tmp_path / "shuffled.csv", header, [cp_row(1, charge="2.34")])
    r = read_exports([path]).records
    assert (r["charge_cents"].iloc[0], r["connection_fee_cents"].iloc[0]) == (234, 5)
    assert r["usage_id"].iloc[0] == uid(1)


def test_no_data_question_marks_and_empty_cells_read_as_missing(tmp_path):
    row = cp_row(1, **{"External Country": "??", "Number Type": "no data", "Operator": ""})
    row2 = cp_row(2, charge="no data", fee="no data", currency="")
    path = write_csv(tmp_path / "u.csv", CP_CURRENT, [row, row2])
    result = read_exports([path])
    r = result.records
    assert pd.isna(r["external_country"].iloc[0])
    assert pd.isna(r["number_type"].iloc[0]) and pd.isna(r["operator"].iloc[0])
    # missing money stays missing (never silently zero), and needs no currency
    assert pd.isna(r["charge_cents"].iloc[1]) and pd.isna(r["connection_fee_cents"].iloc[1])
    assert len(result.rejects) == 0


def test_french_excel_csv_semicolon_decimal_comma_cp1252(tmp_path):
    rows = [
        cp_row(1, charge="1,20", fee="0,05", **{"User Display Name": "Zoé Müller"}),
        cp_row(2, charge="1.234,50", fee="0", currency="EUR"),
        cp_row(3, charge="0,3", fee="0", **{"Start Time": "02/11/2019 13:45:10"}),
    ]
    path = write_csv(tmp_path / "fr.csv", CP_CURRENT, rows, delimiter=";", encoding="cp1252")
    result = read_exports([path])
    _check_schema(result)
    (f,) = result.files
    assert (f.container, f.encoding, f.records, f.rejected) == ("csv;", "cp1252", 3, 0)
    r = result.records
    assert r["user_display_name"].iloc[0] == "Zoé Müller"
    assert r["charge_cents"].tolist() == [120, 123450, 30]
    # a text date written by a French Excel is read day first
    assert r["start"].iloc[2] == pd.Timestamp("2019-11-02T13:45:10Z")
    assert result.credit_spend() == {"EUR": Decimal("1234.50"), "USD": Decimal("1.55")}


def test_utf8_bom_and_sep_line_from_excel(tmp_path):
    text = "sep=;\r\n" + csv_text(CP_CURRENT, [cp_row(1, charge="0,99")], delimiter=";")
    path = tmp_path / "de.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    result = read_exports([path])
    assert result.files[0].encoding == "utf-8-sig"
    assert result.records["charge_cents"].tolist() == [99]
    assert result.records["source_row"].tolist() == [3]
    plain = write_csv(tmp_path / "bom.csv", CP_CURRENT, [cp_row(2)], encoding="utf-8-sig")
    assert read_exports([plain]).records["usage_id"].tolist() == [uid(2)]


# ---- Excel workbooks ------------------------------------------------------------------------


def _xlsx(path, header, rows, *, notes_sheet=True):
    book = openpyxl.Workbook()
    first = book.active
    if notes_sheet:
        first.title = "Read me"
        first.append(["Usage exported from the Teams admin center"])
        sheet = book.create_sheet("Données")
    else:
        sheet = first
    sheet.append(header)
    for row in rows:
        sheet.append([row[h] for h in header])
    book.save(path)
    return path


def test_xlsx_numbers_and_datetimes_stored_natively(tmp_path):
    rows = []
    for i, (charge, fee) in enumerate([(1.2, 0.05), (0.1, 0.2), (12, 0)], start=1):
        row = cp_row(i)
        row.update(
            {
                "Charge": charge,
                "Connection Fee": fee,
                "Duration Seconds": 219,
                "Start Time": dt.datetime(2019, 11, 1, 8, 30, i),
                "Conference ID": None,
            }
        )
        rows.append(row)
    path = _xlsx(tmp_path / "usage.xlsx", CP_CURRENT, rows)
    result = read_exports([path])
    _check_schema(result)
    (f,) = result.files
    assert (f.format, f.container, f.rows, f.records) == ("calling_plans_current", "xlsx", 3, 3)
    r = result.records
    assert r["charge_cents"].tolist() == [120, 10, 1200]
    assert r["connection_fee_cents"].tolist() == [5, 20, 0]
    assert r["duration_s"].tolist() == [219, 219, 219]
    assert r["start"].iloc[0] == pd.Timestamp("2019-11-01T08:30:01Z")
    assert r["source_row"].tolist() == [2, 3, 4]
    assert _money(result) == 125 + 30 + 1200


def test_xlsx_with_more_than_two_decimals_is_rejected(tmp_path):
    row = cp_row(1)
    row["Charge"] = 0.125
    path = _xlsx(tmp_path / "u.xlsx", CP_LEGACY, [row, cp_row(2)], notes_sheet=False)
    result = read_exports([path])
    assert (result.files[0].records, result.files[0].rejected) == (1, 1)
    assert "more than 2 decimals" in result.rejects["reason"].iloc[0]


# ---- zip exports ---------------------------------------------------------------------------


def test_current_zip_with_parameters(tmp_path):
    body = csv_text(CP_CURRENT, [cp_row(i) for i in range(4)])
    path = write_zip(
        tmp_path / "Export.callingplans.42.zip",
        {"callingplans.csv": body, "parameters.json": parameters_json("2019-10-15", "2019-11-14")},
    )
    result = read_exports([path])
    _check_schema(result)
    (f,) = result.files
    assert f.path == f"{path}!callingplans.csv"
    assert (f.container, f.records) == ("zip/csv", 4)
    assert f.exported_period == (dt.date(2019, 10, 15), dt.date(2019, 11, 14))
    assert result.records["source_file"].iloc[0] == f"{path}!callingplans.csv"
    assert _money(result) == 4 * 125


def test_legacy_zip_with_pstn_and_direct_routing_members(tmp_path):
    path = write_zip(
        tmp_path / "Calls.Export.7.zip",
        {
            "parameters.json": json.dumps({"filter": {"from": "2019-11-01", "to": "2019-11-30"}}),
            "PSTN.calls.2019-12-01.csv": csv_text(CP_LEGACY, [cp_row(i) for i in range(3)]),
            "DirectRouting.calls.2019-12-01.csv": csv_text(
                DR_LEGACY, [dr_row(i) for i in range(2)]
            ),
        },
    )
    result = read_exports([path])
    _check_schema(result)
    assert [f.format for f in result.files] == ["direct_routing_legacy", "calling_plans_legacy"]
    assert [f.records for f in result.files] == [2, 3]
    assert all(
        f.exported_period == (dt.date(2019, 11, 1), dt.date(2019, 11, 30)) for f in result.files
    )
    assert detect_format(path) == "direct_routing_legacy+calling_plans_legacy"
    assert result.records["kind"].value_counts().to_dict() == {
        "calling_plans": 3,
        "direct_routing": 2,
    }
    assert result.credit_spend() == {"USD": Decimal("3.75")}


# ---- Direct Routing --------------------------------------------------------------------------


@pytest.mark.parametrize(("header", "name"), [(DR_CURRENT, "current"), (DR_LEGACY, "legacy")])
def test_direct_routing_usage_without_money(tmp_path, header, name):
    rows = [dr_row(1), dr_row(2, success="No"), dr_row(3, call_type="dr_in_bot"), dr_row(1)]
    path = write_csv(tmp_path / "dr.csv", header, rows)
    result = read_exports([path])
    _check_schema(result)
    (f,) = result.files
    assert (f.format, f.rows, f.records, f.duplicates, f.rejected) == (
        f"direct_routing_{name}",
        4,
        3,
        1,
        0,
    )
    r = result.records
    assert (r["kind"] == "direct_routing").all()
    assert r["charge_cents"].isna().all() and r["connection_fee_cents"].isna().all()
    assert r["success"].tolist() == [True, False, True]
    # a failed call never started: its invite time places it
    assert r["start"].iloc[1] == pd.Timestamp("2019-11-03T10:02:00Z")
    assert r["usage_id"].iloc[0] == uid(1, "dddd")
    assert r["call_direction"].iloc[2] == "inbound"
    assert result.credit_spend() == {}


# ---- Microsoft Graph --------------------------------------------------------------------------


def test_graph_saved_pages_array_and_json_lines(tmp_path):
    rows = [graph_row(i, charge=c) for i, c in enumerate([0.07, 0.1, 0.2, 1e-2])]
    page1 = {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#...",
        "@odata.count": 2,
        "value": rows[:2],
        "@odata.nextLink": "https://graph.microsoft.com/v1.0/...&$skip=2",
    }
    (tmp_path / "p1.json").write_text(json.dumps(page1))
    (tmp_path / "p2.json").write_text(json.dumps({"value": rows[2:]}))
    result = read_exports([tmp_path / "p1.json", tmp_path / "p2.json"])
    _check_schema(result)
    assert [f.format for f in result.files] == ["graph_pstn", "graph_pstn"]
    assert result.records["charge_cents"].tolist() == [7, 10, 20, 1]
    assert result.records["source_row"].tolist() == [1, 2, 1, 2]
    assert _money(result) == 38 + 4 * 5

    (tmp_path / "all.json").write_text(json.dumps(rows))
    lines = "\n".join(json.dumps(r) for r in rows) + "\n"
    (tmp_path / "rows.jsonl").write_text(lines)
    for name, container in [("all.json", "json"), ("rows.jsonl", "jsonl")]:
        again = read_exports([tmp_path / name])
        assert again.files[0].container == container
        assert again.records["charge_cents"].tolist() == [7, 10, 20, 1]
        assert again.records["capability"].eq("MCOPSTNPP").all()
        assert again.records["duration_s"].tolist() == [39] * 4


def test_graph_documented_example_row(tmp_path):
    example = graph_row(
        0,
        charge=0.0,
        connection=0.0,
        callType="user_in",
        licenseCapability="MCOPSTNU",
        startDateTime="2019-11-01T00:00:08.2589935Z",
        endDateTime="2019-11-01T00:03:47.2589935Z",
        duration=219,
    )
    (tmp_path / "example.json").write_text(json.dumps({"value": [example]}))
    r = read_exports([tmp_path / "example.json"]).records
    assert r["capability"].iloc[0] == "MCOPSTNU"
    assert r["call_direction"].iloc[0] == "inbound"
    assert r["duration_s"].iloc[0] == 219
    assert r["end"].iloc[0] - r["start"].iloc[0] == pd.Timedelta(seconds=219)
    assert pd.isna(r["destination_context"].iloc[0])


def test_graph_jsonl_cut_off_last_line_is_rejected(tmp_path):
    rows = [graph_row(i) for i in range(3)]
    text = "\n".join(json.dumps(r) for r in rows)
    (tmp_path / "cut.jsonl").write_text(text[:-20])
    result = read_exports([tmp_path / "cut.jsonl"])
    _check_schema(result)
    (f,) = result.files
    assert (f.rows, f.records, f.rejected) == (3, 2, 1)
    assert result.rejects["source_row"].tolist() == [3]
    assert "not valid JSON" in result.rejects["reason"].iloc[0]


def test_graph_headers_csv_and_direct_routing(tmp_path):
    rows = [graph_row(i, charge=str(c)) for i, c in enumerate(["0.5", "1.25"])]
    path = write_csv(tmp_path / "graph.csv", GRAPH_PSTN, rows)
    result = read_exports([path])
    assert result.files[0].format == "graph_pstn"
    assert result.records["charge_cents"].tolist() == [50, 125]
    dr = [graph_dr_row(i) for i in range(3)]
    (tmp_path / "dr.json").write_text(json.dumps({"value": dr}))
    result = read_exports([tmp_path / "dr.json"])
    _check_schema(result)
    assert result.files[0].format == "graph_direct_routing"
    r = result.records
    assert r["usage_id"].tolist() == [uid(i, "dddd") for i in range(3)]
    assert r["success"].tolist() == [True] * 3
    assert r["call_direction"].tolist() == ["outbound"] * 3
    assert detect_format(write_csv(tmp_path / "drg.csv", GRAPH_DR, dr)) == "graph_direct_routing"


# ---- many files, overlaps, folders --------------------------------------------------------


def test_overlapping_exports_keep_first_occurrence(tmp_path):
    a = write_csv(tmp_path / "a.csv", CP_CURRENT, [cp_row(i) for i in range(10)])
    changed = [cp_row(i, charge="9.99") for i in range(5, 15)]
    b = write_csv(tmp_path / "b.csv", CP_LEGACY, changed)
    result = read_exports([a, b])
    _check_schema(result)
    assert [(f.records, f.duplicates) for f in result.files] == [(10, 0), (5, 5)]
    r = result.records.set_index("usage_id")
    assert r.loc[uid(5), "charge_cents"] == 120  # a.csv came first
    assert r.loc[uid(14), "charge_cents"] == 999
    assert _money(result) == 10 * 125 + 5 * 1004
    assert credit_cents(result.records).sum() == _money(result)


def test_folder_recursion_sorting_hidden_files_and_globs(tmp_path):
    (tmp_path / "2019" / ".cache").mkdir(parents=True)
    write_csv(tmp_path / "2019" / "b.csv", CP_CURRENT, [cp_row(2)])
    write_csv(tmp_path / "a.csv", CP_CURRENT, [cp_row(1), cp_row(2, charge="5.00")])
    write_csv(tmp_path / "2019" / ".cache" / "c.csv", CP_CURRENT, [cp_row(3)])
    (tmp_path / ".DS_Store").write_bytes(b"\x00\x01")
    (tmp_path / "2019" / "parameters.json").write_text(parameters_json())
    paths = expand_paths([tmp_path])
    assert paths == [tmp_path / "2019" / "b.csv", tmp_path / "a.csv"]
    result = read_exports([tmp_path])
    assert [(f.records, f.duplicates) for f in result.files] == [(1, 0), (1, 1)]
    assert result.files[0].exported_period == (dt.date(2019, 11, 1), dt.date(2019, 11, 30))
    assert result.files[1].exported_period is None
    assert result.records["charge_cents"].tolist() == [120, 120]
    assert expand_paths([str(tmp_path / "**" / "*.csv")]) == paths
    # a record id is unique per kind: a Direct Routing row may reuse a Calling Plans id
    write_csv(tmp_path / "dr.csv", DR_CURRENT, [dr_row(9, CorrelationId=uid(1))])
    assert len(read_exports([tmp_path / "a.csv", tmp_path / "dr.csv"]).records) == 3


# ---- damaged rows ---------------------------------------------------------------------------


def test_damaged_rows_are_rejected_with_reasons_and_never_lost(tmp_path):
    good = [cp_row(i) for i in range(6)]
    bad = [
        cp_row(10, **{"Start Time": "2019-11-31T99:00:00Z"}),
        cp_row(11, duration="-3"),
        cp_row(12, charge="1.2O"),
        cp_row(13, charge="1.20", currency=""),
        cp_row(14, UsageId=""),
        cp_row(15, charge="0.125"),
        cp_row(16, duration="12.5"),
    ]
    text = csv_text(CP_CURRENT, good[:3] + bad + good[3:])
    lines = text.split("\r\n")
    lines.insert(4, "short,row,only")  # too few fields in the middle
    lines.insert(5, ",".join(["x"] * 27))  # too many fields
    text = "\r\n".join(lines).rstrip("\r\n")
    text = text[: text.rfind(",") - 30]  # the last line is cut off
    (tmp_path / "damaged.csv").write_text(text)
    result = read_exports([tmp_path / "damaged.csv"])
    _check_schema(result)
    (f,) = result.files
    assert (f.rows, f.records, f.duplicates, f.rejected) == (15, 5, 0, 10)
    reasons = dict(zip(result.rejects["source_row"], result.rejects["reason"], strict=True))
    assert "too few fields: 3 of 25" in reasons[5]
    assert "too many fields: 27 of 25" in reasons[6]
    assert "Start Time '2019-11-31T99:00:00Z' is not a date-time" in reasons[7]
    assert "Duration Seconds '-3' is negative" in reasons[8]
    assert "Charge '1.2O' is not an amount of money" in reasons[9]
    assert "without a Currency" in reasons[10]
    assert "UsageId is empty" in reasons[11]
    assert "more than 2 decimals" in reasons[12]
    assert "not a whole number" in reasons[13]
    assert "too few fields" in reasons[16]
    assert result.records["source_row"].tolist() == [2, 3, 4, 14, 15]
    assert _money(result) == 5 * 125
    assert result.rejects["raw"].str.len().gt(0).all()


def test_zero_money_without_currency_is_kept(tmp_path):
    path = write_csv(
        tmp_path / "u.csv", CP_CURRENT, [cp_row(1, charge="0", fee="0.00", currency="")]
    )
    result = read_exports([path])
    assert (len(result.records), len(result.rejects)) == (1, 0)


def test_unterminated_quote_is_one_reject_spanning_its_lines(tmp_path):
    text = csv_text(CP_CURRENT, [cp_row(i) for i in range(5)])
    lines = text.split("\r\n")
    lines[3] = lines[3].replace("Richard Malk", '"Richard Malk', 1)
    (tmp_path / "q.csv").write_text("\r\n".join(lines))
    result = read_exports([tmp_path / "q.csv"])
    _check_schema(result)
    (f,) = result.files
    assert (f.rows, f.records, f.rejected) == (3, 2, 1)
    assert "unterminated quote" in result.rejects["reason"].iloc[0]
    assert result.rejects["source_row"].iloc[0] == 4


# ---- streaming -------------------------------------------------------------------------------


def test_streaming_matches_whole_file_reading(tmp_path):
    rows = [cp_row(i, charge=f"{i % 7}.{i % 100:02d}") for i in range(3000)]
    rows += [cp_row(i) for i in range(100, 150)]  # duplicates of earlier chunks
    text = csv_text(CP_CURRENT, rows).split("\r\n")
    for at in (700, 1900, 2600):
        text.insert(at, "cut,off")
    (tmp_path / "big.csv").write_text("\r\n".join(text))
    whole = read_exports([tmp_path / "big.csv"])
    stream = iter_records([tmp_path / "big.csv"], chunk_rows=500)
    chunks = list(stream)
    assert len(chunks) > 3
    streamed = pd.concat(chunks, ignore_index=True)
    pd.testing.assert_frame_equal(streamed, whole.records)
    (f,) = stream.files
    assert (f.rows, f.records, f.duplicates, f.rejected) == (3053, 3000, 50, 3)
    assert stream.rejects["source_row"].tolist() == [701, 1901, 2601]
    assert whole.rejects["source_row"].tolist() == [701, 1901, 2601]
    with pytest.raises(RuntimeError):
        list(stream)


# ---- not exports -------------------------------------------------------------------------------


def test_header_only_export_has_no_rows(tmp_path):
    path = write_csv(tmp_path / "none.csv", CP_CURRENT, [])
    result = read_exports([path])
    _check_schema(result)
    assert (result.files[0].rows, len(result.records), result.period) == (0, 0, None)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "the file is empty"),
        ("blank.csv", b"\r\n\r\n", "the file is empty"),
        ("other.csv", b"name,amount\nx,1\n", "missing column(s) UsageId"),
        ("almost.csv", (b"UsageId,Call Type,Start Time\nu,user_out,x\n"), "Charge"),
        ("garbage.bin", bytes(range(256)) * 4, "binary file"),
        ("fake.xlsx", csv_text(CP_CURRENT, [cp_row(1)]).encode(), "not an Excel workbook"),
        ("fake.zip", b"hello", "not a zip archive"),
        ("noise.xlsx", bytes(range(256)) * 4, "it is binary data"),
        ("old.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "old binary Excel"),
        ("page.json", b'{"value": [{"id": "1"', "not valid JSON"),
        ("other.json", b'{"@odata.context": "x", "value": [{"a": 1}]}', "missing column(s)"),
        ("damaged.zip", b"PK\x03\x04" + b"\x00" * 40, "zip"),
    ],
)
def test_not_an_export_raises_input_error(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        read_exports([path])
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_path_and_empty_folder(tmp_path):
    with pytest.raises(InputError, match="no such file or folder"):
        read_exports([tmp_path / "nope.csv"])
    with pytest.raises(InputError, match="no file matches"):
        read_exports([str(tmp_path / "*.csv")])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="folder holds no files"):
        read_exports([tmp_path / "empty"])


def test_zip_holding_no_export(tmp_path):
    path = write_zip(tmp_path / "x.zip", {"parameters.json": parameters_json()})
    with pytest.raises(InputError, match="holds no usage export"):
        read_exports([path])
    path = write_zip(tmp_path / "y.zip", {"notes.csv": "a,b\n1,2\n"})
    with pytest.raises(InputError, match=r"y\.zip!notes\.csv: not a usage export"):
        read_exports([path])


def test_xlsx_without_an_export_sheet(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["Name", "Amount"])
    book.save(tmp_path / "x.xlsx")
    with pytest.raises(InputError, match="not a usage export"):
        read_exports([tmp_path / "x.xlsx"])


# ---- small pieces -----------------------------------------------------------------------------


def test_read_parameters_shapes():
    assert read_parameters(parameters_json("2019-01-01", "2019-03-31")) == (
        dt.date(2019, 1, 1),
        dt.date(2019, 3, 31),
    )
    assert read_parameters(
        '{"fromDateTime": "2020-02-01T00:00:00Z", "toDateTime": "2020-02-29"}'
    ) == (
        dt.date(2020, 2, 1),
        dt.date(2020, 2, 29),
    )
    exclusive = '{"startDate": "2025-10-01T00:00:00Z", "endDate": "2026-01-01T00:00:00Z"}'
    assert read_parameters(exclusive) == (dt.date(2025, 10, 1), dt.date(2025, 12, 31))
    assert read_parameters('{"tenant": "x"}') is None
    assert read_parameters("not json") is None


def test_file_report_validates_counts():
    with pytest.raises(ValueError, match="rows"):
        FileReport(path="x", format="csv", rows=-1)


def test_graph_and_admin_center_overlap_with_ids_in_other_case(tmp_path):
    (tmp_path / "graph.json").write_text(json.dumps({"value": [graph_row(i) for i in range(3)]}))
    rows = [cp_row(i, UsageId=uid(i).upper()) for i in range(1, 4)]
    csv_path = write_csv(tmp_path / "admin.csv", CP_CURRENT, rows)
    result = read_exports([tmp_path / "graph.json", csv_path])
    _check_schema(result)
    assert [(f.records, f.duplicates) for f in result.files] == [(3, 0), (1, 2)]
    assert result.records["usage_id"].iloc[-1] == uid(3).upper()


def test_cp1252_byte_beyond_the_sniffed_sample(tmp_path):
    rows = [cp_row(i) for i in range(4000)]
    rows.append(cp_row(5000, **{"User Display Name": "Zoé"}))
    path = write_csv(tmp_path / "late.csv", CP_CURRENT, rows, delimiter=";", encoding="cp1252")
    assert path.stat().st_size > 1 << 20
    result = read_exports([path])
    assert (result.files[0].records, result.files[0].encoding) == (4001, "cp1252")
    assert result.records["user_display_name"].iloc[-1] == "Zoé"


def test_excel_unicode_text_utf16_tab_separated(tmp_path):
    text = csv_text(CP_LEGACY, [cp_row(1, charge="2,50"), cp_row(2)], delimiter="\t")
    path = tmp_path / "unicode.txt"
    path.write_bytes(text.encode("utf-16"))
    result = read_exports([path])
    assert (result.files[0].container, result.files[0].encoding) == ("tsv", "utf-16")
    assert result.records["charge_cents"].tolist() == [250, 120]


def test_xlsx_header_below_a_title_and_phone_numbers_as_numbers(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "PSTN usage"
    sheet.append(["PSTN and SMS usage, Calling Plans"])
    sheet.append([])
    sheet.append(CP_LEGACY)
    row = cp_row(1)
    row.update({"Caller ID": 14255550100, "Charge": 3, "Connection Fee": 0.1})
    sheet.append([row[h] for h in CP_LEGACY])
    book.save(tmp_path / "titled.xlsx")
    result = read_exports([tmp_path / "titled.xlsx"])
    r = result.records
    assert (result.files[0].format, r["source_row"].tolist()) == ("calling_plans_legacy", [4])
    assert r["caller_number"].iloc[0] == "14255550100"
    assert (r["charge_cents"].iloc[0], r["connection_fee_cents"].iloc[0]) == (300, 10)


def test_english_excel_text_times_without_zone_are_utc_month_first(tmp_path):
    rows = [cp_row(1, **{"Start Time": "11/2/2019 8:30", "End Time": "11/2/2019 8:35"})]
    path = write_csv(tmp_path / "en.csv", CP_CURRENT, rows)
    r = read_exports([path]).records
    assert r["start"].iloc[0] == pd.Timestamp("2019-11-02T08:30:00Z")
    assert r["end"].iloc[0] == pd.Timestamp("2019-11-02T08:35:00Z")
