"""Risk-of-bias figures in the style of robvis (McGuinness & Higgins 2021, Res Synth Methods
12:55-61): a traffic-light plot (study × domain) and a (weighted) summary bar chart.

Colours are the Okabe-Ito colour-blind-safe palette, and every judgement also
carries a symbol (``+`` low, ``−`` some concerns, ``×`` high, ``?`` no
information/unclear; not assessed is an empty grey dot, so no text overflows),
so the plots survive grey-scale printing and colour-vision deficiency. Column
heads are short codes (A-G, D1-D5) spelled out in a key under the plot. The data
and their builders are :mod:`trialmeta.plots.rob_data`.
"""

from __future__ import annotations

import math
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Circle, Rectangle

from trialmeta.plots._style import (
    INK,
    MUTED,
    fit_text,
    new_figure,
    styled,
    text_width_in,
    write_rows,
)
from trialmeta.plots.rob_data import (
    DARK_TEXT,
    JUDGEMENTS,
    ROB2_DOMAINS,
    RobData,
    judgement_style,
    rob_data,
    rob_data_from_long,
    rob_domain_data,
    rob_proportions,
)

__all__ = [
    "JUDGEMENTS",
    "ROB2_DOMAINS",
    "RobData",
    "judgement_style",
    "rob_data",
    "rob_data_from_long",
    "rob_domain_data",
    "rob_proportions",
    "rob_summary_plot",
    "traffic_light_plot",
    "write_rob_csv",
]


def _present(data: RobData) -> list[str]:
    used = {j for row in data.judgements for j in row}
    return [k for k in JUDGEMENTS if k in used]


def _legend_rows(x: float, keys: list[str], max_x: float) -> int:
    """How many lines :func:`_legend` needs."""
    x0, rows = x, 1
    for key in keys:
        w = 0.4 + text_width_in(JUDGEMENTS[key][2], 7.0)
        if x + w > max_x and x > x0:
            x, rows = x0, rows + 1
        x += w
    return rows


def _legend(canvas: Axes, x: float, y: float, keys: list[str], max_x: float) -> float:
    """Judgement legend (dot + label) flowing left to right; returns the y below it."""
    x0 = x
    for key in keys:
        colour, symbol, label = JUDGEMENTS[key]
        w = 0.2 + text_width_in(label, 7.0) + 0.2
        if x + w > max_x and x > x0:
            x, y = x0, y + 0.2
        _dot(canvas, x + 0.07, y, key, r=0.065)
        canvas.text(x + 0.18, y, label, ha="left", va="center", fontsize=7.0)
        x += w
    return y + 0.2


def _dot(canvas: Axes, x: float, y: float, key: str, r: float = 0.08) -> None:
    colour, symbol, _ = JUDGEMENTS[key]
    edge = MUTED if key == "not_assessed" else INK
    canvas.add_patch(Circle((x, y), r, facecolor=colour, edgecolor=edge, lw=0.4, zorder=3,
                            gid=f"rob-{key}"))  # fmt: skip
    if symbol:  # not assessed: an empty grey dot, so no text can overflow it
        size = max(7.0, 7.5 * r / 0.08)
        colour = INK if key in DARK_TEXT else "white"
        canvas.text(x, y, symbol, ha="center", va="center_baseline", fontsize=size,
                    weight="bold", color=colour, zorder=4)  # fmt: skip


def _canvas(width: float, height: float) -> tuple[Figure, Axes]:
    fig = new_figure(width, height)
    canvas = fig.add_axes((0, 0, 1, 1))
    canvas.set_xlim(0, width)
    canvas.set_ylim(height, 0)
    canvas.axis("off")
    return fig, canvas


