"""Flat tables from the typed outcome results (rows only; :mod:`trialmeta.io.safe_csv`
writes them).

``pooled_rows`` is the output contract of ``results/pooled.csv``: one row per
analysis (main analyses, then their subgroup levels), with the columns of
:data:`POOLED_COLUMNS`. No number is recomputed here.
"""

from __future__ import annotations

import math
import typing
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import fields

import pandas as pd

from trialmeta.review.codec import NotRun
from trialmeta.review.grade import GradeResult
from trialmeta.review.results import (
    AnalysisResult,
    CellResult,
    CoverageCheck,
    EffectRow,
    GoshSummary,
    MetaRegression,
    OutcomeResult,
    PermutationCheck,
)

__all__ = [
    "POOLED_COLUMNS",
    "SENSITIVITY_COLUMNS",
    "SUBGROUP_COLUMNS",
    "METAREG_COLUMNS",
    "COVERAGE_COLUMNS",
    "GOSH_COLUMNS",
    "effect_columns",
    "effect_records",
    "iter_analyses",
    "records_and_columns",
    "pooled_rows",
    "sensitivity_rows",
    "subgroup_rows",
    "metareg_rows",
    "coverage_rows",
    "gosh_rows",
]

POOLED_COLUMNS: tuple[str, ...] = (
    "analysis_id", "outcome", "comparison", "subgroup", "k", "n_participants", "method", "test",
    "estimate", "se", "ci_lb", "ci_ub", "pi_lb", "pi_ub", "tau2", "i2_percent", "q", "q_pval",
    "certainty", "outcome_id", "analysis_type", "status", "level", "stat", "pval", "df",
    "tau2_ci_lb", "tau2_ci_ub", "i2_ci_lb", "i2_ci_ub", "q_df", "converged", "certainty_symbols",
    "flags",
)  # fmt: skip
SENSITIVITY_COLUMNS: tuple[str, ...] = (
    "analysis_id", "kind", "label", "k", "n_participants", "method", "test", "estimate", "ci_lb",
    "ci_ub", "pval", "tau2", "i2_percent", "robust", "status",
)  # fmt: skip
SUBGROUP_COLUMNS: tuple[str, ...] = (
    "analysis_id", "variable", "g", "q_between", "df", "pval", "i2_between_percent",
    "perm_method", "perm_test", "perm_qm", "perm_qm_pval", "perm_pval", "perm_exact",
    "perm_n_permutations", "perm_note",
)  # fmt: skip
METAREG_COLUMNS: tuple[str, ...] = (
    "analysis_id", "moderator", "run", "k", "method", "test", "slope", "slope_se", "slope_ci_lb",
    "slope_ci_ub", "slope_pval", "qm", "qm_pval", "tau2", "r2_percent", "perm_pval",
    "perm_exact", "perm_n_permutations", "reason",
)  # fmt: skip
COVERAGE_COLUMNS: tuple[str, ...] = (
    "analysis_id", "k", "method", "test", "level", "tau2_point", "tau2", "n_sim", "seed",
    "ci_coverage", "ci_mcse", "pi_coverage", "pi_mcse", "ci_width_mean", "tau2_zero_share",
)  # fmt: skip
GOSH_COLUMNS: tuple[str, ...] = (
    "analysis_id", "bit", "study", "driver", "shift_estimate", "shift_i2_percent", "influence",
    "lift", "k", "method", "n_subsets", "exhaustive", "seed", "n_outlying", "outlying_percent",
    "driver_threshold", "full_estimate", "full_i2_percent",
)  # fmt: skip
_FIRST_EFFECT_COLUMNS: tuple[str, ...] = ("analysis_id", "study_id", "yi", "vi", "weight_percent")
_POOLED_FIELDS = ("method", "test", "level", "estimate", "se", "ci_lb", "ci_ub", "stat", "pval",
                  "df", "pi_lb", "pi_ub", "tau2", "tau2_ci_lb", "tau2_ci_ub", "i2_percent",
                  "i2_ci_lb", "i2_ci_ub", "q", "q_df", "q_pval", "converged")  # fmt: skip


