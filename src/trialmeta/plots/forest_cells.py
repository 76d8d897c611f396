"""The rows of a forest plot and the text of each cell (no drawing, no measuring).

Row kinds, top to bottom: a subgroup ``header``, its ``study`` rows (a long
label continues on a ``cont`` row below), its ``subtotal`` and two ``note``
lines (heterogeneity, overall effect), a ``blank``; then the ``total`` and the
``pi`` (prediction interval) rows.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from trialmeta.plots.forest_binary import shown
from trialmeta.plots.forest_data import ForestData
from trialmeta.plots.revman_text import format_estimate_ci

__all__ = ["Line", "LineKind", "cells", "forest_lines", "fmt"]

LineKind = Literal["header", "study", "cont", "subtotal", "total", "pi", "note", "blank"]


@dataclass(frozen=True)
class Line:
    """One row: its kind, its text (headers and notes) and the study or group index."""

    kind: LineKind
    text: str = ""
    index: int = -1


def _study_lines(data: ForestData, i: int, wrap: Callable[[str], list[str]] | None) -> list[Line]:
    parts = wrap(data.studies[i].label) if wrap else [data.studies[i].label]
    parts = parts or [""]
    first = Line("study", parts[0], i)
    return [first] + ([Line("cont", " ".join(parts[1:]), i)] if len(parts) > 1 else [])


def forest_lines(data: ForestData, wrap: Callable[[str], list[str]] | None = None) -> list[Line]:
    """Every row of the plot, in drawing order; ``wrap`` splits long study labels."""
    lines: list[Line] = []
    grouped = data.grouped
    for gi, group in enumerate(data.groups):
        if grouped:
            lines.append(Line("header", group.label or "Other", gi))
        for i in group.studies:
            lines += _study_lines(data, i, wrap)
        if grouped and group.subtotal is not None:
            lines.append(Line("subtotal", index=gi))
            lines += [Line("note", t) for t in group.subtotal_lines]
        if grouped:
            lines.append(Line("blank"))
    if data.overall is not None:
        lines.append(Line("total"))
        if math.isfinite(data.overall.pi_lb):
            lines.append(Line("pi"))
    return lines


def fmt(x: float, digits: int) -> str:
    """Fixed decimals with a true minus sign; empty for a missing value."""
    if not math.isfinite(x):
        return ""
    text = f"{x:.{digits}f}"
    if float(text) == 0.0:
        text = text.lstrip("-")
    return text.replace("-", "\u2212")


def _effect(est: float, lb: float, ub: float, digits: int, log_scale: bool = False) -> str:
    """``est [lb, ub]``; on a log scale the ratios (``exp``)."""
    if log_scale:
        est, lb, ub = (shown(x, True) for x in (est, lb, ub))
    return format_estimate_ci(est, lb, ub, digits).replace("-", "\u2212")


def _sum(values: list[float]) -> str:
    finite = [v for v in values if math.isfinite(v)]
    return fmt(float(np.sum(finite)), 0) if finite else ""


def cells(data: ForestData, line: Line) -> dict[str, str]:
    """Text of each column for one line (columns absent from the dict stay empty)."""
    dg = data.effect_digits
    if line.kind == "study":
        s = data.studies[line.index]
        sd = data.stat_digits
        return {
            "m1": fmt(s.m1, sd), "sd1": fmt(s.sd1, sd), "n1": fmt(s.n1, 0),
            "m2": fmt(s.m2, sd), "sd2": fmt(s.sd2, sd), "n2": fmt(s.n2, 0),
            "events1": fmt(s.events1, 0), "events2": fmt(s.events2, 0),
            "weight": "" if math.isnan(s.weight_percent) else f"{s.weight_percent:.1f}%",
            "effect": _effect(s.yi, s.ci_lb, s.ci_ub, dg, data.log_scale),
        }  # fmt: skip
    if line.kind in ("subtotal", "total"):
        if line.kind == "subtotal":
            group = data.groups[line.index]
            idx, ci = group.studies, group.subtotal
        else:
            r = data.overall
            idx = tuple(range(len(data.studies)))
            ci = None if r is None else (r.estimate, r.ci_lb, r.ci_ub)
        ws = [data.studies[i].weight_percent for i in idx]
        out = {
            "n1": _sum([data.studies[i].n1 for i in idx]),
            "n2": _sum([data.studies[i].n2 for i in idx]),
            "events1": _sum([data.studies[i].events1 for i in idx]),
            "events2": _sum([data.studies[i].events2 for i in idx]),
            "weight": "" if any(math.isnan(w) for w in ws) else f"{sum(ws):.1f}%",
        }
        if ci is not None:
            out["effect"] = _effect(*ci, dg, data.log_scale)
        return out
    if line.kind == "pi" and data.overall is not None:
        r = data.overall
        lo, hi = shown(r.pi_lb, data.log_scale), shown(r.pi_ub, data.log_scale)
        return {"effect": f"[{fmt(lo, dg)}, {fmt(hi, dg)}]"}
    return {}
