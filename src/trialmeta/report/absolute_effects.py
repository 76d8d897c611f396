"""Summary of Findings wording of a binary outcome's anticipated absolute effects
(GRADEpro layout; Cochrane Handbook v6.5, section 14.1.5.1; GRADE guidelines 12, Guyatt et
al. 2013): the relative effect ``"RR 0.73 (0.57 to 0.93)"``, the assumed risk with the
control per 1000 and the corresponding risk with the intervention per 1000 with its CI, and
the difference per 1000 (``"114 fewer per 1000 (180 fewer to 29 fewer)"``). The numbers
come from :class:`trialmeta.review.absolute_effects.AbsoluteEffect`; nothing is computed
here but rounding to whole participants per 1000."""

from __future__ import annotations

import math
from collections.abc import Mapping

from trialmeta.report.text import MEASURE_LABELS
from trialmeta.review.absolute_effects import AbsoluteEffect

__all__ = [
    "ABSOLUTE_COLUMNS",
    "absolute_cell",
    "absolute_columns",
    "difference_text",
    "per_1000",
    "relative_text",
]

#: Summary of Findings CSV columns of a binary outcome (empty on continuous ones).
ABSOLUTE_COLUMNS: tuple[str, ...] = (
    "relative_effect",
    "control_risk_per_1000",
    "intervention_risk_per_1000",
    "difference_per_1000",
    "control_risk_source",
)


def per_1000(risk: float) -> str:
    """A risk as whole participants per 1000 (``0.4218`` → ``"422"``), "–" if missing (never
    "NA" in the report's text)."""
    return f"{round(1000 * risk):d}" if math.isfinite(risk) else "\u2013"


def relative_text(a: AbsoluteEffect) -> str:
    """``"RR 0.73 (0.57 to 0.93)"`` (two decimals, as GRADEpro).

    >>> e = AbsoluteEffect("RR", 0.63, 0.45, 0.88, 0.3, "s", 0.19, 0.135, 0.264, -111,
    ...                    -165, -36, False)
    >>> relative_text(e)
    'RR 0.63 (0.45 to 0.88)'
    """
    m = MEASURE_LABELS[a.measure].abbrev
    return f"{m} {a.relative:.2f} ({a.relative_lb:.2f} to {a.relative_ub:.2f})"


def _side(x: float) -> str:
    n = round(x)
    return "0 fewer" if n == 0 else f"{abs(n)} {'fewer' if n < 0 else 'more'}"


def difference_text(a: AbsoluteEffect) -> str:
    """``"114 fewer per 1000 (180 fewer to 29 fewer)"``: GRADEpro's absolute effect."""
    lo, hi = a.difference_per_1000_lb, a.difference_per_1000_ub
    if not math.isfinite(a.difference_per_1000):
        return "not estimable"
    ci = (
        f"{_side(lo)} to {_side(hi)}"
        if math.isfinite(lo) and math.isfinite(hi)
        else "CI not estimable"
    )
    return f"{_side(a.difference_per_1000)} per 1000 ({ci})"


def absolute_columns(a: AbsoluteEffect | None) -> dict[str, object]:
    """The :data:`ABSOLUTE_COLUMNS` of one Summary of Findings row (blank when None)."""
    if a is None:
        return dict.fromkeys(ABSOLUTE_COLUMNS, "")
    return {
        "relative_effect": relative_text(a),
        "control_risk_per_1000": per_1000(a.control_risk),
        "intervention_risk_per_1000": f"{per_1000(a.risk)} ({per_1000(a.risk_lb)} to "
        f"{per_1000(a.risk_ub)})",
        "difference_per_1000": difference_text(a),
        "control_risk_source": a.control_risk_source,
    }


def absolute_cell(row: Mapping[str, object]) -> str:
    """One cell of a Summary of Findings row's absolute effects (blank for a continuous
    outcome): ``"control 422, intervention 308 (241 to 393): 114 fewer per 1000 (...)"``."""
    if not row.get("relative_effect"):
        return ""
    return (
        f"control {row['control_risk_per_1000']}, intervention "
        f"{row['intervention_risk_per_1000']}: {row['difference_per_1000']}"
    )
