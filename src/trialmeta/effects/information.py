"""The SD behind the optimal information size (OIS) and the TSA's required information size.

GRADE rates imprecision against the OIS (Guyatt et al., J Clin Epidemiol 2011;64:1283-1293,
section 'Optimal information size'; GRADE guidance 34, Zeng et al. 2022), which needs a
plausible SD. The config's external SD is used when given; else the median over unflagged
trials of the pooled arm SD ``sqrt((sd1² + sd2²)/2)``, so an implausible (flagged) SD never
shrinks the OIS (:mod:`trialmeta.effects.data_quality` sets the flags).

The rows are plain dicts (the effect CSV's columns), so the certainty job reads them
without pandas.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["information_sd"]


def _number(value: object) -> float:
    """``value`` as a float; NaN where it is not a number (as ``pd.to_numeric(coerce)``)."""
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def information_sd(rows: Sequence[Mapping[str, object]], external: object) -> tuple[float, str]:
    """SD for the optimal / required information size, and where it comes from.

    The external SD from the config when given (> 0); else the median over unflagged rows
    of the pooled arm SD ``sqrt((sd1² + sd2²)/2)``; NaN when no row qualifies. A row is
    flagged when its ``flagged`` value is true (a row without one, when others have it,
    counts as flagged).

    >>> information_sd([{"sd1": 20.0, "sd2": 20.0, "flagged": False}], None)
    (20.0, 'median SD of 1 unflagged trial(s)')
    """
    if isinstance(external, (int, float)) and not isinstance(external, bool) and external > 0:
        return float(external), "external SD from the config"
    if not rows:
        return math.nan, "no trials"
    has_flag = any("flagged" in r for r in rows)
    ok = np.array([not (has_flag and bool(r.get("flagged", math.nan))) for r in rows])
    s1 = np.array([_number(r.get("sd1")) for r in rows], dtype=float)
    s2 = np.array([_number(r.get("sd2")) for r in rows], dtype=float)
    pooled = np.sqrt((s1**2 + s2**2) / 2)[ok & np.isfinite(s1) & np.isfinite(s2)]
    if not pooled.size:
        return math.nan, "no unflagged trial reports SDs"
    return float(np.median(pooled)), f"median SD of {pooled.size} unflagged trial(s)"
