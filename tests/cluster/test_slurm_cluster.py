"""The shipped review on a real SLURM cluster, through the executor plugin and the profile
workflow/profiles/slurm, checked against a local ``snakemake --cores 2`` run.

Needs a cluster with accounting (sacct). tests/cluster/start_slurm.sh starts a single-node
one; source the env.sh it writes (SLURM_CONF, SBATCH_PARTITION, SBATCH_ACCOUNT,
TRIALMETA_SLURM_STATE), then run ``python3 -m pytest -m cluster tests/cluster``.
``.ci/run`` does all of that as root (tests/cluster/ci_cluster.sh). Without
TRIALMETA_SLURM_STATE every test here is skipped.

What is shown (printed even without ``-s``): each SLURM job id with its rule and sacct
state, the byte-for-byte comparison, and each fault with what the user sees.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from _slurm import (
    Run,
    Submission,
    compared_files,
    copy_tree,
    finish,
    planned_units,
    run_snakemake,
    sacct,
    start_snakemake,
    submissions,
    submitted_units,
    table,
)

pytestmark = [
    pytest.mark.cluster,
    pytest.mark.skipif(not os.environ.get("TRIALMETA_SLURM_STATE"),
                       reason="no SLURM test cluster: start one with "
                              "tests/cluster/start_slurm.sh and source its env.sh"),
]  # fmt: skip

PROFILE = ["--profile", "workflow/profiles/slurm"]
# The executor's first status check comes 40 s after a submission; 2 s here only shortens
# the waits of this test (the profile is used unchanged).
FAST = ["--slurm-init-seconds-before-status-checks", "2"]
TIMEOUT = 420  # seconds for one Snakemake run
Runs = tuple[Run, Run]
Capsys = pytest.CaptureFixture[str]


def _show(capsys: Capsys, title: str, body: str) -> None:
    with capsys.disabled():
        print(f"\n== {title}\n{body}")


def _check(run: Run, what: str, ok: bool = True) -> None:
    if (run.returncode == 0) != ok:
        pytest.fail(f"{what}: exit {run.returncode} in {run.workdir}\n{run.output[-8000:]}")


def _jobs_table(subs: list[Submission]) -> tuple[str, dict[str, str]]:
    acct = sacct(s.slurm_id for s in subs)
    missing = [s.slurm_id for s in subs if s.slurm_id not in acct]
    assert not missing, f"sacct does not list SLURM jobs {missing}"
    rows = [(s.slurm_id, s.unit, acct[s.slurm_id].comment, acct[s.slurm_id].state,
             acct[s.slurm_id].account, acct[s.slurm_id].partition, acct[s.slurm_id].elapsed)
            for s in subs]  # fmt: skip
    header = ("SLURM job", "rule / group", "sacct comment", "sacct state", "account",
              "partition", "elapsed")  # fmt: skip
    return table(rows, header), {s.slurm_id: acct[s.slurm_id].state for s in subs}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Run]:
    """The review run locally and on the cluster at the same time, each in a fresh copy.

    Side by side, to keep the CI step short; their wall times are printed but are not a
    benchmark (bench/cluster.py times the two runs one after the other).
    """
    for var in ("SLURM_CONF", "SBATCH_PARTITION", "SBATCH_ACCOUNT"):
        if not os.environ.get(var):
            pytest.fail(f"{var} is not set: source the env.sh that start_slurm.sh wrote")
    base = tmp_path_factory.mktemp("review")
    dirs = copy_tree(base / "local"), copy_tree(base / "cluster")
    t0 = time.monotonic()
    procs = (start_snakemake(dirs[0], ["--cores", "2"]),
             start_snakemake(dirs[1], [*PROFILE, *FAST]))  # fmt: skip
    local, cluster = (finish(p, d, t0, TIMEOUT) for p, d in zip(procs, dirs, strict=True))
    _check(local, "local run")
    _check(cluster, "cluster run")
    return local, cluster


def test_every_rule_ran_as_a_completed_slurm_job(runs: Runs, capsys: Capsys) -> None:
    local, cluster = runs
    subs = submissions(cluster.output)
    planned = planned_units(cluster.output)
    groups = [u for u in planned if u.startswith("group_")]
    body, states = _jobs_table(subs)
    _show(capsys, f"cluster run: {len(subs)} SLURM jobs", body + (
        f"\nwall time, side by side: cluster {cluster.seconds:.1f} s, local (--cores 2) "
        f"{local.seconds:.1f} s (not a benchmark: see bench/cluster.py)"
    ))  # fmt: skip
    assert planned, "the cluster run planned no job"
    assert submitted_units(subs, groups) == planned, "one SLURM job per rule job (or group)"
    assert {s.split()[0] for s in states.values()} == {"COMPLETED"}
    acct = sacct(s.slurm_id for s in subs)
    for s in subs:
        row = acct[s.slurm_id]
        assert row.comment.removeprefix("rule_").startswith(s.unit.split("_", 1)[1])
        assert (row.account, row.partition) == (os.environ["SBATCH_ACCOUNT"],
                                                os.environ["SBATCH_PARTITION"])  # fmt: skip


def test_results_are_byte_identical_to_the_local_run(runs: Runs, capsys: Capsys) -> None:
    """Every CSV, JSON, MD, HTML and SVG under results/, logs and benchmarks excepted.

    provenance.json is compared whole: its ``rerun`` field is a fixed command
    (``snakemake --cores 2``), not the command line of the run, so nothing is left out.
    """
    local, cluster = runs
    a, b = local.workdir / "results", cluster.workdir / "results"
    names_a, names_b = compared_files(a), compared_files(b)
    assert names_a == names_b, "the two runs wrote different sets of files"
    differ = [n for n in names_a if (a / n).read_bytes() != (b / n).read_bytes()]
    counts = Counter(Path(n).suffix for n in names_a)
    _show(
        capsys,
        "byte-for-byte comparison, local vs cluster",
        (
            f"{len(names_a)} files ({', '.join(f'{c} {s}' for s, c in sorted(counts.items()))}): "
            + ("all identical" if not differ else f"{len(differ)} differ: {differ}")
        ),
    )
    assert len(names_a) > 0 and "provenance.json" in names_a
    assert not differ


@pytest.fixture(scope="module")
def faults(runs: tuple[Run, Run], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the finished local run (mtimes kept), for the fault runs.

    Each fault test deletes the outputs it needs to rebuild, so only those jobs run.
    """
    dest = tmp_path_factory.mktemp("faults") / "tree"
    shutil.copytree(runs[0].workdir, dest, symlinks=True,
                    ignore=shutil.ignore_patterns("log", "locks"))  # fmt: skip
    return dest