@styled
def traffic_light_plot(data: RobData, title: str = "Risk of bias") -> Figure:
    """robvis-style traffic-light plot: one row per study, one dot per domain."""
    row, margin = 0.24, 0.15
    col = max([0.46] + [text_width_in(d, 7.5, "bold") + 0.1 for d in data.domains])
    col = min(col, 1.0)
    name_w = min(max([text_width_in(s, 7.5) for s in data.studies] + [0.8]), 2.6)
    x0 = margin + name_w + 0.15
    grid_w = col * len(data.domains)
    keys = _present(data)
    desc = [
        f"{d}: {t}"
        for d, t in zip(data.domains, data.domain_descriptions, strict=False)
        if t and t != d and d != "Overall"
    ]
    width = max(x0 + grid_w + margin, 4.2, text_width_in(title, 9, "bold") + 2 * margin)
    top = margin + 0.28 + 0.3
    body = row * len(data.studies)
    legend_rows = _legend_rows(margin + 0.75, keys, width - margin)
    height = top + body + 0.25 + 0.17 * len(desc) + 0.2 * legend_rows + margin
    fig, canvas = _canvas(width, height)
    canvas.text(margin, margin + 0.1, title, fontsize=9, weight="bold", va="center")
    for j, dom in enumerate(data.domains):
        xc = x0 + col * (j + 0.5)
        canvas.text(
            xc,
            top - 0.14,
            fit_text(dom, col - 0.04, 7.5, "bold"),
            ha="center",
            va="center",
            fontsize=7.5,
            weight="bold",
        )
    canvas.add_patch(
        Rectangle((x0, top), grid_w, body, facecolor="#F5F5F5", edgecolor=MUTED, lw=0.5, zorder=1)
    )
    for i, study in enumerate(data.studies):
        yc = top + row * (i + 0.5)
        canvas.text(
            x0 - 0.12, yc, fit_text(study, name_w, 7.5), ha="right", va="center", fontsize=7.5
        )
        if i:
            canvas.plot([x0, x0 + grid_w], [top + row * i] * 2, color="#D0D0D0", lw=0.4, zorder=1)
        for j, key in enumerate(data.judgements[i]):
            _dot(canvas, x0 + col * (j + 0.5), yc, key, r=min(0.085, row * 0.38))
    for j in range(1, len(data.domains)):
        canvas.plot([x0 + col * j] * 2, [top, top + body], color="#D0D0D0", lw=0.4, zorder=1)
    y = top + body + 0.25
    for line in desc:
        canvas.text(
            margin,
            y,
            fit_text(line, width - 2 * margin, 7.0),
            fontsize=7.0,
            va="center",
            color=MUTED,
        )
        y += 0.17
    canvas.text(margin, y + 0.05, "Judgement", fontsize=7.0, weight="bold", va="center")
    _legend(canvas, margin + 0.75, y + 0.05, keys, width - margin)
    return fig


@styled
def rob_summary_plot(data: RobData, title: str | None = None) -> Figure:
    """robvis-style summary: one stacked 0-100 % bar per domain (weighted if weights given)."""
    props = rob_proportions(data)
    row, margin = 0.3, 0.15
    labels = [
        f"{d}: {t}" if t and d != "Overall" else (t or d)
        for d, t in zip(data.domains, data.domain_descriptions or data.domains, strict=False)
    ]
    label_w = min(max(text_width_in(s, 7.5) for s in labels), 3.2)
    bar_x0 = margin + label_w + 0.15
    bar_w = 3.6
    keys = _present(data)
    if title is None:
        title = "Risk of bias (weighted by analysis weight)" if data.weights else "Risk of bias"
    width = max(bar_x0 + bar_w + margin + 0.1, text_width_in(title, 9, "bold") + 2 * margin)
    top = margin + 0.35
    body = row * len(data.domains)
    height = top + body + 0.4 + 0.2 * _legend_rows(margin + 0.75, keys, width - margin) + margin
    fig, canvas = _canvas(width, height)
    canvas.text(margin, margin + 0.1, title, fontsize=9, weight="bold", va="center")
    for j, dom in enumerate(data.domains):
        yc = top + row * (j + 0.5)
        canvas.text(
            bar_x0 - 0.1,
            yc,
            fit_text(labels[j], label_w, 7.5),
            ha="right",
            va="center",
            fontsize=7.5,
        )
        x = bar_x0
        for key in JUDGEMENTS:
            pct = props[dom].get(key, 0.0)
            if pct <= 0:
                continue
            w = bar_w * pct / 100
            colour, symbol, _ = JUDGEMENTS[key]
            canvas.add_patch(
                Rectangle(
                    (x, yc - row * 0.36),
                    w,
                    row * 0.72,
                    facecolor=colour,
                    edgecolor=INK,
                    lw=0.4,
                    zorder=2,
                )
            )
            if w > 0.22 and symbol:
                canvas.text(
                    x + w / 2,
                    yc,
                    symbol,
                    ha="center",
                    va="center_baseline",
                    fontsize=8.0,
                    weight="bold",
                    zorder=3,
                    color=INK if key in DARK_TEXT else "white",
                )
            x += w
    axis_y = top + body + 0.05
    canvas.plot([bar_x0, bar_x0 + bar_w], [axis_y] * 2, color=INK, lw=0.6)
    for pct in (0, 25, 50, 75, 100):
        xx = bar_x0 + bar_w * pct / 100
        canvas.plot([xx, xx], [axis_y, axis_y + 0.04], color=INK, lw=0.6)
        canvas.text(xx, axis_y + 0.13, f"{pct}%", ha="center", va="center", fontsize=7.0)
    y = axis_y + 0.4
    canvas.text(margin, y, "Judgement", fontsize=7.0, weight="bold", va="center")
    _legend(canvas, margin + 0.75, y, keys, width - margin)
    return fig


def write_rob_csv(data: RobData, path: str | Path) -> Path:
    """Long table behind both RoB figures: study, domain, judgement, weight."""
    rows = [
        (s, d, data.judgements[i][j], math.nan if data.weights is None else data.weights[i])
        for i, s in enumerate(data.studies)
        for j, d in enumerate(data.domains)
    ]
    return write_rows(path, ("study", "domain", "judgement", "weight"), rows)
