"""Compiled (numba) per-row primitives of the batch engine: sums at τ², the ML/REML
score, safeguarded Newton (the bounds on the score: :mod:`~.nb_bound`).

Each function is the per-row form of the numpy engine's array code, with the
same formulas and constants (named in each docstring), so a row gives the same
τ² as :mod:`trialmeta.resampling.batch.likelihood` and
:mod:`~trialmeta.resampling.batch.roots` to rounding. Sums run over the
studies in order, as NumPy's reductions along the study axis do. Imported
only by :mod:`~trialmeta.resampling.batch.nb_rows` (``trialmeta[fast]``).
"""

from __future__ import annotations

import math

from numba import njit

RTOL = 1e-13  # roots.rtsafe
MAXITER = 1000
# A Halley step from a point within this relative distance of the root lands within
# ~(1e-5)³ of it: the compiled Q-equation solver stops there (its Newton form, like
# roots.rtsafe, at 1e-7, where a Newton step lands within ~(1e-7)²).
HALLEY_NEAR = 1e-5

# A Point (bound.Point) is a tuple: (A, T, dT, g, W, ok, dA); ok is 1.0 or 0.0.


@njit(cache=True, nogil=True, error_model="numpy")
def fmax(a: float, b: float) -> float:
    """``np.maximum``: NaN if either is NaN."""
    if a != a or b != b:
        return math.nan
    return a if a >= b else b


