"""The optional compiled engine of :func:`~trialmeta.resampling.batch.engine.pool_batch`.

With ``pip install 'trialmeta[fast]'`` (numba), DL, ML, REML, PM and EB fits
of rows without a mask run in compiled per-row loops
(:mod:`~trialmeta.resampling.batch.nb_rows`) instead of the numpy engine's
array passes: one pass over each row's studies per score evaluation, no
temporaries, no transpose. The numpy engine stays the reference and the
fallback: it handles every other case (other estimators, masks, numba not
installed) and refits the rare rows where the kernel cannot rule out a second
root of the likelihood score, so both give the same answer
(``tests/unit/test_batch_fast.py``: to 1e-10, on ordinary and on two-maxima
rows). numba is imported on first use, never by ``import trialmeta``; its
compiled code is cached on disk (the first compile takes about 12 s of CPU, later
processes load it in about 0.3 s).

The engine is chosen by ``pool_batch(engine=...)``: ``"numpy"``, ``"numba"``, or
``"auto"`` (default): numba when it is installed and the call has at least
``AUTO_MIN_ROWS`` rows or the kernels are already loaded in this process; the
environment variable ``TRIALMETA_ENGINE`` makes ``"auto"`` mean ``numpy``
(never compiled) or ``numba`` (always, when installed). (Importing
numba and loading the cached kernels costs about 0.3 s of CPU once per
process, more than the kernels save on a few thousand fits, such as one
analysis' coverage simulation.)
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from scipy import special

from trialmeta.errors import InputError
from trialmeta.resampling.batch.fit import chi2_sf, fit_many
from trialmeta.resampling.batch.stack import Stack

__all__ = ["ENGINES", "FAST_METHODS", "fit_rows", "numba_installed", "use_numba"]

ENGINES = ("auto", "numpy", "numba")
#: estimators the compiled engine fits, with their kernel codes
FAST_METHODS = {"DL": 0, "ML": 1, "REML": 2, "PM": 3, "EB": 3}
ENV = "TRIALMETA_ENGINE"
#: "auto" loads the compiled engine for calls of at least this many rows
AUTO_MIN_ROWS = 20_000


def numba_installed() -> bool:
    """True when numba can be imported (checked without importing it)."""
    return importlib.util.find_spec("numba") is not None


def use_numba(engine: str, method: str, rows: int = AUTO_MIN_ROWS) -> bool:
    """Whether ``engine`` (see module docstring) runs ``method`` compiled for a call
    of ``rows`` rows."""
    if engine not in ENGINES:
        raise InputError("engine", engine, "one of " + ", ".join(ENGINES))
    if engine == "auto":
        env = os.environ.get(ENV, "auto")
        if env not in ENGINES:
            raise InputError(ENV, env, "one of " + ", ".join(ENGINES))
        if env == "numpy" or not numba_installed():
            return False
        loaded = "trialmeta.resampling.batch.nb_rows" in sys.modules
        if env == "auto" and rows < AUTO_MIN_ROWS and not loaded:
            return False
    elif engine == "numpy":
        return False
    elif not numba_installed():
        raise InputError("engine", "numba", "numpy or auto: numba is not installed "
                         "(pip install 'trialmeta[fast]')")  # fmt: skip
    return method in FAST_METHODS


def _kernel(code: int) -> tuple[Callable[..., Any], Any]:
    """The compiled row loop for kernel ``code`` (numba imported here, on first use),
    as ``kernel(y, v, crit, tests, tau2_ci, shared, per_test)``, and its module."""
    from trialmeta.resampling.batch import nb_block, nb_rows, nb_tail

    if code == 0:
        return nb_block.dl_rows, nb_tail

    def kernel(*args: Any) -> None:
        nb_rows.fit_rows(args[0], args[1], code, *args[2:])

    return kernel, nb_tail


def fit_rows(
    y: np.ndarray,
    v: np.ndarray,
    method: str,
    tests: tuple[str, ...],
    tables: dict[str, np.ndarray],
    tau2_ci: bool,
    workers: int = 1,
) -> list[dict[str, np.ndarray]] | None:
    """All fields of ``pool_batch`` for N x K rows (K ≥ 2, no mask), one dict per test,
    from the compiled row loop; rows it marks are refitted by the numpy engine. None
    when a y is not finite or a v not finite and > 0 (the caller names it)."""
    y = np.ascontiguousarray(y, dtype=float)
    v = np.ascontiguousarray(v, dtype=float)
    n, k = y.shape
    code = FAST_METHODS[method]
    kernel, nb = _kernel(code)
    shared = np.empty((len(nb.SHARED), n))
    if not tau2_ci:
        shared[nb.SHARED.index("tau2_ci_lb") : nb.SHARED.index("h2_ci_ub") + 1] = np.nan
    per_test = np.empty((2, len(nb.PER_TEST), n))
    crit = np.array(
        [tables[name][k] for name in ("t_knha", "t_pi")]
        + [tables["z"][0]]
        + [tables[name][k] if tau2_ci else np.nan for name in ("chi2_u", "chi2_l")]
    )
    want = np.array([t in tests for t in ("z", "knha")], dtype=np.int64)
    n_parts = max(1, min(int(workers), n // 1024))
    if n_parts == 1:
        kernel(y, v, crit, want, tau2_ci, shared, per_test)
    else:  # the kernel releases the GIL; parts write disjoint rows
        edges = np.linspace(0, n, n_parts + 1).astype(np.int64)

        def run(part: int) -> None:
            sl = slice(int(edges[part]), int(edges[part + 1]))
            kernel(y[sl], v[sl], crit, want, tau2_ci, shared[:, sl], per_test[:, :, sl])

        with ThreadPoolExecutor(n_parts) as ex:
            list(ex.map(run, range(n_parts)))
    status = shared[nb.SHARED.index("status")].astype(np.int64)
    if np.any(status & nb.BAD):
        return None
    res = _fields(nb, shared, per_test, status, tests, k)
    redo = np.flatnonzero(status & nb.REDO)
    if redo.size:
        s = Stack(np.ascontiguousarray(y[redo].T), np.ascontiguousarray(v[redo].T), None,
                  np.full(redo.size, float(k)))  # fmt: skip
        for d, d_np in zip(res, fit_many(s, method, tests, tables, tau2_ci), strict=True):
            for name, val in d_np.items():
                d[name][redo] = val
    return res


def _fields(
    nb: Any,
    shared: np.ndarray,
    per_test: np.ndarray,
    status: np.ndarray,
    tests: tuple[str, ...],
    k: int,
) -> list[dict[str, np.ndarray]]:
    """The kernel's output rows as field arrays, one dict per test (each its own arrays),
    with what the kernel leaves to scipy: the knha p-value, far-tail or large-df Q p-values."""
    later = np.flatnonzero(status & nb.Q_PVAL_LATER)
    qp = shared[nb.SHARED.index("q_pval")]
    if later.size:
        q = shared[nb.SHARED.index("q")]
        qp[later] = chi2_sf(q[later], np.full(later.size, k - 1, dtype=np.int64))
    names = nb.SHARED[:-2]  # the τ² CI rows are NaN without tau2_ci
    out = []
    for i, test in enumerate(tests):
        b = ("z", "knha").index(test)
        d = {n: shared[nb.SHARED.index(n)] for n in names}
        if i:
            d = {n: a.copy() for n, a in d.items()}
        d["iterations"] = shared[nb.SHARED.index("iterations")].astype(np.int64)
        d["converged"] = (status & nb.CONVERGED) > 0
        d.update({n: per_test[b, j] if i == 0 else per_test[b, j].copy()
                  for j, n in enumerate(nb.PER_TEST)})  # fmt: skip
        d["df"] = np.full(status.size, float(k - 1) if test == "knha" else np.nan)
        if test == "knha":
            d["pval"] = 2 * special.stdtr(d["df"], -np.abs(d["stat"]))
        out.append(d)
    return out
