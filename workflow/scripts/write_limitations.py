"""Snakemake adapter: results/limitations.md from the results (never hand-written): the
executive summary first, then the detail."""

from trialmeta.io.worker import hand_to_worker

hand_to_worker()  # runs this script in the run's warm worker, if it has one
from trialmeta.io.rule_log import log_errors  # noqa: E402

smk = snakemake  # noqa: F821  (injected by Snakemake)
log_errors(smk)

from trialmeta.data.sheets import sheet_source  # noqa: E402
from trialmeta.io.digests import seal, verified  # noqa: E402
from trialmeta.io.jsonio import read_record_dicts, write_text  # noqa: E402
from trialmeta.report.assemble import review_text  # noqa: E402
from trialmeta.report.limitations import limitations_markdown  # noqa: E402
from trialmeta.report.sheet_labels import sheet_labels  # noqa: E402
from trialmeta.review.codec import from_data  # noqa: E402
from trialmeta.review.config import ReviewConfig  # noqa: E402
from trialmeta.review.results import read_result  # noqa: E402

config = from_data(ReviewConfig, smk.params.review)
results = [read_result(verified(p)) for p in smk.input.analyses]
labels, _ = sheet_labels(smk.params.labels, smk.input)
summary = review_text(
    config,
    results,
    labels,
    read_record_dicts(sheet_source(smk.input.studies, "studies"), blank=""),
    read_record_dicts(verified(smk.input.accounting), blank=""),
).summary
text = limitations_markdown(
    results,
    read_record_dicts(verified(smk.input.effects), blank=float("nan")),
    read_record_dicts(verified(smk.input.accounting), blank=float("nan")),
    read_record_dicts(verified(smk.input.warnings), blank=float("nan")),
    config.grade.ois_alpha,
    config.grade.ois_power,
    summary=summary,
    human=labels,
    search=config.search.statement if config.search is not None else "",
)
write_text(smk.output[0], text)
seal(smk.output)
