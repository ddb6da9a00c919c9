"""The text module: one format per kind of figure, in English and French, and a complete
French catalogue; the plan's words (first purchase first, growth as given)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner import excel, text
from planner.errors import InputError
from planner.plan import PlanOptions, plan, verdict
from planner.text import catalogue
from planner.text.plan import status_line


def alert_status(rec, alert_days: int = 14):
    """The exit code and status line of a recommendation's verdict."""
    found = verdict(rec, alert_days=alert_days)
    return found.exit_code, status_line(rec, found)


def test_english_and_french_formats():
    assert text.money(1234.56, "USD", 2) == "$1,234.56"
    assert text.date(dt.date(2027, 4, 21)) == "21 Apr 2027"
    with text.language("fr"):
        assert text.money(1234.56, "USD", 2) == "1\u202f234,56\xa0$US"
        assert text.date("2027-04-21") == "21 avr. 2027"
        assert text.month("2027-06-01") == "juin 2027"
        assert text.percent(0.004) == "0,4\xa0%"
        assert text.nt("{n} call", "{n} calls", 1) == "1 appel"
        assert text.nt("{n} call", "{n} calls", 2) == "2 appels"
    assert text.current_language() == "en"  # the block restored English


def test_semicolons_are_spaced_the_language_way():
    """French puts a narrow no-break space before a semicolon, as before a colon (alert
    measures, status): one rule for every message of the catalogue."""
    assert text.semicolons(["a", "b", "c"]) == "a; b; c"
    with text.language("fr"):
        assert text.semicolons(["a", "b"]) == "a\u202f; b"
        assert text.t("recommended: {what}", what="x") == "recommandé\u202f: x"


def test_french_high_punctuation_has_one_rule():
    assert text.french_punctuation("a: b ; c\xa0! d ?") == "a\u202f: b\u202f; c\u202f! d\u202f?"
    # not in a URL, a time, nor a field's format
    assert text.french_punctuation("https://x 12:30 {p:.1%}") == "https://x 12:30 {p:.1%}"
    assert text.semicolons(["only"]) == "only"


def test_unknown_language_is_bad_input():
    with pytest.raises(InputError, match="lang: 'de' is not available; choose one of en, fr"):
        text.check_language("de")


def test_one_rounding_for_shares():
    # 0.255 reads 26% everywhere; near certainty keeps one decimal
    assert text.percent(0.255) == "26%"
    assert text.percent(0.0045) == "0.4%"  # half-even at the tenth, as 0.0045 is written
    assert text.percent(0.996) == "99.6%"
    assert text.percent(1.0) == "100%"
    assert text.nt("{n} call", "{n} calls", 1) == "1 call"


@given(st.floats(min_value=0.0, max_value=1.0, allow_nan=False))
def test_workbook_stores_shares_as_the_reports_show_them(p):
    stored = text.rounded_share(p)
    decimals = text.percent_decimals(p)
    # what Excel shows with the format written for the cell
    shown = f"{100 * stored:.{decimals}f}%"
    assert shown == text.percent(p).replace(",", "")


def test_excel_and_html_show_the_same_percent_and_date(tmp_path):
    frame = pd.DataFrame(
        {"date": pd.to_datetime(["2027-04-21"]), "p_stockout": [0.0045], "share": [0.255]}
    )
    path = excel.write_workbook(
        tmp_path / "t.xlsx",
        [excel.TableSheet(name="T", frame=frame, formats={"p_stockout": "percent",
                                                          "share": "percent", "date": "date"})],
    )  # fmt: skip
    ws = openpyxl.load_workbook(path)["T"]
    assert ws["B2"].value == pytest.approx(0.004) and ws["B2"].number_format == "0.0%"
    assert ws["C2"].value == pytest.approx(0.26) and ws["C2"].number_format == "0%"
    assert ws["A2"].number_format == "d mmm yyyy"  # Excel shows 21 Apr 2027, as the HTML


