"""What importing trialmeta costs a fresh process, against numpy and scipy.stats.

Each statement runs in a fresh ``python -c`` process, ``--repeat`` times in turn;
the figure is the child's CPU time (user + sys, ``getrusage``) minus that of
``python -c pass`` measured alongside, min / median, with the load average.

The ``job:`` statements are the exact top-level imports of each Snakemake adapter in
``workflow/scripts/`` (read from the file, so they follow the adapters), one per job
type, with the number of processes of that type in a cold run of the shipped review.
After the timings, a check prints the heavy modules each job's imports load.

``--tree SRC`` (repeatable) times the same statements against other source trees
(``SRC`` is put first on ``PYTHONPATH``; ``.`` is the tree on the current path), each
round visiting the trees in turn, so a before/after comparison shares the machine's
load: ``python bench/imports.py --tree /path/to/main/src --tree src``.

Usage: ``python bench/imports.py [--repeat 7] [--tree SRC ...]``
"""

from __future__ import annotations

import argparse
import ast
import os
import resource
import subprocess
import sys
from pathlib import Path

import numpy as np

SCRIPTS = Path(__file__).resolve().parents[1] / "workflow" / "scripts"
# processes of each job type in a cold run of the shipped review (7 outcomes; the
# simulation adapter runs coverage, GOSH and permutation for each)
PROCESSES = {
    "simulate.py": 21, "fit_outcome.py": 7, "complete_outcome.py": 7, "plot_outcome.py": 7,
    "prepare_data.py": 1, "plot_prisma.py": 1, "plot_risk_of_bias.py": 1,
    "write_tables.py": 1, "write_sof.py": 1, "write_limitations.py": 1,
    "write_provenance.py": 1, "write_report.py": 1, "write_pdf.py": 1,
}  # fmt: skip
HEAVY = (
    "pandas", "scipy.special", "scipy.stats", "scipy.optimize", "jsonschema", "yaml",
    "matplotlib", "matplotlib.pyplot", "docx", "weasyprint", "openpyxl", "numba",
)  # fmt: skip


def adapter_imports(path: Path) -> str:
    """The top-level ``import`` statements of an adapter, as one ``python -c`` line."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    stmts = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    return "; ".join(ast.unparse(n) for n in stmts)


def heavy_check(code: str) -> str:
    """``code`` followed by a print of the heavy modules it loaded."""
    return f"{code}; import sys; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"


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
    **{
        f"job: {p.name} ({PROCESSES.get(p.name, '?')})": adapter_imports(p)
        for p in sorted(SCRIPTS.glob("*.py"))
    },
}
CHECK = (
    "import sys; from trialmeta import pool, pool_batch, gosh, simulate_coverage, "
    "permutation_test; pool([0.1, 0.3, 0.35], [0.01, 0.02, 0.015]); "
    "print(sorted(m for m in ('scipy.stats', 'scipy.optimize', 'pandas') if m in sys.modules))"
)


def tree_env(src: str | None) -> dict[str, str] | None:
    """The environment with ``src`` first on ``PYTHONPATH`` (None: this one)."""
    if src is None:
        return None
    path = [str(Path(src).resolve()), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(path)}


def child_cpu(code: str, env: dict[str, str] | None = None) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def loaded(code: str, env: dict[str, str] | None) -> str:
    out = subprocess.run([sys.executable, "-c", heavy_check(code)], capture_output=True,
                         text=True, check=True, env=env)  # fmt: skip
    return out.stdout.strip() or "none"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--tree", action="append", default=None, metavar="SRC")
    args = ap.parse_args(argv)
    trees: list[str | None] = list(args.tree) if args.tree else [None]
    envs = [tree_env(t) for t in trees]
    times = {(t, name): [] for t in range(len(trees)) for name in STATEMENTS}
    loads = []
    for _ in range(args.repeat):
        loads.append(os.getloadavg()[0])
        for name, code in STATEMENTS.items():
            for t, env in enumerate(envs):
                times[t, name].append(child_cpu(code, env))
    for t, tree in enumerate(trees):
        base = np.array(times[t, "python -c pass"])
        print(f"tree {tree or '(current path)'}: fresh-process CPU seconds above "
              f"'python -c pass' (min / median of {args.repeat})")  # fmt: skip
        for name in STATEMENTS:
            extra = np.array(times[t, name]) - (0 if name == "python -c pass" else base)
            print(f"  {name:<52}{extra.min():8.3f}{np.median(extra):8.3f}")
    print(f"load average (1 min) per round: {', '.join(f'{x:.2f}' for x in loads)}")
    for tree, env in zip(trees, envs, strict=True):
        print(f"heavy modules each job's imports load, tree {tree or '(current path)'}:")
        for name, code in STATEMENTS.items():
            if name.startswith("job: "):
                print(f"  {name:<52}{loaded(code, env)}")
        out = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True,
                             env=env)  # fmt: skip
        print("  loaded after a pool() fit and the resampling imports:", out.stdout.strip())


if __name__ == "__main__":
    main()
