"""Sentences from lower layers made fit for readers: raw codes replaced by their labels from
the one label map, and "NA" replaced by words.

GRADE reasons, sensitivity tables and the limitations detail are written by the review
layer with the codes it works with (``usual_care``, ``Sokunbi_NJMR``); every renderer
passes such text through :func:`humanise` before a reader sees it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from trialmeta.report.labels import LabelMap, identifiers

__all__ = ["humaniser"]

_NA_RANGE = re.compile(r"\bNA to NA\b")
_NA = re.compile(r"\bNA\b%?")
_ONE = re.compile(r"\b(?<![.,\d])1 (trial|RCT|comparison|study|participant)s\b")


def _label(labels: LabelMap, ident: str) -> str:
    if "__" in ident:
        return labels.analysis(ident)
    if ident in labels.studies:
        return labels.study(ident)
    if ident in labels.comparisons:
        return labels.comparison(ident)
    if ident in labels.outcomes:
        return labels.outcome(ident)
    text = labels.code(ident)
    return text if text != ident else ident.replace("_", " ")


def humaniser(labels: LabelMap) -> Callable[[str], str]:
    """A function that rewrites a sentence for readers (one compiled pattern per map)."""
    idents = sorted(identifiers(labels) | set(labels.studies), key=len, reverse=True)
    pattern = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(map(re.escape, idents))
                         + r")(?![A-Za-z0-9_])") if idents else None  # fmt: skip
    table = {i: _label(labels, i) for i in idents}

    def humanise(text: str) -> str:
        if pattern is not None:
            text = pattern.sub(lambda m: table[m.group(1)], text)
        text = _ONE.sub(r"1 \1", _NA_RANGE.sub("not estimable", text))
        return _NA.sub("not estimable", text)

    return humanise
