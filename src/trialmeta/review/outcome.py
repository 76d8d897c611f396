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

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from trialmeta import _dist
from trialmeta.data.risk_of_bias import PEDRO_NOT_SCORED, rob_lookup
from trialmeta.review import robustness
from trialmeta.review.annotate import RobLookup, annotate
from trialmeta.review.binary_grade import anticipated_effect
from trialmeta.review.cell import (
    SUBTOTALS_ONLY,
    AnalysisSpec,
    effect_table,
    run_analysis,
    spec_from_config,
    subtotals_cell,
)
from trialmeta.review.codec import NotRun
from trialmeta.review.config import (
    ModelConfig,
    ReviewConfig,
)
from trialmeta.review.grading import rate
from trialmeta.review.metareg import meta_regressions
from trialmeta.review.results import (
    AnalysisFits,
    AnalysisResult,
    CellResult,
    CoverageCheck,
    EffectRow,
    GoshSummary,
    MetaRegression,
    OutcomeFits,
    OutcomeResult,
    Permutations,
    TwoTrials,
    fits_of,
)
from trialmeta.review.sensitivity import (
    binary_fits,
    flagged_trials,
    leave_one_out_fits,
    sensitivity_fits,
)
from trialmeta.review.settings import (
    CertaintySettings,
    ComparisonSelection,
    FitSettings,
    OutcomeWindow,
)
from trialmeta.review.small_study import small_study_tests
from trialmeta.review.subgroups import member_subgroups, subgroup_results

if TYPE_CHECKING:  # the certainty job never builds a frame
    import pandas as pd

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


def _fallback(effects: tuple[EffectRow, ...]) -> tuple[str, ...]:
    """Trials whose timepoint came from the absolute window (no course length reported)."""
    return tuple(
        sorted(
            {
                r.study_id
                for r in effects
                if str(r.get("timepoint_fallback")).lower() in ("true", "1")
            }
        )
    )


def two_trials(
    rows: pd.DataFrame,
    spec: AnalysisSpec,
    model: ModelConfig,
    main: CellResult,
    effects: tuple[EffectRow, ...],
) -> TwoTrials | NotRun:
    """What k = 2 trials report: the primary interval beside the common-effect one.

    With two trials Hartung-Knapp uses t with 1 df (t = 12.71 at 95%), so its interval is
    often wider than either trial's (Röver C, Knapp G, Friede T. BMC Med Res Methodol
    2015;15:99); the common-effect (FE, z) interval is shown beside it with a note, and
    certainty is rated on the primary interval (report-review M13)."""
    p = main.pooled
    if p is None or main.k != 2:
        return NotRun(f"k = {main.k} trials (shown only for exactly 2 pooled trials)")
    fe = run_analysis(rows, spec, replace(model, min_k=2), None, "FE", "z").pooled
    if fe is None:
        return NotRun("the common-effect model could not be fitted")
    z = float(_dist.norm_isf((1 - model.level) / 2))
    widths = tuple(2 * z * math.sqrt(r.vi) for r in effects)
    wider = p.ci_ub - p.ci_lb > max(widths)
    note = (
        f"With 2 trials the {p.test} interval ({_num(p.ci_lb)} to {_num(p.ci_ub)}) "
        + ("is wider than either trial's own; " if wider else "; ")
        + f"the common-effect (FE, z) interval is {_num(fe.ci_lb)} to {_num(fe.ci_ub)}. "
        "Certainty is rated on the primary interval."
    )
    return TwoTrials(p.test, p.ci_lb, p.ci_ub, fe.estimate, fe.ci_lb, fe.ci_ub, widths, note)


def _num(x: float) -> str:
    return f"{x:.1f}".replace("-", "\u2212")


