"""Pipeline benchmark: the shipped review, cold and as a no-op rerun, by CPU and wall.

Runs ``snakemake --cores 2`` on a copy of the repository's review (Snakefile, workflow/,
config/, data/) in a temporary directory, in rounds: a cold run (no results/, no
.snakemake/), then a no-op rerun. Each run is timed as a whole process tree with
``os.wait4`` (user + system CPU of Snakemake and every job it started, wall time, the
largest resident set of any process); the per-rule ``benchmark:`` files give each job's
wall time and memory, summed by component. Prints min / median over the rounds and the
1-minute load average at the start of each (the machine is shared: read the load).

    python bench/pipeline.py                  # 3 rounds (~1-2 min each on a quiet machine)
    python bench/pipeline.py --rounds 5
    python bench/pipeline.py --before ../old-clone   # pair with another tree, in turn
    taskset -c 0,1 python bench/pipeline.py   # pin to two cores

``--before DIR`` runs the same rounds on another checkout (its review and its
``src/`` on PYTHONPATH), alternately with this one, so that both see the same load.

    python bench/pipeline.py --versus-r      # trialmeta vs R metafor doing the same work

``--versus-r`` runs ``versus_r.py`` instead (2 rounds): cold runs with each job's CPU,
and ``same_work.R`` (R metafor doing the same analyses and plots, timed per component,
the simulations on 5 % of their units and extrapolated), in one table.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Which component each rule belongs to (a rule not listed is its own component).
COMPONENTS = {
    "prepare_data": "data (validate, comparisons)",
    "validate_data": "data (validate, comparisons)",
    "comparisons": "data (validate, comparisons)",
    "fit_outcome": "fits",
    "coverage": "simulations (coverage, GOSH, permutation)",
    "gosh": "simulations (coverage, GOSH, permutation)",
    "permutation": "simulations (coverage, GOSH, permutation)",
    "certainty": "certainty (GRADE, TSA)",
    "outcome_figures": "figures",
    "risk_of_bias_figures": "figures",
    "tables": "report (tables, limitations, provenance, HTML)",
    "limitations": "report (tables, limitations, provenance, HTML)",
    "provenance": "report (tables, limitations, provenance, HTML)",
    "report_html": "report (tables, limitations, provenance, HTML)",
}


@dataclass(frozen=True)
class Run:
    wall_s: float
    cpu_s: float
    max_rss_mb: float
    load: float


def copy_review(dest: Path, root: Path = ROOT) -> Path:
    """The review of checkout ``root`` in ``dest``: Snakefile, workflow/, config/, data/."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(root / "Snakefile", dest / "Snakefile")
    for tree in ("workflow", "config", "data"):
        shutil.copytree(root / tree, dest / tree, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def _env(src: Path | None) -> dict[str, str]:
    """This environment, with ``src`` first on PYTHONPATH when given."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(src), *filter(None, [env.get("PYTHONPATH")])])
    return env


def snakemake(workdir: Path, *args: str, src: Path | None = None) -> Run:
    """Run snakemake in ``workdir`` (with ``src`` first on PYTHONPATH when given); CPU and
    memory of the whole process tree (wait4)."""
    exe = shutil.which("snakemake")
    cmd = [exe] if exe else [sys.executable, "-m", "snakemake"]
    env = _env(src)
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [*cmd, "--cores", "2", "--quiet", *args],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    out = proc.stdout.read() if proc.stdout else b""
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"snakemake failed in {workdir}:\n{out.decode(errors='replace')[-3000:]}")
    return Run(wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024, load)


def planned_jobs(workdir: Path, src: Path | None = None) -> dict[str, int]:
    """rule -> jobs a dry run would run (Snakemake's "Job stats" table), with the same
    ``src`` first on PYTHONPATH as the run it plans."""
    exe = shutil.which("snakemake") or "snakemake"
    run = subprocess.run(
        [exe, "-n", "--cores", "2"],
        cwd=workdir,
        env=_env(src),
        capture_output=True,
        text=True,
        check=True,
    )
    text = run.stdout + run.stderr
    if "Job stats:" not in text:
        return {}
    table = text.split("Job stats:", 1)[1].split("\n\n", 1)[0].splitlines()[3:]
    jobs = dict(line.split() for line in table if line.strip())
    jobs.pop("total", None)
    return {rule: int(n) for rule, n in jobs.items()}


def rule_times(results: Path) -> dict[str, tuple[float, float, int]]:
    """component -> (summed job wall s, largest max_rss MB, jobs) from benchmark files."""
    out: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    for tsv in sorted((results / "benchmarks").rglob("*.tsv")):
        rule = tsv.parent.name if tsv.parent.name != "benchmarks" else tsv.stem
        with tsv.open(encoding="utf-8") as fh:
            row = list(csv.DictReader(fh, delimiter="\t"))[-1]
        acc = out[COMPONENTS.get(rule, rule)]
        acc[0] += float(row["s"])
        acc[1] = max(acc[1], float(row["max_rss"]))
        acc[2] += 1
    return {k: (v[0], v[1], int(v[2])) for k, v in out.items()}


def _mm(xs: list[float], fmt: str = "{:.1f}") -> str:
    return f"{fmt.format(min(xs))} / {fmt.format(statistics.median(xs))}"


def _rounds(trees: dict[str, Path], rounds: int) -> dict[str, dict[str, object]]:
    """Cold run + no-op rerun of each tree's review, the trees in turn within a round."""
    found: dict[str, dict[str, object]] = {
        name: {"cold": [], "noop": [], "parts": defaultdict(list)} for name in trees
    }
    with tempfile.TemporaryDirectory(prefix="trialmeta-bench-") as tmp:
        works = {name: copy_review(Path(tmp) / name, root) for name, root in trees.items()}
        for i in range(rounds):
            for name, work in works.items():
                src = trees[name] / "src"
                shutil.rmtree(work / "results", ignore_errors=True)
                shutil.rmtree(work / ".snakemake", ignore_errors=True)
                acc = found[name]
                cold, noop = snakemake(work, src=src), snakemake(work, src=src)
                acc["cold"].append(cold)  # type: ignore[attr-defined]
                acc["noop"].append(noop)  # type: ignore[attr-defined]
                for comp, v in rule_times(work / "results").items():
                    acc["parts"][comp].append(v)  # type: ignore[index]
                print(
                    f"round {i + 1} {name}: cold {cold.wall_s:.1f} s wall, {cold.cpu_s:.1f} "
                    f"s CPU (load {cold.load:.1f}); no-op {noop.wall_s:.2f} s",
                    file=sys.stderr,
                )
    return found


def _print(name: str, acc: dict[str, object]) -> None:
    cold: list[Run] = acc["cold"]  # type: ignore[assignment]
    noop: list[Run] = acc["noop"]  # type: ignore[assignment]
    parts: dict[str, list[tuple[float, float, int]]] = acc["parts"]  # type: ignore[assignment]
    print(f"\n### {name}\n")
    print("| run | wall s min / median | CPU s min / median | peak RSS MB | load |")
    print("| --- | --- | --- | --- | --- |")
    for label, runs in (("cold", cold), ("no-op rerun", noop)):
        print(
            f"| {label} | {_mm([r.wall_s for r in runs])} | {_mm([r.cpu_s for r in runs])} |"
            f" {max(r.max_rss_mb for r in runs):.0f} | "
            f"{min(r.load for r in runs):.1f}-{max(r.load for r in runs):.1f} |"
        )
    print("\n| component (cold run) | jobs | summed job wall s min / median | largest job RSS MB |")
    print("| --- | ---: | --- | ---: |")
    for comp, vals in sorted(parts.items(), key=lambda kv: -statistics.median(v[0] for v in kv[1])):
        print(
            f"| {comp} | {vals[0][2]} | {_mm([v[0] for v in vals])} | "
            f"{max(v[1] for v in vals):.0f} |"
        )
    print(
        "\nJob RSS is that of the job's own process: in a tree with the warm worker "
        "(trialmeta.io.worker) the work runs in a fork of the worker, whose memory is in "
        "the peak RSS of the run above."
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--before", type=Path, help="another checkout, run in turn with this one")
    ap.add_argument(
        "--versus-r", action="store_true", help="trialmeta vs R metafor by component (versus_r.py)"
    )
    args = ap.parse_args()
    if args.versus_r:
        import versus_r  # type: ignore[import-not-found]

        versus_r.main(["--rounds", str(args.rounds if args.rounds != 3 else 2)])
        return
    trees = {"this tree": ROOT}
    if args.before is not None:
        trees = {"before": args.before.resolve(), **trees}
    for name, acc in _rounds(trees, args.rounds).items():
        _print(name, acc)


if __name__ == "__main__":
    main()
