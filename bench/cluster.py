"""Cluster benchmark: the shipped review on SLURM against the same review run locally.

Runs ``snakemake --cores 2`` and then ``snakemake --profile workflow/profiles/slurm``,
one after the other, each in a fresh copy of the tree, and prints their wall times, the
number of SLURM jobs, the time those jobs spent running (sacct Elapsed) and the load of
the machine. Needs a SLURM cluster with accounting, e.g. the single-node test cluster:

    state=$(sudo tests/cluster/start_slurm.sh | tail -n 1); source "$state/env.sh"
    python bench/cluster.py            # about 2.5 minutes on an idle 2-core machine
    sudo tests/cluster/stop_slurm.sh "$state"

The executor checks job states 40 s after a submission and then every 10 s more while
nothing finishes (plugin defaults); ``--init-seconds 2`` (the default here, as in the
cluster test) shortens the first wait. Data: the shipped review (real trial data).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "cluster"))
from _slurm import copy_tree, run_snakemake, sacct, submissions  # noqa: E402


def _seconds(elapsed: str) -> int:
    """sacct Elapsed ``[D-]HH:MM:SS`` in seconds."""
    days, _, hms = elapsed.rpartition("-")
    h, m, s = (int(x) for x in hms.split(":"))
    return int(days or 0) * 86400 + h * 3600 + m * 60 + s


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--init-seconds",
        type=int,
        default=2,
        help="--slurm-init-seconds-before-status-checks (plugin default 40)",
    )
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per run")
    args = ap.parse_args()
    missing = [v for v in ("SLURM_CONF", "SBATCH_PARTITION", "SBATCH_ACCOUNT")
               if not os.environ.get(v)]  # fmt: skip
    if missing:
        print(f"{', '.join(missing)} not set: start a cluster and source its env.sh "
              "(see the docstring)", file=sys.stderr)  # fmt: skip
        return 2
    with tempfile.TemporaryDirectory(prefix="trialmeta-bench-") as tmp:
        load0 = os.getloadavg()[0]
        local = run_snakemake(copy_tree(Path(tmp) / "local"), ["--cores", "2"], args.timeout)
        cluster = run_snakemake(copy_tree(Path(tmp) / "cluster"),
                                ["--profile", "workflow/profiles/slurm",
                                 "--slurm-init-seconds-before-status-checks",
                                 str(args.init_seconds)], args.timeout)  # fmt: skip
        load1 = os.getloadavg()[0]
    for name, run in (("local", local), ("cluster", cluster)):
        if run.returncode != 0:
            print(f"{name} run failed (exit {run.returncode}):\n{run.output[-3000:]}")
            return 1
    subs = submissions(cluster.output)
    busy = sum(_seconds(a.elapsed) for a in sacct(s.slurm_id for s in subs).values())
    print(f"load average (1 min) before/after: {load0:.1f} / {load1:.1f} on {os.cpu_count()} "
          "CPUs")  # fmt: skip
    print(f"local   snakemake --cores 2             {local.seconds:7.1f} s wall")
    print(
        f"cluster --profile workflow/profiles/slurm {cluster.seconds:7.1f} s wall, "
        f"{len(subs)} SLURM jobs, {busy} s of job run time (sacct Elapsed)"
    )
    print(f"ratio cluster / local                   {cluster.seconds / local.seconds:7.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
