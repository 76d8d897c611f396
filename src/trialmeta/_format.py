"""Number formatting shared by every layer that writes text (GRADE reasons, the report,
tables). ``NA`` stands for a number that is missing or not finite, everywhere.

:mod:`trialmeta.report.text` re-exports these with the report's labels; the review layer
(GRADE judgement sentences) imports them from here, below the report.
"""

from __future__ import annotations

import math

__all__ = ["as_float", "compact", "fixed", "level_percent", "p_value"]


def as_float(x: object) -> float:
    """``x`` as float when it is a number (not a bool), else NaN."""
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else math.nan


def fixed(x: object, nd: int = 1) -> str:
    """``nd`` decimals, or ``NA`` (missing, not a number, or not finite).

    >>> fixed(3.14159, 2), fixed(None), fixed(float("inf"))
    ('3.14', 'NA', 'NA')
    """
    return f"{x:.{nd}f}" if isinstance(x, (int, float)) and math.isfinite(x) else "NA"


def p_value(x: object) -> str:
    """A p-value with 3 decimals, ``< 0.001`` below that, ``NA`` when missing.

    >>> p_value(0.04567), p_value(0.0001), p_value(None)
    ('0.046', '< 0.001', 'NA')
    """
    if not isinstance(x, (int, float)) or not math.isfinite(x):
        return "NA"
    return "< 0.001" if x < 0.001 else f"{x:.3f}"


def compact(x: float) -> str:
    """3 significant digits, without exponent up to 10^6 (``1515.48`` → ``"1,515"``).

    >>> compact(1515.48), compact(0.031234)
    ('1,515', '0.0312')
    """
    return f"{x:,.0f}" if 1000 <= abs(x) < 1e6 else f"{x:.3g}"


def level_percent(level: float) -> str:
    """A confidence level as text: ``0.95`` → ``"95%"``.

    >>> level_percent(0.95), level_percent(0.9)
    ('95%', '90%')
    """
    return f"{100 * level:g}%"
