"""GRADE rules as pure, typed functions: each returns a :class:`Judgement` (levels rated
down, the words, a sentence with its numbers, the numbers).

One module per domain: :mod:`.imprecision` (GRADE guidance 34/35, minimally contextualised),
:mod:`.risk_of_bias` (domain judgements, weight share by level), :mod:`.inconsistency`
(beyond I²; ICEMAN), :mod:`.indirectness` (population, comparator, timepoint),
:mod:`.publication_bias` (search, secondary extractions, small-study tests) and
:mod:`.rating` (overall certainty and the plain-language statement).
"""

from trialmeta.review.certainty.imprecision import imprecision, optimal_information_size
from trialmeta.review.certainty.inconsistency import iceman_credibility, inconsistency
from trialmeta.review.certainty.indirectness import indirectness
from trialmeta.review.certainty.judgement import SEVERITY, Judgement
from trialmeta.review.certainty.publication_bias import publication_bias
from trialmeta.review.certainty.rating import Certainty, certainty, certainty_symbols, statement
from trialmeta.review.certainty.risk_of_bias import risk_of_bias

__all__ = [
    "SEVERITY",
    "Certainty",
    "Judgement",
    "certainty",
    "certainty_symbols",
    "iceman_credibility",
    "imprecision",
    "inconsistency",
    "indirectness",
    "optimal_information_size",
    "publication_bias",
    "risk_of_bias",
    "statement",
]
