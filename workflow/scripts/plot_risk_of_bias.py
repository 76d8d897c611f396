"""Snakemake adapter: risk-of-bias traffic-light and summary plots → results/figures/."""

from trialmeta.io.worker import hand_to_worker

hand_to_worker()  # runs this script in the run's warm worker, if it has one
from trialmeta.io.rule_log import log_errors  # noqa: E402

smk = snakemake  # noqa: F821  (injected by Snakemake)
log_errors(smk)

from trialmeta.data.sheets import sheet_source  # noqa: E402
from trialmeta.io.digests import seal, verified  # noqa: E402
from trialmeta.plots.rob_figures import draw_rob_figures  # noqa: E402
from trialmeta.report.sheet_labels import sheet_labels  # noqa: E402
from trialmeta.review.codec import from_data  # noqa: E402
from trialmeta.review.config import FiguresConfig  # noqa: E402

verified(smk.input.validation)  # the gate: the sheets passed validation, unchanged since
effects = verified(smk.input.effects)
labels, _ = sheet_labels(smk.params.labels, smk.input)
rob = sheet_source(smk.input.rob[0], "risk_of_bias") if smk.input.rob else None
draw_rob_figures(
    rob,
    effects,
    smk.output[0],
    float(smk.params.pedro_low_below),
    labels=labels.studies,
    files=from_data(FiguresConfig, smk.params.files),
)
seal(smk.output)
