"""Incremental benchmark: what one edit of the shipped review reruns, and how long it takes.

From a finished cold run of a copy of the review (bench/pipeline.py's copy), each round
copies the finished directory (times and Snakemake's metadata kept), makes one edit,
lists the jobs a dry run plans, then runs ``snakemake --cores 2``, times the whole
process tree (wall, user + system CPU) and lists the jobs that ran (the benchmark files
the run wrote). A dry run after a data edit lists every job after the data step where that
step is a checkpoint (it decides only after running which outcomes rerun), so the jobs
that ran are the ones to read. The edits, all in the temporary copy only:

- ``title``: the report's title;
- ``mcid``: the first outcome's MCID (15 -> 12 pain points);
- ``trial notes``: the notes cell of one arms.csv row of a trial that only enters one
  outcome window (Hunter2012, ODI at 26 weeks: function_fu; no number changes);
- ``trial number``: the lower 95% CI bound of that row (5.7 -> 5.8), so its SD and effect
  change;
- ``no-op``: nothing.

    python bench/incremental.py --root OTHER_CHECKOUT   # the review of another checkout

    python bench/incremental.py               # 3 rounds
    python bench/incremental.py --rounds 5
"""

from __future__ import annotations

import argparse
import csv
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pipeline import Run, copy_review, planned_jobs, snakemake  # noqa: E402

TRIAL = "Hunter2012"


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    if old not in text:
        sys.exit(f"{path}: {old!r} not found; update bench/incremental.py")
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def edit_title(d: Path) -> None:
    _replace(d / "config" / "config.yaml", 'title: "', 'title: "Benchmark edit: ')


def edit_mcid(d: Path) -> None:
    _replace(d / "config" / "config.yaml", "mcid:\n      value: 15", "mcid:\n      value: 12")


def _edit_trial_cell(d: Path, column: str, change: Callable[[str], str]) -> None:
    arms = d / "data" / "arms.csv"
    with arms.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    col = rows[0].index(column)
    row = next(r for r in rows[1:] if r[0] == TRIAL)
    row[col] = change(row[col])
    with arms.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def edit_trial_notes(d: Path) -> None:
    _edit_trial_cell(d, "notes", lambda v: (v + " " if v else "") + "(benchmark edit)")


def edit_trial_number(d: Path) -> None:
    def change(v: str) -> str:
        if v != "5.7":
            sys.exit(f"{TRIAL}'s first ci_lb is {v!r}, not 5.7; update bench/incremental.py")
        return "5.8"

    _edit_trial_cell(d, "ci_lb", change)


EDITS: dict[str, Callable[[Path], None]] = {
    "title": edit_title,
    "mcid": edit_mcid,
    "trial notes": edit_trial_notes,
    "trial number": edit_trial_number,
    "no-op": lambda d: None,
}


def jobs_run(workdir: Path, since: float) -> dict[str, int]:
    """rule -> jobs that wrote their benchmark file after ``since`` (results/benchmarks/)."""
    bench = workdir / "results" / "benchmarks"
    ran: Counter[str] = Counter()
    for p in bench.rglob("*.tsv"):
        if p.stat().st_mtime >= since:
            ran[p.parent.name if p.parent != bench else p.stem] += 1
    return dict(ran)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument(
        "--root",
        type=Path,
        default=None,
        help="the checkout whose review (and src/) to run (default: this one)",
    )
    args = ap.parse_args()
    runs: dict[str, list[Run]] = {k: [] for k in EDITS}
    plans: dict[str, dict[str, int]] = {}
    ran: dict[str, dict[str, int]] = {}
    root = args.root.resolve() if args.root else Path(__file__).resolve().parents[1]
    src = root / "src"
    with tempfile.TemporaryDirectory(prefix="trialmeta-bench-") as tmp:
        done = copy_review(Path(tmp) / "done", root)
        cold = snakemake(done, src=src)
        print(f"cold run: {cold.wall_s:.1f} s wall, {cold.cpu_s:.1f} s CPU", file=sys.stderr)
        for i in range(args.rounds):
            for name, edit in EDITS.items():
                work = Path(tmp) / "work"
                shutil.rmtree(work, ignore_errors=True)
                shutil.copytree(done, work, symlinks=True)
                edit(work)
                plans[name] = planned_jobs(work, src)
                since = time.time() - 1  # file times have 1 s resolution on some systems
                runs[name].append(snakemake(work, src=src))
                ran[name] = jobs_run(work, since)
                jobs = sum(ran[name].values())
                print(
                    f"round {i + 1} {name}: {runs[name][-1].wall_s:.2f} s wall, "
                    f"{runs[name][-1].cpu_s:.2f} s CPU, {jobs} jobs",
                    file=sys.stderr,
                )
    print(
        "| edit | jobs run (rule x jobs) | dry run plans | wall s min / median "
        "| CPU s min / median | load |"
    )
    print("| --- | --- | ---: | --- | --- | --- |")
    for name, rs in runs.items():
        jobs = ", ".join(f"{r} x{n}" for r, n in sorted(ran[name].items()))
        planned = sum(n for r, n in plans[name].items() if r != "all")
        walls, cpus = [r.wall_s for r in rs], [r.cpu_s for r in rs]
        print(
            f"| {name} | {jobs or 'none'} | {planned} "
            f"| {min(walls):.2f} / {statistics.median(walls):.2f}"
            f" | {min(cpus):.2f} / {statistics.median(cpus):.2f} | "
            f"{min(r.load for r in rs):.1f}-{max(r.load for r in rs):.1f} |"
        )


if __name__ == "__main__":
    main()
