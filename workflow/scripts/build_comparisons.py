"""Snakemake adapter: one effect row per study × comparison × outcome × timepoint.

Writes results/comparisons.csv (the effect rows with their derivations), the
accounting table (what was identified and why a comparison cannot be pooled) and
the data-quality warnings.
"""

from trialmeta.io.rule_log import log_errors

smk = snakemake  # noqa: F821  (injected by Snakemake)
log_errors(smk)

from trialmeta.data.sheets import data_source  # noqa: E402
from trialmeta.effects.comparisons import build_comparisons  # noqa: E402
from trialmeta.io.digests import seal, verified  # noqa: E402
from trialmeta.io.safe_csv import write_csv  # noqa: E402
from trialmeta.report.tables import records_and_columns  # noqa: E402

verified(smk.input.validation)  # the gate: the sheets passed validation, unchanged since
# the sheets (a directory's CSVs or one workbook) and vocabulary.yaml are the input
cset = build_comparisons(data_source(smk.input.sheets), outcomes=smk.params.outcomes,
                         comparisons=smk.params.comparisons, measure=smk.params.measure,
                         **smk.params.options)
for name, table in (("effects", cset.effects), ("accounting", cset.accounting)):
    write_csv(smk.output[name], *records_and_columns(table))
write_csv(smk.output.warnings, *records_and_columns(cset.warnings_table))
seal(smk.output)
