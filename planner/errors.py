"""Errors a user can act on, and the exit codes scripts rely on.

Exit codes of the ``planner`` command (documented in the README):

=====  ==========================================================================
code   meaning
=====  ==========================================================================
0      all well
1      unexpected internal error (a bug: the traceback is printed)
2      bad input: a file that is not a usage export, empty, unreadable, a bad
       licence or rate file, an invalid option value (one-line message on stderr)
3      alert: projected runway below ``--alert-days`` or stock-out probability
       under the current settings above what the service level allows
4      a notebook failed while rendering a report (the executed notebook is kept)
=====  ==========================================================================
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_BAD_INPUT = 2
EXIT_ALERT = 3
EXIT_NOTEBOOK_FAILED = 4


class PlannerError(Exception):
    """An error caused by the user's input or options, reported without a traceback.

    The message is a catalogue message in English with ``{name}`` fields, the values given by
    name: ``InputError("{path}: no such file", path=path)``. It is written in the language in
    use where it is raised (:func:`planner.text.t`), as every sentence a person reads; a text
    from elsewhere (a library's own message) is passed through as it is.
    """

    exit_code = EXIT_BAD_INPUT

    def __init__(self, message: str = "", /, *args: object, **values: object) -> None:
        from planner.text import t  # lazily: the text layer itself raises InputError

        super().__init__(t(message, **values) if isinstance(message, str) else message, *args)


class InputError(PlannerError):
    """A file or option the planner cannot use (exit code 2)."""

    exit_code = EXIT_BAD_INPUT


class NotebookFailed(PlannerError):
    """A report notebook raised an error; the executed notebook is kept for diagnosis.

    ``ename`` and ``evalue`` are the failing cell's exception name and message (empty when the
    notebook could not run at all).
    """

    exit_code = EXIT_NOTEBOOK_FAILED
    ename: str = ""
    evalue: str = ""
