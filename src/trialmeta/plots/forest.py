"""RevMan 5-style forest plot, drawn from a :class:`~trialmeta.plots.forest_data.ForestData`.

Columns: study | intervention mean, SD, total | control mean, SD, total | weight
| estimate [CI] | graph | one risk-of-bias column per domain. Where things go is
:mod:`~trialmeta.plots.forest_layout`; the footer (statistics, footnotes, keys) is
:mod:`~trialmeta.plots.forest_footer`; this module draws the rows. Squares have
area proportional to weight (Lewis & Clarke 2001, BMJ 322:1479); diamonds span
the pooled CI; CIs beyond the axis end in arrows. All text is plain (no
mathtext), so a ``$`` in a label prints as itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Polygon

from trialmeta.plots._style import (
    ACCENT,
    INK,
    MUTED,
    fit_text,
    new_figure,
    styled,
    text_width_in,
    wrap_text,
)
from trialmeta.plots.forest_binary import ratio_ticks
from trialmeta.plots.forest_cells import Line, cells, fmt, forest_lines
from trialmeta.plots.forest_data import ForestData
from trialmeta.plots.forest_footer import (
    Footer,
    cell_mark,
    draw_footer,
    footer_height,
    footer_text,
    footnote_symbols,
    row_mark,
)
from trialmeta.plots.forest_layout import (
    AXIS_BAND_IN,
    HEAD2,
    MARGIN_IN,
    MIN_TEXT_PT,
    NOTE_PT,
    ROB_RADIUS_IN,
    ROW_IN,
    STUDY_MAX_IN,
    TEXT_PT,
    ForestLayout,
    forest_layout,
    x_limits,
)
from trialmeta.plots.forest_marks import rob_dot, whisker

__all__ = ["describe_axis", "forest_plot", "forest_plot_pages", "rows_per_page"]

MAX_SIDE_PT = 9.0  # side of the heaviest study's square
MIN_SIDE_PT = 2.5
MCID_COLOUR = "#b35806"


class _Canvas:
    """The figure-wide axes in inches (origin top left) and its text helper."""

    def __init__(self, fig: Figure, width: float, height: float) -> None:
        self.ax = fig.add_axes((0, 0, 1, 1))
        self.ax.set_xlim(0, width)
        self.ax.set_ylim(height, 0)
        self.ax.axis("off")

    def put(self, x: float, y: float, text: str, ha: str = "left", size: float = TEXT_PT,
            **kw: Any) -> None:  # fmt: skip
        self.ax.text(x, y, text, ha=ha, va="center", fontsize=size, parse_math=False, **kw)

    def sup(self, x: float, y: float, text: str) -> None:
        """A footnote letter, raised, after the text ending at ``x``."""
        if text:
            self.put(x + 0.01, y - 0.035, text, size=MIN_TEXT_PT, color=MUTED)


def _mark_width(data: ForestData, symbols: dict[str, str]) -> tuple[float, float]:
    cell = [cell_mark(symbols, s, f) for s in data.studies for f in data.arm_fields]
    row = [row_mark(symbols, s) for s in data.studies]

    def width(marks: list[str]) -> float:  # noqa: E306
        return max((text_width_in(m, MIN_TEXT_PT) + 0.02 for m in marks if m), default=0.0)

    return width(cell), width(row)


def _headers(c: _Canvas, data: ForestData, lay: ForestLayout) -> None:
    y1, y2 = lay.header_y
    if data.has_arm_stats:
        arm, half = data.arm_fields, len(data.arm_fields) // 2
        for who, a, b in (
            (data.intervention, arm[0], arm[half - 1]),
            (data.control, arm[half], arm[-1]),
        ):
            x0, x1 = lay.group_span(a, b)
            c.put((x0 + x1) / 2, y1, who, ha="center", weight="bold", gid="group-head")
            c.ax.plot([x0, x1], [y1 + 0.5 * ROW_IN - 0.02] * 2, color=INK, lw=0.5)
    eff_centre = lay.right["effect"] - lay.widths["effect"] / 2
    c.put(eff_centre, y1, data.measure_label, ha="center", weight="bold", gid="group-head")
    c.put(eff_centre, y2, data.model_label, ha="center", weight="bold")
    mid = (lay.plot_x0 + lay.plot_x1) / 2
    c.put(mid, y1, data.measure_label, ha="center", weight="bold", gid="group-head")
    c.put(mid, y2, data.model_label, ha="center", weight="bold")
    c.put(lay.study_x, y2, "Study or Subgroup", weight="bold")
    for k in lay.keys:
        if k in HEAD2:
            c.put(lay.right[k] - (lay.sup_w if k in data.arm_fields else 0), y2, HEAD2[k],
                  ha="right", weight="bold")  # fmt: skip
    if data.has_rob:
        centre = (lay.rob_centres[0] + lay.rob_centres[-1]) / 2
        c.put(centre, y1, "Risk of Bias", ha="center", weight="bold", gid="group-head")
        for x, code in zip(lay.rob_centres, data.rob_labels, strict=True):
            c.put(x, y2, code, ha="center", size=MIN_TEXT_PT, weight="bold")
    c.ax.plot([MARGIN_IN, lay.width - MARGIN_IN], [MARGIN_IN + 2 * ROW_IN + 0.02] * 2,
              color=INK, lw=0.6)  # fmt: skip


def _graph(fig: Figure, data: ForestData, lay: ForestLayout, top: float, bottom: float,
           height: float) -> Axes:  # fmt: skip
    box = (lay.plot_x0 / lay.width, 1 - bottom / height,
           (lay.plot_x1 - lay.plot_x0) / lay.width, (bottom - top) / height)  # fmt: skip
    ax = fig.add_axes(box)
    lo, hi = lay.xlim
    ax.set_xlim(lo, hi)
    ax.set_ylim(bottom, top)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.set_yticks([])
    if data.log_scale:  # a log axis: ticks at round ratios, labelled as ratios
        ax.set_xticks(ratio_ticks(hi))
        ax.xaxis.set_major_formatter(lambda v, _: f"{math.exp(v):.3g}")
    else:
        ax.set_xticks(np.linspace(lo, hi, 5))
        ax.xaxis.set_major_formatter(lambda v, _: f"{v:g}".replace("-", "\u2212"))
    ax.tick_params(axis="x", length=3, width=0.6, pad=2, labelsize=MIN_TEXT_PT)
    ax.patch.set_alpha(0)
    if lo < 0 < hi:
        ax.axvline(0, color=INK, lw=0.6, zorder=1)
    for m in data.mcid:
        if lo <= m <= hi:
            ax.axvline(m, color=MCID_COLOUR, lw=0.8, ls=(0, (4, 3)), zorder=1, gid="mcid")
            ax.text(m, top, "MCID", ha="center", va="bottom", fontsize=MIN_TEXT_PT,
                    color=MCID_COLOUR, clip_on=False, parse_math=False)  # fmt: skip
    return ax


def _cells_row(c: _Canvas, data: ForestData, lay: ForestLayout, line: Line, y: float,
               symbols: dict[str, str]) -> None:  # fmt: skip
    bold = "bold" if line.kind in ("subtotal", "total") else "normal"
    for k, txt in cells(data, line).items():
        if k not in lay.right:
            continue
        xr = lay.right[k] - (lay.sup_w if k in data.arm_fields else 0)
        c.put(xr, y, txt, ha="right", weight=bold)
        if k in data.arm_fields and line.kind == "study" and txt:
            c.sup(xr, y, cell_mark(symbols, data.studies[line.index], k))


def _label(c: _Canvas, lay: ForestLayout, x: float, y: float, text: str, mark: str) -> None:
    """A study label (or its continuation) ending in the row's footnote letters."""
    room = lay.study_x + lay.study_w - x - (text_width_in(mark, MIN_TEXT_PT) + 0.02 if mark else 0)
    label = fit_text(text, room, TEXT_PT)
    c.put(x, y, label, gid="study-label")
    c.sup(x + text_width_in(label, TEXT_PT), y, mark)


