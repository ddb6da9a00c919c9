"""The shape of the code (docs/architecture.md): one home per rule, layers that flow one way,
modules and functions that fit in a head. Each rule reads the source, so a change that
breaks one fails here with the file and line to look at."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "planner"
SOURCES = sorted(PACKAGE.rglob("*.py")) + sorted((ROOT / "notebooks").glob("*.py"))

#: the only function allowed past MAX_FUNCTION_LINES: the numba kernel runs one lane's whole
#: simulation in one loop, since numba cannot inline the calls a split would need at this speed
LONG_FUNCTIONS = {("planner/_kernels.py", "run_lane")}
MAX_FUNCTION_LINES = 80
MAX_MODULE_LINES = 600
MAX_COMMAND_LINES = 150


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every module ``path`` imports (top level or inside a function), with its line."""
    package = _module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    found = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def _offenders(pattern: str, paths: list[Path], allowed: set[str]) -> list[str]:
    rx = re.compile(pattern)
    return [
        f"{_rel(p)}:{i}: {line.strip()}"
        for p in paths
        if _rel(p) not in allowed
        and not any(_rel(p).startswith(a) for a in allowed if a.endswith("/"))
        for i, line in enumerate(p.read_text().splitlines(), 1)
        if rx.search(line)
    ]


def _layer(name: str) -> list[Path]:
    folder = PACKAGE / name
    return sorted(folder.rglob("*.py")) if folder.is_dir() else [PACKAGE / f"{name}.py"]


def _importers(layer: str, forbidden: str) -> list[str]:
    return [
        f"{_rel(p)}:{line}: imports {module}"
        for p in _layer(layer)
        for line, module in _imports(p)
        if module == forbidden or module.startswith(forbidden + ".")
    ]


# ---- one home per rule --------------------------------------------------------------------


def test_the_12_month_expiry_has_one_home():
    """A lot expires in planner.lots.expiry_date, nowhere else."""
    pattern = r"DateOffset\(\s*(months\s*=\s*12|years\s*=\s*1)\b|relativedelta\("
    assert _offenders(pattern, SOURCES, {"planner/lots.py"}) == []


#: money turned into text or units by hand: cents divided by 100, Decimal's shift by two
#: places, whole and cents split by divmod or // and %, an amount shown with two decimals
CENTS_TO_TEXT = (
    r"scaleb\(\s*-2\s*\)"
    r"|divmod\(.*,\s*100\s*\)"
    r"|%\s*100\s*:02d"
    r"|/\s*100(\.0)?\b[^\n]*:,?\.2f"
    r"|Decimal\(.*\)\s*/\s*100\b"
    r"|cents\w*\W{0,3}\)*\s*/\s*100(\.0)?\s*(,\s*2\)|[:}])"  # shown, not a column of units
    r"|:,\.2f\}"
)


def test_cents_become_text_only_in_money_and_text():
    allowed = {"planner/money.py", "planner/text/"}
    assert _offenders(CENTS_TO_TEXT, SOURCES, allowed) == []


def test_the_cents_rule_finds_a_formatter():
    """The pattern above catches the shapes it is meant for (a rule that finds nothing passes)."""
    rx = re.compile(CENTS_TO_TEXT)
    for line in (
        'f"{cents / 100:,.2f}"',
        "Decimal(int(c)).scaleb(-2)",
        "whole, frac = divmod(abs(c), 100)",
        'f"{c // 100}.{c % 100:02d}"',
        "Decimal(c) / 100",
        "(Decimal(str(cents)) / 100).quantize(Decimal('0.01'))",
        "text.number(round(cents) / 100, 2)",
        'f"{int(row["amount_cents"]) / 100}"',
        'f"{value:,.2f} {currency}"',
    ):
        assert rx.search(line), line
    assert not rx.search("share = 100 * cents / total")
    assert not rx.search('frame["spend"] = frame.pop("spend_cents") / 100')  # units, not text


def test_plan_defaults_are_written_once():
    """The service level and the alert days take their defaults from planner.recommend.cost
    alone (the notebook's parameter cell is compared with PlanOptions by its own test)."""
    pattern = r"\b(service_level|alert_days)\b\s*(:[^=\n]*)?=\s*[0-9]"
    assert _offenders(pattern, SOURCES, {"notebooks/funding_plan.py"}) == []
    rx = re.compile(pattern)
    assert rx.search("    service_level: float = 0.99,") and rx.search("alert_days=14")
    assert not rx.search("service_level: float = DEFAULT_SERVICE_LEVEL")


# ---- layers that flow one way -------------------------------------------------------------


def test_ingest_never_imports_collect():
    assert _importers("ingest", "planner.collect") == []


def test_batch_never_imports_the_command_line():
    assert _importers("batch", "planner.commands") + _importers("batch", "planner.cli") == []


@pytest.mark.parametrize("layer", ["recommend", "scenarios"])
def test_computation_never_imports_text(layer):
    """A model that imports the text layer speaks whichever language happens to be set."""
    assert _importers(layer, "planner.text") == []


def test_the_import_rules_see_imports():
    """The import reader finds absolute, relative and function-level imports."""
    found = {module for _, module in _imports(PACKAGE / "report" / "runner.py")}
    assert "planner.report.artifacts" in found
    found = {module for _, module in _imports(PACKAGE / "commands" / "report.py")}
    assert "planner.report.build_report" in found or "planner.report.runner" in found


# ---- sizes --------------------------------------------------------------------------------


def _code_lines(lines: list[str], node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines of code in a function: its docstring, blank lines and comments left out."""
    skip: set[int] = set()
    first = node.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        skip = set(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    return sum(
        1
        for i in range(node.lineno, (node.end_lineno or node.lineno) + 1)
        if i not in skip and lines[i - 1].strip() and not lines[i - 1].strip().startswith("#")
    )


def test_functions_fit_on_a_screen():
    long = []
    for path in SOURCES:
        lines = path.read_text().splitlines()
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = _code_lines(lines, node)
                if n > MAX_FUNCTION_LINES and (_rel(path), node.name) not in LONG_FUNCTIONS:
                    long.append(f"{_rel(path)}:{node.lineno} {node.name}: {n} lines")
    assert long == []


def test_the_kernel_exception_is_still_needed():
    """The one long function allowed is still long (else the exception should go)."""
    (path, name), *_ = LONG_FUNCTIONS
    lines = (ROOT / path).read_text().splitlines()
    node = next(
        n for n in ast.walk(_tree(ROOT / path)) if isinstance(n, ast.FunctionDef) and n.name == name
    )
    assert _code_lines(lines, node) > MAX_FUNCTION_LINES


def test_modules_stay_under_600_lines():
    long = [
        f"{_rel(p)}: {n}"
        for p in SOURCES
        if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    ]
    assert long == []


def test_command_modules_stay_thin():
    """A command parses its options, calls the library and prints: at most 150 lines."""
    long = [
        f"{_rel(p)}: {n}"
        for p in sorted((PACKAGE / "commands").glob("*.py"))
        if (n := len(p.read_text().splitlines())) > MAX_COMMAND_LINES
    ]
    assert long == []
