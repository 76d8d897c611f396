"""Snakemake adapter: every figure of one outcome → results/figures/{outcome}/."""

from trialmeta.io.rule_log import log_errors

smk = snakemake  # noqa: F821  (injected by Snakemake)
log_errors(smk)

from trialmeta.io.digests import seal, verified  # noqa: E402
from trialmeta.plots.outcome import FigureWording, draw_outcome_figures  # noqa: E402
from trialmeta.report.sheet_labels import sheet_labels, sheet_vocabulary  # noqa: E402
from trialmeta.review.codec import from_data  # noqa: E402
from trialmeta.review.config import FiguresConfig  # noqa: E402
from trialmeta.review.results import read_result  # noqa: E402

result = read_result(verified(smk.input.analysis))
labels, rob_rows = sheet_labels(smk.params.labels, smk.input)
draw_outcome_figures(result, smk.output[0],
                     from_data(FigureWording, smk.params.wording), labels=labels,
                     rob_rows=rob_rows, vocabulary=sheet_vocabulary(smk.params.labels, smk.input),
                     files=from_data(FiguresConfig, smk.params.files))
seal(smk.output)
