"""Why a cluster job failed and which resource to raise, read from Snakemake's run log.

The SLURM executor reports a failed job with its rule and SLURM state, but not what to
change. A job killed for memory ends ``OUT_OF_MEMORY`` where cgroups enforce the limit,
and ``FAILED`` where the memory is sampled (``JobAcctGatherParams=OverMemoryKill``): then
only the job's SLURM log says ``Exceeded job memory limit``. This module reads both, the
run log and the logs it names, and turns each failed cluster job into one sentence with
the rule, the SLURM job id, the resource and the value to try
(``--set-resources RULE:mem_mb=...``). The Snakefile's ``onerror`` handler prints them.

It only reads text: no Snakemake import, no SLURM command.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

__all__ = ["Cause", "FailedJob", "diagnose", "failure_hints", "parse_failed_jobs"]

# a job header: "rule x:" ("localrule x:"), or "checkpoint x:" for a checkpoint's job
_RULE = re.compile(r"^(?:local)?(?:rule|checkpoint) (?P<rule>[A-Za-z_][\w]*):\s*$")
_ERROR = re.compile(r"^Error in rule (?P<rule>[A-Za-z_][\w]*):\s*$")
_FIELD = re.compile(r"^\s+(?P<key>[a-z_]+): (?P<value>.*)$")
_STATE = re.compile(r"SLURM status is: '(?P<state>[A-Z_]+)'")
_LOG_NOTE = " (check log file(s) for error details)"
_MEMORY_MARKERS = ("exceeded job memory limit", "exceeded memory limit", "oom-kill",
                   "oom_kill", "out of memory", "memoryerror")  # fmt: skip
_TIME_MARKERS = ("due to time limit",)


class Cause(Enum):
    """What ended a cluster job, each with the resource to raise (if any)."""

    MEMORY = "mem_mb"
    TIME = "runtime"
    CANCELLED = "cancelled"
    NODE = "node"


@dataclass(frozen=True)
class FailedJob:
    """One ``Error in rule`` block of the run log, with the resources its job asked for."""

    rule: str
    jobid: str
    slurm_jobid: str | None
    state: str | None
    logs: tuple[str, ...]
    resources: Mapping[str, str] = field(default_factory=dict)


def _fields(lines: list[str], start: int) -> tuple[dict[str, str], int]:
    """The indented ``key: value`` lines after ``lines[start - 1]``, and the next index."""
    out: dict[str, str] = {}
    i = start
    while i < len(lines) and (m := _FIELD.match(lines[i])):
        out[m["key"]] = m["value"].strip()
        i += 1
    return out, i


def _resources(text: str) -> dict[str, str]:
    """``"mem_mb=200, runtime=30"`` -> ``{"mem_mb": "200", "runtime": "30"}``."""
    pairs = (part.split("=", 1) for part in text.split(", ") if "=" in part)
    return {k.strip(): v.strip() for k, v in pairs}


def parse_failed_jobs(log_text: str) -> list[FailedJob]:
    """Every failed job in a Snakemake run log, in order (one per attempt).

    A job's resources are those of the latest ``rule NAME:`` block with the same job id
    before the error, i.e. of the attempt that failed.
    """
    lines = log_text.splitlines()
    resources: dict[str, dict[str, str]] = {}
    failed: list[FailedJob] = []
    i = 0
    while i < len(lines):
        rule_m, error_m = _RULE.match(lines[i]), _ERROR.match(lines[i])
        if rule_m is None and error_m is None:
            i += 1
            continue
        fields, i = _fields(lines, i + 1)
        jobid = fields.get("jobid", "")
        if error_m is None:
            resources[jobid] = _resources(fields.get("resources", ""))
            continue
        state = _STATE.search(fields.get("message", ""))
        logs = fields.get("log", "").replace(_LOG_NOTE, "")
        failed.append(FailedJob(
            rule=error_m["rule"], jobid=jobid, slurm_jobid=fields.get("external_jobid"),
            state=state["state"] if state else None,
            logs=tuple(p.strip() for p in logs.split(",") if p.strip()),
            resources=resources.get(jobid, {}),
        ))  # fmt: skip
    return failed


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def diagnose(job: FailedJob, read: Callable[[str], str] = _read) -> Cause | None:
    """The cause of a failed cluster job, from its SLURM state and its logs.

    ``None`` for a local job (no SLURM job id) and for failures of the job's own code,
    which the rule's log explains and no resource fixes.
    """
    if job.slurm_jobid is None:
        return None
    text = "\n".join(read(p) for p in job.logs).lower()
    if job.state == "OUT_OF_MEMORY" or any(m in text for m in _MEMORY_MARKERS):
        return Cause.MEMORY
    if job.state == "TIMEOUT" or any(m in text for m in _TIME_MARKERS):
        return Cause.TIME
    if job.state == "CANCELLED":
        return Cause.CANCELLED
    if job.state in ("NODE_FAIL", "BOOT_FAIL"):
        return Cause.NODE
    return None


def _raise_hint(job: FailedJob, cause: Cause, what: str, unit: str, profile: str) -> str:
    name = cause.value
    now = job.resources.get(name, "")
    suggest = str(2 * int(now)) if now.isdigit() else "<more>"
    return (f"rule {job.rule}: SLURM job {job.slurm_jobid} {what} ({name}={now or '?'}{unit}). "
            f"Raise {name} for {job.rule}: under set-resources in {profile}, or for one run "
            f"add --set-resources {job.rule}:{name}={suggest}")  # fmt: skip


def _hint(job: FailedJob, cause: Cause, profile: str) -> str:
    if cause is Cause.MEMORY:
        return _raise_hint(job, cause, "ran out of memory", "", profile)
    if cause is Cause.TIME:
        return _raise_hint(job, cause, "reached its time limit", " min", profile)
    if cause is Cause.CANCELLED:
        return (f"rule {job.rule}: SLURM job {job.slurm_jobid} was cancelled (scancel, or "
                "the scheduler). No resource to raise: rerun the same command; finished "
                "outputs are kept")  # fmt: skip
    return (f"rule {job.rule}: SLURM job {job.slurm_jobid} was lost with its node "
            f"({job.state}). Rerun the same command")  # fmt: skip


def failure_hints(log_paths: Iterable[str | Path],
                  profile: str = "workflow/profiles/slurm/config.yaml",
                  read: Callable[[str], str] = _read) -> list[str]:  # fmt: skip
    """One sentence per failed cluster job with a known cause: the last attempt of each.

    ``log_paths`` are Snakemake's run logs (what ``onerror`` receives); ``profile`` is
    named in the advice.
    """
    last: dict[str, FailedJob] = {}
    for path in log_paths:
        for job in parse_failed_jobs(read(str(path))):
            last[f"{path}:{job.jobid}"] = job
    hints = []
    for job in last.values():
        cause = diagnose(job, read)
        if cause is not None:
            hints.append(_hint(job, cause, profile))
    return hints
