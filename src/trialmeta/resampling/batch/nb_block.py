"""Compiled (numba) DerSimonian-Laird fits of many rows, a block of rows at a time.

DL has no iterations, so its sums are done across a block of rows at once
(study-major, as the numpy engine's arrays): each step is one loop over the
block that the compiler turns into vector instructions, where a loop over one
row's studies is a chain of dependent additions. The sums run over the studies
in order, as in :func:`~trialmeta.resampling.batch.tau2.estimate_tau2_batch`
(``τ² = max(0, (Q - (k-1))/(W - Σw²/W))``, DerSimonian & Laird 1986), and the
fields are those of :func:`~trialmeta.resampling.batch.nb_tail.tail`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from trialmeta.resampling.batch import nb_score as sc
from trialmeta.resampling.batch import nb_tail as nt
from trialmeta.resampling.batch.nb_rows import BLOCK, q_root, row_stats


@njit(cache=True, nogil=True, error_model="numpy")
def dl_rows(y, v, crit, tests, tau2_ci, shared, per_test):  # type: ignore[no-untyped-def]  # noqa: C901 - one compiled pass per row (numba kernel)
    """:func:`~trialmeta.resampling.batch.nb_rows.fit_rows` for DL (same outputs)."""
    n, k = y.shape
    df = k - 1.0
    yt, vt = np.empty((k, BLOCK)), np.empty((k, BLOCK))
    w0, wt = np.empty((k, BLOCK)), np.empty((k, BLOCK))
    W0, sy, a0, q0 = np.empty(BLOCK), np.empty(BLOCK), np.empty(BLOCK), np.empty(BLOCK)
    S20, S30, W, sw = np.empty(BLOCK), np.empty(BLOCK), np.empty(BLOCK), np.empty(BLOCK)
    rss, tau2, mu0, est = np.empty(BLOCK), np.empty(BLOCK), np.empty(BLOCK), np.empty(BLOCK)
    row_w = np.empty(k)
    work = np.empty((4, k))
    blk = np.empty((13, BLOCK))  # per-fit sums for nb_tail.tail
    for start in range(0, n, BLOCK):
        m = min(BLOCK, n - start)
        bad = False
        for b in range(m):  # study-major copy of the block (in cache), values checked
            for j in range(k):
                yv, vv = y[start + b, j], v[start + b, j]
                yt[j, b] = yv
                vt[j, b] = vv
                bad |= not (yv - yv == 0 and vv > 0 and vv - vv == 0)
        if bad:  # the caller names the bad value
            shared[14, start] = nt.BAD
            return
        W0[:] = 0.0
        sy[:] = 0.0
        a0[:] = 0.0
        q0[:] = 0.0
        S20[:] = 0.0
        S30[:] = 0.0
        W[:] = 0.0
        sw[:] = 0.0
        rss[:] = 0.0
        for j in range(k):  # w₀ = 1/v, W₀ = Σw₀, Σw₀y
            for b in range(m):
                w = 1.0 / vt[j, b]
                w0[j, b] = w
                W0[b] += w
                sy[b] += w * yt[j, b]
        for b in range(m):
            mu0[b] = sy[b] / W0[b]
        for j in range(k):  # a = Σ(w₀r)², Q(0) = Σw₀r², Σw₀², Σw₀³
            for b in range(m):
                w = w0[j, b]
                r = yt[j, b] - mu0[b]
                wr = w * r
                a0[b] += wr * wr
                q0[b] += wr * r
                S20[b] += w * w
                S30[b] += w * w * w
        for b in range(m):
            trP0 = W0[b] - S20[b] / W0[b]
            tau2[b] = sc.fmax(0.0, (q0[b] - df) / trP0)
        for j in range(k):  # at τ̂²: W = Σw, Σwy
            for b in range(m):
                w = 1.0 / (vt[j, b] + tau2[b])
                wt[j, b] = w
                W[b] += w
                sw[b] += w * yt[j, b]
        for b in range(m):
            est[b] = sw[b] / W[b]
        for j in range(k):  # Σw(y - μ̂)²
            for b in range(m):
                r = yt[j, b] - est[b]
                rss[b] += (wt[j, b] * r) * r
        for b in range(m):
            i = start + b
            trP0 = W0[b] - S20[b] / W0[b]
            t = tau2[b]
            if S20[b] > 0.9 * W0[b] * W0[b]:  # one weight dominates: tau2._sum_p2_stable
                for j in range(k):
                    row_w[j] = w0[j, b]
                p2 = sc.sum_p2(row_w, work[1:])
            else:
                p2 = S20[b] - 2.0 * S30[b] / W0[b] + S20[b] * S20[b] / (W0[b] * W0[b])
            blk[0, b], blk[1, b] = t, math.sqrt(2 * df + 4 * t * trP0 + 2 * t**2 * p2) / trP0
            blk[2, b], blk[3, b], blk[4, b] = W[b], est[b], rss[b]
            blk[5, b], blk[6, b], blk[7, b], blk[8, b], blk[9, b] = q0[b], W0[b], S20[b], 0, 1
            if tau2_ci:
                rs = row_stats(y[i], v[i])
                blk[10, b] = q_root(y[i], v[i], crit[3], q0[b], a0[b], rs, work[0], True)[0]
                blk[11, b] = q_root(y[i], v[i], crit[4], q0[b], a0[b], rs, work[0], True)[0]
        end = start + m  # each field of the block is one contiguous run of the outputs
        nt.tail(m, k, crit, tests, tau2_ci, blk, shared[:, start:end], per_test[:, :, start:end])
