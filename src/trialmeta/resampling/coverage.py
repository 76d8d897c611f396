"""How often do our intervals cover, for a review of this size? A parametric simulation.

For a fitted meta-analysis we keep its k and within-study variances ``vᵢ``
and simulate ``n_sim`` new meta-analyses from the random-effects model
``yᵢ = μ + uᵢ + εᵢ``, ``uᵢ ~ N(0, τ²)``, ``εᵢ ~ N(0, vᵢ)`` (drawn as
``yᵢ ~ N(μ, vᵢ + τ²)``), at each τ² of interest (e.g. its estimate and its CI
bounds). Each is refitted once with :func:`~trialmeta.resampling.batch.engine.pool_batch_tests`
(τ² is the same for every test; z and Knapp-Hartung intervals come from that one fit):

- a CI *covers* when ``ci_lb ≤ μ ≤ ci_ub`` (for every test asked, z and knha);
- a prediction interval covers when it contains the true effect of a new
  study, ``θ_new ~ N(μ, τ²)`` (Partlett & Riley 2017), drawn once per
  simulated meta-analysis; with k < 3 there is no PI and coverage is NaN.

All intervals are location-equivariant, so μ only shifts everything; it
defaults to 0. Seeds are deterministic: each τ² value gets its own stream
from ``SeedSequence(seed).spawn``, so results at one τ² do not depend on the
others. The Monte Carlo standard error is ``sqrt(p(1-p)/n_sim)``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from trialmeta._checks import METHODS, TESTS, as_vector, check_choice, check_level, check_positive
from trialmeta.errors import InputError
from trialmeta.io.progress import Progress
from trialmeta.stats.results import to_jsonable

__all__ = ["CoverageResult", "simulate_coverage"]


@dataclass(frozen=True)
class CoverageResult:
    """Simulated coverage; arrays are indexed ``[tau2 value, test]``.

    ``ci_coverage`` and ``pi_coverage`` are proportions in [0, 1];
    ``*_mcse`` their Monte Carlo standard errors; ``ci_width_mean`` the mean
    CI width; ``tau2_zero_share[t]`` the share of simulated analyses whose τ²
    estimate was 0.
    """

    method: str
    tests: tuple[str, ...]
    level: float
    n_sim: int
    seed: int
    k: int
    vi: tuple[float, ...]
    mu: float
    tau2_values: np.ndarray
    ci_coverage: np.ndarray
    ci_mcse: np.ndarray
    pi_coverage: np.ndarray
    pi_mcse: np.ndarray
    ci_width_mean: np.ndarray
    tau2_zero_share: np.ndarray

    def to_dict(self) -> dict[str, object]:
        """Field name → JSON-safe value."""
        return {f.name: to_jsonable(getattr(self, f.name)) for f in fields(self)}


def simulate_coverage(
    vi: object,
    tau2_values: object,
    method: str = "REML",
    tests: tuple[str, ...] = ("z", "knha"),
    n_sim: int = 10_000,
    level: float = 0.95,
    seed: int = 0,
    mu: float = 0.0,
    show_progress: bool | None = None,
) -> CoverageResult:
    """Simulate the coverage of the CI (per test) and of the prediction interval.

    Parameters
    ----------
    vi
        Within-study variances of the real analysis (k values, > 0).
    tau2_values
        Between-study variances to simulate at (≥ 0), e.g. ``(estimate, lb, ub)``.
    method
        τ² estimator used to refit (metafor name).
    tests
        Inference methods to evaluate, from ``("z", "knha")``.
    n_sim
        Simulated meta-analyses per τ² value.
    level
        Nominal level of the CI and PI.
    seed
        Seed; the same seed gives the same result.
    mu
        True mean effect (irrelevant to coverage; kept for reporting).
    show_progress
        Progress bar on stderr; ``None``: only on a terminal.

    Examples
    --------
    >>> r = simulate_coverage([0.02, 0.03, 0.05, 0.04], [0.0, 0.05], "REML", n_sim=2000)
    >>> bool(r.ci_coverage[1, 1] > r.ci_coverage[1, 0])  # knha covers more than z
    True
    """
    v = as_vector("vi", vi)
    check_positive("vi", v)
    t2 = as_vector("tau2_values", tau2_values)
    bad = np.flatnonzero(~np.isfinite(t2) | (t2 < 0))
    if bad.size:
        raise InputError("tau2_values", t2[bad[0]].item(), "a finite number >= 0", row=int(bad[0]))
    check_choice("method", method, METHODS)
    tests = tuple(tests)
    if not tests:
        raise InputError("tests", tests, "at least one of z, knha")
    for t in tests:
        check_choice("tests", t, TESTS)
    lv = check_level(level)
    if int(n_sim) < 1:
        raise InputError("n_sim", n_sim, "a positive integer")
    n_sim, k = int(n_sim), v.size
    # the engine (and scipy.special) load here: a job that only reads CoverageResult never does
    from trialmeta.resampling.batch.engine import pool_batch_tests

    shape = (t2.size, len(tests))
    ci_cov, pi_cov, width = np.full(shape, np.nan), np.full(shape, np.nan), np.full(shape, np.nan)
    zero_share = np.full(t2.size, np.nan)
    streams = np.random.SeedSequence(seed).spawn(t2.size)
    with Progress(t2.size * len(tests), f"coverage {method} k={k}", enabled=show_progress) as bar:
        for a, (tau2, ss) in enumerate(zip(t2, streams, strict=True)):
            rng = np.random.default_rng(ss)
            y = mu + rng.standard_normal((n_sim, k)) * np.sqrt(v + tau2)
            theta_new = mu + rng.standard_normal(n_sim) * np.sqrt(tau2)
            fits = pool_batch_tests(y, v, method, tests, lv, tau2_ci=False)  # one τ² fit
            for b, test in enumerate(tests):
                r = fits[test]
                ci_cov[a, b] = np.mean((r.ci_lb <= mu) & (mu <= r.ci_ub))
                width[a, b] = np.mean(r.ci_ub - r.ci_lb)
                if k >= 3:
                    pi_cov[a, b] = np.mean((r.pi_lb <= theta_new) & (theta_new <= r.pi_ub))
                zero_share[a] = np.mean(r.tau2 == 0) if k >= 2 else np.nan
                bar.update()
    return CoverageResult(
        method=method, tests=tests, level=lv, n_sim=n_sim, seed=int(seed), k=k,
        vi=tuple(float(x) for x in v), mu=float(mu), tau2_values=t2,
        ci_coverage=ci_cov, ci_mcse=np.sqrt(ci_cov * (1 - ci_cov) / n_sim),
        pi_coverage=pi_cov, pi_mcse=np.sqrt(pi_cov * (1 - pi_cov) / n_sim),
        ci_width_mean=width, tau2_zero_share=zero_share,
    )  # fmt: skip
