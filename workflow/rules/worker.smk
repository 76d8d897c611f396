# The warm worker of a local run (trialmeta.io.worker): one process imports what the scripts
# of the jobs about to run import, and forks a copy of itself for each job, which then skips
# its 0.3-0.8 s of imports. Started after start_run (onstart), stopped before anything else
# in onsuccess and onerror. Not used on a cluster, with --use-conda or a container (the jobs
# run other interpreters), in dry runs and --touch, or with TRIALMETA_WORKER=off. Named
# functions only, no rules.
import sys
from pathlib import Path

from trialmeta.io import worker as _worker_io

_WORKER = []  # the running worker, if any
# What the worker imports besides the scripts' top-level imports: Snakemake's script
# preamble (every job), then what a script imports when it runs.
_PREAMBLE = ["snakemake.iocontainers", "snakemake.logging"]
_LATER = {
    "fit_outcome.py": ["pandas", "scipy.optimize"],
    "complete_outcome.py": ["scipy.optimize"],
    "simulate.py": ["scipy.optimize"],
    "write_pdf.py": ["weasyprint"],
}


def _job_scripts(jobs):
    """The script of each job that has one, in the order the DAG runs them."""
    scripts = {}
    for level in workflow.dag.toposorted(jobs):
        for job in sorted(level, key=lambda j: j.rule.name):
            if job.rule.script:
                name = Path(job.rule.script).name
                scripts.setdefault(name, SCRIPTS / name)
    return list(scripts.values())


def start_worker():
    """onstart: start the run's worker for the scripts of the jobs that will run."""
    if not _is_main_snakemake() or workflow.touch or not workflow.local_exec:
        return
    if workflow.deployment_settings.deployment_method:  # conda or a container: other Pythons
        return
    scripts = _job_scripts(list(workflow.dag.needrun_jobs()))
    if scripts:
        later = [name for script in scripts for name in _LATER.get(script.name, [])]
        modules = [*_PREAMBLE, *_worker_io.preload_modules(scripts), *later]
        try:
            _WORKER.append(_worker_io.start(modules, ".snakemake/trialmeta/worker.log"))
        except OSError as err:  # the jobs then run in their own processes, as without it
            print(f"trialmeta: note: no warm worker for this run ({err})", file=sys.stderr)


def stop_worker():
    """onsuccess and onerror: stop the worker; it kills any job script still running."""
    while _WORKER:
        _worker_io.stop(_WORKER.pop())
