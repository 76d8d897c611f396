"""Find the figures of a review's figure directories (no plotting import: the report reads
them in a process that never draws)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

__all__ = ["FIGURE_KINDS", "figure_files"]

FIGURE_KINDS: tuple[str, ...] = ("forest", "funnel", "loo", "baujat", "tsa", "gosh")


def figure_files(dirs: Sequence[str | Path]) -> dict[str, list[Path]]:
    """analysis id → one file per figure in :data:`FIGURE_KINDS` order, from figure
    directories of ``<kind>__<analysis_id>.{png,svg}`` files (other figures are keyed by
    their directory name). Each figure is its PNG, or its SVG when no PNG was written
    (config ``figures.formats``); :func:`trialmeta.report.html.figure_html` embeds the SVG
    beside a PNG."""
    order = {kind: i for i, kind in enumerate(FIGURE_KINDS)}
    found: dict[str, list[Path]] = {}
    for d in dirs:
        pngs = {p.stem: p for p in Path(d).glob("*.png")}
        figs = [pngs.get(p.stem, p) for p in Path(d).glob("*.svg")]
        figs += [p for stem, p in pngs.items() if not Path(d, stem + ".svg").exists()]
        for fig in sorted(
            figs, key=lambda p: (order.get(p.stem.split("__")[0], len(order)), p.name)
        ):
            key = fig.stem.split("__", 1)[1] if "__" in fig.stem else Path(d).name
            found.setdefault(key, []).append(fig)
    return found
