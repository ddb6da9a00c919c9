"""A report's kernels, started as early as the command knows a report will run.

A kernel takes a second or two to boot and import what its notebook imports. ``planner
report`` starts its kernels (:func:`start`) before it imports pandas, reads the options and
checks the inputs, so that they boot meanwhile; :func:`planner.report.runner.build_report`
then takes them (:func:`take`) instead of starting its own. Kernels nobody took (the inputs
were refused, the command failed) are killed when the command ends (:func:`started`).

Which kernels a report runs is decided here once (:func:`report_kernels`): one per notebook up
to the number of cores, so that the notebooks run side by side; the first (the funding plan,
the longest) at the command's priority, the others at :data:`YIELD_NICENESS`, so that they
use the cores it leaves idle instead of taking turns with it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from planner.errors import PlannerError
from planner.report.kernel import KERNEL_NAME, Kernel, check_kernel
from planner.report.kernel_state import PRELOAD
from planner.report.notebooks import NOTEBOOKS

#: how many notebooks ``planner report`` runs
REPORT_NOTEBOOKS = len(NOTEBOOKS)

#: niceness of the kernels beside the first: the first notebook (the funding plan) is the
#: longest, and the others use the cores it leaves idle rather than slow it down
YIELD_NICENESS = 10

#: kernels started and not yet taken: kernel name -> (notebooks, kernels)
_waiting: dict[str, tuple[int, list[Kernel]]] = {}


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def report_kernels(kernel_name: str, notebooks: int) -> list[Kernel]:
    """The kernels for a report of ``notebooks`` notebooks, started (they boot in the
    background and import what the notebooks import, :data:`PRELOAD`, while the command
    still imports and checks; a kernel that runs several notebooks imports them once)."""
    count = max(1, min(notebooks, cores()))
    return [
        Kernel(kernel_name, preload=PRELOAD, niceness=0 if i == 0 else YIELD_NICENESS).start()
        for i in range(count)
    ]


def start(kernel_name: str = KERNEL_NAME, notebooks: int = REPORT_NOTEBOOKS) -> None:
    """Start the kernels of a coming report now (once per kernel name). A kernel that is
    not this environment's is not started: the report refuses it with its own message."""
    if kernel_name in _waiting:
        return
    try:
        check_kernel(kernel_name)
    except PlannerError:
        return
    _waiting[kernel_name] = (notebooks, report_kernels(kernel_name, notebooks))


def take(kernel_name: str, notebooks: int) -> list[Kernel] | None:
    """The kernels :func:`start` started for this report, handed over once; None when
    there are none for it (another kernel name, another number of notebooks)."""
    entry = _waiting.pop(kernel_name, None)
    if entry is None:
        return None
    wanted, kernels = entry
    if wanted != notebooks:
        _kill(kernels)
        return None
    return kernels


def discard() -> None:
    """Kill the kernels started and not taken."""
    while _waiting:
        _, (_, kernels) = _waiting.popitem()
        _kill(kernels)


def _kill(kernels: list[Kernel]) -> None:
    for kernel in kernels:
        kernel.shutdown(wait=False)


@contextlib.contextmanager
def started(kernel_name: str = KERNEL_NAME, notebooks: int = REPORT_NOTEBOOKS) -> Iterator[None]:
    """Kernels started on entry for the report the block builds; those it did not take
    are killed on exit."""
    start(kernel_name, notebooks)
    try:
        yield
    finally:
        discard()
