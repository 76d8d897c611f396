# Run safety, called from the Snakefile's onstart/onsuccess/onerror handlers (and once when
# the Snakefile is read): a failed or interrupted run leaves no result that could be taken
# for a result of the current inputs; a read-only results directory is one located line;
# after kill -9 the plain rerun finishes the run. The logic is in trialmeta.io.locks and
# trialmeta.io.outputs; this file only reads Snakemake's DAG. Named functions only, no rules.
import sys

from snakemake_interface_executor_plugins.settings import ExecMode

from trialmeta.io import locks, outputs


def _is_main_snakemake():
    """True in the snakemake the user started (not in a job it spawned, here or remote)."""
    return workflow.exec_mode == ExecMode.DEFAULT


def _logs_and_benchmarks(jobs):
    """Logs and benchmarks: they explain a failure, so no handler ever removes them."""
    kept = set()
    for job in jobs:
        kept.update(str(f) for f in job.log)
        if job.benchmark:
            kept.add(str(job.benchmark))
    return kept


def _job_outputs(jobs):
    return sorted({str(f) for job in jobs for f in job.output})


def _produced_by_a_rule(path):
    """True when some rule of the workflow can produce `path` (any wildcard values)."""
    return any(pattern.match(path) for rule in workflow.rules for pattern in rule.output)


def clear_stale_locks():
    """Remove the lock of a killed run when no snakemake can own it (trialmeta.io.locks)."""
    if _is_main_snakemake():
        for line in locks.clear_stale_locks("."):
            print(line, file=sys.stderr)


def _after_checkpoints(jobs):
    """The jobs after a checkpoint that will run (prepare_data): whether they rerun is
    decided again once it has run, and a job whose per-outcome input kept its bytes does
    not rerun, so its outputs stay."""
    dag = workflow.dag
    checkpoints_ = [job for job in jobs if job.is_checkpoint]
    return set(dag.bfs(dag.depending, *checkpoints_)) - set(checkpoints_) if checkpoints_ else set()


def start_run():
    """onstart: refuse unwritable result directories; remove what this run will rebuild.

    Removing every output of the jobs that will run, before any of them starts, means that
    at every moment (also after kill -9) results/ holds only files that match the current
    inputs: the up-to-date ones and those this run has written. The exception is the jobs
    after checkpoint prepare_data when it runs: Snakemake decides after it which of them
    rerun, and removes a job's old outputs when it starts the job. Until then their old
    outputs are older than the new per-outcome files, so a run killed in between reruns
    them.
    """
    if not _is_main_snakemake() or workflow.touch:
        return
    needrun = list(workflow.dag.needrun_jobs())
    pending = _after_checkpoints(needrun)
    jobs = [job for job in needrun if job not in pending]
    kept = _logs_and_benchmarks(jobs)
    problems = outputs.unwritable([*_job_outputs(jobs), *sorted(kept)])
    if problems:
        sys.exit("\n".join(f"trialmeta: error: {line}" for line in problems))
    locks.record_owner(".")
    try:
        outputs.remove_outputs(_job_outputs(jobs), keep=kept)
    except OSError as err:
        sys.exit(_removal_error(err) + "; nothing was run")


def _removal_error(err):
    return (
        f"trialmeta: error: {err.filename}: cannot remove a result of an earlier run (got "
        f"{err.strerror}, expected a file this user may delete)"
    )


def end_run():
    """onsuccess: the run owns no lock any more."""
    if _is_main_snakemake():
        locks.remove_owner(".")


def discard_failed_run():
    """onerror: remove every result (this run's and earlier ones'), keep logs and benchmarks.

    A failed run must not leave new tables next to an old report (or the reverse), so every
    output of the DAG goes, and every file under the result directories that some rule
    produces (outputs of other targets or outcomes of earlier runs).
    """
    if not _is_main_snakemake():
        return
    jobs = list(workflow.dag.jobs)
    kept = _logs_and_benchmarks(jobs)
    mine = _job_outputs(jobs)
    found = outputs.matching_paths(outputs.result_roots(mine), _produced_by_a_rule, keep=kept)
    locks.remove_owner(".")
    try:
        removed = outputs.remove_outputs([*mine, *found], keep=kept)
    except OSError as err:
        print(_removal_error(err) + "; results of the earlier run may remain", file=sys.stderr)
        return
    done = f"removed {len(removed)} result file(s) and folder(s)" if removed else "no result left"
    print(
        f"trialmeta: the run failed; {done}, so that no result of earlier inputs is left next "
        "to new ones (logs and benchmarks are kept).",
        file=sys.stderr,
    )


clear_stale_locks()
