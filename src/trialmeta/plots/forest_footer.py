"""The forest plot's footer: the RevMan statistics lines and every footnote and key.

Footnote letters (a, b, c, ...) are given to meanings in the order they first
appear from the top of the plot, so one letter has one meaning: a change score
(``change``), a derived value (``derived``), a split shared arm (``n_split``)
and each data-quality flag the caller names. The footer then explains the
risk-of-bias columns, the MCID lines and the random-effects model.
"""

from __future__ import annotations

from dataclasses import dataclass

from matplotlib.axes import Axes

from trialmeta.plots._style import MUTED, text_width_in, wrap_text
from trialmeta.plots.forest_data import ARM_FIELDS, ForestData, ForestStudy
from trialmeta.plots.forest_layout import MARGIN_IN, NOTE_LINE_IN, NOTE_PT, ForestLayout
from trialmeta.plots.revman_text import (
    heterogeneity_text,
    overall_effect_text,
    subgroup_test_text,
)

__all__ = [
    "Footer",
    "cell_mark",
    "draw_footer",
    "footer_text",
    "footnote_symbols",
    "footer_height",
    "note_lines",
    "row_mark",
    "stats_beside_axis",
]

LETTERS = "abcdefghijklmnopqrstuvwxyz"
KNHA_K2_NOTE = (
    "With 2 studies the Hartung-Knapp-Sidik-Jonkman interval uses a t distribution "
    "with 1 degree of freedom, so it can be wider than either study's own interval."
)
_ROB_KEY = {
    "low": "+ low risk",
    "unclear": "? unclear risk",
    "some_concerns": "? some concerns",
    "high": "\u2212 high risk",
    "not_assessed": "empty circle: not assessed",
}


def _study_keys(study: ForestStudy) -> list[str]:
    keys = list(study.row_notes())
    for f in ARM_FIELDS:
        keys += study.cell_notes(f)
    return keys


def footnote_symbols(data: ForestData) -> dict[str, str]:
    """Footnote key -> letter, in order of first appearance from the top."""
    order: dict[str, str] = {}
    for group in data.groups:
        for i in group.studies:
            for key in _study_keys(data.studies[i]):
                if key not in order:
                    order[key] = LETTERS[len(order) % len(LETTERS)] * (1 + len(order) // 26)
    return order


def row_mark(symbols: dict[str, str], study: ForestStudy) -> str:
    """Letters printed after a study label."""
    return ",".join(symbols[k] for k in dict.fromkeys(study.row_notes()))


def cell_mark(symbols: dict[str, str], study: ForestStudy, field: str) -> str:
    """Letters printed after one arm cell."""
    return ",".join(symbols[k] for k in study.cell_notes(field))


@dataclass(frozen=True)
class Footer:
    """Statistics lines (left, beside the axis when they fit) and footnote lines (below)."""

    stats: tuple[str, ...]
    notes: tuple[tuple[str, str], ...]  # (letter or "", sentence)


def _rob_key(data: ForestData) -> str:
    domains = "; ".join(
        f"({d.code}) {d.name}"
        for d in data.rob_domains
        if not d.name.lower().startswith(d.code.lower())
    )  # not "Overall"
    used = {j for s in data.studies for j in s.rob}
    key = ", ".join(text for j, text in _ROB_KEY.items() if j in used)
    parts = ["Risk of bias", domains, key]
    text = ". ".join(p for p in (parts[0] + ":" + (" " + parts[1] if parts[1] else ""),
                                  parts[2]) if p)  # fmt: skip
    return text + "." + (" " + data.rob_note if data.rob_note else "")


def _mcid_note(data: ForestData) -> str:
    if data.mcid_note:
        return data.mcid_note
    values = ", ".join(f"{m:g}".replace("-", "\u2212") for m in data.mcid)
    return f"Dashed lines at {values}: minimal clinically important difference (MCID)."


def footer_text(data: ForestData, symbols: dict[str, str]) -> Footer:
    """What the footer says, from the fitted results and the footnotes used."""
    stats: list[str] = []
    if data.overall is not None:
        stats += [heterogeneity_text(data.overall), overall_effect_text(data.overall)]
    elif data.grouped:
        stats.append("Total: not pooled (subtotals only; the subgroups are different comparisons).")
    if data.subgroup_test is not None:
        stats.append(subgroup_test_text(data.subgroup_test))
    notes = [(sym, data.note_text(key)) for key, sym in symbols.items()]
    if data.has_rob:
        notes.append(("", _rob_key(data)))
    if data.mcid:
        notes.append(("", _mcid_note(data)))
    if data.model_note:
        notes.append(("", data.model_note))
    fits = [data.overall, *(g.result for g in data.groups)]
    if any(r is not None and r.test == "knha" and r.k == 2 for r in fits):
        notes.append(("", KNHA_K2_NOTE))
    ref = data.overall or next((g.result for g in data.groups if g.result is not None), None)
    if ref is not None and ref.method != "FE":
        test = "Hartung-Knapp-Sidik-Jonkman" if ref.test == "knha" else "Wald-type (z)"
        notes.append(("", f"Random effects: {ref.method} estimator of Tau²; {test} CI."))
    return Footer(tuple(stats), tuple(notes))


def stats_beside_axis(footer: Footer, layout: ForestLayout) -> bool:
    """True when the statistics lines fit left of the graph column."""
    widest = max((text_width_in(t, NOTE_PT) for t in footer.stats), default=0.0)
    return widest < layout.plot_x0 - MARGIN_IN - 0.1


def note_lines(footer: Footer, layout: ForestLayout) -> list[tuple[str, str]]:
    """Footnotes wrapped to the figure width: (letter on the first line or "", text)."""
    out: list[tuple[str, str]] = []
    for sym, text in footer.notes:
        indent = 0.12 if sym else 0.0
        wrapped = wrap_text(text, layout.width - 2 * MARGIN_IN - indent - 0.05, NOTE_PT)
        out += [(sym if i == 0 else "", line) for i, line in enumerate(wrapped)]
    return out


def footer_height(footer: Footer, layout: ForestLayout, axis_band: float) -> float:
    """Height of everything below the body."""
    beside = stats_beside_axis(footer, layout)
    stats_h = 0.12 + NOTE_LINE_IN * len(footer.stats)
    top_part = max(stats_h, axis_band + 0.04) if beside else axis_band + 0.04 + stats_h
    return top_part + NOTE_LINE_IN * len(note_lines(footer, layout)) + 0.05


def draw_footer(canvas: Axes, layout: ForestLayout, footer: Footer, body_bottom: float,
                axis_band: float) -> None:  # fmt: skip
    """Statistics lines, then the footnotes (letter in the margin, text indented)."""
    beside = stats_beside_axis(footer, layout)
    y = body_bottom + 0.12 if beside else body_bottom + axis_band + 0.04
    for t in footer.stats:
        canvas.text(MARGIN_IN, y, t, va="center", fontsize=NOTE_PT, parse_math=False)
        y += NOTE_LINE_IN
    y = max(y, body_bottom + axis_band + 0.04)
    for sym, line in note_lines(footer, layout):
        x = MARGIN_IN
        if any(s for s, _ in footer.notes):
            x += 0.12
        if sym:
            canvas.text(MARGIN_IN, y, sym, va="center", fontsize=NOTE_PT, weight="bold",
                        color=MUTED, parse_math=False)  # fmt: skip
        canvas.text(x, y, line, va="center", fontsize=NOTE_PT, color=MUTED, parse_math=False)
        y += NOTE_LINE_IN
