"""The review configuration (``config/config.yaml``), checked and parsed once into frozen
dataclasses, one per section of the file.

Order of the checks, each problem one line naming the file, the key path, the value and
what was expected (``config/config.yaml: outcomes[1].id: duplicate id (got 'pain_eot', ...)``):

1. the YAML itself (:mod:`trialmeta.review.config_yaml`: duplicate keys, aliases, YTE,
   YAML 1.1 number notations);
2. the schema ``workflow/schemas/config.schema.yaml`` (JSON Schema 2020-12, with
   ``additionalProperties: false`` everywhere), where an ``integer`` is a whole number
   written without a decimal point (``seed: 20261125.0`` is refused) and no number may be
   infinite or NaN;
3. what a schema cannot say: every id unique, windows ordered (min <= target <= max), an MCID
   for every outcome, rating thresholds in order, every GRADE override and external result
   naming a configured analysis or outcome, and external intervals that contain their
   estimate.

Defaults live in the schema only (its ``default:`` keywords are applied before parsing);
the dataclasses have none, so a key missing from both is an error, never a silent value.
Each section class slots new keys in beside its own; rules take their slice as a plain dict
(:func:`trialmeta.review.codec.to_data`) and rebuild it with
:func:`trialmeta.review.codec.from_data`.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trialmeta.errors import DataValidationError
from trialmeta.review.codec import OMIT_NONE, from_data

__all__ = [
    "Caveat",
    "CertaintyThresholds",
    "CitedValue",
    "ComparisonConfig",
    "ConfigError",
    "DataQualityConfig",
    "EstimatorGrid",
    "ExternalResult",
    "FiguresConfig",
    "GradeOverride",
    "GradeRules",
    "MetaRegressionConfig",
    "ModelConfig",
    "MultiArmConfig",
    "OutcomeConfig",
    "ReviewConfig",
    "RuleSwitch",
    "SdFloorRule",
    "SdRatioRule",
    "SearchConfig",
    "SensitivityConfig",
    "SimulationConfig",
    "TimepointAnchor",
    "TimepointWindow",
    "comparator_from_label",
    "load_config",
    "parse_config",
]


class ConfigError(DataValidationError):
    """Every problem of a review configuration, one located line each."""


# ---------------------------------------------------------------- model: and outcomes:
@dataclass(frozen=True)
class ModelConfig:
    """``model:``: the estimator settings shared by every analysis (metafor names)."""

    method: str
    test: str
    level: float
    min_k: int


@dataclass(frozen=True)
class CitedValue:
    """A number with its source (``value`` None: computed, where the key allows it)."""

    value: float | None
    citation: str


@dataclass(frozen=True)
class TimepointWindow:
    """Weeks after randomisation: eligible ``min``-``max``, the ``target`` preferred;
    ``include_untimed`` also takes rows without a timepoint in weeks."""

    min: float
    max: float
    target: float
    include_untimed: bool


@dataclass(frozen=True)
class TimepointAnchor:
    """``outcomes[].timepoint``: the timepoint rule anchored to each trial's own course
    (:mod:`trialmeta.effects.timepoints`); ``band`` for ``follow_up`` only."""

    anchor: str
    tolerance_weeks: float
    band: str | None = field(default=None, metadata=OMIT_NONE)


@dataclass(frozen=True)
class Caveat:
    """``outcomes[].caveat``: what the report says with the outcome, and its source."""

    text: str
    citation: str


@dataclass(frozen=True)
class OutcomeConfig:
    """``outcomes[]``: one outcome (a code of arms.csv, or codes pooled as one) at one
    timepoint; ``timepoint`` absent = the absolute window ``timepoint_weeks``."""

    id: str
    outcome: str | tuple[str, ...]
    label: str
    timepoint_weeks: TimepointWindow
    mcid: CitedValue
    ois_sd: CitedValue | None = field(default=None, metadata=OMIT_NONE)
    timepoint: TimepointAnchor | None = field(default=None, metadata=OMIT_NONE)
    caveat: Caveat | None = field(default=None, metadata=OMIT_NONE)
    measure: str | None = field(default=None, metadata=OMIT_NONE)
    control_risk: CitedValue | None = field(default=None, metadata=OMIT_NONE)
    ois_rrr: CitedValue | None = field(default=None, metadata=OMIT_NONE)

    @property
    def codes(self) -> tuple[str, ...]:
        """The outcome codes this outcome pools."""
        return (self.outcome,) if isinstance(self.outcome, str) else self.outcome

    @property
    def mcid_value(self) -> float:
        """The MCID on the analysis scale (required by :func:`config_problems`)."""
        return math.nan if self.mcid.value is None else float(self.mcid.value)


# ----------------------------------------------------------------------- comparisons:
@dataclass(frozen=True)
class ComparisonConfig:
    """``comparisons[]``: control types pooled together, and whether to run subgroups."""

    id: str
    label: str
    comparator: str
    control_types: tuple[str, ...]
    subgroups: bool
    active_design: str | None = field(default=None, metadata=OMIT_NONE)
    members: tuple[str, ...] | None = field(default=None, metadata=OMIT_NONE)


def comparator_from_label(label: str) -> str:
    """The schema's rule for a comparison without ``comparator``: the label's text after
    ``" vs "`` (up to ``" ("``), else the label (``"Acupuncture vs sham"`` → ``"sham"``).

    >>> comparator_from_label("Acupuncture vs any control (subgroups)")
    'any control'
    """
    low = label.lower()
    text = label[low.index(" vs ") + 4 :] if " vs " in low else label
    return text.split(" (")[0].strip()


# ------------------------------------------------------ sensitivity:, meta_regression:
@dataclass(frozen=True)
class EstimatorGrid:
    """``sensitivity.estimator_grid``: methods × tests refitted as a robustness table."""

    methods: tuple[str, ...]
    tests: tuple[str, ...]


@dataclass(frozen=True)
class SensitivityConfig:
    """``sensitivity:``: which sensitivity analyses run for every pooled analysis."""

    leave_one_out: bool
    exclude_high_rob: bool
    exclude_secondary: bool
    common_vs_random: bool
    estimator_grid: EstimatorGrid


@dataclass(frozen=True)
class MetaRegressionConfig:
    """``meta_regression:``: moderators, each fitted when ``min_k`` trials report it."""

    moderators: tuple[str, ...]
    min_k: int


# ------------------------------------------------------------------------ simulation:
@dataclass(frozen=True)
class SimulationConfig:
    """``simulation:``: coverage simulation, GOSH and permutation tests."""

    coverage_n_sim: int
    gosh_method: str
    gosh_max_subsets: int
    permutations: int
    seed: int


# --------------------------------------------------------------------------- figures:
@dataclass(frozen=True)
class FiguresConfig:
    """``figures:``: the formats of every figure, the PNG resolution, and the smallest k
    whose leave-one-out, Baujat and GOSH plots are drawn (with 3 or 4 trials these plots
    show 3-4 points or 7-15 subsets, which the tables state as well; the forest plot
    carries every analysis)."""

    formats: tuple[str, ...]
    png_dpi: int
    diagnostics_min_k: int


# ----------------------------------------------------------------------------- grade:
@dataclass(frozen=True)
class GradeOverride:
    """``grade.overrides[]``: a manual judgement of one domain, with its printed reason."""

    analysis_id: str
    domain: str
    downgrade: int
    reason: str


@dataclass(frozen=True)
class GradeRules:
    """``grade:``: thresholds of the rating rules (see :mod:`trialmeta.review.grade`)."""

    rob_serious_percent: float
    rob_very_serious_percent: float
    pedro_low_below: float
    i2_serious: float
    subgroup_alpha: float
    indirect_serious_percent: float
    sham_variants_rate_down: bool
    ois_alpha: float
    ois_power: float
    pubbias_min_k: int
    egger_alpha: float
    overrides: tuple[GradeOverride, ...]


# --------------------------------------------------------- multi_arm:, data_quality:
@dataclass(frozen=True)
class MultiArmConfig:
    """``multi_arm:``: the trial as the unit of analysis (combine or split)."""

    method: str


@dataclass(frozen=True)
class SdFloorRule:
    """``data_quality.sd_floor``: flag an SD below a fraction of the instrument's range."""

    enabled: bool
    fraction_of_range: float


