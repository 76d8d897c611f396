"""Helpers of the workflow tests: the snakemake command, a SYNTHETIC review directory
(tests/workflow/synthetic_data with tests/workflow/config.yaml), the jobs of a dry run."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SNAKEFILE = ROOT / "Snakefile"
TIMEOUT = 900


def snakemake_command(*args: str) -> list[str]:
    exe = shutil.which("snakemake")
    base = [exe] if exe else [sys.executable, "-m", "snakemake"]
    return [*base, "-s", str(SNAKEFILE), *args]


def prepare(workdir: Path) -> Path:
    (workdir / "config").mkdir(parents=True)
    shutil.copy(HERE / "config.yaml", workdir / "config" / "config.yaml")
    shutil.copytree(HERE / "synthetic_data", workdir / "data")
    return workdir


def planned_jobs(workdir: Path) -> dict[str, int]:
    """rule → number of jobs a dry run (``snakemake -n``) would run in ``workdir``."""
    run = subprocess.run(snakemake_command("-n", "--cores", "2"), cwd=workdir,
                         capture_output=True, text=True, timeout=TIMEOUT)  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    text = run.stdout + run.stderr
    if "Nothing to be done" in text:
        return {}
    table = text.split("Job stats:", 1)[1].split("\n\n", 1)[0].splitlines()[3:]
    jobs = dict(line.split() for line in table if line.strip())
    jobs.pop("total", None)
    return {rule: int(n) for rule, n in jobs.items()}


def run_example(workdir: Path, name: str) -> Path:
    """One cold run of ``examples/<name>`` (its own config over config/config.yaml) in a copy
    of the root layout it expects; the test fails with the run's logs if it does not finish."""
    import pytest

    (workdir / "config").mkdir()
    shutil.copy(ROOT / "config" / "config.yaml", workdir / "config" / "config.yaml")
    (workdir / "examples").mkdir()
    shutil.copytree(ROOT / "examples" / name, workdir / "examples" / name,
                    ignore=shutil.ignore_patterns("results"))  # fmt: skip
    run = subprocess.run(snakemake_command("--cores", "2", "--configfile",
                                           f"examples/{name}/config.yaml"), cwd=workdir,
                         capture_output=True, text=True, timeout=TIMEOUT)  # fmt: skip
    if run.returncode != 0:
        logs = "\n".join(
            f"== {f}\n{f.read_text()}"
            for f in sorted((workdir / "examples" / name / "results" / "logs").rglob("*.log"))
        )
        pytest.fail(
            f"example review failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}\n{logs[-6000:]}"
        )
    return workdir
