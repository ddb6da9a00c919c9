"""Hostile YAML inputs (``TENANTS.yaml``, ``report --params``, ``-p`` values) and notebook
parameters: one line and exit 2, never a traceback, a hang or a value the notebook chokes on."""

from __future__ import annotations

import os
import threading
import zoneinfo

import papermill
import pytest

from planner import yamlfile
from planner.batch import read_tenants
from planner.cli import main
from planner.errors import InputError
from planner.report.notebooks import (
    NOTEBOOKS,
    RESERVED_PARAMETERS,
    notebook_parameters,
    notebook_path,
)
from planner.report.params import PARAMETERS, check_parameter, parse_value, read_params_file
from tests.fixtures.ingest.build import CP_CURRENT, cp_row, write_csv

TENANT = "tenants:\n  - name: a\n    exports: x.csv\n"

#: a billion laughs: nine levels of ten aliases each, 10**9 values once expanded
LAUGHS = 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9)
)


def _one_line(capsys, code: int, *fragments: str) -> str:
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and err.count("\n") == 1, err
    for fragment in fragments:
        assert fragment in err, err
    return err


@pytest.fixture
def exports(tmp_path):
    return write_csv(tmp_path / "x.csv", CP_CURRENT, [cp_row(1), cp_row(2)])


# ---------------------------------------------------------------------------------------------
# the loader itself
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "a: !!python/object/apply:os.system ['echo owned']\n",
        "a: !!python/name:os.system\n",
        "a: !!binary aGVsbG8=\n",
        "a: !local thing\n",
        "a: !!set {x, y}\n",
    ],
)
def test_tags_beyond_plain_types_are_refused_naming_the_line(tmp_path, text):
    path = tmp_path / "p.yaml"
    path.write_text("ok: 1\n" + text)
    with pytest.raises(InputError, match=r"p.yaml: line 2: the tag .* is not allowed"):
        yamlfile.load_file(path)


