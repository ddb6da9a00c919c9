"""The README and the docs/ pages: short enough to read, and every relative link resolves."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _prose(text: str) -> str:
    """The text without fenced code blocks and inline code, where brackets are not links."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    return re.sub(r"`[^`\n]*`", "", text)


def _anchors(page: Path) -> set[str]:
    """GitHub's anchors for the headings of a Markdown page."""
    headings = re.findall(r"^#+\s+(.*)$", _prose(page.read_text()), flags=re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def _links(page: Path) -> list[str]:
    return [
        link
        for link in LINK.findall(_prose(page.read_text()))
        if not re.match(r"[a-z]+:", link)  # http:, https:, mailto:
    ]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_resolve(page):
    broken = []
    for link in _links(page):
        path, _, anchor = link.partition("#")
        target = (page.parent / path).resolve() if path else page
        if not target.exists():
            broken.append(link)
        elif anchor and target.suffix == ".md" and anchor not in _anchors(target):
            broken.append(link)
    assert not broken, f"{page.name}: links that do not resolve: {broken}"


def test_links_are_checked():
    """The checker finds links at all (a regex that matched nothing would pass every page)."""
    readme_links = _links(ROOT / "README.md")
    assert "docs/architecture.md" in readme_links
    assert "docs/screenshots/funding_plan.en.png" in readme_links
    assert "a-daily-run" in _anchors(ROOT / "docs" / "alerts.md")


def test_readme_reads_in_ten_minutes():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 300
