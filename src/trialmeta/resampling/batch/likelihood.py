"""ML/REML τ² over many meta-analyses: the root of the (restricted) likelihood
score that :func:`trialmeta.pool`'s Fisher scoring from the HE start reaches.

Score (Viechtbauer 2005): ``g(τ²) = A - T`` with ``A = y'PPy = Σw²r²`` and
``T = tr(P)`` (REML) or ``Σw`` (ML); see :mod:`trialmeta._batch_bound`.
"""

from __future__ import annotations

import numpy as np

from trialmeta.resampling.batch.bound import Point, certify, certify_above, point
from trialmeta.resampling.batch.roots import Fun, rtsafe, upper_bound
from trialmeta.resampling.batch.scan import largest_root_below
from trialmeta.resampling.batch.scoring import fisher_scoring, polish
from trialmeta.resampling.batch.stack import (
    Stack,
    Zero,
    col_dot,
    mean_of,
    scratch,
    subset,
    vrange,
    weights,
)  # fmt: skip

__all__ = ["ll_zero_is_higher", "solve_likelihood"]

_LL0_TOL = 1e-10  # as trialmeta.tau2: reset ML/REML to 0 when ll(0) is higher by more


def _terms(s: Stack, t: np.ndarray, reml: bool) -> tuple[Point, np.ndarray, np.ndarray]:
    """The score's :class:`Point` at ``τ²``, and ``h = g/T²`` with its derivative.

    ``h`` has the roots of the score ``g = Σw²r² - Σw [+ Σw²/W for REML]``
    (Viechtbauer 2005) but is nearly linear in τ²: with equal variances
    ``h = Σr²/(k-1)² - (v+τ²)/(k-1)`` exactly (REML; ML alike with k), so
    Newton needs few steps."""
    shape = s.y.shape
    w = weights(s, t, scratch("score.w", shape))
    W = w.sum(0)
    wr = np.subtract(s.y, col_dot(w, s.y) / W, out=scratch("score.r", shape))
    wr *= w
    tmp = np.multiply(w, wr, out=scratch("score.t", shape))
    a = col_dot(wr, wr)  # Σw²r²
    b = tmp.sum(0)  # Σw²r
    cc = col_dot(tmp, wr)  # Σw³r²
    w2 = np.multiply(w, w, out=tmp)
    S2 = w2.sum(0)
    g = a - W
    dg = -2.0 * cc + 2.0 * b * b / W + S2
    T, dT = W, -S2
    if reml:
        S3 = col_dot(w2, w)
        g = g + S2 / W
        dg = dg + (S2 * S2 - 2.0 * S3 * W) / (W * W)
        T = W - S2 / W
        dT = -(S2 - 2.0 * S3 / W + (S2 / W) ** 2)
    u = 1.0 / T
    dA = -2.0 * (cc - b * b / W)
    return Point(a, T, dT, g, W, S2 <= 0.5 * W * W, dA), g * u * u, (dg - 2.0 * g * dT * u) * u * u


