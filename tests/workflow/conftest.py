"""Shared fixtures of the workflow tests: two cold runs of the SYNTHETIC review (compared
with each other and dry-run for what edits rerun), and one clean run of a repository copy
(which the fault and hostile-text tests then break)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from _review_copy import make_copy, run
from _snakemake import TIMEOUT, prepare, snakemake_command


@pytest.fixture(scope="session")
def runs(tmp_path_factory) -> tuple[Path, Path]:
    """Two cold runs of the synthetic review, started together (2 cores each): the first
    with the warm worker (the default), the second with every job in its own process
    (TRIALMETA_WORKER=off), so comparing them also compares the two ways of running."""
    dirs = [prepare(tmp_path_factory.mktemp(f"run{i}")) for i in (1, 2)]
    envs = [dict(os.environ), {**os.environ, "TRIALMETA_WORKER": "off"}]
    procs = [subprocess.Popen(snakemake_command("--cores", "2"), cwd=d, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, env=env)
             for d, env in zip(dirs, envs, strict=True)]  # fmt: skip
    for d, p in zip(dirs, procs, strict=True):
        out, _ = p.communicate(timeout=TIMEOUT)
        if p.returncode != 0:
            logs = "\n".join(f"== {f}\n{f.read_text()}" for f in
                             sorted((d / "results" / "logs").rglob("*.log")))  # fmt: skip
            pytest.fail(f"snakemake failed in {d}:\n{out[-4000:]}\n{logs[-6000:]}")
    return dirs[0], dirs[1]


@pytest.fixture(scope="session")
def good_run(tmp_path_factory) -> Path:
    """A finished clean run of the synthetic review in a copy of the repository."""
    workdir = make_copy(tmp_path_factory.mktemp("good") / "review")
    proc = run(workdir)
    if proc.returncode != 0:
        pytest.fail(f"clean run failed:\n{proc.stdout[-6000:]}")
    return workdir
