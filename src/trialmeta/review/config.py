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
import typing
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from trialmeta.errors import DataValidationError
from trialmeta.review.codec import OMIT_NONE, from_data
from trialmeta.review.config_yaml import read_config_files

__all__ = [
    "CertaintyThresholds",
    "CitedValue",
    "ComparisonConfig",
    "ConfigError",
    "DataQualityConfig",
    "EstimatorGrid",
    "ExternalResult",
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
    "config_problems",
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
class OutcomeConfig:
    """``outcomes[]``: one outcome (a code of arms.csv, or codes pooled as one) at one
    timepoint; ``timepoint`` absent = the absolute window ``timepoint_weeks``."""

    id: str
    outcome: str | tuple[str, ...]
    label: str
    timepoint_weeks: TimepointWindow
    mcid: CitedValue
    ois_sd: CitedValue
    timepoint: TimepointAnchor | None = field(default=None, metadata=OMIT_NONE)

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
    text = label[low.index(" vs ") + 4:] if " vs " in low else label
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
    unassessed_serious_percent: float
    pedro_low_below: float
    i2_serious: float
    i2_very_serious: float
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

    def outcome(self, outcome_id: str) -> OutcomeConfig:
        """The outcome window with this id."""
        return next(o for o in self.outcomes if o.id == outcome_id)

    def outcome_noun(self, code: str) -> str:
        """Plain-language noun of an outcome code (``odi`` → ``disability``; a code not in
        ``outcome_nouns`` reads as itself, underscores as spaces)."""
        return self.outcome_nouns.get(code, code.replace("_", " "))

    @property
    def analysis_ids(self) -> tuple[str, ...]:
        """``<outcome id>__<comparison id>`` of every main analysis, in config order."""
        return tuple(f"{o.id}__{c.id}" for o in self.outcomes for c in self.comparisons)


# ------------------------------------------------------------------------- checking
def _integer(checker: object, instance: object) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)


_VALIDATOR: Any = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", _integer),
)


def _key_path(parts: Sequence[object]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def _lookup(data: object, parts: Sequence[object]) -> tuple[bool, object]:
    for p in parts:
        if isinstance(data, Mapping) and p in data:
            data = data[p]
        elif isinstance(data, list) and isinstance(p, int) and 0 <= p < len(data):
            data = data[p]
        else:
            return False, None
    return True, data


class _Where:
    """Names the file that set a key path (the last of the merged files that has it)."""

    def __init__(self, parts: Sequence[tuple[str, Mapping[str, Any]]]):
        self.parts = list(parts)

    def __call__(self, path: Sequence[object]) -> str:
        for label, data in reversed(self.parts):
            for depth in range(len(path), 0, -1):
                if _lookup(data, path[:depth])[0]:
                    return str(label)
        return str(self.parts[-1][0]) if self.parts else "config"


def _schema_problem(err: jsonschema.ValidationError) -> tuple[list[object], str]:
    path: list[object] = list(err.absolute_path)
    kind, val, got = err.validator, typing.cast(Any, err.validator_value), typing.cast(
        Any, err.instance)
    schema = err.schema if isinstance(err.schema, Mapping) else {}
    if kind == "required":
        missing = [k for k in val if isinstance(got, Mapping) and k not in got]
        return path, (f"required key missing (got no {', '.join(map(repr, missing))}, "
                      "expected it; see the comments in config/config.yaml)")
    if kind == "additionalProperties":
        extra = sorted(set(got) - set(typing.cast(Mapping[str, Any],
                                                  schema.get("properties", {}))))
        return path, f"unknown key (got {', '.join(map(repr, extra))}, expected only the keys of " \
                     "workflow/schemas/config.schema.yaml)"
    bounds = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}
    if kind in bounds:
        return path, f"out of range (got {got!r}, expected a value {bounds[kind]} {val})"
    if kind == "type":
        what = " or ".join(val) if isinstance(val, list) else str(val)
        if what == "integer" and isinstance(got, float):
            what = "integer (a whole number written without a decimal point)"
        return path, f"wrong type (got {got!r}, expected {what})"
    if kind == "enum":
        allowed = ", ".join(map(str, val))
        return path, f"not an allowed value (got {got!r}, expected one of {allowed})"
    if kind == "pattern":
        return path, f"badly formed (got {got!r}, expected text matching {val})"
    return path, f"invalid (got {got!r}, expected {err.message})"


