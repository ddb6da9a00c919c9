"""More hostile input: dates no call can have, a French Excel's text dates and serial numbers
in a workbook, a stray NUL byte near the top of an export, a note beside the export in its zip,
a balance file with sub-cent or long-expired lots, option bounds. Each ends in records and
reasoned rejects, or in one line (in the run's language) and exit 2."""

from __future__ import annotations

import datetime as dt
import importlib

import openpyxl
import pandas as pd
import pytest

from planner import text
from planner.cli import main
from planner.collect.fetch import fetch
from planner.errors import InputError
from planner.ingest import read_exports
from planner.inputs import check_lots, read_lots
from tests.fixtures.graph.fake_graph import CLIENT_ID, SECRET, TENANT, CallRows, FakeGraph
from tests.fixtures.ingest.build import CP_CURRENT, cp_row, csv_text, write_csv, write_zip
from tests.graph_helpers import (  # noqa: F401 (fixtures)
    env_fixture,
    fetch_argv,
    graph_client,
    serve,
    tls_fixture,
)

# the module (``planner.ingest.convert`` is also the name of its function)
convert_module = importlib.import_module("planner.ingest.convert")

T0 = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
GRAPH_ROWS = CallRows.generate(30, T0 - dt.timedelta(days=5), T0, seed=2)


def _balanced(result) -> None:
    for f in result.files:
        assert f.rows == f.records + f.duplicates + f.rejected, f


def _one_line_error(capsys, code: int, fragment: str) -> str:
    err = capsys.readouterr().err
    assert code == 2, err
    assert fragment in err, err
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


# ---- dates no call can have -----------------------------------------------------------------


def _timed(i: int, start: str) -> dict[str, str]:
    return cp_row(i, **{"Start Time": start, "End Time": start})


def test_calls_in_the_future_or_before_2010_are_rejected_with_their_reason(tmp_path):
    rows = [
        cp_row(1),
        _timed(2, "2099-01-01T00:00:00Z"),  # one such row made a plan for the year 2099
        _timed(3, "1900-01-01T00:00:00Z"),  # an empty Excel date: a 126-year demand series
        cp_row(4),
    ]
    result = read_exports(write_csv(tmp_path / "t.csv", CP_CURRENT, rows))
    _balanced(result)
    assert result.records["source_row"].tolist() == [2, 5]
    reasons = dict(zip(result.rejects["source_row"], result.rejects["reason"], strict=True))
    assert "is in the future" in reasons[3]
    assert "before 2010" in reasons[4]
    assert result.period == (dt.date(2019, 11, 1), dt.date(2019, 11, 1))


def test_the_future_is_measured_from_today(tmp_path, monkeypatch):
    monkeypatch.setattr(convert_module, "_today", lambda: dt.date(2019, 10, 1))
    result = read_exports(write_csv(tmp_path / "t.csv", CP_CURRENT, [cp_row(1), cp_row(2)]))
    assert len(result.records) == 0
    assert "is in the future" in result.rejects["reason"].iloc[0]


def test_a_plan_is_never_made_for_a_year_a_damaged_row_names(tmp_path, capsys):
    rows = [cp_row(i, day=1 + i % 28) for i in range(1, 60)] + [_timed(99, "2099-06-01T10:00Z")]
    path = write_csv(tmp_path / "t.csv", CP_CURRENT, rows)
    out = tmp_path / "d.csv"
    assert main(["demand", str(path), "--out", str(out)]) == 0
    days = pd.read_csv(out)["date"]
    assert days.max() < "2020-01-01"  # not a series running to 2099


# ---- text dates and serial numbers from Excel -----------------------------------------------


def _workbook(path, rows: list[list]) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(CP_CURRENT)
    for row in rows:
        ws.append(row)
    book.save(path)


def _cells(row: dict[str, str], **cells) -> list:
    return [cells.get(h, row[h]) for h in CP_CURRENT]


def test_day_first_text_dates_in_a_workbook_are_read_day_first(tmp_path):
    # a French Excel's .xlsx holding the times as text: 14/10 can only be day first, so the
    # ambiguous 01/10 of the same column is 1 October too, never 10 January
    rows = [
        _cells(cp_row(1), **{"Start Time": "01/10/2025 09:46", "End Time": "01/10/2025 09:48"}),
        _cells(cp_row(2), **{"Start Time": "14/10/2025 07:04", "End Time": "14/10/2025 07:13"}),
    ]
    _workbook(tmp_path / "fr.xlsx", rows)
    result = read_exports(tmp_path / "fr.xlsx")
    _balanced(result)
    assert result.rejects.empty
    starts = [t.strftime("%Y-%m-%d %H:%M") for t in result.records["start"]]
    assert starts == ["2025-10-01 09:46", "2025-10-14 07:04"]


