"""Stale Snakemake locks (trialmeta.io.locks): cleared only when no run can own them.

Reliability review F16 (kill -9, then the plain rerun) and H55 (a second snakemake in the
same directory must not take over the first one's lock).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from trialmeta.io import locks
from trialmeta.io.locks import SnakemakeProcess, clear_stale_locks, lock_files


def _locked(workdir: Path) -> Path:
    lock_dir = workdir / ".snakemake" / "locks"
    lock_dir.mkdir(parents=True)
    (lock_dir / "0.input.lock").write_text("data/arms.csv\n", encoding="utf-8")
    (lock_dir / "0.output.lock").write_text("results/pooled.csv\n", encoding="utf-8")
    return lock_dir


MAIN = SnakemakeProcess(101, ("python3", "/usr/bin/snakemake", "--cores", "2"), is_job=False)
ORPHAN = SnakemakeProcess(202, ("python3", "/w/.snakemake/scripts/tmp1.write_report.py"),
                          is_job=True)  # fmt: skip


def test_no_lock_means_nothing_to_do(tmp_path):
    assert lock_files(tmp_path) == []
    assert clear_stale_locks(tmp_path, scan=lambda d: pytest.fail("no scan without a lock")) == []


def test_stale_lock_is_removed_when_no_snakemake_runs(tmp_path):
    _locked(tmp_path)
    lines = clear_stale_locks(tmp_path, scan=lambda d: [])
    assert lock_files(tmp_path) == []
    assert len(lines) == 1 and "removed the lock left by an interrupted run" in lines[0]


def test_lock_of_a_running_snakemake_is_kept(tmp_path):
    _locked(tmp_path)
    lines = clear_stale_locks(tmp_path, scan=lambda d: [MAIN, ORPHAN])
    assert len(lock_files(tmp_path)) == 2
    assert lines == ["trialmeta: snakemake (pid 101) is running in this directory; its lock "
                     "is kept."]  # fmt: skip


def test_orphaned_jobs_are_waited_for_before_the_lock_goes(tmp_path):
    _locked(tmp_path)
    answers = [[ORPHAN], [ORPHAN], []]
    slept: list[float] = []
    lines = clear_stale_locks(tmp_path, scan=lambda d: answers.pop(0), poll_seconds=0.25,
                              sleep=slept.append)  # fmt: skip
    assert slept == [0.25, 0.25] and answers == []
    assert lock_files(tmp_path) == []
    assert "waiting for 1 job(s) of an interrupted run to end (pid 202)" in lines[0]
    assert "removed the lock" in lines[-1]


def test_orphans_that_never_end_keep_the_lock(tmp_path):
    _locked(tmp_path)
    lines = clear_stale_locks(tmp_path, scan=lambda d: [ORPHAN], wait_seconds=1.0,
                              poll_seconds=0.5, sleep=lambda s: None)  # fmt: skip
    assert len(lock_files(tmp_path)) == 2
    assert "still running after 1 s; the lock is kept" in lines[-1]


def test_without_a_process_list_the_lock_is_kept(tmp_path):
    _locked(tmp_path)
    lines = clear_stale_locks(tmp_path, scan=lambda d: None)
    assert len(lock_files(tmp_path)) == 2 and "cannot list processes" in lines[0]


def test_lock_taken_on_another_host_is_kept(tmp_path):
    _locked(tmp_path)
    locks.record_owner(tmp_path, host="login2")
    lines = clear_stale_locks(tmp_path, host="login1", scan=lambda d: [])
    assert len(lock_files(tmp_path)) == 2
    assert "taken by a run on host login2" in lines[0] and "snakemake --unlock" in lines[0]


def test_lock_taken_on_this_host_by_a_dead_run_is_removed(tmp_path):
    _locked(tmp_path)
    locks.record_owner(tmp_path, host="login1")
    assert "removed the lock" in clear_stale_locks(tmp_path, host="login1", scan=lambda d: [])[0]
    assert not (tmp_path / locks.OWNER_FILE).exists()


@pytest.mark.skipif(not Path("/proc/self/cwd").exists(), reason="needs Linux /proc")
def test_real_processes_are_found_by_working_directory(tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    sleeper = "import time; time.sleep(60)"
    job_arg = f"{tmp_path}/.snakemake/scripts/tmpab12.write_tables.py"
    procs = [
        subprocess.Popen(["snakemake", "-c", sleeper], executable=sys.executable, cwd=tmp_path),
        subprocess.Popen([sys.executable, "-c", sleeper, job_arg], cwd=tmp_path),
        subprocess.Popen([sys.executable, "-c", sleeper], cwd=tmp_path),  # not snakemake
        subprocess.Popen(["snakemake", "-c", sleeper], executable=sys.executable, cwd=other),
    ]
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            found = locks.snakemake_processes(tmp_path) or []
            if len(found) >= 2:
                break
            time.sleep(0.1)
        by_pid = {p.pid: p for p in found}
        assert set(by_pid) == {procs[0].pid, procs[1].pid}
        assert not by_pid[procs[0].pid].is_job and by_pid[procs[1].pid].is_job
        _locked(tmp_path)
        assert "is running in this directory" in clear_stale_locks(tmp_path)[0]
        assert len(lock_files(tmp_path)) == 2
    finally:
        for p in procs:
            p.kill()
            p.wait()
    assert "removed the lock" in clear_stale_locks(tmp_path)[-1]