def _study_row(c: _Canvas, ax: Axes, data: ForestData, lay: ForestLayout, line: Line,
               y: float, symbols: dict[str, str], w_max: float, wrapped: bool) -> None:  # fmt: skip
    s = data.studies[line.index]
    _label(c, lay, lay.study_x, y, line.text, "" if wrapped else row_mark(symbols, s))
    lo, hi = lay.xlim
    whisker(ax, s.ci_lb, s.ci_ub, y, lo, hi)
    if lo <= s.yi <= hi:
        w = s.weight_percent if math.isfinite(s.weight_percent) else w_max / 2
        side = max(MAX_SIDE_PT * math.sqrt(max(w, 0.0) / w_max), MIN_SIDE_PT)
        ax.scatter([s.yi], [y], s=side**2, marker="s", color=ACCENT, lw=0, zorder=3)
    for x, judgement in zip(lay.rob_centres, s.rob, strict=False):
        rob_dot(c.ax, x, y, judgement, radius=ROB_RADIUS_IN, size=MIN_TEXT_PT)


def _diamond(ax: Axes, ci: tuple[float, float, float], y: float, xlim: tuple[float, float]) -> None:
    est, lb, ub = ci
    if not all(map(math.isfinite, ci)):
        return
    lo, hi = xlim
    h = 0.34 * ROW_IN
    pts = [(max(lb, lo), y), (est, y - h), (min(ub, hi), y), (est, y + h)]
    ax.add_patch(Polygon(pts, closed=True, color=INK, lw=0, zorder=3, gid="diamond"))
    whisker(ax, lb, ub, y, lo, hi, lw=0.0)  # arrows only, where the CI runs off the axis