def _non_finite(data: object, path: tuple[object, ...] = ()) -> Iterator[tuple[object, ...]]:
    if isinstance(data, float) and not math.isfinite(data):
        yield path
    elif isinstance(data, Mapping):
        for k, v in data.items():
            yield from _non_finite(v, (*path, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _non_finite(v, (*path, i))


def _duplicates(items: Sequence[Mapping[str, Any]], key: str) -> Iterator[tuple[int, int]]:
    seen: dict[object, int] = {}
    for i, item in enumerate(items):
        v = item.get(key)
        if v in seen:
            yield i, seen[v]
        else:
            seen[v] = i


def _semantic_problems(cfg: Mapping[str, Any]) -> Iterator[tuple[list[object], str]]:
    outcomes, comparisons = cfg["outcomes"], cfg["comparisons"]
    for section, items in (("outcomes", outcomes), ("comparisons", comparisons)):
        for i, first in _duplicates(items, "id"):
            yield [section, i, "id"], (f"duplicate id (got {items[i]['id']!r}, expected each id "
                                       f"once; {section}[{first}] has it too)")
    comparison_ids = [c["id"] for c in comparisons]
    for i, c in enumerate(comparisons):
        for j, m in enumerate(c.get("members") or ()):
            if m not in comparison_ids or m == c["id"]:
                yield ["comparisons", i, "members", j], (
                    f"no such other comparison (got {m!r}, expected one of "
                    f"{', '.join(x for x in comparison_ids if x != c['id'])})")
    for i, o in enumerate(outcomes):
        w = o["timepoint_weeks"]
        if w["min"] > w["max"]:
            yield [*("outcomes", i, "timepoint_weeks")], (
                f"window inverted (got min {w['min']} > max {w['max']}, expected min <= max)")
        elif not w["min"] <= w["target"] <= w["max"]:
            yield [*("outcomes", i, "timepoint_weeks", "target")], (
                f"target outside the window (got {w['target']}, expected {w['min']} to {w['max']})")
        if o["mcid"]["value"] is None:
            yield ["outcomes", i, "mcid", "value"], (
                "no MCID (got null, expected a number > 0: imprecision is judged against it)")
    g = cfg["grade"]
    for low, high in (("rob_serious_percent", "rob_very_serious_percent"),
                      ("i2_serious", "i2_very_serious")):
        if g[low] > g[high]:
            yield ["grade", low], (f"thresholds inverted (got {g[low]} > {high} {g[high]}, "
                                   f"expected {low} <= {high})")
    analyses = {f"{o['id']}__{c['id']}" for o in outcomes for c in comparisons}
    for i, ov in enumerate(g["overrides"]):
        if ov["analysis_id"] not in analyses:
            yield ["grade", "overrides", i, "analysis_id"], (
                f"no such analysis (got {ov['analysis_id']!r}, expected one of "
                f"{', '.join(sorted(analyses))})")
    for i, first in _duplicates([{"k": (o["analysis_id"], o["domain"])} for o in g["overrides"]],
                                "k"):
        yield ["grade", "overrides", i], (f"second override of one domain (got "
                                          f"{g['overrides'][i]['domain']!r} again, expected one "
                                          f"per analysis and domain; overrides[{first}])")
    ids = {o["id"] for o in outcomes}
    for i, x in enumerate(cfg["external_results"]):
        if x["outcome_id"] not in ids:
            yield ["external_results", i, "outcome_id"], (
                f"no such outcome (got {x['outcome_id']!r}, expected one of "
                f"{', '.join(sorted(ids))})")
        if not x["ci_lb"] <= x["estimate"] <= x["ci_ub"]:
            yield ["external_results", i], (
                f"interval does not contain its estimate (got {x['estimate']} with CI "
                f"{x['ci_lb']} to {x['ci_ub']}, expected ci_lb <= estimate <= ci_ub)")


def _with_defaults(instance: Any, schema: Mapping[str, Any], root: Mapping[str, Any]) -> Any:
    """``instance`` with the schema's ``default:`` values filled in (recursively)."""
    if "$ref" in schema:
        ref = str(schema["$ref"]).lstrip("#/").split("/")
        target: Any = root
        for part in ref:
            target = target[part]
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    if isinstance(instance, dict):
        for key, sub in schema.get("properties", {}).items():
            if key not in instance and "default" in sub:
                instance[key] = copy.deepcopy(sub["default"])
            if key in instance:
                instance[key] = _with_defaults(instance[key], sub, root)
    elif isinstance(instance, list) and isinstance(schema.get("items"), Mapping):
        return [_with_defaults(v, schema["items"], root) for v in instance]
    return instance


def config_problems(
    config: Mapping[str, Any], schema: Mapping[str, Any],
    sources: Sequence[tuple[str, Mapping[str, Any]]] = (),
) -> list[str]:
    """Every problem of a merged config, located in the file that set the key (``sources``:
    ``(file, its own data)`` in merge order; the default labels problems ``config``)."""
    where = _Where(sources or [("config", config)])
    located: list[tuple[list[object], str]] = []
    for path in _non_finite(config):
        found = _lookup(config, path)[1]
        located.append((list(path), f"not a finite number (got {found!r}, expected a finite "
                                    "number)"))
    errors = sorted(_VALIDATOR(schema).iter_errors(config), key=lambda e: list(map(str, e.path)))
    located += [_schema_problem(e) for e in errors]
    if not located:
        located += list(_semantic_problems(_with_defaults(copy.deepcopy(dict(config)), schema,
                                                          schema)))
    return [f"{where(path)}: {_key_path(path)}: {text}" for path, text in located]


def parse_config(config: Mapping[str, Any], schema: Mapping[str, Any],
                 sources: Sequence[tuple[str, Mapping[str, Any]]] = ()) -> ReviewConfig:
    """Check ``config`` (see :func:`config_problems`) and build the :class:`ReviewConfig`;
    raises :class:`ConfigError` with every problem."""
    problems = config_problems(config, schema, sources)
    if problems:
        raise ConfigError(problems)
    full = _with_defaults(copy.deepcopy(dict(config)), schema, schema)
    for c in full["comparisons"]:
        c.setdefault("comparator", comparator_from_label(c["label"]))
    return from_data(ReviewConfig, full)


def read_schema(path: str | Path) -> dict[str, Any]:
    """The config schema (YAML)."""
    with open(path, encoding="utf-8") as fh:
        return dict(yaml.safe_load(fh))


def load_config(paths: Sequence[str | Path], schema_path: str | Path) -> ReviewConfig:
    """Read ``paths`` (later files overlay earlier ones, as ``--configfile``), check and
    parse them; raises :class:`ConfigError` with every problem of every file."""
    merged, problems, parts = read_config_files(paths)
    if problems:
        raise ConfigError(problems)
    return parse_config(merged, read_schema(schema_path), parts)
