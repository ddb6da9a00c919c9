"""What the planner prints cannot drive the terminal that shows it.

Data reaches the terminal: a UPN or display name in ``planner alerts``, a file name in a
warning. A control character in it (``ESC ]0;...`` retitles the window, ``ESC [2J`` clears the
screen, a carriage return hides what came before, a right-to-left override reverses the text
around it) would be obeyed by the terminal. :func:`escape_controls` writes such characters as
visible ``\\u001b`` escapes (which JSON reads back as the same character), and
:func:`escaped_stdout` applies it to everything a command prints on standard output.

Kept as they are: line breaks, tabs and every printable character (accents, the narrow
no-break space of French numbers).
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Iterator
from typing import Any, TextIO

__all__ = ["escape_controls", "escaped_stdout"]

#: C0 controls but tab and line feed, DEL, C1 controls (``\x9b`` is an 8-bit CSI), and the
#: bidirectional overrides and isolates
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def escape_controls(text: str) -> str:
    """``text`` with terminal control characters written as ``\\uXXXX``.

    >>> escape_controls("ok\\x1b]0;pwned\\x07 caf\\u00e9\\n")
    'ok\\\\u001b]0;pwned\\\\u0007 café\\n'
    """
    return _CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class _EscapingStream:
    """A text stream writing through :func:`escape_controls` to another."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(escape_controls(text))
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:  # flush, isatty, fileno, encoding...
        return getattr(self._stream, name)


@contextlib.contextmanager
def escaped_stdout() -> Iterator[None]:
    """Within the block, what is written to ``sys.stdout`` has its control characters
    escaped (:func:`escape_controls`)."""
    stream = sys.stdout
    sys.stdout = _EscapingStream(stream)  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stdout = stream
