"""GOSH plot: I² against the pooled estimate of every subset of trials.

Olkin I, Dahabreh IJ, Trikalinos TA. GOSH - a graphical display of study
heterogeneity. Res Synth Methods 2012;3(3):214-223. As metafor's
``plot(gosh(res), out = j)``, the subsets that include a chosen trial are
highlighted; here those trials are the *drivers* named by
:func:`trialmeta.gosh` (up to three). The cloud of all subsets is drawn as a
hexagonal-bin density when there are many points, else as points.

Only reads stored results (the :class:`~trialmeta.review.results.GoshSummary` of an
analysis, from :func:`trialmeta.review.robustness.gosh_check`): :func:`gosh_data` collects them,
:func:`gosh_plot` draws, :func:`write_gosh_csv` writes the points shown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import LogFormatter

from trialmeta.plots._style import ACCENT, INK, MUTED, fit_text, new_figure, styled, write_rows
from trialmeta.review.results import GoshSummary

__all__ = ["GOSH_CSV_COLUMNS", "GoshData", "gosh_data", "gosh_plot", "write_gosh_csv"]

GOSH_CSV_COLUMNS: tuple[str, ...] = (
    "subset_code", "k_subset", "estimate", "i2_percent", "outlying", "with_drivers",
)  # fmt: skip
HEXBIN_FROM = 200  # points; below this every subset is drawn as a point
MAX_HIGHLIGHT = 3
_COLOURS = ("#b2182b", ACCENT, "#d6891a")
_MARKERS = ("o", "s", "^")


@dataclass(frozen=True)
class GoshData:
    """What the GOSH plot shows: one point per (plotted) subset of ≥ 2 trials.

    ``membership[i]`` has bit j set when trial ``labels[j]`` is in subset i.
    ``n_subsets`` counts every fitted subset (single trials included);
    ``subsampled`` says whether the points are a seeded sample of them.
    """

    analysis_id: str
    method: str
    k: int
    n_subsets: int
    exhaustive: bool
    subsampled: bool
    labels: tuple[str, ...]
    drivers: tuple[str, ...]
    membership: np.ndarray
    k_subset: np.ndarray
    estimate: np.ndarray
    i2_percent: np.ndarray
    outlying: np.ndarray
    full_estimate: float
    full_i2_percent: float
    x_label: str = "Mean difference"

    def contains(self, study: str) -> np.ndarray:
        """Boolean mask of the plotted subsets that include ``study``."""
        bit = np.uint64(self.labels.index(study))
        return ((self.membership >> bit) & np.uint64(1)).astype(bool)


def _floats(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=float)


def gosh_data(summary: GoshSummary, analysis_id: str, x_label: str) -> GoshData:
    """:class:`GoshData` from a stored GOSH summary of one analysis."""
    pts = summary.points
    return GoshData(
        analysis_id=analysis_id, method=summary.method, k=summary.k,
        n_subsets=summary.n_subsets, exhaustive=summary.exhaustive, subsampled=pts.subsampled,
        labels=summary.labels, drivers=summary.drivers,
        membership=np.array(pts.membership, dtype=np.uint64),
        k_subset=np.asarray(pts.k_subset, dtype=int), estimate=_floats(pts.estimate),
        i2_percent=_floats(pts.i2_percent), outlying=np.asarray(pts.outlying, dtype=bool),
        full_estimate=summary.full_estimate, full_i2_percent=summary.full_i2_percent,
        x_label=x_label,
    )  # fmt: skip


@styled
def gosh_plot(data: GoshData) -> Figure:
    """Draw I² (y) against the estimate (x) of every plotted subset.

    Grey: all subsets (density of hexagonal bins, log counts, from
    :data:`HEXBIN_FROM` points). Colours: subsets that include each of the first
    :data:`MAX_HIGHLIGHT` drivers. Star: the fit to all trials.
    """
    n = int(data.estimate.size)
    fig = new_figure(5.6, 4.6)
    ax = fig.add_axes((0.11, 0.27, 0.72, 0.61))
    dense = n >= HEXBIN_FROM
    if dense:
        hb = ax.hexbin(data.estimate, data.i2_percent, gridsize=35, cmap="Greys", mincnt=1,
                       bins="log", linewidths=0.1, edgecolors="face")  # fmt: skip
        cax = fig.add_axes((0.86, 0.27, 0.02, 0.61))
        # LogFormatter writes 1, 10, 100 as plain text (the default writes mathtext
        # superscripts, which plain-text figures would print as "$\\mathdefault{10^{1}}$")
        fig.colorbar(hb, cax=cax, format=LogFormatter()).set_label("subsets (log scale)",
                                                                   fontsize=6.5)  # fmt: skip
        cax.tick_params(labelsize=6)
    elif n:
        ax.scatter(data.estimate, data.i2_percent, s=14, color="#bdbdbd", edgecolors=MUTED,
                   linewidths=0.4, zorder=2)  # fmt: skip
    handles: list[Line2D] = []
    shown = data.drivers[:MAX_HIGHLIGHT]
    for i, name in enumerate(shown):
        m = data.contains(name)
        z = 3 + len(shown) - i  # the most influential driver on top
        if dense:
            ax.scatter(
                data.estimate[m],
                data.i2_percent[m],
                s=2.5,
                marker=_MARKERS[i],
                color=_COLOURS[i],
                alpha=0.45,
                linewidths=0,
                zorder=z,
                rasterized=True,
            )
        else:  # hollow, so that subsets with several drivers show every marker
            ax.scatter(
                data.estimate[m],
                data.i2_percent[m],
                s=30 + 18 * i,
                marker=_MARKERS[i],
                facecolors="none",
                edgecolors=_COLOURS[i],
                linewidths=1.0,
                zorder=z,
            )
        label = fit_text(f"subsets with {name}", 4.2, 7) + f" ({int(m.sum()):,} shown)"
        handles.append(
            Line2D(
                [],
                [],
                ls="",
                marker=_MARKERS[i],
                color=_COLOURS[i],
                ms=4.5,
                mfc=_COLOURS[i] if dense else "none",
                label=label,
            )
        )
    if math.isfinite(data.full_estimate):
        ax.scatter([data.full_estimate], [data.full_i2_percent], marker="*", s=90, color=INK,
                   edgecolors="white", linewidths=0.6, zorder=9)  # fmt: skip
        handles.append(
            Line2D(
                [],
                [],
                ls="",
                marker="*",
                color=INK,
                ms=7,
                label=f"all {data.k} trials ({data.method})",
            )
        )
    ax.set_xlabel(data.x_label)
    ax.set_ylabel("I² (%)")
    ax.set_ylim(-3, 103)
    ax.grid(color="#e6e6e6", lw=0.5, zorder=0)
    ax.set_axisbelow(True)
    if handles:
        fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.11, 0.15),
                   frameon=False, fontsize=7, handletextpad=0.3, borderaxespad=0)  # fmt: skip
    what = "all" if data.exhaustive else "a random sample of"
    sample = f"; {n:,} shown (seeded sample)" if data.subsampled else ""
    title = fit_text(f"GOSH plot: {data.analysis_id}".rstrip(": "), 5.6 - 0.11 * 5.6 - 0.1, 9,
                     "bold")  # fmt: skip
    ax.set_title(title, loc="left", fontsize=9, fontweight="bold", pad=16)
    ax.text(
        0,
        1.015,
        f"{data.method}, {what} {data.n_subsets:,} subsets of {data.k} trials{sample}",
        transform=ax.transAxes,
        fontsize=7,
        color=MUTED,
        va="bottom",
    )
    return fig


def write_gosh_csv(data: GoshData, path: str | Path) -> Path:
    """The plotted points: subset code (bit j = ``labels[j]``), size, estimate, I², whether
    it is outlying, and which drivers it contains (``;``-joined)."""
    masks = [(name, data.contains(name)) for name in data.drivers]
    rows = (
        (int(code), int(ks), est, i2, bool(out), ";".join(nm for nm, m in masks if m[i]))
        for i, (code, ks, est, i2, out) in enumerate(zip(
            data.membership.tolist(), data.k_subset, data.estimate, data.i2_percent,
            data.outlying, strict=True))
    )  # fmt: skip
    return write_rows(path, GOSH_CSV_COLUMNS, rows)