def test_month_first_text_dates_stay_month_first(tmp_path):
    rows = [
        cp_row(1, **{"Start Time": "10/01/2025 09:46", "End Time": "10/01/2025 09:48"}),
        cp_row(2, **{"Start Time": "10/14/2025 07:04", "End Time": "10/14/2025 07:13"}),
    ]
    result = read_exports(write_csv(tmp_path / "us.csv", CP_CURRENT, rows))
    starts = [t.strftime("%Y-%m-%d") for t in result.records["start"]]
    assert starts == ["2025-10-01", "2025-10-14"]


def test_excel_serial_numbers_in_a_workbook_are_dates(tmp_path):
    # a re-saved workbook whose time cells lost their format: 45931.40728 is 2025-10-01 09:46:29
    serial = 45931 + (9 * 3600 + 46 * 60 + 29) / 86400
    rows = [_cells(cp_row(1), **{"Start Time": serial, "End Time": serial + 101 / 86400})]
    _workbook(tmp_path / "serial.xlsx", rows)
    result = read_exports(tmp_path / "serial.xlsx")
    assert result.rejects.empty
    start = result.records["start"].iloc[0]
    assert start.strftime("%Y-%m-%d %H:%M:%S") == "2025-10-01 09:46:29"


def test_a_number_outside_excels_dates_is_still_refused(tmp_path):
    rows = [cp_row(1, **{"Start Time": "12"}), cp_row(2)]
    result = read_exports(write_csv(tmp_path / "n.csv", CP_CURRENT, rows))
    assert "'12' is not a date-time" in result.rejects["reason"].iloc[0]


# ---- a stray NUL byte, a note beside the export ---------------------------------------------


def test_a_nul_byte_in_the_first_rows_rejects_that_row_not_the_file(tmp_path):
    rows = [cp_row(i) for i in range(1, 6)]
    rows[1]["User Display Name"] = "Rich\x00ard"
    rows[2]["Charge"] = "1\x000"  # would read 10 with the NUL dropped
    path = tmp_path / "nul.csv"
    path.write_bytes(csv_text(CP_CURRENT, rows).encode())
    result = read_exports(path)
    _balanced(result)
    assert result.files[0].rows == 5
    assert 10 * 100 not in result.records["charge_cents"].tolist()
    assert 4 not in result.records["source_row"].tolist()


