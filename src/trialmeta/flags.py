"""Flags carried by result objects.

A flag is a :class:`Flag`, a ``StrEnum`` member whose value is the short
machine-readable code stored in JSON and CSV (``"k_eq_1"``); ``Flag.sentence``
is the sentence the limitations summary prints for it. Every flag a core or
review function raises is a member, and ``tests/unit/test_flags.py`` shows that
each member is raised by some input. The module-level names (``K1``,
``TAU2_BOUNDARY``, ...) are the members themselves, for terse use in the
estimators.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["FLAG_TEXT", "Flag", "describe"]


class Flag(StrEnum):
    """A condition worth a reader's attention, raised by an estimator or the review."""

    K1 = "k_eq_1"
    K_LT_3_NO_PI = "k_lt_3_no_prediction_interval"
    K_LT_10 = "k_lt_10"
    TAU2_BOUNDARY = "tau2_at_zero_boundary"
    FALLBACK_SOLVER = "fisher_scoring_failed_used_bracketing"
    NOT_CONVERGED = "not_converged"
    TAU2_BEYOND_METAFOR_MAX = "tau2_above_metafor_default_max"
    KNHA_FE = "knha_with_fixed_effect_model"
    KNHA_ZERO_RSS = "knha_scale_zero_identical_estimates"
    TAU2_CI_UPPER_OPEN = "tau2_ci_upper_not_found"
    NO_HETEROGENEITY_DF = "heterogeneity_undefined_k_le_p"
    EGGER_EXACT_FIT = "egger_exact_fit_no_residual_variance"
    K_BELOW_MIN_K = "k_below_min_k"
    POOLING_FAILED = "pooling_failed"
    FEWER_THAN_2_SUBGROUPS = "fewer_than_2_subgroups"
    TSA_RIS_NOT_REACHED = "tsa_required_information_size_not_reached"
    TSA_CONVENTIONAL_ONLY = "tsa_conventional_boundary_crossed_not_monitoring"
    TSA_YEAR_MISSING = "tsa_year_missing_ordered_by_sheet_position"
    TSA_CROSSED_EARLIER = "tsa_monitoring_boundary_crossed_earlier_not_at_last_look"
    TSA_FUTILITY = "tsa_futility_boundary_crossed"
    TSA_N_FROM_VARIANCE = "tsa_n_derived_from_variance"
    VI_RATIO_EXTREME = "vi_ratio_above_1e7"
    NOT_COMPUTABLE_RANGE = "not_computable_data_range"
    EGGER_SEI_CONSTANT = "egger_not_computable_equal_standard_errors"
    BEGG_ALL_TIED = "begg_not_computable_all_tied"
    BEGG_NORMAL_LARGE_K = "begg_normal_approximation_large_k"
    TRIMFILL_SIDE_UNDEFINED = "trimfill_not_computable_equal_standard_errors"
    ZERO_CELLS_CORRECTED = "zero_cells_continuity_corrected"
    DOUBLE_ZERO_DROPPED = "double_zero_studies_dropped"
    EFFECT_NOT_ESTIMABLE = "study_effect_not_estimable"
    MH_NOT_ESTIMABLE = "mantel_haenszel_estimate_not_estimable"
    MH_TARONE_UNDEFINED = "tarone_test_fewer_than_2_informative_tables"
    PETO_NOT_ESTIMABLE = "peto_estimate_not_estimable"
    NO_TABLES_LEFT = "no_tables_left_after_dropping_double_zeros"
    TAU2_FIXED = "tau2_fixed_by_user"
    USER_WEIGHTS = "user_supplied_weights"
    TAU2_PL_BOUND_OPEN = "tau2_profile_likelihood_bound_not_found"
    LRT_REML_FIXED_DIFFER = "lrt_reml_models_differ_in_fixed_effects"
    PI_DF_TOO_SMALL = "prediction_interval_needs_k_above_p_plus_1"
    TRIMFILL_R0_ONE_SIDED = "trimfill_r0_all_studies_on_one_side"
    REFIT_FAILED = "case_deletion_refit_not_estimable"
    REGTEST_COLLINEAR = "regtest_not_computable_predictor_collinear"

    @property
    def sentence(self) -> str:
        """The plain-language meaning of the flag."""
        return FLAG_TEXT[self]


