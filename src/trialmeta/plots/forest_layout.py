"""Where everything in a forest plot goes: named sizes, column widths and row positions.

All lengths are inches on a canvas whose origin is the top-left corner. Column
widths come from the measured text (DejaVu Sans), so columns align for any
labels; a column group header ("Acupuncture", "Usual care or no treatment")
widens its three columns when it is wider than they are, so headers never
collide. The smallest text is :data:`MIN_TEXT_PT` (7 pt), so a plot printed at
its natural size (at most :data:`MAX_WIDTH_IN` wide: A4 landscape less 15 mm
margins) stays legible.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from trialmeta.plots._style import text_width_in
from trialmeta.plots.forest_binary import BINARY_HEAD2, ratio_limit
from trialmeta.plots.forest_cells import Line, cells
from trialmeta.plots.forest_data import ForestData
from trialmeta.plots.forest_marks import nice_limit

__all__ = [
    "ForestLayout",
    "AXIS_BAND_IN",
    "HEAD2",
    "MARGIN_IN",
    "MAX_WIDTH_IN",
    "NOTE_LINE_IN",
    "MIN_TEXT_PT",
    "NOTE_PT",
    "ROB_RADIUS_IN",
    "ROW_IN",
    "STUDY_MAX_IN",
    "TEXT_PT",
    "forest_layout",
    "x_limits",
]

ROW_IN = 0.17  # height of one row
TEXT_PT = 7.0  # table text
NOTE_PT = 7.0  # heterogeneity / test lines and footnotes
MIN_TEXT_PT = 7.0  # nothing in the plot is smaller (superscripts, RoB glyphs, ticks)
PAD_IN = 0.07  # space between columns
MARGIN_IN = 0.15  # around the figure
PLOT_W_IN = 2.0  # the graph column
STUDY_MAX_IN = 2.2  # longest study label before it ends in an ellipsis
ROB_CELL_IN = 0.155  # one risk-of-bias domain column
ROB_RADIUS_IN = 0.062  # radius of a risk-of-bias dot
NOTE_LINE_IN = 0.145  # one footer line
AXIS_BAND_IN = 0.55  # tick labels and favours labels under the graph
HEADER_IN = 2 * ROW_IN  # two header rows (group heads, column heads)
MAX_WIDTH_IN = 10.5  # A4 landscape (297 mm) less two 15 mm margins

HEAD2: dict[str, str] = {
    "m1": "Mean", "sd1": "SD", "n1": "Total", "m2": "Mean", "sd2": "SD", "n2": "Total",
    "weight": "Weight", **BINARY_HEAD2,
}  # fmt: skip


@dataclass(frozen=True)
class ForestLayout:
    """Column positions (right edges of the numeric columns) and vertical anchors."""

    keys: tuple[str, ...]
    widths: dict[str, float]
    right: dict[str, float]
    study_x: float
    study_w: float
    plot_x0: float
    plot_x1: float
    rob_centres: tuple[float, ...]
    rob_w: float
    width: float
    sup_w: float  # room kept right of arm cells for footnote letters
    xlim: tuple[float, float]
    body_top: float

    @property
    def header_y(self) -> tuple[float, float]:
        """Centres of the two header rows."""
        return MARGIN_IN + 0.5 * ROW_IN, MARGIN_IN + 1.5 * ROW_IN

    def row_y(self, row: int) -> float:
        """Centre of body row ``row`` (0-based)."""
        return self.body_top + ROW_IN * (row + 0.5)

    def body_bottom(self, n_rows: int) -> float:
        return self.body_top + ROW_IN * n_rows + 0.04

    def group_span(self, first: str, last: str) -> tuple[float, float]:
        """Left and right x of a column group (e.g. ``m1`` .. ``n1``)."""
        return self.right[first] - self.widths[first], self.right[last]


def x_limits(data: ForestData) -> tuple[float, float]:
    """The axis: ``data.xlim``, else symmetric around 0 covering every interval drawn,
    capped at the span of the outcome scale when it is known (CIs beyond end in arrows)."""
    if data.xlim is not None:
        return data.xlim
    vals = [v for s in data.studies for v in (s.ci_lb, s.ci_ub)]
    vals += [v for g in data.groups if g.subtotal is not None for v in g.subtotal]
    if data.overall is not None:
        r = data.overall
        vals += [r.ci_lb, r.ci_ub, r.pi_lb, r.pi_ub]
    vals += list(data.mcid)
    widest = max((abs(v) for v in vals if math.isfinite(v)), default=1.0)
    if data.log_scale:  # a log axis ends at round ratios (0.5-2, 0.2-5, 0.1-10, ...)
        lim = ratio_limit(widest)
        return (-lim, lim)
    lim = nice_limit(widest)
    if data.scale_span is not None and math.isfinite(data.scale_span) and data.scale_span > 0:
        lim = min(lim, nice_limit(data.scale_span))
    return (-lim, lim)


def _column_widths(data: ForestData, lines: list[Line], keys: list[str],
                   sup_w: float) -> dict[str, float]:  # fmt: skip
    heads = {**HEAD2, "effect": data.model_label}
    widths = {k: text_width_in(heads[k], TEXT_PT, "bold") for k in keys}
    for line in lines:
        bold = "bold" if line.kind in ("subtotal", "total") else "normal"
        for k, txt in cells(data, line).items():
            if k in widths:
                widths[k] = max(widths[k], text_width_in(txt, TEXT_PT, bold))
    arm = data.arm_fields
    for k in keys:
        if k in arm:
            widths[k] += sup_w
    if "effect" in widths:
        widths["effect"] = max(widths["effect"],
                               text_width_in(data.measure_label, TEXT_PT, "bold"))  # fmt: skip
    half = len(arm) // 2
    for who, trio in ((data.intervention, arm[:half]), (data.control, arm[half:])):
        if trio[0] not in widths:
            continue
        need = text_width_in(who, TEXT_PT, "bold") + 0.06
        span = sum(widths[k] for k in trio) + 2 * PAD_IN
        for k in trio:  # a wide group head widens its columns, so heads never meet
            widths[k] += max(0.0, need - span) / len(trio)
    return widths


def forest_layout(data: ForestData, lines: list[Line], sup_w: float,
                  label_sup_w: float) -> ForestLayout:  # fmt: skip
    """Measure every cell of ``lines`` and place the columns.

    ``sup_w`` / ``label_sup_w``: widths of the footnote letters that follow arm
    cells and study labels (0 when none).
    """
    keys = list(data.arm_fields) if data.has_arm_stats else []
    has_weights = any(math.isfinite(s.weight_percent) for s in data.studies)
    keys += ["weight", "effect"] if has_weights else ["effect"]
    widths = _column_widths(data, lines, keys, sup_w)
    name_w = max([text_width_in(ln.text, TEXT_PT) + (label_sup_w if ln.kind == "study" else 0.1)
                  for ln in lines if ln.kind in ("study", "cont")] + [1.0])  # fmt: skip
    study_w = min(max(name_w, text_width_in("Study or Subgroup", TEXT_PT, "bold")), STUDY_MAX_IN)
    x = MARGIN_IN + study_w
    right: dict[str, float] = {}
    for k in keys:
        x += PAD_IN + widths[k]
        right[k] = x
    plot_x0 = x + PAD_IN + 0.04
    plot_x1 = plot_x0 + PLOT_W_IN
    cols = [max(ROB_CELL_IN, text_width_in(c, MIN_TEXT_PT, "bold") + 0.05)
            for c in data.rob_labels]  # fmt: skip
    rob_w = 0.0
    if data.has_rob:
        rob_w = max(sum(cols), text_width_in("Risk of Bias", TEXT_PT, "bold")) + PAD_IN
    x = plot_x1 + PAD_IN + (rob_w - PAD_IN - sum(cols)) / 2
    centres = []
    for w in cols:
        centres.append(x + w / 2)
        x += w
    width = plot_x1 + rob_w + MARGIN_IN
    body_top = MARGIN_IN + HEADER_IN + 0.08 + (0.14 if data.mcid else 0.0)
    return ForestLayout(
        keys=tuple(keys), widths=widths, right=right, study_x=MARGIN_IN, study_w=study_w,
        plot_x0=plot_x0, plot_x1=plot_x1, rob_centres=tuple(centres), rob_w=rob_w,
        width=width, sup_w=sup_w, xlim=x_limits(data), body_top=body_top,
    )  # fmt: skip
