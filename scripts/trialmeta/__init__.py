"""trialmeta: meta-analysis core that matches R metafor, for reproducible evidence reviews."""

from __future__ import annotations

from .effects import effect_sizes, hedges_correction
from .errors import (
    ConvergenceWarning,
    DataValidationError,
    InputError,
    StatisticalWarning,
    TrialmetaError,
)
from .results import (
    BeggResult,
    EffectSizes,
    EggerResult,
    LeaveOneOutResult,
    MetaRegressionResult,
    PooledResult,
    TrimFillResult,
)

__version__ = "0.1.0"

__all__ = [
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
    "effect_sizes",
    "hedges_correction",
]
