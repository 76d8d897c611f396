"""Anticipated absolute effects of a binary outcome and GRADE imprecision judged on them.

Summary of Findings (Cochrane Handbook v6.5, section 14.1.5.1; GRADE guidelines 12,
Guyatt et al. 2013, J Clin Epidemiol 66:158-172): an assumed control risk (ACR: the median
control-group risk of the included trials, or a configured risk with its citation) and the
corresponding risk with the intervention, per 1000, with its CI, from the pooled relative
effect (Handbook v6.5, section 15.4.4; v5.1 sections 12.5.4.2-3):

- risk ratio: ``risk = ACR × RR``;
- odds ratio: ``risk = OR·ACR / (1 − ACR + OR·ACR)``;
- risk difference: ``risk = ACR + RD``.

The bounds of the CI map through the same formula. A risk beyond [0, 1] (a large RR on a
high ACR) is capped there and flagged.

Imprecision (GRADE guidance 34: Zeng L, Brignardello-Petersen R, Hultcrantz M, et al. J
Clin Epidemiol 2022;150:216-224, minimally contextualised approach; GRADE guidelines 6,
Guyatt et al. 2011, J Clin Epidemiol 64:1283-1293): the CI of the absolute effect per 1000
is set against the null and a threshold of ``±T`` per 1000 (the outcome's ``mcid``). It is
rated down one level when the CI crosses the null or a threshold, two when it crosses both
thresholds (very wide); when the CI crosses neither, one level when the participants fall
short of the optimal information size (OIS): the sample size of a trial that detects a
relative risk reduction ``RRR`` (``ois_rrr``, 25% by default as GRADE 6 suggests) from the
ACR with the configured alpha and power,
``OIS = 2 (z_{1−α/2} + z_{power})² [p0(1−p0) + p1(1−p1)] / (p0 − p1)²`` with ``p1 = p0(1 − RRR)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from trialmeta import _dist
from trialmeta._format import fixed, level_percent
from trialmeta.review.config import CitedValue
from trialmeta.review.grade import DomainJudgement

__all__ = [
    "DEFAULT_OIS_RRR",
    "AbsoluteEffect",
    "absolute_effect",
    "absolute_imprecision",
    "binary_ois",
    "corresponding_risk",
]

DEFAULT_OIS_RRR = CitedValue(
    0.25,
    "GRADE guidelines 6 (Guyatt et al. 2011, J Clin Epidemiol "
    "64:1283-1293), optimal information size: a relative risk "
    "reduction of 25%",
)
"""The RRR of the binary OIS when the outcome sets no ``ois_rrr``."""

_SEVERITY = {0: "not serious", 1: "serious", 2: "very serious"}


@dataclass(frozen=True)
class AbsoluteEffect:
    """The Summary of Findings' absolute effects of one binary analysis.

    ``relative*`` is the pooled effect on its reported scale (RR or OR: the ratio; RD: the
    difference); ``control_risk`` the ACR (a proportion) and ``control_risk_source`` where
    it comes from; ``risk*`` the corresponding intervention risk and its CI;
    ``difference_per_1000*`` = 1000 (risk − ACR). ``capped``: a risk was capped at 0 or 1.
    """

    measure: str
    relative: float
    relative_lb: float
    relative_ub: float
    control_risk: float
    control_risk_source: str
    risk: float
    risk_lb: float
    risk_ub: float
    difference_per_1000: float
    difference_per_1000_lb: float
    difference_per_1000_ub: float
    capped: bool


def corresponding_risk(acr: float, effect: float, measure: str) -> float:
    """The intervention risk for the assumed control risk ``acr`` and an effect on its
    reported scale (RR, OR: the ratio; RD: the difference), uncapped.

    Handbook v5.1, section 12.5.4.2: RR 0.92 and ACR 0.3 give 24 fewer per 1000; section
    12.5.4.3: OR 0.73 and ACR 0.3 give 62 fewer per 1000.

    >>> round(1000 * (corresponding_risk(0.3, 0.92, "RR") - 0.3))
    -24
    >>> round(1000 * (corresponding_risk(0.3, 0.73, "OR") - 0.3))
    -62
    """
    if measure == "RR":
        return acr * effect
    if measure == "OR":
        return effect * acr / (1.0 - acr + effect * acr)
    return acr + effect


def absolute_effect(
    measure: str, estimate: float, ci_lb: float, ci_ub: float, control_risk: float, source: str
) -> AbsoluteEffect:
    """:class:`AbsoluteEffect` of a pooled fit: ``estimate`` and its CI on the analysis
    scale (log RR / log OR, or RD) and the ACR."""
    ratio = measure in ("RR", "OR")
    rel = [
        (math.exp(x) if ratio else x) if math.isfinite(x) else math.nan
        for x in (estimate, ci_lb, ci_ub)
    ]
    raw = [corresponding_risk(control_risk, x, measure) for x in rel]
    risks = [min(1.0, max(0.0, x)) if math.isfinite(x) else math.nan for x in raw]
    capped = any(math.isfinite(a) and a != b for a, b in zip(raw, risks, strict=True))
    diff = [1000.0 * (x - control_risk) for x in risks]
    return AbsoluteEffect(
        measure,
        rel[0],
        rel[1],
        rel[2],
        control_risk,
        source,
        risks[0],
        risks[1],
        risks[2],
        diff[0],
        diff[1],
        diff[2],
        capped,
    )


def binary_ois(control_risk: float, rrr: float, alpha: float, power: float) -> float:
    """Total participants (two equal arms) of the binary OIS (module docstring).

    >>> round(binary_ois(0.2, 0.25, 0.05, 0.8))
    1805
    """
    p0 = control_risk
    p1 = p0 * (1.0 - rrr)
    if not (0 < p0 < 1 and 0 < rrr < 1):
        return math.nan
    z = float(_dist.norm_ppf(1 - alpha / 2)) + float(_dist.norm_ppf(power))
    return float(2 * z**2 * (p0 * (1 - p0) + p1 * (1 - p1)) / (p0 - p1) ** 2)


def _crosses(lb: float, ub: float, x: float) -> bool:
    return lb < x < ub


def absolute_imprecision(
    a: AbsoluteEffect,
    threshold_per_1000: float,
    n_participants: int,
    ois: float,
    level: float,
    rrr: float,
) -> DomainJudgement:
    """GRADE imprecision of a binary outcome on the absolute scale (module docstring)."""
    lb, ub, t = a.difference_per_1000_lb, a.difference_per_1000_ub, threshold_per_1000
    if not (math.isfinite(lb) and math.isfinite(ub)):
        return DomainJudgement(
            "imprecision", 1, "serious", "The CI of the absolute effect is not estimable."
        )
    null, low, high = _crosses(lb, ub, 0.0), _crosses(lb, ub, -t), _crosses(lb, ub, t)
    short = math.isfinite(ois) and n_participants < ois
    d = 2 if low and high else 1 if (null or low or high) else int(short)
    crossed = [
        w
        for w, hit in (("no effect", null), (f"{-t:g} per 1000", low), (f"+{t:g} per 1000", high))
        if hit
    ]
    where = (
        f"crosses {' and '.join(crossed)} (thresholds ±{t:g} per 1000)"
        if crossed
        else f"crosses neither no effect nor the thresholds of ±{t:g} per 1000"
    )
    text = (
        f"{level_percent(level)} CI of the absolute effect {fixed(lb, 0)} to "
        f"{fixed(ub, 0)} per 1000 (assumed control risk {fixed(1000 * a.control_risk, 0)} "
        f"per 1000) {where}"
    )
    text += (
        f"; {n_participants} participants against an optimal information size of "
        f"{fixed(ois, 0)} (relative risk reduction {100 * rrr:g}% from the assumed "
        "control risk; GRADE guidance 34, 2022)."
    )
    return DomainJudgement("imprecision", d, _SEVERITY[d], text)
