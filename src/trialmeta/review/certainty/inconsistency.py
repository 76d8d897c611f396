"""Inconsistency judged beyond I² (GRADE guidelines 7; credible subgroups by ICEMAN).

Guyatt GH et al. GRADE guidelines 7. Rating the quality of evidence - inconsistency.
J Clin Epidemiol 2011;64:1294-1302 lists the signals: point estimates that vary widely
(here: on both sides of a decision threshold, -MCID or +MCID), minimal or no overlap of the
confidence intervals, a small p of the heterogeneity test, and a large I². The prediction
interval (Cochrane Handbook v6.5, section 10.10.4.3) is checked against the MCID too. A
subgroup effect explains the inconsistency only when its credibility is moderate or high by
ICEMAN (Schandelmaier S et al. CMAJ 2020;192:E901-E906; :func:`iceman_credibility`).

Rule: rate down once when the estimates fall on both sides of a threshold and at least one
more signal is present (non-overlapping CIs, I² >= ``i2_serious``, the PI reaching beyond
both thresholds); rate down twice only when estimates show important benefit in some trials
and important harm in others with non-overlapping CIs. A single trial cannot be inconsistent.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from trialmeta.review.certainty.imprecision import zone
from trialmeta.review.certainty.judgement import SEVERITY, Judgement, fmt

__all__ = ["ICEMAN_QUESTIONS", "iceman_credibility", "inconsistency"]

#: ICEMAN core questions for RCT meta-analyses (Schandelmaier 2020, Table 1), each answered
#: True (supports credibility) or False.
ICEMAN_QUESTIONS = (
    "within_trial_comparison",  # 1. effect modification within rather than between trials
    "similar_across_trials",  # 2. within-trial modification similar from trial to trial
    "a_priori_direction",  # 3. direction hypothesised a priori
    "few_effect_modifiers_tested",  # 4. only a small number of effect modifiers tested
    "chance_unlikely",  # 5. test for interaction suggests chance is unlikely
    "no_arbitrary_cut_points",  # 6. continuous modifier without arbitrary cut points
)


def iceman_credibility(answers: dict[str, bool], interaction_p: float) -> str:
    """``very_low | low | moderate | high`` credibility of a subgroup effect (ICEMAN).

    ICEMAN asks the questions of :data:`ICEMAN_QUESTIONS` and leaves the overall rating to
    judgement; this is the project's explicit operationalisation of it: an interaction
    p >= 0.10 gives at most ``low``; a between-trial comparison (question 1 "no") is at most
    ``moderate``, and only with p < 0.01, an a priori direction and >= 4 favourable
    answers; ``high`` needs every answer favourable and p < 0.005; otherwise ``moderate``
    with >= 4 favourable answers, else ``low``.
    """
    yes = sum(bool(answers.get(q, False)) for q in ICEMAN_QUESTIONS)
    if not math.isfinite(interaction_p) or interaction_p >= 0.10:
        return "very_low" if yes <= 2 else "low"
    if not answers.get("within_trial_comparison", False):
        strong = interaction_p < 0.01 and answers.get("a_priori_direction", False)
        return "moderate" if strong and yes >= 4 else "low"
    if yes == len(ICEMAN_QUESTIONS) and interaction_p < 0.005:
        return "high"
    return "moderate" if yes >= 4 else "low"


def _overlap(lo: Sequence[float], hi: Sequence[float]) -> bool:
    """Do all CIs share a common point? (max lower bound <= min upper bound)."""
    return max(lo) <= min(hi)


def inconsistency(
    yi: Sequence[float],
    ci_lb: Sequence[float],
    ci_ub: Sequence[float],
    i2_percent: float,
    pi_lb: float,
    pi_ub: float,
    mcid: float,
    *,
    i2_serious: float = 50.0,
    subgroup_credibility: str = "",
) -> Judgement:
    """Rate inconsistency of trials ``yi`` (with CIs) given I², the PI and the MCID."""
    k = len(yi)
    if k < 2:
        return Judgement(
            "inconsistency",
            0,
            "not applicable",
            "One trial: inconsistency cannot be assessed (not rated down).",
            {"k": float(k)},
        )
    zones = sorted({zone(y, mcid) for y in yi})
    both_sides = len(zones) > 1
    overlap = _overlap(ci_lb, ci_ub)
    pi_wide = math.isfinite(pi_lb) and pi_lb < -mcid and pi_ub > mcid
    signals = [
        s
        for s, on in (
            ("non-overlapping CIs", not overlap),
            (
                f"I² {fmt(i2_percent, 0)}% >= {i2_serious:g}%",
                math.isfinite(i2_percent) and i2_percent >= i2_serious,
            ),
            ("a prediction interval beyond both thresholds", pi_wide),
        )
        if on
    ]
    d = 1 if both_sides and signals else 0
    if {"benefit", "harm"} <= set(zones) and not overlap:
        d = 2
    explained = subgroup_credibility in ("moderate", "high")
    nums: dict[str, float | str] = {
        "k": float(k),
        "i2_percent": i2_percent,
        "pi_lb": pi_lb,
        "pi_ub": pi_ub,
        "min_estimate": min(yi),
        "max_estimate": max(yi),
        "mcid": mcid,
        "subgroup_credibility": subgroup_credibility,
    }
    pi = (
        f"prediction interval {fmt(pi_lb)} to {fmt(pi_ub)}"
        if math.isfinite(pi_lb)
        else "no prediction interval (k < 3)"
    )
    text = (
        f"Trial estimates range from {fmt(min(yi))} to {fmt(max(yi))} "
        f"({'on both sides of' if both_sides else 'on one side of'} the MCID threshold "
        f"±{mcid:g}); CIs {'overlap' if overlap else 'do not all overlap'}; I² "
        f"{fmt(i2_percent, 0)}%; {pi}."
    )
    if d and explained:
        text += f" A subgroup effect of {subgroup_credibility} credibility (ICEMAN) explains it."
        d = 0
    return Judgement("inconsistency", d, SEVERITY[d], text, nums)