K1 = Flag.K1
K_LT_3_NO_PI = Flag.K_LT_3_NO_PI
K_LT_10 = Flag.K_LT_10
TAU2_BOUNDARY = Flag.TAU2_BOUNDARY
FALLBACK_SOLVER = Flag.FALLBACK_SOLVER
NOT_CONVERGED = Flag.NOT_CONVERGED
TAU2_BEYOND_METAFOR_MAX = Flag.TAU2_BEYOND_METAFOR_MAX
KNHA_FE = Flag.KNHA_FE
KNHA_ZERO_RSS = Flag.KNHA_ZERO_RSS
TAU2_CI_UPPER_OPEN = Flag.TAU2_CI_UPPER_OPEN
NO_HETEROGENEITY_DF = Flag.NO_HETEROGENEITY_DF
EGGER_EXACT_FIT = Flag.EGGER_EXACT_FIT
K_BELOW_MIN_K = Flag.K_BELOW_MIN_K
POOLING_FAILED = Flag.POOLING_FAILED
FEWER_THAN_2_SUBGROUPS = Flag.FEWER_THAN_2_SUBGROUPS
TSA_RIS_NOT_REACHED = Flag.TSA_RIS_NOT_REACHED
TSA_CONVENTIONAL_ONLY = Flag.TSA_CONVENTIONAL_ONLY
TSA_YEAR_MISSING = Flag.TSA_YEAR_MISSING
TSA_CROSSED_EARLIER = Flag.TSA_CROSSED_EARLIER
TSA_FUTILITY = Flag.TSA_FUTILITY
TSA_N_FROM_VARIANCE = Flag.TSA_N_FROM_VARIANCE
VI_RATIO_EXTREME = Flag.VI_RATIO_EXTREME
NOT_COMPUTABLE_RANGE = Flag.NOT_COMPUTABLE_RANGE
EGGER_SEI_CONSTANT = Flag.EGGER_SEI_CONSTANT
BEGG_ALL_TIED = Flag.BEGG_ALL_TIED
BEGG_NORMAL_LARGE_K = Flag.BEGG_NORMAL_LARGE_K
TRIMFILL_SIDE_UNDEFINED = Flag.TRIMFILL_SIDE_UNDEFINED
ZERO_CELLS_CORRECTED = Flag.ZERO_CELLS_CORRECTED
DOUBLE_ZERO_DROPPED = Flag.DOUBLE_ZERO_DROPPED
EFFECT_NOT_ESTIMABLE = Flag.EFFECT_NOT_ESTIMABLE
MH_NOT_ESTIMABLE = Flag.MH_NOT_ESTIMABLE
MH_TARONE_UNDEFINED = Flag.MH_TARONE_UNDEFINED
PETO_NOT_ESTIMABLE = Flag.PETO_NOT_ESTIMABLE
NO_TABLES_LEFT = Flag.NO_TABLES_LEFT
TAU2_FIXED = Flag.TAU2_FIXED
USER_WEIGHTS = Flag.USER_WEIGHTS
TAU2_PL_BOUND_OPEN = Flag.TAU2_PL_BOUND_OPEN
LRT_REML_FIXED_DIFFER = Flag.LRT_REML_FIXED_DIFFER
PI_DF_TOO_SMALL = Flag.PI_DF_TOO_SMALL
TRIMFILL_R0_ONE_SIDED = Flag.TRIMFILL_R0_ONE_SIDED
REFIT_FAILED = Flag.REFIT_FAILED
REGTEST_COLLINEAR = Flag.REGTEST_COLLINEAR

