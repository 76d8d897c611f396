"""Vectorised pooling of many meta-analyses at once: :func:`pool_batch`.

Every row of a 2-D input is one meta-analysis; the result equals
:func:`trialmeta.pool` row by row (to about 1e-12 relative; tested to 1e-10),
but runs as a handful of array operations, so that GOSH, coverage
simulations and permutation tests can afford millions of fits.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from typing import cast

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from trialmeta._checks import METHODS, TESTS, check_choice, check_level
from trialmeta.errors import InputError
from trialmeta.resampling.batch.fast import fit_rows, use_numba
from trialmeta.resampling.batch.fit import chi2_sf, fit_core, fit_many, quantile_tables
from trialmeta.resampling.batch.inputs import stack_inputs, to_stack
from trialmeta.resampling.batch.stack import SCRATCH_MAX_BYTES
from trialmeta.stats.results import to_jsonable

__all__ = [
    "BatchPooledResult", "chi2_sf", "fit_core", "pool_batch", "pool_batch_tests", "stack_inputs",
    "to_stack",
]  # fmt: skip
#: meta-analyses per block at K = 10 for closed-form τ² (DL, HE, HS, SJ, FE): K x CHUNK
#: arrays stay in cache; blocks scale as 1/K (measured in bench/engine.py)
CHUNK = 8192
#: iterative τ² (ML, REML, PM, EB) and Q-profile CIs use blocks this many times larger:
#: their per-block cost (Python-level steps of the root searches) is then spread thinner
ITERATIVE_CHUNK_FACTOR = 4


def block_rows(method: str, tau2_ci: bool, k: int) -> int:
    """Meta-analyses per block for ``method`` at ``k`` studies (see ``CHUNK``)."""
    factor = ITERATIVE_CHUNK_FACTOR if tau2_ci or method in ("ML", "REML", "PM", "EB") else 1
    rows = int(CHUNK * factor * 10) // max(k, 1)
    return max(256, min(rows, SCRATCH_MAX_BYTES // (8 * max(k, 1))))


@dataclass(frozen=True)
class BatchPooledResult:
    """Arrays of :class:`~trialmeta.results.PooledResult` fields, one element per row.

    Every per-row field of ``PooledResult`` is here with the same name and
    meaning, except:

    - ``weights_percent`` (ragged, N x K) and ``flags`` (strings) are left out;
      refit a row with :func:`trialmeta.pool` to get them. The boundary flag is
      ``tau2 == 0``; ``k < 3`` means no prediction interval.
    - ``iterations`` counts this engine's safeguarded-Newton steps, which are
      not comparable with the Fisher-scoring iterations of ``pool``.

    ``method``, ``test`` and ``level`` are shared by all rows.
    """

    method: str
    test: str
    level: float
    k: np.ndarray
    estimate: np.ndarray
    se: np.ndarray
    ci_lb: np.ndarray
    ci_ub: np.ndarray
    stat: np.ndarray
    pval: np.ndarray
    df: np.ndarray
    tau2: np.ndarray
    tau2_se: np.ndarray
    tau2_ci_lb: np.ndarray
    tau2_ci_ub: np.ndarray
    i2_percent: np.ndarray
    i2_ci_lb: np.ndarray
    i2_ci_ub: np.ndarray
    h2: np.ndarray
    h2_ci_lb: np.ndarray
    h2_ci_ub: np.ndarray
    q: np.ndarray
    q_df: np.ndarray
    q_pval: np.ndarray
    pi_lb: np.ndarray
    pi_ub: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray

    def __len__(self) -> int:
        return int(self.k.shape[0])

    def row(self, i: int) -> dict[str, object]:
        """Row ``i`` as a dict with ``PooledResult``'s field names (plain Python values)."""
        out: dict[str, object] = {}
        for f in fields(self):
            val = getattr(self, f.name)
            out[f.name] = val[i].item() if isinstance(val, np.ndarray) else val
        return out

    def to_dict(self) -> dict[str, object]:
        """Field name → JSON-safe value (lists; NaN becomes ``None``)."""
        return {f.name: to_jsonable(getattr(self, f.name)) for f in fields(self)}


