"""Compiled (numba) row loops of the batch engine: τ² and the sums every field needs,
one meta-analysis (row of an N x K array) at a time.

The algorithm of each row is that of the numpy engine
(:func:`~trialmeta.resampling.batch.tau2.estimate_tau2_batch`,
:func:`~trialmeta.resampling.batch.likelihood.solve_likelihood`,
:func:`~trialmeta.resampling.batch.roots.solve_q_equation`): same start, same
bracket, same safeguarded-Newton steps and stopping rule (Halley's steps for the
Q-profile CI limits, :func:`~.nb_score.rtsafe`), same bounds that
rule out a second root, same ll0check. Where those bounds cannot rule one out,
the same grid search runs (:mod:`~.nb_scan`); where the numpy engine re-solves
a row with ``pool()``'s scalar solver (a positive score at the HE start and a
lower root not ruled out: rare), the kernel marks the row (``redo``) and the
caller refits it with the numpy engine. So every row gets the numpy engine's
answer.
Imported lazily, only with ``trialmeta[fast]`` (numba) installed.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from trialmeta.resampling.batch import nb_bound, nb_scan
from trialmeta.resampling.batch import nb_score as sc
from trialmeta.resampling.batch import nb_tail as nt

LL0_TOL = 1e-10  # likelihood._LL0_TOL

BLOCK = 256  # fits whose output fields are computed together (nb_tail)


@njit(cache=True, nogil=True, error_model="numpy")
def row_stats(y, v):  # type: ignore[no-untyped-def]
    """``S = Σ(y - ȳ)²`` (``roots.spread``), the smallest, largest and mean sampling
    variance and ``Σv``, in two passes (NaN where a y is not finite or a v is not
    finite and > 0: :func:`fit_rows` marks the row ``BAD``)."""
    sy, lo, hi, sv = 0.0, v[0], v[0], 0.0
    for j in range(y.size):
        sy += y[j]
        lo = min(lo, v[j])
        hi = max(hi, v[j])
        sv += v[j]
    if not (math.isfinite(sy) and lo > 0 and math.isfinite(sv)):
        return math.nan, math.nan, math.nan, math.nan, math.nan
    m = sy / y.size
    S = 0.0
    for j in range(y.size):
        d = y[j] - m
        S += d * d
    return S, lo, hi, sv / v.size, sv


@njit(cache=True, nogil=True, error_model="numpy")
def _upper_bound(S, vmin, vmax, c):  # type: ignore[no-untyped-def]
    """``roots.upper_bound``: τ² above every root of the ML/REML score."""
    u = (S + math.sqrt(S * S + 4.0 * c * S * (vmax - vmin))) / (2.0 * c)
    return sc.fmax(u - vmin, 0.0) * (1.0 + 1e-12) + 1e-300


@njit(cache=True, nogil=True, error_model="numpy")
def _step_from_zero(w0, W0, S20, g0, reml):  # type: ignore[no-untyped-def]
    """``likelihood._scoring_step_from_zero``: ``g(0)/I(0)``."""
    if not reml:
        return g0 / S20
    s3 = 0.0
    for j in range(w0.size):
        w = w0[j]
        s3 += (w * w) * w
    return g0 / (S20 - 2.0 * s3 / W0 + (S20 / W0) ** 2)


@njit(cache=True, nogil=True, error_model="numpy")
def _likelihood_tau2(y, v, reml, W0, mu0, a0, q0, S20, w0, wt, rs):  # type: ignore[no-untyped-def]
    """ML/REML τ² of one row as ``likelihood.solve_likelihood``: (τ², iterations,
    converged, redo); ``rs`` = :func:`row_stats`."""
    k = y.size
    df = k - 1.0
    S, vmin, vmax, vbar, vsum = rs
    he = (S - vsum * (1.0 - 1.0 / k)) / df
    dl = sc.fmax(0.0, (q0 - df) / (W0 - S20 / W0))
    t0 = sc.fmax(sc.fmax(he, 0.0), 0.0)
    g0 = a0 - W0
    if reml:
        g0 = g0 + S20 / W0
    right = g0 > 0
    left = right
    p_he = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    from_he = math.nan
    if t0 > 0:
        p_he, h, dh = sc.terms(y, v, t0, reml, wt)
        right = p_he[3] > 0
        from_he = t0 - h / dh if dh != 0 else math.nan
    left = left and not right
    if right or left:
        up = _upper_bound(S, vmin, vmax, df if reml else float(k))
        lo = t0 if right else 0.0
        hi = sc.fmax(up, t0) if right else t0
        guess = t0 if t0 > 0 else 0.5 * hi
        inside = dl > lo and dl < hi
        if inside:
            guess = dl
        if from_he > lo and from_he < hi:
            guess = from_he
            inside = True
        if not inside and lo == 0:
            guess = _step_from_zero(w0, W0, S20, g0, reml)
            guess = sc.fmin(sc.fmax(guess, lo), hi)
        t, it, cv = sc.rtsafe(y, v, 1 if reml else 0, 0.0, lo, hi, guess, vbar, wt)
        if not right and t0 > 1.5 * t:  # a larger root below τ₀ not ruled out: grid scan
            pa = sc.point(y, v, t, reml, False, wt)
            if not nb_bound.certify(y, v, t, t0, pa, p_he, 0.0, reml, vbar, wt):
                t, it = nb_scan.largest_root_below(y, v, reml, t, t0, t, it, vbar, wt)
                return t, it, cv, False
        if right and t > t0:  # a lower root above τ₀ not ruled out: pool()'s solver
            if t0 > 0 and p_he[5] > 0:
                pa = p_he
            else:
                pa = sc.point(y, v, t0, reml, True, wt)
            pb = sc.point(y, v, t, reml, True, wt)
            if not nb_bound.certify_above(y, v, t0, t, pa, pb, reml, vbar, wt):
                return t, it, cv, True
        return t, it, cv, False
    if t0 > 0:  # score ≤ 0 at 0 and at τ₀: a maximum in between not ruled out: grid scan
        pa = sc.point(y, v, 0.0, reml, False, wt)
        if not nb_bound.certify(y, v, 0.0, t0, pa, p_he, g0, reml, vbar, wt):
            lo = min(1e-3 * vmin, 0.5 * t0)
            t, it = nb_scan.largest_root_below(y, v, reml, lo, t0, 0.0, 0, vbar, wt)
            return t, it, True, False
    return 0.0, 0, True, False


@njit(cache=True, nogil=True, error_model="numpy")
def _ll_zero_is_higher(w0, t, q, W, q0, W0, reml, prod):  # type: ignore[no-untyped-def]
    """``likelihood.ll_zero_is_higher`` (metafor's ll0check) for one row, given
    ``prod = Π(1 + τ²w₀)`` (the logs are summed where it overflows)."""
    if not t > 0:
        return False
    logs = math.log(prod)
    if not math.isfinite(logs):
        logs = 0.0
        for j in range(w0.size):
            logs += math.log(w0[j] * t + 1.0)
    diff = logs + (q - q0)
    if reml:
        diff += math.log(W / W0)
    return 0.5 * diff > LL0_TOL


@njit(cache=True, nogil=True, error_model="numpy")
def q_root(y, v, target, q0, a0, rs, wt, halley=False):  # type: ignore[no-untyped-def]
    """``roots.solve_q_equation`` for one row: root of ``Q(τ²) = target``, 0 where
    ``Q(0) ≤ target``: (τ², iterations, converged); ``rs`` = :func:`row_stats`;
    ``halley``: Halley's steps (:func:`~.nb_score.rtsafe` kind 3)."""
    if not q0 > target:
        return 0.0, 0, True
    S, vmin, _, vbar, _ = rs
    hi = sc.fmax(S / target - vmin, 0.0) * (1.0 + 1e-12) + 1e-300
    t0 = q0 * (q0 - target) / (target * a0)
    return sc.rtsafe(y, v, 3 if halley else 2, target, 0.0, hi, t0, vbar, wt)


@njit(cache=True, nogil=True, error_model="numpy")
def _tau2_row(yi, vi, code, buf, zs):  # type: ignore[no-untyped-def]
    """τ² of one row by ``code`` with its se and the pass at τ̂², from the τ² = 0 sums
    ``zs`` (``nb_score.zero_sums``, with ``buf[0]`` = w₀): (τ², se, W, μ̂, Σw(y-μ̂)²,
    iterations, converged, redo)."""
    k = yi.size
    df = k - 1.0
    w0, w, wt, work = buf[0], buf[1], buf[2], buf[3:6]
    W0, mu0, a0, q0, S20, rs = zs
    it, cv, redo = 0, True, False
    if code == 0:  # DL (DerSimonian & Laird 1986)
        trP0 = W0 - S20 / W0
        p2 = sc.sum_p2(w0, work)
        t = sc.fmax(0.0, (q0 - df) / trP0)
        se = math.sqrt(2 * df + 4 * t * trP0 + 2 * t**2 * p2) / trP0
        W, est, rss = sc.at_tau2(yi, vi, t, w)
    elif code == 3:  # PM/EB: Q(τ²) = k - 1 (Paule & Mandel 1982; Morris 1983)
        t, it, cv = q_root(yi, vi, df, q0, a0, rs, wt)
        W, est, rss = sc.at_tau2(yi, vi, t, w)
        se = math.sqrt(2 * k**2 / df / W**2)
    else:  # ML/REML (Viechtbauer 2005)
        reml = code == 2
        t, it, cv, redo = _likelihood_tau2(yi, vi, reml, W0, mu0, a0, q0, S20, w0, wt, rs)
        W, est, rss, s2, s3, prod = sc.at_tau2_ml(yi, vi, t, w, w0)
        if _ll_zero_is_higher(w0, t, rss, W, q0, W0, reml, prod):
            t, W, est, rss = 0.0, W0, mu0, q0
            se = math.sqrt(2.0 / sc.sum_p2(w0, work)) if reml else math.sqrt(2.0 / S20)
        elif not reml:
            se = math.sqrt(2.0 / s2)
        elif s2 > 0.9 * W * W:  # one weight dominates: tau2._sum_p2_stable
            se = math.sqrt(2.0 / sc.sum_p2(w, work))
        else:
            se = math.sqrt(2.0 / (s2 - 2.0 * s3 / W + s2 * s2 / (W * W)))
    return t, se, W, est, rss, it, cv, redo


@njit(cache=True, nogil=True, error_model="numpy")
def fit_rows(y, v, code, crit, tests, tau2_ci, shared, per_test):  # type: ignore[no-untyped-def]
    """Every ``pool_batch`` field of each row of ``y``, ``v`` (N x K, K ≥ 2), as
    :func:`~trialmeta.resampling.batch.fit.assemble` computes them.

    ``code``: 0 DL, 1 ML, 2 REML, 3 PM/EB. ``crit`` = (t_knha, t_pi, z, χ²_u, χ²_l) at
    this K; ``tests`` = (want z, want knha) as 0/1. Writes ``shared`` (15, N; rows
    ``nb_tail.SHARED``) and ``per_test`` (2, 7, N: z then knha; rows
    ``nb_tail.PER_TEST``; the knha p-value is left to the caller)."""
    n, k = y.shape
    buf = np.empty((6, k))
    blk = np.empty((13, BLOCK))
    for start in range(0, n, BLOCK):
        m = min(BLOCK, n - start)
        for b in range(m):
            i = start + b
            yi, vi = y[i], v[i]
            zs = sc.zero_sums(yi, vi, buf[0])
            W0, _, a0, q0, S20, rs = zs
            if rs[0] != rs[0]:  # the caller names the bad value
                shared[14, i] = nt.BAD
                return
            t, se_t, W, est, rss, it, cv, redo = _tau2_row(yi, vi, code, buf, zs)
            blk[0, b], blk[1, b], blk[2, b], blk[3, b], blk[4, b] = t, se_t, W, est, rss
            blk[5, b], blk[6, b], blk[7, b], blk[8, b] = q0, W0, S20, it
            blk[9, b] = (nt.CONVERGED if cv else 0) + (nt.REDO if redo else 0)
            if tau2_ci:
                blk[10, b] = q_root(yi, vi, crit[3], q0, a0, rs, buf[2], True)[0]
                blk[11, b] = q_root(yi, vi, crit[4], q0, a0, rs, buf[2], True)[0]
        end = start + m  # each field of the block is one contiguous run of the outputs
        nt.tail(m, k, crit, tests, tau2_ci, blk, shared[:, start:end], per_test[:, :, start:end])