def test_a_binary_file_is_still_refused(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(bytes(range(256)) * 64)
    with pytest.raises(InputError, match="binary file"):
        read_exports(path)


def test_a_note_beside_the_export_in_its_zip_is_skipped_as_in_a_folder(tmp_path, caplog):
    text_csv = csv_text(CP_CURRENT, [cp_row(1), cp_row(2)])
    path = write_zip(tmp_path / "x.zip", {"PSTN.calls.csv": text_csv, "README.txt": "Exported\n"})
    with caplog.at_level("WARNING", logger="planner"):
        result = read_exports(path)
    assert len(result.records) == 2
    assert "x.zip!README.txt: not a usage export" in caplog.text
    assert [p for p, _ in result.skipped] == [f"{path}!README.txt"]


def test_a_zip_of_notes_only_is_still_refused(tmp_path):
    path = write_zip(tmp_path / "x.zip", {"README.txt": "Exported\n"})
    with pytest.raises(InputError, match="no usage export"):
        read_exports(path)


def test_a_damaged_csv_in_a_zip_is_not_skipped(tmp_path):
    good = csv_text(CP_CURRENT, [cp_row(1)])
    path = write_zip(tmp_path / "x.zip", {"a.csv": good, "b.csv": "UsageId,Charge\nx,1\n"})
    with pytest.raises(InputError, match=r"x\.zip!b\.csv: not a usage export"):
        read_exports(path)


# ---- links and wide encodings ---------------------------------------------------------------


def test_a_symlink_loop_is_named_as_such(tmp_path, capsys):
    (tmp_path / "a.csv").symlink_to(tmp_path / "b.csv")
    (tmp_path / "b.csv").symlink_to(tmp_path / "a.csv")
    code = main(["ingest", str(tmp_path / "a.csv")])
    _one_line_error(capsys, code, "a symbolic link that leads nowhere (Too many levels")


@pytest.mark.parametrize(
    ("encoding", "fragment"),
    [("utf-16-le", "UTF-16 text without its byte order mark"), ("utf-32", "UTF-32 text")],
)
def test_wide_text_without_a_mark_is_named(tmp_path, encoding, fragment):
    path = tmp_path / "w.csv"
    path.write_bytes(csv_text(CP_CURRENT, [cp_row(1)]).encode(encoding))
    with pytest.raises(InputError, match=fragment):
        read_exports(path)


def test_not_an_export_is_one_french_line(tmp_path, capsys):
    path = tmp_path / "notes.csv"
    path.write_text("Report,of,calls\n1,2,3\n")
    code = main(["demand", str(path), "--lang", "fr"])
    err = _one_line_error(capsys, code, "l'en-tête (Report, of, calls) ne correspond à aucun")
    assert "pas un export d'utilisation" in err
    assert "le plus proche est calling_plans_current" in err and "closest" not in err


def test_a_skipped_note_is_named_in_french(tmp_path, capsys):
    write_csv(tmp_path / "a.csv", CP_CURRENT, [cp_row(1)])
    (tmp_path / "README.txt").write_text("notes\n")
    assert main(["ingest", str(tmp_path), "--lang", "fr"]) == 0
    err = capsys.readouterr().err
    assert "ignoré" in err and "ne correspond à aucun format connu" in err
    assert "closest" not in err and "le plus proche" not in err  # the short reason


# ---- all rows rejected, in French -----------------------------------------------------------


@pytest.mark.parametrize("with_file", [False, True])
def test_all_rows_rejected_is_one_french_line(tmp_path, capsys, with_file):
    rows = [cp_row(1, **{"Start Time": "x"}), cp_row(2, **{"Start Time": "y"})]
    path = write_csv(tmp_path / "a.csv", CP_CURRENT, rows)
    extra = ["--rejects", str(tmp_path / "r.csv")] if with_file else []
    code = main(["ingest", str(path), "--lang", "fr", *extra])
    err = _one_line_error(capsys, code, "toutes été rejetées")
    assert "reasons in" not in err and "use --rejects" not in err and "see why" not in err


def test_the_summary_names_the_rejects_file_given(tmp_path, capsys):
    rows = [cp_row(1, **{"Start Time": "x"}), cp_row(2)]
    path = write_csv(tmp_path / "a.csv", CP_CURRENT, rows)
    rejects = tmp_path / "r.csv"
    assert main(["ingest", str(path), "--rejects", str(rejects)]) == 0
    out = capsys.readouterr().out
    assert f"reasons in {rejects}" in out and "--rejects FILE" not in out


# ---- the balance file ---------------------------------------------------------------------


def test_a_lot_below_the_cent_is_refused(tmp_path):
    path = tmp_path / "lots.csv"
    path.write_text("purchase_date,amount\n2025-11-05,295.185\n")
    with pytest.raises(InputError, match=r"line 2: .*295\.185.* more than 2 decimals"):
        read_lots(path)


def test_a_decimal_comma_lot_is_read_exactly(tmp_path):
    path = tmp_path / "lots.csv"
    path.write_text("purchase_date;amount\n05/11/2025;295,18\n")
    lots = read_lots(path)
    assert lots["amount"].tolist() == [295.18]
    assert lots["purchase_date"].tolist() == [pd.Timestamp("2025-11-05")]


def test_an_expired_lot_is_named_in_the_runs_language(tmp_path):
    path = tmp_path / "lots.csv"
    path.write_text("purchase_date,amount\n2020-01-01,295.18\n2026-10-01,100\n")
    lots = read_lots(path)
    with text.language("fr"):
        kept, warnings = check_lots(lots, "2026-11-02")
    assert kept["amount"].tolist() == [100.0]
    (warning,) = warnings
    assert "expiré" in warning and "expired" not in warning and "295,18" in warning


# ---- option bounds --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "value", "fragment"),
    [
        ("--scenarios", "999999999", "is beyond"),
        ("--scenarios", "-999999999", "is beyond"),
        ("--lead-days", "-999999", "must be between 0 and 60"),
    ],
)
def test_a_huge_count_names_only_the_limit(tmp_path, capsys, option, value, fragment):
    demand = tmp_path / "d.csv"
    demand.write_text("date,amount\n2024-01-01,1\n")
    code = main(["recommend", "--demand", str(demand), option, value])
    err = _one_line_error(capsys, code, fragment)
    assert "-20,000" not in err and "-100,000" not in err  # never a negative count offered