def pool_batch(
    yi: object,
    vi: object,
    method: str = "REML",
    test: str = "z",
    level: float = 0.95,
    mask: object | None = None,
    *,
    tau2_ci: bool = True,
    workers: int = 1,
    engine: str = "auto",
) -> BatchPooledResult:
    """Pool N meta-analyses at once; row i equals ``pool(yi[i][mask[i]], vi[i][mask[i]])``.

    The estimate is ``μ̂ = Σwy/Σw`` with ``w = 1/(v + τ̂²)`` and
    ``se = sqrt(1/Σw)`` (``test="z"``), or, for ``test="knha"``,
    ``se² = [Σw(y-μ̂)²/(k-1)]/Σw`` with t on k-1 df (Hartung & Knapp 2001;
    scale 0 when that sum is ≤ machine epsilon, as metafor). Q uses
    ``w = 1/v`` (Cochran 1954); ``I² = 100 τ²/(ṽ+τ²)`` and ``H² = τ²/ṽ + 1`` with
    ``ṽ = (k-1)/(Σw - Σw²/Σw)`` (Higgins & Thompson 2002), Q-based for FE.
    The τ² CI is the Q-profile (Viechtbauer 2007); the prediction interval
    ``μ̂ ± t_{k-2}·sqrt(τ² + se²)``, NaN when k < 3 (Higgins et al. 2009).
    A row with k = 1 returns that study (``se = sqrt(v)``), heterogeneity NaN.

    Parameters
    ----------
    yi, vi
        N x K effect sizes and sampling variances (> 0); ``vi`` broadcasts.
    method
        ``FE, DL, HE, HS, SJ, ML, REML, EB, PM`` (metafor's names).
    test
        ``"z"`` or ``"knha"``.
    level
        Confidence level, e.g. 0.95.
    mask
        Optional boolean N x K array: True where a study is present (ragged k).
    tau2_ci
        Compute the Q-profile CIs of τ², I² and H² (two more root searches);
        with False those fields are NaN.
    workers
        Threads working on blocks of rows (NumPy releases the GIL inside its
        array operations); 1 by default, so a Snakemake job uses one core.
    engine
        ``"auto"`` (compiled kernels when numba is installed, ``trialmeta[fast]``,
        for calls of 20,000 rows or more, unless ``TRIALMETA_ENGINE=numpy``),
        ``"numpy"`` or ``"numba"``; both give the same results
        (:mod:`~trialmeta.resampling.batch.fast`).

    Returns
    -------
    BatchPooledResult

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([[0.1, 0.3, 0.35, 0.65], [0.2, 0.1, 0.0, 0.3]])
    >>> r = pool_batch(y, [0.01, 0.02, 0.015, 0.04], method="DL")
    >>> round(float(r.estimate[0]), 4)  # metafor: rma(yi, vi, method="DL")
    0.3089
    """
    check_choice("method", method, METHODS)
    check_choice("test", test, TESTS)
    return _pool(yi, vi, method, (test,), level, mask, tau2_ci, workers, engine)[test]


def pool_batch_tests(
    yi: object,
    vi: object,
    method: str = "REML",
    tests: tuple[str, ...] = ("z", "knha"),
    level: float = 0.95,
    mask: object | None = None,
    *,
    tau2_ci: bool = True,
    workers: int = 1,
    engine: str = "auto",
) -> dict[str, BatchPooledResult]:
    """:func:`pool_batch` for several tests from one fit: ``{test: result}``.

    τ² does not depend on the test (metafor fits τ² first, then applies z or
    Knapp-Hartung inference to the same fit), so it, the heterogeneity
    statistics and the τ² CIs are computed once, and only se, the statistic,
    p-value, CI and prediction interval per test. Each result equals
    ``pool_batch(yi, vi, method, test, ...)`` exactly.

    Examples
    --------
    >>> y = [[0.1, 0.3, 0.35, 0.65]]
    >>> r = pool_batch_tests(y, [0.01, 0.02, 0.015, 0.04], "REML", ("z", "knha"))
    >>> bool(r["knha"].tau2[0] == r["z"].tau2[0]), bool(r["knha"].se[0] != r["z"].se[0])
    (True, True)
    """
    check_choice("method", method, METHODS)
    tests = tuple(tests)
    if not tests:
        raise InputError("tests", tests, "at least one of z, knha")
    for t in tests:
        check_choice("tests", t, TESTS)
    distinct = tuple(dict.fromkeys(tests))
    return _pool(yi, vi, method, distinct, level, mask, tau2_ci, workers, engine)


