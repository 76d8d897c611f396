"""Permutation tests for meta-analytic models (metafor ``permutest()``).

With few studies the z (or Knapp-Hartung) tests of a meta-regression or of a
subgroup difference can be far from their nominal level. A permutation test
(Higgins & Thompson 2004; Viechtbauer, López-López, Sánchez-Meca & Marín-Martínez
2015) refits the model to data in which the link between outcome and moderator
is broken, and counts how often a refit is at least as extreme as the observed:

- meta-regression and subgroup differences: the rows of the moderator matrix
  are permuted (the QM test and every coefficient's test);
- intercept-only model: the signs of the effect sizes are flipped.

As metafor, the test is exact (every distinct permutation, the observed one
included) when there are no more distinct permutations than ``n_permutations``,
and otherwise random with the observed arrangement as the first draw. A refit
counts as extreme when ``|stat*| >= |stat| - √ε`` (two-sided) and
``QM* >= QM - √ε``.

The refits are vectorised (:func:`batch_fit`), τ² once per refit: sign flips
are :func:`~trialmeta.pool_batch` fits; meta-regressions are stacked weighted
least-squares fits (:mod:`trialmeta.resampling.batch.regression`, p x p
algebra only), with τ² solved for all of them at once for ``FE``, ``DL``,
``HE``, ``ML`` and ``REML``, and per refit by
:func:`trialmeta.stats.tau2.estimate_tau2` for the other estimators.
"""

from __future__ import annotations

import math
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields
from itertools import product

import numpy as np

from trialmeta import flags as fl
from trialmeta._checks import METHODS, TESTS, check_choice, yi_vi
from trialmeta.errors import InputError
from trialmeta.flags import Flag
from trialmeta.resampling.batch.engine import pool_batch
from trialmeta.resampling.batch.regression import regression_stats, regression_tau2
from trialmeta.stats.metareg import design_matrix, meta_regression
from trialmeta.stats.pooling import pool
from trialmeta.stats.results import to_jsonable

__all__ = ["PermutationResult", "permutation_test", "batch_fit", "count_permutations"]

COMPTOL = float(np.sqrt(np.finfo(float).eps))  # metafor's control$comptol
_CHUNK = 4096  # refits per batch_fit call


@dataclass(frozen=True)
class PermutationResult:
    """A permutation test of a fitted model (metafor ``permutest``).

    ``coef``, ``stat`` and ``qm`` are the observed values (``stat`` is z or t,
    ``qm`` chi-square or F as the ``test``); ``pval`` holds the permutation
    p-value of each coefficient and ``qm_pval`` that of the omnibus test (for
    an intercept-only model, of the intercept). ``stat_perm``/``qm_perm`` are
    the permutation distributions (the observed arrangement included).
    """

    k: int
    p: int
    method: str
    test: str
    kind: str
    names: tuple[str, ...]
    coef: np.ndarray
    stat: np.ndarray
    qm: float
    pval: np.ndarray
    qm_pval: float
    n_permutations: int
    exact: bool
    seed: int | None
    stat_perm: np.ndarray
    qm_perm: np.ndarray
    flags: tuple[Flag, ...] = ()

    def to_dict(self, distributions: bool = False) -> dict[str, object]:
        """Field name → JSON-safe value; the permutation distributions on request."""
        skip = () if distributions else ("stat_perm", "qm_perm")
        return {
            f.name: to_jsonable(getattr(self, f.name)) for f in fields(self) if f.name not in skip
        }


def count_permutations(mods: object | None, k: int) -> int:
    """Distinct permutations: ``2^k`` sign vectors, or ``k! / ∏ n_g!`` row orders.

    ``n_g`` counts identical rows of the moderator matrix (metafor ``permutest``).

    Examples
    --------
    >>> count_permutations([1, 1, 1, 0, 0, 0, 0], 7)
    35
    """
    if mods is None:
        return int(2**k)
    groups = _row_groups(design_matrix(mods, k))
    total = math.factorial(k)
    for n_g in Counter(groups.tolist()).values():
        total //= math.factorial(n_g)
    return total


