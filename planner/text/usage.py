"""The command line's own lines in the language in use: its error line, and the messages of
the option parser (argparse writes them in English; they are matched here and rewritten
through the catalogue, the values they quote kept as they are).

Light on purpose (no pandas): a bad option is answered before anything heavy is imported.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from planner.text import N_, semicolons, t

#: argparse's messages (Python 3.11 to 3.13) as patterns, with the catalogue message each
#: becomes (in English the same words); ``{name}`` fields take the quoted parts
_PARSER_MESSAGES: tuple[tuple[re.Pattern, str], ...] = tuple(
    (re.compile(pattern, re.S), message)
    for pattern, message in (
        (
            r"the following arguments are required: (?P<names>.+)",
            N_("the following arguments are required: {names}"),
        ),
        (
            r"one of the arguments (?P<names>.+) is required",
            N_("one of the arguments {names} is required"),
        ),
        (
            r"ambiguous option: (?P<option>\S+) could match (?P<matches>.+)",
            N_("ambiguous option: {option} could match {matches}"),
        ),
        (
            r"argument (?P<name>[^:]+): invalid choice: (?P<value>.+?) \(choose from "
            r"(?P<choices>.+)\)",
            N_("argument {name}: invalid choice: {value} (choose from {choices})"),
        ),
        (
            r"argument (?P<name>[^:]+): invalid (?P<type>\w+) value: (?P<value>.+)",
            N_("argument {name}: invalid {type} value: {value}"),
        ),
        (
            r"argument (?P<name>[^:]+): expected one argument",
            N_("argument {name}: expected one argument"),
        ),
        (
            r"argument (?P<name>[^:]+): expected at least one argument",
            N_("argument {name}: expected at least one argument"),
        ),
        (
            r"argument (?P<name>[^:]+): not allowed with argument (?P<other>.+)",
            N_("argument {name}: not allowed with argument {other}"),
        ),
        (
            r"argument (?P<name>[^:]+): ignored explicit argument (?P<value>.+)",
            N_("argument {name}: ignored explicit argument {value}"),
        ),
        (r"argument (?P<name>[^:]+): (?P<message>.+)", N_("argument {name}: {message}")),
    )
)


def parser_message(message: str) -> str:
    """An argparse error message in the language in use (English ones as argparse wrote
    them; a message of the planner's own, already in the language, as it is)."""
    for pattern, words in _PARSER_MESSAGES:
        found = pattern.fullmatch(message)
        if found:
            return t(words, **found.groupdict())
    return message


def unrecognized(extras: Sequence[str], guesses: Sequence[str]) -> str:
    """``unrecognized arguments: --servce-level 0.99; did you mean --service-level?``"""
    parts = [t("unrecognized arguments: {args}", args=" ".join(extras))]
    parts += [t("did you mean {option}?", option=g) for g in guesses]
    return semicolons(parts) if len(parts) < 3 else semicolons([parts[0], " ".join(parts[1:])])


def error_line(message: str, *, prog: str = "planner", usage: bool = False) -> str:
    """The one line an error is: ``planner: error: MESSAGE`` (``usage``: a bad option,
    pointing to the command's ``--help``)."""
    if usage:
        return t("{prog}: error: {message} (see {prog} --help)", prog=prog, message=message)
    return t("{prog}: error: {message}", prog=prog, message=message)
