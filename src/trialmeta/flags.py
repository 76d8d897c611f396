"""Flags carried by result objects.

A flag is a short machine-readable code; ``FLAG_TEXT`` gives the sentence the
limitations summary prints for it. Every flag a core function can raise is
listed here, so the report can never meet an unknown code.
"""

from __future__ import annotations

__all__ = ["FLAG_TEXT", "describe"]

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
VI_RATIO_EXTREME = "vi_ratio_above_1e7"
NOT_COMPUTABLE_RANGE = "not_computable_data_range"
EGGER_SEI_CONSTANT = "egger_not_computable_equal_standard_errors"
BEGG_ALL_TIED = "begg_not_computable_all_tied"
BEGG_NORMAL_LARGE_K = "begg_normal_approximation_large_k"
TRIMFILL_SIDE_UNDEFINED = "trimfill_not_computable_equal_standard_errors"

FLAG_TEXT: dict[str, str] = {
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
}


def describe(flag: str) -> str:
    """Return the plain-language sentence for ``flag`` (the code itself if unknown)."""
    return FLAG_TEXT.get(flag, flag)
