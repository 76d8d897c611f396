"""Leave-one-out sensitivity analysis (metafor ``leave1out``)."""

from __future__ import annotations

import numpy as np

from trialmeta._checks import METHODS, TESTS, check_choice, check_level, yi_vi
from trialmeta.errors import InputError
from trialmeta.flags import Flag
from trialmeta.stats._scale import rescaled
from trialmeta.stats.pooling import pool
from trialmeta.stats.results import LeaveOneOutResult

__all__ = ["leave_one_out"]


@rescaled(location=("estimate", "se", "ci_lb", "ci_ub"), variance=("tau2",))
def leave_one_out(
    yi: object, vi: object, method: str = "REML", test: str = "z", level: float = 0.95
) -> LeaveOneOutResult:
    """Refit :func:`trialmeta.pool` k times, omitting study i in fit i.

    Element i of each array is the fit without study i (Viechtbauer &
    Cheung 2010), with metafor's columns: estimate, se, stat, pval, CI, Q and its
    p-value, τ², I² and H².
    """
    y, v = yi_vi(yi, vi)
    check_choice("method", method, METHODS)
    check_choice("test", test, TESTS)
    lv = check_level(level)
    k = len(y)
    if k < 2:
        raise InputError("yi", f"{k} study", "at least 2 studies for leave-one-out")
    fits = [
        pool(np.delete(y, i), np.delete(v, i), method=method, test=test, level=lv) for i in range(k)
    ]
    flags: list[Flag] = []
    for f in fits:
        flags.extend(f.flags)

    def arr(name: str) -> np.ndarray:
        return np.array([getattr(f, name) for f in fits], dtype=float)

    return LeaveOneOutResult(
        method=method, test=test, level=lv, estimate=arr("estimate"), se=arr("se"),
        ci_lb=arr("ci_lb"), ci_ub=arr("ci_ub"), pval=arr("pval"), tau2=arr("tau2"),
        i2_percent=arr("i2_percent"), q=arr("q"), flags=tuple(dict.fromkeys(flags)),
        stat=arr("stat"), q_pval=arr("q_pval"), h2=arr("h2"),
    )  # fmt: skip
