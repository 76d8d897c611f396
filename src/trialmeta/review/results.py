"""The typed review result: an :class:`OutcomeResult` holds one :class:`AnalysisResult`
per configured comparison, each with its pooled cell, effect rows, subgroups, sensitivity
fits, small-study tests, meta-regressions, simulation checks, trial sequential analysis
and GRADE judgement. A step that did not run is a :class:`~trialmeta.review.codec.NotRun`
with its reason, never a missing key.

The workflow builds it in stages (one rule each, so a change reruns only what it
touches): :class:`OutcomeFits` (every fit), then the simulation checks
(:class:`CoverageCheck`, :class:`GoshSummary`, :class:`Permutations`), then
:class:`OutcomeResult` with certainty and trial sequential analysis.
:func:`write_result` and :func:`read_result` are the one JSON writer and reader
(``results/analyses/<outcome>.json``); tables, figures and the report read these objects
and never refit.
"""

from __future__ import annotations

import math
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from trialmeta.errors import IntermediateError
from trialmeta.flags import Flag
from trialmeta.io.jsonio import read_json, write_json
from trialmeta.resampling.coverage import CoverageResult
from trialmeta.review.absolute_effects import AbsoluteEffect
from trialmeta.review.binary import BinaryCell
from trialmeta.review.codec import FLAT, OMIT_NONE, DecodeError, NotRun, from_data, to_data
from trialmeta.review.config import ModelConfig, OutcomeConfig
from trialmeta.review.grade import GradeResult
from trialmeta.stats.influence import BaujatResult
from trialmeta.stats.results import (
    BeggResult,
    EggerResult,
    LeaveOneOutResult,
    MetaRegressionResult,
    PooledResult,
    TrimFillResult,
)
from trialmeta.stats.subgroups import SubgroupDifference
from trialmeta.stats.tsa import TsaResult

__all__ = [
    "PENDING",
    "AnalysisFits",
    "AnalysisResult",
    "Baujat",
    "CellResult",
    "CoverageCheck",
    "EffectRow",
    "FlaggedTrial",
    "GoshPoints",
    "GoshSummary",
    "LeaveOneOut",
    "MetaRegression",
    "OutcomeFits",
    "OutcomeResult",
    "PermutationCheck",
    "Permutations",
    "SensitivityFit",
    "SmallStudy",
    "SubgroupFit",
    "SubgroupResult",
    "TwoTrials",
    "iter_flags",
    "read_result",
    "write_result",
]

T = TypeVar("T")

PENDING = NotRun("computed by a later step of the workflow")
"""Placeholder of a permutation test in :class:`OutcomeFits` (filled in by its own rule)."""


def _float(x: object) -> float:
    """A number as float; text that reads as a number too (as ``pd.to_numeric``); else NaN."""
    if isinstance(x, bool) or x is None:
        return math.nan
    if isinstance(x, (int, float)):
        return float(x)
    try:
        return float(str(x))
    except ValueError:
        return math.nan


