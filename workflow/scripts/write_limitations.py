"""Snakemake adapter: results/limitations.md from the results (never hand-written)."""

from trialmeta.io.rule_log import log_errors

smk = snakemake  # noqa: F821  (injected by Snakemake)
log_errors(smk)

from trialmeta.io.digests import seal, verified  # noqa: E402
from trialmeta.io.jsonio import read_record_dicts, write_text  # noqa: E402
from trialmeta.report.limitations import limitations_markdown  # noqa: E402
from trialmeta.review.results import read_result  # noqa: E402

text = limitations_markdown([read_result(verified(p)) for p in smk.input.analyses],
                            read_record_dicts(verified(smk.input.effects), blank=float("nan")),
                            read_record_dicts(verified(smk.input.accounting), blank=float("nan")),
                            read_record_dicts(verified(smk.input.warnings), blank=float("nan")),
                            float(smk.params.ois_alpha), float(smk.params.ois_power))
write_text(smk.output[0], text)
seal(smk.output)
