"""trialmeta.io.failed_jobs: the resource to raise for a failed cluster job.

The run-log excerpts below are Snakemake 9.27 / snakemake-executor-plugin-slurm 2.8 output,
recorded on the single-node test cluster of tests/cluster (Slurm 22.05, memory enforced
by JobAcctGatherParams=OverMemoryKill); only paths and ids are shortened.
"""

from __future__ import annotations

from collections.abc import Callable

from trialmeta.io.failed_jobs import Cause, diagnose, failure_hints, parse_failed_jobs

RULE_BLOCK = """\
[Tue Dec  1 16:38:07 2026]
rule {rule}:
    input: data/arms.csv, data/studies.csv
    output: results/validation.json
    log: results/logs/{rule}.log
    jobid: {jobid}
    reason: Missing output files: results/validation.json
    resources: tmpdir=<TBD>, mem_mb={mem}, mem=200 MB, slurm_partition=local, runtime={rt}
Shell command: None
Job {jobid} has been submitted with SLURM jobid {slurm} (log: /w/.snakemake/slurm_logs/{slurm}.log).
"""  # noqa: E501

ERROR_BLOCK = """\
[Tue Dec  1 16:38:22 2026]
Error in rule {rule}:
    message: SLURM-job '{slurm}' failed, SLURM status is: '{state}'. Reason: Unknown.For further error details see the cluster/cloud log and the log files of the involved rule(s).
    jobid: {jobid}
    output: results/validation.json
    log: results/logs/{rule}.log, /w/.snakemake/slurm_logs/{slurm}.log (check log file(s) for error details)
    external_jobid: {slurm}
"""  # noqa: E501

OVER_MEMORY_KILL = """\
slurmstepd-vm: error: StepId=18.0 exceeded memory limit (284913664 > 209715200), being killed
slurmstepd-vm: error: Exceeded job memory limit
srun: error: vm: task 0: Killed
"""

LOCAL_ERROR = """\
Error in rule validate_data:
    jobid: 1
    output: results/validation.json
    log: results/logs/validate_data.log (check log file(s) for error details)
"""


def _attempt(
    rule: str = "validate_data",
    jobid: str = "0",
    slurm: str = "18",
    state: str = "FAILED",
    mem: str = "200",
    rt: str = "30",
) -> str:
    fields = dict(rule=rule, jobid=jobid, slurm=slurm, state=state, mem=mem, rt=rt)
    return RULE_BLOCK.format(**fields) + ERROR_BLOCK.format(**fields)


def _reader(files: dict[str, str]) -> Callable[[str], str]:
    return lambda path: files.get(path, "")


def test_parse_reads_rule_state_logs_and_resources_of_the_failed_attempt() -> None:
    jobs = parse_failed_jobs(_attempt(mem="200") + _attempt(slurm="19", mem="400"))
    assert [(j.rule, j.jobid, j.slurm_jobid, j.state) for j in jobs] == [
        ("validate_data", "0", "18", "FAILED"),
        ("validate_data", "0", "19", "FAILED"),
    ]
    assert [j.resources["mem_mb"] for j in jobs] == ["200", "400"]
    assert jobs[1].logs == ("results/logs/validate_data.log", "/w/.snakemake/slurm_logs/19.log")


def test_resources_come_from_the_block_with_the_same_jobid() -> None:
    text = (RULE_BLOCK.format(rule="tables", jobid="3", slurm="7", mem="999", rt="30")
            + _attempt(rule="comparisons", jobid="2", slurm="8", mem="2000"))  # fmt: skip
    (job,) = parse_failed_jobs(text)
    assert (job.rule, job.resources["mem_mb"]) == ("comparisons", "2000")


