"""Every configured analysis of one outcome window, as named steps.

:func:`run_outcome` is the whole recipe in one call. The workflow runs its stages as
separate rules, each with only its slice of the config (so a title or MCID edit reruns
only what reads it):

1. :func:`fit_outcome` (:class:`FitSettings`): per comparison, the pooled cell and its
   effect rows, subgroups, sensitivity refits, leave-one-out, small-study tests and
   meta-regressions (:class:`~trialmeta.review.results.OutcomeFits`);
2. the simulation checks of :mod:`trialmeta.review.robustness` (coverage, GOSH,
   permutation tests), each its own rule;
3. :func:`complete_outcome` (:class:`CertaintySettings`): GRADE, trial sequential
   analysis and the labels, giving the :class:`~trialmeta.review.results.OutcomeResult`.

Tables, figures and the report read the result and never refit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import pandas as pd

from trialmeta.data.risk_of_bias import PEDRO_NOT_SCORED, rob_lookup
from trialmeta.review import robustness
from trialmeta.review.annotate import annotate
from trialmeta.review.cell import AnalysisSpec, effect_table, run_analysis, spec_from_config
from trialmeta.review.codec import NotRun
from trialmeta.review.config import (
    GradeRules,
    MetaRegressionConfig,
    ModelConfig,
    OutcomeConfig,
    ReviewConfig,
    SensitivityConfig,
    TimepointWindow,
)
from trialmeta.review.grading import rate
from trialmeta.review.metareg import meta_regressions
from trialmeta.review.results import (
    AnalysisFits,
    AnalysisResult,
    CoverageCheck,
    GoshSummary,
    MetaRegression,
    OutcomeFits,
    OutcomeResult,
    Permutations,
    fits_of,
)
from trialmeta.review.sensitivity import leave_one_out_fits, sensitivity_fits
from trialmeta.review.small_study import small_study_tests
from trialmeta.review.subgroups import subgroup_results

__all__ = [
    "PEDRO_NOT_SCORED",
    "CertaintySettings",
    "ComparisonSelection",
    "FitSettings",
    "OutcomeWindow",
    "complete_outcome",
    "fit_analysis",
    "fit_outcome",
    "rob_lookup",
    "run_outcome",
]


@dataclass(frozen=True)
class OutcomeWindow:
    """The part of an outcome's config the fits read (not its label, MCID or SD)."""

    id: str
    outcome: str
    timepoint_weeks: TimepointWindow


@dataclass(frozen=True)
class ComparisonSelection:
    """The part of a comparison's config the fits read (not its label)."""

    id: str
    control_types: tuple[str, ...]
    subgroups: bool


@dataclass(frozen=True)
class FitSettings:
    """The config slice of stage 1 (:func:`fit_outcome`) for one outcome."""

    outcome: OutcomeWindow
    comparisons: tuple[ComparisonSelection, ...]
    measure: str
    model: ModelConfig
    subgroups: tuple[str, ...]
    sensitivity: SensitivityConfig
    meta_regression: MetaRegressionConfig
    pubbias_min_k: int

    @classmethod
    def of(cls, cfg: ReviewConfig, outcome_id: str) -> FitSettings:
        o = cfg.outcome(outcome_id)
        return cls(OutcomeWindow(o.id, o.outcome if isinstance(o.outcome, str) else
                                 str(list(o.outcome)), o.timepoint_weeks),
                   tuple(ComparisonSelection(c.id, c.control_types, c.subgroups)
                         for c in cfg.comparisons),
                   cfg.measure, cfg.model, cfg.subgroups, cfg.sensitivity, cfg.meta_regression,
                   cfg.grade.pubbias_min_k)  # fmt: skip


@dataclass(frozen=True)
class CertaintySettings:
    """The config slice of stage 3 (:func:`complete_outcome`) for one outcome."""

    outcome: OutcomeConfig
    model: ModelConfig
    comparison_labels: tuple[str, ...]
    grade: GradeRules
    target_population: str

    @classmethod
    def of(cls, cfg: ReviewConfig, outcome_id: str) -> CertaintySettings:
        return cls(cfg.outcome(outcome_id), cfg.model,
                   tuple(c.label for c in cfg.comparisons), cfg.grade, cfg.target_population)


