# trialmeta: reproducible evidence review (see workflow/report/workflow.rst for the method).
# Run from the repository root:  snakemake --cores 2   (options live in workflow/profiles/).
from snakemake.utils import min_version

min_version("9.13")  # pathvars (<results>)


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/effects.smk"
include: "workflow/rules/pooling.smk"
include: "workflow/rules/bias.smk"
include: "workflow/rules/plots.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/run_guard.smk"


onstart:
    start_run()


onsuccess:
    end_run()


onerror:
    # On a cluster: which resource to raise for each job SLURM killed (memory, time).
    report_failed_cluster_jobs(log)
    # Then every result goes (logs and benchmarks stay): none of an earlier run is left.
    discard_failed_run()


rule all:
    input:
        final_outputs(),
    default_target: True
