"""metafor's Fisher scoring for τ², vectorised over many fits, with a bracketed finish.

Fisher scoring (metafor ``rma.uni``; :func:`trialmeta.stats.tau2.estimate_tau2`)
steps ``τ² ← τ² + g(τ²)/I(τ²)`` from the HE start, halving a step that would
cross 0, until ``|Δτ²| ≤ tol·max(1, τ²)``. With widely varying weights the
steps can overshoot, so the iterates alternate around the root and close in
on it slowly (hundreds of steps). Once two successive iterates have scores of
opposite sign they bracket the root the iteration converges to; that root is
then found inside the bracket by the Illinois variant of regula falsi
(Dowell & Jarratt 1971) in a few score evaluations. :func:`polish` refines a
root to full precision as ``estimate_tau2``'s ``_polish`` does.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["fisher_scoring", "illinois", "polish"]

#: ``step(rows, τ²) -> (score, Fisher-scoring step)`` for the fits ``rows``
Step = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
#: ``score(rows, τ²) -> score``
Score = Callable[[np.ndarray, np.ndarray], np.ndarray]

_MAXITER = 1000


def fisher_scoring(step: Step, start: np.ndarray, tol: float) -> tuple[np.ndarray, np.ndarray]:
    """τ² of every fit from ``start`` (module docstring); returns τ² and the fits that
    did not settle in 1000 steps (their last iterate; NaN where a step was not finite)."""
    n = start.size
    tau2 = np.maximum(start, 0.0).astype(float)
    active = np.arange(n)
    prev_t, prev_g = np.full(n, np.nan), np.full(n, np.nan)
    lo, hi = np.full(n, np.nan), np.full(n, np.nan)
    g_lo, g_hi = np.full(n, np.nan), np.full(n, np.nan)
    for _ in range(_MAXITER):
        if active.size == 0:
            break
        t = tau2[active]
        g, adj = step(active, t)
        cross = (g * prev_g[active] < 0) & (g != 0)
        if cross.any():  # bracketed: left to regula falsi
            c = active[cross]
            a, b, ga, gb = prev_t[c], t[cross], prev_g[c], g[cross]
            swap = a > b
            lo[c], hi[c] = np.where(swap, b, a), np.where(swap, a, b)
            g_lo[c], g_hi[c] = np.where(swap, gb, ga), np.where(swap, ga, gb)
        prev_t[active], prev_g[active] = t, g
        while np.any(neg := t + adj < 0):  # metafor's step halving at the bound
            adj[neg] /= 2.0
        new = t + adj
        keep = ~cross
        tau2[active[keep]] = new[keep]
        done = np.abs(new - t) <= tol * np.maximum(1.0, new)
        active = active[keep & ~done]
    rows = np.flatnonzero(np.isfinite(lo))
    if rows.size:
        score: Score = lambda r, x: step(r, x)[0]  # noqa: E731
        tau2[rows] = illinois(score, rows, lo[rows], hi[rows], g_lo[rows], g_hi[rows], tol, 0.0)
    return tau2, np.union1d(active, np.flatnonzero(~np.isfinite(tau2)))


def illinois(
    score: Score,
    rows: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    fa: np.ndarray,
    fb: np.ndarray,
    rtol: float,
    atol: float,
) -> np.ndarray:
    """Root of ``score`` in ``[a, b]`` (opposite signs at the ends) for each of ``rows``, to
    ``b - a ≤ rtol·max(1, τ²) + atol`` (or ``rtol·τ² + atol`` when ``atol > 0``)."""
    a, b, fa, fb = a.astype(float), b.astype(float), fa.astype(float), fb.astype(float)
    out = 0.5 * (a + b)
    side = np.zeros(rows.size, dtype=np.int64)
    live = np.arange(rows.size)
    for _ in range(_MAXITER):
        if live.size == 0:
            break
        al, bl, fal, fbl = a[live], b[live], fa[live], fb[live]
        with np.errstate(divide="ignore", invalid="ignore"):
            x = (al * fbl - bl * fal) / (fbl - fal)
        bad = ~((x > al) & (x < bl))
        x[bad] = 0.5 * (al[bad] + bl[bad])
        fx = score(rows[live], x)
        out[live] = x
        left = fx * fal > 0  # the root is in [x, b]
        i_l, i_r = live[left], live[~left]
        a[i_l], fa[i_l] = x[left], fx[left]
        fb[i_l[side[i_l] == 1]] *= 0.5  # the same end kept twice: halve its value
        side[i_l] = 1
        b[i_r], fb[i_r] = x[~left], fx[~left]
        fa[i_r[side[i_r] == -1]] *= 0.5
        side[i_r] = -1
        scale = np.abs(x) if atol > 0 else np.maximum(1.0, x)
        live = live[~((b[live] - a[live] <= rtol * scale + atol) | (fx == 0))]
    return np.asarray(out)


def polish(score: Score, tau2: np.ndarray, vbar: np.ndarray, zero_ok: np.ndarray) -> np.ndarray:
    """Refine Fisher-scoring results to the exact root of ``score``, as
    :func:`trialmeta.stats.tau2._polish`: 0 where ``τ² ≤ 1e-10·v̄`` and the score at 0
    is ≤ 0 (``zero_ok``); otherwise the root bracketed around ``τ²`` (a relative
    half-width of 1e-6, widened until the score changes sign), to 4 ulp."""
    out = tau2.copy()
    at_zero = (tau2 <= 1e-10 * vbar) & zero_ok
    out[at_zero] = 0.0
    rows = np.flatnonzero(~at_zero)
    if not rows.size:
        return out
    t = tau2[rows]
    lo, hi = t * (1 - 1e-6), t * (1 + 1e-6) + 1e-300
    g_lo, g_hi = score(rows, lo), score(rows, hi)
    for _ in range(200):
        low, high = g_lo < 0, g_hi > 0
        if not (low | high).any():
            break
        lo[low] /= 2.0
        hi[high] *= 2.0
        if low.any():
            g_lo[low] = score(rows[low], lo[low])
        if high.any():
            g_hi[high] = score(rows[high], hi[high])
    flat = g_lo == g_hi
    eps4 = 4 * float(np.finfo(float).eps)
    root = illinois(score, rows, lo, hi, g_lo, g_hi, eps4, 1e-300)
    out[rows] = np.where(flat, t, root)
    return out
