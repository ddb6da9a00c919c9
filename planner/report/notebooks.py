"""The report notebooks: where they are, the parameters they declare, their language.

The notebooks ship inside the package (``planner/notebooks``, generated from ``notebooks/*.py``).
Parameters are routed to the notebooks that declare them, checked and made absolute before any
kernel starts (:func:`prepare_parameters`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from planner.errors import InputError
from planner.package_data import package_path
from planner.report.params import check_parameter
from planner.text import t

#: the report notebooks, in the order they run
NOTEBOOKS: tuple[str, ...] = ("funding_plan", "usage_analysis")


#: human titles of the notebooks (used when a notebook shows no heading)
TITLES: dict[str, str] = {
    "funding_plan": "Communications Credits funding plan",
    "usage_analysis": "PSTN usage analysis",
}


#: notebook parameters that name input files or folders (resolved to absolute paths)
PATH_PARAMETERS: frozenset[str] = frozenset(
    {"exports", "balance", "departments", "user_licences", "licences", "rates"}
)


#: parameters the runner sets itself
RESERVED_PARAMETERS: frozenset[str] = frozenset({"artifacts_dir", "shared_dir"})


def notebook_dir() -> Path:
    """Folder holding the report notebooks, shipped inside the package (``planner/notebooks``)."""
    return package_path("notebooks")


def notebook_path(name: str | Path) -> Path:
    """Path of report notebook ``name`` (e.g. ``"funding_plan"``), or ``name`` itself when it
    is already a path to an ``.ipynb`` file."""
    if str(name).endswith(".ipynb"):
        return Path(name)
    return notebook_dir() / f"{name}.ipynb"


def notebook_stem(name: str | Path) -> str:
    return Path(str(name)).stem


def notebook_parameters(path: str | Path) -> dict[str, dict[str, Any]]:
    """The parameters a notebook declares: ``name -> {"default", "type", "help"}``."""
    import papermill  # imported where used: a kernel starts without it

    found = papermill.inspect_notebook(str(path))
    return {
        name: {
            "default": info.get("default"),
            "type": info.get("inferred_type_name"),
            "help": info.get("help", ""),
        }
        for name, info in found.items()
    }


_PLAIN_TYPES = (str, bool, int, float, type(None))


def _check_plain(name: str, value: Any) -> Any:
    """Papermill passes only None/str/bool/int/float/list/dict; convert paths, reject others."""
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise InputError("parameter {name}: {value} is not a finite number", name=name, value=value)
    if isinstance(value, _PLAIN_TYPES):
        return value
    if isinstance(value, (list, tuple)):
        return [_check_plain(name, v) for v in value]
    if isinstance(value, dict):
        return {str(k): _check_plain(name, v) for k, v in value.items()}
    raise InputError(
        "parameter {name}: a {type} cannot be passed to a notebook; use a "
        "string, number, true/false, list or mapping",
        name=name,
        type=type(value).__name__,
    )


def _absolute_paths(name: str, value: Any) -> Any:
    if name not in PATH_PARAMETERS or value is None or value == "":
        return value
    if isinstance(value, list):
        items = [str(Path(v).expanduser().resolve()) for v in value]
        for item in items:
            if not Path(item).exists():
                raise InputError(
                    "{name}: {item} does not exist; check the path", name=name, item=item
                )
        return items
    path = Path(str(value)).expanduser().resolve()
    if not path.exists():
        raise InputError("{name}: {path} does not exist; check the path", name=name, path=path)
    return str(path)


def prepare_parameters(
    parameters: Mapping[str, Any], notebooks: Iterable[str | Path] = NOTEBOOKS
) -> dict[str, dict[str, Any]]:
    """Route parameters to the notebooks that declare them.

    Values are checked against :data:`planner.report.params.PARAMETERS` (type and range),
    paths made absolute (relative to the current directory) and checked; names no notebook
    declares are refused.

    Returns
    -------
    dict
        ``notebook name -> parameters to inject``.

    Raises
    ------
    InputError
        Unknown parameter name, reserved name, a value papermill cannot pass or the parameter
        does not accept, a missing file.
    """
    declared = {notebook_stem(nb): notebook_parameters(notebook_path(nb)) for nb in notebooks}
    known = set().union(*(d.keys() for d in declared.values())) - RESERVED_PARAMETERS
    clean: dict[str, Any] = {}
    for name, value in parameters.items():
        if name in RESERVED_PARAMETERS:
            raise InputError("parameter {name}: set by the report runner, not by hand", name=name)
        if name not in known:
            raise InputError(
                "unknown notebook parameter {name!r}; known parameters: {known}",
                name=name,
                known=", ".join(sorted(known)),
            )
        clean[name] = _absolute_paths(name, check_parameter(name, _check_plain(name, value)))
    return {nb: {k: v for k, v in clean.items() if k in names} for nb, names in declared.items()}


def translate_notebook(source: str | Path, dest: Path) -> Path:
    """Copy a notebook with its Markdown cells in the language in use (the code cells write
    their own output through :mod:`planner.text`)."""
    import nbformat

    nb = nbformat.read(str(source), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = t(cell.source)
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(dest))
    return dest