def permutation_test(
    yi: object,
    vi: object,
    mods: object | None = None,
    method: str = "REML",
    test: str = "z",
    n_permutations: int = 10_000,
    exact: bool | None = None,
    seed: int = 0,
    names: Sequence[str] | None = None,
    progress: bool | None = None,
) -> PermutationResult:
    """Permutation p-values for a meta-regression (``mods``) or a pooled estimate.

    Parameters
    ----------
    yi, vi
        Effect sizes and sampling variances.
    mods
        k × m moderators without the intercept (a 0/1 column gives a subgroup
        difference); ``None`` tests the intercept-only model by sign flipping.
    method, test
        As for :func:`trialmeta.meta_regression`.
    n_permutations
        Number of random permutations (10,000 by default; metafor's ``iter``).
    exact
        ``None``: exact when the distinct permutations are at most
        ``n_permutations``; ``True``: always exact; ``False``: always random.
    seed
        Seed of :func:`numpy.random.default_rng` for random permutations.
    progress
        Show a progress bar on stderr; ``None`` shows it only on a terminal.

    Examples
    --------
    >>> r = permutation_test([-3.2, -8.9, -1.5, -10.4, -7.7, -2.0, -12.8],
    ...                      [7.3, 9.8, 5.1, 14.6, 11.2, 6.0, 20.3],
    ...                      mods=[1, 0, 1, 0, 0, 1, 0], method="FE")
    >>> r.n_permutations, round(r.qm_pval, 4)
    (35, 0.0286)
    """
    y, v = yi_vi(yi, vi)
    check_choice("method", method, METHODS)
    check_choice("test", test, TESTS)
    if isinstance(n_permutations, bool) or not isinstance(n_permutations, (int, np.integer)):
        raise InputError("n_permutations", n_permutations, "an integer >= 2")
    if n_permutations < 2:
        raise InputError("n_permutations", n_permutations, "an integer >= 2")
    if exact not in (None, True, False):
        raise InputError("exact", exact, "None, True or False")
    k = len(y)
    if mods is None and k < 2:
        raise InputError("yi", f"{k} study", "at least 2 studies for a permutation test")
    if mods is None:
        obs = pool(y, v, method=method, test=test)
        coef, stat, qm = np.array([obs.estimate]), np.array([obs.stat]), float(obs.stat**2)
        qm = float("nan") if fl.KNHA_ZERO_RSS in obs.flags else qm
        labels: tuple[str, ...] = ("intrcpt",)
        flags, kind = obs.flags, "sign_flip"
        X = np.ones((k, 1))
    else:
        fit = meta_regression(y, v, mods, method=method, test=test, names=names)
        coef, stat, qm = fit.coef, fit.stat, fit.qm
        labels, flags, kind = fit.names, fit.flags, "row_permutation"
        X = design_matrix(mods, k)
    total = count_permutations(mods, k)
    use_exact = exact if exact is not None else total <= n_permutations
    if use_exact and total > 10 * max(n_permutations, 100_000):
        raise InputError(
            "exact", True, f"a feasible enumeration (there are {total:,} permutations)"
        )
    n_perm = total if use_exact else int(n_permutations)
    batches = _batches(y, X, mods is None, use_exact, n_perm, np.random.default_rng(seed))
    obs_b, obs_qm = batch_fit(y[None, :], X[None, :, :], v, method, test)
    stat_perm = np.empty((n_perm, X.shape[1]))
    qm_perm = np.empty(n_perm)
    show = sys.stderr.isatty() if progress is None else bool(progress)
    done = 0
    for Yb, Xb in batches:
        s, q = batch_fit(Yb, Xb, v, method, test)
        stat_perm[done : done + len(s)] = s
        qm_perm[done : done + len(s)] = q
        done += len(s)
        if show:
            _progress(done, n_perm)
    if show:
        sys.stderr.write("\n")
    # as metafor's mean(..., na.rm = TRUE): refits without a statistic are dropped
    ok = ~np.isnan(stat_perm)
    pval = np.sum((np.abs(stat_perm) >= np.abs(obs_b[0]) - COMPTOL) & ok, axis=0) / np.sum(ok, 0)
    ok_qm = ~np.isnan(qm_perm)
    qm_pval = float(np.sum((qm_perm >= obs_qm[0] - COMPTOL) & ok_qm) / np.sum(ok_qm))
    qm_pval = float("nan") if np.isnan(obs_qm[0]) else qm_pval
    return PermutationResult(
        k=k, p=X.shape[1], method=method, test=test, kind=kind, names=tuple(labels),
        coef=np.asarray(coef), stat=np.asarray(stat), qm=float(qm),
        pval=np.minimum(pval, 1.0), qm_pval=min(qm_pval, 1.0), n_permutations=n_perm,
        exact=bool(use_exact), seed=None if use_exact else int(seed),
        stat_perm=stat_perm, qm_perm=qm_perm, flags=tuple(flags),
    )  # fmt: skip


