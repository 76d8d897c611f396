"""The numbers behind a forest plot as CSV: studies, subtotals, total, prediction interval."""

from __future__ import annotations

import math
from pathlib import Path

from trialmeta.plots._style import write_rows
from trialmeta.plots.forest_data import ARM_FIELDS, ForestData

__all__ = ["FOREST_CSV_COLUMNS", "write_forest_csv"]

FOREST_CSV_COLUMNS: tuple[str, ...] = (
    "row_type", "subgroup", "label", "estimate", "ci_lb", "ci_ub", "weight_percent",
    *ARM_FIELDS, "derived", "rob", "level", "study_id", "measure", "n_split", "notes",
)  # fmt: skip


def _study_rows(data: ForestData) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    blank = (math.nan,) * len(ARM_FIELDS)
    for group in data.groups:
        for i in group.studies:
            s = data.studies[i]
            rows.append((
                "study", s.subgroup, s.label, s.yi, s.ci_lb, s.ci_ub, s.weight_percent,
                *(getattr(s, f) for f in ARM_FIELDS), ";".join(sorted(s.derived)),
                ";".join(s.rob), data.level, s.study_id, s.measure or "",
                ";".join(sorted(s.n_split)), ";".join(s.notes),
            ))  # fmt: skip
        if group.subtotal is not None:
            est, lb, ub = group.subtotal
            w = sum(data.studies[i].weight_percent for i in group.studies)
            rows.append(("subtotal", group.label, "Subtotal", est, lb, ub, w, *blank,
                         "", "", data.level, "", "", "", ""))  # fmt: skip
    return rows


def write_forest_csv(data: ForestData, path: str | Path) -> Path:
    """Write one row per study, subtotal, total and prediction interval."""
    rows = _study_rows(data)
    blank = (math.nan,) * len(ARM_FIELDS)
    tail = ("", "", "", "")
    r = data.overall
    if r is not None:
        rows.append(("total", None, "Total", r.estimate, r.ci_lb, r.ci_ub, 100.0, *blank,
                     "", "", r.level, *tail))  # fmt: skip
        if math.isfinite(r.pi_lb):
            rows.append(("prediction_interval", None, "Prediction interval", r.estimate,
                         r.pi_lb, r.pi_ub, math.nan, *blank, "", "", r.level, *tail))  # fmt: skip
    return write_rows(path, FOREST_CSV_COLUMNS, rows)