def _same_as_local(faults: Path, runs: tuple[Run, Run], targets: list[str]) -> None:
    for t in targets:
        assert (faults / t).read_bytes() == (runs[0].workdir / t).read_bytes(), t


def _wait_running(rule: str, timeout: float) -> str:
    """The id of the first RUNNING SLURM job of ``rule`` (by its comment), polling squeue."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = subprocess.run(["squeue", "-h", "-o", "%A|%k|%T"], capture_output=True,
                             text=True, check=True).stdout  # fmt: skip
        for job_id, comment, state in (ln.split("|") for ln in out.splitlines()):
            if comment.startswith(f"rule_{rule}") and state == "RUNNING":
                return job_id
        time.sleep(0.5)
    pytest.fail(f"no RUNNING job of rule {rule} within {timeout} s")


def test_cancelled_job_is_retried(faults: Path, runs: Runs, capsys: Capsys) -> None:
    """scancel on a running fit_outcome job: the profile's retry resubmits it."""
    target = "results/fits/pain_eot.json"
    (faults / target).unlink()
    t0 = time.monotonic()
    proc = start_snakemake(faults, [target, *PROFILE, *FAST])
    try:
        victim = _wait_running("fit_outcome", timeout=240)
        time.sleep(2)  # mid-run: the job (Snakemake start and the fits) takes about 8 s
        subprocess.run(["scancel", victim], check=True)
    finally:
        run = finish(proc, faults, t0, TIMEOUT)
    subs = submissions(run.output)
    body, states = _jobs_table(subs)
    _show(
        capsys,
        f"fault: scancel {victim} (fit_outcome, running)",
        f"{body}\nexit {run.returncode} after {run.seconds:.1f} s",
    )
    _check(run, "the run with a cancelled job")
    assert states[victim].startswith("CANCELLED")
    assert f"SLURM-job '{victim}' failed, SLURM status is: 'CANCELLED'" in run.output
    assert "Error in rule fit_outcome:" in run.output
    assert "Trying to restart job" in run.output
    assert [s.unit for s in subs] == ["rule_fit_outcome"] * 2
    assert subs[-1].slurm_id != victim and states[subs[-1].slurm_id] == "COMPLETED"
    _same_as_local(faults, runs, [target])


