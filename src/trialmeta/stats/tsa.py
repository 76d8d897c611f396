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

from trialmeta import _dist
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
from trialmeta.stats.group_sequential import (
    beta_spending_futility,
    lan_demets_boundaries,
    obf_alpha_spent,
    obf_beta_spent,
)
from trialmeta.stats.group_sequential import prob as _prob
from trialmeta.stats.group_sequential import sides_ok as _sides
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
]

MONITORING = "monitoring_boundary_crossed"
CONVENTIONAL_ONLY = "conventional_boundary_only"
NOT_CROSSED = "no_boundary_crossed"

FLAG_RIS_NOT_REACHED = fl.TSA_RIS_NOT_REACHED
FLAG_CONVENTIONAL_ONLY = fl.TSA_CONVENTIONAL_ONLY
TSA_FLAG_TEXT: dict[str, str] = {
    code: fl.FLAG_TEXT[code] for code in (FLAG_RIS_NOT_REACHED, FLAG_CONVENTIONAL_ONLY)
}


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
    z = _dist.norm_isf(alpha / sides) + _dist.norm_isf(beta)
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


@dataclass(frozen=True)
class TsaResult:
    """A trial sequential analysis; arrays follow the chronological order.

    ``z`` is the cumulative Z statistic after each trial, from the same model as the
    primary analysis (``method``; with ``test="knha"`` the Hartung-Knapp t statistic turned
    into the Z with the same two-sided P value). ``boundary_z`` is the monitoring boundary
    and ``futility_z`` the futility boundary (inner wedge, ``|z| < futility_z`` is futile) at
    each look. ``design_*`` add the planned final look at the RIS when it has not been
    reached, for drawing. ``status`` is ``monitoring_boundary_crossed``,
    ``conventional_boundary_only`` or ``no_boundary_crossed``; a monitoring crossing counts
    only when the cumulative result at the last look is significant by the primary test, so
    the TSA never contradicts the primary analysis. ``year_imputed`` marks trials without a
    year, ordered by their sheet position.
    """

    method: str
    test: str
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
    year: tuple[int | None, ...]
    year_imputed: tuple[bool, ...]
    cumulative_n: np.ndarray
    information_fraction: np.ndarray
    estimate: np.ndarray
    z: np.ndarray
    boundary_z: np.ndarray
    futility_z: np.ndarray
    conventional_z: float
    design_n: np.ndarray
    design_boundary_z: np.ndarray
    design_futility_z: np.ndarray
    alpha_spent: np.ndarray
    beta_spent: np.ndarray
    accrued_fraction: float
    crossed_monitoring: bool
    crossed_conventional: bool
    crossed_futility: bool
    primary_pval: float
    primary_significant: bool
    first_crossing: int
    status: str
    flags: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """Field name → JSON-safe value, in declaration order."""
        return {f.name: to_jsonable(getattr(self, f.name)) for f in fields(self)}


def chronological_order(
    year: np.ndarray, labels: Sequence[str], position: np.ndarray
) -> tuple[list[int], np.ndarray]:
    """Entry order: by year (ties by study label); a trial without a year enters right after
    the trial before it in sheet ``position`` (first if none). Returns ``(order, imputed)``."""
    by_pos = sorted(range(len(year)), key=lambda i: (position[i], labels[i]))
    key = np.empty(len(year))
    last = -math.inf
    for i in by_pos:
        last = year[i] if math.isfinite(year[i]) else last
        key[i] = last
    imputed = ~np.isfinite(year)
    order = sorted(
        range(len(year)),
        key=lambda i: (key[i], bool(imputed[i]), position[i] if imputed[i] else 0, labels[i]),
    )
    return order, imputed


