"""Removing a run's outputs and checking they can be written (trialmeta.io.outputs).

Reliability review F4 (a failed rerun leaves stale results), F24 (write failure) and F25
(read-only results/).
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from trialmeta.io.outputs import matching_paths, naming, remove_outputs, result_roots, unwritable


@pytest.fixture()
def results(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for f in (
        "results/pooled.csv",
        "results/analyses/pain.json",
        "results/figures/pain/a.png",
        "results/logs/tables.log",
        "results/benchmarks/tables.tsv",
        "data/arms.csv",
    ):
        Path(f).parent.mkdir(parents=True, exist_ok=True)
        Path(f).write_text("x", encoding="utf-8")
    return tmp_path


def test_remove_outputs_removes_files_and_folders_but_keeps_logs(results):
    removed = remove_outputs(["results/pooled.csv", "results/figures/pain", "results/missing.csv",
                              "results/logs/tables.log", "results/logs"],
                             keep={"results/logs/tables.log"})  # fmt: skip
    assert removed == ["results/figures/pain", "results/pooled.csv"]
    assert Path("results/logs/tables.log").is_file() and Path("results/analyses/pain.json").exists()
    assert not Path("results/figures").exists()  # left empty, so removed too
    remove_outputs(["results/analyses/pain.json"])
    assert sorted(p.name for p in Path("results").iterdir()) == ["benchmarks", "logs"]


def test_remove_outputs_never_leaves_the_working_directory(results):
    outside = results / "data" / "arms.csv"
    assert remove_outputs([str(outside), "../x", "results/../data/arms.csv", "."]) == []
    assert outside.is_file()


def test_remove_outputs_removes_a_symlink_not_its_target(results):
    os.symlink(results / "data", "results/link")
    assert remove_outputs(["results/link"]) == ["results/link"]
    assert (results / "data" / "arms.csv").is_file()


def test_result_roots_and_matching_paths(results):
    assert result_roots(["results/pooled.csv", "results/x/y", "top.csv", "/abs/x", "../up/x"]) == [
        "results"
    ]
    pattern = re.compile(r"results/(pooled\.csv|analyses/.+\.json|figures/[^/]+)$")
    found = matching_paths(["results"], lambda p: bool(pattern.match(p)),
                           keep={"results/logs/tables.log"})  # fmt: skip
    assert found == ["results/analyses/pain.json", "results/figures/pain", "results/pooled.csv"]


def test_unwritable_is_empty_for_a_writable_tree(results):
    assert unwritable(["results/pooled.csv", "results/new/deeper/x.csv", "new_top/x"]) == []


def test_unwritable_names_a_file_standing_where_a_directory_must_be(results):
    Path("results/effects").write_text("not a folder", encoding="utf-8")
    (line,) = unwritable(["results/effects/a.csv", "results/effects/b.csv"])
    assert line.startswith("results/effects: cannot write the results there (got not a directory")


def _make_read_only(path: Path) -> bool:
    """chattr +i as root (permission bits do not bind root), chmod a-w otherwise."""
    if os.geteuid() == 0:
        chattr = shutil.which("chattr")
        return (
            chattr is not None
            and subprocess.run([chattr, "+i", str(path)], capture_output=True).returncode == 0
        )
    path.chmod(0o555)
    return True


def _undo_read_only(path: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True)
    else:
        path.chmod(0o755)


def test_unwritable_names_a_read_only_results_directory_once(results):
    res = results / "results"
    if not _make_read_only(res):
        pytest.skip("cannot make a directory read-only here (chattr +i refused)")
    try:
        problems = unwritable(["results/pooled.csv", "results/sensitivity.csv",
                               "results/logs/tables.log"])  # fmt: skip
    finally:
        _undo_read_only(res)
    assert problems == ["results: cannot write the results there (got a read-only directory, "
                        "expected a directory this user can write); nothing was run, and the "
                        "files in it, if any, are from an earlier run"]  # fmt: skip


def test_naming_adds_the_file_to_a_nameless_write_error(tmp_path):
    with pytest.raises(OSError) as info, naming(tmp_path / "report.html"):
        raise OSError(errno.ENOSPC, "No space left on device")
    assert info.value.errno == errno.ENOSPC and info.value.filename == str(tmp_path / "report.html")
    with pytest.raises(PermissionError) as info, naming("b"):
        raise PermissionError(errno.EACCES, "Permission denied", "a")
    assert info.value.filename == "a"
