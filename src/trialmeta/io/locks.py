"""Stale Snakemake locks: cleared when provably stale, kept while any run could own them.

Snakemake locks a working directory by writing ``.snakemake/locks/N.{input,output}.lock``
and removes them when the run ends. A run killed with ``kill -9`` (or a power cut)
leaves them behind, and the next ``snakemake`` then stops with ``LockException`` until
someone types ``snakemake --unlock``. :func:`clear_stale_locks` does that unlock, but
only when it is safe:

- no other ``snakemake`` process runs with this working directory on this host
  (``/proc/<pid>/cwd`` and ``/proc/<pid>/cmdline``);
- jobs that an interrupted run left running (orphans, e.g. after killing only the main
  process) have ended: it waits for them, because they are still writing outputs;
- the run that took the lock was started on this host (:func:`record_owner` notes the
  host when a run starts; on a shared file system another host's processes are not
  visible here, so such a lock is kept and the user is told how to release it).

Without ``/proc`` (not Linux) nothing is ever cleared. Only Snakemake's default file
persistence is handled (``--persistence-backend db`` keeps its own locks).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "OWNER_FILE",
    "SnakemakeProcess",
    "clear_stale_locks",
    "lock_files",
    "record_owner",
    "remove_owner",
    "snakemake_processes",
]

OWNER_FILE = Path(".snakemake") / "trialmeta_run.json"
LOCK_DIR = Path(".snakemake") / "locks"
JOB_MARKERS = ("/.snakemake/scripts/", "--target-jobs")


@dataclass(frozen=True)
class SnakemakeProcess:
    """A process of a Snakemake run: the main process, or a job it started."""

    pid: int
    argv: tuple[str, ...]
    is_job: bool


def _is_snakemake(argv: Sequence[str]) -> bool:
    """``snakemake …``, ``python …/bin/snakemake …``, ``python -m snakemake …`` or a job."""
    if any(marker in arg for arg in argv for marker in JOB_MARKERS):
        return True
    heads = [os.path.basename(a) for a in argv[:2]]
    return "snakemake" in heads or list(argv[1:3]) == ["-m", "snakemake"]


def _process(pid_dir: Path, workdir: Path) -> SnakemakeProcess | None:
    """The Snakemake process at ``/proc/<pid>`` when its cwd is ``workdir``, else None."""
    try:
        if Path(os.readlink(pid_dir / "cwd")) != workdir:
            return None
        raw = (pid_dir / "cmdline").read_bytes()
    except OSError:  # ended meanwhile, or another user's process
        return None
    argv = tuple(a.decode("utf-8", "replace") for a in raw.split(b"\0") if a)
    if not argv or not _is_snakemake(argv):
        return None
    is_job = any(marker in arg for arg in argv for marker in JOB_MARKERS)
    return SnakemakeProcess(int(pid_dir.name), argv, is_job)


def snakemake_processes(
    workdir: str | Path, proc: str | Path = "/proc", exclude: Sequence[int] = ()
) -> list[SnakemakeProcess] | None:
    """Snakemake processes (main or job) whose working directory is ``workdir``.

    ``None`` when ``proc`` cannot be listed (then nobody can tell that a lock is stale).
    The calling process (and ``exclude``) are left out.
    """
    skip = {os.getpid(), *exclude}
    root = Path(workdir).resolve()
    try:
        pid_dirs = [p for p in Path(proc).iterdir() if p.name.isdigit()]
    except OSError:
        return None
    found = (_process(p, root) for p in sorted(pid_dirs, key=lambda p: int(p.name))
             if int(p.name) not in skip)  # fmt: skip
    return [p for p in found if p is not None]


def lock_files(workdir: str | Path) -> list[Path]:
    """Snakemake's lock files in ``workdir`` (empty when it holds no lock)."""
    lock_dir = Path(workdir) / LOCK_DIR
    return sorted(lock_dir.glob("*.lock")) if lock_dir.is_dir() else []


def record_owner(workdir: str | Path, host: str | None = None) -> None:
    """Note which host and process own this directory's run (called when a run starts)."""
    path = Path(workdir) / OWNER_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    owner = {"host": host or socket.gethostname(), "pid": os.getpid()}
    path.write_text(json.dumps(owner, sort_keys=True) + "\n", encoding="utf-8")


def remove_owner(workdir: str | Path) -> None:
    """Forget the owner record (the run ended, successfully or not)."""
    (Path(workdir) / OWNER_FILE).unlink(missing_ok=True)


def _owner(workdir: Path) -> dict[str, object]:
    try:
        data = json.loads((workdir / OWNER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _pids(procs: Sequence[SnakemakeProcess]) -> str:
    return ", ".join(str(p.pid) for p in procs)


Scan = Callable[[Path], "list[SnakemakeProcess] | None"]


def clear_stale_locks(
    workdir: str | Path = ".",
    *,
    host: str | None = None,
    wait_seconds: float = 600.0,
    poll_seconds: float = 0.5,
    scan: Scan | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[str]:
    """Remove ``workdir``'s Snakemake locks when no run can own them; say what was done.

    Returns the lines to print (none when there was no lock). Orphaned jobs of an
    interrupted run are waited for (at most ``wait_seconds``) before the lock is
    removed, so that a rerun never rewrites a file that one of them is still writing.
    """
    root = Path(workdir)
    if not lock_files(root):
        return []
    owner = _owner(root)
    here = host or socket.gethostname()
    if owner.get("host") not in (None, here):
        return [
            f"trialmeta: the lock in {LOCK_DIR} was taken by a run on host "
            f"{owner.get('host')} (pid {owner.get('pid')}), which this host cannot see; "
            "it is kept. If that run has ended, run `snakemake --unlock` once."
        ]
    look = scan or snakemake_processes
    lines: list[str] = []
    deadline = wait_seconds
    while True:
        procs = look(root)
        if procs is None:
            return [
                f"trialmeta: cannot list processes (no /proc), so the lock in {LOCK_DIR} "
                "is kept; if no snakemake runs here, run `snakemake --unlock` once."
            ]
        mains = [p for p in procs if not p.is_job]
        if mains:
            return [
                *lines,
                f"trialmeta: snakemake (pid {_pids(mains)}) is running in this "
                "directory; its lock is kept.",
            ]
        if not procs:
            break
        if deadline <= 0:
            return [
                *lines,
                f"trialmeta: jobs of an interrupted run (pid {_pids(procs)}) "
                f"are still running after {wait_seconds:g} s; the lock is kept. "
                "Stop them (kill PID) and rerun.",
            ]
        if not lines:
            lines.append(
                f"trialmeta: waiting for {len(procs)} job(s) of an interrupted run "
                f"to end (pid {_pids(procs)}) before removing its lock."
            )
        sleep(poll_seconds)
        deadline -= poll_seconds
    shutil.rmtree(root / LOCK_DIR, ignore_errors=True)
    remove_owner(root)
    return [
        *lines,
        "trialmeta: removed the lock left by an interrupted run (no snakemake "
        "process runs in this directory); the run continues where it stopped.",
    ]
