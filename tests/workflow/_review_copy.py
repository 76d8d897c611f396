"""A copy of the repository's workflow holding the tiny SYNTHETIC review, run as the README says.

The copy has the Snakefile at its root (with workflow/ and profiles/), the test config as
config/config.yaml and the synthetic sheets as data/, so that a plain `snakemake --cores 2`
in it is the README's command: the same profile lookup, the same lock and incomplete-file
handling as in a user's clone. The package itself is the installed one.
"""

from __future__ import annotations

import csv
import io
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
TIMEOUT = 900
KEPT = ("logs", "benchmarks")  # what a failed run leaves in results/


def make_copy(dest: Path) -> Path:
    """The workflow and the synthetic review in ``dest`` (created)."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "Snakefile", dest / "Snakefile")
    for tree in ("workflow", "profiles"):
        shutil.copytree(ROOT / tree, dest / tree,
                        ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    (dest / "config").mkdir()
    shutil.copy(HERE / "config.yaml", dest / "config" / "config.yaml")
    shutil.copytree(HERE / "synthetic_data", dest / "data")
    return dest


def copy_run(src: Path, dest: Path) -> Path:
    """A copy of a finished run with its results and Snakemake state (file times kept)."""
    shutil.copytree(src, dest, symlinks=True)
    return dest


def snakemake_argv(*args: str) -> list[str]:
    """``snakemake ARGS`` (the console script when installed, else ``python -m``)."""
    exe = shutil.which("snakemake")
    return [exe, *args] if exe else [sys.executable, "-m", "snakemake", *args]


def _file_size_limit(limit: int | None) -> Callable[[], None] | None:
    if limit is None:
        return None

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def run(
    workdir: Path,
    *args: str,
    file_size_limit: int | None = None,
) -> subprocess.CompletedProcess[str]:
    """``snakemake --cores 2 ARGS`` in ``workdir``; stdout and stderr together."""
    return subprocess.run(snakemake_argv("--cores", "2", *args), cwd=workdir, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=TIMEOUT,
                          preexec_fn=_file_size_limit(file_size_limit))  # fmt: skip


def start(workdir: Path) -> subprocess.Popen[str]:
    """``snakemake --cores 2`` in ``workdir`` in the background, in its own session."""
    return subprocess.Popen(snakemake_argv("--cores", "2"), cwd=workdir, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)  # fmt: skip


def wait_for(
    predicate: Callable[[], bool], proc: subprocess.Popen[str], timeout: float = TIMEOUT
) -> None:
    """Poll until ``predicate()`` holds; fail if ``proc`` ends or time runs out first."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc.poll() is not None:
            raise AssertionError(
                f"snakemake ended first (rc {proc.returncode}):\n"
                f"{proc.stdout.read() if proc.stdout else ''}"
            )
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.1)


def kill_main(proc: subprocess.Popen[str]) -> None:
    """``kill -9`` of snakemake's main process only: its running jobs become orphans."""
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)


def outputs(workdir: Path) -> dict[str, bytes]:
    """Every result file (not logs, benchmarks or Snakemake's timestamps) and its bytes."""
    res = workdir / "results"
    return {p.relative_to(res).as_posix(): p.read_bytes() for p in sorted(res.rglob("*"))
            if p.is_file() and p.relative_to(res).parts[0] not in KEPT
            and p.name != ".snakemake_timestamp"}  # fmt: skip


def left_in_results(workdir: Path) -> list[str]:
    """Top-level names in results/ (["benchmarks", "logs"] after a failed run)."""
    res = workdir / "results"
    return sorted(p.name for p in res.iterdir()) if res.is_dir() else []


def logs_text(workdir: Path) -> str:
    """All rule logs, concatenated."""
    return "".join(p.read_text(encoding="utf-8", errors="replace")
                   for p in sorted((workdir / "results" / "logs").rglob("*.log")))  # fmt: skip


def edit_cell(sheet: Path, row: int, column: str, value: str) -> None:
    """Set one cell (``row`` counts data rows from 0) and rewrite the sheet as CSV."""
    with open(sheet, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    rows[row + 1][rows[0].index(column)] = value
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    sheet.write_text(buf.getvalue(), encoding="utf-8", newline="")
