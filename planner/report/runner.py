"""Render the report: run the notebooks, export HTML, write the workbook and ``summary.json``."""

from __future__ import annotations

import contextlib
import contextvars
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planner import ingest, text
from planner.errors import EXIT_ALERT, EXIT_OK, InputError, NotebookFailed, PlannerError
from planner.report import prestart
from planner.report.artifacts import SUMMARY_NAME, json_default, load_artifacts
from planner.report.kernel import KERNEL_NAME, Kernel, check_kernel
from planner.report.notebooks import (
    NOTEBOOKS,
    notebook_parameters,
    notebook_path,
    notebook_stem,
    prepare_parameters,
    translate_notebook,
)
from planner.report.workbook import WORKBOOK_NAME
from planner.text import t

_Progress = Callable[[str], None]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class ReportResult:
    """What :func:`build_report` wrote and the status of the plan.

    Attributes
    ----------
    out_dir : Path
    files : list of Path
        Every file written, in ``out_dir``.
    exit_code : int
        0 all well, 3 alert (the verdict of :mod:`planner.plan.verdict`).
    status : str
        One line, ``planner: OK ...`` or ``planner: ALERT ...``.
    summary : dict
        The content of ``summary.json``.
    """

    out_dir: Path
    files: list[Path] = field(default_factory=list)
    exit_code: int = EXIT_OK
    status: str = ""
    summary: dict[str, Any] = field(default_factory=dict)


def _move_into_place(build: Path, out_dir: Path) -> list[Path]:
    """Move every file of ``build`` to the same relative place in ``out_dir``."""
    moved = []
    for src in sorted(p for p in build.rglob("*") if p.is_file()):
        dest = out_dir / src.relative_to(build)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dest)  # atomic on one filesystem: build dir sits next to out_dir
        moved.append(dest)
    return moved


_OWNER = "owner.pid"


#: a build folder without an owner file (an older planner) is left alone this long
_STALE_SECONDS = 24 * 3600


def _build_alive(build: Path) -> bool:
    """Whether the report build in ``build`` may still be running."""
    try:
        pid = int((build / _OWNER).read_text().strip())
    except (OSError, ValueError):
        try:
            return time.time() - build.stat().st_mtime < _STALE_SECONDS
        except OSError:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def _clean_stale_builds(out_dir: Path) -> None:
    """Remove the build folders that interrupted runs left beside ``out_dir``."""
    for build in out_dir.parent.glob(f".{out_dir.name}.*.partial"):
        if build.is_dir() and not build.is_symlink() and not _build_alive(build):
            shutil.rmtree(build, ignore_errors=True)


def check_exports(exports: str | Path | Iterable[str | Path] | None) -> None:
    """Fail fast, before any kernel starts, when an input is not a usage export.

    ``None`` (the sample tenant) passes. Only headers are read; the notebooks ingest the rows.
    A store directory is an input like a folder of exports.

    Raises
    ------
    InputError
        A path that does not exist, or a file that is empty, unreadable or not a usage export.
    """
    if exports is None:
        return
    paths = [exports] if isinstance(exports, str | Path) else list(exports)
    ingest.check_inputs(paths)  # files in folders that are not exports are skipped, with a warning