AnalysisRow = tuple[str, CellResult, tuple[EffectRow, ...], GradeResult | None]


def iter_analyses(results: Sequence[OutcomeResult]) -> Iterator[AnalysisRow]:
    """Yield ``(analysis_type, cell, effect rows, GRADE or None)`` for every analysis: each
    main analysis, then its subgroup levels."""
    for res in results:
        for a in res.analyses:
            yield "main", a.analysis, a.effects, a.grade
            for sg in a.subgroups:
                for fit in sg.fits:
                    yield "subgroup", fit.analysis, fit.effects, None


def pooled_rows(results: Sequence[OutcomeResult]) -> list[dict[str, object]]:
    """One row per analysis, in result order (contract of ``results/pooled.csv``)."""
    rows = []
    for kind, a, _eff, g in iter_analyses(results):
        p = a.pooled
        row: dict[str, object] = {
            "analysis_id": a.analysis_id, "outcome_id": a.outcome_id, "outcome": a.outcome,
            "comparison": a.comparison, "subgroup": a.subgroup, "analysis_type": kind,
            "status": a.status, "k": a.k, "n_participants": a.n_participants,
            "certainty": g.certainty if g is not None else "not rated (subgroup)",
            "certainty_symbols": g.symbols if g is not None else "",
        }  # fmt: skip
        for f in _POOLED_FIELDS:
            row[f] = (
                getattr(p, f) if p else ("" if f in ("method", "test", "converged") else math.nan)
            )
        row["flags"] = ";".join(sorted(set(a.flags) | set(p.flags if p else ())))
        rows.append(row)
    return rows


def effect_records(effects: Sequence[EffectRow]) -> list[dict[str, object]]:
    """The rows of ``results/effects/<analysis_id>.csv``."""
    return [r.record() for r in effects]


def effect_columns(effects: Sequence[Mapping[str, object]]) -> list[str]:
    """Contract columns first, then every other column sorted by name."""
    others = sorted({k for r in effects for k in r} - set(_FIRST_EFFECT_COLUMNS))
    return [*_FIRST_EFFECT_COLUMNS, *others]


def _main(results: Sequence[OutcomeResult]) -> Iterator[AnalysisResult]:
    for res in results:
        yield from res.analyses


def sensitivity_rows(results: Sequence[OutcomeResult]) -> list[dict[str, object]]:
    """Every sensitivity fit (subsets, common effect, estimator grid) of every main analysis."""
    return [
        {"analysis_id": a.analysis_id, **{f.name: getattr(s, f.name) for f in fields(s)}}
        for a in _main(results)
        for s in a.sensitivity
    ]


def _perm_columns(perm: PermutationCheck | NotRun) -> dict[str, object]:
    """``perm_*`` cells of a stored permutation test (blank cells when it did not run)."""
    if isinstance(perm, NotRun):
        return {"perm_note": perm.reason}
    return {
        "perm_method": perm.method,
        "perm_test": perm.test,
        "perm_exact": perm.exact,
        "perm_n_permutations": perm.n_permutations,
        "perm_pval": perm.qm_pval,
    }


def subgroup_rows(results: Sequence[OutcomeResult]) -> list[dict[str, object]]:
    """Tests for subgroup differences, one row per main analysis × variable.

    ``q_between``/``pval``: RevMan's Q between separately pooled subgroups.
    ``perm_qm``/``perm_qm_pval``: QM of the meta-regression on subgroup dummies
    (one common τ²; metafor ``rma(mods = ~ factor(variable))``) with its
    parametric p, and ``perm_pval`` its permutation p (metafor ``permutest``).
    """
    rows = []
    for a in _main(results):
        for sg in a.subgroups:
            d, perm = sg.difference, sg.permutation
            row = {"analysis_id": a.analysis_id, "variable": sg.variable, "g": d.g,
                   "q_between": d.q, "df": d.df, "pval": d.pval,
                   "i2_between_percent": d.i2_percent, **_perm_columns(perm)}  # fmt: skip
            if isinstance(perm, PermutationCheck):
                row["perm_qm"] = perm.qm
                row["perm_qm_pval"] = perm.qm_pval_parametric
            rows.append(row)
    return rows


