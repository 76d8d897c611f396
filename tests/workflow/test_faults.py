"""Workflow faults of the reliability review (issue 12), each on a real run of a repository copy.

- F16 / H55: `kill -9` mid-DAG, then the README's plain `snakemake --cores 2` finishes the
  run with results byte-identical to a clean run; a second snakemake started while the
  first runs is refused and does not take its lock.
- F4 / F24: a rerun that fails in a later rule (here report_html under a file-size limit,
  `ulimit -f` as in the audit) leaves no result of the earlier run next to new ones, and
  the error is one located line, exit non-zero, no traceback.
- F24: a full disk (a small tmpfs mounted on results/, root only) is the same.
- F25: a read-only results/ (`chattr +i` as root, `chmod a-w` otherwise) is one located
  line; nothing is run and nothing changes.

All runs use the tiny SYNTHETIC review of tests/workflow/ (see _review_copy.py).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from _review_copy import (
    copy_run,
    edit_cell,
    kill_main,
    left_in_results,
    logs_text,
    make_copy,
    outputs,
    run,
    start,
    wait_for,
)

from trialmeta.io.locks import lock_files

ERROR = "trialmeta: error: "
EFBIG_LINE = (ERROR + "results/report.html: cannot write (got EFBIG, File too large, expected "
              "a file-size limit (ulimit -f) above the file's size)")  # fmt: skip
READ_ONLY_LINE = (ERROR + "results: cannot write the results there (got a read-only directory, "
                  "expected a directory this user can write); nothing was run, and the files "
                  "in it, if any, are from an earlier run")  # fmt: skip


def _errors(console: str) -> list[str]:
    return [line for line in console.splitlines() if line.startswith(ERROR)]


def _new_data(workdir: Path) -> None:
    """A valid edit that changes every result: SyntheticA's first pain mean 40 -> 41."""
    edit_cell(workdir / "data" / "arms.csv", 0, "mean", "41")


def test_kill_9_mid_run_then_the_plain_rerun_finishes_it(good_run, tmp_path):
    d = make_copy(tmp_path / "review")
    first = start(d)
    wait_for(lambda: bool(lock_files(d)), first)
    second = run(d)  # H55: another snakemake in the same directory meanwhile
    assert second.returncode != 0
    assert "is running in this directory; its lock is kept." in second.stdout
    assert "LockException" in second.stdout
    wait_for(lambda: any((d / "results" / "analyses").glob("*.json")), first)
    kill_main(first)  # its running jobs go on as orphans
    assert lock_files(d), "the killed run must have left its lock"
    rerun = run(d)
    assert rerun.returncode == 0, rerun.stdout[-6000:]
    assert "removed the lock left by an interrupted run" in rerun.stdout
    assert "Traceback" not in rerun.stdout
    assert outputs(d) == outputs(good_run)  # byte for byte, figures included
    assert lock_files(d) == []


def _new_title(workdir: Path) -> None:
    """A config edit that reruns only the report rules (the title is printed, not computed)."""
    cfg = workdir / "config" / "config.yaml"
    text = cfg.read_text(encoding="utf-8")
    cfg.write_text(re.sub(r"(?m)^title: .*$", 'title: "SYNTHETIC retitled review"', text, count=1),
                   encoding="utf-8")  # fmt: skip


def test_a_failed_rerun_leaves_no_result_of_the_earlier_run(good_run, tmp_path):
    d = copy_run(good_run, tmp_path / "review")
    _new_title(d)
    html = (good_run / "results" / "report.html").stat().st_size
    # a title edit reruns provenance, report.html and report.pdf; the PDF is printed from
    # the HTML, so it never runs when the HTML job fails on the size limit
    assert (good_run / "results" / "provenance.json").stat().st_size < html - 4000
    failed = run(d, file_size_limit=html - 2000)  # only report.html is above the limit
    assert failed.returncode != 0
    assert _errors(failed.stdout) == [EFBIG_LINE]
    assert "Traceback" not in failed.stdout and "Traceback" not in logs_text(d)
    assert left_in_results(d) == ["benchmarks", "logs"]
    assert "trialmeta: the run failed; removed" in failed.stdout
    assert EFBIG_LINE + "\n" in (d / "results" / "logs" / "report_html.log").read_text("utf-8")


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("mount") is None,
                    reason="mounting a small tmpfs needs root")  # fmt: skip
def test_a_full_disk_is_one_line_per_job_and_leaves_no_partial_report(tmp_path):
    d = make_copy(tmp_path / "review")
    res = d / "results"
    res.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(res)],
                             capture_output=True)  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr!r}")
    try:
        full = run(d)
        left = left_in_results(d)
        logs = logs_text(d)
    finally:
        subprocess.run(["umount", str(res)], check=True)
    assert full.returncode != 0
    errors = _errors(full.stdout)
    assert errors and all(
        e.startswith(ERROR + "results/")
        and e.endswith(
            ": cannot write (got ENOSPC, No space left on device, expected free space on its file "
            "system)"
        )
        for e in errors
    ), errors
    assert "Traceback" not in full.stdout and "Traceback" not in logs
    assert left == ["benchmarks", "logs"]


def _make_read_only(path: Path) -> bool:
    """chattr +i as root (permission bits do not bind root), chmod a-w otherwise."""
    if os.geteuid() != 0:
        path.chmod(0o555)
        return True
    chattr = shutil.which("chattr")
    return (
        chattr is not None
        and subprocess.run([chattr, "+i", str(path)], capture_output=True).returncode == 0
    )


def _undo_read_only(path: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(path)], check=True)
    else:
        path.chmod(0o755)


def test_a_read_only_results_directory_is_one_line_and_changes_nothing(good_run, tmp_path):
    d = copy_run(good_run, tmp_path / "review")
    _new_data(d)
    before = outputs(d)
    res = d / "results"
    if not _make_read_only(res):
        pytest.skip("cannot make results/ read-only here (chattr +i refused)")
    try:
        refused = run(d)
    finally:
        _undo_read_only(res)
    assert refused.returncode != 0
    assert _errors(refused.stdout) == [READ_ONLY_LINE]
    assert "Traceback" not in refused.stdout
    assert outputs(d) == before
    assert lock_files(d) == []
