"""Contour-enhanced funnel plot (Peters et al. 2008, J Clin Epidemiol 61:991-6).

Effect on the x-axis, standard error on an inverted y-axis. Shaded regions are
bounded by ``centre ± z_{(1+L)/2} · SE`` for the levels L (90/95/99 %). With the
centre at the pooled estimate (default) they are pseudo-confidence regions
(metafor ``funnel(res, level=c(90, 95, 99), shade=...)``); with ``centre=0``
they are Peters' significance contours. The caller decides whether the plot is
shown (the Handbook advises k >= 10); it draws for any k >= 2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from trialmeta import _dist
from trialmeta._checks import yi_vi
from trialmeta.errors import InputError
from trialmeta.plots._style import ACCENT, INK, MUTED, new_figure, styled, write_rows
from trialmeta.stats.results import PooledResult, TrimFillResult

__all__ = ["FunnelData", "funnel_data", "funnel_plot", "write_funnel_csv"]

_SHADES = ("#FFFFFF", "#C6C6C6", "#E1E1E1", "#F4F4F4")  # inner -> outer


@dataclass(frozen=True)
class FunnelData:
    """Points, contour half-widths per unit SE and reference lines of a funnel plot."""

    labels: tuple[str, ...]
    yi: np.ndarray
    sei: np.ndarray
    estimate: float
    centre: float
    centre_is_estimate: bool
    levels: tuple[float, ...]
    z: tuple[float, ...]
    filled_yi: np.ndarray
    filled_sei: np.ndarray
    x_label: str


def funnel_data(
    labels: Sequence[str],
    yi: object,
    vi: object,
    fit: PooledResult,
    *,
    centre: float | None = None,
    levels: Sequence[float] = (0.90, 0.95, 0.99),
    trimfill: TrimFillResult | None = None,
    x_label: str = "Mean difference",
) -> FunnelData:
    """Compute what :func:`funnel_plot` draws.

    Parameters
    ----------
    labels, yi, vi
        Studies (k >= 2).
    fit
        The pooled model; its estimate is the vertical reference line.
    centre
        Centre of the contours: None = the pooled estimate, 0 = significance contours.
    levels
        Contour levels in (0, 1), e.g. ``(0.90, 0.95, 0.99)``.
    trimfill
        Optional trim-and-fill result; its imputed studies are drawn as open circles.
    """
    y, v = yi_vi(yi, vi)
    labels = tuple(str(s) for s in labels)
    if len(labels) != len(y):
        raise InputError("labels", f"length {len(labels)}", f"length {len(y)} (as yi)")
    if len(y) < 2:
        raise InputError("yi", f"{len(y)} study", "at least 2 studies for a funnel plot")
    lv = tuple(sorted(float(x) for x in levels))
    if not lv or not all(0 < x < 1 for x in lv):
        raise InputError("levels", tuple(levels), "levels between 0 and 1, e.g. (0.90, 0.95)")
    fy = np.array([]) if trimfill is None else np.asarray(trimfill.filled_yi, dtype=float)
    fv = np.array([]) if trimfill is None else np.asarray(trimfill.filled_vi, dtype=float)
    c = fit.estimate if centre is None else float(centre)
    return FunnelData(
        labels=labels,
        yi=y,
        sei=np.sqrt(v),
        estimate=float(fit.estimate),
        centre=float(c),
        centre_is_estimate=centre is None,
        levels=lv,
        z=tuple(float(_dist.norm_ppf(0.5 + x / 2)) for x in lv),
        filled_yi=fy,
        filled_sei=np.sqrt(fv),
        x_label=x_label,
    )


def _region_labels(data: FunnelData) -> list[str]:
    pct = [f"{100 * x:g}%" for x in data.levels]
    if data.centre_is_estimate:
        out = [f"inside {pct[0]} pseudo-CI"]
        out += [f"{a}–{b}" for a, b in zip(pct[:-1], pct[1:], strict=True)]
        return out + [f"outside {pct[-1]}"]
    ps = [f"{1 - x:.2f}" for x in data.levels]
    out = [f"p > {ps[0]}"]
    out += [f"{b} < p ≤ {a}" for a, b in zip(ps[:-1], ps[1:], strict=True)]
    return out + [f"p ≤ {ps[-1]}"]


@styled
def funnel_plot(data: FunnelData, title: str | None = None) -> Figure:
    """Draw the contour-enhanced funnel plot (filled circles: studies; open: imputed)."""
    se_all = np.concatenate([data.sei, data.filled_sei])
    se_max = float(se_all.max()) * 1.08
    zmax = data.z[-1]
    xs = np.concatenate(
        [data.yi, data.filled_yi, [data.centre - zmax * se_max, data.centre + zmax * se_max]]
    )
    pad = 0.04 * float(xs.max() - xs.min())
    lo, hi = float(xs.min()) - pad, float(xs.max()) + pad

    fig = new_figure(5.6, 4.4)
    ax = fig.add_axes((0.12, 0.25, 0.84, 0.66))
    ax.set_facecolor(_SHADES[min(len(data.z), len(_SHADES) - 1)])
    se_grid = np.array([0.0, se_max])
    shades = _SHADES[: len(data.z)]
    for z, shade in zip(reversed(data.z), reversed(shades), strict=True):
        ax.fill_betweenx(
            se_grid,
            data.centre - z * se_grid,
            data.centre + z * se_grid,
            color=shade,
            lw=0,
            zorder=1,
        )
    for z in data.z:
        for sign in (-1, 1):
            ax.plot(data.centre + sign * z * se_grid, se_grid, color=MUTED, lw=0.5, zorder=2)
    ax.axvline(data.estimate, color=INK, lw=0.9, zorder=2)
    if not data.centre_is_estimate:
        ax.axvline(data.centre, color=MUTED, lw=0.8, ls=(0, (4, 3)), zorder=2)
    ax.scatter(data.yi, data.sei, s=22, color=ACCENT, edgecolor="white", lw=0.5, zorder=4)
    if data.filled_yi.size:
        ax.scatter(
            data.filled_yi,
            data.filled_sei,
            s=22,
            facecolor="white",
            edgecolor=INK,
            lw=0.8,
            zorder=4,
        )
    ax.set_xlim(lo, hi)
    ax.set_ylim(se_max, 0)
    ax.set_xlabel(data.x_label)
    ax.set_ylabel("Standard error")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if title:
        ax.set_title(title, loc="left", fontsize=9, weight="bold")

    handles: list[Artist] = [
        Patch(facecolor=s, edgecolor=MUTED, lw=0.5) for s in _SHADES[: len(data.z) + 1]
    ]
    labels = _region_labels(data)
    handles.append(Line2D([], [], color=INK, lw=0.9))
    labels.append("Pooled estimate")
    handles.append(ax.scatter([], [], s=22, color=ACCENT))
    labels.append(f"Studies (k = {len(data.yi)})")
    if data.filled_yi.size:
        handles.append(ax.scatter([], [], s=22, facecolor="white", edgecolor=INK))
        labels.append(f"Imputed by trim-and-fill ({data.filled_yi.size})")
    fig.legend(
        handles,
        labels,
        loc="lower center",
        ncol=3,
        frameon=False,
        bbox_to_anchor=(0.54, 0.0),
        handlelength=1.4,
        columnspacing=1.2,
    )
    where = "the pooled estimate" if data.centre_is_estimate else f"{data.centre:g}"
    fig.text(0.96, 0.955, f"Contours centred at {where}", ha="right", fontsize=7, color=MUTED)
    return fig


def write_funnel_csv(data: FunnelData, path: str | Path) -> Path:
    """Points behind the funnel plot: label, yi, sei, imputed flag (and the centre)."""
    rows: list[tuple[object, ...]] = [
        (lab, float(y), float(s), False, data.estimate, data.centre)
        for lab, y, s in zip(data.labels, data.yi, data.sei, strict=True)
    ]
    rows += [
        (f"imputed {i + 1}", float(y), float(s), True, data.estimate, data.centre)
        for i, (y, s) in enumerate(zip(data.filled_yi, data.filled_sei, strict=True))
    ]
    return write_rows(path, ("label", "yi", "sei", "imputed", "pooled_estimate", "centre"), rows)
