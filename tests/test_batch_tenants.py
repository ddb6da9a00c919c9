"""`planner batch` without a cluster: the tenants file, the portfolio outputs, exit codes."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import openpyxl
import pytest

from planner import cli
from planner.batch import cluster, portfolio, read_tenants
from planner.batch.task import ENTRY_KEYS, run_tenant
from planner.commands import report as report_command
from planner.errors import InputError


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tenants.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_options_become_the_parameters_planner_report_would_pass(tmp_path):
    path = _write(
        tmp_path,
        """\
        defaults:
          scenarios: 300
          service-level: 0.95
          seed: 1
          timezone: Europe/Paris
          params: {seed: 9, tenant: 2026-01-01}
        tenants:
          - name: contoso
            exports: [data/contoso, more.zip]
            balance: lots.csv
            current_recharge_amount: 500
            current_threshold: 100
            params: {seed: 2, tenant: Contoso Ltd}
          - name: fabrikam.eu
            exports: fab.csv
        """,
    )
    contoso, fabrikam = read_tenants(path)
    assert (contoso.name, contoso.line, fabrikam.line) == ("contoso", 8, 14)
    root = tmp_path.resolve()
    # the same options on the command line of `planner report`
    parser = argparse.ArgumentParser()
    report_command.add_arguments(parser)
    args = parser.parse_args(
        ["x", "--scenarios", "300", "--service-level", "0.95", "--balance", str(root / "lots.csv"),
         "--current-recharge-amount", "500", "--current-threshold", "100",
         "-p", "timezone", "Europe/Paris", "-p", "seed", "2",
         "-p", "tenant", "Contoso Ltd"]
    )  # fmt: skip
    expected = report_command.collect_parameters(args)
    expected["exports"] = [str(root / "data/contoso"), str(root / "more.zip")]
    assert contoso.parameters == expected
    assert fabrikam.parameters == {
        "n_scenarios": 300,
        "service_level": 0.95,
        "seed": 1,  # the defaults' option beats the defaults' params
        "timezone": "Europe/Paris",
        "tenant": "2026-01-01",  # YAML dates stay ISO text
        "exports": [str(root / "fab.csv")],
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tenants:\n  - name: a\n    exports: [x\n", r"line 4: not valid YAML"),
        ("tenant:\n  - name: a\n", r"line 1: unknown key 'tenant'"),
        ("defaults:\n  sceanrios: 3\ntenants:\n  - {name: a, exports: x}\n",
         r"line 2: defaults: unknown key 'sceanrios'"),
        ("tenants:\n  - name: a\n    exports: x\n    balanse: l.csv\n",
         r"line 4: tenant 'a': unknown key 'balanse'"),
        ("tenants:\n  - name: a\n    exports: x\n    seed: 3\n", r"line 4: tenant 'a': unknown key 'seed'"),
        ("tenants:\n  - name: a\n    exports: x\n    params:\n      sead: 1\n",
         r"line 5: tenant 'a': params: unknown notebook parameter 'sead'"),
        ("tenants:\n  - name: a\n    exports: x\n    params: {artifacts_dir: y}\n",
         r"line 4: .*unknown notebook parameter 'artifacts_dir'"),
        ("tenants:\n  - {name: a, exports: x}\n  - {name: b, exports: y}\n  - {name: A, exports: z}\n",
         r"line 4: tenant 'A' given twice \(first on line 2\)"),
        ("tenants:\n  - {name: ../up, exports: x}\n", r"line 2: tenant name '../up' cannot be"),
        ("tenants:\n  - {name: index.html, exports: x}\n", r"line 2: tenant name 'index.html'"),
        ("tenants:\n  - {exports: x}\n", r"line 2: a tenant without a name"),
        ("tenants:\n  - {name: a}\n", r"line 2: tenant 'a': no exports"),
        ("tenants:\n  - {name: a, exports: [1, 2]}\n", r"line 2: tenant 'a': exports must be"),
        ("defaults:\n  scenarios: many\ntenants:\n  - {name: a, exports: x}\n",
         r"line 2: defaults: scenarios: .*'many' is not a whole number"),
        ("defaults:\n  seed: -1\ntenants:\n  - {name: a, exports: x}\n", r"line 2: defaults: seed: "),
        ("defaults:\n  currency: 3\ntenants:\n  - {name: a, exports: x}\n",
         r"line 2: defaults: currency: 3 is not a three-letter ISO code"),
        ("defaults:\n  growth: [1]\ntenants:\n  - {name: a, exports: x}\n",
         r"line 2: defaults: growth: \[1\] is not a growth"),
        ("tenants:\n  - {name: a, exports: x, current_threshold: true}\n",
         r"line 2: tenant 'a': current_threshold: True is not a number"),
        ("tenants:\n  - name: a\n    exports: x\n    exports: y\n", r"line 4: .*'exports' given twice"),
        ("tenants:\n  - {name: a, exports: x, billing: monthly}\n",
         r"line 2: tenant 'a': billing: 'monthly' is not a billing mode; give prepaid"),
        ("tenants:\n  - {name: a, exports: x, monthly_budget: 0}\n",
         r"line 2: tenant 'a': monthly_budget: 0 is out of range"),
        ("tenants: []\n", r"line 1: tenants must be a list"),
        ("defaults: {seed: 1}\n", r"line 1: no `tenants:` list"),
        ("", r"empty"),
        ("- a\n- b\n", r"line 1: the file must be a mapping"),
    ],
)  # fmt: skip
def test_bad_tenants_file_names_the_line(tmp_path, text, message):
    with pytest.raises(InputError, match=message):
        read_tenants(_write(tmp_path, text))


def test_billing_and_budget_are_a_tenants_own_keys(tmp_path):
    path = _write(
        tmp_path,
        """\
        defaults: {billing: prepaid}
        tenants:
          - {name: mca, exports: x, billing: postpaid, monthly_budget: 1500}
          - {name: credits, exports: y}
        """,
    )
    mca, credits = read_tenants(path)
    assert mca.parameters["billing"] == "postpaid" and mca.parameters["monthly_budget"] == 1500
    assert credits.parameters["billing"] == "prepaid" and "monthly_budget" not in credits.parameters


def test_docs_example_reads(tmp_path):
    readme = (Path(__file__).resolve().parents[1] / "docs" / "batch.md").read_text()
    example = readme.split("# tenants.yaml: paths are relative to this file\n", 1)[1]
    path = tmp_path / "tenants.yaml"
    path.write_text(example.split("```", 1)[0])
    contoso, fabrikam = read_tenants(path)
    assert contoso.parameters["n_scenarios"] == 1000 and contoso.parameters["alert_days"] == 21
    assert fabrikam.parameters["service_level"] == 0.995
    assert fabrikam.parameters["rates"] == str(tmp_path.resolve() / "fabrikam/rates.csv")


def test_bad_file_exits_2_before_any_work(tmp_path, capsys, monkeypatch):
    def no_cluster(*_a, **_k):
        raise AssertionError("the cluster must not start")

    monkeypatch.setattr(cluster, "connect", no_cluster)
    path = _write(tmp_path, "tenants:\n  - {name: a, exports: x}\n  - {name: a, exports: y}\n")
    out = tmp_path / "out"
    assert cli.main(["batch", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("planner: error: ") and "line 3: tenant 'a' given twice" in err
    assert "Traceback" not in err and not out.exists()
    assert cli.main(["batch", str(tmp_path / "missing.yaml"), "--out", str(out)]) == 2
    assert "no such file" in capsys.readouterr().err


def test_workers_and_scheduler_are_exclusive(tmp_path, capsys):
    path = _write(tmp_path, "tenants:\n  - {name: a, exports: x}\n")
    argv = ["batch", str(path), "--out", "o", "--workers", "2", "--scheduler", "tcp://h:1"]
    assert cli.main(argv) == 2
    assert "not allowed with argument" in capsys.readouterr().err
    assert cli.main(["batch", str(path), "--out", str(tmp_path / "o"), "--workers", "0"]) == 2
    assert "worker count '0' must be between 1 and 256" in capsys.readouterr().err


def test_unreachable_scheduler_is_bad_input(tmp_path, capsys, monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 1)
    path = _write(tmp_path, "tenants:\n  - {name: a, exports: x}\n")
    argv = ["batch", str(path), "--out", str(tmp_path / "o"), "--scheduler", "tcp://127.0.0.1:9"]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "--scheduler: cannot reach a Dask scheduler at tcp://127.0.0.1:9" in err
    assert "Traceback" not in err and not (tmp_path / "o").exists()


def test_core_never_imports_dask():
    code = (
        "import sys, planner, planner.report, planner.batch, planner.batch.task, "
        "planner.commands.batch\n"
        "from planner.cli import build_parser\nbuild_parser()\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed'))\n"
        "print(loaded)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_missing_dask_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(InputError, match=r"pip install 'planner\[dask\]'"):
        cluster.import_distributed()


def test_failing_tenant_is_an_entry_not_an_exception(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    entry = run_tenant("t", {"exports": [str(bad)]}, str(tmp_path / "t"))
    assert tuple(entry) == ENTRY_KEYS
    assert entry["status"] == "failed" and entry["exit_code"] == 2
    assert "not a usage export" in entry["error"] and entry["worker"] is None
    assert entry["recommendation"] is None and not (tmp_path / "t").exists()
    # the output folder checks of `planner report`: never write into a folder of exports
    inside = run_tenant("t", {"exports": [str(tmp_path)]}, str(tmp_path / "t"))
    assert inside["status"] == "failed" and "inside the input folder" in inside["error"]


def _entry(name, status, *, runway=None, p=0.01, error=None, code=None):
    rec = None if status == "failed" else {
        "currency": "EUR", "initial": 100.0, "recharge_amount": 50.0, "threshold": 20.0,
        "p_stockout": p,
    }  # fmt: skip
    codes = {"ok": 0, "alert": 3, "failed": 4}
    why = {
        "ok": "runway 40 days (pessimistic 30); recommended: no purchase needed now",
        "alert": "the current settings run out in 1.4% of simulated years (1% allowed)",
    }.get(status)
    return {
        "name": name, "status": status, "exit_code": codes[status] if code is None else code,
        "verdict": why, "worker": "tcp://10.0.0.1:4000", "runway_days": runway, "recommendation": rec,
        "error": error, "seconds": 1.0, "timings": None,
    }  # fmt: skip


def test_progress_line_counts_tenants(capsys):
    from planner.commands.batch import _Progress

    progress = _Progress()
    progress(_entry("a", "failed"), 1, 2)
    progress(_entry("b", "ok"), 2, 2)
    err = capsys.readouterr().err
    assert "[1/2] tenants done, 1 failed; last: a" in err
    assert err.endswith("[2/2] tenants done, 1 failed; last: b\n")


def test_exit_codes():
    ok, alert, failed = _entry("a", "ok"), _entry("b", "alert"), _entry("c", "failed")
    assert portfolio.batch_exit_code([ok, ok]) == 0
    assert portfolio.batch_exit_code([ok, alert]) == 3
    assert portfolio.batch_exit_code([alert, failed, ok]) == 4


def test_urgency_order():
    entries = [
        _entry("ok-long", "ok", runway=300),
        _entry("ok-norunway-risky", "ok", p=0.02),
        _entry("ok-norunway", "ok", p=0.001),
        _entry("alert-short", "alert", runway=5),
        _entry("failed", "failed", error="boom"),
        _entry("ok-short", "ok", runway=30),
    ]
    names = [e["name"] for e in portfolio.by_urgency(entries)]
    assert names == [
        "failed", "alert-short", "ok-short", "ok-long", "ok-norunway-risky", "ok-norunway",
    ]  # fmt: skip


def test_portfolio_files_escape_data_and_forbid_scripts(tmp_path):
    evil = '<script>alert(1)</script> & =HYPERLINK("x")'
    entries = [
        _entry("good", "ok", runway=40),
        _entry("bad", "failed", error=evil, code=2),
        _entry("late", "alert", runway=3),
    ]
    (tmp_path / "bad" / "failed").mkdir(parents=True)
    (tmp_path / "bad" / "failed" / "funding_plan.ipynb").write_text("{}")
    files = portfolio.write_portfolio(entries, tmp_path)
    assert [p.name for p in files] == ["index.json", "index.html", "portfolio.xlsx"]
    index = json.loads(files[0].read_text())
    assert index["exit_code"] == 4 and index["counts"] == {
        "failed": 1,
        "alert": 1,
        "act": 0,
        "ok": 1,
    }
    assert [t["name"] for t in index["tenants"]] == ["good", "bad", "late"]
    page = files[1].read_text()
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp;" in page
    assert (
        '<meta http-equiv="Content-Security-Policy" content="default-src &#x27;none&#x27;' in page
    )
    assert page.index(">bad<") < page.index(">late<") < page.index(">good<")
    assert 'href="good/funding_plan.html"' in page
    assert 'href="bad/failed/funding_plan.ipynb"' in page
    ws = openpyxl.load_workbook(files[2])["Portfolio"]
    values = [[c.value for c in row] for row in ws.iter_rows()]
    flat = [v for row in values for v in row]
    assert evil in flat  # a formula-like error stays text
    cell = next(c for row in ws.iter_rows() for c in row if c.value == evil)
    assert cell.data_type == "s"


def test_portfolio_says_why_and_shows_errors_only_for_failed_tenants(tmp_path):
    entries = [_entry("good", "ok", runway=40), _entry("late", "alert", runway=3)]
    page = portfolio.index_html(entries, tmp_path)
    assert "the current settings run out in 1.4% of simulated years (1% allowed)" in page
    assert "runway 40 days (pessimistic 30)" in page
    assert "Worker" not in page and "Error" not in page and "tcp://" not in page
    frame = portfolio.portfolio_frame(entries)
    assert "worker" not in frame and "error" not in frame
    assert frame.set_index("tenant").loc["late", "verdict"].startswith("the current settings")
    entries.append(_entry("bad", "failed", error="exports: not a usage export"))
    page = portfolio.index_html(entries, tmp_path)
    assert "<th>Error</th><th>Worker</th>" in page and page.count("tcp://10.0.0.1:4000") == 1
    frame = portfolio.portfolio_frame(entries).set_index("tenant")
    assert frame.loc["bad", "verdict"] == "report failed: exports: not a usage export"
    assert frame.loc["bad", "worker"] == "tcp://10.0.0.1:4000" and frame.loc["good", "worker"] == ""
