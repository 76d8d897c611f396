"""Subgroup analyses of one main analysis: each configured variable's levels pooled on their
own with :func:`trialmeta.stats.subgroups.subgroup_analysis` (RevMan's test for subgroup
differences, Cochrane Handbook 10.11.3.1), stored as cells with their effect rows."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from trialmeta.errors import TrialmetaError
from trialmeta.flags import Flag
from trialmeta.review.cell import AnalysisSpec, n_participants, slug
from trialmeta.review.codec import NotRun
from trialmeta.review.config import ModelConfig
from trialmeta.review.results import (
    PENDING,
    CellResult,
    EffectRow,
    SubgroupFit,
    SubgroupResult,
)
from trialmeta.stats.results import PooledResult
from trialmeta.stats.subgroups import subgroup_analysis, subgroup_difference

__all__ = ["level_of", "member_subgroups", "subgroup_results", "smallest_subgroup_p"]


def level_of(row: EffectRow, variable: str) -> str:
    """The row's level of ``variable`` (``""`` when not reported; :meth:`EffectRow.level`)."""
    return row.level(variable)


def _level_fit(
    spec: AnalysisSpec,
    variable: str,
    level: str,
    rows: Sequence[EffectRow],
    fit: PooledResult | None,
    error: str,
) -> SubgroupFit:
    import pandas as pd

    aid = f"{spec.analysis_id}__{slug(variable)}-{slug(level)}"
    weights = tuple(float(w) for w in fit.weights_percent) if fit else ()
    cell = CellResult(
        aid, spec.outcome_id, spec.outcome, spec.comparison, f"{variable}={level}",
        len({r.study_id for r in rows}), n_participants(pd.DataFrame([r.values for r in rows])),
        "pooled" if fit else f"not estimable ({error})", tuple(r.row_id for r in rows), weights,
        fit, tuple(Flag(f) for f in fit.flags) if fit else (Flag.POOLING_FAILED,),
        len(rows))  # fmt: skip
    effects = tuple(EffectRow(values=r.values, analysis_id=aid,
                              weight_percent=weights[i] if fit else math.nan)
                    for i, r in enumerate(rows))  # fmt: skip
    return SubgroupFit(cell, effects)


def _by_variable(
    spec: AnalysisSpec, model: ModelConfig, effects: tuple[EffectRow, ...], variable: str
) -> SubgroupResult:
    groups = [level_of(r, variable) for r in effects]
    levels = tuple(sorted(set(groups)))
    members = {lev: [r for r, g in zip(effects, groups, strict=True) if g == lev]
               for lev in levels}  # fmt: skip
    y = np.array([r.yi for r in effects])
    v = np.array([r.vi for r in effects])
    try:
        res = subgroup_analysis(
            y.tolist(), v.tolist(), groups, variable, model.method, model.test, model.level
        )
    except TrialmetaError as err:  # reported, never a crash
        msg = str(err).splitlines()[0]
        fits = tuple(_level_fit(spec, variable, lev, members[lev], None, msg) for lev in levels)
        return SubgroupResult(variable, levels, fits, subgroup_difference([], []), NotRun(msg))
    fits = tuple(_level_fit(spec, variable, lev, members[lev], fit, "")
                 for lev, fit in zip(res.levels, res.fits, strict=True))  # fmt: skip
    return SubgroupResult(variable, levels, fits, res.difference, PENDING)


def subgroup_results(
    spec: AnalysisSpec,
    model: ModelConfig,
    main: CellResult,
    effects: tuple[EffectRow, ...],
    variables: Sequence[str],
    enabled: bool,
) -> tuple[SubgroupResult, ...]:
    """Subgroups by each variable when the comparison asks for them and k >= 2 (every level
    is pooled, k = 1 included); their permutation tests are left :data:`PENDING`."""
    if not enabled or main.k < 2:
        return ()
    one = replace(model, min_k=1)
    return tuple(_by_variable(spec, one, effects, var) for var in variables)


def smallest_subgroup_p(results: Sequence[SubgroupResult]) -> float:
    """The smallest finite p of the tests for subgroup differences (NaN when none)."""
    ps = [s.difference.pval for s in results if math.isfinite(s.difference.pval)]
    return min(ps) if ps else math.nan


def _as_member(
    fit: CellResult, effects: tuple[EffectRow, ...], parent: AnalysisSpec, member: str
) -> SubgroupFit:
    """A member comparison's own cell and rows, renamed as a subgroup of ``parent``: the
    numbers are the standalone analysis' own objects, so the two are equal exactly."""
    aid = f"{parent.analysis_id}__member-{slug(member)}"
    cell = replace(fit, analysis_id=aid, comparison=parent.comparison, subgroup=f"member={member}")
    return SubgroupFit(cell, tuple(replace(r, analysis_id=aid) for r in effects))


def member_subgroups(
    parent: AnalysisSpec, members: Sequence[tuple[str, CellResult, tuple[EffectRow, ...]]]
) -> SubgroupResult:
    """Subgroups of a comparison across comparator types: one per member comparison, each
    its standalone analysis (RevMan "subtotals only"), with the test for subgroup
    differences between the pooled members (Cochrane Handbook 10.11.3.1). There is no
    overall total."""
    fits = tuple(_as_member(cell, eff, parent, m) for m, cell, eff in members)
    pooled = [f.analysis.pooled for f in fits if f.analysis.pooled is not None]
    diff = subgroup_difference([p.estimate for p in pooled], [p.se for p in pooled])
    return SubgroupResult("member", tuple(m for m, _, _ in members), fits, diff, PENDING)
