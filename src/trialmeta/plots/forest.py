"""RevMan 5-style forest plot, drawn from a :class:`~trialmeta.plots.forest_data.ForestData`.

Layout: study | intervention mean, SD, total | control mean, SD, total | weight
| estimate [CI] | plot | risk-of-bias dots. Column widths come from the
measured text, so columns align for any labels; long study names end in an
ellipsis; the figure grows by one fixed row height per row (2 to 60+ studies).
Squares have area proportional to weight (Lewis & Clarke 2001, BMJ 322:1479).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Polygon

from trialmeta.plots._style import ACCENT, INK, MUTED, fit_text, new_figure, text_width_in
from trialmeta.plots.forest_data import ARM_FIELDS, ForestData
from trialmeta.plots.forest_marks import nice_limit, rob_dot, whisker
from trialmeta.plots.revman_text import (
    format_estimate_ci,
    heterogeneity_text,
    overall_effect_text,
    subgroup_test_text,
)
from trialmeta.plots.rob import JUDGEMENTS

__all__ = ["forest_plot"]

ROW = 0.20  # inches per row
FS = 7.5  # table text size (pt)
FS_NOTE = 6.8  # heterogeneity / test lines
PAD = 0.12  # space between columns (in)
MARGIN = 0.15
PLOT_W = 2.6
STUDY_MAX = 2.4
MAX_SIDE_PT = 9.0
DAGGER = "†"


@dataclass
class _Line:
    kind: str  # header | study | subtotal | total | pi | note | blank
    text: str = ""
    index: int = -1  # study index or group index


def _xlim(data: ForestData) -> tuple[float, float]:
    if data.xlim is not None:
        return data.xlim
    vals = [v for s in data.studies for v in (s.ci_lb, s.ci_ub)]
    for g in data.groups:
        if g.result is not None:
            vals += [g.result.ci_lb, g.result.ci_ub]
    if data.overall is not None:
        r = data.overall
        vals += [r.ci_lb, r.ci_ub, r.pi_lb, r.pi_ub]
    vals += list(data.mcid)
    finite = [abs(v) for v in vals if math.isfinite(v)]
    lim = nice_limit(max(finite, default=1.0))
    return (-lim, lim)


def _lines(data: ForestData) -> list[_Line]:
    lines: list[_Line] = []
    grouped = any(g.label is not None for g in data.groups)
    for gi, group in enumerate(data.groups):
        if grouped:
            lines.append(_Line("header", group.label or "Other", gi))
        lines += [_Line("study", index=i) for i in group.studies]
        if group.result is not None and grouped:
            lines.append(_Line("subtotal", index=gi))
            lines.append(_Line("note", heterogeneity_text(group.result)))
            lines.append(_Line("note", overall_effect_text(group.result)))
        if grouped:
            lines.append(_Line("blank"))
    if data.overall is not None:
        lines.append(_Line("total"))
        if math.isfinite(data.overall.pi_lb):
            lines.append(_Line("pi"))
    return lines


def _fmt(x: float, digits: int) -> str:
    if not math.isfinite(x):
        return ""
    return f"{x:.{digits}f}"


def _cells(data: ForestData, line: _Line) -> dict[str, str]:
    """Text of each column for one line (columns absent from the dict stay empty)."""
    dg = data.effect_digits
    if line.kind == "study":
        s = data.studies[line.index]
        cells = {
            "m1": _fmt(s.m1, data.stat_digits),
            "sd1": _fmt(s.sd1, data.stat_digits),
            "n1": _fmt(s.n1, 0),
            "m2": _fmt(s.m2, data.stat_digits),
            "sd2": _fmt(s.sd2, data.stat_digits),
            "n2": _fmt(s.n2, 0),
            "weight": "" if math.isnan(s.weight_percent) else f"{s.weight_percent:.1f}%",
            "effect": format_estimate_ci(s.yi, s.ci_lb, s.ci_ub, dg),
        }
        return cells
    if line.kind in ("subtotal", "total"):
        if line.kind == "subtotal":
            group = data.groups[line.index]
            idx, res = group.studies, group.result
        else:
            idx, res = tuple(range(len(data.studies))), data.overall
        ws = [data.studies[i].weight_percent for i in idx]
        n1 = [data.studies[i].n1 for i in idx]
        n2 = [data.studies[i].n2 for i in idx]
        assert res is not None  # lines are only built for fitted groups
        return {
            "n1": _fmt(float(np.sum(n1)), 0),
            "n2": _fmt(float(np.sum(n2)), 0),
            "weight": "" if any(math.isnan(w) for w in ws) else f"{sum(ws):.1f}%",
            "effect": format_estimate_ci(res.estimate, res.ci_lb, res.ci_ub, dg),
        }
    if line.kind == "pi":
        r = data.overall
        assert r is not None
        return {"effect": f"[{_fmt(r.pi_lb, dg)}, {_fmt(r.pi_ub, dg)}]"}
    return {}


def forest_plot(data: ForestData) -> Figure:
    """Draw a RevMan 5-style forest plot.

    Parameters
    ----------
    data
        Built by :func:`~trialmeta.plots.forest_data.forest_data`.

    Returns
    -------
    matplotlib.figure.Figure
        Save it with :func:`~trialmeta.plots.save_figure`. CI arrows carry the
        gid ``ci-arrow``; the pooled diamonds ``diamond``.
    """
    lines = _lines(data)
    arms = data.has_arm_stats
    dagger_w = text_width_in(DAGGER, FS) if data.has_derived else 0.0

    # ---- column widths from measured content
    has_weights = any(math.isfinite(s.weight_percent) for s in data.studies)
    keys = ["m1", "sd1", "n1", "m2", "sd2", "n2"] if arms else []
    keys += ["weight", "effect"] if has_weights else ["effect"]
    head2 = {
        "m1": "Mean",
        "sd1": "SD",
        "n1": "Total",
        "m2": "Mean",
        "sd2": "SD",
        "n2": "Total",
        "weight": "Weight",
        "effect": data.model_label,
    }
    widths = {k: text_width_in(head2[k], FS, "bold") for k in keys}
    for line in lines:
        bold = "bold" if line.kind in ("subtotal", "total") else "normal"
        for k, txt in _cells(data, line).items():
            if k in widths:
                widths[k] = max(widths[k], text_width_in(txt, FS, bold))
    for k in keys:
        if k in ARM_FIELDS:
            widths[k] += dagger_w
    name_w = max([text_width_in(s.label, FS) for s in data.studies] + [1.0])
    study_w = min(max(name_w, text_width_in("Study or Subgroup", FS, "bold")), STUDY_MAX)
    note_w = max([text_width_in(ln.text, FS_NOTE) for ln in lines if ln.kind == "note"] + [0.0])
    table_w = sum(widths.values()) + PAD * len(keys)
    study_w = max(study_w, note_w - table_w + 0.05)
    rob_w = 0.0
    if data.has_rob:
        rob_w = max(0.17 * len(data.rob_labels), text_width_in("Risk of Bias", FS, "bold")) + PAD

    x = MARGIN
    left: dict[str, float] = {"study": x}
    x += study_w
    right: dict[str, float] = {}
    for k in keys:
        x += PAD + widths[k]
        right[k] = x
    plot_x0 = x + PAD + 0.1
    plot_x1 = plot_x0 + PLOT_W
    width = plot_x1 + rob_w + MARGIN + 0.05

    footer = []
    if data.overall is not None:
        footer += [heterogeneity_text(data.overall), overall_effect_text(data.overall)]
    if data.subgroup_test is not None:
        footer.append(subgroup_test_text(data.subgroup_test))
    notes = []
    if data.has_derived:
        notes.append(f"{DAGGER} Value derived by conversion (see the effect-size table).")
    if data.has_rob:
        used = {j for st in data.studies for j in st.rob}
        key = ", ".join(
            f"{sym} {lab.lower()}" for j, (_, sym, lab) in JUDGEMENTS.items() if j in used
        )
        notes.append(f"Risk of bias: {key}.")
    if data.overall is not None and data.overall.method != "FE":
        test = "Hartung-Knapp-Sidik-Jonkman" if data.overall.test == "knha" else "Wald-type (z)"
        notes.append(f"Random effects: {data.overall.method} estimator of Tau²; {test} CI.")
    footer_w = max([text_width_in(t, FS_NOTE) for t in footer] + [0.0])
    footer_beside = footer_w < plot_x0 - MARGIN - 0.1

    top = MARGIN + 2 * ROW
    body_top = top + 0.06 + (0.12 if data.mcid else 0.0)
    body_bottom = body_top + ROW * len(lines) + 0.04
    axis_band = 0.55
    # footer lines sit beside the axis when they fit, else below it; notes always below
    below = axis_band + 0.04
    footer_end = 0.12 + 0.17 * len(footer) if footer_beside else below + 0.17 * len(footer)
    height = body_bottom + max(footer_end, below) + 0.17 * len(notes) + MARGIN - 0.08

    fig = new_figure(width, height)
    canvas = fig.add_axes((0, 0, 1, 1))
    canvas.set_xlim(0, width)
    canvas.set_ylim(height, 0)
    canvas.axis("off")

    def put(xx: float, yy: float, txt: str, ha: str = "left", size: float = FS, **kw) -> None:
        canvas.text(xx, yy, txt, ha=ha, va="center", fontsize=size, **kw)

    # ---- headers
    y1, y2 = MARGIN + 0.5 * ROW, MARGIN + 1.5 * ROW
    if arms:
        for who, a, b in ((data.intervention, "m1", "n1"), (data.control, "m2", "n2")):
            x0 = right[a] - widths[a]
            put((x0 + right[b]) / 2, y1, who, ha="center", weight="bold")
            canvas.plot([x0, right[b]], [y1 + 0.5 * ROW - 0.02] * 2, color=INK, lw=0.5)
    put(right["effect"] - widths["effect"] / 2, y1, data.measure_label, ha="center", weight="bold")
    put((plot_x0 + plot_x1) / 2, y1, data.measure_label, ha="center", weight="bold")
    put((plot_x0 + plot_x1) / 2, y2, data.model_label, ha="center", weight="bold")
    put(left["study"], y2, "Study or Subgroup", weight="bold")
    for k in keys:
        xr = right[k] - (dagger_w if k in ARM_FIELDS else 0)
        put(xr, y2, head2[k], ha="right", weight="bold")
    rob_x0 = 0.0
    if data.has_rob:
        put(plot_x1 + PAD + rob_w / 2, y1, "Risk of Bias", ha="center", weight="bold")
        rob_x0 = plot_x1 + PAD + (rob_w - PAD - 0.17 * len(data.rob_labels)) / 2
        slot = 0.17 if len(data.rob_labels) > 1 else rob_w - PAD
        for j, lab in enumerate(data.rob_labels):
            put(
                rob_x0 + 0.17 * (j + 0.5),
                y2,
                fit_text(lab, slot, FS - 1.5, "bold"),
                ha="center",
                size=FS - 1.5,
                weight="bold",
            )
    canvas.plot([MARGIN, width - MARGIN], [top + 0.02] * 2, color=INK, lw=0.6)

    # ---- plot axes aligned with the canvas rows
    ax = fig.add_axes(
        (
            plot_x0 / width,
            1 - body_bottom / height,
            PLOT_W / width,
            (body_bottom - body_top) / height,
        )
    )
    lo, hi = _xlim(data)
    ax.set_xlim(lo, hi)
    ax.set_ylim(body_bottom, body_top)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.set_yticks([])
    ax.set_xticks(np.linspace(lo, hi, 5))
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:g}")
    ax.tick_params(axis="x", length=3, width=0.6, pad=2, labelsize=FS - 0.5)
    ax.patch.set_alpha(0)
    if lo < 0 < hi:
        ax.axvline(0, color=INK, lw=0.6, zorder=1)
    for m in data.mcid:
        ax.axvline(m, color="#b35806", lw=0.8, ls=(0, (4, 3)), zorder=1)
        ax.text(
            m,
            body_top,
            "MCID",
            ha="center",
            va="bottom",
            fontsize=FS - 1.5,
            color="#b35806",
            clip_on=False,
        )

    weights = [s.weight_percent for s in data.studies if math.isfinite(s.weight_percent)]
    w_max = max(weights, default=1.0) or 1.0
    diamond_h = 0.34 * ROW

    for row, line in enumerate(lines):
        y = body_top + ROW * (row + 0.5)
        cells = _cells(data, line)
        bold = "bold" if line.kind in ("subtotal", "total", "header") else "normal"
        if line.kind == "header":
            put(
                left["study"],
                y,
                fit_text(line.text, plot_x0 - MARGIN - 0.1, FS, "bold"),
                weight="bold",
            )
        elif line.kind == "note":
            put(left["study"] + 0.02, y, line.text, size=FS_NOTE, color=MUTED)
        elif line.kind == "study":
            s = data.studies[line.index]
            put(left["study"], y, fit_text(s.label, study_w, FS))
        elif line.kind in ("subtotal", "total"):
            label = "Subtotal" if line.kind == "subtotal" else "Total"
            put(left["study"], y, f"{label} ({100 * data.level:g}% CI)", weight="bold")
        elif line.kind == "pi":
            put(left["study"], y, "Prediction interval")
        for k, txt in cells.items():
            if k not in right:
                continue
            is_arm = k in ARM_FIELDS
            xr = right[k] - (dagger_w if is_arm else 0)
            put(xr, y, txt, ha="right", weight=bold)
            if is_arm and line.kind == "study" and k in data.studies[line.index].derived:
                put(xr + 0.01, y - 0.03, DAGGER, size=FS - 1.0, color=MUTED)
        # ---- marks
        if line.kind == "study":
            s = data.studies[line.index]
            whisker(ax, s.ci_lb, s.ci_ub, y, lo, hi)
            if lo <= s.yi <= hi:
                w = s.weight_percent if math.isfinite(s.weight_percent) else w_max / 2
                side = max(MAX_SIDE_PT * math.sqrt(max(w, 0.0) / w_max), 2.5)
                ax.scatter([s.yi], [y], s=side**2, marker="s", color=ACCENT, lw=0, zorder=3)
            if data.has_rob:
                for j, judgement in enumerate(s.rob):
                    rob_dot(canvas, rob_x0 + 0.17 * (j + 0.5), y, judgement)
        elif line.kind in ("subtotal", "total"):
            r = data.groups[line.index].result if line.kind == "subtotal" else data.overall
            assert r is not None
            if not all(math.isfinite(v) for v in (r.estimate, r.ci_lb, r.ci_ub)):
                continue
            pts = [
                (r.ci_lb, y),
                (r.estimate, y - diamond_h),
                (r.ci_ub, y),
                (r.estimate, y + diamond_h),
            ]
            ax.add_patch(Polygon(pts, closed=True, color=INK, lw=0, zorder=3, gid="diamond"))
        elif line.kind == "pi":
            r = data.overall
            assert r is not None
            whisker(ax, r.pi_lb, r.pi_ub, y, lo, hi, lw=2.4, color=MUTED, caps=True)

    # ---- favours labels, footer
    zero = (0 - lo) / (hi - lo) if lo < 0 < hi else 0.5
    fy = body_bottom + 0.36
    half_w = PLOT_W * min(zero, 1 - zero) * 2 - 0.05
    put(
        plot_x0 + PLOT_W * zero / 2,
        fy,
        fit_text(data.favours_left, half_w, FS - 0.5),
        ha="center",
        size=FS - 0.5,
    )
    put(
        plot_x0 + PLOT_W * (1 + zero) / 2,
        fy,
        fit_text(data.favours_right, half_w, FS - 0.5),
        ha="center",
        size=FS - 0.5,
    )
    fy0 = body_bottom + 0.12 if footer_beside else body_bottom + axis_band + 0.04
    for t in footer:
        put(MARGIN, fy0, t, size=FS_NOTE)
        fy0 += 0.17
    fy0 = max(fy0, body_bottom + axis_band + 0.04)
    for t in notes:
        put(MARGIN, fy0, t, size=FS_NOTE - 0.3, color=MUTED, style="italic")
        fy0 += 0.17
    return fig
