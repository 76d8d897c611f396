"""Certainty of one main analysis: the GRADE input assembled from its fits
(:mod:`trialmeta.review.grade` rates it), the SD behind the optimal information size, and
the trial sequential analysis that says how far the evidence is from the information a
conclusion needs (Wetterslev et al. 2017, BMC Med Res Methodol 17:39).

* The OIS and the TSA's required information size use
  :func:`trialmeta.effects.information.information_sd`: the config's external SD (with
  its citation), else the median SD of the unflagged trials, never a flagged SD.
* The TSA uses the primary model (``model.method`` and ``model.test``), its D²-adjusted
  RIS, the trials as units (:mod:`trialmeta.review.units`), and orders a trial without a
  year by its sheet position (flagged); it runs for every pooled analysis of k >= 2 trials.
* A single trial is rated on its own result (GRADEpro); a comparison across comparator
  types is not rated and has no TSA.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from trialmeta import _dist
from trialmeta.data.risk_of_bias import worst
from trialmeta.effects.information import information_sd
from trialmeta.errors import TrialmetaError
from trialmeta.flags import Flag
from trialmeta.review.annotate import is_secondary
from trialmeta.review.binary_grade import binary_grade
from trialmeta.review.cell import SUBTOTALS_ONLY
from trialmeta.review.codec import NotRun
from trialmeta.review.config import (
    CertaintyThresholds,
    GradeRules,
    ModelConfig,
    OutcomeConfig,
    SearchConfig,
)
from trialmeta.review.grade import GradeInput, GradeResult, TrialEvidence, grade, not_rated
from trialmeta.review.results import AnalysisFits, EffectRow, SmallStudy
from trialmeta.review.settings import NO_SEARCH
from trialmeta.review.subgroups import level_of, smallest_subgroup_p
from trialmeta.review.units import TrialUnits, trial_units
from trialmeta.stats.results import EggerResult
from trialmeta.stats.tsa import CONVENTIONAL_ONLY, NOT_CROSSED, TsaResult, trial_sequential_analysis

__all__ = ["NO_SEARCH", "Rated", "agree_with_primary", "ois_sd", "rate", "tsa_check"]


class _Settings(Protocol):
    @property
    def outcome(self) -> OutcomeConfig: ...
    @property
    def model(self) -> ModelConfig: ...
    @property
    def grade(self) -> GradeRules: ...
    @property
    def target_population(self) -> str: ...
    @property
    def certainty(self) -> CertaintyThresholds: ...
    @property
    def search(self) -> SearchConfig: ...


@dataclass(frozen=True)
class Rated:
    """What :func:`rate` gives one analysis."""

    grade: GradeResult
    tsa: TsaResult | NotRun
    sd: float
    sd_source: str


def ois_sd(effects: Sequence[EffectRow], outcome: OutcomeConfig) -> tuple[float, str]:
    """SD of the OIS and the RIS, and its source: the configured external SD (its
    citation), else the median SD of the unflagged trials (never a flagged SD)."""
    rows = [r.record() for r in effects]
    if any("flagged" in r for r in rows):  # the CSV's text "True"/"1" (a missing one: not)
        rows = [{**r, "flagged": str(r.get("flagged", "")).lower() in ("true", "1")} for r in rows]
    given = outcome.ois_sd.value if outcome.ois_sd is not None else None
    sd, source = information_sd(rows, given)
    if outcome.ois_sd is not None and given is not None and outcome.ois_sd.citation:
        source = f"{source}: {outcome.ois_sd.citation}"
    return sd, source


def agree_with_primary(tsa: TsaResult, primary_ci: tuple[float, float]) -> TsaResult:
    """The TSA never contradicts the primary result: when the primary CI includes 0, no
    monitoring boundary counts as crossed (report-review T4)."""
    lo, hi = primary_ci
    if not tsa.crossed_monitoring or not (lo <= 0.0 <= hi):
        return tsa
    return replace(
        tsa,
        crossed_monitoring=False,
        first_crossing=-1,
        status=CONVENTIONAL_ONLY if tsa.crossed_conventional else NOT_CROSSED,
    )


def tsa_check(
    u: TrialUnits,
    labels: Sequence[str],
    model: ModelConfig,
    mcid: float,
    sd: float,
    rules: GradeRules,
) -> TsaResult | NotRun:
    """Trial sequential analysis of the trials ``u`` with the primary model. A trial that
    reports no n (a between-group result only) enters with the n its variance implies at the
    information SD, ``N = 4 sd² / vᵢ`` (two equal arms; DERIVED)."""
    if u.k < 2:
        return NotRun(f"k = {u.k} trial < 2")
    if not (math.isfinite(sd) and sd > 0 and math.isfinite(mcid) and mcid > 0):
        return NotRun("no usable SD or MCID for the required information size")
    known = np.isfinite(u.n) & (u.n > 0)
    n = np.where(known, u.n, 4.0 * sd**2 / u.vi)
    try:
        tsa = trial_sequential_analysis(
            u.yi,
            u.vi,
            n,
            u.year,
            list(labels),
            mcid=mcid,
            sd=sd,
            alpha=1.0 - model.level,
            beta=1.0 - rules.ois_power,
            method=model.method,
            test=model.test,
            position=u.position,
        )
    except TrialmetaError as err:
        return NotRun(str(err).splitlines()[0])
    return tsa if known.all() else replace(tsa, flags=(*tsa.flags, Flag.TSA_N_FROM_VARIANCE))


def _egger_p(small_study: SmallStudy | NotRun) -> float:
    if isinstance(small_study, SmallStudy) and isinstance(small_study.egger, EggerResult):
        return small_study.egger.pval
    return math.nan


def _truthy(v: object) -> bool:
    return v is True or str(v).strip().lower() in ("true", "1")


def _evidence(fits: AnalysisFits, u: TrialUnits, level: float) -> dict[str, TrialEvidence]:
    z = float(_dist.norm_isf((1 - level) / 2))
    out = {}
    for i, sid in enumerate(u.labels):
        rows = [fits.effects[j] for j in u.rows[i]]
        w = sum(r.weight_percent for r in rows) if fits.analysis.pooled else 100.0
        se = math.sqrt(u.vi[i])
        out[sid] = TrialEvidence(
            w,
            float(u.yi[i]),
            float(u.yi[i] - z * se),
            float(u.yi[i] + z * se),
            _rob([r.risk_of_bias or "not_assessed" for r in rows]),
            level_of(rows[0], "population"),
            any(is_secondary(r) or _truthy(r.get("flag_secondary_extraction")) for r in rows),
            any(_truthy(r.get("timepoint_fallback")) for r in rows),
        )
    return out


def _rob(judgements: Sequence[str]) -> str:
    assessed = [j for j in judgements if j != "not_assessed"]
    return worst(assessed) if assessed else "not_assessed"


def rate(fits: AnalysisFits, s: _Settings) -> Rated:
    """GRADE judgement, trial sequential analysis and OIS SD of one main analysis."""
    main, effects = fits.analysis, fits.effects
    sd, source = ois_sd(effects, s.outcome)
    if fits.subtotals_only:
        return Rated(
            not_rated(main.analysis_id, SUBTOTALS_ONLY), NotRun(SUBTOTALS_ONLY), sd, source
        )
    p, u, nan = main.pooled, trial_units(effects), math.nan
    single = p is None and u.k == 1
    if p is None and not single:
        return Rated(
            not_rated(main.analysis_id, main.status, "not estimable"),
            NotRun(main.status),
            sd,
            source,
        )
    trials = _evidence(fits, u, s.model.level)
    only = next(iter(trials.values()))
    gi = GradeInput(
        analysis_id=main.analysis_id, basis="single trial" if single else "pooled",
        n_participants=main.n_participants,
        estimate=p.estimate if p else only.yi, ci_lb=p.ci_lb if p else only.ci_lb,
        ci_ub=p.ci_ub if p else only.ci_ub, pi_lb=p.pi_lb if p else nan,
        pi_ub=p.pi_ub if p else nan, i2_percent=p.i2_percent if p else nan, trials=trials,
        target_population=s.target_population, mcid=s.outcome.mcid_value, ois_sd=sd,
        level=s.model.level,
        sham_types=tuple(sorted({r.sham_type or "" for r in effects} - {""})),
        subgroup_pval=smallest_subgroup_p(fits.subgroups), egger_pval=_egger_p(fits.small_study),
        systematic_search=s.search.systematic, search_statement=s.search.statement.strip(),
    )  # fmt: skip
    if main.binary is not None:  # binary: imprecision on the absolute scale, no TSA here
        return Rated(
            binary_grade(
                replace(gi, mcid=math.nan, ois_sd=math.nan), fits, s.outcome, s.grade, s.certainty
            ),
            NotRun("trial sequential analysis of a binary outcome is not implemented"),
            math.nan,
            "",
        )
    tsa = (
        tsa_check(u, u.labels, s.model, gi.mcid, sd, s.grade)
        if p
        else NotRun(f"k = {u.k} trial < 2")
    )
    if isinstance(tsa, TsaResult) and p is not None:
        tsa = agree_with_primary(tsa, (p.ci_lb, p.ci_ub))
    return Rated(grade(gi, s.grade, s.certainty), tsa, sd, source)
