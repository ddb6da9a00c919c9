"""Reading the YAML files a user hands the planner (``TENANTS.yaml``, ``--params``), safely.

Every YAML input goes through :func:`load_file` (or :func:`compose_file` for a reader that
names lines, :func:`load_value` for a ``-p NAME VALUE`` value), with one set of limits and
one set of messages. Whatever the file holds, reading it ends in plain values (text, numbers,
true/false, None, lists, mappings) or one :class:`~planner.errors.InputError` naming the file
and the line; never a traceback, never unbounded time or memory:

- only a regular file is read (a FIFO, a device or a folder is refused without blocking), at
  most :data:`MAX_BYTES`, as UTF-8;
- safe loading only: an explicit tag other than YAML's plain types (``!!python/object``,
  ``!!binary``, a local ``!tag``) is refused before anything is built;
- nesting deeper than :data:`MAX_DEPTH` levels is refused before the document is composed
  (the composer is recursive: 20,000 levels would exhaust Python's stack);
- aliases are allowed (``&common`` and ``<<: *common`` share settings between tenants) but the
  document they expand to may hold at most :data:`MAX_VALUES` values (a "billion laughs" tree
  of nested aliases is refused, measured without expanding it), and an alias may not contain
  itself;
- dates stay text (``2026-04-01`` is the string papermill would pass a notebook anyway).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from planner.errors import InputError
from planner.text import number, t

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_VALUES",
    "compose_file",
    "construct",
    "load_file",
    "load_value",
    "plain_values",
]

#: the largest YAML file read (a parameters or tenants file is a few kilobytes)
MAX_BYTES = 1 << 20
#: the deepest nesting of lists and mappings (a tenants file nests four levels)
MAX_DEPTH = 64
#: the most values a document may expand to, its aliases followed
MAX_VALUES = 100_000

_YAML_TAG = "tag:yaml.org,2002:"
#: the explicit tags a document may carry: YAML's plain types
_ALLOWED_TAGS = frozenset(
    {"!", *(_YAML_TAG + t for t in ("str", "int", "float", "bool", "null", "seq", "map"))}
)


class _Loader(yaml.SafeLoader):
    """Safe YAML where dates stay text: papermill passes dates to notebooks as ISO strings."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _YAML_TAG + "timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _line(mark: Any) -> str:
    return t("line {line}: ", line=mark.line + 1) if mark is not None else ""


def read_text(path: str | Path, label: str) -> str:
    """The text of a YAML file: a regular file of at most :data:`MAX_BYTES`, UTF-8.

    The file is opened without blocking and checked before it is read, so a FIFO named as a
    file is refused at once rather than waited on.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise InputError("{label}: no such file", label=label) from None
    except OSError as exc:
        raise InputError(
            "{label}: cannot read the file ({strerror})", label=label, strerror=exc.strerror or exc
        ) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise InputError(
                "{label}: not a regular file (a folder, device, pipe or socket); give a file",
                label=label,
            )
        with os.fdopen(fd, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise InputError(
            "{label}: cannot read the file ({strerror})", label=label, strerror=exc.strerror or exc
        ) from None
    if len(data) > MAX_BYTES:
        raise InputError(
            "{label}: larger than {mib} MiB; not a parameters file",
            label=label,
            mib=MAX_BYTES >> 20,
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            "{label}: line {line}: byte 0x{data:02x} is not UTF-8; save the file as UTF-8",
            label=label,
            line=line,
            data=data[exc.start],
        ) from None


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_YAML_TAG) :] if tag.startswith(_YAML_TAG) else tag


def _check_events(text: str, label: str) -> None:
    """Refuse explicit tags other than the plain types, and nesting beyond :data:`MAX_DEPTH`,
    from the parser's events (no recursion, nothing built)."""
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        tag = getattr(event, "tag", None)
        if tag is not None and tag not in _ALLOWED_TAGS:
            raise InputError(
                "{label}: {line}the tag {short_tag} is not allowed; a value is text, a "
                "number, true/false, a list or a mapping",
                label=label,
                line=_line(event.start_mark),
                short_tag=_short_tag(tag)[:80],
            )
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise InputError(
                    "{label}: {line}nested more than {max_depth} levels deep; not a "
                    "parameters file",
                    label=label,
                    line=_line(event.start_mark),
                    max_depth=MAX_DEPTH,
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _children(node: yaml.Node) -> Iterator[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        yield from node.value
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield key
            yield value


def _check_expansion(root: yaml.Node, label: str) -> None:
    """Refuse a document whose aliases expand to more than :data:`MAX_VALUES` values, or
    that contains itself. Sizes are counted once per node (aliases share nodes), without
    recursion and without expanding anything."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            on_path.discard(key)
            sizes[key] = 1 + sum(sizes[id(c)] for c in _children(node))
            if sizes[key] > MAX_VALUES:
                raise InputError(
                    "{label}: {line}its aliases expand to more than {max_values} values; "
                    "not a parameters file",
                    label=label,
                    line=_line(node.start_mark),
                    max_values=number(MAX_VALUES),
                )
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise InputError(
                "{label}: {line}an alias contains itself", label=label, line=_line(node.start_mark)
            )
        on_path.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node) if id(c) not in sizes)


def _yaml_error(exc: yaml.YAMLError, label: str) -> InputError:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return InputError(
        "{label}: {line}not valid YAML ({problem})", label=label, line=_line(mark), problem=problem
    )


def compose_text(text: str, label: str) -> yaml.Node | None:
    """The checked node tree of a YAML document (None when it is empty).

    Raises
    ------
    InputError
        Not YAML, a tag other than the plain types, too deep, or aliases that expand too far.
    """
    try:
        _check_events(text, label)
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, label) from None
    if root is not None:
        _check_expansion(root, label)
    return root


def compose_file(path: str | Path, label: str | None = None) -> yaml.Node | None:
    """:func:`compose_text` of a file read by :func:`read_text`; messages start with
    ``label`` (default: the path)."""
    label = str(path) if label is None else label
    return compose_text(read_text(path, label), label)


def construct(node: yaml.Node, label: str) -> Any:
    """The plain value of a checked node (see :func:`plain_values`)."""
    try:
        return plain_values(_Loader("").construct_document(node))
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, label) from None
    except ValueError as exc:  # an integer of thousands of digits
        raise InputError(
            "{label}: {line}{exc}", label=label, line=_line(node.start_mark), exc=exc
        ) from None


def plain_values(value: Any) -> Any:
    """A constructed value as papermill passes it: mappings with text keys, lists, scalars.

    Shared (aliased) values are copied, which :func:`compose_text` has bounded.
    """
    if isinstance(value, list):
        return [plain_values(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain_values(v) for k, v in value.items()}
    return value


def load_file(path: str | Path, label: str | None = None) -> Any:
    """The plain value of a YAML file (None when empty), every limit above checked."""
    label = str(path) if label is None else label
    root = compose_file(path, label)
    return None if root is None else construct(root, label)


def load_value(text: str, label: str) -> Any:
    """A value given on the command line, read as YAML (``0.9`` -> float, ``true`` -> bool).

    Text that is not YAML stays the text itself; a refused tag, nesting or expansion is an
    :class:`InputError` as in a file.
    """
    try:
        _check_events(text, label)
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError:
        return text
    if root is None:
        return None
    _check_expansion(root, label)
    return construct(root, label)
