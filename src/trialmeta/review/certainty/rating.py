"""Overall certainty from the five domains, and the plain-language statement.

Randomised trials start at High; each domain rates down by its levels, to at least Very low
(Guyatt GH et al. GRADE guidelines 3. J Clin Epidemiol 2011;64:401-406). The statement
follows the GRADE informative-statement wording (Santesso N et al. GRADE guidelines 26.
J Clin Epidemiol 2020;119:126-135): "reduces" / "probably reduces" / "may reduce" / "the
evidence is very uncertain", and "little or no difference" when the CI lies within ±MCID.
A single trial is rated like any body of evidence (as GRADEpro does).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from trialmeta.review.certainty.judgement import Judgement

__all__ = ["LEVEL_WORDS", "Certainty", "certainty", "certainty_symbols", "statement"]

LEVEL_WORDS = {4: "High", 3: "Moderate", 2: "Low", 1: "Very low"}


def certainty_symbols(level: int) -> str:
    """GRADEpro symbols: ``⨁⨁◯◯`` (U+2A01 with U+25EF, the same size) for Low."""
    return "" if level <= 0 else "\u2a01" * level + "\u25ef" * (4 - level)


@dataclass(frozen=True)
class Certainty:
    """Overall certainty: ``level`` 4 = High ... 1 = Very low, with the domain judgements."""

    level: int
    words: str
    symbols: str
    judgements: tuple[Judgement, ...]

    def to_dict(self) -> dict[str, object]:
        """JSON-ready copy."""
        return {
            "level": self.level,
            "words": self.words,
            "symbols": self.symbols,
            "judgements": [j.to_dict() for j in self.judgements],
        }


def certainty(judgements: Sequence[Judgement]) -> Certainty:
    """Start at High (randomised trials) and rate down by every domain's levels."""
    level = max(1, 4 - sum(j.downgrade for j in judgements))
    return Certainty(level, LEVEL_WORDS[level], certainty_symbols(level), tuple(judgements))


def statement(level: int, intervention: str, outcome: str, direction: str) -> str:
    """The plain-language statement; ``direction`` is ``reduces | increases |
    little_or_no_difference``.

    >>> statement(2, "Acupuncture", "pain", "little_or_no_difference")
    'Acupuncture may result in little or no difference in pain.'
    """
    if level <= 1:
        return (
            f"The evidence is very uncertain about the effect of {intervention.lower()} on "
            f"{outcome}."
        )
    if direction == "little_or_no_difference":
        verb = {4: "results", 3: "probably results", 2: "may result"}[level]
        return f"{intervention} {verb} in little or no difference in {outcome}."
    base = "reduce" if direction == "reduces" else "increase"
    verb = {4: f"{base}s", 3: f"probably {base}s", 2: f"may {base}"}[level]
    return f"{intervention} {verb} {outcome}."