def _z_curve(
    y: np.ndarray, v: np.ndarray, rank: np.ndarray, method: str, test: str, level: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(estimate, z, p) of the cumulative fits. For knha the t statistic is mapped to the
    normal quantile with the same two-sided P, ``z = sign(t) Φ⁻¹(1 - p/2)``; the first look
    (k = 1, no Hartung-Knapp df) uses the Wald z."""
    cz = cumulative(y, v, order=rank, method=method, test="z", level=level)
    if test == "z":
        return np.asarray(cz.estimate), np.asarray(cz.stat, float), np.asarray(cz.pval, float)
    ck = cumulative(y, v, order=rank, method=method, test="knha", level=level)
    p = np.asarray(ck.pval, float)
    z = np.sign(np.asarray(ck.stat, float)) * _dist.norm_isf(p / 2.0)
    bad = ~np.isfinite(z)
    z[bad] = np.asarray(cz.stat, float)[bad]
    p[bad] = np.asarray(cz.pval, float)[bad]
    return np.asarray(ck.estimate), z, p


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
    test: str = "z",
    d2: float | None = None,
    position: object | None = None,
    futility: bool = True,
) -> TsaResult:
    """Two-sided TSA of mean differences ``yi`` (variances ``vi``, ``n`` randomised).

    Trials enter by publication ``year`` (ties by ``study``); a missing year (NaN) is
    ordered by sheet ``position`` (default: input order) with a flag, never dropped. The
    RIS is :func:`required_information_size` adjusted by the diversity D² of the ``method``
    fit of all trials (or ``d2``). The Z-curve is the cumulative fit with the primary
    model (``method``, ``test``); the boundaries are
    :func:`~trialmeta.stats.group_sequential.lan_demets_boundaries` and, when ``futility``,
    :func:`~trialmeta.stats.group_sequential.beta_spending_futility` at ``cumulative n /
    RIS``.

    Examples
    --------
    >>> r = trial_sequential_analysis([-8, -12], [60.0, 80.0], [40, 50], [2010, 2015],
    ...                               ["A", "B"], mcid=10, sd=20, method="FE")
    >>> round(r.ris), round(100 * r.accrued_fraction), r.status
    (126, 72, 'no_boundary_crossed')
    """
    y, v = yi_vi(yi, vi)
    nn = as_vector("n", n)
    yr = np.asarray(year if not isinstance(year, (int, float)) else [year], dtype=float)
    check_same_length(yi=y, n=nn, year=yr)
    check_positive("n", nn)
    known = np.isfinite(yr)
    if np.any(yr[known] != np.round(yr[known])):
        raise InputError("year", year, "whole years (or NaN when unknown)")
    labels = tuple(str(s) for s in (study if study is not None else range(1, len(y) + 1)))
    if len(labels) != len(y):
        raise InputError("study", f"length {len(labels)}", f"length {len(y)} (as yi)")
    check_choice("method", method, METHODS)
    check_choice("test", test, ("z", "knha"))
    pos = np.arange(len(y), dtype=float) if position is None else as_vector("position", position)
    check_same_length(yi=y, position=pos)
    order, imputed = chronological_order(yr, labels, pos)
    rank = np.empty(len(y))
    rank[order] = np.arange(len(y))
    est, z, p = _z_curve(y, v, rank, method, test, 1.0 - alpha)
    if d2 is None:
        d2 = 0.0 if method == "FE" or len(y) < 2 else diversity(v, pool(y, v, method=method).tau2)
    ris0 = required_information_size(mcid, sd, alpha, beta, 0.0)
    ris = required_information_size(mcid, sd, alpha, beta, d2)
    cum_n = np.cumsum(nn[order])
    frac = cum_n / ris
    design = frac if frac[-1] >= 1.0 else np.append(frac, 1.0)
    bounds = lan_demets_boundaries(design, alpha, 2)
    fut = beta_spending_futility(design, bounds, alpha, beta) if futility else np.zeros(len(design))
    timing = design / design[-1] if design[-1] > 1.0 else design
    k = len(z)
    conv = float(_dist.norm_isf(alpha / 2))
    significant = bool(p[-1] < alpha)
    hit_mon = np.abs(z) >= bounds[:k]
    hit_conv = np.abs(z) >= conv
    hit_fut = (np.abs(z) < fut[:k]) & (fut[:k] > 0)
    crossed = bool(hit_mon.any()) and significant
    status = MONITORING if crossed else CONVENTIONAL_ONLY if hit_conv[-1] else NOT_CROSSED
    flags = [
        code
        for code, on in (
            (FLAG_RIS_NOT_REACHED, frac[-1] < 1.0),
            (FLAG_CONVENTIONAL_ONLY, status == CONVENTIONAL_ONLY),
            (fl.TSA_YEAR_MISSING, bool(imputed.any())),
            (fl.TSA_CROSSED_EARLIER, bool(hit_mon.any()) and not significant),
            (fl.TSA_FUTILITY, bool(hit_fut[-1]) and not crossed),
        )
        if on
    ]
    return TsaResult(
        method=method, test=test, alpha=float(alpha), beta=float(beta), sides=2,
        mcid=float(mcid), sd=float(sd), diversity=float(d2), ris_unadjusted=ris0, ris=ris,
        order=tuple(order), study=tuple(labels[i] for i in order),
        year=tuple(int(yr[i]) if known[i] else None for i in order),
        year_imputed=tuple(bool(imputed[i]) for i in order), cumulative_n=cum_n,
        information_fraction=frac, estimate=est, z=z, boundary_z=bounds[:k],
        futility_z=fut[:k], conventional_z=conv, design_n=design * ris,
        design_boundary_z=bounds, design_futility_z=fut,
        alpha_spent=obf_alpha_spent(timing, alpha, 2), beta_spent=obf_beta_spent(timing, beta),
        accrued_fraction=float(frac[-1]), crossed_monitoring=crossed,
        crossed_conventional=bool(hit_conv.any()), crossed_futility=bool(hit_fut[-1]),
        primary_pval=float(p[-1]), primary_significant=significant,
        first_crossing=int(np.argmax(hit_mon)) if crossed else -1, status=status,
        flags=tuple(flags),
    )  # fmt: skip


def _finite(name: str, value: object) -> float:
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        x = float("nan")
    if not math.isfinite(x):
        raise InputError(name, value, "a finite number")
    return x