@njit(cache=True, nogil=True, error_model="numpy")
def fmin(a: float, b: float) -> float:
    """``np.minimum``: NaN if either is NaN."""
    if a != a or b != b:
        return math.nan
    return a if a <= b else b


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def zero_sums(y, v, w0):  # type: ignore[no-untyped-def]
    """``stack.zero_sums`` (``W₀ = Σw₀``, ``μ₀``, ``a = Σ(w₀r₀)²``, ``Q(0)``, ``Σw₀²``;
    the weights ``w₀ = 1/v`` into ``w0``) and, from the same two passes,
    ``roots.spread`` (``S = Σ(y-ȳ)²``), the smallest, largest and mean v and ``Σv``.
    ``S`` is NaN where a y is not finite or a v is not finite and > 0."""
    W = 0.0
    sy = 0.0
    ys, lo, hi, sv = 0.0, v[0], v[0], 0.0
    for j in range(y.size):
        w = 1.0 / v[j]
        w0[j] = w
        W += w
        sy += w * y[j]
        ys += y[j]
        lo = min(lo, v[j])
        hi = max(hi, v[j])
        sv += v[j]
    mu = sy / W
    ybar = ys / y.size
    a = 0.0
    q = 0.0
    s2 = 0.0
    S = 0.0
    for j in range(y.size):
        w = w0[j]
        r = y[j] - mu
        wr = w * r
        a += wr * wr
        q += wr * r
        s2 += w * w
        d = y[j] - ybar
        S += d * d
    if not (math.isfinite(ys) and lo > 0 and math.isfinite(sv)):
        S = math.nan
    return W, mu, a, q, s2, (S, lo, hi, sv / v.size, sv)


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def at_tau2(y, v, t, w):  # type: ignore[no-untyped-def]
    """``tau2._at``: weights into ``w``; ``W``, ``μ̂ = Σwy/W`` and ``Σw(y-μ̂)²`` at τ²."""
    W = 0.0
    sy = 0.0
    for j in range(y.size):
        w[j] = 1.0 / (v[j] + t)
        W += w[j]
        sy += w[j] * y[j]
    est = sy / W
    rss = 0.0
    for j in range(y.size):
        r = y[j] - est
        rss += (w[j] * r) * r
    return W, est, rss


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def at_tau2_ml(y, v, t, w, w0):  # type: ignore[no-untyped-def]
    """:func:`at_tau2` for ML/REML, with what the se and metafor's ll0check need from
    the same passes: (W, μ̂, Σw(y-μ̂)², Σw², Σw³, Π(1 + τ²w₀))."""
    W = 0.0
    sy = 0.0
    s2 = 0.0
    s3 = 0.0
    prod = 1.0
    for j in range(y.size):
        wj = 1.0 / (v[j] + t)
        w[j] = wj
        W += wj
        sy += wj * y[j]
        s2 += wj * wj
        s3 += wj * wj * wj
        prod *= w0[j] * t + 1.0
    est = sy / W
    rss = 0.0
    for j in range(y.size):
        r = y[j] - est
        rss += (w[j] * r) * r
    return W, est, rss, s2, s3, prod


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def others(x, out):  # type: ignore[no-untyped-def]
    """``tau2._others``: ``Σ_{j≠i} x_j`` from prefix and suffix sums (no subtraction)."""
    k = x.size
    acc = 0.0
    for i in range(k):
        out[i] = acc
        acc += x[i]
    acc = 0.0
    for i in range(k - 1, -1, -1):
        out[i] += acc
        acc += x[i]


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def sum_p2(w, work):  # type: ignore[no-untyped-def]
    """``tau2._sum_p2`` with a = b = 1: ``Σᵢⱼ Pᵢⱼ²`` for ``P = diag(w) - ww'/W``; the
    cancellation-free form where one weight dominates (``Σw² > 0.9 W²``).
    ``work`` is (3, k) scratch."""
    k = w.size
    W = 0.0
    s2 = 0.0
    s3 = 0.0
    for j in range(k):
        W += w[j]
        s2 += w[j] * w[j]
        s3 += w[j] * w[j] * w[j]
    if not s2 > 0.9 * W * W:
        return s2 - 2.0 * s3 / W + s2 * s2 / (W * W)
    o = work[0]
    w2 = work[1]
    o2 = work[2]
    others(w, o)
    for j in range(k):
        w2[j] = w[j] * w[j]
    others(w2, o2)
    first = 0.0
    second = 0.0
    for j in range(k):
        first += w2[j] * o[j] * o[j]
        second += w2[j] * o2[j]
    return first / (W * W) + second / (W * W)


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def terms(y, v, t, reml, wt):  # type: ignore[no-untyped-def]
    """``likelihood._terms``: the score's Point at τ², and ``h = g/T²`` with ``h'``."""
    W = 0.0
    sy = 0.0
    for j in range(y.size):
        w = 1.0 / (v[j] + t)
        wt[j] = w
        W += w
        sy += w * y[j]
    mu = sy / W
    a = 0.0
    b = 0.0
    cc = 0.0
    s2 = 0.0
    s3 = 0.0
    for j in range(y.size):
        w = wt[j]
        wr = (y[j] - mu) * w
        tmp = w * wr
        a += wr * wr
        b += tmp
        cc += tmp * wr
        w2 = w * w
        s2 += w2
        s3 += w2 * w
    g = a - W
    dg = -2.0 * cc + 2.0 * b * b / W + s2
    T = W
    dT = -s2
    if reml:
        g = g + s2 / W
        dg = dg + (s2 * s2 - 2.0 * s3 * W) / (W * W)
        T = W - s2 / W
        dT = -(s2 - 2.0 * s3 / W + (s2 / W) ** 2)
    u = 1.0 / T
    dA = -2.0 * (cc - b * b / W)
    ok = 1.0 if s2 <= 0.5 * W * W else 0.0
    h = g * u * u
    dh = (dg - 2.0 * g * dT * u) * u * u
    return (a, T, dT, g, W, ok, dA), h, dh


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def point(y, v, t, reml, slope, wt):  # type: ignore[no-untyped-def]
    """``bound.point``: ``A = Σ(wr)²``, T, T', g, W, ok and (if ``slope``)
    ``A' = -2Σw(u-ū)²`` with ``u = wr`` (NaN otherwise)."""
    W = 0.0
    sy = 0.0
    for j in range(y.size):
        w = 1.0 / (v[j] + t)
        wt[j] = w
        W += w
        sy += w * y[j]
    mu = sy / W
    A = 0.0
    s2 = 0.0
    s3 = 0.0
    wu = 0.0
    for j in range(y.size):
        w = wt[j]
        u = (y[j] - mu) * w
        A += u * u
        s2 += w * w
        s3 += (w * w) * w
        wu += w * u
    dA = math.nan
    if slope:
        ubar = wu / W
        dA = 0.0
        for j in range(y.size):
            w = wt[j]
            d = (y[j] - mu) * w - ubar
            dA += (w * d) * d
        dA = -2.0 * dA
    if reml:
        g = A - W + s2 / W
        T = W - s2 / W
        dT = -(s2 - 2.0 * s3 / W + (s2 / W) ** 2)
    else:
        g = A - W
        T = W
        dT = -s2
    ok = 1.0 if s2 <= 0.5 * W * W else 0.0
    return (A, T, dT, g, W, ok, dA)


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def q_fun(y, v, t, target, wt):  # type: ignore[no-untyped-def]
    """``roots._f_q``: ``f = 1/target - 1/Q(τ²)``, ``f'`` and ``f''`` (one pass for
    the weights, one for the sums).

    With ``wᵢ = 1/(vᵢ + τ²)``, ``rᵢ = yᵢ - μ̂`` and ``Σwᵢrᵢ = 0``:
    ``Q' = -Σw²r²`` and ``Q'' = 2Σw³r² - 2(Σw²r)²/W`` (``dμ̂/dτ² = -Σw²r/W``), so
    ``f' = Q'/Q²`` and ``f'' = Q''/Q² - 2Q'²/Q³``.
    """
    W = 0.0
    sy = 0.0
    for j in range(y.size):
        w = 1.0 / (v[j] + t)
        wt[j] = w
        W += w
        sy += w * y[j]
    mu = sy / W
    q = 0.0
    dq = 0.0
    c3 = 0.0
    c2 = 0.0
    for j in range(y.size):
        w = wt[j]
        r = y[j] - mu
        u = w * r
        q += u * r
        dq += u * u
        c3 += u * u * w
        c2 += u * w
    q2 = q * q
    return (
        1.0 / target - 1.0 / q,
        -dq / q2,
        (2.0 * c3 - 2.0 * c2 * c2 / W) / q2 - 2.0 * dq * dq / (q2 * q),
    )