def metareg_rows(results: Sequence[OutcomeResult]) -> list[dict[str, object]]:
    """Meta-regressions, one row per main analysis × moderator (run or not, and why)."""
    rows = []
    for a in _main(results):
        for mod, mr in sorted(a.metareg.items()):
            row: dict[str, object] = {
                "analysis_id": a.analysis_id,
                "moderator": mod,
                "run": isinstance(mr, MetaRegression),
                "reason": mr.reason if isinstance(mr, NotRun) else "",
            }
            if isinstance(mr, MetaRegression):
                r = mr.result
                row.update({
                    "k": r.k, "method": r.method, "test": r.test, "slope": r.coef[1],
                    "slope_se": r.se[1], "slope_ci_lb": r.ci_lb[1], "slope_ci_ub": r.ci_ub[1],
                    "slope_pval": r.pval[1], "qm": r.qm, "qm_pval": r.qm_pval, "tau2": r.tau2,
                    "r2_percent": r.r2_percent,
                    **{k: v for k, v in _perm_columns(mr.permutation).items()
                       if k in METAREG_COLUMNS},
                })  # fmt: skip
            rows.append(row)
    return rows


def records_and_columns(table: object) -> tuple[list[dict[str, object]], list[str]]:
    """Rows (dicts) and column order of a DataFrame or a sequence of dicts.

    The column order is the table's own, so the data layer decides it.
    """
    if isinstance(table, pd.DataFrame):
        cols = [str(c) for c in table.columns]
        return [{str(k): v for k, v in r.items()} for r in table.to_dict(orient="records")], cols
    rows = [dict(r) for r in typing.cast(Iterable[Mapping[str, object]], table)]
    cols = list(dict.fromkeys(k for r in rows for k in r))
    return rows, cols


def coverage_rows(results: Sequence[OutcomeResult]) -> list[dict[str, object]]:
    """Simulated coverage (``results/coverage.csv``): one row per main analysis × τ² × test."""
    rows = []
    for a in _main(results):
        if not isinstance(a.coverage, CoverageCheck):
            continue
        c = a.coverage.result
        for i, point in enumerate(a.coverage.tau2_points):
            for j, test in enumerate(c.tests):
                rows.append({
                    "analysis_id": a.analysis_id, "k": c.k, "method": c.method, "test": test,
                    "level": c.level, "tau2_point": point, "tau2": c.tau2_values[i],
                    "n_sim": c.n_sim, "seed": c.seed,
                    **{f: getattr(c, f)[i][j] for f in ("ci_coverage", "ci_mcse",
                       "pi_coverage", "pi_mcse", "ci_width_mean")},
                    "tau2_zero_share": c.tau2_zero_share[i],
                })  # fmt: skip
    return rows


def gosh_rows(results: Sequence[OutcomeResult]) -> list[dict[str, object]]:
    """GOSH, one row per main analysis × trial (``results/gosh.csv``).

    ``bit`` is the trial's bit in the subset codes of the GOSH plot's CSV; ``driver``
    marks the trials named drivers; the analysis-level summary (subsets, share of
    outlying subsets, the all-trials fit) repeats on each of its rows.
    """
    rows = []
    summary = (
        "k",
        "method",
        "n_subsets",
        "exhaustive",
        "seed",
        "n_outlying",
        "outlying_percent",
        "driver_threshold",
        "full_estimate",
        "full_i2_percent",
    )
    for a in _main(results):
        g = a.gosh
        if not isinstance(g, GoshSummary):
            continue
        for j, study in enumerate(g.labels):
            rows.append({
                "analysis_id": a.analysis_id, "bit": j, "study": study,
                "driver": study in g.drivers, "shift_estimate": g.shift_estimate[j],
                "shift_i2_percent": g.shift_i2[j], "influence": g.influence[j],
                "lift": g.lift[j], **{f: getattr(g, f) for f in summary},
            })  # fmt: skip
    return rows