def batch_fit(
    Y: np.ndarray, X: np.ndarray, v: np.ndarray, method: str, test: str
) -> tuple[np.ndarray, np.ndarray]:
    """Test statistics of N stacked fits of ``rma.uni(Y[b], v, mods = X[b])``.

    ``Y`` is N × k, ``X`` is N × k × p (intercept included). Returns the
    N × p coefficient statistics (z, or t for ``knha``) and the N omnibus
    statistics: ``QM = β₂'V₂⁻¹β₂`` over all coefficients but the intercept
    (over the intercept when p = 1), divided by their number for ``knha``.
    Intercept-only fits (sign flips) are :func:`~trialmeta.pool_batch` fits, the
    others :mod:`trialmeta.resampling.batch.regression`'s: τ² once per fit, in
    blocks of fits.
    """
    N, k, p = X.shape
    if p == 1 and np.all(X == 1.0):
        r = pool_batch(Y, v, method, test, tau2_ci=False)
        stat = r.stat[:, None]
        return stat, np.where(r.se > 0, r.stat**2, np.nan)  # se = 0: knha scale 0
    return regression_stats(Y, X, v, regression_tau2(Y, X, v, method), test)


def _row_groups(X: np.ndarray) -> np.ndarray:
    """Integer label per row; identical rows share a label."""
    _, inverse = np.unique(X, axis=0, return_inverse=True)
    return np.asarray(inverse).reshape(-1)


def _multiset_permutations(labels: Sequence[int]) -> Iterator[tuple[int, ...]]:
    """Distinct orderings of ``labels`` in lexicographic order (Knuth's algorithm L)."""
    a = sorted(labels)
    n = len(a)
    while True:
        yield tuple(a)
        j = n - 2
        while j >= 0 and a[j] >= a[j + 1]:
            j -= 1
        if j < 0:
            return
        m = n - 1
        while a[m] <= a[j]:
            m -= 1
        a[j], a[m] = a[m], a[j]
        a[j + 1 :] = reversed(a[j + 1 :])


def _batches(
    y: np.ndarray, X: np.ndarray, flip: bool, exact: bool, n_perm: int, rng: np.random.Generator
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Chunks of (Y, X) for the permuted fits, the observed arrangement included."""
    k, p = X.shape
    if flip:
        if exact:
            signs: Iterator[np.ndarray] = (np.array(s) for s in product((1.0, -1.0), repeat=k))
        else:
            first = np.ones((1, k))
            draws = rng.choice(np.array([-1.0, 1.0]), size=(n_perm - 1, k))
            signs = iter(np.vstack([first, draws]))
        while chunk := [s for _, s in zip(range(_CHUNK), signs, strict=False)]:
            S = np.asarray(chunk)
            yield S * y[None, :], np.broadcast_to(X, (len(S), k, p))
        return
    groups = _row_groups(X)
    rep = {g: X[np.flatnonzero(groups == g)[0]] for g in np.unique(groups)}
    if exact:
        orders: Iterator[np.ndarray] = (
            np.array([rep[g] for g in perm]) for perm in _multiset_permutations(groups.tolist())
        )
    else:
        perms = rng.permuted(np.tile(np.arange(k), (n_perm - 1, 1)), axis=1)
        orders = iter(np.concatenate([X[None, :, :], X[perms]], axis=0))
    while chunk := [o for _, o in zip(range(_CHUNK), orders, strict=False)]:
        Xs = np.asarray(chunk)
        yield np.broadcast_to(y, (len(Xs), k)), Xs


def _progress(done: int, total: int) -> None:
    width = 30
    filled = int(width * done / total)
    sys.stderr.write(f"\rpermutations [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    sys.stderr.flush()
