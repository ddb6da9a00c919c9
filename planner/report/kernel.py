"""Execute a notebook with papermill on this environment's Jupyter kernel.

The kernel must run the interpreter ``planner`` is installed in (:func:`check_kernel`); it talks
over Unix sockets in a private folder, and a failing cell becomes
:class:`planner.errors.NotebookFailed` naming the cell and its error (:func:`execute`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from traitlets import CaselessStrEnum, Unicode

from planner.errors import InputError, NotebookFailed
from planner.report.kernel_state import PRELOAD
from planner.text import t

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
                "the Jupyter kernel {kernel_name!r} runs {exe}, not this environment "
                "({executable}); run `{executable} -m ipykernel install --sys-prefix "
                "--name {kernel_name}`",
                kernel_name=kernel_name,
                exe=exe,
                executable=sys.executable,
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
    """Execute report notebook ``name`` (or a notebook path) with papermill into
    ``output_path``, on a kernel started for it and shut down after.

    Raises
    ------
    NotebookFailed
        A cell raised; the message names the cell and its ``ename: evalue``. The executed
        notebook (with the traceback) is at ``output_path``.
    InputError
        A cell raised :class:`planner.errors.InputError` (bad input file or value).
    """
    with Kernel(kernel_name, preload=()) as kernel:
        return kernel.execute(name, output_path, parameters, cwd=cwd, progress=progress)


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


#: seconds a kernel may take to start and import what the notebooks import (a loaded machine)
START_TIMEOUT = 120


class _KernelLost(Exception):
    """The kernel died, timed out or could not return to its baseline: it must be replaced."""


class Kernel:
    """A Jupyter kernel kept running for notebook after notebook, the imports done once.

    The kernel starts in the background (:meth:`start` returns at once), imports what the
    report notebooks import and records its baseline (:mod:`planner.report.kernel_state`).
    Before each notebook it returns to that baseline, so no variable, setting or language of
    one notebook (or tenant) reaches the next. A kernel that died, timed out or could not
    return to its baseline is shut down and a new one started for the next notebook; a
    notebook whose cell failed leaves the kernel in use.

    Every exchange with the kernel happens on one thread of its own (its client is bound to
    that thread's event loop), so a kernel may be used from any thread, one notebook at a
    time. Use it as a context manager, or call :meth:`shutdown`.

    Parameters
    ----------
    kernel_name : str
        Jupyter kernel; it must run this environment's interpreter (:func:`check_kernel`).
    preload : tuple of str
        Modules imported once per kernel (default: what the report notebooks import).
    niceness : int
        Added to the kernel process's scheduling niceness (0: as this process; POSIX only).
        A report whose notebooks run side by side gives the kernels off its critical path a
        positive niceness: they use the cores the longest notebook leaves idle instead of
        taking turns with it.
    """

    def __init__(
        self,
        kernel_name: str = KERNEL_NAME,
        *,
        preload: tuple[str, ...] = PRELOAD,
        niceness: int = 0,
    ):
        self.kernel_name = kernel_name
        self.preload = tuple(preload)
        self.niceness = int(niceness)
        #: kernel processes started so far (a replaced kernel counts again)
        self.starts = 0
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="planner-kernel")
        self._abandoned = threading.Event()
        self._km: Any = None
        self._kc: Any = None
        self._sockets: str | None = None

    def __enter__(self) -> Kernel:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, *_: Any) -> None:
        self.shutdown(wait=kind is not KeyboardInterrupt)

    def start(self) -> Kernel:
        """Start the kernel in the background, unless it runs already; return at once."""
        self._pool.submit(self._ensure_started)
        return self

    def submit(
        self,
        name: str | Path,
        output_path: Path,
        parameters: Mapping[str, Any],
        *,
        cwd: Path,
        progress: bool = True,
    ) -> Future:
        """Queue report notebook ``name`` (or a notebook path) to run into ``output_path``
        with papermill, working in ``cwd``; wait for it with :meth:`wait`."""
        output_path.parent.mkdir(parents=True, exist_ok=True)
        return self._pool.submit(
            self._execute, name, output_path, dict(parameters), Path(cwd), progress
        )

    def wait(self, job: Future) -> None:
        """Wait for a notebook queued by :meth:`submit`; raise what :func:`execute` raises.
        Interrupted (Ctrl-C), the kernel is killed mid-cell."""
        try:
            job.result()
        except KeyboardInterrupt:
            self.interrupted()
            raise

    def interrupted(self) -> None:
        """Kill the kernel mid-cell after Ctrl-C, quietly: its machinery's complaints about
        the killed kernel are not for the user."""
        for logger in ("asyncio", "papermill", "nbclient", "traitlets"):
            logging.getLogger(logger).setLevel(logging.CRITICAL + 1)
        self._kill()

    def execute(
        self,
        name: str | Path,
        output_path: Path,
        parameters: Mapping[str, Any],
        *,
        cwd: Path,
        progress: bool = True,
    ) -> Path:
        """Execute report notebook ``name`` (or a notebook path) into ``output_path`` with
        papermill, working in ``cwd``; see :func:`execute` for the errors raised."""
        self.wait(self.submit(name, output_path, parameters, cwd=cwd, progress=progress))
        return output_path

    def shutdown(self, *, wait: bool = True, now: bool = False) -> None:
        """Stop the kernel and its thread (``wait=False``: kill it and return at once).
        ``now``: once its notebooks are done, stop it without the polite shutdown request
        (which waits for the kernel to exit: most of a second), since nothing is left in it."""
        if not wait:
            self._abandoned.set()  # a start under way kills what it launched
            self._kill()
            self._pool.shutdown(wait=False, cancel_futures=True)
            if self._sockets:
                shutil.rmtree(self._sockets, ignore_errors=True)
            return
        self._pool.submit(self._stop, now).result()
        self._pool.shutdown()

    # -- on the kernel's thread ---------------------------------------------------------------

    def _execute(
        self, name: str | Path, output_path: Path, parameters: dict, cwd: Path, progress: bool
    ) -> None:
        # papermill (and nbformat) only once a notebook runs: a kernel starts without them
        from planner.report._papermill import ENGINE_NAME, PapermillExecutionError, papermill
        from planner.report.notebooks import notebook_path, notebook_stem

        stem = notebook_stem(name)
        try:
            self._ready(cwd)
            papermill.execute_notebook(
                str(notebook_path(name)),
                str(output_path),
                parameters=parameters,
                kernel_name=self.kernel_name,
                engine_name=ENGINE_NAME,
                progress_bar=progress,
                log_output=False,
                start_timeout=START_TIMEOUT,
                kept=self,
            )
        except PapermillExecutionError as exc:
            evalue = str(exc.evalue).strip().splitlines()
            first = evalue[0] if evalue else ""
            raise _failure(
                t(
                    "notebook {stem} failed in cell {cell}: {ename}: {first}",
                    stem=stem,
                    cell=exc.exec_count,
                    ename=exc.ename,
                    first=first,
                ),
                exc.ename,
                str(exc.evalue),
            ) from None
        except Exception as exc:  # the kernel died, timed out or could not start
            if isinstance(exc, (InputError, NotebookFailed)):
                raise
            self._stop()  # whatever it was, the next notebook gets a new kernel
            raise _failure(
                t(
                    "notebook {stem} could not run: {ename}: {error}",
                    stem=stem,
                    ename=type(exc).__name__,
                    error=exc,
                ),
                type(exc).__name__,
                str(exc),
            ) from None

    def _ready(self, cwd: Path) -> None:
        """A running kernel at its baseline, working in ``cwd`` (a new one if need be)."""
        restore = f"kernel_state.restore_baseline({str(cwd)!r})"
        self._ensure_started()
        try:
            self._run(f"from planner.report import kernel_state\n{restore}")
        except _KernelLost:
            self._stop()
            self._ensure_started()
            self._run(f"from planner.report import kernel_state\n{restore}")

    def _ensure_started(self) -> None:
        if self._km is not None and run_sync(self._km.is_alive)():
            return
        self._stop()
        self._sockets = tempfile.mkdtemp(prefix="planner-kernel-")
        manager = _local_kernel_manager(Path(self._sockets) / "kernel")
        self._km = manager(kernel_name=self.kernel_name)
        run_sync(self._km.start_kernel)(cwd=self._sockets)
        self.starts += 1
        if self._abandoned.is_set():  # shut down (without waiting) while it was launched
            self._kill()
            self._stop(now=True)
            raise _KernelLost("the kernel was shut down")
        self._lower_priority()
        self._kc = self._km.client()
        self._kc.allow_stdin = False
        self._kc.start_channels()
        run_sync(self._kc.wait_for_ready)(timeout=START_TIMEOUT)
        self._run(
            "from planner.report import kernel_state\n"
            f"kernel_state.preload({self.preload!r})\n"
            "kernel_state.save_baseline()"
        )

    def _lower_priority(self) -> None:
        """Apply :attr:`niceness` to the kernel process just launched; the threads it starts
        later (numba's workers among them) inherit it."""
        process = getattr(getattr(self._km, "provisioner", None), "process", None)
        if self.niceness > 0 and process is not None and hasattr(os, "setpriority"):
            with contextlib.suppress(OSError):  # not permitted or already gone: run as is
                current = os.getpriority(os.PRIO_PROCESS, process.pid)
                os.setpriority(os.PRIO_PROCESS, process.pid, current + self.niceness)

    def _run(self, code: str) -> None:
        """Run ``code`` silently in the kernel and wait until it is idle again;
        :class:`_KernelLost` if it fails, or the kernel dies, is shut down or does not
        answer within :data:`START_TIMEOUT` (checked every second, so that a kernel killed
        mid-preload does not keep its thread, and the command's exit, waiting)."""
        msg_id = self._kc.execute(code, silent=True, store_history=False, allow_stdin=False)
        reply = self._answer(self._kc.get_shell_msg, msg_id, lambda msg: True)
        errors: list[str] = []

        def idle(msg: dict) -> bool:  # what it wrote to stderr, until it is idle
            content = msg["content"]
            if msg["msg_type"] == "stream" and content.get("name") == "stderr":
                errors.append(content.get("text", ""))
            return msg["msg_type"] == "status" and content.get("execution_state") == "idle"

        self._answer(self._kc.get_iopub_msg, msg_id, idle)
        content = reply["content"]
        if content.get("status") != "ok":
            detail = f"{content.get('ename')}: {content.get('evalue')}"
            raise _KernelLost(f"the kernel could not prepare ({detail}) {''.join(errors)}")

    def _answer(self, receive: Any, msg_id: str, done: Any) -> dict:
        """The first message from ``receive`` about request ``msg_id`` for which ``done`` is
        true (``done`` sees each of them)."""
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                msg = run_sync(receive)(timeout=1)
            except queue.Empty:
                if self._abandoned.is_set() or not run_sync(self._km.is_alive)():
                    raise _KernelLost("the kernel stopped") from None
                if time.monotonic() > deadline:
                    raise _KernelLost(f"the kernel did not answer in {START_TIMEOUT} s") from None
                continue
            if msg.get("parent_header", {}).get("msg_id") == msg_id and done(msg):
                return msg

    def _stop(self, now: bool = False) -> None:
        kc, km, sockets = self._kc, self._km, self._sockets
        self._kc = self._km = self._sockets = None
        try:
            if kc is not None:
                kc.stop_channels()
            if km is not None and km.has_kernel:
                run_sync(km.shutdown_kernel)(now=now or not run_sync(km.is_alive)())
        finally:
            if sockets:
                shutil.rmtree(sockets, ignore_errors=True)

    def _kill(self) -> None:
        """Kill the kernel process from any thread (its own thread may be blocked on it)."""
        process = getattr(getattr(self._km, "provisioner", None), "process", None)
        if process is not None:
            with contextlib.suppress(OSError):
                process.kill()


def _failure(message: str, ename: str, evalue: str) -> NotebookFailed:
    err = NotebookFailed(message)
    err.ename, err.evalue = ename, evalue
    return err
