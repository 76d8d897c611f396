"""What importing trialmeta costs a fresh process, against numpy and scipy.stats.

Each statement runs in a fresh ``python -c`` process, ``--repeat`` times in turn;
the figure is the child's CPU time (user + sys, ``getrusage``) minus that of
``python -c pass`` measured alongside, min / median, with the load average.

Usage: ``python bench/imports.py [--repeat 7]``
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys

import numpy as np

STATEMENTS = {
    "python -c pass": "pass",
    "import numpy (peer)": "import numpy",
    "import scipy.special (peer)": "import scipy.special",
    "import scipy.stats (peer)": "import scipy.stats",
    "import trialmeta": "import trialmeta",
    "trialmeta.pool, one REML fit": (
        "from trialmeta import pool; pool([0.1, 0.3, 0.35], [0.01, 0.02, 0.015])"
    ),
    "pool_batch + gosh + coverage + permutation": (
        "from trialmeta import pool_batch, gosh, simulate_coverage, permutation_test"
    ),
    # what each workflow job's adapter (workflow/scripts/) imports before it runs
    "job: simulate.py (coverage, GOSH, permutation)": (
        "from trialmeta.io.digests import seal, verified; from trialmeta.review import "
        "robustness; from trialmeta.review.codec import from_data; "
        "from trialmeta.review.results import OutcomeFits, read_result, write_result"
    ),
    "job: fit_outcome.py": (
        "import pandas; from trialmeta.data.sheets import sheet_source; "
        "from trialmeta.data.validate import read_vocabulary; "
        "from trialmeta.io.jsonio import read_records; "
        "from trialmeta.review.annotate import control_lookup, result_rob_lookup; "
        "from trialmeta.review.outcome import FitSettings, fit_outcome"
    ),
    "job: complete_outcome.py (GRADE, TSA)": (
        "from trialmeta.review.outcome import CertaintySettings, complete_outcome; "
        "from trialmeta.review.results import OutcomeFits, read_result, write_result; "
        "from trialmeta.review.robustness import CoverageChecks"
    ),
}
CHECK = (
    "import sys; from trialmeta import pool, pool_batch, gosh, simulate_coverage, "
    "permutation_test; pool([0.1, 0.3, 0.35], [0.01, 0.02, 0.015]); "
    "print(sorted(m for m in ('scipy.stats', 'scipy.optimize', 'pandas') if m in sys.modules))"
)


def child_cpu(code: str) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", code], check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args(argv)
    times: dict[str, list[float]] = {name: [] for name in STATEMENTS}
    loads = []
    for _ in range(args.repeat):
        loads.append(os.getloadavg()[0])
        for name, code in STATEMENTS.items():
            times[name].append(child_cpu(code))
    base = np.array(times["python -c pass"])
    print(f"fresh-process CPU seconds above 'python -c pass' (min / median of {args.repeat})")
    for name, t in times.items():
        extra = np.array(t) - (0 if name == "python -c pass" else base)
        print(f"  {name:<46}{extra.min():8.3f}{np.median(extra):8.3f}")
    print(f"load average (1 min) per round: {', '.join(f'{x:.2f}' for x in loads)}")
    out = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True)
    print("loaded after a pool() fit and the resampling imports:", out.stdout.strip())


if __name__ == "__main__":
    main()
