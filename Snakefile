# trialmeta: reproducible evidence review (see workflow/report/workflow.rst for the method).
# Run from the repository root:  snakemake --cores 2   (options live in workflow/profiles/).
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/effects.smk"
include: "workflow/rules/pooling.smk"
include: "workflow/rules/bias.smk"
include: "workflow/rules/plots.smk"
include: "workflow/rules/report.smk"


rule all:
    input:
        final_outputs(),
    default_target: True
