"""Permutation tests of a fitted model's coefficients and of its omnibus test (metafor
``permutest.rma.uni``), for any :class:`~trialmeta.stats.model.RmaFit`: with several
moderators, a fixed τ² or user weights, and metafor's ``alternative``, ``p2defn`` and
``stat`` controls.

The link between outcome and moderators is broken by permuting the rows of the
moderator matrix (the effect sizes and variances stay together), or, without moderators,
by flipping the signs of the effect sizes; each arrangement is refitted with the same
model (Higgins & Thompson 2004; Viechtbauer, López-López, Sánchez-Meca & Marín-Martínez
2015). The test is exact (every distinct arrangement, the observed one included) when
there are at most ``iter`` of them, or when ``exact=True``; otherwise ``iter`` random
arrangements, the first being the observed one. A refit counts as at least as extreme
within metafor's tolerance ``√ε``.

:func:`trialmeta.permutation_test` is the fast vectorised engine for the common case
(one ``yi``/``vi`` set, estimated τ², inverse-variance weights); this function refits
through the model itself, so every option of :func:`trialmeta.rma` is honoured.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import product

import numpy as np

from trialmeta._checks import check_choice
from trialmeta.errors import InputError
from trialmeta.flags import Flag
from trialmeta.stats.model import RmaFit
from trialmeta.stats.results import _AsDict

__all__ = ["PermutestResult", "permutest"]

COMPTOL = float(np.sqrt(np.finfo(float).eps))  # metafor's control$comptol
MAX_EXACT = 1_000_000


@dataclass(frozen=True)
class PermutestResult(_AsDict):
    """Observed ``coef``/``stat``/``qm`` and their permutation p-values: ``pval`` per
    coefficient (as ``names``) and ``qm_pval`` for the omnibus test (over every
    coefficient but the intercept; the intercept itself without moderators)."""

    k: int
    names: tuple[str, ...]
    method: str
    test: str
    coef: np.ndarray
    stat: np.ndarray
    qm: float
    pval: np.ndarray
    qm_pval: float
    n_permutations: int
    exact: bool
    seed: int | None
    alternative: str
    p2defn: str
    statistic: str
    flags: tuple[Flag, ...] = ()


def omnibus(fit: RmaFit) -> float:
    """metafor's QM: ``β₂'V₂⁻¹β₂`` over the moderators' coefficients (the intercept without
    moderators), divided by their number for ``knha``; NaN if V₂ is singular."""
    idx = slice(0, 1) if fit.int_only else slice(1, fit.p)
    b, V = fit.beta[idx], fit.vb[idx, idx]
    try:
        qm = float(b @ np.linalg.solve(V, b))
    except np.linalg.LinAlgError:
        return float("nan")
    return qm / len(b) if fit.test == "knha" else qm


def _row_labels(X: np.ndarray) -> list[int]:
    """One integer per row; identical rows share it."""
    _, inverse = np.unique(X, axis=0, return_inverse=True)
    return [int(i) for i in np.asarray(inverse).reshape(-1)]


def _distinct_orders(labels: list[int]) -> Iterator[list[int]]:
    """Every distinct arrangement of the multiset ``labels`` (recursively, by the value
    placed first)."""
    counts = Counter(labels)

    def grow(prefix: list[int], left: int) -> Iterator[list[int]]:
        if left == 0:
            yield list(prefix)
            return
        for value in sorted(counts):
            if counts[value]:
                counts[value] -= 1
                prefix.append(value)
                yield from grow(prefix, left - 1)
                prefix.pop()
                counts[value] += 1

    yield from grow([], len(labels))


def _total(fit: RmaFit) -> int:
    if fit.int_only:
        return int(2**fit.k)
    total = math.factorial(fit.k)
    for n in Counter(_row_labels(fit.X)).values():
        total //= math.factorial(n)
    return total


def _arrangements(fit: RmaFit, exact: bool, n: int, rng: np.random.Generator
                  ) -> Iterator[tuple[np.ndarray, np.ndarray]]:  # fmt: skip
    """(yi, X) of each arrangement: signs flipped, or rows of X permuted."""
    if fit.int_only:
        signs: Iterator[np.ndarray]
        if exact:
            signs = (np.array(s) for s in product((1.0, -1.0), repeat=fit.k))
        else:
            draws = rng.choice(np.array([-1.0, 1.0]), size=(n - 1, fit.k))
            signs = iter(np.vstack([np.ones((1, fit.k)), draws]))
        for s in signs:
            yield s * fit.yi, fit.X
        return
    labels = _row_labels(fit.X)
    rows = {lab: fit.X[labels.index(lab)] for lab in set(labels)}
    if exact:
        for order in _distinct_orders(labels):
            yield fit.yi, np.array([rows[lab] for lab in order])
        return
    yield fit.yi, fit.X
    for _ in range(n - 1):
        yield fit.yi, fit.X[rng.permutation(fit.k)]


def _p_values(obs: np.ndarray, perm: np.ndarray, alternative: str, p2defn: str) -> np.ndarray:
    """metafor's p-value definitions (NaN refits dropped, as ``na.rm = TRUE``)."""
    out = np.empty(obs.shape[0])
    for j, o in enumerate(obs):
        d = perm[:, j][np.isfinite(perm[:, j])]
        if alternative == "less":
            p = np.mean(d <= o + COMPTOL)
        elif alternative == "greater":
            p = np.mean(d >= o - COMPTOL)
        elif p2defn == "abs":
            p = np.mean(np.abs(d) >= abs(o) - COMPTOL)
        elif o > np.median(d):
            p = 2 * np.mean(d >= o - COMPTOL)
        else:
            p = 2 * np.mean(d <= o + COMPTOL)
        out[j] = min(float(p), 1.0)
    return out