def build_report(
    parameters: Mapping[str, Any] | None,
    out_dir: str | Path,
    *,
    notebooks: Iterable[str | Path] = NOTEBOOKS,
    progress: bool = True,
    log: _Progress | None = _stderr,
    kernel_name: str = KERNEL_NAME,
    kernel: Kernel | None = None,
) -> ReportResult:
    """Execute the report notebooks and write HTML, workbook and summary into ``out_dir``.

    Parameters
    ----------
    parameters : mapping
        Notebook parameters (see each notebook's ``parameters`` cell); each goes to the
        notebooks that declare it. Input paths may be relative to the current directory.
    out_dir : str or Path
        Output folder (created if needed). Existing report files are replaced only when the
        whole run succeeded.
    notebooks : iterable of str or Path
        Which notebooks to run: names of report notebooks or paths to ``.ipynb`` files
        (default: all of :data:`NOTEBOOKS`).
    progress : bool
        Show papermill's per-cell progress bar on stderr.
    log : callable, optional
        Receives one line per step (default: print to stderr); ``None`` for silence.
    kernel_name : str
        Jupyter kernel; it must run this environment's interpreter.
    kernel : Kernel, optional
        A kept kernel to run the notebooks on (a batch worker keeps one for every tenant it
        takes); default: one started for this report, which runs its notebooks one after
        the other and is shut down at the end.

    Returns
    -------
    ReportResult

    Raises
    ------
    InputError
        Bad parameter or input file (exit code 2).
    NotebookFailed
        A notebook failed (exit code 4); its executed copy is in ``out_dir/failed/``.
    """
    lang = text.check_language((parameters or {}).get("lang"))
    with text.language(lang):
        return _build_report(
            parameters, out_dir, notebooks=notebooks, progress=progress, log=log,
            kernel_name=kernel_name, kernel=kernel,
        )  # fmt: skip


@dataclass(frozen=True)
class _Build:
    """The folders of one report build, beside ``out_dir`` until it is moved into place.

    ``final`` holds what the user gets (HTML, workbook, summary, executed notebooks),
    ``artifacts`` what the notebooks save for the runner, ``work`` the kernels' working folder,
    ``shared`` what the notebooks read once for all of them (:mod:`planner.ingest.shared`),
    ``source`` the notebooks translated into the report's language.
    """

    root: Path
    out_dir: Path

    @property
    def final(self) -> Path:
        return self.root / "final"

    @property
    def artifacts(self) -> Path:
        return self.root / "artifacts"

    @property
    def work(self) -> Path:
        return self.root / "work"

    @property
    def shared(self) -> Path:
        return self.root / "shared"

    @property
    def source(self) -> Path:
        return self.root / "source"

    def executed(self, name: str) -> Path:
        """Where the executed copy of notebook ``name`` is written."""
        return self.final / "notebooks" / f"{name}.ipynb"

    def make_folders(self) -> None:
        for folder in (self.final, self.artifacts, self.work, self.shared):
            folder.mkdir()


class _Steps:
    """Numbered progress lines, ``planner: [2/5] ...``, through ``log`` (None: silent)."""

    def __init__(self, total: int, log: _Progress | None) -> None:
        self.total = total
        self.done = 0
        self.log = log

    def next(self) -> dict[str, int]:
        """Count one more step; the ``step`` and ``steps`` of its progress line."""
        self.done += 1
        return {"step": self.done, "steps": self.total}

    def say(self, line: str) -> None:
        if self.log is not None:
            self.log(line)


def _output_folder(out_dir: str | Path) -> Path:
    """``out_dir`` made absolute; refused when it is an existing file."""
    folder = Path(out_dir).expanduser().resolve()
    if folder.exists() and not folder.is_dir():
        raise InputError("--out: {folder} exists and is not a folder", folder=folder)
    return folder


def _start_build(out_dir: Path) -> _Build:
    """A fresh build folder beside ``out_dir`` (owned by this process), stale ones removed."""
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        _clean_stale_builds(out_dir)
        root = Path(
            tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".partial", dir=out_dir.parent)
        )
        (root / _OWNER).write_text(str(os.getpid()))
    except OSError as exc:
        raise InputError(
            "--out {out_dir}: cannot write there ({strerror})",
            out_dir=out_dir,
            strerror=exc.strerror or exc,
        ) from None
    return _Build(root=root, out_dir=out_dir)


