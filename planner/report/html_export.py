"""Export an executed notebook to a code-free, self-contained, static HTML page."""

from __future__ import annotations

import copy
import html
import re
from pathlib import Path

import nbformat
import pandas as pd
from nbconvert import HTMLExporter

from planner import __version__, text
from planner.report.notebooks import TITLES
from planner.text import t

_CSS = """
<style>
  /* one frame: the page (main) on a grey ground; nbconvert's body.jp-Notebook is no card */
  body, body.jp-Notebook { background: #f4f6f9; max-width: none; margin: 0; padding: 0 !important;
    box-shadow: none; }
  main { max-width: 1120px; margin: 0 auto !important; background: #fff; box-sizing: border-box;
    padding: 28px 44px 48px 44px !important; box-shadow: 0 1px 4px rgba(0,0,0,.08); }
  /* Markdown and outputs start at one left edge: subtitles aligned with the text below them */
  .jp-MarkdownOutput, .jp-RenderedMarkdown, .jp-OutputArea-output, .jp-Cell,
    .jp-Cell-outputWrapper, .jp-OutputArea-child { padding-left: 0 !important;
    margin-left: 0 !important; }
  .jp-RenderedHTMLCommon, .jp-RenderedMarkdown { font-family: "Segoe UI", "Helvetica Neue",
    Arial, sans-serif; font-size: 15px; line-height: 1.5; color: #1f2933; padding-right: 0; }
  .jp-RenderedHTMLCommon h1 { font-size: 28px; color: #1f4e79; border-bottom: 3px solid #1f4e79;
    padding-bottom: 6px; margin-top: 8px; }
  .jp-RenderedHTMLCommon h2 { font-size: 21px; color: #1f4e79; margin-top: 30px;
    border-bottom: 1px solid #d9e2ec; padding-bottom: 4px; }
  /* a table never runs past the page: headers wrap; one still too wide scrolls in its own
     box, which shows a scroll bar and a fading edge */
  .jp-OutputArea-output { max-width: 100%; overflow-x: auto; }
  .jp-RenderedHTMLCommon table { font-size: 13px; border-collapse: collapse; margin: 6px 0;
    max-width: 100%; }
  .jp-RenderedHTMLCommon thead th { background: #1f4e79; color: #fff; white-space: normal;
    vertical-align: bottom; min-width: 4em; }
  .jp-RenderedHTMLCommon tbody tr:nth-child(odd) { background: #f2f6fa; }
  .jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th { padding: 4px 7px; }
  @media (max-width: 1180px) {
    main { padding: 20px 20px 40px 20px !important; }
    .jp-RenderedHTMLCommon table { font-size: 12px; }
    .jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th { padding: 3px 5px; }
  }
  .jp-RenderedImage img { max-width: 100%; height: auto; }
  .jp-OutputArea-output pre { font-size: 13px; white-space: pre-wrap; }
  .jp-Cell { padding: 2px 0 !important; }
  blockquote { border-left: 5px solid #1f4e79; background: #eef4fa; margin: 10px 0;
    padding: 10px 16px; }
  .planner-status { border-radius: 6px; padding: 10px 16px; margin: 8px 0 14px 0;
    font-size: 15px; border-left: 6px solid; }
  .planner-ok { background: #e8f5e9; border-color: #2e7d32; color: #1b5e20; }
  .planner-alert { background: #fdecea; border-color: #c62828; color: #8e1c1c; }
  .planner-act { background: #fff8e1; border-color: #f9a825; color: #6d4c00; }
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
