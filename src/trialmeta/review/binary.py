"""The binary part of one analysis cell: the counts, the Mantel-Haenszel (common-effect)
and Peto fits beside the random-effects fit of :func:`trialmeta.review.cell.run_analysis`.

Cochrane Handbook v6.5, section 10.4.4: a binary outcome is pooled as a risk ratio, odds
ratio or risk difference. The main fit is the configured inverse-variance random-effects
model (``model.method`` + ``model.test``, REML + knha by default) on the log RR or log OR
(the RD on its own scale); its heterogeneity (τ², I², the prediction interval) is the
review's. Beside it, as RevMan reports, the Mantel-Haenszel estimate (10.4.4: the default
common-effect method for binary data, good with few events; metafor ``rma.mh``) and, for
odds ratios where events are rare, Peto's one-step odds ratio (10.4.4.2: unbiased when
events are rare, < 1%, the effect is not large and the arms are balanced; metafor
``rma.peto``). Study effects add ½ to the cells of a table with a zero cell (metafor's
``add=1/2, to="only0"``); the Mantel-Haenszel and Peto estimates use the tables unchanged
(``add`` only for the study effects behind Q, as metafor's defaults); a table without
events in either arm is not part of a ratio (``drop00``; 10.4.4.1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from trialmeta.effects.binary_rows import ADD, TO, drops_double_zero
from trialmeta.errors import TrialmetaError
from trialmeta.review.codec import NotRun
from trialmeta.stats.mantel_haenszel import MantelHaenszelResult, pool_mh
from trialmeta.stats.peto import PetoResult, pool_peto

if TYPE_CHECKING:  # pandas loads only where a cell is built (not in the simulation jobs)
    import pandas as pd

__all__ = [
    "RARE_EVENT_RISK",
    "BinaryCell",
    "binary_cell",
    "mh_weights_percent",
    "zero_cell_statement",
]

RARE_EVENT_RISK = 0.01
"""Below this pooled event risk Peto's odds ratio is the preferred method (Cochrane
Handbook v6.5, section 10.4.4.2: "event rates below 1%")."""


@dataclass(frozen=True)
class BinaryCell:
    """Counts and the common-effect fits of a binary analysis cell.

    ``events_*``/``n_*`` sum the included rows (the arms of a multi-arm trial combined or
    split as configured); ``control_risks`` are the rows' control-group risks ``ci/n2i``
    and ``median_control_risk`` their median, the Summary of Findings' default assumed
    control risk (Handbook 14.1.5.1). ``mh`` is ``rma.mh`` with the cell's measure; ``peto``
    is ``rma.peto`` (odds ratios only in meaning, shown for any ratio as a sensitivity fit
    when events are rare). ``rare_events``: the pooled risk of both arms is below
    :data:`RARE_EVENT_RISK`.
    """

    measure: str
    events_intervention: float
    n_intervention: float
    events_control: float
    n_control: float
    control_risks: tuple[float, ...]
    median_control_risk: float
    mh: MantelHaenszelResult | NotRun
    peto: PetoResult | NotRun
    rare_events: bool
    zero_cells: str


def zero_cell_statement(measure: str) -> str:
    """How zero cells were handled, for the report's methods and the cell's record."""
    dropped = (
        "a trial without events in either arm is left out (it carries no "
        "information on a ratio; Handbook 10.4.4.1); "
        if drops_double_zero(measure)
        else "trials without events in either arm are kept (a risk difference of 0); "
    )
    return (
        f"{ADD:g} is added to every cell of a trial's 2x2 table that has a zero cell "
        f"(to = {TO}, metafor's default; Handbook 10.4.4.2) for the study effects and the "
        f"random-effects model; {dropped}the Mantel-Haenszel and Peto estimates use the "
        "tables uncorrected."
    )


def mh_weights_percent(
    measure: str, ai: np.ndarray, n1i: np.ndarray, ci: np.ndarray, n2i: np.ndarray
) -> np.ndarray:
    """Mantel-Haenszel weights in percent (RevMan's M-H weights; Handbook 10.4.4 and the
    RevMan statistical algorithms): RR ``ci·n1i/Ni``, OR ``bi·ci/Ni``, RD ``n1i·n2i/Ni``."""
    n = n1i + n2i
    if measure == "RR":
        w = ci * n1i / n
    elif measure == "OR":
        w = (n1i - ai) * ci / n
    else:
        w = n1i * n2i / n
    total = float(np.sum(w))
    return np.asarray(100.0 * w / total if total > 0 else np.full(len(w), np.nan))


def _rule(measure: str) -> dict[str, tuple[object, object]]:
    """metafor's zero-cell pairs: (study effects, pooled tables)."""
    return {"add": (ADD, 0.0), "to": (TO, "none"), "drop00": (drops_double_zero(measure), False)}


def _mh(measure: str, counts: dict[str, np.ndarray], level: float) -> MantelHaenszelResult | NotRun:
    try:
        return pool_mh(measure, **counts, **_rule(measure), level=level)  # type: ignore[arg-type]
    except TrialmetaError as err:  # reported in the cell, never a crash
        return NotRun(str(err).splitlines()[0])


def _peto(measure: str, counts: dict[str, np.ndarray], level: float) -> PetoResult | NotRun:
    try:
        return pool_peto(**counts, **_rule(measure), level=level)  # type: ignore[arg-type]
    except TrialmetaError as err:
        return NotRun(str(err).splitlines()[0])


def binary_cell(rows: pd.DataFrame, measure: str, level: float) -> BinaryCell:
    """The :class:`BinaryCell` of a cell's selected rows (``events1``, ``n1``, ``events2``,
    ``n2`` columns of :func:`trialmeta.effects.comparisons.build_comparisons`)."""
    import pandas as pd

    counts = {
        name: pd.to_numeric(rows[col], errors="coerce").to_numpy(float)
        for name, col in (("ai", "events1"), ("n1i", "n1"), ("ci", "events2"), ("n2i", "n2"))
    }
    risks = counts["ci"] / counts["n2i"]
    events = float(np.sum(counts["ai"]) + np.sum(counts["ci"]))
    total = float(np.sum(counts["n1i"]) + np.sum(counts["n2i"]))
    rare = total > 0 and events / total < RARE_EVENT_RISK
    return BinaryCell(
        measure=measure, events_intervention=float(np.sum(counts["ai"])),
        n_intervention=float(np.sum(counts["n1i"])), events_control=float(np.sum(counts["ci"])),
        n_control=float(np.sum(counts["n2i"])), control_risks=tuple(float(r) for r in risks),
        median_control_risk=float(np.median(risks)) if len(risks) else math.nan,
        mh=_mh(measure, counts, level), peto=_peto(measure, counts, level),
        rare_events=rare, zero_cells=zero_cell_statement(measure),
    )  # fmt: skip