def _submit_notebook(
    nb: str | Path,
    params: Mapping[str, Any],
    build: _Build,
    kernel: Kernel,
    *,
    progress: bool,
) -> Future:
    """Queue one notebook on ``kernel``, in the language in use, saving its artifacts into
    the build; wait for it with :func:`_finish_notebook`."""
    name = notebook_stem(nb)
    params = dict(params)
    declared = notebook_parameters(notebook_path(nb))
    if "artifacts_dir" in declared:
        params["artifacts_dir"] = str(build.artifacts)
    if "shared_dir" in declared:  # the exports are read once for every notebook
        params["shared_dir"] = str(build.shared)
    source = notebook_path(nb)
    if text.current_language() != text.DEFAULT_LANGUAGE:
        source = translate_notebook(source, build.source / f"{name}.ipynb")
    executed = build.executed(name)
    return kernel.submit(source, executed, params, cwd=build.work, progress=progress)


def _finish_notebook(kernel: Kernel, job: Future, build: _Build, name: str) -> None:
    """Wait for notebook ``name``.

    Raises
    ------
    InputError
        The notebook refused its input (exit code 2).
    NotebookFailed
        A cell failed; the executed copy is kept in ``out_dir/failed/``.
    """
    try:
        kernel.wait(job)
    except NotebookFailed as exc:
        executed = build.executed(name)
        _report_failure(exc, executed, build.out_dir / "failed" / f"{name}.ipynb")


def _report_failure(exc: NotebookFailed, executed: Path, kept: Path) -> None:
    """Keep a failed notebook's executed copy at ``kept`` and raise the error a user reads:
    :class:`InputError` when the notebook refused its input, else :class:`NotebookFailed`."""
    where = ""
    if executed.exists():
        kept.parent.mkdir(parents=True, exist_ok=True)
        os.replace(executed, kept)
        where = t("executed notebook kept at {path}", path=kept)
    if exc.ename == "InputError":  # bad input seen by the notebook
        first = exc.evalue.strip().splitlines()
        message = first[0] if first else str(exc)
        if where:
            raise InputError("{message} ({where})", message=message, where=where) from None
        raise InputError(message) from None
    if where:
        raise NotebookFailed("{error}; {where}", error=exc, where=where) from None
    raise NotebookFailed(str(exc)) from None


def _write_summary(build: _Build, steps: _Steps) -> ReportResult:
    """The workbook and ``summary.json`` from the notebooks' artifacts, and the plan's status
    (a report without a summary, e.g. the usage analysis alone, has neither)."""
    tables, summary = load_artifacts(build.artifacts)
    at = steps.next()
    result = ReportResult(out_dir=build.out_dir, summary=summary)
    if summary:
        # openpyxl when the workbook is written, not while the kernels boot
        from planner.excel import write_workbook
        from planner.report.workbook import workbook_page, workbook_sheets

        steps.say(t("planner: [{step}/{steps}] writing {name} ...", name=WORKBOOK_NAME, **at))
        write_workbook(build.final / WORKBOOK_NAME, workbook_sheets(tables, summary),
                       page=workbook_page(summary))  # fmt: skip
        (build.final / SUMMARY_NAME).write_text(
            json.dumps(summary, indent=2, default=json_default) + "\n"
        )
        alert = summary.get("alert", {})
        result.exit_code = int(alert.get("exit_code", EXIT_OK))
        result.status = str(alert.get("status", ""))
    if result.exit_code not in (EXIT_OK, EXIT_ALERT):
        raise NotebookFailed(
            "summary.json holds an unexpected exit code {exit_code}", exit_code=result.exit_code
        )
    return result


def _publish(build: _Build, names: Iterable[str]) -> list[Path]:
    """Move the finished report into ``out_dir``; a success supersedes the leftovers of an
    earlier failure of the same notebooks."""
    out_dir = build.out_dir
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        files = _move_into_place(build.final, out_dir)
    except OSError as exc:
        raise InputError(
            "--out {out_dir}: cannot write there ({strerror})",
            out_dir=out_dir,
            strerror=exc.strerror or exc,
        ) from None
    failed_dir = out_dir / "failed"
    for name in names:
        stale = failed_dir / f"{name}.ipynb"
        if stale.exists():
            stale.unlink()
    if failed_dir.is_dir() and not any(failed_dir.iterdir()):
        failed_dir.rmdir()
    return files


