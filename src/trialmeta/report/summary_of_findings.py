"""The words of the Summary of Findings: GRADEpro's wording of a mean difference and the
plain-language statement (the tables themselves: :mod:`trialmeta.report.sof_build`).

The statement is worded as in GRADE guidance on informative statements (Santesso N,
Glenton C, Dahm P, et al. GRADE guidelines 26: informative statements to communicate the findings of
systematic reviews of interventions. J Clin Epidemiol. 2020;119:126-135).
"""

from __future__ import annotations

import math

from trialmeta.report.text import capitalised

__all__ = ["md_text", "plain_language"]

_VERBS = {
    4: ("reduces", "results in little to no difference in", "increases"),
    3: ("probably reduces", "probably results in little to no difference in", "probably increases"),
    2: ("may reduce", "may result in little to no difference in", "may increase"),
}


def md_text(estimate: float, ci_lb: float, ci_ub: float, measure: str) -> str:
    """GRADEpro wording, e.g. ``"MD 5.2 lower (9.8 lower to 0.6 higher)"``.

    >>> md_text(-5.24, -9.8, 0.61, "MD")
    'MD 5.2 lower (9.8 lower to 0.6 higher)'
    """
    if not math.isfinite(estimate):
        return "not estimable"

    def side(x: float) -> str:
        return f"{abs(x):.1f} {'lower' if x < 0 else 'higher'}"

    if math.isfinite(ci_lb) and math.isfinite(ci_ub):
        return f"{measure} {side(estimate)} ({side(ci_lb)} to {side(ci_ub)})"
    return f"{measure} {side(estimate)} (CI not estimable)"


def plain_language(
    level: int,
    estimate: float,
    ci_lb: float,
    ci_ub: float,
    mcid: float,
    outcome: str,
    comparator: str,
    intervention: str,
) -> str:
    """One sentence, e.g. "Acupuncture may reduce pain slightly compared with sham."

    Lower is better, so a negative MD is a reduction. "little to no difference"
    when the CI includes no effect and |MD| < MCID; "slightly" when |MD| < MCID.
    Very low certainty always gives "The evidence is very uncertain ...".
    """
    subj = capitalised(intervention)
    if level <= 0 or not math.isfinite(estimate):
        return (
            f"The effect of {intervention} on {outcome} compared with {comparator} "
            "could not be estimated."
        )
    if level == 1:
        return (
            f"The evidence is very uncertain about the effect of {intervention} on {outcome} "
            f"compared with {comparator}."
        )
    reduce, none, increase = _VERBS[min(level, 4)]
    crosses = math.isfinite(ci_lb) and math.isfinite(ci_ub) and ci_lb < 0 < ci_ub
    small = abs(estimate) < mcid
    if crosses and small or not math.isfinite(ci_lb):
        return f"{subj} {none} {outcome} compared with {comparator}."
    verb = reduce if estimate < 0 else increase
    return f"{subj} {verb} {outcome}{' slightly' if small else ''} compared with {comparator}."
