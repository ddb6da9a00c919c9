"""papermill's nbclient engine on a :class:`~planner.report.kernel.Kernel` already running.

Imported when a notebook first runs, not when a kernel starts: papermill and nbformat take
a good half second to import, which ``planner report`` spends while its kernels boot.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import papermill
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.exceptions import PapermillExecutionError

from planner.report.kernel import START_TIMEOUT

if TYPE_CHECKING:
    from planner.report.kernel import Kernel

__all__ = ["ENGINE_NAME", "PapermillExecutionError", "papermill"]

#: the papermill engine that runs a notebook on a :class:`Kernel` already running
ENGINE_NAME = "planner-kept-kernel"


class _KeptKernelEngine(NBClientEngine):
    """papermill's nbclient engine on a kernel that is already running (``kept=Kernel``):
    the same parameter injection, cell timings and saved output, without starting a kernel
    or leaving it shut down, and the executed notebook written once at the end rather than
    around every cell."""

    @classmethod
    def execute_managed_notebook(  # type: ignore[override]
        cls,
        nb_man: Any,
        kernel_name: str,
        log_output: bool = False,
        stdout_file: Any = None,
        stderr_file: Any = None,
        start_timeout: int = START_TIMEOUT,
        execution_timeout: int | None = None,
        kept: Kernel | None = None,
        **_: Any,
    ) -> Any:
        assert kept is not None and kept._km is not None
        client = PapermillNotebookClient(
            nb_man,
            km=kept._km,
            kernel_name=kernel_name,
            timeout=execution_timeout,
            startup_timeout=start_timeout,
            log=logging.getLogger("papermill"),
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
        )
        client.kc = kept._kc  # kept: the engine neither starts nor stops a kernel or client
        # papermill writes the whole notebook (images and all) before and after every cell;
        # it is written once, when it completes or fails (papermill's own last save)
        nb_man.save = lambda **_: None
        try:
            return client.execute()
        finally:
            del nb_man.save


papermill_engines.register(ENGINE_NAME, _KeptKernelEngine)
