"""trialmeta: meta-analysis core that matches R metafor, for reproducible evidence reviews.

The public names below load on first use (PEP 562), so ``import trialmeta``
costs almost nothing and ``from trialmeta import pool`` imports only what
``pool`` needs (not pandas, the sheet validator or the plotting layers).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
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
    from trialmeta.effects.escalc import EffectSizes, effect_sizes, hedges_correction
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
    from trialmeta.resampling.permutest import PermutestResult, permutest
    from trialmeta.stats.case_influence import ModelInfluence
    from trialmeta.stats.cumulative import CumulativeResult, cumulative
    from trialmeta.stats.influence import BaujatResult, InfluenceResult, baujat, influence
    from trialmeta.stats.leave_one_out import leave_one_out
    from trialmeta.stats.likelihood import AnovaResult, FitStats, Tau2Interval, anova
    from trialmeta.stats.mantel_haenszel import MantelHaenszelResult, pool_mh
    from trialmeta.stats.metareg import meta_regression
    from trialmeta.stats.model import RmaFit, rma
    from trialmeta.stats.peto import PetoResult, pool_peto
    from trialmeta.stats.pooling import pool, prediction_interval
    from trialmeta.stats.predict import Prediction
    from trialmeta.stats.regtest import RegtestResult, regtest
    from trialmeta.stats.residuals import Blup, Residuals
    from trialmeta.stats.results import (
        BeggResult,
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

#: public name -> the module that defines it
_LAZY: dict[str, str] = {
    "ValidationReport": "trialmeta.data.validate",
    "read_sheets": "trialmeta.data.validate",
    "validate_path": "trialmeta.data.validate",
    "ComparisonSet": "trialmeta.effects.comparisons",
    "build_comparisons": "trialmeta.effects.comparisons",
    "reason_code": "trialmeta.effects.comparisons",
    "QuantileEstimate": "trialmeta.effects.conversions",
    "combine_groups": "trialmeta.effects.conversions",
    "mean_sd_from_quantiles": "trialmeta.effects.conversions",
    "sd_from_ci": "trialmeta.effects.conversions",
    "sd_from_se": "trialmeta.effects.conversions",
    "se_from_ci": "trialmeta.effects.conversions",
    "se_from_p": "trialmeta.effects.conversions",
    "EffectSizes": "trialmeta.effects.escalc",
    "effect_sizes": "trialmeta.effects.escalc",
    "hedges_correction": "trialmeta.effects.escalc",
    "plausibility_warnings": "trialmeta.effects.harmonise",
    "ConvergenceWarning": "trialmeta.errors",
    "DataValidationError": "trialmeta.errors",
    "InputError": "trialmeta.errors",
    "StatisticalWarning": "trialmeta.errors",
    "TrialmetaError": "trialmeta.errors",
    "BatchPooledResult": "trialmeta.resampling.batch.engine",
    "pool_batch": "trialmeta.resampling.batch.engine",
    "CoverageResult": "trialmeta.resampling.coverage",
    "coverage_sentence": "trialmeta.resampling.coverage",
    "simulate_coverage": "trialmeta.resampling.coverage",
    "GoshResult": "trialmeta.resampling.gosh",
    "gosh": "trialmeta.resampling.gosh",
    "PermutationResult": "trialmeta.resampling.permutation",
    "permutation_test": "trialmeta.resampling.permutation",
    "CumulativeResult": "trialmeta.stats.cumulative",
    "cumulative": "trialmeta.stats.cumulative",
    "BaujatResult": "trialmeta.stats.influence",
    "InfluenceResult": "trialmeta.stats.influence",
    "baujat": "trialmeta.stats.influence",
    "influence": "trialmeta.stats.influence",
    "leave_one_out": "trialmeta.stats.leave_one_out",
    "meta_regression": "trialmeta.stats.metareg",
    "pool": "trialmeta.stats.pooling",
    "prediction_interval": "trialmeta.stats.pooling",
    "BeggResult": "trialmeta.stats.results",
    "EggerResult": "trialmeta.stats.results",
    "LeaveOneOutResult": "trialmeta.stats.results",
    "MetaRegressionResult": "trialmeta.stats.results",
    "PooledResult": "trialmeta.stats.results",
    "TrimFillResult": "trialmeta.stats.results",
    "begg_test": "trialmeta.stats.small_study",
    "egger_test": "trialmeta.stats.small_study",
    "trim_and_fill": "trialmeta.stats.small_study",
    "TsaResult": "trialmeta.stats.tsa",
    "diversity": "trialmeta.stats.tsa",
    "lan_demets_boundaries": "trialmeta.stats.tsa",
    "required_information_size": "trialmeta.stats.tsa",
    "trial_sequential_analysis": "trialmeta.stats.tsa",
    "tsa_sentence": "trialmeta.stats.tsa",
    "MantelHaenszelResult": "trialmeta.stats.mantel_haenszel",
    "PetoResult": "trialmeta.stats.peto",
    "pool_mh": "trialmeta.stats.mantel_haenszel",
    "pool_peto": "trialmeta.stats.peto",
    "AnovaResult": "trialmeta.stats.likelihood",
    "Blup": "trialmeta.stats.residuals",
    "FitStats": "trialmeta.stats.likelihood",
    "ModelInfluence": "trialmeta.stats.case_influence",
    "PermutestResult": "trialmeta.resampling.permutest",
    "Prediction": "trialmeta.stats.predict",
    "RegtestResult": "trialmeta.stats.regtest",
    "Residuals": "trialmeta.stats.residuals",
    "RmaFit": "trialmeta.stats.model",
    "Tau2Interval": "trialmeta.stats.likelihood",
    "anova": "trialmeta.stats.likelihood",
    "permutest": "trialmeta.resampling.permutest",
    "regtest": "trialmeta.stats.regtest",
    "rma": "trialmeta.stats.model",
}

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
    "MantelHaenszelResult",
    "PetoResult",
    "pool_mh",
    "pool_peto",
    "AnovaResult",
    "Blup",
    "FitStats",
    "ModelInfluence",
    "PermutestResult",
    "Prediction",
    "RegtestResult",
    "Residuals",
    "RmaFit",
    "Tau2Interval",
    "anova",
    "permutest",
    "regtest",
    "rma",
]


def __getattr__(name: str) -> object:
    """Import the module of a public name on first access and cache the name here."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'trialmeta' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
