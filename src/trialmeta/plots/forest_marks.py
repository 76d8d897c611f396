"""Marks shared by forest-style plots: axis limits, CI whiskers with arrows, RoB dots."""

from __future__ import annotations

import math

from matplotlib.axes import Axes
from matplotlib.patches import Circle

from trialmeta.plots._style import INK
from trialmeta.plots.rob import judgement_style

__all__ = ["nice_limit", "whisker", "rob_dot"]


def nice_limit(x: float) -> float:
    """Smallest of 1, 2, 2.5, 5 × 10^n that is >= ``x`` (axis half-width)."""
    if not math.isfinite(x) or x <= 0:
        return 1.0
    exp = math.floor(math.log10(x))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if m * 10**exp >= x * (1 - 1e-12):
            return m * 10**exp
    return 10.0 ** (exp + 1)


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


def rob_dot(canvas: Axes, x: float, y: float, judgement: str) -> None:
    """A risk-of-bias judgement as a coloured dot carrying its symbol (canvas in inches)."""
    colour, symbol, _ = judgement_style(judgement)
    canvas.add_patch(Circle((x, y), 0.062, facecolor=colour, edgecolor=INK, lw=0.3, zorder=3))
    canvas.text(
        x,
        y,
        symbol,
        ha="center",
        va="center_baseline",
        fontsize=6.0,
        weight="bold",
        color="white" if judgement in ("high", "low", "no") else INK,
        zorder=4,
    )
