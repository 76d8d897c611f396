"""Sensitivity analyses of one main analysis (Cochrane Handbook 10.14): refits without the
trials at high risk of bias, without data from secondary sources, with the common-effect
model, and over the configured estimator × test grid, each saying whether it keeps the
main conclusion; always a refit excluding flagged data, and per flagged trial what
removing it does; and leave-one-trial-out refits with their Baujat plot coordinates."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

from trialmeta.flags import Flag
from trialmeta.review.annotate import is_secondary
from trialmeta.review.cell import AnalysisSpec, run_analysis
from trialmeta.review.codec import NotRun
from trialmeta.review.config import ModelConfig, SensitivityConfig
from trialmeta.review.results import (
    Baujat,
    CellResult,
    EffectRow,
    FlaggedTrial,
    LeaveOneOut,
    SensitivityFit,
)
from trialmeta.review.units import trial_units
from trialmeta.stats.influence import baujat
from trialmeta.stats.leave_one_out import leave_one_out
from trialmeta.stats.mantel_haenszel import MantelHaenszelResult
from trialmeta.stats.peto import PetoResult
from trialmeta.stats.pooling import pool
from trialmeta.stats.results import PooledResult

if TYPE_CHECKING:  # pandas loads where a frame is built, not on import
    import pandas as pd

__all__ = [
    "binary_fits",
    "flagged_trials",
    "is_flagged",
    "leave_one_out_fits",
    "robust_conclusion",
    "row_flags",
    "sensitivity_fits",
]


class Interval(Protocol):
    @property
    def estimate(self) -> float: ...
    @property
    def ci_lb(self) -> float: ...
    @property
    def ci_ub(self) -> float: ...


def robust_conclusion(main: Interval, other: Interval) -> bool | None:
    """Does ``other`` reach the same conclusion as ``main``? None if either has no CI.

    Same conclusion: both CIs include no effect, or both exclude it on the same side.
    """
    vals = (main.estimate, main.ci_lb, main.ci_ub, other.estimate, other.ci_lb, other.ci_ub)
    if not all(isinstance(v, float) and math.isfinite(v) for v in vals):
        return None

    def side(r: Interval) -> int:
        return -1 if r.ci_ub < 0 else 1 if r.ci_lb > 0 else 0

    return side(main) == side(other)


def _fit(cell: CellResult, label: str, kind: str, main: PooledResult) -> SensitivityFit:
    p, nan = cell.pooled, math.nan
    fit = SensitivityFit(
        label=label, kind=kind, k=cell.k, n_participants=cell.n_participants,
        status=cell.status, method=p.method if p else "", test=p.test if p else "",
        estimate=p.estimate if p else nan, ci_lb=p.ci_lb if p else nan,
        ci_ub=p.ci_ub if p else nan, pval=p.pval if p else nan, tau2=p.tau2 if p else nan,
        i2_percent=p.i2_percent if p else nan, robust=None,
        flags=tuple(dict.fromkeys((*cell.flags, *(Flag(f) for f in (p.flags if p else ()))))),
    )  # fmt: skip
    return replace(fit, robust=robust_conclusion(main, fit))


def is_flagged(row: EffectRow) -> bool:
    """True when a data-quality rule flags the row (:mod:`trialmeta.effects.data_quality`)."""
    v = row.get("flagged")
    return v is True or str(v).strip().lower() in ("true", "1")


def row_flags(row: EffectRow) -> tuple[str, ...]:
    """The data-quality codes of a row (``flags`` column, ``;``-separated)."""
    return tuple(c for c in str(row.get("flags") or "").split(";") if c)


def sensitivity_fits(
    rows: pd.DataFrame,
    spec: AnalysisSpec,
    model: ModelConfig,
    main: PooledResult,
    effects: tuple[EffectRow, ...],
    settings: SensitivityConfig,
) -> tuple[SensitivityFit, ...]:
    """The sensitivity refits of a pooled main analysis (``main`` its fit), in a fixed
    order: always "excluding flagged data" (every row a data-quality rule flags; the
    Handbook's section 10.14 sensitivity analysis of questionable data), then the
    configured ones."""
    keep = [r.row_id for r in effects if not is_flagged(r)]
    out: list[SensitivityFit] = [
        _fit(run_analysis(rows, spec, model, keep), "excluding flagged data", "subset", main)
    ]
    if settings.exclude_high_rob:
        keep = [r.row_id for r in effects if r.risk_of_bias != "high"]
        out.append(
            _fit(
                run_analysis(rows, spec, model, keep), "excluding high risk of bias", "subset", main
            )
        )
    if settings.exclude_secondary:
        keep = [r.row_id for r in effects if not is_secondary(r)]
        out.append(
            _fit(
                run_analysis(rows, spec, model, keep),
                "excluding secondary-extraction data",
                "subset",
                main,
            )
        )
    if settings.common_vs_random:
        fe = run_analysis(rows, spec, replace(model, min_k=min(model.min_k, 2)), None, "FE", "z")
        out.append(_fit(fe, "common effect (FE, z)", "model", main))
    for m in settings.estimator_grid.methods:
        for t in settings.estimator_grid.tests:
            out.append(
                _fit(run_analysis(rows, spec, model, None, m, t), f"{m} + {t}", "grid", main)
            )
    return tuple(out)


def flagged_trials(
    rows: pd.DataFrame,
    spec: AnalysisSpec,
    model: ModelConfig,
    main: CellResult,
    effects: tuple[EffectRow, ...],
) -> tuple[FlaggedTrial, ...]:
    """Per trial with flagged data: its weight share and the refit without the trial."""
    p = main.pooled
    if p is None:
        return ()
    out = []
    for sid in dict.fromkeys(r.study_id for r in effects if is_flagged(r)):
        mine = [r for r in effects if r.study_id == sid]
        cell = run_analysis(rows, spec, model, [r.row_id for r in effects if r.study_id != sid])
        q, nan = cell.pooled, math.nan
        out.append(
            FlaggedTrial(
                sid,
                tuple(sorted({c for r in mine for c in row_flags(r)})),
                float(sum(r.weight_percent for r in mine)),
                cell.status,
                q.estimate if q else nan,
                q.ci_lb if q else nan,
                q.ci_ub if q else nan,
                q.i2_percent if q else nan,
                p.estimate,
                p.ci_lb,
                p.ci_ub,
                p.i2_percent,
            )
        )
    return tuple(out)


def binary_fits(cell: CellResult) -> tuple[SensitivityFit, ...]:
    """A binary cell's common-effect fits as sensitivity rows: Mantel-Haenszel (Cochrane
    Handbook v6.5, 10.4.4), and Peto's odds ratio when events are rare (10.4.4.2). Their
    estimates are on the log scale of the cell (Peto: log OR)."""
    b, main = cell.binary, cell.pooled
    if b is None or main is None:
        return ()
    fits: list[tuple[str, MantelHaenszelResult | PetoResult | NotRun]] = [
        ("Mantel-Haenszel (fixed)", b.mh)
    ]
    if b.rare_events:
        fits.append(("Peto odds ratio (events below 1%)", b.peto))
    out = []
    for label, f in fits:
        if isinstance(f, NotRun):
            continue
        fit = SensitivityFit(
            label=label,
            kind="model",
            k=f.k,
            n_participants=cell.n_participants,
            status="pooled",
            method="MH" if "Mantel" in label else "PETO",
            test="z",
            estimate=f.estimate,
            ci_lb=f.ci_lb,
            ci_ub=f.ci_ub,
            pval=f.pval,
            tau2=math.nan,
            i2_percent=f.i2_percent,
            robust=None,
            flags=tuple(Flag(x) for x in f.flags),
        )
        out.append(replace(fit, robust=robust_conclusion(main, fit)))
    return tuple(out)


def leave_one_out_fits(
    effects: tuple[EffectRow, ...], model: ModelConfig, fit: PooledResult, enabled: bool
) -> tuple[LeaveOneOut | NotRun, Baujat | NotRun]:
    """Leave-one-trial-out refits (metafor ``leave1out``) and the Baujat coordinates built
    on them (metafor ``baujat``), when configured and k >= 3 trials; on the trial units of
    :func:`trialmeta.review.units.trial_units` (a split trial's rows leave together)."""
    if not enabled:
        why = NotRun("leave-one-out is switched off (sensitivity.leave_one_out)")
        return why, why
    u = trial_units(effects)
    if u.k < 3:
        why = NotRun(f"k = {u.k} trials < 3")
        return why, why
    loo = leave_one_out(u.yi, u.vi, method=model.method, test=model.test, level=model.level)
    base = (
        fit
        if u.same_as_rows
        else pool(u.yi, u.vi, method=model.method, test=model.test, level=model.level)
    )
    return LeaveOneOut(u.labels, loo), Baujat(u.labels, baujat(u.yi, u.vi, base, loo))