FLAG_TEXT: dict[Flag, str] = {
    K1: "only one study: the pooled estimate is that study, and heterogeneity cannot be estimated",
    K_LT_3_NO_PI: "fewer than 3 studies: no prediction interval can be given",
    K_LT_10: (
        "fewer than 10 studies: small-study tests have low power and the Cochrane Handbook "
        "(section 13.3.5.4) advises against relying on them"
    ),
    TAU2_BOUNDARY: "between-study variance estimated at its lower bound of zero",
    FALLBACK_SOLVER: (
        "Fisher scoring did not converge; the estimate was found by a bracketing root finder "
        "on the same estimating equation"
    ),
    NOT_CONVERGED: "the heterogeneity estimator did not converge",
    TAU2_BEYOND_METAFOR_MAX: (
        "tau^2 exceeds 100, the default search limit of metafor; the bracket was widened"
    ),
    KNHA_FE: "the Knapp-Hartung adjustment was applied to a common-effect model",
    KNHA_ZERO_RSS: "all estimates are identical, so the Knapp-Hartung scale factor is zero",
    TAU2_CI_UPPER_OPEN: "the upper Q-profile bound for tau^2 could not be located",
    NO_HETEROGENEITY_DF: "no residual degrees of freedom: heterogeneity cannot be assessed",
    K_BELOW_MIN_K: "too few studies to pool: the cell is reported as not estimable",
    POOLING_FAILED: "the core rejected the input of this cell (reason in its status)",
    FEWER_THAN_2_SUBGROUPS: "fewer than 2 subgroups with an estimate: no test for differences",
    TSA_RIS_NOT_REACHED: (
        "the participants randomised so far fall short of the required information size "
        "of trial sequential analysis"
    ),
    TSA_CONVENTIONAL_ONLY: (
        "the cumulative z-curve crossed the conventional 5% threshold but not the trial "
        "sequential monitoring boundary: the result may be a false positive of repeated testing"
    ),
    TSA_YEAR_MISSING: (
        "a trial has no publication year: it enters the trial sequential analysis at its "
        "position in the studies sheet (after the trial listed before it)"
    ),
    TSA_CROSSED_EARLIER: (
        "the z-curve crossed the trial sequential monitoring boundary at an earlier look but the "
        "cumulative result is not significant now: no boundary is counted as crossed"
    ),
    TSA_FUTILITY: (
        "the z-curve lies inside the futility boundaries (inner wedge): an effect as large as "
        "the minimal clinically important difference has become unlikely"
    ),
    TSA_N_FROM_VARIANCE: (
        "a trial reports no number of participants: it enters the trial sequential analysis "
        "with the n its variance implies at the information SD (4 SD^2 / variance; DERIVED)"
    ),
    EGGER_EXACT_FIT: (
        "the Egger regression fits exactly (e.g. identical estimates), so its test is undefined"
    ),
    VI_RATIO_EXTREME: (
        "the largest sampling variance is more than 10^7 times the smallest (metafor warns "
        "here): check the extreme standard errors"
    ),
    NOT_COMPUTABLE_RANGE: (
        "the data span more orders of magnitude than double precision can pool (a standard "
        "error 10^30 times smaller than the effects): not computed"
    ),
    EGGER_SEI_CONSTANT: (
        "every study has the same standard error, so Egger's regression on it is not "
        "computable (metafor: model matrix not of full rank)"
    ),
    BEGG_ALL_TIED: (
        "all estimates or all sampling variances are tied, so Begg's rank correlation is "
        "undefined (metafor: NA)"
    ),
    BEGG_NORMAL_LARGE_K: (
        "too many studies for the exact null distribution of Kendall's tau (its cost grows "
        "as k^3): Begg's p-value uses the normal approximation"
    ),
    TRIMFILL_SIDE_UNDEFINED: (
        "every study has the same standard error, so the side of missing studies cannot be "
        "estimated and trim-and-fill was not computed"
    ),
    ZERO_CELLS_CORRECTED: (
        "a constant was added to the cells of 2x2 tables with a zero cell "
        "(Cochrane Handbook 10.4.4)"
    ),
    DOUBLE_ZERO_DROPPED: (
        "studies with no events (or only events) in both groups were left out: they carry "
        "no information on a relative effect (Cochrane Handbook 10.4.4)"
    ),
    EFFECT_NOT_ESTIMABLE: (
        "the effect of at least one study is not estimable from its counts, or has no "
        "sampling variance, so it cannot be weighted"
    ),
    MH_NOT_ESTIMABLE: (
        "the Mantel-Haenszel estimate is not estimable: one group has no events (or only "
        "events) in every table"
    ),
    MH_TARONE_UNDEFINED: (
        "fewer than 2 tables with events and non-events: Tarone's heterogeneity test is undefined"
    ),
    PETO_NOT_ESTIMABLE: (
        "the Peto odds ratio is not estimable: one of the two outcomes never occurs in any table"
    ),
    NO_TABLES_LEFT: "no table is left once the double-zero tables are dropped",
    TAU2_FIXED: "tau^2 was fixed at a value supplied by the user, not estimated",
    USER_WEIGHTS: "the studies were weighted with user-supplied weights, not inverse variances",
    TAU2_PL_BOUND_OPEN: "a profile-likelihood bound for tau^2 could not be located",
    LRT_REML_FIXED_DIFFER: (
        "likelihood-ratio test of REML fits whose moderators differ: REML likelihoods of "
        "different fixed effects are not comparable (refit with ML)"
    ),
    PI_DF_TOO_SMALL: ("too few studies for the t-based prediction interval (it needs k > p + 1)"),
    TRIMFILL_R0_ONE_SIDED: (
        "every study lies on one side of the estimate, so the R0 estimator trims all but one"
    ),
    REGTEST_COLLINEAR: (
        "the regression test is not computable: its predictor is constant or collinear with "
        "the moderators (e.g. equal standard errors or sample sizes)"
    ),
    REFIT_FAILED: (
        "a case-deletion refit was not estimable (the design lost full rank); its row is NaN"
    ),
}


def describe(flag: str) -> str:
    """Return the plain-language sentence for ``flag`` (the code itself if unknown)."""
    try:
        return Flag(flag).sentence
    except ValueError:
        return flag
