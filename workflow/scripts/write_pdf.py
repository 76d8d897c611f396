"""Snakemake adapter: results/report.pdf (A4, landscape forest pages) from the HTML report."""

from trialmeta.io.rule_log import log_errors

smk = snakemake  # noqa: F821  (injected by Snakemake)
log_errors(smk)

from pathlib import Path  # noqa: E402

from trialmeta.io.digests import verified  # noqa: E402
from trialmeta.report.pdf import write_pdf  # noqa: E402

html_path = Path(verified(smk.input[0]))
write_pdf(html_path.read_text(encoding="utf-8"), smk.output[0], base_url=html_path.parent)
