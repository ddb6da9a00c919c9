"""Keep the language files in step with the code: ``python -m planner.text.catalogue``.

Every message a person reads is found in the source (``t(...)``, ``nt(...)``, ``_(...)``
calls in ``planner/``, and in the report notebooks' sources ``notebooks/*.py`` the same calls
in code cells and the Markdown cells a report shows, i.e. all but those tagged ``report-hide``,
which speak to someone running the notebook by hand). :func:`update` adds the messages a language
file lacks (empty, for a translator to fill) and marks those the code no longer uses as
obsolete; :func:`missing` lists what a language still lacks (the tests require none).
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

#: function name -> how many leading string arguments are the message
KEYWORDS = {
    "_": 1, "t": 1, "nt": 2, "N_": 1,
    # errors a person reads: written in the language in use where they are raised
    "InputError": 1, "PlannerError": 1, "GraphError": 1, "NotebookFailed": 1,
    "_fail": 1, "_refused": 1,  # a Graph error, an option's value refused
}  # fmt: skip
#: function name -> the argument that is the message, after others (a side file's name for
#: what it holds, its cell errors: :class:`planner.inputs.table.Table`)
AT = {"Table": 1, "error": 1, "_first_bad": 2, "_refuse": 2, "fail": 1}
#: module-level constants the computation states in English and the text layer translates
#: (the computation does not import the text layer, so no ``N_`` marks them)
CONSTANTS = {"planner/recommend/cost.py": ("COST_FORMULA",)}

#: a cell marker of a jupytext percent-format source: ``# %%``, ``# %% [markdown] tags=[...]``
_CELL_MARKER = re.compile(r"^# %%(?P<markdown> \[markdown\])?(?P<options>.*)$")
#: Markdown cells so tagged are left out of the report (and of the catalogue)
_HIDDEN_TAG = "report-hide"

ROOT = Path(__file__).resolve().parents[2]


def _calls(path: Path, names: dict[str, int], at: dict[str, int] | None = None) -> list[tuple]:
    """``(msgid, line)`` of the calls ``name("...")`` (``names``: name -> string arguments;
    ``at``: name -> the one argument that is the message)."""
    at = AT if at is None else at
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name in at and len(node.args) > at[name]:
            args = [node.args[at[name]]]
        elif name in names:
            args = node.args[: names[name]]
        else:
            continue
        values = tuple(
            a.value for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str)
        )
        if values and len(values) == len(args):
            out.append((values if len(values) > 1 else values[0], node.lineno))
    return out


def _constants(path: Path, names: tuple[str, ...]) -> list[tuple[str, int]]:
    """``(text, line)`` of the module-level string constants ``names`` of ``path``."""
    return [
        (node.value.value, node.lineno)
        for node in ast.parse(path.read_text(encoding="utf-8"), str(path)).body
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
        and any(isinstance(t, ast.Name) and t.id in names for t in node.targets)
    ]


def notebook_markdown(path: Path) -> list[tuple[str, int]]:
    """``(text, line)`` of the Markdown cells a report shows, in a percent-format source.

    A Markdown cell is the block of ``#`` comment lines after a ``# %% [markdown]`` marker;
    its text is those lines without the leading ``# `` (as the notebook stores it).
    """
    cells: list[tuple[str, int, list[str]]] = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        marker = _CELL_MARKER.match(line)
        if marker:
            kind = "markdown" if marker["markdown"] else "code"
            if _HIDDEN_TAG in marker["options"]:
                kind = "hidden"
            cells.append((kind, lineno + 1, []))
        elif cells:
            cells[-1][2].append(line)
    out = []
    for kind, first, lines in cells:
        if kind == "markdown":
            body = "\n".join(ln[2:] if ln.startswith("# ") else ln.lstrip("#") for ln in lines)
            if body.strip():
                out.append((body.strip(), first))
    return out


def messages(root: Path = ROOT) -> dict[str | tuple[str, str], list[tuple[str, int]]]:
    """Every message in the code: ``msgid`` (or ``(singular, plural)``) -> where it is."""
    found: dict = {}
    notebooks = sorted((root / "notebooks").glob("*.py"))
    for path in [*sorted((root / "planner").rglob("*.py")), *notebooks]:
        where = path.relative_to(root).as_posix()
        places = _calls(path, KEYWORDS) + _constants(path, CONSTANTS.get(where, ()))
        if path in notebooks:
            places += notebook_markdown(path)
        for msgid, lineno in places:
            if msgid:
                found.setdefault(msgid, []).append((where, lineno))
    return found


def po_path(lang: str, root: Path = ROOT) -> Path:
    return root / "planner" / "text" / "locales" / f"{lang}.po"


def read(lang: str, root: Path = ROOT) -> Catalog:
    with po_path(lang, root).open("rb") as f:
        return read_po(f, locale=lang)


def missing(lang: str, root: Path = ROOT) -> list:
    """Messages of the code with no translation in ``lang`` (fuzzy counts as none)."""
    catalog = read(lang, root)
    out = []
    for msgid in messages(root):
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        entry = catalog.get(key)
        strings = entry.string if entry is not None else None
        done = (
            entry is not None
            and not entry.fuzzy
            and (all(strings) if isinstance(strings, (list, tuple)) else bool(strings))
        )
        if not done:
            out.append(msgid)
    return out


def update(lang: str, root: Path = ROOT) -> tuple[int, int]:
    """Add the code's new messages to ``lang`` and mark the unused ones obsolete.

    Returns ``(added, obsolete)``.
    """
    catalog = read(lang, root)
    found = messages(root)
    keys = {m[0] if isinstance(m, tuple) else m for m in found}
    added = 0
    for msgid, places in found.items():
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        if catalog.get(key) is None:
            catalog.add(msgid, ("", "") if isinstance(msgid, tuple) else "", locations=places)
            added += 1
    stale = [m.id for m in catalog if m.id and (m.id[0] if isinstance(m.id, tuple) else m.id)
             not in keys]  # fmt: skip
    for old in stale:
        key = old[0] if isinstance(old, (tuple, list)) else old
        catalog.obsolete[key] = catalog[key]
        del catalog[key]
    with po_path(lang, root).open("wb") as f:
        write_po(f, catalog, width=100, no_location=True, ignore_obsolete=True)
    return added, len(stale)


def main(argv: list[str] | None = None) -> int:
    langs = argv if argv else [p.stem for p in sorted(po_path("x").parent.glob("*.po"))]
    for lang in langs:
        added, stale = update(lang)
        left = missing(lang)
        print(f"{lang}: {added} added, {stale} obsolete, {len(left)} to translate")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
