"""Risk of bias of a body of evidence from its trials' results (GRADE, study limitations).

Each trial's result carries an overall judgement from its RoB 2 domains
(:func:`trialmeta.data.risk_of_bias.result_risk_of_bias`: RoB 1 and PEDro mapped onto the
domains; an unblinded trial is never at low risk for self-reported pain). An unassessed
trial counts as "some concerns" (unclear). The body of evidence is rated down by the weight
share at each level (Guyatt GH et al. GRADE guidelines 4. J Clin Epidemiol 2011;64:407-415;
Cochrane Handbook v6.5, section 14.2.2: consider the contribution of each study, by weight):

* high-risk weight >= ``very_serious_percent`` → twice; >= ``serious_percent`` → once;
* else high + some-concerns weight >= ``concerns_serious_percent`` → once.
"""

from __future__ import annotations

from collections.abc import Mapping

from trialmeta.review.certainty.judgement import SEVERITY, Judgement, fmt, share

__all__ = ["risk_of_bias"]

_LEVELS = ("low", "some_concerns", "high")


def risk_of_bias(
    weights: Mapping[str, float],
    overall: Mapping[str, str],
    *,
    serious_percent: float = 25.0,
    very_serious_percent: float = 50.0,
    concerns_serious_percent: float = 50.0,
) -> Judgement:
    """Rate risk of bias from trial weights (any scale) and each trial's overall judgement
    (``low | some_concerns | unclear | high | not_assessed``)."""
    level = {s: _level(overall.get(s, "not_assessed")) for s in weights}
    pct = {lv: share(weights, {s: v == lv for s, v in level.items()}) for lv in _LEVELS}
    unassessed = share(
        weights, {s: overall.get(s, "not_assessed") == "not_assessed" for s in weights}
    )
    high, concerns = pct["high"], pct["high"] + pct["some_concerns"]
    if high >= very_serious_percent:
        d = 2
    elif high >= serious_percent or concerns >= concerns_serious_percent:
        d = 1
    else:
        d = 0
    text = (
        f"{fmt(pct['low'])}% of the weight is at low risk of bias, {fmt(pct['some_concerns'])}%"
        f" has some concerns (including {fmt(unassessed)}% not assessed, counted as unclear) "
        f"and {fmt(high)}% is at high risk (rate down once at >= {serious_percent:g}% high "
        f"or >= {concerns_serious_percent:g}% high or some concerns, twice at >= "
        f"{very_serious_percent:g}% high)."
    )
    nums: dict[str, float | str] = {
        "low_percent": pct["low"],
        "some_concerns_percent": pct["some_concerns"],
        "high_percent": high,
        "not_assessed_percent": unassessed,
    }
    return Judgement("risk_of_bias", d, SEVERITY[d], text, nums)


def _level(judgement: str) -> str:
    if judgement == "high":
        return "high"
    return "low" if judgement == "low" else "some_concerns"
