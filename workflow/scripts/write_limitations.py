"""Snakemake adapter: results/limitations.md from the results (never hand-written)."""

from trialmeta.io.rule_log import log_errors

smk = snakemake  # noqa: F821  (injected by Snakemake)
log_errors(smk)

from trialmeta.io.jsonio import read_json, read_records, write_text  # noqa: E402
from trialmeta.report.limitations import limitations_markdown  # noqa: E402


def records(path):
    return read_records(path).astype(object).to_dict(orient="records")


bundles = [read_json(p) for p in smk.input.analyses]
text = limitations_markdown(bundles, records(smk.input.effects), records(smk.input.accounting),
                            records(smk.input.warnings), smk.params.settings)
write_text(smk.output[0], text)
