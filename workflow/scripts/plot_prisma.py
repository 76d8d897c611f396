"""Snakemake adapter: the trial-level PRISMA 2020 flow → results/figures/prisma/."""

from trialmeta.io.worker import hand_to_worker

hand_to_worker()  # runs this script in the run's warm worker, if it has one
from trialmeta.io.rule_log import log_errors  # noqa: E402

smk = snakemake  # noqa: F821  (injected by Snakemake)
log_errors(smk)

from pathlib import Path  # noqa: E402

from trialmeta.data.sheets import sheet_source  # noqa: E402
from trialmeta.io.digests import seal, verified  # noqa: E402
from trialmeta.io.jsonio import read_record_dicts  # noqa: E402
from trialmeta.plots import save_figure  # noqa: E402
from trialmeta.plots.prisma import prisma_plot, write_prisma_csv  # noqa: E402
from trialmeta.report.sheet_labels import sheet_labels  # noqa: E402
from trialmeta.report.trial_flow import prisma_from_accounting  # noqa: E402
from trialmeta.review.codec import from_data  # noqa: E402
from trialmeta.review.config import FiguresConfig  # noqa: E402

labels, _ = sheet_labels(smk.params.labels, smk.input)
flow = prisma_from_accounting(
    read_record_dicts(sheet_source(smk.input.studies, "studies"), blank=""),
    read_record_dicts(verified(smk.input.accounting), blank=""),
    dict(labels.studies),
    dict(smk.params.flow["outcome_labels"]),
    smk.params.flow["how_found"],
)
out = Path(smk.output[0])
fig = prisma_plot(flow)
files = from_data(FiguresConfig, smk.params.files)
save_figure(fig, out / "prisma", files.formats, files.png_dpi)
write_prisma_csv(flow, out / "prisma.csv")
seal(smk.output)
