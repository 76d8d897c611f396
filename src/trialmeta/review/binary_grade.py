"""GRADE of a binary analysis: the domains of :func:`trialmeta.review.grade.grade`, with
imprecision judged on the absolute effect per 1000 (:mod:`trialmeta.review.absolute_effects`)
and the assumed control risk of the Summary of Findings."""

from __future__ import annotations

import math
from dataclasses import replace

from trialmeta import _dist
from trialmeta.review.absolute_effects import (
    DEFAULT_OIS_RRR,
    AbsoluteEffect,
    absolute_effect,
    absolute_imprecision,
    binary_ois,
)
from trialmeta.review.config import CertaintyThresholds, GradeRules, OutcomeConfig
from trialmeta.review.grade import (
    LEVEL_WORDS,
    DomainJudgement,
    GradeInput,
    GradeResult,
    certainty_symbols,
    grade,
)
from trialmeta.review.results import AnalysisFits

__all__ = ["anticipated_effect", "binary_grade", "control_risk"]


def control_risk(fits: AnalysisFits, outcome: OutcomeConfig) -> tuple[float, str]:
    """The assumed control risk and its source: the configured ``control_risk`` (with its
    citation), else the median control-group risk of the included trials (Cochrane
    Handbook v6.5, 14.1.5.1)."""
    b = fits.analysis.binary
    cfg = outcome.control_risk
    if cfg is not None and cfg.value is not None:
        return float(cfg.value), cfg.citation
    k = len(b.control_risks) if b is not None else 0
    median = b.median_control_risk if b is not None else math.nan
    if k == 1:
        return median, "control-group risk of the one included trial"
    return median, f"median control-group risk of the {k} included trials"


def anticipated_effect(
    fits: AnalysisFits, outcome: OutcomeConfig, level: float = 0.95
) -> AbsoluteEffect | None:
    """The absolute effects of a binary analysis: of the pooled estimate, or of a single
    trial's own estimate and its Wald interval at ``level`` (GRADEpro rates and reports a
    single trial's result); None for a continuous or an unestimable analysis."""
    b, p = fits.analysis.binary, fits.analysis.pooled
    if b is None:
        return None
    acr, source = control_risk(fits, outcome)
    if p is not None:
        return absolute_effect(b.measure, p.estimate, p.ci_lb, p.ci_ub, acr, source)
    if len(fits.effects) != 1:
        return None
    r = fits.effects[0]
    half = _dist.norm_isf((1.0 - level) / 2.0) * math.sqrt(r.vi)
    return absolute_effect(b.measure, r.yi, r.yi - half, r.yi + half, acr, source)


def binary_grade(
    gi: GradeInput,
    fits: AnalysisFits,
    outcome: OutcomeConfig,
    rules: GradeRules,
    thresholds: CertaintyThresholds | None = None,
) -> GradeResult:
    """:func:`grade` with the imprecision domain replaced by the absolute-scale judgement
    (an override of imprecision in ``rules`` still wins) and the binary OIS."""
    base = grade(gi, rules) if thresholds is None else grade(gi, rules, thresholds)
    effect = anticipated_effect(fits, outcome, gi.level)
    if effect is None or not base.domains:
        return base
    rrr = outcome.ois_rrr or DEFAULT_OIS_RRR
    rrr_value = float(rrr.value) if rrr.value is not None else float(DEFAULT_OIS_RRR.value or 0)
    ois = binary_ois(effect.control_risk, rrr_value, rules.ois_alpha, rules.ois_power)
    judged = absolute_imprecision(
        effect, outcome.mcid_value, gi.n_participants, ois, gi.level, rrr_value
    )
    domains = tuple(
        replace(
            judged,
            overridden=d.overridden,
            override_reason=d.override_reason,
            downgrade=d.downgrade,
            judgement=d.judgement,
        )
        if d.domain == "imprecision" and d.overridden
        else judged
        if d.domain == "imprecision"
        else _on_ratio_scale(d, gi, effect.measure)
        if d.domain == "inconsistency"
        else d
        for d in base.domains
    )
    level = max(1, 4 - sum(d.downgrade for d in domains))
    return replace(
        base,
        level=level,
        certainty=LEVEL_WORDS[level],
        symbols=certainty_symbols(level),
        domains=domains,
        ois=ois,
    )


def _on_ratio_scale(d: DomainJudgement, gi: GradeInput, measure: str) -> DomainJudgement:
    """The inconsistency sentence of a ratio says which scale its prediction interval is on
    and gives it as ratios too."""
    if measure not in ("RR", "OR") or not (math.isfinite(gi.pi_lb) and math.isfinite(gi.pi_ub)):
        return d
    ratios = f"{measure} {math.exp(gi.pi_lb):.2f} to {math.exp(gi.pi_ub):.2f}"
    return replace(
        d,
        reason=f"{d.reason.rstrip('.')} (prediction interval on the log "
        f"{measure} scale; as ratios {ratios}).",
    )
