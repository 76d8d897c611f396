"""One configured analysis: outcome × comparison × subgroup → results.

The workflow declares analyses in the config; this module selects the effect
rows of one analysis (outcome, control types, timepoint window), pools them
and reports a cell with too few studies as ``"not estimable (k = 1)"`` instead
of failing. Nothing here reads or writes files.
"""

from __future__ import annotations

import functools
import math
import re
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

import numpy as np

from trialmeta.effects.binary import REVIEW_BINARY_MEASURES
from trialmeta.errors import NotComputableError, TrialmetaError
from trialmeta.flags import Flag
from trialmeta.review.binary import binary_cell
from trialmeta.review.config import ModelConfig, TimepointWindow
from trialmeta.review.results import CellResult, EffectRow
from trialmeta.stats.pooling import pool
from trialmeta.stats.results import PooledResult

if TYPE_CHECKING:  # pandas loads where a frame is built, not on import
    import pandas as pd

__all__ = [
    "AnalysisSpec",
    "SUBTOTALS_ONLY",
    "subtotals_cell",
    "effect_table",
    "n_participants",
    "run_analysis",
    "select_effects",
    "slug",
    "spec_from_config",
    "status_text",
]


def slug(text: object) -> str:
    """Lower-case ``[a-z0-9_]`` version of ``text`` for ids and file names."""
    s = re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_")
    return s or "na"


@dataclass(frozen=True)
class AnalysisSpec:
    """What one analysis pools.

    ``control_types`` are the values of the effect rows' ``comparison`` column
    that this comparison includes; rows with ``tp_min <= timepoint_weeks <=
    tp_max`` are eligible and, per study, the timepoint closest to ``tp_target``
    is kept (the earlier one on ties). ``subgroup`` is ``"all"`` or
    ``"variable=level"``.
    """

    analysis_id: str
    outcome_id: str
    outcome: str
    comparison: str
    control_types: tuple[str, ...]
    tp_min: float
    tp_max: float
    tp_target: float
    measure: str = "MD"
    subgroup: str = "all"


def status_text(k: int, min_k: int, error: str | None = None) -> str:
    """``"pooled"``, ``"not estimable (k = 1)"`` or ``"not estimable (<error>)"``; ``k``
    counts trials."""
    if error:
        return f"not estimable ({error})"
    if k < min_k:
        return f"not estimable (k = {k})"
    return "pooled"


ARM_KEY_COLUMNS: tuple[str, ...] = (
    "contrast_id", "comparison_id", "arm_id_1", "arm_id_2", "arm_1", "arm_2",
)  # fmt: skip


def _unit_columns(rows: pd.DataFrame) -> list[str]:
    return ["study_id", "comparison", *[c for c in ARM_KEY_COLUMNS if c in rows.columns]]


_Selection = tuple[str, str, str, tuple[str, ...], float, float, float]
_SELECTED: dict[tuple[int, _Selection], tuple[weakref.ref[pd.DataFrame], pd.DataFrame]] = {}


def _forget(frame_id: int, _ref: object) -> None:
    """Drop the selections of a frame that is being freed (before its id can be reused)."""
    for key in [k for k in _SELECTED if k[0] == frame_id]:
        del _SELECTED[key]


def select_effects(rows: pd.DataFrame, spec: AnalysisSpec) -> pd.DataFrame:
    """:func:`selected_rows`, computed once per frame and selection.

    An outcome's fits select the same rows many times (every sensitivity refit, subgroup
    and leave-one-out fit of an analysis), so the selection is kept for as long as the
    frame ``rows`` lives (it is read, never changed, by the review; its selections are
    dropped when it is freed) and keyed by the fields it depends on; each call returns
    its own copy.
    """
    key = (id(rows), (spec.outcome_id, spec.outcome, spec.comparison, spec.control_types,
                      spec.tp_min, spec.tp_max, spec.tp_target))  # fmt: skip
    hit = _SELECTED.get(key)
    if hit is None or hit[0]() is not rows:
        if len(_SELECTED) >= 512:
            _SELECTED.clear()
        hit = (weakref.ref(rows, functools.partial(_forget, id(rows))), selected_rows(rows, spec))
        _SELECTED[key] = hit
    return hit[1].copy()


