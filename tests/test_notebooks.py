"""The report notebooks, end to end on the sample tenant: `planner report` as a user runs it."""

from __future__ import annotations

import html
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import openpyxl
import pytest

from planner import text
from planner.report import kernel, notebooks
from planner.sample import sample_dir

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = notebooks.notebook_dir()
BUILDER = ROOT / "notebooks" / "build_notebooks.py"

pytestmark = pytest.mark.slow

# small but real: 200 scenarios over 120 days
FAST = ["--scenarios", "200", "--horizon-days", "120", "--no-progress"]


def _planner(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "planner", *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        timeout=600,
        env=env,
    )


@pytest.fixture(scope="module")
def tenant() -> Path:
    """The shipped sample tenant's files (tracked: missing files fail the tests)."""
    shipped = sample_dir()
    assert (shipped / "exports").is_dir() and (shipped / "balance.csv").is_file(), shipped
    return shipped


@pytest.fixture(scope="module")
def run(tenant, tmp_path_factory):
    """One `planner report` run, shared by the tests below."""
    out = tmp_path_factory.mktemp("reports") / "out"
    proc = _planner(
        "report",
        str(tenant / "exports"),
        "--out",
        str(out),
        "--balance",
        str(tenant / "balance.csv"),
        "--departments",
        str(tenant / "departments.csv"),
        "--user-licences",
        str(tenant / "user_licences.csv"),
        "--licences",
        str(tenant / "licences.csv"),
        # the smallest current settings the admin center accepts: judged against the
        # recommendation
        "--current-recharge-amount",
        "50",
        "--current-threshold",
        "50",
        *FAST,
    )
    return out, proc


def _outputs(nb) -> list:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


def _text(nb) -> str:
    parts = []
    for o in _outputs(nb):
        parts.append(o.get("text", ""))
        for key in ("text/markdown", "text/plain", "text/html"):
            parts.append(o.get("data", {}).get(key, ""))
    return "\n".join(parts)


# --------------------------------------------------------------------------- stored notebooks


