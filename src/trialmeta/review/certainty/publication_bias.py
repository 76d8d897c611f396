"""Publication bias: how the trials were found, secondary extractions, small-study tests.

Guyatt GH et al. GRADE guidelines 5. Rating the quality of evidence - publication bias.
J Clin Epidemiol 2011;64:1277-1282: publication bias is "strongly suspected" (rate down
once) when the search was not comprehensive, when the evidence rests on small,
industry-funded or otherwise selected studies, or when small-study tests suggest it.
Here, rate down once when any of these holds:

* the trials do not come from a systematic search (the config says how they were found);
* at least ``secondary_serious_percent`` of the weight rests on secondary extractions
  (numbers other reviewers entered, whose selection we cannot check);
* a small-study test (Egger) gives p < ``egger_alpha``; the test is run only with at least
  ``min_k`` trials (Cochrane Handbook v6.5, section 13.3.5.4), else it is "not assessed".
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from trialmeta.review.certainty.judgement import Judgement, fmt, share

__all__ = ["publication_bias"]


def publication_bias(
    weights: Mapping[str, float],
    secondary: Mapping[str, bool],
    *,
    systematic_search: bool,
    search_statement: str = "",
    egger_pval: float = math.nan,
    min_k: int = 10,
    egger_alpha: float = 0.10,
    secondary_serious_percent: float = 50.0,
) -> Judgement:
    """Rate publication bias; ``weights`` and ``secondary`` are per trial."""
    k = len(weights)
    sec = share(weights, dict(secondary))
    reasons = []
    if not systematic_search:
        reasons.append(
            "the trials do not come from a systematic search"
            + (f" ({search_statement})" if search_statement else "")
        )
    if sec >= secondary_serious_percent:
        reasons.append(f"{fmt(sec)}% of the weight rests on secondary extractions")
    tested = k >= min_k and math.isfinite(egger_pval)
    if tested and egger_pval < egger_alpha:
        reasons.append(f"Egger's test p = {egger_pval:.3f}")
    test = (
        f"Egger's test p = {egger_pval:.3f}"
        if tested
        else f"small-study tests not run (k = {k} < {min_k}, Cochrane Handbook 13.3.5.4)"
        if k < min_k
        else "Egger's test not available"
    )
    d = 1 if reasons else 0
    text = (
        "Strongly suspected: " + "; ".join(reasons) + f"; {test}."
        if reasons
        else f"Not suspected: systematic search, {fmt(sec)}% secondary extractions; {test}."
    )
    nums: dict[str, float | str] = {
        "k": float(k),
        "secondary_percent": sec,
        "egger_pval": egger_pval,
        "systematic_search": "yes" if systematic_search else "no",
    }
    return Judgement("publication_bias", d, "strongly suspected" if d else "undetected", text, nums)
