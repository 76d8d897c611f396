"""Many studies in one meta-analysis: the small-study tests against a peer.

Times, on SYNTHETIC data (seeded normal effects, uniform variances; not trial data):

- Kendall's S by trialmeta (Knight's sort-and-count, O(k log² k)) against
  ``scipy.stats.kendalltau`` (also O(k log k)) and, up to k = 10,000, the pairwise sum the
  code used before (O(k²) memory: 37 GiB at k = 100,000);
- ``begg_test``, ``egger_test``, ``trim_and_fill`` (REML; its side regression avoids the
  k x k projection above k = 500) and ``pool``;
- the whole ``trialmeta analyze --json`` in a subprocess, with its peak resident memory.

    python bench/large_k.py                 # k = 1,000 / 10,000 / 100,000 (about a minute)
    python bench/large_k.py --sizes 1000 10000
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy import stats

import trialmeta
from trialmeta.stats._kendall import kendall_s
from trialmeta.stats.small_study import begg_test, egger_test, trim_and_fill


def _best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _pairwise_s(x: np.ndarray, y: np.ndarray) -> int:
    i, j = np.triu_indices(len(x), k=1)
    return int(np.sum(np.sign(x[i] - x[j]) * np.sign(y[i] - y[j])))


def _cli(y: np.ndarray, v: np.ndarray) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "synthetic.csv"
        rows = "\n".join(f"S{i},{a!r},{b!r}" for i, (a, b) in
                         enumerate(zip(y.tolist(), v.tolist(), strict=True)))  # fmt: skip
        f.write_text("study,yi,vi\n" + rows + "\n", encoding="utf-8")
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "trialmeta.cli", "analyze", str(f),
                                 "--json"], stdout=subprocess.DEVNULL)  # fmt: skip
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"trialmeta analyze failed at k = {len(y)}")
    return wall, usage.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(20261201)
    data = {k: (rng.normal(0, 1, k), rng.uniform(0.01, 1, k)) for k in args.sizes}
    # The CLI runs come first: a child forked after big arrays counts their pages.
    cli = {k: _cli(*data[k]) for k in args.sizes}
    print(
        f"{'k':>8} {'S ours':>9} {'S scipy':>9} {'S pairs':>9} {'begg':>8} {'egger':>8} "
        f"{'trimfill':>9} {'pool':>8} {'analyze':>9} {'peak MB':>8}   (seconds)"
    )
    for k in args.sizes:
        y, v = data[k]
        wall, peak = cli[k]
        ours = _best(lambda: kendall_s(y, v), args.repeat)  # noqa: B023
        peer = _best(lambda: stats.kendalltau(y, v), args.repeat)  # noqa: B023
        pairs = _best(lambda: _pairwise_s(y, v), 1) if k <= 10_000 else float("nan")  # noqa: B023
        assert k > 10_000 or kendall_s(y, v) == _pairwise_s(y, v)
        begg = _best(lambda: begg_test(y, v), 1)  # noqa: B023
        egger = _best(lambda: egger_test(y, v), 1)  # noqa: B023
        tf = _best(lambda: trim_and_fill(y, v, method="REML"), 1)  # noqa: B023
        pooled = _best(lambda: trialmeta.pool(y, v), 1)  # noqa: B023
        print(
            f"{k:>8} {ours:>9.3f} {peer:>9.3f} {pairs:>9.3f} {begg:>8.3f} {egger:>8.3f} "
            f"{tf:>9.3f} {pooled:>8.3f} {wall:>9.2f} {peak:>8.0f}"
        )


if __name__ == "__main__":
    main()
