"""Hostile input, third round: a title above an export's header, a column given twice, option
bounds a script can read (workers, lead time, alert runway), a Graph page that is not JSON or
is cut off; money in a spreadsheet's currency format, mistyped years, a side file's title or
``sep=`` line, a JSON property given twice, a licence file that would go unused. Each ends in
records with every row accounted for, or in one line and exit 2."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import logging
import time

import openpyxl
import pandas as pd
import pytest

from planner import text
from planner.cli import main
from planner.collect import graph
from planner.collect.fetch import fetch
from planner.commands import recommend as recommend_command
from planner.errors import InputError
from planner.ingest import read_exports
from planner.ingest.parts import ABOVE_HEADER, HEADER_AGAIN
from planner.inputs import read_licences, read_lots, read_rates
from planner.plan import PlanRequest
from tests.fixtures.graph.fake_graph import SECRET, CallRows, FakeGraph
from tests.fixtures.ingest.build import CP_CURRENT, cp_row, csv_text, graph_row, write_csv
from tests.graph_helpers import (  # noqa: F401 (fixtures)
    env_fixture,
    fetch_argv,
    graph_client,
    serve,
    tls_fixture,
)
from tests.test_fuzz_collect import _Response, _Session
from tests.test_hostile_more import _balanced, _one_line_error

T0 = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
GRAPH_ROWS = CallRows.generate(30, T0 - dt.timedelta(days=5), T0, seed=2)


# ---- lines above the header -----------------------------------------------------------------


def test_a_title_and_blank_lines_above_the_header_are_skipped_and_accounted_for(tmp_path, caplog):
    body = csv_text(CP_CURRENT, [cp_row(1), cp_row(2)])
    path = tmp_path / "usage.csv"
    path.write_text("PSTN usage report - Contoso\n\nExported 2026-06-01,,,\n" + body)
    with caplog.at_level(logging.WARNING, logger="planner"):
        result = read_exports(path)
    _balanced(result)
    assert len(result.records) == 2
    # the rows keep their true line numbers: title 1, blank 2, note 3, header 4
    assert result.records["source_row"].tolist() == [5, 6]
    rejects = result.rejects
    assert rejects["source_row"].tolist() == [1, 3]  # a blank line is not a row
    assert set(rejects["reason"]) == {ABOVE_HEADER}
    assert rejects["raw"].tolist() == ["PSTN usage report - Contoso", "Exported 2026-06-01,,,"]
    assert result.files[0].rows == 4 and result.files[0].rejected == 2
    assert "2 lines above the header skipped ('PSTN usage report - Contoso'" in caplog.text


def test_a_french_excel_file_with_a_sep_line_and_a_title_is_read(tmp_path):
    body = csv_text(CP_CURRENT, [cp_row(1, charge="0,99")], delimiter=";")
    path = tmp_path / "fr.csv"
    path.write_bytes(("sep=;\r\nRapport d'utilisation RTC\r\n" + body).encode("cp1252"))
    result = read_exports(path)
    _balanced(result)
    assert result.records["charge_cents"].tolist() == [99]
    assert result.rejects["source_row"].tolist() == [2]  # the sep= line is no title


def test_the_header_is_looked_for_in_the_first_ten_lines_only(tmp_path):
    body = csv_text(CP_CURRENT, [cp_row(1)])
    near, far = tmp_path / "near.csv", tmp_path / "far.csv"
    near.write_text("title\n" * 10 + body)
    far.write_text("title\n" * 11 + body)
    assert len(read_exports(near).records) == 1
    with pytest.raises(InputError, match=r"the header \(title\) matches no known format"):
        read_exports(far)


def test_a_file_without_any_header_keeps_its_error(tmp_path, capsys):
    path = tmp_path / "notes.csv"
    path.write_text("PSTN usage report - Contoso\n\nnothing,to,see\n1,2,3\n")
    code = main(["ingest", str(path)])
    _one_line_error(capsys, code, "the header (PSTN usage report - Contoso) matches no known")


def test_a_demand_file_is_still_named_as_such(tmp_path, capsys):
    path = tmp_path / "demand.csv"
    path.write_text("date,amount\n2026-01-01,10\n")
    code = main(["ingest", str(path)])
    _one_line_error(capsys, code, "did you mean --demand?")


def test_a_workbook_title_row_is_accounted_for(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["PSTN usage report - Contoso"])
    sheet.append([])
    sheet.append(CP_CURRENT)
    sheet.append([cp_row(1)[h] for h in CP_CURRENT])
    book.save(tmp_path / "usage.xlsx")
    result = read_exports(tmp_path / "usage.xlsx")
    _balanced(result)
    assert result.records["source_row"].tolist() == [4]
    assert result.rejects[["source_row", "reason"]].values.tolist() == [[1, ABOVE_HEADER]]


def test_ingest_json_counts_the_title_among_the_rejected_rows(tmp_path, capsys):
    path = tmp_path / "usage.csv"
    path.write_text("Usage report\n" + csv_text(CP_CURRENT, [cp_row(1)]))
    assert main(["ingest", str(path), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert (doc["rows"], doc["records"], doc["rejected"]) == (2, 1, 1)


# ---- a column given twice -------------------------------------------------------------------


def _with_copy(path, header: str, copies: list[str], copy_name: str | None = None):
    """An export whose column ``header`` is given again at the end, holding ``copies``."""
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow([*CP_CURRENT, copy_name or header])
    for i, value in enumerate(copies, start=1):
        row = cp_row(i)
        out.writerow([row[h] for h in CP_CURRENT] + [value])
    path.write_text(buf.getvalue())
    return path


def test_a_column_copied_with_the_same_values_is_read_once_with_a_note(tmp_path, caplog):
    path = _with_copy(tmp_path / "t.csv", "Charge", ["1.20", " 1.20 "])
    with caplog.at_level(logging.WARNING, logger="planner"):
        result = read_exports(path)
    _balanced(result)
    assert result.records["charge_cents"].tolist() == [120, 120]
    assert "the column 'Charge' appears 2 times with the same values" in caplog.text


@pytest.mark.parametrize("copy_name", ["Charge", "charge", "CHARGE "])
def test_a_column_copied_with_other_values_is_refused_naming_it(tmp_path, capsys, copy_name):
    path = _with_copy(tmp_path / "t.csv", "Charge", ["1.20", "9.99"], copy_name)
    code = main(["ingest", str(path)])
    err = _one_line_error(capsys, code, "the column 'Charge' appears 2 times, with different")
    assert "(row 3: '1.20' and '9.99')" in err


def test_a_copy_that_is_empty_where_the_first_holds_a_value_differs(tmp_path):
    path = _with_copy(tmp_path / "t.csv", "UsageId", ["", ""])
    with pytest.raises(InputError, match="row 2: '00000001-6c3c.* and empty"):
        read_exports(path)


def test_a_column_the_planner_does_not_read_may_be_given_twice(tmp_path):
    rows = [{**cp_row(1), "Notes": "a"}]
    path = tmp_path / "t.csv"
    path.write_text(csv_text([*CP_CURRENT, "Notes"], rows).replace("Notes", "Notes,Notes", 1)
                    .replace(",a\n", ",a,b\n").replace(",a\r\n", ",a,b\r\n"))  # fmt: skip
    result = read_exports(path)
    assert len(result.records) == 1 and len(result.rejects) == 0


def test_the_copy_error_is_french_in_a_french_run(tmp_path, capsys):
    path = _with_copy(tmp_path / "t.csv", "Charge", ["1.20", "9.99"])
    code = main(["ingest", str(path), "--lang", "fr"])
    _one_line_error(capsys, code, "la colonne 'Charge' figure 2 fois, avec des valeurs")


# ---- option bounds --------------------------------------------------------------------------


@pytest.mark.parametrize("workers", ["100000", "0", "-3"])
def test_batch_workers_name_a_sensible_range(tmp_path, capsys, workers):
    tenants = tmp_path / "t.yaml"
    tenants.write_text("tenants:\n  - {name: a, exports: x}\n")
    code = main(["batch", str(tenants), "--out", str(tmp_path / "o"), "--workers", workers])
    _one_line_error(capsys, code, f"worker count '{workers}' must be between 1 and 256")


@pytest.fixture(name="demand")
def demand_fixture(tmp_path):
    days = [dt.date(2026, 1, 1) + dt.timedelta(days=i) for i in range(120)]
    path = tmp_path / "demand.csv"
    path.write_text("date,amount\n" + "".join(f"{d},10\n" for d in days))
    return path


@pytest.mark.parametrize(
    ("command", "option", "value", "fragment"),
    [
        ("recommend", "--lead-days", "99999", "lead time in days '99999' must be between 0 and 60"),
        ("recommend", "--lead-days", "-1", "must be between 0 and 60"),
        ("recommend", "--alert-days", "100000", "alert runway in days '100000' must be between 0 and 365"),
        ("simulate", "--lead-days", "61", "must be between 0 and 60"),
    ],
)  # fmt: skip
def test_lead_and_alert_days_have_plausible_ranges(
    demand, capsys, command, option, value, fragment
):
    extra = ["--initial", "100", "--recharge-amount", "50", "--threshold", "10"]
    argv = [command, "--demand", str(demand), option, value]
    code = main(argv + (extra if command == "simulate" else []))
    _one_line_error(capsys, code, fragment)


def test_report_alert_days_is_refused_before_any_notebook_runs(tmp_path, capsys):
    out = tmp_path / "reports"
    code = main(["report", "exports/", "--out", str(out), "--alert-days", "400"])
    _one_line_error(capsys, code, "must be between 0 and 365")
    assert not out.exists()


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"lead_days": 99999}, "lead time (--lead-days, lead_days): must be between 0 and 60"),
        ({"lead_days": -1}, "lead time (--lead-days, lead_days)"),
        ({"alert_days": 100000}, "alert runway (--alert-days, alert_days): must be between 0 and"),
        ({"alert_days": -5}, "alert runway (--alert-days, alert_days)"),
    ],
)
def test_a_notebook_or_tenants_file_gets_the_same_ranges(params, fragment):
    with pytest.raises(InputError) as caught:
        PlanRequest.from_params(params)
    assert fragment in str(caught.value)


def test_the_ranges_speak_french():
    with text.language("fr"), pytest.raises(InputError, match="délai .* entre 0 et 60 jours"):
        PlanRequest.from_params({"lead_days": 61})


def test_the_edges_of_the_ranges_are_accepted():
    request = PlanRequest.from_params({"lead_days": 60, "alert_days": 365})
    assert (request.options.lead_days, request.options.alert_days) == (60, 365)
    request = PlanRequest.from_params({"lead_days": 0, "alert_days": 0})
    assert (request.options.lead_days, request.options.alert_days) == (0, 0)


# ---- Graph pages that are not JSON, or cut off ----------------------------------------------


HTML = b"<html><body>Proxy sign-in required</body></html>"


class _Pages(_Session):
    """Answers 200 with the bodies given in turn, then an empty page; counts the requests."""

    def __init__(self, *bodies: bytes):
        super().__init__([_Response(200, body, {}) for body in bodies])
        self.requests = 0

    def get(self, url, **kwargs):
        self.requests += 1
        return super().get(url, **kwargs)


def _client(session: _Pages, waits: list[float]) -> graph.GraphClient:
    client = graph.GraphClient(
        graph.AppCredential("t", "c", secret="zz-secret-zz"),
        authority="https://login.example",
        graph_url="https://graph.example",
        session=session,  # type: ignore[arg-type]
        sleep=waits.append,
    )
    client.token = lambda: "tok"  # type: ignore[method-assign]
    return client


def test_a_page_that_is_not_json_is_asked_again_twice_then_ends_the_window():
    session, waits = _Pages(*[HTML] * 10), []
    client = _client(session, waits)
    with pytest.raises(graph.GraphError) as caught:
        list(client.pages("getPstnCalls", T0 - dt.timedelta(days=1), T0))
    message = str(caught.value)
    assert "3 times in a row for getPstnCalls 2026-05-31T00:00:00Z..2026-06-01T00:00:00Z" in message
    assert "it begins '<html><body>Proxy sign-in required</body'" in message
    # not eight retries over 3 minutes (the pacer may count a little of a wait as gone)
    assert session.requests == 3 and len(waits) == 2 and sum(waits) <= 3


def test_one_page_that_is_not_json_then_a_good_one_is_a_passing_fault():
    session, waits = _Pages(HTML, b'{"value": [{"id": "a"}]}'), []
    rows = list(_client(session, waits).pages("getPstnCalls", T0 - dt.timedelta(days=1), T0))
    assert rows == [[{"id": "a"}]] and len(waits) == 1 and waits[0] <= 1


def test_fetch_against_a_proxy_page_is_one_line_within_seconds(tmp_path, tls, env, capsys):
    fake = FakeGraph(GRAPH_ROWS, today=T0, attack="body-html")
    store = tmp_path / "store"
    with serve(fake, tls):
        started = time.monotonic()
        code = main(fetch_argv(fake, store, "--since", "2026-05-27", "--until", "2026-06-01"))
        elapsed = time.monotonic() - started
    captured = capsys.readouterr()
    lines = [x for x in captured.err.strip().splitlines() if "warning: Graph answered" not in x]
    assert code == 2 and len(lines) == 1 and "Traceback" not in captured.err, captured.err
    assert "with a page that is not JSON" in lines[0] and "a proxy's" in lines[0]
    assert SECRET not in captured.err + captured.out
    assert fake.data_requests <= 3 * 4  # each of the (at most four) windows asks three times
    assert elapsed < 60  # 1 + 2 seconds of waits, not minutes


def test_a_page_cut_off_by_a_broken_connection_is_retried_not_a_traceback(tmp_path, tls, env):
    fake = FakeGraph(GRAPH_ROWS, today=T0, attack="cut-page")
    waits: list[float] = []
    with serve(fake, tls):
        client = graph_client(fake, waits, max_retries=2)
        with pytest.raises(graph.GraphError, match="connection broke before the whole answer"):
            fetch(tmp_path / "s", client, since=T0 - dt.timedelta(days=5), until=T0, concurrency=1)
    assert len(waits) == 2 and sum(waits) <= 3


# ---- money as a spreadsheet's currency format writes it -------------------------------------


@pytest.mark.parametrize(
    ("charge", "cents"),
    [
        ("$1.20", 120),
        ("1.20 USD", 120),
        ("USD 1.20", 120),
        ("($1,234.50)", -123450),  # an accounting format's negative: a refund
        ("CHF 1'234.50", 123450),
        ("-0.00", 0),
        (" $ -   ", 0),  # the accounting format's zero
        (" -   ", 0),
    ],
)
def test_an_export_amount_in_a_currency_format_reads_as_its_number(tmp_path, charge, cents):
    path = write_csv(tmp_path / "t.csv", CP_CURRENT, [cp_row(1, charge=charge)])
    result = read_exports(path)
    assert result.records["charge_cents"].tolist() == [cents], result.rejects["reason"].tolist()


def test_a_french_excel_amount_with_its_euro_sign_reads_as_its_number(tmp_path):
    body = csv_text(CP_CURRENT, [cp_row(1, charge="1\u202f234,50 €", currency="EUR")], ";")
    (tmp_path / "fr.csv").write_bytes(body.encode("utf-8-sig"))
    assert read_exports(tmp_path / "fr.csv").records["charge_cents"].tolist() == [123450]


def test_a_duration_with_grouped_thousands_reads_as_its_seconds(tmp_path):
    rows = [cp_row(1, duration="1,234"), cp_row(2, duration="1,5")]
    result = read_exports(write_csv(tmp_path / "t.csv", CP_CURRENT, rows))
    _balanced(result)
    assert result.records["duration_s"].tolist() == [1234]
    assert "'1,5' is not a whole number" in result.rejects["reason"].iloc[0]


@pytest.mark.parametrize("charge", ["1.20-", "$", "1.2.3", "USD", "--"])
def test_what_is_still_no_amount_is_rejected_with_its_reason(tmp_path, charge):
    result = read_exports(write_csv(tmp_path / "t.csv", CP_CURRENT, [cp_row(1, charge=charge)]))
    _balanced(result)
    assert "is not an amount of money" in result.rejects["reason"].iloc[0]


@pytest.mark.parametrize(
    ("content", "amount"),
    [
        ('purchase_date,amount\n2025-11-05,"$1,295.18"\n', 1295.18),
        ("purchase_date;amount\n05/11/2025;1.295,18 €\n", 1295.18),
        ("sep=;\npurchase_date;amount\n05/11/2025;1 295,18\n", 1295.18),
        ("purchase_date,amount\n45966,295.18\n", 295.18),  # a date cell that lost its format
    ],
)
def test_a_balance_file_as_a_spreadsheet_saves_it_is_read(tmp_path, content, amount):
    (tmp_path / "lots.csv").write_text(content, encoding="utf-8")
    lots = read_lots(tmp_path / "lots.csv")
    assert lots["purchase_date"].tolist() == [pd.Timestamp("2025-11-05")]
    assert lots["amount"].tolist() == [amount]


def test_rates_and_licence_counts_read_currency_and_grouping(tmp_path):
    (tmp_path / "rates.csv").write_text("destination,per_minute\n*,$0.025\n")
    assert read_rates(tmp_path / "rates.csv")["per_minute_micro"].tolist() == [25_000]
    (tmp_path / "licences.csv").write_text('plan,country,users\nMCOPSTN1,US,"1,200"\n')
    assert read_licences(tmp_path / "licences.csv")["users"].tolist() == [1200]


# ---- dates no side file can hold ------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "content"),
    [
        ("--balance", "purchase_date,amount\n1025-11-05,10\n"),  # was a traceback
        ("--demand", "date,amount\n2026-01-01,5\n0001-01-01,5\n"),
        ("--demand", "date,amount\n2026-01-01,5\n2350-01-01,5\n"),
    ],
)
def test_a_mistyped_year_in_a_side_file_is_one_line(tmp_path, capsys, demand, command, content):
    path = tmp_path / "side.csv"
    path.write_text(content)
    source = [] if command == "--demand" else ["--demand", str(demand)]
    code = main(["recommend", *source, command, str(path), "--scenarios", "50"])
    _one_line_error(capsys, code, "is not a plausible date (the years 2000 to 2099 are read)")


@pytest.mark.parametrize("day", ["9999-12-31", "1234-01-01"])
def test_a_mistyped_as_of_year_is_one_line(capsys, demand, day):
    code = main(["recommend", "--demand", str(demand), "--as-of", day])
    _one_line_error(capsys, code, f"as_of: {day} is not a plausible day")


def test_fetch_refuses_a_mistyped_year_before_asking_graph_for_centuries(tmp_path, capsys):
    argv = ["fetch", "--store", str(tmp_path / "s"), "--tenant-id", "t", "--client-id", "c"]
    code = main([*argv, "--since", "0205-01-01"])
    _one_line_error(capsys, code, "'0205-01-01' is not a plausible day")


# ---- side files with a spreadsheet's first line, or a title ---------------------------------


def test_a_title_above_a_side_files_header_is_named_as_such(tmp_path, capsys, demand):
    (tmp_path / "lots.csv").write_text("Balance on 1 June\npurchase_date,amount\n2026-01-01,5\n")
    code = main(["recommend", "--demand", str(demand), "--balance", str(tmp_path / "lots.csv")])
    _one_line_error(capsys, code, "line 2: the line above, 'Balance on 1 June', is not a header")


def test_a_sep_line_keeps_the_line_numbers_of_a_side_file(tmp_path):
    (tmp_path / "lots.csv").write_text("sep=;\npurchase_date;amount\n2026-01-01;-5\n")
    with pytest.raises(InputError, match="lots.csv, line 3: lot amount -5 is negative"):
        read_lots(tmp_path / "lots.csv")


# ---- a JSON property given twice ------------------------------------------------------------


def test_a_json_property_given_twice_with_other_values_sets_the_row_aside(tmp_path):
    good = json.dumps(graph_row(1))
    twice = json.dumps(graph_row(2, charge=1.2))[:-1] + ', "charge": 100.00}'
    same = json.dumps(graph_row(3, charge=1.2))[:-1] + ', "charge": 1.20}'
    (tmp_path / "rows.json").write_text(f"[{good}, {twice}, {same}]")
    (tmp_path / "rows.jsonl").write_text(f"{good}\n{twice}\n{same}\n")
    for name in ("rows.json", "rows.jsonl"):
        result = read_exports(tmp_path / name)
        _balanced(result)
        assert result.records["charge_cents"].tolist() == [120, 120]
        reason = result.rejects["reason"].tolist()
        assert reason == ["the property 'charge' is given twice, with different values "
                          "('1.2' and '100'); which one to read cannot be told"]  # fmt: skip
        assert "repeated" not in result.rejects["raw"].iloc[0]


# ---- a licence file that would go unused ----------------------------------------------------


def test_licences_without_a_rate_card_are_named_as_unused(tmp_path, caplog):
    (tmp_path / "licences.csv").write_text("plan,country,users\nMCOPSTN1,US,10\n")
    args = argparse.Namespace(
        inputs=["exports/"], demand=None, licences=str(tmp_path / "licences.csv"), rates=None
    )
    with caplog.at_level(logging.WARNING, logger="planner"):
        recommend_command.request(args)
    assert "the licence counts price calls what-if with a rate card (--rates)" in caplog.text


# ---- exports joined into one file, rows of empty cells --------------------------------------


def test_a_header_line_met_again_is_set_aside_with_its_reason(tmp_path):
    first = csv_text(CP_CURRENT, [cp_row(1)])
    second = csv_text(CP_CURRENT, [cp_row(2)])
    (tmp_path / "joined.csv").write_bytes(("\ufeff" + first + "\ufeff" + second).encode())
    result = read_exports(tmp_path / "joined.csv")
    _balanced(result)
    assert result.records["source_row"].tolist() == [2, 4]
    assert result.rejects[["source_row", "reason"]].values.tolist() == [[3, HEADER_AGAIN]]


def test_rows_of_empty_cells_are_no_rows_as_blank_lines_are_none(tmp_path):
    body = csv_text(CP_CURRENT, [cp_row(1)]) + "," * 24 + "\r\n" + " ," * 24 + "\r\n"
    (tmp_path / "t.csv").write_text(body)
    result = read_exports(tmp_path / "t.csv")
    assert (result.files[0].rows, len(result.records), len(result.rejects)) == (1, 1, 0)


def test_an_export_of_a_title_and_a_header_only_is_an_empty_export(tmp_path, capsys):
    (tmp_path / "t.csv").write_text("Usage report\n" + csv_text(CP_CURRENT, []))
    (tmp_path / "h.csv").write_text(csv_text(CP_CURRENT, []))
    assert main(["ingest", str(tmp_path / "h.csv")]) == 0
    assert main(["ingest", str(tmp_path / "t.csv")]) == 0  # not "all 1 row(s) were rejected"
    assert "no usable call record" not in capsys.readouterr().err
    (tmp_path / "r.csv").write_text(
        "Usage report\n" + csv_text(CP_CURRENT, [cp_row(1, charge="x")])
    )
    assert main(["ingest", str(tmp_path / "r.csv")]) == 2
    err = capsys.readouterr().err.splitlines()  # the title's warning, then the error
    assert len(err) == 2 and "no usable call record: all 2 row(s) were rejected" in err[1]