def selected_rows(rows: pd.DataFrame, spec: AnalysisSpec) -> pd.DataFrame:
    """Rows of ``spec``: one per study comparison, finite ``yi``/``vi > 0``, sorted.

    Rows from :func:`trialmeta.comparisons.build_comparisons` carry ``outcome_id``
    and the config's comparison id (window and multi-arm splitting already done
    there); they are matched on those. Rows without ``outcome_id`` are matched on
    ``outcome``, ``comparison`` ∈ ``control_types`` and the timepoint window. A
    unit is (study_id, comparison, arm ids when present), so a multi-arm trial can
    contribute two disjoint comparisons; per unit the timepoint closest to
    ``tp_target`` is kept. ``row_id`` labels a unit: the study id, with the arms
    (or comparison) appended when a study has several units.
    """
    import pandas as pd

    if rows.empty:
        return rows.assign(row_id=pd.Series(dtype=str))
    tp = pd.to_numeric(rows["timepoint_weeks"], errors="coerce")
    if "outcome_id" in rows.columns:
        keep = (rows["outcome_id"].astype(str) == spec.outcome_id) & (
            rows["comparison"].astype(str) == spec.comparison
        )
    else:
        keep = (
            (rows["outcome"].astype(str) == spec.outcome)
            & rows["comparison"].astype(str).isin(spec.control_types)
            & (tp >= spec.tp_min)
            & (tp <= spec.tp_max)
        )
    sel: pd.DataFrame = rows.loc[keep].copy()
    sel["yi"] = pd.to_numeric(sel["yi"], errors="coerce")
    sel["vi"] = pd.to_numeric(sel["vi"], errors="coerce")
    sel = sel.loc[np.isfinite(sel["yi"]) & np.isfinite(sel["vi"]) & (sel["vi"] > 0)].copy()
    if sel.empty:
        return sel.assign(row_id=pd.Series(dtype=str))
    units = _unit_columns(sel)
    sel["_tp"] = pd.to_numeric(sel["timepoint_weeks"], errors="coerce")
    sel["_dist"] = (sel["_tp"] - spec.tp_target).abs()
    for c in units:
        sel[c] = sel[c].astype(str)
    sel = sel.sort_values([*units, "_dist", "_tp"], kind="mergesort", na_position="last")
    sel = sel.drop_duplicates(units, keep="first").drop(columns=["_dist", "_tp"])
    counts = sel["study_id"].value_counts()
    arms = [c for c in ("arm_id_1", "arm_id_2") if c in sel.columns]

    def label(rec: pd.Series) -> str:
        if counts[rec["study_id"]] == 1:
            return str(rec["study_id"])
        if len(arms) == 2:
            return f"{rec['study_id']} ({rec[arms[0]]} vs {rec[arms[1]]})"
        return f"{rec['study_id']} ({', '.join(str(rec[c]) for c in units[1:])})"

    sel["row_id"] = sel.apply(label, axis=1)
    out: pd.DataFrame = sel.sort_values("row_id", kind="mergesort").reset_index(drop=True)
    return out


def n_participants(rows: pd.DataFrame) -> int:
    """Participants of the selected rows: the sum of ``n1`` and ``n2`` (blank counts 0)."""
    import pandas as pd

    total = 0
    for col in ("n1", "n2"):
        if col in rows.columns:
            vals = pd.to_numeric(rows[col], errors="coerce").fillna(0)
            total += int(vals.sum())
    return total


def run_analysis(
    rows: pd.DataFrame,
    spec: AnalysisSpec,
    model: ModelConfig,
    study_subset: Sequence[str] | None = None,
    method: str | None = None,
    test: str | None = None,
) -> CellResult:
    """Select, then pool with ``model`` (or the ``method``/``test`` given).

    ``study_subset`` restricts the selected rows to those row ids (used for
    subgroups and sensitivity analyses). ``k`` counts trials and ``k_comparisons``
    rows (they differ for a split multi-arm trial). A cell with ``k < model.min_k`` or an
    input the core rejects is returned with ``pooled=None`` and a status
    sentence; it never raises. A cell of a binary measure (RR, OR, RD) pools the log
    ratios (or RDs) with ``model`` and adds its counts and its Mantel-Haenszel and Peto
    fits (:mod:`trialmeta.review.binary`; Cochrane Handbook v6.5, 10.4.4).
    """
    sel = select_effects(rows, spec)
    if study_subset is not None and not sel.empty:
        sel = sel.loc[sel["row_id"].isin(list(study_subset))].reset_index(drop=True)
    m = int(len(sel))  # comparisons (rows); k counts trials, the unit of analysis
    k = int(sel["study_id"].nunique()) if m else 0
    ids = tuple(str(s) for s in sel["row_id"]) if m else ()

    if k < model.min_k:
        few = _cell(
            spec,
            sel,
            status_text(k, model.min_k),
            (100.0,) if m == 1 else (),
            None,
            (Flag.K_BELOW_MIN_K,),
        )
        if m == 1 and spec.measure in REVIEW_BINARY_MEASURES:  # a single trial's counts
            return replace(few, binary=binary_cell(sel, spec.measure, model.level))
        return few
    try:
        fit = pool(
            sel["yi"].to_numpy(float),
            sel["vi"].to_numpy(float),
            method=method or model.method,
            test=test or model.test,
            level=model.level,
        )
    except NotComputableError as err:  # valid data beyond what can be computed
        who = f"; study {ids[err.row]}" if err.row is not None and err.row < m else ""
        return _cell(
            spec,
            sel,
            status_text(k, model.min_k, f"not computable: {err.reason}{who}"),
            (),
            None,
            (Flag.POOLING_FAILED, *([Flag(err.flag)] if err.flag else [])),
        )
    except TrialmetaError as err:  # reported, never a crash
        msg = str(err).splitlines()[0]
        return _cell(spec, sel, status_text(k, model.min_k, msg), (), None, (Flag.POOLING_FAILED,))
    out = _cell(
        spec,
        sel,
        "pooled",
        tuple(float(w) for w in fit.weights_percent),
        fit,
        tuple(Flag(f) for f in fit.flags),
    )
    if spec.measure in REVIEW_BINARY_MEASURES:
        return replace(out, binary=binary_cell(sel, spec.measure, model.level))
    return out


