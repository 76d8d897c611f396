"""Simulation and resampling checks of one pooled analysis, each its own workflow rule.

Each returns a typed result, or :class:`~trialmeta.review.codec.NotRun` with the reason
instead of raising when a check cannot run; the prose about them is in
:mod:`trialmeta.report.sentences`.

- :func:`coverage_check`: how often the analysis' own intervals cover, for a
  review of exactly this size (:func:`trialmeta.simulate_coverage`; Partlett &
  Riley 2017, Stat Med 36:301-317; IntHout, Ioannidis & Borm 2014, BMC Med Res
  Methodol 14:25), at τ² = its estimate and its Q-profile CI bounds
  (Viechtbauer 2007, Stat Med 26:37-52).
- :func:`gosh_check`: the model fitted to every subset of trials (GOSH; Olkin,
  Dahabreh & Trikalinos 2012, Res Synth Methods 3:214-223), with the trials
  that drive a separate cluster and a seeded subsample of points for the plot.
- :func:`subgroup_permutation` and :func:`metareg_permutation`: permutation
  p-values of the moderator test (metafor ``permutest``; Higgins & Thompson
  2004, Stat Med 23:1663-1682; Viechtbauer et al. 2015, Psychol Methods
  20:360-374).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from trialmeta import _dist
from trialmeta.errors import TrialmetaError
from trialmeta.flags import Flag
from trialmeta.resampling.coverage import simulate_coverage
from trialmeta.resampling.gosh import GoshResult, gosh
from trialmeta.resampling.permutation import permutation_test
from trialmeta.review.codec import NotRun
from trialmeta.review.metareg import moderator_rows
from trialmeta.review.results import (
    AnalysisFits,
    CoverageCheck,
    EffectRow,
    GoshPoints,
    GoshSummary,
    MetaRegression,
    OutcomeFits,
    PermutationCheck,
    Permutations,
)
from trialmeta.review.settings import CoverageSettings, GoshSettings, PermutationSettings
from trialmeta.review.units import trial_units
from trialmeta.stats.pooling import pool
from trialmeta.stats.results import PooledResult

__all__ = [
    "PLOT_POINTS",
    "CoverageChecks",
    "GoshChecks",
    "PermutationChecks",
    "CoverageSettings",
    "GoshSettings",
    "PermutationSettings",
    "coverage_check",
    "coverage_checks",
    "gosh_check",
    "gosh_checks",
    "metareg_permutation",
    "permutation_checks",
    "subgroup_permutation",
]

PLOT_POINTS = 5_000
"""At most this many GOSH subsets are stored for the plot (a seeded random subsample)."""

_TAU2_POINTS = ("estimate", "ci_lb", "ci_ub")

CoverageChecks = dict[str, CoverageCheck | NotRun]
"""What the coverage rule writes: each main analysis' check, by analysis id."""
GoshChecks = dict[str, GoshSummary | NotRun]
"""What the GOSH rule writes: each main analysis' summary, by analysis id."""
PermutationChecks = dict[str, Permutations]
"""What the permutation rule writes: each main analysis' tests, by analysis id."""


def coverage_check(
    vi: ArrayLike, fit: PooledResult, test: str, n_sim: int, seed: int
) -> CoverageCheck | NotRun:
    """Simulated coverage of the CI (z and knha) and PI at this analysis' k and vᵢ.

    τ² values: the estimate, then whichever Q-profile CI bounds are finite
    (``tau2_points`` names them); ``test`` is the analysis' own test.
    """
    if fit.k < 3:
        return NotRun(f"k = {fit.k} < 3")
    pts = [(n, float(getattr(fit, "tau2" if n == "estimate" else f"tau2_{n}"))) for n in
           _TAU2_POINTS]  # fmt: skip
    pts = [(n, t) for n, t in pts if math.isfinite(t) and t >= 0]
    try:
        r = simulate_coverage(vi, [t for _, t in pts], fit.method, ("z", "knha"), n_sim,
                              fit.level, seed)  # fmt: skip
    except TrialmetaError as err:
        return NotRun(str(err).splitlines()[0])
    return CoverageCheck(tuple(n for n, _ in pts), test, r)


def _points(res: GoshResult, seed: int) -> GoshPoints:
    """A seeded subsample (at most :data:`PLOT_POINTS`) of the subsets with ≥ 2 trials."""
    idx = np.flatnonzero(np.isfinite(res.i2_percent) & np.isfinite(res.estimate))
    n_eligible = int(idx.size)
    if n_eligible > PLOT_POINTS:
        idx = np.sort(np.random.default_rng(seed).choice(idx, PLOT_POINTS, replace=False))
    return GoshPoints(
        membership=tuple(int(c) for c in res.membership[idx].tolist()),
        k_subset=res.k_subset[idx], estimate=res.estimate[idx],
        i2_percent=res.i2_percent[idx], outlying=res.outlying[idx],
        n_eligible=n_eligible, subsampled=n_eligible > idx.size,
    )  # fmt: skip


def gosh_check(
    yi: ArrayLike, vi: ArrayLike, labels: Sequence[str], method: str, max_subsets: int, seed: int
) -> GoshSummary | NotRun:
    """GOSH summary (drivers, outlying share), the all-trials fit and plot points."""
    k = len(np.atleast_1d(np.asarray(yi)))
    if k < 3:
        return NotRun(f"k = {k} < 3")
    try:
        res = gosh(yi, vi, method, max_subsets, seed, list(labels), show_progress=False)
        full = pool(yi, vi, method=method, test="z")
    except TrialmetaError as err:
        return NotRun(str(err).splitlines()[0])
    return GoshSummary(
        method=res.method, k=res.k, n_subsets=res.n_subsets, exhaustive=res.exhaustive,
        seed=res.seed, labels=res.labels, shift_estimate=res.shift_estimate,
        shift_i2=res.shift_i2, influence=res.influence, lift=res.lift, drivers=res.drivers,
        driver_threshold=res.driver_threshold, n_outlying=int(res.outlying.sum()),
        outlying_percent=100.0 * float(res.outlying.mean()), full_estimate=full.estimate,
        full_i2_percent=full.i2_percent, points=_points(res, seed),
    )  # fmt: skip


