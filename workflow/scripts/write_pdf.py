"""Snakemake adapter: results/report.pdf (A4, landscape forest pages) from the HTML report."""

from trialmeta.io.worker import hand_to_worker

hand_to_worker()  # runs this script in the run's warm worker, if it has one
from trialmeta.io.rule_log import log_errors  # noqa: E402

smk = snakemake  # noqa: F821  (injected by Snakemake)
log_errors(smk)

from pathlib import Path  # noqa: E402

from trialmeta.io.digests import verified  # noqa: E402
from trialmeta.report.pdf import write_pdf  # noqa: E402

html_path = Path(verified(smk.input[0]))
# no base URL: the report's links to provenance.json and the CSVs stay relative (they sit
# beside the PDF), so the PDF holds no absolute path and is the same in any folder
write_pdf(html_path.read_text(encoding="utf-8"), smk.output[0])
