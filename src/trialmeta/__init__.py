"""trialmeta: meta-analysis core that matches R metafor, for reproducible evidence reviews.

This namespace is the statistical API only: effect sizes and conversions (Cochrane
Handbook ch. 6), models, small-study tests and diagnostics, sequential analysis and
resampling, their frozen ``*Result`` objects and the errors they raise. Everything else
is imported from its layer: sheets and validation from :mod:`trialmeta.data`, comparisons
from :mod:`trialmeta.effects`, the configured review from :mod:`trialmeta.review`, text
from :mod:`trialmeta.report`, figures from :mod:`trialmeta.plots`, files from
:mod:`trialmeta.io`.

The public names load on first use (PEP 562), so ``import trialmeta`` costs almost
nothing and ``from trialmeta import pool`` imports only what ``pool`` needs (not pandas,
the sheet validator or the plotting layers).
"""

from __future__ import annotations

import importlib as _importlib
import typing as _typing

if _typing.TYPE_CHECKING:
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
    from trialmeta.errors import DataValidationError, InputError, TrialmetaError
    from trialmeta.resampling.batch.engine import BatchPooledResult, pool_batch
    from trialmeta.resampling.coverage import CoverageResult, simulate_coverage
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
    from trialmeta.stats.subgroups import SubgroupDifference, SubgroupResult, subgroup_analysis
    from trialmeta.stats.tsa import TsaResult, required_information_size, trial_sequential_analysis

__version__ = "0.1.0"

#: public name -> the module that defines it
_LAZY: dict[str, str] = {
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
    "DataValidationError": "trialmeta.errors",
    "InputError": "trialmeta.errors",
    "TrialmetaError": "trialmeta.errors",
    "BatchPooledResult": "trialmeta.resampling.batch.engine",
    "pool_batch": "trialmeta.resampling.batch.engine",
    "CoverageResult": "trialmeta.resampling.coverage",
    "simulate_coverage": "trialmeta.resampling.coverage",
    "GoshResult": "trialmeta.resampling.gosh",
    "gosh": "trialmeta.resampling.gosh",
    "PermutationResult": "trialmeta.resampling.permutation",
    "permutation_test": "trialmeta.resampling.permutation",
    "PermutestResult": "trialmeta.resampling.permutest",
    "permutest": "trialmeta.resampling.permutest",
    "ModelInfluence": "trialmeta.stats.case_influence",
    "CumulativeResult": "trialmeta.stats.cumulative",
    "cumulative": "trialmeta.stats.cumulative",
    "BaujatResult": "trialmeta.stats.influence",
    "InfluenceResult": "trialmeta.stats.influence",
    "baujat": "trialmeta.stats.influence",
    "influence": "trialmeta.stats.influence",
    "leave_one_out": "trialmeta.stats.leave_one_out",
    "AnovaResult": "trialmeta.stats.likelihood",
    "FitStats": "trialmeta.stats.likelihood",
    "Tau2Interval": "trialmeta.stats.likelihood",
    "anova": "trialmeta.stats.likelihood",
    "MantelHaenszelResult": "trialmeta.stats.mantel_haenszel",
    "pool_mh": "trialmeta.stats.mantel_haenszel",
    "meta_regression": "trialmeta.stats.metareg",
    "RmaFit": "trialmeta.stats.model",
    "rma": "trialmeta.stats.model",
    "PetoResult": "trialmeta.stats.peto",
    "pool_peto": "trialmeta.stats.peto",
    "pool": "trialmeta.stats.pooling",
    "prediction_interval": "trialmeta.stats.pooling",
    "Prediction": "trialmeta.stats.predict",
    "RegtestResult": "trialmeta.stats.regtest",
    "regtest": "trialmeta.stats.regtest",
    "Blup": "trialmeta.stats.residuals",
    "Residuals": "trialmeta.stats.residuals",
    "BeggResult": "trialmeta.stats.results",
    "EggerResult": "trialmeta.stats.results",
    "LeaveOneOutResult": "trialmeta.stats.results",
    "MetaRegressionResult": "trialmeta.stats.results",
    "PooledResult": "trialmeta.stats.results",
    "TrimFillResult": "trialmeta.stats.results",
    "begg_test": "trialmeta.stats.small_study",
    "egger_test": "trialmeta.stats.small_study",
    "trim_and_fill": "trialmeta.stats.small_study",
    "SubgroupDifference": "trialmeta.stats.subgroups",
    "SubgroupResult": "trialmeta.stats.subgroups",
    "subgroup_analysis": "trialmeta.stats.subgroups",
    "TsaResult": "trialmeta.stats.tsa",
    "required_information_size": "trialmeta.stats.tsa",
    "trial_sequential_analysis": "trialmeta.stats.tsa",
}

__all__ = [
    "AnovaResult",
    "BatchPooledResult",
    "BaujatResult",
    "BeggResult",
    "Blup",
    "CoverageResult",
    "CumulativeResult",
    "DataValidationError",
    "EffectSizes",
    "EggerResult",
    "FitStats",
    "GoshResult",
    "InfluenceResult",
    "InputError",
    "LeaveOneOutResult",
    "MantelHaenszelResult",
    "MetaRegressionResult",
    "ModelInfluence",
    "PermutationResult",
    "PermutestResult",
    "PetoResult",
    "PooledResult",
    "Prediction",
    "QuantileEstimate",
    "RegtestResult",
    "Residuals",
    "RmaFit",
    "SubgroupDifference",
    "SubgroupResult",
    "Tau2Interval",
    "TrialmetaError",
    "TrimFillResult",
    "TsaResult",
    "anova",
    "baujat",
    "begg_test",
    "combine_groups",
    "cumulative",
    "effect_sizes",
    "egger_test",
    "gosh",
    "hedges_correction",
    "influence",
    "leave_one_out",
    "mean_sd_from_quantiles",
    "meta_regression",
    "permutation_test",
    "permutest",
    "pool",
    "pool_batch",
    "pool_mh",
    "pool_peto",
    "prediction_interval",
    "regtest",
    "required_information_size",
    "rma",
    "sd_from_ci",
    "sd_from_se",
    "se_from_ci",
    "se_from_p",
    "simulate_coverage",
    "subgroup_analysis",
    "trial_sequential_analysis",
    "trim_and_fill",
]


def __getattr__(name: str) -> object:
    """Import the module of a public name on first access and cache the name here."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'trialmeta' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