def _member_fits(
    rows: pd.DataFrame,
    spec: AnalysisSpec,
    comparison: ComparisonSelection,
    s: FitSettings,
    rob: RobLookup,
    controls: Mapping[tuple[str, str], tuple[str, str]],
) -> AnalysisFits:
    """A comparison across comparator types: its members side by side as subgroups, each
    its standalone analysis, and no total (no pooled fit, sensitivity, leave-one-out,
    small-study tests, meta-regression or rating)."""
    main = subtotals_cell(rows, spec)
    effects = annotate(effect_table(rows, spec, main), rob, controls)
    by_id = {c.id: c for c in s.comparisons}
    members = []
    for m in comparison.members:
        mspec = spec_from_config(s.outcome, by_id[m], s.measure)
        cell = run_analysis(rows, mspec, s.model)
        members.append((m, cell, annotate(effect_table(rows, mspec, cell), rob, controls)))
    why = NotRun(SUBTOTALS_ONLY)
    return AnalysisFits(
        main,
        effects,
        (member_subgroups(spec, members),),
        (),
        why,
        why,
        why,
        {},
        (),
        _fallback(effects),
        why,
        True,
    )


def fit_analysis(
    rows: pd.DataFrame,
    spec: AnalysisSpec,
    comparison: ComparisonSelection,
    s: FitSettings,
    rob: RobLookup,
    controls: Mapping[tuple[str, str], tuple[str, str]],
) -> AnalysisFits:
    """Every fit of one outcome × comparison (stage 1)."""
    if comparison.members:
        return _member_fits(rows, spec, comparison, s, rob, controls)
    main = run_analysis(rows, spec, s.model)
    effects = annotate(effect_table(rows, spec, main), rob, controls)
    subgroups = subgroup_results(spec, s.model, main, effects, s.subgroups, comparison.subgroups)
    if main.pooled is None:
        why = NotRun(main.status)
        return AnalysisFits(
            main, effects, subgroups, (), why, why, why, {}, (), _fallback(effects), why, False
        )
    loo, baujat = leave_one_out_fits(effects, s.model, main.pooled, s.sensitivity.leave_one_out)
    return AnalysisFits(
        main, effects, subgroups,
        (*sensitivity_fits(rows, spec, s.model, main.pooled, effects, s.sensitivity),
         *binary_fits(main)), loo, baujat,
        small_study_tests(effects, s.model.method, s.pubbias_min_k),
        meta_regressions(effects, s.model, s.meta_regression),
        flagged_trials(rows, spec, s.model, main, effects), _fallback(effects),
        two_trials(rows, spec, s.model, main, effects), False,
    )  # fmt: skip


def fit_outcome(
    rows: pd.DataFrame,
    rob: RobLookup,
    controls: Mapping[tuple[str, str], tuple[str, str]],
    s: FitSettings,
) -> OutcomeFits:
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
    metareg = {
        mod: replace(mr, permutation=perms.metareg[mod]) if isinstance(mr, MetaRegression) else mr
        for mod, mr in fits.metareg.items()
    }
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
        c = rate(full, s)
        analyses.append(
            AnalysisResult(
                **fits_of(full),
                comparison_label=label,
                coverage=coverage[aid],
                gosh=gosh[aid],
                tsa=c.tsa,
                ois_sd=c.sd,
                ois_sd_source=c.sd_source,
                grade=c.grade,
                absolute=anticipated_effect(full, s.outcome, s.model.level),
            )
        )
    return OutcomeResult(s.outcome, s.model, tuple(analyses), s.multi_arm)


def run_outcome(
    rows: pd.DataFrame,
    rob: RobLookup,
    config: ReviewConfig,
    outcome_id: str,
    controls: Mapping[tuple[str, str], tuple[str, str]] | None = None,
) -> OutcomeResult:
    """All analyses of ``outcome_id`` (an ``outcomes[].id`` of the config), in one call:
    fits, coverage, GOSH, permutation tests, then certainty."""
    fits = fit_outcome(rows, rob, controls or {}, FitSettings.of(config, outcome_id))
    sim = config.simulation
    coverage = robustness.coverage_checks(
        fits, robustness.CoverageSettings(config.model.test, sim.coverage_n_sim, sim.seed)
    )
    gosh = robustness.gosh_checks(
        fits, robustness.GoshSettings(sim.gosh_method, sim.gosh_max_subsets, sim.seed)
    )
    perms = robustness.permutation_checks(
        fits,
        robustness.PermutationSettings(
            config.model.method, config.model.test, sim.permutations, sim.seed
        ),
    )
    return complete_outcome(fits, coverage, gosh, perms, CertaintySettings.of(config, outcome_id))
