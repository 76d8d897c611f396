"""Results that always match their inputs: remove a run's outputs, check they can be written.

The workflow's promise is "no partial or stale result": a reader who opens
``results/report.html`` must never see a report of other inputs than the current
ones. The Snakemake hooks (``workflow/rules/run_guard.smk``) use these functions:

- :func:`unwritable` before a run starts: one located line per directory where the
  run could not create, replace or remove its files (a read-only or immutable
  ``results/``, a read-only mount), so that nothing is started;
- :func:`remove_outputs` when a run starts (the outputs it will rebuild) and when it
  fails (every output of the workflow), logs and benchmarks excepted;
- :func:`naming` around every write, so that a full disk or a file-size limit is
  reported with the file's name.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePath

__all__ = [
    "matching_paths",
    "naming",
    "remove_outputs",
    "replace_bytes",
    "result_roots",
    "unwritable",
]


def _relative_inside(path: str) -> bool:
    p = PurePath(path)
    return not p.is_absolute() and ".." not in p.parts and p != PurePath(".")


def _holds(path: str, kept: Collection[str]) -> bool:
    """True when ``path`` is a kept path or a directory that contains one."""
    p = PurePath(path)
    return any(p == PurePath(k) or p in PurePath(k).parents for k in kept)


def remove_outputs(paths: Iterable[str], keep: Collection[str] = ()) -> list[str]:
    """Delete every existing path of ``paths`` (file, symlink or directory tree).

    Only relative paths inside the working directory are touched, and never a kept
    path (log, benchmark) or a directory holding one. Folders left empty are removed too,
    up to (not including) the top-level directory. Returns the removed paths, sorted.
    """
    removed: list[str] = []
    for path in sorted(set(paths)):
        p = Path(path)
        if not _relative_inside(path) or _holds(path, keep) or not os.path.lexists(p):
            continue
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        else:
            p.unlink()
        removed.append(path)
    for path in removed:
        _prune_empty_parents(Path(path))
    return removed


def _prune_empty_parents(path: Path) -> None:
    """Remove the folders that held ``path`` once empty, up to its top-level directory."""
    for parent in list(path.parents)[:-2]:  # never "." nor the top-level directory itself
        try:
            parent.rmdir()
        except OSError:  # not empty (or already gone)
            return


def result_roots(paths: Iterable[str]) -> list[str]:
    """The top-level directories that hold ``paths`` (``results`` for ``results/x.csv``)."""
    roots = {PurePath(p).parts[0] for p in paths if _relative_inside(p)
             and len(PurePath(p).parts) > 1}  # fmt: skip
    return sorted(roots)


def matching_paths(
    roots: Iterable[str], is_output: Callable[[str], bool], keep: Collection[str] = ()
) -> list[str]:
    """Existing paths under ``roots`` that ``is_output`` accepts (outermost match only).

    Used to find outputs of earlier runs that the current DAG does not name (another
    target, another set of outcomes), so that none of them outlives a failed run.
    """
    found: list[str] = []
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            for name in sorted(filenames):
                path = os.path.join(dirpath, name)
                if is_output(path) and not _holds(path, keep):
                    found.append(path)
            for name in sorted(dirnames):
                path = os.path.join(dirpath, name)
                if is_output(path) and not _holds(path, keep):
                    found.append(path)
                    dirnames.remove(name)
    return sorted(found)


def _blocking_dir(path: str) -> Path:
    """The directory whose permissions decide whether ``path`` can be (re)created."""
    p = Path(path)
    if os.path.lexists(p):
        return p.parent if str(p.parent) else Path(".")
    for parent in p.parents:
        if os.path.lexists(parent):
            return parent
    return Path(".")


def unwritable(paths: Iterable[str]) -> list[str]:
    """One line per directory in which some of ``paths`` cannot be created or replaced.

    A path that exists needs a writable parent (Snakemake removes it before the job
    rebuilds it); a path that does not exist needs its nearest existing ancestor to be
    a writable directory. ``os.access`` honours read-only mounts and immutable
    directories, for root too.
    """
    blocked: dict[Path, str] = {}
    for path in paths:
        where = _blocking_dir(path)
        if where in blocked:
            continue
        if not where.is_dir():
            blocked[where] = "not a directory"
        elif not os.access(where, os.W_OK | os.X_OK):
            blocked[where] = "a read-only directory"
    return [
        f"{where}: cannot write the results there (got {why}, expected a directory "
        "this user can write); nothing was run, and the files in it, if any, are "
        "from an earlier run"
        for where, why in sorted(blocked.items())
    ]


@contextmanager
def naming(path: str | Path) -> Iterator[None]:
    """Re-raise an ``OSError`` of a write with ``path`` as its file name.

    A failed ``write()`` (full disk, file-size limit) raises ``OSError`` without a
    file name; the error message must still say which file could not be written.
    """
    try:
        yield
    except OSError as err:
        if err.filename is not None or err.errno is None:
            raise
        raise OSError(err.errno, err.strerror, str(path)) from err


def _umask() -> int:
    """The process's umask (read by setting it, then restoring it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def replace_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically: into a temporary file in the same directory,
    flushed to disk, then renamed over ``path`` (``os.replace``). A job killed mid-write
    leaves the old file or none, never a truncated one that a rerun would take as done."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with naming(target), os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it 0600: give the usual mode
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
