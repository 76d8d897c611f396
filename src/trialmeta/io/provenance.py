"""Reproducibility block: input hashes, config, package versions, git commit, rerun command,
and the hash of every result it was written after (the intermediates and tables).

The same dict is written to ``results/provenance.json`` and printed in section 7
of the report. It holds no wall-clock time and no absolute path, so two runs on
the same inputs give the same bytes.
"""

from __future__ import annotations

import platform
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path

from trialmeta.io.digests import file_digests, sha256_file

__all__ = [
    "PACKAGES",
    "collect_provenance",
    "git_commit",
    "package_versions",
    "remove_stale_results",
    "result_hashes",
    "sha256_file",
]

PACKAGES: tuple[str, ...] = (
    "trialmeta", "numpy", "scipy", "pandas", "matplotlib", "snakemake", "pyyaml", "jsonschema",
)  # fmt: skip


def package_versions(packages: Iterable[str] = PACKAGES) -> dict[str, str]:
    """Installed version of each package ("not installed" when absent), plus Python."""
    out = {"python": platform.python_version()}
    for name in sorted(packages):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_commit(repo_dir: str | Path) -> dict[str, object]:
    """``{"commit": sha or "unknown", "dirty": bool | None}`` for ``repo_dir``."""
    git = shutil.which("git")
    if git is None:
        return {"commit": "unknown", "dirty": None}
    try:
        sha = subprocess.run(
            [git, "-C", str(repo_dir), "rev-parse", "HEAD"],
            capture_output=True, text=True, check=True, timeout=20,
        ).stdout.strip()  # fmt: skip
        status = subprocess.run(
            [git, "-C", str(repo_dir), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, check=True, timeout=20,
        ).stdout  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return {"commit": "unknown", "dirty": None}
    return {"commit": sha or "unknown", "dirty": bool(status.strip())}


def _rel(path: str | Path, root: Path) -> str:
    p = Path(path)
    try:
        return p.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return p.name


def result_hashes(
    results: Iterable[str | Path],
    workdir: str | Path = ".",
) -> list[dict[str, str]]:
    """``{"path", "sha256"}`` of every file of ``results`` (a directory: each file in it,
    Snakemake's marker excepted), paths relative to ``workdir``, sorted by path."""
    root = Path(workdir)
    rows = [
        {"path": _rel(Path(p).parent / name, root), "sha256": digest}
        for p in results
        for name, digest in file_digests(p).items()
    ]
    return sorted(rows, key=_path_key)


def collect_provenance(
    inputs: Iterable[str | Path],
    config_files: Iterable[str | Path],
    config: Mapping[str, object],
    repo_dir: str | Path,
    workdir: str | Path = ".",
    results: Iterable[str | Path] = (),
) -> dict[str, object]:
    """The reproducibility block.

    Paths are relative to ``workdir`` (file name only when outside it), sorted;
    ``rerun`` is the command that reproduces the results from ``workdir``; ``results``
    lists the hash of every result written before it (:func:`result_hashes`), so the
    block certifies the intermediates the report was built from, not only the inputs.
    """
    root = Path(workdir)
    files = [{"path": _rel(p, root), "sha256": sha256_file(p)} for p in inputs]
    cfgs = [{"path": _rel(p, root), "sha256": sha256_file(p)} for p in config_files]
    cfg_args = " ".join(f"--configfile {c['path']}" for c in sorted(cfgs, key=_path_key))
    rerun = "snakemake --cores 2" + (f" {cfg_args}" if cfg_args else "")
    return {
        "inputs": sorted(files, key=_path_key),
        "config_files": sorted(cfgs, key=_path_key),
        "config": dict(config),
        "packages": package_versions(),
        "git": git_commit(repo_dir),
        "rerun": rerun,
        "results": result_hashes(results, root),
    }


def _path_key(d: Mapping[str, object]) -> str:
    return str(d["path"])


def remove_stale_results(
    results_dir: str | Path,
    keep: Iterable[str] = ("logs", "benchmarks"),
) -> list[str]:
    """Delete everything in ``results_dir`` except the top-level names in ``keep``.

    Called when validation fails, so no result from an earlier run can be taken
    for a result of the current (invalid) data. Returns the removed names, sorted.
    """
    root = Path(results_dir)
    removed: list[str] = []
    if not root.is_dir():
        return removed
    keep_set = set(keep)
    for child in sorted(root.iterdir()):
        if child.name in keep_set:
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
        removed.append(child.name)
    return removed
