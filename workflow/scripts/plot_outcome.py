"""Snakemake adapter: every figure of one outcome → results/figures/{outcome}/."""

from trialmeta.io.rule_log import log_errors

smk = snakemake  # noqa: F821  (injected by Snakemake)
log_errors(smk)

from trialmeta.io.jsonio import read_json  # noqa: E402
from trialmeta.plots.outcome import draw_outcome_figures  # noqa: E402
from trialmeta.report.sheet_labels import sheet_labels, sheet_vocabulary  # noqa: E402

settings = smk.params.settings
labels, rob_rows = sheet_labels(settings, smk.input)
draw_outcome_figures(read_json(smk.input.analysis), smk.output[0], settings["measure"],
                     labels=labels, rob_rows=rob_rows,
                     intervention=settings["intervention_label"],
                     vocabulary=sheet_vocabulary(settings, smk.input))