def test_grouped_jobs_are_one_slurm_job(faults: Path, runs: Runs, capsys: Capsys) -> None:
    """``group-components``: two fit_outcome jobs in one group travel as one SLURM job.

    The group asks for the sum of its members' resources (2 CPUs), so the node needs 2.
    """
    cpus = subprocess.run(["sinfo", "-h", "-o", "%c"], capture_output=True, text=True,
                          check=True).stdout.split()  # fmt: skip
    if max(map(int, cpus)) < 2:
        pytest.skip(f"the node has {cpus} CPUs; a group of two 1-CPU jobs needs 2")
    targets = ["results/fits/pain_fu.json", "results/fits/function_eot.json"]
    for t in targets:
        (faults / t).unlink()
    run = run_snakemake(faults, [*targets, *PROFILE, *FAST, "--groups",
                                 "fit_outcome=analyses", "--group-components",
                                 "analyses=2"], TIMEOUT)  # fmt: skip
    _check(run, "the grouped run")
    subs = submissions(run.output)
    body, states = _jobs_table(subs)
    members = run.output.count("    rule fit_outcome:")
    _show(
        capsys,
        "groups: --groups fit_outcome=analyses --group-components analyses=2",
        f"{body}\n{members} fit_outcome jobs in one group, submitted as SLURM job "
        f"{subs[0].slurm_id if subs else '(none)'} ({run.seconds:.1f} s)",
    )
    assert planned_units(run.output) == Counter({"group_analyses": 1})
    assert len(subs) == 1 and subs[0].unit.startswith("group_analyses_")
    assert members == 2 and set(states.values()) == {"COMPLETED"}
    _same_as_local(faults, runs, targets)


def test_job_over_its_memory_is_reported_with_rule_and_resource(
    faults: Path, capsys: Capsys
) -> None:
    (faults / "results/validation.json").unlink()
    args = ["results/validation.json", *PROFILE, *FAST,
            "--set-resources", "prepare_data:mem_mb=100"]  # fmt: skip
    run = run_snakemake(faults, args, TIMEOUT)
    _check(run, "a job over its memory must fail the run", ok=False)
    subs = submissions(run.output)
    body, states = _jobs_table(subs)
    hint = next((ln.strip() for ln in run.output.splitlines()
                 if "ran out of memory" in ln), "")  # fmt: skip
    evidence = sorted({ln.strip() for s in subs if Path(s.log).exists()
                       for ln in Path(s.log).read_text().splitlines()
                       if "memory limit" in ln})  # fmt: skip
    _show(
        capsys,
        "fault: prepare_data given mem_mb=100 (retries: 1 resubmits once)",
        f"{body}\nSLURM log: {evidence[:2]}\nwhat the user reads: {hint}\n"
        f"exit {run.returncode} after {run.seconds:.1f} s",
    )
    assert len(subs) == 2, "the profile's retries: 1 resubmits the job once"
    assert all(s.split()[0] in ("FAILED", "OUT_OF_MEMORY") for s in states.values())
    assert "Error in rule prepare_data:" in run.output
    assert hint.startswith(f"rule prepare_data: SLURM job {subs[-1].slurm_id} ran out of "
                           "memory (mem_mb=100). Raise mem_mb for prepare_data")  # fmt: skip
    assert "--set-resources prepare_data:mem_mb=200" in hint
