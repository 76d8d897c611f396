"""PRISMA 2020 flow diagram at trial level, with participant counts.

Page MJ, McKenzie JE, Bossuyt PM, et al. The PRISMA 2020 statement. BMJ
2021;372:n71 (Figure 1, flow diagram for new systematic reviews). The unit is the
trial, as PRISMA 2020 asks ("studies included in review"), not the comparison or
the extracted row: trials in the extraction sheets -> trials in at least one
meta-analysis, with every trial that contributes nothing listed beside the flow
under its reason. Participants are the randomised numbers of ``studies.csv``; a
box says how many trials do not report them, and its sum is then a lower bound.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from trialmeta.plots._style import INK, MUTED, new_figure, styled, wrap_text, write_rows
from trialmeta.report.trial_flow import (  # re-exported: the flow's data
    PrismaData,
    TrialFlow,
    participants,
    prisma_data,
    prisma_from_accounting,
)

__all__ = [
    "PrismaData",
    "TrialFlow",
    "participants",
    "prisma_data",
    "prisma_from_accounting",
    "prisma_plot",
    "write_prisma_csv",
]

PHASE_FILL = "#dbe9f6"  # the PRISMA 2020 template's phase bars
TEXT_PT = 8.0
LINE_IN = 0.17


# --------------------------------------------------------------------------- drawing
@dataclass(frozen=True)
class _Box:
    lines: tuple[str, ...]
    x: float
    width: float
    bold_first: bool = True

    @property
    def height(self) -> float:
        return LINE_IN * len(self.lines) + 0.16


def _box(texts: Sequence[str], x: float, width: float) -> _Box:
    lines: list[str] = []
    for t in texts:
        lines += wrap_text(t, width - 0.16, TEXT_PT) or [""]
    return _Box(tuple(lines), x, width)


def _draw_box(ax: Axes, box: _Box, top: float) -> None:
    ax.add_patch(FancyBboxPatch((box.x, top), box.width, box.height,
                                boxstyle="square,pad=0", facecolor="white", edgecolor=INK,
                                lw=0.8, gid="prisma-box"))  # fmt: skip
    for i, line in enumerate(box.lines):
        ax.text(
            box.x + 0.08,
            top + 0.08 + LINE_IN * (i + 0.5),
            line,
            va="center",
            fontsize=TEXT_PT,
            weight="bold" if i == 0 and box.bold_first else "normal",
        )


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float]) -> None:
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=9, color=INK,
                                 lw=0.8, shrinkA=0, shrinkB=0))  # fmt: skip


def _phase(ax: Axes, label: str, top: float, height: float) -> None:
    ax.add_patch(FancyBboxPatch((0.12, top), 0.28, height,
                                boxstyle="round,pad=0,rounding_size=0.06",
                                facecolor=PHASE_FILL, edgecolor="none"))  # fmt: skip
    ax.text(
        0.26,
        top + height / 2,
        label,
        rotation=90,
        ha="center",
        va="center",
        fontsize=TEXT_PT,
        weight="bold",
    )


def _reason_lines(data: PrismaData) -> list[str]:
    out = []
    for reason, trials in data.reasons().items():
        names = ", ".join(t.label for t in trials)
        head = (
            reason
            if reason.split(" ", 1)[0].islower() and len(reason.split(" ", 1)[0]) == 1
            else reason[:1].upper() + reason[1:]
        )  # "n not reported" keeps its lower-case n
        out.append(f"{head} ({len(trials)}): {names}")
    return out


@styled
def prisma_plot(data: PrismaData,
                title: str = "Flow of trials (PRISMA 2020, trial level)") -> Figure:  # fmt: skip
    """Draw the flow: sheets -> at least one meta-analysis, trials not pooled beside it."""
    main_x, main_w, side_x, side_w = 0.55, 3.1, 3.95, 3.6
    included, dropped = data.included(), data.not_pooled()
    top_texts = [
        f"Trials in the extraction sheets (n = {len(data.trials)})",
        participants(data.trials),
    ] + ([data.how_found] if data.how_found else [])
    first = _box(top_texts, main_x, main_w)
    second = _box([f"Trials in at least one meta-analysis (n = {len(included)})",
                   participants(included)], main_x, main_w)  # fmt: skip
    side = _box([f"Trials in no meta-analysis (n = {len(dropped)})", participants(dropped)]
                + _reason_lines(data), side_x, side_w)  # fmt: skip
    y_first = 0.45
    gap = max(0.45, side.height + 0.3 - first.height / 2 + 0.1)
    y_second = y_first + first.height + gap
    height = max(y_second + second.height, y_first + first.height / 2 + side.height) + 0.25
    width = side_x + side_w + 0.15
    fig = new_figure(width, height)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.axis("off")
    ax.text(0.12, 0.2, title, fontsize=9.0, weight="bold", va="center")
    _phase(ax, "Identification", y_first, first.height)
    _phase(ax, "Included", y_second, second.height)
    _draw_box(ax, first, y_first)
    _draw_box(ax, second, y_second)
    mid_x = main_x + main_w / 2
    _arrow(ax, (mid_x, y_first + first.height), (mid_x, y_second))
    side_top = y_first + first.height + 0.15
    if dropped:
        _draw_box(ax, side, side_top)
        branch_y = side_top + 0.08 + LINE_IN / 2
        ax.plot([mid_x, mid_x], [y_first + first.height, branch_y], color=INK, lw=0.8)
        _arrow(ax, (mid_x, branch_y), (side_x, branch_y))
    ax.text(
        0.12,
        height - 0.12,
        "Participants: as randomised, from the studies sheet.",
        fontsize=7.0,
        color=MUTED,
        va="center",
    )
    return fig


def write_prisma_csv(data: PrismaData, path: str | Path) -> Path:
    """One row per trial: label, randomised n, in at least one analysis, reason if not."""
    rows = [(t.study_id, t.label, t.n_randomised, "yes" if t.in_analysis else "no", t.reason)
            for t in data.trials]  # fmt: skip
    return write_rows(path, ("study_id", "trial", "n_randomised", "in_analysis", "reason"), rows)