def fit_analysis(rows: pd.DataFrame, spec: AnalysisSpec, comparison: ComparisonSelection,
                 s: FitSettings, rob: Mapping[str, str],
                 controls: Mapping[tuple[str, str], tuple[str, str]]) -> AnalysisFits:
    """Every fit of one outcome × comparison (stage 1)."""
    main = run_analysis(rows, spec, s.model)
    effects = annotate(effect_table(rows, spec, main), rob, controls)
    subgroups = subgroup_results(spec, s.model, main, effects, s.subgroups,
                                 comparison.subgroups)
    if main.pooled is None:
        why = NotRun(main.status)
        return AnalysisFits(main, effects, subgroups, (), why, why, why, {})
    loo, baujat = leave_one_out_fits(effects, s.model, main.pooled, s.sensitivity.leave_one_out)
    return AnalysisFits(
        main, effects, subgroups,
        sensitivity_fits(rows, spec, s.model, main.pooled, effects, s.sensitivity), loo, baujat,
        small_study_tests(effects, s.model.method, s.pubbias_min_k),
        meta_regressions(effects, s.model, s.meta_regression),
    )  # fmt: skip


def fit_outcome(rows: pd.DataFrame, rob: Mapping[str, str],
                controls: Mapping[tuple[str, str], tuple[str, str]],
                s: FitSettings) -> OutcomeFits:
    """Stage 1: the fits of every comparison of ``s.outcome``, in config order.

    ``rows`` are the effect rows of ``build_comparisons``; ``rob`` comes from
    :func:`rob_lookup`; ``controls`` from :func:`trialmeta.review.annotate.control_lookup`.
    """
    analyses = tuple(fit_analysis(rows, spec_from_config(s.outcome, c, s.measure), c, s, rob,
                                  controls) for c in s.comparisons)  # fmt: skip
    return OutcomeFits(s.outcome.id, analyses)


def _with_permutations(fits: AnalysisFits, perms: Permutations) -> AnalysisFits:
    subgroups = tuple(replace(sg, permutation=perms.subgroups[sg.variable])
                      for sg in fits.subgroups)  # fmt: skip
    metareg = {mod: replace(mr, permutation=perms.metareg[mod])
               if isinstance(mr, MetaRegression) else mr for mod, mr in fits.metareg.items()}
    return replace(fits, subgroups=subgroups, metareg=metareg)


def complete_outcome(
    fits: OutcomeFits,
    coverage: Mapping[str, CoverageCheck | NotRun],
    gosh: Mapping[str, GoshSummary | NotRun],
    permutations: Mapping[str, Permutations],
    s: CertaintySettings,
) -> OutcomeResult:
    """Stage 3: the fits joined with their simulation checks, then rated (GRADE) and given
    their trial sequential analysis."""
    analyses = []
    for fit, label in zip(fits.analyses, s.comparison_labels, strict=True):
        aid = fit.analysis.analysis_id
        full = _with_permutations(fit, permutations[aid])
        rating, tsa, sd = rate(full, s.outcome, s.model, s.grade, s.target_population)
        analyses.append(AnalysisResult(**fits_of(full), comparison_label=label,
                                       coverage=coverage[aid], gosh=gosh[aid], tsa=tsa,
                                       ois_sd=sd, grade=rating))
    return OutcomeResult(s.outcome, s.model, tuple(analyses))


def run_outcome(
    rows: pd.DataFrame,
    rob: Mapping[str, str],
    config: ReviewConfig,
    outcome_id: str,
    controls: Mapping[tuple[str, str], tuple[str, str]] | None = None,
) -> OutcomeResult:
    """All analyses of ``outcome_id`` (an ``outcomes[].id`` of the config), in one call:
    fits, coverage, GOSH, permutation tests, then certainty."""
    fits = fit_outcome(rows, rob, controls or {}, FitSettings.of(config, outcome_id))
    sim = config.simulation
    coverage = robustness.coverage_checks(fits, robustness.CoverageSettings(
        config.model.test, sim.coverage_n_sim, sim.seed))
    gosh = robustness.gosh_checks(fits, robustness.GoshSettings(
        sim.gosh_method, sim.gosh_max_subsets, sim.seed))
    perms = robustness.permutation_checks(fits, robustness.PermutationSettings(
        config.model.method, config.model.test, sim.permutations, sim.seed))
    return complete_outcome(fits, coverage, gosh, perms, CertaintySettings.of(config, outcome_id))
