"""Between-study variance (τ²) estimators of the normal-normal model.

All estimators accept a design matrix ``X`` (k × p; a column of ones for an
intercept-only model) so that meta-regression and trim-and-fill's side test
use the same code. Notation follows Viechtbauer (2005) and metafor's
``rma.uni``: ``W = diag(1/(v + τ²))`` and the projection
``P = W - W X (X'WX)⁻¹ X'W``, so that ``y'Py`` is the generalised Q statistic.

Every estimate is floored at zero. Iterative estimators (ML, REML, EB, PM)
are solved to near machine precision; when Fisher scoring does not converge a
bracketing root finder is used on the same estimating equation and a flag is
raised, so valid data never raise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from trialmeta import flags as fl
from trialmeta.flags import Flag
from trialmeta.stats._projection import LOW_RANK_MIN_K, lowrank_score, lowrank_traces

__all__ = [
    "ProjectionSums",
    "Tau2Fit",
    "estimate_tau2",
    "fixed_tau2",
    "generalized_q",
    "projection",
    "projection_sums",
]

METAFOR_TAU2_MAX = 100.0
_REL_TOL = 1e-14
_MAXITER = 1000


@dataclass(frozen=True)
class Tau2Fit:
    """τ² with its standard error (metafor's ``se.tau2``) and convergence status."""

    tau2: float
    se: float
    converged: bool
    iterations: int
    flags: tuple[Flag, ...]


def fixed_tau2(tau2: float) -> Tau2Fit:
    """A user-fixed τ² (metafor ``tau2=``) as a :class:`Tau2Fit`: no standard error,
    nothing iterated, flagged."""
    return Tau2Fit(tau2, float("nan"), True, 0, (fl.TAU2_FIXED,))


def projection(w: np.ndarray, X: np.ndarray) -> np.ndarray:
    """``P = W - W X (X'WX)⁻¹ X'W`` for weights ``w`` (Viechtbauer 2005, eq. 6)."""
    WX = X * w[:, None]
    xtwx = X.T @ WX
    return np.asarray(np.diag(w) - WX @ np.linalg.solve(xtwx, WX.T))


def _wrss(y: np.ndarray, w: np.ndarray, X: np.ndarray) -> float:
    """Weighted residual sum of squares ``y'P y`` for weights ``w``, in O(k) without
    moderators and through the normal equations otherwise (never a k × k matrix)."""
    if X.shape[1] == 1:
        mu = float(np.sum(w * y) / np.sum(w))
        return float(np.sum(w * (y - mu) ** 2))
    WX = X * w[:, None]
    beta = np.linalg.solve(X.T @ WX, WX.T @ y)
    r = y - X @ beta
    return float(np.sum(w * r * r))


def generalized_q(tau2: float, y: np.ndarray, v: np.ndarray, X: np.ndarray) -> float:
    """Generalised Q: ``y' P(τ²) y = Σwᵢ(yᵢ - xᵢ'β̂)²`` with ``wᵢ = 1/(vᵢ + τ²)``
    (DerSimonian & Kacker 2007)."""
    return _wrss(y, 1.0 / (v + tau2), X)


@dataclass(frozen=True)
class ProjectionSums:
    """Traces of the projection ``P`` for weights ``w`` that metafor's se.tau2 needs:
    ``tr``= tr(P), ``pp`` = Σᵢⱼ Pᵢⱼ², ``trpv`` = tr(PV), ``pvpv`` = Σᵢⱼ Pᵢⱼ² vᵢvⱼ
    (= sum(PV ∘ (PV)')) and ``pvp`` = Σᵢⱼ Pᵢⱼ² vⱼ (= sum(PV ∘ P))."""

    tr: float
    pp: float
    trpv: float
    pvpv: float
    pvp: float


def _exclusive_sum(x: np.ndarray) -> np.ndarray:
    """``Σ_{j≠i} xⱼ`` for every i from prefix and suffix sums, with no subtraction, so a
    dominant element does not cancel the others away."""
    c = np.cumsum(x)
    prefix = np.concatenate(([0.0], c[:-1]))
    suffix = np.concatenate((np.cumsum(x[::-1])[::-1][1:], [0.0]))
    return prefix + suffix


def _intercept_projection(w: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """``W = Σw``, the diagonal ``Pᵢᵢ = wᵢ·Σ_{j≠i}wⱼ/W`` and ``Σ_{j≠i}Pᵢⱼ² = wᵢ²·Σ_{j≠i}wⱼ²/W²``
    of ``P = diag(w) - ww'/W``, computed without cancellation."""
    W = float(np.sum(w))
    w2 = w * w
    return W, w * _exclusive_sum(w) / W, w2 * _exclusive_sum(w2) / W**2


def projection_sums(w: np.ndarray, v: np.ndarray, X: np.ndarray) -> ProjectionSums:
    """:class:`ProjectionSums`; closed forms without moderators, where ``Pᵢᵢ = wᵢ - wᵢ²/W``
    and ``Pᵢⱼ = -wᵢwⱼ/W`` (``W = Σw``), so no k × k matrix is formed."""
    if X.shape[1] == 1:
        W, d, off = _intercept_projection(w)
        a = w * w * v
        return ProjectionSums(
            tr=float(np.sum(d)),
            pp=float(np.sum(d * d + off)),
            trpv=float(np.sum(d * v)),
            pvpv=float(np.sum(d**2 * v**2)) + float(np.sum(a * _exclusive_sum(a))) / W**2,
            pvp=float(np.sum(v * (d * d + off))),
        )
    if X.shape[0] > LOW_RANK_MIN_K:
        return ProjectionSums(*lowrank_traces(w, v, X))
    P = projection(w, X)
    P2 = P * P
    return ProjectionSums(
        tr=float(np.trace(P)),
        pp=float(np.sum(P2)),
        trpv=float(np.sum(np.diag(P) * v)),
        pvpv=float(v @ P2 @ v),
        pvp=float(np.sum(P2 @ v)),
    )


def _ll(tau2: float, y: np.ndarray, v: np.ndarray, X: np.ndarray, reml: bool) -> float:
    """(Restricted) log-likelihood of the normal-normal model at ``τ²``."""
    w = 1.0 / (v + tau2)
    rss = generalized_q(tau2, y, v, X)
    k, p = X.shape
    if reml:
        _, logdet = np.linalg.slogdet(X.T @ (X * w[:, None]))
        n_eff, extra = k - p, logdet
    else:
        n_eff, extra = k, 0.0
    return float(-0.5 * (n_eff * np.log(2 * np.pi) + np.sum(np.log(v + tau2)) + extra + rss))


def _score(
    method: str, tau2: float, y: np.ndarray, v: np.ndarray, X: np.ndarray
) -> tuple[float, float]:
    """Estimating-equation value and the Fisher-scoring step for ``method``.

    ML:   ``y'PPy - tr(W)`` (step divided by ``Σw²``);
    REML: ``y'PPy - tr(P)`` (step divided by ``tr(PP)``);
    EB:   ``k/(k-p)·y'Py - k`` (step divided by ``Σw``), Morris (1983).
    """
    k, p = X.shape
    w = 1.0 / (v + tau2)
    if p == 1:
        return _score_intercept(method, w, y, k)
    if k > LOW_RANK_MIN_K:
        return lowrank_score(method, w, y, X)
    P = projection(w, X)
    Py = P @ y
    if method == "ML":
        g = float(Py @ Py) - float(np.sum(w))
        return g, g / float(np.sum(w**2))
    if method == "REML":
        g = float(Py @ Py) - float(np.trace(P))
        return g, g / float(np.sum(P * P))
    g = float(y @ Py) * k / (k - p) - k
    return g, g / float(np.sum(w))


def _score_intercept(method: str, w: np.ndarray, y: np.ndarray, k: int) -> tuple[float, float]:
    """:func:`_score` for ``X = 1`` without forming P: ``Py = w(y - μ̂)``, and ``tr(P)``,
    ``tr(PP)`` from :func:`_intercept_projection`."""
    sw, sw2 = float(np.sum(w)), float(np.sum(w**2))
    r = y - float(np.sum(w * y)) / sw
    if method == "ML":
        g = float(np.sum((w * r) ** 2)) - sw
        return g, g / sw2
    if method == "REML":
        _, d, off = _intercept_projection(w)
        g = float(np.sum((w * r) ** 2)) - float(np.sum(d))
        return g, g / float(np.sum(d * d + off))
    g = float(np.sum(w * r * r)) * k / (k - 1) - k
    return g, g / sw


def _upper_bracket(f: Callable[[float], float], start: float) -> float:
    """Smallest doubling of ``start`` at which the decreasing function ``f`` is < 0."""
    hi = max(start, 1.0)
    for _ in range(2000):
        if f(hi) < 0:
            return hi
        hi *= 2.0
    raise ArithmeticError("no sign change found for tau^2")  # pragma: no cover


def _root(f: Callable[[float], float], lo: float, hi: float) -> float:
    from scipy.optimize import brentq  # imported on first use (~0.1 s)

    return float(brentq(f, lo, hi, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=2000))


def _solve_q_equation(
    y: np.ndarray, v: np.ndarray, X: np.ndarray, target: float
) -> tuple[float, list[Flag]]:
    """Root of ``Q(τ²) = target`` (Paule & Mandel 1982); 0 when ``Q(0) < target``."""
    flags: list[Flag] = []

    def f(t: float) -> float:
        return generalized_q(t, y, v, X) - target

    if f(0.0) <= 0:
        return 0.0, flags
    hi = _upper_bracket(f, METAFOR_TAU2_MAX)
    tau2 = _root(f, 0.0, hi)
    if tau2 > METAFOR_TAU2_MAX:
        flags.append(fl.TAU2_BEYOND_METAFOR_MAX)
    return tau2, flags


def _fisher_scoring(
    method: str, y: np.ndarray, v: np.ndarray, X: np.ndarray, start: float
) -> tuple[float, bool, int]:
    """metafor's Fisher scoring with step halving at the zero bound."""
    tau2 = max(0.0, start)
    for it in range(1, _MAXITER + 1):
        _, adj = _score(method, tau2, y, v, X)
        if not np.isfinite(adj):
            return tau2, False, it
        while tau2 + adj < 0:
            adj /= 2.0
        new = tau2 + adj
        if abs(new - tau2) <= _REL_TOL * max(1.0, new):
            return new, True, it
        tau2 = new
    return tau2, False, _MAXITER


def _solve_likelihood(
    method: str, y: np.ndarray, v: np.ndarray, X: np.ndarray, start: float
) -> tuple[float, bool, int, list[Flag]]:
    """ML/REML/EB by Fisher scoring; bracketing fallback on the score equation.

    When the fallback cannot enclose a root either, the last Fisher-scoring iterate is
    returned with ``converged=False`` (flag ``not_converged``), as metafor warns instead
    of stopping when its iterations do not converge.
    """
    flags: list[Flag] = []
    tau2, ok, iters = _fisher_scoring(method, y, v, X, start)

    def g(t: float) -> float:
        return _score(method, t, y, v, X)[0]

    if not ok:
        flags.append(fl.FALLBACK_SOLVER)
        try:
            tau2 = 0.0 if g(0.0) <= 0 else _root(g, 0.0, _upper_bracket(g, max(start, 1.0)))
        except (ArithmeticError, RuntimeError):
            return tau2, False, iters, [*flags, fl.NOT_CONVERGED]
        ok = True
    else:
        tau2 = _polish(g, tau2, float(np.mean(v)))
    if method in ("ML", "REML") and tau2 > 0:
        reml = method == "REML"
        if _ll(0.0, y, v, X, reml) - _ll(tau2, y, v, X, reml) > 1e-10:
            tau2 = 0.0
    return tau2, ok, iters, flags


def _polish(g: Callable[[float], float], tau2: float, scale: float) -> float:
    """Refine a Fisher-scoring result to the exact root of the score ``g``.

    Fisher scoring stops on an absolute step, which leaves small τ² with a
    relative error near 1e-9, and it reaches the zero bound only
    asymptotically. A value within 1e-10·v̄ of zero where ``g(0) ≤ 0`` is the
    boundary solution 0; otherwise the root is bracketed around the
    Fisher-scoring value and solved by Brent's method.
    """
    if tau2 <= 1e-10 * scale and g(0.0) <= 0:
        return 0.0
    lo, hi = tau2 * (1 - 1e-6), tau2 * (1 + 1e-6) + 1e-300
    for _ in range(200):
        g_lo, g_hi = g(lo), g(hi)
        if g_lo >= 0 >= g_hi:
            return _root(g, lo, hi) if g_lo != g_hi else tau2
        if g_lo < 0:
            lo /= 2.0
        if g_hi > 0:
            hi *= 2.0
    return tau2  # pragma: no cover - the score changes sign around its root


def _he(y: np.ndarray, v: np.ndarray, X: np.ndarray) -> float:
    """Hedges' moment estimate before truncation: ``(y'P_I y - tr(P_I V)) / (k - p)``."""
    k, p = X.shape
    ones = np.ones(k)
    return float((_wrss(y, ones, X) - projection_sums(ones, v, X).trpv) / (k - p))


def estimate_tau2(y: np.ndarray, v: np.ndarray, X: np.ndarray, method: str) -> Tau2Fit:
    """Estimate τ² by ``method`` (metafor's names).

    - ``FE``: τ² = 0.
    - ``DL``: ``(Q - (k-p)) / tr(P₀)`` (DerSimonian & Laird 1986).
    - ``HE``: ``(y'P_I y - tr(P_I V)) / (k-p)`` with unweighted ``P_I`` (Hedges 1983).
    - ``HS``: ``(Q - k) / Σw`` (Hunter & Schmidt 2004).
    - ``SJ``: ``τ₀² · y'P(τ₀²)y / (k-p)`` with ``τ₀² = Σ(y-ȳ)²/k`` (Sidik & Jonkman 2005).
    - ``ML``/``REML``: roots of the (restricted) likelihood score (Viechtbauer 2005).
    - ``EB``/``PM``: root of ``Q(τ²) = k - p`` (Morris 1983; Paule & Mandel 1982).

    Each is truncated at zero; ``se`` follows metafor's ``se.tau2``.
    """
    k, p = X.shape
    df = k - p
    flags: list[Flag] = []
    converged, iters = True, 0
    w0 = 1.0 / v
    q0 = _wrss(y, w0, X)
    if method == "FE":
        return Tau2Fit(0.0, float("nan"), True, 0, ())
    if method == "DL":
        s0 = projection_sums(w0, v, X)
        tau2 = max(0.0, (q0 - df) / s0.tr)
        se = np.sqrt((2 * df + 4 * tau2 * s0.tr + 2 * tau2**2 * s0.pp) / s0.tr**2)
    elif method == "HE":
        tau2 = max(0.0, _he(y, v, X))
        sI = projection_sums(np.ones(k), v, X)
        se = np.sqrt((2 * sI.pvpv + 4 * tau2 * sI.trpv + 2 * tau2**2 * df) / df**2)
    elif method == "HS":
        s0 = projection_sums(w0, v, X)
        tau2 = max(0.0, (q0 - k) / float(np.sum(w0)))
        se = np.sqrt((2 * df + 4 * tau2 * s0.tr + 2 * tau2**2 * s0.pp) / np.sum(w0) ** 2)
    elif method == "SJ":
        tau0 = float(np.var(y)) if np.ptp(y) > 0 else 0.0  # exact 0 for identical y
        w = 1.0 / (v + tau0)
        sj = projection_sums(w, v, X)
        tau2 = max(0.0, tau0 * _wrss(y, w, X) / df)
        se = np.sqrt(tau0**2 / df**2 * (2 * sj.pvpv + 4 * tau2 * sj.pvp + 2 * tau2**2 * sj.pp))
    elif method == "PM":
        tau2, extra = _solve_q_equation(y, v, X, float(df))
        flags += extra
        w = 1.0 / (v + tau2)
        se = np.sqrt(2 * k**2 / df / np.sum(w) ** 2)
    elif method in ("ML", "REML", "EB"):
        tau2, converged, iters, extra = _solve_likelihood(method, y, v, X, max(0.0, _he(y, v, X)))
        flags += extra
        w = 1.0 / (v + tau2)
        if tau2 > METAFOR_TAU2_MAX:
            flags.append(fl.TAU2_BEYOND_METAFOR_MAX)
        if method == "ML":
            se = np.sqrt(2 / np.sum(w**2))
        elif method == "REML":
            se = np.sqrt(2 / projection_sums(w, v, X).pp)
        else:
            se = np.sqrt(2 * k**2 / df / np.sum(w) ** 2)
    else:  # pragma: no cover - validated by callers
        raise ValueError(method)
    if tau2 == 0.0:
        flags.append(fl.TAU2_BOUNDARY)
    return Tau2Fit(float(tau2), float(se), converged, iters, tuple(flags))
