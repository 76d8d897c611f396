"""Trial sequential analysis (TSA) of a continuous outcome.

A cumulative meta-analysis is a sequence of tests on accumulating data, so its
conventional 5% threshold is crossed by chance far more often than 5% of the
time. TSA (Wetterslev, Thorlund, Brok & Gluud 2008) controls this as a group
sequential trial would: it sets a required information size (RIS) from the
minimal clinically important difference, and compares the cumulative Z-curve
with Lan-DeMets O'Brien-Fleming-type monitoring boundaries at the observed
information fractions (Lan & DeMets 1983), found by the recursive numerical
integration of Armitage, McPherson & Rowe (1969) as in Reboussin et al. (2000).

Conventions follow the Copenhagen Trial Unit's TSA software and its R port
RTSA: with a two-sided ``alpha`` each side spends ``alpha/2`` by
``2 - 2Φ(z_{1-α/4}/√t)``, which reproduces the published boundaries
4.877, 3.357, 2.680, 2.290, 2.031 for five equally spaced looks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np
from scipy import stats
from scipy.optimize import brentq

from trialmeta import flags as fl
from trialmeta._checks import (
    METHODS,
    as_vector,
    check_choice,
    check_positive,
    check_same_length,
    yi_vi,
)
from trialmeta.errors import InputError
from trialmeta.stats.cumulative import cumulative
from trialmeta.stats.pooling import pool
from trialmeta.stats.results import to_jsonable

__all__ = [
    "TsaResult",
    "TSA_FLAG_TEXT",
    "required_information_size",
    "diversity",
    "obf_alpha_spent",
    "lan_demets_boundaries",
    "trial_sequential_analysis",
    "tsa_sentence",
]

MONITORING = "monitoring_boundary_crossed"
CONVENTIONAL_ONLY = "conventional_boundary_only"
NOT_CROSSED = "no_boundary_crossed"

FLAG_RIS_NOT_REACHED = fl.TSA_RIS_NOT_REACHED
FLAG_CONVENTIONAL_ONLY = fl.TSA_CONVENTIONAL_ONLY
TSA_FLAG_TEXT: dict[str, str] = {
    code: fl.FLAG_TEXT[code] for code in (FLAG_RIS_NOT_REACHED, FLAG_CONVENTIONAL_ONLY)
}

_SPAN_SD = 10.0  # the score density is kept within ±10 standard deviations
_POINTS_PER_SD = 12.0  # Simpson grid spacing: a twelfth of the smallest increment SD
_MAX_POINTS = 6001
_Z_MAX = 40.0
_BLOCK = 512


def required_information_size(
    mcid: float,
    sd: float,
    alpha: float = 0.05,
    beta: float = 0.20,
    diversity: float = 0.0,
    sides: int = 2,
) -> float:
    """Participants (both groups) needed to detect ``mcid`` in a continuous outcome.

    ``RIS = 4 (z_{1-α/s} + z_{1-β})² σ² / δ² / (1 - D²)`` for two equal groups,
    with ``s`` the number of sides (Wetterslev et al. 2008; heterogeneity
    adjustment by the diversity D², Wetterslev, Thorlund, Brok & Gluud 2009).

    Examples
    --------
    >>> round(required_information_size(10.0, 20.0), 1)
    125.6
    """
    delta = abs(_finite("mcid", mcid))
    sigma = _finite("sd", sd)
    if delta == 0:
        raise InputError("mcid", mcid, "a non-zero minimal clinically important difference")
    if sigma <= 0:
        raise InputError("sd", sd, "a standard deviation > 0")
    _prob("alpha", alpha)
    _prob("beta", beta)
    d2 = _finite("diversity", diversity)
    if not 0.0 <= d2 < 1.0:
        raise InputError("diversity", diversity, "a diversity D² in [0, 1)")
    _sides(sides)
    z = stats.norm.isf(alpha / sides) + stats.norm.isf(beta)
    return float(4.0 * z**2 * sigma**2 / delta**2 / (1.0 - d2))


def diversity(vi: object, tau2: float) -> float:
    """Diversity ``D² = (v_R - v_F) / v_R`` (Wetterslev et al. 2009).

    ``v_F = 1/Σ(1/vᵢ)`` and ``v_R = 1/Σ(1/(vᵢ + τ²))`` are the variances of the
    common-effect and random-effects pooled estimates; D² is the share of the
    random-effects variance that is due to between-trial variation.

    Examples
    --------
    >>> diversity([0.1, 0.1], 0.1)
    0.5
    """
    v = as_vector("vi", vi)
    check_positive("vi", v)
    t2 = _finite("tau2", tau2)
    if t2 < 0:
        raise InputError("tau2", tau2, "a between-study variance >= 0")
    v_f = 1.0 / np.sum(1.0 / v)
    v_r = 1.0 / np.sum(1.0 / (v + t2))
    return float(max(0.0, (v_r - v_f) / v_r))


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
    _prob("alpha", alpha)
    _sides(sides)
    a = alpha / sides
    z = stats.norm.isf(a / 2.0)
    tt = np.clip(t, 0.0, 1.0)
    out = np.zeros_like(tt)
    pos = tt > 0
    out[pos] = sides * 2.0 * stats.norm.sf(z / np.sqrt(tt[pos]))
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
    b[0] = stats.norm.isf(inc[0] / sides) if inc[0] > 0 else np.inf
    # nodes (score scale) and density x Simpson weight of the continuation region
    nodes, dens = np.empty(0), np.empty(0)
    for k in range(K):
        if k > 0:
            b[k] = _solve_boundary(nodes, dens, sd_inc[k], t[k], inc[k], sides)
        if k == K - 1:
            break
        new_nodes, weights = _grid(b[k], t[k], min(sd_inc[k], sd_inc[k + 1]), sides)
        if k == 0:
            f = stats.norm.pdf(new_nodes / np.sqrt(t[0])) / np.sqrt(t[0])
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


def _solve_boundary(u, wf, sd: float, t: float, inc: float, sides: int) -> float:
    """Z boundary at which the probability of first exit equals ``inc``."""
    if inc <= 0:
        return float("inf")

    def exit_prob(c: float) -> float:
        p = stats.norm.sf((c - u) / sd)
        if sides == 2:
            p = p + stats.norm.sf((c + u) / sd)
        return float(p @ wf)

    hi = _Z_MAX * math.sqrt(t)
    if exit_prob(0.0) <= inc:
        return 0.0
    if exit_prob(hi) >= inc:
        return float("inf")
    c = brentq(lambda c: exit_prob(c) - inc, 0.0, hi, xtol=1e-13, rtol=1e-13, maxiter=500)
    return float(c / math.sqrt(t))


@dataclass(frozen=True)
class TsaResult:
    """A trial sequential analysis; arrays follow the chronological order.

    ``z`` is the cumulative random-effects (``method``) Z statistic after each
    trial, ``boundary_z`` the monitoring boundary at that look (two-sided:
    ``±boundary_z``). ``design_n``/``design_boundary_z`` add the planned final
    look at the RIS when it has not been reached, for drawing. ``status`` is
    ``monitoring_boundary_crossed``, ``conventional_boundary_only`` or
    ``no_boundary_crossed`` (at any look); ``first_crossing`` is the first
    look beyond the monitoring boundary (-1 if none).
    """

    method: str
    alpha: float
    beta: float
    sides: int
    mcid: float
    sd: float
    diversity: float
    ris_unadjusted: float
    ris: float
    order: tuple[int, ...]
    study: tuple[str, ...]
    year: tuple[int, ...]
    cumulative_n: np.ndarray
    information_fraction: np.ndarray
    estimate: np.ndarray
    z: np.ndarray
    boundary_z: np.ndarray
    conventional_z: float
    design_n: np.ndarray
    design_boundary_z: np.ndarray
    alpha_spent: np.ndarray
    accrued_fraction: float
    crossed_monitoring: bool
    crossed_conventional: bool
    first_crossing: int
    status: str
    flags: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """Field name → JSON-safe value, in declaration order."""
        return {f.name: to_jsonable(getattr(self, f.name)) for f in fields(self)}


def trial_sequential_analysis(
    yi: object,
    vi: object,
    n: object,
    year: object,
    study: Sequence[str] | None = None,
    *,
    mcid: float,
    sd: float,
    alpha: float = 0.05,
    beta: float = 0.20,
    method: str = "DL",
    d2: float | None = None,
) -> TsaResult:
    """Two-sided TSA of mean differences ``yi`` (variances ``vi``, ``n`` randomised).

    Trials enter by publication ``year`` (ties by ``study``). The RIS is
    :func:`required_information_size` adjusted by the diversity of the
    ``method`` fit of all trials (or by ``d2`` when given). The Z-curve is
    :func:`trialmeta.cumulative.cumulative` with ``test="z"``; the boundaries
    are :func:`lan_demets_boundaries` at ``cumulative n / RIS``.

    Examples
    --------
    >>> r = trial_sequential_analysis([-8, -12], [60.0, 80.0], [40, 50], [2010, 2015],
    ...                               ["A", "B"], mcid=10, sd=20, method="FE")
    >>> tsa_sentence(r)
    'accrued information is 72% of the required 126 participants; the boundary was not crossed'
    """
    y, v = yi_vi(yi, vi)
    nn = as_vector("n", n)
    yr = as_vector("year", year)
    check_same_length(yi=y, n=nn, year=yr)
    check_positive("n", nn)
    if np.any(yr != np.round(yr)):
        raise InputError("year", year, "whole years")
    labels = tuple(str(s) for s in (study if study is not None else range(1, len(y) + 1)))
    if len(labels) != len(y):
        raise InputError("study", f"length {len(labels)}", f"length {len(y)} (as yi)")
    check_choice("method", method, METHODS)
    order = sorted(range(len(y)), key=lambda i: (yr[i], labels[i]))
    rank = np.empty(len(y))
    rank[order] = np.arange(len(y))
    cum = cumulative(y, v, order=rank, method=method, test="z")
    if d2 is None:
        d2 = 0.0 if method == "FE" or len(y) < 2 else diversity(v, pool(y, v, method=method).tau2)
    ris0 = required_information_size(mcid, sd, alpha, beta, 0.0)
    ris = required_information_size(mcid, sd, alpha, beta, d2)
    cum_n = np.cumsum(nn[order])
    frac = cum_n / ris
    design = frac if frac[-1] >= 1.0 else np.append(frac, 1.0)
    bounds = lan_demets_boundaries(design, alpha, 2)
    timing = design / design[-1] if design[-1] > 1.0 else design
    z = np.asarray(cum.stat, dtype=float)
    conv = float(stats.norm.isf(alpha / 2))
    hit_mon = np.abs(z) >= bounds[: len(z)]
    hit_conv = np.abs(z) >= conv
    status = MONITORING if hit_mon.any() else CONVENTIONAL_ONLY if hit_conv.any() else NOT_CROSSED
    flags = []
    if frac[-1] < 1.0:
        flags.append(FLAG_RIS_NOT_REACHED)
    if status == CONVENTIONAL_ONLY:
        flags.append(FLAG_CONVENTIONAL_ONLY)
    first = int(np.argmax(hit_mon)) if hit_mon.any() else -1
    return TsaResult(
        method=method, alpha=float(alpha), beta=float(beta), sides=2, mcid=float(mcid),
        sd=float(sd), diversity=float(d2), ris_unadjusted=ris0, ris=ris,
        order=tuple(order), study=tuple(labels[i] for i in order),
        year=tuple(int(yr[i]) for i in order), cumulative_n=cum_n, information_fraction=frac,
        estimate=np.asarray(cum.estimate), z=z, boundary_z=bounds[: len(z)],
        conventional_z=conv, design_n=design * ris, design_boundary_z=bounds,
        alpha_spent=obf_alpha_spent(timing, alpha, 2), accrued_fraction=float(frac[-1]),
        crossed_monitoring=bool(hit_mon.any()), crossed_conventional=bool(hit_conv.any()),
        first_crossing=first, status=status, flags=tuple(flags),
    )  # fmt: skip


def tsa_sentence(result: TsaResult) -> str:
    """One sentence for the limitations summary.

    Examples: "accrued information is 31% of the required 1,120 participants;
    the boundary was not crossed".
    """
    ris = f"{math.ceil(result.ris - 1e-9):,}"
    pct = 100.0 * result.accrued_fraction
    if result.accrued_fraction >= 1.0:
        head = (
            f"accrued information ({int(result.cumulative_n[-1]):,} participants) "
            f"exceeds the required {ris} participants"
        )
    else:
        head = f"accrued information is {pct:.0f}% of the required {ris} participants"
    if result.status == MONITORING:
        tail = "the z-curve crossed the trial sequential monitoring boundary"
    elif result.status == CONVENTIONAL_ONLY:
        tail = (
            f"the z-curve crossed the conventional boundary (|z| = {result.conventional_z:.2f}) "
            "but not the monitoring boundary"
        )
    else:
        tail = "the boundary was not crossed"
    return f"{head}; {tail}"


def _finite(name: str, value: object) -> float:
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        x = float("nan")
    if not math.isfinite(x):
        raise InputError(name, value, "a finite number")
    return x


def _prob(name: str, value: object) -> float:
    x = _finite(name, value)
    if not 0.0 < x < 1.0:
        raise InputError(name, value, "a probability between 0 and 1, e.g. 0.05")
    return x


def _sides(sides: object) -> None:
    if sides not in (1, 2) or isinstance(sides, bool):
        raise InputError("sides", sides, "1 or 2")
