"""Marks shared by forest-style plots: axis limits, CI whiskers with arrows, RoB dots."""

from __future__ import annotations

import math

from matplotlib.axes import Axes
from matplotlib.patches import Circle

from trialmeta.plots._style import INK, MUTED
from trialmeta.plots.rob_domains import FOREST_SYMBOLS

__all__ = ["ROB_FILL", "nice_limit", "rob_dot", "whisker"]


def nice_limit(x: float) -> float:
    """Smallest of 1, 2, 2.5, 5 × 10^n that is >= ``x`` (axis half-width)."""
    if not math.isfinite(x) or x <= 0:
        return 1.0
    exp = math.floor(math.log10(x))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if m * 10**exp >= x * (1 - 1e-12):
            return float(m * 10**exp)
    return float(10.0 ** (exp + 1))


def whisker(
    ax: Axes,
    lb: float,
    ub: float,
    y: float,
    lo: float,
    hi: float,
    lw: float = 0.9,
    color: str = INK,
    caps: bool = False,
) -> None:
    """CI line clipped to the axis; an arrowhead marks each end that runs off it."""
    a, b = max(lb, lo), min(ub, hi)
    if b < lo or a > hi:  # entirely off the axis: one arrow on the near side
        a = b = lo if ub < lo else hi
    ax.plot([a, b], [y, y], color=color, lw=lw, solid_capstyle="butt", zorder=2)
    if caps:
        for end, off in ((lb, lb < lo), (ub, ub > hi)):
            if not off:
                ax.plot([end, end], [y - 0.05, y + 0.05], color=color, lw=0.8, zorder=2)
    if lb < lo:
        ax.plot(
            [lo], [y], marker="<", ms=4, color=color, lw=0, zorder=4, clip_on=False, gid="ci-arrow"
        )
    if ub > hi:
        ax.plot(
            [hi], [y], marker=">", ms=4, color=color, lw=0, zorder=4, clip_on=False, gid="ci-arrow"
        )


ROB_FILL: dict[str, str] = {
    "low": "#009E73",
    "some_concerns": "#F0E442",
    "unclear": "#F0E442",
    "high": "#D55E00",
    "not_assessed": "#FFFFFF",
}


def rob_dot(canvas: Axes, x: float, y: float, judgement: str, radius: float = 0.075,
            size: float = 7.0) -> None:  # fmt: skip
    """A judgement as a coloured dot with its RevMan glyph (+ ? −); an empty ring when
    not assessed, so no text can overflow the mark (canvas in inches)."""
    edge = MUTED if judgement == "not_assessed" else INK
    canvas.add_patch(Circle((x, y), radius, facecolor=ROB_FILL[judgement], edgecolor=edge,
                            lw=0.5, zorder=3, gid=f"rob-{judgement}"))  # fmt: skip
    symbol = FOREST_SYMBOLS[judgement]
    if symbol:
        canvas.text(x, y, symbol, ha="center", va="center_baseline", fontsize=size,
                    weight="bold", color="white" if judgement in ("high", "low") else INK,
                    zorder=4, parse_math=False)  # fmt: skip
