"""Render the report: execute the notebooks, export code-free HTML, write the Excel workbook.

One computation feeds every output. The funding notebook, given an ``artifacts_dir``
parameter, saves the tables it shows and a ``summary.json`` (recommendation + alert status)
with :func:`save_artifacts`; the usage notebook saves its monthly table the same way. The
runner turns those artifacts into the workbook and the exit status, so nothing is computed
twice and the workbook always agrees with the HTML.

Output layout of :func:`build_report` (``out_dir``)::

    funding_plan.html          recommendation, risk, balance, expiry (for admins)
    usage_analysis.html        usage, spend, users, pools (for analysts)
    credits_plan.xlsx          summary, monthly usage, daily demand, alternatives, expiry
    summary.json               machine-readable recommendation and alert status
    notebooks/*.ipynb          the executed notebooks (with outputs)

Everything is built in a temporary folder next to ``out_dir`` and then moved into place file
by file, so a crashed or failed run never leaves a half-written report. When a notebook fails,
its executed copy is kept as ``out_dir/failed/<name>.ipynb`` and
:class:`planner.errors.NotebookFailed` (exit code 4) names the failing cell's error.
"""

from __future__ import annotations

import html
import json
import logging
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner import text
from planner.errors import EXIT_ALERT, EXIT_OK, InputError, NotebookFailed
from planner.package_data import package_path
from planner.text import N_, t
from planner.text import plan as plan_text


def _markdown(func: Callable[..., str]) -> Callable[..., str]:
    """Markdown for a notebook cell with every ``$`` written as an entity: ``$95 ... $60`` is
    two amounts, not a formula for the notebook's maths renderer."""
    import functools

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> str:
        return func(*args, **kwargs).replace("$", "&#36;")

    return wrapper


#: the report notebooks, in the order they run
NOTEBOOKS: tuple[str, ...] = ("funding_plan", "usage_analysis")

#: human titles of the notebooks (used when a notebook shows no heading)
TITLES: dict[str, str] = {
    "funding_plan": "Communications Credits funding plan",
    "usage_analysis": "PSTN usage analysis",
}

#: notebook parameters that name input files or folders (resolved to absolute paths)
PATH_PARAMETERS: frozenset[str] = frozenset(
    {"exports", "balance", "departments", "user_licences", "licences", "rates"}
)

#: parameters the runner sets itself
RESERVED_PARAMETERS: frozenset[str] = frozenset({"artifacts_dir"})

WORKBOOK_NAME = "credits_plan.xlsx"
SUMMARY_NAME = "summary.json"
KERNEL_NAME = "python3"

_Progress = Callable[[str], None]


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class ReportInputs:
    """Input files of one report, resolved (``None`` = not given).

    Attributes
    ----------
    exports : list of Path
        Usage export files or folders.
    balance, departments, user_licences, licences, rates : Path or None
        Today's lots, user -> department map, user licences, licence counts, rate card.
    sample : bool
        True when the embedded sample tenant is used (no exports were given).
    """

    exports: list[Path]
    balance: Path | None = None
    departments: Path | None = None
    user_licences: Path | None = None
    licences: Path | None = None
    rates: Path | None = None
    sample: bool = False

    @property
    def whatif(self) -> bool:
        """True when demand is re-priced from licences and a rate card (what-if)."""
        return self.rates is not None


_SAMPLE_FILES = {
    "balance": "balance.csv",
    "departments": "departments.csv",
    "user_licences": "user_licences.csv",
    "licences": "licences.csv",
}


def resolve_inputs(
    exports: str | list[str] | None = None,
    *,
    balance: str | None = None,
    departments: str | None = None,
    user_licences: str | None = None,
    licences: str | None = None,
    rates: str | None = None,
) -> ReportInputs:
    """Resolve a notebook's input parameters to paths.

    With ``exports=None`` the embedded sample tenant is used, and every other input left as
    ``None`` falls back to the sample's file (balance, departments, user licences, licences;
    the rate card stays ``None`` so demand is the actual one). With exports given, ``None``
    means "not given".

    Raises
    ------
    InputError
        A named file or folder does not exist.
    """
    given = {
        "balance": balance,
        "departments": departments,
        "user_licences": user_licences,
        "licences": licences,
        "rates": rates,
    }
    sample = exports is None
    if sample:
        from planner.sample import sample_dir

        root = Path(sample_dir())
        export_paths = [root / "exports"]
        for name, filename in _SAMPLE_FILES.items():
            if given[name] is None and (root / filename).exists():
                given[name] = str(root / filename)
    else:
        items = [exports] if isinstance(exports, (str, os.PathLike)) else list(exports)
        if not items:
            raise InputError("exports: no usage export given; name at least one file or folder")
        export_paths = [Path(p).expanduser() for p in items]
    for p in export_paths:
        if not p.exists():
            raise InputError(f"exports: {p} does not exist; check the path")
    resolved: dict[str, Path | None] = {}
    for name, value in given.items():
        if value is None or value == "":
            resolved[name] = None
            continue
        path = Path(value).expanduser()
        if not path.is_file():
            raise InputError(f"{name}: {path} is not a file; check the path")
        resolved[name] = path
    if resolved["rates"] is not None and resolved["licences"] is None:
        raise InputError("rates: a what-if rate card also needs the licence counts (licences)")
    return ReportInputs(exports=export_paths, sample=sample, **resolved)


# --------------------------------------------------------------------------- artifacts


def save_artifacts(
    artifacts_dir: str | Path | None,
    *,
    tables: Mapping[str, pd.DataFrame] | None = None,
    summary: Mapping[str, Any] | None = None,
    summary_name: str = SUMMARY_NAME,
) -> list[Path]:
    """Save a notebook's tables (Parquet) and summary (JSON) for the report runner.

    Does nothing when ``artifacts_dir`` is ``None`` (a notebook opened by hand).

    Parameters
    ----------
    artifacts_dir : str, Path or None
        Folder to write into (created if needed).
    tables : mapping of str to DataFrame
        ``name -> table``, written as ``<name>.parquet`` (dtypes kept).
    summary : mapping
        JSON-serialisable values, written as ``summary_name``.

    Returns
    -------
    list of Path
        The files written.
    """
    if artifacts_dir is None:
        return []
    folder = Path(artifacts_dir)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in (tables or {}).items():
        if not re.fullmatch(r"[A-Za-z0-9_\-]+", name):
            raise ValueError(f"tables: {name!r} is not a plain file name")
        path = folder / f"{name}.parquet"
        frame.to_parquet(path, index=False)
        written.append(path)
    if summary is not None:
        path = folder / summary_name
        path.write_text(json.dumps(summary, indent=2, default=_json_default) + "\n")
        written.append(path)
    return written


