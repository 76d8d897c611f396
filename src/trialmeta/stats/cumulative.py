"""Cumulative meta-analysis (metafor ``cumul()``).

Studies are added one at a time in a chosen order (usually publication year)
and the model is refitted after each addition (Lau et al. 1992). Step ``i``
of the result is the fit of the first ``i + 1`` studies in that order.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from trialmeta._checks import (
    METHODS,
    TESTS,
    as_vector,
    check_choice,
    check_finite,
    check_level,
    yi_vi,
)
from trialmeta.errors import InputError
from trialmeta.flags import Flag
from trialmeta.stats.pooling import pool
from trialmeta.stats.results import to_jsonable

__all__ = ["CumulativeResult", "cumulative"]


@dataclass(frozen=True)
class CumulativeResult:
    """Cumulative fits; element ``i`` pools the first ``i + 1`` studies of ``order``.

    ``order`` holds input positions (zero-based) in the order the studies were
    added. ``stat`` is z (``test="z"``) or t with ``df = k - 1`` (``knha``).
    For the first step (k = 1) heterogeneity is undefined and its fields are NaN,
    like metafor's ``cumul()`` for a random-effects model; ``flags`` collects
    the flags of every step.
    """

    method: str
    test: str
    level: float
    order: tuple[int, ...]
    k: np.ndarray
    estimate: np.ndarray
    se: np.ndarray
    stat: np.ndarray
    pval: np.ndarray
    ci_lb: np.ndarray
    ci_ub: np.ndarray
    tau2: np.ndarray
    i2_percent: np.ndarray
    h2: np.ndarray
    q: np.ndarray
    q_pval: np.ndarray
    flags: tuple[Flag, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """Field name → JSON-safe value, in declaration order."""
        return {f.name: to_jsonable(getattr(self, f.name)) for f in fields(self)}


def cumulative(
    yi: object,
    vi: object,
    order: object | None = None,
    method: str = "REML",
    test: str = "z",
    level: float = 0.95,
) -> CumulativeResult:
    """Refit :func:`trialmeta.pool` on the first 1, 2, …, k studies.

    Parameters
    ----------
    yi, vi
        Effect sizes and sampling variances.
    order
        A sort key per study (e.g. publication year), as metafor's
        ``cumul(res, order=year)``: studies enter by increasing key, ties in
        input order. ``None`` keeps the input order.
    method, test, level
        As for :func:`trialmeta.pool`.

    Notes
    -----
    Step ``i`` is ``rma(yi[o[:i+1]], vi[o[:i+1]], method, test)`` with
    ``o = order(order)`` (Lau, Schmid & Chalmers 1995). metafor reports a
    k = 1 random-effects step with τ² = 0; here its heterogeneity is NaN and
    flagged, because one study cannot estimate it.

    Examples
    --------
    >>> r = cumulative([0.1, 0.3, 0.5], [0.01, 0.02, 0.03], method="FE")
    >>> np.round(r.estimate, 4).tolist()
    [0.1, 0.1667, 0.2273]
    """
    y, v = yi_vi(yi, vi)
    check_choice("method", method, METHODS)
    check_choice("test", test, TESTS)
    lv = check_level(level)
    k = len(y)
    if order is None:
        idx = np.arange(k)
    else:
        key = as_vector("order", order)
        if len(key) != k:
            raise InputError("order", f"length {len(key)}", f"length {k} (as yi)")
        check_finite("order", key)
        idx = np.argsort(key, kind="stable")
    cols: dict[str, list[float]] = {
        name: []
        for name in ("estimate", "se", "stat", "pval", "ci_lb", "ci_ub", "tau2", "i2_percent")
    }
    cols.update(h2=[], q=[], q_pval=[])
    flags: list[Flag] = []
    for i in range(1, k + 1):
        sel = idx[:i]
        r = pool(y[sel], v[sel], method=method, test=test, level=lv)
        for name, values in cols.items():
            values.append(float(getattr(r, name)))
        flags.extend(r.flags)
    arrays = {name: np.asarray(values) for name, values in cols.items()}
    return CumulativeResult(
        method=method,
        test=test,
        level=lv,
        order=tuple(int(i) for i in idx),
        k=np.arange(1, k + 1),
        flags=tuple(dict.fromkeys(flags)),
        **arrays,
    )