def _pool(
    yi: object,
    vi: object,
    method: str,
    tests: tuple[str, ...],
    level: float,
    mask: object | None,
    tau2_ci: bool,
    workers: int,
    engine: str,
) -> dict[str, BatchPooledResult]:
    """The engine of :func:`pool_batch` for distinct, checked ``tests``."""
    lv = check_level(level)
    shape = np.shape(cast(ArrayLike, yi))
    rows = int(shape[0]) if len(shape) == 2 else 1
    compiled = use_numba(engine, method, rows)
    y, v, present, k_all = stack_inputs(yi, vi, mask, check=not compiled or mask is not None)
    n = y.shape[0]
    q_df = np.maximum(k_all - 1, 0).astype(np.int64)
    alpha = 1.0 - lv
    if compiled and present is None and y.shape[1] >= 2:  # every row has k = K >= 2
        tables = quantile_tables(k_all[:1], alpha)
        fitted = fit_rows(y, v, method, tests, tables, tau2_ci, workers)
        if fitted is None:  # a bad value: the numpy checks name the first one
            stack_inputs(yi, vi, mask)
            raise AssertionError("a bad value the input checks did not find")  # pragma: no cover
        return {
            test: BatchPooledResult(method=method, test=test, level=lv,
                                    k=k_all if i == 0 else k_all.copy(),
                                    q_df=q_df if i == 0 else q_df.copy(), **res)
            for i, (test, res) in enumerate(zip(tests, fitted, strict=True))
        }  # fmt: skip
    outs = {test: _empty_fields(n, test, tau2_ci) for test in tests}
    converged = np.ones(n, dtype=bool)
    iterations = np.zeros(n, dtype=np.int64)

    one = np.flatnonzero(k_all == 1)
    if one.size:
        col = np.zeros(one.size, dtype=np.int64) if present is None else present[one].argmax(1)
        for test, out in outs.items():
            _single_study(out, one, y[one, col], v[one, col], test, alpha)

    many = np.flatnonzero(k_all >= 2)
    tables = quantile_tables(k_all, alpha) if many.size else {}
    contiguous = many.size == n

    def run(start: int) -> None:
        if contiguous:
            rows: slice | np.ndarray = slice(start, min(start + chunk, n))
        else:
            rows = many[start : start + chunk]
        pr = None if present is None else present[rows]
        s = to_stack(y[rows], v[rows], pr, k_all[rows], tag="block")
        for test, res in zip(tests, fit_many(s, method, tests, tables, tau2_ci), strict=True):
            converged[rows] = res.pop("converged")
            iterations[rows] = res.pop("iterations")
            out = outs[test]
            for name, val in res.items():
                out[name][rows] = val

    chunk = block_rows(method, tau2_ci, y.shape[1])
    starts = range(0, many.size, chunk)
    n_workers = max(1, min(int(workers), len(starts)))
    if n_workers == 1:
        for start in starts:
            run(start)
    else:  # numpy releases the GIL inside array operations; blocks write disjoint rows
        with ThreadPoolExecutor(n_workers) as pool_:  # its threads' buffers end with them
            list(pool_.map(run, starts))
    results = {}
    for i, (test, out) in enumerate(outs.items()):
        results[test] = BatchPooledResult(
            method=method, test=test, level=lv, k=k_all.astype(np.int64),
            q_df=q_df if i == 0 else q_df.copy(),
            converged=converged if i == 0 else converged.copy(),
            iterations=iterations if i == 0 else iterations.copy(), **out,
        )  # fmt: skip
    return results


def _empty_fields(n: int, test: str, tau2_ci: bool) -> dict[str, np.ndarray]:
    """Output arrays of one test: df NaN for z, the τ² CI fields NaN without ``tau2_ci``."""
    out = {name: np.empty(n) for name in _FLOAT_FIELDS}
    if test == "z":
        out["df"].fill(np.nan)
    if not tau2_ci:
        for name in _CI_FIELDS:
            out[name].fill(np.nan)
    return out


def _single_study(
    out: dict[str, np.ndarray],
    one: np.ndarray,
    y1: np.ndarray,
    v1: np.ndarray,
    test: str,
    alpha: float,
) -> None:
    """Rows with k = 1: the study itself (``se = sqrt(v)``), heterogeneity NaN."""
    for arr in out.values():
        arr[one] = np.nan
    se1 = np.sqrt(v1)
    out["estimate"][one], out["se"][one] = y1, se1
    if test == "z":
        z = -special.ndtri(alpha / 2)
        st = y1 / se1
        out["stat"][one], out["pval"][one] = st, 2 * special.ndtr(-np.abs(st))
        out["ci_lb"][one], out["ci_ub"][one] = y1 - z * se1, y1 + z * se1
    else:
        out["df"][one] = 0.0


_CI_FIELDS = ("tau2_ci_lb", "tau2_ci_ub", "i2_ci_lb", "i2_ci_ub", "h2_ci_lb", "h2_ci_ub")
_FLOAT_FIELDS = (
    "estimate", "se", "ci_lb", "ci_ub", "stat", "pval", "df", "tau2", "tau2_se",
    "tau2_ci_lb", "tau2_ci_ub", "i2_percent", "i2_ci_lb", "i2_ci_ub", "h2", "h2_ci_lb",
    "h2_ci_ub", "q", "q_pval", "pi_lb", "pi_ub",
)  # fmt: skip
