"""The models' caveats in words: a :class:`planner.notes.Note` (a code and its numbers, from
:mod:`planner.scenarios`) as a phrase in the language in use (:mod:`planner.text`).

>>> from planner.notes import Note
>>> note(Note("short_history", {"days": 30, "weeks": 8}))
'short history (30 days): the spend level is uncertain, so the scenarios spread widely; 8+ weeks give firmer results'
"""

from __future__ import annotations

from typing import Any

from planner.text import days, percent, t


def note(found: Any) -> str:
    """A caveat of the scenarios (:class:`planner.notes.Note`) as a phrase, lower case and
    without a full stop: ``short history (30 days): ...``."""
    v = found.values
    if found.code == "short_history":
        return t(
            "short history ({days}): the spend level is uncertain, so the scenarios spread "
            "widely; {weeks}+ weeks give firmer results",
            days=days(v["days"]),
            weeks=v["weeks"],
        )
    if found.code == "no_spend":
        return t("the history has no credit spend at all: every scenario is zero")
    if found.code == "growth_unknown":
        if v.get("up"):
            return t(
                "history shorter than {weeks} weeks: no trend estimated; growth assumed 0, "
                "the scenarios allowing for {up}/year at one spread (set it with --growth)",
                weeks=v["weeks"],
                up=percent(v["up"], signed=True),
            )
        return t(
            "history shorter than {weeks} weeks: no trend estimated, growth assumed 0 (set "
            "it with --growth)",
            weeks=v["weeks"],
        )
    signed = {k: percent(x, signed=True) for k, x in v.items()}
    if found.code == "growth_uncertain":
        return t(
            "the spend trend is uncertain ({raw}/year, 90% range {low} to {high}); using "
            "{growth}/year (set it with --growth)",
            **signed,
        )
    if found.code == "growth_clamped":
        return t(
            "the history's trend ({growth}/year) is outside {low}..{high}; using "
            "{clamped}/year (set it with --growth)",
            **signed,
        )
    raise ValueError(f"no words for the note {found.code!r}")


def note_sentences(found: Any) -> list[str]:
    """Each caveat (:func:`note`) as a sentence of an explanation."""
    return [(w := note(n))[:1].upper() + w[1:] + "." for n in found]
