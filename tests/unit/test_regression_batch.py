"""Batch meta-regression (the permutation test's engine) against the one-fit estimator.

All data are SYNTHETIC (seeded random numbers).
"""

from __future__ import annotations

import numpy as np
import pytest

from trialmeta.resampling.batch import regression, scoring
from trialmeta.stats.metareg import design_matrix
from trialmeta.stats.tau2 import estimate_tau2


def permuted_fits(n: int, k: int, v_range: tuple[float, float], factor: bool, seed: int):
    """SYNTHETIC: y ~ N(-10, 8²), v ~ U(v_range); a 3-level factor or a count moderator;
    ``n`` random row orders of the moderators (as the permutation test draws them)."""
    rng = np.random.default_rng(seed)
    v = rng.uniform(*v_range, k)
    y = rng.normal(-10, 8, k)
    if factor:
        g = rng.integers(0, 3, k)
        g[:3] = [0, 1, 2]
        mods = np.column_stack([(g == 1), (g == 2)]).astype(float)
    else:
        mods = rng.integers(4, 20, k).astype(float)
    X = design_matrix(mods, k)
    perms = np.array([rng.permutation(k) for _ in range(n)])
    return np.tile(y, (n, 1)), X[perms], v


@pytest.mark.parametrize("method", ("FE", "DL", "HE", "ML", "REML", "PM"))
@pytest.mark.parametrize("factor", (True, False))
def test_each_fit_equals_estimate_tau2(method, factor):
    # v from 5 to 80 at k = 17: Fisher scoring overshoots and alternates around the
    # root for most of these fits (the bracketed finish); the root is the same
    Y, X, v = permuted_fits(300 if method != "PM" else 40, 17, (5.0, 80.0), factor, 5)
    got = regression.regression_tau2(Y, X, v, method)
    for b in range(len(Y)):
        want = estimate_tau2(Y[b], v, X[b], method).tau2
        assert got[b] == pytest.approx(want, rel=1e-10, abs=1e-12 * v.mean()), b


def test_alternating_fisher_scoring_is_finished_in_the_bracket(monkeypatch):
    Y, X, v = permuted_fits(200, 17, (5.0, 80.0), True, 5)
    calls = []
    real = scoring.illinois

    def spy(*args, **kwargs):
        calls.append(args[1].size)
        return real(*args, **kwargs)

    monkeypatch.setattr(scoring, "illinois", spy)
    regression.regression_tau2(Y, X, v, "REML")
    assert calls and calls[0] > 50  # most of these fits alternate


def test_statistics_equal_a_direct_weighted_least_squares_fit():
    Y, X, v = permuted_fits(20, 9, (0.02, 1.0), False, 2)
    tau2 = regression.regression_tau2(Y, X, v, "REML")
    stat, qm = regression.regression_stats(Y, X, v, tau2, "knha")
    for b in range(len(Y)):
        w = 1.0 / (v + tau2[b])
        xtwx = X[b].T @ (X[b] * w[:, None])
        beta = np.linalg.solve(xtwx, X[b].T @ (w * Y[b]))
        s2 = np.sum(w * (Y[b] - X[b] @ beta) ** 2) / (9 - 2)
        vb = s2 * np.linalg.inv(xtwx)
        np.testing.assert_allclose(stat[b], beta / np.sqrt(np.diag(vb)), rtol=1e-10)
        assert qm[b] == pytest.approx(beta[1] ** 2 / vb[1, 1], rel=1e-10)