@dataclass(frozen=True)
class SdRatioRule:
    """``data_quality.sd_ratio``: flag an SD far below the other trials' median SD."""

    enabled: bool
    ratio: float
    min_other_trials: int


@dataclass(frozen=True)
class RuleSwitch:
    """A data-quality rule that is only switched on or off."""

    enabled: bool


@dataclass(frozen=True)
class DataQualityConfig:
    """``data_quality:``: per-row rules of :mod:`trialmeta.effects.data_quality`."""

    sd_floor: SdFloorRule
    sd_ratio: SdRatioRule
    identical_arms: RuleSwitch
    secondary_extraction: RuleSwitch


# --------------------------------------------------------------- search:, certainty:
@dataclass(frozen=True)
class SearchConfig:
    """``search:``: how the trials were found (publication bias; printed in the report)."""

    systematic: bool
    statement: str


@dataclass(frozen=True)
class CertaintyThresholds:
    """``certainty:``: thresholds of the 2022 GRADE rules (:mod:`trialmeta.review.certainty`)."""

    very_wide_mcid: float
    far_below_ois: float
    concerns_serious_percent: float
    timepoint_serious_percent: float
    secondary_serious_percent: float


# ----------------------------------------------------------------- external_results:
@dataclass(frozen=True)
class ExternalResult:
    """``external_results[]``: a published pooled result shown beside ours, never pooled."""

    outcome_id: str
    label: str
    measure: str
    estimate: float
    ci_lb: float
    ci_ub: float
    source: str
    k: int | None = None
    n_participants: int | None = None


