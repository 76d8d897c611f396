"""The config slices of the per-outcome rules, as typed values (no computation here).

The workflow builds each rule's params from these (``workflow/rules/common.smk``), so the
Snakemake process imports this module and :mod:`trialmeta.review.config` only: neither
numpy, scipy nor pandas (they cost every Snakemake call, a no-op rerun included, about
a second of CPU). The modules that run the stages re-export their settings from here:
:class:`FitSettings` and :class:`CertaintySettings` (:mod:`trialmeta.review.outcome`),
:class:`CoverageSettings`, :class:`GoshSettings`, :class:`PermutationSettings`
(:mod:`trialmeta.review.robustness`).
"""

from __future__ import annotations

from dataclasses import dataclass

from trialmeta.review.config import (
    CertaintyThresholds,
    GradeRules,
    MetaRegressionConfig,
    ModelConfig,
    OutcomeConfig,
    ReviewConfig,
    SearchConfig,
    SensitivityConfig,
    TimepointWindow,
)

__all__ = [
    "DEFAULT_THRESHOLDS",
    "NO_SEARCH",
    "CertaintySettings",
    "ComparisonSelection",
    "CoverageSettings",
    "FitSettings",
    "GoshSettings",
    "OutcomeWindow",
    "PermutationSettings",
]

DEFAULT_THRESHOLDS = CertaintyThresholds(
    very_wide_mcid=2.0,
    far_below_ois=0.5,
    concerns_serious_percent=50.0,
    timepoint_serious_percent=50.0,
    secondary_serious_percent=50.0,
)

NO_SEARCH = SearchConfig(
    systematic=False, statement="the config does not say how the trials were found"
)
"""A config without ``search:``: not a systematic search (GRADE guidelines 5)."""


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
    members: tuple[str, ...] = ()


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
                   tuple(ComparisonSelection(c.id, c.control_types, c.subgroups,
                                             c.members or ()) for c in cfg.comparisons),
                   cfg.outcome_measure(outcome_id), cfg.model, cfg.subgroups, cfg.sensitivity,
                   cfg.meta_regression, cfg.grade.pubbias_min_k)  # fmt: skip


@dataclass(frozen=True)
class CertaintySettings:
    """The config slice of stage 3 (:func:`complete_outcome`) for one outcome."""

    outcome: OutcomeConfig
    model: ModelConfig
    comparison_labels: tuple[str, ...]
    grade: GradeRules
    target_population: str
    certainty: CertaintyThresholds
    search: SearchConfig
    multi_arm: str

    @classmethod
    def of(cls, cfg: ReviewConfig, outcome_id: str) -> CertaintySettings:
        return cls(
            cfg.outcome(outcome_id),
            cfg.model,
            tuple(c.label for c in cfg.comparisons),
            cfg.grade,
            cfg.target_population,
            cfg.certainty or DEFAULT_THRESHOLDS,
            cfg.search or NO_SEARCH,
            cfg.multi_arm.method if cfg.multi_arm else "combine",
        )


@dataclass(frozen=True)
class CoverageSettings:
    """What the coverage rule needs: the model's test and ``simulation.coverage_n_sim``/``seed``."""

    test: str
    n_sim: int
    seed: int


@dataclass(frozen=True)
class GoshSettings:
    """What the GOSH rule needs: ``simulation.gosh_method``/``gosh_max_subsets``/``seed``."""

    method: str
    max_subsets: int
    seed: int


@dataclass(frozen=True)
class PermutationSettings:
    """What the permutation rule needs: the model, ``simulation.permutations``/``seed``."""

    method: str
    test: str
    n_permutations: int
    seed: int
