"""Snakemake adapter: the self-contained results/report.html."""

from trialmeta.io.worker import hand_to_worker

hand_to_worker()  # runs this script in the run's warm worker, if it has one
from trialmeta.io.rule_log import log_errors  # noqa: E402

smk = snakemake  # noqa: F821  (injected by Snakemake)
log_errors(smk)

from pathlib import Path  # noqa: E402

from trialmeta.data.sheets import sheet_source  # noqa: E402
from trialmeta.io.digests import seal, verified  # noqa: E402
from trialmeta.io.figure_files import figure_files  # noqa: E402
from trialmeta.io.jsonio import read_json, read_record_dicts, write_text  # noqa: E402
from trialmeta.report.assemble import review_text  # noqa: E402
from trialmeta.report.html import ReportInputs, render_report  # noqa: E402
from trialmeta.report.humanise import humaniser  # noqa: E402
from trialmeta.report.sheet_labels import sheet_labels  # noqa: E402
from trialmeta.review.codec import from_data  # noqa: E402
from trialmeta.review.config import ReviewConfig  # noqa: E402
from trialmeta.review.results import read_result  # noqa: E402

config = from_data(ReviewConfig, smk.params.review)
results = [read_result(verified(p)) for p in smk.input.analyses]
labels, _ = sheet_labels(smk.params.labels, smk.input)
studies = read_record_dicts(sheet_source(smk.input.studies, "studies"), blank="")
text = review_text(
    config, results, labels, studies, read_record_dicts(verified(smk.input.accounting), blank="")
)
html = render_report(
    ReportInputs(
        config,
        results,
        text.sof,
        text.flow,
        text.summary,
        text.top_limitations,
        Path(verified(smk.input.limitations)).read_text(encoding="utf-8"),
        read_json(verified(smk.input.provenance)),
        figure_files(
            [verified(p) for p in [*smk.input.figures, smk.input.rob_figures, smk.input.prisma]]
        ),
        studies,
        labels,
        humaniser(labels),
    )
)
write_text(smk.output[0], html)
seal(smk.output)
