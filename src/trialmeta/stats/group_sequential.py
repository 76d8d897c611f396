"""Group sequential boundaries: Lan-DeMets O'Brien-Fleming-type alpha and beta spending.

Efficacy boundaries spend the type I error under H0 (Lan & DeMets 1983); futility boundaries
(the inner wedge of trial sequential analysis) spend the type II error under the design
alternative, with an O'Brien-Fleming-type beta-spending function (Pampallona & Tsiatis,
J Stat Plan Inference 1994;42:19-35; Wetterslev et al., BMC Med Res Methodol 2017;17:39).
Both are found by the recursive numerical integration of Armitage, McPherson & Rowe (1969),
as in Reboussin et al. (2000) and Jennison & Turnbull (2000, ch. 19): the sub-density of the
score ``S_k = Z_k sqrt(t_k)`` on the continuation region is propagated look to look with
Simpson's rule.
"""

from __future__ import annotations

import math

import numpy as np

from trialmeta import _dist
from trialmeta._checks import as_vector
from trialmeta.errors import InputError

__all__ = ["beta_spending_futility", "lan_demets_boundaries", "obf_alpha_spent", "obf_beta_spent"]

_SPAN_SD = 10.0  # the score density is kept within ±10 standard deviations
_POINTS_PER_SD = 12.0  # Simpson grid spacing: a twelfth of the smallest increment SD
_MAX_POINTS = 6001
_Z_MAX = 40.0
_BLOCK = 512


def obf_alpha_spent(fraction: object, alpha: float = 0.05, sides: int = 2) -> np.ndarray:
    """Cumulative type I error spent by the O'Brien-Fleming-type function.

    Each side spends ``a(t) = 2 - 2Φ(z_{1-a/2}/√t)`` of its share
    ``a = α/sides`` (Lan & DeMets 1983), so the total returned is
    ``sides · a(t)``; ``t`` is clipped to [0, 1] and ``a(1) = a``.

    Examples
    --------
    >>> float(obf_alpha_spent(1.0)[0])
    0.05
    """
    t = as_vector("fraction", fraction)
    if np.any(~np.isfinite(t)) or np.any(t < 0):
        raise InputError("fraction", fraction, "information fractions >= 0")
    prob("alpha", alpha)
    sides_ok(sides)
    a = alpha / sides
    z = _dist.norm_isf(a / 2.0)
    tt = np.clip(t, 0.0, 1.0)
    out: np.ndarray = np.zeros_like(tt)
    pos = tt > 0
    out[pos] = sides * 2.0 * _dist.norm_sf(z / np.sqrt(tt[pos]))
    out[tt == 1.0] = alpha
    return out


def lan_demets_boundaries(fractions: object, alpha: float = 0.05, sides: int = 2) -> np.ndarray:
    """Upper Z boundaries of the Lan-DeMets O'Brien-Fleming-type design.

    The boundary ``b_k`` solves ``P(Z_j inside for j < k, Z_k outside) = α(t_k) -
    α(t_{k-1})`` under H₀, where ``Z_k √t_k`` is Brownian motion in the
    information ``t``. The density of the continuation region is propagated
    look to look with Simpson's rule (Armitage, McPherson & Rowe 1969; Jennison
    & Turnbull 2000, ch. 19; Reboussin et al. 2000). Two-sided boundaries are
    symmetric (``-b_k`` below). A look that spends nothing gets ``inf``. When
    the last fraction exceeds 1 the spending uses ``t / max(t)``, as RTSA does.

    Examples
    --------
    >>> np.round(lan_demets_boundaries([0.2, 0.4, 0.6, 0.8, 1.0]), 3).tolist()
    [4.877, 3.357, 2.68, 2.29, 2.031]
    """
    t = as_vector("fractions", fractions)
    if np.any(~np.isfinite(t)) or np.any(t <= 0):
        raise InputError("fractions", fractions, "information fractions > 0")
    if np.any(np.diff(t) <= 0):
        raise InputError("fractions", fractions, "strictly increasing information fractions")
    timing = t / t[-1] if t[-1] > 1.0 else t
    spent = obf_alpha_spent(timing, alpha, sides)
    inc = np.diff(spent, prepend=0.0)
    sd_inc = np.sqrt(np.diff(t, prepend=0.0))
    K = len(t)
    b = np.empty(K)
    b[0] = _dist.norm_isf(inc[0] / sides) if inc[0] > 0 else np.inf
    # nodes (score scale) and density x Simpson weight of the continuation region
    nodes, dens = np.empty(0), np.empty(0)
    for k in range(K):
        if k > 0:
            b[k] = _solve_boundary(nodes, dens, sd_inc[k], t[k], inc[k], sides)
        if k == K - 1:
            break
        new_nodes, weights = _grid(b[k], t[k], min(sd_inc[k], sd_inc[k + 1]), sides)
        if k == 0:
            f = _dist.norm_pdf(new_nodes / np.sqrt(t[0])) / np.sqrt(t[0])
        else:
            f = _propagate(new_nodes, nodes, dens, sd_inc[k])
        nodes, dens = new_nodes, f * weights
    return b


