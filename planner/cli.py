"""The ``planner`` command line: parse, call the library, print.

Each sub-command lives in ``planner/commands/<name>.py`` and provides:

- ``HELP``: a one-line description shown by ``planner --help``;
- ``add_arguments(parser)``: its options;
- ``run(args) -> int``: the exit code.

Errors the user can act on are :class:`planner.errors.PlannerError`; they are printed as one
line on stderr (``planner: error: ...``) with their exit code, never as a traceback.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import difflib
import importlib
import logging
import os
import sys
import threading
from collections.abc import Sequence
from typing import cast

from planner import __version__
from planner.errors import EXIT_BAD_INPUT, PlannerError
from planner.terminal import escape_controls, escaped_stdout

# In the order shown by ``planner --help``: the pipeline, then the helpers.
COMMANDS = (
    "fetch", "ingest", "store", "demand", "simulate", "recommend", "backtest", "report",
    "alerts", "limits", "batch", "demo", "sample",
)  # fmt: skip


def _load_commands(only: str | None = None) -> dict:
    """Import the command modules (just ``only`` when given: start-up stays fast)."""
    loaded = {}
    for name in (only,) if only else COMMANDS:
        try:
            loaded[name] = importlib.import_module(f"planner.commands.{name}")
        except ModuleNotFoundError as exc:  # a command not shipped in this build
            if exc.name != f"planner.commands.{name}":
                raise
    return loaded


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (exit code 2), like every other error;
    an unknown option is answered with the command's usage and the nearest option."""

    def error(self, message: str):  # type: ignore[override]
        from planner.text import usage

        text = one_line(usage.parser_message(message))
        self.exit(EXIT_BAD_INPUT, usage.error_line(text, prog=self.prog, usage=True) + "\n")

    def unknown(self, extras: Sequence[str]) -> None:
        """Refuse options this command does not have: its usage, then one line naming them
        with the closest of its own (``--servce-level``: did you mean ``--service-level``?)."""
        options = [o for a in self._actions for o in a.option_strings if o.startswith("--")]
        guesses = []
        for extra in extras:
            name = extra.split("=", 1)[0]
            near = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
            if name.startswith("-") and near:
                guesses.append(near[0])
        from planner.text import usage

        self.print_usage(sys.stderr)
        self.error(usage.unrecognized(extras, guesses))


_SPACES = "\u00a0\u202f"


def one_line(message: str) -> str:
    """``message`` with control characters (a newline in a file name, in data) escaped."""
    if message.isprintable():
        return message
    # the no-break spaces French puts before ``: ; ! ?`` are text, not control characters
    return "".join(ch if ch.isprintable() or ch in _SPACES else ascii(ch)[1:-1] for ch in message)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The ``planner`` parser; with ``only``, just that sub-command is registered."""
    parser = _Parser(
        prog="planner",
        description=(
            "Plan Microsoft Teams Communications Credits: ingest PSTN usage exports, "
            "work out daily credit demand, simulate the balance and recommend funding."
        ),
        epilog="Exit codes: 0 ok, 2 bad input, 3 alert (runway, stock-out risk, abnormal spend), "
        "4 report notebook failed, 1 internal error.",
    )
    parser.add_argument("--version", action="version", version=f"planner {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for name, module in _load_commands(only).items():
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def _command_parser(parser: argparse.ArgumentParser, command: str | None) -> _Parser:
    """The parser of sub-command ``command`` (the main parser when there is none)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:
            return cast(_Parser, action.choices[command])
    return cast(_Parser, parser)


#: options whose value may begin with "-" (``--growth -10%``), which argparse would otherwise
#: take for an option of its own
_SIGNED_OPTIONS = ("--growth",)


def _join_signed_values(argv: list[str]) -> list[str]:
    """``--growth -10%`` -> ``--growth=-10%`` (argparse reads the latter unambiguously)."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in _SIGNED_OPTIONS and i + 1 < len(argv) and argv[i + 1][:1] == "-":
            value = argv[i + 1]
            if value[1:2].isdigit() or value[1:2] == ".":
                out.append(f"{arg}={value}")
                i += 2
                continue
        out.append(arg)
        i += 1
    return out


class _WarningLine(logging.Handler):
    """Library warnings (a skipped file, a retried request) as ``planner: warning: ...``."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            print(f"planner: warning: {escape_controls(record.getMessage())}", file=sys.stderr)
        except Exception:  # a closed stderr must not turn a warning into a failure
            self.handleError(record)


def _show_warnings() -> None:
    log = logging.getLogger("planner")
    if not any(isinstance(h, _WarningLine) for h in log.handlers):
        log.addHandler(_WarningLine(logging.WARNING))
        log.propagate = False


def _language(argv: list[str]) -> contextlib.AbstractContextManager:
    """The language ``--lang`` asks for, in use for the whole run: its errors too, those of
    the options included (an unknown language is left for the option's own check)."""
    given = [v for a, v in zip(argv, argv[1:], strict=False) if a == "--lang"]
    given += [a.split("=", 1)[1] for a in argv if a.startswith("--lang=")]
    if not given:
        return contextlib.nullcontext()
    from planner import text

    try:
        return text.language(text.check_language(given[-1]))
    except PlannerError:
        return contextlib.nullcontext()


def entry() -> None:
    """The ``planner`` command (console script and ``python -m planner``): :func:`main`,
    then a quick exit.

    Once the command is done, with every file it wrote closed, every exit handler run and
    no other thread left, the interpreter's own teardown only frees memory: a third of a
    second after a report (nbconvert, pandas and numba unloading), which the process skips.
    """
    code = main()
    if any(t is not threading.main_thread() and not t.daemon for t in threading.enumerate()):
        raise SystemExit(code)  # a thread still at work: the ordinary exit waits for it
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed pipe: nothing more to say
            stream.flush()
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    argv = _join_signed_values(list(sys.argv[1:] if argv is None else argv))
    with _language(argv):
        return _main(argv)


#: commands that build a report: their kernels start before anything else (they boot while
#: the command imports its libraries and checks its inputs; see planner.report.prestart)
_REPORT_COMMANDS = ("report", "demo")


def _early_kernels(only: str | None, argv: list[str]) -> contextlib.AbstractContextManager:
    if only not in _REPORT_COMMANDS or {"-h", "--help"} & set(argv):
        return contextlib.nullcontext()
    from planner.report import prestart

    return prestart.started()


def _main(argv: list[str]) -> int:
    # `planner ingest ...` imports the ingest command alone; `planner --help` imports them all
    only = argv[0] if argv and argv[0] in COMMANDS else None
    with _early_kernels(only, argv):
        return _run(only, argv)


def _run(only: str | None, argv: list[str]) -> int:
    _show_warnings()
    parser = build_parser(only)
    try:
        args, extras = parser.parse_known_args(argv)
        if extras:  # answered by the sub-command that was given them
            _command_parser(parser, getattr(args, "command", None)).unknown(extras)
    except SystemExit as exc:  # --help, --version, or a bad option (one line already printed)
        return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    if not getattr(args, "_run", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        with escaped_stdout():  # data printed (a UPN, a name) cannot drive the terminal
            return int(args._run(args) or 0)
    except PlannerError as exc:
        from planner.text import usage

        print(usage.error_line(one_line(str(exc))), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        from planner.text import t

        print(t("planner: interrupted"), file=sys.stderr)
        return 130
    except MemoryError:
        from planner.text import t, usage

        words = t(
            "not enough memory for these inputs (implausibly large values or files?); check "
            "them, or free memory and retry"
        )
        print(usage.error_line(words), file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # e.g. `planner ingest ... | head`
        return 0
