"""Files shipped inside the package, found through :mod:`importlib.resources`.

The report notebooks (``planner/notebooks/*.ipynb``) and the sample tenant
(``planner/data/sample``) are package data: they travel in the wheel, so an installed
``planner`` finds them from any working directory, exactly as an editable checkout does.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["package_path"]


def package_path(*parts: str) -> Path:
    """The file or folder ``parts`` inside the installed package, as a real path.

    Raises
    ------
    FileNotFoundError
        It is missing (an incomplete install), or the package is not on a file system (a
        zipped install, which the notebooks' kernels could not read from anyway).
    """
    found = resources.files("planner").joinpath(*parts)
    if not isinstance(found, Path) or not found.exists():
        where = "/".join(("planner", *parts))
        raise FileNotFoundError(f"{where} is missing from the installed package; reinstall planner")
    return found