def _grid(b: float, t: float, h_sd: float, sides: int) -> tuple[np.ndarray, np.ndarray]:
    """Simpson nodes and weights on the score-scale continuation region."""
    span = _SPAN_SD * math.sqrt(t)
    hi = min(b * math.sqrt(t), span)
    lo = -hi if sides == 2 else -span
    n_int = 2 * math.ceil((hi - lo) * _POINTS_PER_SD / h_sd / 2.0)
    n_int = max(2, min(n_int, _MAX_POINTS - 1))
    x = np.linspace(lo, hi, n_int + 1)
    w = np.ones(n_int + 1)
    w[1:-1:2] = 4.0
    w[2:-1:2] = 2.0
    return x, w * (x[1] - x[0]) / 3.0


def _propagate(x: np.ndarray, u: np.ndarray, wf: np.ndarray, sd: float) -> np.ndarray:
    """Sub-density at ``x`` of the score after an N(0, sd²) increment from nodes ``u``."""
    out = np.empty_like(x)
    for i in range(0, len(x), _BLOCK):
        d = (x[i : i + _BLOCK, None] - u[None, :]) / sd
        out[i : i + _BLOCK] = (np.exp(-0.5 * d * d) @ wf) / (sd * math.sqrt(2 * math.pi))
    return out


def _solve_boundary(
    u: np.ndarray, wf: np.ndarray, sd: float, t: float, inc: float, sides: int
) -> float:
    """Z boundary at which the probability of first exit equals ``inc``."""
    if inc <= 0:
        return float("inf")
    from scipy.optimize import brentq  # on use: scipy.optimize costs ~0.2 s to import

    def exitprob(c: float) -> float:
        p = _dist.norm_sf((c - u) / sd)
        if sides == 2:
            p = p + _dist.norm_sf((c + u) / sd)
        return float(p @ wf)

    hi = _Z_MAX * math.sqrt(t)
    if exitprob(0.0) <= inc:
        return 0.0
    if exitprob(hi) >= inc:
        return float("inf")
    c = brentq(lambda c: exitprob(c) - inc, 0.0, hi, xtol=1e-13, rtol=1e-13, maxiter=500)
    return float(c / math.sqrt(t))


def obf_beta_spent(fraction: object, beta: float = 0.20) -> np.ndarray:
    """Cumulative type II error spent by the O'Brien-Fleming-type function.

    ``β(t) = 2 - 2Φ(z_{1-β/2}/√t)``, clipped to ``t`` in [0, 1] with ``β(1) = β``: the
    Lan-DeMets O'Brien-Fleming form applied to β (Pampallona & Tsiatis 1994).

    >>> float(obf_beta_spent(1.0, 0.2)[0])
    0.2
    """
    t = as_vector("fraction", fraction)
    if np.any(~np.isfinite(t)) or np.any(t < 0):
        raise InputError("fraction", fraction, "information fractions >= 0")
    prob("beta", beta)
    z = _dist.norm_isf(beta / 2.0)
    tt = np.clip(t, 0.0, 1.0)
    out: np.ndarray = np.zeros_like(tt)
    pos = tt > 0
    out[pos] = 2.0 * _dist.norm_sf(z / np.sqrt(tt[pos]))
    out[tt == 1.0] = beta
    return out


def _pieces(a: float, b: float, t: float, h_sd: float) -> tuple[np.ndarray, np.ndarray]:
    """Simpson nodes and weights on the two-sided continuation region a <= |Z| < b
    (score scale), one Simpson rule per side."""
    span = _SPAN_SD * math.sqrt(t) + 10.0 * t  # room for the drift under the alternative
    hi = min(b * math.sqrt(t), span)
    lo = min(a * math.sqrt(t), hi)
    xs, ws = [], []
    for left, right in ((lo, hi), (-hi, -lo)):
        if right - left <= 0:
            continue
        n_int = 2 * math.ceil((right - left) * _POINTS_PER_SD / h_sd / 2.0)
        n_int = max(2, min(n_int, _MAX_POINTS - 1))
        x = np.linspace(left, right, n_int + 1)
        w = np.ones(n_int + 1)
        w[1:-1:2] = 4.0
        w[2:-1:2] = 2.0
        xs.append(x)
        ws.append(w * (x[1] - x[0]) / 3.0)
    if not xs:
        return np.empty(0), np.empty(0)
    return np.concatenate(xs), np.concatenate(ws)