def permutest(
    fit: RmaFit,
    exact: bool | None = None,
    iter: int = 1000,  # noqa: A002 (metafor's name)
    seed: int = 0,
    alternative: str = "two.sided",
    p2defn: str = "abs",
    stat: str = "test",
) -> PermutestResult:
    """Permutation p-values of ``fit``'s coefficients and omnibus test (metafor
    ``permutest(fit, exact, iter, control = list(alternative, p2defn, stat))``).

    Parameters
    ----------
    fit
        A model from :func:`trialmeta.rma`.
    exact
        ``None``: exact when there are at most ``iter`` distinct arrangements (metafor);
        ``True``: always exact; ``False``: ``iter`` random arrangements.
    iter
        Number of random arrangements (the observed one included).
    seed
        Seed of :func:`numpy.random.default_rng` for random arrangements.
    alternative
        ``"two.sided"``, ``"less"`` or ``"greater"``.
    p2defn
        Two-sided p-value: ``"abs"`` (``|stat*| ≥ |stat|``) or ``"px2"`` (twice the
        smaller tail).
    stat
        ``"test"`` (z or t statistics) or ``"coef"`` (the coefficients themselves).

    Examples
    --------
    >>> import trialmeta
    >>> fit = trialmeta.rma([-9.5, -4.1, -12.3, 0.8, -6.7, -15.2],
    ...                     [10.2, 6.5, 18.9, 8.1, 12.4, 25.0], mods=[6, 10, 8, 4, 12, 16])
    >>> r = permutest(fit)
    >>> r.n_permutations, [round(float(p), 4) for p in r.pval]
    (720, [0.9764, 0.2236])
    """
    if not isinstance(fit, RmaFit):
        raise InputError("fit", type(fit).__name__, "a model from trialmeta.rma()")
    check_choice("alternative", alternative, ("two.sided", "less", "greater"))
    check_choice("p2defn", p2defn, ("abs", "px2"))
    check_choice("stat", stat, ("test", "coef"))
    if isinstance(iter, bool) or not isinstance(iter, (int, np.integer)) or iter < 2:
        raise InputError("iter", iter, "an integer >= 2")
    total = _total(fit)
    use_exact = total <= iter if exact is None else bool(exact)
    if use_exact and total > MAX_EXACT:
        raise InputError("exact", True, f"at most {MAX_EXACT:,} arrangements (there are {total:,})")
    rng = np.random.default_rng(seed)
    values, qms = [], []
    for y, X in _arrangements(fit, use_exact, int(iter), rng):
        res = fit.refit(y, fit.vi, X, fit.weights)
        values.append(res.stat if stat == "test" else res.beta)
        qms.append(omnibus(res))
    perm, qm_perm = np.asarray(values), np.asarray(qms)
    obs = fit.stat if stat == "test" else fit.beta
    qm = omnibus(fit)
    ok = np.isfinite(qm_perm)
    qm_pval = float(np.mean(qm_perm[ok] >= qm - COMPTOL)) if np.isfinite(qm) else float("nan")
    return PermutestResult(
        k=fit.k, names=fit.names, method=fit.method, test=fit.test, coef=fit.beta,
        stat=fit.stat, qm=qm, pval=_p_values(np.asarray(obs), perm, alternative, p2defn),
        qm_pval=min(qm_pval, 1.0), n_permutations=len(perm), exact=use_exact,
        seed=None if use_exact else int(seed), alternative=alternative, p2defn=p2defn,
        statistic=stat, flags=fit.flags,
    )  # fmt: skip