def test_french_catalogue_is_complete():
    missing = catalogue.missing("fr")
    assert not missing, (
        f"{len(missing)} message(s) without a French translation; run "
        f"`python -m planner.text.catalogue` and fill planner/text/locales/fr.po: {missing[:5]}"
    )


def test_errors_are_catalogue_messages():
    """An error's message is a literal the catalogue finds, its values given by name: an
    f-string or a message built by hand would stay in English in every language."""
    import ast

    found = []
    for path in sorted((catalogue.ROOT / "planner").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            at = catalogue.AT.get(name, 0 if name in catalogue.KEYWORDS else None)
            if at is None or len(node.args) <= at:
                continue
            message = node.args[at]
            if isinstance(message, ast.JoinedStr | ast.BinOp) or (
                isinstance(message, ast.Call) and getattr(message.func, "attr", "") == "format"
            ):
                found.append(f"{path.relative_to(catalogue.ROOT)}:{node.lineno} {name}")
    assert found == []


def test_an_error_is_written_in_the_language_in_use():
    with text.language("fr"):
        french = str(InputError("{path}: no such file", path="lots.csv"))
    assert french == "lots.csv\u202f: fichier introuvable"
    assert str(InputError("{path}: no such file", path="lots.csv")) == "lots.csv: no such file"
    assert str(InputError("a library's own {text}")) == "a library's own {text}"  # as it is


def test_catalogue_reads_the_markdown_a_notebook_source_shows(tmp_path):
    source = tmp_path / "nb.py"
    source.write_text(
        '# %% [markdown] tags=["report-hide"]\n# # For whoever runs it by hand\n\n'
        "# %%\nx = text.t('Shown by a code cell.')\n\n"
        "# %% [markdown]\n# ## A section\n#\n# Its first paragraph.\n\n"
        "# %%\nprint(x)\n"
    )
    assert catalogue.notebook_markdown(source) == [("## A section\n\nIts first paragraph.", 8)]
    assert ("Shown by a code cell.", 5) in catalogue._calls(source, catalogue.KEYWORDS)


def test_catalogue_holds_the_notebooks_text():
    found = catalogue.messages()
    assert "## Data quality\n\nWhat was read, what was set aside and why: every row of every " \
        "file is accounted for." in found  # fmt: skip
    assert "No row was rejected." in found
    assert "## Reading the funding plan" in found
    assert not any(str(m).startswith("# PSTN usage analysis") for m in found)


@pytest.fixture(scope="module")
def history():
    days = pd.date_range("2025-01-01", periods=200, freq="D")
    rng = np.random.default_rng(3)
    return pd.Series(rng.gamma(2.0, 3.0, len(days)), index=days, name="demand")


def test_headline_and_status_start_with_the_first_purchase(history):
    rec = plan(history, "USD", options=PlanOptions(n_scenarios=200, horizon_days=90, seed=1))
    assert rec.policy.initial > 0
    first = text.money(rec.policy.initial, "USD")
    assert rec.explanation[0].startswith(f"Add {first} now, then recharge ")
    assert f"recommended: add {first} now, then recharge" in alert_status(rec)[1]


def test_growth_given_is_the_growth_the_words_use(history):
    options = PlanOptions(n_scenarios=200, horizon_days=90, seed=1, growth="+20%/year")
    rec = plan(history, "USD", options=options)
    words = " ".join(rec.explanation)
    assert "Demand grows by +20%/year, as you set it (--growth)." in words
    assert "using " not in words  # no estimated growth contradicting the one given


def test_french_plan_words(history):
    with text.language("fr"):
        rec = plan(history, "USD", options=PlanOptions(n_scenarios=200, horizon_days=90, seed=1))
        code, status = alert_status(rec)
    assert rec.explanation[0].startswith("Ajoutez ")
    assert "$US" in rec.explanation[0]
    assert status.startswith(("planner: OK ", "planner: ALERT ")) and "recommandé\u202f: " in status
