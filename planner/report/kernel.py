"""Execute a notebook with papermill on this environment's Jupyter kernel.

The kernel must run the interpreter ``planner`` is installed in (:func:`check_kernel`); it talks
over Unix sockets in a private folder, and a failing cell becomes
:class:`planner.errors.NotebookFailed` naming the cell and its error (:func:`execute`).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import papermill
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from jupyter_client.manager import AsyncKernelManager
from papermill.exceptions import PapermillExecutionError
from traitlets import CaselessStrEnum, Unicode

from planner.errors import InputError, NotebookFailed
from planner.report.notebooks import notebook_path, notebook_stem

KERNEL_NAME = "python3"


def kernel_python(kernel_name: str = KERNEL_NAME) -> str:
    """The interpreter the Jupyter kernel ``kernel_name`` runs (its kernelspec's ``argv[0]``)."""
    try:
        spec = KernelSpecManager().get_kernel_spec(kernel_name)
    except NoSuchKernel:
        return sys.executable  # jupyter_client falls back to this interpreter for python3
    exe = spec.argv[0]
    return sys.executable if exe in ("python", "python3", "{python}") else exe


def check_kernel(kernel_name: str = KERNEL_NAME) -> None:
    """Raise :class:`InputError` unless the kernel runs this environment's interpreter.

    A ``python3`` kernelspec from another environment would run the notebooks without (or
    with another version of) ``planner``.
    """
    exe = kernel_python(kernel_name)
    if Path(exe).is_absolute():
        # compare environments, not interpreters: a venv's python is a symlink to its base
        kernel_prefix = Path(os.path.abspath(exe)).parent.parent
        ours = Path(os.path.abspath(sys.prefix))
        if kernel_prefix != ours and os.path.abspath(exe) != os.path.abspath(sys.executable):
            raise InputError(
                f"the Jupyter kernel {kernel_name!r} runs {exe}, not this environment "
                f"({sys.executable}); run `{sys.executable} -m ipykernel install --sys-prefix "
                f"--name {kernel_name}`"
            )


def execute(
    name: str | Path,
    output_path: Path,
    parameters: Mapping[str, Any],
    *,
    cwd: Path,
    progress: bool = True,
    kernel_name: str = KERNEL_NAME,
) -> Path:
    """Execute report notebook ``name`` (or a notebook path) with papermill into ``output_path``.

    Raises
    ------
    NotebookFailed
        A cell raised; the message names the cell and its ``ename: evalue``. The executed
        notebook (with the traceback) is at ``output_path``.
    InputError
        A cell raised :class:`planner.errors.InputError` (bad input file or value).
    """
    output_path.parent.mkdir(parents=True, exist_ok=True)
    sockets = tempfile.mkdtemp(prefix="planner-kernel-")
    try:
        papermill.execute_notebook(
            str(notebook_path(name)),
            str(output_path),
            parameters=dict(parameters),
            kernel_name=kernel_name,
            cwd=str(cwd),
            progress_bar=progress,
            log_output=False,
            kernel_manager_class=_local_kernel_manager(Path(sockets) / "kernel"),
        )
    except KeyboardInterrupt:
        # the kernel is shut down mid-cell: its machinery's complaints are not for the user
        for logger in ("asyncio", "papermill", "nbclient", "traitlets"):
            logging.getLogger(logger).setLevel(logging.CRITICAL + 1)
        raise
    except PapermillExecutionError as exc:
        evalue = str(exc.evalue).strip().splitlines()
        first = evalue[0] if evalue else ""
        err = NotebookFailed(
            f"notebook {notebook_stem(name)} failed in cell {exc.exec_count}: {exc.ename}: {first}"
        )
        err.ename, err.evalue = exc.ename, str(exc.evalue)
        raise err from None
    except Exception as exc:  # the kernel died, timed out or could not start
        if isinstance(exc, (InputError, NotebookFailed)):
            raise
        err = NotebookFailed(
            f"notebook {notebook_stem(name)} could not run: {type(exc).__name__}: {exc}"
        )
        err.ename, err.evalue = type(exc).__name__, str(exc)
        raise err from None
    finally:
        shutil.rmtree(sockets, ignore_errors=True)
    return output_path


def _local_kernel_manager(socket_path: Path) -> type:
    """A kernel manager that talks to the kernel over Unix sockets at ``socket_path`` and
    keeps the kernel process's own log in ``kernel.log`` next to them.

    The default TCP transport is open to every local user and makes each kernel warn about
    it; sockets in a private temporary folder are neither. The kernel process's own output
    (``[IPKernelApp] ...`` lines, a traceback when an interrupted run shuts it down mid-cell)
    says nothing a report reader can act on; cell output does not go there (it travels over
    the sockets), and a kernel that dies is reported by papermill.
    """

    class LocalKernelManager(AsyncKernelManager):
        transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)
        ip = Unicode(str(socket_path), config=True)

        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            with open(socket_path.parent / "kernel.log", "ab") as log:
                kw.setdefault("stdout", subprocess.DEVNULL)
                kw.setdefault("stderr", log)
                return await super()._async_launch_kernel(kernel_cmd, **kw)

    return LocalKernelManager