def _json_default(value: Any) -> Any:
    if isinstance(value, (pd.Timestamp,)):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def load_artifacts(artifacts_dir: str | Path) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Read back what :func:`save_artifacts` wrote: ``(tables, summary)``."""
    folder = Path(artifacts_dir)
    tables = {p.stem: pd.read_parquet(p) for p in sorted(folder.glob("*.parquet"))}
    summary_path = folder / SUMMARY_NAME
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    return tables, summary


# --------------------------------------------------------------------------- notebooks


def notebook_dir() -> Path:
    """Folder holding the report notebooks, shipped inside the package (``planner/notebooks``)."""
    return package_path("notebooks")


def notebook_path(name: str | Path) -> Path:
    """Path of report notebook ``name`` (e.g. ``"funding_plan"``), or ``name`` itself when it
    is already a path to an ``.ipynb`` file."""
    if str(name).endswith(".ipynb"):
        return Path(name)
    return notebook_dir() / f"{name}.ipynb"


def _stem(name: str | Path) -> str:
    return Path(str(name)).stem


def notebook_parameters(path: str | Path) -> dict[str, dict[str, Any]]:
    """The parameters a notebook declares: ``name -> {"default", "type", "help"}``."""
    import papermill

    found = papermill.inspect_notebook(str(path))
    return {
        name: {
            "default": info.get("default"),
            "type": info.get("inferred_type_name"),
            "help": info.get("help", ""),
        }
        for name, info in found.items()
    }


def kernel_python(kernel_name: str = KERNEL_NAME) -> str:
    """The interpreter the Jupyter kernel ``kernel_name`` runs (its kernelspec's ``argv[0]``)."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

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


_PLAIN_TYPES = (str, bool, int, float, type(None))


def _check_plain(name: str, value: Any) -> Any:
    """Papermill passes only None/str/bool/int/float/list/dict; convert paths, reject others."""
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise InputError(f"parameter {name}: {value} is not a finite number")
    if isinstance(value, _PLAIN_TYPES):
        return value
    if isinstance(value, (list, tuple)):
        return [_check_plain(name, v) for v in value]
    if isinstance(value, dict):
        return {str(k): _check_plain(name, v) for k, v in value.items()}
    raise InputError(
        f"parameter {name}: a {type(value).__name__} cannot be passed to a notebook; "
        "use a string, number, true/false, list or mapping"
    )


def _absolute_paths(name: str, value: Any) -> Any:
    if name not in PATH_PARAMETERS or value is None or value == "":
        return value
    if isinstance(value, list):
        items = [str(Path(v).expanduser().resolve()) for v in value]
        for p in items:
            if not Path(p).exists():
                raise InputError(f"{name}: {p} does not exist; check the path")
        return items
    p = Path(str(value)).expanduser().resolve()
    if not p.exists():
        raise InputError(f"{name}: {p} does not exist; check the path")
    return str(p)


def prepare_parameters(
    parameters: Mapping[str, Any], notebooks: Iterable[str | Path] = NOTEBOOKS
) -> dict[str, dict[str, Any]]:
    """Route parameters to the notebooks that declare them.

    Paths are made absolute (relative to the current directory) and checked; names no
    notebook declares are refused.

    Returns
    -------
    dict
        ``notebook name -> parameters to inject``.

    Raises
    ------
    InputError
        Unknown parameter name, reserved name, a value papermill cannot pass, a missing file.
    """
    declared = {_stem(nb): notebook_parameters(notebook_path(nb)) for nb in notebooks}
    known = set().union(*(d.keys() for d in declared.values())) - RESERVED_PARAMETERS
    clean: dict[str, Any] = {}
    for name, value in parameters.items():
        if name in RESERVED_PARAMETERS:
            raise InputError(f"parameter {name}: set by the report runner, not by hand")
        if name not in known:
            raise InputError(
                f"unknown notebook parameter {name!r}; known parameters: {', '.join(sorted(known))}"
            )
        clean[name] = _absolute_paths(name, _check_plain(name, value))
    return {nb: {k: v for k, v in clean.items() if k in names} for nb, names in declared.items()}


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


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
    import papermill
    from papermill.exceptions import PapermillExecutionError

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
            f"notebook {_stem(name)} failed in cell {exc.exec_count}: {exc.ename}: {first}"
        )
        err.ename, err.evalue = exc.ename, str(exc.evalue)
        raise err from None
    except Exception as exc:  # the kernel died, timed out or could not start
        if isinstance(exc, (InputError, NotebookFailed)):
            raise
        err = NotebookFailed(f"notebook {_stem(name)} could not run: {type(exc).__name__}: {exc}")
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
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import CaselessStrEnum, Unicode

    class LocalKernelManager(AsyncKernelManager):
        transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)
        ip = Unicode(str(socket_path), config=True)

        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            with open(socket_path.parent / "kernel.log", "ab") as log:
                kw.setdefault("stdout", subprocess.DEVNULL)
                kw.setdefault("stderr", log)
                return await super()._async_launch_kernel(kernel_cmd, **kw)

    return LocalKernelManager


def translate_notebook(source: str | Path, dest: Path) -> Path:
    """Copy a notebook with its Markdown cells in the language in use (the code cells write
    their own output through :mod:`planner.text`)."""
    import nbformat

    nb = nbformat.read(str(source), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = t(cell.source)
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(dest))
    return dest


# --------------------------------------------------------------------------- HTML

_CSS = """
<style>
  body { background: #f4f6f9; }
  main, .jp-Notebook { max-width: 1120px; margin: 0 auto !important; background: #fff;
    padding: 28px 44px 48px 44px !important; box-shadow: 0 1px 4px rgba(0,0,0,.08); }
  .jp-RenderedHTMLCommon, .jp-RenderedMarkdown { font-family: "Segoe UI", "Helvetica Neue",
    Arial, sans-serif; font-size: 15px; line-height: 1.5; color: #1f2933; }
  .jp-RenderedHTMLCommon h1 { font-size: 28px; color: #1f4e79; border-bottom: 3px solid #1f4e79;
    padding-bottom: 6px; margin-top: 8px; }
  .jp-RenderedHTMLCommon h2 { font-size: 21px; color: #1f4e79; margin-top: 30px;
    border-bottom: 1px solid #d9e2ec; padding-bottom: 4px; }
  .jp-RenderedHTMLCommon table { font-size: 13px; border-collapse: collapse; margin: 6px 0; }
  .jp-RenderedHTMLCommon thead th { background: #1f4e79; color: #fff; }
  .jp-RenderedHTMLCommon tbody tr:nth-child(odd) { background: #f2f6fa; }
  .jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th { padding: 4px 10px; }
  .jp-RenderedImage img { max-width: 100%; height: auto; }
  .jp-OutputArea-output pre { font-size: 13px; }
  .jp-Cell { padding: 2px 0 !important; }
  blockquote { border-left: 5px solid #1f4e79; background: #eef4fa; margin: 10px 0;
    padding: 10px 16px; }
  .planner-status { border-radius: 6px; padding: 10px 16px; margin: 8px 0 14px 0;
    font-size: 15px; border-left: 6px solid; }
  .planner-ok { background: #e8f5e9; border-color: #2e7d32; color: #1b5e20; }
  .planner-alert { background: #fdecea; border-color: #c62828; color: #8e1c1c; }
  .planner-footer { max-width: 1120px; margin: 10px auto 30px auto; color: #66788a;
    font: 12px "Segoe UI", Arial, sans-serif; }
</style>
"""