@pytest.mark.parametrize("name", notebooks.NOTEBOOKS)
def test_stored_notebooks_have_no_outputs_and_typed_parameters(name):
    nb = nbformat.read(NOTEBOOK_DIR / f"{name}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    lines = [ln for ln in tagged[0].source.splitlines() if ln and not ln.startswith("#")]
    params = notebooks.notebook_parameters(NOTEBOOK_DIR / f"{name}.ipynb")
    # every line is one parameter papermill can read: typed and commented
    assert len(params) == len(lines)
    for pname, info in params.items():
        assert info["type"] not in (None, "None"), pname
        assert info["help"], pname
    assert "artifacts_dir" in params and "exports" in params
    assert params["exports"]["default"] == "None"  # runs on the sample tenant out of the box


def _builder():
    spec = importlib.util.spec_from_file_location("build_notebooks", BUILDER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_stored_notebooks_match_their_sources():
    builder = _builder()
    built = builder.build_all()
    assert sorted(built) == sorted(notebooks.NOTEBOOKS)
    for name, nb in built.items():
        stored = (NOTEBOOK_DIR / f"{name}.ipynb").read_text()
        assert builder.stored_text(nb) == stored, (
            f"{name}.ipynb is out of date: run python notebooks/build_notebooks.py"
        )


def test_notebook_sources_keep_the_tags_and_metadata_the_runner_reads():
    for name, nb in _builder().build_all().items():
        tags = [c.metadata.get("tags", []) for c in nb.cells]
        assert tags.count(["parameters"]) == 1 and ["report-hide"] in tags, name
        assert nb.cells[0].cell_type == "markdown"
        assert nb.metadata["kernelspec"]["name"] == kernel.KERNEL_NAME
        assert nb.metadata["title"] == notebooks.TITLES[name]
        assert set(nb.metadata) == {"kernelspec", "language_info", "title"}
        assert len({c.id for c in nb.cells}) == len(nb.cells)


# --------------------------------------------------------------------------- a real run


def test_report_runs_and_prints_paths_then_status(run):
    out, proc = run
    assert proc.returncode in (0, 3), proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()
    status = lines[-1]
    assert re.match(r"^planner: (OK|ALERT) ", status)
    assert (proc.returncode == 3) == status.startswith("planner: ALERT")
    printed = {Path(p) for p in lines[:-1]}
    for rel in (
        "funding_plan.html",
        "usage_analysis.html",
        "credits_plan.xlsx",
        "summary.json",
        "notebooks/funding_plan.ipynb",
        "notebooks/usage_analysis.ipynb",
    ):
        assert out / rel in printed and (out / rel).is_file()
    # --no-progress: no step lines, and no warning from the kernel or a library either
    assert proc.stderr == ""
    summary = json.loads((out / "summary.json").read_text())
    assert summary["alert"] == {"exit_code": proc.returncode, "status": status}
    rec = summary["recommendation"]
    assert "current settings" in status
    too_risky = rec["current"]["p_stockout"] > 1 - rec["service_level"] + 1e-12
    assert proc.returncode == (3 if too_risky else 0)
    # nothing is left of the build folder
    assert [p.name for p in out.parent.iterdir()] == ["out"]


@pytest.mark.parametrize("name", notebooks.NOTEBOOKS)
def test_executed_notebooks_have_no_errors(run, name):
    out, _ = run
    nb = nbformat.read(out / "notebooks" / f"{name}.ipynb", as_version=4)
    errors = [o for o in _outputs(nb) if o.get("output_type") == "error"]
    assert errors == []
    assert nb.metadata["papermill"]["parameters"]["artifacts_dir"]


def test_funding_notebook_shows_the_recommendation(run):
    out, _ = run
    rec = json.loads((out / "summary.json").read_text())["recommendation"]
    nb = nbformat.read(out / "notebooks" / "funding_plan.ipynb", as_version=4)
    shown = html.unescape(_text(nb))  # "$" is written &#36; in the Markdown
    assert "Auto-recharge amount" in shown
    assert text.money(rec["recharge_amount"], rec["currency"]) in shown
    assert text.money(rec["threshold"], rec["currency"]) in shown
    assert nb.metadata["papermill"]["parameters"]["n_scenarios"] == 200


def test_html_is_code_free_with_embedded_charts(run):
    out, _ = run
    summary = json.loads((out / "summary.json").read_text())
    for name, min_charts in (("funding_plan", 6), ("usage_analysis", 8)):
        html = (out / f"{name}.html").read_text()
        assert html.count('src="data:image/png;base64,') >= min_charts, name
        assert "No description has been provided" not in html  # charts carry their titles
        for marker in ('class="jp-CodeMirrorEditor', 'class="jp-InputPrompt', 'class="highlight'):
            assert marker not in html, (name, marker)
        for code in ("report.show(", "import ", "resolve_inputs", "save_artifacts"):
            assert code not in html, (name, code)
        assert "Traceback" not in html and "Warning" not in html
        assert summary["tenant"] in re.search(r"<title>(.*?)</title>", html).group(1)
    funding = (out / "funding_plan.html").read_text()
    # the plan comes first: the recommendation table precedes every chart
    assert funding.index("Auto-recharge amount") < funding.index('src="data:image/png;base64,')
    assert "Run it as it is on the sample tenant" not in funding  # hand-run notes are left out


def test_workbook_holds_the_recommendation(run):
    out, _ = run
    summary = json.loads((out / "summary.json").read_text())
    rec = summary["recommendation"]
    wb = openpyxl.load_workbook(out / "credits_plan.xlsx")
    assert wb.sheetnames[0] == "Summary"
    for sheet in ("Monthly usage", "Daily credit demand", "Policy alternatives", "Expiry schedule"):
        assert sheet in wb.sheetnames
    rows = {r[0].value: r[1].value for r in wb["Summary"].iter_rows(min_row=3) if r[0].value}
    assert rows["Auto-recharge amount"] == pytest.approx(rec["recharge_amount"])
    assert rows["Recharge below (trigger)"] == pytest.approx(rec["threshold"])
    assert rows["Status"] == summary["alert"]["status"]
    alt = wb["Policy alternatives"]
    assert alt["A2"].value == "recommended" and alt.freeze_panes == "A2"
    assert alt.auto_filter.ref.startswith("A1:")
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            assert all(c.data_type != "f" for c in row)


@pytest.fixture(scope="module")
def run_fr(tenant, tmp_path_factory):
    """The same report in French."""
    out = tmp_path_factory.mktemp("reports_fr") / "out"
    proc = _planner(
        "report", str(tenant / "exports"), "--out", str(out),
        "--balance", str(tenant / "balance.csv"), "--lang", "fr", *FAST,
    )  # fmt: skip
    return out, proc


def _visible(page: str) -> str:
    """The words of an HTML report: no tags, styles, scripts or embedded images."""
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_headline_banner_and_status_give_the_first_purchase(run):
    out, proc = run
    summary = json.loads((out / "summary.json").read_text())
    rec = summary["recommendation"]
    words = _visible((out / "funding_plan.html").read_text())
    first = rec["explanation"][0]
    # the first sentence, the banner and the status line all start from what to buy now
    what = first.split(":")[0]
    assert what.startswith(("Add ", "No purchase needed now; recharge "))
    assert what in words
    assert what[:1].lower() + what[1:] in summary["alert"]["status"]
    assert summary["alert"]["status"] in proc.stdout
    banner = re.search(r'class="planner-status[^"]*">(.*?)</div>', (out / "funding_plan.html")
                       .read_text(), re.S).group(1)  # fmt: skip
    assert what[:1].lower() + what[1:] in html.unescape(banner)


def test_figures_are_defined_and_no_internal_words(run):
    out, _ = run
    words = _visible((out / "funding_plan.html").read_text())
    assert "the share of simulated years in which the balance reaches zero" in words
    assert "Reading the funding plan" in words and "Money tied up" in words
    assert "whatever you do" in words  # today's unavoidable forfeiture, apart
    usage = _visible((out / "usage_analysis.html").read_text())
    for internal in ("p_stockout", "user_out", "ucap_in", "(`"):
        assert internal not in words + usage, internal


def test_one_date_format_and_the_same_percentages_in_html_and_excel(run):
    out, _ = run
    words = _visible((out / "funding_plan.html").read_text())
    words += _visible((out / "usage_analysis.html").read_text())
    # no ISO dates for people (file names such as PSTN.calls.2026-01-05.csv keep theirs)
    assert not re.search(r"(?<![.\w])20\d\d-\d\d-\d\d(?![\w.])", words)
    assert re.search(r"\b\d{1,2} [A-Z][a-z]{2} 20\d\d\b", words)
    wb = openpyxl.load_workbook(out / "credits_plan.xlsx")
    formats = {
        c.number_format
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if getattr(c, "is_date", False)  # a merged cell (a note across columns) is none
    }
    assert formats and formats <= {text.EXCEL_DATE, text.EXCEL_MONTH, text.EXCEL_DATE + " hh:mm"}
    rows = {r[0].value: r[1] for r in wb["Summary"].iter_rows(min_row=3) if r[0].value}
    cell = rows["Stock-out probability"]
    shown = f"{100 * cell.value:.{cell.number_format.count('0') - 1}f}%"
    assert shown in words  # Excel's display is the HTML's figure


def test_french_report_workbook_and_status(run_fr):
    out, proc = run_fr
    assert proc.returncode in (0, 3), proc.stderr[-3000:]
    status = proc.stdout.strip().splitlines()[-1]
    assert status.startswith(("planner: OK ", "planner: ALERT ")) and "recommandé\u202f: " in status
    words = _visible((out / "funding_plan.html").read_text())
    assert "À régler dans le centre d'administration Microsoft 365" in words
    assert "Lire le plan de financement" in words
    assert re.search(r"\d+\u202f?\d*\xa0\$US", words)  # French amounts: 1 295 $US
    assert re.search(r"\b\d{1,2} (janv|févr|mars|avr|mai|juin|juil|août|sept|oct|nov|déc)\.? 20",
                     words)  # fmt: skip
    assert "Communications Credits funding plan" not in words
    usage = _visible((out / "usage_analysis.html").read_text())
    assert "Qualité des données" in usage
    wb = openpyxl.load_workbook(out / "credits_plan.xlsx")
    assert wb.sheetnames[0] == "Synthèse"
    labels = [r[0].value for r in wb["Synthèse"].iter_rows(min_row=3)]
    assert "Statut" in labels and "Montant de la recharge automatique" in labels


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("name", notebooks.NOTEBOOKS)
def test_screenshots_in_headless_chromium(run, run_fr, lang, name, tmp_path):
    """Both reports in both languages; ``PLANNER_SCREENSHOTS=DIR`` keeps them there
    (``make screenshots`` writes docs/screenshots/)."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (make test installs it via scripts/ensure-chromium)")
    out, _ = run if lang == "en" else run_fr
    keep = os.environ.get("PLANNER_SCREENSHOTS")
    folder = Path(keep) if keep else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    png = folder / f"{name}.{lang}.png"
    proc = subprocess.run(
        [
            browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--hide-scrollbars", f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={png}", "--window-size=1280,1500", (out / f"{name}.html").as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert png.exists(), proc.stderr[-2000:]
    from PIL import Image

    with Image.open(png) as im:
        assert im.size == (1280, 1500)
        colours = im.convert("RGB").resize((128, 150)).getcolors(maxcolors=100_000)
    assert colours is not None and len(colours) > 50  # text and charts, not a blank page


def test_failing_notebook_exits_4_keeps_it_and_leaves_the_report(run, tenant):
    out, _ = run
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    # a balance file that exists but holds no lots: read inside the notebook
    bad = out.parent / "not-lots.csv"
    bad.write_text("when,how much\nyesterday,lots\n")
    proc = _planner(
        "report", str(tenant / "exports"), "--out", str(out), "--balance", str(bad), *FAST
    )
    bad.unlink()
    # bad input found inside the notebook is bad input (exit 2), the notebook kept
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "no `purchase_date` column" in proc.stderr and "Traceback" not in proc.stderr
    kept = out / "failed" / "funding_plan.ipynb"
    assert kept.exists() and str(kept) in proc.stderr
    nb = nbformat.read(kept, as_version=4)
    assert any(o.get("output_type") == "error" for o in _outputs(nb))
    after = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file() and p != kept}
    assert after == before  # the previous report is untouched
    assert [p.name for p in out.parent.iterdir()] == ["out"]
    kept.unlink()
    kept.parent.rmdir()


def test_bad_input_exits_2_before_running(tmp_path):
    proc = _planner("report", str(tmp_path / "missing.zip"), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2
    assert proc.stderr.startswith("planner: error: exports:") and "does not exist" in proc.stderr
    proc = _planner("report", str(tmp_path), "-p", "no_such_parameter", "1")
    assert proc.returncode == 2 and "unknown notebook parameter" in proc.stderr
    assert not (tmp_path / "o").exists()


def _pdf_pages(pdf: Path) -> list[str]:
    """The text of each page of ``pdf`` (poppler's pdftotext, pages split on form feeds)."""
    words = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                           text=True, timeout=120, check=True).stdout  # fmt: skip
    return [page for page in words.split("\f") if page.strip()]


def test_workbook_prints_in_libreoffice_on_few_pages_one_page_wide(run, run_fr, tmp_path):
    """Printed through LibreOffice, each workbook takes at most 20 A4 pages, the summary one,
    and no sheet spills onto a second page across (every page shows its first column)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None or shutil.which("pdfinfo") is None:
        pytest.skip("soffice or pdfinfo missing (make test installs them via "
                    "scripts/ensure-libreoffice)")  # fmt: skip
    for (out, _), lang in ((run, "en"), (run_fr, "fr")):
        book = tmp_path / f"credits_plan.{lang}.xlsx"
        shutil.copy(out / "credits_plan.xlsx", book)
        subprocess.run(
            [soffice, "--headless", f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}",
             "--convert-to", "pdf", "--outdir", str(tmp_path), str(book)],
            capture_output=True, text=True, timeout=300, check=True,
        )  # fmt: skip
        pdf = book.with_suffix(".pdf")
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                              check=True).stdout  # fmt: skip
        pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
        assert 0 < pages <= 20, (lang, pages)
        wb = openpyxl.load_workbook(book)
        first = {ws.title: str(ws["A1"].value) for ws in wb.worksheets}
        first[wb.sheetnames[0]] = str(wb.worksheets[0]["A2"].value)  # the summary's header
        by_sheet: dict[str, int] = {}
        for page in _pdf_pages(pdf):
            footer = page.strip().splitlines()[-1].strip()
            sheet = next(name for name in wb.sheetnames if footer.startswith(name))
            by_sheet[sheet] = by_sheet.get(sheet, 0) + 1
            assert first[sheet].split()[0] in page, (lang, sheet, page[:300])
        assert by_sheet[wb.sheetnames[0]] == 1, (lang, by_sheet)
        assert set(by_sheet) == set(wb.sheetnames), (lang, by_sheet)


#: measures, once the page is laid out, the elements that run past the page: past the
#: window, or past the text column of <main>; the result is written into the page
_OVERFLOW_PROBE = """<script>
(function () {
  var W = document.documentElement.clientWidth, bad = [], main = document.querySelector("main");
  var edge = W;
  if (main) {
    edge = main.getBoundingClientRect().right - parseFloat(getComputedStyle(main).paddingRight);
  }
  document.querySelectorAll("body *").forEach(function (el) {
    var r = el.getBoundingClientRect(), limit = main && el !== main && main.contains(el) ? edge : W;
    if (r.width > 0 && r.right > limit + 1) {
      bad.push(el.tagName + " " + Math.round(r.right) + "px: "
               + (el.textContent || "").trim().slice(0, 60));
    }
  });
  var out = document.createElement("pre");
  out.id = "planner-overflow";
  out.textContent = JSON.stringify({width: W, bad: bad});
  document.body.appendChild(out);
})();
</script>"""


def _overflowing(browser: str, page: Path, width: int, tmp_path: Path) -> dict:
    """Elements of ``page`` wider than the page in a ``width`` px window (headless Chromium:
    a copy of the page without its no-script policy, with the probe, its DOM dumped)."""
    source = page.read_text(encoding="utf-8")
    source = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", source)
    probe = tmp_path / f"probe-{width}-{page.name}"
    probe.write_text(source.replace("</body>", _OVERFLOW_PROBE + "</body>"), encoding="utf-8")
    dom = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         f"--user-data-dir={tmp_path / 'profile'}", f"--window-size={width},900",
         "--dump-dom", probe.as_uri()],
        capture_output=True, text=True, timeout=120,
    ).stdout  # fmt: skip
    found = re.search(r'<pre id="planner-overflow">(.*?)</pre>', dom, re.S)
    assert found, dom[-2000:]
    return json.loads(html.unescape(found.group(1)))


def test_no_element_of_either_report_is_wider_than_the_page(run, run_fr, tmp_path):
    """At 1,024 and 1,400 px, in both languages, nothing runs past the page: the widest
    table (the policy alternatives) wraps its headers instead of being cut."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (make test installs it via scripts/ensure-chromium)")
    for out, _ in (run, run_fr):
        for name in notebooks.NOTEBOOKS:
            for width in (1024, 1400):
                seen = _overflowing(browser, out / f"{name}.html", width, tmp_path)
                assert seen["width"] == width and seen["bad"] == [], (name, width, seen["bad"])


def test_french_reports_charts_and_workbook_hold_no_english_message(run_fr):
    """Every catalogue message French writes differently is French in the French report:
    the charts' text (kept with each image), the HTML text, every workbook cell."""
    from tests.french_checks import english_left, html_pieces

    out, proc = run_fr
    assert proc.returncode in (0, 3), proc.stderr[-3000:]
    pieces = []
    for name in notebooks.NOTEBOOKS:
        pieces += html_pieces((out / f"{name}.html").read_text(encoding="utf-8"))
        nb = nbformat.read(str(out / "notebooks" / f"{name}.ipynb"), as_version=4)
        charts = [o.get("metadata", {}).get("image/png", {}) for o in _outputs(nb)]
        texts = [t for meta in charts for t in meta.get("texts", [])]
        assert texts, name  # the charts' text is kept
        pieces += texts
    wb = openpyxl.load_workbook(out / "credits_plan.xlsx")
    for ws in wb.worksheets:
        pieces += [ws.title, ws.oddFooter.right.text or ""]
        pieces += [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    left = english_left(pieces)
    assert left == [], left[:30]