def _solve_futility(
    u: np.ndarray, wf: np.ndarray, mean: float, sd: float, t: float, inc: float, b: float
) -> float:
    """Z boundary a (0 <= a <= b) with P(|Z_k| < a, not stopped before) = ``inc``."""
    from scipy.optimize import brentq  # on use: scipy.optimize costs ~0.2 s to import

    rt = math.sqrt(t)

    def stop_prob(a: float) -> float:
        hi = _dist.norm_cdf((a * rt - u - mean) / sd)
        lo = _dist.norm_cdf((-a * rt - u - mean) / sd)
        return float((hi - lo) @ wf)

    if inc <= 0:
        return 0.0
    top = b if math.isfinite(b) else _Z_MAX
    if stop_prob(top) <= inc:
        return float(top)
    return float(
        brentq(lambda a: stop_prob(a) - inc, 0.0, top, xtol=1e-13, rtol=1e-13, maxiter=500)
    )


def beta_spending_futility(
    fractions: object, efficacy: object, alpha: float = 0.05, beta: float = 0.20
) -> np.ndarray:
    """Two-sided futility (inner wedge) boundaries ``a_k``: stop for futility if ``|Z_k| < a_k``.

    Under the design alternative the drift of ``Z_k`` is ``θ √t_k`` with ``θ = z_{1-α/2} +
    z_{1-β}`` (the drift that gives power ``1 - β`` at ``t = 1``, as the required information
    size assumes). ``a_k`` solves ``P_θ(a_j <= |Z_j| < b_j for j < k, |Z_k| < a_k) =
    β(t_k) - β(t_{k-1})`` with the O'Brien-Fleming-type :func:`obf_beta_spent`; ``efficacy``
    are the (non-binding) efficacy boundaries ``b_k``. A boundary that would pass the
    efficacy boundary is set equal to it (the wedge closes), and at ``t >= 1`` it is ``b_k``.

    Examples
    --------
    >>> a = beta_spending_futility([0.5, 1.0], lan_demets_boundaries([0.5, 1.0]))
    >>> bool(0 < a[0] < a[1])
    True
    """
    t = as_vector("fractions", fractions)
    b = as_vector("efficacy", efficacy)
    if len(t) != len(b):
        raise InputError("efficacy", f"length {len(b)}", f"length {len(t)} (as fractions)")
    if np.any(~np.isfinite(t)) or np.any(t <= 0) or np.any(np.diff(t) <= 0):
        raise InputError("fractions", fractions, "strictly increasing information fractions > 0")
    prob("alpha", alpha)
    theta = _dist.norm_isf(alpha / 2.0) + _dist.norm_isf(beta)
    timing = t / t[-1] if t[-1] > 1.0 else t
    inc = np.diff(obf_beta_spent(timing, beta), prepend=0.0)
    dt = np.diff(t, prepend=0.0)
    a = np.zeros(len(t))
    nodes, dens = np.array([0.0]), np.array([1.0])
    for k in range(len(t)):
        sd, mean = math.sqrt(dt[k]), theta * dt[k]
        a[k] = min(_solve_futility(nodes, dens, mean, sd, t[k], inc[k], b[k]), b[k])
        if timing[k] >= 1.0 - 1e-12:
            a[k] = b[k]
        if k == len(t) - 1:
            break
        new, w = _pieces(a[k], b[k], t[k], min(sd, math.sqrt(dt[k + 1])))
        d = (new[:, None] - nodes[None, :] - mean) / sd
        f = (np.exp(-0.5 * d * d) @ dens) / (sd * math.sqrt(2 * math.pi))
        nodes, dens = new, f * w
    return a


def prob(name: str, value: object) -> float:
    """``value`` as a probability in (0, 1), else an :class:`InputError` naming it."""
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        x = float("nan")
    if not 0.0 < x < 1.0:
        raise InputError(name, value, "a probability between 0 and 1, e.g. 0.05")
    return x


def sides_ok(sides: object) -> None:
    """Reject a number of sides other than 1 or 2."""
    if sides not in (1, 2) or isinstance(sides, bool):
        raise InputError("sides", sides, "1 or 2")
