# Run safety, called from the Snakefile's onstart/onsuccess/onerror handlers (and once when
# the Snakefile is read): a failed or interrupted run leaves no result that could be taken
# for a result of the current inputs; a read-only results directory is one located line;
# after kill -9 the plain rerun finishes the run. The logic is in trialmeta.io.locks and
# trialmeta.io.outputs; this file only reads Snakemake's DAG. Named functions only, no rules.
import sys

from snakemake_interface_executor_plugins.settings import ExecMode

from trialmeta.io import locks, outputs


def _main_process():
    """True in the snakemake the user started (not in a job it spawned, here or remote)."""
    return workflow.exec_mode == ExecMode.DEFAULT


def _kept(jobs):
    """Logs and benchmarks: they explain a failure, so no handler ever removes them."""
    kept = set()
    for job in jobs:
        kept.update(str(f) for f in job.log)
        if job.benchmark:
            kept.add(str(job.benchmark))
    return kept


def _outputs(jobs):
    return sorted({str(f) for job in jobs for f in job.output})


def _is_output(path):
    """True when some rule of the workflow can produce `path` (any wildcard values)."""
    return any(pattern.match(path) for rule in workflow.rules for pattern in rule.output)


def clear_stale_locks():
    """Remove the lock of a killed run when no snakemake can own it (trialmeta.io.locks)."""
    if _main_process():
        for line in locks.clear_stale_locks("."):
            print(line, file=sys.stderr)


def start_run():
    """onstart: refuse unwritable result directories; remove what this run will rebuild.

    Removing every output of the jobs that will run, before any of them starts, means that
    at every moment (also after kill -9) results/ holds only files that match the current
    inputs: the up-to-date ones and those this run has written.
    """
    if not _main_process() or workflow.touch:
        return
    jobs = list(workflow.dag.needrun_jobs())
    kept = _kept(jobs)
    problems = outputs.unwritable([*_outputs(jobs), *sorted(kept)])
    if problems:
        sys.exit("\n".join(f"trialmeta: error: {line}" for line in problems))
    locks.record_owner(".")
    outputs.remove_outputs(_outputs(jobs), keep=kept)


def end_run():
    """onsuccess: the run owns no lock any more."""
    if _main_process():
        locks.remove_owner(".")


def discard_failed_run():
    """onerror: remove every result (this run's and earlier ones'), keep logs and benchmarks.

    A failed run must not leave new tables next to an old report (or the reverse), so every
    output of the DAG goes, and every file under the result directories that some rule
    produces (outputs of other targets or outcomes of earlier runs).
    """
    if not _main_process():
        return
    jobs = list(workflow.dag.jobs)
    kept = _kept(jobs)
    mine = _outputs(jobs)
    found = outputs.matching_paths(outputs.result_roots(mine), _is_output, keep=kept)
    removed = outputs.remove_outputs([*mine, *found], keep=kept)
    locks.remove_owner(".")
    print(f"trialmeta: the run failed; removed {len(removed)} result file(s) and folder(s), "
          "so that no result of earlier inputs is left next to new ones (logs and benchmarks "
          "are kept).", file=sys.stderr)


clear_stale_locks()
