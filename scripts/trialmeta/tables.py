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
    "effect_columns",
    "iter_analyses",
    "records_and_columns",
    "pooled_rows",
    "sensitivity_rows",
    "subgroup_rows",
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


def subgroup_rows(bundles: Sequence[Mapping[str, object]]) -> list[dict[str, object]]:
    """Tests for subgroup differences, one row per main analysis × variable."""
    rows = []
    for b in bundles:
        for e in b["analyses"]:  # type: ignore[union-attr]
            for sg in e.get("subgroups", []):
                d = sg["difference"]
                rows.append({
                    "analysis_id": e["analysis"]["analysis_id"], "variable": sg["variable"],
                    "g": d["g"], "q_between": _none_to_nan(d["q"]), "df": d["df"],
                    "pval": _none_to_nan(d["pval"]),
                    "i2_between_percent": _none_to_nan(d["i2_percent"]),
                })  # fmt: skip
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
