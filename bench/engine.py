"""Throughput of the batch engine against statsmodels, in one process, in rounds.

Each round runs every case once, in turn: ``trialmeta.pool_batch`` (DL, REML,
PM; ``tau2_ci=False`` and ``True``; the numpy engine and, when numba is
installed, the compiled one) on N synthetic meta-analyses of k = 10 studies,
and a loop of statsmodels ``combine_effects(method_re="dl")`` over 1,000 of
them. Ratios are taken within a round (both sides timed seconds apart), and
printed as min / median / max over the rounds, with the load average of the
machine at each round. Optional: a Python loop of ``trialmeta.pool``, a loop of
metafor ``rma()`` in one R session (``--r``), GOSH at k = 20, and the
resampling checks of one analysis (coverage, permutation test).

All data are SYNTHETIC, drawn from a fixed seed (no trial data).

On a shared machine, pin the process and its libraries to one core::

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 taskset -c 0 python bench/engine.py

Usage: ``python bench/engine.py [--n 100000] [--rounds 7] [--loop 1000] [--r]
[--gosh] [--resampling]``
"""

from __future__ import annotations

import argparse
import inspect
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from trialmeta.resampling.batch.engine import pool_batch

try:  # the compiled engine (trialmeta[fast]); absent from trialmeta before it existed
    from trialmeta.resampling.batch import fast
except ImportError:  # pragma: no cover - lets this script time an older trialmeta too
    fast = None
HAS_ENGINE = "engine" in inspect.signature(pool_batch).parameters

K = 10
SEED = 20261124
GOALS = {"DL lean": 500, "REML lean": 100, "REML tau2_ci": 80}