def test_a_checkpoints_job_header_gives_its_resources_too() -> None:
    # Snakemake prints "checkpoint <name>:" instead of "rule <name>:" for a checkpoint's job
    # (the review's prepare_data); its error block still says "Error in rule <name>:"
    text = _attempt(rule="prepare_data", mem="100").replace(
        "\nrule prepare_data:", "\ncheckpoint prepare_data:"
    )
    assert "checkpoint prepare_data:" in text
    (job,) = parse_failed_jobs(text)
    assert (job.rule, job.resources["mem_mb"]) == ("prepare_data", "100")


def test_memory_killed_by_sampling_is_found_in_the_slurm_log() -> None:
    (job,) = parse_failed_jobs(_attempt())
    assert (
        diagnose(job, _reader({"/w/.snakemake/slurm_logs/18.log": OVER_MEMORY_KILL}))
        is Cause.MEMORY
    )


def test_out_of_memory_state_alone_is_memory() -> None:
    (job,) = parse_failed_jobs(_attempt(state="OUT_OF_MEMORY"))
    assert diagnose(job, _reader({})) is Cause.MEMORY


def test_memory_hint_names_rule_job_resource_and_a_value_to_try() -> None:
    text = _attempt() + _attempt(slurm="19")
    files = {"run.log": text, "/w/.snakemake/slurm_logs/18.log": OVER_MEMORY_KILL,
             "/w/.snakemake/slurm_logs/19.log": OVER_MEMORY_KILL}  # fmt: skip
    assert failure_hints(["run.log"], read=_reader(files)) == [
        "rule validate_data: SLURM job 19 ran out of memory (mem_mb=200). Raise mem_mb for "
        "validate_data: under set-resources in workflow/profiles/slurm/config.yaml, or for "
        "one run add --set-resources validate_data:mem_mb=400"
    ]


def test_timeout_hint_names_runtime() -> None:
    files = {"run.log": _attempt(rule="analyse_outcome", state="TIMEOUT", rt="60")}
    (hint,) = failure_hints(["run.log"], profile="p.yaml", read=_reader(files))
    assert hint.startswith("rule analyse_outcome: SLURM job 18 reached its time limit "
                           "(runtime=60 min). Raise runtime for analyse_outcome: under "
                           "set-resources in p.yaml")  # fmt: skip
    assert hint.endswith("--set-resources analyse_outcome:runtime=120")


def test_cancelled_job_is_told_to_rerun_without_a_resource() -> None:
    files = {"run.log": _attempt(rule="analyse_outcome", state="CANCELLED")}
    (hint,) = failure_hints(["run.log"], read=_reader(files))
    assert "was cancelled" in hint and "rerun the same command" in hint
    assert "Raise" not in hint


def test_node_failure_is_told_to_rerun() -> None:
    files = {"run.log": _attempt(state="NODE_FAIL")}
    (hint,) = failure_hints(["run.log"], read=_reader(files))
    assert "lost with its node (NODE_FAIL)" in hint


def test_failures_of_the_code_itself_and_local_jobs_get_no_hint() -> None:
    code_error = _attempt()  # FAILED, and neither log mentions memory or time
    files = {"run.log": code_error + LOCAL_ERROR,
             "results/logs/validate_data.log": "ValueError: bad sheet"}  # fmt: skip
    assert failure_hints(["run.log"], read=_reader(files)) == []
    (local,) = parse_failed_jobs(LOCAL_ERROR)
    assert local.slurm_jobid is None and diagnose(local, _reader({})) is None


def test_unknown_memory_value_is_still_named() -> None:
    text = ERROR_BLOCK.format(rule="tables", jobid="5", slurm="9", state="OUT_OF_MEMORY")
    (hint,) = failure_hints(["run.log"], read=_reader({"run.log": text}))
    assert "(mem_mb=?)" in hint and "tables:mem_mb=<more>" in hint


def test_missing_log_files_are_read_as_empty() -> None:
    (job,) = parse_failed_jobs(_attempt(state="FAILED"))
    assert diagnose(job) is None  # the real reader; these paths do not exist
