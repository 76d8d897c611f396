"""Flat tables from the outcome bundles (rows only; :mod:`trialmeta.safe_csv` writes).

``pooled_rows`` is the output contract of ``results/pooled.csv``: one row per
analysis (main analyses, then their subgroup levels), with the columns of
:data:`POOLED_COLUMNS`. No number is recomputed here.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence

__all__ = [
    "POOLED_COLUMNS",
    "SENSITIVITY_COLUMNS",
    "SUBGROUP_COLUMNS",
    "METAREG_COLUMNS",
    "COVERAGE_COLUMNS",
    "GOSH_COLUMNS",
    "effect_columns",
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


def iter_analyses(
    bundles: Sequence[Mapping[str, object]],
) -> Iterator[tuple[str, Mapping[str, object], list[Mapping[str, object]], Mapping[str, object]]]:
    """Yield ``(analysis_type, analysis, effects, grade-or-{})`` for every analysis."""
    for b in bundles:
        for e in b["analyses"]:  # type: ignore[union-attr]
            yield "main", e["analysis"], e["effects"], e["grade"]
            for sg in e.get("subgroups", []):
                for fit in sg["fits"]:
                    yield "subgroup", fit["analysis"], fit["effects"], {}


def _none_to_nan(x: object) -> object:
    return math.nan if x is None else x


def pooled_rows(bundles: Sequence[Mapping[str, object]]) -> list[dict[str, object]]:
    """One row per analysis, in bundle order (contract of ``results/pooled.csv``)."""
    rows = []
    for kind, a, _eff, g in iter_analyses(bundles):
        p = a.get("pooled") or {}
        row: dict[str, object] = {
            "analysis_id": a["analysis_id"], "outcome_id": a["outcome_id"],
            "outcome": a["outcome"], "comparison": a["comparison"], "subgroup": a["subgroup"],
            "analysis_type": kind, "status": a["status"], "k": a["k"],
            "n_participants": a["n_participants"],
            "certainty": g.get("certainty", "") if kind == "main" else "not rated (subgroup)",
            "certainty_symbols": g.get("symbols", "") if kind == "main" else "",
        }  # fmt: skip
        for f in _POOLED_FIELDS:
            row[f] = _none_to_nan(p.get(f)) if p else (math.nan if f not in ("method", "test",
                                                                             "converged") else "")
        flags = sorted(set(a.get("flags") or ()) | set(p.get("flags") or ()))
        row["flags"] = ";".join(flags)
        rows.append(row)
    return rows


def effect_columns(effects: Sequence[Mapping[str, object]]) -> list[str]:
    """Contract columns first, then every other column sorted by name."""
    others = sorted({k for r in effects for k in r} - set(_FIRST_EFFECT_COLUMNS))
    return [*_FIRST_EFFECT_COLUMNS, *others]


def sensitivity_rows(bundles: Sequence[Mapping[str, object]]) -> list[dict[str, object]]:
    """Every sensitivity fit (subsets, common effect, estimator grid) of every main analysis."""
    rows = []
    for b in bundles:
        for e in b["analyses"]:  # type: ignore[union-attr]
            for s in e.get("sensitivity", []):
                rows.append({"analysis_id": e["analysis"]["analysis_id"],
                             **{k: _none_to_nan(v) for k, v in s.items()}})
    return rows


def _perm_columns(perm: Mapping[str, object] | None) -> dict[str, object]:
    """``perm_*`` cells of a stored permutation test (blank cells when it did not run)."""
    perm = perm or {"run": False, "reason": "not computed"}
    if not perm.get("run"):
        return {"perm_note": perm.get("reason", "")}
    return {"perm_method": perm["method"], "perm_test": perm["test"],
            "perm_exact": perm["exact"], "perm_n_permutations": perm["n_permutations"],
            "perm_pval": _none_to_nan(perm["qm_pval"])}  # fmt: skip


def subgroup_rows(bundles: Sequence[Mapping[str, object]]) -> list[dict[str, object]]:
    """Tests for subgroup differences, one row per main analysis × variable.

    ``q_between``/``pval``: RevMan's Q between separately pooled subgroups.
    ``perm_qm``/``perm_qm_pval``: QM of the meta-regression on subgroup dummies
    (one common τ²; metafor ``rma(mods = ~ factor(variable))``) with its
    parametric p, and ``perm_pval`` its permutation p (metafor ``permutest``).
    """
    rows = []
    for b in bundles:
        for e in b["analyses"]:  # type: ignore[union-attr]
            for sg in e.get("subgroups", []):
                d = sg["difference"]
                perm = sg.get("permutation") or {}
                row = {
                    "analysis_id": e["analysis"]["analysis_id"], "variable": sg["variable"],
                    "g": d["g"], "q_between": _none_to_nan(d["q"]), "df": d["df"],
                    "pval": _none_to_nan(d["pval"]),
                    "i2_between_percent": _none_to_nan(d["i2_percent"]),
                    **_perm_columns(perm),
                }  # fmt: skip
                if perm.get("run"):
                    row["perm_qm"] = _none_to_nan(perm["qm"])
                    row["perm_qm_pval"] = _none_to_nan(perm.get("qm_pval_parametric"))
                rows.append(row)
    return rows


def metareg_rows(bundles: Sequence[Mapping[str, object]]) -> list[dict[str, object]]:
    """Meta-regressions, one row per main analysis × moderator (run or not, and why)."""
    rows = []
    for b in bundles:
        for e in b["analyses"]:  # type: ignore[union-attr]
            for mod, mr in sorted((e.get("metareg") or {}).items()):
                row: dict[str, object] = {"analysis_id": e["analysis"]["analysis_id"],
                                          "moderator": mod, "run": bool(mr.get("run")),
                                          "reason": mr.get("reason", "")}  # fmt: skip
                if mr.get("run"):
                    row.update({
                        "k": mr["k"], "method": mr["method"], "test": mr["test"],
                        "slope": mr["coef"][1], "slope_se": mr["se"][1],
                        "slope_ci_lb": mr["ci_lb"][1], "slope_ci_ub": mr["ci_ub"][1],
                        "slope_pval": mr["pval"][1], "qm": mr["qm"], "qm_pval": mr["qm_pval"],
                        "tau2": mr["tau2"], "r2_percent": mr["r2_percent"],
                        **{k: v for k, v in _perm_columns(mr.get("permutation")).items()
                           if k in METAREG_COLUMNS},
                    })  # fmt: skip
                rows.append({k: _none_to_nan(v) for k, v in row.items()})
    return rows


def records_and_columns(table: object) -> tuple[list[dict[str, object]], list[str]]:
    """Rows (dicts) and column order of a DataFrame or a sequence of dicts.

    The column order is the table's own, so the data layer decides it.
    """
    if hasattr(table, "to_dict") and hasattr(table, "columns"):
        cols = [str(c) for c in table.columns]  # type: ignore[attr-defined]
        return table.to_dict(orient="records"), cols  # type: ignore[attr-defined]
    rows = [dict(r) for r in table]  # type: ignore[attr-defined]
    cols = list(dict.fromkeys(k for r in rows for k in r))
    return rows, cols


def _checks(bundles: Sequence[Mapping[str, object]], key: str):
    for b in bundles:
        for e in b["analyses"]:  # type: ignore[union-attr]
            c = e.get(key) or {}
            if c.get("run"):
                yield e["analysis"]["analysis_id"], c


def coverage_rows(bundles: Sequence[Mapping[str, object]]) -> list[dict[str, object]]:
    """Simulated coverage (``results/coverage.csv``): one row per main analysis × τ² × test."""
    rows = []
    for aid, c in _checks(bundles, "coverage"):
        for i, point in enumerate(c["tau2_points"]):
            for j, test in enumerate(c["tests"]):
                rows.append({
                    "analysis_id": aid, "k": c["k"], "method": c["method"], "test": test,
                    "level": c["level"], "tau2_point": point, "tau2": c["tau2_values"][i],
                    "n_sim": c["n_sim"], "seed": c["seed"],
                    **{f: _none_to_nan(c[f][i][j]) for f in ("ci_coverage", "ci_mcse",
                       "pi_coverage", "pi_mcse", "ci_width_mean")},
                    "tau2_zero_share": _none_to_nan(c["tau2_zero_share"][i]),
                })  # fmt: skip
    return rows


def gosh_rows(bundles: Sequence[Mapping[str, object]]) -> list[dict[str, object]]:
    """GOSH, one row per main analysis × trial (``results/gosh.csv``).

    ``bit`` is the trial's bit in the subset codes of the GOSH plot's CSV; ``driver``
    marks the trials named drivers; the analysis-level summary (subsets, share of
    outlying subsets, the all-trials fit) repeats on each of its rows.
    """
    rows = []
    summary = ("k", "method", "n_subsets", "exhaustive", "seed", "n_outlying",
               "outlying_percent", "driver_threshold", "full_estimate", "full_i2_percent")
    for aid, g in _checks(bundles, "gosh"):
        for j, study in enumerate(g["labels"]):
            rows.append({
                "analysis_id": aid, "bit": j, "study": study, "driver": study in g["drivers"],
                "shift_estimate": g["shift_estimate"][j], "shift_i2_percent": g["shift_i2"][j],
                "influence": g["influence"][j], "lift": g["lift"][j],
                **{f: g[f] for f in summary},
            })  # fmt: skip
    return [{k: _none_to_nan(v) for k, v in r.items()} for r in rows]