@njit(cache=True, nogil=True, error_model="numpy")
def rtsafe(y, v, kind, extra, lo, hi, t0, vbar, wt):  # type: ignore[no-untyped-def]
    """``roots.rtsafe`` for one row: ``kind`` 0 = ML score, 1 = REML score (as ``h``
    of :func:`terms`), 2 = Q equation with target ``extra``, 3 = the same by Halley's
    steps. Returns (root, iterations, converged).

    Same bracket, bisection fallback and stopping rule as ``roots.rtsafe``. With
    ``kind`` 3 (the Q-profile CI limits, whose iterations are not reported; Paule-Mandel
    keeps 2 and reports the numpy engine's iteration count) the step is Halley's
    (Press et al., Numerical Recipes 3rd ed., section 9.4.1:
    ``Δ = (f/f') / (1 - f f''/(2f'²))``), falling back to Newton where the correction
    is large. Convergence is cubic, so the last, confirming evaluation comes one step
    earlier (:data:`HALLEY_NEAR`): 3.3 evaluations per row for the two Q-profile limits
    of the engine benchmark instead of 4.0, the same root to ~1e-12 relative.
    """
    t = fmin(fmax(t0, lo), hi)
    atol = 1e-15 * vbar + 1e-300
    dxold = hi - lo
    was_newton = False
    for it in range(1, MAXITER + 1):
        fpp = 0.0
        if kind >= 2:
            f, fp, fpp = q_fun(y, v, t, extra, wt)
        else:
            _, f, fp = terms(y, v, t, kind == 1, wt)
        if f > 0:
            lo = t
        if f < 0:
            hi = t
        step = f / fp if fp != 0 else (math.copysign(math.inf, f) if f != 0 else math.nan)
        near = 1e-7
        if kind == 3:  # Halley: the Newton step over 1 - f f''/(2 f'²), where that is > 1/2
            den = 1.0 - 0.5 * step * fpp / fp
            if den > 0.5:
                step = step / den
                near = HALLEY_NEAR
        newton = t - step
        ok = (newton > lo) and (newton < hi) and (abs(2.0 * f) <= abs(dxold * fp))
        tol = RTOL * t + atol
        astep = abs(step)
        small = (astep <= tol) or (was_newton and astep <= near * t and astep <= 1e-3 * dxold)
        tn = newton if ok else 0.5 * (lo + hi)
        if small:
            tn = fmin(fmax(newton, lo), hi)
        if f == 0:
            tn = t
        if f == 0 or small or hi - lo <= tol:
            return tn, it, True
        dxold = abs(tn - t)
        was_newton = ok
        t = tn
    return t, MAXITER, False