def _f_score(reml: bool) -> Fun:
    """``(h, h')`` of :func:`_terms` for :func:`rtsafe` (``extra`` unused)."""

    def f(s: Stack, t: np.ndarray, _: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return _terms(s, t, reml)[1:]

    return f


def solve_likelihood(
    s: Stack, reml: bool, start: np.ndarray, dl_start: np.ndarray, z: Zero, S: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ML/REML: a root of the (restricted) likelihood score (Viechtbauer 2005).

    As metafor's Fisher scoring (and :mod:`trialmeta.tau2`), the search starts
    from ``τ₀ = max(0, HE)`` and goes uphill: if the score at ``τ₀`` is
    positive the root is bracketed by ``[τ₀, upper]``, else by ``[0, τ₀]``
    (0 when the score at 0 is ≤ 0 too). Walking down from τ₀, Fisher scoring
    stops at the largest root below it; where a second root there cannot be
    ruled out by :func:`~trialmeta._batch_bound.certify`, a grid search
    (:func:`~trialmeta._batch_scan.largest_root_below`) looks for it. The first
    Newton guess is one Newton step from τ₀, else DL, else a Fisher-scoring
    step from 0.
    ``S = Σ(y-ȳ)²``. metafor's ``ll0check`` is :func:`ll_zero_is_higher`.
    """
    fun = _f_score(reml)
    n = s.n
    t0 = np.maximum(start, 0.0)
    g0 = z.a - z.W
    if reml:
        g0 = g0 + z.S2 / z.W
    right = g0 > 0
    left = right.copy()
    he_pos = np.flatnonzero(t0 > 0)
    p_he = None
    from_he = np.full(n, np.nan)  # a Newton step from τ₀: usually the best first guess
    if he_pos.size:
        p_he, h, dh = _terms(subset(s, he_pos, "he"), t0[he_pos], reml)
        right[he_pos] = p_he.g > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            from_he[he_pos] = t0[he_pos] - h / dh
    left &= ~right  # root in [0, t0]; right: root in [t0, upper]
    tau2 = np.zeros(n)
    conv = np.ones(n, dtype=bool)
    iters = np.zeros(n, dtype=np.int64)
    rows: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]  # to scan, with the scan's lower end
    bounds: list[np.ndarray] = [np.zeros(0)]
    act = np.flatnonzero(right | left)
    if act.size:
        sub = subset(s, act, "lik")
        vmin, vmax = vrange(sub)
        up = upper_bound(S[act], vmin, vmax, sub.k - 1.0 if reml else sub.k)
        st = t0[act]
        r = right[act]
        lo = np.where(r, st, 0.0)
        hi = np.where(r, np.maximum(up, st), st)
        guess = np.where(st > 0, st, 0.5 * hi)
        d = dl_start[act]  # DL is usually close to the ML/REML root
        inside = (d > lo) & (d < hi)
        guess = np.where(inside, d, guess)
        nh = from_he[act]
        good = (nh > lo) & (nh < hi)
        guess = np.where(good, nh, guess)
        inside |= good
        from0 = np.flatnonzero(~inside & (lo == 0))
        if from0.size:  # e.g. DL = HE = 0 < root: a Fisher-scoring step from 0
            guess[from0] = _scoring_step_from_zero(z, act[from0], g0[act[from0]], reml)
            guess = np.clip(guess, lo, hi)
        t, cv, it = rtsafe(fun, sub, lo, lo, hi, guess)  # (extra unused)
        tau2[act], conv[act], iters[act] = t, cv, it
        far = np.flatnonzero(~r & (st > 1.5 * t))
        if far.size:
            # Walking down from τ₀, Fisher scoring stops at the largest root below
            # it: when τ₀ is far above the root found, look for a larger one.
            sf = sub.take(far, "far")
            assert p_he is not None  # these rows have τ₀ > 0, so HE points exist
            pb = p_he.take(np.searchsorted(he_pos, act[far]))
            pa = point(sf, t[far], reml)
            scan = ~certify(sf, t[far], st[far], pa, pb, np.zeros(far.size), reml)
            rows.append(act[far[scan]])
            bounds.append(t[far[scan]])
        up_rows = np.flatnonzero(r & (t > st))
        if up_rows.size:
            # Walking up from τ₀, Fisher scoring stops at the lowest root above it:
            # where another root below the one found cannot be ruled out, re-solve
            # those (rare) rows as :func:`trialmeta.pool` does.
            tau2[act[up_rows]] = _lowest_root_above(s, sub, act, up_rows, t, st, p_he, he_pos,
                                                    reml)  # fmt: skip
    hidden = np.flatnonzero(~right & ~left & (t0 > 0))
    if hidden.size:
        # Score ≤ 0 at 0 and at τ₀: a local maximum may still lie in between
        # (bimodal likelihood), which Fisher scoring walking down from τ₀ reaches.
        sub = s.take(hidden, "hid")
        assert p_he is not None  # these rows have τ₀ > 0, so HE points exist
        pb = p_he.take(np.searchsorted(he_pos, hidden))
        pa = point(sub, 0.0, reml)
        scan = ~certify(sub, np.zeros(hidden.size), t0[hidden], pa, pb, g0[hidden], reml)
        rows.append(hidden[scan])
        bounds.append(
            np.minimum(1e-3 * vrange(sub.take(np.flatnonzero(scan)))[0], 0.5 * t0[hidden[scan]])
        )
    scan = np.concatenate(rows)
    if scan.size:  # one grid search for both kinds of rows
        lo = np.concatenate(bounds)
        ss = s.take(scan)
        tau2[scan], iters[scan] = largest_root_below(
            fun, reml, ss, lo, t0[scan], tau2[scan], iters[scan]
        )
    return tau2, conv, iters


def _lowest_root_above(
    s: Stack,
    sub: Stack,
    act: np.ndarray,
    rows: np.ndarray,
    t: np.ndarray,
    st: np.ndarray,
    p_he: Point | None,
    he_pos: np.ndarray,
    reml: bool,
) -> np.ndarray:
    """τ² of ``sub`` columns ``rows`` (score > 0 at ``st``, root ``t`` found above),
    re-solved as :func:`trialmeta.pool` does (Fisher scoring from ``st``,
    :func:`_fisher_from`) where :func:`~._batch_bound.certify_above` cannot prove
    the score > 0 on ``[st, t)`` (the score at ``st > 0`` is known: ``p_he``)."""
    out = t[rows].copy()
    a = st[rows]
    known = np.zeros(rows.size, dtype=bool)
    pos = np.flatnonzero(a > 0)
    if pos.size:  # p_he's A' cancels where one weight dominates (not ok): recompute
        assert p_he is not None  # a start st > 0 is a τ₀ > 0, so HE points exist
        known[pos] = p_he.ok[np.searchsorted(he_pos, act[rows[pos]])]
    failed = []
    for part, tag in ((np.flatnonzero(known), "up"), (np.flatnonzero(~known), "up0")):
        if not part.size:
            continue
        su = sub.take(rows[part], tag)
        if tag == "up" and p_he is not None:  # "up" rows are known, so p_he exists
            pa = p_he.take(np.searchsorted(he_pos, act[rows[part]]))
        else:
            pa = point(su, a[part], reml, True)
        pb = point(su, t[rows[part]], reml, True)
        failed.append(part[~certify_above(su, a[part], t[rows[part]], pa, pb, reml)])
    redo = np.concatenate(failed) if failed else np.zeros(0, dtype=np.int64)
    if redo.size:
        out[redo] = _fisher_from(s, act[rows[redo]], a[redo], reml)
    return np.asarray(out)


def _fisher_from(s: Stack, cols: np.ndarray, start: np.ndarray, reml: bool) -> np.ndarray:
    """τ² of columns ``cols`` of ``s`` as :func:`trialmeta.stats.tau2`'s solver from
    ``start``: metafor's Fisher scoring (to 1e-14, finished in its bracket where the
    iterates alternate: :func:`~.scoring.fisher_scoring`), polished to the exact root;
    columns where it does not settle by :func:`_scalar_root` (its bracketing
    fallback). metafor's ll0check is left to the caller."""
    su = s.take(cols)

    def step(r: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p = point(su.take(r), x, reml)
        return p.g, p.g / -p.dT

    def score(r: np.ndarray, x: np.ndarray) -> np.ndarray:
        return point(su.take(r), x, reml).g

    tau2, bad = fisher_scoring(step, start, 1e-14)
    good = np.setdiff1d(np.arange(cols.size), bad)
    if good.size:
        sg = su.take(good)
        zero_ok = point(sg, 0.0, reml).g <= 0
        tau2[good] = polish(lambda r, x: score(good[r], x), tau2[good], mean_of(sg, sg.v),
                            zero_ok)  # fmt: skip
    method = "REML" if reml else "ML"
    for i in bad:
        c = cols[i]
        keep = slice(None) if s.m is None else s.m[:, c] > 0
        tau2[i] = _scalar_root(method, s.y[keep, c], s.v[keep, c], float(start[i]))
    return tau2


def _scalar_root(method: str, y: np.ndarray, v: np.ndarray, start: float) -> float:
    """τ² by :func:`trialmeta.tau2`'s solver from ``start`` (Fisher scoring, polished,
    its fallback and metafor's ll0check), as :func:`trialmeta.pool` computes it."""
    from trialmeta.stats.tau2 import _solve_likelihood

    return _solve_likelihood(method, y, v, np.ones((y.size, 1)), start)[0]


def _scoring_step_from_zero(z: Zero, idx: np.ndarray, g0: np.ndarray, reml: bool) -> np.ndarray:
    """``g(0)/I(0)`` with the expected information ``I = tr(P²)`` (REML) or ``Σw²`` (ML)."""
    S2, W = z.S2[idx], z.W[idx]
    if not reml:
        return np.asarray(g0 / S2)
    w = z.w[:, idx]
    S3 = col_dot(w * w, w)
    return np.asarray(g0 / (S2 - 2.0 * S3 / W + (S2 / W) ** 2))


def ll_zero_is_higher(
    z: Zero, tau2: np.ndarray, q: np.ndarray, W: np.ndarray, reml: bool
) -> np.ndarray:
    """metafor's ``ll0check``: ``ll(0) - ll(τ²) > 1e-10`` per column, given
    ``Q(τ²)`` and ``W(τ²)``. ``Σlog(v+τ²) - Σlog v = log Π(1 + τ²w₀)`` (one log
    per column; columns whose product overflows sum the logs)."""
    x = np.multiply(z.w, tau2, out=scratch("ll0.x", z.w.shape))
    x += 1.0
    with np.errstate(over="ignore"):
        p = x.prod(0)
    logs = np.log(p)
    big = np.flatnonzero(~np.isfinite(logs))
    if big.size:
        logs[big] = np.log(x[:, big]).sum(0)
    diff = logs + (q - z.q)
    if reml:
        diff += np.log(W / z.W)
    return np.asarray((0.5 * diff > _LL0_TOL) & (tau2 > 0))