# ---- Graph: a token refused mid-way -------------------------------------------------------


def _refuse_token(fake, requests: set[int]) -> None:
    """Make ``fake`` answer 401 (an expired or revoked token) to the data ``requests``."""
    answer = fake._answer

    def refused(path, query, auth, n, stormy):
        if n in requests:
            body = {"error": {"code": "InvalidAuthenticationToken", "message": "expired"}}
            return 401, body
        return answer(path, query, auth, n, stormy)

    fake._answer = refused


def test_a_token_refused_mid_fetch_is_renewed_once(tmp_path, tls, env):
    fake = FakeGraph(GRAPH_ROWS, today=T0, page_size=10)
    _refuse_token(fake, {2})
    with serve(fake, tls):
        client = graph_client(fake, [])
        result = fetch(tmp_path / "s", client, since=T0 - dt.timedelta(days=5), until=T0)
    assert result.records_added == 30
    assert client.counters.sign_ins == 2 and len(fake.forms) == 2


def test_a_token_refused_again_is_one_line_naming_the_permission(tmp_path, tls, env, capsys):
    fake = FakeGraph(GRAPH_ROWS, today=T0, page_size=10)
    _refuse_token(fake, set(range(2, 99)))
    with serve(fake, tls):
        code = main(
            fetch_argv(fake, tmp_path / "s", "--since", "2026-05-27", "--until", "2026-06-01")
        )
    err = _one_line_error(capsys, code, "CallRecords.Read.All")
    assert SECRET not in err and "tok-" not in err
    assert len(fake.forms) == 2  # one renewal, not one per retry


@pytest.mark.parametrize(
    "url", ["https://admin:Pa55word@graph.example", "https://graph.example/?sig=Pa55word"]
)
def test_a_credential_pasted_into_an_address_is_not_echoed(tmp_path, capsys, monkeypatch, url):
    monkeypatch.setenv("PLANNER_CLIENT_SECRET", "x")
    code = main(["fetch", "--store", str(tmp_path / "s"), "--tenant-id", TENANT,
                 "--client-id", CLIENT_ID, "--graph-url", url])  # fmt: skip
    err = _one_line_error(capsys, code, "give an https:// address")
    assert "Pa55word" not in err and "***" in err


def test_an_unknown_plan_lists_pay_as_you_go_once(tmp_path):
    from planner.inputs import read_licences

    path = tmp_path / "lic.csv"
    path.write_text("plan,country,users\nXYZ,US,10\n")
    with pytest.raises(InputError) as err:
        read_licences(path)
    assert str(err.value).count("PAYG") == 1


def test_alerts_since_after_the_data_is_not_an_ok(tmp_path, capsys):
    # a --since in the wrong year reported "OK no high alert in 2099-01-01 to 2019-11-28"
    rows = [cp_row(i, day=1 + i % 28) for i in range(1, 40)]
    path = write_csv(tmp_path / "a.csv", CP_CURRENT, rows)
    code = main(["alerts", str(path), "--since", "2099-01-01"])
    _one_line_error(capsys, code, "is after the last day of the data (2019-11-28)")
    assert main(["alerts", str(path), "--since", "2019-11-28"]) in (0, 3)


@pytest.mark.parametrize(
    ("command", "option"), [("simulate", "--recharge-amount"), ("recommend", "--monthly-budget")]
)
def test_an_amount_option_below_the_cent_is_refused(tmp_path, capsys, command, option):
    # simulate read --recharge-amount 50.555 as $50.56 without a word
    demand = tmp_path / "d.csv"
    demand.write_text("date,amount\n2024-01-01,1\n2024-01-02,2\n")
    extra = ["--threshold", "10", "--initial", "0"] if command == "simulate" else []
    code = main([command, "--demand", str(demand), option, "50.555", *extra])
    _one_line_error(capsys, code, "'50.555' has more than 2 decimals")
