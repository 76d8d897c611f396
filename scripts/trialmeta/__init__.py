"""trialmeta: meta-analysis core that matches R metafor, for reproducible evidence reviews."""

from __future__ import annotations

from .batch import BatchPooledResult, pool_batch
from .bias import begg_test, egger_test, trim_and_fill
from .comparisons import ComparisonSet, build_comparisons, reason_code
from .conversions import (
    QuantileEstimate,
    combine_groups,
    mean_sd_from_quantiles,
    sd_from_ci,
    sd_from_se,
    se_from_ci,
    se_from_p,
)
from .coverage import CoverageResult, coverage_sentence, simulate_coverage
from .cumulative import CumulativeResult, cumulative
from .diagnostics import BaujatResult, InfluenceResult, baujat, influence
from .effects import effect_sizes, hedges_correction
from .errors import (
    ConvergenceWarning,
    DataValidationError,
    InputError,
    StatisticalWarning,
    TrialmetaError,
)
from .gosh import GoshResult, gosh
from .harmonise import plausibility_warnings
from .influence import leave_one_out
from .metareg import meta_regression
from .permutation import PermutationResult, permutation_test
from .pooling import pool, prediction_interval
from .results import (
    BeggResult,
    EffectSizes,
    EggerResult,
    LeaveOneOutResult,
    MetaRegressionResult,
    PooledResult,
    TrimFillResult,
)
from .tsa import (
    TsaResult,
    diversity,
    lan_demets_boundaries,
    required_information_size,
    trial_sequential_analysis,
    tsa_sentence,
)
from .validate import ValidationReport, read_sheets, validate_path

__version__ = "0.1.0"

__all__ = [
    "BatchPooledResult",
    "CoverageResult",
    "GoshResult",
    "coverage_sentence",
    "gosh",
    "pool_batch",
    "simulate_coverage",
    "ComparisonSet",
    "QuantileEstimate",
    "ValidationReport",
    "build_comparisons",
    "combine_groups",
    "mean_sd_from_quantiles",
    "plausibility_warnings",
    "read_sheets",
    "reason_code",
    "sd_from_ci",
    "sd_from_se",
    "se_from_ci",
    "se_from_p",
    "validate_path",
    "CumulativeResult",
    "PermutationResult",
    "TsaResult",
    "cumulative",
    "diversity",
    "lan_demets_boundaries",
    "permutation_test",
    "required_information_size",
    "trial_sequential_analysis",
    "tsa_sentence",
    "BaujatResult",
    "InfluenceResult",
    "baujat",
    "influence",
    "BeggResult",
    "ConvergenceWarning",
    "DataValidationError",
    "EffectSizes",
    "EggerResult",
    "InputError",
    "LeaveOneOutResult",
    "MetaRegressionResult",
    "PooledResult",
    "StatisticalWarning",
    "TrialmetaError",
    "TrimFillResult",
    "begg_test",
    "effect_sizes",
    "egger_test",
    "leave_one_out",
    "meta_regression",
    "trim_and_fill",
    "pool",
    "prediction_interval",
    "hedges_correction",
]