def _build_report(
    parameters: Mapping[str, Any] | None,
    out_dir: str | Path,
    *,
    notebooks: Iterable[str | Path],
    progress: bool,
    log: _Progress | None,
    kernel_name: str,
    kernel: Kernel | None,
) -> ReportResult:
    """:func:`build_report` in the language already in use: check, run, render, publish."""
    notebooks = list(notebooks)
    names = [notebook_stem(nb) for nb in notebooks]
    routed = prepare_parameters(dict(parameters or {}), notebooks)
    check_exports((parameters or {}).get("exports"))
    check_kernel(kernel.kernel_name if kernel is not None else kernel_name)
    folder = _output_folder(out_dir)
    with _kernels_for(kernel, kernel_name, len(notebooks)) as kernels:
        return _run_build(notebooks, names, routed, folder, kernels, progress, log)


@contextmanager
def _kernels_for(kernel: Kernel | None, kernel_name: str, notebooks: int) -> Iterator[list]:
    """The kernels to run the notebooks on: ``kernel`` alone when given (a batch worker's);
    else those the command started early (:mod:`planner.report.prestart`) or kernels started
    now (:func:`~planner.report.prestart.report_kernels`: the notebooks side by side), shut
    down when the report is done. A kernel that runs several notebooks imports what they
    import once and returns to its baseline between them."""
    if kernel is not None:
        yield [kernel.start()]
        return
    kernels = prestart.take(kernel_name, notebooks) or prestart.report_kernels(
        kernel_name, notebooks
    )
    interrupted = False
    try:
        yield kernels
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:  # their notebooks are saved: nothing in them needs a polite goodbye
        for kernel in kernels:
            kernel.shutdown(wait=not interrupted, now=True)


def _run_build(
    notebooks: list[str | Path],
    names: list[str],
    routed: Mapping[str, Mapping[str, Any]],
    out_dir: Path,
    kernels: list[Kernel],
    progress: bool,
    log: _Progress | None,
) -> ReportResult:
    """Run the notebooks on ``kernels``, render and publish the report into ``out_dir``."""
    build = _start_build(out_dir)
    steps = _Steps(len(notebooks) * 2 + 1, log)
    try:
        build.make_folders()
        if len(kernels) == 1:
            _one_after_another(notebooks, names, routed, build, kernels[0], progress, steps)
        else:
            _side_by_side(notebooks, names, routed, build, kernels, progress, steps)
        result = _write_summary(build, steps)
        result.files = _publish(build, names)
        return result
    finally:
        shutil.rmtree(build.root, ignore_errors=True)


def _read_exports_once(
    notebooks: list[str | Path],
    names: list[str],
    routed: Mapping[str, Mapping[str, Any]],
    build: _Build,
) -> None:
    """Read the exports the notebooks were given into the build's shared folder, here and
    now: the notebooks, still getting ready, find them read (:mod:`planner.ingest.shared`),
    at this process's priority rather than a lower one's, off the longest notebook's path.
    A file refused here is refused as the notebooks would refuse it (exit 2)."""
    given = [
        routed[name]["exports"]
        for nb, name in zip(notebooks, names, strict=True)
        if routed[name].get("exports") and "shared_dir" in notebook_parameters(notebook_path(nb))
    ]
    if given:
        ingest.read_exports(given[0], shared=build.shared)


