# trialmeta: reproducible evidence review (see workflow/report/workflow.rst for the method).
# Run from the repository root:  snakemake --cores 2   (options live in workflow/profiles/).
import sys
from pathlib import Path

from snakemake.utils import min_version

from trialmeta.review.config_yaml import read_config_file

min_version("9.13")  # pathvars (<results>)

# The config is data: read it strictly before Snakemake's own loader, which would evaluate
# YTE expressions (`__use_yte__`) in it. Overlays given with --configfile are loaded by
# Snakemake before this file runs; workflow/rules/common.smk reports their problems.
if Path("config/config.yaml").exists():
    _, _problems = read_config_file("config/config.yaml")
    if _problems:
        sys.exit("\n".join([*_problems, "the config was not loaded; nothing was run."]))


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"


# Every output path starts with <results>, the review's results directory (config results_dir).
pathvars:
    results=REVIEW.results_dir,


wildcard_constraints:
    outcome="|".join(OUTCOMES),


include: "workflow/rules/data.smk"
include: "workflow/rules/analysis.smk"
include: "workflow/rules/simulation.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/run_guard.smk"
include: "workflow/rules/worker.smk"


onstart:
    start_run()
    start_worker()


onsuccess:
    stop_worker()
    end_run()


onerror:
    stop_worker()  # first: no job script is left running
    # On a cluster: which resource to raise for each job SLURM killed (memory, time).
    report_failed_cluster_jobs(log)
    # Then every result goes (logs and benchmarks stay): none of an earlier run is left.
    discard_failed_run()


rule all:
    default_target: True
    input:
        final_outputs(),
