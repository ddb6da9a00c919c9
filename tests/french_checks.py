"""Catalogue messages left in English in French output: every msgid whose French differs,
as a pattern (``{name}`` fields match anything), matched against whole pieces of text (a
chart's text, an HTML text node, a workbook cell, a segment of a command's line)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from functools import cache

from planner.text import catalogue


def _unspaced(text: str) -> str:
    """``text`` without the space French puts before high punctuation."""
    return re.sub(r"[ \u00a0\u202f]+(?=[:;!?])", "", text)


@cache
def english_patterns() -> tuple[tuple[str, re.Pattern], ...]:
    """``(msgid, pattern)`` of the messages French writes differently."""
    french = catalogue.read("fr")
    found = []
    for msgid in catalogue.messages():
        forms = msgid if isinstance(msgid, tuple) else (msgid,)
        entry = french.get(forms[0])
        strings = entry.string if entry is not None else ""
        translated = set(strings) if isinstance(strings, (list, tuple)) else {strings}
        translated = {_unspaced(s) for s in translated}
        for form in forms:
            words = re.sub(r"\{[^}]*\}", "", form)
            if _unspaced(form) in translated or len(re.sub(r"\W", "", words)) < 3:
                continue  # the same in French ("Date", "Total", "argument {name} : ..."), or
                # no words to see
            parts = re.split(r"\{[^}]*\}", form)
            pattern = ".+?".join(re.escape(part) for part in parts)
            found.append((form, re.compile(pattern, re.S)))
    return tuple(found)


def english_left(pieces: Iterable[str]) -> list[tuple[str, str]]:
    """``(piece, msgid)`` for each piece of text that is a catalogue message in English."""
    patterns = english_patterns()
    left = []
    for piece in pieces:
        piece = piece.strip()
        if not piece:
            continue
        for msgid, pattern in patterns:
            if pattern.fullmatch(piece):
                left.append((piece, msgid))
                break
    return left


def html_pieces(page: str) -> list[str]:
    """The text nodes of an HTML page (no styles, scripts or embedded images)."""
    page = re.sub(r"<(style|script|head)\b.*?</\1>", " ", page, flags=re.S)
    return [html.unescape(p).strip() for p in re.split(r"<[^>]+>", page) if p.strip()]


def line_pieces(output: str) -> list[str]:
    """A command's output as lines, their column-like segments (two spaces apart), and what
    follows each colon or semicolon (``planner: error: NAME: MESSAGE`` holds ``MESSAGE``)."""
    pieces = []
    for line in output.splitlines():
        pieces.append(line)
        pieces += re.split(r"\s{2,}", line.strip())
        pieces += [line[m.end() :] for m in re.finditer(r"[ \u202f\u00a0]?[:;] ", line)]
    return pieces
