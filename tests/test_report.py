"""The report runner on a tiny notebook: parameters, HTML, workbook, failures, atomic output."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import openpyxl
import pytest

from planner import report
from planner.errors import InputError, NotebookFailed
from planner.report import artifacts, kernel, notebooks, prestart, runner

TINY_PARAMETERS = """\
x: int = 2  # a number shown in the report
label: str = "tiny"  # a title
fail: bool = False  # raise in the middle, to test failures
bad_input: bool = False  # raise InputError, as a bad export would
alert: bool = False  # report an alert status
artifacts_dir: Optional[str] = None  # set by the runner
"""

TINY_CELLS = [
    "import sys\nimport pandas as pd\nfrom IPython.display import Markdown, display\n"
    "from planner import report\nfrom planner.report import save_artifacts\n"
    "from planner.errors import InputError",
    'display(Markdown(f"# Tiny report: {label}\\n\\nx squared is **{x * x}**."))',
    "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
    "fig, ax = plt.subplots()\nax.plot([0, 1], [0, x])\nax.set_title('A line')\nplt.show()",
    "fig, ax = plt.subplots()\nax.set_title('Second <chart>')\nreport.show(fig)",
    "print('prefix:', sys.prefix)",
    "import warnings\nwarnings.warn('noise for stderr')",
    "if fail:\n    raise ValueError(f'x must be small, got {x}')",
    "if bad_input:\n    raise InputError('exports.csv: not a usage export; download it again')",
    "save_artifacts(artifacts_dir, tables={'numbers': pd.DataFrame({'n': [x, x + 1]})},\n"
    "    summary={'currency': 'USD', 'rows': [['x', x, 'int'], ['=danger', '=1+1', 'text']],\n"
    "             'alert': {'exit_code': 3 if alert else 0,\n"
    "                       'status': 'planner: ALERT tiny' if alert else 'planner: OK tiny'}})",
]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(TINY_PARAMETERS)
    params.metadata["tags"] = ["parameters"]
    typing = nbformat.v4.new_code_cell("from typing import Optional")
    nb.cells = [typing, params] + [nbformat.v4.new_code_cell(src) for src in TINY_CELLS]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = tmp_path_factory.mktemp("nb") / "tiny.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def tiny_report(tiny, tmp_path_factory):
    out = tmp_path_factory.mktemp("rep") / "out"
    result = runner.build_report({"x": 3}, out, notebooks=[tiny], progress=False, log=None)
    return out, result


def test_declared_parameters_are_read(tiny):
    params = notebooks.notebook_parameters(tiny)
    assert params["x"]["default"] == "2" and params["x"]["type"] == "int"
    assert params["x"]["help"] == "a number shown in the report"


def test_runner_writes_html_workbook_summary_and_notebook(tiny_report):
    out, result = tiny_report
    names = sorted(p.relative_to(out).as_posix() for p in result.files)
    assert names == ["credits_plan.xlsx", "notebooks/tiny.ipynb", "summary.json", "tiny.html"]
    assert result.exit_code == 0 and result.status == "planner: OK tiny"
    assert json.loads((out / "summary.json").read_text())["currency"] == "USD"
    # no temporary build folder is left next to the output
    assert [p.name for p in out.parent.iterdir()] == ["out"]


def test_html_has_no_code_embeds_png_and_drops_stderr(tiny_report):
    out, _ = tiny_report
    text = (out / "tiny.html").read_text()
    assert "data:image/png;base64," in text
    assert "x squared is <strong>9</strong>" in text
    assert "save_artifacts" not in text and "import matplotlib" not in text
    assert "noise for stderr" not in text
    assert "<title>Tiny report: tiny</title>" in text
    # plt.show() under Agg draws nothing; report.show renders whatever the backend
    assert text.count('src="data:image/png;base64,') == 1
    assert 'alt="Second &lt;chart&gt;"' in text  # the chart's title, escaped


def test_kernel_runs_this_environment(tiny_report):
    out, _ = tiny_report
    nb = nbformat.read(out / "notebooks" / "tiny.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    prefix = printed.split("prefix:", 1)[1].split()[0]
    assert prefix == sys.prefix
    kernel.check_kernel()  # does not raise here


def test_workbook_holds_summary_and_tables(tiny_report):
    out, _ = tiny_report
    wb = openpyxl.load_workbook(out / "credits_plan.xlsx")
    assert wb.sheetnames == ["Summary", "Numbers"]
    assert [c.value for c in wb["Numbers"]["A"]] == ["N", 3, 4]
    cells = [c for row in wb["Summary"].iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    assert "=1+1" in [c.value for c in cells]


def test_alert_status_gives_exit_code_3(tiny, tmp_path):
    result = runner.build_report(
        {"alert": True}, tmp_path / "o", notebooks=[tiny], progress=False, log=None
    )
    assert result.exit_code == 3 and result.status.startswith("planner: ALERT")


def test_failure_keeps_executed_notebook_and_leaves_old_report_intact(tiny, tmp_path):
    out = tmp_path / "out"
    runner.build_report({"x": 1}, out, notebooks=[tiny], progress=False, log=None)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with pytest.raises(NotebookFailed) as info:
        runner.build_report(
            {"x": 99, "fail": True}, out, notebooks=[tiny], progress=False, log=None
        )
    msg = str(info.value)
    assert "ValueError: x must be small, got 99" in msg and "failed in cell" in msg
    assert info.value.exit_code == 4
    kept = out / "failed" / "tiny.ipynb"
    assert kept.exists() and str(kept) in msg
    nb = nbformat.read(kept, as_version=4)
    assert any(o.get("ename") == "ValueError" for c in nb.cells for o in c.get("outputs", []))
    # the previous report is untouched, nothing half-written was added
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and p != kept}
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    # a later success removes the failure's leftovers
    runner.build_report({"x": 1}, out, notebooks=[tiny], progress=False, log=None)
    assert not (out / "failed").exists()


def test_failure_into_new_folder_writes_no_report(tiny, tmp_path):
    out = tmp_path / "fresh"
    with pytest.raises(NotebookFailed):
        runner.build_report({"fail": True}, out, notebooks=[tiny], progress=False, log=None)
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert files == ["failed/tiny.ipynb"]


def test_input_error_inside_notebook_is_bad_input(tiny, tmp_path):
    with pytest.raises(InputError, match="not a usage export") as info:
        runner.build_report(
            {"bad_input": True}, tmp_path / "o", notebooks=[tiny], progress=False, log=None
        )
    assert info.value.exit_code == 2


def test_not_an_export_fails_before_any_kernel_starts(tmp_path, monkeypatch):
    bad = tmp_path / "notes.csv"
    bad.write_text("plan,country,users\nMCOPSTN1,US,3\n")

    def no_kernel(*_a, **_k):
        raise AssertionError("a kernel started for input that is not a usage export")

    monkeypatch.setattr(runner, "Kernel", no_kernel)
    with pytest.raises(InputError, match="not a usage export") as info:
        runner.build_report({"exports": [str(bad)]}, tmp_path / "o", progress=False, log=None)
    assert info.value.exit_code == 2
    assert not (tmp_path / "o").exists()


def test_unknown_reserved_and_unpassable_parameters_are_refused(tiny, tmp_path):
    with pytest.raises(InputError, match="unknown notebook parameter 'y'"):
        notebooks.prepare_parameters({"y": 1}, [tiny])
    with pytest.raises(InputError, match="set by the report runner"):
        notebooks.prepare_parameters({"artifacts_dir": "x"}, [tiny])
    with pytest.raises(InputError, match="cannot be passed"):
        notebooks.prepare_parameters({"x": object()}, [tiny])
    assert notebooks.prepare_parameters({"x": 5, "label": tmp_path}, [tiny]) == {
        "tiny": {"x": 5, "label": str(tmp_path)}
    }


def test_path_parameters_are_made_absolute_and_checked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lots.csv").write_text("x\n")
    assert notebooks._absolute_paths("balance", "lots.csv") == str(tmp_path / "lots.csv")
    assert notebooks._absolute_paths("exports", ["lots.csv"]) == [str(tmp_path / "lots.csv")]
    assert notebooks._absolute_paths("currency", "EUR") == "EUR"
    with pytest.raises(InputError, match="does not exist"):
        notebooks._absolute_paths("exports", ["missing.zip"])


def test_out_must_be_a_folder(tiny, tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="not a folder"):
        runner.build_report({}, tmp_path / "file", notebooks=[tiny], progress=False, log=None)


# --------------------------------------------------------------------------- notebook helpers


def test_kernel_from_another_environment_is_refused(monkeypatch):
    monkeypatch.setattr(kernel, "kernel_python", lambda name="python3": "/opt/other-env/bin/python")
    with pytest.raises(InputError, match="ipykernel install --sys-prefix"):
        kernel.check_kernel()


def test_typical_path_is_the_median_total():
    import numpy as np

    paths = np.array([[5.0, 5.0], [1.0, 1.0], [3.0, 3.0], [9.0, 0.0]])
    assert report.typical_path(paths) == 2


def test_email_table_reads_engine_events():
    import pandas as pd

    events = pd.DataFrame(
        {
            "date": pd.to_datetime(["2026-01-02", "2026-01-05"]),
            "event": pd.array(["recharge_succeeded", "balance_zero"], dtype="string"),
            "amount": [50.0, 0.0],
        }
    )
    table = report.email_table(events, "USD")
    assert table["email"].tolist() == ["Auto-recharge succeeded", "Balance reached zero"]
    assert table["amount"].iloc[0] == 50.0 and pd.isna(table["amount"].iloc[1])
    assert "1× balance reached zero" in report.emails_markdown(table, "USD", 365)


def test_tenant_label_and_period_text():
    import pandas as pd

    records = pd.DataFrame(
        {"upn": pd.array(["a@contoso.com", "b@contoso.com", "c@x.org", None], dtype="string")}
    )
    assert report.tenant_label(records) == "contoso.com"
    assert report.tenant_label(records, "Contoso Ltd") == "Contoso Ltd"
    assert report.period_text("2026-01-01", "2026-01-31") == "1 Jan 2026 – 31 Jan 2026 (31 days)"


def test_sample_parameters_name_existing_files():
    params = artifacts.sample_parameters()
    assert set(params) >= {"exports", "balance", "departments", "user_licences", "licences"}
    assert "rates" not in params  # the demo plans on the actual spend
    for value in params.values():
        for path in value if isinstance(value, list) else [value]:
            assert Path(path).exists()
    resolved = report.resolve_inputs(None)
    assert resolved.sample and resolved.balance is not None and not resolved.whatif


def test_usage_key_figures_and_files_view():
    import pandas as pd

    monthly = pd.DataFrame(
        {
            "credit_cents": [10000, 15000],
            "credit_change_cents": pd.array([None, 5000], dtype="Int64"),
            "credit_change_pct": [float("nan"), 0.5],
            "toll_free_cents": [8000, 9000],
            "international_cents": [2000, 6000],
        },
        index=pd.period_range("2026-01", periods=2, freq="M", name="month"),
    )
    text = report.usage_key_figures(monthly, "EUR")
    assert "**€250.00** over 2 months" in text
    assert "**toll-free** (68%)" in text
    assert "(Feb 2026) spent €150.00, +50% on Jan 2026 (€100.00)" in text
    files = pd.DataFrame({"path": ["/data/x/Export.zip!PSTN.calls.csv"], "rows": [3]})
    assert report.files_view(files)["file"].tolist() == ["Export.zip!PSTN.calls.csv"]


def test_runway_distribution_is_the_analysis_runway():
    from types import SimpleNamespace

    import numpy as np
    import pandas as pd

    from planner import analysis

    paths = np.array([np.ones(60), np.full(60, 3.0)])
    scenarios = SimpleNamespace(paths=paths, start=pd.Timestamp("2025-01-01"), horizon_days=60)
    # the lot expires on day 17, before a spend of 1 a day uses it up
    lots = pd.DataFrame({"purchase_date": [pd.Timestamp("2024-01-18")], "amount": [100.0]})
    runway = report.runway_distribution(scenarios, lots)
    assert runway.tolist() == [17.0, 17.0]
    np.testing.assert_array_equal(runway, analysis.runway_days(paths, scenarios.start, lots))
    big = pd.DataFrame({"purchase_date": [pd.Timestamp("2024-12-01")], "amount": [100.0]})
    assert report.runway_distribution(scenarios, big).tolist() == [np.inf, 33.0]


def test_notebooks_run_side_by_side_and_the_first_failure_is_reported(tiny, tmp_path, monkeypatch):
    monkeypatch.setattr(prestart, "cores", lambda: 2)  # one kernel per notebook
    other = tmp_path / "tiny_b.ipynb"
    other.write_bytes(tiny.read_bytes())
    out = tmp_path / "out"
    lines: list[str] = []
    result = runner.build_report(
        {"x": 3}, out, notebooks=[tiny, other], progress=False, log=lines.append
    )
    assert sorted(p.name for p in out.glob("*.html")) == ["tiny.html", "tiny_b.html"]
    assert result.exit_code == 0 and len(lines) == 5
    assert "x squared is <strong>9</strong>" in (out / "tiny_b.html").read_text()
    with pytest.raises(NotebookFailed, match="notebook tiny failed in cell"):
        runner.build_report(
            {"fail": True}, tmp_path / "f", notebooks=[tiny, other], progress=False, log=None
        )
    assert [p.name for p in (tmp_path / "f" / "failed").iterdir()] == ["tiny.ipynb"]


def test_a_report_takes_the_kernels_started_early_and_unused_ones_are_killed(
    tiny, tmp_path, monkeypatch
):
    monkeypatch.setattr(prestart, "cores", lambda: 2)
    other = tmp_path / "tiny_b.ipynb"
    other.write_bytes(tiny.read_bytes())
    made: list = []
    real = prestart.report_kernels
    monkeypatch.setattr(prestart, "report_kernels", lambda *a: made.append(real(*a)) or made[-1])
    with prestart.started(notebooks=2):
        runner.build_report({"x": 3}, tmp_path / "out", notebooks=[tiny, other], progress=False)
    assert len(made) == 1  # the report ran on the kernels started before it
    assert [k.starts for k in made[0]] == [1, 1]
    # a command that stops before its report (refused input): its kernels do not outlive it
    with prestart.started(notebooks=2):
        early = prestart._waiting[kernel.KERNEL_NAME][1]
        early[0]._pool.submit(lambda: None).result()  # the first has booted
        process = early[0]._km.provisioner.process
    assert not prestart._waiting
    process.wait(timeout=30)  # killed
