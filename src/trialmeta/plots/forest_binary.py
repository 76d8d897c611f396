"""What a forest plot of a binary outcome adds (RevMan 5 layout for dichotomous data):
Events and Total per arm, effects on the log scale drawn on a log axis and printed as
ratios (``0.73 [0.57, 0.93]``), and the heading's statistic (``Risk Ratio``).

The values stay on the analysis scale (log RR, log OR; the RD as is) in
:class:`~trialmeta.plots.forest_data.ForestData`; :func:`shown` turns one into its printed
form and :func:`ratio_ticks` places the axis ticks at round ratios (0.1, 0.2, 0.5, 1, 2, ...),
so the axis is a log axis labelled in ratios.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from trialmeta.review.binary import BinaryCell
from trialmeta.review.codec import NotRun
from trialmeta.review.results import EffectRow
from trialmeta.stats.results import PooledResult

__all__ = [
    "BINARY_ARM_FIELDS",
    "BINARY_HEAD2",
    "RATIO_LABELS",
    "binary_forest_kwargs",
    "ratio_limit",
    "ratio_ticks",
    "shown",
]

#: The arm columns of a binary forest: events and total of each arm (RevMan's order).
BINARY_ARM_FIELDS: tuple[str, ...] = ("events1", "n1", "events2", "n2")
#: Column heads of those columns (``n*`` keep the continuous plot's "Total").
BINARY_HEAD2: dict[str, str] = {"events1": "Events", "events2": "Events"}
#: RevMan's names of the binary statistics; RR and OR are drawn on a log axis.
RATIO_LABELS: dict[str, str] = {"RR": "Risk Ratio", "OR": "Odds Ratio", "RD": "Risk Difference"}

_NICE_RATIOS = (1.5, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0)


def shown(x: float, log_scale: bool) -> float:
    """A value as printed: ``exp(x)`` on a log scale, else ``x``."""
    return math.exp(x) if log_scale and math.isfinite(x) else x


def ratio_limit(max_abs_log: float) -> float:
    """Half-width of a symmetric log axis: the log of the smallest round ratio (1.5, 2, 5,
    10, 20, ...) whose log covers ``max_abs_log`` (at most 1000).

    >>> round(math.exp(ratio_limit(math.log(3.2))), 6)
    5.0
    """
    for r in _NICE_RATIOS:
        if math.log(r) >= max_abs_log * (1 - 1e-12):
            return math.log(r)
    return math.log(_NICE_RATIOS[-1])


def ratio_ticks(limit: float) -> list[float]:
    """Tick positions (logs) of a log axis from ``-limit`` to ``limit``, as RevMan labels
    it: the axis ends, 1, and round ratios between (2 and 5 up to 10, else the decade
    below the end).

    >>> [round(math.exp(t), 3) for t in ratio_ticks(math.log(10))]
    [0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0]
    >>> [round(math.exp(t), 3) for t in ratio_ticks(math.log(100))]
    [0.01, 0.1, 1.0, 10.0, 100.0]
    """
    top = math.exp(limit)
    inner = [r for r in (2.0, 5.0) if r * 1.2 < top] if top <= 20 else [top / 10]
    ratios = [top, *inner]
    return sorted({math.log(r) for r in ratios} | {-math.log(r) for r in ratios} | {0.0})


def _ci_text(measure: str, est: float, lb: float, ub: float) -> str:
    log = measure in ("RR", "OR", "PETO")
    e, lo, hi = (shown(x, log) for x in (est, lb, ub))
    return f"{e:.2f} [{lo:.2f}, {hi:.2f}]"


def model_note(cell: BinaryCell | None, pooled: PooledResult | None) -> str:
    """The footer sentence beside the random-effects total: the Mantel-Haenszel estimate
    (Cochrane Handbook v6.5, 10.4.4), Peto's odds ratio where events are rare (10.4.4.2),
    and the zero-cell rule (blank when the cell was not pooled)."""
    if cell is None:
        return ""
    name = RATIO_LABELS[cell.measure]
    parts = []
    if pooled is not None:
        parts.append(f"Total: inverse-variance random effects ({pooled.method}, {pooled.test})")
    if not isinstance(cell.mh, NotRun):
        mh = cell.mh
        parts.append(
            f"Mantel-Haenszel (fixed) {name} "
            f"{_ci_text(cell.measure, mh.estimate, mh.ci_lb, mh.ci_ub)}"
        )
    if cell.rare_events and not isinstance(cell.peto, NotRun):
        p = cell.peto
        ci = _ci_text("PETO", p.estimate, p.ci_lb, p.ci_ub)
        parts.append(f"Peto odds ratio (events below 1%) {ci}")
    return "; ".join(parts) + ". " + cell.zero_cells[:1].upper() + cell.zero_cells[1:]


def binary_forest_kwargs(
    cell: BinaryCell | None, effects: Sequence[EffectRow], pooled: PooledResult | None
) -> dict[str, object]:
    """The :func:`~trialmeta.plots.forest_data.forest_data` arguments of a binary analysis:
    Events/Total per arm and the model note."""
    return {
        "arms": {k: [r.number(k) for r in effects] for k in BINARY_ARM_FIELDS},
        "model_note": model_note(cell, pooled),
    }
