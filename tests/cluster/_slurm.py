"""Helpers of the cluster test: copies of the tree, Snakemake runs, and what SLURM recorded.

Nothing here starts a daemon: tests/cluster/start_slurm.sh does, and test_slurm_cluster.py
only uses the cluster named by the environment (SLURM_CONF, SBATCH_PARTITION, ...).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMPARED_SUFFIXES = (".csv", ".json", ".md", ".html", ".svg")
NOT_COMPARED = ("logs", "benchmarks")  # per-run timings and messages

_SUBMITTED = re.compile(
    r"^Job (?P<job>\S+) has been submitted with SLURM jobid (?P<slurm>\d+) \(log: (?P<log>.+)\)\.$"
)
# a job header: "rule x:", "localrule x:", or "checkpoint x:" for a checkpoint (prepare_data)
_RULE = re.compile(r"^(?P<indent>\s*)(?P<local>local)?(?:rule|checkpoint) (?P<rule>\w+):$")
_GROUP = re.compile(r"Group job (?P<group>\w+) \(jobs in lexicogr\. order\):$")
_JOBID = re.compile(r"^\s+jobid: (?P<job>\S+)$")


@dataclass(frozen=True)
class Run:
    """One finished Snakemake run."""

    workdir: Path
    returncode: int
    output: str
    seconds: float


@dataclass(frozen=True)
class Submission:
    """One ``sbatch`` of the executor: Snakemake job id, SLURM job id, SLURM log path."""

    job: str
    slurm_id: str
    log: str

    @property
    def unit(self) -> str:
        """``rule_<name>`` or ``group_<name>``: the folder of its SLURM log."""
        parts = Path(self.log).parts
        return next(p for p in parts if p.startswith(("rule_", "group_")))


@dataclass(frozen=True)
class Accounting:
    """One job as ``sacct -X`` records it."""

    slurm_id: str
    comment: str
    state: str
    exit_code: str
    elapsed: str
    account: str
    partition: str


def copy_tree(dest: Path, root: Path = ROOT) -> Path:
    """A fresh copy of the working tree: a clone at HEAD plus the uncommitted changes.

    Both runs then record the same commit and the same ``dirty`` flag in
    provenance.json, and neither sees the other's results/ or .snakemake/.
    """
    head = _git(root, "rev-parse", "HEAD").strip()
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(root), str(dest)], check=True)
    subprocess.run(["git", "-C", str(dest), "checkout", "-q", head], check=True)
    changed = _git(root, "ls-files", "-z", "-m", "-o", "--exclude-standard").split("\0")
    for rel in filter(None, changed):
        src, dst = root / rel, dest / rel
        if src.exists():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
        elif dst.exists():
            dst.unlink()
    return dest


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                          text=True).stdout  # fmt: skip


def snakemake_env(workdir: Path) -> dict[str, str]:
    """The caller's environment, with the copy's own package first on the path."""
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(workdir / "src"),
                                                      os.environ.get("PYTHONPATH")]))  # fmt: skip
    return env


def start_snakemake(workdir: Path, args: Sequence[str]) -> subprocess.Popen[str]:
    """Start ``python -m snakemake ARGS`` in ``workdir``, output (stdout + stderr) piped."""
    return subprocess.Popen([sys.executable, "-m", "snakemake", *args], cwd=workdir,
                            env=snakemake_env(workdir), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)  # fmt: skip


def finish(proc: subprocess.Popen[str], workdir: Path, t0: float, timeout: float) -> Run:
    """Wait for a started run, at most ``timeout`` s (then kill it: exit code -9)."""
    try:
        out, _ = proc.communicate(timeout=max(timeout - (time.monotonic() - t0), 1))
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        out += f"\n[killed: still running after {timeout:.0f} s]"
    return Run(workdir, proc.returncode, out, time.monotonic() - t0)


def run_snakemake(workdir: Path, args: Sequence[str], timeout: float) -> Run:
    """Run Snakemake to the end and time it (wall clock)."""
    t0 = time.monotonic()
    return finish(start_snakemake(workdir, args), workdir, t0, timeout)


def submissions(output: str) -> list[Submission]:
    """Every SLURM submission the executor logged, in order (a retry is a new one)."""
    return [Submission(m["job"], m["slurm"], m["log"]) for m in
            map(_SUBMITTED.match, output.splitlines()) if m]  # fmt: skip


def planned_units(output: str) -> Counter[str]:
    """What Snakemake sent to the executor, named like the SLURM log folders.

    ``rule_<name>`` once per job id of a (non-local) rule outside a group, however often
    it was retried; ``group_<groupid>`` once per ``Group job`` header, whose member rules
    (printed indented under it) travel inside it.
    """
    units: dict[str, str] = {}
    groups = 0
    rule: str | None = None
    for line in output.splitlines():
        if g := _GROUP.search(line):
            units[f"#group{groups}"], groups = f"group_{g['group']}", groups + 1
        elif r := _RULE.match(line):
            rule = None if (r["local"] or r["indent"]) else r["rule"]
        elif (j := _JOBID.match(line)) and rule is not None:
            units.setdefault(j["job"], f"rule_{rule}")
            rule = None
    return Counter(units.values())


def submitted_units(subs: Iterable[Submission], groups: Iterable[str]) -> Counter[str]:
    """The units of these submissions; a group's log folder ``group_<groupid>_<rules>``
    counts as ``group_<groupid>`` (``groups``: the ``group_<groupid>`` names planned)."""
    names = sorted(groups, key=len, reverse=True)
    return Counter(next((g for g in names if s.unit.startswith(f"{g}_")), s.unit)
                   for s in subs)  # fmt: skip


def sacct(slurm_ids: Iterable[str]) -> dict[str, Accounting]:
    """What accounting recorded for these jobs (``sacct -X``: the allocations)."""
    ids = ",".join(slurm_ids)
    out = subprocess.run(
        ["sacct", "-X", "-P", "-n", "-j", ids,
         "-o", "JobIDRaw,Comment,State,ExitCode,Elapsed,Account,Partition"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    rows = (line.split("|") for line in out.splitlines() if line.strip())
    return {r[0]: Accounting(*r[:7]) for r in rows}


def compared_files(results: Path) -> list[str]:
    """Relative paths of the result files that must be byte-identical between two runs."""
    return sorted(p.relative_to(results).as_posix() for p in results.rglob("*")
                  if p.is_file() and p.suffix in COMPARED_SUFFIXES
                  and p.relative_to(results).parts[0] not in NOT_COMPARED)  # fmt: skip


def table(rows: Sequence[Sequence[object]], header: Sequence[str]) -> str:
    """A plain aligned text table."""
    cells = [[str(c) for c in header], *[[str(c) for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
