"""Throughput of the vectorised engine against its peers, at k = 10, in one run.

Prints fits per second for
- ``trialmeta.pool_batch`` (DL, REML, PM; all fields incl. Q-profile τ² CIs, and
  the lean variant without them, ``tau2_ci=False``),
- a Python loop of ``trialmeta.pool`` (DL, REML),
- a loop of statsmodels ``combine_effects`` (DL and PM),
- a loop of metafor ``rma()`` inside one R session, if ``Rscript`` is installed,
then the ratios pool_batch / statsmodels DL loop, and the GOSH k = 20 time.

All data are SYNTHETIC, drawn from a fixed seed (no trial data). Timings are
the best of ``--repeat`` runs (wall clock, this machine: see bench/README.md).

Usage: ``python bench/engine.py [--n 200000] [--repeat 3] [--skip-gosh] [--skip-r]``
"""

from __future__ import annotations

import argparse
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

import trialmeta.resampling.batch.engine as tb
from trialmeta.resampling.gosh import gosh
from trialmeta.stats.pooling import pool

K = 10
SEED = 20261124


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


def best_rate(fn: Callable[[], object], n_fits: int, repeat: int) -> tuple[float, float]:
    """Fits per second of wall-clock and of process CPU time, best of ``repeat`` calls.

    On a shared machine the CPU-time rate is the steadier of the two.
    """
    wall, cpu = float("inf"), float("inf")
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall = min(wall, time.perf_counter() - t0)
        cpu = min(cpu, time.process_time() - c0)
    return n_fits / wall, n_fits / max(cpu, 1e-9)


def bench_batch(y, v, repeat: int) -> dict[str, tuple[float, float]]:
    out = {}
    tb.pool_batch(y[:1000], v[:1000], "REML")  # warm caches and imports
    for method in ("DL", "REML", "PM"):
        out[method] = best_rate(lambda m=method: tb.pool_batch(y, v, m), len(y), repeat)
        out[method + "_lean"] = best_rate(
            lambda m=method: tb.pool_batch(y, v, m, tau2_ci=False), len(y), repeat
        )
    for method in ("DL", "REML"):  # both cores of the machine (pool_batch(workers=2))
        out[method + "_lean 2 threads"] = best_rate(
            lambda m=method: tb.pool_batch(y, v, m, tau2_ci=False, workers=2), len(y), repeat
        )
    return out


def bench_pool_loop(y, v, n: int) -> dict[str, tuple[float, float]]:
    out = {}
    for method in ("DL", "REML"):

        def run(m=method):
            for i in range(n):
                pool(y[i], v[i], m)

        out[method] = best_rate(run, n, 1)
    return out


def bench_statsmodels(y, v, n: int, repeat: int) -> dict[str, tuple[float, float]]:
    from statsmodels.stats.meta_analysis import combine_effects

    out = {}
    for method in ("dl", "pm"):

        def run(m=method):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for i in range(n):
                    combine_effects(y[i], v[i], method_re=m)

        out[method.upper()] = best_rate(run, n, repeat)
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


def bench_metafor(y, v, n: int) -> dict[str, float] | None:
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "synthetic.csv"
        np.savetxt(data, np.hstack([y[:n], v[:n]]), delimiter=",", fmt="%.17g")
        script = Path(tmp) / "bench.R"
        script.write_text(R_SCRIPT)
        res = subprocess.run(
            ["Rscript", str(script), str(data)], capture_output=True, text=True, timeout=900
        )
    if res.returncode != 0:
        print("metafor: Rscript failed:", res.stderr.strip().splitlines()[-1:], file=sys.stderr)
        return None
    out: dict[str, float] = {}
    for line in res.stdout.splitlines():
        name, val = line.split()
        out[name] = val if name == "version" else float(val)  # type: ignore[assignment]
    return out


def bench_gosh(k: int = 20) -> tuple[float, int]:
    rng = np.random.default_rng(SEED)  # SYNTHETIC: k studies, one far away
    v = rng.uniform(0.01, 0.05, k)
    y = rng.normal(0.3, 0.1, k)
    y[3] = 1.2
    t0 = time.perf_counter()
    r = gosh(y, v, "DL", show_progress=False)
    return time.perf_counter() - t0, r.n_subsets


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200_000, help="meta-analyses per batch call")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--loop", type=int, default=2000, help="fits per statsmodels loop")
    ap.add_argument("--skip-gosh", action="store_true")
    ap.add_argument("--skip-r", action="store_true")
    args = ap.parse_args(argv)

    print("trialmeta engine benchmark - SYNTHETIC data, k = 10, seed", SEED)
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} cores, "
        f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}, "
        f"block size {tb.block_rows('DL', False, K)} (closed-form τ²) / "
        f"{tb.block_rows('REML', False, K)} (iterative)"
    )
    y, v = synthetic(args.n)
    rates: dict[str, tuple[float, float]] = {}
    for m, r in bench_batch(y, v, args.repeat).items():
        rates[f"pool_batch {m}"] = r
    for m, r in bench_pool_loop(y, v, 200).items():
        rates[f"pool() loop {m}"] = r
    for m, r in bench_statsmodels(y, v, args.loop, args.repeat).items():
        rates[f"statsmodels combine_effects loop {m}"] = r
    mf = None if args.skip_r else bench_metafor(y, v, 300)
    if mf is None:
        print("metafor rma() loop: skipped (Rscript not installed or --skip-r)")
    else:
        for m in ("DL", "REML", "PM"):  # timed inside R: wall clock only
            rates[f"metafor {mf['version']} rma() loop {m}"] = (mf[m], float("nan"))

    print(f"\n{'fits/second at k = 10':<48}{'wall':>12}{'CPU time':>12}")
    for name, (wall, cpu) in rates.items():
        print(f"{name:<48}{wall:>12,.0f}{cpu:>12,.0f}")
    sm_wall, sm_cpu = rates["statsmodels combine_effects loop DL"]
    print("\nratios against the statsmodels DL loop (goals: REML >= 100x, DL >= 500x)")
    print(f"{'':<34}{'all fields':>22}{'lean (tau2_ci=False)':>24}")
    for m in ("REML", "DL", "PM"):
        (fw, fc), (lw, lc) = rates[f"pool_batch {m}"], rates[f"pool_batch {m}_lean"]
        full = f"wall {fw / sm_wall:5.0f}x  CPU {fc / sm_cpu:5.0f}x"
        lean = f"wall {lw / sm_wall:5.0f}x  CPU {lc / sm_cpu:5.0f}x"
        print(f"  pool_batch {m:<5}/ statsmodels DL   {full}   {lean}")
    for m in ("REML", "DL"):
        tw, _ = rates[f"pool_batch {m}_lean 2 threads"]
        print(f"  pool_batch {m:<5}lean, workers=2 (both cores) / statsmodels DL   "
              f"wall {tw / sm_wall:5.0f}x")
    if not args.skip_gosh:
        secs, n = bench_gosh()
        print(f"\nGOSH k = 20, DL, {n:,} subsets: {secs:.2f} s (target < 10 s)")


if __name__ == "__main__":
    main()
