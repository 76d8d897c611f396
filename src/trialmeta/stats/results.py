"""Frozen result objects.

Estimators return these; plots and reports only read them. Field names follow
metafor where metafor has a name (``ci_lb``, ``pi_ub``, ``q_pval``) and carry
units where ambiguous (``i2_percent``). ``to_dict`` gives the stable keys used by
``--json``; NaN becomes ``None`` so the JSON is strict.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from trialmeta._jsonable import AsDict, to_jsonable
from trialmeta.flags import Flag

#: Base of every frozen result of the stats layer (``to_dict`` with strict-JSON values).
_AsDict = AsDict

__all__ = [
    "PooledResult",
    "MetaRegressionResult",
    "EggerResult",
    "BeggResult",
    "TrimFillResult",
    "LeaveOneOutResult",
    "to_jsonable",
]


@dataclass(frozen=True)
class PooledResult(_AsDict):
    """A fitted intercept-only meta-analytic model (metafor ``rma.uni``).

    ``se``, ``stat``, ``pval`` and the CI belong to the requested ``test``
    (``z``: normal; ``knha``: Hartung-Knapp-Sidik-Jonkman with ``df = k - 1``).
    ``pi_lb``/``pi_ub`` are ``estimate ± t(k-2)·sqrt(tau2 + se²)`` (Higgins,
    Thompson & Spiegelhalter 2009), NaN when k < 3. ``weights_percent`` follow
    the input order.
    """

    k: int
    method: str
    test: str
    level: float
    estimate: float
    se: float
    ci_lb: float
    ci_ub: float
    stat: float
    pval: float
    df: float
    tau2: float
    tau2_se: float
    tau2_ci_lb: float
    tau2_ci_ub: float
    i2_percent: float
    i2_ci_lb: float
    i2_ci_ub: float
    h2: float
    h2_ci_lb: float
    h2_ci_ub: float
    q: float
    q_df: int
    q_pval: float
    pi_lb: float
    pi_ub: float
    converged: bool
    iterations: int
    weights_percent: tuple[float, ...] = ()
    flags: tuple[Flag, ...] = ()


@dataclass(frozen=True)
class MetaRegressionResult(_AsDict):
    """Mixed-effects meta-regression (metafor ``rma.uni(yi, vi, mods=...)``).

    ``qm`` tests all coefficients but the intercept (an F statistic with
    ``(m, k - p)`` df for ``knha``, chi-square with ``m`` df for ``z``).
    ``r2_percent`` is metafor's pseudo-R² against the intercept-only model.
    """

    k: int
    p: int
    method: str
    test: str
    level: float
    names: tuple[str, ...]
    coef: np.ndarray
    se: np.ndarray
    stat: np.ndarray
    pval: np.ndarray
    ci_lb: np.ndarray
    ci_ub: np.ndarray
    df: float
    tau2: float
    i2_percent: float
    h2: float
    r2_percent: float
    qe: float
    qe_df: int
    qe_pval: float
    qm: float
    qm_df: tuple[int, ...]
    qm_pval: float
    converged: bool
    flags: tuple[Flag, ...] = ()


@dataclass(frozen=True)
class EggerResult(_AsDict):
    """Egger's regression test, metafor ``regtest(model="lm", predictor="sei")``.

    ``bias`` is the coefficient of ``sei`` in the weighted regression
    ``yi = b0 + bias·sei`` (weights 1/vi); it equals the intercept of Egger's
    standardised regression (Egger et al. 1997). ``limit_estimate`` is ``b0``.
    """

    k: int
    bias: float
    bias_se: float
    stat: float
    df: int
    pval: float
    limit_estimate: float
    limit_ci_lb: float
    limit_ci_ub: float
    flags: tuple[Flag, ...] = ()


@dataclass(frozen=True)
class BeggResult(_AsDict):
    """Begg & Mazumdar (1994) rank correlation, metafor ``ranktest``."""

    k: int
    tau: float
    pval: float
    exact: bool
    flags: tuple[Flag, ...] = ()


@dataclass(frozen=True)
class TrimFillResult(_AsDict):
    """Duval & Tweedie (2000) trim-and-fill, metafor ``trimfill`` (``estimator`` L0 or R0).

    ``estimate``/``ci_lb``/``ci_ub`` are from the filled model (test ``z``);
    ``filled_yi``/``filled_vi`` are the imputed studies. ``p_k0`` is the R0 test of
    ``k0 = 0`` (NaN for L0).
    """

    k: int
    k0: int
    se_k0: float
    side: str
    method: str
    estimate: float
    se: float
    ci_lb: float
    ci_ub: float
    pval: float
    tau2: float
    filled_yi: np.ndarray
    filled_vi: np.ndarray
    flags: tuple[Flag, ...] = ()
    estimator: str = "L0"
    p_k0: float = float("nan")


@dataclass(frozen=True)
class LeaveOneOutResult(_AsDict):
    """Leave-one-out refits (metafor ``leave1out``): element i omits study i.

    ``stat`` (z or t), ``q_pval`` (Cochran's Q test) and ``h2`` complete metafor's columns;
    they are None only in results built by hand.
    """

    method: str
    test: str
    level: float
    estimate: np.ndarray
    se: np.ndarray
    ci_lb: np.ndarray
    ci_ub: np.ndarray
    pval: np.ndarray
    tau2: np.ndarray
    i2_percent: np.ndarray
    q: np.ndarray
    flags: tuple[Flag, ...] = field(default=())
    stat: np.ndarray | None = None
    q_pval: np.ndarray | None = None
    h2: np.ndarray | None = None
