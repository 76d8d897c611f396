"""trialmeta: meta-analysis core that matches R metafor, for reproducible evidence reviews."""

from __future__ import annotations

from trialmeta.data.validate import ValidationReport, read_sheets, validate_path
from trialmeta.effects.comparisons import ComparisonSet, build_comparisons, reason_code
from trialmeta.effects.conversions import (
    QuantileEstimate,
    combine_groups,
    mean_sd_from_quantiles,
    sd_from_ci,
    sd_from_se,
    se_from_ci,
    se_from_p,
)
from trialmeta.effects.escalc import effect_sizes, hedges_correction
from trialmeta.effects.harmonise import plausibility_warnings
from trialmeta.errors import (
    ConvergenceWarning,
    DataValidationError,
    InputError,
    StatisticalWarning,
    TrialmetaError,
)
from trialmeta.resampling.batch.engine import BatchPooledResult, pool_batch
from trialmeta.resampling.coverage import CoverageResult, coverage_sentence, simulate_coverage
from trialmeta.resampling.gosh import GoshResult, gosh
from trialmeta.resampling.permutation import PermutationResult, permutation_test
from trialmeta.stats.cumulative import CumulativeResult, cumulative
from trialmeta.stats.influence import BaujatResult, InfluenceResult, baujat, influence
from trialmeta.stats.leave_one_out import leave_one_out
from trialmeta.stats.metareg import meta_regression
from trialmeta.stats.pooling import pool, prediction_interval
from trialmeta.stats.results import (
    BeggResult,
    EffectSizes,
    EggerResult,
    LeaveOneOutResult,
    MetaRegressionResult,
    PooledResult,
    TrimFillResult,
)
from trialmeta.stats.small_study import begg_test, egger_test, trim_and_fill
from trialmeta.stats.tsa import (
    TsaResult,
    diversity,
    lan_demets_boundaries,
    required_information_size,
    trial_sequential_analysis,
    tsa_sentence,
)

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