def _report_title(nb, fallback: str) -> str:
    """The first level-1 heading a notebook displays (in its outputs or Markdown cells)."""
    for cell in nb.cells:
        texts = []
        if cell.cell_type == "markdown":
            texts.append(cell.source)
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "text/markdown" in data:
                texts.append(data["text/markdown"])
        for source in texts:
            m = re.search(r"^#\s+(.+)$", source, re.M)
            if m:  # (data in headings is HTML-escaped; the template escapes the title)
                return html.unescape(re.sub(r"[*_`]", "", m.group(1)).strip())
    return fallback


#: the reports are static pages: no script runs, nothing is fetched (charts are data: URLs),
#: whatever text from the exports (a display name, a department) ended up in them
CSP = (
    "default-src 'none'; script-src 'none'; object-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'; img-src data:; font-src data:; "
    "style-src 'unsafe-inline'"
)
_CSP = f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'


#: cells tagged so are for people running the notebook by hand, not for report readers
HIDE_TAG = "report-hide"


def _strip_for_html(nb):
    """Drop what a reader should not see: stderr streams, cells without output, and cells
    tagged :data:`HIDE_TAG`."""
    import copy

    nb = copy.deepcopy(nb)
    kept = []
    for cell in nb.cells:
        if HIDE_TAG in cell.get("metadata", {}).get("tags", []):
            continue
        if cell.cell_type == "code":
            cell.outputs = [
                o
                for o in cell.get("outputs", [])
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
            if not cell.outputs:
                continue
        kept.append(cell)
    nb.cells = kept
    return nb


_NO_ALT = 'alt="No description has been provided for this image"'


def _alt_texts(nb, body: str) -> str:
    """Give each chart the alt text :func:`show` recorded (nbconvert's template drops it)."""
    alts = [
        out.get("metadata", {}).get("image/png", {}).get("alt")
        for cell in nb.cells
        for out in cell.get("outputs", [])
        if "image/png" in out.get("data", {})
    ]
    it = iter(alts)

    def repl(_m: re.Match) -> str:
        alt = next(it, None)
        return f'alt="{html.escape(alt, quote=True)}"' if alt else _NO_ALT

    return re.sub(re.escape(_NO_ALT), repl, body)


def render_html(notebook: str | Path, html_path: str | Path, *, title: str | None = None) -> Path:
    """Export an executed notebook to a code-free, self-contained HTML file.

    Inputs and prompts are excluded, charts stay embedded as ``data:image/png;base64``, stderr
    output (warnings) is dropped, and a readable style and footer are added.
    """
    import nbformat
    from nbconvert import HTMLExporter

    from planner import __version__

    nb = _strip_for_html(nbformat.read(str(notebook), as_version=4))
    name = Path(notebook).stem
    title = title or _report_title(nb, TITLES.get(name, name))
    nb.metadata["title"] = title  # the template prefers it to the resources' name
    exporter = HTMLExporter(
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
    )
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    now = pd.Timestamp.now(tz="UTC")
    generated = f"{text.date(now.tz_localize(None))} {now:%H:%M} UTC"
    footer = (
        '<div class="planner-footer">'
        + html.escape(t("Generated by planner {version} on {when}.", version=__version__,
                        when=generated))
        + "</div>"
    )  # fmt: skip
    body = _alt_texts(nb, body)
    body = re.sub(r"<head>", "<head>\n" + _CSP, body, count=1)
    body = body.replace("</head>", _CSS + "</head>", 1)
    body = body.replace("</body>", footer + "\n</body>", 1)
    path = Path(html_path)
    path.write_text(body, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- workbook


#: artifact table -> (sheet name, money columns in currency units); in workbook order
WORKBOOK_SHEETS: dict[str, tuple[str, tuple[str, ...]]] = {
    "monthly_usage": (N_("Monthly usage"), ()),
    "daily_demand": (N_("Daily credit demand"), ("demand",)),
    "alternatives": (
        N_("Policy alternatives"),
        (
            "initial",
            "recharge_amount",
            "threshold",
            "expected_forfeited",
            "expected_purchased",
            "mean_balance",
            "cost",
            "added_forfeiture",
        ),
    ),
    "expiry_schedule": (
        N_("Expiry schedule"),
        ("amount", "expected_forfeit", "forfeit_p5", "forfeit_p50", "forfeit_p95"),
    ),
    "emails": (N_("E-mails, typical scenario"), ("amount",)),
    "alerts": (N_("Alerts"), ()),
}

_HEADERS = {
    "cost": N_("Expected cost"),
    "calls": N_("Calls"),
    "credit_calls": N_("Calls paid from credits"),
    "minutes": N_("Minutes"),
    "destination": N_("Destination"),
    "number": N_("Number"),
    "share": N_("Share"),
    "user_display_name": N_("User"),
    "format": N_("Export format"),
    "records": N_("Calls kept"),
    "duplicates": N_("Duplicates"),
    "rejected": N_("Rejected"),
    "period_start": N_("First call"),
    "period_end": N_("Last call"),
    "option": N_("Option"),
    "added_forfeiture": N_("Forfeiture added by the policy"),
    "email": N_("E-mail"),
    "amount": N_("Amount"),
    "purchase_date": N_("Purchase date"),
    "month": N_("Month"),
    "file": N_("File"),
    "reason": N_("Reason"),
    "rows": N_("Rows"),
    "credit_cents": N_("Credit spend"),
    "amount_cents": N_("Credit demand"),
    "credit_change_cents": N_("Change in credit spend"),
    "credit_change_pct": N_("Change in credit spend %"),
    "minutes_change_pct": N_("Change in minutes %"),
    "p_stockout": N_("Stock-out probability"),
    "p_expire": N_("Probability a lot loses funds"),
    "p_forfeit": N_("Probability of a loss"),
    "date": N_("Date"),
    "expected_forfeited": N_("Expected forfeiture (with today's)"),
    "expected_expired": N_("Expected to expire unused"),
    "expected_forfeit": N_("Expected to expire unused"),
    "expected_purchased": N_("Expected purchases"),
    "expected_recharges": N_("Expected recharges"),
    "recharges_per_month": N_("Recharges per month"),
    "mean_balance": N_("Mean balance"),
    "recharge_amount": N_("Recharge amount"),
    "threshold": N_("Recharge below (trigger)"),
    "initial": N_("Add now"),
    "auto_recharge": N_("Auto-recharge"),
    "upn": N_("User (UPN)"),
    "cents": N_("Credit spend"),
    "payg_cents": N_("Pay-as-you-go"),
    "domestic_overage_cents": N_("Domestic overage"),
    "conference_dial_out_cents": N_("Conference dial-out"),
    "toll_free_cents": N_("Toll-free"),
}


def _header(col: str, kind: str, currency: str | None) -> str:
    """A column's header in words of the language in use, money headers with the currency."""
    words = _HEADERS.get(col)
    m = re.fullmatch(r"(forfeit|expired)_p(\d+(?:\.\d+)?)", col)
    if words is not None:
        words = t(words)
    elif m:
        words = t("Forfeiture, {nth} percentile", nth=text.number(float(m.group(2))))
    else:
        base = col[: -len("_cents")] if col.endswith("_cents") else col
        words = t(base.replace("_", " ").strip().capitalize())
    if kind in ("money", "cents") and currency:
        words = f"{words} ({currency})"
    return words


def _column_kind(col: str, series: pd.Series, money: tuple[str, ...]) -> str | None:
    if (col == "cents" or col.endswith("_cents")) and pd.api.types.is_integer_dtype(series):
        return "cents"
    if col in money or (
        col.startswith(("expired_p", "forfeit_p")) and pd.api.types.is_float_dtype(series)
    ):
        return "money"
    if col.endswith("_pct") or col.startswith(("p_", "share")):
        return "percent"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "month" if col == "month" else "date"
    return None


def workbook_sheets(tables: Mapping[str, pd.DataFrame], summary: Mapping[str, Any]) -> list:
    """The admin workbook's sheets, built from the notebooks' artifacts.

    The summary sheet holds ``summary["rows"]`` (label, value, format) and the explanation;
    each artifact table becomes a sheet (known ones named and ordered by
    :data:`WORKBOOK_SHEETS`), with money, percentages and dates formatted.
    """
    from planner import excel

    currency = summary.get("currency")
    rows = []
    for label, value, kind in summary.get("rows", []):
        if kind == "date" and isinstance(value, str):
            value = pd.Timestamp(value).date()
        rows.append((label, value, kind))
    sheets: list = [
        excel.SummarySheet(
            name=t("Summary"),
            title=summary.get("title", TITLES["funding_plan"]),
            rows=rows,
            currency=currency,
            notes=summary.get("notes", []),
        )
    ]
    order = [k for k in WORKBOOK_SHEETS if k in tables] + sorted(
        k for k in tables if k not in WORKBOOK_SHEETS
    )
    for key in order:
        frame = tables[key]
        name, money = WORKBOOK_SHEETS.get(key, (key.replace("_", " ").capitalize(), ()))
        name = t(name)
        if key == "alternatives" and "option" in frame.columns:
            frame = frame.assign(option=frame["option"].map(option_name))
        kinds = {c: _column_kind(str(c), frame[c], money) for c in frame.columns}
        sheets.append(
            excel.TableSheet(
                name=name[:31],
                frame=frame,
                formats={c: k for c, k in kinds.items() if k},
                headers={c: _header(str(c), k or "", currency) for c, k in kinds.items()},
                currency=currency,
            )
        )
    return sheets


# --------------------------------------------------------------------------- runner


@dataclass
class ReportResult:
    """What :func:`build_report` wrote and the status of the plan.

    Attributes
    ----------
    out_dir : Path
    files : list of Path
        Every file written, in ``out_dir``.
    exit_code : int
        0 all well, 3 alert (see :func:`planner.recommend.alert_status`).
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
    from planner import ingest

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
            kernel_name=kernel_name,
        )  # fmt: skip


def _build_report(
    parameters: Mapping[str, Any] | None,
    out_dir: str | Path,
    *,
    notebooks: Iterable[str | Path],
    progress: bool,
    log: _Progress | None,
    kernel_name: str,
) -> ReportResult:
    say = log or (lambda _msg: None)
    notebooks = list(notebooks)
    routed = prepare_parameters(dict(parameters or {}), notebooks)
    check_exports((parameters or {}).get("exports"))
    check_kernel(kernel_name)
    out_dir = Path(out_dir).expanduser().resolve()
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"--out: {out_dir} exists and is not a folder")
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        _clean_stale_builds(out_dir)
        build = Path(
            tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".partial", dir=out_dir.parent)
        )
        (build / _OWNER).write_text(str(os.getpid()))
    except OSError as exc:
        raise InputError(f"--out {out_dir}: cannot write there ({exc.strerror or exc})") from None
    try:
        final = build / "final"
        artifacts = build / "artifacts"
        work = build / "work"
        for d in (final, artifacts, work):
            d.mkdir()
        steps = len(notebooks) * 2 + 1
        step = 0
        for nb in notebooks:
            step += 1
            name = _stem(nb)
            say(t("planner: [{step}/{steps}] running notebook {name} ...", step=step,
                  steps=steps, name=name))  # fmt: skip
            params = dict(routed[name])
            if "artifacts_dir" in notebook_parameters(notebook_path(nb)):
                params["artifacts_dir"] = str(artifacts)
            executed = final / "notebooks" / f"{name}.ipynb"
            source = notebook_path(nb)
            if text.current_language() != text.DEFAULT_LANGUAGE:
                source = translate_notebook(source, build / "source" / f"{name}.ipynb")
            try:
                execute(
                    source, executed, params, cwd=work, progress=progress, kernel_name=kernel_name
                )
            except NotebookFailed as exc:
                where = ""
                if executed.exists():
                    kept = out_dir / "failed" / f"{name}.ipynb"
                    kept.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(executed, kept)
                    where = f"executed notebook kept at {kept}"
                if getattr(exc, "ename", "") == "InputError":  # bad input seen by the notebook
                    first = str(getattr(exc, "evalue", exc)).strip().splitlines()
                    message = first[0] if first else str(exc)
                    raise InputError(f"{message} ({where})" if where else message) from None
                raise NotebookFailed(f"{exc}; {where}" if where else str(exc)) from None
        for name in map(_stem, notebooks):
            step += 1
            say(t("planner: [{step}/{steps}] rendering {name}.html ...", step=step, steps=steps,
                  name=name))  # fmt: skip
            render_html(final / "notebooks" / f"{name}.ipynb", final / f"{name}.html")
        tables, summary = load_artifacts(artifacts)
        step += 1
        result = ReportResult(out_dir=out_dir, summary=summary)
        if summary:
            say(t("planner: [{step}/{steps}] writing {name} ...", step=step, steps=steps,
                  name=WORKBOOK_NAME))  # fmt: skip
            from planner.excel import write_workbook

            write_workbook(final / WORKBOOK_NAME, workbook_sheets(tables, summary))
            (final / SUMMARY_NAME).write_text(
                json.dumps(summary, indent=2, default=_json_default) + "\n"
            )
            alert = summary.get("alert", {})
            result.exit_code = int(alert.get("exit_code", EXIT_OK))
            result.status = str(alert.get("status", ""))
        if result.exit_code not in (EXIT_OK, EXIT_ALERT):
            raise NotebookFailed(f"summary.json holds an unexpected exit code {result.exit_code}")
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            result.files = _move_into_place(final, out_dir)
        except OSError as exc:
            raise InputError(
                f"--out {out_dir}: cannot write there ({exc.strerror or exc})"
            ) from None
        for name in map(_stem, notebooks):  # a success supersedes an earlier failure's leftovers
            stale = out_dir / "failed" / f"{name}.ipynb"
            if stale.exists():
                stale.unlink()
        failed_dir = out_dir / "failed"
        if failed_dir.is_dir() and not any(failed_dir.iterdir()):
            failed_dir.rmdir()
        return result
    finally:
        shutil.rmtree(build, ignore_errors=True)


# --------------------------------------------------------------------------- notebook helpers
# Small presentation helpers the notebooks call, so that their cells stay one call + one display.


def sample_parameters() -> dict[str, Any]:
    """Notebook parameters naming every file of the embedded sample tenant (``planner demo``)."""
    from planner.sample import sample_dir

    root = Path(sample_dir())
    if not (root / "exports").is_dir():
        raise InputError(
            f"the sample tenant is missing ({root / 'exports'}); run `planner sample --out {root}`"
        )
    params: dict[str, Any] = {"exports": [str(root / "exports")]}
    for name, filename in _SAMPLE_FILES.items():
        if (root / filename).exists():
            params[name] = str(root / filename)
    return params


def tenant_label(records: pd.DataFrame, tenant: str | None = None) -> str:
    """The tenant's name for headings: ``tenant`` if given, else the users' main e-mail domain."""
    if tenant:
        return str(tenant)
    upn = records["upn"].dropna().astype(str) if "upn" in records.columns else pd.Series([])
    domains = upn.str.partition("@")[2].str.lower()
    domains = domains[domains != ""]
    return str(domains.value_counts().index[0]) if len(domains) else "tenant"


def period_text(start: Any, end: Any) -> str:
    """``"1 Oct 2025 – 31 Oct 2026 (396 days)"`` for a first and last day."""
    return text.period(start, end)


def heading_markdown(title: str, tenant: str, lines: Iterable[str] = ()) -> str:
    """A report heading: title with the tenant, then one line of facts and the date."""
    today = text.date(pd.Timestamp.now(tz="UTC").tz_localize(None))
    facts = " · ".join([*map(html.escape, lines), t("generated {day}", day=today)])
    # the tenant comes from the data (a UPN domain) or the user: escaped, never markup
    return f"# {html.escape(title)} — {html.escape(tenant)}\n\n{facts}"


def money_text(amount: float | None, currency: str, decimals: int = 0) -> str:
    """An amount with its currency (:func:`planner.text.money`); ``"–"`` for None/NaN."""
    return text.money(amount, currency, decimals)


def current_policy(
    recharge_amount: float | None,
    threshold: float | None,
    *,
    auto_recharge: bool = True,
    balance: float | None = None,
    lead_days: int = 0,
    **rules: Any,
):
    """The admin's current settings: :func:`planner.pipeline.current_policy` (the one
    construction of the current policy, shared with ``planner recommend``)."""
    from planner.pipeline import current_policy as build

    return build(
        recharge_amount,
        threshold,
        auto_recharge=auto_recharge,
        balance=balance,
        lead_days=lead_days,
        **rules,
    )


def runway_distribution(scenarios: Any, lots: pd.DataFrame) -> np.ndarray:
    """Days today's lots last on each scenario with no purchase (``inf``: past the horizon).

    The scenario form of :func:`planner.analysis.runway_days` (the one runway computation:
    the balance engine with auto-recharge off, so a lot expiring on its date ends the runway
    exactly as it would in the tenant).
    """
    from planner.analysis import runway_days

    return runway_days(scenarios.paths, scenarios.start, lots)


def typical_path(paths: Any) -> int:
    """Index of the scenario whose total demand is the median (the path to replay)."""
    totals = np.asarray(paths, dtype=float).sum(axis=1)
    order = np.argsort(totals, kind="stable")
    return int(order[(len(order) - 1) // 2])


def email_table(events: pd.DataFrame, currency: str) -> pd.DataFrame:
    """The e-mails Microsoft would send, from :attr:`planner.engine.SimulationResult.events`.

    Returns
    -------
    DataFrame
        ``date`` (datetime64), ``email`` (string), ``amount`` (float, currency units; NaN for
        a zero balance).
    """
    names = {
        "recharge_succeeded": t("Auto-recharge succeeded"),
        "recharge_failed": t("Auto-recharge failed"),
        "balance_zero": t("Balance reached zero"),
    }
    out = pd.DataFrame(
        {
            "date": pd.to_datetime(events["date"]).to_numpy(),
            "email": events["event"].astype(str).map(lambda e: names.get(e, e)).to_numpy(),
            "amount": np.where(
                events["event"].astype(str).eq("balance_zero"),
                np.nan,
                events["amount"].to_numpy(dtype=float),
            ),
        }
    )
    out["email"] = out["email"].astype("string")
    return out


@_markdown
def plan_markdown(rec: Any, status: str, exit_code: int) -> str:
    """The recommendation in plain words, for the top of the funding plan: the status, the
    three values to type into the admin center, the key figures defined, the explanation."""
    cur = rec.currency
    pol = rec.policy
    alert = exit_code == EXIT_ALERT
    word = t("ALERT") if alert else t("OK")
    lines = [
        f'<div class="planner-status {"planner-alert" if alert else "planner-ok"}">'
        f"<b>{html.escape(word)}</b> — {html.escape(_status_detail(status))}</div>",
        "",
        f"| {t('What to set in the Microsoft 365 admin center')} | {t('Amount')} |",
        "|---|---:|",
        f"| {t('Add funds now (one-time)')} | **{text.money(pol.initial, cur)}** |",
        f"| {t('Auto-recharge amount')} | **{text.money(pol.recharge_amount, cur)}** |",
        f"| {t('Recharge when the balance falls below')} | **{text.money(pol.threshold, cur)}** |",
        "",
        key_figures_markdown(rec),
        "",
        f"**{t('Why these settings')}**",
        "",
    ]
    lines += [f"- {html.escape(s)}" for s in rec.explanation]
    return "\n".join(lines)


@_markdown
def position_markdown(rec: Any) -> str:
    """Today's balance, runway and next expiry in words (needs ``rec.position``)."""
    pos = rec.position
    if pos is None:
        return t("No balance file was given: runway and expiry cannot be shown.")
    cur = rec.currency
    rw = pos["runway_days"]
    if rw["censored"]:
        runway = t("more than {days} in most scenarios", days=text.days(rec.scenarios.horizon_days))
    else:
        runway = t(
            "about **{days}** (until {day}); in a bad year (5%) only {pessimistic}",
            days=text.days(rw["median"]),
            day=text.date(pos["depletion_date"]),
            pessimistic=text.days(rw["pessimistic"]),
        )
    return t(
        "Today's balance: **{balance}** (balance as of {as_of}). Without any purchase it lasts "
        "{runway}. Advice: {advice}.",
        balance=text.money(pos["balance"], cur),
        as_of=text.date(pos["as_of"]),
        runway=runway,
        advice=plan_text.advice(pos, cur),
    )


def alternatives_table(rec: Any) -> Any:
    """The policy alternatives as a compact table; their explanations go in
    :func:`alternatives_markdown` (long sentences make unreadable table cells)."""
    frame = alternatives_frame(rec)
    frame["option"] = frame["option"].map(option_name)
    return table(frame, rec.currency, money=WORKBOOK_SHEETS["alternatives"][1])


@_markdown
def alternatives_markdown(rec: Any) -> str:
    """One bullet per alternative policy: its name in bold, then its plain explanation."""
    alts = rec.alternatives
    if len(alts) == 0:
        return ""
    cur = rec.currency
    lines = []
    today = unavoidable_forfeiture(rec)
    if today >= 0.5:
        lines.append(
            t(
                "Every option includes the {amount} today's funds lose whatever you do.",
                amount=text.money(today, cur),
            )
        )
        lines.append("")
    for alt in alts.to_dict("records"):
        sentence = plan_text.alternative_sentence(alt, rec.cost, cur)
        lines.append(f"- **{html.escape(option_name(alt['option']))}**: {html.escape(sentence)}")
    return "\n".join(lines)


@_markdown
def one_time_markdown(rec: Any) -> str:
    """What a single purchase without auto-recharge would do."""
    one = rec.one_time_funding
    cur = rec.currency
    if one.get("amount") is None:
        return plan_text.one_time_sentence(one, rec.scenarios.horizon_days, cur)
    return t(
        "Without auto-recharge, one purchase of **{amount}** covers the next {days} in "
        "{covered} of simulated years, forfeits about {forfeited} on average and has an "
        "expected cost of {cost} (auto-recharge: {recommended}).",
        amount=text.money(one["amount"], cur),
        days=text.days(rec.scenarios.horizon_days),
        covered=text.percent(1 - one["p_stockout"]),
        forfeited=text.money(one["expected_forfeited"], cur),
        cost=text.money(one["cost"], cur),
        recommended=text.money(rec.cost, cur),
    )


def plan_summary(
    rec: Any,
    *,
    alert: tuple[int, str],
    tenant: str,
    period: str,
    demand_kind: str,
) -> dict[str, Any]:
    """The ``summary.json`` of a report: recommendation, alert status and the workbook summary.

    Labels are in the language in use (:mod:`planner.text`); ``lang`` records it.

    Parameters
    ----------
    rec : planner.recommend.Recommendation
    alert : (int, str)
        :func:`planner.recommend.alert_status` for the report's ``alert_days``.
    tenant, period : str
        For headings.
    demand_kind : str
        ``"actual"`` or ``"whatif"``.
    """
    code, status = alert
    pol, m, cur = rec.policy, rec.metrics, rec.currency
    demand = t("actual credit spend") if demand_kind == "actual" else t("what-if demand")
    today = unavoidable_forfeiture(rec)
    rows: list[list[Any]] = [
        [t("Status"), status, "text"],
        [t("Tenant"), tenant, "text"],
        [t("Usage period analysed"), period, "text"],
        [t("Demand"), demand, "text"],
        [t("Plan starts"), rec.scenarios.start.date(), "date"],
        [t("Horizon (days)"), rec.scenarios.horizon_days, "int"],
        [t("Scenarios"), rec.scenarios.n_scenarios, "int"],
        [t("Demand growth per year"), rec.scenarios.growth_per_year, "percent"],
        [t("Service level"), rec.service_level, "percent"],
        [t("Add funds now"), pol.initial, "money"],
        [t("Auto-recharge amount"), pol.recharge_amount, "money"],
        [t("Recharge below (trigger)"), pol.threshold, "money"],
        [t("Stock-out probability"), m["p_stockout"], "percent"],
        [t("Expected forfeiture"), m["expected_forfeited"], "money"],
        [t("of which today's funds lose whatever you do"), today, "money"],
        [t("Expected purchases"), m["expected_purchased"], "money"],
        [t("Recharges per month"), m["recharges_per_month"], "number"],
        [t("Mean balance (money tied up)"), m["mean_balance"], "money"],
        [t("Expected cost (forfeiture + money tied up)"), rec.cost, "money"],
    ]
    if rec.position is not None:
        rw = rec.position["runway_days"]
        rows += [
            [t("Balance today"), rec.position["balance"], "money"],
            [t("Balance as of"), rec.position["as_of"], "date"],
            [t("Runway, median (days)"), rw["median"], "int"],
            [t("Runway, pessimistic (days)"), rw["pessimistic"], "int"],
            [t("Runs out on (median)"), rec.position["depletion_date"], "date"],
        ]
    if rec.current is not None:
        rows += [
            [t("Current settings: stock-out probability"), rec.current["p_stockout"], "percent"],
            [t("Current settings: expected cost"), rec.current["cost"], "money"],
        ]
    one = rec.one_time_funding
    rows.append([t("One-time funding instead (no auto-recharge)"), one.get("amount"), "money"])
    plain = json.loads(json.dumps(rows, default=_json_default))
    return {
        "title": t("Communications Credits funding plan — {tenant}", tenant=tenant),
        "tenant": tenant,
        "period": period,
        "currency": cur,
        "lang": text.current_language(),
        "demand": demand_kind,
        "alert": {"exit_code": int(code), "status": status},
        "recommendation": {**rec.to_json(), "status": status, "exit_code": int(code)},
        "rows": plain,
        "notes": list(rec.explanation),
    }


def figure_title(fig: Any) -> str:
    """A figure's title (its suptitle, else its first titled panel), for the image's alt text."""
    sup = getattr(fig, "_suptitle", None)
    if sup is not None and sup.get_text():
        return sup.get_text()
    for ax in fig.get_axes():
        if ax.get_title():
            return ax.get_title()
    return "Chart"


def show(fig: Any) -> None:
    """Display a matplotlib figure once (as PNG, its title as alt text) and close it.

    The PNG is rendered here, so charts appear whatever matplotlib backend the kernel uses.
    """
    import io

    import matplotlib.pyplot as plt
    from IPython.display import Image, display

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight", facecolor="white")
    plt.close(fig)
    display(Image(data=buf.getvalue(), format="png"),
            metadata={"image/png": {"alt": figure_title(fig)}})  # fmt: skip


def table(
    frame: pd.DataFrame,
    currency: str = "",
    *,
    money: Iterable[str] = (),
    max_rows: int = 40,
    empty: str | None = None,
) -> Any:
    """A readable table for a notebook: money with its currency, percentages, no index.

    ``*_cents`` columns (exact cents) and the ``money`` columns (floats in currency units) are
    shown as amounts, ``p_*``/``*_pct``/``share*`` as percentages, dates as
    :func:`planner.text.date` (never wrapped); the headers are written in words. Returns a
    pandas Styler, or Markdown ``empty`` when there is nothing to show.
    """
    from IPython.display import Markdown

    if frame is None or len(frame) == 0:
        return Markdown(f"*{empty or t('Nothing to show.')}*")
    view = frame.head(max_rows).copy()
    if isinstance(view.index, (pd.PeriodIndex, pd.DatetimeIndex)) or view.index.name:
        view = view.reset_index()
    money = tuple(money)
    fmt: dict[str, Any] = {}
    headers = {}
    nowrap = []
    for col in view.columns:
        name = str(col)
        kind = _column_kind(name, view[col], money)
        fmt_one = _cell_formatter(kind, view[col])
        if isinstance(view[col].dtype, pd.PeriodDtype):
            view[col] = view[col].dt.to_timestamp()
            fmt_one, kind = text.month, "month"
        if fmt_one is not None:
            fmt[col] = fmt_one
        if kind in ("date", "month"):
            nowrap.append(col)
        headers[col] = _header(name, kind or "", currency or None)
    # text from the exports (names, departments) is escaped: it is shown, never run
    styler = view.style.format(fmt, na_rep=text.MISSING, escape="html").hide(axis="index")
    text_cols = [c for c in view.columns if c not in fmt]
    if text_cols:  # words read best left-aligned, numbers right-aligned
        styler = styler.set_properties(subset=text_cols, **{"text-align": "left"})
    if nowrap:  # a date is one unit: "21 Apr 2027", never "21 Apr / 2027"
        styler = styler.set_properties(subset=nowrap, **{"white-space": "nowrap"})
    styler = styler.relabel_index([html.escape(headers[c]) for c in view.columns], axis=1)
    if len(frame) > max_rows:
        styler = styler.set_caption(
            t("First {shown} of {total} rows", shown=text.number(max_rows),
              total=text.number(len(frame)))
        )  # fmt: skip
    return styler


@_markdown
def usage_heading(
    quality: Mapping[str, Any], records: pd.DataFrame, currency: str, tenant: str | None = None
) -> str:
    """Heading of the usage analysis: tenant, period, calls, currency."""
    return heading_markdown(
        t("PSTN usage analysis"),
        tenant_label(records, tenant),
        [
            t("usage {period}", period=period_text(quality["period_start"],
                                                    quality["period_end"])),
            text.nt("{n} call", "{n} calls", quality["records"]),
            t("money in {currency}", currency=currency),
        ],
    )  # fmt: skip


@_markdown
def usage_key_figures(monthly: pd.DataFrame, currency: str) -> str:
    """Three key figures of the usage, for the top of the analysis.

    Parameters
    ----------
    monthly : DataFrame
        :func:`planner.analysis.monthly_summary`.
    """
    if len(monthly) == 0:
        return t("No calls in these exports.")
    total = int(monthly["credit_cents"].sum())
    cats = [c for c in monthly.columns if c.endswith("_cents") and c not in
            ("credit_cents", "credit_change_cents")]  # fmt: skip
    by_cat = monthly[cats].sum().sort_values(ascending=False)
    parts = [
        text.nt(
            "Credit spend **{total}** over {n} month, {average} a month on average",
            "Credit spend **{total}** over {n} months, {average} a month on average",
            len(monthly),
            total=text.cents(total, currency),
            average=text.money(total / 100 / len(monthly), currency, 2),
        )
    ]
    if total and len(by_cat):
        top = str(by_cat.index[0])
        parts.append(
            t(
                "the largest share is **{category}** ({share})",
                category=_header(top, "", None).lower(),
                share=text.percent(int(by_cat.iloc[0]) / total),
            )
        )
    if len(monthly) >= 2:
        last, prev = monthly.iloc[-1], monthly.iloc[-2]
        change = last.get("credit_change_pct")
        if change is not None and np.isfinite(change):
            parts.append(
                t(
                    "the last month ({month}) spent {amount}, {change} on {previous} ({before})",
                    month=text.month(monthly.index[-1]),
                    amount=text.cents(int(last["credit_cents"]), currency),
                    change=text.percent(change, signed=True),
                    previous=text.month(monthly.index[-2]),
                    before=text.cents(int(prev["credit_cents"]), currency),
                )
            )
    return "; ".join(parts) + "."


def files_view(files: pd.DataFrame) -> pd.DataFrame:
    """The per-file table of :func:`planner.analysis.data_quality` with file names, not paths."""
    out = files.copy()
    out["path"] = out["path"].map(lambda p: Path(str(p)).name if pd.notna(p) else p)
    for col in ("period_start", "period_end"):  # days, written as every report writes a day
        if col in out.columns:
            out[col] = pd.to_datetime(out[col], errors="coerce")
    return out.rename(columns={"path": "file"})


@_markdown
def quality_markdown(quality: Mapping[str, Any]) -> str:
    """What the ingest read, in one paragraph."""
    files = quality["files"]
    out = t(
        "Read **{rows}** from **{files}**: **{calls}** kept, {duplicates} dropped (the same "
        "call in overlapping exports) and **{rejected}**.",
        rows=text.nt("{n} row", "{n} rows", quality["rows"]),
        files=text.nt("{n} file", "{n} files", len(files)),
        calls=text.nt("{n} call", "{n} calls", quality["records"]),
        duplicates=text.nt("{n} duplicate", "{n} duplicates", quality["duplicates"]),
        rejected=text.nt("{n} rejected", "{n} rejected", quality["rejected"]),
    )
    if quality["rejected"]:
        top = quality["rejects_by_reason"].iloc[0]
        out += " " + t(
            "Most common reason: *{reason}* ({rows}).",
            reason=html.escape(str(top["reason"])),  # it quotes values from the exports
            rows=text.nt("{n} row", "{n} rows", int(top["rows"])),
        )
    else:
        out += " " + t("Every row was readable.")
    return out


@_markdown
def month_end_markdown(share: Mapping[str, float], last_n_days: int) -> str:
    """One sentence on whether credit spend bunches at month end."""
    s, e, r = share.get("share"), share.get("expected"), share.get("ratio")
    if s is None or not np.isfinite(s):
        return t("No credit spend: no month-end pattern to show.")
    verdict = (
        t("spend **bunches at month end**")
        if r > 1.25
        else t("spend is **lighter at month end**")
        if r < 0.8
        else t("there is **no marked month-end pattern**")
    )
    return t(
        "The last {days} of a month hold {share} of credit spend, against {even} if spend were "
        "even ({ratio}×): {verdict}.",
        days=text.days(last_n_days),
        share=text.percent(s),
        even=text.percent(e),
        ratio=text.number(r, 2),
        verdict=verdict,
    )


def monthly_table(monthly: pd.DataFrame) -> pd.DataFrame:
    """:func:`planner.analysis.monthly_summary` with ``month`` as a first-day date column."""
    out = monthly.reset_index()
    out["month"] = out["month"].dt.to_timestamp()
    return out


@_markdown
def plan_heading(rec: Any, history: pd.Series, tenant: str, demand_kind: str) -> str:
    """Heading of the funding plan: tenant, usage period, plan start and horizon."""
    sc = rec.scenarios
    kind = t("actual credit spend") if demand_kind == "actual" else t("what-if demand")
    return heading_markdown(
        t("Communications Credits funding plan"),
        tenant,
        [
            f"{kind} {period_text(history.index.min(), history.index.max())}",
            t("plan from {day} for {days}", day=text.date(sc.start),
              days=text.days(sc.horizon_days)),
            text.nt("{n} scenario", "{n} scenarios", sc.n_scenarios),
        ],
    )  # fmt: skip


def current_as_evaluated(rec: Any):
    """The current settings exactly as the recommendation evaluated them (or None)."""
    from planner.engine import Policy

    cur = rec.current
    if cur is None:
        return None
    return Policy(
        initial=cur["initial"],
        recharge_amount=cur["recharge_amount"],
        threshold=cur["threshold"],
        lead_days=rec.policy.lead_days,
        auto_recharge=bool(cur.get("auto_recharge", True)),
        failure_prob=float(cur.get("failure_prob", 0.0)),
        fix_days=int(cur.get("fix_days", 0)),
    )


@_markdown
def emails_markdown(emails: pd.DataFrame, currency: str, horizon_days: int) -> str:
    """Counts of the e-mails Microsoft would send over the horizon, in one sentence."""
    counts = emails["email"].value_counts()
    if counts.empty:
        return t(
            "No e-mail in {days}: no recharge and no empty balance.", days=text.days(horizon_days)
        )
    parts = [f"**{n}× {name.lower()}**" for name, n in counts.items()]
    return t(
        "In a typical simulated year (median demand) Microsoft would send {emails} over {days}. "
        "Nothing warns before funds expire.",
        emails=", ".join(parts),
        days=text.days(horizon_days),
    )


@_markdown
def demand_markdown(demand: Any, history: pd.Series, currency: str) -> str:
    """Which demand the plan uses, and its size."""
    kind = (
        t("the **actual credit spend** of the exports (calls charged to Communications Credits)")
        if demand.kind == "actual"
        else t("a **what-if demand**: the calls priced with the rate card after the minute pools")
    )
    per_day = float(history.mean())
    last30 = float(history.iloc[-30:].mean()) if len(history) else float("nan")
    return t(
        "The plan uses {kind}: {total} over {days}, {per_day} a day on average ({last30} over "
        "the last 30 days).",
        kind=kind,
        total=text.money(float(history.sum()), currency),
        days=text.days(len(history)),
        per_day=text.money(per_day, currency, 2),
        last30=text.money(last30, currency, 2),
    )


def _status_detail(status: str) -> str:
    """The status line without its ``planner: OK`` / ``planner: ALERT`` prefix."""
    return status.split(" ", 2)[2] if status.count(" ") >= 2 else status


def unavoidable_forfeiture(rec: Any) -> float:
    """What today's lots are expected to lose whatever the policy (0 without a balance file).

    Spending takes the oldest funds first, so no purchase changes what today's lots lose.
    """
    pos = rec.position
    return float(pos["expected_forfeit_total"]) if pos is not None else 0.0


@_markdown
def key_figures_markdown(rec: Any) -> str:
    """The plan's figures, each defined where it appears (risk, forfeiture, cost, rhythm)."""
    cur, m = rec.currency, rec.metrics
    horizon = text.days(rec.scenarios.horizon_days)
    today = unavoidable_forfeiture(rec)
    added = max(0.0, float(m["expected_forfeited"]) - today)
    risk = t(
        "**Risk of running out** within {horizon}: **{p}** (target: at most {target}), the "
        "share of simulated years in which the balance reaches zero at least once.",
        horizon=horizon,
        p=text.percent(m["p_stockout"]),
        target=text.percent(1 - rec.service_level),
    )
    if today >= 0.5:
        forfeit = t(
            "**Forfeiture** (funds that expire unused, 12 months after purchase): today's funds "
            "will lose about **{today}** whatever you do; these settings add **{added}**.",
            today=text.money(today, cur),
            added=text.money(added, cur),
        )
    else:
        forfeit = t(
            "**Forfeiture** (funds that expire unused, 12 months after purchase): about "
            "**{amount}** on average.",
            amount=text.money(m["expected_forfeited"], cur),
        )
    cost = t(
        "**Expected cost**: **{cost}**, the average forfeiture plus the cost of money tied up "
        "in the balance ({rate} a year of the mean balance, {balance}){overhead}; it is what "
        "the settings cost beyond the calls themselves.",
        cost=text.money(rec.cost, cur),
        rate=text.percent(rec.settings.get("holding_rate", 0.05)),
        balance=text.money(m["mean_balance"], cur),
        overhead=(
            t(" plus the handling of each recharge")
            if rec.settings.get("recharge_overhead", 0)
            else ""
        ),
    )
    rhythm = t(
        "**Recharges**: {recharges}, each one an invoice and an e-mail.",
        recharges=plan_text.recharges_a_month(m["recharges_per_month"]),
    )
    return "\n".join(f"- {line}" for line in (risk, forfeit, cost, rhythm))


@_markdown
def reading_guide_markdown() -> str:
    """How to read the funding plan: what each figure means, two sentences each."""
    items = [
        t(
            "**Risk of running out (p(stock-out))**: the share of simulated years in which the "
            "balance reaches zero at least once before the horizon. At zero, calls that draw on "
            "credits fail until funds arrive, so the plan keeps this below your target."
        ),
        t(
            "**Forfeiture**: funds expire 12 months after their purchase, and what is still "
            "unused then is lost. Funds bought before today may expire whatever you do; the "
            "plan separates them from what a policy adds."
        ),
        t(
            "**Money tied up**: the average balance, paid in advance and not yet spent. It is "
            "costed at the holding rate (5% a year unless set), the return the money would "
            "earn elsewhere."
        ),
        t(
            "**Expected cost**: forfeiture plus the cost of money tied up (plus recharge "
            "handling when set), averaged over the simulated years. The calls themselves cost "
            "the same under every policy, so they are left out; the recommendation is the "
            "cheapest policy that meets the target."
        ),
    ]
    return "\n".join(f"- {item}" for item in items)


def option_name(option: str) -> str:
    """An alternative's name in words of the language (``higher service level (99.8%)``)."""
    m = re.fullmatch(r"(.*?)(?: \((.+)\))?", str(option))
    base, detail = m.group(1), m.group(2)
    names = {
        "recommended": t("recommended"),
        "fewer recharges": t("fewer recharges"),
        "lowest forfeiture": t("lowest forfeiture"),
        "higher service level": t("higher service level"),
        "lower service level": t("lower service level"),
        "one-time funding": t("one-time funding"),
        "current settings": t("current settings"),
    }
    name = names.get(base, base)
    if detail:
        try:
            share = float(detail.rstrip("%").replace(",", "")) / 100
        except ValueError:
            return f"{name} ({detail})"
        return f"{name} ({text.percent(share)})"
    return name


def alternatives_frame(rec: Any) -> pd.DataFrame:
    """The policy alternatives with what each adds to today's unavoidable forfeiture.

    Columns of :data:`planner.recommend.ALTERNATIVE_COLUMNS` (without ``explanation``), then
    ``added_forfeiture`` (currency units): the policy's expected forfeiture beyond what
    today's lots lose whatever the policy.
    """
    frame = rec.alternatives.drop(columns=["explanation"], errors="ignore").copy()
    today = unavoidable_forfeiture(rec)
    frame["added_forfeiture"] = (frame["expected_forfeited"] - today).clip(lower=0.0)
    return frame


def _cell_formatter(kind: str | None, series: pd.Series) -> Callable[[Any], str] | None:
    """How a table cell of this kind reads (:mod:`planner.text`), None for text as it is."""
    if kind == "cents":
        return lambda v: text.MISSING if pd.isna(v) else text.number(Decimal(int(v)).scaleb(-2), 2)
    if kind == "money":
        return lambda v: text.number(v, 2)
    if kind == "percent":
        return text.percent
    if kind == "date":
        return text.date
    if kind == "month":
        return text.month
    if pd.api.types.is_bool_dtype(series):
        return lambda v: t("yes") if v else t("no")
    if pd.api.types.is_integer_dtype(series):
        return lambda v: text.number(v)
    if pd.api.types.is_float_dtype(series):
        return lambda v: text.number(v, 1)
    if series.dtype == object or pd.api.types.is_string_dtype(series):
        return None
    return None


@_markdown
def missing_markdown(name: str) -> str:
    """An italic line saying which optional input was not given and what it would add."""
    notes = {
        "departments": t("No department file given (--departments): no department view."),
        "licences": t("No licence file given (--licences): no minute-pool chart."),
        "user_licences": t("No user licence file given (--user-licences): no licence check."),
        "balance": t("No balance file given (--balance): no runway to show."),
    }
    return f"*{notes.get(name, name)}*"
