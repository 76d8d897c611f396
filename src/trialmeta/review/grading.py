"""Certainty of one main analysis: the GRADE input assembled from its fits
(:mod:`trialmeta.review.grade` rates it), the SD behind the optimal information size, and
the trial sequential analysis that says how far the evidence is from the information a
conclusion needs (Wetterslev et al. 2017, BMC Med Res Methodol 17:39)."""

from __future__ import annotations

import math

import numpy as np

from trialmeta.effects.harmonise import HARMONISED_RANGE, SD_FLOOR_FRACTION
from trialmeta.errors import TrialmetaError
from trialmeta.review.codec import NotRun
from trialmeta.review.config import GradeRules, ModelConfig, OutcomeConfig
from trialmeta.review.grade import GradeInput, GradeResult, grade
from trialmeta.review.results import AnalysisFits, EffectRow, SmallStudy
from trialmeta.review.subgroups import level_of, smallest_subgroup_p
from trialmeta.stats.results import EggerResult
from trialmeta.stats.tsa import TsaResult, trial_sequential_analysis

__all__ = ["MIN_PLAUSIBLE_SD", "ois_sd", "rate", "tsa_check"]

MIN_PLAUSIBLE_SD = SD_FLOOR_FRACTION * (HARMONISED_RANGE[1] - HARMONISED_RANGE[0])
"""SDs below 2% of the harmonised range are implausible (the data-quality rule of
:mod:`trialmeta.effects.harmonise`); they would shrink the optimal information size."""


def ois_sd(effects: tuple[EffectRow, ...], configured: float | None) -> float:
    """SD for the optimal information size: the configured value, else the median of the
    trials' pooled SDs ``sqrt((sd1² + sd2²)/2)`` on the harmonised scale, leaving out trials
    with an implausibly small SD (below :data:`MIN_PLAUSIBLE_SD`)."""
    if configured is not None and configured > 0:
        return float(configured)
    sds = [math.sqrt((s1**2 + s2**2) / 2) for s1, s2 in
           ((r.number("sd1"), r.number("sd2")) for r in effects)
           if math.isfinite(s1) and math.isfinite(s2) and min(s1, s2) >= MIN_PLAUSIBLE_SD]
    return float(np.median(sds)) if sds else math.nan


def tsa_check(effects: tuple[EffectRow, ...], method: str, mcid: float,
              sd: float) -> TsaResult | NotRun:
    """Trial sequential analysis of a pooled cell: RIS from the MCID and SD (k >= 2)."""
    missing = sorted(r.row_id for r in effects if not math.isfinite(r.number("year")))
    if missing:
        return NotRun(f"publication year missing for {', '.join(missing)}")
    if not (math.isfinite(sd) and sd > 0 and math.isfinite(mcid) and mcid > 0):
        return NotRun("no usable SD or MCID for the required information size")
    n = [r.number("n1") + r.number("n2") for r in effects]
    try:
        return trial_sequential_analysis(
            [r.yi for r in effects], [r.vi for r in effects], n,
            [r.number("year") for r in effects], [r.row_id for r in effects], mcid=mcid,
            sd=sd, method=method)
    except TrialmetaError as err:
        return NotRun(str(err).splitlines()[0])


def _egger_p(small_study: SmallStudy | NotRun) -> float:
    if isinstance(small_study, SmallStudy) and isinstance(small_study.egger, EggerResult):
        return small_study.egger.pval
    return math.nan


def rate(fits: AnalysisFits, outcome: OutcomeConfig, model: ModelConfig,
              rules: GradeRules, target_population: str
              ) -> tuple[GradeResult, TsaResult | NotRun, float]:
    """GRADE judgement, trial sequential analysis and OIS SD of one main analysis."""
    main, effects = fits.analysis, fits.effects
    p, nan = main.pooled, math.nan
    sd = ois_sd(effects, outcome.ois_sd.value)
    gi = GradeInput(
        analysis_id=main.analysis_id, k=main.k, n_participants=main.n_participants,
        estimate=p.estimate if p else nan, ci_lb=p.ci_lb if p else nan,
        ci_ub=p.ci_ub if p else nan, pi_lb=p.pi_lb if p else nan, pi_ub=p.pi_ub if p else nan,
        tau2=p.tau2 if p else nan, i2_percent=p.i2_percent if p else nan,
        study_ids=main.study_ids, weights_percent=main.weights_percent,
        rob={r.row_id: r.risk_of_bias or "not_assessed" for r in effects},
        populations={r.row_id: level_of(r, "population") for r in effects},
        target_population=target_population, mcid=outcome.mcid_value, ois_sd=sd,
        level=model.level,
        sham_types=tuple(sorted({r.sham_type or "" for r in effects} - {""})),
        subgroup_pval=smallest_subgroup_p(fits.subgroups), egger_pval=_egger_p(fits.small_study),
    )  # fmt: skip
    if p is None:
        tsa: TsaResult | NotRun = NotRun(main.status)
    elif main.k < 2:
        tsa = NotRun(f"k = {main.k} < 2")
    else:
        tsa = tsa_check(effects, model.method, gi.mcid, sd)
    return grade(gi, rules), tsa, sd
