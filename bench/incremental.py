"""Incremental benchmark: what one edit of the shipped review reruns, and how long it takes.

From a finished cold run of a copy of the review (bench/pipeline.py's copy), each round
copies the finished directory (times and Snakemake's metadata kept), makes one edit,
lists the jobs a dry run plans, then runs ``snakemake --cores 2`` and times the whole
process tree (wall, user + system CPU). The edits, all in the temporary copy only:

- ``title``: the report's title;
- ``mcid``: the first outcome's MCID (15 -> 12 pain points);
- ``trial row``: the notes cell of one arms.csv row of a trial that only enters the ODI
  outcomes (Hunter2012; no number changes);
- ``no-op``: nothing.

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


def edit_trial_row(d: Path) -> None:
    arms = d / "data" / "arms.csv"
    with arms.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    col = rows[0].index("notes")
    row = next(r for r in rows[1:] if r[0] == TRIAL)
    row[col] = (row[col] + " " if row[col] else "") + "(benchmark edit)"
    with arms.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


EDITS: dict[str, Callable[[Path], None]] = {
    "title": edit_title, "mcid": edit_mcid, "trial row": edit_trial_row,
    "no-op": lambda d: None,
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    runs: dict[str, list[Run]] = {k: [] for k in EDITS}
    plans: dict[str, dict[str, int]] = {}
    with tempfile.TemporaryDirectory(prefix="trialmeta-bench-") as tmp:
        done = copy_review(Path(tmp) / "done")
        cold = snakemake(done)
        print(f"cold run: {cold.wall_s:.1f} s wall, {cold.cpu_s:.1f} s CPU", file=sys.stderr)
        for i in range(args.rounds):
            for name, edit in EDITS.items():
                work = Path(tmp) / "work"
                shutil.rmtree(work, ignore_errors=True)
                shutil.copytree(done, work, symlinks=True)
                edit(work)
                plans[name] = planned_jobs(work)
                runs[name].append(snakemake(work))
                print(f"round {i + 1} {name}: {runs[name][-1].wall_s:.2f} s", file=sys.stderr)
    print("| edit | jobs rerun (rule x jobs) | wall s min / median | CPU s min / median | load |")
    print("| --- | --- | --- | --- | --- |")
    for name, rs in runs.items():
        jobs = ", ".join(f"{r} x{n}" for r, n in sorted(plans[name].items()) if r != "all")
        walls, cpus = [r.wall_s for r in rs], [r.cpu_s for r in rs]
        print(f"| {name} | {jobs or 'none'} | {min(walls):.2f} / {statistics.median(walls):.2f}"
              f" | {min(cpus):.2f} / {statistics.median(cpus):.2f} | "
              f"{min(r.load for r in rs):.1f}-{max(r.load for r in rs):.1f} |")


if __name__ == "__main__":
    main()