def _row(c: _Canvas, ax: Axes, data: ForestData, lay: ForestLayout, line: Line, y: float,
         symbols: dict[str, str], w_max: float, wrapped: set[int]) -> None:  # fmt: skip
    level = f"{100 * data.level:g}% CI"
    if line.kind == "header":
        c.put(lay.study_x, y, fit_text(line.text, lay.plot_x0 - MARGIN_IN - 0.1, TEXT_PT, "bold"),
              weight="bold", gid="subgroup-head")  # fmt: skip
    elif line.kind == "note":
        c.put(lay.study_x + 0.02, y, line.text, size=NOTE_PT, color=MUTED)
    elif line.kind == "study":
        _study_row(c, ax, data, lay, line, y, symbols, w_max, line.index in wrapped)
    elif line.kind == "cont":
        _label(c, lay, lay.study_x + 0.1, y, line.text,
               row_mark(symbols, data.studies[line.index]))  # fmt: skip
    elif line.kind == "subtotal":
        c.put(lay.study_x, y, f"Subtotal ({level})", weight="bold")
        ci = data.groups[line.index].subtotal
        if ci is not None:
            _diamond(ax, ci, y, lay.xlim)
    elif line.kind == "total" and data.overall is not None:
        r = data.overall
        c.put(lay.study_x, y, f"Total ({level})", weight="bold")
        _diamond(ax, (r.estimate, r.ci_lb, r.ci_ub), y, lay.xlim)
    elif line.kind == "pi" and data.overall is not None:
        c.put(lay.study_x, y, "Prediction interval")
        r = data.overall
        whisker(ax, r.pi_lb, r.pi_ub, y, *lay.xlim, lw=2.4, color=MUTED, caps=True)
    _cells_row(c, data, lay, line, y, symbols)


def _favours(c: _Canvas, data: ForestData, lay: ForestLayout, y: float) -> None:
    lo, hi = lay.xlim
    zero = (0 - lo) / (hi - lo) if lo < 0 < hi else 0.5
    plot_w = lay.plot_x1 - lay.plot_x0
    half_w = plot_w * min(zero, 1 - zero) * 2 - 0.05
    size = MIN_TEXT_PT
    for text, at in ((data.favours_left, zero / 2), (data.favours_right, (1 + zero) / 2)):
        c.put(lay.plot_x0 + plot_w * at, y, fit_text(text, half_w, size), ha="center", size=size)


def _draw(data: ForestData, lay: ForestLayout, lines: list[Line], symbols: dict[str, str],
          footer: Footer | None) -> Figure:  # fmt: skip
    body_bottom = lay.body_bottom(len(lines))
    below = footer_height(footer, lay, AXIS_BAND_IN) if footer else AXIS_BAND_IN + 0.2
    height = body_bottom + below + MARGIN_IN
    fig = new_figure(lay.width, height)
    c = _Canvas(fig, lay.width, height)
    _headers(c, data, lay)
    ax = _graph(fig, data, lay, lay.body_top, body_bottom, height)
    weights = [s.weight_percent for s in data.studies if math.isfinite(s.weight_percent)]
    w_max = max(weights, default=1.0) or 1.0
    wrapped = {ln.index for ln in lines if ln.kind == "cont"}
    for row, line in enumerate(lines):
        _row(c, ax, data, lay, line, lay.row_y(row), symbols, w_max, wrapped)
    _favours(c, data, lay, body_bottom + 0.36)
    if footer is not None:
        draw_footer(c.ax, lay, footer, body_bottom, AXIS_BAND_IN)
    else:
        c.put(MARGIN_IN, body_bottom + AXIS_BAND_IN + 0.08, "(continued on the next page)",
              size=NOTE_PT, color=MUTED, style="italic")  # fmt: skip
    return fig