def test_plain_explicit_tags_are_read(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("a: !!str 12\nb: !!int '3'\nc: !!float 1\nd: 2026-01-01\n")
    assert yamlfile.load_file(path) == {"a": "12", "b": 3, "c": 1.0, "d": "2026-01-01"}


def test_deep_nesting_is_refused_before_the_composer_recurses(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("a: " + "[" * 20_000 + "]" * 20_000 + "\n")
    with pytest.raises(InputError, match=f"nested more than {yamlfile.MAX_DEPTH} levels"):
        yamlfile.load_file(path)
    path.write_text("a: " + "[" * 60 + "1" + "]" * 60 + "\n")  # within the limit
    assert yamlfile.load_file(path)["a"] is not None


def test_billion_laughs_is_refused_without_expanding(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(LAUGHS)
    with pytest.raises(InputError, match="aliases expand to more than 100,000 values"):
        yamlfile.load_file(path)


def test_shared_settings_through_aliases_still_work(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("base: &b {seed: 1, top_n: 5}\none: {<<: *b, seed: 2}\ntwo: *b\n")
    assert yamlfile.load_file(path)["one"] == {"seed": 2, "top_n": 5}


def test_an_alias_inside_itself_is_refused(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("a: &x [1, *x]\n")
    with pytest.raises(InputError, match="contains itself"):
        yamlfile.load_file(path)


def test_a_huge_integer_is_one_line(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("seed: " + "9" * 20_000 + "\n")
    with pytest.raises(InputError, match="p.yaml: line 1"):
        yamlfile.load_file(path)


def test_size_and_encoding_limits(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("a: '" + "x" * (yamlfile.MAX_BYTES + 1) + "'\n")
    with pytest.raises(InputError, match="larger than 1 MiB"):
        yamlfile.load_file(path)
    path.write_bytes(b"a: 1\nb: caf\xe9\n")
    with pytest.raises(InputError, match=r"line 2: byte 0xe9 is not UTF-8"):
        yamlfile.load_file(path)


def _in_time(call, seconds: float = 20.0):
    """Run ``call`` on a thread; fail (instead of hanging the suite) when it blocks."""
    outcome: list[BaseException | None] = []

    def target():
        try:
            call()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome.append(exc)
        else:
            outcome.append(None)

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(seconds)
    assert outcome, "blocked"
    return outcome[0]


@pytest.mark.parametrize("reader", [read_tenants, read_params_file])
def test_a_fifo_or_folder_is_refused_without_blocking(tmp_path, reader):
    fifo = tmp_path / "TENANTS.yaml"
    os.mkfifo(fifo)
    exc = _in_time(lambda: reader(fifo))
    assert isinstance(exc, InputError) and "not a regular file" in str(exc)
    exc = _in_time(lambda: reader(tmp_path))
    assert isinstance(exc, InputError) and "not a regular file" in str(exc)


# ---------------------------------------------------------------------------------------------
# TENANTS.yaml and --params: the same limits and messages
# ---------------------------------------------------------------------------------------------

_TAGGED = "!!python/object/apply:os.system ['echo owned']"


@pytest.mark.parametrize(
    "text",
    [
        f"tenants:\n  - name: {_TAGGED}\n    exports: x\n",
        f"tenants:\n  - name: a\n    exports: {_TAGGED}\n",
        f"tenants:\n  - name: a\n    exports: x\n    current_threshold: {_TAGGED}\n",
        f"defaults:\n  params: {{tenant: {_TAGGED}}}\n" + TENANT,
    ],
)
def test_python_tags_in_a_tenants_file_are_one_line(tmp_path, capsys, text):
    path = tmp_path / "TENANTS.yaml"
    path.write_text(text)
    code = main(["batch", str(path), "--out", str(tmp_path / "out")])
    _one_line(capsys, code, "the tag !!python/object/apply:os.system is not allowed")


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("".join("    " + line for line in LAUGHS.splitlines(True)), "expand to more than"),
        ("    x: " + "[" * 20_000 + "]" * 20_000 + "\n", "nested more than"),
    ],
)
def test_tenants_file_and_params_file_share_the_limits(tmp_path, capsys, body, fragment):
    tenants = tmp_path / "TENANTS.yaml"
    tenants.write_text("defaults:\n  params:\n" + body + TENANT)
    code = main(["batch", str(tenants), "--out", str(tmp_path / "out")])
    first = _one_line(capsys, code, fragment)
    params = tmp_path / "params.yaml"
    params.write_text("params:\n" + body)
    code = main(["report", str(tmp_path), "--params", str(params), "--out", str(tmp_path / "r")])
    second = _one_line(capsys, code, fragment)
    assert first.split(fragment)[1] == second.split(fragment)[1]  # the same words


# ---------------------------------------------------------------------------------------------
# notebook parameters: one table, checked before papermill
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("n_scenarios", '"abc"', "n_scenarios: 'abc' is not a whole number; give a whole number from 1 to 20,000"),
        ("seed", "x", "seed: 'x' is not a whole number; give a whole number from 0 to 9,223,372,036,854,775,807"),
        ("seed", "1.5", "seed: 1.5 is not a whole number; give a whole number from 0 to"),
        ("top_n", "-5", "top_n: -5 is out of range; give a whole number from 1 to 1,000"),
        ("timezone", "Mars/Olympus", "timezone: 'Mars/Olympus' is not a time zone"),
        ("month_end_days", "0", "month_end_days: 0 is out of range"),
        ("current_auto_recharge", "maybe", "current_auto_recharge: 'maybe' is not true or false"),
        ("service_level", "1", "service_level: 1 is out of range; give a number from 0.5 to below 1"),
        ("tenant", _TAGGED, "-p tenant: line 1: the tag !!python/object/apply:os.system"),
    ],
)  # fmt: skip
def test_bad_p_values_are_exit_2_before_any_kernel(exports, tmp_path, capsys, monkeypatch,
                                                   name, value, fragment):  # fmt: skip
    def no_kernel(*_a, **_k):
        raise AssertionError("papermill must not run")

    monkeypatch.setattr(papermill, "execute_notebook", no_kernel)
    code = main(["report", str(exports), "-p", name, value, "--out", str(tmp_path / "r")])
    _one_line(capsys, code, fragment)


def test_bad_params_in_a_tenants_file_name_the_line(tmp_path):
    path = tmp_path / "TENANTS.yaml"
    path.write_text("defaults:\n  scenarios: 300\n" + TENANT + "    params: {top_n: -5}\n")
    with pytest.raises(InputError, match=r"line 6: tenant 'a': params: top_n: -5 is out of range"):
        read_tenants(path)
    path.write_text("defaults:\n  timezone: Mars/Olympus\n" + TENANT)
    with pytest.raises(InputError, match=r"line 2: defaults: timezone: 'Mars/Olympus' is not"):
        read_tenants(path)


def test_parameter_table_follows_the_notebooks():
    """Every parameter of both notebooks is in the table (and nothing else), and each
    notebook's default is a value the table accepts."""
    declared: dict[str, object] = {}
    for nb in NOTEBOOKS:
        for name, info in notebook_parameters(notebook_path(nb)).items():
            declared[name] = info
    assert set(PARAMETERS) == set(declared) - RESERVED_PARAMETERS
    for name, spec in PARAMETERS.items():
        default = eval(declared[name]["default"])  # noqa: S307 - the notebooks' own literals
        assert spec.check(name, default) == default, name
        if declared[name]["type"].startswith("Optional"):
            assert spec.optional, name


def test_every_zone_of_the_database_is_accepted():
    for zone in sorted(zoneinfo.available_timezones())[::50]:
        assert check_parameter("timezone", zone) == zone


def test_p_values_read_as_yaml_or_text():
    assert parse_value("seed", "7") == 7 and parse_value("tenant", "a: b: c") == "a: b: c"
    assert parse_value("exports", "[a.zip, b.zip]") == ["a.zip", "b.zip"]
    with pytest.raises(InputError, match="nested more than"):
        parse_value("exports", "[" * 5000 + "]" * 5000)