# ---------------------------------------------------------------------- the whole file
@dataclass(frozen=True)
class ReviewConfig:
    """The whole review configuration."""

    title: str
    question: str
    data_dir: str
    results_dir: str
    intervention_label: str
    intervention: str
    outcome_nouns: Mapping[str, str]
    target_population: str
    measure: str
    model: ModelConfig
    outcomes: tuple[OutcomeConfig, ...]
    comparisons: tuple[ComparisonConfig, ...]
    subgroups: tuple[str, ...]
    sensitivity: SensitivityConfig
    meta_regression: MetaRegressionConfig
    simulation: SimulationConfig
    grade: GradeRules
    external_results: tuple[ExternalResult, ...]
    multi_arm: MultiArmConfig | None = field(default=None, metadata=OMIT_NONE)
    data_quality: DataQualityConfig | None = field(default=None, metadata=OMIT_NONE)
    search: SearchConfig | None = field(default=None, metadata=OMIT_NONE)
    certainty: CertaintyThresholds | None = field(default=None, metadata=OMIT_NONE)
    figures: FiguresConfig | None = field(default=None, metadata=OMIT_NONE)

    def outcome(self, outcome_id: str) -> OutcomeConfig:
        """The outcome window with this id."""
        return next(o for o in self.outcomes if o.id == outcome_id)

    def outcome_noun(self, code: str) -> str:
        """Plain-language noun of an outcome code (``odi`` → ``disability``; a code not in
        ``outcome_nouns`` reads as itself, underscores as spaces)."""
        return self.outcome_nouns.get(code, code.replace("_", " "))

    def outcome_measure(self, outcome_id: str) -> str:
        """The effect measure of one outcome: its own ``measure``, else the review's."""
        return self.outcome(outcome_id).measure or self.measure

    @property
    def analysis_ids(self) -> tuple[str, ...]:
        """``<outcome id>__<comparison id>`` of every main analysis, in config order."""
        return tuple(f"{o.id}__{c.id}" for o in self.outcomes for c in self.comparisons)


def parse_config(
    config: Mapping[str, Any],
    schema: Mapping[str, Any],
    sources: Sequence[tuple[str, Mapping[str, Any]]] = (),
) -> ReviewConfig:
    """Check ``config`` (see :func:`config_problems`) and build the :class:`ReviewConfig`;
    raises :class:`ConfigError` with every problem."""
    from trialmeta.review.config_checks import config_problems, with_defaults  # jsonschema

    problems = config_problems(config, schema, sources)
    if problems:
        raise ConfigError(problems)
    full = with_defaults(copy.deepcopy(dict(config)), schema)
    for c in full["comparisons"]:
        c.setdefault("comparator", comparator_from_label(c["label"]))
    # Only the nouns of codes this review's outcomes use: an overlay (--configfile) is merged
    # key by key into config/config.yaml, whose nouns would otherwise ride along unused.
    used = {
        code
        for o in full["outcomes"]
        for code in ([o["outcome"]] if isinstance(o["outcome"], str) else o["outcome"])
    }
    full["outcome_nouns"] = {k: v for k, v in full["outcome_nouns"].items() if k in used}
    return from_data(ReviewConfig, full)


def read_schema(path: str | Path) -> dict[str, Any]:
    """The config schema (YAML)."""
    import yaml  # only where a config is read: the typed classes are imported everywhere

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML has it
    with open(path, encoding="utf-8") as fh:
        return dict(yaml.load(fh, Loader=loader))  # noqa: S506 - a safe loader


def load_config(paths: Sequence[str | Path], schema_path: str | Path) -> ReviewConfig:
    """Read ``paths`` (later files overlay earlier ones, as ``--configfile``), check and
    parse them; raises :class:`ConfigError` with every problem of every file."""
    from trialmeta.review.config_yaml import read_config_files

    merged, problems, parts = read_config_files(paths)
    if problems:
        raise ConfigError(problems)
    return parse_config(merged, read_schema(schema_path), parts)