def _wrapper(label_sup_w: float) -> Callable[[str], list[str]]:
    """Split a study label over at most two rows (the second ends in an ellipsis if need be)."""

    def wrap(label: str) -> list[str]:
        if text_width_in(label, TEXT_PT) + label_sup_w <= STUDY_MAX_IN:
            return [label]
        head = wrap_text(label, STUDY_MAX_IN - label_sup_w, TEXT_PT)
        return head[:1] + ([" ".join(head[1:])] if len(head) > 1 else [])

    return wrap


def _prepare(data: ForestData) -> tuple[list[Line], dict[str, str], ForestLayout, Footer]:
    symbols = footnote_symbols(data)
    sup_w, label_sup_w = _mark_width(data, symbols)
    lines = forest_lines(data, _wrapper(label_sup_w))
    lay = forest_layout(data, lines, sup_w, label_sup_w)
    return lines, symbols, lay, footer_text(data, symbols)


@styled
def forest_plot(data: ForestData) -> Figure:
    """Draw a RevMan 5-style forest plot on one figure.

    CI arrows carry the gid ``ci-arrow``, pooled diamonds ``diamond``, column
    group heads ``group-head`` (tests read them). Save it with
    :func:`~trialmeta.plots.save_figure`.
    """
    lines, symbols, lay, footer = _prepare(data)
    return _draw(data, lay, lines, symbols, footer)


def rows_per_page(data: ForestData, page_height_in: float, with_footer: bool = True) -> int:
    """The most body rows one page of :func:`forest_plot_pages` holds within
    ``page_height_in`` (room for the heads, the axis and, if asked, the footer); >= 1."""
    _, _, lay, footer = _prepare(data)
    below = footer_height(footer, lay, AXIS_BAND_IN) if with_footer else AXIS_BAND_IN + 0.2
    return max(1, int((page_height_in - lay.body_top - 0.04 - below - MARGIN_IN) // ROW_IN))


def _cut(lines: list[Line], at: int, step: int = -1) -> int:
    """Move a page break (up, or down with ``step=1``) so a label's continuation row
    stays with its study row."""
    return at + step if 0 < at < len(lines) and lines[at].kind == "cont" else at


def _chunks(lines: list[Line], max_rows: int, last_rows: int) -> list[list[Line]]:
    chunks: list[list[Line]] = []
    rest = lines
    while len(rest) > max_rows:
        at = _cut(rest, max_rows)
        chunks.append(rest[:at])
        rest = rest[at:]
    if len(rest) > last_rows:  # the footer needs room: the tail gets its own page
        at = _cut(rest, len(rest) - last_rows, step=1)
        chunks.append(rest[:at])
        rest = rest[at:]
    return [*chunks, rest]


@styled
def forest_plot_pages(data: ForestData, max_rows: int = 40,
                      page_height_in: float | None = None) -> list[Figure]:  # fmt: skip
    """The same plot split into pages, for print.

    Every page repeats the column heads and the axis and uses the same columns;
    the footer is on the last page. With ``page_height_in`` (A4 landscape less
    margins: 180 mm = 7.09 in) the rows per page follow from the height, so every
    page prints at its own size (text stays >= 7 pt); else at most ``max_rows``.
    """
    if max_rows < 1:
        raise ValueError(f"max_rows: got {max_rows}, expected an integer >= 1")
    lines, symbols, lay, footer = _prepare(data)
    last = max_rows
    if page_height_in is not None:
        max_rows = rows_per_page(data, page_height_in, with_footer=False)
        last = rows_per_page(data, page_height_in, with_footer=True)
    chunks = _chunks(lines, max_rows, last)
    return [_draw(data, lay, chunk, symbols, footer if i == len(chunks) - 1 else None)
            for i, chunk in enumerate(chunks)]  # fmt: skip


def describe_axis(data: ForestData) -> str:
    """The axis range as printed, e.g. ``−100 to 100`` (for captions)."""
    lo, hi = x_limits(data)
    if data.log_scale:
        return f"{math.exp(lo):.3g} to {math.exp(hi):.3g} (log scale)"
    return f"{fmt(lo, 0)} to {fmt(hi, 0)}"
