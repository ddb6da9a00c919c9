"""Which files to read: files, folders, store directories and glob patterns, in reading order."""

from __future__ import annotations

import glob
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from planner.errors import InputError
from planner.store import layout


@dataclass(frozen=True)
class Input:
    """One file to read, and how it was given.

    ``named`` is True for a file named on its own (or a store's partition); a file found in a
    folder or by a glob pattern is not named: when it is not a usage export it is skipped
    with a warning instead of stopping the run.
    """

    path: Path
    named: bool


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith((".", "__MACOSX")) for part in path.relative_to(root).parts)


def _is_parameters(path: Path) -> bool:
    return path.name.lower() == "parameters.json"


def _folder_files(root: Path) -> list[Input]:
    """Files of a folder, recursively, in path order; a store inside gives its partitions."""
    if layout.is_store(root):
        return [Input(p, True) for p in layout.partition_files(root)]
    found: list[Input] = []
    for path in sorted(root.iterdir()):
        if _hidden(path, root):
            continue
        if path.is_dir():
            if not path.is_symlink():  # as rglob: a linked folder could loop
                found.extend(_folder_files(path))
        elif path.is_file() and not _is_parameters(path):
            found.append(Input(path, False))
    return found


def discover(paths: Iterable[str | Path] | str | Path) -> list[Input]:
    """Turn files, folders, store directories and glob patterns into the files to read.

    Folders are searched recursively, hidden files and folders skipped, files sorted by path;
    a store directory (:mod:`planner.store.history`) gives its monthly partitions, oldest
    first; glob patterns (``*``, ``?``, ``[``, ``**``) are expanded and sorted. A
    ``parameters.json`` is metadata of the export next to it, not an export, and is left out.
    A file named twice is read once.

    Raises
    ------
    InputError
        When a path does not exist, a pattern matches nothing, or nothing is left to read.
    """
    if isinstance(paths, str | Path):
        paths = [paths]
    out: list[Input] = []
    for raw in paths:
        text = str(raw)
        path = Path(text).expanduser()
        if path.is_dir():
            found = _folder_files(path)
            if not found:
                if layout.is_store(path):
                    raise InputError("{path}: the store holds no records yet", path=text)
                raise InputError("{path}: the folder holds no files to read", path=text)
            out.extend(found)
        elif path.exists():
            out.append(Input(path, True))
        elif any(ch in text for ch in "*?["):
            matched = sorted(Path(p) for p in glob.glob(str(path), recursive=True))
            found = [Input(p, False) for p in matched if p.is_file() and not _is_parameters(p)]
            for p in matched:
                if p.is_dir() and layout.is_store(p):
                    found.extend(_folder_files(p))
            if not found:
                raise InputError("{text}: no file matches this pattern", text=text)
            out.extend(found)
        elif path.is_symlink():
            raise InputError(
                "{text}: a symbolic link that leads nowhere ({strerror}); give the file it "
                "should point to",
                text=text,
                strerror=_broken_link(path),
            )
        else:
            raise InputError("{text}: no such file or folder", text=text)
    named: dict[Path, bool] = {}
    for item in out:  # a file named and also found in a folder counts as named
        named[item.path] = named.get(item.path, False) or item.named
    if not named:
        raise InputError("no input files given")
    return [Input(path, flag) for path, flag in named.items()]


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """The files :func:`discover` finds, in reading order.

    Raises
    ------
    InputError
        As :func:`discover`.
    """
    return [item.path for item in discover(paths)]


def input_bytes(paths: Iterable[str | Path]) -> int:
    """Size of the inputs once unpacked: file sizes, zip members at their uncompressed size.

    Raises
    ------
    InputError
        As :func:`expand_paths`.
    """
    total = 0
    for path in expand_paths(paths):
        size = path.stat().st_size
        if zipfile.is_zipfile(path):
            try:
                with zipfile.ZipFile(path) as zf:
                    size = max(size, sum(i.file_size for i in zf.infolist()))
            except (zipfile.BadZipFile, OSError):
                pass  # reported when the file is read
        total += size
    return total


def _broken_link(path: Path) -> str:
    """Why the symlink ``path`` cannot be followed (a loop, a missing target)."""
    try:
        path.stat()
    except OSError as exc:
        return str(exc.strerror or exc)
    return ""
