"""The report's vocabulary in one place: number formatters, the names of the tests and
effect measures, the wording of the effect scale, and Markdown table cells.

Every report, table, Summary of Findings and figure module formats numbers with these
(they are defined in :mod:`trialmeta._format`, below the review layer, so GRADE's
judgement sentences use the same ones). Nothing here knows the review's topic: the
intervention, the outcome nouns and the confidence level come from the config, the scale
from :mod:`trialmeta.effects.harmonise`. Data placed in Markdown goes through
:func:`md_cell` (:func:`trialmeta.report.markdown.escape_md`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from trialmeta._format import as_float, compact, fixed, level_percent, p_value
from trialmeta.effects.harmonise import HARMONISED_RANGE
from trialmeta.report.markdown import escape_md

__all__ = [
    "MEASURE_LABELS",
    "TEST_LABELS",
    "MeasureLabel",
    "TestLabel",
    "as_float",
    "capitalised",
    "compact",
    "count_text",
    "effect_scale",
    "fixed",
    "level_percent",
    "md_cell",
    "md_table",
    "num",
    "p_text",
    "p_value",
    "plain_text",
    "prose",
    "scale_text",
    "trials_text",
    "value_text",
]


@dataclass(frozen=True)
class TestLabel:
    """A test of the pooled effect: ``short`` inside sentences, ``methods`` in the methods."""

    short: str
    methods: str


TEST_LABELS: dict[str, TestLabel] = {
    "z": TestLabel("Wald-type (z)", "Wald z"),
    "knha": TestLabel("Knapp-Hartung", "Hartung-Knapp-Sidik-Jonkman (knha)"),
}


@dataclass(frozen=True)
class MeasureLabel:
    """An effect measure: ``abbrev`` (``MD``), ``name`` in sentences, ``axis`` on plots."""

    abbrev: str
    name: str
    axis: str
    ratio: bool = False

    def shown(self, x: float) -> float:
        """A value of the analysis scale as reported: a ratio is ``exp`` of its log."""
        return math.exp(x) if self.ratio and math.isfinite(x) else x


MEASURE_LABELS: dict[str, MeasureLabel] = {
    "MD": MeasureLabel("MD", "mean difference", "Mean difference"),
    "SMD": MeasureLabel("SMD", "standardised mean difference", "Std. mean difference"),
    "RR": MeasureLabel("RR", "risk ratio", "Risk ratio", ratio=True),
    "OR": MeasureLabel("OR", "odds ratio", "Odds ratio", ratio=True),
    "RD": MeasureLabel("RD", "risk difference", "Risk difference"),
}


def scale_text() -> str:
    """The harmonised scale, ``"0-100"``."""
    lo, hi = HARMONISED_RANGE
    return f"{lo:g}-{hi:g}"


def effect_scale(measure: str, intervention: str) -> str:
    """What an effect of ``measure`` means, for the methods section.

    >>> effect_scale("SMD", "acupuncture")
    "standardised mean difference (Hedges' g)."
    """
    if measure == "MD":
        return (
            f"mean difference (MD) on the harmonised {scale_text()} scale, lower = better, "
            f"so a negative MD favours {intervention}."
        )
    if measure in ("RR", "OR", "RD"):
        m = MEASURE_LABELS[measure]
        scale = "pooled on the log scale and reported as a ratio" if m.ratio else "pooled as is"
        return (
            f"{m.name} ({m.abbrev}) of {intervention} against control, {scale}, with the "
            "Mantel-Haenszel estimate beside the random-effects model (Cochrane Handbook "
            "v6.5, 10.4.4)."
        )
    return "standardised mean difference (Hedges' g)."


def capitalised(text: str) -> str:
    """``text`` with its first letter upper-case (``acupuncture`` → ``Acupuncture``)."""
    return text[:1].upper() + text[1:]


def md_cell(x: object) -> str:
    """Data as inert, literal Markdown (blank for None/NaN): :func:`escape_md`."""
    return escape_md(x)


def value_text(x: object) -> str:
    """A value as raw text (escaped where it is placed), integer-valued floats without
    decimals (``8.0`` → ``8``), blank for None/NaN."""
    if isinstance(x, float) and math.isfinite(x) and x.is_integer():
        return str(int(x))
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return str(x)


def plain_text(x: object) -> str:
    """A value as raw text (escaped where it is placed), blank for None/NaN."""
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else str(x)


def md_table(head: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    """Lines of a Markdown pipe table (cells through :func:`md_cell`), then a blank line."""
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(md_cell(c) for c in r) + " |" for r in rows]
    return out + [""]


MINUS = "\u2212"
_HYPHEN_MINUS = re.compile(r"(?<![\w.])-(?=\d)")


def prose(text: str) -> str:
    """Text from lower layers with a true minus sign before numbers (``-6.4`` → ``−6.4``;
    ``0-100`` stays a range) and ≥/≤ for ``>=``/``<=``.

    >>> prose("CI -6.4 to 3.1 on 0-100")
    'CI −6.4 to 3.1 on 0-100'
    """
    return _HYPHEN_MINUS.sub(MINUS, text).replace(" >= ", " \u2265 ").replace(" <= ", " \u2264 ")


def num(x: object, nd: int = 1) -> str:
    """A number for prose and tables: ``nd`` decimals, a true minus sign (U+2212), a comma
    between thousands (one rule everywhere), "–" when missing or not finite (never "NA").

    >>> num(-1.25), num(12345.6, 0), num(None)
    ('−1.2', '12,346', '–')
    """
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        return "\u2013"
    text = f"{x:,.{nd}f}"
    return MINUS + text[1:] if text.startswith("-") else text


def count_text(n: object) -> str:
    """A count with the thousands separator (``1128`` → ``"1,128"``); "–" when missing."""
    return num(n, 0)


def trials_text(n: int, noun: str = "trial") -> str:
    """``"1 trial"``, ``"2 trials"`` (``noun`` = "RCT": ``"1 RCT"``, ``"3 RCTs"``)."""
    return f"{count_text(n)} {noun}{'' if n == 1 else 's'}"


def p_text(x: object) -> str:
    """A P value in prose: ``"P < 0.001"`` or ``"P = 0.046"``; ``"P not estimable"`` when
    missing (never ``"P = < 0.001"`` or ``"p = 0.000"``).

    >>> p_text(0.0001), p_text(0.04567), p_text(None)
    ('P < 0.001', 'P = 0.046', 'P not estimable')
    """
    text = p_value(x)
    if text == "NA":
        return "P not estimable"
    return f"P {text}" if text.startswith("<") else f"P = {text}"
