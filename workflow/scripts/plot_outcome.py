"""Snakemake adapter: every figure of one outcome → results/figures/{outcome}/.

The sheets are read through results/outcome_labels/{outcome}.json (its trials' labels and
the risk-of-bias rows, trialmeta.report.outcome_labels), so an edit of a trial that does
not enter this outcome does not redraw its figures.
"""

from trialmeta.io.worker import hand_to_worker

hand_to_worker()  # runs this script in the run's warm worker, if it has one
from trialmeta.io.rule_log import log_errors  # noqa: E402

smk = snakemake  # noqa: F821  (injected by Snakemake)
log_errors(smk)

from trialmeta.io.digests import seal, verified  # noqa: E402
from trialmeta.io.jsonio import read_json  # noqa: E402
from trialmeta.plots.outcome import FigureWording, draw_outcome_figures  # noqa: E402
from trialmeta.report.outcome_labels import read_figure_labels  # noqa: E402
from trialmeta.report.sheet_labels import sheet_vocabulary  # noqa: E402
from trialmeta.review.codec import from_data  # noqa: E402
from trialmeta.review.config import FiguresConfig  # noqa: E402
from trialmeta.review.results import read_result  # noqa: E402

result = read_result(verified(smk.input.analysis))
vocabulary = sheet_vocabulary(smk.params.labels)
labels, rob_rows = read_figure_labels(read_json(verified(smk.input.labels)), smk.params.labels,
                                      vocabulary, smk.input.labels)  # fmt: skip
draw_outcome_figures(
    result,
    smk.output[0],
    from_data(FigureWording, smk.params.wording),
    labels=labels,
    rob_rows=rob_rows,
    vocabulary=vocabulary,
    files=from_data(FiguresConfig, smk.params.files),
)
seal(smk.output)