def _permutation(
    y: ArrayLike,
    v: ArrayLike,
    mods: np.ndarray,
    names: list[str],
    method: str,
    test: str,
    n_permutations: int,
    seed: int,
) -> PermutationCheck | NotRun:
    try:
        r = permutation_test(
            y,
            v,
            mods,
            method=method,
            test=test,
            n_permutations=n_permutations,
            seed=seed,
            names=names,
        )
    except TrialmetaError as err:
        return NotRun(str(err).splitlines()[0])
    m = r.p - 1
    parametric = _dist.f_sf(r.qm, m, r.k - r.p) if test == "knha" else _dist.chi2_sf(r.qm, m)
    return PermutationCheck(
        k=r.k, p=r.p, method=r.method, test=r.test, kind=r.kind, names=r.names, coef=r.coef,
        stat=r.stat, qm=r.qm, pval=r.pval, qm_pval=r.qm_pval, n_permutations=r.n_permutations,
        exact=r.exact, seed=r.seed, qm_pval_parametric=float(parametric),
        flags=tuple(Flag(f) for f in r.flags),
    )  # fmt: skip


def subgroup_permutation(
    yi: ArrayLike,
    vi: ArrayLike,
    groups: Sequence[str],
    method: str,
    test: str,
    n_permutations: int,
    seed: int,
) -> PermutationCheck | NotRun:
    """Permutation test of subgroup differences: QM of the model with subgroup dummies.

    As metafor ``permutest(rma(yi, vi, mods = ~ factor(group), method, test))``:
    one common τ² (unlike RevMan's Q between separately pooled subgroups), the
    first level (sorted) is the reference; ``qm_pval`` is the permutation p.
    """
    levels = sorted(set(groups))
    if len(levels) < 2:
        return NotRun("fewer than 2 subgroups")
    if len(groups) <= len(levels):
        return NotRun(f"{len(groups)} trials in {len(levels)} subgroups: too few to fit a "
                      "common tau² beside the subgroup effects")  # fmt: skip
    mods = np.array([[float(g == lev) for lev in levels[1:]] for g in groups])
    return _permutation(yi, vi, mods, [f"{lev or 'not reported'}" for lev in levels[1:]],
                        method, test, n_permutations, seed)  # fmt: skip


def metareg_permutation(
    yi: ArrayLike,
    vi: ArrayLike,
    x: ArrayLike,
    name: str,
    method: str,
    test: str,
    n_permutations: int,
    seed: int,
) -> PermutationCheck | NotRun:
    """Permutation p of a one-moderator meta-regression (metafor ``permutest``)."""
    return _permutation(yi, vi, np.asarray(x, float), [name], method, test, n_permutations, seed)


def _yv(effects: tuple[EffectRow, ...]) -> tuple[np.ndarray, np.ndarray]:
    return np.array([r.yi for r in effects]), np.array([r.vi for r in effects])


def _units(effects: tuple[EffectRow, ...]) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """The trials (coverage and GOSH treat their inputs as independent trials)."""
    u = trial_units(effects)
    return u.yi, u.vi, u.labels


def coverage_checks(fits: OutcomeFits, s: CoverageSettings) -> CoverageChecks:
    """:func:`coverage_check` of every main analysis, by analysis id."""
    out: CoverageChecks = {}
    for a in fits.analyses:
        pooled = a.analysis.pooled
        out[a.analysis.analysis_id] = (coverage_check(_units(a.effects)[1], pooled, s.test,
                                                      s.n_sim,
                                                      s.seed) if pooled is not None else
                                       _not_run(a))  # fmt: skip
    return out


def _not_run(a: AnalysisFits) -> NotRun:
    return NotRun(a.analysis.status)


def gosh_checks(fits: OutcomeFits, s: GoshSettings) -> GoshChecks:
    """:func:`gosh_check` of every main analysis, by analysis id."""
    out: GoshChecks = {}
    for a in fits.analyses:
        y, v, labels = _units(a.effects)
        out[a.analysis.analysis_id] = (
            gosh_check(y, v, labels, s.method, s.max_subsets, s.seed)
            if a.analysis.pooled is not None
            else _not_run(a)
        )
    return out


def permutation_checks(fits: OutcomeFits, s: PermutationSettings) -> PermutationChecks:
    """Permutation tests of every subgroup variable and meta-regression, by analysis id."""
    out: PermutationChecks = {}
    for a in fits.analyses:
        y, v = _yv(a.effects)
        subgroups = {sg.variable: subgroup_permutation(
            y, v, [r.level(sg.variable) for r in a.effects], s.method, s.test,
            s.n_permutations, s.seed) for sg in a.subgroups}  # fmt: skip
        metareg: dict[str, PermutationCheck | NotRun] = {}
        for mod, mr in a.metareg.items():
            if isinstance(mr, MetaRegression):
                ym, vm, x = moderator_rows(a.effects, mod)
                metareg[mod] = metareg_permutation(
                    ym, vm, x, mod, s.method, s.test, s.n_permutations, s.seed
                )
        out[a.analysis.analysis_id] = Permutations(subgroups, metareg)
    return out