def synthetic(n: int, k: int = K, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """SYNTHETIC meta-analyses: v ~ U(0.01, 0.2), y ~ N(0.3, v + 0.05)."""
    rng = np.random.default_rng(seed)
    v = rng.uniform(0.01, 0.2, (n, k))
    y = 0.3 + rng.standard_normal((n, k)) * np.sqrt(v + 0.05)
    return y, v


def two_maxima(n: int, k: int = K, seed: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """SYNTHETIC stress rows whose likelihoods often have two maxima (not timed here;
    for checking ``pool_batch`` against ``pool()``, see README): half the variances
    in [0.001, 0.02], half in [0.5, 5], y ~ N(0, v + 0.1), the first three studies
    shifted together by N(0, 2²)."""
    rng = np.random.default_rng(seed)
    small = rng.random((n, k)) < 0.5
    v = np.where(small, rng.uniform(1e-3, 0.02, (n, k)), rng.uniform(0.5, 5, (n, k)))
    y = rng.normal(0, 1, (n, k)) * np.sqrt(v + 0.1)
    y[:, :3] += rng.normal(0, 2, (n, 1))
    return y, v


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """Wall and process-CPU seconds of one call."""
    t0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0


def statsmodels_loop(y: np.ndarray, v: np.ndarray, n: int) -> Callable[[], None]:
    from statsmodels.stats.meta_analysis import combine_effects

    def run() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for i in range(n):
                combine_effects(y[i], v[i], method_re="dl")

    return run


def cases(y: np.ndarray, v: np.ndarray) -> dict[str, Callable[[], object]]:
    """The timed pool_batch calls, per engine available."""
    engines = ["numpy"] + (["numba"] if fast is not None and fast.numba_installed() else [])
    out: dict[str, Callable[[], object]] = {}
    for eng in engines:
        kw = {"engine": eng} if HAS_ENGINE else {}
        for name, method, ci in (("DL lean", "DL", False), ("REML lean", "REML", False),
                                 ("REML tau2_ci", "REML", True), ("DL tau2_ci", "DL", True),
                                 ("PM lean", "PM", False)):  # fmt: skip
            out[f"{name} [{eng}]"] = _case(y, v, method, ci, kw)
    return out


def _case(
    y: np.ndarray, v: np.ndarray, method: str, ci: bool, kw: dict[str, str]
) -> Callable[[], object]:
    return lambda: pool_batch(y, v, method, tau2_ci=ci, **kw)


Rates = dict[str, list[tuple[float, float]]]


def run_rounds(y: np.ndarray, v: np.ndarray, loop: int, rounds: int) -> tuple[Rates, list[float]]:
    """Every case once per round, in turn; returns fits/s (wall, CPU) per case and round,
    and the 1-minute load average at the start of each round."""
    todo = cases(y, v)
    todo["statsmodels DL loop"] = statsmodels_loop(y, v, loop)
    for fn in todo.values():  # warm up: imports, compiled kernels, caches
        fn()
    rates: Rates = {name: [] for name in todo}
    loads = []
    for _ in range(rounds):
        loads.append(os.getloadavg()[0])
        for name, fn in todo.items():
            wall, cpu = timed(fn)
            n = loop if name.startswith("statsmodels") else len(y)
            rates[name].append((n / wall, n / max(cpu, 1e-9)))
    return rates, loads


def pool_loop(y: np.ndarray, v: np.ndarray, n: int) -> dict[str, float]:
    from trialmeta.stats.pooling import pool

    out = {}
    for method in ("DL", "REML"):

        def run(m: str = method) -> None:
            for i in range(n):
                pool(y[i], v[i], m)

        wall, _ = timed(run)
        out[method] = n / wall
    return out


R_SCRIPT = r"""
suppressMessages(library(metafor))
d <- as.matrix(read.csv(commandArgs(TRUE)[1], header = FALSE))
k <- ncol(d) / 2
for (m in c("DL", "REML", "PM")) {
  t <- system.time(for (i in seq_len(nrow(d)))
    try(rma(d[i, 1:k], d[i, (k + 1):(2 * k)], method = m), silent = TRUE))[["elapsed"]]
  cat(m, nrow(d) / t, "\n")
}
cat("version", as.character(packageVersion("metafor")), "\n")
"""


def metafor_loop(y: np.ndarray, v: np.ndarray, n: int) -> dict[str, str | float] | None:
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "synthetic.csv"
        np.savetxt(data, np.hstack([y[:n], v[:n]]), delimiter=",", fmt="%.17g")
        script = Path(tmp) / "bench.R"
        script.write_text(R_SCRIPT)
        res = subprocess.run(["Rscript", str(script), str(data)], capture_output=True,
                             text=True, timeout=900)  # fmt: skip
    if res.returncode != 0:
        print("metafor: Rscript failed:", res.stderr.strip().splitlines()[-1:], file=sys.stderr)
        return None
    out: dict[str, str | float] = {}
    for line in res.stdout.splitlines():
        name, val = line.split()
        out[name] = val if name == "version" else float(val)
    return out


def bench_gosh(k: int = 20) -> tuple[float, int]:
    from trialmeta.resampling.gosh import gosh

    rng = np.random.default_rng(SEED)  # SYNTHETIC: k studies, one far away
    v = rng.uniform(0.01, 0.05, k)
    y = rng.normal(0.3, 0.1, k)
    y[3] = 1.2
    t0 = time.perf_counter()
    r = gosh(y, v, "DL", show_progress=False)
    return time.perf_counter() - t0, r.n_subsets


def bench_resampling(rounds: int) -> None:
    """CPU seconds of one analysis' resampling checks at k = 17 (SYNTHETIC data), per
    engine: coverage (3 τ² x 10,000 sets, z and knha from one fit) and the REML/knha
    permutation tests of a 3-level subgroup factor and of a count moderator."""
    from trialmeta.resampling.coverage import simulate_coverage
    from trialmeta.resampling.permutation import permutation_test

    rng = np.random.default_rng(5)
    k = 17
    v, y = rng.uniform(5, 80, k), rng.normal(-10, 8, k)
    g = rng.integers(0, 3, k)
    g[:3] = [0, 1, 2]
    factor = np.column_stack([g == 1, g == 2]).astype(float)
    count = rng.integers(4, 20, k).astype(float)
    jobs: dict[str, Callable[[], object]] = {
        "coverage 3 x 10,000": lambda: simulate_coverage(v, [0.0, 40.0, 150.0], "REML",
                                                         show_progress=False),
        "permutation, subgroups": lambda: permutation_test(y, v, factor, "REML", "knha",
                                                           progress=False),
        "permutation, moderator": lambda: permutation_test(y, v, count, "REML", "knha",
                                                           progress=False),
    }  # fmt: skip
    engines = ["numpy"] + (["numba"] if fast is not None and fast.numba_installed() else [])
    print(f"\nresampling checks of one analysis, k = {k} (CPU s, min / median of {rounds})")
    for name, fn in jobs.items():
        cells = []
        for eng in engines:
            os.environ["TRIALMETA_ENGINE"] = eng
            fn()
            cpu = [timed(fn)[1] for _ in range(rounds)]
            cells.append(f"{eng}: {min(cpu):.3f} / {np.median(cpu):.3f}")
        os.environ.pop("TRIALMETA_ENGINE", None)
        print(f"  {name:<26}" + "   ".join(cells))


def report(rates: Rates, loads: list[float], n: int) -> None:
    sm = np.array(rates.pop("statsmodels DL loop"))
    print(f"\n{'fits/s (k = 10), min / median / max over rounds':<52}{'wall':>34}")
    for name, r in [*rates.items(), ("statsmodels DL loop", sm)]:
        w = np.array(r)[:, 0]
        print(f"  {name:<50}{w.min():>12,.0f}{np.median(w):>12,.0f}{w.max():>12,.0f}")
    print("\nratio to the statsmodels DL loop of the same round (CPU time; wall in brackets)")
    print(f"  {'case':<30}{'min':>8}{'median':>9}{'max':>8}   goal")
    for name, r in rates.items():
        a = np.array(r)
        cpu, wall = a[:, 1] / sm[:, 1], a[:, 0] / sm[:, 0]
        goal = next((f">= {g}x" for key, g in GOALS.items() if name.startswith(key)), "")
        print(f"  {name:<30}{cpu.min():>7.0f}x{np.median(cpu):>8.0f}x{cpu.max():>7.0f}x   "
              f"{goal:<8} (wall median {np.median(wall):.0f}x)")  # fmt: skip
    print(f"\nload average (1 min) at each round: {', '.join(f'{x:.2f}' for x in loads)}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000, help="meta-analyses per pool_batch call")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--loop", type=int, default=1000, help="fits per statsmodels loop")
    ap.add_argument("--r", action="store_true", help="also time a metafor rma() loop")
    ap.add_argument("--gosh", action="store_true", help="also time GOSH at k = 20")
    ap.add_argument("--resampling", action="store_true", help="also time coverage/permutation")
    args = ap.parse_args(argv)

    try:
        import numba

        nb = f"numba {numba.__version__}"
    except ImportError:
        nb = "numba not installed (compiled engine skipped)"
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    print(f"trialmeta engine benchmark - SYNTHETIC data, N = {args.n:,} x k = {K}, seed {SEED}")
    print(f"python {platform.python_version()}, numpy {np.__version__}, {nb}; "
          f"{os.cpu_count()} cores, this process on CPUs {cpus}, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '(unset)')}")  # fmt: skip
    y, v = synthetic(args.n)
    rates, loads = run_rounds(y, v, args.loop, args.rounds)
    report(rates, loads, args.n)
    loops = pool_loop(y, v, 200)
    print(f"trialmeta.pool() loop: DL {loops['DL']:,.0f}, REML {loops['REML']:,.0f} fits/s")
    if args.r:
        mf = metafor_loop(y, v, 300)
        if mf is None:
            print("metafor rma() loop: skipped (Rscript not installed)")
        else:
            print(f"metafor {mf['version']} rma() loop: DL {mf['DL']:,.0f}, REML "
                  f"{mf['REML']:,.0f}, PM {mf['PM']:,.0f} fits/s")  # fmt: skip
    if args.gosh:
        secs, n = bench_gosh()
        print(f"GOSH k = 20, DL, {n:,} subsets: {secs:.2f} s")
    if args.resampling:
        bench_resampling(3)


if __name__ == "__main__":
    main()