@dataclass(frozen=True)
class EffectRow:
    """One study comparison of an analysis: the effect table's columns (``values``, as
    ``results/comparisons.csv`` has them plus ``row_id``), its weight in this analysis, and
    the annotations the review adds to main analyses (risk of bias, control intervention,
    sham type)."""

    values: Mapping[str, object] = field(metadata=FLAT)
    analysis_id: str
    weight_percent: float
    risk_of_bias: str | None = field(default=None, metadata=OMIT_NONE)
    control_intervention: str | None = field(default=None, metadata=OMIT_NONE)
    sham_type: str | None = field(default=None, metadata=OMIT_NONE)

    def get(self, column: str) -> object:
        """The value of one effect-table column (None when the column is absent or empty)."""
        v = self.record().get(column)
        return None if isinstance(v, float) and math.isnan(v) else v

    def number(self, column: str) -> float:
        """A numeric column as float (NaN when empty or not a number)."""
        return _float(self.get(column))

    def record(self) -> dict[str, object]:
        """Every column, as the per-analysis effect CSV writes them."""
        out = {
            **self.values,
            "analysis_id": self.analysis_id,
            "weight_percent": self.weight_percent,
        }
        for name in ("risk_of_bias", "control_intervention", "sham_type"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        return out

    def level(self, variable: str) -> str:
        """The row's level of a subgroup ``variable`` (``""`` when not reported)."""
        v = self.get(variable)
        return "" if v is None else str(v)

    @property
    def row_id(self) -> str:
        return str(self.values["row_id"])

    @property
    def study_id(self) -> str:
        return str(self.values["study_id"])

    @property
    def yi(self) -> float:
        return _float(self.values.get("yi"))

    @property
    def vi(self) -> float:
        return _float(self.values.get("vi"))


@dataclass(frozen=True)
class CellResult:
    """One pooled cell (outcome × comparison × subgroup): the rows used and, when
    estimable, the pooled fit; ``status`` is ``"pooled"`` or ``"not estimable (...)"``.
    A binary outcome's cell also has its counts and common-effect fits (``binary``)."""

    analysis_id: str
    outcome_id: str
    outcome: str
    comparison: str
    subgroup: str
    k: int
    n_participants: int
    status: str
    study_ids: tuple[str, ...]
    weights_percent: tuple[float, ...]
    pooled: PooledResult | None
    flags: tuple[Flag, ...]
    k_comparisons: int
    binary: BinaryCell | None = field(default=None, metadata=OMIT_NONE)

    @property
    def k_trials(self) -> int:
        """Trials in the cell (``k``; the trial is the unit of analysis)."""
        return self.k

    @property
    def units_text(self) -> str:
        """ "k trials", or "k trials (m comparisons)" where the two differ."""
        base = f"{self.k} trial{'s' if self.k != 1 else ''}"
        m = self.k_comparisons
        return base if m == self.k else f"{base} ({m} comparison{'s' if m != 1 else ''})"


@dataclass(frozen=True)
class SensitivityFit:
    """One refit of a sensitivity analysis and whether it keeps the main conclusion.

    ``kind``: ``subset`` (trials left out), ``model`` (common effect) or ``grid``
    (estimator × test); ``robust`` is None when either fit has no CI. ``k`` counts trials.
    """

    label: str
    kind: str
    k: int
    n_participants: int
    status: str
    method: str
    test: str
    estimate: float
    ci_lb: float
    ci_ub: float
    pval: float
    tau2: float
    i2_percent: float
    robust: bool | None
    flags: tuple[Flag, ...]


@dataclass(frozen=True)
class FlaggedTrial:
    """One trial with flagged data in a pooled analysis, and what removing it does: its
    weight share, the flags, and the refit without it (estimate, CI, I²) beside the
    analysis' own, for the limitations summary (report-review M3)."""

    study_id: str
    flags: tuple[str, ...]
    weight_percent: float
    status: str
    estimate: float
    ci_lb: float
    ci_ub: float
    i2_percent: float
    main_estimate: float
    main_ci_lb: float
    main_ci_ub: float
    main_i2_percent: float


@dataclass(frozen=True)
class TwoTrials:
    """What an analysis of exactly 2 trials reports: the primary (Hartung-Knapp) interval,
    which with 1 df can be wider than either trial's, beside the common-effect (FE, z)
    interval, with the note that says so. Certainty is rated on the primary interval."""

    primary_test: str
    primary_ci_lb: float
    primary_ci_ub: float
    common_estimate: float
    common_ci_lb: float
    common_ci_ub: float
    trial_ci_widths: tuple[float, ...]
    note: str


@dataclass(frozen=True)
class PermutationCheck:
    """A permutation test of a moderator (metafor ``permutest``) with the parametric p of
    the same model; the permutation distributions are not stored."""

    k: int
    p: int
    method: str
    test: str
    kind: str
    names: tuple[str, ...]
    coef: np.ndarray
    stat: np.ndarray
    qm: float
    pval: np.ndarray
    qm_pval: float
    n_permutations: int
    exact: bool
    seed: int | None
    qm_pval_parametric: float
    flags: tuple[Flag, ...]


@dataclass(frozen=True)
class SubgroupFit:
    """One level of a subgroup variable: its cell and effect rows."""

    analysis: CellResult
    effects: tuple[EffectRow, ...]


@dataclass(frozen=True)
class SubgroupResult:
    """Subgroups by one variable: per-level fits (``levels`` sorted), RevMan's test for
    subgroup differences, and the permutation test of the same question."""

    variable: str
    levels: tuple[str, ...]
    fits: tuple[SubgroupFit, ...]
    difference: SubgroupDifference
    permutation: PermutationCheck | NotRun


@dataclass(frozen=True)
class LeaveOneOut:
    """Leave-one-out refits; ``omitted[i]`` is the row left out of refit i."""

    omitted: tuple[str, ...]
    result: LeaveOneOutResult = field(metadata=FLAT)


@dataclass(frozen=True)
class Baujat:
    """Baujat coordinates; ``labels[i]`` names point i."""

    labels: tuple[str, ...]
    result: BaujatResult = field(metadata=FLAT)


@dataclass(frozen=True)
class SmallStudy:
    """Egger's and Begg's tests and trim-and-fill (each NotRun when the core refused)."""

    egger: EggerResult | NotRun
    begg: BeggResult | NotRun
    trimfill: TrimFillResult | NotRun


@dataclass(frozen=True)
class MetaRegression:
    """A one-moderator meta-regression and its permutation test."""

    result: MetaRegressionResult = field(metadata=FLAT)
    permutation: PermutationCheck | NotRun = PENDING


@dataclass(frozen=True)
class CoverageCheck:
    """Simulated coverage at the analysis' own k and variances; ``tau2_points`` names the
    τ² values (``estimate``, ``ci_lb``, ``ci_ub``), ``test`` is the analysis' test."""

    tau2_points: tuple[str, ...]
    test: str
    result: CoverageResult = field(metadata=FLAT)


@dataclass(frozen=True)
class GoshPoints:
    """A seeded subsample of the GOSH subsets with at least 2 trials, for the plot."""

    membership: tuple[int, ...]
    k_subset: np.ndarray
    estimate: np.ndarray
    i2_percent: np.ndarray
    outlying: np.ndarray
    n_eligible: int
    subsampled: bool


@dataclass(frozen=True)
class GoshSummary:
    """GOSH of one analysis: per-trial shifts, the drivers, the outlying share, the
    all-trials fit of the GOSH method and the plotted points."""

    method: str
    k: int
    n_subsets: int
    exhaustive: bool
    seed: int
    labels: tuple[str, ...]
    shift_estimate: np.ndarray
    shift_i2: np.ndarray
    influence: np.ndarray
    lift: np.ndarray
    drivers: tuple[str, ...]
    driver_threshold: float
    n_outlying: int
    outlying_percent: float
    full_estimate: float
    full_i2_percent: float
    points: GoshPoints


@dataclass(frozen=True)
class Permutations:
    """Permutation tests of one analysis: by subgroup variable and by moderator."""

    subgroups: Mapping[str, PermutationCheck | NotRun]
    metareg: Mapping[str, PermutationCheck | NotRun]


@dataclass(frozen=True)
class AnalysisFits:
    """Every fit of one main analysis (outcome × comparison), before the simulation checks
    and the certainty rating."""

    analysis: CellResult
    effects: tuple[EffectRow, ...]
    subgroups: tuple[SubgroupResult, ...]
    sensitivity: tuple[SensitivityFit, ...]
    loo: LeaveOneOut | NotRun
    baujat: Baujat | NotRun
    small_study: SmallStudy | NotRun
    metareg: Mapping[str, MetaRegression | NotRun]
    flagged_trials: tuple[FlaggedTrial, ...]
    timepoint_fallback: tuple[str, ...]
    two_trials: TwoTrials | NotRun
    subtotals_only: bool

    @property
    def pooled_total(self) -> bool:
        """False for a comparison across comparator types (subgroup subtotals only)."""
        return not self.subtotals_only


@dataclass(frozen=True)
class AnalysisResult(AnalysisFits):
    """One main analysis, complete: its fits, the simulation checks, the trial sequential
    analysis, the SD behind the optimal information size (and where it comes from), and the
    GRADE judgement (NotRun for a comparison across comparator types: no total, no rating); a
    binary analysis also has its anticipated absolute effects (``absolute``)."""

    comparison_label: str
    coverage: CoverageCheck | NotRun
    gosh: GoshSummary | NotRun
    tsa: TsaResult | NotRun
    ois_sd: float
    ois_sd_source: str
    grade: GradeResult
    absolute: AbsoluteEffect | None = field(default=None, metadata=OMIT_NONE)

    @property
    def analysis_id(self) -> str:
        return self.analysis.analysis_id


@dataclass(frozen=True)
class OutcomeFits:
    """Stage 1 of one outcome: the fits of every comparison, in config order."""

    outcome_id: str
    analyses: tuple[AnalysisFits, ...]


@dataclass(frozen=True)
class OutcomeResult:
    """Every analysis of one outcome window, with the settings they were run with."""

    outcome: OutcomeConfig
    model: ModelConfig
    analyses: tuple[AnalysisResult, ...]
    multi_arm: str


def fits_of(result: AnalysisFits) -> dict[str, Any]:
    """The :class:`AnalysisFits` fields of ``result``, as keyword arguments."""
    return {f.name: getattr(result, f.name) for f in fields(AnalysisFits)}


def _flags(where: str, found: object) -> Iterator[tuple[str, Flag]]:
    for f in getattr(found, "flags", ()) or ():
        yield where, Flag(f)


def iter_flags(result: OutcomeResult) -> Iterator[tuple[str, Flag]]:
    """``(where, flag)`` for every flag anywhere in ``result``: cells and their fits,
    subgroups, the sensitivity refits, leave-one-out, small-study tests, meta-regressions,
    permutation tests and the trial sequential analysis."""
    for a in result.analyses:
        aid = a.analysis_id
        yield from _flags(aid, a.analysis)
        yield from _flags(aid, a.analysis.pooled)
        for sg in a.subgroups:
            yield from _flags(f"{aid} subgroups by {sg.variable}", sg.difference)
            for fit in sg.fits:
                yield from _flags(fit.analysis.analysis_id, fit.analysis)
        for s in a.sensitivity:
            yield from _flags(f"{aid} sensitivity: {s.label}", s)
        yield from _flags(f"{aid} leave-one-out", getattr(a.loo, "result", None))
        if isinstance(a.small_study, SmallStudy):
            for name in ("egger", "begg", "trimfill"):
                yield from _flags(f"{aid} {name}", getattr(a.small_study, name))
        for mod, mr in a.metareg.items():
            if isinstance(mr, MetaRegression):
                yield from _flags(f"{aid} meta-regression on {mod}", mr.result)
                yield from _flags(f"{aid} permutation test of {mod}", mr.permutation)
        for sg in a.subgroups:
            yield from _flags(
                f"{aid} permutation test of subgroups by {sg.variable}", sg.permutation
            )
        yield from _flags(f"{aid} trial sequential analysis", a.tsa)


def write_result(path: str | Path, result: object, tp: object = None) -> None:
    """Write a typed result (any of this module's types; ``tp`` its declared type when it
    is a container such as ``dict[str, CoverageCheck | NotRun]``) as strict, sorted JSON."""
    write_json(path, to_data(result, tp))


def read_result(path: str | Path, tp: type[T] | Any = OutcomeResult) -> T:
    """Read what :func:`write_result` wrote, as ``tp``, strictly: an unknown or missing
    field or a value of the wrong type is an :class:`~trialmeta.errors.IntermediateError`
    located by file and JSON path (``FILE: $.analyses[0].cell.k: wrong value (got ...)``)."""
    try:
        return typing.cast(T, from_data(tp, read_json(path), strict=True))
    except DecodeError as err:
        raise IntermediateError(f"{path}: {err}") from None
