"""Sensitivity figures: leave-one-out plot (metafor ``forest(leave1out(res))``) and Baujat plot
(Baujat et al. 2002, Stat Med 21:2641-52; metafor ``baujat()``).

Both only read results: :class:`~trialmeta.results.LeaveOneOutResult` and
:class:`~trialmeta.diagnostics.BaujatResult`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Polygon
from matplotlib.ticker import MaxNLocator

from trialmeta.errors import InputError
from trialmeta.plots._style import (
    ACCENT,
    INK,
    MUTED,
    fit_text,
    new_figure,
    styled,
    text_width_in,
    write_rows,
)
from trialmeta.plots.revman_text import format_estimate_ci
from trialmeta.stats.influence import BaujatResult
from trialmeta.stats.results import LeaveOneOutResult, PooledResult

__all__ = [
    "leave_one_out_plot",
    "baujat_plot",
    "write_leave_one_out_csv",
    "write_baujat_csv",
]

ROW, FS, MARGIN, PLOT_W = 0.2, 7.5, 0.15, 2.8


def _check_labels(labels: Sequence[str], n: int) -> tuple[str, ...]:
    out = tuple(str(s) for s in labels)
    if len(out) != n:
        raise InputError("labels", f"length {len(out)}", f"length {n} (one per study)")
    return out


@styled
def leave_one_out_plot(
    labels: Sequence[str],
    loo: LeaveOneOutResult,
    fit: PooledResult,
    x_label: str = "Mean difference",
) -> Figure:
    """Forest-style plot of the pooled estimate with each study omitted in turn.

    Row i shows the estimate and CI without study i, with I² and Tau² of that
    refit; the last row (diamond) is the fit to all studies, whose CI is also the
    shaded band. Height grows with k; long names end in an ellipsis.
    """
    labels = _check_labels(labels, len(loo.estimate))
    k = len(labels)
    pct = f"{100 * loo.level:g}%"
    texts = [
        format_estimate_ci(e, a, b)
        for e, a, b in zip(loo.estimate, loo.ci_lb, loo.ci_ub, strict=True)
    ]
    all_text = format_estimate_ci(fit.estimate, fit.ci_lb, fit.ci_ub)
    est_w = max(text_width_in(t, FS) for t in [*texts, all_text, f"Estimate [{pct} CI]"])
    name_w = min(max([text_width_in(s, FS) for s in labels] + [1.2]), 2.4)
    x_plot = MARGIN + name_w + 0.2
    x_est = x_plot + PLOT_W + 0.15 + est_w
    x_i2 = x_est + 0.5
    x_t2 = x_i2 + 0.6
    width = x_t2 + MARGIN + 0.05
    top = MARGIN + ROW + 0.1
    body = ROW * (k + 2)
    height = top + body + 0.45 + MARGIN

    fig = new_figure(width, height)
    canvas = fig.add_axes((0, 0, 1, 1))
    canvas.set_xlim(0, width)
    canvas.set_ylim(height, 0)
    canvas.axis("off")
    hy = MARGIN + ROW / 2
    for x, t, ha in (
        (MARGIN, "Study omitted", "left"),
        (x_est, f"Estimate [{pct} CI]", "right"),
        (x_i2, "I²", "right"),
        (x_t2, "Tau²", "right"),
    ):
        canvas.text(x, hy, t, ha=ha, va="center", fontsize=FS, weight="bold")
    canvas.plot([MARGIN, width - MARGIN], [top - 0.05] * 2, color=INK, lw=0.6)

    ax = fig.add_axes((x_plot / width, 1 - (top + body) / height, PLOT_W / width, body / height))
    ax.set_ylim(top + body, top)
    vals = np.concatenate([loo.ci_lb, loo.ci_ub, [fit.ci_lb, fit.ci_ub, 0.0]])
    vals = vals[np.isfinite(vals)]
    pad = 0.06 * float(vals.max() - vals.min() or 1.0)
    ax.set_xlim(float(vals.min()) - pad, float(vals.max()) + pad)
    ax.axvspan(fit.ci_lb, fit.ci_ub, color="#E8E8E8", lw=0, zorder=0)
    ax.axvline(fit.estimate, color=MUTED, lw=0.8, ls=(0, (4, 3)), zorder=1)
    ax.axvline(0, color=INK, lw=0.6, zorder=1)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.set_yticks([])
    ax.patch.set_alpha(0)
    ax.tick_params(axis="x", labelsize=FS - 0.5, length=3)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6))
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:g}")
    ax.set_xlabel(x_label, fontsize=FS)
    for i in range(k):
        y = top + ROW * (i + 0.5)
        canvas.text(MARGIN, y, fit_text(labels[i], name_w, FS), va="center", fontsize=FS)
        canvas.text(x_est, y, texts[i], ha="right", va="center", fontsize=FS)
        canvas.text(
            x_i2, y, _opt(loo.i2_percent[i], "{:.0f}%"), ha="right", va="center", fontsize=FS
        )
        canvas.text(x_t2, y, _opt(loo.tau2[i], "{:.2f}"), ha="right", va="center", fontsize=FS)
        if math.isfinite(loo.ci_lb[i]):
            ax.plot([loo.ci_lb[i], loo.ci_ub[i]], [y, y], color=INK, lw=0.9, zorder=2)
        ax.scatter([loo.estimate[i]], [y], s=16, marker="s", color=ACCENT, lw=0, zorder=3)
    y = top + ROW * (k + 1)
    canvas.text(MARGIN, y, "None (all studies)", va="center", fontsize=FS, weight="bold")
    canvas.text(x_est, y, all_text, ha="right", va="center", fontsize=FS, weight="bold")
    canvas.text(
        x_i2,
        y,
        _opt(fit.i2_percent, "{:.0f}%"),
        ha="right",
        va="center",
        fontsize=FS,
        weight="bold",
    )
    canvas.text(
        x_t2, y, _opt(fit.tau2, "{:.2f}"), ha="right", va="center", fontsize=FS, weight="bold"
    )
    h = 0.34 * ROW
    ax.add_patch(
        Polygon(
            [(fit.ci_lb, y), (fit.estimate, y - h), (fit.ci_ub, y), (fit.estimate, y + h)],
            closed=True,
            color=INK,
            lw=0,
            zorder=3,
        )
    )
    return fig


def _opt(x: float, fmt: str) -> str:
    """A number as printed on the plot: a true minus sign; "–" when not estimable."""
    return fmt.format(x).replace("-", "\u2212") if math.isfinite(x) else "\u2013"


@styled
def baujat_plot(labels: Sequence[str], result: BaujatResult, n_named: int = 5) -> Figure:
    """Baujat plot: heterogeneity contribution (x) against influence on the result (y).

    Points are numbered by input order (as in the CSV): all of them when k <= 15,
    otherwise only the ``n_named`` farthest out (largest ``x/max x + y/max y``).
    Those are also named in a key beside the plot.
    """
    labels = _check_labels(labels, len(result.x))
    k = len(labels)
    x, y = np.asarray(result.x, dtype=float), np.asarray(result.y, dtype=float)
    fig = new_figure(7.0, 4.2)
    ax = fig.add_axes((0.09, 0.12, 0.56, 0.8))
    ax.grid(color="#E3E3E3", lw=0.5, zorder=0)
    ax.scatter(x, y, s=20, color=ACCENT, edgecolor="white", lw=0.5, zorder=3)
    xm, ym = max(float(np.nanmax(x)), 1e-12), max(float(np.nanmax(y)), 1e-12)
    score = np.nan_to_num(x / xm + y / ym, nan=-1.0)
    named = np.argsort(-score, kind="stable")[: max(min(n_named, k), 0)].tolist()
    numbered = range(k) if k <= 15 else named
    for i in numbered:
        ha = "right" if x[i] > 0.8 * xm else "left"
        ax.annotate(
            f"{i + 1}",
            (x[i], y[i]),
            xytext=(-4 if ha == "right" else 4, 3),
            textcoords="offset points",
            ha=ha,
            va="bottom",
            fontsize=6.5,
            color=INK if i in named else MUTED,
            zorder=4,
        )
    ax.set_xlim(left=min(0.0, float(np.nanmin(x))), right=xm * 1.08)
    ax.set_ylim(bottom=min(0.0, float(np.nanmin(y))), top=ym * 1.12)
    ax.set_xlabel(result.x_label)
    ax.set_ylabel(result.y_label)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.text(0.68, 0.92, "Farthest from the origin", fontsize=7.5, weight="bold", va="top")
    for j, i in enumerate(named):
        fig.text(
            0.68,
            0.87 - 0.05 * j,
            f"{i + 1}: {fit_text(labels[i], 2.05, 7.0)}",
            fontsize=7.0,
            va="top",
        )
    return fig


def write_leave_one_out_csv(
    labels: Sequence[str], loo: LeaveOneOutResult, fit: PooledResult, path: str | Path
) -> Path:
    """Rows behind the leave-one-out plot; the last row (``omitted`` empty) is the full fit."""
    labels = _check_labels(labels, len(loo.estimate))
    rows: list[tuple[object, ...]] = [
        (
            lab,
            float(loo.estimate[i]),
            float(loo.ci_lb[i]),
            float(loo.ci_ub[i]),
            float(loo.pval[i]),
            float(loo.tau2[i]),
            float(loo.i2_percent[i]),
            float(loo.q[i]),
        )
        for i, lab in enumerate(labels)
    ]
    rows.append(("", fit.estimate, fit.ci_lb, fit.ci_ub, fit.pval, fit.tau2, fit.i2_percent, fit.q))
    header = ("omitted", "estimate", "ci_lb", "ci_ub", "pval", "tau2", "i2_percent", "q")
    return write_rows(path, header, rows)


def write_baujat_csv(labels: Sequence[str], result: BaujatResult, path: str | Path) -> Path:
    """Rows behind the Baujat plot: number (as plotted), study, x, y."""
    labels = _check_labels(labels, len(result.x))
    rows = [(i + 1, lab, float(result.x[i]), float(result.y[i])) for i, lab in enumerate(labels)]
    return write_rows(path, ("number", "study", "x_heterogeneity", "y_influence"), rows)
