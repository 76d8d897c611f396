"""Snakemake adapter: the Summary of Findings (GRADEpro layout) as CSV, Markdown and Word."""

from trialmeta.io.worker import hand_to_worker

hand_to_worker()  # runs this script in the run's warm worker, if it has one
from trialmeta.io.rule_log import log_errors  # noqa: E402

smk = snakemake  # noqa: F821  (injected by Snakemake)
log_errors(smk)

from trialmeta.data.sheets import sheet_source  # noqa: E402
from trialmeta.io.digests import seal, verified  # noqa: E402
from trialmeta.io.jsonio import read_record_dicts, write_text  # noqa: E402
from trialmeta.io.safe_csv import write_csv  # noqa: E402
from trialmeta.report.assemble import (  # noqa: E402
    SOF_CSV_COLUMNS,
    review_text,
    sof_csv_rows,
    sof_markdown,
)
from trialmeta.report.docx import write_sof_docx  # noqa: E402
from trialmeta.report.sheet_labels import sheet_labels  # noqa: E402
from trialmeta.review.codec import from_data  # noqa: E402
from trialmeta.review.config import ReviewConfig  # noqa: E402
from trialmeta.review.results import read_result  # noqa: E402

config = from_data(ReviewConfig, smk.params.review)
labels, _ = sheet_labels(smk.params.labels, smk.input)
text = review_text(
    config,
    [read_result(verified(p)) for p in smk.input.analyses],
    labels,
    read_record_dicts(sheet_source(smk.input.studies, "studies"), blank=""),
    read_record_dicts(verified(smk.input.accounting), blank=""),
)
write_csv(smk.output.csv, sof_csv_rows(text.sof), SOF_CSV_COLUMNS)
# titled "Summary of findings" (each table carries its own GRADEpro title), not by the
# review's title: a title edit then reruns only the report (issue 10, section 4)
write_text(smk.output.md, sof_markdown(text.sof, "Summary of findings"))
write_sof_docx(text.sof, smk.output.docx, title="Summary of findings")
seal(smk.output)
