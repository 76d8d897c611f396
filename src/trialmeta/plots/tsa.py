"""Trial sequential analysis plot in the style of the Copenhagen Trial Unit's TSA software.

x is the cumulative number of participants and y the cumulative Z statistic.
The figure shows the Z-curve (one point per trial, by year), the conventional
boundaries ``±z_{1-α/2}``, the O'Brien-Fleming monitoring boundaries drawn up to
the required information size (truncated at ``±cap``, as the TSA software
truncates its early, very wide boundaries) and a vertical line at the RIS.

It only reads a :class:`trialmeta.tsa.TsaResult`; nothing is recomputed.
Write it with :func:`trialmeta.plots._style.save_figure` (PNG, SVG and
PDF, byte-identical across runs).
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from trialmeta.plots._style import INK, MUTED, new_figure, styled
from trialmeta.stats.tsa import TsaResult

__all__ = ["draw_tsa", "truncate_boundary"]

Z_CURVE = "#1f5a8a"
BOUNDARY = "#a51d2d"
CONVENTIONAL = "#3c7d3c"


def truncate_boundary(x: np.ndarray, z: np.ndarray, cap: float) -> tuple[np.ndarray, np.ndarray]:
    """The part of the boundary polyline ``(x, z)`` at or below ``cap``.

    Where the boundary comes down through ``cap`` between two looks, the
    polyline starts at the interpolated crossing point, so the drawn curve
    enters from the top of the plot as in the TSA software. Boundaries of
    ``inf`` (looks that spend no α) are treated as above the cap.

    Examples
    --------
    >>> truncate_boundary(np.array([0., 1., 2.]), np.array([12., 4., 2.]), 8.0)
    (array([0.5, 1. , 2. ]), array([8., 4., 2.]))
    """
    x = np.asarray(x, dtype=float)
    z = np.asarray(z, dtype=float)
    inside = z <= cap
    if not inside.any():
        return np.empty(0), np.empty(0)
    first = int(np.argmax(inside))
    xs, zs = list(x[first:]), list(z[first:])
    if first > 0:
        x0, z0 = x[first - 1], z[first - 1]
        x1, z1 = x[first], z[first]
        xc = x0 if not np.isfinite(z0) else x0 + (z0 - cap) / (z0 - z1) * (x1 - x0)
        xs.insert(0, float(xc))
        zs.insert(0, float(cap))
    return np.asarray(xs), np.asarray(zs)


@styled
def draw_tsa(
    result: TsaResult,
    cap: float = 8.0,
    upper_label: str = "Favours control",
    lower_label: str = "Favours intervention",
    title: str | None = None,
    width_in: float = 6.5,
    height_in: float = 4.2,
) -> Figure:
    """Draw the TSA figure of ``result``.

    Parameters
    ----------
    result
        A :class:`~trialmeta.tsa.TsaResult`.
    cap
        |Z| above which monitoring boundaries are not drawn (the TSA software
        truncates at large values; 8 by default).
    upper_label, lower_label
        What a positive and a negative Z favour. The defaults suit a mean
        difference "intervention minus control" on a scale where lower is better.
    title
        Optional title.

    Returns
    -------
    matplotlib.figure.Figure
        The figure; save it with ``save_figure`` and close it with ``plt.close``.
    """
    fig = new_figure(width_in, height_in)
    ax = fig.add_axes((0.1, 0.13, 0.6, 0.8))
    x_end = 1.08 * max(float(result.ris), float(result.cumulative_n[-1]))
    conv = result.conventional_z
    ax.axhline(0.0, color=MUTED, lw=0.6)
    for sign in (1.0, -1.0):
        ax.axhline(sign * conv, color=CONVENTIONAL, lw=0.9, ls=(0, (5, 3)),
                   label="Conventional boundary" if sign > 0 else None)  # fmt: skip
        bx, bz = truncate_boundary(result.design_n, result.design_boundary_z, cap)
        ax.plot(bx, sign * bz, color=BOUNDARY, lw=1.3, marker="o", ms=2.5,
                label="Monitoring boundary" if sign > 0 else None)  # fmt: skip
    ax.axvline(result.ris, color=INK, lw=1.0, ls=(0, (1, 1.5)))
    ax.text(result.ris, cap * 0.97, f"RIS = {int(np.ceil(result.ris - 1e-9)):,} ",
            ha="right", va="top", fontsize=7, color=INK)  # fmt: skip
    z = np.clip(result.z, -cap, cap)
    ax.plot(result.cumulative_n, z, color=Z_CURVE, lw=1.6, marker="s", ms=3.5,
            label="Cumulative Z-curve")  # fmt: skip
    for xi, zi, label in zip(result.cumulative_n, z, result.study, strict=True):
        ax.annotate(label, (xi, zi), xytext=(2, 4), textcoords="offset points",
                    fontsize=5.5, color=MUTED, rotation=45)  # fmt: skip
    ax.set_xlim(0.0, x_end)
    ax.set_ylim(-cap, cap)
    ax.set_xlabel("Cumulative number of participants")
    ax.set_ylabel("Cumulative Z-score")
    ax.text(0.45, 0.99, upper_label, transform=ax.transAxes, ha="center", va="top",
            fontsize=7, color=MUTED)  # fmt: skip
    ax.text(0.45, 0.01, lower_label, transform=ax.transAxes, ha="center", va="bottom",
            fontsize=7, color=MUTED)  # fmt: skip
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    note = (
        "Lan-DeMets O'Brien-Fleming\nα-spending, truncated at |Z| = "
        f"{cap:g}\n"
        f"α = {result.alpha:g} (two-sided), β = {result.beta:g}\n"
        f"MCID = {result.mcid:g}, SD = {result.sd:g}\n"
        f"D² = {100 * result.diversity:.0f}% ({result.method})\n"
        f"accrued: {100 * result.accrued_fraction:.0f}% of RIS"
    )
    ax.text(1.02, 0.72, note, transform=ax.transAxes, ha="left", va="top", fontsize=7,
            color=INK, linespacing=1.5)  # fmt: skip
    if title:
        ax.set_title(title, loc="left")
    return fig
