"""Days without a single call record in the exports: an export not downloaded reads as days
without spend, so the plan says so, in its text and its JSON, in English and in French."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from planner.analysis import data_quality, record_gaps
from planner.cli import main
from planner.ingest import read_exports
from planner.report import quality_markdown
from planner.sample import sample_dir


def _records(days: list[int]) -> pd.DataFrame:
    first = pd.Timestamp("2026-03-01 09:00", tz="UTC")
    return pd.DataFrame({"start": [first + pd.Timedelta(days=d) for d in days]})


def test_a_week_without_any_record_is_a_gap_in_a_tenant_that_calls_every_day():
    days = [d for d in range(60) if not 20 <= d <= 29]
    assert record_gaps(_records(days)) == [(dt.date(2026, 3, 21), dt.date(2026, 3, 30))]
    # a few quiet days are not a gap
    assert record_gaps(_records([d for d in range(60) if not 20 <= d <= 24])) == []
    # nor is a quiet week of a tenant that calls now and then
    sparse = [d for d in range(0, 120, 2) if not 40 <= d <= 52]
    assert record_gaps(_records(sparse)) == []
    assert record_gaps(_records([])) == []


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> tuple[pd.DataFrame, str]:
    """The sample tenant's records as one table, and the same without May 2026, as an export
    admins could produce."""
    folder = tmp_path_factory.mktemp("holed")
    assert main(["ingest", str(sample_dir() / "exports"), "--out", str(folder / "all.csv")]) == 0
    table = pd.read_csv(folder / "all.csv", dtype=str, keep_default_na=False)
    start = pd.to_datetime(table["start"], utc=True)
    hole = (start >= pd.Timestamp("2026-05-01", tz="UTC")) & (
        start < pd.Timestamp("2026-06-01", tz="UTC")
    )
    path = folder / "calls.csv"
    table[~hole].to_csv(path, index=False)
    return table.assign(start=start), str(path)


def test_the_plan_names_a_month_missing_from_the_exports(exported, capsys):
    argv = ["recommend", exported[1], "--scenarios", "300", "--seed", "3"]
    main([*argv, "--json"])
    doc = json.loads(capsys.readouterr().out)
    wanted = "No call record at all from 1 May 2026 to 31 May 2026 (31 days): a closure, or an"
    assert any(w.startswith(wanted) for w in doc["warnings"])
    main([*argv, "--lang", "fr"])
    assert "Aucun enregistrement d'appel du 1 mai 2026 au 31 mai 2026" in capsys.readouterr().out


def test_the_whole_sample_has_no_gap(exported):
    assert record_gaps(exported[0]) == []


def test_the_usage_report_names_the_gap_where_it_says_what_was_read(exported):
    quality = data_quality(read_exports([exported[1]]))
    assert quality["gaps"] == [(dt.date(2026, 5, 1), dt.date(2026, 5, 31))]
    assert "No call record at all from 1 May 2026 to 31 May 2026" in quality_markdown(quality)