def _one_after_another(notebooks, names, routed, build, kernel, progress, steps) -> None:
    """Each notebook in turn on one kernel, then the HTML pages."""
    for i, (nb, name) in enumerate(zip(notebooks, names, strict=True)):
        steps.say(t("planner: [{step}/{steps}] running notebook {name} ...", name=name,
                    **steps.next()))  # fmt: skip
        job = _submit_notebook(nb, routed[name], build, kernel, progress=progress)
        if i == 0:
            _read_exports_once(notebooks, names, routed, build)
        _finish_notebook(kernel, job, build, name)
    for name in names:
        _render(build, name, steps)


def _side_by_side(notebooks, names, routed, build, kernels, progress, steps) -> None:
    """Every notebook at once, one kernel each (in turn when there are more notebooks than
    kernels); each page is rendered as soon as its notebook is done, whichever finishes
    first, while the others run (the longest notebook's page is then the only one left to
    render). The per-cell bar is the first notebook's. A failure is the first failing
    notebook's, in the notebooks' order, once every notebook has stopped."""
    jobs: dict[Future, tuple[int, Kernel]] = {}
    for i, (nb, name) in enumerate(zip(notebooks, names, strict=True)):
        steps.say(t("planner: [{step}/{steps}] running notebook {name} ...", name=name,
                    **steps.next()))  # fmt: skip
        kernel = kernels[i % len(kernels)]
        job = _submit_notebook(nb, routed[name], build, kernel, progress=progress and i == 0)
        jobs[job] = (i, kernel)
    _read_exports_once(notebooks, names, routed, build)
    failures: dict[int, PlannerError] = {}
    pending = set(jobs)
    with ThreadPoolExecutor(1, thread_name_prefix="planner-render") as aside:
        pages: list[Future] = []
        while pending:
            done, pending = _next_done(pending, [k for _, k in jobs.values()])
            for job in sorted(done, key=lambda j: jobs[j][0]):
                i, kernel = jobs[job]
                try:
                    kernel.wait(job)
                except PlannerError as exc:
                    failures[i] = exc
                    continue
                if failures:
                    continue
                if pending:  # at the low priority of the kernels off the critical path,
                    # in the report's language (a context variable a new thread lacks)
                    context = contextvars.copy_context()
                    pages.append(aside.submit(context.run, _render_aside, build, names[i], steps))
                else:  # the last page, at once
                    _render(build, names[i], steps)
        for page in pages:
            page.result()
    if failures:
        first = min(failures)
        error = failures[first]
        if isinstance(error, NotebookFailed):
            name = names[first]
            _report_failure(error, build.executed(name), build.out_dir / "failed" / f"{name}.ipynb")
        raise error


def _render_aside(build: _Build, name: str, steps: _Steps) -> None:
    """Render a page while other notebooks run, on a thread of its own at the niceness of
    the kernels off the critical path (Linux gives each thread its own), then import what
    the workbook needs at the end."""
    if sys.platform == "linux":
        with contextlib.suppress(OSError):
            tid = threading.get_native_id()
            niceness = os.getpriority(os.PRIO_PROCESS, tid) + prestart.YIELD_NICENESS
            os.setpriority(os.PRIO_PROCESS, tid, niceness)
    _render(build, name, steps)
    import openpyxl  # noqa: F401


def _next_done(pending: set[Future], kernels: list[Kernel]) -> tuple[set[Future], set[Future]]:
    """The notebooks of ``pending`` that are done, once one is; interrupted (Ctrl-C), the
    kernels are killed mid-cell, quietly."""
    try:
        return futures_wait(pending, return_when=FIRST_COMPLETED)
    except KeyboardInterrupt:
        for kernel in kernels:
            kernel.interrupted()
        raise


def _render(build: _Build, name: str, steps: _Steps) -> None:
    # nbconvert (most of a second of imports) once the first page is rendered, while the
    # longest notebook still runs, not while the kernels boot
    from planner.report.html_export import render_html

    steps.say(t("planner: [{step}/{steps}] rendering {name}.html ...", name=name, **steps.next()))
    render_html(build.executed(name), build.final / f"{name}.html")
