"""Write the report notebooks from their sources: ``python notebooks/build_notebooks.py``.

The sources are the jupytext percent-format scripts beside this file (``funding_plan.py``,
``usage_analysis.py``): Python that ruff and mypy check like the package. Each is written, without
outputs, as ``planner/notebooks/<name>.ipynb``, where it ships inside the package. Cells keep the
tags the runner reads (``parameters`` for papermill, ``report-hide`` for the HTML) and get stable
ids, so the stored copies change only when a source does. ``--check`` writes nothing and fails
when a stored copy is out of date.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jupytext
import nbformat

HERE = Path(__file__).resolve().parent
#: where the notebooks are written: inside the package, which ships them (package data)
OUT_DIR = HERE.parent / "planner" / "notebooks"
#: the notebooks, by name (their source is ``notebooks/<name>.py``)
NAMES = ("usage_analysis", "funding_plan")
#: notebook metadata kept from a source's header (jupytext's own bookkeeping is dropped)
METADATA_KEYS = ("kernelspec", "language_info", "title")


def build(source: Path) -> nbformat.NotebookNode:
    """The notebook of one percent-format source, without outputs and with stable cell ids."""
    nb = jupytext.read(source, fmt="py:percent")
    nb.metadata = nbformat.NotebookNode(
        {key: nb.metadata[key] for key in METADATA_KEYS if key in nb.metadata}
    )
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{source.stem[:5]}-{i:02d}"
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nbformat.validate(nb)
    return nb


def build_all(source_dir: Path = HERE) -> dict[str, nbformat.NotebookNode]:
    """The report notebooks by name."""
    return {name: build(source_dir / f"{name}.py") for name in NAMES}


def stored_text(nb: nbformat.NotebookNode) -> str:
    """The text of a stored notebook (as ``nbformat.write`` writes it)."""
    return nbformat.writes(nb) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a stored copy is stale")
    args = parser.parse_args(argv)
    stale = []
    for name, nb in build_all().items():
        path = OUT_DIR / f"{name}.ipynb"
        wanted = stored_text(nb)
        if path.exists() and path.read_text(encoding="utf-8") == wanted:
            continue
        if args.check:
            stale.append(path)
        else:
            path.write_text(wanted, encoding="utf-8")
            print(path)
    for path in stale:
        print(f"{path} is out of date: run python notebooks/build_notebooks.py", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