SUBTOTALS_ONLY = (
    "subtotals only: comparisons with different comparator types are not pooled "
    "into one total (Cochrane Handbook v6.5, chapter 9, section 9.3: each comparison "
    "is its own synthesis; RevMan's "
    "'subtotals only')"
)
"""The status of a comparison that shows other comparisons side by side (``members``)."""


def subtotals_cell(rows: pd.DataFrame, spec: AnalysisSpec) -> CellResult:
    """The cell of a comparison across comparator types: its rows, trials and participants,
    and no pooled total (``pooled`` None, status :data:`SUBTOTALS_ONLY`)."""
    return _cell(spec, select_effects(rows, spec), SUBTOTALS_ONLY, (), None, ())


def _cell(
    spec: AnalysisSpec,
    sel: pd.DataFrame,
    status: str,
    weights: tuple[float, ...],
    pooled: PooledResult | None,
    flags: tuple[Flag, ...],
) -> CellResult:
    """The cell of ``spec`` over its selected rows ``sel``: ``k`` counts trials (the unit
    of analysis), ``k_comparisons`` rows, ``n`` the participants of those rows."""
    m = int(len(sel))
    return CellResult(
        spec.analysis_id,
        spec.outcome_id,
        spec.outcome,
        spec.comparison,
        spec.subgroup,
        int(sel["study_id"].nunique()) if m else 0,
        n_participants(sel) if m else 0,
        status,
        tuple(str(s) for s in sel["row_id"]) if m else (),
        weights,
        pooled,
        flags,
        m,
    )


def effect_table(
    rows: pd.DataFrame, spec: AnalysisSpec, result: CellResult
) -> tuple[EffectRow, ...]:
    """Per-study rows of ``result`` (in its order) with their ``weight_percent`` in it.

    ``weight_percent`` is NaN when the cell was not pooled.
    """
    if not result.study_ids:
        return ()
    sel = select_effects(rows, spec)
    by_id = {str(r["row_id"]): r for r in sel.to_dict(orient="records")}
    out = []
    for i, rid in enumerate(result.study_ids):
        w = result.weights_percent[i] if i < len(result.weights_percent) else math.nan
        out.append(
            EffectRow(
                values={str(k): v for k, v in by_id[rid].items()},
                analysis_id=result.analysis_id,
                weight_percent=w if result.pooled is not None else math.nan,
            )
        )
    return tuple(out)


class _Outcome(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def outcome(self) -> str: ...
    @property
    def timepoint_weeks(self) -> TimepointWindow: ...


class _Comparison(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def control_types(self) -> tuple[str, ...]: ...


def spec_from_config(outcome: _Outcome, comparison: _Comparison, measure: str) -> AnalysisSpec:
    """The main :class:`AnalysisSpec` of one outcome × comparison."""
    w = outcome.timepoint_weeks
    return AnalysisSpec(
        analysis_id=f"{outcome.id}__{comparison.id}",
        outcome_id=outcome.id,
        outcome=outcome.outcome,
        comparison=comparison.id,
        control_types=comparison.control_types,
        tp_min=float(w.min),
        tp_max=float(w.max),
        tp_target=float(w.target),
        measure=measure,
    )
